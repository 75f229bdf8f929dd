#include "server/api_server.h"

#include "bot/secret_ref.h"
#include "ocr/page_image.h"
#include "server/body_limit_p.h"
#include "server/password.h"

#include <QFile>
#include <QFileInfo>
#include <QHttpServerRequest>
#include <QHttpServerResponder>
#include <QJsonDocument>
#include <QLoggingCategory>
#include <QSslCertificate>
#include <QSslConfiguration>
#include <QSslKey>
#include <QSslServer>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTimer>

namespace clerk::server {

Q_LOGGING_CATEGORY(lcServer, "clerk.server")

namespace {

// Client-chosen text as it may go into a log line: control characters (a forged line
// break, an escape sequence) shown as \xNN, and at most 200 characters.
QString loggable(const QString &text)
{
    constexpr qsizetype kMax = 200;
    QString out;
    for (const QChar c : text.left(kMax)) {
        if (c.unicode() < 0x20 || c.unicode() == 0x7f || c.category() == QChar::Other_Control)
            out += QStringLiteral("\\x%1").arg(c.unicode(), 2, 16, QLatin1Char('0'));
        else
            out += c;
    }
    return text.size() > kMax ? out + QStringLiteral("...") : out;
}

QByteArray methodName(QHttpServerRequest::Method method)
{
    switch (method) {
    case QHttpServerRequest::Method::Get: return "GET";
    case QHttpServerRequest::Method::Put: return "PUT";
    case QHttpServerRequest::Method::Delete: return "DELETE";
    case QHttpServerRequest::Method::Post: return "POST";
    case QHttpServerRequest::Method::Head: return "HEAD";
    case QHttpServerRequest::Method::Options: return "OPTIONS";
    case QHttpServerRequest::Method::Patch: return "PATCH";
    default: return "UNKNOWN";
    }
}

QString clientAddress(const QHostAddress &address)
{
    bool isV4 = false;
    const quint32 v4 = address.toIPv4Address(&isV4);
    return isV4 ? QHostAddress(v4).toString() : address.toString();
}

HttpRequest fromQt(const QHttpServerRequest &request)
{
    HttpRequest view;
    view.method = methodName(request.method());
    view.path = request.url().path(QUrl::FullyDecoded);
    view.segments = view.path.split(QLatin1Char('/'), Qt::SkipEmptyParts);
    view.query = request.query();
    for (const auto &[name, value] : request.headers()) {
        const QByteArray lower = name.toLower();
        // Each proxy may add its own X-Forwarded-For line: they read as one list, in order.
        if (lower == "x-forwarded-for" && view.headers.contains(lower))
            view.headers[lower] += ", " + value;
        else
            view.headers.insert(lower, value);
    }
    view.body = request.body();
    view.address = clientAddress(request.remoteAddress());
    return view;
}

// The width pages are rendered at for the scan viewer (A4 at 200 dpi).
constexpr int kPageWidth = 1654;

QByteArray contentTypeFor(const QString &name)
{
    if (name.endsWith(QLatin1String(".html")))
        return "text/html; charset=utf-8";
    if (name.endsWith(QLatin1String(".js")) || name.endsWith(QLatin1String(".mjs")))
        return "text/javascript; charset=utf-8";
    if (name.endsWith(QLatin1String(".css")))
        return "text/css; charset=utf-8";
    if (name.endsWith(QLatin1String(".svg")))
        return "image/svg+xml";
    if (name.endsWith(QLatin1String(".png")))
        return "image/png";
    if (name.endsWith(QLatin1String(".json")))
        return "application/json";
    return "application/octet-stream";
}

bool isTrustedProxy(const QHostAddress &address, const QList<Subnet> &trustedProxies)
{
    for (const Subnet &subnet : trustedProxies) {
        if (address.isInSubnet(subnet))
            return true;
    }
    return false;
}

// An X-Forwarded-For entry as an address: "192.0.2.1", "2001:db8::1", "[2001:db8::1]:443" or
// "192.0.2.1:443" (some proxies add the port). Null when it is none of these.
QHostAddress forwardedAddress(QByteArray entry)
{
    entry = entry.trimmed();
    if (entry.startsWith('[')) {
        const qsizetype close = entry.indexOf(']');
        entry = close > 0 ? entry.mid(1, close - 1) : QByteArray();
    } else if (entry.count(':') == 1) {
        entry = entry.left(entry.indexOf(':'));
    }
    QHostAddress address;
    if (entry.isEmpty() || entry.size() > 64 || !address.setAddress(QString::fromLatin1(entry)))
        return {};
    bool isV4 = false;
    const quint32 v4 = address.toIPv4Address(&isV4);
    return isV4 ? QHostAddress(v4) : address;
}

} // namespace

QString clientAddressOf(const QHostAddress &peer, const QByteArray &forwardedFor, const QList<Subnet> &trustedProxies,
                        bool *fromTrustedProxy)
{
    bool isV4 = false;
    const quint32 v4 = peer.toIPv4Address(&isV4);
    QHostAddress client = isV4 ? QHostAddress(v4) : peer;
    const bool trusted = isTrustedProxy(client, trustedProxies);
    if (fromTrustedProxy)
        *fromTrustedProxy = trusted;
    if (trusted && !forwardedFor.isEmpty()) {
        // Right to left: each trusted proxy appended the address it saw; the first one that is
        // not a trusted proxy is the client. A malformed entry ends the walk: what lies left of
        // it cannot be trusted, so the last trusted hop stands.
        const QList<QByteArray> hops = forwardedFor.split(',');
        for (qsizetype i = hops.size() - 1; i >= 0; --i) {
            const QHostAddress hop = forwardedAddress(hops.at(i));
            if (hop.isNull())
                break;
            client = hop;
            if (!isTrustedProxy(hop, trustedProxies))
                break;
        }
    }
    return client.toString();
}

QStringList teamsOfBot(const bot::BotDefinition &definition)
{
    QStringList teams;
    for (const QString &team : {definition.ownerTeam, definition.exceptionTeam}) {
        if (!team.isEmpty() && !teams.contains(team))
            teams.append(team);
    }
    for (const bot::StepDefinition &step : definition.steps) {
        if (!step.team.isEmpty() && !teams.contains(step.team))
            teams.append(step.team);
    }
    return teams;
}

HttpResponse errorResponse(const Error &error)
{
    switch (error.code()) {
    case ErrorCode::NotFound: return HttpResponse::error(404, QStringLiteral("not_found"), error.message());
    case ErrorCode::Conflict: return HttpResponse::error(409, QStringLiteral("conflict"), error.message());
    case ErrorCode::InvalidArgument: return HttpResponse::error(400, QStringLiteral("invalid"), error.message());
    case ErrorCode::PermissionDenied: return HttpResponse::error(403, QStringLiteral("forbidden"), error.message());
    case ErrorCode::Unavailable:
    case ErrorCode::Timeout:
        return HttpResponse::error(503, QStringLiteral("unavailable"), QStringLiteral("the database is not answering"));
    default:
        qCWarning(lcServer, "request failed: %s", qUtf8Printable(error.toString()));
        return HttpResponse::error(500, QStringLiteral("internal"), QStringLiteral("something went wrong; see the log"));
    }
}

ApiServer::ApiServer(ApiStore store, const Clock &clock, ServerOptions options, ServerHooks hooks,
                     QObject *parent)
    : QAbstractHttpServer(parent),
      m_store(store),
      m_clock(clock),
      m_options(std::move(options)),
      m_hooks(std::move(hooks)),
      m_auth(store.accounts, clock, m_options.auth),
      m_pageCache(m_options.pageCacheBytes)
{
    m_pool.setMaxThreadCount(std::max(1, m_options.workerThreads));
}

ApiServer::~ApiServer()
{
    // The jobs post their answers to this object: none may be left running once it is gone.
    m_pool.clear();
    m_pool.waitForDone();
}

Result<quint16> ApiServer::start()
{
    std::optional<QSslConfiguration> tlsConfiguration;
    if (!m_options.tlsCertFile.isEmpty() || !m_options.tlsKeyFile.isEmpty()) {
        QFile certFile(m_options.tlsCertFile);
        QFile keyFile(m_options.tlsKeyFile);
        if (!certFile.open(QIODevice::ReadOnly) || !keyFile.open(QIODevice::ReadOnly))
            return fail(Error::invalidArgument(QStringLiteral("cannot read the TLS certificate or key file")));
        const QSslCertificate certificate(&certFile, QSsl::Pem);
        const QSslKey key(&keyFile, QSsl::Rsa, QSsl::Pem);
        QSslKey usableKey = key;
        if (key.isNull()) {
            keyFile.seek(0);
            usableKey = QSslKey(&keyFile, QSsl::Ec, QSsl::Pem);
        }
        if (certificate.isNull() || usableKey.isNull())
            return fail(Error::invalidArgument(QStringLiteral("the TLS certificate or key is not valid PEM")));
        QSslConfiguration configuration;
        configuration.setLocalCertificate(certificate);
        configuration.setPrivateKey(usableKey);
        configuration.setProtocol(QSsl::SecureProtocols);
        tlsConfiguration = configuration;
    }
    // Our own listening server instead of listen()'s, so that each connection gets its
    // BodyLimit before Qt's reader: an oversized body is refused as it arrives.
    const auto guard = [this](QTcpSocket *socket) {
        new BodyLimit(socket, this, {m_options.maxBodyBytes, m_options.maxSignInBodyBytes},
                      [this](QTcpSocket *refused, int status, const QString &path) {
                          refuseRequest(refused, status, path);
                      });
    };
    QTcpServer *server = nullptr;
    if (tlsConfiguration) {
        auto *ssl = new LimitedServer<QSslServer>(this);
        ssl->setSslConfiguration(*tlsConfiguration);
        ssl->onConnection = guard;
        server = ssl;
    } else {
        auto *plain = new LimitedServer<QTcpServer>(this);
        plain->onConnection = guard;
        server = plain;
    }
    if (!server->listen(m_options.address, m_options.port)) {
        delete server;
        return fail(Error::unavailable(QStringLiteral("cannot listen on %1:%2 (in use, or not allowed)")
                                           .arg(m_options.address.toString())
                                           .arg(m_options.port)));
    }
    bind(server);
    return server->serverPort();
}

void ApiServer::refuseRequest(QTcpSocket *socket, int status, const QString &path)
{
    HttpResponse response = status == 431
        ? HttpResponse::error(431, QStringLiteral("too_large"), QStringLiteral("the request's header lines are too large"))
        : path == QLatin1String("/api/v1/session")
        ? HttpResponse::error(413, QStringLiteral("too_large"), QStringLiteral("the sign-in request is too large"))
        : HttpResponse::error(413, QStringLiteral("too_large"), QStringLiteral("the request body is too large"));
    writeInOrder(socket, serializeResponse(finished("POST", path, std::move(response)), true), true);
}

void ApiServer::writeInOrder(QTcpSocket *socket, const QByteArray &bytes, bool closing)
{
    if (const auto pending = m_outgoing.find(socket); pending != m_outgoing.end() && !pending->empty()) {
        pending->push_back({0, bytes, true, closing});
        flush(socket);
        return;
    }
    socket->write(bytes);
    if (closing)
        socket->disconnectFromHost();
}

bool ApiServer::handleRequest(const QHttpServerRequest &request, QTcpSocket *socket)
{
    HttpRequest view = fromQt(request);
    view.address = clientAddressOf(request.remoteAddress(), view.header("x-forwarded-for"), m_options.trustedProxies,
                                   &view.fromTrustedProxy);
    const bool closing = view.header("connection").toLower().contains("close");
    HttpResponse response = route(view);
    if (response.deferred) {
        if (defer(view, *response.deferred, socket, closing))
            return true;
        response = busy();
    }
    response = finished(view.method, view.path, std::move(response));
    if (const auto pending = m_outgoing.find(socket); pending != m_outgoing.end() && !pending->empty()) {
        // An earlier request on this connection is still being answered: this answer waits
        // its turn, since HTTP/1.1 answers come in the order of the requests.
        writeInOrder(socket, serializeResponse(response, closing), closing);
        return true;
    }
    QHttpServerResponder responder = makeResponder(request, socket);
    responder.writeStatusLine(static_cast<QHttpServerResponder::StatusCode>(response.status));
    if (!response.contentType.isEmpty())
        responder.writeHeader("Content-Type", response.contentType);
    responder.writeHeader("Content-Length", QByteArray::number(response.body.size()));
    for (const auto &[name, value] : response.headers)
        responder.writeHeader(name, value);
    responder.writeBody(response.body);
    return true;
}

void ApiServer::missingHandler(const QHttpServerRequest &request, QTcpSocket *socket)
{
    handleRequest(request, socket);
}

HttpResponse ApiServer::respond(const HttpRequest &request)
{
    HttpResponse response = route(request);
    if (response.deferred) {
        response = response.deferred->work()();
        m_store.log.setAuditAddress({});
    }
    return finished(request.method, request.path, std::move(response));
}

HttpResponse ApiServer::route(const HttpRequest &request)
{
    HttpResponse response;
    if (request.body.size() > m_options.maxBodyBytes)
        response = HttpResponse::error(413, QStringLiteral("too_large"), QStringLiteral("the request body is too large"));
    else
        response = dispatch(request);
    m_store.log.setAuditAddress({});
    return response;
}

HttpResponse ApiServer::finished(const QByteArray &method, const QString &path, HttpResponse response) const
{
    response.withHeader("X-Content-Type-Options", "nosniff")
        .withHeader("Referrer-Policy", "no-referrer")
        .withHeader("X-Frame-Options", "DENY")
        .withHeader("Content-Security-Policy",
                    "default-src 'self'; img-src 'self' blob: data:; style-src 'self'; script-src 'self'; "
                    "object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'");
    bool hasCacheControl = false;
    for (const auto &header : response.headers)
        hasCacheControl = hasCacheControl || header.first == "Cache-Control";
    if (!hasCacheControl)
        response.withHeader("Cache-Control", "no-store");
    if (method != "GET" && method != "HEAD")
        qCInfo(lcServer, "%s %s %d", qUtf8Printable(loggable(QString::fromLatin1(method))), qUtf8Printable(loggable(path)),
               response.status);
    return response;
}

HttpResponse ApiServer::busy() const
{
    HttpResponse response =
        HttpResponse::error(503, QStringLiteral("busy"), QStringLiteral("the server is busy: try again shortly"));
    response.withHeader("Retry-After", "2");
    return response;
}

bool ApiServer::defer(const HttpRequest &request, const DeferredAnswer &answer, QTcpSocket *socket, bool closing)
{
    quint64 jobId = answer.key.isEmpty() ? 0 : m_jobByKey.value(answer.key, 0);
    if (jobId == 0) {
        if (static_cast<qint64>(m_jobs.size()) >= m_options.maxQueuedJobs) {
            if (answer.abandoned)
                answer.abandoned();
            return false;
        }
        jobId = m_nextId++;
        m_jobs[jobId].key = answer.key;
        if (!answer.key.isEmpty())
            m_jobByKey.insert(answer.key, jobId);
        m_pool.start([this, jobId, work = answer.work] {
            std::function<HttpResponse()> finish = work();
            // Back to the server's thread: the store and the cache live there.
            QMetaObject::invokeMethod(
                this, [this, jobId, finish = std::move(finish)] { jobDone(jobId, finish); }, Qt::QueuedConnection);
        });
    }
    Waiter waiter{.id = m_nextId++,
                  .socket = socket,
                  .method = request.method,
                  .path = request.path,
                  .closing = closing};
    m_jobs[jobId].waiters.push_back(waiter);
    if (!m_outgoing.contains(socket)) {
        // The answers waiting for a connection go with it (Qt deletes a closed one).
        connect(socket, &QObject::destroyed, this, [this, socket] { m_outgoing.remove(socket); });
    }
    m_outgoing[socket].push_back({waiter.id, {}, false, closing});
    // Precise: a coarse timer of 20 s may fire a second early.
    QTimer::singleShot(m_options.jobTimeLimit, Qt::PreciseTimer, this,
                       [this, jobId, waiterId = waiter.id] { waiterTimedOut(jobId, waiterId); });
    return true;
}

void ApiServer::jobDone(quint64 jobId, const std::function<HttpResponse()> &finish)
{
    const auto found = m_jobs.find(jobId);
    if (found == m_jobs.end())
        return;
    const Job job = std::move(found->second);
    m_jobs.erase(found);
    if (!job.key.isEmpty())
        m_jobByKey.remove(job.key);
    // Finished even when every client has gone or timed out: a page still fills the cache,
    // a sign-in is still recorded.
    const HttpResponse response = finish();
    m_store.log.setAuditAddress({});
    for (const Waiter &waiter : job.waiters) {
        if (!waiter.answered)
            deliver(waiter, serializeResponse(finished(waiter.method, waiter.path, response), waiter.closing));
    }
}

void ApiServer::waiterTimedOut(quint64 jobId, quint64 waiterId)
{
    const auto found = m_jobs.find(jobId);
    if (found == m_jobs.end())
        return;
    for (Waiter &waiter : found->second.waiters) {
        if (waiter.id != waiterId || waiter.answered)
            continue;
        waiter.answered = true;
        HttpResponse late =
            HttpResponse::error(503, QStringLiteral("busy"), QStringLiteral("the answer took too long: try again shortly"));
        late.withHeader("Retry-After", "5");
        deliver(waiter, serializeResponse(finished(waiter.method, waiter.path, std::move(late)), waiter.closing));
    }
}

void ApiServer::deliver(const Waiter &waiter, const QByteArray &bytes)
{
    if (!waiter.socket)
        return;  // the client has gone: the answer is dropped
    const auto pending = m_outgoing.find(waiter.socket.data());
    if (pending == m_outgoing.end())
        return;
    for (Outgoing &outgoing : *pending) {
        if (outgoing.waiterId == waiter.id) {
            outgoing.bytes = bytes;
            outgoing.ready = true;
        }
    }
    flush(waiter.socket.data());
}

void ApiServer::flush(QTcpSocket *socket)
{
    const auto pending = m_outgoing.find(socket);
    if (pending == m_outgoing.end())
        return;
    while (!pending->empty() && pending->front().ready) {
        const Outgoing next = std::move(pending->front());
        pending->pop_front();
        socket->write(next.bytes);
        if (next.closing) {
            pending->clear();
            socket->disconnectFromHost();
            return;
        }
    }
}

HttpResponse ApiServer::documentPage(const QString &file, int index)
{
    const QByteArray key = PageCache::keyOf(file, index, kPageWidth);
    const auto pageAnswer = [](const QByteArray &png, const QByteArray &how) {
        HttpResponse response = HttpResponse::text(png, 200, "image/png");
        response.withHeader("Cache-Control", "private, max-age=300").withHeader("X-Clerk-Render", how);
        return response;
    };
    if (!key.isEmpty()) {
        if (auto cached = m_pageCache.find(key))
            return pageAnswer(*cached, "cached");
    }
    DeferredAnswer answer;
    answer.key = key.isEmpty() ? QByteArray() : "page\0" + key;
    answer.work = [this, file, index, key, pageAnswer]() -> std::function<HttpResponse()> {
        // On the pool: the file path and page are all this uses.
        Result<QByteArray> png = ocr::renderPagePng(file, index, kPageWidth);
        return [this, key, png = std::move(png), pageAnswer] {
            if (!png) {
                if (png.error().code() == ErrorCode::InvalidArgument)
                    return HttpResponse::error(404, QStringLiteral("not_found"), png.error().message());
                return HttpResponse::error(422, QStringLiteral("unreadable"),
                                           QStringLiteral("the document cannot be shown"));
            }
            m_pageCache.insert(key, *png);
            return pageAnswer(*png, "rendered");
        };
    };
    return HttpResponse::later(std::move(answer));
}

HttpResponse ApiServer::dispatch(const HttpRequest &request)
{
    const QStringList &segments = request.segments;
    if (segments.isEmpty() || (segments.size() == 1 && segments[0] == QLatin1String("index.html")))
        return request.method == "GET" ? staticFile(QStringLiteral("index.html"))
                                       : HttpResponse::error(405, QStringLiteral("method"), QStringLiteral("use GET"));
    const QString &first = segments[0];
    if (first == QLatin1String("healthz") && segments.size() == 1)
        return health(false);
    if (first == QLatin1String("readyz") && segments.size() == 1)
        return health(true);
    if (first == QLatin1String("metrics") && segments.size() == 1)
        return metrics(request);
    if (first == QLatin1String("static") && segments.size() == 2 && request.method == "GET")
        return staticFile(segments[1]);
    if (first == QLatin1String("hooks") && segments.size() == 2) {
        if (request.method != "POST")
            return HttpResponse::error(405, QStringLiteral("method"), QStringLiteral("use POST"));
        return webhook(request, segments[1]);
    }
    if (first == QLatin1String("api") && segments.size() >= 3 && segments[1] == QLatin1String("v1"))
        return api(request, segments.mid(2));
    return HttpResponse::error(404, QStringLiteral("not_found"), QStringLiteral("no such page"));
}

HttpResponse ApiServer::staticFile(const QString &name) const
{
    if (name.contains(QLatin1Char('/')) || name.startsWith(QLatin1Char('.')))
        return HttpResponse::error(404, QStringLiteral("not_found"), QStringLiteral("no such file"));
    QFile file(QStringLiteral(":/web/") + name);
    if (!file.open(QIODevice::ReadOnly))
        return HttpResponse::error(404, QStringLiteral("not_found"), QStringLiteral("no such file"));
    HttpResponse response = HttpResponse::text(file.readAll(), 200, contentTypeFor(name));
    response.withHeader("Cache-Control", name == QLatin1String("index.html") ? "no-cache" : "max-age=300");
    return response;
}

HttpResponse ApiServer::health(bool readiness)
{
    if (!readiness)
        return HttpResponse::text("ok\n");
    if (auto ping = m_store.work.pausedBots(); !ping)
        return HttpResponse::text("database not answering\n", 503);
    if (m_hooks.ready && !m_hooks.ready())
        return HttpResponse::text("workers not running\n", 503);
    return HttpResponse::text("ready\n");
}

HttpResponse ApiServer::metrics(const HttpRequest &request)
{
    if (request.method != "GET")
        return HttpResponse::error(405, QStringLiteral("method"), QStringLiteral("use GET"));
    if (!m_options.metricsToken.isEmpty()
        && !constantTimeEquals(request.header("authorization"), "Bearer " + m_options.metricsToken.toUtf8()))
        return HttpResponse::error(401, QStringLiteral("unauthorised"), QStringLiteral("send the metrics token"));
    if (!m_hooks.metrics)
        return HttpResponse::error(404, QStringLiteral("not_found"), QStringLiteral("metrics are not available"));
    auto text = m_hooks.metrics();
    if (!text)
        return errorResponse(text.error());
    return HttpResponse::text(*text, 200, "text/plain; version=0.0.4; charset=utf-8");
}

HttpResponse ApiServer::webhook(const HttpRequest &request, const QString &botName)
{
    const auto notFound = HttpResponse::error(404, QStringLiteral("not_found"), QStringLiteral("no such hook"));
    if (!m_hooks.bots || !m_hooks.intake)
        return notFound;
    std::optional<bot::BotDefinition> target;
    for (const bot::BotDefinition &definition : m_hooks.bots()) {
        if (definition.name == botName && definition.trigger
            && definition.trigger->kind == bot::TriggerDefinition::Kind::Webhook)
            target = definition;
    }
    if (!target)
        return notFound;
    auto token = bot::resolveSecret(target->trigger->options.value(QStringLiteral("token")).toString());
    if (!token || token->isEmpty()) {
        qCWarning(lcServer, "webhook of bot %s: its token cannot be read: %s", qUtf8Printable(botName),
                  token ? "empty" : qUtf8Printable(token.error().message()));
        return HttpResponse::error(503, QStringLiteral("unavailable"), QStringLiteral("the hook is not set up"));
    }
    if (!constantTimeEquals(request.header("authorization"), "Bearer " + token->toUtf8()))
        return HttpResponse::error(401, QStringLiteral("unauthorised"), QStringLiteral("wrong or missing token"));
    QJsonParseError parseError;
    const QJsonDocument document = QJsonDocument::fromJson(request.body, &parseError);
    if (parseError.error != QJsonParseError::NoError || !document.isObject()) {
        return HttpResponse::error(400, QStringLiteral("invalid"),
                                   QStringLiteral("the body must be one JSON object"));
    }
    m_store.log.setAuditAddress(request.address);
    auto queued = m_hooks.intake(*target, document.object());
    if (!queued)
        return errorResponse(queued.error());
    if (m_hooks.workArrived)
        m_hooks.workArrived();
    return HttpResponse::json(QJsonObject{{QStringLiteral("item_id"), queued->id},
                                          {QStringLiteral("created"), queued->created}},
                              202);
}

HttpResponse ApiServer::signIn(const HttpRequest &request)
{
    // Bounded before anything is parsed or written (Authenticator::signIn bounds the fields).
    if (request.body.size() > m_options.maxSignInBodyBytes)
        return HttpResponse::error(413, QStringLiteral("too_large"), QStringLiteral("the sign-in request is too large"));
    const QJsonObject body = QJsonDocument::fromJson(request.body).object();
    const QString name = body.value(QStringLiteral("name")).toString().trimmed();
    const QString password = body.value(QStringLiteral("password")).toString();
    if (name.isEmpty() || password.isEmpty())
        return HttpResponse::error(400, QStringLiteral("invalid"), QStringLiteral("give your name and password"));
    std::chrono::seconds retryAfter{0};
    auto attempt = m_auth.beginSignIn(name, password, request.address, &retryAfter);
    if (!attempt)
        return signInAnswer(fail(attempt.error()), retryAfter);
    // The pair's attempt is counted only once it is checked: until then the next one waits.
    const QString pair = name + QChar(0) + request.address;
    if (m_signInsInFlight.contains(pair))
        return signInAnswer(fail(Error::unavailable(QStringLiteral("a sign-in with this name is being checked"))),
                            std::chrono::seconds(1));
    m_signInsInFlight.insert(pair);
    DeferredAnswer answer;
    answer.work = [this, attempt = *attempt, password, pair]() -> std::function<HttpResponse()> {
        // On the pool: Argon2 over copies, nothing else.
        const bool matches = checkSignInPassword(attempt, password);
        return [this, attempt, matches, pair] {
            m_signInsInFlight.remove(pair);
            return signInAnswer(m_auth.finishSignIn(attempt, matches), std::chrono::seconds(0));
        };
    };
    answer.abandoned = [this, pair] { m_signInsInFlight.remove(pair); };
    return HttpResponse::later(std::move(answer));
}

HttpResponse ApiServer::signInAnswer(const Result<SignedIn> &signedIn, std::chrono::seconds retryAfter)
{
    if (!signedIn) {
        if (signedIn.error().code() == ErrorCode::InvalidArgument)
            return HttpResponse::error(400, QStringLiteral("invalid"), signedIn.error().message());
        if (signedIn.error().code() == ErrorCode::PermissionDenied)
            return HttpResponse::error(401, QStringLiteral("unauthorised"), signedIn.error().message());
        if (signedIn.error().code() == ErrorCode::Unavailable && retryAfter.count() > 0) {
            HttpResponse slowed = HttpResponse::error(429, QStringLiteral("slowed_down"), signedIn.error().message());
            slowed.withHeader("Retry-After", QByteArray::number(static_cast<qint64>(retryAfter.count())));
            return slowed;
        }
        return errorResponse(signedIn.error());
    }
    HttpResponse response = HttpResponse::json(QJsonObject{
        {QStringLiteral("user"), QJsonObject{{QStringLiteral("name"), signedIn->user.name},
                                             {QStringLiteral("team"), signedIn->user.team},
                                             {QStringLiteral("role"), store::toString(signedIn->user.role)}}},
        {QStringLiteral("csrf_token"), signedIn->csrfToken}});
    response.withHeader("Set-Cookie", m_auth.sessionCookie(signedIn->cookieValue));
    return response;
}

HttpResponse ApiServer::sessionInfo(Principal &principal, const HttpRequest &request)
{
    auto cookie = m_auth.ensureSession(principal, request);
    if (!cookie)
        return errorResponse(cookie.error());
    HttpResponse response = HttpResponse::json(QJsonObject{
        {QStringLiteral("user"), QJsonObject{{QStringLiteral("name"), principal.user.name},
                                             {QStringLiteral("team"), principal.user.team},
                                             {QStringLiteral("role"), store::toString(principal.user.role)}}},
        {QStringLiteral("csrf_token"), principal.csrfToken.isEmpty() ? QJsonValue(QJsonValue::Null)
                                                                      : QJsonValue(principal.csrfToken)}});
    if (!cookie->isEmpty())
        response.withHeader("Set-Cookie", m_auth.sessionCookie(*cookie));
    return response;
}

HttpResponse ApiServer::api(const HttpRequest &request, const QStringList &route)
{
    const QString &resource = route[0];
    if (resource == QLatin1String("session") && route.size() == 1 && request.method == "POST")
        return signIn(request);

    const QByteArray &trustedHeader = m_options.auth.trustedUserHeader;
    if (!trustedHeader.isEmpty() && request.headers.contains(trustedHeader) && !request.fromTrustedProxy) {
        // Someone sends the single sign-on proxy's header without being the proxy: the port
        // is reachable around it. Worth an operator's attention; the name sent is not logged.
        const QDateTime now = m_clock.now();
        if (!m_lastHeaderWarningAt.isValid() || m_lastHeaderWarningAt.msecsTo(now) >= 60'000) {
            qCWarning(lcServer,
                      "refused a request from %s carrying the trusted user header: it is not a --trusted-proxy"
                      " (%lld more such requests since the last warning)",
                      qUtf8Printable(request.address), static_cast<long long>(m_headerWarningsLeftOut));
            m_lastHeaderWarningAt = now;
            m_headerWarningsLeftOut = 0;
        } else {
            ++m_headerWarningsLeftOut;
        }
        return HttpResponse::error(401, QStringLiteral("unauthorised"), QStringLiteral("sign in first"));
    }
    auto principal = m_auth.authenticate(request);
    if (!principal) {
        if (principal.error().code() == ErrorCode::NotFound || principal.error().code() == ErrorCode::PermissionDenied)
            return HttpResponse::error(401, QStringLiteral("unauthorised"), QStringLiteral("sign in first"));
        return errorResponse(principal.error());
    }
    if (request.changesState() && !m_auth.csrfOk(*principal, request))
        return HttpResponse::error(403, QStringLiteral("csrf"), QStringLiteral("the request lacks its CSRF token"));
    m_store.log.setAuditAddress(request.address);

    const auto methodNotAllowed = HttpResponse::error(405, QStringLiteral("method"), QStringLiteral("not allowed here"));
    const auto noRoute = HttpResponse::error(404, QStringLiteral("not_found"), QStringLiteral("no such API route"));
    if (resource == QLatin1String("session") && route.size() == 1) {
        if (request.method == "GET")
            return sessionInfo(*principal, request);
        if (request.method == "DELETE") {
            if (auto ended = m_auth.signOut(*principal); !ended)
                return errorResponse(ended.error());
            HttpResponse response = HttpResponse::noContent();
            response.withHeader("Set-Cookie", m_auth.clearedCookie());
            return response;
        }
        return methodNotAllowed;
    }
    if (resource == QLatin1String("exceptions")) {
        if (route.size() == 1)
            return request.method == "GET" ? listExceptions(*principal, request) : methodNotAllowed;
        if (route.size() == 2 && route[1] == QLatin1String("next"))
            return request.method == "POST" ? nextException(*principal, request) : methodNotAllowed;
        if (route.size() == 2 && route[1] == QLatin1String("reject"))
            return request.method == "POST" ? rejectAll(*principal, request) : methodNotAllowed;
        bool ok = false;
        const qint64 id = route[1].toLongLong(&ok);
        if (!ok || route.size() > 3)
            return noRoute;
        return exceptionRoute(*principal, request, id, route.size() == 3 ? route[2] : QString());
    }
    if (resource == QLatin1String("items")) {
        if (request.method != "GET")
            return methodNotAllowed;
        if (route.size() == 1)
            return listItems(*principal, request);
        bool ok = false;
        const qint64 id = route[1].toLongLong(&ok);
        return ok && route.size() == 2 ? itemDetail(*principal, id) : noRoute;
    }
    if (route.size() == 1 && request.method == "GET") {
        if (resource == QLatin1String("bots"))
            return listBots(*principal);
        if (resource == QLatin1String("teams"))
            return listTeams(*principal);
        if (resource == QLatin1String("dashboard"))
            return dashboard(*principal, request);
    }
    return noRoute;
}

} // namespace clerk::server
