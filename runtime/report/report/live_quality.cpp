#include "report/live_quality.h"

#include "core/binomial.h"

#include <QJsonObject>

#include <algorithm>

namespace clerk::report {

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

Result<LearningQuality> learningQuality(store::Figures &store, const QList<bot::BotDefinition> &bots, const QString &bot)
{
    LearningQuality quality;
    auto rows = store.livePrecision(bot, {});
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

    auto answered = store.answersPerStep();
    if (!answered)
        return fail(answered.error());
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
    }
    std::stable_sort(quality.progress.begin(), quality.progress.end(),
                     [](const LearningProgress &a, const LearningProgress &b) { return a.bot < b.bot; });
    return quality;
}

} // namespace clerk::report
