// The learning loop of a match step: people's answers to its questions (the candidate
// they picked, or none) re-estimate m and u per field and level and the prior, starting
// from the bot file's values; the challenger is judged against the weights in use on
// answers it did not learn from (match/match_learning.h) and promoted when better. It
// shares the classify step's design (learning_loop.h): versions beside the bot file
// (`<bot>.<step>.model.v<N>`, `.latest`), the events model_promoted and model_refused,
// `clerk model` and `clerk learn`, and one trainer in the cluster under `clerk serve`.
// The bot file is never edited: a step with `learning:` reads `.latest` on every item and
// decides with the weights it names (the bot file's until one is promoted).
//
// A step learns when its params carry `learning:` (see match_step.cpp's schema):
//
//   learning:
//     every: 20          # train a challenger after this many new answers
//     min_answers: 20    # ... once at least this many questions are answered
//     prior_weight: 20   # the bot file's m, u and prior count as this many pairs
//
// Thread-safety: as learning_loop.h: the store is used on the calling thread; call
// learnMatchOnce() off the workers' path.
#pragma once

#include "bot/bot_definition.h"
#include "bot/param_spec.h"
#include "core/error.h"
#include "engine/learning_loop.h"
#include "store/event_log.h"
#include "store/exception_queue.h"

#include <optional>

namespace clerk::engine {

// The `learning` key of the match step's params, declared once.
const bot::ParamSpec &matchLearningParamSpec();

struct MatchLearningSettings {
    int every = 0;
    int minAnswers = 0;
    double priorWeight = 0;

    // The step's `learning:` params; nullopt when the step does not learn.
    static std::optional<MatchLearningSettings> of(const bot::StepDefinition &step);
};

// How many of `stepId`'s questions people answered with a record or "none" and that
// showed candidates: what a challenger learns from.
Result<qsizetype> answeredMatchCount(store::ExceptionQueue &exceptions, const bot::BotDefinition &bot,
                                     const QString &stepId);

// learnOnce() for a match step: trains a challenger when `every` answers arrived since
// the last one (or always with `force`) and at least `min_answers` are known, judges it,
// keeps it as a version and promotes it if better. LearningOutcome::learned holds the
// counts of pairs and the verdict; verdict the MatchVerdict as JSON.
Result<LearningOutcome> learnMatchOnce(store::ExceptionQueue &exceptions, store::EventLog &events,
                                       const bot::BotDefinition &bot, const QString &stepId, const QString &actor,
                                       bool force = false);

} // namespace clerk::engine
