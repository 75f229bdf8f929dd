#include "match/matcher.h"

#include "match/match_evidence.h"

#include <QJsonObject>
#include <QSet>

#include <algorithm>
#include <cmath>

namespace clerk::match {

namespace {

// Each candidate's probability of being the one, against the others and "none of them".
void shareAmongCandidates(const MatchModel &model, QList<ScoredCandidate> &scored)
{
    const double priorLogOdds = std::log2(model.prior() / (1.0 - model.prior()));
    double top = 0;  // log2 of the largest odds (at least 1, "none"), to keep the sums finite
    for (const ScoredCandidate &c : scored)
        top = std::max(top, c.score + priorLogOdds);
    double total = std::exp2(-top);
    for (const ScoredCandidate &c : scored)
        total += std::exp2(c.score + priorLogOdds - top);
    for (ScoredCandidate &c : scored)
        c.probability = std::exp2(c.score + priorLogOdds - top) / total;
}

} // namespace

QString toString(MatchOutcome outcome)
{
    switch (outcome) {
    case MatchOutcome::Matched: return QStringLiteral("matched");
    case MatchOutcome::NoMatch: return QStringLiteral("no_match");
    case MatchOutcome::NeedsPerson: return QStringLiteral("needs_person");
    }
    return {};
}

QJsonArray explainComparison(const MatchModel &model, const MatchRecord &query, const ScoredCandidate &candidate)
{
    QJsonArray fields;
    for (const FieldEvidence &field : candidateEvidence(model, query, candidate).fields)
        fields.append(toJson(field));
    return fields;
}

Matcher::Matcher(MatchModel model, std::shared_ptr<const CandidateSource> source, MatchThresholds thresholds,
                 int maxCandidates)
    : m_model(std::move(model)), m_source(std::move(source)), m_thresholds(thresholds), m_maxCandidates(maxCandidates)
{
    Q_ASSERT_X(m_source && m_source->fields().size() == m_model.fieldCount(), "Matcher",
               "the candidate source must carry the model's fields");
}

Result<MatchDecision> Matcher::match(const MatchRecord &query) const
{
    auto candidates = m_source->candidates(query);
    if (!candidates)
        return fail(candidates.error());
    return decide(m_model, query, *candidates, m_thresholds, m_maxCandidates);
}

MatchDecision Matcher::decide(const MatchModel &model, const MatchRecord &query, const QList<MatchRecord> &candidates,
                              const MatchThresholds &thresholds, int maxCandidates)
{
    QList<ScoredCandidate> scored;
    scored.reserve(candidates.size());
    QSet<QString> seen;
    for (const MatchRecord &record : candidates) {
        if (seen.contains(record.id))
            continue;
        seen.insert(record.id);
        ScoredCandidate candidate;
        candidate.record = record;
        candidate.levels = model.compare(query, record);
        scored.append(std::move(candidate));
    }
    return decideCompared(model, std::move(scored), thresholds, maxCandidates);
}

MatchDecision Matcher::decideCompared(const MatchModel &model, QList<ScoredCandidate> scored,
                                      const MatchThresholds &thresholds, int maxCandidates)
{
    MatchDecision decision;
    for (ScoredCandidate &candidate : scored) {
        candidate.score = model.score(candidate.levels, candidate.record);
        candidate.probability = candidate.pairProbability = model.posterior(candidate.score);
    }
    if (thresholds.amongCandidates)
        shareAmongCandidates(model, scored);
    decision.candidatesSeen = scored.size();
    // Highest score first; ties broken by id so the order is stable.
    const qsizetype keep = std::min<qsizetype>(scored.size(), std::max(maxCandidates, 2));
    std::partial_sort(scored.begin(), scored.begin() + keep, scored.end(),
                      [](const ScoredCandidate &a, const ScoredCandidate &b) {
                          return a.score != b.score ? a.score > b.score : a.record.id < b.record.id;
                      });
    scored.resize(keep);
    // The band looks at the runner-up even when only one candidate is shown.
    decision.outcome = band(scored, thresholds);
    if (scored.size() > maxCandidates)
        scored.resize(std::max(maxCandidates, 1));
    decision.ranked = std::move(scored);
    return decision;
}

MatchOutcome Matcher::band(const QList<ScoredCandidate> &ranked, const MatchThresholds &thresholds)
{
    if (ranked.isEmpty() || ranked.first().ownProbability() < thresholds.lower)
        return MatchOutcome::NoMatch;
    const double runnerUp = ranked.size() > 1 ? ranked[1].probability : 0.0;
    if (ranked.first().probability >= thresholds.upper && ranked.first().probability - runnerUp >= thresholds.margin)
        return MatchOutcome::Matched;
    return MatchOutcome::NeedsPerson;
}

} // namespace clerk::match
