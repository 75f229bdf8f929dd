// extractField(): label context, choosing among candidates, and what it says when
// nothing valid was found.
#include "extract/field_extractor.h"

#include <gtest/gtest.h>

using namespace clerk::extract;

namespace {

FieldResult extract(const QString &text, FieldSpec spec)
{
    spec.referenceDate = QDate(2026, 3, 2);
    auto result = extractField(text, spec);
    EXPECT_TRUE(result.has_value());
    return result.value_or(FieldResult{});
}

const QString kLetter = QStringLiteral(
    "Leeds City Council\n"
    "12 January 2026\n"
    "Dear Sir or Madam,\n"
    "Re: Mrs Jane Smith, Date of birth: 03/03/1952\n"
    "Please call 0113 496 0000.\n");

} // namespace

TEST(FieldExtractorTest, TheCandidateAfterALabelWins)
{
    const FieldResult result = extract(kLetter, {.type = FieldType::Date, .labels = {QStringLiteral("Date of birth"),
                                                                                      QStringLiteral("DOB")},
                                                 .pastOnly = true});
    ASSERT_TRUE(result.best.has_value());
    EXPECT_EQ(result.best->value, QStringLiteral("1952-03-03"));
    EXPECT_EQ(result.best->label, QStringLiteral("Date of birth"));
    EXPECT_DOUBLE_EQ(result.best->confidence, 1.0);
    EXPECT_EQ(result.candidates.size(), 2);
}

TEST(FieldExtractorTest, SeveralUnlabelledCandidatesLowerTheConfidence)
{
    const FieldResult result = extract(kLetter, {.type = FieldType::Date});
    ASSERT_TRUE(result.best.has_value());
    EXPECT_EQ(result.best->value, QStringLiteral("2026-01-12"));  // the first, at equal confidence
    EXPECT_LT(result.best->confidence, 0.8);
    EXPECT_TRUE(result.best->reasons.contains(QStringLiteral("1 other candidate")));
}

TEST(FieldExtractorTest, LabelsTheBotGaveButTheTextLacksLowerTheConfidence)
{
    const FieldResult result = extract(QStringLiteral("Received 12/01/2026"),
                                       {.type = FieldType::Date, .labels = {QStringLiteral("DOB")}});
    ASSERT_TRUE(result.best.has_value());
    EXPECT_LT(result.best->confidence, 0.8);
    EXPECT_TRUE(result.best->reasons.contains(QStringLiteral("not next to any of its labels")));
}

TEST(FieldExtractorTest, DefaultLabelsRaiseConfidence)
{
    const FieldResult result = extract(QStringLiteral("NHS No: 943 476 5919"), {.type = FieldType::NhsNumber});
    ASSERT_TRUE(result.best.has_value());
    EXPECT_EQ(result.best->label, QStringLiteral("NHS No"));
    EXPECT_DOUBLE_EQ(result.best->confidence, 1.0);
}

TEST(FieldExtractorTest, ALabelClaimsOnlyTheFirstCandidateWithinReach)
{
    const FieldResult result = extract(QStringLiteral("NHS number\n\n\n943 476 5919"), {.type = FieldType::NhsNumber});
    ASSERT_TRUE(result.best.has_value());
    EXPECT_TRUE(result.best->label.isEmpty()) << "two line breaks: too far from the label";
}

TEST(FieldExtractorTest, SaysWhyWhenNothingValidWasFound)
{
    FieldResult result = extract(QStringLiteral("NHS No 943 476 5918"), {.type = FieldType::NhsNumber});
    EXPECT_FALSE(result.best.has_value());
    EXPECT_EQ(result.problem, QStringLiteral("check digit does not match"));
    ASSERT_EQ(result.candidates.size(), 1);
    EXPECT_EQ(result.candidates[0].label, QStringLiteral("NHS No"));

    result = extract(QStringLiteral("nothing here"), {.type = FieldType::NhsNumber});
    EXPECT_FALSE(result.best.has_value());
    EXPECT_TRUE(result.candidates.isEmpty());
    EXPECT_TRUE(result.problem.isEmpty());
}

TEST(FieldExtractorTest, AValidCandidateIsPreferredToALabelledInvalidOne)
{
    const FieldResult result = extract(QStringLiteral("NHS No 943 476 5918, corrected: 943 476 5919"),
                                       {.type = FieldType::NhsNumber});
    ASSERT_TRUE(result.best.has_value());
    EXPECT_EQ(result.best->value, QStringLiteral("9434765919"));
}

TEST(FieldExtractorTest, ReferencesNeedAValidPattern)
{
    EXPECT_FALSE(extractField(QStringLiteral("x"), {.type = FieldType::Reference}).has_value());
    EXPECT_FALSE(extractField(QStringLiteral("x"), {.type = FieldType::Reference, .pattern = QStringLiteral("[")}).has_value());
    const auto ok = extractField(QStringLiteral("Ref HB-123456"),
                                 {.type = FieldType::Reference, .pattern = QStringLiteral("[A-Z]{2}-\\d{6}")});
    ASSERT_TRUE(ok.has_value());
    EXPECT_EQ(ok->best->value, QStringLiteral("HB-123456"));
}

TEST(FieldExtractorTest, FieldTypeNamesRoundTrip)
{
    for (const QString &name : fieldTypeNames()) {
        const auto type = fieldTypeFromString(name);
        ASSERT_TRUE(type.has_value()) << name.toStdString();
        EXPECT_EQ(toString(*type), name);
    }
    EXPECT_FALSE(fieldTypeFromString(QStringLiteral("postcode")).has_value());
}

TEST(FieldExtractorTest, ASecondValidNhsNumberNeedsAPersonEvenWhenOneIsLabelled)
{
    const FieldResult result = extract(QStringLiteral("NHS No: 943 476 5919. Her husband: 738 291 0466."),
                                       {.type = FieldType::NhsNumber});
    ASSERT_TRUE(result.best.has_value());
    EXPECT_EQ(result.best->value, QStringLiteral("9434765919"));
    EXPECT_LT(result.best->confidence, 0.8);
}
