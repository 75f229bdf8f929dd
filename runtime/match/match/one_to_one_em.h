// EM for m and the prior when each query has at most one true record among its
// candidates (an index that holds each person once): a query's pairs are a group, and the
// E step shares one match among the group's pairs and "none of them", as
// thresholds.among_candidates decides (matcher.h):
//   P(pair i is the match) = (π/n)·r_i / ((1 - π) + (π/n)·Σ_j r_j),  r = Π m/u over fields
// with π the share of queries whose true record is among their n pairs. Pairs-wise EM
// (estimateByEm) lets a block of people from one town or one family all be "matches" of
// the same query; here they compete for one place, so m is fitted on pairs that look like
// the same person, not the same family.
//
// Thread-safety: pure functions.
#pragma once

#include "match/em_estimation.h"

namespace clerk::match {

// `perQuery` gives, in order, how many of `pairs` each query brought (their sum is the
// number of pairs). u stays as given (from random pairs); m is fitted when options.estimateM;
// the returned model's prior is the expected matches over the pairs. Fails with
// InvalidArgument when there are no pairs or perQuery does not add up to them.
Result<EmResult> estimateOneToOne(const MatchModel &start, const QList<ComparisonVector> &pairs,
                                  const QList<int> &perQuery, const EmOptions &options = {});

} // namespace clerk::match
