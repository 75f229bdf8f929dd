// The `classify` step: puts a text (usually a letter's OCR text) into one of the bot's
// categories, with a calibrated confidence and the reasons for it; below the threshold
// a person picks the category from the ranked list.
//
// The decision itself (model + keyword/pattern rules) is clerk::classify's
// CategoryClassifier; this file reads the params, loads the model once when the step is
// created, and turns decisions into outcomes.
#include "engine/builtin_steps_p.h"
#include "engine/shadow_trial_p.h"

#include "classify/category_classifier.h"
#include "classify/model_files.h"

#include <QDir>
#include <QJsonArray>

#include <algorithm>

namespace clerk::engine {

using bot::ParamSpec;
using bot::ValueType;

namespace {

constexpr double kDefaultThreshold = 0.9;

class ClassifyStep final : public Step {
public:
    ClassifyStep(bot::Template text, std::shared_ptr<const classify::CategoryClassifier> classifier, double threshold,
                 int top)
        : m_text(std::move(text)), m_classifier(std::move(classifier)), m_threshold(threshold), m_top(top)
    {
    }

    StepOutcome run(StepContext &ctx) const override
    {
        const QString text = ctx.render(m_text);
        const classify::CategoryDecision decision = m_classifier->classify(text);
        const bool hasText = !text.trimmed().isEmpty();

        QJsonArray ranking;
        for (const classify::RankedCategory &ranked : decision.ranking) {
            if (ranking.size() >= m_top)
                break;
            ranking.append(QJsonObject{{QStringLiteral("category"), ranked.category},
                                       {QStringLiteral("confidence"), ranked.confidence}});
        }
        const QJsonArray reasons = QJsonArray::fromStringList(decision.reasons);
        const QJsonObject decided{
            {QStringLiteral("category"), decision.category},
            {QStringLiteral("label"), labelOf(decision.category)},
            {QStringLiteral("team"), teamOf(decision.category)},
            {QStringLiteral("confidence"), decision.confidence},
            {QStringLiteral("reasons"), reasons},
            {QStringLiteral("ranking"), ranking},
            {QStringLiteral("decided_by"), decision.decidedByRule ? QStringLiteral("rule") : QStringLiteral("model")},
        };
        const bool sure = hasText && decision.confidence >= m_threshold;
        if (sure && !isShadowTrial(ctx))
            return StepOutcome::continueWith(decided);

        HumanRequest request;
        request.fields = {QStringLiteral("category")};
        request.team = ctx.step().team;
        if (isBlindTrial(ctx)) {
            // A blind trial: nothing a person sees may point to the bot's answer, so the
            // categories come in their own order, without confidences.
            request.reason = QStringLiteral("shadow trial: a person decides the category");
            for (const classify::CategoryDefinition &category : m_classifier->categories())
                request.choices.append(choiceFor(category.name, {}));
        } else {
            // The reason reaches logs: a number, never the document's words.
            request.reason = !hasText ? QStringLiteral("no text to classify")
                             : sure   ? QStringLiteral("shadow mode: the bot's category waits for a person "
                                                       "(confidence %1)")
                                          .arg(decision.confidence, 0, 'f', 2)
                                      : QStringLiteral("not sure of the category (best: %1)")
                                          .arg(decision.confidence, 0, 'f', 2);
            request.evidence = {{QStringLiteral("best"), decision.category},
                                {QStringLiteral("confidence"), decision.confidence},
                                {QStringLiteral("threshold"), m_threshold},
                                {QStringLiteral("reasons"), reasons},
                                {QStringLiteral("ranking"), ranking}};
            for (const classify::RankedCategory &ranked : decision.ranking) {
                if (request.choices.size() >= m_top)
                    break;
                request.choices.append(choiceFor(ranked.category,
                                                 {{QStringLiteral("confidence"), ranked.confidence},
                                                  {QStringLiteral("reasons"), QJsonArray::fromStringList(ranked.reasons)}}));
            }
            request.outputs = {{QStringLiteral("reasons"), reasons}, {QStringLiteral("ranking"), ranking}};
        }
        // The person must be able to agree with the bot.
        const bool offered = std::any_of(request.choices.begin(), request.choices.end(),
                                         [&](const HumanChoice &choice) { return choice.value == decision.category; });
        if (!decision.category.isEmpty() && !offered)
            request.choices.append(choiceFor(decision.category, {}));
        addSuggestion(request, ctx, {hasText ? decision.category : QString(), hasText ? decision.confidence : 0.0, decided});
        return StepOutcome::needsHuman(request);
    }

    // A category a person types must be one of the bot's; it then means the same as
    // picking it (label, team), whether or not it was among the choices shown.
    Result<store::Decision> checkAnswer(const store::ExceptionItem &question, store::Decision answer) const override
    {
        const QString key = QStringLiteral("category");
        if (!answer.fields.contains(key))
            return answer;
        const QString given = answer.fields.value(key).toString().trimmed();
        QStringList known;
        for (const classify::CategoryDefinition &category : m_classifier->categories())
            known.append(category.name);
        qsizetype at = -1;
        for (qsizetype i = 0; i < known.size() && at < 0; ++i) {
            if (QString::compare(known.at(i), given, Qt::CaseInsensitive) == 0)
                at = i;
        }
        if (at < 0) {
            return fail(Error::invalidArgument(QStringLiteral("\"%1\" is not one of the bot's categories: %2")
                                                   .arg(given, known.join(QStringLiteral(", ")))));
        }
        const QString category = known.at(at);
        if (!answer.choice.isEmpty() && answer.choice != category) {
            return fail(Error::invalidArgument(
                QStringLiteral("the choice \"%1\" and category \"%2\" say different things: give one of them")
                    .arg(answer.choice, category)));
        }
        const bool offered = std::any_of(question.choices.begin(), question.choices.end(),
                                         [&](const HumanChoice &choice) { return choice.value == category; });
        if (offered) {
            answer.choice = category;
            answer.fields.remove(key);
            return answer;
        }
        answer.fields.insert(key, category);
        answer.outputs = choiceFor(category, {}).detail.value(QStringLiteral("outputs")).toObject();
        return answer;
    }

private:
    QString labelOf(const QString &category) const
    {
        const classify::CategoryDefinition *definition = m_classifier->category(category);
        return definition && !definition->label.isEmpty() ? definition->label : category;
    }
    QString teamOf(const QString &category) const
    {
        const classify::CategoryDefinition *definition = m_classifier->category(category);
        return definition ? definition->team : QString();
    }
    // Picking a category means the same outputs as the bot deciding it.
    HumanChoice choiceFor(const QString &category, QJsonObject detail) const
    {
        detail.insert(QStringLiteral("outputs"), QJsonObject{{QStringLiteral("category"), category},
                                                             {QStringLiteral("label"), labelOf(category)},
                                                             {QStringLiteral("team"), teamOf(category)},
                                                             {QStringLiteral("confidence"), 1.0}});
        return {category, labelOf(category), detail};
    }

    bot::Template m_text;
    std::shared_ptr<const classify::CategoryClassifier> m_classifier;
    double m_threshold;
    int m_top;
};

// The keys of the classify step's params block, declared once: the schema lists them
// and createClassifyStep reads them.
struct ClassifyParams {
    ParamSpec category = ParamSpec::object(
        QStringLiteral("category"),
        {
            ParamSpec::of(QStringLiteral("label"), ValueType::String, QStringLiteral("The name shown to people; defaults to the category's key.")),
            ParamSpec::listOf(QStringLiteral("keywords"),
                              ParamSpec::of(QStringLiteral("keyword"), ValueType::String, QStringLiteral("A word or phrase.")),
                              QStringLiteral("Words or phrases that point to this category (case, punctuation and digits ignored).")),
            ParamSpec::listOf(QStringLiteral("patterns"),
                              ParamSpec::of(QStringLiteral("pattern"), ValueType::Regex, QStringLiteral("A regular expression.")),
                              QStringLiteral("Regular expressions (case-insensitive) that point to this category.")),
            ParamSpec::of(QStringLiteral("team"), ValueType::Identifier, QStringLiteral("The team that owns the category (output `team`).")),
        },
        QStringLiteral("A category."));
    ParamSpec text = ParamSpec::of(QStringLiteral("text"), ValueType::Template, QStringLiteral("The text to classify."))
            .withDefault(QStringLiteral("{{ ocr.text }}"));
    ParamSpec categories = ParamSpec::mapOf(QStringLiteral("categories"), category,
                         QStringLiteral("The allowed categories by name; a trained model's categories must all be here."), true);
    ParamSpec model = ParamSpec::of(QStringLiteral("model"), ValueType::Path,
                      QStringLiteral("A model file from `clerk train` (relative to the bot file's folder). Default: the "
                                     "latest model trained for this step beside the bot file, if any; without one only "
                                     "the rules decide."));
    ParamSpec threshold = ParamSpec::of(QStringLiteral("threshold"), ValueType::Threshold,
                      QStringLiteral("Confidence needed to decide without a person. Default: the bot's "
                                     "`thresholds.classify`, else 0.9."));
    ParamSpec top = ParamSpec::of(QStringLiteral("top"), ValueType::Integer, QStringLiteral("How many ranked categories to output and offer a person."))
            .withDefault(5)
            .withRange(1, 100);
    ParamSpec ruleMode = ParamSpec::oneOf(QStringLiteral("rule_mode"), {QStringLiteral("evidence"), QStringLiteral("decide")},
                         QStringLiteral("evidence: a keyword or pattern hit raises its category's confidence (each hit "
                                        "halves the remaining doubt); decide: hits in exactly one category decide it with "
                                        "`rule_confidence`."))
            .withDefault(QStringLiteral("evidence"));
    ParamSpec ruleConfidence = ParamSpec::of(QStringLiteral("rule_confidence"), ValueType::Threshold,
                      QStringLiteral("The confidence of a decision made by rules (rule_mode: decide)."))
            .withDefault(classify::RuleSettings{}.decideConfidence);
    QList<ParamSpec> all() const { return {text, categories, model, threshold, top, ruleMode, ruleConfidence}; }
};

const ClassifyParams &classifyParams()
{
    static const ClassifyParams keys;
    return keys;
}

Result<std::unique_ptr<Step>> createClassifyStep(const bot::BotDefinition &bot, const bot::StepDefinition &definition)
{
    const QJsonObject &params = definition.params;
    const QString where = QStringLiteral("step %1").arg(definition.id);

    std::shared_ptr<const classify::ClassifierModel> model;
    auto modelPath = classify::resolveModelPath(bot.baseDir, bot.name, definition.id,
                                                classifyParams().model.stringIn(params));
    if (!modelPath)
        return fail(modelPath.error().withContext(where));
    // An empty path: no model trained yet, the rules alone decide.
    if (!modelPath->isEmpty()) {
        auto loaded = classify::ClassifierModel::load(*modelPath);
        if (!loaded)
            return fail(loaded.error().withContext(where));
        model = std::make_shared<const classify::ClassifierModel>(std::move(*loaded));
    }

    auto classifier = classify::CategoryClassifier::create(classify::CategoryClassifier::categoriesFromParams(params),
                                                           std::move(model),
                                                           classify::CategoryClassifier::ruleSettingsFromParams(params));
    if (!classifier)
        return fail(classifier.error().withContext(where));

    const ClassifyParams &keys = classifyParams();
    const double threshold = keys.threshold.isIn(params)
                                 ? keys.threshold.numberIn(params)
                                 : bot.thresholds.value(QStringLiteral("classify"), kDefaultThreshold);
    auto text = bot::Template::parse(keys.text.stringIn(params));
    if (!text)
        return fail(text.error().withContext(where));
    return std::make_unique<ClassifyStep>(std::move(*text),
                                          std::make_shared<const classify::CategoryClassifier>(std::move(*classifier)),
                                          threshold, keys.top.intIn(params));
}

} // namespace

StepType classifyStepType()
{
    bot::StepTypeSchema schema;
    schema.name = QStringLiteral("classify");
    schema.summary = QStringLiteral(
        "Puts a text (usually a letter's OCR text) into one of the bot's categories, with a calibrated confidence "
        "and the terms that drove it. Below the threshold a person picks the category from the ranked list. "
        "Train the model with `clerk train`; keyword and pattern rules work with or without one.");
    schema.params = classifyParams().all();
    schema.outputs = [](const QJsonObject &) {
        return QStringList{QStringLiteral("category"), QStringLiteral("label"),   QStringLiteral("team"),
                           QStringLiteral("confidence"), QStringLiteral("reasons"), QStringLiteral("ranking"),
                           QStringLiteral("choice"),   QStringLiteral("decided_by")};
    };
    schema.example = QStringLiteral(
        "- id: topic\n"
        "  type: classify\n"
        "  params:\n"
        "    text: \"{{ ocr.text }}\"\n"
        "    threshold: 0.95\n"
        "    categories:\n"
        "      blue_badge:\n"
        "        label: Blue Badge\n"
        "        team: blue-badge\n"
        "        keywords: [blue badge, disabled parking]\n"
        "      school_admissions:\n"
        "        label: School admissions\n"
        "        patterns: ['\\\\b(in-year|reception) (place|application)']\n");
    return {schema, createClassifyStep};
}

} // namespace clerk::engine
