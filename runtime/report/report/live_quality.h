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
// Thread-safety: pure functions, and liveQuality() uses the store given, which belongs
// to the calling thread.
#pragma once

#include "bot/bot_definition.h"
#include "core/error.h"
#include "store/figures.h"

#include <QList>
#include <QString>

#include <algorithm>
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

struct LearningQuality {
    QList<LiveQuality> live{};             // bots with answered quality checks, by bot
    QList<LearningProgress> progress{};    // the learning steps of the bots given, by bot then step order
};

// Live precision of the bots in the store (`bot`: only that one; empty: all), with the
// targets of the bots in `bots`, and the progress of the learning steps of `bots`.
// Errors: the store's.
Result<LearningQuality> learningQuality(store::Figures &store, const QList<bot::BotDefinition> &bots,
                                        const QString &bot = {});

} // namespace clerk::report
