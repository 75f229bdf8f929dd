#include "scheduler_test_support.h"

#include <QJsonDocument>

namespace clerk::scheduler {
namespace {

using testing::utc;

class SchedulerTest : public testing::SchedulerFixture {
protected:
    // Runs `scheduler` the way `clerk serve` does: tick, sleep until nextWakeUp(), repeat,
    // until the clock passes `until`.
    int runUntil(Scheduler &scheduler, const QDateTime &until)
    {
        int ticks = 0;
        while (m_clock.now() <= until) {
            tick(scheduler);
            const QDateTime next = scheduler.nextWakeUp();
            EXPECT_GT(next, m_clock.now()) << "nextWakeUp must move on after a tick";
            if (next <= m_clock.now() || ++ticks > 100000)
                break;
            m_clock.set(next);
        }
        return ticks;
    }
};

TEST_F(SchedulerTest, CronFiresOnceAtItsTimeWithItsPayload)
{
    auto scheduler = makeScheduler();
    ASSERT_TRUE(scheduler->addBot(loadBot(QStringLiteral("daily"), QStringLiteral("  cron: '0 7 * * *'\n"))));
    EXPECT_TRUE(tick(*scheduler).leader);
    m_clock.set(utc("2026-03-02T06:59:59Z"));
    EXPECT_EQ(tick(*scheduler).enqueued, 0);
    EXPECT_EQ(scheduler->nextWakeUp(), utc("2026-03-02T07:00:00Z"));
    m_clock.set(utc("2026-03-02T07:00:00Z"));
    EXPECT_EQ(tick(*scheduler).enqueued, 1);
    m_clock.set(utc("2026-03-02T07:00:03Z"));
    EXPECT_EQ(tick(*scheduler).enqueued, 0);

    const QList<WorkItem> list = items(QStringLiteral("daily"));
    ASSERT_EQ(list.size(), 1);
    EXPECT_EQ(list.first().sourceRef, QStringLiteral("cron:2026-03-02T07:00:00Z"));
    EXPECT_EQ(list.first().payload, (QJsonObject{{QStringLiteral("fired_at"), QStringLiteral("2026-03-02T07:00:00Z")},
                                                 {QStringLiteral("trigger"), QStringLiteral("cron")}}));
}

TEST_F(SchedulerTest, APausedBotDoesNotFireUntilResumed)
{
    auto scheduler = makeScheduler();
    ASSERT_TRUE(scheduler->addBot(loadBot(QStringLiteral("hourly"), QStringLiteral("  every: 1h\n"))));
    m_clock.set(utc("2026-03-02T08:59:00Z"));
    tick(*scheduler);
    ASSERT_TRUE(m_store->setBotPaused(QStringLiteral("hourly"), true, QStringLiteral("ops")).has_value());
    m_clock.set(utc("2026-03-02T09:00:00Z"));
    EXPECT_EQ(tick(*scheduler).enqueued, 0);
    ASSERT_TRUE(m_store->setBotPaused(QStringLiteral("hourly"), false, QStringLiteral("ops")).has_value());
    m_clock.set(utc("2026-03-02T10:00:00Z"));
    EXPECT_EQ(tick(*scheduler).enqueued, 1);
    const QList<WorkItem> list = items(QStringLiteral("hourly"));
    ASSERT_EQ(list.size(), 1);
    EXPECT_EQ(list.first().sourceRef, QStringLiteral("interval:2026-03-02T10:00:00Z"));  // 09:00 was skipped
}

TEST_F(SchedulerTest, OnlyTheLeaderFiresAndATakeoverDoesNotFireAgain)
{
    const auto definition = loadBot(QStringLiteral("hourly"), QStringLiteral("  cron: '0 * * * *'\n"));
    auto first = makeScheduler(QStringLiteral("host-a"));
    auto second = makeScheduler(QStringLiteral("host-b"));
    ASSERT_TRUE(first->addBot(definition));
    ASSERT_TRUE(second->addBot(definition));
    EXPECT_TRUE(tick(*first).leader);
    EXPECT_FALSE(tick(*second).leader);

    m_clock.set(utc("2026-03-02T07:00:00Z"));
    EXPECT_EQ(tick(*first).enqueued, 1);
    const TickResult follower = tick(*second);
    EXPECT_FALSE(follower.leader);
    EXPECT_EQ(follower.enqueued, 0);

    // host-a stops ticking (killed). Until its lease runs out host-b waits; then it takes
    // over, finds 07:00 already fired, and fires the next slot.
    m_clock.set(utc("2026-03-02T07:00:10Z"));
    EXPECT_FALSE(tick(*second).leader);
    m_clock.set(utc("2026-03-02T07:00:20Z"));
    const TickResult takeover = tick(*second);
    EXPECT_TRUE(takeover.leader);
    EXPECT_EQ(takeover.enqueued, 0);
    m_clock.set(utc("2026-03-02T08:00:00Z"));
    EXPECT_EQ(tick(*second).enqueued, 1);
    EXPECT_EQ(sourceRefs(QStringLiteral("hourly")),
              (QStringList{QStringLiteral("cron:2026-03-02T07:00:00Z"), QStringLiteral("cron:2026-03-02T08:00:00Z")}));
}

struct DstCase {
    const char *name;
    const char *cron;
    const char *from;
    const char *until;
    QStringList expected;  // source references, in order
};

class SchedulerDstTest : public SchedulerTest, public ::testing::WithParamInterface<DstCase> {};

TEST_P(SchedulerDstTest, FiresEachSlotOnceAcrossTheClockChange)
{
    const DstCase &c = GetParam();
    m_clock.set(utc(c.from));
    auto scheduler = makeScheduler(QStringLiteral("host-a"), std::chrono::minutes(30));
    ASSERT_TRUE(scheduler->addBot(
        loadBot(QStringLiteral("dst"), QStringLiteral("  cron: '%1'\n").arg(QString::fromLatin1(c.cron)))));
    runUntil(*scheduler, utc(c.until));
    EXPECT_EQ(sourceRefs(QStringLiteral("dst")), c.expected);
}

INSTANTIATE_TEST_SUITE_P(
    EuropeLondon, SchedulerDstTest,
    ::testing::Values(
        DstCase{"DailyAt0130InMarch", "30 1 * * *", "2026-03-27T12:00:00Z", "2026-03-31T00:00:00Z",
                {"cron:2026-03-28T01:30:00Z", "cron:2026-03-29T01:00:00Z", "cron:2026-03-30T00:30:00Z"}},
        DstCase{"DailyAt0130InOctober", "30 1 * * *", "2026-10-23T12:00:00Z", "2026-10-27T00:00:00Z",
                {"cron:2026-10-24T00:30:00Z", "cron:2026-10-25T01:30:00Z", "cron:2026-10-26T01:30:00Z"}},
        DstCase{"HalfHourlyInMarch", "*/30 0-3 * * *", "2026-03-28T23:50:00Z", "2026-03-29T03:00:00Z",
                {"cron:2026-03-29T00:00:00Z", "cron:2026-03-29T00:30:00Z", "cron:2026-03-29T01:00:00Z",
                 "cron:2026-03-29T01:30:00Z", "cron:2026-03-29T02:00:00Z", "cron:2026-03-29T02:30:00Z"}},
        DstCase{"HalfHourlyInOctober", "*/30 0-3 * * *", "2026-10-24T22:50:00Z", "2026-10-25T03:00:00Z",
                {"cron:2026-10-24T23:00:00Z", "cron:2026-10-24T23:30:00Z", "cron:2026-10-25T01:00:00Z",
                 "cron:2026-10-25T01:30:00Z", "cron:2026-10-25T02:00:00Z", "cron:2026-10-25T02:30:00Z",
                 "cron:2026-10-25T03:00:00Z"}}),
    [](const ::testing::TestParamInfo<DstCase> &param) { return std::string(param.param.name); });

struct MisfireCase {
    const char *name;
    const char *misfire;
    const char *restartAt;
    QStringList expectedAtRestart;  // besides the 09:00 fire before the downtime
    bool catchUp;
};

class SchedulerMisfireTest : public SchedulerTest, public ::testing::WithParamInterface<MisfireCase> {};

TEST_P(SchedulerMisfireTest, AppliesThePolicyToSlotsMissedWhileStopped)
{
    const MisfireCase &c = GetParam();
    const auto definition = loadBot(QStringLiteral("hourly"),
                                    QStringLiteral("  every: 1h\n  misfire: %1\n").arg(QString::fromLatin1(c.misfire)));
    {
        m_clock.set(utc("2026-03-02T08:30:00Z"));
        auto before = makeScheduler(QStringLiteral("host-a:100"));
        ASSERT_TRUE(before->addBot(definition));
        tick(*before);
        m_clock.set(utc("2026-03-02T09:00:01Z"));
        EXPECT_EQ(tick(*before).enqueued, 1);
    }  // stopped without giving up the leadership (a crash)

    m_clock.set(utc(c.restartAt));
    auto after = makeScheduler(QStringLiteral("host-a:200"));
    ASSERT_TRUE(after->addBot(definition));
    const TickResult restarted = tick(*after);
    EXPECT_TRUE(restarted.leader);
    EXPECT_EQ(restarted.enqueued, c.expectedAtRestart.size());
    QStringList expected{QStringLiteral("interval:2026-03-02T09:00:00Z")};
    expected += c.expectedAtRestart;
    EXPECT_EQ(sourceRefs(QStringLiteral("hourly")), expected);
    if (c.catchUp) {
        EXPECT_TRUE(items(QStringLiteral("hourly")).last().payload.value(QStringLiteral("catch_up")).toBool());
    }

    // Ticking again changes nothing; the next slot fires as usual.
    EXPECT_EQ(tick(*after).enqueued, 0);
    m_clock.set(utc("2026-03-02T13:00:00Z"));
    EXPECT_EQ(tick(*after).enqueued, 1);
    EXPECT_EQ(sourceRefs(QStringLiteral("hourly")).last(), QStringLiteral("interval:2026-03-02T13:00:00Z"));
}

INSTANTIATE_TEST_SUITE_P(
    Policies, SchedulerMisfireTest,
    ::testing::Values(MisfireCase{"SkipFiresNothingForMissedSlots", "skip", "2026-03-02T12:10:00Z", {}, false},
                      MisfireCase{"RunOnceFiresOneCatchUp", "run_once", "2026-03-02T12:10:00Z",
                                  {"interval:2026-03-02T12:00:00Z"}, true},
                      MisfireCase{"SkipStillFiresTheSlotDueJustNow", "skip", "2026-03-02T12:00:30Z",
                                  {"interval:2026-03-02T12:00:00Z"}, false},
                      MisfireCase{"RunOnceWithAnOnTimeSlotAddsNoCatchUp", "run_once", "2026-03-02T12:00:30Z",
                                  {"interval:2026-03-02T12:00:00Z"}, false},
                      MisfireCase{"QuickRestartMissesNothing", "skip", "2026-03-02T09:30:00Z", {}, false}),
    [](const ::testing::TestParamInfo<MisfireCase> &param) { return std::string(param.param.name); });

TEST_F(SchedulerTest, ANewBotStartsFromNowEvenWithRunOnce)
{
    m_clock.set(utc("2026-03-02T12:10:00Z"));
    auto scheduler = makeScheduler();
    ASSERT_TRUE(scheduler->addBot(loadBot(QStringLiteral("fresh"), QStringLiteral("  every: 1h\n  misfire: run_once\n"))));
    EXPECT_EQ(tick(*scheduler).enqueued, 0);
    m_clock.set(utc("2026-03-02T13:00:00Z"));
    EXPECT_EQ(tick(*scheduler).enqueued, 1);
}

TEST_F(SchedulerTest, BusinessHoursSkipFiresOutsideTheWindow)
{
    auto scheduler = makeScheduler(QStringLiteral("host-a"), std::chrono::minutes(30));
    ASSERT_TRUE(scheduler->addBot(loadBot(QStringLiteral("office"),
                                          QStringLiteral("  cron: '0 * * * *'\n  business_hours: Mon-Fri 08:00-18:00\n"))));
    runUntil(*scheduler, utc("2026-03-03T00:00:00Z"));  // Monday 06:00 to midnight (GMT)
    QStringList expected;
    for (int hour = 8; hour < 18; ++hour)
        expected.append(QStringLiteral("cron:2026-03-02T%1:00:00Z").arg(hour, 2, 10, QLatin1Char('0')));
    EXPECT_EQ(sourceRefs(QStringLiteral("office")), expected);
}

TEST_F(SchedulerTest, IntervalWithJitterFiresEachSlotOnceAtItsJitteredTime)
{
    auto scheduler = makeScheduler(QStringLiteral("host-a"), std::chrono::minutes(30));
    const auto definition = loadBot(QStringLiteral("poller"), QStringLiteral("  every: 10m\n  jitter: 5m\n"));
    ASSERT_TRUE(scheduler->addBot(definition));
    runUntil(*scheduler, utc("2026-03-02T07:59:00Z"));
    auto schedule = FireSchedule::forTrigger(*definition.trigger, definition.name);
    ASSERT_TRUE(schedule.has_value());
    const QList<WorkItem> list = items(QStringLiteral("poller"));
    ASSERT_EQ(list.size(), 12);  // 06:00 (due a little after the start) ... 07:50
    int jittered = 0;
    for (int i = 0; i < list.size(); ++i) {
        const QDateTime nominal = utc("2026-03-02T06:00:00Z").addSecs(600 * i);
        EXPECT_EQ(list[i].sourceRef, schedule->sourceRef(schedule->slotAt(nominal)));
        EXPECT_EQ(list[i].createdAt, schedule->slotAt(nominal).due);
        EXPECT_EQ(list[i].payload.value(QStringLiteral("trigger")).toString(), QStringLiteral("interval"));
        if (list[i].createdAt != nominal)
            ++jittered;
    }
    EXPECT_GT(jittered, 5);
}

TEST_F(SchedulerTest, ReloadingABotDoesNotFireAgain)
{
    auto scheduler = makeScheduler();
    const auto definition = loadBot(QStringLiteral("daily"), QStringLiteral("  cron: '0 7 * * *'\n"));
    ASSERT_TRUE(scheduler->addBot(definition));
    tick(*scheduler);
    m_clock.set(utc("2026-03-02T07:00:00Z"));
    EXPECT_EQ(tick(*scheduler).enqueued, 1);
    ASSERT_TRUE(scheduler->addBot(definition));
    m_clock.set(utc("2026-03-02T07:00:30Z"));
    EXPECT_EQ(tick(*scheduler).enqueued, 0);
    scheduler->removeBot(QStringLiteral("daily"));
    m_clock.set(utc("2026-03-03T07:00:00Z"));
    EXPECT_EQ(tick(*scheduler).enqueued, 0);
}

TEST_F(SchedulerTest, RejectsATriggerItCannotSchedule)
{
    auto scheduler = makeScheduler();
    auto definition = loadBot(QStringLiteral("broken"), QStringLiteral("  cron: '0 7 * * *'\n"));
    definition.trigger->cron = QStringLiteral("0 25 * * *");
    const Status added = scheduler->addBot(definition);
    ASSERT_FALSE(added.has_value());
    EXPECT_EQ(added.error().code(), ErrorCode::InvalidArgument);
    EXPECT_TRUE(added.error().toString().contains(QStringLiteral("broken")));
}

TEST_F(SchedulerTest, IgnoresWebhookAndManualBots)
{
    auto scheduler = makeScheduler();
    auto definition = loadBot(QStringLiteral("hook"), QStringLiteral("  webhook:\n    token: ${env:HOOK_TOKEN}\n"));
    ASSERT_TRUE(scheduler->addBot(definition));
    m_clock.set(utc("2026-03-03T07:00:00Z"));
    EXPECT_EQ(tick(*scheduler).enqueued, 0);
    EXPECT_GT(scheduler->nextWakeUp(), m_clock.now());
}

} // namespace
} // namespace clerk::scheduler
