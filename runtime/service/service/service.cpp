#include "service/service.h"

#include "service/retention_job.h"

#include "core/duration.h"
#include "core/logging.h"
#include "engine/learning_loop.h"
#include "report/alerts.h"
#include "store/work_store.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QDir>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QScopeGuard>

#include <algorithm>
#include <csignal>
#include <sys/socket.h>
#include <unistd.h>

namespace clerk::service {

namespace {

constexpr int kHandledSignals[] = {SIGTERM, SIGINT, SIGHUP};

// Signals are written to this pipe by the handler and read on the event loop; one
// Service handles signals at a time.
int g_signalPipe[2] = {-1, -1};
struct sigaction g_previousActions[std::size(kHandledSignals)];

void onSignalArrived(int signal)
{
    const char byte = static_cast<char>(signal);
    [[maybe_unused]] const ssize_t written = ::write(g_signalPipe[1], &byte, 1);
}

} // namespace

Service::Service(const engine::StepRegistry &registry, BotFileReader readBots, ServiceOptions options)
    : m_registry(registry), m_readBots(std::move(readBots)), m_options(std::move(options))
{
    if (m_options.engine.workerId.isEmpty())
        m_options.engine.workerId = engine::defaultWorkerId();
    m_options.scheduler.owner = m_options.engine.workerId;
    engine::WorkerPoolOptions pool;
    pool.workers = m_options.workers;
    pool.storeLocation = m_options.storeLocation;
    pool.engine = m_options.engine;
    pool.observer = m_options.observer;
    m_pool = std::make_unique<engine::WorkerPool>(m_registry, pool);
}

Service::~Service()
{
    // The threads use this object: stop and join them before anything goes.
    requestStop();
    if (m_schedulerThread.joinable())
        m_schedulerThread.join();
    if (m_learningThread.joinable())
        m_learningThread.join();
    m_pool.reset();
    if (m_handlingSignals) {
        for (size_t i = 0; i < std::size(kHandledSignals); ++i)
            ::sigaction(kHandledSignals[i], &g_previousActions[i], nullptr);
        m_signals.reset();
        ::close(g_signalPipe[0]);
        ::close(g_signalPipe[1]);
        g_signalPipe[0] = g_signalPipe[1] = -1;
    }
}

Status Service::loadBots()
{
    if (!readBots(true))
        return fail(Error::invalidArgument(QStringLiteral("the bot files have errors, or there are none")));
    return {};
}

bool Service::readBots(bool initial)
{
    const QList<BotFile> files = m_readBots();
    bool allLoaded = true;
    QHash<QString, bot::BotDefinition> next;
    for (const BotFile &file : files) {
        if (file.definition) {
            next.insert(file.path, *file.definition);
            continue;
        }
        allLoaded = false;
        if (m_files.contains(file.path)) {
            qCWarning(lcApp, "%s %s: the version loaded before keeps running", qUtf8Printable(file.path),
                      qUtf8Printable(file.problem));
            next.insert(file.path, m_files.value(file.path));
        } else {
            qCWarning(lcApp, "%s %s: not served", qUtf8Printable(file.path), qUtf8Printable(file.problem));
        }
    }
    m_files = next;
    return initial ? allLoaded && !files.isEmpty() : true;
}

bool Service::publish()
{
    QList<bot::BotDefinition> bots;
    QStringList names;
    for (const bot::BotDefinition &definition : std::as_const(m_files)) {
        if (names.contains(definition.name)) {
            qCWarning(lcApp, "two bot files are both named %s: serving %s only", qUtf8Printable(definition.name),
                      qUtf8Printable(bots.at(static_cast<qsizetype>(names.indexOf(definition.name))).sourcePath));
            continue;
        }
        names.append(definition.name);
        bots.append(definition);
    }
    m_pool->setBots(bots);
    {
        MutexLock lock(m_mutex);
        ++m_generation;
    }
    return !bots.isEmpty();
}

Status Service::start()
{
    if (!publish())
        return fail(Error::invalidArgument(QStringLiteral("no bot could be served")));
    m_pool->start();
    m_schedulerRunning = true;
    m_schedulerThread = std::thread([this] { runScheduler(); });
    m_learningRunning = true;
    m_learningThread = std::thread([this] { runLearning(); });

    // Watched folders are scanned at each bot's poll interval; a file system event makes
    // the scan happen at once (network shares may not send events, so polling stays).
    watchFolders();
    QObject::connect(&m_folders, &QFileSystemWatcher::directoryChanged, [this] {
        if (!isStopping())
            wakeScheduler();
    });
    // A worker or the scheduler that stopped on an error stops the service.
    QObject::connect(&m_stopCheck, &QTimer::timeout, [this] {
        if (isStopping())
            QCoreApplication::quit();
    });
    m_stopCheck.start(200);
    return {};
}

void Service::reload()
{
    readBots(false);
    publish();
    watchFolders();
    m_pool->notifyWork();
    wakeScheduler();
    wakeLearning();
}

QStringList Service::botNames() const
{
    QStringList names;
    for (const bot::BotDefinition &definition : bots())
        names.append(definition.name);
    return names;
}

void Service::watchFolders()
{
    if (!m_folders.directories().isEmpty())
        m_folders.removePaths(m_folders.directories());
    for (const bot::BotDefinition &definition : bots()) {
        if (!definition.trigger || definition.trigger->kind != bot::TriggerDefinition::Kind::Watch)
            continue;
        const QString folder = QDir(definition.baseDir)
                                   .absoluteFilePath(definition.trigger->options.value(QStringLiteral("folder")).toString());
        if (QFileInfo(folder).isDir())
            m_folders.addPath(folder);
    }
}

void Service::requestStop()
{
    m_stopping = true;
    m_pool->stop();
    wakeScheduler();
    wakeLearning();
}

QString Service::problem() const
{
    if (QString worker = m_pool->problem(); !worker.isEmpty())
        return worker;
    MutexLock lock(m_mutex);
    return m_schedulerProblem;
}

StopReport Service::stop(std::chrono::milliseconds timeout)
{
    requestStop();
    QElapsedTimer waited;
    waited.start();
    m_pool->waitForWorkers(timeout);
    {
        MutexLock lock(m_mutex);
        const auto left = std::max<std::chrono::milliseconds>(std::chrono::milliseconds(0),
                                                              timeout - std::chrono::milliseconds(waited.elapsed()));
        m_schedulerWake.waitFor(m_mutex, left, [this] { return !m_schedulerRunning; });
    }
    {
        MutexLock lock(m_mutex);
        const auto left = std::max<std::chrono::milliseconds>(std::chrono::milliseconds(0),
                                                              timeout - std::chrono::milliseconds(waited.elapsed()));
        m_learningWake.waitFor(m_mutex, left, [this] { return !m_learningRunning; });
    }
    StopReport report;
    if (m_pool->runningWorkers() > 0)
        report.abandonedItems = m_pool->busyWorkers();
    report.schedulerLeft = m_schedulerRunning;
    report.learningLeft = m_learningRunning;
    report.problem = problem();
    if (!report.threadsLeft()) {
        // Every loop has ended or is about to, between items: joining does not wait long.
        m_pool->join();
        if (m_schedulerThread.joinable())
            m_schedulerThread.join();
        if (m_learningThread.joinable())
            m_learningThread.join();
    }
    return report;
}

void Service::wakeScheduler()
{
    {
        MutexLock lock(m_mutex);
        ++m_schedulerEpoch;
    }
    m_schedulerWake.notifyAll();
}

void Service::waitForScheduler(quint64 seen, std::chrono::milliseconds timeout)
{
    MutexLock lock(m_mutex);
    m_schedulerWake.waitFor(m_mutex, timeout, [&] {
        m_mutex.assertHeld();
        return m_schedulerEpoch != seen || isStopping();
    });
}

// The scheduler's thread: fires due triggers (cron, every, watched folders, source polls,
// mailboxes), judges alerts when due, then sleeps until the next trigger is due, at most a
// second, or until woken.
void Service::runScheduler()
{
    const auto finished = qScopeGuard([this] {
        {
            MutexLock lock(m_mutex);
            m_schedulerRunning = false;
        }
        m_schedulerWake.notifyAll();
    });
    auto store = store::openWorkStore(m_options.storeLocation);
    if (!store) {
        {
            MutexLock lock(m_mutex);
            m_schedulerProblem = QStringLiteral("scheduler: ") + store.error().toString();
        }
        m_stopping = true;
        m_pool->stop();
        return;
    }
    engine::EngineOptions options = m_options.engine;
    options.workerId += QStringLiteral("/scheduler");
    engine::Engine engine(**store, m_registry, options);
    scheduler::Scheduler scheduler(**store, engine, SystemClock::instance(), m_options.scheduler);
    // Alert rules are judged once a minute, by one process of the cluster at a time.
    report::AlertMonitor alerts(**store, SystemClock::instance());
    QElapsedTimer sinceAlerts;
    QElapsedTimer sinceRetention;
    QElapsedTimer sinceLearningLease;
    int generation = -1;
    QStringList scheduled;
    while (!isStopping()) {
        quint64 seen = 0;
        {
            MutexLock lock(m_mutex);
            seen = m_schedulerEpoch;
        }
        tickScheduler(scheduler, scheduled, generation);
        if (!sinceAlerts.isValid() || sinceAlerts.elapsed() >= m_options.alertInterval.count()) {
            sinceAlerts.start();
            auto leading = (*store)->tryAcquireLeadership(QStringLiteral("alerts"), owner(), m_options.alertLeadership);
            if (leading && *leading) {
                auto round = alerts.check(bots());
                if (!round) {
                    qCWarning(lcApp, "alerts: %s", qUtf8Printable(round.error().toString()));
                } else {
                    for (const report::AlertFiring &firing : round->fired)
                        qCWarning(lcApp, "alert: %s", qUtf8Printable(firing.message));
                    for (const QString &problem : round->problems)
                        qCWarning(lcApp, "alerts: %s", qUtf8Printable(problem));
                }
            }
        }
        if (!sinceRetention.isValid() || sinceRetention.elapsed() >= m_options.retentionInterval.count()) {
            sinceRetention.start();
            applyRetentionOnce(**store);
        }
        // The learning leadership is renewed here, not on the learning thread: a training
        // that runs longer than the lease keeps it.
        if (!sinceLearningLease.isValid() || sinceLearningLease.elapsed() >= m_options.learningLeadership.count() / 3) {
            sinceLearningLease.start();
            leadLearning(**store);
        }
        const qint64 wait = QDateTime::currentDateTimeUtc().msecsTo(scheduler.nextWakeUp());
        waitForScheduler(seen, std::chrono::milliseconds(std::clamp<qint64>(wait, 5, 1000)));
    }
}

// Applies every bot's retention, when this process holds the "retention" leadership
// (held for twice the interval, so a run and the next are one process's).
void Service::applyRetentionOnce(store::WorkStore &store)
{
    auto leading = store.tryAcquireLeadership(QStringLiteral("retention"), owner(), m_options.retentionInterval * 2);
    if (!leading || !*leading)
        return;
    const QDateTime now = QDateTime::currentDateTimeUtc();
    for (const bot::BotDefinition &definition : bots()) {
        if (!definition.retention)
            continue;
        auto run = applyRetention(store, definition, now, QStringLiteral("retention"));
        if (!run) {
            qCWarning(lcApp, "retention: bot %s: %s", qUtf8Printable(definition.name), qUtf8Printable(run.error().toString()));
            continue;
        }
        if (run->erased > 0 || run->documentsDeleted > 0)
            qCInfo(lcApp, "retention: bot %s: %lld finished items erased, %lld documents deleted", qUtf8Printable(definition.name),
                   static_cast<long long>(run->erased), static_cast<long long>(run->documentsDeleted));
        for (const QString &problem : run->problems)
            qCWarning(lcApp, "retention: %s", qUtf8Printable(problem));
    }
}

// Takes up the bots published since the last tick, then ticks once.
void Service::tickScheduler(scheduler::Scheduler &scheduler, QStringList &scheduled, int &generation)
{
    int current = 0;
    {
        MutexLock lock(m_mutex);
        current = m_generation;
    }
    if (generation != current) {
        generation = current;
        QStringList names;
        for (const bot::BotDefinition &definition : bots()) {
            if (auto added = scheduler.addBot(definition); !added) {
                qCWarning(lcApp, "bot %s: its trigger does not run: %s", qUtf8Printable(definition.name),
                          qUtf8Printable(added.error().toString()));
                continue;
            }
            names.append(definition.name);
        }
        for (const QString &name : std::as_const(scheduled)) {
            if (!names.contains(name))
                scheduler.removeBot(name);
        }
        scheduled = names;
    }
    auto ticked = scheduler.tick();
    if (!ticked) {
        qCWarning(lcApp, "scheduler: %s", qUtf8Printable(ticked.error().toString()));
        return;
    }
    for (const QString &problem : m_schedulerProblems.toLog(ticked->problems, QDateTime::currentMSecsSinceEpoch()))
        qCWarning(lcApp, "scheduler: %s", qUtf8Printable(problem));
    if (ticked->enqueued > 0)
        m_pool->notifyWork();
}

namespace {

// The classify and match steps of `definition` that learn from people's answers.
QStringList learningSteps(const bot::BotDefinition &definition)
{
    QStringList steps;
    for (const bot::StepDefinition &step : definition.steps) {
        if (engine::learnsFromAnswers(definition, step))
            steps.append(step.id);
    }
    return steps;
}

} // namespace

// On the scheduler's thread: takes or renews the "learning" leadership while a served bot
// learns, and wakes the learning thread when this process has just taken it.
void Service::leadLearning(store::WorkStore &store)
{
    const QList<bot::BotDefinition> served = bots();
    const bool anyLearns = std::any_of(served.cbegin(), served.cend(),
                                       [](const bot::BotDefinition &d) { return !learningSteps(d).isEmpty(); });
    if (!anyLearns) {
        m_learningLeader = false;
        return;
    }
    auto leading = store.tryAcquireLeadership(QStringLiteral("learning"), owner(), m_options.learningLeadership);
    if (!leading) {
        qCWarning(lcApp, "learning: %s", qUtf8Printable(leading.error().toString()));
        m_learningLeader = false;
        return;
    }
    if (*leading && !m_learningLeader.exchange(true))
        wakeLearning();
    else if (!*leading)
        m_learningLeader = false;
}

void Service::wakeLearning()
{
    {
        MutexLock lock(m_mutex);
        m_learningWoken = true;
    }
    m_learningWake.notifyAll();
}

// The learning thread: while this process leads learning, checks every learning step
// every learningInterval, and soon after a wake-up (at most once per kWokenGap, so a
// burst of answers is one check). Nothing else runs here: a training of minutes holds
// up nobody.
void Service::runLearning()
{
    const auto finished = qScopeGuard([this] {
        {
            MutexLock lock(m_mutex);
            m_learningRunning = false;
        }
        m_learningWake.notifyAll();
    });
    constexpr std::chrono::milliseconds kWokenGap{std::chrono::seconds(2)};
    auto store = store::openWorkStore(m_options.storeLocation);
    if (!store) {
        // Not fatal: the bots run; they only stop learning until the next start.
        qCWarning(lcApp, "learning: off: %s", qUtf8Printable(store.error().toString()));
        return;
    }
    QElapsedTimer sinceCheck;
    bool pending = true;  // the first check comes as soon as this process leads
    while (!isStopping()) {
        {
            MutexLock lock(m_mutex);
            m_learningWake.waitFor(m_mutex, std::chrono::seconds(1), [this] {
                m_mutex.assertHeld();
                return m_learningWoken || isStopping();
            });
            pending = pending || m_learningWoken;
            m_learningWoken = false;
        }
        if (isStopping())
            break;
        const bool due = !sinceCheck.isValid() || sinceCheck.elapsed() >= m_options.learningInterval.count()
                         || (pending && sinceCheck.elapsed() >= kWokenGap.count());
        if (!due || !m_learningLeader)
            continue;
        pending = false;
        sinceCheck.start();
        learnRound(**store);
    }
    // Another process may take over at once; not while a training of ours could still
    // write a version (the thread is only left behind then, and the lease runs out).
    if (m_learningLeader)
        (void)(*store)->releaseLeadership(QStringLiteral("learning"), owner());
}

// One check of every learning step of the bots served now, one after the other.
void Service::learnRound(store::WorkStore &store)
{
    for (const bot::BotDefinition &definition : bots()) {
        for (const QString &step : learningSteps(definition)) {
            if (isStopping() || !m_learningLeader)
                return;
            auto outcome = engine::learnOnce(store, store, store, definition, step, owner() + QStringLiteral("/learning"));
            const QByteArray where = QStringLiteral("bot %1 step %2").arg(definition.name, step).toUtf8();
            if (!outcome) {
                qCWarning(lcApp, "learning: %s: %s", where.constData(), qUtf8Printable(outcome.error().toString()));
                continue;
            }
            if (!outcome->trained) {
                qCDebug(lcApp, "learning: %s: %s", where.constData(), qUtf8Printable(outcome->reason));
                continue;
            }
            qCInfo(lcApp, "learning: %s: %s %s on %lld answers: %s", where.constData(),
                   qUtf8Printable(QFileInfo(outcome->modelPath).fileName()),
                   outcome->promoted ? "promoted" : "trained, not promoted", static_cast<long long>(outcome->answers),
                   qUtf8Printable(outcome->reason));
        }
    }
}

Status Service::handleSignals()
{
    Q_ASSERT_X(g_signalPipe[0] < 0, "Service::handleSignals", "one Service handles signals at a time");
    if (::socketpair(AF_UNIX, SOCK_STREAM, 0, g_signalPipe) != 0)
        return fail(Error::unavailable(QStringLiteral("cannot set up signal handling")));
    m_handlingSignals = true;
    for (size_t i = 0; i < std::size(kHandledSignals); ++i) {
        struct sigaction action = {};
        action.sa_handler = onSignalArrived;
        sigemptyset(&action.sa_mask);
        action.sa_flags = SA_RESTART;
        ::sigaction(kHandledSignals[i], &action, &g_previousActions[i]);
    }
    m_signals = std::make_unique<QSocketNotifier>(g_signalPipe[0], QSocketNotifier::Read);
    QObject::connect(m_signals.get(), &QSocketNotifier::activated, [this] { onSignal(); });
    return {};
}

void Service::onSignal()
{
    char byte = 0;
    if (::read(g_signalPipe[0], &byte, 1) != 1)
        return;
    if (byte == SIGHUP) {
        qCInfo(lcApp, "SIGHUP: reloading bot files");
        reload();
        return;
    }
    qCInfo(lcApp, "%s: stopping; workers finish the item in hand (up to %s)", byte == SIGTERM ? "SIGTERM" : "SIGINT",
           qUtf8Printable(formatDuration(m_options.shutdownTimeout)));
    requestStop();
    QCoreApplication::quit();
}

} // namespace clerk::service
