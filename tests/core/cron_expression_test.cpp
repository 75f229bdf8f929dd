#include "core/cron_expression.h"

#include <gtest/gtest.h>

using clerk::CronExpression;

namespace {

QDateTime at(const char *text)
{
    // Local wall-clock time, as the scheduler hands it over.
    return QDateTime::fromString(QString::fromLatin1(text), Qt::ISODate);
}

} // namespace

TEST(CronExpressionTest, MatchesTable)
{
    // 2024-03-04 is a Monday; 2024-03-10 a Sunday; 2024-03-15 a Friday.
    const struct {
        const char *expression;
        const char *time;
        bool matches;
    } cases[] = {
        {"* * * * *", "2024-03-04T10:17:00", true},
        {"0 7 * * MON-FRI", "2024-03-04T07:00:00", true},
        {"0 7 * * MON-FRI", "2024-03-04T07:01:00", false},
        {"0 7 * * MON-FRI", "2024-03-10T07:00:00", false},
        {"0 7 * * mon-fri", "2024-03-15T07:00:00", true},
        {"*/15 * * * *", "2024-03-04T10:45:00", true},
        {"*/15 * * * *", "2024-03-04T10:46:00", false},
        {"1-59/2 * * * *", "2024-03-04T10:03:00", true},
        {"1-59/2 * * * *", "2024-03-04T10:04:00", false},
        {"5/20 * * * *", "2024-03-04T10:45:00", true},
        {"5/20 * * * *", "2024-03-04T10:40:00", false},
        {"0,30 9-17 * * *", "2024-03-04T17:30:00", true},
        {"0,30 9-17 * * *", "2024-03-04T18:00:00", false},
        {"0 0 1 JAN *", "2024-01-01T00:00:00", true},
        {"0 0 1 jan *", "2024-02-01T00:00:00", false},
        {"0 0 * * 0", "2024-03-10T00:00:00", true},
        {"0 0 * * 7", "2024-03-10T00:00:00", true},
        {"0 0 * * SUN", "2024-03-10T00:00:00", true},
        {"0 0 * * 5-7", "2024-03-10T00:00:00", true},
        {"0 0 * * 5-7", "2024-03-04T00:00:00", false},
        // Both day fields restricted: either matches (the 15th, or any Monday).
        {"0 12 15 * MON", "2024-03-04T12:00:00", true},
        {"0 12 15 * MON", "2024-03-15T12:00:00", true},
        {"0 12 15 * MON", "2024-03-14T12:00:00", false},
        // Only one restricted: both must match.
        {"0 12 15 * *", "2024-03-04T12:00:00", false},
        {"0 12 * * MON", "2024-03-15T12:00:00", false},
        {"0 12 */2 * MON", "2024-03-05T12:00:00", false},  // a "*" field counts as unrestricted
        {"0 12 */2 * MON", "2024-03-04T12:00:00", false},  // the 4th is even: not in 1,3,5...
        {"0 12 */2 * MON", "2024-03-11T12:00:00", true},
        {"@hourly", "2024-03-04T13:00:00", true},
        {"@hourly", "2024-03-04T13:05:00", false},
        {"@daily", "2024-03-04T00:00:00", true},
        {"@midnight", "2024-03-04T00:00:59", true},
        {"@weekly", "2024-03-10T00:00:00", true},
        {"@weekly", "2024-03-04T00:00:00", false},
        {"@monthly", "2024-03-01T00:00:00", true},
        {"@yearly", "2024-01-01T00:00:00", true},
        {"@ANNUALLY", "2024-01-01T00:00:00", true},
        {"  0   7  *  *  1  ", "2024-03-04T07:00:00", true},
        {"0 0 29 FEB *", "2024-02-29T00:00:00", true},
    };
    for (const auto &c : cases) {
        const auto cron = CronExpression::parse(QString::fromLatin1(c.expression));
        ASSERT_TRUE(cron.has_value()) << c.expression << ": " << cron.error().message().toStdString();
        EXPECT_EQ(cron->matches(at(c.time)), c.matches) << c.expression << " at " << c.time;
    }
}

TEST(CronExpressionTest, RejectsTable)
{
    const struct {
        const char *expression;
        const char *message;
    } cases[] = {
        {"", "empty cron expression"},
        {"   ", "empty cron expression"},
        {"60 * * * *", "minute 60 is out of range 0-59"},
        {"* 24 * * *", "hour 24 is out of range 0-23"},
        {"* * 0 * *", "day-of-month 0 is out of range 1-31"},
        {"* * 32 * *", "day-of-month 32 is out of range 1-31"},
        {"* * * 13 *", "month 13 is out of range 1-12"},
        {"* * * * 8", "day-of-week 8 is out of range 0-7"},
        {"* * * *", "5 fields"},
        {"* * * * * *", "got 6"},
        {"*/0 * * * *", "minute step 0 is out of range"},
        {"*/x * * * *", "minute step 'x' is not a number"},
        {"5-1 * * * *", "minute range 5-1 goes backwards"},
        {"a * * * *", "minute 'a' is not a number"},
        {"* * * FOO *", "month 'FOO' is not a number (use 1-12 or JAN-DEC)"},
        {"* * * * MONDAY", "day-of-week 'MONDAY' is not a number (use 0-7 or SUN-SAT)"},
        {"1,,2 * * * *", "empty list entry"},
        {"-1 * * * *", "minute '' is not a number"},
        {"@fortnightly", "unknown cron macro '@fortnightly'"},
        {"0 0 L * *", "day-of-month 'L' is not a number"},
        {"1.5 * * * *", "minute '1.5' is not a number"},
    };
    for (const auto &c : cases) {
        const auto cron = CronExpression::parse(QString::fromLatin1(c.expression));
        ASSERT_FALSE(cron.has_value()) << c.expression;
        EXPECT_EQ(cron.error().code(), clerk::ErrorCode::InvalidArgument);
        EXPECT_TRUE(cron.error().message().contains(QString::fromLatin1(c.message)))
            << c.expression << " -> " << cron.error().message().toStdString();
    }
}

TEST(CronExpressionTest, RejectsSixtyMinutes)
{
    const auto cron = CronExpression::parse(QStringLiteral("60 * * * *"));
    ASSERT_FALSE(cron.has_value());
    EXPECT_EQ(cron.error().message(), QStringLiteral("minute 60 is out of range 0-59"));
}

TEST(CronExpressionTest, KeepsSource)
{
    EXPECT_EQ(CronExpression::parse(QStringLiteral(" @daily "))->source(), QStringLiteral("@daily"));
    EXPECT_EQ(CronExpression::parse(QStringLiteral("0 7 * * 1"))->source(), QStringLiteral("0 7 * * 1"));
}

TEST(CronExpressionTest, NextFindsTheFollowingMinuteInZone)
{
    const QTimeZone london("Europe/London");
    ASSERT_TRUE(london.isValid());
    const auto weekdays = CronExpression::parse(QStringLiteral("0 7 * * MON-FRI"));
    ASSERT_TRUE(weekdays.has_value());
    // Friday 2024-03-15 08:00 London -> Monday 2024-03-18 07:00 London.
    const QDateTime after(QDate(2024, 3, 15), QTime(8, 0), london);
    const auto next = weekdays->next(after, london);
    ASSERT_TRUE(next.has_value());
    EXPECT_EQ(*next, QDateTime(QDate(2024, 3, 18), QTime(7, 0), london));

    // Exactly on a firing time: the next one, not the same.
    const auto hourly = CronExpression::parse(QStringLiteral("@hourly"));
    const QDateTime onTheHour(QDate(2024, 3, 15), QTime(8, 0), london);
    EXPECT_EQ(*hourly->next(onTheHour, london), QDateTime(QDate(2024, 3, 15), QTime(9, 0), london));

    // 01:30 does not exist in London on 2024-03-31 (clocks go forward at 01:00).
    const auto gap = CronExpression::parse(QStringLiteral("30 1 * * *"));
    const auto afterGap = gap->next(QDateTime(QDate(2024, 3, 30), QTime(12, 0), london), london);
    ASSERT_TRUE(afterGap.has_value());
    EXPECT_EQ(*afterGap, QDateTime(QDate(2024, 4, 1), QTime(1, 30), london));

    const auto never = CronExpression::parse(QStringLiteral("0 0 30 FEB *"));
    ASSERT_TRUE(never.has_value());
    EXPECT_FALSE(never->next(after, london).has_value());
}
