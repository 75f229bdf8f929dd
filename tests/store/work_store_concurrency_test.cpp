// Several workers on one database (an SQLite file, a PostgreSQL database): each has its
// own WorkStore (and connection), as the scheduler's worker threads and separate `clerk`
// processes on one or several machines do. No item may be held by two workers at once,
// none may be lost, and concurrent first opens migrate the schema once. Threads of one
// process writing to one SQLite file take turns: none waits past its busy timeout while
// another keeps taking the lock.
#include "store/work_store.h"

#include "store/migrations_p.h"
#include "store_test_support.h"

#include <QElapsedTimer>
#include <QHash>
#include <QSet>
#include <QJsonObject>

#include <iostream>
#include <latch>
#include <mutex>
#include <thread>

using namespace std::chrono_literals;

namespace clerk::store {
namespace {

using testing::isOk;
using testing::RawConnection;

using testing::Backend;

const char *const kWorkerDatabase = "CLERK_STORE_TEST_WORKER_DATABASE";
const char *const kWorkerName = "CLERK_STORE_TEST_WORKER_NAME";
const char *const kOpenerDatabase = "CLERK_STORE_TEST_OPENER_DATABASE";

class WorkStoreConcurrencyTest : public ::testing::TestWithParam<Backend> {
protected:
    void SetUp() override
    {
        ASSERT_TRUE(m_dir.isValid());
        CLERK_CREATE_TEST_DATABASE(m_database, GetParam(), m_dir.path(), QStringLiteral("clerk"));
    }
    QString location() const { return m_database.location(); }

    QTemporaryDir m_dir;
    testing::TestDatabase m_database;
};

// Runs the current test again in `count` child processes, each with `variable` set to
// `value` and kWorkerName to "process-N"; true when all of them passed.
void runChildren(int count, const char *variable, const QString &value)
{
    const ::testing::TestInfo *info = ::testing::UnitTest::GetInstance()->current_test_info();
    const QString filter = QStringLiteral("%1.%2").arg(QLatin1String(info->test_suite_name()), QLatin1String(info->name()));
    QList<std::shared_ptr<QProcess>> children;
    for (int p = 0; p < count; ++p) {
        auto child = std::make_shared<QProcess>();
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QLatin1String(variable), value);
        env.insert(QLatin1String(kWorkerName), QStringLiteral("process-%1").arg(p));
        child->setProcessEnvironment(env);
        child->setProcessChannelMode(QProcess::MergedChannels);
        child->start(QCoreApplication::applicationFilePath(), {QStringLiteral("--gtest_filter=") + filter});
        ASSERT_TRUE(child->waitForStarted(10000));
        children.append(child);
    }
    for (const auto &child : children) {
        ASSERT_TRUE(child->waitForFinished(100000));
        const QString output = QString::fromLocal8Bit(child->readAll());
        EXPECT_EQ(child->exitStatus(), QProcess::NormalExit);
        EXPECT_EQ(child->exitCode(), 0) << output.toStdString();
        EXPECT_TRUE(output.contains(QStringLiteral("[  PASSED  ] 1 test"))) << output.toStdString();
    }
}

struct WorkerLog {
    QList<qint64> leased;
    QList<qint64> completed;
    QStringList errors;
};

// Leases and completes (two steps each) until nothing is runnable. When `start` is
// given, waits on it after opening so that all workers begin together.
WorkerLog drain(const QString &path, const Clock &clock, const QString &name, std::latch *start = nullptr)
{
    WorkerLog log;
    auto opened = openWorkStore(path, clock, {.busyTimeout = 30s});
    if (start)
        start->arrive_and_wait();
    if (!opened) {
        log.errors.append(opened.error().toString());
        return log;
    }
    WorkStore &store = **opened;
    for (;;) {
        auto leased = store.leaseNext(name, 10min);
        if (!leased) {
            log.errors.append(leased.error().toString());
            return log;
        }
        if (!leased->has_value())
            return log;
        const qint64 id = (*leased)->id;
        log.leased.append(id);
        auto first = store.completeStep(id, name, 0, QStringLiteral("read"), {{QStringLiteral("worker"), name}}, false);
        auto second = first ? store.completeStep(id, name, 1, QStringLiteral("act"), {}, true) : first;
        if (!second)
            log.errors.append(second.error().toString());
        else
            log.completed.append(id);
    }
}

void enqueueMany(const QString &path, const Clock &clock, int count, QList<qint64> *ids)
{
    auto store = openWorkStore(path, clock);
    ASSERT_TRUE(isOk(store));
    for (int i = 0; i < count; ++i) {
        auto queued = (*store)->enqueue({.bot = QStringLiteral("load"),
                                         .sourceRef = QStringLiteral("doc-%1").arg(i),
                                         .priority = i % 3});
        ASSERT_TRUE(isOk(queued));
        ids->append(queued->id);
    }
}

// Every item leased exactly once, by one worker, and completed exactly once.
void checkExactlyOnce(const QString &path, const QList<qint64> &ids, const QHash<qint64, int> &leases,
                      const QHash<qint64, int> &completions)
{
    for (qint64 id : ids) {
        EXPECT_EQ(leases.value(id), 1) << "item " << id;
        EXPECT_EQ(completions.value(id), 1) << "item " << id;
    }
    EXPECT_EQ(leases.size(), ids.size());
    RawConnection raw(path);
    EXPECT_EQ(raw.scalar(QStringLiteral("SELECT COUNT(*) FROM work_items WHERE state = 'done'")).toInt(), ids.size());
    EXPECT_EQ(raw.scalar(QStringLiteral("SELECT COUNT(*) FROM events WHERE kind = 'leased'")).toInt(), ids.size());
    EXPECT_EQ(raw.scalar(QStringLiteral("SELECT COUNT(*) FROM events WHERE kind = 'lease_expired'")).toInt(), 0);
    EXPECT_EQ(raw.scalar(QStringLiteral("SELECT COUNT(*) FROM events WHERE kind = 'step_done'")).toInt(), 2 * ids.size());
    // The steps of one item were all written by the worker that leased it.
    EXPECT_EQ(raw.scalar(QStringLiteral("SELECT COUNT(*) FROM (SELECT item_id FROM events"
                                        " WHERE kind IN ('leased', 'step_done', 'done')"
                                        " GROUP BY item_id HAVING COUNT(DISTINCT actor) > 1) AS shared_items"))
                  .toInt(),
              0);
}

TEST_P(WorkStoreConcurrencyTest, FourThreadsNeverHoldTheSameItem)
{
    const QString path = location();
    ManualClock clock(testing::startTime());
    constexpr int kItems = 500;
    constexpr int kWorkers = 4;
    QList<qint64> ids;
    enqueueMany(path, clock, kItems, &ids);
    ASSERT_EQ(ids.size(), kItems);

    std::vector<WorkerLog> logs(kWorkers);
    std::latch start(kWorkers + 1);
    QElapsedTimer timer;
    {
        std::vector<std::jthread> workers;
        for (int w = 0; w < kWorkers; ++w) {
            workers.emplace_back(
                [&, w] { logs[size_t(w)] = drain(path, clock, QStringLiteral("worker-%1").arg(w), &start); });
        }
        start.arrive_and_wait();
        timer.start();
    }
    const qint64 elapsedMs = qMax<qint64>(1, timer.elapsed());

    QHash<qint64, int> leases, completions;
    for (int w = 0; w < kWorkers; ++w) {
        const WorkerLog &log = logs[size_t(w)];
        EXPECT_TRUE(log.errors.isEmpty()) << "worker " << w << ": " << log.errors.join(QStringLiteral("; ")).toStdString();
        for (qint64 id : log.leased)
            ++leases[id];
        for (qint64 id : log.completed)
            ++completions[id];
        std::cout << "worker-" << w << " completed " << log.completed.size() << " items\n";
    }
    std::cout << kItems << " items, " << kWorkers << " threads: " << elapsedMs << " ms, "
              << (kItems * 1000 / elapsedMs) << " items/s (lease + 2 steps each)\n";
    checkExactlyOnce(path, ids, leases, completions);
}

// SQLite's busy handler polls, up to every 100 ms: a thread that commits, does a little
// and begins again can keep the lock from a polling one for longer than its busy timeout.
// Writers of one process wait their turn instead, so each gets the lock within the time
// the others' transactions take.
TEST_P(WorkStoreConcurrencyTest, WritersOfOneProcessAreNotStarvedOfTheLock)
{
    const QString path = location();
    ManualClock clock(testing::startTime());
    constexpr int kWriters = 3;
    constexpr int kEach = 400;
    std::vector<QStringList> errors(kWriters);
    std::latch start(kWriters);
    {
        std::vector<std::jthread> writers;
        for (int w = 0; w < kWriters; ++w) {
            writers.emplace_back([&, w] {
                auto store = openWorkStore(path, clock, StoreOptions{.busyTimeout = 500ms});
                start.arrive_and_wait();
                if (!store) {
                    errors[size_t(w)].append(store.error().toString());
                    return;
                }
                for (int i = 0; i < kEach; ++i) {
                    auto queued = (*store)->enqueue({.bot = QStringLiteral("contact-form"),
                                                     .sourceRef = QStringLiteral("w%1-%2").arg(w).arg(i)});
                    if (!queued)
                        errors[size_t(w)].append(queued.error().toString());
                }
            });
        }
    }
    for (int w = 0; w < kWriters; ++w)
        EXPECT_TRUE(errors[size_t(w)].isEmpty()) << "writer " << w << ": " << errors[size_t(w)].size() << " failed, e.g. "
                                                 << errors[size_t(w)].value(0).toStdString();
    RawConnection raw(path);
    EXPECT_EQ(raw.scalar(QStringLiteral("SELECT COUNT(*) FROM work_items")).toInt(), kWriters * kEach);
}

TEST_P(WorkStoreConcurrencyTest, ConcurrentFirstOpensMigrateOnce)
{
    const QString path = location();
    ManualClock clock(testing::startTime());
    std::mutex mutex;
    QStringList errors;
    {
        std::vector<std::jthread> openers;
        for (int i = 0; i < 4; ++i) {
            openers.emplace_back([&] {
                auto store = openWorkStore(path, clock, {.busyTimeout = 30s});
                if (!store) {
                    std::lock_guard lock(mutex);
                    errors.append(store.error().toString());
                }
            });
        }
    }
    EXPECT_TRUE(errors.isEmpty()) << errors.join(QStringLiteral("; ")).toStdString();
    RawConnection raw(path);
    EXPECT_EQ(raw.scalar(QStringLiteral("SELECT COUNT(*) FROM schema_version")).toInt(), latestSchemaVersion());
}

// Three processes open a new database at the same moment: each succeeds and every
// migration step is applied once.
TEST_P(WorkStoreConcurrencyTest, ThreeProcessesRacingToMigrateApplyEachStepOnce)
{
    if (const QByteArray childLocation = qgetenv(kOpenerDatabase); !childLocation.isEmpty()) {
        auto store = openWorkStore(QString::fromLocal8Bit(childLocation), SystemClock::instance(), {.busyTimeout = 30s});
        EXPECT_TRUE(isOk(store));
        return;
    }
    runChildren(3, kOpenerDatabase, location());
    RawConnection raw(location());
    EXPECT_EQ(raw.scalar(QStringLiteral("SELECT COUNT(*) FROM schema_version")).toInt(), latestSchemaVersion());
    EXPECT_EQ(raw.scalar(QStringLiteral("SELECT COUNT(DISTINCT version) FROM schema_version")).toInt(),
              latestSchemaVersion());
}

// Four processes instead of threads. The test binary runs itself four times as a worker.
TEST_P(WorkStoreConcurrencyTest, FourProcessesNeverHoldTheSameItem)
{
    if (const QByteArray childPath = qgetenv(kWorkerDatabase); !childPath.isEmpty()) {
        const QString name = QString::fromLocal8Bit(qgetenv(kWorkerName));
        const WorkerLog log = drain(QString::fromLocal8Bit(childPath), SystemClock::instance(), name);
        EXPECT_TRUE(log.errors.isEmpty()) << log.errors.join(QStringLiteral("; ")).toStdString();
        EXPECT_EQ(log.leased.size(), log.completed.size());
        return;
    }

    const QString path = location();
    ManualClock clock(testing::startTime());
    constexpr int kItems = 500;
    QList<qint64> ids;
    enqueueMany(path, clock, kItems, &ids);
    runChildren(4, kWorkerDatabase, path);

    // The workers' own records are in the event log: who leased and completed what.
    QHash<qint64, int> leases, completions;
    QSet<QString> workers;
    {
        RawConnection raw(path);
        QSqlQuery query(raw.database());
        ASSERT_TRUE(query.exec(QStringLiteral("SELECT item_id, kind, actor FROM events WHERE kind IN ('leased', 'done')")));
        while (query.next()) {
            ++(query.value(1).toString() == QLatin1String("leased") ? leases : completions)[query.value(0).toLongLong()];
            workers.insert(query.value(2).toString());
        }
    }
    checkExactlyOnce(path, ids, leases, completions);
    std::cout << workers.size() << " of 4 processes took items\n";
}

CLERK_INSTANTIATE_FOR_BACKENDS(WorkStoreConcurrencyTest);

} // namespace
} // namespace clerk::store
