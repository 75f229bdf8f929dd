#include "match/match_evaluation.h"

namespace clerk::match {

namespace {

double ratio(qsizetype a, qsizetype b, double ifEmpty = 0)
{
    return b == 0 ? ifEmpty : static_cast<double>(a) / static_cast<double>(b);
}

} // namespace

QueryResult toQueryResult(const MatchDecision &decision, const QString &trueId, bool truthAmongCandidates)
{
    QueryResult result;
    result.trueId = trueId;
    result.truthAmongCandidates = truthAmongCandidates;
    result.candidates = decision.candidatesSeen;
    if (const ScoredCandidate *best = decision.best()) {
        result.bestId = best->record.id;
        result.bestProbability = best->probability;
        result.bestPairProbability = best->ownProbability();
    }
    if (decision.ranked.size() > 1)
        result.runnerUpProbability = decision.ranked[1].probability;
    return result;
}

MatchMetrics evaluateMatches(const QList<QueryResult> &results, const MatchThresholds &thresholds, double linkThreshold)
{
    MatchMetrics m;
    m.linkThreshold = linkThreshold;
    qsizetype found = 0;
    double candidates = 0;
    for (const QueryResult &r : results) {
        ++m.queries;
        candidates += static_cast<double>(r.candidates);
        const bool hasTruth = !r.trueId.isEmpty();
        if (hasTruth) {
            ++m.withTruth;
            found += r.truthAmongCandidates ? 1 : 0;
        }
        const bool right = hasTruth && r.bestId == r.trueId;
        if (!r.bestId.isEmpty() && r.bestProbability >= linkThreshold) {
            ++m.linked;
            m.linkedCorrect += right ? 1 : 0;
        }
        const bool accepted = !r.bestId.isEmpty() && r.bestProbability >= thresholds.upper
                              && r.bestProbability - r.runnerUpProbability >= thresholds.margin;
        if (accepted) {
            ++m.autoAccepted;
            m.autoCorrect += right ? 1 : 0;
        } else if (r.bestId.isEmpty() || r.pairProbability() < thresholds.lower) {
            ++m.noMatch;
            m.noMatchButTrue += hasTruth ? 1 : 0;
        } else {
            ++m.needsPerson;
        }
    }
    m.precision = ratio(m.linkedCorrect, m.linked, 1.0);
    m.recall = ratio(m.linkedCorrect, m.withTruth);
    m.f1 = m.precision + m.recall > 0 ? 2 * m.precision * m.recall / (m.precision + m.recall) : 0;
    m.autoShare = ratio(m.autoCorrect, m.withTruth);
    m.autoPrecision = ratio(m.autoCorrect, m.autoAccepted, 1.0);
    m.blockingRecall = ratio(found, m.withTruth);
    m.meanCandidates = m.queries ? candidates / static_cast<double>(m.queries) : 0;
    return m;
}

QJsonObject MatchMetrics::toJson() const
{
    return {{QStringLiteral("queries"), queries},
            {QStringLiteral("with_truth"), withTruth},
            {QStringLiteral("link_threshold"), linkThreshold},
            {QStringLiteral("linked"), linked},
            {QStringLiteral("linked_correct"), linkedCorrect},
            {QStringLiteral("precision"), precision},
            {QStringLiteral("recall"), recall},
            {QStringLiteral("f1"), f1},
            {QStringLiteral("auto_accepted"), autoAccepted},
            {QStringLiteral("auto_correct"), autoCorrect},
            {QStringLiteral("auto_share"), autoShare},
            {QStringLiteral("auto_precision"), autoPrecision},
            {QStringLiteral("needs_person"), needsPerson},
            {QStringLiteral("no_match"), noMatch},
            {QStringLiteral("no_match_but_true"), noMatchButTrue},
            {QStringLiteral("blocking_recall"), blockingRecall},
            {QStringLiteral("mean_candidates"), meanCandidates}};
}

QList<MatchThresholdRow> matchThresholdTable(const QList<QueryResult> &results, const MatchThresholds &thresholds,
                                             const QList<double> &uppers)
{
    QList<MatchThresholdRow> rows;
    for (double upper : uppers) {
        MatchThresholds at = thresholds;
        at.upper = upper;
        at.lower = std::min(thresholds.lower, upper);
        const MatchMetrics m = evaluateMatches(results, at);
        rows.append({upper, m.autoAccepted, m.autoShare, m.autoPrecision, ratio(m.needsPerson, m.queries)});
    }
    return rows;
}

QList<double> defaultMatchUppers()
{
    return {0.5, 0.8, 0.9, 0.95, 0.98, 0.99, 0.995, 0.999, 0.9999, 0.99999};
}

} // namespace clerk::match
