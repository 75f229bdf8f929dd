// WorkerPool: the threads that lease work items and run them, for `clerk run` and
// `clerk serve`.
//
// Each worker has its own store connection (opened at the pool's store location) and its
// own Engine. It leases items in small batches (one at a time for slow items; see
// EngineOptions::maxBatch) and stops only between batches: the items in hand are
// finished first. Two ways to work:
//
//   - until idle (`clerk run`): each worker runs the bots' runnable items until none is
//     left now, then ends;
//   - until stopped (`clerk serve`): each worker leases within the bots' concurrency
//     limits (bot key `concurrency`, counted per pool), waits for work when there is none
//     (woken early by notifyWork()), and ends after stop().
//
// @code
//   engine::WorkerPoolOptions options;
//   options.workers = 4;
//   options.storeLocation = location;
//   engine::WorkerPool pool(registry, options);
//   pool.setBots(bots);
//   pool.start();
//   ...
//   pool.stop();
//   if (!pool.waitForWorkers(std::chrono::seconds(30))) ...an item is still running...
//   pool.join();
// @endcode
//
// Ownership: the pool owns its threads. The destructor stops and joins them, so no worker
// outlives the pool; a worker stuck in a step (a case system that never answers) makes
// the destructor wait with it. A caller that must not wait checks waitForWorkers() first
// and ends the process instead (as `clerk serve` does past its shutdown timeout).
//
// Thread-safety: every member may be called from any thread, except the constructor,
// start(), join() and the destructor, which belong to the owner's thread.
#pragma once

#include "bot/bot_definition.h"
#include "core/mutex.h"
#include "engine/concurrency_limits.h"
#include "engine/engine.h"
#include "engine/step_registry.h"

#include <QList>
#include <QString>
#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

namespace clerk::engine {

struct WorkerPoolOptions {
    int workers = 1;
    QString storeLocation;  // each worker opens its own connection here (store::openWorkStore)
    // Each worker's engine options; its workerId is this one's (default: defaultWorkerId())
    // followed by "/w<N>".
    EngineOptions engine;
    // Shared by every worker and called on their threads, so it must be thread-safe;
    // not owned, and must outlive the pool's threads.
    EngineObserver *observer = nullptr;
    bool untilIdle = false;  // true: a worker ends when nothing is runnable now; false: at stop()
    // How long an idle worker waits for work before it looks again (notifyWork() wakes it
    // at once).
    std::chrono::milliseconds idleWait{500};
};

class WorkerPool {
public:
    // `registry` must outlive the pool.
    WorkerPool(const StepRegistry &registry, WorkerPoolOptions options);
    ~WorkerPool();

    WorkerPool(const WorkerPool &) = delete;
    WorkerPool &operator=(const WorkerPool &) = delete;

    // The bots the workers run, and their concurrency limits; replaced as a whole. A
    // running worker picks up the new set between items; items already started keep the
    // bot file they started with.
    void setBots(const QList<bot::BotDefinition> &bots);
    QList<bot::BotDefinition> bots() const;

    // Starts the workers. REQUIRES: not started before.
    void start();

    // Wakes idle workers: an item was enqueued, or a bot's slot became free.
    void notifyWork();
    // Asks every worker to end after the item in hand. Also happens when a worker stops
    // on an error (see problem()).
    void stop();
    bool isStopping() const { return m_stopping; }

    // Waits until every worker has ended, or `timeout` passed. True when all have ended.
    bool waitForWorkers(std::chrono::milliseconds timeout);
    // Workers not ended yet, and those of them in an item now.
    int runningWorkers() const { return m_running; }
    int busyWorkers() const;

    // Why a worker stopped early, empty if none did: its store could not be opened or
    // failed, or a bot could not be added to its engine. Such an error stops the pool.
    QString problem() const;

    // Joins every worker thread; blocks until each has ended. Safe to call twice.
    void join();

private:
    struct Worker {
        std::thread thread;
        std::atomic<bool> busy{false};
    };
    void work(int index, Worker &self);
    QString workUntilStopped(Engine &engine, store::WorkQueue &queue, Worker &self);
    void finish(const QString &problem);
    quint64 workEpoch() const;
    void waitForWork(quint64 seen);

    const StepRegistry &m_registry;
    WorkerPoolOptions m_options;
    ConcurrencyLimits m_limits;
    std::vector<std::unique_ptr<Worker>> m_workers;  // the owner's thread only
    std::atomic<bool> m_stopping{false};
    std::atomic<int> m_running{0};

    mutable Mutex m_mutex;
    CondVar m_changed;  // m_epoch moved, m_running dropped, or stop()
    quint64 m_epoch CLERK_GUARDED_BY(m_mutex) = 0;     // moves on each notifyWork()
    QList<bot::BotDefinition> m_bots CLERK_GUARDED_BY(m_mutex);
    int m_generation CLERK_GUARDED_BY(m_mutex) = 0;    // moves on each setBots()
    QString m_problem CLERK_GUARDED_BY(m_mutex);
};

} // namespace clerk::engine
