// Shadow-trial points: the share a shadow-mode bot would have done alone at each
// confidence threshold, and how often it agreed with the person there.
#include "report/shadow_trial.h"
#include "test_support.h"

#include <gtest/gtest.h>

namespace clerk::report {
namespace {

store::ShadowAnswer answer(double confidence, const char *suggested, const char *answered)
{
    return {.confidence = confidence, .suggested = QString::fromLatin1(suggested), .answered = QString::fromLatin1(answered)};
}

const ShadowPoint &at(const QList<ShadowPoint> &points, double threshold)
{
    for (const ShadowPoint &point : points) {
        if (qAbs(point.threshold - threshold) < 1e-9)
            return point;
    }
    ADD_FAILURE() << "no point at " << threshold;
    return points.first();
}

TEST(ShadowTrialTest, ThresholdsRunFromAHalfByFivesToNinetyNine)
{
    const QList<double> thresholds = shadowThresholds();
    ASSERT_EQ(thresholds.size(), 11);
    EXPECT_DOUBLE_EQ(thresholds.first(), 0.5);
    EXPECT_DOUBLE_EQ(thresholds.at(1), 0.55);
    EXPECT_DOUBLE_EQ(thresholds.at(9), 0.95);
    EXPECT_DOUBLE_EQ(thresholds.last(), 0.99);
}

TEST(ShadowTrialTest, RatesAndPrecisionAtEachThreshold)
{
    // Ten answers: confident ones mostly right, unsure ones mostly wrong.
    const QList<store::ShadowAnswer> answers = {
        answer(0.99, "a", "a"), answer(0.97, "b", "b"), answer(0.93, "a", "a"), answer(0.91, "a", "b"),
        answer(0.90, "c", "c"), answer(0.80, "a", "a"), answer(0.72, "b", "a"), answer(0.60, "a", "b"),
        answer(0.55, "c", "c"), answer(0.30, "a", "b"),
    };
    const QList<ShadowPoint> points = shadowPoints(answers);
    ASSERT_EQ(points.size(), 11);

    struct Expected {
        double threshold;
        qint64 alone;
        double rate;
        double precision;
    };
    // A confidence equal to the threshold counts (0.90 at 0.9, 0.55 at 0.55).
    const Expected table[] = {
        {0.50, 9, 0.9, 6.0 / 9}, {0.55, 9, 0.9, 6.0 / 9}, {0.60, 8, 0.8, 5.0 / 8}, {0.70, 7, 0.7, 5.0 / 7},
        {0.80, 6, 0.6, 5.0 / 6}, {0.90, 5, 0.5, 4.0 / 5}, {0.95, 2, 0.2, 1.0},     {0.99, 1, 0.1, 1.0},
    };
    for (const Expected &expected : table) {
        const ShadowPoint &point = at(points, expected.threshold);
        EXPECT_EQ(point.alone, expected.alone) << expected.threshold;
        EXPECT_DOUBLE_EQ(point.straightThroughRate, expected.rate) << expected.threshold;
        ASSERT_TRUE(point.precision.has_value()) << expected.threshold;
        EXPECT_DOUBLE_EQ(*point.precision, expected.precision) << expected.threshold;
    }
}

TEST(ShadowTrialTest, NothingConfidentEnoughHasNoPrecision)
{
    const QList<ShadowPoint> points = shadowPoints({answer(0.4, "a", "a"), answer(0.96, "a", "b")});
    EXPECT_FALSE(at(points, 0.99).precision.has_value());
    EXPECT_EQ(at(points, 0.99).alone, 0);
    EXPECT_DOUBLE_EQ(at(points, 0.95).precision.value_or(-1), 0.0);
    EXPECT_DOUBLE_EQ(at(points, 0.5).straightThroughRate, 0.5);

    for (const ShadowPoint &point : shadowPoints({})) {
        EXPECT_EQ(point.straightThroughRate, 0.0);
        EXPECT_FALSE(point.precision.has_value());
    }
}

} // namespace
} // namespace clerk::report
