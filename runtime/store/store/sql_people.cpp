// SqlWorkStore's accounts, sessions, API tokens and sign-in attempts (see work_store.h).
#include "store/sql_work_store_p.h"

#include "store/sql_rows_p.h"

#include <QJsonObject>

#include <algorithm>

namespace clerk::store {

namespace {

const QString kUserColumns =
    QStringLiteral("name, team, role, password_hash, disabled, created_at, password_changed_at");

UserAccount userFrom(const QSqlQuery &query)
{
    UserAccount account;
    account.name = query.value(0).toString();
    account.team = query.value(1).toString();
    account.role = roleFromString(query.value(2).toString()).value_or(Role::Operator);
    account.passwordHash = query.value(3).toString();
    account.disabled = query.value(4).toInt() != 0;
    account.createdAt = timeFrom(query.value(5));
    account.passwordChangedAt = timeFrom(query.value(6));
    return account;
}

} // namespace

Status SqlWorkStore::saveUser(const UserAccount &account, const QString &actor)
{
    if (account.name.trimmed().isEmpty() || account.name != account.name.trimmed())
        return fail(Error::invalidArgument(QStringLiteral("a user needs a name without spaces around it")));
    if (account.name.size() > kMaxUserNameLength)
        return fail(Error::invalidArgument(QStringLiteral("a user name has at most %1 characters").arg(kMaxUserNameLength)));
    if (account.team.isEmpty())
        return fail(Error::invalidArgument(QStringLiteral("user %1 needs a team").arg(account.name)));
    return inWriteTransaction([&]() -> Status {
        auto existing = run(QStringLiteral("SELECT password_hash FROM users WHERE name = ?") + rowLock(), {account.name});
        if (!existing)
            return fail(existing.error());
        const bool known = existing->next();
        const bool passwordChanged = !known || existing->value(0).toString() != account.passwordHash;
        existing->finish();
        const qint64 now = m_clock.nowMs();
        Result<QSqlQuery> stored = known
            ? run(QStringLiteral("UPDATE users SET team = ?, role = ?, password_hash = ?, disabled = ?,"
                                 " password_changed_at = CASE WHEN ? = 1 THEN ? ELSE password_changed_at END"
                                 " WHERE name = ?"),
                  {account.team, toString(account.role), account.passwordHash, account.disabled ? 1 : 0,
                   passwordChanged ? 1 : 0, now, account.name})
            : run(QStringLiteral("INSERT INTO users (name, team, role, password_hash, disabled, created_at,"
                                 " password_changed_at) VALUES (?, ?, ?, ?, ?, ?, ?)"),
                  {account.name, account.team, toString(account.role), account.passwordHash, account.disabled ? 1 : 0,
                   now, now});
        if (!stored)
            return fail(stored.error());
        return appendEvent(0, QString(), known ? QStringLiteral("user_changed") : QStringLiteral("user_added"), actor,
                           {{QStringLiteral("user"), account.name},
                            {QStringLiteral("team"), account.team},
                            {QStringLiteral("role"), toString(account.role)},
                            {QStringLiteral("disabled"), account.disabled},
                            {QStringLiteral("password_changed"), known && passwordChanged}});
    });
}

Result<UserAccount> SqlWorkStore::user(const QString &name)
{
    auto query = run(QStringLiteral("SELECT ") + kUserColumns + QStringLiteral(" FROM users WHERE name = ?"), {name});
    if (!query)
        return fail(query.error());
    if (!query->next())
        return fail(Error::notFound(QStringLiteral("there is no user %1").arg(name)));
    UserAccount account = userFrom(*query);
    query->finish();
    return account;
}

Result<QList<UserAccount>> SqlWorkStore::users()
{
    auto query = run(QStringLiteral("SELECT ") + kUserColumns + QStringLiteral(" FROM users ORDER BY name"), {});
    if (!query)
        return fail(query.error());
    QList<UserAccount> found;
    while (query->next())
        found.append(userFrom(*query));
    return found;
}

Status SqlWorkStore::saveSession(const WebSession &session)
{
    return inWriteTransaction([&]() -> Status {
        auto stored = run(QStringLiteral("INSERT INTO web_sessions (id_hash, user_name, csrf_token, address, created_at,"
                                         " last_seen_at) VALUES (?, ?, ?, ?, ?, ?)"),
                          {session.idHash, session.user, session.csrfToken, session.address,
                           msOrNull(session.createdAt), msOrNull(session.lastSeenAt)});
        if (!stored)
            return fail(stored.error());
        auto capped = run(QStringLiteral("DELETE FROM web_sessions WHERE user_name = ? AND id_hash NOT IN"
                                         " (SELECT id_hash FROM web_sessions WHERE user_name = ?"
                                         " ORDER BY created_at DESC, last_seen_at DESC LIMIT ?)"),
                          {session.user, session.user, kMaxSessionsPerUser});
        if (!capped)
            return fail(capped.error());
        return {};
    });
}

Result<WebSession> SqlWorkStore::session(const QString &idHash)
{
    auto query = run(QStringLiteral("SELECT id_hash, user_name, csrf_token, address, created_at, last_seen_at"
                                    " FROM web_sessions WHERE id_hash = ?"),
                     {idHash});
    if (!query)
        return fail(query.error());
    if (!query->next())
        return fail(Error::notFound(QStringLiteral("no such session")));
    WebSession found;
    found.idHash = query->value(0).toString();
    found.user = query->value(1).toString();
    found.csrfToken = query->value(2).toString();
    found.address = query->value(3).toString();
    found.createdAt = timeFrom(query->value(4));
    found.lastSeenAt = timeFrom(query->value(5));
    query->finish();
    return found;
}

Status SqlWorkStore::touchSession(const QString &idHash, QDateTime lastSeenAt)
{
    auto touched = run(QStringLiteral("UPDATE web_sessions SET last_seen_at = ? WHERE id_hash = ?"),
                       {msOrNull(lastSeenAt), idHash});
    if (!touched)
        return fail(touched.error());
    return {};
}

Status SqlWorkStore::deleteSession(const QString &idHash)
{
    auto deleted = run(QStringLiteral("DELETE FROM web_sessions WHERE id_hash = ?"), {idHash});
    if (!deleted)
        return fail(deleted.error());
    return {};
}

Status SqlWorkStore::deleteSessionsOf(const QString &userName)
{
    auto deleted = run(QStringLiteral("DELETE FROM web_sessions WHERE user_name = ?"), {userName});
    if (!deleted)
        return fail(deleted.error());
    return {};
}

Status SqlWorkStore::pruneSessions(QDateTime idleBefore, QDateTime openedBefore)
{
    auto deleted = run(QStringLiteral("DELETE FROM web_sessions WHERE last_seen_at < ? OR created_at < ?"),
                       {idleBefore.toMSecsSinceEpoch(), openedBefore.toMSecsSinceEpoch()});
    if (!deleted)
        return fail(deleted.error());
    return {};
}

namespace {

const QString kTokenColumns = QStringLiteral("id_hash, name, user_name, created_at, expires_at, revoked_at");

ApiToken tokenFrom(const QSqlQuery &query)
{
    ApiToken token;
    token.idHash = query.value(0).toString();
    token.name = query.value(1).toString();
    token.user = query.value(2).toString();
    token.createdAt = timeFrom(query.value(3));
    token.expiresAt = timeFrom(query.value(4));
    token.revokedAt = timeFrom(query.value(5));
    return token;
}

} // namespace

Status SqlWorkStore::saveApiToken(const ApiToken &token, const QString &actor)
{
    if (token.idHash.isEmpty() || token.user.isEmpty())
        return fail(Error::invalidArgument(QStringLiteral("an API token needs its digest and the user it acts as")));
    return inWriteTransaction([&]() -> Status {
        auto stored = run(QStringLiteral("INSERT INTO api_tokens (id_hash, name, user_name, created_at, expires_at)"
                                         " VALUES (?, ?, ?, ?, ?)"),
                          {token.idHash, token.name, token.user, m_clock.nowMs(), msOrNull(token.expiresAt)});
        if (!stored)
            return fail(stored.error());
        QJsonObject detail{{QStringLiteral("user"), token.user},
                           {QStringLiteral("name"), token.name},
                           {QStringLiteral("token_id"), token.id()}};
        if (token.expiresAt.isValid())
            detail.insert(QStringLiteral("expires_at"), token.expiresAt.toString(Qt::ISODateWithMs));
        return appendEvent(0, QString(), QStringLiteral("api_token_added"), actor, detail);
    });
}

Result<ApiToken> SqlWorkStore::apiToken(const QString &idHash)
{
    auto query = run(QStringLiteral("SELECT ") + kTokenColumns + QStringLiteral(" FROM api_tokens WHERE id_hash = ?"),
                     {idHash});
    if (!query)
        return fail(query.error());
    if (!query->next())
        return fail(Error::notFound(QStringLiteral("no such API token")));
    ApiToken token = tokenFrom(*query);
    query->finish();
    return token;
}

Result<QList<ApiToken>> SqlWorkStore::apiTokensOf(const QString &user)
{
    auto query = run(QStringLiteral("SELECT ") + kTokenColumns
                         + QStringLiteral(" FROM api_tokens WHERE user_name = ? ORDER BY created_at, id_hash"),
                     {user});
    if (!query)
        return fail(query.error());
    QList<ApiToken> found;
    while (query->next())
        found.append(tokenFrom(*query));
    return found;
}

Status SqlWorkStore::revokeApiToken(const QString &tokenId, const QString &actor)
{
    const auto notFound = Error::notFound(QStringLiteral("there is no API token %1").arg(tokenId.left(kApiTokenIdLength)));
    if (tokenId.size() != kApiTokenIdLength)
        return fail(notFound);
    return inWriteTransaction([&]() -> Status {
        auto found = run(QStringLiteral("SELECT id_hash, user_name, name, revoked_at FROM api_tokens"
                                        " WHERE substr(id_hash, 1, 12) = ?")
                             + rowLock(),
                         {tokenId.toLower()});
        if (!found)
            return fail(found.error());
        if (!found->next())
            return fail(notFound);
        const QString idHash = found->value(0).toString();
        const QString user = found->value(1).toString();
        const QString name = found->value(2).toString();
        const bool revoked = !found->value(3).isNull();
        // Two digests sharing their first 48 bits is too unlikely to plan for, but then
        // revoking neither beats revoking the wrong one.
        if (found->next())
            return fail(Error::conflict(QStringLiteral("more than one token starts with %1").arg(tokenId)));
        found->finish();
        if (revoked)
            return {};
        auto updated = run(QStringLiteral("UPDATE api_tokens SET revoked_at = ? WHERE id_hash = ?"),
                           {m_clock.nowMs(), idHash});
        if (!updated)
            return fail(updated.error());
        return appendEvent(0, QString(), QStringLiteral("api_token_revoked"), actor,
                           {{QStringLiteral("user"), user},
                            {QStringLiteral("name"), name},
                            {QStringLiteral("token_id"), tokenId.toLower()}});
    });
}

Status SqlWorkStore::recordSignIn(const QString &userName, const QString &address, bool succeeded,
                                  QDateTime forgetBefore)
{
    if (userName.size() > kMaxUserNameLength)
        return fail(Error::invalidArgument(QStringLiteral("a user name has at most %1 characters").arg(kMaxUserNameLength)));
    return inWriteTransaction([&]() -> Status {
        auto stored = run(QStringLiteral("INSERT INTO sign_in_attempts (at, user_name, address, succeeded) VALUES (?, ?, ?, ?)"),
                          {m_clock.nowMs(), userName, address, succeeded ? 1 : 0});
        if (!stored)
            return fail(stored.error());
        // Old attempts no longer slow anyone down; a name and address pair keeps its latest
        // 50, more than the slowing down ever counts.
        auto forgotten = run(QStringLiteral("DELETE FROM sign_in_attempts WHERE at < ?"),
                             {forgetBefore.toMSecsSinceEpoch()});
        if (!forgotten)
            return fail(forgotten.error());
        auto capped = run(QStringLiteral("DELETE FROM sign_in_attempts WHERE user_name = ? AND address = ? AND id NOT IN"
                                         " (SELECT id FROM sign_in_attempts WHERE user_name = ? AND address = ?"
                                         " ORDER BY id DESC LIMIT 50)"),
                          {userName, address, userName, address});
        if (!capped)
            return fail(capped.error());
        const QString previous = m_auditAddress;
        m_auditAddress = address;
        auto logged = appendEvent(0, QString(), succeeded ? QStringLiteral("signed_in") : QStringLiteral("sign_in_failed"),
                                  userName, {});
        m_auditAddress = previous;
        return logged;
    });
}

namespace {

// The row of a "SELECT COUNT(*), MAX(at)" over failed sign-ins.
Result<SignInFailures> failuresCounted(Result<QSqlQuery> &query)
{
    if (!query)
        return fail(query.error());
    SignInFailures failures;
    if (query->next()) {
        failures.count = query->value(0).toLongLong();
        failures.lastAt = timeFrom(query->value(1));
    }
    query->finish();
    return failures;
}

} // namespace

Result<SignInFailures> SqlWorkStore::signInFailures(const QString &userName, const QString &address, QDateTime since)
{
    auto lastSuccess = run(QStringLiteral("SELECT MAX(at) FROM sign_in_attempts WHERE user_name = ? AND address = ?"
                                          " AND succeeded = 1"),
                           {userName, address});
    if (!lastSuccess)
        return fail(lastSuccess.error());
    qint64 from = since.toMSecsSinceEpoch();
    if (lastSuccess->next() && !lastSuccess->value(0).isNull())
        from = std::max(from, lastSuccess->value(0).toLongLong() + 1);
    lastSuccess->finish();
    auto query = run(QStringLiteral("SELECT COUNT(*), MAX(at) FROM sign_in_attempts WHERE user_name = ? AND address = ?"
                                    " AND succeeded = 0 AND at >= ?"),
                     {userName, address, from});
    return failuresCounted(query);
}

Result<SignInFailures> SqlWorkStore::signInFailuresFrom(const QString &address, QDateTime since)
{
    auto query = run(QStringLiteral("SELECT COUNT(*), MAX(at) FROM sign_in_attempts WHERE address = ? AND succeeded = 0"
                                    " AND at >= ?"),
                     {address, since.toMSecsSinceEpoch()});
    return failuresCounted(query);
}

} // namespace clerk::store
