#include "rest/rest_connector.h"

#include "bot/secret_ref.h"
#include "bot/template.h"
#include "core/duration.h"
#include "core/logging.h"
#include "core/mutex.h"
#include "rest/circuit_breaker.h"
#include "rest/connector_kind.h"
#include "rest/http_client.h"
#include "rest/json_pointer.h"
#include "rest/jwt.h"
#include "rest/rate_limiter.h"
#include "rest/retry_rules.h"

#include <QCryptographicHash>
#include <QElapsedTimer>
#include <QHash>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QThread>
#include <QUrl>

#include <algorithm>
#include <map>

namespace clerk::rest {

using namespace std::chrono_literals;

namespace {

// A duration setting as written, or the key's default. The loader checked the text, so
// it parses; 0 if it somehow does not.
std::chrono::milliseconds durationSetting(const bot::ParamSpec &key, const QJsonObject &object)
{
    const auto parsed = parseDuration(key.stringIn(object));
    return parsed ? *parsed : std::chrono::milliseconds(0);
}

enum class PageStyle { None, Page, Offset, Cursor, Link };

struct Pagination {
    PageStyle style = PageStyle::None;
    QString param;
    QString sizeParam;
    int size = 0;
    int first = 0;
    QString next;
    QString total;
    int maxPages = 0;
};

struct Operation {
    QString name;
    QByteArray method;
    QString path;
    QList<QPair<QString, QString>> query;          // name -> template
    QList<QPair<QByteArray, QByteArray>> headers;
    QJsonValue body;                               // undefined: no body
    QList<QPair<QString, QString>> response;       // field -> pointer
    QString records;                               // pointer; empty: single record
    bool recordsSet = false;
    bool idempotencyHeader = true;
    bool repeatable = false;  // idempotency: repeatable
    bool upload = false;      // the body is the caller's file (CallOptions::upload)
    Pagination paginate;
};

QJsonObject percentEncoded(const QJsonObject &object);

QJsonValue percentEncodedValue(const QJsonValue &value)
{
    if (value.isString())
        return QString::fromLatin1(QUrl::toPercentEncoding(value.toString()));
    if (value.isObject())
        return percentEncoded(value.toObject());
    if (value.isArray()) {
        QJsonArray out;
        for (const QJsonValue &element : value.toArray())
            out.append(percentEncodedValue(element));
        return out;
    }
    return value;
}

QJsonObject percentEncoded(const QJsonObject &object)
{
    QJsonObject out;
    for (auto it = object.begin(); it != object.end(); ++it)
        out.insert(it.key(), percentEncodedValue(it.value()));
    return out;
}

QString renderText(const QString &text, const QJsonObject &scope)
{
    const auto parsed = bot::Template::parse(text);
    return parsed ? parsed->render(scope) : text;
}

QJsonValue renderBody(const QJsonValue &value, const QJsonObject &scope)
{
    if (value.isString()) {
        const auto parsed = bot::Template::parse(value.toString());
        return parsed ? parsed->renderValue(scope) : value;
    }
    if (value.isArray()) {
        QJsonArray out;
        for (const QJsonValue &element : value.toArray())
            out.append(renderBody(element, scope));
        return out;
    }
    if (value.isObject()) {
        QJsonObject out;
        const QJsonObject object = value.toObject();
        for (auto it = object.begin(); it != object.end(); ++it)
            out.insert(it.key(), renderBody(it.value(), scope));
        return out;
    }
    return value;
}

QJsonObject mapFields(const QJsonValue &source, const QList<QPair<QString, QString>> &response)
{
    QJsonObject fields;
    for (const auto &[field, pointer] : response)
        fields.insert(field, resolvePointer(source, pointer).value_or(QJsonValue()));
    return fields;
}

// The rel="next" address of a Link header, or empty.
QString nextLink(const QByteArray &header)
{
    static const QRegularExpression part(QStringLiteral(R"(<([^>]*)>\s*((?:;\s*[^;,]+)*))"));
    auto it = part.globalMatch(QString::fromLatin1(header));
    while (it.hasNext()) {
        const QRegularExpressionMatch match = it.next();
        static const QRegularExpression relNext(QStringLiteral(R"(rel\s*=\s*"?([^";]*\s)?next[\s"]?)"),
                                                QRegularExpression::CaseInsensitiveOption);
        if (relNext.match(match.captured(2)).hasMatch())
            return match.captured(1);
    }
    return {};
}

QString appendQuery(const QString &url, const QList<QPair<QString, QString>> &query)
{
    if (query.isEmpty())
        return url;
    QString out = url;
    QChar separator = url.contains(QLatin1Char('?')) ? QLatin1Char('&') : QLatin1Char('?');
    for (const auto &[name, value] : query) {
        out += separator + QString::fromLatin1(QUrl::toPercentEncoding(name)) + QLatin1Char('=') +
               QString::fromLatin1(QUrl::toPercentEncoding(value));
        separator = QLatin1Char('&');
    }
    return out;
}

Result<QString> checkedBaseUrl(const QString &connector, QString url)
{
    url = url.trimmed();
    const QUrl base(url);
    if (!base.isValid() || (base.scheme() != QLatin1String("http") && base.scheme() != QLatin1String("https")) ||
        base.host().isEmpty())
        return fail(Error::invalidArgument(
            QStringLiteral("connector %1: base_url must be an http:// or https:// address").arg(connector)));
    if (!url.endsWith(QLatin1Char('/')))
        url += QLatin1Char('/');
    return url;
}

// "scheme://host:port" with the scheme's default port filled in: what two addresses must
// share for the connector's credentials to go to both.
QString originOf(const QUrl &url)
{
    const QString scheme = url.scheme().toLower();
    const int port = url.port(scheme == QLatin1String("https") ? 443 : scheme == QLatin1String("http") ? 80 : -1);
    return QStringLiteral("%1://%2:%3").arg(scheme, url.host(QUrl::FullyEncoded).toLower()).arg(port);
}

// True when a header value would end the header line early or be cut short: CR or LF
// would let a template's value add headers or a body of its own (header injection).
bool breaksHeaderLine(const QByteArray &value)
{
    return value.contains('\r') || value.contains('\n') || value.contains('\0');
}

// True when a rendered path has a "." or ".." segment, also once percent-decoded with
// "/" and "\" read as separators (some servers and proxies decode before they resolve
// the path): such a segment walks the address up or sideways out of the operation's path.
bool hasDotSegment(const QString &path)
{
    static const QRegularExpression separators(QStringLiteral("[/\\\\]"));
    for (const QString &segment : path.split(QLatin1Char('/'))) {
        const QString decoded = QUrl::fromPercentEncoding(segment.toUtf8());
        for (const QString &part : decoded.split(separators)) {
            if (part == QLatin1String(".") || part == QLatin1String(".."))
                return true;
        }
    }
    return false;
}

// One call's request before paging: base_url (resolved), the rendered path and query,
// and the request with its headers and body.
struct PreparedCall {
    HttpRequest request;
    QString baseUrl;
    QString path;
    QList<QPair<QString, QString>> query;
    bool safeMethod = false;  // GET or HEAD
    bool mayResend = false;   // safe, or sent with an Idempotency-Key the server honours
};

CallError refusedRequest(Error error)
{
    return CallError{std::move(error), false, false, std::chrono::milliseconds(0), 0, {}};
}

// The service id and secret key in the GOV.UK Notify API key that auth's api_key refers
// to, read as `apiKey`; InvalidArgument naming the connector and the reference, never the key.
Result<JwtCredentials> notifyKeyCredentials(const QString &connector, const QJsonObject &auth, const QString &apiKey)
{
    auto split = splitNotifyApiKey(apiKey);
    if (!split)
        return fail(Error::invalidArgument(QStringLiteral("connector %1: %2 %3: %4")
                                               .arg(connector, restKeys().apiKey.name, restKeys().apiKey.stringIn(auth),
                                                    split.error().message())));
    return split;
}

} // namespace

struct RestConnector::Private {
    QString name;
    QString baseUrl;
    QString authType;
    QJsonObject auth;
    bool verifyTls = true;
    QString caFile;
    // The connector file's settings, or their defaults (connector_kind.cpp).
    std::chrono::milliseconds connectTimeout{0};
    std::chrono::milliseconds readTimeout{0};
    int maxAttempts = 0;
    std::chrono::milliseconds initialDelay{0};
    std::chrono::milliseconds maxDelay{0};
    QHash<QString, Operation> operations;
    const Clock *clock = nullptr;
    std::function<void(std::chrono::milliseconds)> sleep;
    std::unique_ptr<RateLimiter> limiter;
    std::unique_ptr<CircuitBreaker> breaker;

    mutable Mutex tokenMutex;
    mutable QByteArray token CLERK_GUARDED_BY(tokenMutex);
    mutable qint64 tokenExpiresMs CLERK_GUARDED_BY(tokenMutex) = 0;

    void pause(std::chrono::milliseconds delay) const
    {
        if (delay > 0ms)
            sleep(delay);
    }

    std::expected<QByteArray, CallError> authorization(bool forceNewToken) const;
    std::expected<QByteArray, CallError> fetchToken() const CLERK_REQUIRES(tokenMutex);
    // The secret the auth key `key` refers to, read now; refused (not retryable) when it cannot be read.
    std::expected<QString, CallError> resolvedSecret(const QString &key) const;
    // jwt_hs256: "Bearer " and a token signed now.
    std::expected<QByteArray, CallError> signedToken() const;
    // One request, with retries; a 2xx answer or the final error.
    std::expected<HttpResponse, CallError> exchange(const Operation &operation, const HttpRequest &request,
                                                    bool mayResend, std::chrono::steady_clock::time_point deadline) const;
    // The request of one call, rendered from the operation and the caller's params, with
    // base_url resolved; refused (not retryable, nothing sent) when a value would change
    // the request's shape.
    std::expected<PreparedCall, CallError> prepare(const Operation &operation, const QJsonObject &params,
                                                   const CallOptions &options) const;
    // Sends a prepared call, reading every page of a list: the result or the first error.
    CallOutcome readPages(const Operation &operation, PreparedCall call, const CallOptions &options) const;
};

std::expected<QByteArray, CallError> RestConnector::Private::fetchToken() const
{
    const auto secret = bot::resolveSecret(auth.value(QStringLiteral("client_secret")).toString());
    if (!secret)
        return std::unexpected(CallError{Error::permissionDenied(QStringLiteral("connector %1: client_secret: %2")
                                                                     .arg(name, secret.error().message())),
                                         false, false, 0ms, 0, {}});
    QList<QPair<QString, QString>> form{{QStringLiteral("grant_type"), QStringLiteral("client_credentials")},
                                        {QStringLiteral("client_id"), auth.value(QStringLiteral("client_id")).toString()},
                                        {QStringLiteral("client_secret"), *secret}};
    if (const QString scope = auth.value(QStringLiteral("scope")).toString(); !scope.isEmpty())
        form.append({QStringLiteral("scope"), scope});
    HttpRequest request;
    request.method = "POST";
    request.url = auth.value(QStringLiteral("token_url")).toString();
    request.headers = {{"Content-Type", "application/x-www-form-urlencoded"}, {"Accept", "application/json"}};
    request.body = appendQuery(QString(), form).mid(1).toUtf8();
    request.connectTimeout = connectTimeout;
    request.timeout = readTimeout;
    request.verifyTls = verifyTls;
    request.caFile = caFile;

    const auto response = HttpClient::perform(request);
    if (!response)
        return std::unexpected(CallError{Error(response.error().error.code(),
                                               QStringLiteral("connector %1: token request: %2")
                                                   .arg(name, response.error().error.message())),
                                         true, false, 0ms, 0, {}});
    if (response->status < 200 || response->status > 299) {
        const bool temporary = isRetryableStatus(response->status);
        return std::unexpected(CallError{
            temporary ? Error::unavailable(QStringLiteral("connector %1: the token endpoint answered %2")
                                               .arg(name)
                                               .arg(response->status))
                      : Error::permissionDenied(QStringLiteral("connector %1: the token endpoint refused the client "
                                                               "credentials (%2)")
                                                    .arg(name)
                                                    .arg(response->status)),
            temporary, false, 0ms, response->status, {}});
    }
    const QJsonObject answer = QJsonDocument::fromJson(response->body).object();
    const QString accessToken = answer.value(QStringLiteral("access_token")).toString();
    if (accessToken.isEmpty())
        return std::unexpected(CallError{Error::unreadable(QStringLiteral("connector %1: the token endpoint's answer "
                                                                          "has no access_token")
                                                               .arg(name)),
                                         true, false, 0ms, response->status, {}});
    const double expiresIn = answer.value(QStringLiteral("expires_in")).toDouble(3600);
    // Renew a minute early (or at half the lifetime for short-lived tokens).
    const qint64 margin = std::min<qint64>(60000, static_cast<qint64>(expiresIn * 500));
    tokenExpiresMs = clock->nowMs() + static_cast<qint64>(expiresIn * 1000) - margin;
    token = accessToken.toUtf8();
    qCDebug(lcConnector, "connector %s: new access token, valid %d s", qUtf8Printable(name), int(expiresIn));
    return token;
}

std::expected<QString, CallError> RestConnector::Private::resolvedSecret(const QString &key) const
{
    const auto value = bot::resolveSecret(auth.value(key).toString());
    if (!value)
        return std::unexpected(CallError{Error::permissionDenied(QStringLiteral("connector %1: %2: %3")
                                                                     .arg(name, key, value.error().message())),
                                         false, false, 0ms, 0, {}});
    return *value;
}

std::expected<QByteArray, CallError> RestConnector::Private::signedToken() const
{
    const RestKeys &keys = restKeys();
    JwtCredentials credentials;
    if (keys.apiKey.isIn(auth)) {
        const auto apiKey = resolvedSecret(keys.apiKey.name);
        if (!apiKey)
            return std::unexpected(apiKey.error());
        auto split = notifyKeyCredentials(name, auth, *apiKey);
        if (!split)
            return std::unexpected(refusedRequest(split.error()));
        credentials = std::move(*split);
    } else {
        const auto secret = resolvedSecret(keys.secret.name);
        if (!secret)
            return std::unexpected(secret.error());
        credentials = {keys.issuer.stringIn(auth), *secret};
    }
    // Signed at each request, retries included: a token more than 30 s old is refused, and
    // a retry may come minutes after the first try.
    return "Bearer " + hs256Token(credentials.issuer, credentials.secret.toUtf8(), clock->now().toSecsSinceEpoch());
}

std::expected<QByteArray, CallError> RestConnector::Private::authorization(bool forceNewToken) const
{
    const auto secretValue = [this](const char *key) { return resolvedSecret(QLatin1String(key)); };
    if (authType == QLatin1String("basic")) {
        const auto password = secretValue("password");
        if (!password)
            return std::unexpected(password.error());
        return basicAuthorization(auth.value(QStringLiteral("username")).toString(), *password);
    }
    if (authType == QLatin1String("bearer")) {
        const auto value = secretValue("token");
        if (!value)
            return std::unexpected(value.error());
        return "Bearer " + value->toUtf8();
    }
    if (authType == QLatin1String("api_key")) {
        const auto value = secretValue("key");
        if (!value)
            return std::unexpected(value.error());
        return value->toUtf8();
    }
    if (authType == QLatin1String("oauth2_client_credentials")) {
        MutexLock lock(tokenMutex);
        if (forceNewToken || token.isEmpty() || clock->nowMs() >= tokenExpiresMs) {
            const auto fresh = fetchToken();
            if (!fresh)
                return std::unexpected(fresh.error());
        }
        return "Bearer " + token;
    }
    if (authType == QLatin1String("jwt_hs256"))
        return signedToken();
    return QByteArray();
}

std::expected<HttpResponse, CallError> RestConnector::Private::exchange(const Operation &operation,
                                                                       const HttpRequest &base, bool mayResend,
                                                                       std::chrono::steady_clock::time_point deadline) const
{
    const bool hasDeadline = deadline != std::chrono::steady_clock::time_point::max();
    // Rounded up, so a request cut to the time left ends at or after the deadline, never
    // just before it.
    const auto timeLeft = [deadline] {
        return std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    };
    const QByteArray authHeader = authType == QLatin1String("api_key")
                                      ? auth.value(QStringLiteral("header")).toString().toUtf8()
                                      : QByteArrayLiteral("Authorization");
    bool refreshedToken = false;
    CallError last{Error::unavailable(QStringLiteral("not tried")), true, false, 0ms, 0, {}};
    for (int attempt = 0; attempt <= maxAttempts; ++attempt) {
        if (hasDeadline && timeLeft() <= 0ms) {
            return std::unexpected(CallError{Error::timeout(QStringLiteral("connector %1: operation %2: the time "
                                                                           "limit passed")
                                                                .arg(name, operation.name)),
                                             true, last.maybeActed, 0ms, last.httpStatus, last.body});
        }
        if (const auto wait = breaker->admit()) {
            return std::unexpected(CallError{
                Error::unavailable(QStringLiteral("connector %1 is resting after repeated failures (circuit open)")
                                       .arg(name)),
                true, last.maybeActed, *wait, 0, {}});
        }
        pause(limiter->reserve());

        HttpRequest request = base;
        const auto authorizationValue = authorization(false);
        if (!authorizationValue) {
            breaker->releaseTrial();  // not the system's fault: it says nothing of its health
            return std::unexpected(authorizationValue.error());
        }
        if (breaksHeaderLine(authHeader) || breaksHeaderLine(*authorizationValue)) {
            breaker->releaseTrial();  // a bad secret, not the system's fault
            return std::unexpected(refusedRequest(Error::invalidArgument(
                QStringLiteral("connector %1: the %2 header holds a line break or NUL (check the secret); not sent")
                    .arg(name, QString::fromUtf8(authHeader)))));
        }
        if (!authorizationValue->isEmpty())
            request.headers.emplaceBack(authHeader, *authorizationValue);

        // Cut to the caller's time left (at least 1 ms: 0 would mean no limit to libcurl).
        bool cutShort = false;
        if (hasDeadline) {
            const std::chrono::milliseconds left = std::max(timeLeft(), 1ms);
            cutShort = left < request.timeout;
            request.timeout = std::min(request.timeout, left);
            request.connectTimeout = std::min(request.connectTimeout, left);
        }

        QElapsedTimer timer;
        timer.start();
        const auto response = HttpClient::perform(request);
        const qint64 took = timer.elapsed();

        std::chrono::milliseconds retryAfter{0};
        bool notProcessed = false;
        if (!response) {
            const TransportError &error = response.error();
            notProcessed = error.failure == TransportFailure::NotSent;
            qCDebug(lcConnector, "connector %s: %s %s: no answer after %lld ms (attempt %d): %s", qUtf8Printable(name),
                    operation.method.constData(), qUtf8Printable(operation.name), took, attempt + 1,
                    qUtf8Printable(toString(error.error.code())));
            if (error.error.code() == ErrorCode::InvalidArgument || error.error.code() == ErrorCode::PermissionDenied) {
                breaker->releaseTrial();  // a bad address or certificate, not an outage
                return std::unexpected(CallError{Error(error.error.code(), QStringLiteral("connector %1: %2")
                                                                                .arg(name, error.error.message())),
                                                 false, false, 0ms, 0, {}});
            }
            if (cutShort && error.error.code() == ErrorCode::Timeout) {
                breaker->releaseTrial();  // clerk's time limit, not a slow system
                return std::unexpected(CallError{Error::timeout(QStringLiteral("connector %1: operation %2: the "
                                                                               "time limit passed")
                                                                    .arg(name, operation.name)),
                                                 true, last.maybeActed || !notProcessed, 0ms, 0, {}});
            }
            breaker->recordFailure();
            last = CallError{Error(error.error.code(), QStringLiteral("connector %1: operation %2: %3")
                                                           .arg(name, operation.name, error.error.message())),
                             true, last.maybeActed || !notProcessed, 0ms, 0, {}};
        } else {
            const int status = response->status;
            qCDebug(lcConnector, "connector %s: %s %s: %d in %lld ms (attempt %d, %s connection)", qUtf8Printable(name),
                    operation.method.constData(), qUtf8Printable(operation.name), status, took, attempt + 1,
                    response->newConnections > 0 ? "new" : "reused");
            if (status >= 200 && status <= 299) {
                breaker->recordSuccess();
                return *response;
            }
            if (status == 401 && authType == QLatin1String("oauth2_client_credentials") && !refreshedToken) {
                // The token may have been revoked or expired early: fetch a new one, once.
                refreshedToken = true;
                const auto fresh = authorization(true);
                if (!fresh)
                    return std::unexpected(fresh.error());
                --attempt;
                continue;
            }
            if (!isRetryableStatus(status)) {
                breaker->recordSuccess();  // the system answered; the request is the problem
                Error error = status == 401 || status == 403
                                  ? Error::permissionDenied(QStringLiteral("connector %1: operation %2: the system "
                                                                           "refused clerk's credentials (%3)")
                                                                .arg(name, operation.name)
                                                                .arg(status))
                              : status == 404 ? Error::notFound(QStringLiteral("connector %1: operation %2: not found "
                                                                               "(404)")
                                                                    .arg(name, operation.name))
                                              : Error::invalidArgument(QStringLiteral("connector %1: operation %2: the "
                                                                                      "system refused the request (%3)")
                                                                           .arg(name, operation.name)
                                                                           .arg(status));
                return std::unexpected(CallError{error, false, false, 0ms, status, response->body.left(64 * 1024)});
            }
            breaker->recordFailure();
            notProcessed = statusMeansNotProcessed(status);
            retryAfter = parseRetryAfter(response->header("retry-after"), *clock).value_or(0ms);
            last = CallError{Error::unavailable(QStringLiteral("connector %1: operation %2: the system answered %3")
                                                    .arg(name, operation.name)
                                                    .arg(status)),
                             true, last.maybeActed || !notProcessed, retryAfter, status, response->body.left(64 * 1024)};
        }

        if (!notProcessed && !mayResend)
            return std::unexpected(last);  // sending it again might act twice
        if (attempt == maxAttempts)
            break;
        const std::chrono::milliseconds delay = std::max(retryAfter, backoffDelay(initialDelay, maxDelay, attempt));
        if (delay > maxDelay)
            return std::unexpected(last);  // a long wait: the item waits instead of a worker
        if (hasDeadline && delay >= timeLeft())
            return std::unexpected(last);  // the wait would outlast the caller's time limit
        pause(delay);
    }
    return std::unexpected(last);
}

RestConnector::RestConnector(std::unique_ptr<Private> p) : d(std::move(p)) {}
RestConnector::~RestConnector() = default;

namespace {

// One operation of the connector file, or InvalidArgument for pagination the schema
// cannot rule out (no records, a cursor with no next).
Result<Operation> readOperation(const QString &connector, const QString &name, const QJsonObject &spec)
{
    const RestKeys &keys = restKeys();
    Operation operation;
    operation.name = name;
    operation.method = keys.method.stringIn(spec).toLatin1();
    operation.path = keys.path.stringIn(spec);
    const QJsonObject query = keys.query.objectIn(spec);
    for (auto q = query.begin(); q != query.end(); ++q)
        operation.query.append({q.key(), q.value().toString()});
    const QJsonObject headers = keys.headers.objectIn(spec);
    for (auto h = headers.begin(); h != headers.end(); ++h)
        operation.headers.emplaceBack(h.key().toUtf8(), h.value().toString().toUtf8());
    operation.body = keys.body.isIn(spec) ? keys.body.valueIn(spec) : QJsonValue(QJsonValue::Undefined);
    const QJsonObject response = keys.response.objectIn(spec);
    for (auto r = response.begin(); r != response.end(); ++r)
        operation.response.append({r.key(), r.value().toString()});
    operation.recordsSet = keys.records.isIn(spec);
    operation.records = keys.records.stringIn(spec);
    operation.idempotencyHeader = keys.idempotency.stringIn(spec) == QLatin1String("header");
    operation.repeatable = keys.idempotency.stringIn(spec) == QLatin1String("repeatable");
    operation.upload = keys.upload.boolIn(spec);
    if (operation.upload && !operation.body.isUndefined())
        return fail(Error::invalidArgument(QStringLiteral("connector %1: operation %2: an upload sends the step's file "
                                                          "as its body, so it cannot have a body as well")
                                               .arg(connector, operation.name)));
    if (!keys.paginate.isIn(spec))
        return operation;

    const QJsonObject page = keys.paginate.objectIn(spec);
    if (!operation.recordsSet)
        return fail(Error::invalidArgument(QStringLiteral("connector %1: operation %2: paginate needs records "
                                                          "(a pointer to the list in each page)")
                                               .arg(connector, operation.name)));
    const QString style = keys.pageStyle.stringIn(page);
    Pagination &pagination = operation.paginate;
    pagination.style = style == QLatin1String("page")     ? PageStyle::Page
                       : style == QLatin1String("offset") ? PageStyle::Offset
                       : style == QLatin1String("cursor") ? PageStyle::Cursor
                                                          : PageStyle::Link;
    // The parameter is named after the style unless the file names it; link needs none.
    pagination.param = keys.pageParam.isIn(page) ? keys.pageParam.stringIn(page)
                                                 : style == QLatin1String("link") ? QString() : style;
    pagination.sizeParam = keys.pageSizeParam.stringIn(page);
    pagination.size = keys.pageSize.intIn(page);
    pagination.first = keys.firstPage.intIn(page);
    pagination.next = keys.nextCursor.stringIn(page);
    pagination.total = keys.total.stringIn(page);
    pagination.maxPages = keys.maxPages.intIn(page);
    if (pagination.style == PageStyle::Cursor && pagination.next.isEmpty())
        return fail(Error::invalidArgument(QStringLiteral("connector %1: operation %2: cursor pagination needs "
                                                          "next (a pointer to the next cursor)")
                                               .arg(connector, operation.name)));
    return operation;
}

// A Notify API key of the wrong shape would fail every call: say so when the connector
// is made, if the key can be read now. It is read (and checked) again at each use, as
// the secret may be set or changed later.
Status checkApiKeyNow(const QString &connector, const QJsonObject &auth)
{
    const RestKeys &keys = restKeys();
    if (keys.authType.stringIn(auth) != QLatin1String("jwt_hs256") || !keys.apiKey.isIn(auth))
        return {};
    const auto apiKey = bot::resolveSecret(keys.apiKey.stringIn(auth));
    if (!apiKey)
        return {};  // not readable here; a call says why
    if (const auto split = notifyKeyCredentials(connector, auth, *apiKey); !split)
        return fail(split.error());
    return {};
}

} // namespace

Result<std::shared_ptr<RestConnector>> RestConnector::create(const bot::ConnectorDefinition &definition,
                                                             ConnectorOptions options)
{
    const RestKeys &keys = restKeys();
    const QJsonObject &settings = definition.settings;
    auto p = std::make_unique<Private>();
    p->name = definition.name;
    p->baseUrl = keys.baseUrl.stringIn(settings);
    // The address may differ per installation: ${env:CASES_URL} is read when a call is made
    // (so `clerk validate` needs no environment); a literal address is checked now.
    if (!bot::isSecretRef(p->baseUrl)) {
        auto checked = checkedBaseUrl(definition.name, p->baseUrl);
        if (!checked)
            return fail(checked.error());
        p->baseUrl = *checked;
    }
    p->auth = keys.auth.objectIn(settings);
    p->authType = keys.authType.stringIn(p->auth);
    if (const Status key = checkApiKeyNow(definition.name, p->auth); !key)
        return fail(key.error());
    const QJsonObject tls = keys.tls.objectIn(settings);
    p->verifyTls = keys.verify.boolIn(tls);
    p->caFile = keys.caFile.stringIn(tls);
    if (!p->verifyTls)
        qCWarning(lcConnector, "connector %s: TLS certificate checks are OFF (tls.verify: false): anyone on the "
                               "network path can read and change its traffic. Use only with a test server.",
                  qUtf8Printable(definition.name));
    const QJsonObject timeouts = keys.timeouts.objectIn(settings);
    p->connectTimeout = durationSetting(keys.connectTimeout, timeouts);
    p->readTimeout = durationSetting(keys.readTimeout, timeouts);
    const QJsonObject retry = keys.retry.objectIn(settings);
    p->maxAttempts = keys.retry.field(QStringLiteral("max_attempts")).intIn(retry);
    p->initialDelay = durationSetting(keys.retry.field(QStringLiteral("initial_delay")), retry);
    p->maxDelay = durationSetting(keys.retry.field(QStringLiteral("max_delay")), retry);

    p->clock = options.clock ? options.clock : &SystemClock::instance();
    p->sleep = options.sleep ? options.sleep
                             : [](std::chrono::milliseconds delay) { QThread::msleep(static_cast<unsigned long>(delay.count())); };
    const QJsonObject rate = keys.rateLimit.objectIn(settings);
    const double perSecond = keys.perSecond.numberIn(rate);
    // No limit set: a bucket large enough never to hold anyone back.
    p->limiter = std::make_unique<RateLimiter>(perSecond > 0 ? perSecond : 1e9,
                                               keys.burst.isIn(rate) ? keys.burst.intIn(rate) : perSecond > 0 ? 1 : 1000000,
                                               *p->clock);
    const QJsonObject breaker = keys.circuitBreaker.objectIn(settings);
    p->breaker = std::make_unique<CircuitBreaker>(keys.failures.intIn(breaker), durationSetting(keys.coolDown, breaker),
                                                  *p->clock);

    const QJsonObject operations = keys.operations.objectIn(settings);
    for (auto it = operations.begin(); it != operations.end(); ++it) {
        auto operation = readOperation(definition.name, it.key(), it.value().toObject());
        if (!operation)
            return fail(operation.error());
        p->operations.insert(operation->name, *operation);
    }
    return std::shared_ptr<RestConnector>(new RestConnector(std::move(p)));
}

const QString &RestConnector::name() const
{
    return d->name;
}

bool RestConnector::hasOperation(const QString &operation) const
{
    return d->operations.contains(operation);
}

QStringList RestConnector::operations() const
{
    QStringList names = d->operations.keys();
    names.sort();
    return names;
}

QString RestConnector::method(const QString &operation) const
{
    return QString::fromLatin1(d->operations.value(operation).method);
}

bool RestConnector::honoursIdempotencyKey(const QString &operation) const
{
    return d->operations.value(operation).idempotencyHeader;
}

bool RestConnector::isRepeatable(const QString &operation) const
{
    return d->operations.value(operation).repeatable;
}

bool RestConnector::isUpload(const QString &operation) const
{
    return d->operations.value(operation).upload;
}

std::expected<PreparedCall, CallError> RestConnector::Private::prepare(const Operation &operation,
                                                                      const QJsonObject &params,
                                                                      const CallOptions &options) const
{
    PreparedCall call;
    call.baseUrl = baseUrl;
    if (bot::isSecretRef(call.baseUrl)) {
        const auto resolved = bot::resolveSecret(call.baseUrl);
        auto checked = resolved ? checkedBaseUrl(name, *resolved)
                                : Result<QString>(fail(Error(resolved.error().code(),
                                                             QStringLiteral("connector %1: base_url: %2")
                                                                 .arg(name, resolved.error().message()))));
        if (!checked)
            return std::unexpected(CallError{checked.error(), false, false, 0ms, 0, {}});
        call.baseUrl = *checked;
    }
    const QJsonObject scope{{QStringLiteral("params"), params}, {QStringLiteral("key"), options.idempotencyKey}};
    const QJsonObject pathScope{{QStringLiteral("params"), percentEncoded(params)},
                                {QStringLiteral("key"), QString::fromLatin1(QUrl::toPercentEncoding(options.idempotencyKey))}};

    QString &path = call.path;
    path = renderText(operation.path, pathScope);
    while (path.startsWith(QLatin1Char('/')))
        path.remove(0, 1);
    // Values are percent-encoded, so "/", "?", "#" and "%" stay inside their segment; "."
    // and ".." are not encoded by URL rules and would be resolved (by libcurl or the
    // server) into another path, so they are refused.
    if (hasDotSegment(path))
        return std::unexpected(refusedRequest(Error::invalidArgument(
            QStringLiteral("connector %1: operation %2: a path parameter is or holds a \".\" or \"..\" "
                           "segment, which would change the path; not sent")
                .arg(name, operation.name))));
    for (const auto &[parameter, value] : operation.query) {
        const QString rendered = renderText(value, scope);
        if (!rendered.isEmpty())
            call.query.append({parameter, rendered});
    }

    HttpRequest &request = call.request;
    request.method = operation.method;
    request.connectTimeout = connectTimeout;
    request.timeout = readTimeout;
    request.verifyTls = verifyTls;
    request.caFile = caFile;
    request.headers.emplaceBack("Accept", "application/json");
    for (const auto &[header, value] : operation.headers) {
        const QByteArray rendered = renderText(QString::fromUtf8(value), scope).toUtf8();
        // Named, never shown: the value may hold personal data or a secret.
        if (breaksHeaderLine(header) || breaksHeaderLine(rendered))
            return std::unexpected(refusedRequest(Error::invalidArgument(
                QStringLiteral("connector %1: operation %2: header %3 holds a line break or NUL once its template is "
                               "filled in; not sent")
                    .arg(name, operation.name, QString::fromUtf8(header).simplified()))));
        request.headers.emplaceBack(header, rendered);
    }
    if (!operation.body.isUndefined()) {
        const QJsonValue body = renderBody(operation.body, scope);
        request.body = body.isObject()  ? QJsonDocument(body.toObject()).toJson(QJsonDocument::Compact)
                       : body.isArray() ? QJsonDocument(body.toArray()).toJson(QJsonDocument::Compact)
                                        : QJsonDocument(QJsonArray{body}).toJson(QJsonDocument::Compact).mid(1).chopped(1);
        request.headers.emplaceBack("Content-Type", "application/json");
    }
    if (operation.upload != !options.upload.isNull())
        return std::unexpected(refusedRequest(Error::invalidArgument(
            operation.upload ? QStringLiteral("connector %1: operation %2 sends a file: the step names none (its upload param); not sent")
                                   .arg(name, operation.name)
                             : QStringLiteral("connector %1: operation %2 sends no file, but the step names one; not sent")
                                   .arg(name, operation.name))));
    if (operation.upload) {
        request.body = options.upload;
        request.headers.emplaceBack("Content-Type", "application/octet-stream");
    }
    const bool sendsKey = operation.idempotencyHeader && !options.idempotencyKey.isEmpty();
    if (sendsKey && breaksHeaderLine(options.idempotencyKey.toUtf8()))
        return std::unexpected(refusedRequest(Error::invalidArgument(
            QStringLiteral("connector %1: operation %2: header Idempotency-Key holds a line break or NUL; not sent")
                .arg(name, operation.name))));
    if (sendsKey)
        request.headers.emplaceBack("Idempotency-Key", options.idempotencyKey.toUtf8());
    call.safeMethod = operation.method == "GET" || operation.method == "HEAD";
    call.mayResend = call.safeMethod || sendsKey || operation.repeatable;
    return call;

}

CallOutcome RestConnector::Private::readPages(const Operation &operation, PreparedCall call,
                                             const CallOptions &options) const
{
    const Pagination &pagination = operation.paginate;
    HttpRequest &request = call.request;
    CallResult result;
    result.pages = 0;
    QString cursor;
    QString nextUrl;
    qint64 seen = 0;
    for (int page = 0;; ++page) {
        QList<QPair<QString, QString>> pageQuery = call.query;
        switch (pagination.style) {
        case PageStyle::Page:
            pageQuery.append({pagination.param, QString::number(pagination.first + page)});
            break;
        case PageStyle::Offset:
            pageQuery.append({pagination.param, QString::number(seen)});
            break;
        case PageStyle::Cursor:
            if (page > 0)
                pageQuery.append({pagination.param, cursor});
            break;
        case PageStyle::None:
        case PageStyle::Link:
            break;
        }
        if (pagination.style != PageStyle::None && !pagination.sizeParam.isEmpty())
            pageQuery.append({pagination.sizeParam, QString::number(pagination.size)});
        request.url = nextUrl.isEmpty() ? appendQuery(call.baseUrl + call.path, pageQuery) : nextUrl;

        const auto answer = exchange(operation, request, call.mayResend, options.deadline);
        if (!answer)
            return std::unexpected(answer.error());
        ++result.pages;
        result.status = answer->status;
        result.rawBody = answer->body;
        result.body = QJsonValue();
        if (!answer->body.trimmed().isEmpty()) {
            QJsonParseError parseError;
            const QJsonDocument document = QJsonDocument::fromJson(answer->body, &parseError);
            if (parseError.error != QJsonParseError::NoError) {
                // It answered 2xx, so it may have acted; the caller checks before acting again.
                return std::unexpected(CallError{
                    Error::unreadable(QStringLiteral("connector %1: operation %2: the answer is not JSON (%3 at byte %4)")
                                          .arg(name, operation.name, parseError.errorString())
                                          .arg(parseError.offset)),
                    true, !call.safeMethod, 0ms, answer->status, answer->body.left(64 * 1024)});
            }
            result.body = document.isObject() ? QJsonValue(document.object()) : QJsonValue(document.array());
        }
        const QString link = QString::fromLatin1(answer->header("link"));

        if (!operation.recordsSet) {
            result.fields = mapFields(result.body, operation.response);
            return result;
        }
        const QJsonArray records = resolvePointer(result.body, operation.records).value_or(QJsonValue()).toArray();
        result.listed = true;
        for (const QJsonValue &record : records) {
            result.records.append(mapFields(record, operation.response));
            result.rawRecords.append(record);
        }
        seen += records.size();

        bool more = false;
        switch (pagination.style) {
        case PageStyle::None:
            break;
        case PageStyle::Page:
        case PageStyle::Offset:
            if (!pagination.total.isEmpty())
                more = seen < resolvePointer(result.body, pagination.total).value_or(QJsonValue(0)).toDouble() &&
                       !records.isEmpty();
            else
                more = records.size() >= pagination.size;
            break;
        case PageStyle::Cursor: {
            const QJsonValue next = resolvePointer(result.body, pagination.next).value_or(QJsonValue());
            cursor = next.isDouble() ? QString::number(next.toDouble(), 'f', 0) : next.toString();
            more = !cursor.isEmpty() && !records.isEmpty();
            break;
        }
        case PageStyle::Link: {
            const QString next = nextLink(link.toLatin1());
            more = !next.isEmpty();
            if (!more)
                break;
            const QUrl resolved = QUrl(request.url).resolved(QUrl(next));
            // The connector's credentials go with every page, so a page is read only from
            // base_url's origin: a Link elsewhere (another host or port, or http instead of
            // https) fails the call rather than sending them there or returning part of the
            // list as if it were all of it.
            if (!resolved.isValid() || originOf(resolved) != originOf(QUrl(call.baseUrl)))
                return std::unexpected(refusedRequest(Error::permissionDenied(
                    QStringLiteral("connector %1: operation %2: the next page (Link header) is at %3, not at base_url's "
                                   "origin %4; paging stopped, nothing was sent there")
                        .arg(name, operation.name, resolved.isValid() ? originOf(resolved) : QStringLiteral("?"),
                             originOf(QUrl(call.baseUrl))))));
            nextUrl = resolved.toString(QUrl::FullyEncoded);
            break;
        }
        }
        if (!more)
            return result;
        if (result.pages >= pagination.maxPages) {
            result.truncated = true;
            qCWarning(lcConnector, "connector %s: operation %s: stopped after %d pages (paginate.max_pages)",
                      qUtf8Printable(name), qUtf8Printable(operation.name), result.pages);
            return result;
        }
    }
}

CallOutcome RestConnector::call(const QString &operationName, const QJsonObject &params, const CallOptions &options) const
{
    const auto found = d->operations.constFind(operationName);
    if (found == d->operations.constEnd())
        return std::unexpected(CallError{Error::notFound(QStringLiteral("connector %1 has no operation '%2'")
                                                             .arg(d->name, operationName)),
                                         false, false, 0ms, 0, {}});
    const Operation &operation = *found;
    auto prepared = d->prepare(operation, params, options);
    if (!prepared)
        return std::unexpected(prepared.error());
    return d->readPages(operation, std::move(*prepared), options);
}

Result<std::shared_ptr<RestConnector>> sharedConnector(const bot::ConnectorDefinition &definition)
{
    static Mutex mutex;
    static std::map<QByteArray, std::weak_ptr<RestConnector>> connectors CLERK_GUARDED_BY(mutex);
    QCryptographicHash hash(QCryptographicHash::Sha256);
    hash.addData(definition.name.toUtf8());
    hash.addData(QJsonDocument(definition.settings).toJson(QJsonDocument::Compact));
    const QByteArray key = hash.result();

    MutexLock lock(mutex);
    if (auto existing = connectors[key].lock())
        return existing;
    auto created = RestConnector::create(definition);
    if (!created)
        return fail(created.error());
    connectors[key] = *created;
    return *created;
}

} // namespace clerk::rest
