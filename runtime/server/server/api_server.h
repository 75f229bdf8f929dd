// ApiServer: the HTTP side of `clerk serve`: the web page, the JSON API of docs/api.md,
// /healthz, /readyz, /metrics and the webhook intake.
//
// Requests are handled one at a time on the thread that owns the server (the service's
// main thread), with that thread's store connection: every handler is a few indexed
// queries, so a request takes about a millisecond. Work that waits (rendering a PDF page)
// is bounded by the OCR module's limits.
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
#include "store/work_store.h"

#include <QAbstractHttpServer>
#include <QHostAddress>

#include <functional>

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
    // GET /api/v1/dashboard (the request's query holds days and bot) and GET /metrics.
    std::function<Result<QJsonObject>(const HttpRequest &)> dashboard{};
    std::function<Result<QByteArray>()> metrics{};
};

class ApiServer final : public QAbstractHttpServer {
public:
    ApiServer(store::WorkStore &store, const Clock &clock, ServerOptions options, ServerHooks hooks,
              QObject *parent = nullptr);

    // Listens. Returns the port; Unavailable when the address is taken, InvalidArgument
    // for an unreadable certificate or key.
    Result<quint16> start();

    // The answer to one request (what handleRequest writes); public for tests.
    HttpResponse respond(const HttpRequest &request);

protected:
    bool handleRequest(const QHttpServerRequest &request, QTcpSocket *socket) override;
    void missingHandler(const QHttpServerRequest &request, QTcpSocket *socket) override;

private:
    HttpResponse dispatch(const HttpRequest &request);
    HttpResponse api(const HttpRequest &request, const QStringList &route);
    HttpResponse staticFile(const QString &name) const;
    HttpResponse health(bool readiness);
    HttpResponse metrics(const HttpRequest &request);
    HttpResponse webhook(const HttpRequest &request, const QString &botName);

    HttpResponse signIn(const HttpRequest &request);
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

    store::WorkStore &m_store;
    const Clock &m_clock;
    ServerOptions m_options;
    ServerHooks m_hooks;
    Authenticator m_auth;
    // The trusted-header warning is logged at most once a minute, so a flood of such requests
    // cannot flood the log; the next warning says how many were left out.
    QDateTime m_lastHeaderWarningAt{};
    qint64 m_headerWarningsLeftOut = 0;
};

// A store error as an HTTP answer: NotFound 404, Conflict 409, InvalidArgument 400,
// PermissionDenied 403, Unavailable/Timeout 503, anything else 500 (details logged, not sent).
HttpResponse errorResponse(const Error &error);

} // namespace clerk::server
