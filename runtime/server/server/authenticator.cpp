#include "server/authenticator.h"

#include "server/password.h"

#include <algorithm>

namespace clerk::server {

Authenticator::Authenticator(store::Accounts &store, const Clock &clock, AuthOptions options)
    : m_store(store), m_clock(clock), m_options(std::move(options))
{
}

bool checkSignInPassword(const SignInAttempt &attempt, const QString &password)
{
    if (attempt.passwordHash.isEmpty()) {
        // The same work for an unknown name, so timing does not tell which names exist.
        static const QString decoy = hashPassword(QStringLiteral("decoy-password-never-used")).value_or(QString());
        (void)verifyPassword(decoy, password);
        return false;
    }
    const bool matches = verifyPassword(attempt.passwordHash, password);
    return matches && attempt.account && !attempt.account->disabled;
}

Result<SignedIn> Authenticator::signIn(const QString &name, const QString &password, const QString &address,
                                       std::chrono::seconds *retryAfter)
{
    auto attempt = beginSignIn(name, password, address, retryAfter);
    if (!attempt)
        return fail(attempt.error());
    return finishSignIn(*attempt, checkSignInPassword(*attempt, password));
}

Result<SignInAttempt> Authenticator::beginSignIn(const QString &name, const QString &password,
                                                 const QString &address, std::chrono::seconds *retryAfter)
{
    // Checked before anything is read or written: a stranger's megabyte of "name" must not
    // reach the attempt log or the audit trail.
    if (name.size() > store::kMaxUserNameLength)
        return fail(Error::invalidArgument(
            QStringLiteral("a user name has at most %1 characters").arg(store::kMaxUserNameLength)));
    if (password.size() > kMaxPasswordLength)
        return fail(Error::invalidArgument(QStringLiteral("a password has at most %1 characters").arg(kMaxPasswordLength)));

    const QDateTime now = m_clock.now();
    const QDateTime windowStart = now.addMSecs(-m_options.failureWindow.count());
    auto failures = m_store.signInFailures(name, address, windowStart);
    if (!failures)
        return fail(failures.error());
    auto fromAddress = m_store.signInFailuresFrom(address, windowStart);
    if (!fromAddress)
        return fail(fromAddress.error());
    // 1, 2, 4, 8... times the first delay after the last failure, at most the window.
    const auto allowedAt = [&](const store::SignInFailures &counted, int allowed) {
        if (counted.count < allowed || !counted.lastAt.isValid())
            return now;
        const qint64 doublings = std::min<qint64>(counted.count - allowed, 30);
        const qint64 delayMs = std::min<qint64>(m_options.failureWindow.count(),
                                                m_options.firstDelay.count() * (qint64(1) << doublings));
        return counted.lastAt.addMSecs(delayMs);
    };
    const QDateTime waitUntil =
        std::max(allowedAt(*failures, m_options.maxFailures), allowedAt(*fromAddress, m_options.maxFailuresPerAddress));
    if (now < waitUntil) {
        // Not recorded: a refused attempt neither extends the wait nor fills the log.
        if (retryAfter)
            *retryAfter = std::chrono::seconds((now.msecsTo(waitUntil) + 999) / 1000);
        return fail(Error::unavailable(QStringLiteral("too many failed sign-ins: try again later")));
    }
    SignInAttempt attempt{.name = name, .address = address, .windowStart = windowStart};
    auto account = m_store.user(name);
    if (account) {
        attempt.account = *account;
        attempt.passwordHash = account->passwordHash;
    } else if (account.error().code() != ErrorCode::NotFound) {
        return fail(account.error());
    }
    return attempt;
}

Result<SignedIn> Authenticator::finishSignIn(const SignInAttempt &attempt, bool passwordMatches)
{
    const bool matches = passwordMatches && attempt.account && !attempt.account->disabled;
    if (auto recorded = m_store.recordSignIn(attempt.name, attempt.address, matches, attempt.windowStart); !recorded)
        return fail(recorded.error());
    if (!matches)
        return fail(Error::permissionDenied(QStringLiteral("wrong name or password")));

    const QDateTime now = m_clock.now();
    pruneSessions(now);
    SignedIn signedIn{*attempt.account, randomToken(), randomToken()};
    const store::WebSession session{.idHash = tokenDigest(signedIn.cookieValue),
                                    .user = attempt.account->name,
                                    .csrfToken = signedIn.csrfToken,
                                    .address = attempt.address,
                                    .createdAt = now,
                                    .lastSeenAt = now};
    if (auto saved = m_store.saveSession(session); !saved)
        return fail(saved.error());
    return signedIn;
}

void Authenticator::pruneSessions(const QDateTime &now)
{
    // Best effort: a session left over is ended when next presented anyway.
    (void)m_store.pruneSessions(now.addMSecs(-m_options.idleTimeout.count()),
                                now.addMSecs(-m_options.sessionLifetime.count()));
}

Result<Principal> Authenticator::principalFor(const QString &userName, Principal::Via via)
{
    auto account = m_store.user(userName);
    if (!account)
        return fail(account.error());
    if (account->disabled)
        return fail(Error::permissionDenied(QStringLiteral("this account is disabled")));
    Principal principal;
    principal.user = *account;
    principal.via = via;
    return principal;
}

Result<Principal> Authenticator::authenticate(const HttpRequest &request)
{
    const QByteArray authorization = request.header("authorization");
    if (authorization.startsWith("Bearer ")) {
        auto token = m_store.apiToken(tokenDigest(QString::fromLatin1(authorization.mid(7).trimmed())));
        if (!token)
            return fail(token.error());
        if (!token->usableAt(m_clock.now()))
            return fail(Error::notFound(QStringLiteral("the API token has expired or been revoked")));
        return principalFor(token->user, Principal::Via::ApiToken);
    }

    const QString cookie = request.cookie(QString::fromLatin1(cookieName()));
    std::optional<store::WebSession> session;
    if (!cookie.isEmpty()) {
        auto found = m_store.session(tokenDigest(cookie));
        if (found) {
            const QDateTime now = m_clock.now();
            if (found->lastSeenAt.msecsTo(now) > m_options.idleTimeout.count()
                || found->createdAt.msecsTo(now) > m_options.sessionLifetime.count()) {
                (void)m_store.deleteSession(found->idHash);
            } else {
                // Written at most once a minute: a busy page does not write on every request.
                if (found->lastSeenAt.msecsTo(now) > 60'000)
                    (void)m_store.touchSession(found->idHash, now);
                session = *found;
            }
        } else if (found.error().code() != ErrorCode::NotFound) {
            return fail(found.error());
        }
    }

    if (!m_options.trustedUserHeader.isEmpty()) {
        // Anyone can send the header; only a proxy we trust has checked who sends it.
        if (!request.fromTrustedProxy)
            return fail(Error::notFound(QStringLiteral("not signed in")));
        const QString userName = QString::fromUtf8(request.header(m_options.trustedUserHeader)).trimmed();
        if (userName.isEmpty())
            return fail(Error::notFound(QStringLiteral("not signed in")));
        auto principal = principalFor(userName, Principal::Via::TrustedHeader);
        if (!principal)
            return principal;
        if (session && session->user == userName) {
            principal->sessionHash = session->idHash;
            principal->csrfToken = session->csrfToken;
        }
        return principal;
    }

    if (!session)
        return fail(Error::notFound(QStringLiteral("not signed in")));
    auto principal = principalFor(session->user, Principal::Via::Session);
    if (!principal)
        return principal;
    principal->sessionHash = session->idHash;
    principal->csrfToken = session->csrfToken;
    return principal;
}

Result<QString> Authenticator::ensureSession(Principal &principal, const HttpRequest &request)
{
    if (principal.via != Principal::Via::TrustedHeader || !principal.sessionHash.isEmpty())
        return QString();
    const QString value = randomToken();
    const QDateTime now = m_clock.now();
    const store::WebSession session{.idHash = tokenDigest(value),
                                    .user = principal.user.name,
                                    .csrfToken = randomToken(),
                                    .address = request.address,
                                    .createdAt = now,
                                    .lastSeenAt = now};
    pruneSessions(now);
    if (auto saved = m_store.saveSession(session); !saved)
        return fail(saved.error());
    principal.sessionHash = session.idHash;
    principal.csrfToken = session.csrfToken;
    return value;
}

bool Authenticator::csrfOk(const Principal &principal, const HttpRequest &request) const
{
    if (principal.via == Principal::Via::ApiToken)
        return true;
    if (principal.csrfToken.isEmpty())
        return false;
    return constantTimeEquals(request.header("x-csrf-token"), principal.csrfToken.toLatin1());
}

Status Authenticator::signOut(const Principal &principal)
{
    if (principal.sessionHash.isEmpty())
        return {};
    return m_store.deleteSession(principal.sessionHash);
}

QByteArray Authenticator::cookieName() const
{
    return m_options.hostPrefixedCookie ? QByteArray(kHostCookieName) : QByteArray(kCookieName);
}

QByteArray Authenticator::sessionCookie(const QString &value) const
{
    // A __Host- cookie is accepted by browsers only with Secure and Path=/ and no Domain.
    QByteArray cookie = cookieName() + '=' + value.toLatin1() + "; Path=/; HttpOnly; SameSite=Strict";
    if (m_options.secureCookies || m_options.hostPrefixedCookie)
        cookie += "; Secure";
    return cookie;
}

QByteArray Authenticator::clearedCookie() const
{
    QByteArray cookie = cookieName() + "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0";
    if (m_options.secureCookies || m_options.hostPrefixedCookie)
        cookie += "; Secure";
    return cookie;
}

} // namespace clerk::server
