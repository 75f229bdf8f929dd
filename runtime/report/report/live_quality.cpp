#include "report/live_quality.h"

#include "classify/model_files.h"
#include "core/binomial.h"
#include "match/match_evidence.h"

#include <QFileInfo>
#include <QHash>
#include <QJsonObject>
#include <QMap>
#include <QRegularExpression>

#include <algorithm>

namespace clerk::report {

namespace {

// min_answers and every when the step's `learning:` leaves them out: the match learning
// loop's defaults (engine/match_learning_loop.cpp, kDefaultMinAnswers and kDefaultEvery),
// which the loader does not write into the params.
constexpr qint64 kDefaultMatchMinAnswers = 20;
constexpr qint64 kDefaultMatchEvery = 20;

// Per step of `botName`, how many resolved questions the match learning loop learns from:
// answered with a record (picked or typed) or with "none" (an empty record_id typed), and
// showing candidates. The same rule as the loop's chosenRecord() and answeredMatches(),
// counted in the database; tests/report holds the two to the same count.
Result<QHash<QString, qint64>> matchAnswersPerStep(store::Figures &figures, const QString &botName)
{
    const QString recordId = QStringLiteral("record_id");
    auto answered = figures.answersWithList(
        botName, store::AnswersWithList{.field = recordId, .listKey = match::candidatesKey(), .entryKey = recordId});
    if (!answered)
        return fail(answered.error());
    QHash<QString, qint64> counts;
    for (const store::StepAnswers &step : *answered)
        counts.insert(step.stepId, step.answered);
    return counts;
}

// The weights `.latest` names for the step, or why they could not be read.
void readModelInUse(const bot::BotDefinition &bot, MatchLearningProgress &progress)
{
    if (bot.baseDir.isEmpty())
        return;
    auto latest = classify::latestModelPath(bot.baseDir, bot.name, progress.stepId);
    if (!latest) {
        progress.modelProblem = latest.error().message();
        return;
    }
    if (latest->isEmpty())
        return;
    progress.model = QFileInfo(*latest).fileName();
    static const QRegularExpression versioned(QStringLiteral("\\.v(\\d+)$"));
    const QRegularExpressionMatch found = versioned.match(progress.model);
    progress.version = found.hasMatch() ? found.captured(1).toInt() : 0;
}

// The last challenger of each step among `events` (oldest first): the loop's verdicts
// carry "verdict"; a promotion by hand (`clerk model promote`) does not and is no challenger.
QHash<QString, MatchChallengerVerdict> lastChallengers(const QList<store::Event> &events)
{
    QHash<QString, MatchChallengerVerdict> last;
    for (const store::Event &event : events) {
        if (!event.detail.contains(QStringLiteral("verdict")))
            continue;
        last.insert(event.detail.value(QStringLiteral("step")).toString(),
                    MatchChallengerVerdict{.at = event.at,
                                           .promoted = event.kind == QLatin1String("model_promoted"),
                                           .model = event.detail.value(QStringLiteral("model")).toString(),
                                           .answers = static_cast<qint64>(event.detail.value(QStringLiteral("answers")).toDouble()),
                                           .reason = event.detail.value(QStringLiteral("reason")).toString()});
    }
    return last;
}

// The learning match steps of `bot` with their answers, weights in use and last verdict.
Result<QList<MatchLearningProgress>> matchProgress(LearningStore &store, const bot::BotDefinition &bot)
{
    const QList<MatchLearningStep> steps = matchLearningSteps(bot);
    if (steps.isEmpty())
        return QList<MatchLearningProgress>{};
    auto answered = matchAnswersPerStep(store.figures, bot.name);
    if (!answered)
        return fail(answered.error());
    auto events = store.log.botEvents(bot.name, {QStringLiteral("model_promoted"), QStringLiteral("model_refused")}, {});
    if (!events)
        return fail(events.error());
    const QHash<QString, MatchChallengerVerdict> verdicts = lastChallengers(*events);
    QList<MatchLearningProgress> rows;
    for (const MatchLearningStep &step : steps) {
        MatchLearningProgress progress{.bot = bot.name,
                                       .stepId = step.stepId,
                                       .answered = answered->value(step.stepId),
                                       .minAnswers = step.minAnswers,
                                       .every = step.every};
        readModelInUse(bot, progress);
        if (verdicts.contains(step.stepId))
            progress.lastChallenger = verdicts.value(step.stepId);
        rows.append(std::move(progress));
    }
    return rows;
}

} // namespace

QList<LearningStep> learningSteps(const bot::BotDefinition &bot)
{
    QList<LearningStep> steps;
    for (const bot::StepDefinition &step : bot.steps) {
        const QJsonObject learning = step.params.value(QStringLiteral("learning")).toObject();
        // The loader applies the keys' defaults: a block without its target is not one.
        if (!learning.contains(QStringLiteral("target_precision")) || !learning.contains(QStringLiteral("confidence")))
            continue;
        steps.append(LearningStep{.bot = bot.name,
                                  .stepId = step.id,
                                  .targetPrecision = learning.value(QStringLiteral("target_precision")).toDouble(),
                                  .confidence = learning.value(QStringLiteral("confidence")).toDouble(),
                                  .qaSample = learning.value(QStringLiteral("qa_sample")).toDouble()});
    }
    return steps;
}

QList<MatchLearningStep> matchLearningSteps(const bot::BotDefinition &bot)
{
    QList<MatchLearningStep> steps;
    for (const bot::StepDefinition &step : bot.steps) {
        // As the loop reads it: a `learning` key on a match step, its keys optional.
        if (step.type != QLatin1String("match") || !step.params.contains(QStringLiteral("learning")))
            continue;
        const QJsonObject learning = step.params.value(QStringLiteral("learning")).toObject();
        steps.append(MatchLearningStep{
            .stepId = step.id,
            .minAnswers = learning.value(QStringLiteral("min_answers")).toInteger(kDefaultMatchMinAnswers),
            .every = learning.value(QStringLiteral("every")).toInteger(kDefaultMatchEvery)});
    }
    return steps;
}

Result<LearningQuality> learningQuality(LearningStore store, const QList<bot::BotDefinition> &bots, const QString &bot)
{
    LearningQuality quality;
    auto rows = store.figures.livePrecision(bot, {});
    if (!rows)
        return fail(rows.error());
    for (const store::LivePrecision &row : *rows) {
        if (row.category.isEmpty()) {
            quality.live.append(LiveQuality{.all = row});
            for (const bot::BotDefinition &definition : bots) {
                if (definition.name != row.bot)
                    continue;
                for (const LearningStep &step : learningSteps(definition)) {
                    if (step.qaSample > 0)
                        quality.live.last().targetPrecision =
                            std::max(quality.live.last().targetPrecision.value_or(0.0), step.targetPrecision);
                }
            }
        } else if (!quality.live.isEmpty() && quality.live.last().all.bot == row.bot) {
            quality.live.last().categories.append(row);
        }
    }

    auto answered = store.figures.answersPerStep();
    if (!answered)
        return fail(answered.error());
    QMap<QString, QList<MatchLearningProgress>> matchesByBot;  // by bot, each in step order
    for (const bot::BotDefinition &definition : bots) {
        if (!bot.isEmpty() && definition.name != bot)
            continue;
        for (const LearningStep &step : learningSteps(definition)) {
            LearningProgress progress{.bot = step.bot,
                                      .stepId = step.stepId,
                                      .needed = answersNeeded(step.targetPrecision, step.confidence),
                                      .targetPrecision = step.targetPrecision,
                                      .confidence = step.confidence};
            for (const store::StepAnswers &found : *answered) {
                if (found.bot == step.bot && found.stepId == step.stepId)
                    progress.answered = found.answered;
            }
            quality.progress.append(progress);
        }
        auto matches = matchProgress(store, definition);
        if (!matches)
            return fail(matches.error());
        matchesByBot[definition.name].append(*matches);
    }
    for (const QList<MatchLearningProgress> &botRows : std::as_const(matchesByBot))
        quality.matches.append(botRows);
    std::stable_sort(quality.progress.begin(), quality.progress.end(),
                     [](const LearningProgress &a, const LearningProgress &b) { return a.bot < b.bot; });
    return quality;
}

} // namespace clerk::report
