// Password hashing and the Authenticator on a real SQLite store with a manual clock:
// Argon2id hashes, sessions ending when idle, slowing down guessing, CSRF checks, API
// tokens and the trusted header.
#include "server/authenticator.h"
#include "server/password.h"

#include <QTemporaryDir>
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

class AuthenticatorTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        auto opened = store::openWorkStore(m_dir.filePath(QStringLiteral("clerk.db")), m_clock);
        ASSERT_TRUE(opened.has_value());
        m_store = std::move(*opened);
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

    QTemporaryDir m_dir;
    ManualClock m_clock{QDateTime(QDate(2026, 11, 23), QTime(9, 0), Qt::UTC)};
    std::unique_ptr<store::WorkStore> m_store;
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
    Authenticator auth(*m_store, m_clock, {.maxFailures = 3, .failureWindow = 10min});
    for (int i = 0; i < 3; ++i) {
        EXPECT_EQ(auth.signIn(QStringLiteral("alice"), QStringLiteral("guess"), QStringLiteral("10.0.0.9")).error().code(),
                  ErrorCode::PermissionDenied);
    }
    std::chrono::seconds retryAfter{0};
    auto slowed = auth.signIn(QStringLiteral("alice"), QStringLiteral("correct horse battery"),
                              QStringLiteral("10.0.0.1"), &retryAfter);
    EXPECT_EQ(slowed.error().code(), ErrorCode::Unavailable);
    EXPECT_EQ(retryAfter, 600s);
    m_clock.advance(11min);
    ASSERT_TRUE(auth.signIn(QStringLiteral("alice"), QStringLiteral("correct horse battery"), {}).has_value());

    auto account = *m_store->user(QStringLiteral("alice"));
    account.disabled = true;
    ASSERT_TRUE(m_store->saveUser(account, QStringLiteral("test")));
    EXPECT_EQ(auth.signIn(QStringLiteral("alice"), QStringLiteral("correct horse battery"), {}).error().code(),
              ErrorCode::PermissionDenied);
}

TEST_F(AuthenticatorTest, TrustedHeaderNamesALocalUserAndGetsASessionForCsrf)
{
    Authenticator auth(*m_store, m_clock, {.trustedUserHeader = "x-remote-user"});
    HttpRequest request;
    request.method = "GET";
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

} // namespace
} // namespace clerk::server
