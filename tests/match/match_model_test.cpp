#include "match/match_model.h"
#include "match/match_settings.h"
#include "test_support.h"

#include <QJsonArray>
#include <QJsonObject>
#include <gtest/gtest.h>

#include <cmath>

using namespace clerk;
using namespace clerk::match;

namespace {

MatchModel twoFieldModel()
{
    FieldModel surname{QStringLiteral("surname"), ComparatorKind::Exact, {0.9, 0, 0, 0, 0.1}, {0.01, 0, 0, 0, 0.99}};
    FieldModel dob{QStringLiteral("dob"), ComparatorKind::Date, {0.8, 0.1, 0.05, 0.03, 0.02}, {0.001, 0.004, 0.02, 0.05, 0.925}};
    return MatchModel({surname, dob}, 0.001);
}

} // namespace

TEST(MatchModelTest, WeightsAreLogRatiosAndMissingWeighsNothing)
{
    const MatchModel model = twoFieldModel();
    EXPECT_NEAR(model.weight(0, ComparisonLevel::Exact), std::log2(0.9 / 0.01), 1e-9);
    EXPECT_NEAR(model.weight(0, ComparisonLevel::Different), std::log2(0.1 / 0.99), 1e-9);
    EXPECT_EQ(model.weight(0, ComparisonLevel::Missing), 0.0);
    // `exact` never answers Close: no weight even though the other field has one.
    EXPECT_EQ(model.weight(0, ComparisonLevel::Close), 0.0);
    EXPECT_NEAR(model.weight(1, ComparisonLevel::Close), std::log2(0.1 / 0.004), 1e-9);

    const ComparisonVector levels{ComparisonLevel::Exact, ComparisonLevel::Missing};
    EXPECT_NEAR(model.score(levels), std::log2(90.0), 1e-9);
}

TEST(MatchModelTest, PosteriorFollowsBayesWithThePrior)
{
    const MatchModel model = twoFieldModel();
    const double score = model.score({ComparisonLevel::Exact, ComparisonLevel::Exact});
    const double bayesFactor = (0.9 * 0.8) / (0.01 * 0.001);
    const double expected = 0.001 * bayesFactor / (0.001 * bayesFactor + 0.999);
    EXPECT_NEAR(model.posterior(score), expected, 1e-12);
    EXPECT_NEAR(model.posterior(0), 0.001, 1e-12);
    EXPECT_NEAR(model.posterior(1000), 1.0, 1e-12);
    EXPECT_NEAR(model.posterior(-1000), 0.0, 1e-12);
}

TEST(MatchModelTest, NormalisesProbabilitiesOverTheLevelsAComparatorUses)
{
    FieldModel field{QStringLiteral("state"), ComparatorKind::Exact, {0.45, 0.3, 0.2, 0, 0.05}, {0.5, 0, 0, 0, 0.5}};
    const MatchModel model({field}, 0.5);
    EXPECT_NEAR(model.fields()[0].m[0], 0.9, 1e-9);
    EXPECT_NEAR(model.fields()[0].m[4], 0.1, 1e-9);
    EXPECT_EQ(model.fields()[0].m[1], 0.0);
}

TEST(MatchModelTest, ReadsProbabilitiesFromListsAndMaps)
{
    auto list = levelProbabilitiesFromJson(QJsonArray{0.9, 0.05, 0.03, 0.01, 0.01});
    ASSERT_TRUE(list.has_value());
    EXPECT_DOUBLE_EQ((*list)[1], 0.05);
    auto map = levelProbabilitiesFromJson(QJsonObject{{QStringLiteral("exact"), 0.95}, {QStringLiteral("different"), 0.05}});
    ASSERT_TRUE(map.has_value());
    EXPECT_DOUBLE_EQ((*map)[0], 0.95);
    EXPECT_DOUBLE_EQ((*map)[2], 0.0);
    EXPECT_FALSE(levelProbabilitiesFromJson(QJsonArray{0.9, 0.1}).has_value());
    EXPECT_FALSE(levelProbabilitiesFromJson(QJsonObject{{QStringLiteral("nearly"), 0.5}}).has_value());
    EXPECT_FALSE(levelProbabilitiesFromJson(QJsonArray{1.5, 0, 0, 0, 0}).has_value());
    EXPECT_FALSE(levelProbabilitiesFromJson(QJsonValue(3)).has_value());
}

TEST(MatchModelTest, LearnsFromLabelledPairs)
{
    const MatchModel start = twoFieldModel();
    QList<LabelledPair> pairs;
    // 80 matches: surname agrees in 72 (90%); 320 non-matches: agrees in 16 (5%).
    for (int i = 0; i < 80; ++i)
        pairs.append({{i < 72 ? ComparisonLevel::Exact : ComparisonLevel::Different, ComparisonLevel::Missing}, true});
    for (int i = 0; i < 320; ++i)
        pairs.append({{i < 16 ? ComparisonLevel::Exact : ComparisonLevel::Different, ComparisonLevel::Missing}, false});
    auto learnt = learnFromLabelledPairs(start, pairs);
    ASSERT_TRUE(learnt.has_value()) << learnt.error().toString().toStdString();
    EXPECT_NEAR(learnt->fields()[0].m[0], 72.5 / 81.0, 1e-9);
    EXPECT_NEAR(learnt->fields()[0].u[0], 16.5 / 321.0, 1e-9);
    EXPECT_NEAR(learnt->prior(), 0.2, 1e-9);
    // No evidence on dob: its probabilities stay as they were.
    EXPECT_NEAR(learnt->fields()[1].m[0], start.fields()[1].m[0], 1e-12);

    QList<LabelledPair> onlyMatches{{{ComparisonLevel::Exact, ComparisonLevel::Exact}, true}};
    EXPECT_FALSE(learnFromLabelledPairs(start, onlyMatches).has_value());
}

TEST(MatchModelTest, PrintsTheModelAsBotYaml)
{
    const QString yaml = twoFieldModel().toYaml();
    EXPECT_TRUE(yaml.startsWith(QStringLiteral("prior: 0.001\n")));
    EXPECT_TRUE(yaml.contains(QStringLiteral("  surname:\n    comparator: exact\n    m: {exact: 0.9, different: 0.1}\n")));
    EXPECT_TRUE(yaml.contains(QStringLiteral("comparator: date")));
}

TEST(MatchSettingsTest, ABlockingListReplacesTheDefaultsUnlessItNamesThem)
{
    const QJsonObject fields{
        {QStringLiteral("surname"), QJsonObject{{QStringLiteral("comparator"), QStringLiteral("name")}}},
        {QStringLiteral("dob"), QJsonObject{{QStringLiteral("comparator"), QStringLiteral("date")}}},
        {QStringLiteral("ref"), QJsonObject{{QStringLiteral("comparator"), QStringLiteral("identifier")}}}};
    auto defaults = MatchSettings::fromParams({{QStringLiteral("fields"), fields}}, {});
    ASSERT_TRUE(defaults.has_value());
    const qsizetype defaultCount = defaults->keys.size();
    ASSERT_GT(defaultCount, 1);

    auto replaced = MatchSettings::fromParams(
        {{QStringLiteral("fields"), fields}, {QStringLiteral("blocking"), QJsonArray{QStringLiteral("initial(surname)")}}}, {});
    ASSERT_TRUE(replaced.has_value());
    EXPECT_EQ(replaced->keys.size(), 1);

    auto added = MatchSettings::fromParams(
        {{QStringLiteral("fields"), fields},
         {QStringLiteral("blocking"), QJsonArray{QStringLiteral("defaults"), QStringLiteral("initial(surname)")}}},
        {});
    ASSERT_TRUE(added.has_value());
    EXPECT_EQ(added->keys.size(), defaultCount + 1);

    // A bad key's message names the key once, without a repeated prefix.
    auto bad = MatchSettings::fromParams(
        {{QStringLiteral("fields"), fields}, {QStringLiteral("blocking"), QJsonArray{QStringLiteral("soundex(surname)")}}}, {});
    ASSERT_FALSE(bad.has_value());
    EXPECT_EQ(bad.error().message().count(QStringLiteral("blocking")), 1) << bad.error().message().toStdString();
    EXPECT_TRUE(bad.error().message().contains(QStringLiteral("soundex")));
}
