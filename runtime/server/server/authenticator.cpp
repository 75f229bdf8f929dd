#include "server/authenticator.h"

#include "server/password.h"

namespace clerk::server {

Authenticator::Authenticator(store::WorkStore &store, const Clock &clock, AuthOptions options)
    : m_store(store), m_clock(clock), m_options(std::move(options))
{
}

Result<SignedIn> Authenticator::signIn(const QString &name, const QString &password, const QString &address,
                                       std::chrono::seconds *retryAfter)
{
    const QDateTime now = m_clock.now();
    auto failures = m_store.failedSignIns(name, address, now.addMSecs(-m_options.failureWindow.count()));
    if (!failures)
        return fail(failures.error());
    if (*failures >= m_options.maxFailures) {
        if (retryAfter)
            *retryAfter = std::chrono::duration_cast<std::chrono::seconds>(m_options.failureWindow);
        if (auto recorded = m_store.recordSignIn(name, address, false); !recorded)
            return fail(recorded.error());
        return fail(Error::unavailable(QStringLiteral("too many failed sign-ins: try again later")));
    }
    const Error wrong = Error::permissionDenied(QStringLiteral("wrong name or password"));
    auto account = m_store.user(name);
    bool matches = false;
    if (account) {
        matches = !account->disabled && verifyPassword(account->passwordHash, password);
    } else if (account.error().code() == ErrorCode::NotFound) {
        // The same work for an unknown name, so timing does not tell which names exist.
        static const QString decoy = hashPassword(QStringLiteral("decoy-password-never-used")).value_or(QString());
        (void)verifyPassword(decoy, password);
    } else {
        return fail(account.error());
    }
    if (auto recorded = m_store.recordSignIn(name, address, matches); !recorded)
        return fail(recorded.error());
    if (!matches)
        return fail(wrong);

    SignedIn signedIn{*account, randomToken(), randomToken()};
    const store::WebSession session{.idHash = tokenDigest(signedIn.cookieValue),
                                    .user = account->name,
                                    .csrfToken = signedIn.csrfToken,
                                    .address = address,
                                    .createdAt = now,
                                    .lastSeenAt = now};
    if (auto saved = m_store.saveSession(session); !saved)
        return fail(saved.error());
    return signedIn;
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
        return principalFor(token->user, Principal::Via::ApiToken);
    }

    const QString cookie = request.cookie(QLatin1String(kCookieName));
    std::optional<store::WebSession> session;
    if (!cookie.isEmpty()) {
        auto found = m_store.session(tokenDigest(cookie));
        if (found) {
            const QDateTime now = m_clock.now();
            if (found->lastSeenAt.msecsTo(now) > m_options.idleTimeout.count()) {
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

QByteArray Authenticator::sessionCookie(const QString &value) const
{
    QByteArray cookie = QByteArray(kCookieName) + '=' + value.toLatin1() + "; Path=/; HttpOnly; SameSite=Strict";
    if (m_options.secureCookies)
        cookie += "; Secure";
    return cookie;
}

QByteArray Authenticator::clearedCookie() const
{
    QByteArray cookie = QByteArray(kCookieName) + "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0";
    if (m_options.secureCookies)
        cookie += "; Secure";
    return cookie;
}

} // namespace clerk::server
