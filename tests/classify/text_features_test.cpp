#include "classify/text_features.h"
#include "test_support.h"

#include <gtest/gtest.h>

using namespace clerk::classify;

TEST(TextFeaturesTest, NormalisesCaseDigitsAndPunctuation)
{
    const struct {
        const char *input;
        const char *expected;
    } cases[] = {
        {"Blue Badge", "blue badge"},
        {"  Ref: AB-12345!  ", "ref ab 00000"},
        {"line one\nline\ttwo", "line one line two"},
        {"Café £20.50", "café 00 00"},
        {"", ""},
        {"?!", ""},
    };
    for (const auto &c : cases)
        EXPECT_EQ(normaliseText(QString::fromUtf8(c.input)), QString::fromUtf8(c.expected)) << c.input;
}

TEST(TextFeaturesTest, ExtractsWordsBigramsAndCharacterGrams)
{
    FeatureSettings settings;
    settings.charMin = 3;
    settings.charMax = 3;
    const QStringList terms = extractTerms(QStringLiteral("Big pot"), settings);
    EXPECT_EQ(terms, (QStringList{QStringLiteral("w:big"), QStringLiteral("w:big pot"), QStringLiteral("c: bi"),
                                  QStringLiteral("c:big"), QStringLiteral("c:ig "), QStringLiteral("w:pot"),
                                  QStringLiteral("c: po"), QStringLiteral("c:pot"), QStringLiteral("c:ot ")}));
    settings.wordNgrams = 1;
    settings.charMin = 0;
    EXPECT_EQ(extractTerms(QStringLiteral("Big pot"), settings), (QStringList{QStringLiteral("w:big"), QStringLiteral("w:pot")}));
}

TEST(TextFeaturesTest, ReadableTermsShowWhereAFragmentSits)
{
    EXPECT_EQ(readableTerm(QStringLiteral("w:blue badge")), QStringLiteral("blue badge"));
    EXPECT_EQ(readableTerm(QStringLiteral("c: pot")), QStringLiteral("pot…"));
    EXPECT_EQ(readableTerm(QStringLiteral("c:hole ")), QStringLiteral("…hole"));
    EXPECT_EQ(readableTerm(QStringLiteral("c:tho")), QStringLiteral("…tho…"));
}

TEST(TextFeaturesTest, ReadableTermsLeaveOutWhatAPersonWouldNotRecognise)
{
    const struct {
        const char *term;
        const char *expected;
    } cases[] = {
        {"w:pothole road", "pothole road"},
        {"w:pothole", "pothole"},
        {"w:0000", ""},
        {"w:we", ""},
        {"w:the", ""},
        {"w:thanks", ""},
        {"w:the road", ""},
        {"w:road 00", ""},
        {"w:x", ""},
        {"w:a0", ""},
        {"c: 000 ", ""},
        {"c:00", ""},
        {"c: the ", ""},
        {"c: pot ", "pot"},
        {"c: th", "th…"},
    };
    for (const auto &c : cases)
        EXPECT_EQ(readableTerm(QString::fromUtf8(c.term)), QString::fromUtf8(c.expected)) << c.term;
}

TEST(TextFeaturesTest, VocabularyKeepsFrequentTermsAndVectorsAreUnitLength)
{
    FeatureSettings settings;
    settings.charMin = 0;
    settings.wordNgrams = 1;
    settings.minCount = 2;
    const TermVocabulary vocabulary = TermVocabulary::build(
        {QStringLiteral("pothole road"), QStringLiteral("pothole pavement"), QStringLiteral("school place")}, settings);
    ASSERT_EQ(vocabulary.size(), 1);
    EXPECT_EQ(vocabulary.term(0), QStringLiteral("w:pothole"));

    settings.minCount = 1;
    const TermVocabulary all = TermVocabulary::build(
        {QStringLiteral("pothole road"), QStringLiteral("pothole pavement"), QStringLiteral("school place")}, settings);
    const FeatureVector vector = all.vectorize(QStringLiteral("pothole pothole road unknown"));
    ASSERT_EQ(vector.size(), 2);
    double norm = 0;
    for (const FeatureValue &f : vector)
        norm += f.value * f.value;
    EXPECT_NEAR(norm, 1.0, 1e-12);
    EXPECT_LT(vector[0].index, vector[1].index);
    EXPECT_TRUE(all.vectorize(QStringLiteral("nothing known")).isEmpty());
}
