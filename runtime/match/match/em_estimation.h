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
};

struct EmResult {
    MatchModel model;
    int iterations = 0;
    bool converged = false;
};

// Starts from `start` (its m, u and prior are the first guess: m should favour agreement).
// Missing levels are ignored. Fails with InvalidArgument when `pairs` is empty.
Result<EmResult> estimateByEm(const MatchModel &start, const QList<ComparisonVector> &pairs, const EmOptions &options = {});

} // namespace clerk::match
