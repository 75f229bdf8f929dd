#include "classify/calibration.h"
#include "test_support.h"

#include <QJsonArray>
#include <gtest/gtest.h>

#include <random>

using namespace clerk::classify;

TEST(ConfidenceCalibrationTest, PoolsViolatorsAndSmoothsBlocks)
{
    // (0.2, right) and (0.3, wrong) violate the order and pool into one block at 0.25.
    const ConfidenceCalibration map =
        ConfidenceCalibration::fitIsotonic({0.4, 0.1, 0.3, 0.2}, {true, false, false, true});
    EXPECT_NEAR(map.apply(0.1), 1.0 / 3.0, 1e-12);   // (0 + 1) / (1 + 2)
    EXPECT_NEAR(map.apply(0.25), 2.0 / 4.0, 1e-12);  // (1 + 1) / (2 + 2)
    EXPECT_NEAR(map.apply(0.4), 2.0 / 3.0, 1e-12);   // (1 + 1) / (1 + 2)
    EXPECT_NEAR(map.apply(0.175), (1.0 / 3.0 + 0.5) / 2.0, 1e-12);
    EXPECT_NEAR(map.apply(0.0), 1.0 / 3.0, 1e-12);   // flat beyond the ends
    EXPECT_NEAR(map.apply(1.0), 2.0 / 3.0, 1e-12);
}

TEST(ConfidenceCalibrationTest, StaysWithinZeroAndOneAndMonotone)
{
    std::mt19937 rng(7);
    std::uniform_real_distribution<double> uniform(0.0, 1.0);
    QList<double> scores;
    QList<bool> correct;
    for (int i = 0; i < 2000; ++i) {
        const double s = uniform(rng);
        scores.append(s);
        correct.append(uniform(rng) < s * s);  // an over-confident model
    }
    const ConfidenceCalibration map = ConfidenceCalibration::fitIsotonic(scores, correct);
    double previous = -1;
    for (int i = 0; i <= 1000; ++i) {
        const double c = map.apply(i / 1000.0);
        EXPECT_GE(c, 0.0);
        EXPECT_LE(c, 1.0);
        EXPECT_GE(c, previous);
        previous = c;
    }
    // It learnt the over-confidence: a raw 0.8 is right about 64 % of the time.
    EXPECT_NEAR(map.apply(0.8), 0.64, 0.08);
}

TEST(ConfidenceCalibrationTest, AllRightNeverClaimsCertainty)
{
    const ConfidenceCalibration map = ConfidenceCalibration::fitIsotonic({0.6, 0.7, 0.8, 0.9}, {true, true, true, true});
    EXPECT_NEAR(map.apply(0.95), 5.0 / 6.0, 1e-12);
}

TEST(ConfidenceCalibrationTest, RoundTripsThroughJsonAndRejectsBadMaps)
{
    const ConfidenceCalibration map = ConfidenceCalibration::fitIsotonic({0.2, 0.5, 0.9}, {false, true, true});
    ConfidenceCalibration read;
    ASSERT_TRUE(ConfidenceCalibration::fromJson(map.toJson(), read));
    for (double x : {0.0, 0.3, 0.6, 0.95})
        EXPECT_EQ(read.apply(x), map.apply(x));

    ConfidenceCalibration untouched;
    EXPECT_FALSE(ConfidenceCalibration::fromJson(QJsonObject{{QStringLiteral("x"), QJsonArray{0.1, 0.2}},
                                                             {QStringLiteral("y"), QJsonArray{0.5}}},
                                                 untouched));
    EXPECT_FALSE(ConfidenceCalibration::fromJson(QJsonObject{{QStringLiteral("x"), QJsonArray{0.1, 0.2}},
                                                             {QStringLiteral("y"), QJsonArray{0.9, 0.5}}},
                                                 untouched));
    EXPECT_FALSE(ConfidenceCalibration::fromJson(QJsonObject{{QStringLiteral("x"), QJsonArray{0.1}},
                                                             {QStringLiteral("y"), QJsonArray{1.5}}},
                                                 untouched));
    EXPECT_TRUE(untouched.isIdentity());
    EXPECT_EQ(untouched.apply(1.7), 1.0);
}
