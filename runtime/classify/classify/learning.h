// Learning from the post room: a challenger model trained on the original examples plus
// people's answers, its thresholds proven on those answers, and the rule that decides
// whether it replaces the model in use (the champion).
//
// The challenger trains on every example and every answer (answers count
// `answerWeight` times: they are real letters, the examples are not). Its thresholds
// are chosen (selective_threshold.h) on the answers' out-of-fold predictions, so every
// answer is scored by a model that never trained on it.
//
// judge() compares the two on the answers the champion never trained on (those that
// arrived after it was trained; the challenger's scores there are out of fold too):
// the challenger is promoted when it sends more of them straight through without
// falling below the target (or the champion's precision, if lower), or when it is more
// accurate while sending as many through. Without a champion it is promoted.
//
// Thread-safety: pure functions; training takes seconds to minutes and belongs off the
// workers' path.
#pragma once

#include "classify/classifier_model.h"
#include "classify/selective_threshold.h"
#include "core/error.h"

#include <QJsonObject>
#include <QList>

#include <optional>

namespace clerk::classify {

struct LearningOptions {
    double targetPrecision = 0.99;  // straight-through precision to prove
    double confidence = 0.9;        // ... with this confidence (one-sided)
    int answerWeight = 3;           // how many times an answer counts against an example
    TrainingOptions training{};     // folds must be >= 2: thresholds need out-of-fold scores
};

struct Challenger {
    ClassifierModel model;            // learned() holds `thresholds` and the figures below
    ThresholdSet thresholds{};
    QList<ScoredAnswer> scored{};     // every answer's out-of-fold score, in answer order
    double accuracy = 0;              // out of fold, on the answers
};

// `answers` in the order people gave them; each is marked fromPeople and weighted here.
Result<Challenger> trainChallenger(const QList<LabelledText> &examples, const QList<LabelledText> &answers,
                                   const LearningOptions &options);

// How a model with its thresholds does on a set of answers.
struct Standing {
    qsizetype items = 0;
    qsizetype right = 0;          // best category == answer
    qsizetype through = 0;        // would have gone straight through
    qsizetype throughRight = 0;
    double accuracy() const { return items ? static_cast<double>(right) / static_cast<double>(items) : 0.0; }
    double share() const { return items ? static_cast<double>(through) / static_cast<double>(items) : 0.0; }
    double precision() const { return through ? static_cast<double>(throughRight) / static_cast<double>(through) : 1.0; }
    QJsonObject toJson() const;
};

Standing standingOf(const QList<ScoredAnswer> &scored, const ThresholdSet &thresholds);

// The champion's own scores on answers (the model in use decides them as the step would,
// without rules).
QList<ScoredAnswer> scoreAnswers(const ClassifierModel &model, const QList<LabelledText> &answers);

struct Verdict {
    bool promote = false;
    QString reason{};
    qsizetype compared = 0;         // answers the champion never trained on
    Standing champion{};
    Standing challenger{};
    QJsonObject toJson() const;
};

// `champion` is nullopt when the step has no model yet. The champion has seen the first
// champion->info()["answers_from_people"] answers; the rest are compared.
Verdict judge(const ClassifierModel *champion, const Challenger &challenger, const QList<LabelledText> &answers,
              double targetPrecision);

} // namespace clerk::classify
