// A bot's own events (alerts), on SQLite and PostgreSQL: written through the same
// appendEvent as every other event, read by kind and time through the events (kind, at)
// index.
#include "store/sql_work_store_p.h"

#include <QJsonDocument>

namespace clerk::store {

Status SqlWorkStore::recordBotEvent(const QString &bot, const QString &kind, const QString &actor,
                                    const QJsonObject &detail)
{
    if (bot.isEmpty() || kind.isEmpty())
        return fail(Error::invalidArgument(QStringLiteral("a bot event needs a bot and a kind")));
    return appendEvent(0, bot, kind, actor, detail);
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

} // namespace clerk::store
