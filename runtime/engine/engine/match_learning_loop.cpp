#include "engine/match_learning_loop.h"

#include "classify/model_files.h"
#include "match/match_learning.h"
#include "match/match_settings.h"

#include <QDateTime>
#include <QFileInfo>

#include <algorithm>

namespace clerk::engine {

namespace {

const bot::StepDefinition *findMatchStep(const bot::BotDefinition &bot, const QString &stepId)
{
    for (const bot::StepDefinition &step : bot.steps) {
        if (step.id == stepId && step.type == QLatin1String("match"))
            return &step;
    }
    return nullptr;
}

// The record a person gave: a picked candidate or typed id, or "none" (picked, or an
// empty record_id typed); empty when the answer names neither.
QString chosenRecord(const store::ExceptionItem &question)
{
    const QString field = QStringLiteral("record_id");
    const QString chosen = question.decision.valueFor(field).trimmed();
    if (!chosen.isEmpty())
        return chosen;
    return question.decision.answered && question.decision.fields.contains(field) ? QStringLiteral("none") : QString();
}

// The step's answered questions that showed candidates, oldest decision first.
Result<QList<match::AnsweredMatch>> answeredMatches(store::ExceptionQueue &exceptions, const bot::BotDefinition &bot,
                                                    const QString &stepId, const match::MatchModel &shape)
{
    auto found = resolvedQuestions(exceptions, bot, stepId,
                                   [](const store::ExceptionItem &exception) { return !chosenRecord(exception).isEmpty(); });
    if (!found)
        return fail(found.error());
    QList<match::AnsweredMatch> answered;
    for (const store::ExceptionItem &question : std::as_const(*found)) {
        match::AnsweredMatch one = match::answeredMatchFromEvidence(shape, question.evidence, chosenRecord(question));
        if (!one.candidates.isEmpty())
            answered.append(std::move(one));
    }
    return answered;
}

struct MatchTarget {
    const bot::StepDefinition *step = nullptr;
    MatchLearningSettings learning;
    match::MatchSettings settings;
    bool noMatchGoesOn = true;
};

Result<MatchTarget> matchTarget(const bot::BotDefinition &bot, const QString &stepId)
{
    const bot::StepDefinition *step = findMatchStep(bot, stepId);
    if (!step)
        return fail(Error::notFound(QStringLiteral("bot %1 has no match step %2").arg(bot.name, stepId)));
    const std::optional<MatchLearningSettings> learning = MatchLearningSettings::of(*step);
    if (!learning)
        return fail(Error::invalidArgument(QStringLiteral("step %1 of bot %2 has no `learning:` params").arg(stepId, bot.name)));
    auto settings = match::MatchSettings::fromParams(step->params, bot.thresholds);
    if (!settings)
        return fail(settings.error().withContext(QStringLiteral("step %1").arg(stepId)));
    const bool goesOn = step->params.value(QStringLiteral("on_no_match")).toString() != QLatin1String("needs_human");
    return MatchTarget{step, *learning, std::move(*settings), goesOn};
}

// The weights in use and how many answers they learnt from: the version `.latest` names
// when it fits the step, else the bot file's (which the step then uses too).
struct Champion {
    match::MatchModel model;
    qsizetype saw = 0;
};

Result<Champion> championOf(const bot::BotDefinition &bot, const QString &stepId, const match::MatchModel &start)
{
    auto path = classify::latestModelPath(bot.baseDir, bot.name, stepId);
    if (!path)
        return fail(path.error());
    if (path->isEmpty())
        return Champion{start, 0};
    auto loaded = match::loadLearnedModel(*path, start);
    if (!loaded) {
        if (loaded.error().code() == ErrorCode::InvalidArgument)
            return Champion{start, 0};
        return fail(loaded.error());
    }
    return Champion{loaded->model, loaded->info.value(QStringLiteral("answers_from_people")).toInteger()};
}

} // namespace

// The keys' defaults. They are not declared as the keys' defaults: an absent object
// whose keys all have defaults reads as written (bot/spec_validator), and then every
// match step would learn.
constexpr int kDefaultEvery = 20;
constexpr int kDefaultMinAnswers = 20;
constexpr int kDefaultPriorWeight = 20;

const bot::ParamSpec &matchLearningParamSpec()
{
    using bot::ParamSpec;
    using bot::ValueType;
    static const ParamSpec spec = ParamSpec::object(
        QStringLiteral("learning"),
        {
            ParamSpec::of(QStringLiteral("every"), ValueType::Integer,
                          QStringLiteral("Train a challenger after this many new answers. Default: %1.").arg(kDefaultEvery))
                .withRange(1, 100000),
            ParamSpec::of(QStringLiteral("min_answers"), ValueType::Integer,
                          QStringLiteral("Train none before people have answered this many of the step's questions. "
                                         "Default: %1.")
                              .arg(kDefaultMinAnswers))
                .withRange(1, 100000),
            ParamSpec::of(QStringLiteral("prior_weight"), ValueType::Integer,
                          QStringLiteral("How many candidate pairs the bot file's m, u and prior count as against "
                                         "people's answers: with few answers the weights stay near the bot file's. "
                                         "Default: %1.")
                              .arg(kDefaultPriorWeight))
                .withRange(1, 100000),
        },
        QStringLiteral("Learn from people's answers: re-estimate m, u and the prior from the candidates they picked "
                       "or turned down, and use the new weights when, on answers they did not learn from, they decide "
                       "more questions right without a person and none more wrong (`clerk learn`, `clerk model`). "
                       "The bot file is not changed; `learning: {}` learns with the defaults."));
    return spec;
}

std::optional<MatchLearningSettings> MatchLearningSettings::of(const bot::StepDefinition &step)
{
    const bot::ParamSpec &spec = matchLearningParamSpec();
    if (step.type != QLatin1String("match") || !spec.isIn(step.params))
        return std::nullopt;
    const QJsonObject learning = spec.objectIn(step.params);
    MatchLearningSettings settings;
    settings.every = learning.value(QStringLiteral("every")).toInt(kDefaultEvery);
    settings.minAnswers = learning.value(QStringLiteral("min_answers")).toInt(kDefaultMinAnswers);
    settings.priorWeight = learning.value(QStringLiteral("prior_weight")).toInt(kDefaultPriorWeight);
    return settings;
}

Result<qsizetype> answeredMatchCount(store::ExceptionQueue &exceptions, const bot::BotDefinition &bot,
                                     const QString &stepId)
{
    auto target = matchTarget(bot, stepId);
    if (!target)
        return fail(target.error());
    auto answered = answeredMatches(exceptions, bot, stepId, target->settings.model);
    if (!answered)
        return fail(answered.error());
    return answered->size();
}

Result<LearningOutcome> learnMatchOnce(store::ExceptionQueue &exceptions, store::EventLog &events,
                                       const bot::BotDefinition &bot, const QString &stepId, const QString &actor,
                                       bool force)
{
    auto target = matchTarget(bot, stepId);
    if (!target)
        return fail(target.error());
    const match::MatchModel &start = target->settings.model;
    auto questions = answeredMatches(exceptions, bot, stepId, start);
    if (!questions)
        return fail(questions.error());
    auto champion = championOf(bot, stepId, start);
    if (!champion)
        return fail(champion.error());

    LearningOutcome outcome;
    outcome.answers = questions->size();
    outcome.newAnswers = std::max<qsizetype>(0, questions->size() - champion->saw);
    auto lastTrained = answersAtLastChallenger(events, bot.name, stepId, champion->saw);
    if (!lastTrained)
        return fail(lastTrained.error());
    const qsizetype sinceLast = std::max<qsizetype>(0, questions->size() - *lastTrained);
    if (!force && sinceLast < target->learning.every) {
        outcome.reason = QStringLiteral("%1 answers since the last challenger; one is trained after %2")
                             .arg(sinceLast)
                             .arg(target->learning.every);
        return outcome;
    }
    if (questions->size() < target->learning.minAnswers) {
        outcome.reason = QStringLiteral("%1 answered questions; learning starts at %2")
                             .arg(questions->size())
                             .arg(target->learning.minAnswers);
        return outcome;
    }

    match::MatchLearningOptions options;
    options.thresholds = target->settings.thresholds;
    options.maxCandidates = target->settings.maxCandidates;
    options.noMatchGoesOn = target->noMatchGoesOn;
    options.priorWeight = target->learning.priorWeight;
    const match::MatchChallenger challenger =
        match::trainAndJudge(start, champion->model, *questions, champion->saw, options);
    const match::MatchVerdict &verdict = challenger.verdict;

    outcome.trained = true;
    outcome.promoted = verdict.promote;
    outcome.reason = verdict.reason;
    outcome.verdict = verdict.toJson();
    outcome.learned = {{QStringLiteral("verdict"), outcome.verdict},
                       {QStringLiteral("promoted"), verdict.promote},
                       {QStringLiteral("pairs"), challenger.pairs},
                       {QStringLiteral("matching_pairs"), challenger.matchingPairs},
                       {QStringLiteral("prior_weight"), options.priorWeight}};
    const QJsonObject info{{QStringLiteral("trained_at"), QDateTime::currentDateTimeUtc().toString(Qt::ISODate)},
                           {QStringLiteral("answers_from_people"), static_cast<double>(questions->size())},
                           {QStringLiteral("step_type"), QStringLiteral("match")}};
    outcome.modelPath = classify::nextModelPath(bot.baseDir, bot.name, stepId);
    if (Status saved = match::saveLearnedModel(outcome.modelPath, {challenger.model, info, outcome.learned}); !saved)
        return fail(saved.error());
    if (verdict.promote) {
        if (Status pointed = classify::writeLatestPointer(bot.baseDir, bot.name, stepId, outcome.modelPath); !pointed)
            return fail(pointed.error());
    }
    const QJsonObject detail{{QStringLiteral("step"), stepId},
                             {QStringLiteral("model"), QFileInfo(outcome.modelPath).fileName()},
                             {QStringLiteral("answers"), static_cast<double>(outcome.answers)},
                             {QStringLiteral("reason"), verdict.reason},
                             {QStringLiteral("verdict"), outcome.verdict}};
    if (Status recorded = events.recordBotEvent(
            bot.name, verdict.promote ? QStringLiteral("model_promoted") : QStringLiteral("model_refused"), actor, detail);
        !recorded)
        return fail(recorded.error());
    return outcome;
}

} // namespace clerk::engine
