// Authenticator: who is making a request, and whether they may change anything.
//
// Three ways in (docs/api.md):
//  - a session cookie from signIn(): the store keeps the digest of the cookie's value, the
//    session's CSRF token and when it was last used; a session unused for `idleTimeout`
//    is ended;
//  - an API token ("Authorization: Bearer ..."), for machine clients: no CSRF token needed,
//    since a browser never sends one by itself;
//  - a trusted header set by a single sign-on proxy in front (`trustedUserHeader`), naming
//    a local user; a session is then opened on first sight, for its CSRF token.
// Guessing is slowed: after `maxFailures` failed sign-ins within `failureWindow` for one
// name or from one address, signIn() refuses without checking the password.
//
// Thread-safety: one object per thread (it uses the caller's store).
#pragma once

#include "core/clock.h"
#include "core/error.h"
#include "server/http_message.h"
#include "store/work_store.h"

#include <chrono>

namespace clerk::server {

struct AuthOptions {
    std::chrono::milliseconds idleTimeout{30 * 60 * 1000};
    QByteArray trustedUserHeader{};  // lower case; empty: trusted-header mode off
    int maxFailures = 5;
    std::chrono::milliseconds failureWindow{15 * 60 * 1000};
    bool secureCookies = false;      // under TLS
};

struct Principal {
    enum class Via { Session, ApiToken, TrustedHeader };
    store::UserAccount user{};
    Via via = Via::Session;
    QString sessionHash{};  // Session and TrustedHeader
    QString csrfToken{};    // Session and TrustedHeader

    bool isAdmin() const { return user.role == store::Role::Admin; }
    // Whether the person may see and act on `team`'s items.
    bool mayActFor(const QString &team) const { return isAdmin() || user.team == team; }
};

struct SignedIn {
    store::UserAccount user{};
    QString cookieValue{};
    QString csrfToken{};
};

// Why signIn() refused.
enum class SignInRefusal { WrongNameOrPassword, SlowedDown };

class Authenticator {
public:
    static constexpr const char *kCookieName = "clerk_session";

    Authenticator(store::WorkStore &store, const Clock &clock, AuthOptions options);

    // Checks the password and opens a session. PermissionDenied for a wrong name or
    // password (the same message for both), Unavailable when slowed down (retryAfter set).
    Result<SignedIn> signIn(const QString &name, const QString &password, const QString &address,
                            std::chrono::seconds *retryAfter = nullptr);
    // The signed-in person behind `request`. NotFound: nobody (no or unknown cookie or token,
    // session ended); PermissionDenied: an account that is disabled.
    Result<Principal> authenticate(const HttpRequest &request);
    // In trusted-header mode: a session for the header's user, made when missing, so the
    // page can get its CSRF token. Returns the cookie value to set (empty: none needed).
    Result<QString> ensureSession(Principal &principal, const HttpRequest &request);
    // Whether a state-changing request carries the principal's CSRF token.
    bool csrfOk(const Principal &principal, const HttpRequest &request) const;
    Status signOut(const Principal &principal);

    // Set-Cookie values that set and clear the session cookie.
    QByteArray sessionCookie(const QString &value) const;
    QByteArray clearedCookie() const;

    const AuthOptions &options() const { return m_options; }

private:
    Result<Principal> principalFor(const QString &userName, Principal::Via via);

    store::WorkStore &m_store;
    const Clock &m_clock;
    AuthOptions m_options;
};

} // namespace clerk::server
