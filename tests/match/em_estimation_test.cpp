#include "match/em_estimation.h"

#include <gtest/gtest.h>

#include <random>

using namespace clerk;
using namespace clerk::match;

namespace {

ComparisonLevel draw(const LevelProbabilities &p, std::mt19937 &rng)
{
    std::discrete_distribution<int> pick(p.begin(), p.end());
    return static_cast<ComparisonLevel>(pick(rng));
}

} // namespace

// Pairs are drawn from a known model; EM, started from the comparators' defaults, must
// find it again.
TEST(EmEstimationTest, RecoversTheModelThatGeneratedThePairs)
{
    const QList<FieldModel> truth{
        {QStringLiteral("forename"), ComparatorKind::Name, {0.85, 0.07, 0.03, 0.02, 0.03}, {0.02, 0.02, 0.03, 0.08, 0.85}},
        {QStringLiteral("surname"), ComparatorKind::Name, {0.88, 0.05, 0.03, 0.02, 0.02}, {0.03, 0.03, 0.04, 0.1, 0.8}},
        {QStringLiteral("dob"), ComparatorKind::Date, {0.9, 0.05, 0.02, 0.02, 0.01}, {0.05, 0.02, 0.08, 0.25, 0.6}},
        {QStringLiteral("postcode"), ComparatorKind::Postcode, {0.8, 0.1, 0.05, 0.03, 0.02}, {0.1, 0.15, 0.2, 0.25, 0.3}},
    };
    const double prior = 0.2;
    std::mt19937 rng(20240611);
    std::bernoulli_distribution isMatch(prior);
    std::bernoulli_distribution missing(0.05);
    QList<ComparisonVector> pairs;
    for (int i = 0; i < 40000; ++i) {
        const bool match = isMatch(rng);
        ComparisonVector levels;
        for (const FieldModel &field : truth)
            levels.push_back(missing(rng) ? ComparisonLevel::Missing : draw(match ? field.m : field.u, rng));
        pairs.append(levels);
    }
    QList<FieldModel> start;
    for (const FieldModel &field : truth)
        start.append(defaultFieldModel(field.name, field.comparator));
    auto result = estimateByEm(MatchModel(start, 0.01), pairs);
    ASSERT_TRUE(result.has_value());
    EXPECT_TRUE(result->converged);
    EXPECT_NEAR(result->model.prior(), prior, 0.01);
    for (qsizetype f = 0; f < truth.size(); ++f) {
        for (int l = 0; l < kLevelCount; ++l) {
            EXPECT_NEAR(result->model.fields()[f].m[static_cast<size_t>(l)], truth[f].m[static_cast<size_t>(l)], 0.02)
                << truth[f].name.toStdString() << " m level " << l;
            EXPECT_NEAR(result->model.fields()[f].u[static_cast<size_t>(l)], truth[f].u[static_cast<size_t>(l)], 0.02)
                << truth[f].name.toStdString() << " u level " << l;
        }
    }
}

TEST(EmEstimationTest, KeepsUWhenAskedAndRefusesNoPairs)
{
    const QList<FieldModel> fields{defaultFieldModel(QStringLiteral("surname"), ComparatorKind::Exact)};
    const MatchModel start(fields, 0.1);
    QList<ComparisonVector> pairs;
    for (int i = 0; i < 100; ++i)
        pairs.append({i % 4 == 0 ? ComparisonLevel::Exact : ComparisonLevel::Different});
    EmOptions options;
    options.estimateU = false;
    auto result = estimateByEm(start, pairs, options);
    ASSERT_TRUE(result.has_value());
    EXPECT_EQ(result->model.fields()[0].u, start.fields()[0].u);
    EXPECT_FALSE(estimateByEm(start, {}).has_value());
}
