// What the two EM fits (em_estimation.h, one_to_one_em.h) share, private to clerk_match:
// the distinct comparison vectors of a set of pairs, and the M step's update of one
// field's level probabilities from expected counts.
//
// Thread-safety: pure functions.
#pragma once

#include "match/match_model.h"

#include <QList>

#include <vector>

namespace clerk::match {

// Identical comparison vectors counted once: real data has a few thousand patterns even
// for millions of pairs.
struct PatternIndex {
    QList<ComparisonVector> levels;  // each distinct vector, in the order first seen
    std::vector<double> counts;      // how many pairs have each
    std::vector<int> ofPair;         // which one each pair is, in the pairs' order
};
PatternIndex indexPatterns(const QList<ComparisonVector> &pairs);

// `probabilities` refitted from `counts`: a small pseudo-count on each level `comparator`
// answers (so a level never seen does not become impossible), 0 on the others,
// normalised; left as they are when nothing counts. Returns the largest change.
double refitLevels(ComparatorKind comparator, LevelProbabilities &probabilities, const LevelProbabilities &counts);

} // namespace clerk::match
