// SqlWorkStore's work queue (WorkQueue, work_queue.h): bot definitions, enqueueing, handing
// an item to a person, retries and endings, reads, and paused bots. Leasing and completing
// a step, the worker's hot path, are in sql_lease.cpp.
#include "store/sql_work_store_p.h"

#include "core/logging.h"
#include "core/shadow_suggestion.h"
#include "store/sql_rows_p.h"

#include <QJsonArray>

namespace clerk::store {

// --- bot definitions ---------------------------------------------------------------------

Status SqlWorkStore::saveDefinition(const QString &bot, const QString &version, const QString &digest,
                                    const QByteArray &source, const QString &baseDir)
{
    if (digest.isEmpty())
        return fail(Error::invalidArgument(QStringLiteral("a bot definition needs a digest")));
    return inWriteTransaction([&]() -> Status {
        auto inserted = run(QStringLiteral("INSERT INTO bot_definitions (digest, bot, version, source, base_dir, stored_at)"
                                           " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (digest) DO NOTHING"),
                            {digest, bot, version, source, baseDir, m_clock.nowMs()});
        if (!inserted)
            return fail(inserted.error());
        return {};
    });
}

Result<StoredDefinition> SqlWorkStore::definition(const QString &digest)
{
    auto query = run(QStringLiteral("SELECT source, base_dir FROM bot_definitions WHERE digest = ?"), {digest});
    if (!query)
        return fail(query.error());
    if (!query->next())
        return fail(Error::notFound(QStringLiteral("no bot definition with digest %1 is stored").arg(digest)));
    return StoredDefinition{query->value(0).toByteArray(), query->value(1).toString()};
}

// --- work items --------------------------------------------------------------------------

Result<EnqueueResult> SqlWorkStore::enqueue(const NewItem &item)
{
    if (item.bot.isEmpty())
        return fail(Error::invalidArgument(QStringLiteral("a work item needs a bot")));
    if (item.sourceRef.isEmpty())
        return fail(Error::invalidArgument(QStringLiteral("a work item needs a source reference")));

    auto enqueued = inWriteTransaction([&]() -> Result<EnqueueResult> {
        const qint64 now = m_clock.nowMs();
        auto inserted = run(QStringLiteral("INSERT INTO work_items (bot, bot_version, definition_digest, source_ref,"
                                           " payload, state, attempts, step_cursor, step_outputs, not_before,"
                                           " priority, created_at, updated_at)"
                                           " VALUES (?, ?, ?, ?, ?, 'queued', 0, 0, '{}', ?, ?, ?, ?)"
                                           " ON CONFLICT (bot, source_ref) DO NOTHING RETURNING id"),
                            {item.bot, item.botVersion, item.definitionDigest, item.sourceRef, jsonText(item.payload),
                             now, item.priority, now, now});
        if (!inserted)
            return fail(inserted.error());
        if (inserted->next()) {
            const qint64 id = inserted->value(0).toLongLong();
            // A statement with RETURNING stays in progress until finished, and SQLite
            // refuses to commit while a write statement is in progress.
            inserted->finish();
            if (auto logged = appendEvent(id, item.bot, QStringLiteral("enqueued"), QString(),
                                          {{QStringLiteral("priority"), item.priority}});
                !logged)
                return fail(logged.error());
            return EnqueueResult{id, true, ItemState::Queued};
        }
        inserted->finish();

        auto existing = run(QStringLiteral("SELECT id, state FROM work_items WHERE bot = ? AND source_ref = ?"),
                            {item.bot, item.sourceRef});
        if (!existing)
            return fail(existing.error());
        if (!existing->next())
            return fail(Error::internal(QStringLiteral("item of bot %1 neither inserted nor found").arg(item.bot)));
        return EnqueueResult{existing->value(0).toLongLong(), false,
                             itemStateFromString(existing->value(1).toString()).value_or(ItemState::Queued)};
    });
    // PostgreSQL plans the lease query from the table's statistics, which autovacuum
    // renews only every minute or so: after a burst of new items it would believe the
    // queue nearly empty and sort every queued item on each lease instead of walking
    // work_items_runnable. Renewing them after every few hundred new items keeps the
    // walk (ANALYZE samples a bounded number of rows, a few milliseconds).
    if (enqueued && enqueued->created && !m_dialect.refreshLeaseStatistics.isEmpty()
        && ++m_enqueuedSinceAnalyze >= 500) {
        m_enqueuedSinceAnalyze = 0;
        if (auto analysed = run(m_dialect.refreshLeaseStatistics); !analysed)
            qCDebug(lcStore) << "refreshing statistics:" << analysed.error().toString();
    }
    return enqueued;
}

Result<qint64> SqlWorkStore::handToPerson(qint64 itemId, const QString &owner, int stepIndex, const QString &stepId,
                                          const HumanRequest &request, const QString &team, QDateTime slaDueAt)
{
    const QString queue = team.isEmpty() ? request.team : team;
    m_leasedOutputs.remove(itemId);

    return inWriteTransaction([&]() -> Result<qint64> {
        auto current = leasedItemAtStep(itemId, owner, stepIndex);
        if (!current)
            return fail(current.error());
        const QString bot = current->bot;

        const qint64 now = m_clock.nowMs();
        // Flagged with the evidence, so the shadow and live precision figures need not
        // search the JSON.
        const bool suggested = ShadowSuggestion::readFrom(request.evidence).has_value();
        const bool qualityCheck = ShadowSuggestion::isQualityCheck(request.evidence);
        auto inserted = run(QStringLiteral("INSERT INTO exception_items (item_id, bot, step_index, step_id, team, reason,"
                                           " evidence, choices, fields, partial_outputs, state, created_at, sla_due_at,"
                                           " suggested, quality_check, priority, urgency, reason_kind, category)"
                                           " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id"),
                            {itemId, bot, stepIndex, stepId, queue, request.reason, jsonText(request.evidence),
                             jsonText(request.choicesJson()), jsonText(QJsonArray::fromStringList(request.fields)),
                             jsonText(request.outputs), now, msOrNull(slaDueAt), suggested ? 1 : 0, qualityCheck ? 1 : 0,
                             request.priority, textOrNull(request.urgency), toString(request.kind),
                             textOrNull(request.proposed.value(QStringLiteral("category")).toString())});
        if (!inserted)
            return fail(inserted.error());
        if (!inserted->next())
            return fail(Error::internal(QStringLiteral("no id came back for the exception item of item %1").arg(itemId)));
        const qint64 exceptionId = inserted->value(0).toLongLong();
        inserted->finish();

        auto updated = run(QStringLiteral("UPDATE work_items SET state = 'waiting_for_human', lease_owner = NULL,"
                                          " lease_expires_at = NULL, updated_at = ?"
                                          " WHERE id = ? AND state = 'leased' AND lease_owner = ?"),
                           {now, itemId, owner});
        if (!updated)
            return fail(updated.error());
        if (updated->numRowsAffected() != 1)
            return fail(lostLease(itemId, owner));

        if (auto logged = appendEvent(itemId, bot, QStringLiteral("needs_human"), owner,
                                      {{QStringLiteral("step"), stepId},
                                       {QStringLiteral("step_index"), stepIndex},
                                       {QStringLiteral("exception"), exceptionId},
                                       {QStringLiteral("team"), queue},
                                       {QStringLiteral("priority"), request.priority},
                                       {QStringLiteral("reason_kind"), toString(request.kind)},
                                       {QStringLiteral("reason"), request.reason},
                                       {QStringLiteral("choices"), request.choices.size()}});
            !logged)
            return fail(logged.error());
        return exceptionId;
    });
}

Status SqlWorkStore::scheduleRetry(qint64 itemId, const QString &owner, QDateTime notBefore, const QString &reason)
{
    m_leasedOutputs.remove(itemId);
    return inWriteTransaction([&]() -> Status {
        auto bot = leasedItemBot(itemId, owner);
        if (!bot)
            return fail(bot.error());
        const qint64 now = m_clock.nowMs();
        const qint64 due = notBefore.isValid() ? notBefore.toMSecsSinceEpoch() : now;
        auto updated = run(QStringLiteral("UPDATE work_items SET state = 'queued', attempts = attempts + 1,"
                                          " not_before = ?, last_error = ?, lease_owner = NULL, lease_expires_at = NULL,"
                                          " updated_at = ? WHERE id = ? AND state = 'leased' AND lease_owner = ?"
                                          " RETURNING attempts"),
                           {due, textOrNull(reason), now, itemId, owner});
        if (!updated)
            return fail(updated.error());
        if (!updated->next())
            return fail(lostLease(itemId, owner));
        const int attempts = updated->value(0).toInt();
        updated->finish();
        return appendEvent(itemId, *bot, QStringLiteral("retry"), owner,
                           {{QStringLiteral("reason"), reason},
                            {QStringLiteral("attempts"), attempts},
                            {QStringLiteral("not_before"), describe(QDateTime::fromMSecsSinceEpoch(due, Qt::UTC))}});
    });
}

Status SqlWorkStore::finishItem(qint64 itemId, const QString &owner)
{
    return endLease(itemId, owner, QStringLiteral("state = 'done', finished_at = ?"), {m_clock.nowMs()},
                    QStringLiteral("done"), {});
}

Status SqlWorkStore::failItem(qint64 itemId, const QString &owner, const QString &reason)
{
    return endLease(itemId, owner, QStringLiteral("state = 'failed', last_error = ?, finished_at = ?"),
                    {textOrNull(reason), m_clock.nowMs()}, QStringLiteral("failed"), {{QStringLiteral("reason"), reason}});
}

Status SqlWorkStore::endLease(qint64 itemId, const QString &owner, const QString &assignments, QList<QVariant> values,
                              const QString &eventKind, const QJsonObject &detail)
{
    m_leasedOutputs.remove(itemId);
    return inWriteTransaction([&]() -> Status {
        auto bot = leasedItemBot(itemId, owner);
        if (!bot)
            return fail(bot.error());
        values << m_clock.nowMs() << itemId << owner;
        auto updated = run(QStringLiteral("UPDATE work_items SET ") + assignments
                               + QStringLiteral(", lease_owner = NULL, lease_expires_at = NULL, updated_at = ?"
                                                " WHERE id = ? AND state = 'leased' AND lease_owner = ?"),
                           values);
        if (!updated)
            return fail(updated.error());
        if (updated->numRowsAffected() != 1)
            return fail(lostLease(itemId, owner));
        return appendEvent(itemId, *bot, eventKind, owner, detail);
    });
}

Status SqlWorkStore::requeue(qint64 itemId, const QString &actor)
{
    return inWriteTransaction([&]() -> Status {
        auto current = run(QStringLiteral("SELECT bot, state, step_cursor, erased_at FROM work_items WHERE id = ?")
                               + rowLock(),
                           {itemId});
        if (!current)
            return fail(current.error());
        if (!current->next())
            return fail(Error::notFound(QStringLiteral("there is no work item %1").arg(itemId)));
        const QString bot = current->value(0).toString();
        const QString state = current->value(1).toString();
        const int cursor = current->value(2).toInt();
        const bool erased = !current->value(3).isNull();
        current->finish();
        if (erased)
            return fail(Error::conflict(QStringLiteral("item %1 was erased; there is nothing left to retry").arg(itemId)));
        if (state != QLatin1String("failed") && state != QLatin1String("cancelled")) {
            return fail(Error::conflict(
                QStringLiteral("item %1 is %2; only failed or cancelled items can be retried").arg(itemId).arg(state)));
        }
        const qint64 now = m_clock.nowMs();
        // The reason it failed or was rejected belongs to that ending (its event keeps it),
        // not to the run that now starts.
        auto updated = run(QStringLiteral("UPDATE work_items SET state = 'queued', attempts = 0, not_before = ?,"
                                          " finished_at = NULL, last_error = NULL, updated_at = ?"
                                          " WHERE id = ? AND state IN ('failed', 'cancelled')"),
                           {now, now, itemId});
        if (!updated)
            return fail(updated.error());
        if (updated->numRowsAffected() != 1)
            return fail(Error::conflict(QStringLiteral("item %1 changed while being retried").arg(itemId)));
        return appendEvent(itemId, bot, QStringLiteral("requeued"), actor,
                           {{QStringLiteral("from"), state}, {QStringLiteral("step_index"), cursor}});
    });
}

Result<WorkItem> SqlWorkStore::item(qint64 itemId)
{
    auto query = run(QStringLiteral("SELECT ") + kItemColumns + QStringLiteral(" FROM work_items WHERE id = ?"), {itemId});
    if (!query)
        return fail(query.error());
    if (!query->next())
        return fail(Error::notFound(QStringLiteral("there is no work item %1").arg(itemId)));
    return itemFrom(*query);
}

Result<QList<WorkItem>> SqlWorkStore::items(const ItemFilter &filter)
{
    QString sql = QStringLiteral("SELECT ") + kItemColumns + QStringLiteral(" FROM work_items WHERE 1 = 1");
    QList<QVariant> binds;
    if (!filter.bot.isEmpty()) {
        sql += QStringLiteral(" AND bot = ?");
        binds.append(filter.bot);
    }
    if (filter.state) {
        sql += QStringLiteral(" AND state = ?");
        binds.append(toString(*filter.state));
    }
    if (filter.bots) {
        if (filter.bots->isEmpty())
            return QList<WorkItem>();
        sql += QStringLiteral(" AND bot IN (");
        for (qsizetype i = 0; i < filter.bots->size(); ++i) {
            sql += i == 0 ? QStringLiteral("?") : QStringLiteral(", ?");
            binds.append(filter.bots->at(i));
        }
        sql += QLatin1Char(')');
    }
    sql += QStringLiteral(" ORDER BY id LIMIT ? OFFSET ?");
    binds.append(qMax(0, filter.limit));
    binds.append(qMax(0, filter.offset));

    auto query = run(sql, binds);
    if (!query)
        return fail(query.error());
    QList<WorkItem> found;
    while (query->next())
        found.append(itemFrom(*query));
    return found;
}

// --- paused bots -------------------------------------------------------------------------

Status SqlWorkStore::setBotPaused(const QString &bot, bool paused, const QString &actor)
{
    if (bot.isEmpty())
        return fail(Error::invalidArgument(QStringLiteral("name the bot to pause or resume")));
    return inWriteTransaction([&]() -> Status {
        const qint64 now = m_clock.nowMs();
        auto stored = run(QStringLiteral("INSERT INTO bot_controls (bot, paused, changed_by, changed_at) VALUES (?, ?, ?, ?)"
                                         " ON CONFLICT (bot) DO UPDATE SET paused = excluded.paused,"
                                         " changed_by = excluded.changed_by, changed_at = excluded.changed_at"),
                          {bot, paused ? 1 : 0, actor, now});
        if (!stored)
            return fail(stored.error());
        return appendEvent(0, bot, paused ? QStringLiteral("bot_paused") : QStringLiteral("bot_resumed"), actor, {});
    });
}

Result<QStringList> SqlWorkStore::pausedBots()
{
    auto query = run(QStringLiteral("SELECT bot FROM bot_controls WHERE paused = 1 ORDER BY bot"), {});
    if (!query)
        return fail(query.error());
    QStringList bots;
    while (query->next())
        bots.append(query->value(0).toString());
    return bots;
}

} // namespace clerk::store
