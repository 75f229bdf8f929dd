// The learning loop of a classify step: people's answers become training examples, a
// challenger model is trained on them plus the step's original examples, compared with
// the model in use, and promoted (a new model version and the `.latest` pointer) when
// it is better. The classify step picks up a promoted model without a restart.
//
// A step learns when its params carry `learning:` (see classify_step.cpp's schema):
//
//   learning:
//     examples: examples.csv     # the original labelled texts (relative to the bot file)
//     every: 50                  # train a challenger after this many new answers
//     answer_weight: 3           # an answer counts this many times against an example
//     target_precision: 0.99     # the straight-through precision to prove ...
//     confidence: 0.9            # ... with this confidence (Clopper-Pearson lower bound)
//     qa_sample: 0.03            # share of straight-through items also checked by a person
//
// Answers are the resolved exception items of the step, oldest decision first, labelled
// with the category the person gave and the step's `text` rendered for the item as the
// step saw it. Items that went straight through are never used: nobody confirmed them.
//
// Every challenger is kept as a model version (promoted or not); a promotion is the
// bot event "model_promoted" with the verdict's figures, a refusal "model_refused".
//
// When quality checks show the live precision below the target (the report module's
// alert "live_precision_below_target" fired since the model in use was put in use), the
// next round withdraws that model's thresholds: a copy without them becomes the model in
// use ("model_suspended"), so every item goes to a person until a challenger proves a
// threshold again on answers that include the failed checks.
//
// A match step learns too (match_learning_loop.h): learnOnce() hands it on.
//
// Thread-safety: functions use the store they are given on the calling thread. Training
// takes seconds to minutes: call learnOnce() off the workers' path.
#pragma once

#include "bot/bot_definition.h"
#include "bot/param_spec.h"
#include "core/error.h"
#include "store/event_log.h"
#include "store/exception_queue.h"
#include "store/work_queue.h"

#include <QJsonObject>
#include <QString>

#include <functional>
#include <optional>

namespace clerk::engine {

// The `learning` key of the classify step's params, declared once: the step's schema
// lists it and LearningSettings::of reads it.
const bot::ParamSpec &learningParamSpec();

struct LearningSettings {
    QString examples{};           // absolute path
    int every = 0;
    int answerWeight = 0;
    double targetPrecision = 0;
    double confidence = 0;
    double qaSample = 0;

    // The step's `learning:` params; nullopt when the step does not learn.
    static std::optional<LearningSettings> of(const bot::BotDefinition &bot, const bot::StepDefinition &step);
};

struct AnsweredText {
    QString text{};
    QString category{};
    qint64 exceptionId = 0;
};

// The resolved questions of `bot`'s step `stepId` that `keep` accepts, oldest decision
// first: what both learning loops (classify and match) learn from.
Result<QList<store::ExceptionItem>> resolvedQuestions(store::ExceptionQueue &exceptions, const bot::BotDefinition &bot,
                                                      const QString &stepId,
                                                      const std::function<bool(const store::ExceptionItem &)> &keep);

// People's answers to `stepId`'s questions, oldest decision first. `skipped` counts
// answers without a category or text.
Result<QList<AnsweredText>> answeredTexts(store::ExceptionQueue &exceptions, store::WorkQueue &items,
                                          const bot::BotDefinition &bot, const QString &stepId, int *skipped = nullptr);

// Whether `step` learns from people's answers: a classify or match step with `learning:`.
bool learnsFromAnswers(const bot::BotDefinition &bot, const bot::StepDefinition &step);

// How many answers a learning step has now (classify: answeredTexts; match:
// answeredMatchCount); 0 for a step that does not learn.
Result<qsizetype> answerCount(store::ExceptionQueue &exceptions, store::WorkQueue &items, const bot::BotDefinition &bot,
                              const bot::StepDefinition &step);

// The number of answers the last challenger of `stepId` was trained on (the events
// model_promoted, model_refused and model_rolled_back record it), else `seen`: a refused
// challenger is not retried until `every` more answers arrive.
Result<qsizetype> answersAtLastChallenger(store::EventLog &events, const QString &botName, const QString &stepId,
                                          qsizetype seen);

struct LearningOutcome {
    bool trained = false;       // a challenger was trained
    bool promoted = false;      // ... and is now the model in use
    // A live-precision alert fired since the model in use was put in use: a copy of it
    // without thresholds became the model in use (bot event "model_suspended").
    bool suspended = false;
    qsizetype answers = 0;      // answers known
    qsizetype newAnswers = 0;   // answers the model in use never trained on
    QString modelPath{};        // the challenger's file (when trained)
    QString reason{};           // why it was (not) trained or promoted
    QJsonObject verdict{};      // classify::Verdict as JSON (when trained)
    QJsonObject learned{};      // the challenger's thresholds and figures (when trained)
};

// Trains a challenger when `every` answers arrived since the model in use was trained
// (or always with `force`), judges it, keeps it as a version and promotes it if better.
// For a match step, learnMatchOnce (match_learning_loop.h).
// `actor` names who asked (a worker id, "clerk learn"), for the audit event.
Result<LearningOutcome> learnOnce(store::ExceptionQueue &exceptions, store::WorkQueue &items, store::EventLog &events,
                                  const bot::BotDefinition &bot, const QString &stepId, const QString &actor,
                                  bool force = false);

} // namespace clerk::engine
