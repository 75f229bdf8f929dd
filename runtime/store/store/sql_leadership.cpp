// SqlWorkStore's leader leases (Leadership, leadership.h): one row per leadership with an
// owner, a term and an expiry.
#include "store/sql_work_store_p.h"

#include "store/sql_rows_p.h"

namespace clerk::store {

Result<bool> SqlWorkStore::tryAcquireLeadership(const QString &name, const QString &owner,
                                                std::chrono::milliseconds leaseFor)
{
    if (name.isEmpty() || owner.isEmpty())
        return fail(Error::invalidArgument(QStringLiteral("a leadership needs a name and an owner")));

    return inWriteTransaction([&]() -> Result<bool> {
        const qint64 now = m_clock.nowMs();
        auto previous = run(QStringLiteral("SELECT owner, expires_at FROM leader_leases WHERE name = ?") + rowLock(),
                            {name});
        if (!previous)
            return fail(previous.error());
        // Taking back one's own lapsed leadership is no change of holder.
        const QString previousOwner = previous->next() ? previous->value(0).toString() : QString();
        previous->finish();

        // One statement decides, so two processes racing for a free or expired leadership
        // cannot both win: the row's primary key and its lock serialise them. The right-hand
        // sides read the row as it was before this update.
        auto taken = run(QStringLiteral("INSERT INTO leader_leases (name, owner, term, acquired_at, expires_at)"
                                        " VALUES (?, ?, 1, ?, ?)"
                                        " ON CONFLICT (name) DO UPDATE SET"
                                        " term = CASE WHEN leader_leases.owner = excluded.owner"
                                        " THEN leader_leases.term ELSE leader_leases.term + 1 END,"
                                        " acquired_at = CASE WHEN leader_leases.owner = excluded.owner"
                                        " THEN leader_leases.acquired_at ELSE excluded.acquired_at END,"
                                        " owner = excluded.owner, expires_at = excluded.expires_at"
                                        " WHERE leader_leases.owner = excluded.owner OR leader_leases.expires_at < ?"
                                        " RETURNING term"),
                         {name, owner, now, now + leaseFor.count(), now});
        if (!taken)
            return fail(taken.error());
        if (!taken->next())
            return false;
        const qint64 term = taken->value(0).toLongLong();
        taken->finish();
        if (previousOwner == owner)
            return true;
        if (auto logged = appendEvent(0, QString(), QStringLiteral("leader_acquired"), owner,
                                      {{QStringLiteral("leadership"), name},
                                       {QStringLiteral("term"), term},
                                       {QStringLiteral("lease_ms"), qint64(leaseFor.count())}});
            !logged)
            return fail(logged.error());
        return true;
    });
}

Status SqlWorkStore::renewLeadership(const QString &name, const QString &owner, std::chrono::milliseconds leaseFor)
{
    return inWriteTransaction([&]() -> Status {
        const qint64 now = m_clock.nowMs();
        auto updated = run(QStringLiteral("UPDATE leader_leases SET expires_at = ? WHERE name = ? AND owner = ?"),
                           {now + leaseFor.count(), name, owner});
        if (!updated)
            return fail(updated.error());
        if (updated->numRowsAffected() != 1)
            return fail(Error::conflict(QStringLiteral("%1 no longer holds leadership %2").arg(owner, name)));
        return {};
    });
}

Status SqlWorkStore::releaseLeadership(const QString &name, const QString &owner)
{
    return inWriteTransaction([&]() -> Status {
        // The row stays, with nobody as owner, so the term keeps counting.
        auto updated = run(QStringLiteral("UPDATE leader_leases SET owner = '', expires_at = 0"
                                          " WHERE name = ? AND owner = ?"),
                           {name, owner});
        if (!updated)
            return fail(updated.error());
        if (updated->numRowsAffected() != 1)
            return fail(Error::conflict(QStringLiteral("%1 does not hold leadership %2").arg(owner, name)));
        return appendEvent(0, QString(), QStringLiteral("leader_released"), owner,
                           {{QStringLiteral("leadership"), name}});
    });
}

Result<std::optional<LeaderInfo>> SqlWorkStore::leader(const QString &name)
{
    auto query = run(QStringLiteral("SELECT owner, term, acquired_at, expires_at FROM leader_leases"
                                    " WHERE name = ? AND owner <> '' AND expires_at >= ?"),
                     {name, m_clock.nowMs()});
    if (!query)
        return fail(query.error());
    if (!query->next())
        return std::optional<LeaderInfo>{};
    return std::optional<LeaderInfo>{LeaderInfo{name, query->value(0).toString(), query->value(1).toLongLong(),
                                                timeFrom(query->value(2)), timeFrom(query->value(3))}};
}

} // namespace clerk::store
