#include "match/matcher.h"

#include "match/record_index.h"
#include "match_test_support.h"

#include <QJsonObject>
#include <gtest/gtest.h>

using namespace clerk;
using namespace clerk::match;

namespace {

const QList<FieldSpec> kFields{{QStringLiteral("forename"), ComparatorKind::Name},
                               {QStringLiteral("surname"), ComparatorKind::Name},
                               {QStringLiteral("dob"), ComparatorKind::Date}};

MatchModel defaultModel()
{
    QList<FieldModel> fields;
    for (const FieldSpec &f : kFields)
        fields.append(defaultFieldModel(f.name, f.comparator));
    return MatchModel(fields, 0.01);
}

MatchRecord rec(const QString &id, const QString &forename, const QString &surname, const QString &dob)
{
    return MatchRecord::fromRaw(id, kFields, {forename, surname, dob});
}

// A source that fails, as a case system that is down would.
class DownSource final : public CandidateSource {
public:
    const QList<FieldSpec> &fields() const override { return kFields; }
    Result<QList<MatchRecord>> candidates(const MatchRecord &) const override
    {
        return fail(Error::unavailable(QStringLiteral("case system down")));
    }
};

} // namespace

TEST(MatcherTest, BandsFollowThresholdsAndMargin)
{
    const MatchThresholds thresholds{0.95, 0.5, 0.1};
    auto ranked = [](std::initializer_list<double> probabilities) {
        QList<ScoredCandidate> list;
        for (double p : probabilities) {
            ScoredCandidate c;
            c.probability = p;
            list.append(c);
        }
        return list;
    };
    const struct {
        QList<ScoredCandidate> ranked;
        MatchOutcome outcome;
    } cases[] = {
        {ranked({}), MatchOutcome::NoMatch},
        {ranked({0.3}), MatchOutcome::NoMatch},
        {ranked({0.99}), MatchOutcome::Matched},
        {ranked({0.99, 0.5}), MatchOutcome::Matched},
        {ranked({0.99, 0.95}), MatchOutcome::NeedsPerson},  // two strong candidates: a person decides
        {ranked({0.9}), MatchOutcome::NeedsPerson},
        {ranked({0.5}), MatchOutcome::NeedsPerson},
    };
    for (const auto &c : cases)
        EXPECT_EQ(Matcher::band(c.ranked, thresholds), c.outcome) << c.ranked.size();
}

TEST(MatcherTest, RanksCandidatesAndExplainsEachField)
{
    const MatchModel model = defaultModel();
    const MatchRecord query = rec({}, QStringLiteral("Amelia"), QStringLiteral("Smith"), QStringLiteral("1980-03-02"));
    const QList<MatchRecord> candidates{
        rec(QStringLiteral("b"), QStringLiteral("amelia"), QStringLiteral("smyth"), QStringLiteral("1980-02-03")),
        rec(QStringLiteral("a"), QStringLiteral("amelia"), QStringLiteral("smith"), QStringLiteral("1980-03-02")),
        rec(QStringLiteral("c"), QStringLiteral("george"), QStringLiteral("jones"), QStringLiteral("1975-01-01")),
        rec(QStringLiteral("a"), QStringLiteral("amelia"), QStringLiteral("smith"), QStringLiteral("1980-03-02")),
    };
    const MatchDecision decision = Matcher::decide(model, query, candidates, {0.99, 0.5, 0.1}, 2);
    EXPECT_EQ(decision.candidatesSeen, 3);  // the duplicate "a" counts once
    ASSERT_EQ(decision.ranked.size(), 2);
    EXPECT_EQ(decision.ranked[0].record.id, QStringLiteral("a"));
    EXPECT_EQ(decision.ranked[1].record.id, QStringLiteral("b"));
    EXPECT_GT(decision.ranked[0].probability, decision.ranked[1].probability);
    // "b" is plausible too (a sound-alike surname and a swapped date): the margin sends
    // the decision to a person. Without "b" the bot decides.
    EXPECT_EQ(decision.outcome, MatchOutcome::NeedsPerson);
    EXPECT_EQ(Matcher::decide(model, query, {candidates[1], candidates[2]}, {0.99, 0.5, 0.1}, 2).outcome,
              MatchOutcome::Matched);

    const QJsonArray explained = explainComparison(model, query, decision.ranked[1]);
    ASSERT_EQ(explained.size(), 3);
    const QJsonObject surname = explained[1].toObject();
    EXPECT_EQ(surname.value(QStringLiteral("field")).toString(), QStringLiteral("surname"));
    EXPECT_EQ(surname.value(QStringLiteral("query")).toString(), QStringLiteral("smith"));
    EXPECT_EQ(surname.value(QStringLiteral("candidate")).toString(), QStringLiteral("smyth"));
    EXPECT_EQ(surname.value(QStringLiteral("level")).toString(), QStringLiteral("partial"));
    EXPECT_GT(surname.value(QStringLiteral("weight")).toDouble(), 0);
    EXPECT_EQ(explained[2].toObject().value(QStringLiteral("level")).toString(), QStringLiteral("close"));
}

TEST(MatcherTest, MatchesGeneratedPeopleThroughTheIndex)
{
    const QList<FieldSpec> fields{{QStringLiteral("forename"), ComparatorKind::Name},
                                  {QStringLiteral("surname"), ComparatorKind::Name},
                                  {QStringLiteral("dob"), ComparatorKind::Date},
                                  {QStringLiteral("postcode"), ComparatorKind::Postcode},
                                  {QStringLiteral("nhs"), ComparatorKind::NhsNumber}};
    clerk::testing::PeopleGenerator generator(11);
    auto index = std::make_shared<RecordIndex>(fields, defaultBlockingKeys(fields));
    QList<clerk::testing::Person> people;
    for (int i = 0; i < 1000; ++i) {
        people.append(generator.person(QStringLiteral("p%1").arg(i)));
        index->add(MatchRecord::fromRaw(people.last().id, fields, people.last().values()));
    }
    QList<FieldModel> models;
    for (const FieldSpec &f : fields)
        models.append(defaultFieldModel(f.name, f.comparator));
    const Matcher matcher(MatchModel(models, 0.01), index, {0.99, 0.5, 0.1}, 5);

    int matchedRight = 0, matchedWrong = 0;
    for (int i = 0; i < 100; ++i) {
        auto decision = matcher.match(MatchRecord::fromRaw({}, fields, generator.corrupt(people[i]).values()));
        ASSERT_TRUE(decision.has_value());
        if (decision->outcome == MatchOutcome::Matched)
            (decision->best()->record.id == people[i].id ? matchedRight : matchedWrong) += 1;
    }
    EXPECT_EQ(matchedWrong, 0);
    EXPECT_GE(matchedRight, 90);

    // Someone new: no candidate is close enough.
    const clerk::testing::Person stranger = generator.person(QStringLiteral("new"));
    auto decision = matcher.match(MatchRecord::fromRaw({}, fields, stranger.values()));
    ASSERT_TRUE(decision.has_value());
    EXPECT_EQ(decision->outcome, MatchOutcome::NoMatch);
}

TEST(MatcherTest, PassesTheSourcesErrorOn)
{
    const Matcher matcher(defaultModel(), std::make_shared<DownSource>(), {}, 5);
    auto decision = matcher.match(rec({}, QStringLiteral("a"), QStringLiteral("b"), QStringLiteral("1980-01-01")));
    ASSERT_FALSE(decision.has_value());
    EXPECT_EQ(decision.error().code(), ErrorCode::Unavailable);
}

TEST(MatcherTest, AmongCandidatesAStrongRunnerUpLowersTheBestAndWeakOnesDoNot)
{
    const FieldModel name{QStringLiteral("name"), ComparatorKind::Exact, {0.9, 0, 0, 0, 0.1}, {0.001, 0, 0, 0, 0.999}};
    const MatchModel model({name}, 0.01);
    const QList<FieldSpec> fields{{QStringLiteral("name"), ComparatorKind::Exact}};
    const MatchRecord query = MatchRecord::fromRaw({}, fields, {QStringLiteral("tschirn")});
    const MatchRecord same = MatchRecord::fromRaw(QStringLiteral("a"), fields, {QStringLiteral("tschirn")});
    const MatchRecord twin = MatchRecord::fromRaw(QStringLiteral("b"), fields, {QStringLiteral("tschirn")});
    QList<MatchRecord> others;
    for (int i = 0; i < 100; ++i)
        others.append(MatchRecord::fromRaw(QStringLiteral("o%1").arg(i), fields, {QStringLiteral("other%1").arg(i)}));

    MatchThresholds pairwise{0.8, 0.5, 0.1};
    MatchThresholds among = pairwise;
    among.amongCandidates = true;
    // One good candidate: both ways give the pair's posterior (odds 9 -> 0.9).
    const MatchDecision alone = Matcher::decide(model, query, {same}, among, 5);
    EXPECT_NEAR(alone.best()->probability, Matcher::decide(model, query, {same}, pairwise, 5).best()->probability, 1e-12);
    EXPECT_EQ(alone.outcome, MatchOutcome::Matched);
    // A hundred weak candidates barely move it.
    const MatchDecision crowd = Matcher::decide(model, query, QList<MatchRecord>{same} + others, among, 5);
    EXPECT_EQ(crowd.best()->record.id, QStringLiteral("a"));
    EXPECT_GT(crowd.best()->probability, 0.85);
    EXPECT_EQ(crowd.outcome, MatchOutcome::Matched);
    // An equally good runner-up nearly halves both (odds r each: r / (1 + 2r)), but the
    // pair's own posterior keeps the item away from "no match": a person decides.
    const MatchDecision two = Matcher::decide(model, query, {same, twin}, among, 5);
    const double pair = alone.best()->pairProbability;
    const double odds = pair / (1 - pair);
    EXPECT_NEAR(two.ranked[0].probability, odds / (1 + 2 * odds), 1e-9);
    EXPECT_NEAR(two.ranked[1].probability, odds / (1 + 2 * odds), 1e-9);
    EXPECT_LT(two.ranked[0].probability, 0.5);
    EXPECT_NEAR(two.ranked[0].pairProbability, pair, 1e-12);
    EXPECT_EQ(two.outcome, MatchOutcome::NeedsPerson);
}
