#include "match/em_estimation.h"
#include "match/one_to_one_em.h"
#include "test_support.h"

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

// Two keys, each blocking on one field: within a key's pairs that field always agrees,
// matches or not. Blocked EM must still find each field's m from the other key's pairs,
// where full EM would take the blocked field's agreement as typical of non-matches.
TEST(EmEstimationTest, BlockedEmLearnsEachFieldFromTheKeysThatDoNotUseIt)
{
    const QList<FieldModel> truth{
        {QStringLiteral("surname"), ComparatorKind::Exact, {0.9, 0, 0, 0, 0.1}, {0.02, 0, 0, 0, 0.98}},
        {QStringLiteral("dob"), ComparatorKind::Exact, {0.95, 0, 0, 0, 0.05}, {0.01, 0, 0, 0, 0.99}},
        {QStringLiteral("town"), ComparatorKind::Exact, {0.8, 0, 0, 0, 0.2}, {0.1, 0, 0, 0, 0.9}},
    };
    std::mt19937 rng(5);
    std::bernoulli_distribution isMatch(0.3);
    auto pairFor = [&](int blockedField) {
        const bool match = isMatch(rng);
        ComparisonVector levels;
        for (qsizetype f = 0; f < truth.size(); ++f)
            levels.push_back(f == blockedField ? ComparisonLevel::Exact : draw(match ? truth[f].m : truth[f].u, rng));
        return levels;
    };
    QList<BlockedPairs> perKey{{{0}, {}, {}}, {{1}, {}, {}}};
    QList<ComparisonVector> all;
    for (int i = 0; i < 20000; ++i) {
        perKey[0].pairs.append(pairFor(0));
        perKey[1].pairs.append(pairFor(1));
        all.append(perKey[0].pairs.last());
        all.append(perKey[1].pairs.last());
    }
    QList<FieldModel> start;
    for (const FieldModel &field : truth) {
        FieldModel s = defaultFieldModel(field.name, field.comparator);
        s.u = field.u;  // as withUFromRandomPairs would give
        start.append(s);
    }
    auto result = estimateByBlockedEm(MatchModel(start, 0.1), perKey, all);
    ASSERT_TRUE(result.has_value());
    for (qsizetype f = 0; f < truth.size(); ++f)
        EXPECT_NEAR(result->model.fields()[f].m[0], truth[f].m[0], 0.03) << truth[f].name.toStdString();
    EXPECT_GT(result->model.weight(0, ComparisonLevel::Exact), 0);

    QList<ComparisonVector> random;
    for (int i = 0; i < 1000; ++i)
        random.append({i < 20 ? ComparisonLevel::Exact : ComparisonLevel::Different, ComparisonLevel::Missing,
                       ComparisonLevel::Different});
    auto withU = withUFromRandomPairs(MatchModel(start, 0.1), random);
    ASSERT_TRUE(withU.has_value());
    EXPECT_NEAR(withU->fields()[0].u[0], 20.5 / 1001.0, 1e-9);
    EXPECT_EQ(withU->fields()[1].u, start[1].u);  // no evidence: unchanged
    EXPECT_FALSE(withUFromRandomPairs(MatchModel(start, 0.1), {}).has_value());
}

// Each query has its true record among its pairs nine times in ten, three relatives
// (same surname, place and postcode; another first name and date of birth) and random
// people. Pairs-wise EM
// takes the relatives for matches too, so a differing date looks common among matches;
// one-to-one EM lets them compete for one place and finds the dates' m and the share.
TEST(EmEstimationTest, OneToOneEmFitsMOnThePersonNotOnTheFamily)
{
    QList<FieldModel> fields{defaultFieldModel(QStringLiteral("surname"), ComparatorKind::Name),
                             defaultFieldModel(QStringLiteral("dob"), ComparatorKind::Date),
                             defaultFieldModel(QStringLiteral("first_name"), ComparatorKind::Name),
                             defaultFieldModel(QStringLiteral("place"), ComparatorKind::Exact),
                             defaultFieldModel(QStringLiteral("postcode"), ComparatorKind::Exact)};
    fields[3].u = {0.006, 0, 0, 0, 0.994};
    fields[4].u = {0.001, 0, 0, 0, 0.999};
    fields[0].u = {0.01, 0.005, 0.01, 0.02, 0.955};
    fields[1].u = {0.002, 0.02, 0.001, 0.017, 0.96};
    fields[2].u = {0.02, 0.002, 0.01, 0.005, 0.963};
    const auto E = ComparisonLevel::Exact, C = ComparisonLevel::Close, D = ComparisonLevel::Different;
    std::mt19937 rng(17);
    std::bernoulli_distribution held(0.9), typo(0.25);
    QList<ComparisonVector> pairs;
    QList<int> perQuery;
    for (int q = 0; q < 3000; ++q) {
        int n = 0;
        if (held(rng)) {
            pairs.append({E, typo(rng) ? C : E, E, E, E});
            ++n;
        }
        for (int r = 0; r < 3; ++r, ++n)
            pairs.append({E, D, D, E, E});
        for (int r = 0; r < 10; ++r, ++n)
            pairs.append({draw(fields[0].u, rng), draw(fields[1].u, rng), draw(fields[2].u, rng), draw(fields[3].u, rng),
                          draw(fields[4].u, rng)});
        perQuery.append(n);
    }
    const MatchModel start(fields, 0.1);
    EmOptions keepU;
    keepU.estimateU = false;
    auto pairwise = estimateByEm(start, pairs, keepU);
    auto oneToOne = estimateOneToOne(start, pairs, perQuery, keepU);
    ASSERT_TRUE(pairwise.has_value());
    ASSERT_TRUE(oneToOne.has_value());
    const auto differentDob = [](const EmResult &r) { return r.model.fields()[1].m[static_cast<size_t>(ComparisonLevel::Different)]; };
    EXPECT_GT(differentDob(*pairwise), 0.5);
    // A query without its true record still lends its best relative some of the match.
    EXPECT_LT(differentDob(*oneToOne), 0.15);
    EXPECT_NEAR(oneToOne->model.fields()[1].m[static_cast<size_t>(ComparisonLevel::Close)], 0.25 * 0.9, 0.04);
    EXPECT_EQ(oneToOne->model.fields()[1].u, fields[1].u);
    // 0.9 matches a query over 13.9 pairs a query.
    EXPECT_NEAR(oneToOne->model.prior(), 0.9 / 13.9, 0.01);
    EXPECT_LT(oneToOne->model.weight(1, D), -3);  // a differing date now speaks against a match

    // The groups must add up to the pairs.
    EXPECT_FALSE(estimateOneToOne(start, pairs, {1, 2}, keepU).has_value());
    EXPECT_FALSE(estimateOneToOne(start, {}, {}, keepU).has_value());
}

// Blocked EM with the pairs grouped by query uses one-to-one EM for each key and the prior.
TEST(EmEstimationTest, BlockedEmWithGroupsFitsThePriorPerQuery)
{
    QList<FieldModel> fields{defaultFieldModel(QStringLiteral("surname"), ComparatorKind::Exact),
                             defaultFieldModel(QStringLiteral("dob"), ComparatorKind::Exact)};
    fields[0].u = {0.01, 0, 0, 0, 0.99};
    fields[1].u = {0.005, 0, 0, 0, 0.995};
    const auto E = ComparisonLevel::Exact, D = ComparisonLevel::Different;
    BlockedPairs bySurname{{0}, {}, {}};
    QList<ComparisonVector> all;
    QList<int> allPerQuery;
    for (int q = 0; q < 1000; ++q) {
        // The true record, then four people of the same surname born another day.
        bySurname.pairs.append({E, E});
        for (int r = 0; r < 4; ++r)
            bySurname.pairs.append({E, D});
        bySurname.perQuery.append(5);
    }
    all = bySurname.pairs;
    allPerQuery = bySurname.perQuery;
    auto grouped = estimateByBlockedEm(MatchModel(fields, 0.1), {bySurname}, all, {}, allPerQuery);
    ASSERT_TRUE(grouped.has_value());
    EXPECT_NEAR(grouped->model.fields()[1].m[0], 1.0, 0.01);
    EXPECT_NEAR(grouped->model.prior(), 0.2, 0.01);
}
