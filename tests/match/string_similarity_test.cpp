#include "match/string_similarity.h"

#include "match_test_support.h"

#include <gtest/gtest.h>

using namespace clerk::match;

TEST(StringSimilarityTest, LevenshteinCountsEdits)
{
    const struct {
        const char16_t *a;
        const char16_t *b;
        int distance;
    } cases[] = {
        {u"", u"", 0},           {u"abc", u"", 3},          {u"", u"abc", 3},
        {u"kitten", u"sitting", 3}, {u"smith", u"smyth", 1}, {u"flaw", u"lawn", 2},
        {u"neumann", u"neuman", 1},
    };
    for (const auto &c : cases) {
        EXPECT_EQ(levenshteinDistance(QStringView(c.a), QStringView(c.b)), c.distance)
            << QString::fromUtf16(c.a).toStdString() << " / " << QString::fromUtf16(c.b).toStdString();
    }
    EXPECT_DOUBLE_EQ(normalisedLevenshtein(u"", u""), 1.0);
    EXPECT_DOUBLE_EQ(normalisedLevenshtein(u"smith", u"smyth"), 0.8);
}

TEST(StringSimilarityTest, OneEditApartCoversSubstitutionIndelAndAdjacentSwap)
{
    EXPECT_TRUE(isOneEditApart(u"19651013", u"19651018"));
    EXPECT_TRUE(isOneEditApart(u"19651013", u"19561013"));
    EXPECT_TRUE(isOneEditApart(u"jon", u"john"));
    EXPECT_TRUE(isOneEditApart(u"john", u"jon"));
    EXPECT_FALSE(isOneEditApart(u"john", u"john"));
    EXPECT_FALSE(isOneEditApart(u"19651013", u"19661014"));
    EXPECT_FALSE(isOneEditApart(u"abcd", u"badc"));
}

TEST(StringSimilarityTest, JaroWinklerMatchesPublishedValues)
{
    // Values from Winkler's papers (and common reference implementations).
    EXPECT_NEAR(jaroWinkler(u"martha", u"marhta"), 0.9611, 1e-4);
    EXPECT_NEAR(jaroWinkler(u"dwayne", u"duane"), 0.84, 1e-4);
    EXPECT_NEAR(jaroWinkler(u"dixon", u"dicksonx"), 0.8133, 1e-4);
    EXPECT_DOUBLE_EQ(jaroWinkler(u"abc", u"abc"), 1.0);
    EXPECT_DOUBLE_EQ(jaroWinkler(u"abc", u"xyz"), 0.0);
    EXPECT_DOUBLE_EQ(jaroWinkler(u"", u"abc"), 0.0);
}

TEST(StringSimilarityTest, NysiisGroupsNamesThatSoundAlike)
{
    const struct {
        const char16_t *a;
        const char16_t *b;
    } same[] = {
        {u"Catherine", u"Katharine"}, {u"Smith", u"Smyth"},   {u"Macdonald", u"Mcdonald"},
        {u"Knight", u"Night"},        {u"Phillips", u"Filips"}, {u"Schmidt", u"Smidt"},
    };
    for (const auto &c : same)
        EXPECT_EQ(nysiis(c.a), nysiis(c.b)) << QString::fromUtf16(c.a).toStdString();
    EXPECT_NE(nysiis(u"Smith"), nysiis(u"Jones"));
    EXPECT_EQ(nysiis(u"O'Brien"), nysiis(u"OBrien"));
    EXPECT_EQ(nysiis(u"123"), QString());
    EXPECT_LE(nysiis(u"Wolfeschlegelsteinhausen", 6).size(), 6);
}
