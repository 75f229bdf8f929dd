// Forename and surname written the other way round: compared crosswise between the two
// name fields of a model, and only when the direct comparison does not agree.
#include "match/match_model.h"

#include <gtest/gtest.h>

using namespace clerk::match;

namespace {

using L = ComparisonLevel;

MatchModel personModel()
{
    return MatchModel({defaultFieldModel(QStringLiteral("forename"), ComparatorKind::Name),
                       defaultFieldModel(QStringLiteral("surname"), ComparatorKind::Name),
                       defaultFieldModel(QStringLiteral("dob"), ComparatorKind::Date)},
                      0.01);
}

ComparisonVector levels(const QStringList &query, const QStringList &candidate)
{
    const MatchModel model = personModel();
    return model.compare(MatchRecord::fromRaw({}, model.fieldSpecs(), query),
                         MatchRecord::fromRaw(QStringLiteral("r"), model.fieldSpecs(), candidate));
}

} // namespace

TEST(SwappedNamesTest, ForenameAndSurnameTheOtherWayRoundAreClose)
{
    EXPECT_EQ(levels({QStringLiteral("Smith"), QStringLiteral("John"), QStringLiteral("1980-01-02")},
                     {QStringLiteral("John"), QStringLiteral("Smith"), QStringLiteral("1980-01-02")}),
              (ComparisonVector{L::Close, L::Close, L::Exact}));
    // With a typo on one side of the swap.
    EXPECT_EQ(levels({QStringLiteral("Smith"), QStringLiteral("Jonh"), QString()}, {QStringLiteral("John"), QStringLiteral("Smith"), QString()}),
              (ComparisonVector{L::Close, L::Close, L::Missing}));
}

TEST(SwappedNamesTest, ALoneNameThatIsTheRecordsOtherNameIsComparedAsThatField)
{
    // "Morus" given as the forename, the surname left empty: it is compared as the surname.
    EXPECT_EQ(levels({QStringLiteral("Morus"), QString(), QString()}, {QStringLiteral("Alexander"), QStringLiteral("Morus"), QString()}),
              (ComparisonVector{L::Missing, L::Exact, L::Missing}));
    EXPECT_EQ(levels({QString(), QStringLiteral("Alexander"), QString()}, {QStringLiteral("Alexander"), QStringLiteral("Morus"), QString()}),
              (ComparisonVector{L::Exact, L::Missing, L::Missing}));
    // A typo keeps its level ("philips" against the surname "phillips").
    EXPECT_EQ(levels({QStringLiteral("Philips"), QString(), QString()}, {QStringLiteral("Edward"), QStringLiteral("Phillips"), QString()}),
              (ComparisonVector{L::Missing, L::Close, L::Missing}));
    // So it weighs what an agreeing surname weighs, not less.
    const MatchModel model = personModel();
    const ComparisonVector lone = levels({QStringLiteral("Morus"), QString(), QString()},
                                         {QStringLiteral("Alexander"), QStringLiteral("Morus"), QString()});
    EXPECT_DOUBLE_EQ(model.score(lone), model.weight(1, L::Exact));
    // A lone name that agrees with neither field stays as it was.
    EXPECT_EQ(levels({QStringLiteral("Brown"), QString(), QString()}, {QStringLiteral("Alexander"), QStringLiteral("Morus"), QString()}),
              (ComparisonVector{L::Different, L::Missing, L::Missing}));
}

TEST(SwappedNamesTest, DirectAgreementIsNeverTurnedIntoASwap)
{
    // "Thomas Thomas" against "Thomas Jones": the forename agrees directly; the surname stays Different.
    EXPECT_EQ(levels({QStringLiteral("Thomas"), QStringLiteral("Thomas"), QString()}, {QStringLiteral("Thomas"), QStringLiteral("Jones"), QString()}),
              (ComparisonVector{L::Exact, L::Different, L::Missing}));
    // Only one name crossing while the other disagrees is not a swap.
    EXPECT_EQ(levels({QStringLiteral("Jones"), QStringLiteral("Brown"), QString()}, {QStringLiteral("Mary"), QStringLiteral("Jones"), QString()}),
              (ComparisonVector{L::Different, L::Different, L::Missing}));
}

TEST(SwappedNamesTest, OnlyNameFieldsAreComparedCrosswise)
{
    const MatchModel model({defaultFieldModel(QStringLiteral("forename"), ComparatorKind::Name),
                            defaultFieldModel(QStringLiteral("town"), ComparatorKind::Exact)},
                           0.01);
    const ComparisonVector result = model.compare(MatchRecord::fromRaw({}, model.fieldSpecs(), {QStringLiteral("leeds"), QStringLiteral("john")}),
                                                  MatchRecord::fromRaw(QStringLiteral("r"), model.fieldSpecs(), {QStringLiteral("john"), QStringLiteral("leeds")}));
    EXPECT_EQ(result, (ComparisonVector{L::Different, L::Different}));
}
