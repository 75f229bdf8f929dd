// SqlWorkStore's accounts, sessions, API tokens and sign-in attempts (see work_store.h).
#include "store/sql_work_store_p.h"

namespace clerk::store {

namespace {

QVariant msOrNull(const QDateTime &time)
{
    return time.isValid() ? QVariant(time.toMSecsSinceEpoch()) : QVariant(QMetaType::fromType<qint64>());
}

QDateTime timeFrom(const QVariant &value)
{
    if (value.isNull())
        return {};
    return QDateTime::fromMSecsSinceEpoch(value.toLongLong(), Qt::UTC);
}

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
    auto stored = run(QStringLiteral("INSERT INTO web_sessions (id_hash, user_name, csrf_token, address, created_at,"
                                     " last_seen_at) VALUES (?, ?, ?, ?, ?, ?)"),
                      {session.idHash, session.user, session.csrfToken, session.address,
                       msOrNull(session.createdAt), msOrNull(session.lastSeenAt)});
    if (!stored)
        return fail(stored.error());
    return {};
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

Status SqlWorkStore::saveApiToken(const ApiToken &token, const QString &actor)
{
    if (token.idHash.isEmpty() || token.user.isEmpty())
        return fail(Error::invalidArgument(QStringLiteral("an API token needs its digest and the user it acts as")));
    return inWriteTransaction([&]() -> Status {
        auto stored = run(QStringLiteral("INSERT INTO api_tokens (id_hash, name, user_name, created_at) VALUES (?, ?, ?, ?)"),
                          {token.idHash, token.name, token.user, m_clock.nowMs()});
        if (!stored)
            return fail(stored.error());
        return appendEvent(0, QString(), QStringLiteral("api_token_added"), actor,
                           {{QStringLiteral("user"), token.user}, {QStringLiteral("name"), token.name}});
    });
}

Result<ApiToken> SqlWorkStore::apiToken(const QString &idHash)
{
    auto query = run(QStringLiteral("SELECT id_hash, name, user_name, created_at FROM api_tokens WHERE id_hash = ?"),
                     {idHash});
    if (!query)
        return fail(query.error());
    if (!query->next())
        return fail(Error::notFound(QStringLiteral("no such API token")));
    ApiToken token;
    token.idHash = query->value(0).toString();
    token.name = query->value(1).toString();
    token.user = query->value(2).toString();
    token.createdAt = timeFrom(query->value(3));
    query->finish();
    return token;
}

Status SqlWorkStore::recordSignIn(const QString &userName, const QString &address, bool succeeded)
{
    return inWriteTransaction([&]() -> Status {
        auto stored = run(QStringLiteral("INSERT INTO sign_in_attempts (at, user_name, address, succeeded) VALUES (?, ?, ?, ?)"),
                          {m_clock.nowMs(), userName, address, succeeded ? 1 : 0});
        if (!stored)
            return fail(stored.error());
        const QString previous = m_auditAddress;
        m_auditAddress = address;
        auto logged = appendEvent(0, QString(), succeeded ? QStringLiteral("signed_in") : QStringLiteral("sign_in_failed"),
                                  userName, {});
        m_auditAddress = previous;
        return logged;
    });
}

Result<qint64> SqlWorkStore::failedSignIns(const QString &userName, const QString &address, QDateTime since)
{
    auto query = run(QStringLiteral("SELECT COUNT(*) FROM sign_in_attempts WHERE succeeded = 0 AND at >= ?"
                                    " AND (user_name = ? OR address = ?)"),
                     {since.toMSecsSinceEpoch(), userName, address});
    if (!query)
        return fail(query.error());
    const qint64 count = query->next() ? query->value(0).toLongLong() : 0;
    query->finish();
    return count;
}

void SqlWorkStore::setAuditAddress(const QString &address)
{
    m_auditAddress = address;
}

} // namespace clerk::store
