// Binomial proportions bounded the exact way: how sure a count of right answers out of
// n checks lets us be about the share that is right.
//
// The classify module proves thresholds with these bounds (classify/selective_threshold.h);
// the store and the reports bound the live precision measured by quality checks with the
// same ones, so they live here, below all of them.
//
// Thread-safety: pure functions.
#pragma once

#include <QtGlobal>

namespace clerk {

// The one-sided Clopper-Pearson lower bound of a binomial proportion at `confidence`
// (e.g. 0.9): the p at which `right` or more successes in `n` trials has probability
// 1 - confidence. 0 when right is 0 (or n is 0).
double clopperPearsonLower(qsizetype right, qsizetype n, double confidence);

// The one-sided Clopper-Pearson upper bound at `confidence`: the p at which `right` or
// fewer successes in `n` trials has probability 1 - confidence. 1 when right is n (or n
// is 0).
double clopperPearsonUpper(qsizetype right, qsizetype n, double confidence);

// The fewest checks, all right, whose lower bound reaches `target` at `confidence`:
// ceil(ln(1 - confidence) / ln(target)), e.g. 230 for 0.99 at 0.9. 1 when target <= 0,
// -1 when target >= 1 (never).
qsizetype answersNeeded(double target, double confidence);

} // namespace clerk
