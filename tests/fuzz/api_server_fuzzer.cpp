// libFuzzer target: any request given to the JSON API, the web page routes, the webhook
// intake and sign-in (method, path, query string, headers, body) must come back as an
// HTTP answer, never as a crash, a hang or a sanitizer report.
//
// The input is one HTTP/1.1-style request in text:
//   byte 0: who is asking (0 nobody, 1 an admin's API token, 2 an operator's session with
//           its CSRF token, 3 a trusted-header user through a trusted proxy), then
//   METHOD SP TARGET CRLF (NAME: VALUE CRLF)* CRLF BODY
// The server answers through ApiServer::respond(), the function every socket request
// reaches, with a real SQLite store holding two people and one open exception item.
#include "server/api_server.h"
#include "server/password.h"

#include "core/clock.h"
#include "store/work_store.h"

#include <QCoreApplication>
#include <QDir>
#include <QJsonArray>
#include <QLoggingCategory>
#include <QTemporaryDir>
#include <QUrl>
#include <QUrlQuery>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>

using namespace clerk;

namespace {

struct Fixture {
    std::unique_ptr<QCoreApplication> app;
    std::unique_ptr<QTemporaryDir> dir;
    std::unique_ptr<store::WorkStore> store;
    std::unique_ptr<server::ApiServer> server;       // plain session and token sign-in
    std::unique_ptr<server::ApiServer> headerServer; // trusted-header mode
    QByteArray adminToken;
    QByteArray operatorCookie;
    QByteArray operatorCsrf;
};

Fixture *g_fixture = nullptr;

void setUp()
{
    static int argc = 1;
    static char name[] = "api_server_fuzzer";
    static char *argv[] = {name, nullptr};
    auto *f = new Fixture;
    f->app = std::make_unique<QCoreApplication>(argc, argv);
    // A line per state-changing request would make the fuzzer mostly a log writer.
    QLoggingCategory::setFilterRules(QStringLiteral("clerk.*.info=false"));
    f->dir = std::make_unique<QTemporaryDir>();
    auto opened = store::openWorkStore(f->dir->filePath(QStringLiteral("clerk.db")));
    if (!opened)
        std::abort();
    f->store = std::move(*opened);
    const QString hash = *server::hashPassword(QStringLiteral("correct horse battery"));
    (void)f->store->saveUser({.name = QStringLiteral("ada"), .team = QStringLiteral("revenues"),
                              .role = store::Role::Admin, .passwordHash = hash},
                             QStringLiteral("fuzz"));
    (void)f->store->saveUser({.name = QStringLiteral("bo"), .team = QStringLiteral("post-room"),
                              .role = store::Role::Operator, .passwordHash = hash},
                             QStringLiteral("fuzz"));
    const QString token = server::randomToken();
    f->adminToken = token.toLatin1();
    (void)f->store->saveApiToken({.idHash = server::tokenDigest(token), .name = QStringLiteral("fuzz"),
                                  .user = QStringLiteral("ada")},
                                 QStringLiteral("fuzz"));
    const QString cookie = server::randomToken();
    const QString csrf = server::randomToken();
    const QDateTime now = QDateTime::currentDateTimeUtc();
    // A session that stays fresh for the whole run (the idle timeout is set long below).
    (void)f->store->saveSession({.idHash = server::tokenDigest(cookie), .user = QStringLiteral("bo"),
                                 .csrfToken = csrf, .address = QStringLiteral("127.0.0.1"),
                                 .createdAt = now, .lastSeenAt = now});
    f->operatorCookie = cookie.toLatin1();
    f->operatorCsrf = csrf.toLatin1();

    // One item waiting for a person, so /exceptions/1 and /items/1 have something to show.
    auto queued = f->store->enqueue({.bot = QStringLiteral("post"), .botVersion = QStringLiteral("1"),
                                     .definitionDigest = QStringLiteral("d"), .sourceRef = QStringLiteral("r1"),
                                     .payload = QJsonObject{{QStringLiteral("ref"), QStringLiteral("A1")}}});
    if (queued) {
        auto leased = f->store->leaseNext(QStringLiteral("fuzz"), std::chrono::minutes(5));
        if (leased && leased->has_value()) {
            HumanRequest request;
            request.reason = QStringLiteral("which team?");
            request.choices = {HumanChoice{.value = QStringLiteral("revenues"), .label = QStringLiteral("Revenues")}};
            request.fields = {QStringLiteral("team")};
            (void)f->store->handToPerson((*leased)->id, QStringLiteral("fuzz"), 0, QStringLiteral("route"), request,
                                         QStringLiteral("post-room"), QDateTime());
        }
    }

    server::ServerOptions options;
    options.auth.idleTimeout = std::chrono::hours(24 * 365);
    f->server = std::make_unique<server::ApiServer>(*f->store, SystemClock::instance(), options, server::ServerHooks{});
    server::ServerOptions headerOptions = options;
    headerOptions.auth.trustedUserHeader = "x-remote-user";
    f->headerServer =
        std::make_unique<server::ApiServer>(*f->store, SystemClock::instance(), headerOptions, server::ServerHooks{});
    g_fixture = f;
}

// Splits the fuzzer's bytes into a request the way the HTTP layer hands one to respond().
server::HttpRequest requestFrom(const QByteArray &text, int who)
{
    server::HttpRequest request;
    request.address = QStringLiteral("127.0.0.1");
    const qsizetype headEnd = text.indexOf("\r\n\r\n");
    const QByteArray head = headEnd < 0 ? text : text.left(headEnd);
    request.body = headEnd < 0 ? QByteArray() : text.mid(headEnd + 4);
    const QList<QByteArray> lines = head.split('\n');
    const QByteArray requestLine = lines.value(0).trimmed();
    const qsizetype space = requestLine.indexOf(' ');
    request.method = space < 0 ? requestLine : requestLine.left(space);
    const QUrl url = QUrl::fromEncoded(space < 0 ? QByteArray("/") : requestLine.mid(space + 1));
    request.path = url.path(QUrl::FullyDecoded);
    request.segments = request.path.split(QLatin1Char('/'), Qt::SkipEmptyParts);
    request.query = QUrlQuery(url);
    for (qsizetype i = 1; i < lines.size(); ++i) {
        const qsizetype colon = lines[i].indexOf(':');
        if (colon <= 0)
            continue;
        request.headers.insert(lines[i].left(colon).trimmed().toLower(), lines[i].mid(colon + 1).trimmed());
    }
    switch (who) {
    case 1: request.headers.insert("authorization", "Bearer " + g_fixture->adminToken); break;
    case 2:
        request.headers.insert("cookie", "clerk_session=" + g_fixture->operatorCookie);
        request.headers.insert("x-csrf-token", g_fixture->operatorCsrf);
        break;
    case 3:
        // As the single sign-on proxy in front would send it.
        request.fromTrustedProxy = true;
        request.headers.insert("x-remote-user", "bo");
        break;
    default: break;
    }
    return request;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!g_fixture)
        setUp();
    if (size == 0)
        return 0;
    const int who = data[0] % 4;
    const QByteArray text(reinterpret_cast<const char *>(data + 1), static_cast<qsizetype>(size - 1));
    const server::HttpRequest request = requestFrom(text, who);
    server::ApiServer &server = who == 3 ? *g_fixture->headerServer : *g_fixture->server;
    const server::HttpResponse response = server.respond(request);
    if (response.status < 100 || response.status > 599)
        std::abort();
    // Every answer carries the page's protective headers.
    bool hasCsp = false;
    for (const auto &header : response.headers)
        hasCsp = hasCsp || header.first == "Content-Security-Policy";
    if (!hasCsp)
        std::abort();
    return 0;
}
