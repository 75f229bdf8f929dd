// SqlWorkStore's outbox (Outbox, outbox.h): the keys of outbound actions, and what
// became of the notices steps sent.
#include "store/sql_work_store_p.h"

#include <QJsonDocument>

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

Status SqlWorkStore::recordNotice(qint64 itemId, const QString &bot, const QString &stepId, const QString &key,
                                  NoticeOutcome outcome)
{
    if (itemId <= 0 || stepId.isEmpty())
        return fail(Error::invalidArgument(QStringLiteral("a notice needs an item and a step")));
    return inWriteTransaction([&]() -> Status {
        const QString kind = noticeEventKind(outcome);
        if (outcome == NoticeOutcome::Sent) {
            auto earlier = run(QStringLiteral("SELECT detail FROM events WHERE item_id = ? AND kind = ?"), {itemId, kind});
            if (!earlier)
                return fail(earlier.error());
            while (earlier->next()) {
                const QJsonObject detail = QJsonDocument::fromJson(earlier->value(0).toString().toUtf8()).object();
                if (detail.value(QStringLiteral("step")).toString() == stepId)
                    return {};
            }
        }
        return appendEvent(itemId, bot, kind, QString(), {{QStringLiteral("step"), stepId}, {QStringLiteral("key"), key}});
    });
}

Result<std::optional<SentAction>> SqlWorkStore::sentAction(const QString &key)
{
    if (key.isEmpty())
        return std::optional<SentAction>();
    auto query = run(QStringLiteral("SELECT o.item_id, w.bot FROM outbox o JOIN work_items w ON w.id = o.item_id"
                                    " WHERE o.key = ? AND o.state = 'done'"),
                     {key});
    if (!query)
        return fail(query.error());
    if (!query->next())
        return std::optional<SentAction>();
    return std::optional<SentAction>(SentAction{query->value(0).toLongLong(), query->value(1).toString()});
}

Status SqlWorkStore::recordReply(qint64 itemId, qint64 replyItemId, const QString &key)
{
    return inWriteTransaction([&]() -> Status {
        auto bot = run(QStringLiteral("SELECT bot FROM work_items WHERE id = ?"), {itemId});
        if (!bot)
            return fail(bot.error());
        if (!bot->next())
            return fail(Error::notFound(QStringLiteral("no item %1").arg(itemId)));
        const QString name = bot->value(0).toString();
        bot->finish();
        return appendEvent(itemId, name, QStringLiteral("reply_received"), QString(),
                           {{QStringLiteral("reply_item"), replyItemId}, {QStringLiteral("key"), key}});
    });
}

} // namespace clerk::store
