#include "core/shadow_suggestion.h"

#include <QJsonDocument>

#include <gtest/gtest.h>

using clerk::ShadowSuggestion;

namespace {

QJsonObject evidenceFrom(const char *json)
{
    return QJsonDocument::fromJson(QByteArray(json)).object();
}

} // namespace

TEST(ShadowSuggestionTest, ReadsWhatItWrites)
{
    QJsonObject evidence{{QStringLiteral("reasons"), QStringLiteral("close")}};
    ShadowSuggestion{QStringLiteral("blue-badge"), 0.87, {{QStringLiteral("team"), QStringLiteral("blue-badge")}}}
        .writeTo(evidence);
    EXPECT_EQ(evidence.value(QStringLiteral("reasons")).toString(), QStringLiteral("close"));
    const auto read = ShadowSuggestion::readFrom(evidence);
    ASSERT_TRUE(read.has_value());
    EXPECT_EQ(read->choice, QStringLiteral("blue-badge"));
    EXPECT_DOUBLE_EQ(read->confidence, 0.87);
    EXPECT_EQ(read->outputs.value(QStringLiteral("team")).toString(), QStringLiteral("blue-badge"));
}

TEST(ShadowSuggestionTest, WritesTheConfidenceClampedAndTheLayoutTheFiguresRead)
{
    QJsonObject evidence;
    ShadowSuggestion{QString(), 1.7, {}}.writeTo(evidence);
    const QJsonObject stored = evidence.value(QStringLiteral("suggestion")).toObject();
    EXPECT_EQ(stored.value(QStringLiteral("choice")).toString(), QString());
    EXPECT_DOUBLE_EQ(stored.value(QStringLiteral("confidence")).toDouble(), 1.0);
    EXPECT_TRUE(stored.value(QStringLiteral("outputs")).isObject());
    ShadowSuggestion{QStringLiteral("a"), -0.2, {}}.writeTo(evidence);
    EXPECT_DOUBLE_EQ(ShadowSuggestion::readFrom(evidence)->confidence, 0.0);
}

TEST(ShadowSuggestionTest, ReadsTable)
{
    const struct {
        const char *evidence;
        const char *choice;
        double confidence;
    } cases[] = {
        {R"({"suggestion": {"choice": "a", "confidence": 0.93}})", "a", 0.93},
        {R"({"suggestion": {"choice": "", "confidence": 0}})", "", 0.0},        // no guess: counts at no threshold
        {R"({"suggestion": {"choice": 2, "confidence": 0.55}})", "2", 0.55},    // a number reads as its text
        {R"({"shadow": true, "blind": true, "suggestion": {"choice": "x", "confidence": 1}})", "x", 1.0},
    };
    for (const auto &c : cases) {
        const auto read = ShadowSuggestion::readFrom(evidenceFrom(c.evidence));
        ASSERT_TRUE(read.has_value()) << c.evidence;
        EXPECT_EQ(read->choice, QString::fromUtf8(c.choice)) << c.evidence;
        EXPECT_DOUBLE_EQ(read->confidence, c.confidence) << c.evidence;
    }
}

TEST(ShadowSuggestionTest, LeavesOutWhatCannotBeCounted)
{
    for (const char *evidence : {
             R"({})",
             R"({"reasons": "mentions \"suggestion\" in text only"})",
             R"({"suggestion": "a"})",
             R"({"suggestion": {"confidence": 0.9}})",
             R"({"suggestion": {"choice": null, "confidence": 0.9}})",
             R"({"suggestion": {"choice": "a"}})",
             R"({"suggestion": {"choice": "a", "confidence": "high"}})",
         }) {
        EXPECT_FALSE(ShadowSuggestion::readFrom(evidenceFrom(evidence)).has_value()) << evidence;
    }
}

TEST(ShadowSuggestionTest, AQualityCheckIsMarkedBesideACountableSuggestion)
{
    const struct {
        const char *evidence;
        bool check;
    } cases[] = {
        {R"({"quality_check": true, "blind": true, "suggestion": {"choice": "a", "confidence": 0.97}})", true},
        {R"({"quality_check": false, "suggestion": {"choice": "a", "confidence": 0.97}})", false},
        {R"({"quality_check": "yes", "suggestion": {"choice": "a", "confidence": 0.97}})", false},
        {R"({"quality_check": true})", false},                                    // nothing to check against
        {R"({"suggestion": {"choice": "a", "confidence": 0.97}})", false},         // a shadow trial's
    };
    for (const auto &c : cases)
        EXPECT_EQ(ShadowSuggestion::isQualityCheck(evidenceFrom(c.evidence)), c.check) << c.evidence;
}

// People see a suggestion only when the evidence is not blind, and never the stored key.
TEST(ShadowSuggestionTest, PeopleSeeTheSuggestionOnlyWhenItIsNotBlind)
{
    QJsonObject evidence;
    ShadowSuggestion{QStringLiteral("housing"), 0.9, {}}.writeTo(evidence);
    evidence.insert(QStringLiteral("text_length"), 120);
    QJsonObject shown = evidence;
    const std::optional<QJsonObject> seen = ShadowSuggestion::takeForPeople(shown);
    ASSERT_TRUE(seen.has_value());
    EXPECT_EQ(seen->value(QStringLiteral("choice")).toString(), QStringLiteral("housing"));
    EXPECT_FALSE(shown.contains(ShadowSuggestion::key()));
    EXPECT_EQ(shown.value(QStringLiteral("text_length")).toInt(), 120);

    QJsonObject blind = evidence;
    blind.insert(ShadowSuggestion::blindKey(), true);
    EXPECT_FALSE(ShadowSuggestion::takeForPeople(blind).has_value());
    EXPECT_FALSE(blind.contains(ShadowSuggestion::key()));
}
