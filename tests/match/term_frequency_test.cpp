// Term-frequency adjustment: an exact agreement on a common value weighs less than one on
// a rare value, by the value's share of the index's records; rare values are capped by the
// floor; other levels, unmarked fields and models without frequencies keep their weights;
// the setting reads from the bot and prints back; the matcher ranks by the adjusted score.
#include "match/match_settings.h"
#include "match/matcher.h"
#include "match/record_index.h"

#include <QJsonObject>
#include <gtest/gtest.h>

#include <cmath>

using namespace clerk;
using namespace clerk::match;

namespace {

const QList<FieldSpec> kFields{{QStringLiteral("surname"), ComparatorKind::Name}, {QStringLiteral("town"), ComparatorKind::Exact}};

MatchModel model(bool surnameByFrequency)
{
    FieldModel surname = defaultFieldModel(QStringLiteral("surname"), ComparatorKind::Name);
    surname.termFrequency = surnameByFrequency;
    return MatchModel({surname, defaultFieldModel(QStringLiteral("town"), ComparatorKind::Exact)}, 0.01);
}

// 100 records: 50 smiths, one tschirn, 49 others each their own; half in leeds.
std::shared_ptr<RecordIndex> index()
{
    auto records = std::make_shared<RecordIndex>(kFields, QList<BlockingKey>{*BlockingKey::parse(QStringLiteral("town"), kFields)});
    for (int i = 0; i < 100; ++i) {
        const QString surname = i < 50 ? QStringLiteral("smith") : i == 50 ? QStringLiteral("tschirn") : QStringLiteral("other%1").arg(i);
        records->add(MatchRecord::fromRaw(QStringLiteral("r%1").arg(i), kFields,
                                          {surname, i % 2 ? QStringLiteral("leeds") : QStringLiteral("york")}));
    }
    return records;
}

} // namespace

TEST(TermFrequencyTest, CountsEachValuesShareOfTheRecordsHoldingOne)
{
    auto records = index();
    records->add(MatchRecord::fromRaw(QStringLiteral("blank"), kFields, {QString(), QStringLiteral("york")}));
    const TermFrequencies frequencies = countTermFrequencies(model(true).fields(), records->records());
    ASSERT_EQ(frequencies.byField.size(), 2u);
    EXPECT_DOUBLE_EQ(frequencies.byField[0].value(QStringLiteral("smith")), 0.5);  // the blank surname is not counted
    EXPECT_DOUBLE_EQ(frequencies.byField[0].value(QStringLiteral("tschirn")), 0.01);
    EXPECT_TRUE(frequencies.byField[1].isEmpty());  // town is not marked
}

TEST(TermFrequencyTest, ACommonValueAgreeingWeighsLessThanARareOne)
{
    const MatchModel adjusted = withTermFrequencies(model(true), *index());
    ASSERT_TRUE(adjusted.usesTermFrequencies());
    const double m = adjusted.fields()[0].m[0];
    EXPECT_NEAR(adjusted.weight(0, ComparisonLevel::Exact, QStringLiteral("smith")), std::log2(m / 0.5), 1e-9);
    EXPECT_NEAR(adjusted.weight(0, ComparisonLevel::Exact, QStringLiteral("tschirn")), std::log2(m / 0.01), 1e-9);
    EXPECT_LT(adjusted.weight(0, ComparisonLevel::Exact, QStringLiteral("smith")),
              adjusted.weight(0, ComparisonLevel::Exact, QStringLiteral("tschirn")));
    // Other levels and unknown values keep the field's own weight.
    EXPECT_EQ(adjusted.weight(0, ComparisonLevel::Close, QStringLiteral("smith")), adjusted.weight(0, ComparisonLevel::Close));
    EXPECT_EQ(adjusted.weight(0, ComparisonLevel::Exact, QStringLiteral("jones")), adjusted.weight(0, ComparisonLevel::Exact));
    // An unmarked field, or a model without frequencies, is not adjusted.
    EXPECT_EQ(adjusted.weight(1, ComparisonLevel::Exact, QStringLiteral("leeds")), adjusted.weight(1, ComparisonLevel::Exact));
    const MatchModel plain = withTermFrequencies(model(false), *index());
    EXPECT_FALSE(plain.usesTermFrequencies());
    EXPECT_EQ(plain.weight(0, ComparisonLevel::Exact, QStringLiteral("smith")), plain.weight(0, ComparisonLevel::Exact));
}

TEST(TermFrequencyTest, TheFloorCapsARareValuesWeight)
{
    // Among 10,000 records a value held once has a share of 0.0001, below the floor.
    auto records = std::make_shared<RecordIndex>(kFields, QList<BlockingKey>{});
    for (int i = 0; i < 10000; ++i)
        records->add(MatchRecord::fromRaw(QStringLiteral("r%1").arg(i), kFields, {QStringLiteral("name%1").arg(i), QString()}));
    const MatchModel adjusted = withTermFrequencies(model(true), *records);
    const double m = adjusted.fields()[0].m[0];
    EXPECT_NEAR(adjusted.weight(0, ComparisonLevel::Exact, QStringLiteral("name7")), std::log2(m / kTermFrequencyFloor), 1e-9);
}

TEST(TermFrequencyTest, TheMatcherRanksARareAgreementAboveACommonOne)
{
    auto records = index();
    const MatchModel adjusted = withTermFrequencies(model(true), *records);
    const MatchRecord query = MatchRecord::fromRaw({}, kFields, {QStringLiteral("tschirn"), QStringLiteral("york")});
    const QList<MatchRecord> candidates{*records->find(QStringLiteral("r0")), *records->find(QStringLiteral("r50"))};
    // Both agree on the town; r50 agrees on the rare surname, r0 (smith) does not agree.
    const MatchDecision decision = Matcher::decide(adjusted, query, candidates, {}, 5);
    ASSERT_NE(decision.best(), nullptr);
    EXPECT_EQ(decision.best()->record.id, QStringLiteral("r50"));
    const MatchRecord smithQuery = MatchRecord::fromRaw({}, kFields, {QStringLiteral("smith"), QStringLiteral("york")});
    const MatchDecision common = Matcher::decide(adjusted, smithQuery, {*records->find(QStringLiteral("r0"))}, {}, 5);
    const MatchDecision rare = Matcher::decide(adjusted, query, {*records->find(QStringLiteral("r50"))}, {}, 5);
    EXPECT_LT(common.best()->score, rare.best()->score);
    // Without the adjustment both agreements weigh alike.
    const MatchModel plain = model(false);
    EXPECT_EQ(Matcher::decide(plain, smithQuery, {*records->find(QStringLiteral("r0"))}, {}, 5).best()->score,
              Matcher::decide(plain, query, {*records->find(QStringLiteral("r50"))}, {}, 5).best()->score);
}

TEST(TermFrequencyTest, TheSettingReadsFromTheStepAndPrintsBack)
{
    const QJsonObject fields{
        {QStringLiteral("surname"), QJsonObject{{QStringLiteral("comparator"), QStringLiteral("name")},
                                                {QStringLiteral("term_frequency"), true}}},
        {QStringLiteral("town"), QJsonObject{{QStringLiteral("comparator"), QStringLiteral("exact")}}}};
    auto settings = MatchSettings::fromParams({{QStringLiteral("fields"), fields}}, {});
    ASSERT_TRUE(settings.has_value()) << settings.error().toString().toStdString();
    const int surname = settings->model.fieldIndex(QStringLiteral("surname"));
    const int town = settings->model.fieldIndex(QStringLiteral("town"));
    EXPECT_TRUE(settings->model.fields()[surname].termFrequency);
    EXPECT_FALSE(settings->model.fields()[town].termFrequency);
    EXPECT_TRUE(settings->model.toYaml().contains(QStringLiteral("term_frequency: true")));
    EXPECT_EQ(settings->model.toYaml().count(QStringLiteral("term_frequency")), 1);
    EXPECT_TRUE(settings->model.toJson()
                    .value(QStringLiteral("fields")).toObject()
                    .value(QStringLiteral("surname")).toObject()
                    .value(QStringLiteral("term_frequency")).toBool());
}
