// Estimating m, u and the prior by expectation-maximisation from unlabelled candidate
// pairs (the pairs blocking brings together): the pairs are a mixture of matches and
// non-matches, and EM finds the m, u and λ that explain the comparison levels seen,
// assuming fields agree independently given the match status.
//
// Thread-safety: pure functions.
#pragma once

#include "match/match_model.h"

namespace clerk::match {

struct EmOptions {
    int maxIterations = 200;
    double tolerance = 1e-7;     // stop when no probability moves more than this
    bool estimateU = true;       // false: keep the start model's u (e.g. from random pairs)
    bool estimateM = true;       // false: keep m (only the prior moves)
};

struct EmResult {
    MatchModel model;
    int iterations = 0;
    bool converged = false;
};

// u from random pairs: nearly all random pairs are different people, so the share of
// each level among them is u (add-half smoothing over the levels each comparator uses).
// Fixing u this way and fitting only m and the prior by EM stops EM from settling on a
// mixture that is not "same person" (e.g. "same town"). Fails with InvalidArgument when
// `randomPairs` is empty.
Result<MatchModel> withUFromRandomPairs(const MatchModel &start, const QList<ComparisonVector> &randomPairs);

// Starts from `start` (its m, u and prior are the first guess: m should favour agreement).
// Missing levels are ignored. Fails with InvalidArgument when `pairs` is empty.
Result<EmResult> estimateByEm(const MatchModel &start, const QList<ComparisonVector> &pairs, const EmOptions &options = {});

// The pairs one blocking key brought together, and the fields that key is made of
// (they agree by construction, so they say nothing there).
struct BlockedPairs {
    QList<int> blockedFields;
    QList<ComparisonVector> pairs;
    // How many of the pairs each query brought, in order; when given, the key's EM takes at
    // most one of a query's pairs as a match (estimateOneToOne, one_to_one_em.h).
    QList<int> perQuery;
};

// Estimation that survives blocking (as Splink does it): u stays as given (from random
// pairs, withUFromRandomPairs); for each blocking key, EM on that key's pairs fits m of
// the fields the key does not use; each field's m is the pair-weighted mean over those
// keys; then the prior is fitted on `allPairs` with m and u fixed. Full EM on blocked
// pairs instead learns that non-matches share the blocked fields, which turns agreement
// on them into evidence against a match. `allPerQuery` groups allPairs by query as
// BlockedPairs::perQuery does (empty: pairs-wise EM for the prior). Fails with
// InvalidArgument when there are no pairs.
Result<EmResult> estimateByBlockedEm(const MatchModel &start, const QList<BlockedPairs> &perKey,
                                     const QList<ComparisonVector> &allPairs, const EmOptions &options = {},
                                     const QList<int> &allPerQuery = {});

} // namespace clerk::match
