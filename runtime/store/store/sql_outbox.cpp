// SqlWorkStore's outbox (Outbox, outbox.h): the keys of outbound actions.
#include "store/sql_work_store_p.h"

namespace clerk::store {

Result<bool> SqlWorkStore::beginAction(const QString &key, qint64 itemId, int stepIndex)
{
    if (key.isEmpty())
        return fail(Error::invalidArgument(QStringLiteral("an outbound action needs a key")));

    return inWriteTransaction([&]() -> Result<bool> {
        auto inserted = run(QStringLiteral("INSERT INTO outbox (key, item_id, step_index, state, created_at)"
                                           " VALUES (?, ?, ?, 'started', ?) ON CONFLICT (key) DO NOTHING"),
                            {key, itemId, stepIndex, m_clock.nowMs()});
        if (!inserted)
            return fail(inserted.error());
        return inserted->numRowsAffected() == 1;
    });
}

Status SqlWorkStore::finishAction(const QString &key)
{
    return inWriteTransaction([&]() -> Status {
        auto updated = run(QStringLiteral("UPDATE outbox SET state = 'done', finished_at = ? WHERE key = ?"),
                           {m_clock.nowMs(), key});
        if (!updated)
            return fail(updated.error());
        if (updated->numRowsAffected() != 1)
            return fail(Error::notFound(QStringLiteral("no outbound action with key %1 was begun").arg(key)));
        return {};
    });
}

Status SqlWorkStore::abandonAction(const QString &key)
{
    return inWriteTransaction([&]() -> Status {
        auto deleted = run(QStringLiteral("DELETE FROM outbox WHERE key = ? AND state = 'started'"), {key});
        if (!deleted)
            return fail(deleted.error());
        return {};
    });
}

} // namespace clerk::store
