// The `classify` step: puts a text (usually a letter's OCR text) into one of the bot's
// categories, with a calibrated confidence and the reasons for it; below the threshold
// a person picks the category from the ranked list.
//
// The decision itself (model + keyword/pattern rules) is clerk::classify's
// CategoryClassifier; this file reads the params, loads the model, and turns decisions
// into outcomes.
//
// With the default model (the `.latest` pointer beside the bot file) the step follows
// promotions: every run reads the pointer and a newly promoted model is loaded before
// the item is decided, so `clerk serve` picks it up without a restart.
//
// With `learning:` the threshold is the one the model proved on people's answers
// (classify/selective_threshold.h, written by the learning loop, learning_loop.h); until
// a model carries one, every item goes to a person. `qa_sample` sends that share of the
// sure decisions to a person as well, with the bot's answer hidden (evidence
// "quality_check": true and the suggestion), to measure live precision.
#include "engine/builtin_steps_p.h"
#include "engine/learning_loop.h"
#include "engine/shadow_trial_p.h"

#include "classify/category_classifier.h"
#include "classify/model_files.h"
#include "classify/selective_threshold.h"
#include "core/mutex.h"

#include <QDir>
#include <QJsonArray>
#include <QLoggingCategory>

#include <algorithm>

namespace clerk::engine {

using bot::ParamSpec;
using bot::ValueType;

namespace {

Q_LOGGING_CATEGORY(lcClassify, "clerk.classify")

constexpr double kDefaultThreshold = 0.9;

// The classifier a step decides with, and the thresholds its model proved.
struct ClassifierSnapshot {
    std::shared_ptr<const classify::CategoryClassifier> classifier;
    classify::ThresholdSet learned{};
    QJsonObject learnedInfo{};  // the model's `learned` header: answers, answers_needed, ...
    QString modelPath{};
};

// Loads the model named by `.latest` (or a fixed file) and, when following `.latest`,
// reloads it when the pointer names another file.
class ClassifierSource {
public:
    ClassifierSource(QList<classify::CategoryDefinition> categories, classify::RuleSettings rules, QString folder,
                     QString bot, QString step, QString fixedModel)
        : m_categories(std::move(categories)), m_rules(rules), m_folder(std::move(folder)), m_bot(std::move(bot)),
          m_step(std::move(step)), m_fixedModel(std::move(fixedModel))
    {
    }

    Result<ClassifierSnapshot> load(const QString &modelPath) const
    {
        std::shared_ptr<const classify::ClassifierModel> model;
        ClassifierSnapshot snapshot;
        snapshot.modelPath = modelPath;
        // An empty path: no model trained yet, the rules alone decide.
        if (!modelPath.isEmpty()) {
            auto loaded = classify::ClassifierModel::load(modelPath);
            if (!loaded)
                return fail(loaded.error());
            snapshot.learnedInfo = loaded->learned();
            snapshot.learned = classify::ThresholdSet::fromJson(snapshot.learnedInfo);
            model = std::make_shared<const classify::ClassifierModel>(std::move(*loaded));
        }
        auto classifier = classify::CategoryClassifier::create(m_categories, std::move(model), m_rules);
        if (!classifier)
            return fail(classifier.error());
        snapshot.classifier = std::make_shared<const classify::CategoryClassifier>(std::move(*classifier));
        return snapshot;
    }

    Result<QString> modelPath() const
    {
        return classify::resolveModelPath(m_folder, m_bot, m_step, m_fixedModel);
    }

    Status start()
    {
        auto path = modelPath();
        if (!path)
            return fail(path.error());
        auto snapshot = load(*path);
        if (!snapshot)
            return fail(snapshot.error());
        MutexLock lock(m_mutex);
        m_snapshot = std::move(*snapshot);
        return {};
    }

    // The snapshot to decide with; a promoted model is loaded first. A model that cannot
    // be loaded leaves the one in use (and says so once per file).
    ClassifierSnapshot current() const
    {
        MutexLock lock(m_mutex);
        if (m_fixedModel.isEmpty()) {
            auto path = modelPath();
            if (path && *path != m_snapshot.modelPath && *path != m_refused) {
                auto snapshot = load(*path);
                if (snapshot) {
                    qCInfo(lcClassify).noquote() << "bot" << m_bot << "step" << m_step << "now uses the model"
                                                 << QFileInfo(*path).fileName();
                    m_snapshot = std::move(*snapshot);
                } else {
                    qCWarning(lcClassify).noquote() << "bot" << m_bot << "step" << m_step << "keeps its model:"
                                                    << snapshot.error().message();
                    m_refused = *path;
                }
            }
        }
        return m_snapshot;
    }

    const QList<classify::CategoryDefinition> &categories() const { return m_categories; }

private:
    QList<classify::CategoryDefinition> m_categories;
    classify::RuleSettings m_rules;
    QString m_folder;
    QString m_bot;
    QString m_step;
    QString m_fixedModel;
    mutable Mutex m_mutex;
    mutable ClassifierSnapshot m_snapshot CLERK_GUARDED_BY(m_mutex);
    mutable QString m_refused CLERK_GUARDED_BY(m_mutex);
};

// A deterministic share of items: the same item is always in or out of the sample.
bool inSample(qint64 itemId, const QString &stepId, double share)
{
    if (share <= 0)
        return false;
    quint64 x = static_cast<quint64>(itemId) ^ (static_cast<quint64>(qHash(stepId)) << 1);
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return static_cast<double>(x >> 11) / static_cast<double>(1ULL << 53) < share;
}

// The categories a person must always decide (always_person) and how near a miss counts.
struct AlwaysPerson {
    QStringList categories{};
    double above = 0.2;

    // The always-a-person category `decision` points to: its best category when marked
    // (and the bot has any confidence in it), else the first marked one whose confidence
    // reaches `above`; empty when none.
    QString categoryIn(const classify::CategoryDecision &decision) const
    {
        if (categories.contains(decision.category) && decision.confidence > 0)
            return decision.category;
        for (const classify::RankedCategory &ranked : decision.ranking) {
            if (categories.contains(ranked.category) && ranked.confidence >= above)
                return ranked.category;
        }
        return {};
    }
};

double confidenceIn(const classify::CategoryDecision &decision, const QString &category)
{
    for (const classify::RankedCategory &ranked : decision.ranking) {
        if (ranked.category == category)
            return ranked.confidence;
    }
    return category == decision.category ? decision.confidence : 0.0;
}

class ClassifyStep final : public Step {
public:
    ClassifyStep(bot::Template text, std::shared_ptr<const ClassifierSource> source, double threshold, int top,
                 std::optional<LearningSettings> learning, AlwaysPerson alwaysPerson)
        : m_text(std::move(text)), m_source(std::move(source)), m_threshold(threshold), m_top(top),
          m_learning(std::move(learning)), m_alwaysPerson(std::move(alwaysPerson))
    {
    }

    StepOutcome run(StepContext &ctx) const override
    {
        const QString text = ctx.render(m_text);
        const ClassifierSnapshot snapshot = m_source->current();
        const classify::CategoryDecision decision = snapshot.classifier->classify(text);
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
        const bool sure = hasText
                          && (m_learning ? snapshot.learned.passes(decision.category, decision.confidence)
                                         : decision.confidence >= m_threshold);
        // A category people must always see is never acted on alone, nor quality-checked
        // blind: the person sees the bot's ranking.
        const QString mustSee = hasText ? m_alwaysPerson.categoryIn(decision) : QString();
        const bool qualityCheck = sure && mustSee.isEmpty() && m_learning
                                  && inSample(ctx.item().id, ctx.step().id, m_learning->qaSample);
        if (sure && mustSee.isEmpty() && !qualityCheck && !isShadowTrial(ctx))
            return StepOutcome::continueWith(decided);

        HumanRequest request;
        request.fields = {QStringLiteral("category")};
        request.team = ctx.step().team;
        if (hasText && decision.confidence > 0)
            request.proposed = decided;  // the bot's guess, for the bot's escalate rules
        if (isBlindTrial(ctx) || qualityCheck) {
            // A blind trial or a quality check: nothing a person sees may point to the
            // bot's answer, so the categories come in their own order, without confidences.
            request.kind = qualityCheck ? ReasonKind::QualityCheck : ReasonKind::Shadow;
            request.reason = qualityCheck ? QStringLiteral("quality check: a person decides the category")
                                          : QStringLiteral("shadow trial: a person decides the category");
            for (const classify::CategoryDefinition &category : m_source->categories())
                request.choices.append(choiceFor(category.name, {}));
            if (qualityCheck) {
                request.evidence.insert(ShadowSuggestion::qualityCheckKey(), true);
                request.evidence.insert(ShadowSuggestion::blindKey(), true);
                Suggestion{decision.category, decision.confidence, decided}.writeTo(request.evidence);
            }
        } else {
            // The reason reaches logs: a number, never the document's words.
            request.kind = !hasText             ? ReasonKind::Unreadable
                           : !mustSee.isEmpty() ? ReasonKind::AlwaysPerson
                           : sure               ? ReasonKind::Shadow
                                                : ReasonKind::LowConfidence;
            request.reason = !hasText ? QStringLiteral("no text to classify")
                             : !mustSee.isEmpty()
                                 ? QStringLiteral("always a person: %1 (confidence %2)")
                                       .arg(labelOf(mustSee),
                                            QString::number(100.0 * confidenceIn(decision, mustSee), 'f', 1) + QLatin1Char('%'))
                             : sure   ? QStringLiteral("shadow mode: the bot's category waits for a person "
                                                       "(confidence %1)")
                                          .arg(QString::number(100.0 * decision.confidence, 'f', 1) + QLatin1Char('%'))
                             : m_learning && !snapshot.learned.allowsAny() ? stillLearning(snapshot)
                                      : QStringLiteral("not sure of the category (best: %1)")
                                          .arg(QString::number(100.0 * decision.confidence, 'f', 1) + QLatin1Char('%'));
            request.evidence = {{QStringLiteral("best"), decision.category},
                                {QStringLiteral("confidence"), decision.confidence},
                                {QStringLiteral("threshold"), m_learning ? thresholdFor(snapshot, decision.category)
                                                                         : QJsonValue(m_threshold)},
                                {QStringLiteral("reasons"), reasons},
                                {QStringLiteral("ranking"), ranking}};
            if (!mustSee.isEmpty())
                request.evidence.insert(QStringLiteral("always_person"), mustSee);
            // Every category is a choice, best first: the right one may be far down.
            QStringList offered;
            for (const classify::RankedCategory &ranked : decision.ranking) {
                offered.append(ranked.category);
                request.choices.append(choiceFor(ranked.category,
                                                 {{QStringLiteral("confidence"), ranked.confidence},
                                                  {QStringLiteral("reasons"), QJsonArray::fromStringList(ranked.reasons)}}));
            }
            for (const classify::CategoryDefinition &category : m_source->categories()) {
                if (!offered.contains(category.name))
                    request.choices.append(choiceFor(category.name, {}));
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
        for (const classify::CategoryDefinition &category : m_source->categories())
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
    const classify::CategoryDefinition *definitionOf(const QString &category) const
    {
        for (const classify::CategoryDefinition &definition : m_source->categories()) {
            if (definition.name == category)
                return &definition;
        }
        return nullptr;
    }
    QString labelOf(const QString &category) const
    {
        const classify::CategoryDefinition *definition = definitionOf(category);
        return definition && !definition->label.isEmpty() ? definition->label : category;
    }
    QString teamOf(const QString &category) const
    {
        const classify::CategoryDefinition *definition = definitionOf(category);
        return definition ? definition->team : QString();
    }
    // The proven threshold of `category`; null when nothing of it may go through.
    static QJsonValue thresholdFor(const ClassifierSnapshot &snapshot, const QString &category)
    {
        if (!snapshot.learned.perCategory.isEmpty()) {
            const auto it = snapshot.learned.perCategory.constFind(category);
            return it == snapshot.learned.perCategory.cend() ? QJsonValue() : QJsonValue(it.value());
        }
        return snapshot.learned.threshold ? QJsonValue(*snapshot.learned.threshold) : QJsonValue();
    }
    static QString stillLearning(const ClassifierSnapshot &snapshot)
    {
        if (snapshot.learnedInfo.contains(QStringLiteral("suspended")))
            return QStringLiteral("learning: straight-through decisions are suspended (quality checks found the live "
                                  "precision below the target) until a new model proves its threshold");
        if (snapshot.learnedInfo.isEmpty())
            return QStringLiteral("learning: no threshold is proven yet, so a person decides every item");
        return QStringLiteral("learning: %1 answers do not yet prove the threshold (at least %2 right ones are needed)")
            .arg(snapshot.learnedInfo.value(QStringLiteral("answers")).toInteger())
            .arg(snapshot.learnedInfo.value(QStringLiteral("answers_needed")).toInteger());
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
    std::shared_ptr<const ClassifierSource> m_source;
    double m_threshold;
    int m_top;
    std::optional<LearningSettings> m_learning;
    AlwaysPerson m_alwaysPerson;
};

// The keys of the classify step's params block, declared once: the schema lists them
// and createClassifyStep reads them.
struct ClassifyParams {
    // A category key, read by the step itself (the classifier does not know it).
    ParamSpec alwaysPerson = ParamSpec::of(QStringLiteral("always_person"), ValueType::Boolean,
                          QStringLiteral("Never act on this category without a person (e.g. safeguarding): an item goes "
                                         "to a person, with the bot's ranking, whenever this category is its best or "
                                         "its confidence in it reaches always_person_above, however sure the bot is "
                                         "and whatever the learning proves."))
                .withDefault(false);
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
            alwaysPerson,
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
    ParamSpec top = ParamSpec::of(QStringLiteral("top"), ValueType::Integer, QStringLiteral("How many ranked categories to output (a person is offered every category, best first)."))
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
    ParamSpec alwaysPersonAbove = ParamSpec::of(QStringLiteral("always_person_above"), ValueType::Threshold,
                      QStringLiteral("A category marked always_person sends the item to a person when it is the best, "
                                     "or when the bot's confidence in it is at least this (so a near miss is seen too)."))
            .withDefault(0.2);
    ParamSpec learning = learningParamSpec();
    QList<ParamSpec> all() const
    {
        return {text, categories, model, threshold, top, ruleMode, ruleConfidence, alwaysPersonAbove, learning};
    }
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
    const ClassifyParams &keys = classifyParams();

    auto source = std::make_shared<ClassifierSource>(classify::CategoryClassifier::categoriesFromParams(params),
                                                     classify::CategoryClassifier::ruleSettingsFromParams(params),
                                                     bot.baseDir, bot.name, definition.id, keys.model.stringIn(params));
    if (Status started = source->start(); !started)
        return fail(started.error().withContext(where));

    const double threshold = keys.threshold.isIn(params)
                                 ? keys.threshold.numberIn(params)
                                 : bot.thresholds.value(QStringLiteral("classify"), kDefaultThreshold);
    auto text = bot::Template::parse(keys.text.stringIn(params));
    if (!text)
        return fail(text.error().withContext(where));
    AlwaysPerson alwaysPerson{.above = keys.alwaysPersonAbove.numberIn(params)};
    const QJsonObject categories = keys.categories.objectIn(params);
    for (auto it = categories.begin(); it != categories.end(); ++it) {
        if (keys.alwaysPerson.boolIn(it.value().toObject()))
            alwaysPerson.categories.append(it.key());
    }
    return std::make_unique<ClassifyStep>(std::move(*text), std::move(source), threshold, keys.top.intIn(params),
                                          LearningSettings::of(bot, definition), std::move(alwaysPerson));
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
