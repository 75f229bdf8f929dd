#include "core/binomial.h"

#include <gtest/gtest.h>

namespace clerk {
namespace {

TEST(BinomialTest, ClopperPearsonLowerBoundsMatchTheBetaQuantiles)
{
    EXPECT_NEAR(clopperPearsonLower(95, 100, 0.9), 0.9092285, 1e-6);
    EXPECT_NEAR(clopperPearsonLower(1, 10, 0.95), 0.0051162, 1e-6);
    EXPECT_NEAR(clopperPearsonLower(50, 50, 0.9), 0.9549926, 1e-6);
    EXPECT_EQ(clopperPearsonLower(0, 10, 0.9), 0.0);
    EXPECT_EQ(clopperPearsonLower(0, 0, 0.9), 0.0);
}

TEST(BinomialTest, TheUpperBoundIsTheWrongAnswersLowerBoundFromTheOtherSide)
{
    EXPECT_NEAR(clopperPearsonUpper(5, 100, 0.9), 1 - 0.9092285, 1e-6);
    EXPECT_NEAR(clopperPearsonUpper(95, 100, 0.9), 1 - clopperPearsonLower(5, 100, 0.9), 1e-12);
    EXPECT_EQ(clopperPearsonUpper(10, 10, 0.9), 1.0);
    EXPECT_EQ(clopperPearsonUpper(0, 0, 0.9), 1.0);
    // Zero right of 10: the upper bound is 1 - 0.1^(1/10).
    EXPECT_NEAR(clopperPearsonUpper(0, 10, 0.9), 1 - 0.7943282, 1e-6);
    for (qsizetype right = 0; right <= 20; ++right) {
        EXPECT_LE(clopperPearsonLower(right, 20, 0.9), double(right) / 20) << right;
        EXPECT_GE(clopperPearsonUpper(right, 20, 0.9), double(right) / 20) << right;
    }
}

TEST(BinomialTest, AnswersNeededWithNoErrors)
{
    EXPECT_EQ(answersNeeded(0.99, 0.9), 230);
    EXPECT_EQ(answersNeeded(0.97, 0.9), 76);
    EXPECT_EQ(answersNeeded(0.0, 0.9), 1);
    EXPECT_EQ(answersNeeded(1.0, 0.9), -1);
}

} // namespace
} // namespace clerk
