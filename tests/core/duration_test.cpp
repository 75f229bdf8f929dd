#include "core/duration.h"

#include <gtest/gtest.h>

using namespace std::chrono_literals;

TEST(DurationTest, ParsesUnitsAndCombinations)
{
    const struct {
        const char *text;
        std::chrono::milliseconds expected;
    } cases[] = {
        {"500ms", 500ms}, {"30s", 30s}, {"5m", 5min}, {"4h", 4h}, {"2d", 48h}, {"1h30m", 90min}, {" 10s ", 10s},
    };
    for (const auto &c : cases) {
        auto parsed = clerk::parseDuration(QString::fromLatin1(c.text));
        ASSERT_TRUE(parsed.has_value()) << c.text;
        EXPECT_EQ(*parsed, c.expected) << c.text;
    }
}

TEST(DurationTest, RejectsMissingUnitsAndGarbage)
{
    for (const char *text : {"", "10", "5 minutes", "m5", "1.5h", "-3s", "3s extra", "99999999999d"}) {
        auto parsed = clerk::parseDuration(QString::fromLatin1(text));
        EXPECT_FALSE(parsed.has_value()) << text;
        if (!parsed) {
            EXPECT_EQ(parsed.error().code(), clerk::ErrorCode::InvalidArgument);
        }
    }
}

TEST(DurationTest, FormatsShortestForm)
{
    EXPECT_EQ(clerk::formatDuration(90s), QStringLiteral("1m30s"));
    EXPECT_EQ(clerk::formatDuration(0ms), QStringLiteral("0s"));
    EXPECT_EQ(clerk::formatDuration(26h), QStringLiteral("1d2h"));
}
