// SqlWorkStore's event log (EventLog, event_log.h): an item's events, and a bot's own
// events (alerts), written through the same appendEvent as every other event and read by
// kind and time through the events (kind, at) index.
#include "store/sql_work_store_p.h"

#include "store/sql_rows_p.h"

#include <QJsonDocument>

namespace clerk::store {

Result<QList<Event>> SqlWorkStore::events(qint64 itemId)
{
    // Events not about one item (sign-ins, accounts, paused bots) have no item id.
    auto query = itemId > 0 ? run(QStringLiteral("SELECT id, at, item_id, bot, kind, actor, detail FROM events"
                                                 " WHERE item_id = ? ORDER BY id"),
                                  {itemId})
                            : run(QStringLiteral("SELECT id, at, item_id, bot, kind, actor, detail FROM events"
                                                 " WHERE item_id IS NULL ORDER BY id"),
                                  {});
    if (!query)
        return fail(query.error());
    QList<Event> found;
    while (query->next()) {
        found.append(Event{query->value(0).toLongLong(), timeFrom(query->value(1)), query->value(2).toLongLong(),
                           query->value(3).toString(), query->value(4).toString(), query->value(5).toString(),
                           objectFrom(query->value(6))});
    }
    return found;
}

Status SqlWorkStore::recordBotEvent(const QString &bot, const QString &kind, const QString &actor,
                                    const QJsonObject &detail)
{
    if (bot.isEmpty() || kind.isEmpty())
        return fail(Error::invalidArgument(QStringLiteral("a bot event needs a bot and a kind")));
    return appendEvent(0, bot, kind, actor, detail);
}

Status SqlWorkStore::recordAuditEvent(const QString &kind, const QString &actor, const QJsonObject &detail)
{
    if (kind.isEmpty())
        return fail(Error::invalidArgument(QStringLiteral("an audit event needs a kind")));
    return appendEvent(0, QString(), kind, actor, detail);
}

Result<QList<Event>> SqlWorkStore::botEvents(const QString &bot, const QStringList &kinds, const QDateTime &since)
{
    QList<Event> found;
    if (kinds.isEmpty())
        return found;
    QStringList marks;
    QList<QVariant> binds;
    for (const QString &kind : kinds) {
        marks.append(QStringLiteral("?"));
        binds.append(kind);
    }
    binds.append(since.isValid() ? since.toMSecsSinceEpoch() : qint64(0));
    binds.append(bot);
    auto query = run(QStringLiteral("SELECT id, at, bot, kind, actor, detail FROM events WHERE kind IN (%1)"
                                    " AND at >= ? AND bot = ? AND item_id IS NULL ORDER BY id")
                         .arg(marks.join(QStringLiteral(", "))),
                     binds);
    if (!query)
        return fail(query.error());
    while (query->next()) {
        found.append(Event{.id = query->value(0).toLongLong(),
                           .at = QDateTime::fromMSecsSinceEpoch(query->value(1).toLongLong(), Qt::UTC),
                           .itemId = 0,
                           .bot = query->value(2).toString(),
                           .kind = query->value(3).toString(),
                           .actor = query->value(4).toString(),
                           .detail = QJsonDocument::fromJson(query->value(5).toString().toUtf8()).object()});
    }
    return found;
}

void SqlWorkStore::setAuditAddress(const QString &address)
{
    m_auditAddress = address;
}

} // namespace clerk::store
