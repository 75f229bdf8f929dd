// ApiServer: the HTTP side of `clerk serve`: the web page, the JSON API of docs/api.md,
// /healthz, /readyz, /metrics and the webhook intake.
//
// Threading: requests are read and routed one at a time on the thread that owns the server
// (the service's main thread), with that thread's store connection: every handler is a few
// indexed queries, so a request takes about a millisecond, and /healthz stays quick. Slow
// work runs on a small pool of the server's own (ServerOptions::workerThreads): rendering
// a document page (up to 100 Mpx) and the Argon2 check of a sign-in. Such a request is
// deferred: handleRequest() returns at once, the pool does the work with nothing but
// copies of its inputs, and the answer is finished back on the server's thread (store
// writes included) and written to the socket if the client is still there. Answers on one
// connection are written in the order its requests came. Past `maxQueuedJobs` jobs waiting
// or running, a request that needs the pool gets 503 with Retry-After; a client whose
// answer takes longer than `jobTimeLimit` gets 503, and the late answer is dropped (a late
// page still fills the cache; a late sign-in is still recorded). Rendered pages are kept in
// a PageCache (`pageCacheBytes`), and requests for a page being rendered wait for that one
// render; the answer says which in X-Clerk-Render: rendered or cached.
//
// Bodies are limited while they arrive: each connection gets a BodyLimit (body_limit_p.h)
// ahead of Qt's reader, so a body over maxBodyBytes (maxSignInBodyBytes for sign-in) is
// refused with 413 from its headers or as its chunks pass the limit, never buffered whole.
//
// Every /api/v1 route but sign-in needs a person (session cookie or trusted header) or a
// machine (API token); a state change from a browser needs its CSRF token. People see and
// act on their own team's items only, unless admins: another team's item reads as not
// found. Work items, bots and dashboard figures are shown to non-admins for their team's
// bots only (a bot is a team's when the team owns it or answers its questions; see
// teamsOfBot()). Every state change is in the audit trail with the client's address,
// which behind a trusted proxy comes from X-Forwarded-For (clientAddressOf()).
//
// Thread-safety: lives on one thread.
#pragma once

#include "bot/bot_definition.h"
#include "core/clock.h"
#include "server/authenticator.h"
#include "server/http_message.h"
#include "server/page_cache.h"
#include "store/accounts.h"
#include "store/event_log.h"
#include "store/exception_queue.h"
#include "store/figures.h"
#include "store/work_queue.h"

#include <QAbstractHttpServer>
#include <QHostAddress>
#include <QPointer>
#include <QSet>
#include <QThreadPool>

#include <concepts>

#include <deque>
#include <functional>
#include <map>

namespace clerk::server {

// An address range, as QHostAddress::parseSubnet gives it: 10.0.0.0/8, ::1/128.
using Subnet = QPair<QHostAddress, int>;

struct ServerOptions {
    QHostAddress address{QHostAddress::LocalHost};
    quint16 port = 8080;                     // 0: any free port
    QString tlsCertFile{};                   // PEM; with tlsKeyFile: HTTPS
    QString tlsKeyFile{};
    AuthOptions auth{};
    std::chrono::milliseconds claimFor{15 * 60 * 1000};
    QString metricsToken{};                  // empty: /metrics is open
    qint64 maxBodyBytes = 1024 * 1024;
    qint64 maxSignInBodyBytes = 8 * 1024;    // POST /api/v1/session: a name and a password
    // Reverse proxies whose X-Forwarded-For and trusted user header are believed; from any
    // other peer the header gets 401 and X-Forwarded-For is ignored.
    QList<Subnet> trustedProxies{};
    // The pool for slow work (page rendering, password checks); see the threading note.
    int workerThreads = 2;
    int maxQueuedJobs = 16;
    std::chrono::milliseconds jobTimeLimit{20'000};
    qint64 pageCacheBytes = 64 * 1024 * 1024;
};

// The client's address for a request whose TCP peer is `peer`: the peer itself, or when the
// peer is in `trustedProxies`, the right-most X-Forwarded-For entry that is not itself a
// trusted proxy (entries left of it could be made up by the client). IPv4-mapped IPv6
// addresses are written as IPv4. `fromTrustedProxy` is set to whether the peer is trusted.
QString clientAddressOf(const QHostAddress &peer, const QByteArray &forwardedFor,
                        const QList<Subnet> &trustedProxies, bool *fromTrustedProxy = nullptr);

// The teams a bot's work belongs to: its owner team, its exception team and the teams
// its steps ask.
QStringList teamsOfBot(const bot::BotDefinition &definition);

// What the server asks of the service it runs in. Every hook may be empty.
struct ServerHooks {
    std::function<QList<bot::BotDefinition>()> bots{};  // the bots being served
    // Enqueues a webhook's JSON body for `bot`.
    std::function<Result<store::EnqueueResult>(const bot::BotDefinition &, const QJsonObject &)> intake{};
    std::function<bool()> ready{};                      // workers are running
    std::function<void()> workArrived{};                // an answer requeued an item
    // Checks a person's answer by the rules of the step that asked (the engine's
    // Step::checkAnswer; the server does not know steps): the answer to record, or
    // InvalidArgument with a message for the person (a 400). Empty: answers are recorded
    // as given.
    std::function<Result<store::Decision>(const store::ExceptionItem &, const store::Decision &)> checkAnswer{};
    // The document file a person may be shown for a work item (the scan view), or empty:
    // the engine's rule of which paths an item may name (engine/document_paths.h). Empty
    // hook: no item shows a document.
    std::function<QString(const WorkItem &)> document{};
    // GET /api/v1/dashboard (the request's query holds days and bot) and GET /metrics.
    std::function<Result<QJsonObject>(const HttpRequest &)> dashboard{};
    std::function<Result<QByteArray>()> metrics{};
};

// The roles of the store the server uses. Made from any store that plays them all (a
// store::WorkStore does), so `ApiServer server(store, clock, ...)` takes the opened store
// as it is; the server never sees the outbox or the leader leases.
struct ApiStore {
    template <typename Store>
        requires std::derived_from<Store, store::WorkQueue> && std::derived_from<Store, store::ExceptionQueue>
                 && std::derived_from<Store, store::Accounts> && std::derived_from<Store, store::EventLog>
                 && std::derived_from<Store, store::Figures>
    ApiStore(Store &store)  // NOLINT(google-explicit-constructor): a store is an ApiStore
        : work(store), exceptions(store), accounts(store), log(store), figures(store)
    {
    }

    store::WorkQueue &work;              // items, paused bots
    store::ExceptionQueue &exceptions;   // the queue people answer
    store::Accounts &accounts;           // people, sessions, tokens
    store::EventLog &log;                // item histories, the audit address
    store::Figures &figures;             // status counts
};

class ApiServer final : public QAbstractHttpServer {
public:
    ApiServer(ApiStore store, const Clock &clock, ServerOptions options, ServerHooks hooks,
              QObject *parent = nullptr);
    // Waits for the pool's running jobs; their answers are dropped.
    ~ApiServer() override;

    // Listens. Returns the port; Unavailable when the address is taken, InvalidArgument
    // for an unreadable certificate or key.
    Result<quint16> start();

    // The answer to one request (what handleRequest writes); public for tests. Work that
    // handleRequest would defer to the pool is done here, on the caller's thread.
    HttpResponse respond(const HttpRequest &request);

protected:
    bool handleRequest(const QHttpServerRequest &request, QTcpSocket *socket) override;
    void missingHandler(const QHttpServerRequest &request, QTcpSocket *socket) override;

private:
    // One request waiting for a job's answer, and its place in its connection's answers.
    struct Waiter {
        quint64 id = 0;
        QPointer<QTcpSocket> socket{};
        QByteArray method{};
        QString path{};
        bool closing = false;  // the client asked to close the connection after the answer
        bool answered = false; // timed out: the client got 503
    };
    struct Job {
        QByteArray key{};
        std::vector<Waiter> waiters{};
    };
    // An answer not written yet, in its connection's order; empty bytes: still waiting.
    struct Outgoing {
        quint64 waiterId = 0;
        QByteArray bytes{};
        bool ready = false;
        bool closing = false;
    };

    // respond() without doing deferred work: the answer, or one with `deferred` set.
    HttpResponse route(const HttpRequest &request);
    // The security and caching headers every answer has; logs state changes.
    HttpResponse finished(const QByteArray &method, const QString &path, HttpResponse response) const;
    // Starts (or joins, by key) the pool job of a deferred answer for the request on `socket`.
    // False when the pool is full (`abandoned` has run; the answer is busy()).
    bool defer(const HttpRequest &request, const DeferredAnswer &answer, QTcpSocket *socket, bool closing);
    void jobDone(quint64 jobId, const std::function<HttpResponse()> &finish);
    void waiterTimedOut(quint64 jobId, quint64 waiterId);
    // Puts `bytes` in the waiter's place on its connection and writes what is ready in order.
    void deliver(const Waiter &waiter, const QByteArray &bytes);
    void flush(QTcpSocket *socket);
    // Writes `bytes` after the connection's pending answers (at once when none); closes after.
    void writeInOrder(QTcpSocket *socket, const QByteArray &bytes, bool closing);
    // BodyLimit's refusal: 413 or 431, then the connection is closed.
    void refuseRequest(QTcpSocket *socket, int status, const QString &path);
    HttpResponse busy() const;

    HttpResponse dispatch(const HttpRequest &request);
    HttpResponse api(const HttpRequest &request, const QStringList &route);
    HttpResponse staticFile(const QString &name) const;
    HttpResponse health(bool readiness);
    HttpResponse metrics(const HttpRequest &request);
    HttpResponse webhook(const HttpRequest &request, const QString &botName);

    HttpResponse signIn(const HttpRequest &request);
    HttpResponse signInAnswer(const Result<SignedIn> &signedIn, std::chrono::seconds retryAfter);
    // Page `index` (0-based) of `file` as PNG: from the cache, or rendered on the pool.
    HttpResponse documentPage(const QString &file, int index);
    HttpResponse sessionInfo(Principal &principal, const HttpRequest &request);
    // api_queue.cpp
    HttpResponse listExceptions(const Principal &principal, const HttpRequest &request);
    HttpResponse nextException(const Principal &principal, const HttpRequest &request);
    HttpResponse exceptionRoute(const Principal &principal, const HttpRequest &request, qint64 id,
                                const QString &action);
    HttpResponse exceptionDetail(const store::ExceptionItem &item);
    // POST /api/v1/exceptions/reject {bot, reason[, team]}: every undecided item of the bot
    // in the caller's team (an admin: in `team`, or every team) is rejected.
    HttpResponse rejectAll(const Principal &principal, const HttpRequest &request);
    HttpResponse listItems(const Principal &principal, const HttpRequest &request);
    HttpResponse itemDetail(const Principal &principal, qint64 id);
    HttpResponse listBots(const Principal &principal);
    HttpResponse listTeams(const Principal &principal);
    HttpResponse dashboard(const Principal &principal, const HttpRequest &request);
    // The served bots whose work belongs to the principal's team; nullopt for admins, who
    // see every bot, served or not.
    std::optional<QStringList> botsOf(const Principal &principal) const;
    // The document file of a work item, if it has one that still exists.
    QString documentOf(const WorkItem &item) const;

    ApiStore m_store;
    const Clock &m_clock;
    ServerOptions m_options;
    ServerHooks m_hooks;
    Authenticator m_auth;
    // The trusted-header warning is logged at most once a minute, so a flood of such requests
    // cannot flood the log; the next warning says how many were left out.
    QDateTime m_lastHeaderWarningAt{};
    qint64 m_headerWarningsLeftOut = 0;

    PageCache m_pageCache;
    quint64 m_nextId = 1;
    std::map<quint64, Job> m_jobs;            // queued or running on m_pool
    QHash<QByteArray, quint64> m_jobByKey;
    QHash<QTcpSocket *, std::deque<Outgoing>> m_outgoing;  // connections with an answer pending
    // Name and address pairs with a sign-in being checked: another attempt of the pair waits
    // (429) until the first is recorded, so parallel guesses cannot slip past the throttling.
    QSet<QString> m_signInsInFlight;
    QThreadPool m_pool;                       // last: destroyed (and waited for) first
};

// A store error as an HTTP answer: NotFound 404, Conflict 409, InvalidArgument 400,
// PermissionDenied 403, Unavailable/Timeout 503, anything else 500 (details logged, not sent).
HttpResponse errorResponse(const Error &error);

} // namespace clerk::server
