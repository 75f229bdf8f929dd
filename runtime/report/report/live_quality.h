// Live quality of learning bots: how precise their straight-through decisions are as
// measured by quality checks (store::LivePrecision), against the target each learning
// step has to hold, and, until enough answers exist, how many more a learning step needs
// before anything can go straight through.
//
// A learning step is a step whose params hold `learning:` (the classify step's; the
// loader has applied the defaults of its keys). Its target_precision, confidence and
// qa_sample are read from the bot definition, since the reports do not depend on the
// engine that runs the step.
//
// A match step with `learning:` learns its weights instead (engine/match_learning_loop.h):
// it has no target to prove, but a number of answers before it trains (min_answers), the
// weights in use (the version `.latest` names beside the bot file) and the verdict on its
// last challenger (the bot events model_promoted and model_refused).
//
// Thread-safety: pure functions, and learningQuality() uses the store given, which
// belongs to the calling thread.
#pragma once

#include "bot/bot_definition.h"
#include "core/error.h"
#include "store/event_log.h"
#include "store/exception_queue.h"
#include "store/figures.h"

#include <QDateTime>
#include <QList>
#include <QString>

#include <algorithm>
#include <concepts>
#include <optional>

namespace clerk::report {

struct LearningStep {
    QString bot{};
    QString stepId{};
    double targetPrecision = 0;   // learning.target_precision
    double confidence = 0;        // learning.confidence
    double qaSample = 0;          // learning.qa_sample: > 0 when the step sends quality checks
};

// The learning steps of `bot`, in step order.
QList<LearningStep> learningSteps(const bot::BotDefinition &bot);

// One bot's live precision.
struct LiveQuality {
    store::LivePrecision all{};                  // over every category
    QList<store::LivePrecision> categories{};    // by category
    // The strictest target_precision of the bot's steps that send quality checks; none
    // when no definition of the bot was given or none of its steps sends them.
    std::optional<double> targetPrecision{};
    // all.lowerBound < targetPrecision (with any checks).
    bool belowTarget() const { return targetPrecision && all.checks > 0 && all.lowerBound < *targetPrecision; }
};

// One learning step's answers so far against the fewest answers, all right, that can prove
// its target at its confidence (answersNeeded(), e.g. 230 for 0.99 at 0.9). Until then
// nothing of the step can go straight through.
struct LearningProgress {
    QString bot{};
    QString stepId{};
    qint64 answered = 0;          // people's answers to the step (resolved exception items)
    qint64 needed = 0;            // -1: never (a target of 1)
    double targetPrecision = 0;
    double confidence = 0;

    // How many more answers are needed; 0 when enough exist (then the model's proof decides).
    qint64 moreNeeded() const { return needed < 0 ? -1 : std::max<qint64>(0, needed - answered); }
};

// The last challenger a match step's learning loop trained (not a promotion by hand):
// the bot event model_promoted or model_refused it recorded.
struct MatchChallengerVerdict {
    QDateTime at{};
    bool promoted = false;
    QString model{};     // the challenger's file name, "<bot>.<step>.model.v<N>"
    qint64 answers = 0;  // the answers it was trained on
    QString reason{};    // the gate's verdict in words
};

// A match step with `learning:`: its answers against the fewest it trains on.
struct MatchLearningProgress {
    QString bot{};
    QString stepId{};
    // People's answers the loop learns from: resolved questions of the step that showed
    // candidates and were answered with a record or "none" (as engine::answeredMatchCount).
    qint64 answered = 0;
    qint64 minAnswers = 0;  // learning.min_answers: no challenger is trained before
    qint64 every = 0;       // learning.every: new answers between two challengers
    // The version `.latest` names (file name and N); empty and 0 when the step uses the
    // bot file's weights. `modelProblem` says why the pointer could not be read.
    QString model{};
    int version = 0;
    QString modelProblem{};
    std::optional<MatchChallengerVerdict> lastChallenger{};

    qint64 moreNeeded() const { return std::max<qint64>(0, minAnswers - answered); }
    // The answers at which the loop trains its next challenger: min_answers, and `every`
    // more than the last challenger learnt from.
    qint64 nextChallengerAt() const
    {
        return std::max<qint64>(minAnswers, (lastChallenger ? lastChallenger->answers : 0) + every);
    }
};

struct LearningQuality {
    QList<LiveQuality> live{};             // bots with answered quality checks, by bot
    QList<LearningProgress> progress{};    // the learning classify steps of the bots given, by bot then step order
    QList<MatchLearningProgress> matches{};  // the learning match steps of the bots given, by bot then step order
};

// The roles learningQuality() and the dashboard read: figures (the answers of match steps
// among them), the exception queue (the alerts' oldest question) and bot events. Converts
// from any store that plays them.
struct LearningStore {
    template <typename Store>
        requires std::derived_from<Store, store::Figures> && std::derived_from<Store, store::ExceptionQueue>
                 && std::derived_from<Store, store::EventLog>
    LearningStore(Store &store)  // NOLINT(google-explicit-constructor): a store is a LearningStore
        : figures(store), exceptions(store), log(store)
    {
    }

    store::Figures &figures;
    store::ExceptionQueue &exceptions;
    store::EventLog &log;
};

// The `learning:` match steps of `bot`, in step order, with their min_answers and every.
struct MatchLearningStep {
    QString stepId{};
    qint64 minAnswers = 0;
    qint64 every = 0;
};
QList<MatchLearningStep> matchLearningSteps(const bot::BotDefinition &bot);

// Live precision of the bots in the store (`bot`: only that one; empty: all), with the
// targets of the bots in `bots`, and the progress of the learning steps of `bots`.
// Errors: the store's (a `.latest` pointer that cannot be read is a row's modelProblem).
Result<LearningQuality> learningQuality(LearningStore store, const QList<bot::BotDefinition> &bots,
                                        const QString &bot = {});

} // namespace clerk::report
