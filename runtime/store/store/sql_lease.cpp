// SqlWorkStore's hot path: leasing the next runnable item and completing a step (with
// renewing and releasing a lease). On PostgreSQL each of the two is one statement
// (SqlDialect::singleStatementHotPath); on SQLite a short write transaction.
#include "store/sql_work_store_p.h"

#include "store/sql_rows_p.h"

#include <QSet>

#include <algorithm>
#include <utility>

namespace clerk::store {

namespace {

// Both runnable conditions of leaseNext; each takes `now` twice as bound values. The
// first term is the condition of the index work_items_runnable, written as there so
// that both databases see that the index applies.
const QString kRunnable = QStringLiteral(
    "(state IN ('queued', 'leased') AND ((state = 'queued' AND not_before <= ?)"
    " OR (state = 'leased' AND lease_expires_at < ?)))");

// One description of storing a step's outputs, for both forms of completeStep: the
// update (its conditions are those under which the step may land: still leased by the
// owner, cursor at the step) and the events it appends, in order.
struct StepCompletion {
    QString update;                // "UPDATE work_items SET ... WHERE ..."
    QList<QVariant> binds;
    QList<std::pair<QString, QJsonObject>> events;  // kind, detail
};

StepCompletion describeCompletion(qint64 itemId, const QString &owner, int stepIndex, const QString &stepId,
                                  const QJsonObject &stepOutputs, qsizetype outputCount, bool last, qint64 now)
{
    StepCompletion completion;
    // The last step ends the item and its lease in the same statement.
    completion.update = QStringLiteral("UPDATE work_items SET step_outputs = ?, step_cursor = ?, updated_at = ?");
    completion.binds = {jsonText(stepOutputs), stepIndex + 1, now};
    if (last) {
        completion.update += QStringLiteral(", state = 'done', lease_owner = NULL, lease_expires_at = NULL, finished_at = ?");
        completion.binds << now;
    }
    completion.update += QStringLiteral(" WHERE id = ? AND state = 'leased' AND lease_owner = ? AND step_cursor = ?");
    completion.binds << itemId << owner << stepIndex;
    completion.events.append({QStringLiteral("step_done"),
                              {{QStringLiteral("step"), stepId},
                               {QStringLiteral("step_index"), stepIndex},
                               {QStringLiteral("outputs"), outputCount}}});
    if (last)
        completion.events.append({QStringLiteral("done"), {{QStringLiteral("steps"), stepIndex + 1}}});
    return completion;
}

} // namespace

Result<std::optional<WorkItem>> SqlWorkStore::leaseNext(const QString &owner, std::chrono::milliseconds leaseFor,
                                                        const QStringList &bots)
{
    auto leased = leaseBatch(owner, leaseFor, 1, bots);
    if (!leased)
        return fail(leased.error());
    if (leased->isEmpty())
        return std::optional<WorkItem>{};
    return std::optional<WorkItem>{leased->takeFirst()};
}

Result<QList<WorkItem>> SqlWorkStore::leaseBatch(const QString &owner, std::chrono::milliseconds leaseFor, int max,
                                                 const QStringList &bots)
{
    if (owner.isEmpty())
        return fail(Error::invalidArgument(QStringLiteral("a lease needs an owner")));
    if (max < 1)
        return fail(Error::invalidArgument(QStringLiteral("a lease takes at least one item")));

    // The runnable items, best first; binds: the time twice, then the bots, then the limit.
    const qint64 askedAt = m_clock.nowMs();
    QString candidates = QStringLiteral("SELECT id, state, lease_owner, bot FROM work_items") + m_dialect.leaseIndexHint +
                         QStringLiteral(" WHERE ") + kRunnable +
                         QStringLiteral(" AND bot NOT IN (SELECT bot FROM bot_controls WHERE paused = 1)");
    QList<QVariant> candidateBinds{askedAt, askedAt};
    if (!bots.isEmpty()) {
        QStringList marks;
        for (const QString &bot : bots) {
            marks.append(QStringLiteral("?"));
            candidateBinds.append(bot);
        }
        candidates += QStringLiteral(" AND bot IN (") + marks.join(QLatin1Char(',')) + QLatin1Char(')');
    }
    candidates += QStringLiteral(" ORDER BY priority DESC, id LIMIT ?");
    candidateBinds.append(max);
    if (!m_dialect.leaseLockClause.isEmpty())
        candidates += QLatin1Char(' ') + m_dialect.leaseLockClause;

    if (m_dialect.singleStatementHotPath)
        return leaseInOneStatement(owner, leaseFor, candidates, candidateBinds);

    return inWriteTransaction([&]() -> Result<QList<WorkItem>> {
        // The time once the write lock is held (BEGIN IMMEDIATE may have waited for it).
        const qint64 now = m_clock.nowMs();
        candidateBinds[0] = now;
        candidateBinds[1] = now;
        auto found = run(candidates, candidateBinds);
        if (!found)
            return fail(found.error());
        QList<LeaseCandidate> rows;
        while (found->next()) {
            rows.append({found->value(0).toLongLong(), found->value(1).toString() == QLatin1String("leased"),
                         found->value(2).toString(), found->value(3).toString()});
        }
        found->finish();
        QList<WorkItem> leased;
        for (const LeaseCandidate &candidate : std::as_const(rows)) {
            auto item = leaseCandidate(candidate, owner, leaseFor, now);
            if (!item)
                return fail(item.error());
            if (item->has_value())
                leased.append(std::move(**item));
        }
        return leased;
    });
}

Result<std::optional<WorkItem>> SqlWorkStore::leaseCandidate(const LeaseCandidate &candidate, const QString &owner,
                                                             std::chrono::milliseconds leaseFor, qint64 now)
{
    // The same runnable condition again: a row changed since the SELECT is not taken.
    auto updated = run(QStringLiteral("UPDATE work_items SET state = 'leased', lease_owner = ?, lease_expires_at = ?,"
                                      " attempts = attempts + ?, updated_at = ? WHERE id = ? AND ")
                           + kRunnable,
                       {owner, now + leaseFor.count(), candidate.takeover ? 1 : 0, now, candidate.id, now, now});
    if (!updated)
        return fail(updated.error());
    if (updated->numRowsAffected() != 1)
        return std::optional<WorkItem>{};

    auto row = run(QStringLiteral("SELECT ") + kItemColumns + QStringLiteral(" FROM work_items WHERE id = ?"), {candidate.id});
    if (!row)
        return fail(row.error());
    if (!row->next())
        return fail(Error::internal(QStringLiteral("leased item %1 vanished").arg(candidate.id)));
    WorkItem item = itemFrom(*row);
    row->finish();

    Status logged = candidate.takeover
        ? appendEvent(candidate.id, candidate.bot, QStringLiteral("lease_expired"), owner,
                      {{QStringLiteral("previous_owner"), candidate.previousOwner},
                       {QStringLiteral("attempts"), item.attempts}})
        : appendEvent(candidate.id, candidate.bot, QStringLiteral("leased"), owner,
                      {{QStringLiteral("step_index"), item.stepCursor}});
    if (!logged)
        return fail(logged.error());
    return std::optional<WorkItem>{std::move(item)};
}

Result<QList<WorkItem>> SqlWorkStore::leaseInOneStatement(const QString &owner, std::chrono::milliseconds leaseFor,
                                                          const QString &runnableSql, QList<QVariant> runnableBinds)
{
    // Locks the best runnable rows (skipping rows other workers hold), leases them, and
    // appends a "leased" or "lease_expired" event for each, all in one statement: it
    // commits or fails as a whole.
    //
    // The candidate query (kRunnable, the paused bots, the order) is the transaction's
    // form's, but the rest cannot be one description for both: which event is appended,
    // and its detail (the previous owner, the attempts), depend on the row the statement
    // picks, so here they are computed in SQL (CASE, jsonb_build_object) from the UPDATE's
    // RETURNING, which SQLite cannot feed into an INSERT (no data-modifying WITH); on
    // SQLite they are computed in C++ from the row read back. The locked rows are read again after the lock is granted, so
    // a row another worker changed meanwhile is no longer picked. The update finds the
    // locked rows by primary key (= ANY of their ids): joined to the candidates, the
    // planner may choose to scan the whole table, done items included.
    const qint64 now = m_clock.nowMs();
    const QString sql =
        QStringLiteral("WITH candidate AS MATERIALIZED (") + runnableSql +
        QStringLiteral("), leased AS ("
                       " UPDATE work_items w SET state = 'leased', lease_owner = ?, lease_expires_at = ?,"
                       " attempts = w.attempts + CASE WHEN w.state = 'leased' THEN 1 ELSE 0 END, updated_at = ?"
                       " WHERE w.id = ANY (ARRAY (SELECT id FROM candidate))"
                       " RETURNING w.id, w.bot, w.bot_version, w.definition_digest, w.source_ref, w.payload, w.state,"
                       " w.attempts, w.step_cursor, w.step_outputs, w.lease_owner, w.lease_expires_at, w.not_before,"
                       " w.priority, w.last_error, w.created_at, w.updated_at, w.finished_at, w.erased_at),"
                       " logged AS ("
                       " INSERT INTO events (at, item_id, bot, kind, actor, detail)"
                       " SELECT CAST(? AS BIGINT), l.id, l.bot, CASE WHEN c.state = 'leased' THEN 'lease_expired' ELSE 'leased' END,"
                       " l.lease_owner, (CASE WHEN c.state = 'leased'"
                       " THEN jsonb_build_object('previous_owner', c.lease_owner, 'attempts', l.attempts)"
                       " ELSE jsonb_build_object('step_index', l.step_cursor) END || CAST(? AS jsonb))::text"
                       " FROM leased l JOIN candidate c ON c.id = l.id)"
                       " SELECT ") +
        kItemColumns + QStringLiteral(" FROM leased");
    QList<QVariant> binds = std::move(runnableBinds);
    binds << owner << now + leaseFor.count() << now << now << eventDetail({});
    // Not repeated after a lost connection: the lease may have been taken before the
    // connection broke (it then runs out and the item is taken over).
    auto rows = runOnce(sql, binds);
    if (!rows)
        return fail(rows.error());
    QList<WorkItem> leased;
    while (rows->next())
        leased.append(itemFrom(*rows));
    rows->finish();
    // RETURNING gives the rows in no particular order; they are handed out best first.
    std::sort(leased.begin(), leased.end(), [](const WorkItem &a, const WorkItem &b) {
        return a.priority != b.priority ? a.priority > b.priority : a.id < b.id;
    });
    if (m_leasedOutputs.size() > 4096)
        m_leasedOutputs.clear();  // entries of leases lost without a word; only an optimisation
    for (const WorkItem &item : std::as_const(leased))
        m_leasedOutputs.insert(item.id, {item.stepCursor, item.stepOutputs});
    return leased;
}

Status SqlWorkStore::renewLease(qint64 itemId, const QString &owner, std::chrono::milliseconds leaseFor)
{
    return inWriteTransaction([&]() -> Status {
        const qint64 now = m_clock.nowMs();
        auto updated = run(QStringLiteral("UPDATE work_items SET lease_expires_at = ?, updated_at = ?"
                                          " WHERE id = ? AND state = 'leased' AND lease_owner = ?"),
                           {now + leaseFor.count(), now, itemId, owner});
        if (!updated)
            return fail(updated.error());
        if (updated->numRowsAffected() != 1)
            return fail(lostLease(itemId, owner));
        return {};
    });
}

Status SqlWorkStore::releaseLease(qint64 itemId, const QString &owner)
{
    return endLease(itemId, owner, QStringLiteral("state = 'queued', not_before = ?"), {m_clock.nowMs()},
                    QStringLiteral("lease_released"), {});
}

Result<SqlWorkStore::LeasedItem> SqlWorkStore::leasedItemAtStep(qint64 itemId, const QString &owner, int stepIndex)
{
    auto current = run(QStringLiteral("SELECT bot, step_cursor, step_outputs FROM work_items"
                                      " WHERE id = ? AND state = 'leased' AND lease_owner = ?")
                           + rowLock(),
                       {itemId, owner});
    if (!current)
        return fail(current.error());
    if (!current->next())
        return fail(lostLease(itemId, owner));
    LeasedItem item{current->value(0).toString(), objectFrom(current->value(2))};
    const int cursor = current->value(1).toInt();
    current->finish();
    if (cursor != stepIndex) {
        return fail(Error::conflict(QStringLiteral("item %1 is at step %2, not step %3: that step was already dealt with")
                                        .arg(itemId)
                                        .arg(cursor)
                                        .arg(stepIndex)));
    }
    return item;
}

Status SqlWorkStore::completeStep(qint64 itemId, const QString &owner, int stepIndex, const QString &stepId,
                                  const QJsonObject &outputs, bool last)
{
    if (stepId.isEmpty())
        return fail(Error::invalidArgument(QStringLiteral("completing a step needs the step's id")));

    const CompletedStep step{itemId, stepIndex, stepId, outputs, last};
    if (m_dialect.singleStatementHotPath) {
        const auto known = m_leasedOutputs.constFind(itemId);
        if (known != m_leasedOutputs.constEnd() && known->stepCursor == stepIndex)
            return storeCompletion(owner, step);  // one statement, a transaction of its own
    }
    return inWriteTransaction([&]() -> Status { return storeCompletion(owner, step); });
}

Result<QList<Status>> SqlWorkStore::completeSteps(const QString &owner, const QList<CompletedStep> &steps)
{
    for (const CompletedStep &step : steps) {
        if (step.stepId.isEmpty())
            return fail(Error::invalidArgument(QStringLiteral("completing a step needs the step's id")));
    }
    if (m_dialect.singleStatementHotPath && !steps.isEmpty()) {
        QSet<qint64> items;
        bool known = true;
        for (const CompletedStep &step : steps) {
            const auto found = m_leasedOutputs.constFind(step.itemId);
            known = known && found != m_leasedOutputs.constEnd() && found->stepCursor == step.stepIndex;
            items.insert(step.itemId);
        }
        if (known && items.size() == steps.size())
            return completeStepsInOneStatement(owner, steps);
    }
    return inWriteTransaction([&]() -> Result<QList<Status>> {
        QList<Status> landed;
        landed.reserve(steps.size());
        for (const CompletedStep &step : steps) {
            Status stored = storeCompletion(owner, step);
            // A lost lease or a step already dealt with concerns that item alone; anything
            // else is the store failing, and nothing is kept.
            if (!stored && stored.error().code() != ErrorCode::Conflict && stored.error().code() != ErrorCode::NotFound)
                return fail(stored.error());
            landed.append(std::move(stored));
        }
        return landed;
    });
}

Result<QList<Status>> SqlWorkStore::completeStepsInOneStatement(const QString &owner,
                                                                const QList<CompletedStep> &steps)
{
    // completeStepInOneStatement for several items: each row of `input` is one completion
    // (the item's outputs as known with the step's added); the update takes the rows whose
    // conditions hold (leased by `owner`, at the step) and the events follow for those,
    // in the completions' order.
    const qint64 now = m_clock.nowMs();
    // The completions go as one JSON array, so the statement's text is the same for any
    // number of them (prepared once); each item's outputs are JSON text inside it.
    QJsonArray input;
    QList<QJsonObject> merged;
    for (qsizetype n = 0; n < steps.size(); ++n) {
        const CompletedStep &step = steps.at(n);
        QJsonObject outputs = m_leasedOutputs.value(step.itemId).outputs;
        outputs.insert(step.stepId, step.outputs);
        merged.append(outputs);
        input.append(QJsonObject{{QStringLiteral("n"), int(n)},
                                 {QStringLiteral("id"), step.itemId},
                                 {QStringLiteral("step_index"), step.stepIndex},
                                 {QStringLiteral("step_id"), step.stepId},
                                 {QStringLiteral("outputs"), jsonText(outputs)},
                                 {QStringLiteral("output_count"), int(step.outputs.size())},
                                 {QStringLiteral("last"), step.last}});
    }
    // The items are found by primary key (= ANY of their ids): joined to the input alone,
    // the planner may scan the table or every leased row of every worker.
    const QString sql = QStringLiteral(
        "WITH input AS MATERIALIZED (SELECT * FROM jsonb_to_recordset(CAST(? AS jsonb))"
        " AS i (n INT, id BIGINT, step_index INT, step_id TEXT, outputs TEXT, output_count INT, last BOOLEAN)),"
        " updated AS ("
        " UPDATE work_items w SET step_outputs = i.outputs, step_cursor = i.step_index + 1, updated_at = ?,"
        " state = CASE WHEN i.last THEN 'done' ELSE w.state END,"
        " lease_owner = CASE WHEN i.last THEN NULL ELSE w.lease_owner END,"
        " lease_expires_at = CASE WHEN i.last THEN NULL ELSE w.lease_expires_at END,"
        " finished_at = CASE WHEN i.last THEN CAST(? AS BIGINT) ELSE w.finished_at END"
        " FROM input i WHERE w.id = ANY (ARRAY (SELECT id FROM input)) AND w.id = i.id"
        " AND w.state = 'leased' AND w.lease_owner = ? AND w.step_cursor = i.step_index"
        " RETURNING i.n, w.id, w.bot, i.step_id, i.step_index, i.output_count, i.last),"
        " logged AS (INSERT INTO events (at, item_id, bot, kind, actor, detail)"
        " SELECT CAST(? AS BIGINT), u.id, u.bot, e.kind, CAST(? AS TEXT), (e.detail || CAST(? AS jsonb))::text"
        " FROM updated u CROSS JOIN LATERAL (VALUES"
        " (1, 'step_done', jsonb_build_object('step', u.step_id, 'step_index', u.step_index, 'outputs', u.output_count)),"
        " (2, 'done', jsonb_build_object('steps', u.step_index + 1))) AS e (k, kind, detail)"
        " WHERE e.k = 1 OR u.last ORDER BY u.n, e.k)"
        " SELECT n FROM updated");
    const QList<QVariant> binds{jsonText(input), now, now, owner, now, owner, eventDetail({})};
    // Not repeated after a lost connection: the steps may have been stored before it broke.
    auto updated = runOnce(sql, binds);
    if (!updated)
        return fail(updated.error());
    QSet<int> stored;
    while (updated->next())
        stored.insert(updated->value(0).toInt());
    updated->finish();

    QList<Status> landed;
    for (qsizetype n = 0; n < steps.size(); ++n) {
        const CompletedStep &step = steps.at(n);
        if (!stored.contains(int(n))) {
            m_leasedOutputs.remove(step.itemId);
            landed.append(fail(lostLease(step.itemId, owner)));
            continue;
        }
        if (step.last)
            m_leasedOutputs.remove(step.itemId);
        else
            m_leasedOutputs.insert(step.itemId, {step.stepIndex + 1, merged.at(n)});
        landed.append(Status{});
    }
    return landed;
}

Status SqlWorkStore::storeCompletion(const QString &owner, const CompletedStep &step)
{
    if (m_dialect.singleStatementHotPath) {
        const auto known = m_leasedOutputs.constFind(step.itemId);
        if (known != m_leasedOutputs.constEnd() && known->stepCursor == step.stepIndex) {
            QJsonObject stepOutputs = known->outputs;
            stepOutputs.insert(step.stepId, step.outputs);
            return completeStepInOneStatement(step.itemId, owner, step.stepIndex, step.stepId, stepOutputs,
                                              static_cast<int>(step.outputs.size()), step.last);
        }
    }
    auto current = leasedItemAtStep(step.itemId, owner, step.stepIndex);
    if (!current)
        return fail(current.error());
    const QString bot = current->bot;
    QJsonObject stepOutputs = current->stepOutputs;
    stepOutputs.insert(step.stepId, step.outputs);

    const StepCompletion completion = describeCompletion(step.itemId, owner, step.stepIndex, step.stepId, stepOutputs,
                                                         step.outputs.size(), step.last, m_clock.nowMs());
    auto updated = run(completion.update, completion.binds);
    if (!updated)
        return fail(updated.error());
    if (updated->numRowsAffected() != 1)
        return fail(lostLease(step.itemId, owner));
    for (const auto &[kind, detail] : completion.events) {
        if (auto logged = appendEvent(step.itemId, bot, kind, owner, detail); !logged)
            return logged;
    }
    if (m_dialect.singleStatementHotPath) {
        if (step.last)
            m_leasedOutputs.remove(step.itemId);
        else
            m_leasedOutputs.insert(step.itemId, {step.stepIndex + 1, stepOutputs});
    }
    return {};
}

Status SqlWorkStore::completeStepInOneStatement(qint64 itemId, const QString &owner, int stepIndex,
                                                const QString &stepId, const QJsonObject &stepOutputs,
                                                int outputCount, bool last)
{
    // The update's conditions (leased by `owner`, at `stepIndex`) are those under which
    // the known outputs are the row's; the events are appended only for an updated row.
    // The same description as the transaction's form, wrapped in data-modifying WITH
    // clauses, which SQLite lacks (it cannot feed an UPDATE's RETURNING into an INSERT).
    const qint64 now = m_clock.nowMs();
    const StepCompletion completion =
        describeCompletion(itemId, owner, stepIndex, stepId, stepOutputs, outputCount, last, now);
    QString sql = QStringLiteral("WITH updated AS (") + completion.update +
                  QStringLiteral(" RETURNING id, bot),"
                                 " logged AS (INSERT INTO events (at, item_id, bot, kind, actor, detail)"
                                 " SELECT CAST(? AS BIGINT), u.id, u.bot, e.kind, CAST(? AS TEXT), e.detail"
                                 " FROM updated u CROSS JOIN (VALUES ");
    QList<QVariant> binds = completion.binds;
    binds << now << owner;
    // One INSERT for all the events, in order (the events' ids are their order).
    for (qsizetype n = 0; n < completion.events.size(); ++n) {
        sql += QStringLiteral("%1(%2, CAST(? AS TEXT), CAST(? AS TEXT))").arg(n == 0 ? QString() : QStringLiteral(", ")).arg(n + 1);
        binds << completion.events.at(n).first << eventDetail(completion.events.at(n).second);
    }
    sql += QStringLiteral(") AS e (n, kind, detail) ORDER BY e.n)");
    sql += QStringLiteral(" SELECT count(*) FROM updated");
    // Not repeated after a lost connection: the step may have been stored before it broke.
    auto updated = runOnce(sql, binds);
    if (!updated)
        return fail(updated.error());
    const bool stored = updated->next() && updated->value(0).toLongLong() == 1;
    updated->finish();
    if (!stored) {
        m_leasedOutputs.remove(itemId);
        return fail(lostLease(itemId, owner));
    }
    if (last)
        m_leasedOutputs.remove(itemId);
    else
        m_leasedOutputs.insert(itemId, {stepIndex + 1, stepOutputs});
    return {};
}

} // namespace clerk::store
