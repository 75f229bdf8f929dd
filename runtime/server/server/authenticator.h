// Authenticator: who is making a request, and whether they may change anything.
//
// Three ways in (docs/api.md):
//  - a session cookie from signIn(): the store keeps the digest of the cookie's value, the
//    session's CSRF token and when it was opened and last used; a session unused for
//    `idleTimeout`, or opened more than `sessionLifetime` ago, is ended;
//  - an API token ("Authorization: Bearer ..."), for machine clients: no CSRF token needed,
//    since a browser never sends one by itself; an expired or revoked token signs nobody in;
//  - a trusted header set by a single sign-on proxy in front (`trustedUserHeader`), naming
//    a local user, honoured only on requests whose TCP peer is a trusted proxy
//    (HttpRequest::fromTrustedProxy); a session is then opened on first sight, for its
//    CSRF token.
// Guessing is slowed per name and address pair: after `maxFailures` failed sign-ins of one
// name from one address within `failureWindow`, each further attempt must wait
// `firstDelay`, doubling with each further failure (at most `failureWindow`). Attempts
// refused while waiting are not recorded, so they do not extend the wait, and failures
// from one address never slow down the same name from another: a stranger cannot lock a
// person out. An address that fails `maxFailuresPerAddress` times within the window,
// whatever the names, waits the same way: trying many names from one place fills nothing.
// Names, passwords and what is written are bounded (kMaxUserNameLength,
// kMaxPasswordLength); attempts older than the window and ended sessions are pruned.
//
// Thread-safety: one object per thread (it uses the caller's store).
#pragma once

#include "core/clock.h"
#include "core/error.h"
#include "server/http_message.h"
#include "store/accounts.h"

#include <chrono>
#include <optional>

namespace clerk::server {

struct AuthOptions {
    std::chrono::milliseconds idleTimeout{30 * 60 * 1000};
    std::chrono::milliseconds sessionLifetime{12 * 3600 * 1000};  // however busy, a session ends then
    QByteArray trustedUserHeader{};  // lower case; empty: trusted-header mode off
    int maxFailures = 5;             // failures of one name from one address before waits begin
    std::chrono::milliseconds failureWindow{15 * 60 * 1000};
    int maxFailuresPerAddress = 50;  // failures from one address, any names, before its waits begin
    std::chrono::milliseconds firstDelay{1000};  // the first wait; doubles with each failure
    bool secureCookies = false;      // under TLS, or behind a TLS proxy (--public-url https://...)
    bool hostPrefixedCookie = false; // name the cookie "__Host-clerk_session" (implies Secure)
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

// A sign-in between its two halves (Authenticator::beginSignIn and finishSignIn): what was
// read before the password is checked.
struct SignInAttempt {
    QString name{};
    QString address{};
    std::optional<store::UserAccount> account{};  // nullopt: no such name
    // What the password is checked against: the account's hash, or empty for an unknown
    // name (checkSignInPassword then checks a decoy, so timing does not tell names apart).
    QString passwordHash{};
    QDateTime windowStart{};
};

// Whether `password` matches `attempt.passwordHash` (Argon2: tens of milliseconds and
// 19 MiB). Always false for an unknown name or a disabled account, after the same work.
// Thread-safety: any thread; uses nothing but its arguments.
bool checkSignInPassword(const SignInAttempt &attempt, const QString &password);

class Authenticator {
public:
    static constexpr const char *kCookieName = "clerk_session";
    static constexpr const char *kHostCookieName = "__Host-clerk_session";

    Authenticator(store::Accounts &store, const Clock &clock, AuthOptions options);

    // Checks the password and opens a session. InvalidArgument for a name longer than
    // store::kMaxUserNameLength or a password longer than kMaxPasswordLength (nothing is
    // written); PermissionDenied for a wrong name or password (the same message for both);
    // Unavailable when slowed down (retryAfter set, at least 1s; nothing is written).
    Result<SignedIn> signIn(const QString &name, const QString &password, const QString &address,
                            std::chrono::seconds *retryAfter = nullptr);
    // signIn() in three parts, so the slow check can run on another thread while the store
    // is used on this one: beginSignIn() (bounds, throttling and the account: the errors of
    // signIn(), nothing written), checkSignInPassword() on any thread, then finishSignIn()
    // with its result (records the attempt; PermissionDenied or a new session).
    Result<SignInAttempt> beginSignIn(const QString &name, const QString &password, const QString &address,
                                      std::chrono::seconds *retryAfter = nullptr);
    Result<SignedIn> finishSignIn(const SignInAttempt &attempt, bool passwordMatches);
    // The signed-in person behind `request`. NotFound: nobody (no or unknown cookie or token,
    // session ended, token expired or revoked, a trusted header from a peer that is not a
    // trusted proxy); PermissionDenied: an account that is disabled.
    Result<Principal> authenticate(const HttpRequest &request);
    // In trusted-header mode: a session for the header's user, made when missing, so the
    // page can get its CSRF token. Returns the cookie value to set (empty: none needed).
    Result<QString> ensureSession(Principal &principal, const HttpRequest &request);
    // Whether a state-changing request carries the principal's CSRF token.
    bool csrfOk(const Principal &principal, const HttpRequest &request) const;
    Status signOut(const Principal &principal);

    // The session cookie's name: kHostCookieName with AuthOptions::hostPrefixedCookie.
    QByteArray cookieName() const;
    // Set-Cookie values that set and clear the session cookie.
    QByteArray sessionCookie(const QString &value) const;
    QByteArray clearedCookie() const;

    const AuthOptions &options() const { return m_options; }

private:
    Result<Principal> principalFor(const QString &userName, Principal::Via via);
    // Drops sessions that have ended, so the table holds live ones only.
    void pruneSessions(const QDateTime &now);

    store::Accounts &m_store;
    const Clock &m_clock;
    AuthOptions m_options;
};

} // namespace clerk::server
