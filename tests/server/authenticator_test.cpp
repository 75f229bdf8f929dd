// Password hashing and the Authenticator on a real SQLite store with a manual clock:
// Argon2id hashes, sessions ending when idle or too old, slowing down guessing per name
// and address, bounded sign-in input, CSRF checks, API tokens that expire or are revoked,
// the trusted header from trusted proxies only, and the client address behind them.
#include "server/api_server.h"
#include "server/authenticator.h"
#include "server/password.h"
#include "temporary_store.h"

#include <QLoggingCategory>
#include <gtest/gtest.h>

using namespace std::chrono_literals;

namespace clerk::server {
namespace {

TEST(PasswordTest, Argon2idHashesVerifyOnlyTheirPassword)
{
    auto hash = hashPassword(QStringLiteral("correct horse battery"));
    ASSERT_TRUE(hash.has_value());
    EXPECT_TRUE(hash->startsWith(QLatin1String("$argon2id$v=19$m=19456,t=2,p=1$")));
    EXPECT_TRUE(verifyPassword(*hash, QStringLiteral("correct horse battery")));
    EXPECT_FALSE(verifyPassword(*hash, QStringLiteral("correct horse batterY")));
    EXPECT_FALSE(verifyPassword(QString(), QStringLiteral("anything at all")));
    EXPECT_FALSE(verifyPassword(QStringLiteral("$argon2i$garbage"), QStringLiteral("anything at all")));
    // A fresh salt each time.
    EXPECT_NE(*hash, *hashPassword(QStringLiteral("correct horse battery")));
    EXPECT_EQ(hashPassword(QStringLiteral("short")).error().code(), ErrorCode::InvalidArgument);
}

TEST(PasswordTest, TokensAreRandomAndStoredAsDigests)
{
    const QString a = randomToken();
    EXPECT_EQ(a.size(), 43);  // 32 bytes, base64url, no padding
    EXPECT_NE(a, randomToken());
    EXPECT_EQ(tokenDigest(a).size(), 64);
    EXPECT_NE(tokenDigest(a), a);
    EXPECT_TRUE(constantTimeEquals("abc", "abc"));
    EXPECT_FALSE(constantTimeEquals("abc", "abd"));
    EXPECT_FALSE(constantTimeEquals("abc", "abcd"));
}

class AuthenticatorTest : public clerk::testing::TemporaryStoreTest {
protected:
    AuthenticatorTest() : TemporaryStoreTest(QDateTime(QDate(2026, 11, 23), QTime(9, 0), Qt::UTC)) {}

    void SetUp() override
    {
        TemporaryStoreTest::SetUp();
        if (HasFatalFailure())
            return;
        ASSERT_TRUE(m_store->saveUser({.name = QStringLiteral("alice"), .team = QStringLiteral("post-room"),
                                       .passwordHash = *hashPassword(QStringLiteral("correct horse battery"))},
                                      QStringLiteral("test")));
    }

    HttpRequest withCookie(const QString &value) const
    {
        HttpRequest request;
        request.method = "GET";
        request.headers.insert("cookie", "other=1; clerk_session=" + value.toLatin1());
        return request;
    }
};

TEST_F(AuthenticatorTest, ASessionWorksUntilItIsIdleTooLong)
{
    Authenticator auth(*m_store, m_clock, {.idleTimeout = 30min});
    auto signedIn = auth.signIn(QStringLiteral("alice"), QStringLiteral("correct horse battery"), QStringLiteral("10.0.0.1"));
    ASSERT_TRUE(signedIn.has_value());
    auto principal = auth.authenticate(withCookie(signedIn->cookieValue));
    ASSERT_TRUE(principal.has_value());
    EXPECT_EQ(principal->user.name, QStringLiteral("alice"));
    EXPECT_EQ(principal->csrfToken, signedIn->csrfToken);

    // In use every 20 minutes, it lives on; 31 idle minutes end it.
    for (int i = 0; i < 4; ++i) {
        m_clock.advance(20min);
        ASSERT_TRUE(auth.authenticate(withCookie(signedIn->cookieValue)).has_value()) << i;
    }
    m_clock.advance(31min);
    EXPECT_EQ(auth.authenticate(withCookie(signedIn->cookieValue)).error().code(), ErrorCode::NotFound);
    EXPECT_EQ(auth.authenticate(withCookie(QStringLiteral("made-up"))).error().code(), ErrorCode::NotFound);
    EXPECT_EQ(auth.authenticate(HttpRequest{}).error().code(), ErrorCode::NotFound);
}

TEST_F(AuthenticatorTest, CsrfIsCheckedForSessionsButNotForApiTokens)
{
    Authenticator auth(*m_store, m_clock, {});
    auto signedIn = auth.signIn(QStringLiteral("alice"), QStringLiteral("correct horse battery"), {});
    ASSERT_TRUE(signedIn.has_value());
    HttpRequest post = withCookie(signedIn->cookieValue);
    post.method = "POST";
    auto principal = auth.authenticate(post);
    ASSERT_TRUE(principal.has_value());
    EXPECT_FALSE(auth.csrfOk(*principal, post));
    post.headers.insert("x-csrf-token", "wrong");
    EXPECT_FALSE(auth.csrfOk(*principal, post));
    post.headers.insert("x-csrf-token", signedIn->csrfToken.toLatin1());
    EXPECT_TRUE(auth.csrfOk(*principal, post));

    const QString token = randomToken();
    ASSERT_TRUE(m_store->saveApiToken({.idHash = tokenDigest(token), .name = QStringLiteral("portal"),
                                       .user = QStringLiteral("alice")},
                                      QStringLiteral("test")));
    HttpRequest machine;
    machine.method = "POST";
    machine.headers.insert("authorization", "Bearer " + token.toLatin1());
    auto viaToken = auth.authenticate(machine);
    ASSERT_TRUE(viaToken.has_value());
    EXPECT_EQ(viaToken->via, Principal::Via::ApiToken);
    EXPECT_TRUE(auth.csrfOk(*viaToken, machine));
}

TEST_F(AuthenticatorTest, GuessingIsSlowedAndDisabledAccountsAreRefused)
{
    Authenticator auth(*m_store, m_clock, {.maxFailures = 3, .failureWindow = 10min, .firstDelay = 1min});
    const QString there = QStringLiteral("10.0.0.9");
    for (int i = 0; i < 3; ++i) {
        EXPECT_EQ(auth.signIn(QStringLiteral("alice"), QStringLiteral("guess"), there).error().code(),
                  ErrorCode::PermissionDenied);
    }
    std::chrono::seconds retryAfter{0};
    auto slowed = auth.signIn(QStringLiteral("alice"), QStringLiteral("correct horse battery"), there, &retryAfter);
    EXPECT_EQ(slowed.error().code(), ErrorCode::Unavailable);
    EXPECT_EQ(retryAfter, 60s);
    m_clock.advance(1min);
    ASSERT_TRUE(auth.signIn(QStringLiteral("alice"), QStringLiteral("correct horse battery"), there).has_value());

    auto account = *m_store->user(QStringLiteral("alice"));
    account.disabled = true;
    ASSERT_TRUE(m_store->saveUser(account, QStringLiteral("test")));
    EXPECT_EQ(auth.signIn(QStringLiteral("alice"), QStringLiteral("correct horse battery"), {}).error().code(),
              ErrorCode::PermissionDenied);
}

TEST_F(AuthenticatorTest, AStrangersFailuresDoNotLockOutTheSameNameElsewhere)
{
    Authenticator auth(*m_store, m_clock, {.maxFailures = 3, .failureWindow = 15min, .firstDelay = 1min});
    // Six bad passwords for alice every few minutes from another address, for an hour...
    for (int round = 0; round < 12; ++round) {
        for (int i = 0; i < 6; ++i)
            (void)auth.signIn(QStringLiteral("alice"), QStringLiteral("guess"), QStringLiteral("203.0.113.66"));
        m_clock.advance(5min);
        // ...and alice, at her desk, signs in at once every time.
        ASSERT_TRUE(auth.signIn(QStringLiteral("alice"), QStringLiteral("correct horse battery"),
                                QStringLiteral("10.0.0.1"))
                        .has_value())
            << round;
    }
}

TEST_F(AuthenticatorTest, AnAddressTryingManyNamesWaitsButOnlyThatAddress)
{
    Authenticator auth(*m_store, m_clock,
                       {.maxFailures = 3, .failureWindow = 15min, .maxFailuresPerAddress = 10, .firstDelay = 1min});
    const QString there = QStringLiteral("203.0.113.66");
    for (int i = 0; i < 10; ++i) {
        EXPECT_EQ(auth.signIn(QStringLiteral("name%1").arg(i), QStringLiteral("guess"), there).error().code(),
                  ErrorCode::PermissionDenied)
            << i;
    }
    const qsizetype eventsWhenSlowed = m_store->events(0)->size();
    std::chrono::seconds retryAfter{0};
    for (int i = 10; i < 100; ++i) {
        EXPECT_EQ(auth.signIn(QStringLiteral("name%1").arg(i), QStringLiteral("guess"), there, &retryAfter).error().code(),
                  ErrorCode::Unavailable);
    }
    EXPECT_EQ(retryAfter, 60s);
    EXPECT_EQ(m_store->events(0)->size(), eventsWhenSlowed);
    ASSERT_TRUE(auth.signIn(QStringLiteral("alice"), QStringLiteral("correct horse battery"), QStringLiteral("10.0.0.1"))
                    .has_value());
    m_clock.advance(1min);
    EXPECT_EQ(auth.signIn(QStringLiteral("name10"), QStringLiteral("guess"), there).error().code(),
              ErrorCode::PermissionDenied);
}

TEST_F(AuthenticatorTest, WaitsDoubleAndRefusedAttemptsDoNotExtendThem)
{
    Authenticator auth(*m_store, m_clock, {.maxFailures = 2, .failureWindow = 1h, .firstDelay = 1min});
    const QString there = QStringLiteral("203.0.113.66");
    const auto attempt = [&](std::chrono::seconds *retryAfter = nullptr) {
        auto result = auth.signIn(QStringLiteral("alice"), QStringLiteral("guess"), there, retryAfter);
        return result ? ErrorCode::Internal : result.error().code();
    };
    EXPECT_EQ(attempt(), ErrorCode::PermissionDenied);
    EXPECT_EQ(attempt(), ErrorCode::PermissionDenied);
    const qsizetype eventsWhenSlowed = m_store->events(0)->size();
    // Waits of 1, 2, 4, 8, 16 minutes; hammering meanwhile changes nothing.
    for (const auto wait : {1min, 2min, 4min, 8min, 16min}) {
        std::chrono::seconds retryAfter{0};
        for (int i = 0; i < 20; ++i)
            EXPECT_EQ(attempt(&retryAfter), ErrorCode::Unavailable);
        EXPECT_EQ(retryAfter, std::chrono::duration_cast<std::chrono::seconds>(wait));
        m_clock.advance(wait - 1s);
        EXPECT_EQ(attempt(&retryAfter), ErrorCode::Unavailable);
        EXPECT_EQ(retryAfter, 1s);
        m_clock.advance(1s);
        EXPECT_EQ(attempt(), ErrorCode::PermissionDenied);
    }
    // Only the attempts that were checked are in the audit trail.
    EXPECT_EQ(m_store->events(0)->size(), eventsWhenSlowed + 5);

    // A wait is never longer than the window.
    Authenticator capped(*m_store, m_clock, {.maxFailures = 1, .failureWindow = 15min, .firstDelay = 10min});
    std::chrono::seconds retryAfter{0};
    (void)capped.signIn(QStringLiteral("bob"), QStringLiteral("guess"), there);
    m_clock.advance(10min);
    (void)capped.signIn(QStringLiteral("bob"), QStringLiteral("guess"), there);
    EXPECT_EQ(capped.signIn(QStringLiteral("bob"), QStringLiteral("guess"), there, &retryAfter).error().code(),
              ErrorCode::Unavailable);
    EXPECT_EQ(retryAfter, 15min);
}

TEST_F(AuthenticatorTest, OversizedNamesAndPasswordsAreRefusedBeforeAnythingIsWritten)
{
    Authenticator auth(*m_store, m_clock, {});
    const qsizetype eventsBefore = m_store->events(0)->size();
    const QString longName(store::kMaxUserNameLength + 1, QLatin1Char('n'));
    EXPECT_EQ(auth.signIn(longName, QStringLiteral("whatever it is"), QStringLiteral("10.0.0.1")).error().code(),
              ErrorCode::InvalidArgument);
    const QString longPassword(kMaxPasswordLength + 1, QLatin1Char('p'));
    EXPECT_EQ(auth.signIn(QStringLiteral("alice"), longPassword, QStringLiteral("10.0.0.1")).error().code(),
              ErrorCode::InvalidArgument);
    EXPECT_EQ(m_store->events(0)->size(), eventsBefore);
    EXPECT_EQ(m_store->signInFailures(QStringLiteral("alice"), QStringLiteral("10.0.0.1"), m_clock.now().addDays(-1))
                  ->count,
              0);
    EXPECT_EQ(hashPassword(longPassword).error().code(), ErrorCode::InvalidArgument);
}

TEST_F(AuthenticatorTest, ABusySessionEndsAtItsAbsoluteLifetime)
{
    Authenticator auth(*m_store, m_clock, {.idleTimeout = 30min, .sessionLifetime = 12h});
    auto signedIn = auth.signIn(QStringLiteral("alice"), QStringLiteral("correct horse battery"), {});
    ASSERT_TRUE(signedIn.has_value());
    for (int i = 0; i < 35; ++i) {
        m_clock.advance(20min);
        ASSERT_TRUE(auth.authenticate(withCookie(signedIn->cookieValue)).has_value()) << i;
    }
    m_clock.advance(21min);  // 12h 1m after signing in, 21 minutes after the last use
    EXPECT_EQ(auth.authenticate(withCookie(signedIn->cookieValue)).error().code(), ErrorCode::NotFound);
}

TEST_F(AuthenticatorTest, ExpiredAndRevokedTokensSignNobodyIn)
{
    Authenticator auth(*m_store, m_clock, {});
    const QString expiring = randomToken();
    const QString revoked = randomToken();
    ASSERT_TRUE(m_store->saveApiToken({.idHash = tokenDigest(expiring), .name = QStringLiteral("portal"),
                                       .user = QStringLiteral("alice"), .expiresAt = m_clock.now().addDays(1)},
                                      QStringLiteral("test")));
    ASSERT_TRUE(m_store->saveApiToken({.idHash = tokenDigest(revoked), .name = QStringLiteral("ci"),
                                       .user = QStringLiteral("alice")},
                                      QStringLiteral("test")));
    const auto bearer = [](const QString &token) {
        HttpRequest request;
        request.method = "GET";
        request.headers.insert("authorization", "Bearer " + token.toLatin1());
        return request;
    };
    EXPECT_TRUE(auth.authenticate(bearer(expiring)).has_value());
    EXPECT_TRUE(auth.authenticate(bearer(revoked)).has_value());
    ASSERT_TRUE(m_store->revokeApiToken(tokenDigest(revoked).left(store::kApiTokenIdLength), QStringLiteral("test")));
    EXPECT_EQ(auth.authenticate(bearer(revoked)).error().code(), ErrorCode::NotFound);
    m_clock.advance(24h);
    EXPECT_EQ(auth.authenticate(bearer(expiring)).error().code(), ErrorCode::NotFound);
}

TEST_F(AuthenticatorTest, BehindATlsProxyTheCookieIsSecureAndHostPrefixed)
{
    Authenticator plain(*m_store, m_clock, {});
    EXPECT_EQ(plain.sessionCookie(QStringLiteral("v")), QByteArray("clerk_session=v; Path=/; HttpOnly; SameSite=Strict"));
    Authenticator auth(*m_store, m_clock, {.secureCookies = true, .hostPrefixedCookie = true});
    EXPECT_EQ(auth.sessionCookie(QStringLiteral("v")),
              QByteArray("__Host-clerk_session=v; Path=/; HttpOnly; SameSite=Strict; Secure"));
    EXPECT_TRUE(auth.clearedCookie().startsWith("__Host-clerk_session=;"));
    auto signedIn = auth.signIn(QStringLiteral("alice"), QStringLiteral("correct horse battery"), {});
    ASSERT_TRUE(signedIn.has_value());
    HttpRequest request;
    request.method = "GET";
    request.headers.insert("cookie", "__Host-clerk_session=" + signedIn->cookieValue.toLatin1());
    EXPECT_TRUE(auth.authenticate(request).has_value());
    // The unprefixed name is not read: a cookie planted by a sibling host cannot pose as it.
    EXPECT_EQ(auth.authenticate(withCookie(signedIn->cookieValue)).error().code(), ErrorCode::NotFound);
}

TEST_F(AuthenticatorTest, TrustedHeaderNamesALocalUserAndGetsASessionForCsrf)
{
    Authenticator auth(*m_store, m_clock, {.trustedUserHeader = "x-remote-user"});
    HttpRequest request;
    request.method = "GET";
    // From a peer that is not a trusted proxy the header names nobody.
    request.headers.insert("x-remote-user", "alice");
    EXPECT_EQ(auth.authenticate(request).error().code(), ErrorCode::NotFound);
    request.headers.remove("x-remote-user");
    request.fromTrustedProxy = true;
    EXPECT_EQ(auth.authenticate(request).error().code(), ErrorCode::NotFound);
    request.headers.insert("x-remote-user", "mallory");
    EXPECT_EQ(auth.authenticate(request).error().code(), ErrorCode::NotFound);
    request.headers.insert("x-remote-user", "alice");
    auto principal = auth.authenticate(request);
    ASSERT_TRUE(principal.has_value());
    EXPECT_EQ(principal->via, Principal::Via::TrustedHeader);
    EXPECT_FALSE(auth.csrfOk(*principal, request));
    auto cookie = auth.ensureSession(*principal, request);
    ASSERT_TRUE(cookie.has_value());
    ASSERT_FALSE(cookie->isEmpty());

    HttpRequest post = withCookie(*cookie);
    post.method = "POST";
    post.fromTrustedProxy = true;
    post.headers.insert("x-remote-user", "alice");
    post.headers.insert("x-csrf-token", principal->csrfToken.toLatin1());
    auto again = auth.authenticate(post);
    ASSERT_TRUE(again.has_value());
    EXPECT_TRUE(auth.csrfOk(*again, post));
    // Another user's header with alice's cookie gets no CSRF token from it.
    ASSERT_TRUE(m_store->saveUser({.name = QStringLiteral("bob"), .team = QStringLiteral("housing")}, QStringLiteral("t")));
    post.headers.insert("x-remote-user", "bob");
    auto bob = auth.authenticate(post);
    ASSERT_TRUE(bob.has_value());
    EXPECT_FALSE(auth.csrfOk(*bob, post));
}

int g_headerWarnings = 0;
QtMessageHandler g_previousHandler = nullptr;

void countHeaderWarnings(QtMsgType type, const QMessageLogContext &context, const QString &message)
{
    if (type == QtWarningMsg && message.contains(QLatin1String("trusted user header")))
        ++g_headerWarnings;
    else if (g_previousHandler)
        g_previousHandler(type, context, message);
}

using ApiServerTest = AuthenticatorTest;

TEST_F(ApiServerTest, TheTrustedHeaderFromAnyoneButAProxyIs401AndWarnedOnceAMinute)
{
    ServerOptions options;
    options.auth.trustedUserHeader = "x-remote-user";
    options.trustedProxies = {QHostAddress::parseSubnet(QStringLiteral("10.0.0.0/8"))};
    ApiServer server(*m_store, m_clock, options, {});
    HttpRequest request;
    request.method = "GET";
    request.path = QStringLiteral("/api/v1/session");
    request.segments = {QStringLiteral("api"), QStringLiteral("v1"), QStringLiteral("session")};
    request.headers.insert("x-remote-user", "alice");
    request.address = QStringLiteral("192.0.2.7");

    g_headerWarnings = 0;
    g_previousHandler = qInstallMessageHandler(countHeaderWarnings);
    for (int i = 0; i < 5; ++i)
        EXPECT_EQ(server.respond(request).status, 401) << i;
    m_clock.advance(61s);
    EXPECT_EQ(server.respond(request).status, 401);
    qInstallMessageHandler(g_previousHandler);
    EXPECT_EQ(g_headerWarnings, 2);

    request.fromTrustedProxy = true;
    request.address = QStringLiteral("10.1.2.3");
    const HttpResponse signedIn = server.respond(request);
    EXPECT_EQ(signedIn.status, 200);
    EXPECT_TRUE(signedIn.body.contains("\"alice\""));
}

TEST(ClientAddressTest, ForwardedForIsBelievedOnlyFromTrustedProxies)
{
    const QList<Subnet> proxies = {QHostAddress::parseSubnet(QStringLiteral("10.0.0.0/8")),
                                   QHostAddress::parseSubnet(QStringLiteral("::1/128"))};
    struct Case {
        const char *peer;
        QByteArray forwardedFor;
        const char *client;
        bool trusted;
    };
    const Case cases[] = {
        {"192.0.2.7", "", "192.0.2.7", false},
        {"192.0.2.7", "198.51.100.1", "192.0.2.7", false},           // not a proxy: ignored
        {"10.0.0.2", "", "10.0.0.2", true},
        {"10.0.0.2", "198.51.100.1", "198.51.100.1", true},
        {"10.0.0.2", "6.6.6.6, 198.51.100.1", "198.51.100.1", true},  // the left one is the client's own claim
        {"10.0.0.2", "198.51.100.1, 10.0.0.9", "198.51.100.1", true}, // two proxies deep
        {"10.0.0.2", "10.0.0.8, 10.0.0.9", "10.0.0.8", true},         // proxies all the way
        {"10.0.0.2", "198.51.100.1, garbage", "10.0.0.2", true},      // unreadable: the proxy stands
        {"10.0.0.2", "198.51.100.1:4711", "198.51.100.1", true},
        {"10.0.0.2", "[2001:db8::5]:443", "2001:db8::5", true},
        {"::ffff:10.0.0.2", "198.51.100.1", "198.51.100.1", true},    // IPv4-mapped peer
        {"::1", "2001:db8::5", "2001:db8::5", true},
    };
    for (const Case &c : cases) {
        bool trusted = !c.trusted;
        EXPECT_EQ(clientAddressOf(QHostAddress(QString::fromLatin1(c.peer)), c.forwardedFor, proxies, &trusted),
                  QString::fromLatin1(c.client))
            << c.peer << " " << c.forwardedFor.constData();
        EXPECT_EQ(trusted, c.trusted) << c.peer;
    }
}

QStringList g_serverLines;

void keepServerLines(QtMsgType, const QMessageLogContext &context, const QString &message)
{
    if (QLatin1String(context.category) == QLatin1String("clerk.server"))
        g_serverLines.append(message);
}

TEST_F(ApiServerTest, AClientChosenPathCannotForgeALogLine)
{
    ApiServer server(*m_store, m_clock, ServerOptions{}, {});
    HttpRequest request;
    request.method = "POST";
    request.path = QStringLiteral("/x\n<6>clerk.server: POST /api/v1/session 200\x1b[2J") + QString(500, u'a');
    request.segments = request.path.split(u'/', Qt::SkipEmptyParts);
    request.address = QStringLiteral("192.0.2.7");
    g_serverLines.clear();
    const QtMessageHandler previous = qInstallMessageHandler(keepServerLines);
    QLoggingCategory::setFilterRules(QStringLiteral("clerk.server.info=true"));
    EXPECT_EQ(server.respond(request).status, 404);
    qInstallMessageHandler(previous);
    ASSERT_EQ(g_serverLines.size(), 1);
    const QString line = g_serverLines.first();
    EXPECT_FALSE(line.contains(u'\n')) << line.toStdString();
    EXPECT_FALSE(line.contains(QChar(0x1b))) << line.toStdString();
    EXPECT_TRUE(line.contains(QStringLiteral("/x\\x0a<6>"))) << line.toStdString();
    EXPECT_LT(line.size(), 300);
}

} // namespace
} // namespace clerk::server
