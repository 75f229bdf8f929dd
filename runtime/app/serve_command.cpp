// clerk serve BOT_OR_FOLDER...: the long-running service. A scheduler fires the bots'
// triggers (cron, interval, watched folders) and N worker threads run the items, until
// SIGTERM or SIGINT; SIGHUP reloads the bot files.
//
// The scheduler, the workers, reload and signals are a service::Service (runtime/service);
// this file reads the options, reads the bot files for it and wires the HTTP server to it.
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
#include "engine/document_paths.h"
#include "engine/engine.h"
#include "engine/record_source.h"
#include "report/dashboard.h"
#include "report/prometheus_text.h"
#include "server/api_server.h"
#include "service/service.h"

#include <QCoreApplication>
#include <QLoggingCategory>

#include <algorithm>
#include <cstdio>

namespace clerk::app {

namespace {

// Log lines to stdout, whole and flushed, for journald or a log file.
void logToStdout(QtMsgType type, const QMessageLogContext &context, const QString &message)
{
    const QByteArray line = qFormatLogMessage(type, context, message).toUtf8() + '\n';
    std::fwrite(line.constData(), 1, static_cast<size_t>(line.size()), stdout);
    std::fflush(stdout);
}

// The options of clerk serve besides the common ones and the workers'.
struct ServeOptions {
    CommonOptions common;
    WorkerOptions workers{QStringLiteral("Time triggers move to another process after this too (at most 15s).")};
    QCommandLineOption shutdownTimeout{QStringLiteral("shutdown-timeout"),
                                       QStringLiteral("On SIGTERM, how long to let workers finish the item in hand "
                                                      "(default 30s); items still running are left to their lease."),
                                       QStringLiteral("duration"), QStringLiteral("30s")};
    QCommandLineOption listen{QStringLiteral("listen"),
                              QStringLiteral("Address and port of the web queue and API (default 127.0.0.1:8080); "
                                             "off: no HTTP."),
                              QStringLiteral("host:port"), QStringLiteral("127.0.0.1:8080")};
    QCommandLineOption tlsCert{QStringLiteral("tls-cert"),
                               QStringLiteral("PEM certificate: serve HTTPS (with --tls-key). Without it, put a "
                                              "TLS-terminating reverse proxy in front."),
                               QStringLiteral("file")};
    QCommandLineOption tlsKey{QStringLiteral("tls-key"), QStringLiteral("PEM private key for --tls-cert."),
                              QStringLiteral("file")};
    QCommandLineOption trustedHeader{QStringLiteral("trusted-user-header"),
                                     QStringLiteral("Take the signed-in user's name from this request header, set "
                                                    "by a single sign-on proxy in front; believed only from "
                                                    "--trusted-proxy peers (from others: 401 and a warning). The user "
                                                    "must exist (clerk user add)."),
                                     QStringLiteral("header")};
    QCommandLineOption trustedProxy{QStringLiteral("trusted-proxy"),
                                    QStringLiteral("A reverse proxy in front, as an address or range (10.0.0.0/8); "
                                                   "repeat it or separate with commas. Only these peers' "
                                                   "X-Forwarded-For gives the client's address, and only they may "
                                                   "send --trusted-user-header."),
                                    QStringLiteral("cidr")};
    QCommandLineOption publicUrl{QStringLiteral("public-url"),
                                 QStringLiteral("The address people reach the page at, e.g. https://clerk.example.org "
                                                "behind a TLS proxy: with https the session cookie is Secure and "
                                                "named __Host-clerk_session."),
                                 QStringLiteral("url")};
    QCommandLineOption idleTimeout{QStringLiteral("idle-timeout"),
                                   QStringLiteral("End a web session unused for this long (default 30m)."),
                                   QStringLiteral("duration"), QStringLiteral("30m")};
    QCommandLineOption sessionLifetime{QStringLiteral("session-lifetime"),
                                       QStringLiteral("End every web session this long after sign-in, however busy "
                                                      "(default 12h)."),
                                       QStringLiteral("duration"), QStringLiteral("12h")};
    QCommandLineOption claimFor{QStringLiteral("claim-for"),
                                QStringLiteral("How long a person's claim on an exception item lasts (default 15m)."),
                                QStringLiteral("duration"), QStringLiteral("15m")};
    QCommandLineOption metricsTokenFile{QStringLiteral("metrics-token-file"),
                                        QStringLiteral("A file holding the bearer token /metrics asks for (default: "
                                                       "/metrics is open to whoever reaches the port)."),
                                        QStringLiteral("file")};
    QCommandLineOption costPerHour{QStringLiteral("cost-per-hour"),
                                   QStringLiteral("What an hour of a person's time costs, for the dashboard's cost "
                                                  "saved (default: not shown)."),
                                   QStringLiteral("amount")};
    QCommandLineOption poolThreads{QStringLiteral("pool-threads"),
                                   QStringLiteral("Threads of the web server that render document pages and check "
                                                  "passwords, off the thread that answers everything else (default 2)."),
                                   QStringLiteral("n"), QStringLiteral("2")};
    QCommandLineOption learningCheck{QStringLiteral("learning-check"),
                                     QStringLiteral("How often the classify steps with `learning:` are checked for new "
                                                    "answers, and a challenger trained when enough arrived (default 1m; "
                                                    "one process of a cluster does it)."),
                                     QStringLiteral("duration"), QStringLiteral("1m")};
    QCommandLineOption poolQueue{QStringLiteral("pool-queue"),
                                 QStringLiteral("Page renders and password checks waiting or running at once; past "
                                                "it such requests get 503 with Retry-After (default 16)."),
                                 QStringLiteral("n"), QStringLiteral("16")};

    void addTo(QCommandLineParser &parser) const
    {
        common.addTo(parser);
        parser.addOptions({workers.workers, workers.lease, shutdownTimeout, listen, tlsCert, tlsKey, trustedHeader,
                           trustedProxy, publicUrl, idleTimeout, sessionLifetime, claimFor, metricsTokenFile,
                           costPerHour, poolThreads, poolQueue, learningCheck});
    }
};

// What clerk serve was asked to do.
struct ServeSettings {
    engine::WorkerPoolOptions pool;  // the number of workers and the lease
    std::chrono::milliseconds stopWithin{};
    std::chrono::milliseconds learningCheck{};
    bool httpOn = false;
    server::ServerOptions server;
    double hourCost = 0;
};

// The options of the web queue and API; InvalidArgument, with a message for the person
// who typed them, for one that does not parse.
Status readServerOptions(const QCommandLineParser &parser, const ServeOptions &o, ServeSettings &settings)
{
    const auto fail = [](const QString &message) { return ::clerk::fail(Error::invalidArgument(message)); };
    server::ServerOptions &serverOptions = settings.server;
    settings.httpOn = parser.value(o.listen) != QLatin1String("off");
    if (settings.httpOn) {
        const QString given = parser.value(o.listen);
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
    serverOptions.tlsCertFile = parser.value(o.tlsCert);
    serverOptions.tlsKeyFile = parser.value(o.tlsKey);
    if (serverOptions.tlsCertFile.isEmpty() != serverOptions.tlsKeyFile.isEmpty())
        return fail(QStringLiteral("--tls-cert and --tls-key go together"));
    serverOptions.auth.secureCookies = !serverOptions.tlsCertFile.isEmpty();
    serverOptions.auth.trustedUserHeader = parser.value(o.trustedHeader).toLatin1().toLower();
    for (const QString &given : parser.values(o.trustedProxy)) {
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
    if (parser.isSet(o.publicUrl)) {
        const QUrl url(parser.value(o.publicUrl), QUrl::StrictMode);
        if (!url.isValid() || (url.scheme() != QLatin1String("https") && url.scheme() != QLatin1String("http"))
            || url.host().isEmpty())
            return fail(QStringLiteral("--public-url takes the page's address, e.g. https://clerk.example.org"));
        if (url.scheme() == QLatin1String("https")) {
            serverOptions.auth.secureCookies = true;
            serverOptions.auth.hostPrefixedCookie = true;
        }
    }
    const auto idle = parseDuration(parser.value(o.idleTimeout));
    if (!idle || idle->count() < 60'000)
        return fail(QStringLiteral("--idle-timeout takes a duration of at least 1m, e.g. 30m"));
    serverOptions.auth.idleTimeout = *idle;
    const auto lifetime = parseDuration(parser.value(o.sessionLifetime));
    if (!lifetime || lifetime->count() < 60'000)
        return fail(QStringLiteral("--session-lifetime takes a duration of at least 1m, e.g. 12h"));
    serverOptions.auth.sessionLifetime = *lifetime;
    const auto claimLength = parseDuration(parser.value(o.claimFor));
    if (!claimLength || claimLength->count() < 60'000)
        return fail(QStringLiteral("--claim-for takes a duration of at least 1m, e.g. 15m"));
    serverOptions.claimFor = *claimLength;
    bool poolOk = false, queueOk = false;
    serverOptions.workerThreads = parser.value(o.poolThreads).toInt(&poolOk);
    serverOptions.maxQueuedJobs = parser.value(o.poolQueue).toInt(&queueOk);
    if (!poolOk || serverOptions.workerThreads < 1 || serverOptions.workerThreads > 64)
        return fail(QStringLiteral("--pool-threads takes a number from 1 to 64"));
    if (!queueOk || serverOptions.maxQueuedJobs < 1 || serverOptions.maxQueuedJobs > 10'000)
        return fail(QStringLiteral("--pool-queue takes a number from 1 to 10000"));
    if (parser.isSet(o.costPerHour)) {
        bool ok = false;
        settings.hourCost = parser.value(o.costPerHour).toDouble(&ok);
        if (!ok || settings.hourCost < 0)
            return fail(QStringLiteral("--cost-per-hour takes an amount, e.g. 21.50"));
    }
    if (parser.isSet(o.metricsTokenFile)) {
        auto token = bot::resolveSecret(QStringLiteral("${file:%1}").arg(parser.value(o.metricsTokenFile)));
        if (!token || token->trimmed().isEmpty())
            return fail(QStringLiteral("--metrics-token-file: cannot read a token from %1").arg(parser.value(o.metricsTokenFile)));
        serverOptions.metricsToken = token->trimmed();
    }

    return {};
}

Result<ServeSettings> readSettings(const QCommandLineParser &parser, const ServeOptions &o)
{
    if (parser.positionalArguments().isEmpty())
        return fail(Error::invalidArgument(
            QStringLiteral("name the bot files or folders to serve, e.g. clerk serve bots/")));
    ServeSettings settings;
    auto pool = o.workers.read(parser);
    if (!pool)
        return fail(pool.error());
    settings.pool = *pool;
    const auto stopWithin = parseDuration(parser.value(o.shutdownTimeout));
    if (!stopWithin)
        return fail(Error::invalidArgument(QStringLiteral("--shutdown-timeout: ") + stopWithin.error().message()));
    settings.stopWithin = *stopWithin;
    const auto learningCheck = parseDuration(parser.value(o.learningCheck));
    if (!learningCheck || *learningCheck < std::chrono::seconds(1))
        return fail(Error::invalidArgument(QStringLiteral("--learning-check takes a duration of at least 1s, e.g. 1m")));
    settings.learningCheck = *learningCheck;
    if (auto server = readServerOptions(parser, o, settings); !server)
        return fail(server.error());
    return settings;
}

// Reads every bot file given (files, and the bot files in folders) with the connectors
// around them, reporting each problem in the log.
QList<service::BotFile> readBotFiles(const QStringList &given, const QStringList &connectorDirs,
                                     const engine::StepRegistry &registry)
{
    const QStringList files = botFilesIn(given);
    bot::Diagnostics connectorProblems;
    const bot::ConnectorSet connectors = loadConnectors(files, connectorDirs, connectorProblems);
    for (const bot::Diagnostic &problem : connectorProblems)
        qCWarning(lcApp, "%s", qUtf8Printable(problem.toString()));
    QList<service::BotFile> read;
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
        if (problem.isEmpty())
            read.append(service::BotFile{file, std::move(loaded.bot), {}});
        else
            read.append(service::BotFile{file, std::nullopt, problem});
    }
    return read;
}

// The web queue, API and webhook intake, on the main thread with the main store, over
// the bots `service` serves.
Result<std::unique_ptr<server::ApiServer>> startHttp(service::Service &service, store::WorkStore &store,
                                                     engine::Engine &submitter, const ServeSettings &settings)
{
    server::ServerHooks hooks;
    hooks.bots = [&service] { return service.bots(); };
    hooks.intake = [&submitter](const bot::BotDefinition &definition,
                                const QJsonObject &payload) -> Result<store::EnqueueResult> {
        // A body that does not fit the bot (no id, fields it does not know) is refused, not stored.
        if (const QString misfit = engine::recordMisfit(payload, definition); !misfit.isEmpty())
            return ::clerk::fail(Error::invalidArgument(QStringLiteral("the body does not fit bot %1: %2")
                                                            .arg(definition.name, misfit)));
        return submitter.submit(definition, engine::recordSourceRef(payload, definition.inputIdField), payload);
    };
    hooks.ready = [&service] { return service.isReady(); };
    hooks.workArrived = [&service] { service.notifyWork(); };
    // Answers are checked by the step that asked, with the bot file the item runs
    // with; the served bots are added first so their connectors are known.
    hooks.checkAnswer = [&service, &submitter](const store::ExceptionItem &question, const store::Decision &answer) {
        for (const bot::BotDefinition &definition : service.bots()) {
            if (auto added = submitter.addBot(definition); !added)
                qCWarning(lcApp, "bot %s: %s", qUtf8Printable(definition.name), qUtf8Printable(added.error().toString()));
        }
        return submitter.checkAnswer(question, answer);
    };
    hooks.dashboard = [&service, &store, hourCost = settings.hourCost](
                          const server::HttpRequest &request) -> Result<QJsonObject> {
        auto query = report::dashboardQueryFrom(request.query);
        if (!query)
            return ::clerk::fail(query.error());
        query->costPerHour = hourCost;
        auto figures = report::dashboard(store, service.bots(), *query);
        if (!figures)
            return ::clerk::fail(figures.error());
        return report::toJson(*figures);
    };
    hooks.metrics = [&service, &store] { return report::prometheusText(store, service.bots()); };
    hooks.document = [&service](const WorkItem &item) {
        for (const bot::BotDefinition &definition : service.bots()) {
            if (definition.name == item.bot)
                return engine::documentForPeople(item, definition);
        }
        return QString();
    };
    auto http = std::make_unique<server::ApiServer>(store, SystemClock::instance(), settings.server, hooks);
    auto port = http->start();
    if (!port)
        return ::clerk::fail(Error::invalidArgument(QStringLiteral("--listen: ") + port.error().message()));
    qCInfo(lcApp, "web queue and API on %s://%s:%u/", settings.server.tlsCertFile.isEmpty() ? "http" : "https",
           qUtf8Printable(settings.server.address.toString()), static_cast<unsigned>(*port));
    return http;
}

// Logs how the stop went; the exit status.
int reportStop(const service::StopReport &report, std::chrono::milliseconds stopWithin)
{
    if (report.schedulerLeft)
        qCWarning(lcApp, "the scheduler is still waiting on a source or mailbox after %s: left behind",
                  qUtf8Printable(formatDuration(stopWithin)));
    if (report.learningLeft)
        qCWarning(lcApp, "a model was still training after %s: abandoned (a model file is written whole or not at "
                         "all; the next check trains it again)",
                  qUtf8Printable(formatDuration(stopWithin)));
    if (report.abandonedItems > 0)
        qCWarning(lcApp, "%d items still running after %s: left to their leases, which another process takes over",
                  report.abandonedItems, qUtf8Printable(formatDuration(stopWithin)));
    if (report.problem.isEmpty())
        return ExitOk;
    qCCritical(lcApp, "a worker stopped: %s", qUtf8Printable(report.problem));
    return ExitInvalid;
}

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
    ServeOptions options;
    options.addTo(parser);
    parser.addPositionalArgument(QStringLiteral("bots"), QStringLiteral("Bot files, or folders of them."),
                                 QStringLiteral("BOT_OR_FOLDER..."));
    int exitCode = ExitOk;
    if (!parseCommand(parser, arguments, exitCode))
        return exitCode;
    const QString serve = QStringLiteral("serve");
    const auto settings = readSettings(parser, options);
    if (!settings)
        return commandFailed(serve, settings.error().message());

    // Journald reads a "<N>" prefix as the line's priority; info lines are on for a service.
    qSetMessagePattern(QStringLiteral("%{if-debug}<7>%{endif}%{if-info}<6>%{endif}%{if-warning}<4>%{endif}"
                                      "%{if-critical}<3>%{endif}%{if-fatal}<2>%{endif}%{category}: %{message}"));
    if (qEnvironmentVariableIsEmpty("QT_LOGGING_RULES"))
        QLoggingCategory::setFilterRules(QStringLiteral("clerk.*.debug=false"));
    qInstallMessageHandler(logToStdout);

    const QStringList given = parser.positionalArguments();
    const QStringList connectorDirs = parser.values(options.common.connectors);
    const engine::StepRegistry registry = engine::StepRegistry::builtIn();
    service::ServiceOptions serviceOptions;
    serviceOptions.storeLocation = databaseLocation(parser, options.common);
    serviceOptions.workers = settings->pool.workers;
    serviceOptions.engine.leaseFor = settings->pool.engine.leaseFor;
    // Time triggers move to another process as fast as items do when this one dies.
    serviceOptions.scheduler.leadershipLease =
        std::min<std::chrono::milliseconds>(std::chrono::seconds(15), settings->pool.engine.leaseFor);
    // Learning moves on likewise; it is checked as often as asked.
    serviceOptions.learningLeadership = serviceOptions.scheduler.leadershipLease;
    serviceOptions.learningInterval = settings->learningCheck;
    serviceOptions.shutdownTimeout = settings->stopWithin;
    // Every thread of the service uses its members and `registry`: the service stops and
    // joins them before either goes, on every return from here on. (A thread that cannot
    // stop in time ends the process with std::_Exit at the end instead; see below.)
    service::Service service(
        registry, [&] { return readBotFiles(given, connectorDirs, registry); }, serviceOptions);
    if (!service.loadBots())
        return commandFailed(
            serve, QStringLiteral("fix the bot files above (clerk validate shows every problem), then start again"));

    auto mainStore = openStore(serviceOptions.storeLocation);
    if (!mainStore)
        return commandFailed(serve, mainStore.error().toString());
    engine::EngineOptions submitterOptions;
    submitterOptions.leaseFor = serviceOptions.engine.leaseFor;
    submitterOptions.workerId = service.owner();
    engine::Engine submitter(**mainStore, registry, submitterOptions);
    if (auto started = service.start(); !started)
        return commandFailed(serve, started.error().message());
    std::unique_ptr<server::ApiServer> http;
    if (settings->httpOn) {
        auto started = startHttp(service, **mainStore, submitter, *settings);
        if (!started)
            return commandFailed(serve, started.error().message());
        http = std::move(*started);
    }
    if (auto handled = service.handleSignals(); !handled)
        return commandFailed(serve, handled.error().message());

    const QStringList served = service.botNames();
    qCInfo(lcApp, "serving %lld bots (%s) with %d workers on %s", static_cast<long long>(served.size()),
           qUtf8Printable(served.join(QStringLiteral(", "))), serviceOptions.workers,
           qUtf8Printable(store::redactLocation(serviceOptions.storeLocation)));
    QCoreApplication::exec();

    // Workers finish the item in hand, up to the timeout.
    const service::StopReport stopped = service.stop(settings->stopWithin);
    const int stopCode = reportStop(stopped, settings->stopWithin);
    if (stopped.threadsLeft()) {
        // Threads still in an item or a poll use the service: the process ends here, with
        // them, rather than return (or join for as long as a case system hangs). Their
        // items go back to the queue when their leases run out.
        qCInfo(lcApp, "stopped");
        std::fflush(stdout);
        std::fflush(stderr);
        std::_Exit(stopCode);
    }
    if (stopCode == ExitOk)
        qCInfo(lcApp, "stopped");
    return stopCode;  // the service has joined its threads, which have all finished their loops
}

} // namespace clerk::app
