// Thresholds that hold: which confidence lets work go straight through so that the
// precision of what goes through reaches a target with a stated confidence.
//
// A point estimate ("precision on the answered items above t is 99%") is optimistic: it
// is the best of many thresholds tried on a few hundred items. Here the precision of the
// items at or above a threshold is bounded from below with a one-sided Clopper-Pearson
// interval, and the threshold is searched the way selective classification with
// guaranteed risk does it (Geifman and El-Yaniv, 2017): a binary search over the sorted
// confidences, each of its k = ceil(log2 n) tests made at risk delta / k, so the chosen
// threshold's bound holds with probability at least 1 - delta over all of them.
//
// Per category: each category's items are bounded on their own, at delta / categories,
// so every category's precision, and therefore the precision of their union, holds with
// probability at least 1 - delta. chooseThresholds() keeps per-category thresholds only
// when they send more items through than one threshold for all.
//
// Thread-safety: pure functions.
#pragma once

#include "core/binomial.h"

#include <QJsonObject>
#include <QList>
#include <QMap>
#include <QString>

#include <optional>

namespace clerk::classify {

// The bounds and the fewest answers a threshold needs are core's (core/binomial.h), so
// the store and the reports bound live precision the same way.
using clerk::answersNeeded;
using clerk::clopperPearsonLower;

struct ScoredAnswer {
    double confidence = 0;  // the model's confidence in its best category
    QString predicted{};    // its best category
    bool correct = false;   // predicted == what a person answered
};

struct ThresholdChoice {
    std::optional<double> threshold{};  // nullopt: nothing can go straight through yet
    qsizetype accepted = 0;             // answered items at or above the threshold
    qsizetype right = 0;                // of those, right
    double lowerBound = 0;              // the bound the threshold was accepted at (0 without one)
};

// The lowest threshold (one of the items' confidences) whose items' precision has a
// lower bound >= target at `confidence` (SGR binary search, see above).
ThresholdChoice chooseThreshold(QList<ScoredAnswer> answers, double target, double confidence);

struct ThresholdSet {
    std::optional<double> threshold{};     // one threshold for every category
    QMap<QString, double> perCategory{};   // when not empty, used instead (absent category: never)
    qsizetype answers = 0;                 // answered items the choice was made on
    qsizetype accepted = 0;                // of those, at or above their threshold
    qsizetype right = 0;
    double lowerBound = 0;                 // the smallest bound any accepted threshold was proven at
    double target = 0;
    double confidence = 0;

    bool allowsAny() const { return threshold.has_value() || !perCategory.isEmpty(); }
    // Whether a decision of `category` at `confidence` may go straight through.
    bool passes(const QString &category, double confidence) const;
    QJsonObject toJson() const;
    static ThresholdSet fromJson(const QJsonObject &json);
};

// One threshold for all, or per-category thresholds when they accept more items.
ThresholdSet chooseThresholds(const QList<ScoredAnswer> &answers, double target, double confidence);

} // namespace clerk::classify
