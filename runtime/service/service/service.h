// Service: the long-running part of `clerk serve`. It serves a set of bot files: a
// WorkerPool runs their items, a scheduler thread fires their triggers (cron, every,
// watched folders, source polls, mailboxes) and judges alert rules once a minute in one
// process of the cluster; a learning thread, in one process of the cluster, trains the
// classify and match steps that learn from people's answers (engine/learning_loop.h); SIGHUP
// reloads the files, SIGTERM and SIGINT stop it.
//
// Threads: the Service lives on the thread that runs the Qt event loop (folder-watch
// events, signals and the stop check come through it). The scheduler has a thread of its
// own (a poll of a slow mailbox or case system must not hold anything else up), with its
// own store connection and engine; each worker has its own too (see WorkerPool).
// Training takes seconds to minutes, so it has a thread of its own too, with its own
// store connection: one training at a time, never on a worker or the scheduler.
//
// Learning: while this process holds the cluster's "learning" leadership (the scheduler
// renews it every third of its lease, also while a training runs), the learning thread
// calls engine::learnOnce for every served bot's classify or match step with `learning:`, every
// `learningInterval` and when woken (notifyWork(): an answer resumed an item; reload()).
// A promoted model (or match weights) is a new `.latest` pointer beside the bot file: the workers of every
// process sharing the bot folder follow it from their next item, without a restart.
//
// Reload: the files are read again; a file with errors keeps the version loaded before,
// if any (a new file with errors is not served). Workers pick the new versions up between
// items; items already started keep the exact file they started with.
//
// @code
//   service::Service service(registry, readBotFiles, options);
//   if (auto loaded = service.loadBots(); !loaded) ...report, exit...
//   if (auto started = service.start(); !started) ...report, exit...
//   service.handleSignals();
//   QCoreApplication::exec();          // until SIGTERM, SIGINT, or a worker's error
//   const service::StopReport report = service.stop(std::chrono::seconds(30));
//   if (report.threadsLeft()) ...end the process: the threads use the Service...
// @endcode
//
// Ownership: the Service owns its threads; stop() or the destructor joins them, so none
// outlives it. A thread stuck in an item or a poll makes the destructor wait with it:
// stop() says so (StopReport::threadsLeft), so a caller that must not wait can end the
// process instead.
//
// Thread-safety: bots(), notifyWork(), requestStop(), isStopping(), isReady() and
// problem() may be called from any thread; everything else from the Service's thread.
#pragma once

#include "bot/bot_definition.h"
#include "core/error.h"
#include "core/mutex.h"
#include "engine/engine.h"
#include "engine/step_registry.h"
#include "engine/worker_pool.h"
#include "service/repeated_problems.h"
#include "scheduler/scheduler.h"
#include "store/work_store.h"

#include <QFileSystemWatcher>
#include <QHash>
#include <QSocketNotifier>
#include <QString>
#include <QStringList>
#include <QTimer>
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <thread>

namespace clerk::service {

// One bot file as read: its definition, or why it cannot be served (its diagnostics
// already reported by the reader).
struct BotFile {
    QString path;
    std::optional<bot::BotDefinition> definition;
    QString problem;  // with no definition: "has errors", "has a step that cannot start"
};
// Reads every bot file served; called by loadBots() and reload(), on the Service's thread.
using BotFileReader = std::function<QList<BotFile>()>;

struct ServiceOptions {
    QString storeLocation;
    int workers = 1;
    // The workers' and the scheduler's engine options. Its workerId names this process
    // in the cluster (default: engine::defaultWorkerId()): leaderships are held in that
    // name, workers are "<id>/w<N>" and the scheduler "<id>/scheduler".
    engine::EngineOptions engine;
    scheduler::SchedulerOptions scheduler;  // its owner is set to the engine's workerId
    engine::EngineObserver *observer = nullptr;  // for the workers; see WorkerPoolOptions
    // Alert rules are judged this often, by the holder of the "alerts" leadership.
    std::chrono::milliseconds alertInterval{std::chrono::minutes(1)};
    std::chrono::milliseconds alertLeadership{std::chrono::minutes(3)};
    // Classify steps with `learning:` are checked this often for new answers, by the
    // holder of the "learning" leadership; its lease is renewed every third of it.
    std::chrono::milliseconds learningInterval{std::chrono::minutes(1)};
    std::chrono::milliseconds learningLeadership{std::chrono::seconds(30)};
    // Bots' `retention` is applied this often, by the holder of the "retention" leadership
    // (service/retention_job.h).
    std::chrono::milliseconds retentionInterval{std::chrono::hours(1)};
    // Said in the log when a signal stops the service: how long items in hand may take.
    std::chrono::milliseconds shutdownTimeout{std::chrono::seconds(30)};
};

// How stop() went.
struct StopReport {
    int abandonedItems = 0;      // items still running at the timeout, left to their leases
    bool schedulerLeft = false;  // the scheduler still in a poll at the timeout
    bool learningLeft = false;   // a model still training at the timeout (a model file is
                                 // written whole or not at all: ending the process is safe)
    QString problem;             // why a worker or the scheduler stopped early, if one did
    bool threadsLeft() const { return abandonedItems > 0 || schedulerLeft || learningLeft; }
};

class Service {
public:
    // `registry` must outlive the Service.
    Service(const engine::StepRegistry &registry, BotFileReader readBots, ServiceOptions options);
    ~Service();

    Service(const Service &) = delete;
    Service &operator=(const Service &) = delete;

    const QString &owner() const { return m_options.engine.workerId; }

    // Reads the bot files for the first time. InvalidArgument when there are none or
    // one has errors (the reader has reported them).
    Status loadBots();
    // Starts the workers and the scheduler's thread and watches the bots' folders.
    // REQUIRES: loadBots() succeeded. InvalidArgument when no bot can be served (two
    // files with one name serve the first).
    Status start();
    // Reads the bot files again and hands the new versions to the workers and the
    // scheduler; a file with errors keeps the version loaded before.
    void reload();

    // Routes SIGTERM and SIGINT (stop, and quit the event loop) and SIGHUP (reload)
    // through the event loop of the Service's thread; the previous handlers come back with
    // the destructor. Unavailable when the signal pipe cannot be made.
    Status handleSignals();

    // The bots served now, and their names.
    QList<bot::BotDefinition> bots() const { return m_pool->bots(); }
    QStringList botNames() const;
    // Wakes idle workers: an item was enqueued elsewhere (webhook intake), or a person's
    // answer resumed one; the learning check looks for new answers too.
    void notifyWork()
    {
        m_pool->notifyWork();
        wakeLearning();
    }
    // Asks workers and the scheduler to stop; the event loop, if one runs, quits soon.
    void requestStop();
    // Stopping, asked to or because a worker or the scheduler met an error.
    bool isStopping() const { return m_stopping || m_pool->isStopping(); }
    // Running, with at least one worker left.
    bool isReady() const { return !isStopping() && m_pool->runningWorkers() > 0; }
    QString problem() const;

    // Stops: workers finish the item in hand and the scheduler its tick, for up to
    // `timeout`; then joins the threads unless some are still busy (see StopReport).
    StopReport stop(std::chrono::milliseconds timeout);

private:
    bool readBots(bool initial);
    bool publish();
    void watchFolders();
    void runScheduler();
    void tickScheduler(scheduler::Scheduler &scheduler, QStringList &scheduled, int &generation);
    void applyRetentionOnce(store::WorkStore &store);
    void wakeScheduler();
    void waitForScheduler(quint64 seen, std::chrono::milliseconds timeout);
    void onSignal();
    void leadLearning(store::WorkStore &store);
    void runLearning();
    void learnRound(store::WorkStore &store);
    void wakeLearning();

    const engine::StepRegistry &m_registry;
    BotFileReader m_readBots;
    ServiceOptions m_options;
    QHash<QString, bot::BotDefinition> m_files;  // the Service's thread only; by file
    std::unique_ptr<engine::WorkerPool> m_pool;
    std::atomic<bool> m_stopping{false};
    std::atomic<bool> m_schedulerRunning{false};
    std::thread m_schedulerThread;
    RepeatedProblems m_schedulerProblems;  // the scheduler's thread only

    mutable Mutex m_mutex;
    CondVar m_schedulerWake;
    quint64 m_schedulerEpoch CLERK_GUARDED_BY(m_mutex) = 0;  // moves to wake the scheduler
    int m_generation CLERK_GUARDED_BY(m_mutex) = 0;          // moves with each publish()
    QString m_schedulerProblem CLERK_GUARDED_BY(m_mutex);

    // Learning: the scheduler's thread holds the leadership, the learning thread trains.
    std::atomic<bool> m_learningLeader{false};
    std::atomic<bool> m_learningRunning{false};
    std::thread m_learningThread;
    CondVar m_learningWake;
    bool m_learningWoken CLERK_GUARDED_BY(m_mutex) = false;  // a check is due before the interval

    QFileSystemWatcher m_folders;
    QTimer m_stopCheck;
    std::unique_ptr<QSocketNotifier> m_signals;
    bool m_handlingSignals = false;
};

} // namespace clerk::service
