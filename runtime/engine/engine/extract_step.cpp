// The `extract` step: pulls typed fields (postcode, NHS number, NI number, dates, e-mail,
// UK phone, references, names) out of a text, usually the OCR step's output.
//
// Each field is found with clerk::extract::extractField() (extract/field_extractor.h).
// A field counts as found when a valid candidate reaches its min_confidence; anything
// less leaves the output empty. When a required field is missing, invalid or uncertain,
// one question goes to a person naming every such field; the candidates are in the
// evidence, never in the reason (reasons reach the logs).
#include "engine/builtin_steps_p.h"

#include "core/logging.h"
#include "extract/field_extractor.h"

#include <QJsonArray>

#include <cmath>

namespace clerk::engine {

using bot::ParamSpec;
using bot::ValueType;

namespace {

const QStringList kReservedOutputs = {QStringLiteral("confidence"), QStringLiteral("found"), QStringLiteral("decided_by"),
                                      QStringLiteral("choice")};

struct FieldConfig {
    QString name;
    extract::FieldSpec spec;
    bool required = false;
    double minConfidence = 0.8;
};

double rounded(double confidence)
{
    return std::round(confidence * 100.0) / 100.0;
}

QJsonObject candidateJson(const extract::FieldMatch &match)
{
    QJsonObject json{{QStringLiteral("value"), match.value},
                     {QStringLiteral("raw"), match.raw},
                     {QStringLiteral("offset"), static_cast<double>(match.offset)},
                     {QStringLiteral("confidence"), rounded(match.confidence)},
                     {QStringLiteral("valid"), match.valid},
                     {QStringLiteral("reasons"), QJsonArray::fromStringList(match.reasons)}};
    if (!match.label.isEmpty())
        json.insert(QStringLiteral("label"), match.label);
    return json;
}

class ExtractStep final : public Step {
public:
    ExtractStep(bot::Template text, QList<FieldConfig> fields) : m_text(std::move(text)), m_fields(std::move(fields)) {}

    StepOutcome run(StepContext &ctx) const override
    {
        const QString text = ctx.render(m_text);
        // Two-digit years and dates of birth are judged against the day the item arrived,
        // so a resumed or re-run item reads its text the same way.
        const QDate today = ctx.item().createdAt.isValid() ? ctx.item().createdAt.date() : QDate::currentDate();

        QJsonObject outputs;
        QJsonObject confidence;
        QStringList found;
        QStringList problems;
        QStringList askFor;
        QJsonObject problemsJson;
        QJsonObject candidatesJson;
        for (const FieldConfig &field : m_fields) {
            extract::FieldSpec spec = field.spec;
            spec.referenceDate = today;
            const auto result = extract::extractField(text, spec);
            if (!result)
                return StepOutcome::fail(QStringLiteral("extract: field %1: %2").arg(field.name, result.error().message()));

            const double score = result->best ? rounded(result->best->confidence) : 0.0;
            const bool ok = result->best && score >= field.minConfidence;
            outputs.insert(field.name, ok ? result->best->value : QString());
            confidence.insert(field.name, score);
            if (ok)
                found.append(field.name);

            QJsonArray candidates;
            for (const extract::FieldMatch &match : result->candidates)
                candidates.append(candidateJson(match));
            candidatesJson.insert(field.name, candidates);
            if (ok || !field.required)
                continue;
            QString problem;
            if (result->candidates.isEmpty())
                problem = QStringLiteral("%1 is missing").arg(field.name);
            else if (!result->best)
                problem = QStringLiteral("%1 is not valid: %2").arg(field.name, result->problem);
            else
                problem = QStringLiteral("%1 is uncertain: confidence %2% is below %3%")
                              .arg(field.name, QString::number(100.0 * score, 'f', 0),
                                   QString::number(100.0 * field.minConfidence, 'f', 0));
            problems.append(problem);
            problemsJson.insert(field.name, problem);
            askFor.append(field.name);
        }
        qCDebug(lcEngine) << "extract:" << found.size() << "of" << m_fields.size() << "fields found;"
                          << askFor.size() << "required fields need a person";

        outputs.insert(QStringLiteral("confidence"), confidence);
        outputs.insert(QStringLiteral("found"), QJsonArray::fromStringList(found));
        if (askFor.isEmpty())
            return StepOutcome::continueWith(outputs);

        HumanRequest request;
        request.kind = ReasonKind::MissingValue;
        request.reason = problems.join(QStringLiteral("; "));
        request.evidence = {{QStringLiteral("problems"), problemsJson},
                            {QStringLiteral("candidates"), candidatesJson},
                            {QStringLiteral("extracted"), outputs}};
        request.fields = askFor;
        request.team = ctx.step().team;
        // The fields that were found stay the step's outputs; the person's values go over them.
        request.outputs = outputs;
        return StepOutcome::needsHuman(request);
    }

    // A value a person types is read as the field's type reads the text (an NHS number's
    // check digit, a postcode's shape, a date's calendar) and recorded in the same
    // normalised form the step outputs. Names and references without a pattern have no
    // validity to check: they are taken trimmed.
    Result<store::Decision> checkAnswer(const store::ExceptionItem &question, store::Decision answer) const override
    {
        const QDate today = question.createdAt.isValid() ? question.createdAt.date() : QDate::currentDate();
        for (const FieldConfig &field : m_fields) {
            if (!answer.fields.contains(field.name))
                continue;
            const QString typed = answer.fields.value(field.name).toString().trimmed();
            if (typed.isEmpty()) {
                if (field.required)
                    return fail(Error::invalidArgument(QStringLiteral("%1 is required: give a value").arg(field.name)));
                answer.fields.insert(field.name, QString());
                continue;
            }
            const bool checkable = field.spec.type != extract::FieldType::Name &&
                                   (field.spec.type != extract::FieldType::Reference || !field.spec.pattern.isEmpty());
            if (!checkable) {
                answer.fields.insert(field.name, typed);
                continue;
            }
            extract::FieldSpec spec = field.spec;
            spec.referenceDate = today;
            const auto result = extract::extractField(typed, spec);
            if (!result)
                return fail(result.error());
            if (!result->best) {
                const QString why = result->problem.isEmpty() ? QStringLiteral("no %1 in it").arg(extract::toString(spec.type))
                                                              : result->problem;
                return fail(Error::invalidArgument(QStringLiteral("the %1 given is not valid: %2").arg(field.name, why)));
            }
            answer.fields.insert(field.name, result->best->value);
        }
        return answer;
    }

private:
    bot::Template m_text;
    QList<FieldConfig> m_fields;
};

QString checkFields(const QJsonValue &value);

// The keys of the extract step's params block, declared once: the schema lists them,
// the factory and checkFields read them.
struct ExtractParams {
    // The keys of one field.
    ParamSpec fieldType = ParamSpec::oneOf(QStringLiteral("type"), extract::fieldTypeNames(),
                          QStringLiteral("What the field is. Values: uk_postcode \"LS1 4AP\", nhs_number \"9434765919\", "
                                         "ni_number \"AB 12 34 56 C\", date \"1952-03-03\", email, uk_phone \"+441134960000\", "
                                         "reference (the text `pattern` matched), name \"Jane Smith\"."),
                          true);
    ParamSpec required = ParamSpec::of(QStringLiteral("required"), ValueType::Boolean,
                       QStringLiteral("Ask a person when the field is missing, invalid or below min_confidence."))
             .withDefault(false);
    ParamSpec labels = ParamSpec::listOf(QStringLiteral("labels"),
                           ParamSpec::of(QStringLiteral("label"), ValueType::String, QStringLiteral("A label.")),
                           QStringLiteral("Text written before the value (\"NHS No\", \"Date of birth\"): a candidate after "
                                          "one is preferred and scores higher. Each type has defaults."));
    ParamSpec pattern = ParamSpec::regex(QStringLiteral("pattern"), QStringLiteral("For reference: the regular expression a reference "
                                                                    "matches, e.g. [A-Z]{2}-\\d{6}."));
    ParamSpec minConfidence = ParamSpec::of(QStringLiteral("min_confidence"), ValueType::Threshold,
                       QStringLiteral("The confidence a value needs to count as found."))
             .withDefault(0.8);
    ParamSpec pastOnly = ParamSpec::of(QStringLiteral("past_only"), ValueType::Boolean,
                       QStringLiteral("For date: a date after the day the item arrived is invalid, and two-digit years "
                                      "are read as past years (dates of birth)."))
             .withDefault(false);

    ParamSpec text = ParamSpec::of(QStringLiteral("text"), ValueType::Template, QStringLiteral("The text to search."))
                         .withDefault(QStringLiteral("{{ ocr.text }}"));
    ParamSpec fields = ParamSpec::mapOf(QStringLiteral("fields"),
                                        ParamSpec::object(QStringLiteral("field"),
                                                          {fieldType, required, labels, pattern, minConfidence, pastOnly},
                                                          QStringLiteral("How to find one field.")),
                                        QStringLiteral("The fields to find, by output name."), true)
                           .withCheck(checkFields);
    QList<ParamSpec> all() const { return {text, fields}; }
};

const ExtractParams &extractParams()
{
    static const ExtractParams keys;
    return keys;
}

// Loader checks the parameter types cannot express.
QString checkFields(const QJsonValue &value)
{
    const ExtractParams &keys = extractParams();
    static const QRegularExpression identifier(QStringLiteral("^[a-z][a-z0-9_]*$"));
    const QJsonObject fields = value.toObject();
    for (auto it = fields.begin(); it != fields.end(); ++it) {
        if (!identifier.match(it.key()).hasMatch())
            return QStringLiteral("field name '%1' must be lower-case letters, digits and '_', starting with a letter")
                .arg(it.key());
        if (kReservedOutputs.contains(it.key()))
            return QStringLiteral("field name '%1' is taken by the step's own outputs").arg(it.key());
        const QJsonObject field = it.value().toObject();
        const QString type = keys.fieldType.stringIn(field);
        if (type == QLatin1String("reference") && keys.pattern.stringIn(field).isEmpty())
            return QStringLiteral("field '%1': a reference needs a pattern").arg(it.key());
        if (type != QLatin1String("reference") && keys.pattern.isIn(field))
            return QStringLiteral("field '%1': pattern is only for references").arg(it.key());
        if (type != QLatin1String("date") && keys.pastOnly.boolIn(field))
            return QStringLiteral("field '%1': past_only is only for dates").arg(it.key());
    }
    return {};
}

// The first step id `text` refers to that is not an earlier step of `bot`, or "".
QString unknownStep(const bot::BotDefinition &bot, const bot::StepDefinition &definition, const bot::Template &text)
{
    static const QStringList roots = {QStringLiteral("input"), QStringLiteral("item"), QStringLiteral("bot")};
    QStringList earlier;
    for (const bot::StepDefinition &step : bot.steps) {
        if (step.id == definition.id)
            break;
        earlier.append(step.id);
    }
    for (const bot::Template::Reference &reference : text.references()) {
        const QString root = reference.path.value(0);
        if (!roots.contains(root) && !earlier.contains(root))
            return root;
    }
    return {};
}

} // namespace

StepType extractStepType()
{
    bot::StepTypeSchema schema;
    schema.name = QStringLiteral("extract");
    schema.summary = QStringLiteral(
        "Finds typed fields (postcode, NHS number, NI number, dates, e-mail, UK phone, references, names) in a text, "
        "validates them and scores each; a person is asked for required fields that are missing, invalid or uncertain. "
        "Outputs each field's normalised value (empty when not found), `confidence` (field -> 0..1) and `found` "
        "(the names of the fields found).");
    schema.params = extractParams().all();
    schema.outputs = [](const QJsonObject &params) {
        QStringList names = extractParams().fields.objectIn(params).keys();
        names << QStringLiteral("confidence") << QStringLiteral("found") << QStringLiteral("decided_by");
        return names;
    };
    schema.example = QStringLiteral(
        "- id: extract\n"
        "  type: extract\n"
        "  params:\n"
        "    text: \"{{ ocr.text }}\"\n"
        "    fields:\n"
        "      nhs_number: {type: nhs_number, required: true, labels: [NHS No, NHS number]}\n"
        "      date_of_birth: {type: date, labels: [Date of birth, DOB], past_only: true}\n"
        "      postcode: {type: uk_postcode}\n"
        "      case_ref: {type: reference, pattern: '[A-Z]{2}-\\d{6}'}\n");
    StepType type;
    type.schema = schema;
    type.create = [](const bot::BotDefinition &bot, const bot::StepDefinition &definition) -> Result<std::unique_ptr<Step>> {
        const ExtractParams &keys = extractParams();
        auto text = bot::Template::parse(keys.text.stringIn(definition.params));
        if (!text)
            return fail(text.error());
        // The loader does not check the default text template: without an `ocr` step every
        // item would silently read an empty text and every field would be missing.
        if (const QString missing = unknownStep(bot, definition, *text); !missing.isEmpty())
            return fail(Error::invalidArgument(
                QStringLiteral("extract: the text refers to step '%1', which does not run before this step; "
                               "set `text`, e.g. text: \"{{ input.text }}\"")
                    .arg(missing)));
        QList<FieldConfig> fields;
        const QJsonObject map = keys.fields.objectIn(definition.params);
        for (auto it = map.begin(); it != map.end(); ++it) {
            const QJsonObject params = it.value().toObject();
            const auto fieldType = extract::fieldTypeFromString(keys.fieldType.stringIn(params));
            if (!fieldType)
                return fail(Error::invalidArgument(QStringLiteral("extract: field %1 has an unknown type").arg(it.key())));
            FieldConfig config;
            config.name = it.key();
            config.spec.type = *fieldType;
            for (const QJsonValue &label : keys.labels.listIn(params))
                config.spec.labels.append(label.toString());
            config.spec.pattern = keys.pattern.stringIn(params);
            config.spec.pastOnly = keys.pastOnly.boolIn(params);
            config.required = keys.required.boolIn(params);
            config.minConfidence = keys.minConfidence.numberIn(params);
            fields.append(config);
        }
        return std::make_unique<ExtractStep>(std::move(*text), std::move(fields));
    };
    return type;
}

} // namespace clerk::engine
