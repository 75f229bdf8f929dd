#include "match/match_evidence.h"

#include <QJsonDocument>
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

QJsonObject parse(const char *json)
{
    return QJsonDocument::fromJson(QByteArray(json)).object();
}

} // namespace

TEST(MatchEvidenceTest, WritesTheFormatPeopleAndTheWebPageRead)
{
    CandidateEvidence evidence;
    evidence.recordId = QStringLiteral("r7");
    evidence.score = 12.34;
    evidence.probability = 0.5;
    evidence.fields = {{QStringLiteral("surname"), QStringLiteral("smith"), QStringLiteral("smyth"),
                        ComparisonLevel::Partial, 3.21},
                       {QStringLiteral("dob"), QString(), QStringLiteral("1980-01-02"), ComparisonLevel::Missing, 0}};
    EXPECT_EQ(QJsonDocument(toJson(evidence)).toJson(QJsonDocument::Compact),
              QByteArray(R"({"fields":[{"candidate":"smyth","field":"surname","level":"partial","query":"smith",)"
                         R"("weight":3.21},{"candidate":"1980-01-02","field":"dob","level":"missing","query":"",)"
                         R"("weight":0}],"probability":0.5,"record_id":"r7","score":12.34})"));

    // Blind: neither score nor probability is written.
    evidence.score.reset();
    evidence.probability.reset();
    const QJsonObject blind = toJson(evidence);
    EXPECT_FALSE(blind.contains(QStringLiteral("score")));
    EXPECT_FALSE(blind.contains(QStringLiteral("probability")));
}

TEST(MatchEvidenceTest, RoundTripsWhatTheMatcherDecided)
{
    const MatchModel model = defaultModel();
    const MatchRecord query = MatchRecord::fromRaw(QStringLiteral("q"), kFields,
                                                   {QStringLiteral("John"), QStringLiteral("Smith"), QString()});
    const MatchRecord record = MatchRecord::fromRaw(
        QStringLiteral("b"), kFields, {QStringLiteral("John"), QStringLiteral("Smyth"), QStringLiteral("1980-02-01")});
    const MatchDecision decision = Matcher::decide(model, query, {record}, {0.99, 0.5, 0.1}, 5);
    ASSERT_EQ(decision.ranked.size(), 1);

    const CandidateEvidence written = candidateEvidence(model, query, decision.ranked[0]);
    ASSERT_EQ(written.fields.size(), 3);
    EXPECT_EQ(written.recordId, QStringLiteral("b"));
    EXPECT_EQ(written.fields[2].level, ComparisonLevel::Missing);
    EXPECT_EQ(toJson(written).value(QStringLiteral("fields")).toArray(),
              explainComparison(model, query, decision.ranked[0]));

    const QJsonObject json = toJson(written);
    const CandidateEvidence read = candidateEvidenceFromJson(json);
    EXPECT_EQ(read.recordId, written.recordId);
    EXPECT_EQ(read.score, written.score);
    EXPECT_EQ(read.probability, written.probability);
    ASSERT_EQ(read.fields.size(), written.fields.size());
    for (qsizetype f = 0; f < read.fields.size(); ++f) {
        EXPECT_EQ(read.fields[f].field, written.fields[f].field);
        EXPECT_EQ(read.fields[f].query, written.fields[f].query);
        EXPECT_EQ(read.fields[f].candidate, written.fields[f].candidate);
        EXPECT_EQ(read.fields[f].level, written.fields[f].level);
        EXPECT_EQ(read.fields[f].weight, written.fields[f].weight);
    }
    EXPECT_EQ(toJson(read), json);
}

TEST(MatchEvidenceTest, ReadsBlindEvidenceWithoutScores)
{
    const CandidateEvidence read =
        candidateEvidenceFromJson(parse(R"({"record_id":"r1","fields":[{"field":"dob","level":"exact"}]})"));
    EXPECT_EQ(read.recordId, QStringLiteral("r1"));
    EXPECT_FALSE(read.score.has_value());
    EXPECT_FALSE(read.probability.has_value());
    ASSERT_EQ(read.fields.size(), 1);
    EXPECT_EQ(read.fields[0].level, ComparisonLevel::Exact);
}

TEST(MatchEvidenceTest, DropsFieldsWithAnUnknownLevel)
{
    const CandidateEvidence read = candidateEvidenceFromJson(
        parse(R"({"record_id":"r1","fields":[{"field":"surname","level":"sort of"},{"field":"dob","level":"close"}]})"));
    ASSERT_EQ(read.fields.size(), 1);
    EXPECT_EQ(read.fields[0].field, QStringLiteral("dob"));
    EXPECT_EQ(read.fields[0].level, ComparisonLevel::Close);
}

TEST(MatchEvidenceTest, TurnsAnAnsweredQuestionIntoLabelledPairs)
{
    const MatchModel model = defaultModel();
    const QJsonObject evidence = parse(R"({"query":{},"candidates":[
        {"record_id":"a","fields":[{"field":"forename","level":"exact"},{"field":"surname","level":"close"},
                                   {"field":"dob","level":"missing"}]},
        {"record_id":"b","fields":[{"field":"forename","level":"weak"},{"field":"shoe_size","level":"exact"},
                                   {"field":"surname","level":"sort of"},{"field":"dob","level":"different"}]}]})");

    const QList<LabelledPair> pairs = labelledPairsFromEvidence(model, evidence, QStringLiteral("a"));
    ASSERT_EQ(pairs.size(), 2);
    EXPECT_TRUE(pairs[0].isMatch);
    EXPECT_EQ(pairs[0].levels, (ComparisonVector{ComparisonLevel::Exact, ComparisonLevel::Close,
                                                 ComparisonLevel::Missing}));
    // A field the model does not know is ignored; an unknown level leaves the field Missing.
    EXPECT_FALSE(pairs[1].isMatch);
    EXPECT_EQ(pairs[1].levels, (ComparisonVector{ComparisonLevel::Weak, ComparisonLevel::Missing,
                                                 ComparisonLevel::Different}));

    // "None of these": no candidate matches.
    for (const LabelledPair &pair : labelledPairsFromEvidence(model, evidence, QStringLiteral("none")))
        EXPECT_FALSE(pair.isMatch);
    EXPECT_TRUE(labelledPairsFromEvidence(model, QJsonObject{}, QStringLiteral("a")).isEmpty());
}

// queue show takes a match question's candidates out of its evidence to lay them out; an
// extract step's "candidates" (values per field) are not a match step's and stay where they are.
TEST(MatchEvidenceTest, TakesOnlyAMatchQuestionsCandidates)
{
    QJsonObject question{{QStringLiteral("query"), QJsonObject{{QStringLiteral("surname"), QStringLiteral("smith")}}},
                         {candidatesKey(),
                          QJsonArray{QJsonObject{{QStringLiteral("record_id"), QStringLiteral("r1")},
                                                 {QStringLiteral("probability"), 0.97}},
                                     QJsonObject{{QStringLiteral("record_id"), QStringLiteral("r2")}}}}};
    const QList<CandidateEvidence> taken = takeCandidates(question);
    ASSERT_EQ(taken.size(), 2);
    EXPECT_EQ(taken[0].recordId, QStringLiteral("r1"));
    EXPECT_EQ(taken[0].probability, 0.97);
    EXPECT_FALSE(taken[1].probability.has_value());
    EXPECT_FALSE(question.contains(candidatesKey()));
    EXPECT_TRUE(question.contains(QStringLiteral("query")));

    QJsonObject extracted{{candidatesKey(), QJsonObject{{QStringLiteral("postcode"), QJsonArray{QStringLiteral("LS1 4AP")}}}}};
    EXPECT_TRUE(takeCandidates(extracted).isEmpty());
    EXPECT_TRUE(extracted.contains(candidatesKey()));
    QJsonObject other{{candidatesKey(), QJsonArray{QStringLiteral("LS1 4AP")}}};
    EXPECT_TRUE(takeCandidates(other).isEmpty());
    EXPECT_TRUE(other.contains(candidatesKey()));
}
