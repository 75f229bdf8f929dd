// Source polls under the scheduler: a bot with a source and a time trigger reads the
// case system's new work on each slot, over loopback, in the leader only; failures of
// the case system are problems and the next slot tries again, losing nothing.
#include "engine/step_registry.h"
#include "scheduler_test_support.h"
#include "test_http_server.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QMutex>
#include <QSet>

#include <atomic>

namespace clerk::scheduler {
namespace {

using clerk::testing::TestHttpServer;
using clerk::testing::TestRequest;
using clerk::testing::TestResponse;
using testing::utc;

// New reports: GET /reports lists those not taken; PUT /reports/N takes one. `failWith`
// makes the list answer with that status instead (0: answer normally).
class ReportSystem {
public:
    std::atomic<int> failWith = 0;
    TestHttpServer server{[this](const TestRequest &request) { return answer(request); }};

    void add(int id)
    {
        QMutexLocker lock(&m_mutex);
        m_waiting.append(id);
    }
    int lists() const { return m_lists; }
    int taken()
    {
        QMutexLocker lock(&m_mutex);
        return static_cast<int>(m_taken.size());
    }

private:
    TestResponse answer(const TestRequest &request)
    {
        QMutexLocker lock(&m_mutex);
        if (request.method == "GET" && request.path() == "/reports") {
            ++m_lists;
            if (failWith != 0) {
                TestResponse response = TestResponse::json(failWith, R"({"error": "busy"})");
                if (failWith == 429)
                    response.headers.append(qMakePair(QByteArray("Retry-After"), QByteArray("1")));
                return response;
            }
            QJsonArray reports;
            for (int id : std::as_const(m_waiting)) {
                if (!m_taken.contains(id))
                    reports.append(QJsonObject{{"id", id}, {"reporter", QStringLiteral("Resident %1").arg(id)}});
            }
            return TestResponse::json(200, QJsonDocument(QJsonObject{{"reports", reports}}).toJson());
        }
        if (request.method == "PUT" && request.path().startsWith("/reports/")) {
            m_taken.insert(request.path().mid(9).toInt());
            return TestResponse::json(200, "{}");
        }
        return TestResponse::json(404, "{}");
    }

    QMutex m_mutex;
    QList<int> m_waiting;   // GUARDED_BY(m_mutex)
    QSet<int> m_taken;      // GUARDED_BY(m_mutex)
    std::atomic<int> m_lists = 0;
};

class SourcePollTest : public testing::SchedulerFixture {
protected:
    bot::BotDefinition loadPollingBot(const QString &trigger)
    {
        const QByteArray connectorYaml = "name: reports\nkind: rest\nbase_url: " + m_reports.server.url().toUtf8() +
                                         "\nretry:\n  max_attempts: 0\noperations:\n"
                                         "  new_reports:\n    method: GET\n    path: reports\n    records: /reports\n"
                                         "    response:\n      id: /id\n      reporter: /reporter\n"
                                         "  take:\n    method: PUT\n    path: reports/{{ params.id }}\n"
                                         "    body:\n      status: taken\n";
        const bot::ConnectorLoad connector = bot::loadConnectorText(connectorYaml, QStringLiteral("reports.yaml"), engine::connectorKinds());
        EXPECT_TRUE(connector.connector.has_value());
        const QByteArray botYaml = "name: intake\nversion: 1\nowner_team: highways\n"
                                   "trigger:\n" + trigger.toUtf8() +
                                   "input:\n  id: id\n"
                                   "source:\n  connector: reports\n  operation: new_reports\n"
                                   "  mark:\n    operation: take\n    params:\n      id: \"{{ input.id }}\"\n"
                                   "connectors: [reports]\n"
                                   "steps:\n  - type: set\n    params:\n      values:\n        seen: \"yes\"\n";
        const bot::BotLoad load = bot::loadBotText(botYaml, QStringLiteral("intake.yaml"), m_registry.catalog(),
                                                   {*connector.connector}, m_dir.path());
        for (const bot::Diagnostic &d : load.diagnostics)
            ADD_FAILURE() << d.toString().toStdString();
        EXPECT_TRUE(load.bot.has_value());
        return load.bot.value_or(bot::BotDefinition{});
    }

    // A tick whose problems are returned rather than failing the test.
    TickResult tickAllowingProblems(Scheduler &scheduler)
    {
        auto result = scheduler.tick();
        EXPECT_TRUE(result.has_value());
        return result.value_or(TickResult{});
    }

    ReportSystem m_reports;
};

TEST_F(SourcePollTest, EachSlotPollsTheSourceInsteadOfEnqueueingAFire)
{
    m_reports.add(1);
    m_reports.add(2);
    m_clock.set(utc("2026-03-02T06:02:00Z"));
    auto scheduler = makeScheduler();
    ASSERT_TRUE(scheduler->addBot(loadPollingBot(QStringLiteral("  every: 5m\n"))));
    EXPECT_EQ(tick(*scheduler).polls, 0);  // 06:00 was two minutes ago, past the grace
    EXPECT_LE(scheduler->nextWakeUp(), utc("2026-03-02T06:05:00Z"));
    EXPECT_EQ(m_reports.lists(), 0);

    m_clock.set(utc("2026-03-02T06:05:00Z"));
    TickResult first = tick(*scheduler);
    EXPECT_EQ(first.polls, 1);
    EXPECT_EQ(first.enqueued, 2);
    EXPECT_EQ(m_reports.taken(), 2);

    m_clock.set(utc("2026-03-02T06:07:00Z"));  // between slots: no poll
    EXPECT_EQ(tick(*scheduler).polls, 0);
    EXPECT_EQ(m_reports.lists(), 1);

    m_reports.add(3);
    m_clock.set(utc("2026-03-02T06:10:00Z"));
    TickResult second = tick(*scheduler);
    EXPECT_EQ(second.polls, 1);
    EXPECT_EQ(second.enqueued, 1);

    QStringList refs = sourceRefs(QStringLiteral("intake"));
    refs.sort();
    EXPECT_EQ(refs, (QStringList{"record:1", "record:2", "record:3"}));  // no "interval:" fire item
    EXPECT_EQ(items(QStringLiteral("intake")).first().payload.value("reporter").toString(), "Resident 1");
}

TEST_F(SourcePollTest, ACronTriggerPollsAtItsTimes)
{
    m_reports.add(7);
    m_clock.set(utc("2026-03-02T06:30:00Z"));
    auto scheduler = makeScheduler();
    ASSERT_TRUE(scheduler->addBot(loadPollingBot(QStringLiteral("  cron: '0 7 * * MON-FRI'\n"))));
    EXPECT_EQ(tick(*scheduler).polls, 0);
    m_clock.set(utc("2026-03-02T07:00:00Z"));
    EXPECT_EQ(tick(*scheduler).enqueued, 1);
    EXPECT_EQ(sourceRefs(QStringLiteral("intake")), QStringList{"record:7"});
}

TEST_F(SourcePollTest, CaseSystemFailuresAreProblemsAndTheNextSlotPollsAgain)
{
    m_reports.add(1);
    m_clock.set(utc("2026-03-02T06:04:00Z"));
    auto scheduler = makeScheduler();
    ASSERT_TRUE(scheduler->addBot(loadPollingBot(QStringLiteral("  every: 5m\n"))));
    tick(*scheduler);

    QDateTime slot = utc("2026-03-02T06:05:00Z");
    for (const int status : {500, 429}) {
        m_reports.failWith = status;
        m_clock.set(slot);
        slot = slot.addSecs(300);
        const TickResult failed = tickAllowingProblems(*scheduler);
        EXPECT_EQ(failed.polls, 1);
        EXPECT_EQ(failed.enqueued, 0);
        ASSERT_EQ(failed.problems.size(), 1) << status;
        EXPECT_TRUE(failed.problems.first().contains(QStringLiteral("bot intake: source not read")))
            << failed.problems.first().toStdString();
        EXPECT_FALSE(failed.problems.first().contains(QStringLiteral("busy")));  // no response text
        EXPECT_FALSE(failed.problems.first().contains(QStringLiteral("Resident")));
        // The same slot is not polled again on every tick.
        const int lists = m_reports.lists();
        m_clock.advance(std::chrono::seconds(20));
        EXPECT_EQ(tickAllowingProblems(*scheduler).polls, 0);
        EXPECT_EQ(m_reports.lists(), lists);
        m_clock.advance(-std::chrono::seconds(20));
    }
    EXPECT_TRUE(items(QStringLiteral("intake")).isEmpty());

    m_reports.failWith = 0;
    m_clock.set(slot);
    const TickResult recovered = tick(*scheduler);
    EXPECT_EQ(recovered.enqueued, 1);
    EXPECT_EQ(m_reports.taken(), 1);
}

TEST_F(SourcePollTest, ASourceThatCannotBeReachedIsAProblemNotACrash)
{
    m_clock.set(utc("2026-03-02T06:04:00Z"));
    const QString deadUrl = [] {
        TestHttpServer gone([](const TestRequest &) { return TestResponse::json(200, "{}"); });
        return gone.url();
    }();  // the server is stopped: its port refuses connections
    const QByteArray connectorYaml = "name: reports\nkind: rest\nbase_url: " + deadUrl.toUtf8() +
                                     "\nretry:\n  max_attempts: 0\noperations:\n"
                                     "  new_reports:\n    method: GET\n    path: reports\n    records: /reports\n";
    const bot::ConnectorLoad connector = bot::loadConnectorText(connectorYaml, QStringLiteral("reports.yaml"), engine::connectorKinds());
    ASSERT_TRUE(connector.connector.has_value());
    const QByteArray botYaml = "name: intake\nversion: 1\nowner_team: highways\ntrigger:\n  every: 5m\n"
                               "source:\n  connector: reports\n  operation: new_reports\nconnectors: [reports]\n"
                               "steps:\n  - type: set\n    params:\n      values:\n        seen: \"yes\"\n";
    const bot::BotLoad load = bot::loadBotText(botYaml, QStringLiteral("intake.yaml"), m_registry.catalog(),
                                               {*connector.connector}, m_dir.path());
    ASSERT_TRUE(load.bot.has_value());
    auto scheduler = makeScheduler();
    ASSERT_TRUE(scheduler->addBot(*load.bot));
    m_clock.set(utc("2026-03-02T06:05:00Z"));
    const TickResult result = tickAllowingProblems(*scheduler);
    EXPECT_EQ(result.polls, 1);
    ASSERT_EQ(result.problems.size(), 1);
    EXPECT_TRUE(result.problems.first().contains(QStringLiteral("source not read")));
}

TEST_F(SourcePollTest, OnlyTheLeaderPollsSoAClusterPollsEachSlotOnce)
{
    m_reports.add(1);
    m_clock.set(utc("2026-03-02T06:04:00Z"));
    const bot::BotDefinition definition = loadPollingBot(QStringLiteral("  every: 5m\n"));
    auto a = makeScheduler(QStringLiteral("host-a"));
    auto b = makeScheduler(QStringLiteral("host-b"));
    ASSERT_TRUE(a->addBot(definition));
    ASSERT_TRUE(b->addBot(definition));
    EXPECT_TRUE(tick(*a).leader);
    EXPECT_FALSE(tick(*b).leader);
    m_clock.set(utc("2026-03-02T06:05:00Z"));
    const TickResult fromA = tick(*a);
    const TickResult fromB = tick(*b);
    EXPECT_EQ(fromA.polls + fromB.polls, 1);
    EXPECT_EQ(m_reports.lists(), 1);
    EXPECT_EQ(items(QStringLiteral("intake")).size(), 1);
}

TEST_F(SourcePollTest, ANewLeaderPollsASlotThatFellDueWithinTheGraceAndFindsStoredRecords)
{
    m_reports.add(1);
    m_clock.set(utc("2026-03-02T06:04:00Z"));
    const bot::BotDefinition definition = loadPollingBot(QStringLiteral("  every: 5m\n"));
    auto a = makeScheduler(QStringLiteral("host-a"), std::chrono::seconds(15));
    ASSERT_TRUE(a->addBot(definition));
    tick(*a);
    m_clock.set(utc("2026-03-02T06:05:00Z"));
    EXPECT_EQ(tick(*a).enqueued, 1);
    // host-a dies; host-b takes over once the lease has run out, 20 s after the slot.
    a.reset();
    m_clock.set(utc("2026-03-02T06:05:20Z"));
    auto b = makeScheduler(QStringLiteral("host-b"), std::chrono::seconds(15));
    ASSERT_TRUE(b->addBot(definition));
    const TickResult taken = tick(*b);
    EXPECT_TRUE(taken.leader);
    EXPECT_EQ(taken.polls, 1);      // the 06:05 slot again: harmless, it makes no second item
    EXPECT_EQ(taken.enqueued, 0);
    EXPECT_EQ(items(QStringLiteral("intake")).size(), 1);
}

TEST_F(SourcePollTest, AMailServerThatCannotBeReachedIsAProblemThatNamesNoSecret)
{
    const QString deadPort = [] {
        TestHttpServer gone([](const TestRequest &) { return TestResponse::json(200, "{}"); });
        return QString::number(gone.port());
    }();  // stopped: its port refuses connections
    qputenv("CLERK_TEST_MAILBOX_PASSWORD", "s3cret-mail-password");
    m_clock.set(utc("2026-03-02T06:00:30Z"));
    auto scheduler = makeScheduler();
    ASSERT_TRUE(scheduler->addBot(loadBot(QStringLiteral("post"),
                                          QStringLiteral("  mailbox:\n    url: imap://127.0.0.1:%1/INBOX\n"
                                                         "    username: intake\n"
                                                         "    password: ${env:CLERK_TEST_MAILBOX_PASSWORD}\n")
                                              .arg(deadPort))));
    const TickResult result = tickAllowingProblems(*scheduler);
    EXPECT_EQ(result.polls, 1);  // the 06:00 slot, within the grace
    ASSERT_EQ(result.problems.size(), 1);
    EXPECT_TRUE(result.problems.first().startsWith(QStringLiteral("bot post: mailbox: not read")))
        << result.problems.first().toStdString();
    EXPECT_FALSE(result.problems.first().contains(QStringLiteral("s3cret")));
    // Not retried on every tick: at the next slot.
    m_clock.set(utc("2026-03-02T06:00:50Z"));
    EXPECT_EQ(tickAllowingProblems(*scheduler).polls, 0);
    m_clock.set(utc("2026-03-02T06:01:00Z"));
    EXPECT_EQ(tickAllowingProblems(*scheduler).polls, 1);
    EXPECT_TRUE(items(QStringLiteral("post")).isEmpty());
}

TEST_F(SourcePollTest, AMailboxWithAWrongAddressIsRefusedWhenTheBotIsAdded)
{
    bot::BotDefinition definition = loadBot(QStringLiteral("post"),
                                            QStringLiteral("  mailbox:\n    url: imaps://mail.example.gov.uk/INBOX\n"
                                                           "    username: intake\n    password: ${env:X}\n"));
    QJsonObject options = definition.trigger->options;
    options.insert(QStringLiteral("url"), QStringLiteral("pop3://mail.example.gov.uk/INBOX"));
    definition.trigger->options = options;
    auto scheduler = makeScheduler();
    const Status added = scheduler->addBot(definition);
    ASSERT_FALSE(added.has_value());
    EXPECT_EQ(added.error().code(), ErrorCode::InvalidArgument);
}

} // namespace
} // namespace clerk::scheduler
