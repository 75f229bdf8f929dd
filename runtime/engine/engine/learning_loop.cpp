#include "engine/learning_loop.h"

#include "engine/match_learning_loop.h"
#include "engine/step.h"

#include "bot/template.h"
#include "classify/classifier_model.h"
#include "classify/example_set.h"
#include "classify/learning.h"
#include "classify/model_files.h"

#include <QDir>
#include <QFileInfo>

#include <algorithm>

namespace clerk::engine {

namespace {

// The alert rule report/alerts.h fires when quality checks show the live precision of a
// step below its target (its kLivePrecisionRule).
const QString kLivePrecisionAlert = QStringLiteral("live_precision_below_target");

const bot::StepDefinition *findStep(const bot::BotDefinition &bot, const QString &stepId, int *index = nullptr)
{
    for (qsizetype i = 0; i < bot.steps.size(); ++i) {
        if (bot.steps[i].id == stepId) {
            if (index)
                *index = static_cast<int>(i);
            return &bot.steps[i];
        }
    }
    return nullptr;
}

QString categoryOf(const store::ExceptionItem &exception)
{
    return exception.decision.valueFor(QStringLiteral("category")).trimmed();
}

} // namespace

const bot::ParamSpec &learningParamSpec()
{
    using bot::ParamSpec;
    using bot::ValueType;
    static const ParamSpec spec = ParamSpec::object(
        QStringLiteral("learning"),
        {
            ParamSpec::of(QStringLiteral("examples"), ValueType::Path,
                          QStringLiteral("The original labelled examples (a CSV with category and text, or a folder of "
                                         "category folders), relative to the bot file; every challenger trains on them "
                                         "plus people's answers."),
                          true),
            ParamSpec::of(QStringLiteral("every"), ValueType::Integer,
                          QStringLiteral("Train a challenger after this many new answers."))
                .withDefault(50)
                .withRange(1, 100000),
            ParamSpec::of(QStringLiteral("answer_weight"), ValueType::Integer,
                          QStringLiteral("How many times a person's answer counts against an original example."))
                .withDefault(3)
                .withRange(1, 100),
            ParamSpec::of(QStringLiteral("target_precision"), ValueType::Threshold,
                          QStringLiteral("The share of straight-through decisions that must be right, proven on "
                                         "people's answers (a one-sided Clopper-Pearson lower bound)."))
                .withDefault(0.99),
            ParamSpec::of(QStringLiteral("confidence"), ValueType::Threshold,
                          QStringLiteral("How sure the proof must be: the lower bound holds with this probability. "
                                         "Until enough answers prove it, every item goes to a person."))
                .withDefault(0.9),
            ParamSpec::of(QStringLiteral("qa_sample"), ValueType::Threshold,
                          QStringLiteral("The share of straight-through decisions also given to a person, with the "
                                         "bot's answer hidden, to measure live precision."))
                .withDefault(0.0),
        },
        QStringLiteral("Learn from people's answers: retrain the model, prove its threshold on the answers, and "
                       "promote it when it beats the model in use (`clerk learn`, `clerk model`)."));
    return spec;
}

std::optional<LearningSettings> LearningSettings::of(const bot::BotDefinition &bot, const bot::StepDefinition &step)
{
    const bot::ParamSpec &spec = learningParamSpec();
    if (!spec.isIn(step.params))
        return std::nullopt;
    const QJsonObject learning = spec.objectIn(step.params);
    LearningSettings settings;
    const QString examples = spec.field(QStringLiteral("examples")).stringIn(learning);
    if (!examples.isEmpty())
        settings.examples = QDir::cleanPath(QDir(bot.baseDir).absoluteFilePath(examples));
    settings.every = spec.field(QStringLiteral("every")).intIn(learning);
    settings.answerWeight = spec.field(QStringLiteral("answer_weight")).intIn(learning);
    settings.targetPrecision = spec.field(QStringLiteral("target_precision")).numberIn(learning);
    settings.confidence = spec.field(QStringLiteral("confidence")).numberIn(learning);
    settings.qaSample = spec.field(QStringLiteral("qa_sample")).numberIn(learning);
    return settings;
}

namespace {

// The step's answered questions that name a category, oldest decision first (no item is
// read: counting them is cheap).
Result<QList<store::ExceptionItem>> answeredQuestions(store::ExceptionQueue &exceptions, const bot::BotDefinition &bot,
                                                      const QString &stepId, int *skipped)
{
    return resolvedQuestions(exceptions, bot, stepId, [skipped](const store::ExceptionItem &exception) {
        if (!categoryOf(exception).isEmpty())
            return true;
        if (skipped)
            ++*skipped;
        return false;
    });
}

// The texts of `questions` as the step saw them.
Result<QList<AnsweredText>> render(store::WorkQueue &items, const bot::BotDefinition &bot, const QString &stepId,
                                   const QList<store::ExceptionItem> &questions, int *skipped)
{
    int stepIndex = 0;
    const bot::StepDefinition *step = findStep(bot, stepId, &stepIndex);
    if (!step)
        return fail(Error::notFound(QStringLiteral("bot %1 has no step %2").arg(bot.name, stepId)));
    // The loader has applied the step's default text, so the key is always there.
    auto text = bot::Template::parse(step->params.value(QStringLiteral("text")).toString());
    if (!text)
        return fail(text.error());
    QList<AnsweredText> answers;
    for (const store::ExceptionItem &question : questions) {
        auto item = items.item(question.itemId);
        if (!item)
            return fail(item.error());
        StepContext ctx(*item, bot, stepIndex, true, {}, {});
        const QString rendered = ctx.render(*text);
        if (rendered.trimmed().isEmpty()) {
            if (skipped)
                ++*skipped;
            continue;
        }
        answers.append({rendered, categoryOf(question), question.id});
    }
    return answers;
}

// True when a live-precision alert for `stepId` fired after the model in use was put in
// use (promoted, rolled back to, or suspended): its proven threshold no longer holds.
Result<bool> alertSinceInUse(store::EventLog &events, const QString &botName, const QString &stepId)
{
    auto history = events.botEvents(botName,
                                    {QStringLiteral("model_promoted"), QStringLiteral("model_rolled_back"),
                                     QStringLiteral("model_suspended"), QStringLiteral("alert_fired")},
                                    {});
    if (!history)
        return fail(history.error());
    bool alert = false;
    for (const store::Event &event : *history) {
        if (event.detail.value(QStringLiteral("step")).toString() != stepId)
            continue;
        if (event.kind == QLatin1String("alert_fired"))
            alert = alert || event.detail.value(QStringLiteral("rule")).toString() == kLivePrecisionAlert;
        else
            alert = false;
    }
    return alert;
}

} // namespace

Result<QList<store::ExceptionItem>> resolvedQuestions(store::ExceptionQueue &exceptions, const bot::BotDefinition &bot,
                                                      const QString &stepId,
                                                      const std::function<bool(const store::ExceptionItem &)> &keep)
{
    QList<store::ExceptionItem> found;
    store::ExceptionFilter filter;
    filter.bot = bot.name;
    filter.state = store::ExceptionState::Resolved;
    Status read = store::forEachException(exceptions, filter, [&](const store::ExceptionItem &exception) -> Status {
        if (exception.stepId == stepId && keep(exception))
            found.append(exception);
        return {};
    });
    if (!read)
        return fail(read.error());
    std::sort(found.begin(), found.end(), [](const store::ExceptionItem &a, const store::ExceptionItem &b) {
        return a.decidedAt != b.decidedAt ? a.decidedAt < b.decidedAt : a.id < b.id;
    });
    return found;
}

Result<QList<AnsweredText>> answeredTexts(store::ExceptionQueue &exceptions, store::WorkQueue &items,
                                          const bot::BotDefinition &bot, const QString &stepId, int *skipped)
{
    auto questions = answeredQuestions(exceptions, bot, stepId, skipped);
    if (!questions)
        return fail(questions.error());
    return render(items, bot, stepId, *questions, skipped);
}

bool learnsFromAnswers(const bot::BotDefinition &bot, const bot::StepDefinition &step)
{
    if (step.type == QLatin1String("classify"))
        return LearningSettings::of(bot, step).has_value();
    return MatchLearningSettings::of(step).has_value();
}

Result<qsizetype> answerCount(store::ExceptionQueue &exceptions, store::WorkQueue &items, const bot::BotDefinition &bot,
                              const bot::StepDefinition &step)
{
    if (!learnsFromAnswers(bot, step))
        return 0;
    if (step.type == QLatin1String("match"))
        return answeredMatchCount(exceptions, bot, step.id);
    auto answers = answeredTexts(exceptions, items, bot, step.id);
    if (!answers)
        return fail(answers.error());
    return answers->size();
}

Result<qsizetype> answersAtLastChallenger(store::EventLog &events, const QString &botName, const QString &stepId,
                                          qsizetype seen)
{
    auto trained = events.botEvents(
        botName, {QStringLiteral("model_promoted"), QStringLiteral("model_refused"), QStringLiteral("model_rolled_back")}, {});
    if (!trained)
        return fail(trained.error());
    qsizetype lastTrained = seen;
    for (const store::Event &event : *trained) {
        if (event.detail.value(QStringLiteral("step")).toString() == stepId && event.detail.contains(QStringLiteral("answers")))
            lastTrained = static_cast<qsizetype>(event.detail.value(QStringLiteral("answers")).toDouble());
    }
    return lastTrained;
}

Result<LearningOutcome> learnOnce(store::ExceptionQueue &exceptions, store::WorkQueue &items, store::EventLog &events,
                                  const bot::BotDefinition &bot, const QString &stepId, const QString &actor, bool force)
{
    const bot::StepDefinition *step = findStep(bot, stepId);
    if (!step)
        return fail(Error::notFound(QStringLiteral("bot %1 has no step %2").arg(bot.name, stepId)));
    if (step->type == QLatin1String("match"))
        return learnMatchOnce(exceptions, events, bot, stepId, actor, force);
    const std::optional<LearningSettings> settings = LearningSettings::of(bot, *step);
    if (!settings)
        return fail(Error::invalidArgument(QStringLiteral("step %1 of bot %2 has no `learning:` params").arg(stepId, bot.name)));

    auto questions = answeredQuestions(exceptions, bot, stepId, nullptr);
    if (!questions)
        return fail(questions.error());
    auto championPath = classify::latestModelPath(bot.baseDir, bot.name, stepId);
    if (!championPath)
        return fail(championPath.error());
    std::optional<classify::ClassifierModel> champion;
    if (!championPath->isEmpty()) {
        auto loaded = classify::ClassifierModel::load(*championPath);
        if (!loaded)
            return fail(loaded.error());
        champion = std::move(*loaded);
    }
    LearningOutcome outcome;
    // Quality checks say the model in use is wrong more often than its proof allowed:
    // its thresholds are withdrawn (a copy without them becomes the model in use), so
    // every item goes to a person until a challenger proves a threshold again, on
    // answers that now include the failed checks.
    if (champion && classify::ThresholdSet::fromJson(champion->learned()).allowsAny()) {
        auto alerted = alertSinceInUse(events, bot.name, stepId);
        if (!alerted)
            return fail(alerted.error());
        if (*alerted) {
            QJsonObject learned = champion->learned();
            learned.remove(QStringLiteral("threshold"));
            learned.remove(QStringLiteral("per_category"));
            learned.insert(QStringLiteral("suspended"),
                           QJsonObject{{QStringLiteral("reason"), QStringLiteral("live precision below the target")},
                                       {QStringLiteral("from"), QFileInfo(*championPath).fileName()}});
            champion->setLearned(learned);
            const QString path = classify::nextModelPath(bot.baseDir, bot.name, stepId);
            if (Status saved = champion->save(path); !saved)
                return fail(saved.error());
            if (Status pointed = classify::writeLatestPointer(bot.baseDir, bot.name, stepId, path); !pointed)
                return fail(pointed.error());
            if (Status recorded = events.recordBotEvent(
                    bot.name, QStringLiteral("model_suspended"), actor,
                    {{QStringLiteral("step"), stepId},
                     {QStringLiteral("model"), QFileInfo(path).fileName()},
                     {QStringLiteral("from"), QFileInfo(*championPath).fileName()},
                     {QStringLiteral("reason"), QStringLiteral("live precision below the target")}});
                !recorded)
                return fail(recorded.error());
            outcome.suspended = true;
            *championPath = path;
        }
    }
    outcome.answers = questions->size();
    const qsizetype seen = champion ? champion->info().value(QStringLiteral("answers_from_people")).toInt() : 0;
    outcome.newAnswers = std::max<qsizetype>(0, questions->size() - seen);
    auto lastTrained = answersAtLastChallenger(events, bot.name, stepId, seen);
    if (!lastTrained)
        return fail(lastTrained.error());
    const qsizetype sinceLast = std::max<qsizetype>(0, questions->size() - *lastTrained);
    if (!force && sinceLast < settings->every) {
        outcome.reason = QStringLiteral("%1 answers since the last challenger; one is trained after %2").arg(sinceLast).arg(settings->every);
        return outcome;
    }

    auto answers = render(items, bot, stepId, *questions, nullptr);
    if (!answers)
        return fail(answers.error());
    outcome.answers = answers->size();

    QList<classify::LabelledText> examples;
    if (!settings->examples.isEmpty()) {
        auto set = classify::loadExamples(settings->examples);
        if (!set)
            return fail(set.error().withContext(QStringLiteral("learning.examples")));
        examples = std::move(set->examples);
    }
    QList<classify::LabelledText> taught;
    for (const AnsweredText &answer : *answers)
        taught.append({answer.text, answer.category, QStringLiteral("exception item %1").arg(answer.exceptionId)});

    classify::LearningOptions options;
    options.targetPrecision = settings->targetPrecision;
    options.confidence = settings->confidence;
    options.answerWeight = settings->answerWeight;
    options.training.balanceCategories = true;
    auto challenger = classify::trainChallenger(examples, taught, options);
    if (!challenger)
        return fail(challenger.error());
    const classify::Verdict verdict = classify::judge(champion ? &*champion : nullptr, *challenger, taught, settings->targetPrecision);
    QJsonObject learned = challenger->model.learned();
    learned.insert(QStringLiteral("verdict"), verdict.toJson());
    learned.insert(QStringLiteral("promoted"), verdict.promote);
    challenger->model.setLearned(learned);

    outcome.trained = true;
    outcome.promoted = verdict.promote;
    outcome.reason = verdict.reason;
    outcome.verdict = verdict.toJson();
    outcome.learned = learned;
    outcome.modelPath = classify::nextModelPath(bot.baseDir, bot.name, stepId);
    if (Status saved = challenger->model.save(outcome.modelPath); !saved)
        return fail(saved.error());
    if (verdict.promote) {
        if (Status pointed = classify::writeLatestPointer(bot.baseDir, bot.name, stepId, outcome.modelPath); !pointed)
            return fail(pointed.error());
    }
    QJsonObject detail{{QStringLiteral("step"), stepId},
                       {QStringLiteral("model"), QFileInfo(outcome.modelPath).fileName()},
                       {QStringLiteral("answers"), static_cast<double>(outcome.answers)},
                       {QStringLiteral("reason"), verdict.reason},
                       {QStringLiteral("verdict"), outcome.verdict}};
    if (Status recorded = events.recordBotEvent(bot.name, verdict.promote ? QStringLiteral("model_promoted")
                                                                          : QStringLiteral("model_refused"),
                                                actor, detail);
        !recorded)
        return fail(recorded.error());
    return outcome;
}

} // namespace clerk::engine
