// clerk serve BOT_OR_FOLDER...: the long-running service. A scheduler fires the bots'
// triggers (cron, interval, watched folders) and N worker threads run the items, until
// SIGTERM or SIGINT; SIGHUP reloads the bot files.
//
// Threads: the main thread runs the Qt event loop, the HTTP server and signal handling;
// the scheduler has a thread of its own (a poll of a slow mailbox or case system must not
// hold up the web queue), with its own store connection and engine;
// each worker has its own store connection and Engine and leases one item at a time, so
// on shutdown it stops between items: an item in hand is finished (or, past the shutdown
// timeout, left to its lease, which another process takes over when it runs out).
//
// Reload: the files are read and validated again; a file with errors is reported and the
// version already running keeps running. Workers pick up new versions between items; items
// already started keep the exact file they started with (the store keeps each version).
//
// Logs go to stdout, one line each, with a syslog priority prefix ("<6>") that journald
// reads; they carry ids, bot and step names, states and reasons, never document text.
#include "cli_support.h"
#include "commands.h"

#include "core/duration.h"
#include "core/logging.h"
#include "bot/secret_ref.h"
#include "engine/concurrency_limits.h"
#include "engine/document_paths.h"
#include "engine/engine.h"
#include "engine/record_source.h"
#include "report/alerts.h"
#include "report/dashboard.h"
#include "report/prometheus_text.h"
#include "scheduler/scheduler.h"
#include "server/api_server.h"

#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QFileSystemWatcher>
#include <QLoggingCategory>
#include <QFileInfo>
#include <QMutex>
#include <QSocketNotifier>
#include <QThread>
#include <QScopeGuard>
#include <QTimer>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <condition_variable>
#include <csignal>
#include <mutex>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

namespace clerk::app {

namespace {

int g_signalPipe[2] = {-1, -1};

// Log lines to stdout, whole and flushed, for journald or a log file.
void logToStdout(QtMsgType type, const QMessageLogContext &context, const QString &message)
{
    const QByteArray line = qFormatLogMessage(type, context, message).toUtf8() + '\n';
    std::fwrite(line.constData(), 1, static_cast<size_t>(line.size()), stdout);
    std::fflush(stdout);
}

void onSignal(int signal)
{
    const char byte = static_cast<char>(signal);
    [[maybe_unused]] const ssize_t written = ::write(g_signalPipe[1], &byte, 1);
}


// The bots every worker should run; replaced as a whole on reload.
class BotSet {
public:
    void replace(QList<bot::BotDefinition> bots)
    {
        std::lock_guard lock(m_mutex);
        m_bots = std::move(bots);
        ++m_generation;
    }
    int generation() const
    {
        std::lock_guard lock(m_mutex);
        return m_generation;
    }
    QList<bot::BotDefinition> bots() const
    {
        std::lock_guard lock(m_mutex);
        return m_bots;
    }

private:
    mutable std::mutex m_mutex;
    QList<bot::BotDefinition> m_bots;  // GUARDED_BY(m_mutex)
    int m_generation = 0;              // GUARDED_BY(m_mutex)
};

// Wakes idle workers when the scheduler enqueued something, or on shutdown.
class WorkSignal {
public:
    void notify()
    {
        {
            std::lock_guard lock(m_mutex);
            ++m_epoch;
        }
        m_wake.notify_all();
    }
    void waitFor(std::chrono::milliseconds timeout)
    {
        std::unique_lock lock(m_mutex);
        const quint64 seen = m_epoch;
        m_wake.wait_for(lock, timeout, [&] { return m_epoch != seen; });
    }

private:
    std::mutex m_mutex;
    std::condition_variable m_wake;
    quint64 m_epoch = 0;
};

struct Worker {
    std::thread thread;
    std::atomic<bool> busy{false};
};

} // namespace

int serveCommand(const QStringList &arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Runs bots as a service: fires their triggers (cron, every, watched folders) and works\n"
        "their items with N worker threads until SIGTERM or SIGINT. SIGHUP reloads the bot files\n"
        "(a file with errors is reported and the running version kept). Several clerk serve\n"
        "processes may share one PostgreSQL database: each item is worked once, each time\n"
        "trigger fires once across them. Logs go to stdout, one line each, journald-ready.\n"
        "It also serves the web queue and dashboard, the JSON API (docs/api.md), /healthz,\n"
        "/readyz, /metrics and webhook intake on --listen (default 127.0.0.1:8080).\n"
        "Exit status: 0 after a clean shutdown, 1 on invalid bots, arguments or database."));
    CommonOptions common;
    common.addTo(parser);
    QCommandLineOption workers({QStringLiteral("w"), QStringLiteral("workers")},
                               QStringLiteral("Worker threads (default: the number of cores)."), QStringLiteral("n"));
    QCommandLineOption lease(QStringLiteral("lease"),
                             QStringLiteral("How long a worker holds an item before another may take it over if the "
                                            "worker died (default 30s). Time triggers move to another process after "
                                            "this too (at most 15s)."),
                             QStringLiteral("duration"), QStringLiteral("30s"));
    QCommandLineOption shutdownTimeout(QStringLiteral("shutdown-timeout"),
                                       QStringLiteral("On SIGTERM, how long to let workers finish the item in hand "
                                                      "(default 30s); items still running are left to their lease."),
                                       QStringLiteral("duration"), QStringLiteral("30s"));
    QCommandLineOption listen(QStringLiteral("listen"),
                              QStringLiteral("Address and port of the web queue and API (default 127.0.0.1:8080); "
                                             "off: no HTTP."),
                              QStringLiteral("host:port"), QStringLiteral("127.0.0.1:8080"));
    QCommandLineOption tlsCert(QStringLiteral("tls-cert"),
                               QStringLiteral("PEM certificate: serve HTTPS (with --tls-key). Without it, put a "
                                              "TLS-terminating reverse proxy in front."),
                               QStringLiteral("file"));
    QCommandLineOption tlsKey(QStringLiteral("tls-key"), QStringLiteral("PEM private key for --tls-cert."),
                              QStringLiteral("file"));
    QCommandLineOption trustedHeader(QStringLiteral("trusted-user-header"),
                                     QStringLiteral("Take the signed-in user's name from this request header, set "
                                                    "by a single sign-on proxy in front; believed only from "
                                                    "--trusted-proxy peers (from others: 401 and a warning). The user "
                                                    "must exist (clerk user add)."),
                                     QStringLiteral("header"));
    QCommandLineOption trustedProxy(QStringLiteral("trusted-proxy"),
                                    QStringLiteral("A reverse proxy in front, as an address or range (10.0.0.0/8); "
                                                   "repeat it or separate with commas. Only these peers' "
                                                   "X-Forwarded-For gives the client's address, and only they may "
                                                   "send --trusted-user-header."),
                                    QStringLiteral("cidr"));
    QCommandLineOption publicUrl(QStringLiteral("public-url"),
                                 QStringLiteral("The address people reach the page at, e.g. https://clerk.example.org "
                                                "behind a TLS proxy: with https the session cookie is Secure and "
                                                "named __Host-clerk_session."),
                                 QStringLiteral("url"));
    QCommandLineOption idleTimeout(QStringLiteral("idle-timeout"),
                                   QStringLiteral("End a web session unused for this long (default 30m)."),
                                   QStringLiteral("duration"), QStringLiteral("30m"));
    QCommandLineOption sessionLifetime(QStringLiteral("session-lifetime"),
                                       QStringLiteral("End every web session this long after sign-in, however busy "
                                                      "(default 12h)."),
                                       QStringLiteral("duration"), QStringLiteral("12h"));
    QCommandLineOption claimFor(QStringLiteral("claim-for"),
                                QStringLiteral("How long a person's claim on an exception item lasts (default 15m)."),
                                QStringLiteral("duration"), QStringLiteral("15m"));
    QCommandLineOption metricsTokenFile(QStringLiteral("metrics-token-file"),
                                        QStringLiteral("A file holding the bearer token /metrics asks for (default: "
                                                       "/metrics is open to whoever reaches the port)."),
                                        QStringLiteral("file"));
    QCommandLineOption costPerHour(QStringLiteral("cost-per-hour"),
                                   QStringLiteral("What an hour of a person's time costs, for the dashboard's cost "
                                                  "saved (default: not shown)."),
                                   QStringLiteral("amount"));
    QCommandLineOption poolThreads(QStringLiteral("pool-threads"),
                                   QStringLiteral("Threads of the web server that render document pages and check "
                                                  "passwords, off the thread that answers everything else (default 2)."),
                                   QStringLiteral("n"), QStringLiteral("2"));
    QCommandLineOption poolQueue(QStringLiteral("pool-queue"),
                                 QStringLiteral("Page renders and password checks waiting or running at once; past "
                                                "it such requests get 503 with Retry-After (default 16)."),
                                 QStringLiteral("n"), QStringLiteral("16"));
    parser.addOptions({workers, lease, shutdownTimeout, listen, tlsCert, tlsKey, trustedHeader, trustedProxy, publicUrl,
                       idleTimeout, sessionLifetime, claimFor, metricsTokenFile, costPerHour, poolThreads, poolQueue});
    parser.addPositionalArgument(QStringLiteral("bots"), QStringLiteral("Bot files, or folders of them."),
                                 QStringLiteral("BOT_OR_FOLDER..."));
    int exitCode = ExitOk;
    if (!parseCommand(parser, arguments, exitCode))
        return exitCode;
    const auto fail = [](const QString &message) {
        err() << "clerk serve: " << message << "\n";
        err().flush();
        return int(ExitInvalid);
    };
    if (parser.positionalArguments().isEmpty())
        return fail(QStringLiteral("name the bot files or folders to serve, e.g. clerk serve bots/"));
    int workerCount = QThread::idealThreadCount();
    if (parser.isSet(workers)) {
        bool ok = false;
        workerCount = parser.value(workers).toInt(&ok);
        if (!ok || workerCount < 1 || workerCount > 64)
            return fail(QStringLiteral("--workers takes a number from 1 to 64"));
    }
    const auto leaseFor = parseDuration(parser.value(lease));
    if (!leaseFor || leaseFor->count() < 1000)
        return fail(QStringLiteral("--lease takes a duration of at least 1s, e.g. 30s"));
    const auto stopWithin = parseDuration(parser.value(shutdownTimeout));
    if (!stopWithin)
        return fail(QStringLiteral("--shutdown-timeout: ") + stopWithin.error().message());
    server::ServerOptions serverOptions;
    const bool httpOn = parser.value(listen) != QLatin1String("off");
    if (httpOn) {
        const QString given = parser.value(listen);
        const qsizetype colon = given.lastIndexOf(QLatin1Char(':'));
        bool portOk = false;
        const int port = colon > 0 ? given.mid(colon + 1).toInt(&portOk) : 0;
        QString host = colon > 0 ? given.left(colon) : QString();
        if (host.startsWith(QLatin1Char('[')) && host.endsWith(QLatin1Char(']')))
            host = host.mid(1, host.size() - 2);
        if (!portOk || port < 0 || port > 65535 || !serverOptions.address.setAddress(host))
            return fail(QStringLiteral("--listen takes HOST:PORT with an IP address, e.g. 127.0.0.1:8080, or off"));
        serverOptions.port = static_cast<quint16>(port);
    }
    serverOptions.tlsCertFile = parser.value(tlsCert);
    serverOptions.tlsKeyFile = parser.value(tlsKey);
    if (serverOptions.tlsCertFile.isEmpty() != serverOptions.tlsKeyFile.isEmpty())
        return fail(QStringLiteral("--tls-cert and --tls-key go together"));
    serverOptions.auth.secureCookies = !serverOptions.tlsCertFile.isEmpty();
    serverOptions.auth.trustedUserHeader = parser.value(trustedHeader).toLatin1().toLower();
    for (const QString &given : parser.values(trustedProxy)) {
        for (const QString &range : given.split(QLatin1Char(','), Qt::SkipEmptyParts)) {
            const QString text = range.trimmed();
            server::Subnet subnet = QHostAddress::parseSubnet(text);
            if (subnet.first.isNull() && !text.contains(QLatin1Char('/')))
                subnet = QHostAddress::parseSubnet(text + (text.contains(QLatin1Char(':')) ? QStringLiteral("/128")
                                                                                          : QStringLiteral("/32")));
            if (subnet.first.isNull())
                return fail(QStringLiteral("--trusted-proxy takes addresses or ranges, e.g. 10.0.0.5 or 10.0.0.0/8; "
                                           "not %1").arg(text));
            serverOptions.trustedProxies.append(subnet);
        }
    }
    if (!serverOptions.auth.trustedUserHeader.isEmpty() && serverOptions.trustedProxies.isEmpty())
        return fail(QStringLiteral("--trusted-user-header needs --trusted-proxy: the header is believed only from the "
                                   "proxy that sets it"));
    if (parser.isSet(publicUrl)) {
        const QUrl url(parser.value(publicUrl), QUrl::StrictMode);
        if (!url.isValid() || (url.scheme() != QLatin1String("https") && url.scheme() != QLatin1String("http"))
            || url.host().isEmpty())
            return fail(QStringLiteral("--public-url takes the page's address, e.g. https://clerk.example.org"));
        if (url.scheme() == QLatin1String("https")) {
            serverOptions.auth.secureCookies = true;
            serverOptions.auth.hostPrefixedCookie = true;
        }
    }
    const auto idle = parseDuration(parser.value(idleTimeout));
    if (!idle || idle->count() < 60'000)
        return fail(QStringLiteral("--idle-timeout takes a duration of at least 1m, e.g. 30m"));
    serverOptions.auth.idleTimeout = *idle;
    const auto lifetime = parseDuration(parser.value(sessionLifetime));
    if (!lifetime || lifetime->count() < 60'000)
        return fail(QStringLiteral("--session-lifetime takes a duration of at least 1m, e.g. 12h"));
    serverOptions.auth.sessionLifetime = *lifetime;
    const auto claimLength = parseDuration(parser.value(claimFor));
    if (!claimLength || claimLength->count() < 60'000)
        return fail(QStringLiteral("--claim-for takes a duration of at least 1m, e.g. 15m"));
    serverOptions.claimFor = *claimLength;
    bool poolOk = false, queueOk = false;
    serverOptions.workerThreads = parser.value(poolThreads).toInt(&poolOk);
    serverOptions.maxQueuedJobs = parser.value(poolQueue).toInt(&queueOk);
    if (!poolOk || serverOptions.workerThreads < 1 || serverOptions.workerThreads > 64)
        return fail(QStringLiteral("--pool-threads takes a number from 1 to 64"));
    if (!queueOk || serverOptions.maxQueuedJobs < 1 || serverOptions.maxQueuedJobs > 10'000)
        return fail(QStringLiteral("--pool-queue takes a number from 1 to 10000"));
    double hourCost = 0;
    if (parser.isSet(costPerHour)) {
        bool ok = false;
        hourCost = parser.value(costPerHour).toDouble(&ok);
        if (!ok || hourCost < 0)
            return fail(QStringLiteral("--cost-per-hour takes an amount, e.g. 21.50"));
    }
    if (parser.isSet(metricsTokenFile)) {
        auto token = bot::resolveSecret(QStringLiteral("${file:%1}").arg(parser.value(metricsTokenFile)));
        if (!token || token->trimmed().isEmpty())
            return fail(QStringLiteral("--metrics-token-file: cannot read a token from %1").arg(parser.value(metricsTokenFile)));
        serverOptions.metricsToken = token->trimmed();
    }

    // Journald reads a "<N>" prefix as the line's priority; info lines are on for a service.
    qSetMessagePattern(QStringLiteral("%{if-debug}<7>%{endif}%{if-info}<6>%{endif}%{if-warning}<4>%{endif}"
                                      "%{if-critical}<3>%{endif}%{if-fatal}<2>%{endif}%{category}: %{message}"));
    if (qEnvironmentVariableIsEmpty("QT_LOGGING_RULES"))
        QLoggingCategory::setFilterRules(QStringLiteral("clerk.*.debug=false"));
    qInstallMessageHandler(logToStdout);

    const QStringList given = parser.positionalArguments();
    const QStringList connectorDirs = parser.values(common.connectors);
    const engine::StepRegistry registry = engine::StepRegistry::builtIn();

    // Loads every bot file; a file with errors keeps its previous version, if any.
    QHash<QString, bot::BotDefinition> current;  // by file
    const auto load = [&](bool initial) -> bool {
        const QStringList files = botFilesIn(given);
        bot::Diagnostics connectorProblems;
        const bot::ConnectorSet connectors = loadConnectors(files, connectorDirs, connectorProblems);
        for (const bot::Diagnostic &problem : connectorProblems)
            qCWarning(lcApp, "%s", qUtf8Printable(problem.toString()));
        bool allLoaded = true;
        QHash<QString, bot::BotDefinition> next;
        for (const QString &file : files) {
            bot::BotLoad loaded = bot::loadBotFile(file, registry.catalog(), connectors);
            QString problem;
            if (!loaded.bot) {
                for (const bot::Diagnostic &d : loaded.diagnostics)
                    qCWarning(lcApp, "%s", qUtf8Printable(d.toString()));
                problem = QStringLiteral("has errors");
            } else {
                // Steps that cannot be created (a model file missing, an unknown operation)
                // are errors too, as clerk validate reports them.
                for (const bot::StepDefinition &step : loaded.bot->steps) {
                    if (auto created = registry.find(step.type)->create(*loaded.bot, step); !created) {
                        qCWarning(lcApp, "%s:%d:%d: error: step '%s': %s", qUtf8Printable(file), step.position.line,
                                  step.position.column, qUtf8Printable(step.id),
                                  qUtf8Printable(stepProblem(created.error(), step)));
                        problem = QStringLiteral("has a step that cannot start");
                    }
                }
            }
            if (problem.isEmpty()) {
                next.insert(file, *loaded.bot);
                continue;
            }
            allLoaded = false;
            if (current.contains(file)) {
                qCWarning(lcApp, "%s %s: the version loaded before keeps running", qUtf8Printable(file),
                          qUtf8Printable(problem));
                next.insert(file, current.value(file));
            } else {
                qCWarning(lcApp, "%s %s: not served", qUtf8Printable(file), qUtf8Printable(problem));
            }
        }
        current = next;
        return initial ? allLoaded && !files.isEmpty() : true;
    };
    if (!load(true))
        return fail(QStringLiteral("fix the bot files above (clerk validate shows every problem), then start again"));

    const QString location = databaseLocation(parser, common);
    auto mainStore = openStore(location);
    if (!mainStore)
        return fail(mainStore.error().toString());

    engine::EngineOptions engineOptions;
    engineOptions.leaseFor = *leaseFor;
    engine::Engine submitter(**mainStore, registry, engineOptions);
    const QString owner = submitter.workerId();
    scheduler::SchedulerOptions schedulerOptions;
    schedulerOptions.owner = owner;
    // Time triggers move to another process as fast as items do when this one dies.
    schedulerOptions.leadershipLease = std::min<std::chrono::milliseconds>(std::chrono::seconds(15), *leaseFor);

    BotSet botSet;
    engine::ConcurrencyLimits limits;  // bot key `concurrency`, per process
    QStringList served;
    const auto publish = [&]() -> bool {
        QList<bot::BotDefinition> bots;
        QStringList names;
        for (const bot::BotDefinition &definition : current) {
            if (names.contains(definition.name)) {
                qCWarning(lcApp, "two bot files are both named %s: serving %s only", qUtf8Printable(definition.name),
                          qUtf8Printable(bots.at(static_cast<qsizetype>(names.indexOf(definition.name))).sourcePath));
                continue;
            }
            names.append(definition.name);
            bots.append(definition);
        }
        served = names;
        limits.setBots(bots);
        botSet.replace(bots);
        return !bots.isEmpty();
    };
    if (!publish())
        return fail(QStringLiteral("no bot could be served"));

    std::atomic<bool> stopping{false};
    WorkSignal work;
    WorkSignal schedulerWake;
    std::vector<std::unique_ptr<Worker>> pool;
    std::thread schedulerThread;
    std::atomic<int> running{0};
    std::atomic<bool> schedulerRunning{false};
    QString workerProblem;
    QMutex workerProblemMutex;
    // Every thread below uses this function's locals, so none may outlive it: any return
    // from here on first stops and joins them. (A thread that cannot stop in time ends the
    // process with std::_Exit at the end instead; see below.)
    const auto joinThreads = qScopeGuard([&] {
        stopping = true;
        work.notify();
        schedulerWake.notify();
        for (auto &worker : pool) {
            if (worker->thread.joinable())
                worker->thread.join();
        }
        if (schedulerThread.joinable())
            schedulerThread.join();
    });
    for (int w = 0; w < workerCount; ++w) {
        auto worker = std::make_unique<Worker>();
        Worker *self = worker.get();
        ++running;
        worker->thread = std::thread([&, self, w] {
            const auto finish = [&](const QString &problem) {
                if (!problem.isEmpty()) {
                    QMutexLocker lock(&workerProblemMutex);
                    workerProblem = problem;
                    stopping = true;
                }
                --running;
                work.notify();
            };
            auto store = openStore(location);
            if (!store)
                return finish(store.error().toString());
            engine::EngineOptions options = engineOptions;
            options.workerId = owner + QStringLiteral("/w%1").arg(w);
            engine::Engine engine(**store, registry, options);
            int generation = -1;
            QStringList names;
            while (!stopping) {
                if (generation != botSet.generation()) {
                    generation = botSet.generation();
                    names.clear();
                    for (const bot::BotDefinition &definition : botSet.bots()) {
                        if (auto added = engine.addBot(definition); !added)
                            return finish(added.error().toString());
                        names.append(definition.name);
                    }
                }
                // Only among the bots below their concurrency limit; the leased item counts
                // against its bot's limit until it leaves this worker.
                auto leased = limits.leaseWithin(names, [&](const QStringList &eligible) {
                    return (*store)->leaseNext(options.workerId, options.leaseFor, eligible);
                });
                if (!leased)
                    return finish(leased.error().toString());
                if (!leased->has_value()) {
                    work.waitFor(std::chrono::milliseconds(500));
                    continue;
                }
                const QString leasedBot = (*leased)->bot;
                self->busy = true;
                auto ran = engine.runLeased(std::move(**leased));
                self->busy = false;
                limits.release(leasedBot);
                work.notify();  // a slot of the bot's limit is free again
                if (!ran && ran.error().code() != ErrorCode::Conflict)
                    return finish(ran.error().toString());
            }
            finish({});
        });
        pool.push_back(std::move(worker));
    }

    // The web queue, API and webhook intake, on the main thread with the main store.
    std::unique_ptr<server::ApiServer> http;
    if (httpOn) {
        server::ServerHooks hooks;
        hooks.bots = [&] { return botSet.bots(); };
        hooks.intake = [&](const bot::BotDefinition &definition,
                           const QJsonObject &payload) -> Result<store::EnqueueResult> {
            // A body that does not fit the bot (no id, fields it does not know) is refused, not stored.
            if (const QString misfit = engine::recordMisfit(payload, definition); !misfit.isEmpty())
                return ::clerk::fail(Error::invalidArgument(QStringLiteral("the body does not fit bot %1: %2")
                                                                .arg(definition.name, misfit)));
            return submitter.submit(definition, engine::recordSourceRef(payload, definition.inputIdField), payload);
        };
        hooks.ready = [&] { return !stopping && running > 0; };
        hooks.workArrived = [&] { work.notify(); };
        // Answers are checked by the step that asked, with the bot file the item runs
        // with; the served bots are added first so their connectors are known.
        hooks.checkAnswer = [&](const store::ExceptionItem &question, const store::Decision &answer) {
            for (const bot::BotDefinition &definition : botSet.bots()) {
                if (auto added = submitter.addBot(definition); !added)
                    qCWarning(lcApp, "bot %s: %s", qUtf8Printable(definition.name), qUtf8Printable(added.error().toString()));
            }
            return submitter.checkAnswer(question, answer);
        };
        hooks.dashboard = [&](const server::HttpRequest &request) -> Result<QJsonObject> {
            report::DashboardQuery query;
            query.costPerHour = hourCost;
            query.bot = request.queryValue(QStringLiteral("bot"));
            if (const QString days = request.queryValue(QStringLiteral("days")); !days.isEmpty()) {
                bool ok = false;
                query.days = days.toInt(&ok);
                if (!ok)
                    return ::clerk::fail(Error::invalidArgument(QStringLiteral("days takes a number of days, e.g. 14")));
            }
            auto figures = report::dashboard(**mainStore, botSet.bots(), query);
            if (!figures)
                return ::clerk::fail(figures.error());
            return report::toJson(*figures);
        };
        hooks.metrics = [&] { return report::prometheusText(**mainStore, botSet.bots()); };
        hooks.document = [&](const WorkItem &item) {
            for (const bot::BotDefinition &definition : botSet.bots()) {
                if (definition.name == item.bot)
                    return engine::documentForPeople(item, definition);
            }
            return QString();
        };
        http = std::make_unique<server::ApiServer>(**mainStore, SystemClock::instance(), serverOptions, hooks);
        auto port = http->start();
        if (!port)
            return fail(QStringLiteral("--listen: ") + port.error().message());
        qCInfo(lcApp, "web queue and API on %s://%s:%u/", serverOptions.tlsCertFile.isEmpty() ? "http" : "https",
               qUtf8Printable(serverOptions.address.toString()), static_cast<unsigned>(*port));
    }

    // The scheduler's thread: fires due triggers (cron, every, watched folders, source
    // polls, mailboxes), then sleeps until the next is due, at most a second, or until woken.
    schedulerRunning = true;
    schedulerThread = std::thread([&] {
        const auto finished = qScopeGuard([&] {
            schedulerRunning = false;
            work.notify();
        });
        auto store = openStore(location);
        if (!store) {
            QMutexLocker lock(&workerProblemMutex);
            workerProblem = QStringLiteral("scheduler: ") + store.error().toString();
            stopping = true;
            return;
        }
        engine::EngineOptions options = engineOptions;
        options.workerId = owner + QStringLiteral("/scheduler");
        engine::Engine engine(**store, registry, options);
        scheduler::Scheduler scheduler(**store, engine, SystemClock::instance(), schedulerOptions);
        // Alert rules are judged once a minute, by one process of the cluster at a time.
        report::AlertMonitor alerts(**store, SystemClock::instance());
        QElapsedTimer sinceAlerts;
        int generation = -1;
        QStringList scheduled;
        while (!stopping) {
            if (generation != botSet.generation()) {
                generation = botSet.generation();
                QStringList names;
                for (const bot::BotDefinition &definition : botSet.bots()) {
                    if (auto added = scheduler.addBot(definition); !added) {
                        qCWarning(lcApp, "bot %s: its trigger does not run: %s", qUtf8Printable(definition.name),
                                  qUtf8Printable(added.error().toString()));
                        continue;
                    }
                    names.append(definition.name);
                }
                for (const QString &name : scheduled) {
                    if (!names.contains(name))
                        scheduler.removeBot(name);
                }
                scheduled = names;
            }
            auto ticked = scheduler.tick();
            if (!ticked) {
                qCWarning(lcApp, "scheduler: %s", qUtf8Printable(ticked.error().toString()));
            } else {
                for (const QString &problem : ticked->problems)
                    qCWarning(lcApp, "scheduler: %s", qUtf8Printable(problem));
                if (ticked->enqueued > 0)
                    work.notify();
            }
            if (!sinceAlerts.isValid() || sinceAlerts.elapsed() >= 60'000) {
                sinceAlerts.start();
                auto leading = (*store)->tryAcquireLeadership(QStringLiteral("alerts"), owner, std::chrono::minutes(3));
                if (leading && *leading) {
                    auto round = alerts.check(botSet.bots());
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
            const qint64 wait = QDateTime::currentDateTimeUtc().msecsTo(scheduler.nextWakeUp());
            schedulerWake.waitFor(std::chrono::milliseconds(std::clamp<qint64>(wait, 5, 1000)));
        }
    });

    // Watched folders are scanned at each bot's poll interval; a file system event makes
    // the scan happen at once (network shares may not send events, so polling stays).
    QFileSystemWatcher folders;
    const auto watchFolders = [&] {
        if (!folders.directories().isEmpty())
            folders.removePaths(folders.directories());
        for (const bot::BotDefinition &definition : botSet.bots()) {
            if (!definition.trigger || definition.trigger->kind != bot::TriggerDefinition::Kind::Watch)
                continue;
            const QString folder = QDir(definition.baseDir)
                                       .absoluteFilePath(definition.trigger->options.value(QStringLiteral("folder")).toString());
            if (QFileInfo(folder).isDir())
                folders.addPath(folder);
        }
    };
    watchFolders();
    QObject::connect(&folders, &QFileSystemWatcher::directoryChanged, [&] {
        if (!stopping)
            schedulerWake.notify();
    });

    // Signals arrive through a pipe, so they are handled on the event loop, not in a handler.
    if (::socketpair(AF_UNIX, SOCK_STREAM, 0, g_signalPipe) != 0)
        return fail(QStringLiteral("cannot set up signal handling"));
    for (int signal : {SIGTERM, SIGINT, SIGHUP}) {
        struct sigaction action = {};
        action.sa_handler = onSignal;
        sigemptyset(&action.sa_mask);
        action.sa_flags = SA_RESTART;
        ::sigaction(signal, &action, nullptr);
    }
    QSocketNotifier signals(g_signalPipe[0], QSocketNotifier::Read);
    QObject::connect(&signals, &QSocketNotifier::activated, [&] {
        char byte = 0;
        if (::read(g_signalPipe[0], &byte, 1) != 1)
            return;
        if (byte == SIGHUP) {
            qCInfo(lcApp, "SIGHUP: reloading bot files");
            load(false);
            publish();
            watchFolders();
            work.notify();
            schedulerWake.notify();
            return;
        }
        qCInfo(lcApp, "%s: stopping; workers finish the item in hand (up to %s)",
               byte == SIGTERM ? "SIGTERM" : "SIGINT", qUtf8Printable(formatDuration(*stopWithin)));
        stopping = true;
        work.notify();
        QCoreApplication::quit();
    });




    // A worker or the scheduler that stopped on an error stops the service.
    QTimer watchdog;
    QObject::connect(&watchdog, &QTimer::timeout, [&] {
        if (stopping)
            QCoreApplication::quit();
    });
    watchdog.start(200);

    qCInfo(lcApp, "serving %lld bots (%s) with %d workers on %s", static_cast<long long>(served.size()),
           qUtf8Printable(served.join(QStringLiteral(", "))), workerCount,
           qUtf8Printable(store::redactLocation(location)));
    QCoreApplication::exec();
    stopping = true;
    work.notify();
    schedulerWake.notify();

    // Let workers finish the item in hand, up to the timeout.
    QElapsedTimer waited;
    waited.start();
    while (running > 0 && waited.elapsed() < stopWithin->count())
        work.waitFor(std::chrono::milliseconds(100));
    while (schedulerRunning && waited.elapsed() < stopWithin->count())
        work.waitFor(std::chrono::milliseconds(100));
    int abandoned = 0;
    for (auto &worker : pool) {
        if (running > 0 && worker->busy)
            ++abandoned;
    }
    const bool schedulerLeft = schedulerRunning;
    if (schedulerLeft)
        qCWarning(lcApp, "the scheduler is still waiting on a source or mailbox after %s: left behind",
                  qUtf8Printable(formatDuration(*stopWithin)));
    if (abandoned > 0)
        qCWarning(lcApp, "%d items still running after %s: left to their leases, which another process takes over",
                  abandoned, qUtf8Printable(formatDuration(*stopWithin)));
    int stopCode = ExitOk;
    {
        QMutexLocker lock(&workerProblemMutex);
        if (!workerProblem.isEmpty()) {
            qCCritical(lcApp, "a worker stopped: %s", qUtf8Printable(workerProblem));
            stopCode = ExitInvalid;
        }
    }
    if (abandoned > 0 || schedulerLeft) {
        // Threads still in an item or a poll use this function's locals: the process ends
        // here, with them, rather than return (or join for as long as a case system hangs).
        // Their items go back to the queue when their leases run out.
        qCInfo(lcApp, "stopped");
        std::fflush(stdout);
        std::fflush(stderr);
        std::_Exit(stopCode);
    }
    if (stopCode == ExitOk)
        qCInfo(lcApp, "stopped");
    return stopCode;  // joinThreads joins the threads, which have all finished their loops
}

} // namespace clerk::app
