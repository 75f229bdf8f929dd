// RestConnector: the named operations of one connector file, called over HTTP.
//
// Built from a validated ConnectorDefinition (kind: rest). call() renders the
// operation's path, query, headers and JSON body from the caller's params, signs in
// (none, basic, bearer, API-key header, OAuth2 client credentials with the token
// cached until shortly before it expires and fetched again once on a 401, or an HS256
// JWT signed afresh for every request, retries included, with iat from the connector's
// clock, as GOV.UK Notify asks), and sends the request through the connector's rate
// limit and circuit breaker.
//
// Temporary failures (no connection, timeouts, 408, 429, 5xx) are retried with
// exponential backoff and jitter up to the connector's retry.max_attempts, waiting at
// least as long as a Retry-After header asks. A call that changes something is sent
// again only when that cannot do it twice: the server said it did not act (429, 503,
// no connection), or the operation sends an Idempotency-Key the server honours
// (`idempotency: header`). Otherwise the failure is returned with `maybeActed`, and the
// caller (the rest step) checks for its own earlier action before trying again.
//
// Templates in operations see {"params": <the caller's params>, "key": <idempotency
// key>}. Values put into the path are percent-encoded ("/", "?", "#" and "%" included),
// so each stays inside its path segment; a rendered path with a "." or ".." segment is
// refused. Query names and values are percent-encoded. A header whose rendered value
// holds CR, LF or NUL is refused before anything is sent; the error names the header,
// never its value. These refusals are InvalidArgument and not retryable.
//
// Credentials stay at base_url's origin (scheme, host and port). A Link header's next
// page elsewhere (another host or port, or http where base_url is https) fails the call
// with PermissionDenied, not retryable, and nothing is sent there; redirects are never
// followed (a 3xx answer is a refused request).
//
// Logs carry the connector and operation names, the method, status, attempt and time,
// never addresses with their query, headers, bodies or secrets.
//
// An operation with `upload: true` sends CallOptions::upload (a file the caller read) as
// its body, as application/octet-stream; `idempotency: repeatable` marks a call that may
// simply be sent again (such an upload: it only counts once a later call attaches it).
//
// Thread-safety: call() may be used from many threads at once; the rate limit, the
// circuit breaker and the OAuth2 token are shared by all of them.
#pragma once

#include "bot/bot_definition.h"
#include "core/clock.h"
#include "core/error.h"

#include <QByteArray>
#include <QJsonArray>
#include <QJsonObject>
#include <QJsonValue>
#include <chrono>
#include <functional>
#include <memory>

namespace clerk::rest {

struct CallOptions {
    QString idempotencyKey;  // sent as Idempotency-Key (idempotency: header) and seen by templates as {{ key }}
    // The caller's time limit (a step's time_limit): each request's timeouts are cut to
    // the time left, and no retry starts (or waits) past it; the call then fails with
    // Timeout, retryable. A request cut short this way does not count against the
    // connector's circuit breaker. max(): none.
    std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
    // For an operation with `upload: true`, the bytes it sends as its body (a null array
    // for any other operation; a call that does not match its operation is refused).
    QByteArray upload{};
};

struct CallResult {
    int status = 0;
    QJsonObject fields;   // the operation's `response` fields (without `records`)
    QJsonArray records;   // with `records`: one object of `response` fields per record, every page read
    bool listed = false;  // the operation has `records`: the answer was read as a list
    QJsonArray rawRecords;  // with `records`: each record as the system sent it, every page read
    QJsonValue body;      // the last page's answer as JSON (null when empty)
    QByteArray rawBody;   // the last page's answer as received
    int pages = 1;
    bool truncated = false;  // stopped at paginate.max_pages with more pages left
};

struct CallError {
    Error error;
    bool retryable = false;               // a temporary failure: try again later
    bool maybeActed = false;              // the request may have been acted on
    std::chrono::milliseconds retryAfter{0};  // how long the server or the breaker asks to wait
    int httpStatus = 0;                   // 0 when there was no answer
    QByteArray body;                      // the error answer, for a person to read (may hold personal data)
};

using CallOutcome = std::expected<CallResult, CallError>;

struct ConnectorOptions {
    const Clock *clock = nullptr;                                // default: the system clock
    std::function<void(std::chrono::milliseconds)> sleep;        // default: QThread::msleep
};

class RestConnector {
public:
    // InvalidArgument for settings the schema cannot check (pagination without records,
    // a base_url that is not http(s), a jwt_hs256 api_key that is readable now but not in
    // GOV.UK Notify's shape; the error never shows the key).
    static Result<std::shared_ptr<RestConnector>> create(const bot::ConnectorDefinition &definition,
                                                         ConnectorOptions options = {});
    ~RestConnector();

    const QString &name() const;
    bool hasOperation(const QString &operation) const;
    QStringList operations() const;
    // The HTTP method of an operation ("GET", "POST", ...).
    QString method(const QString &operation) const;
    // True when the operation sends an Idempotency-Key the server honours.
    bool honoursIdempotencyKey(const QString &operation) const;
    // True when sending the operation twice is harmless (idempotency: repeatable).
    bool isRepeatable(const QString &operation) const;
    // True when the operation sends the caller's file as its body (upload: true).
    bool isUpload(const QString &operation) const;

    CallOutcome call(const QString &operation, const QJsonObject &params, const CallOptions &options = {}) const;

    RestConnector(const RestConnector &) = delete;
    RestConnector &operator=(const RestConnector &) = delete;

private:
    struct Private;
    explicit RestConnector(std::unique_ptr<Private> d);
    std::unique_ptr<Private> d;
};

// One connector per definition in the process, so every step and worker that uses it
// shares its rate limit, circuit breaker and token. A changed file gives a new one.
Result<std::shared_ptr<RestConnector>> sharedConnector(const bot::ConnectorDefinition &definition);

} // namespace clerk::rest
