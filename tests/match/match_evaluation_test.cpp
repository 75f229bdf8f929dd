#include "match/match_evaluation.h"
#include "test_support.h"

#include <gtest/gtest.h>

using namespace clerk::match;

namespace {

QueryResult result(const char *truth, const char *best, double p, double runnerUp = 0, bool found = true)
{
    QueryResult r;
    r.trueId = QString::fromLatin1(truth);
    r.bestId = QString::fromLatin1(best);
    r.bestProbability = p;
    r.runnerUpProbability = runnerUp;
    r.truthAmongCandidates = found;
    r.candidates = r.bestId.isEmpty() ? 0 : 2;
    return r;
}

} // namespace

TEST(MatchEvaluationTest, CountsLinksBandsAndBlocking)
{
    const QList<QueryResult> results{
        result("a", "a", 0.999),          // accepted, right
        result("b", "x", 0.999),          // accepted, wrong
        result("c", "c", 0.999, 0.95),    // right but too close to the runner-up: a person
        result("d", "d", 0.7),            // a person
        result("e", "", 0, 0, false),     // no candidate at all
        result("", "y", 0.2),             // a new person, correctly no match
        result("", "z", 0.995),           // a new person wrongly accepted
    };
    const MatchMetrics m = evaluateMatches(results, {0.99, 0.5, 0.1});
    EXPECT_EQ(m.queries, 7);
    EXPECT_EQ(m.withTruth, 5);
    EXPECT_EQ(m.linked, 5);         // probability >= 0.5
    EXPECT_EQ(m.linkedCorrect, 3);  // a, c, d
    EXPECT_DOUBLE_EQ(m.precision, 3.0 / 5.0);
    EXPECT_DOUBLE_EQ(m.recall, 3.0 / 5.0);
    EXPECT_DOUBLE_EQ(m.f1, 0.6);
    EXPECT_EQ(m.autoAccepted, 3);   // a, b, z
    EXPECT_EQ(m.autoCorrect, 1);
    EXPECT_DOUBLE_EQ(m.autoShare, 1.0 / 5.0);
    EXPECT_DOUBLE_EQ(m.autoPrecision, 1.0 / 3.0);
    EXPECT_EQ(m.needsPerson, 2);
    EXPECT_EQ(m.noMatch, 2);
    EXPECT_EQ(m.noMatchButTrue, 1);
    EXPECT_DOUBLE_EQ(m.blockingRecall, 4.0 / 5.0);
}

TEST(MatchEvaluationTest, ThresholdTableTightensWithTheUpperThreshold)
{
    const QList<QueryResult> results{result("a", "a", 0.9999), result("b", "b", 0.95), result("c", "x", 0.85)};
    const QList<MatchThresholdRow> rows = matchThresholdTable(results, {0.99, 0.5, 0.0}, {0.8, 0.9, 0.999});
    ASSERT_EQ(rows.size(), 3);
    EXPECT_EQ(rows[0].autoAccepted, 3);
    EXPECT_DOUBLE_EQ(rows[0].autoPrecision, 2.0 / 3.0);
    EXPECT_EQ(rows[1].autoAccepted, 2);
    EXPECT_DOUBLE_EQ(rows[1].autoPrecision, 1.0);
    EXPECT_EQ(rows[2].autoAccepted, 1);
    EXPECT_DOUBLE_EQ(rows[2].autoShare, 1.0 / 3.0);
    EXPECT_DOUBLE_EQ(rows[2].needsPersonShare, 2.0 / 3.0);
    EXPECT_DOUBLE_EQ(evaluateMatches({}, {}).autoPrecision, 1.0);
}
