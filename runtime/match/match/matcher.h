// Deciding a match: score a query's candidates with the match model, rank them, and put
// the decision in one of three bands:
//   Matched      the best candidate's posterior >= upper AND it beats the runner-up's
//                posterior by at least `margin` (no runner-up counts as 0)
//   NoMatch      no candidate, or the best pair's own posterior < lower
//   NeedsPerson  otherwise: a person picks from the ranked candidates, each with its
//                per-field comparison (values, level, weight) so they see why
//
// Thread-safety: a Matcher is immutable after construction; match() and decide() may
// run on many threads at once (the CandidateSource must allow that too).
#pragma once

#include "match/candidate_source.h"
#include "match/match_model.h"

#include <QJsonArray>
#include <memory>

namespace clerk::match {

struct MatchThresholds {
    double upper = 0.99;
    double lower = 0.5;
    double margin = 0.1;
    // false: each candidate's probability is its own pair's posterior. true: the
    // probability that it is the one, among the candidates and "none of them"
    // (odds_i / (1 + sum of the candidates' odds), odds = λ/(1-λ)·2^score): a runner-up as
    // strong as the best halves both, however many weaker candidates there are. The lower
    // band still looks at the pair's posterior, so two equally good candidates go to a
    // person rather than to no match.
    bool amongCandidates = false;
};

struct ScoredCandidate {
    MatchRecord record{};
    ComparisonVector levels{};
    double score = 0;        // the sum of field weights (log2)
    double probability = 0;  // the posterior given the model's prior (among the candidates when asked)
    double pairProbability = -1;  // the pair's own posterior; < 0: probability

    double ownProbability() const { return pairProbability < 0 ? probability : pairProbability; }
};

enum class MatchOutcome { Matched, NoMatch, NeedsPerson };
QString toString(MatchOutcome outcome);  // "matched", "no_match", "needs_person"

struct MatchDecision {
    MatchOutcome outcome = MatchOutcome::NoMatch;
    QList<ScoredCandidate> ranked{};  // best first, at most maxCandidates
    qsizetype candidatesSeen = 0;     // before the cut to maxCandidates

    const ScoredCandidate *best() const { return ranked.isEmpty() ? nullptr : &ranked.first(); }
};

// One field of one candidate, for people: [{"field", "query", "candidate", "level",
// "weight"}...] in field order. Holds personal values: evidence, never log text.
QJsonArray explainComparison(const MatchModel &model, const MatchRecord &query, const ScoredCandidate &candidate);

class Matcher {
public:
    // REQUIRES: source->fields() has the model's field names in the same order.
    Matcher(MatchModel model, std::shared_ptr<const CandidateSource> source, MatchThresholds thresholds,
            int maxCandidates = 5);

    const MatchModel &model() const { return m_model; }
    const MatchThresholds &thresholds() const { return m_thresholds; }
    const CandidateSource &source() const { return *m_source; }

    // Asks the source for candidates and decides. Fails with the source's error.
    Result<MatchDecision> match(const MatchRecord &query) const;

    // Scores and decides among given candidates (duplicates by id are kept once).
    static MatchDecision decide(const MatchModel &model, const MatchRecord &query, const QList<MatchRecord> &candidates,
                                const MatchThresholds &thresholds, int maxCandidates);
    // The same for candidates already compared: each one's `record` and `levels` are set
    // (a person's answered question keeps them); scores and probabilities are made here.
    static MatchDecision decideCompared(const MatchModel &model, QList<ScoredCandidate> compared,
                                        const MatchThresholds &thresholds, int maxCandidates);
    // The band for an already ranked list (best first).
    static MatchOutcome band(const QList<ScoredCandidate> &ranked, const MatchThresholds &thresholds);

private:
    MatchModel m_model;
    std::shared_ptr<const CandidateSource> m_source;
    MatchThresholds m_thresholds;
    int m_maxCandidates;
};

} // namespace clerk::match
