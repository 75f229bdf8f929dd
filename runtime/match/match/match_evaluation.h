// Measuring a matcher on queries whose true record is known: precision, recall and F1
// of the best-candidate link, the share of true matches the bot accepts on its own and
// the precision of those, and the same for other upper thresholds.
//
// Thread-safety: pure functions over values.
#pragma once

#include "match/matcher.h"

#include <QJsonObject>

namespace clerk::match {

// What the matcher did with one query, reduced to what the metrics need.
struct QueryResult {
    QString trueId{};                // the query's record in the index; empty: none is
    QString bestId{};                // empty: no candidate
    double bestProbability = 0;
    double runnerUpProbability = 0;
    double bestPairProbability = -1;    // the best pair's own posterior (the lower band's); < 0: bestProbability
    double pairProbability() const { return bestPairProbability < 0 ? bestProbability : bestPairProbability; }
    bool truthAmongCandidates = false;  // blocking found the true record at all
    qsizetype candidates = 0;
};

QueryResult toQueryResult(const MatchDecision &decision, const QString &trueId, bool truthAmongCandidates);

struct MatchMetrics {
    qsizetype queries = 0;
    qsizetype withTruth = 0;          // queries whose person is in the index
    // The best candidate taken as the link when its probability >= linkThreshold.
    double linkThreshold = 0.5;
    qsizetype linked = 0;
    qsizetype linkedCorrect = 0;
    double precision = 0;
    double recall = 0;
    double f1 = 0;
    // The bot's bands.
    qsizetype autoAccepted = 0;
    qsizetype autoCorrect = 0;
    double autoShare = 0;             // autoCorrect / withTruth: true matches decided without a person
    double autoPrecision = 0;         // autoCorrect / autoAccepted (1 when none)
    qsizetype needsPerson = 0;
    qsizetype noMatch = 0;
    qsizetype noMatchButTrue = 0;     // a true match was there, the bot said no match
    double blockingRecall = 0;        // true records among the candidates / withTruth
    double meanCandidates = 0;

    QJsonObject toJson() const;
};

MatchMetrics evaluateMatches(const QList<QueryResult> &results, const MatchThresholds &thresholds,
                             double linkThreshold = 0.5);

struct MatchThresholdRow {
    double upper = 0;
    qsizetype autoAccepted = 0;
    double autoShare = 0;
    double autoPrecision = 0;
    double needsPersonShare = 0;  // of all queries
};

// One row per upper threshold, with the given lower threshold and margin.
QList<MatchThresholdRow> matchThresholdTable(const QList<QueryResult> &results, const MatchThresholds &thresholds,
                                             const QList<double> &uppers);
QList<double> defaultMatchUppers();  // 0.5 ... 0.9999

} // namespace clerk::match
