// Service on a real SQLite store in a temporary folder, with real threads and bot files
// on disk: an interval bot's items run and the service stops cleanly; a reload picks up a
// changed file and keeps the running version of a broken one; SIGHUP reloads; a stop
// while an item runs waits for it, or past its timeout says so and the destructor joins.
#include "test_support.h"

#include "bot/bot_loader.h"
#include "engine/step_registry.h"
#include "service/service.h"
#include "store/work_store.h"

#include <QCoreApplication>
#include <QDeadlineTimer>
#include <QFile>
#include <QTemporaryDir>
#include <QTimer>
#include <gtest/gtest.h>

#include <condition_variable>
#include <csignal>
#include <functional>
#include <mutex>

namespace clerk::service {
namespace {

using namespace std::chrono_literals;

// Holds each item at its start while told to, so a test can stop the service while an
// item runs. Called on the workers' threads.
class HoldingObserver final : public engine::EngineObserver {
public:
    void onItemStarted(const WorkItem &) override
    {
        std::unique_lock lock(m_mutex);
        ++m_started;
        m_changed.notify_all();
        m_changed.wait(lock, [this] { return !m_holding; });
    }
    void hold(bool holding)
    {
        {
            std::lock_guard lock(m_mutex);
            m_holding = holding;
        }
        m_changed.notify_all();
    }
    bool waitForStarted(int count)
    {
        std::unique_lock lock(m_mutex);
        return m_changed.wait_for(lock, 20s, [&] { return m_started >= count; });
    }

private:
    std::mutex m_mutex;
    std::condition_variable m_changed;
    bool m_holding = false;  // GUARDED_BY(m_mutex)
    int m_started = 0;       // GUARDED_BY(m_mutex)
};

class ServiceTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        ASSERT_TRUE(m_dir.isValid());
        auto opened = store::openWorkStore(location());
        ASSERT_OK(opened);
        m_store = std::move(*opened);
    }

    QString location() const { return m_dir.filePath(QStringLiteral("work.db")); }
    QString botFile() const { return m_dir.filePath(QStringLiteral("ticker.yaml")); }

    // The bot file: an interval bot whose step records `value`.
    void writeBot(const QString &version, const QString &value)
    {
        writeFile(QStringLiteral("name: ticker\nversion: %1\nowner_team: ops\ntrigger:\n  every: 1s\nsteps:\n"
                                 "  - id: tick\n    type: set\n    params:\n      values:\n"
                                 "        value: \"%2\"\n")
                      .arg(version, value));
    }
    void writeFile(const QString &text)
    {
        QFile file(botFile());
        ASSERT_TRUE(file.open(QIODevice::WriteOnly | QIODevice::Truncate));
        file.write(text.toUtf8());
    }

    // Reads the bot file as clerk serve does: its definition, or that it has errors.
    QList<BotFile> readBots()
    {
        bot::BotLoad loaded = bot::loadBotFile(botFile(), m_registry.catalog(), {});
        if (!loaded.bot)
            return {BotFile{botFile(), std::nullopt, QStringLiteral("has errors")}};
        return {BotFile{botFile(), std::move(loaded.bot), {}}};
    }

    std::unique_ptr<Service> makeService(engine::EngineObserver *observer = nullptr,
                                         std::chrono::milliseconds retentionInterval = std::chrono::hours(1))
    {
        ServiceOptions options;
        options.retentionInterval = retentionInterval;
        options.storeLocation = location();
        options.workers = 2;
        options.observer = observer;
        options.scheduler.leadershipLease = 2s;
        return std::make_unique<Service>(m_registry, [this] { return readBots(); }, options);
    }

    QList<WorkItem> items(ItemState state)
    {
        store::ItemFilter filter;
        filter.bot = QStringLiteral("ticker");
        filter.limit = 10000;
        auto list = m_store->items(filter);
        EXPECT_OK(list);
        QList<WorkItem> matching;
        for (const WorkItem &item : list.value_or(QList<WorkItem>{})) {
            if (item.state == state)
                matching.append(item);
        }
        return matching;
    }

    // Runs the event loop until `condition` holds or `seconds` pass; true when it held.
    static bool eventually(const std::function<bool()> &condition, int seconds = 20)
    {
        QDeadlineTimer deadline(seconds * 1000);
        while (!deadline.hasExpired()) {
            if (condition())
                return true;
            QCoreApplication::processEvents(QEventLoop::AllEvents, 50);
            std::this_thread::sleep_for(20ms);
        }
        return condition();
    }

    QTemporaryDir m_dir;
    engine::StepRegistry m_registry = engine::StepRegistry::builtIn();
    std::unique_ptr<store::WorkStore> m_store;
};

TEST_F(ServiceTest, RunsAnIntervalBotsItemsAndStopsCleanly)
{
    writeBot(QStringLiteral("1"), QStringLiteral("one"));
    auto service = makeService();
    ASSERT_OK(service->loadBots());
    ASSERT_OK(service->start());
    EXPECT_EQ(service->botNames(), QStringList{QStringLiteral("ticker")});
    EXPECT_TRUE(eventually([&] { return service->isReady(); }));

    EXPECT_TRUE(eventually([&] { return items(ItemState::Done).size() >= 2; }));
    const StopReport report = service->stop(10s);
    EXPECT_FALSE(report.threadsLeft());
    EXPECT_EQ(report.abandonedItems, 0);
    EXPECT_EQ(report.problem, QString());
    EXPECT_TRUE(service->isStopping());
    EXPECT_FALSE(service->isReady());
    const WorkItem done = items(ItemState::Done).first();
    EXPECT_EQ(done.stepOutputs.value(QStringLiteral("tick")).toObject().value(QStringLiteral("value")).toString(),
              QStringLiteral("one"));
}

// With `retention`, the service erases its items' contents once their period has passed,
// as one process of the cluster (the "retention" leader), without being asked.
TEST_F(ServiceTest, ErasesFinishedItemsOnceTheBotsRetentionHasPassed)
{
    writeFile(QStringLiteral("name: ticker\nversion: 1\nowner_team: ops\ntrigger:\n  every: 1s\n"
                             "retention: {after: 1s}\nsteps:\n"
                             "  - id: tick\n    type: set\n    params:\n      values:\n        value: personal\n"));
    auto service = makeService(nullptr, 300ms);
    ASSERT_OK(service->loadBots());
    ASSERT_OK(service->start());
    EXPECT_TRUE(eventually([&] {
        for (const WorkItem &item : items(ItemState::Done)) {
            if (item.erasedAt.isValid())
                return true;
        }
        return false;
    }));
    service->stop(10s);
    for (const WorkItem &item : items(ItemState::Done)) {
        if (item.erasedAt.isValid()) {
            EXPECT_TRUE(item.stepOutputs.isEmpty());
            EXPECT_GE(item.finishedAt.msecsTo(item.erasedAt), 1000);  // not before its second had passed
        }
    }
}

TEST_F(ServiceTest, ABrokenOrMissingBotFileIsRefusedAtStart)
{
    writeFile(QStringLiteral("name: ticker\nsteps: [this is not a bot\n"));
    auto broken = makeService();
    EXPECT_FALSE(broken->loadBots());

    ServiceOptions options;
    options.storeLocation = location();
    Service none(m_registry, [] { return QList<BotFile>{}; }, options);
    EXPECT_FALSE(none.loadBots());
}

TEST_F(ServiceTest, ReloadPicksUpAChangedBotAndKeepsTheRunningVersionOfABrokenOne)
{
    writeBot(QStringLiteral("1"), QStringLiteral("one"));
    auto service = makeService();
    ASSERT_OK(service->loadBots());
    ASSERT_OK(service->start());
    EXPECT_TRUE(eventually([&] { return !items(ItemState::Done).isEmpty(); }));

    writeBot(QStringLiteral("2"), QStringLiteral("two"));
    service->reload();
    ASSERT_EQ(service->bots().size(), 1);
    EXPECT_EQ(service->bots().first().version, QStringLiteral("2"));
    const auto ranVersionTwo = [&] {
        for (const WorkItem &item : items(ItemState::Done)) {
            if (item.botVersion == QLatin1String("2")
                && item.stepOutputs.value(QStringLiteral("tick")).toObject().value(QStringLiteral("value")).toString()
                       == QLatin1String("two"))
                return true;
        }
        return false;
    };
    EXPECT_TRUE(eventually(ranVersionTwo));

    writeFile(QStringLiteral("name: ticker\nsteps: [this is not a bot\n"));
    service->reload();
    ASSERT_EQ(service->bots().size(), 1);
    EXPECT_EQ(service->bots().first().version, QStringLiteral("2")) << "a broken file keeps the running version";
    EXPECT_FALSE(service->stop(10s).threadsLeft());
}

TEST_F(ServiceTest, SighupReloadsAndSigtermStops)
{
    writeBot(QStringLiteral("1"), QStringLiteral("one"));
    auto service = makeService();
    ASSERT_OK(service->loadBots());
    ASSERT_OK(service->start());
    ASSERT_OK(service->handleSignals());

    writeBot(QStringLiteral("2"), QStringLiteral("two"));
    ASSERT_EQ(::raise(SIGHUP), 0);
    EXPECT_TRUE(eventually([&] { return service->bots().value(0).version == QLatin1String("2"); }));

    ASSERT_EQ(::raise(SIGTERM), 0);
    EXPECT_TRUE(eventually([&] { return service->isStopping(); }));
    EXPECT_FALSE(service->stop(10s).threadsLeft());
    service.reset();  // gives the previous signal handlers back
}

TEST_F(ServiceTest, StopWhileAnItemRunsWaitsForIt)
{
    writeBot(QStringLiteral("1"), QStringLiteral("one"));
    HoldingObserver observer;
    observer.hold(true);
    auto service = makeService(&observer);
    ASSERT_OK(service->loadBots());
    ASSERT_OK(service->start());
    ASSERT_TRUE(observer.waitForStarted(1));

    std::thread release([&] {
        std::this_thread::sleep_for(300ms);
        observer.hold(false);
    });
    const StopReport report = service->stop(20s);
    release.join();
    EXPECT_FALSE(report.threadsLeft());
    EXPECT_EQ(report.abandonedItems, 0);
    EXPECT_GE(items(ItemState::Done).size(), 1);
    EXPECT_TRUE(items(ItemState::Leased).isEmpty());
}

TEST_F(ServiceTest, AnItemStillRunningPastTheTimeoutIsReportedAndTheDestructorJoinsIt)
{
    writeBot(QStringLiteral("1"), QStringLiteral("one"));
    HoldingObserver observer;
    observer.hold(true);
    auto service = makeService(&observer);
    ASSERT_OK(service->loadBots());
    ASSERT_OK(service->start());
    ASSERT_TRUE(observer.waitForStarted(1));

    const StopReport report = service->stop(200ms);
    EXPECT_TRUE(report.threadsLeft());
    EXPECT_EQ(report.abandonedItems, 1);

    std::thread release([&] {
        std::this_thread::sleep_for(200ms);
        observer.hold(false);
    });
    service.reset();  // waits for the item, then joins every thread
    release.join();
    EXPECT_TRUE(items(ItemState::Leased).isEmpty());
}

TEST_F(ServiceTest, AStoreThatCannotBeOpenedStopsTheServiceWithTheProblem)
{
    writeBot(QStringLiteral("1"), QStringLiteral("one"));
    QFile plainFile(m_dir.filePath(QStringLiteral("not-a-folder")));
    ASSERT_TRUE(plainFile.open(QIODevice::WriteOnly));
    plainFile.close();
    ServiceOptions options;
    options.storeLocation = plainFile.fileName() + QStringLiteral("/work.db");
    Service service(m_registry, [this] { return readBots(); }, options);
    ASSERT_OK(service.loadBots());
    ASSERT_OK(service.start());
    EXPECT_TRUE(eventually([&] { return service.isStopping(); }));
    const StopReport report = service.stop(10s);
    EXPECT_FALSE(report.threadsLeft());
    EXPECT_FALSE(report.problem.isEmpty());
}

} // namespace
} // namespace clerk::service
