// WorkerPool on a real SQLite store in a temporary folder, with real threads: until idle
// (clerk run) and until stopped (clerk serve), concurrency limits, a bot set replaced while
// running, a stop while an item runs, and a store that cannot be opened.
#include "engine_test_support.h"

#include "engine/step_registry.h"
#include "engine/worker_pool.h"

#include <QDeadlineTimer>
#include <QFile>
#include <QJsonDocument>

#include <condition_variable>
#include <mutex>

namespace clerk::engine {
namespace {

using namespace std::chrono_literals;

// Counts items and can hold each item at its start until released, so a test can stop the
// pool while an item runs. Called on the workers' threads.
class HoldingObserver final : public EngineObserver {
public:
    void onItemStarted(const WorkItem &item) override
    {
        std::unique_lock lock(m_mutex);
        ++m_started;
        ++m_running[item.bot];
        m_mostRunning = std::max(m_mostRunning, m_running[item.bot]);
        m_changed.notify_all();
        m_changed.wait(lock, [this] { return !m_holding; });
    }
    void onItemStopped(const WorkItem &item, ItemState, const QString &) override
    {
        std::lock_guard lock(m_mutex);
        --m_running[item.bot];
        ++m_stopped;
        m_changed.notify_all();
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
        return m_changed.wait_for(lock, 10s, [&] { return m_started >= count; });
    }
    bool waitForStopped(int count)
    {
        std::unique_lock lock(m_mutex);
        return m_changed.wait_for(lock, 10s, [&] { return m_stopped >= count; });
    }
    int mostRunning()
    {
        std::lock_guard lock(m_mutex);
        return m_mostRunning;
    }

private:
    std::mutex m_mutex;
    std::condition_variable m_changed;
    bool m_holding = false;        // GUARDED_BY(m_mutex)
    int m_started = 0;             // GUARDED_BY(m_mutex)
    int m_stopped = 0;             // GUARDED_BY(m_mutex)
    QHash<QString, int> m_running; // GUARDED_BY(m_mutex)
    int m_mostRunning = 0;         // GUARDED_BY(m_mutex)
};

class WorkerPoolTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        ASSERT_TRUE(m_dir.isValid());
        // The workers use the system clock: so does this store, or items would not be due.
        auto opened = store::openWorkStore(location());
        ASSERT_OK(opened);
        m_store = std::move(*opened);
        m_submitter = std::make_unique<Engine>(*m_store, m_registry);
    }

    QString location() const { return m_dir.filePath(QStringLiteral("work.db")); }

    bot::BotDefinition bot(const QString &name, const QString &extra = {})
    {
        return testing::loadBot(QStringLiteral("name: %1\nversion: 1\nowner_team: ops\n%2steps:\n"
                                               "  - id: mark\n    type: set\n    params:\n      values:\n"
                                               "        seen: \"{{ input.n }}\"\n")
                                    .arg(name, extra),
                                m_registry.catalog());
    }

    QList<qint64> submit(const bot::BotDefinition &definition, int count, int from = 0)
    {
        EXPECT_OK(m_submitter->addBot(definition));
        QList<qint64> ids;
        for (int n = from; n < from + count; ++n) {
            auto enqueued = m_submitter->submit(definition, QStringLiteral("n:%1").arg(n),
                                                QJsonObject{{QStringLiteral("n"), QStringLiteral("n%1").arg(n)}});
            EXPECT_OK(enqueued);
            if (enqueued)
                ids.append(enqueued->id);
        }
        return ids;
    }

    ItemState state(qint64 id)
    {
        auto item = m_store->item(id);
        EXPECT_OK(item);
        return item ? item->state : ItemState::Failed;
    }

    WorkerPoolOptions options(int workers, bool untilIdle)
    {
        WorkerPoolOptions options;
        options.workers = workers;
        options.storeLocation = location();
        options.untilIdle = untilIdle;
        options.observer = &m_observer;
        options.engine.workerId = QStringLiteral("test");
        return options;
    }

    QTemporaryDir m_dir;
    StepRegistry m_registry = StepRegistry::builtIn();
    std::unique_ptr<store::WorkStore> m_store;
    std::unique_ptr<Engine> m_submitter;
    HoldingObserver m_observer;
};

TEST_F(WorkerPoolTest, UntilIdleRunsEveryRunnableItemThenEnds)
{
    const bot::BotDefinition definition = bot(QStringLiteral("batch"));
    const QList<qint64> ids = submit(definition, 20);
    WorkerPool pool(m_registry, options(3, true));
    pool.setBots({definition});
    pool.start();
    ASSERT_TRUE(pool.waitForWorkers(30s));
    pool.join();
    EXPECT_EQ(pool.problem(), QString());
    EXPECT_EQ(pool.runningWorkers(), 0);
    for (qint64 id : ids)
        EXPECT_EQ(state(id), ItemState::Done) << id;
    auto item = m_store->item(ids.first());
    ASSERT_OK(item);
    EXPECT_EQ(item->stepOutputs.value(QStringLiteral("mark")).toObject().value(QStringLiteral("seen")).toString(),
              QStringLiteral("n0"))
        << QJsonDocument(item->stepOutputs).toJson().toStdString();
}

TEST_F(WorkerPoolTest, UntilStoppedWaitsForWorkAndIsWokenByNotifyWork)
{
    const bot::BotDefinition definition = bot(QStringLiteral("service"));
    WorkerPoolOptions given = options(2, false);
    given.idleWait = std::chrono::minutes(1);  // only notifyWork() can wake an idle worker in time
    WorkerPool pool(m_registry, given);
    pool.setBots({definition});
    pool.start();
    EXPECT_FALSE(pool.waitForWorkers(200ms)) << "workers wait for work until stopped";

    const QList<qint64> ids = submit(definition, 3);
    pool.notifyWork();
    ASSERT_TRUE(m_observer.waitForStopped(3));
    for (qint64 id : ids)
        EXPECT_EQ(state(id), ItemState::Done);

    pool.stop();
    EXPECT_TRUE(pool.isStopping());
    ASSERT_TRUE(pool.waitForWorkers(10s));
    pool.join();
    EXPECT_EQ(pool.problem(), QString());
}

TEST_F(WorkerPoolTest, UntilStoppedKeepsToABotsConcurrencyLimit)
{
    const bot::BotDefinition definition = bot(QStringLiteral("limited"), QStringLiteral("concurrency: 1\n"));
    submit(definition, 6);
    WorkerPool pool(m_registry, options(3, false));
    pool.setBots({definition});
    pool.start();
    ASSERT_TRUE(m_observer.waitForStopped(6));
    pool.stop();
    ASSERT_TRUE(pool.waitForWorkers(10s));
    EXPECT_EQ(m_observer.mostRunning(), 1);
}

TEST_F(WorkerPoolTest, ABotSetReplacedWhileRunningIsPickedUpBetweenItems)
{
    const bot::BotDefinition first = bot(QStringLiteral("first"));
    const bot::BotDefinition second = bot(QStringLiteral("second"));
    const QList<qint64> early = submit(first, 1);
    const QList<qint64> late = submit(second, 1, 100);
    WorkerPool pool(m_registry, options(1, false));
    pool.setBots({first});
    pool.start();
    ASSERT_TRUE(m_observer.waitForStopped(1));
    EXPECT_EQ(state(early.first()), ItemState::Done);
    EXPECT_EQ(state(late.first()), ItemState::Queued) << "a bot not served is not run";

    pool.setBots({first, second});
    ASSERT_TRUE(m_observer.waitForStopped(2));
    EXPECT_EQ(state(late.first()), ItemState::Done);
    EXPECT_EQ(pool.bots().size(), 2);
}

TEST_F(WorkerPoolTest, StopWhileAnItemRunsFinishesTheItemThenJoins)
{
    const bot::BotDefinition definition = bot(QStringLiteral("slow"));
    const QList<qint64> ids = submit(definition, 1);
    WorkerPool pool(m_registry, options(2, false));
    pool.setBots({definition});
    m_observer.hold(true);
    pool.start();
    ASSERT_TRUE(m_observer.waitForStarted(1));

    pool.stop();
    EXPECT_FALSE(pool.waitForWorkers(100ms)) << "the worker in an item finishes it first";
    EXPECT_EQ(pool.busyWorkers(), 1);
    EXPECT_GE(pool.runningWorkers(), 1);

    m_observer.hold(false);
    ASSERT_TRUE(pool.waitForWorkers(10s));
    pool.join();
    EXPECT_EQ(pool.busyWorkers(), 0);
    EXPECT_EQ(state(ids.first()), ItemState::Done);
}

TEST_F(WorkerPoolTest, TheDestructorJoinsWorkersStillInAnItem)
{
    const bot::BotDefinition definition = bot(QStringLiteral("slow"));
    const QList<qint64> ids = submit(definition, 1);
    m_observer.hold(true);
    std::thread release;
    {
        WorkerPool pool(m_registry, options(1, false));
        pool.setBots({definition});
        pool.start();
        ASSERT_TRUE(m_observer.waitForStarted(1));
        release = std::thread([this] {
            std::this_thread::sleep_for(200ms);
            m_observer.hold(false);
        });
    }  // the destructor waits for the item, then joins
    release.join();
    EXPECT_EQ(state(ids.first()), ItemState::Done);
}

TEST_F(WorkerPoolTest, AStoreThatCannotBeOpenedStopsThePoolWithTheProblem)
{
    QFile plainFile(m_dir.filePath(QStringLiteral("not-a-folder")));
    ASSERT_TRUE(plainFile.open(QIODevice::WriteOnly));
    plainFile.close();
    WorkerPoolOptions given = options(2, false);
    given.storeLocation = plainFile.fileName() + QStringLiteral("/work.db");
    WorkerPool pool(m_registry, given);
    pool.setBots({bot(QStringLiteral("any"))});
    pool.start();
    ASSERT_TRUE(pool.waitForWorkers(10s));
    EXPECT_TRUE(pool.isStopping());
    EXPECT_FALSE(pool.problem().isEmpty());
}

} // namespace
} // namespace clerk::engine
