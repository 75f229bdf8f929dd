#include "scheduler/fire_schedule.h"

#include "test_support.h"

#include <gtest/gtest.h>

#include <set>

namespace clerk::scheduler {
namespace {

QDateTime utc(const char *text)
{
    const QDateTime time = QDateTime::fromString(QString::fromLatin1(text), Qt::ISODate);
    EXPECT_TRUE(time.isValid()) << text;
    return time.toUTC();
}

FireSchedule cronSchedule(const QString &cron, const QString &zone = QStringLiteral("Europe/London"))
{
    bot::TriggerDefinition trigger;
    trigger.kind = bot::TriggerDefinition::Kind::Cron;
    trigger.cron = cron;
    trigger.timeZone = zone;
    auto schedule = FireSchedule::forTrigger(trigger, QStringLiteral("bot"));
    EXPECT_OK(schedule);
    return *schedule;
}

FireSchedule intervalSchedule(std::chrono::milliseconds every, std::chrono::milliseconds jitter,
                              const QString &botName = QStringLiteral("bot"))
{
    bot::TriggerDefinition trigger;
    trigger.kind = bot::TriggerDefinition::Kind::Interval;
    trigger.every = every;
    trigger.jitter = jitter;
    auto schedule = FireSchedule::forTrigger(trigger, botName);
    EXPECT_OK(schedule);
    return *schedule;
}

// The due times (UTC) of the slots after `from` up to `until`.
QStringList slotsBetween(const FireSchedule &schedule, const QDateTime &from, const QDateTime &until)
{
    QStringList due;
    QDateTime cursor = from;
    for (auto slot = schedule.nextAfter(cursor); slot && slot->due <= until; slot = schedule.nextAfter(slot->due))
        due.append(slot->due.toString(Qt::ISODate));
    return due;
}

struct CronCase {
    const char *name;
    const char *cron;
    const char *from;
    const char *until;
    QStringList expected;
};

class CronScheduleTest : public ::testing::TestWithParam<CronCase> {};

TEST_P(CronScheduleTest, FiresAtTheseInstants)
{
    const CronCase &c = GetParam();
    EXPECT_EQ(slotsBetween(cronSchedule(QString::fromLatin1(c.cron)), utc(c.from), utc(c.until)), c.expected);
}

// Europe/London 2026: clocks go forward at 01:00 GMT on 29 March (01:00-02:00 local does
// not exist) and back at 01:00 GMT on 25 October (01:00-02:00 local happens twice).
INSTANTIATE_TEST_SUITE_P(
    EuropeLondon, CronScheduleTest,
    ::testing::Values(
        CronCase{"DailyInWinter", "30 7 * * *", "2026-01-05T00:00:00Z", "2026-01-07T00:00:00Z",
                 {"2026-01-05T07:30:00Z", "2026-01-06T07:30:00Z"}},
        CronCase{"DailyInSummerIsAnHourEarlierInUtc", "30 7 * * *", "2026-07-05T00:00:00Z",
                 "2026-07-06T00:00:00Z", {"2026-07-05T06:30:00Z"}},
        // 01:30 does not exist on 29 March: it runs once, at 02:00 BST, the first instant after the gap.
        CronCase{"DailyInTheSpringGapRunsAtTheGapEnd", "30 1 * * *", "2026-03-28T00:00:00Z",
                 "2026-03-31T00:00:00Z",
                 {"2026-03-28T01:30:00Z", "2026-03-29T01:00:00Z", "2026-03-30T00:30:00Z"}},
        // 01:30 happens twice on 25 October: it runs once, at the second (GMT) one.
        CronCase{"DailyInTheRepeatedHourRunsOnce", "30 1 * * *", "2026-10-24T00:00:00Z",
                 "2026-10-27T00:00:00Z",
                 {"2026-10-24T00:30:00Z", "2026-10-25T01:30:00Z", "2026-10-26T01:30:00Z"}},
        CronCase{"HourlyAcrossTheSpringGap", "0 * * * *", "2026-03-28T23:30:00Z", "2026-03-29T02:30:00Z",
                 {"2026-03-29T00:00:00Z", "2026-03-29T01:00:00Z", "2026-03-29T02:00:00Z"}},
        CronCase{"HourlyAcrossTheRepeatedHour", "0 * * * *", "2026-10-24T22:30:00Z", "2026-10-25T02:30:00Z",
                 {"2026-10-24T23:00:00Z", "2026-10-25T01:00:00Z", "2026-10-25T02:00:00Z"}},
        CronCase{"HalfHourlyInTheSpringGapFiresOnceAtTheGapEnd", "*/30 1 * * *", "2026-03-28T12:00:00Z",
                 "2026-03-30T12:00:00Z", {"2026-03-29T01:00:00Z", "2026-03-30T00:00:00Z", "2026-03-30T00:30:00Z"}},
        CronCase{"WeekdaysSkipTheWeekend", "0 9 * * MON-FRI", "2026-01-09T10:00:00Z", "2026-01-13T00:00:00Z",
                 {"2026-01-12T09:00:00Z"}}),
    [](const ::testing::TestParamInfo<CronCase> &param) { return std::string(param.param.name); });

TEST(CronScheduleTest, OtherZonesUseTheirOwnClock)
{
    const FireSchedule schedule = cronSchedule(QStringLiteral("0 9 * * *"), QStringLiteral("America/New_York"));
    EXPECT_EQ(slotsBetween(schedule, utc("2026-01-05T00:00:00Z"), utc("2026-01-06T00:00:00Z")),
              QStringList{QStringLiteral("2026-01-05T14:00:00Z")});
}

TEST(FireScheduleTest, RejectsWhatCannotBeScheduled)
{
    bot::TriggerDefinition trigger;
    trigger.kind = bot::TriggerDefinition::Kind::Cron;
    trigger.cron = QStringLiteral("61 * * * *");
    EXPECT_FALSE(FireSchedule::forTrigger(trigger, QStringLiteral("b")).has_value());
    trigger.cron = QStringLiteral("0 * * * *");
    trigger.timeZone = QStringLiteral("Mars/Olympus_Mons");
    EXPECT_FALSE(FireSchedule::forTrigger(trigger, QStringLiteral("b")).has_value());
    trigger.timeZone = QStringLiteral("Europe/London");
    trigger.kind = bot::TriggerDefinition::Kind::Interval;
    trigger.every = std::chrono::milliseconds(0);
    EXPECT_FALSE(FireSchedule::forTrigger(trigger, QStringLiteral("b")).has_value());
    trigger.kind = bot::TriggerDefinition::Kind::Watch;
    EXPECT_FALSE(FireSchedule::forTrigger(trigger, QStringLiteral("b")).has_value());
}

TEST(FireScheduleTest, NeverMatchingCronHasNoSlot)
{
    EXPECT_FALSE(cronSchedule(QStringLiteral("0 0 30 2 *")).nextAfter(utc("2026-01-01T00:00:00Z")).has_value());
}

TEST(IntervalScheduleTest, SlotsAreAlignedToTheEpoch)
{
    const FireSchedule schedule = intervalSchedule(std::chrono::minutes(15), {});
    EXPECT_EQ(slotsBetween(schedule, utc("2026-03-02T10:07:00Z"), utc("2026-03-02T10:45:00Z")),
              (QStringList{QStringLiteral("2026-03-02T10:15:00Z"), QStringLiteral("2026-03-02T10:30:00Z"),
                           QStringLiteral("2026-03-02T10:45:00Z")}));
    // Clock changes do not matter to an interval.
    EXPECT_EQ(slotsBetween(intervalSchedule(std::chrono::hours(1), {}), utc("2026-10-24T23:30:00Z"),
                           utc("2026-10-25T02:00:00Z"))
                  .size(),
              3);
}

TEST(IntervalScheduleTest, JitterIsDeterministicPerSlotAndStaysInOrder)
{
    const auto every = std::chrono::minutes(15);
    const auto jitter = std::chrono::minutes(2);
    const FireSchedule schedule = intervalSchedule(every, jitter);
    const FireSchedule sameBotElsewhere = intervalSchedule(every, jitter);
    const FireSchedule otherBot = intervalSchedule(every, jitter, QStringLiteral("other"));
    std::set<qint64> offsets;
    int differsFromOtherBot = 0;
    QDateTime cursor = utc("2026-03-02T00:00:00Z");
    QDateTime previousNominal;
    for (int i = 0; i < 96; ++i) {
        const auto slot = schedule.nextAfter(cursor);
        ASSERT_TRUE(slot.has_value());
        if (previousNominal.isValid()) {
            EXPECT_EQ(previousNominal.secsTo(slot->nominal), 15 * 60);
        }
        const qint64 offset = slot->nominal.msecsTo(slot->due);
        EXPECT_GE(offset, 0);
        EXPECT_LT(offset, 2 * 60 * 1000);
        offsets.insert(offset);
        EXPECT_EQ(sameBotElsewhere.slotAt(slot->nominal).due, slot->due);
        if (otherBot.slotAt(slot->nominal).due != slot->due)
            ++differsFromOtherBot;
        previousNominal = slot->nominal;
        cursor = slot->due;
    }
    EXPECT_GT(offsets.size(), 50u);
    EXPECT_GT(differsFromOtherBot, 50);
}

TEST(FireScheduleTest, SourceRefNamesTheNominalTime)
{
    const FireSchedule cron = cronSchedule(QStringLiteral("0 7 * * *"));
    const auto slot = cron.nextAfter(utc("2026-03-02T00:00:00Z"));
    ASSERT_TRUE(slot.has_value());
    EXPECT_EQ(cron.sourceRef(*slot), QStringLiteral("cron:2026-03-02T07:00:00Z"));
    EXPECT_EQ(cron.nominalFromSourceRef(QStringLiteral("cron:2026-03-02T07:00:00Z")), slot->nominal);
    EXPECT_FALSE(cron.nominalFromSourceRef(QStringLiteral("interval:2026-03-02T07:00:00Z")).has_value());
    EXPECT_FALSE(cron.nominalFromSourceRef(QStringLiteral("cron:yesterday")).has_value());

    const FireSchedule interval = intervalSchedule(std::chrono::hours(1), std::chrono::minutes(5));
    const auto jittered = interval.nextAfter(utc("2026-03-02T00:00:00Z"));
    ASSERT_TRUE(jittered.has_value());
    // The 00:00 slot is due a little after 00:00, so it is the next one.
    EXPECT_EQ(interval.sourceRef(*jittered), QStringLiteral("interval:2026-03-02T00:00:00Z"));
    EXPECT_GT(jittered->due, jittered->nominal);
}

} // namespace
} // namespace clerk::scheduler
