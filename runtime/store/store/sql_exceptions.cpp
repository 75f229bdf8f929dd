// SqlWorkStore's exception queue (ExceptionQueue, exception_queue.h): listing, claiming,
// resolving, rejecting and passing on the items people answer.
#include "store/sql_work_store_p.h"

#include "core/human_answer.h"
#include "store/sql_rows_p.h"

namespace clerk::store {

QString SqlWorkStore::exceptionWhere(const ExceptionFilter &filter, qint64 now, QList<QVariant> &binds) const
{
    QString sql;
    // An expired claim counts as open, as exceptionFrom() shows it.
    if (!filter.state) {
        sql += QStringLiteral("state IN ('open', 'claimed')");
    } else if (*filter.state == ExceptionState::Open) {
        // The first term lets the queue's partial indexes serve these too.
        sql += QStringLiteral("state IN ('open', 'claimed') AND (state = 'open' OR (state = 'claimed' AND claim_expires_at < ?))");
        binds.append(now);
    } else if (*filter.state == ExceptionState::Claimed) {
        sql += QStringLiteral("state IN ('open', 'claimed') AND state = 'claimed' AND claim_expires_at >= ?");
        binds.append(now);
    } else {
        sql += QStringLiteral("state = ?");
        binds.append(toString(*filter.state));
    }
    if (!filter.team.isEmpty()) {
        sql += QStringLiteral(" AND team = ?");
        binds.append(filter.team);
    }
    if (!filter.bot.isEmpty()) {
        sql += QStringLiteral(" AND bot = ?");
        binds.append(filter.bot);
    }
    if (!filter.reason.isEmpty()) {
        // A plain substring: the text is bound, and instr/strpos treat no character as special.
        sql += m_dialect.driver == QLatin1String("QPSQL") ? QStringLiteral(" AND strpos(reason, ?) > 0")
                                                          : QStringLiteral(" AND instr(reason, ?) > 0");
        binds.append(filter.reason);
    }
    if (filter.claimed) {
        sql += *filter.claimed ? QStringLiteral(" AND state = 'claimed' AND claim_expires_at >= ?")
                               : QStringLiteral(" AND NOT (state = 'claimed' AND claim_expires_at >= ?)");
        binds.append(now);
    }
    if (!filter.claimedBy.isEmpty()) {
        sql += QStringLiteral(" AND state = 'claimed' AND claim_expires_at >= ? AND claimed_by = ?");
        binds.append(now);
        binds.append(filter.claimedBy);
    }
    if (filter.createdBefore.isValid()) {
        sql += QStringLiteral(" AND created_at < ?");
        binds.append(filter.createdBefore.toMSecsSinceEpoch());
    }
    return sql;
}

Result<QList<ExceptionItem>> SqlWorkStore::exceptions(const ExceptionFilter &filter)
{
    const qint64 now = m_clock.nowMs();
    QList<QVariant> binds;
    QString sql = QStringLiteral("SELECT ") + kExceptionColumns + QStringLiteral(" FROM exception_items WHERE ")
                  + exceptionWhere(filter, now, binds);
    // Urgent items first; then items without an SLA go last.
    // The same expressions as the queue's indexes (migration 10).
    sql += QStringLiteral(" ORDER BY priority DESC, COALESCE(sla_due_at, 9223372036854775807), id LIMIT ? OFFSET ?");
    binds.append(qMax(0, filter.limit));
    binds.append(qMax(0, filter.offset));

    auto query = run(sql, binds);
    if (!query)
        return fail(query.error());
    QList<ExceptionItem> found;
    while (query->next())
        found.append(exceptionFrom(*query, now));
    return found;
}

Result<qint64> SqlWorkStore::countExceptions(const ExceptionFilter &filter)
{
    QList<QVariant> binds;
    const QString sql = QStringLiteral("SELECT COUNT(*) FROM exception_items WHERE ")
                        + exceptionWhere(filter, m_clock.nowMs(), binds);
    auto query = run(sql, binds);
    if (!query)
        return fail(query.error());
    const qint64 count = query->next() ? query->value(0).toLongLong() : 0;
    query->finish();
    return count;
}

Result<ExceptionItem> SqlWorkStore::loadException(qint64 exceptionId, bool forUpdate)
{
    auto query = run(QStringLiteral("SELECT ") + kExceptionColumns + QStringLiteral(" FROM exception_items WHERE id = ?")
                         + (forUpdate ? rowLock() : QString()),
                     {exceptionId});
    if (!query)
        return fail(query.error());
    if (!query->next())
        return fail(Error::notFound(QStringLiteral("there is no exception item %1").arg(exceptionId)));
    ExceptionItem found = exceptionFrom(*query, m_clock.nowMs());
    query->finish();
    return found;
}

Result<ExceptionItem> SqlWorkStore::exception(qint64 exceptionId)
{
    return loadException(exceptionId);
}

namespace {

// Conflict when `item` cannot be decided by `actor` now; loaded through exceptionFrom(),
// so an expired claim already reads as open.
std::optional<Error> decisionConflict(const ExceptionItem &item, const QString &actor)
{
    if (item.state == ExceptionState::Resolved || item.state == ExceptionState::Rejected) {
        return Error::conflict(
            QStringLiteral("exception %1 is already %2 by %3").arg(item.id).arg(toString(item.state), item.decidedBy));
    }
    if (item.state == ExceptionState::Claimed && item.claimedBy != actor) {
        return Error::conflict(QStringLiteral("exception %1 is claimed by %2 until %3")
                                   .arg(item.id)
                                   .arg(item.claimedBy, describe(item.claimExpiresAt)));
    }
    return std::nullopt;
}

} // namespace

Status SqlWorkStore::claim(qint64 exceptionId, const QString &actor, std::chrono::milliseconds claimFor)
{
    if (actor.isEmpty())
        return fail(Error::invalidArgument(QStringLiteral("claiming an exception item needs a person's name")));

    return inWriteTransaction([&]() -> Status {
        auto current = loadException(exceptionId, true);
        if (!current)
            return fail(current.error());
        if (auto conflict = decisionConflict(*current, actor))
            return fail(*conflict);
        const bool renewing = current->state == ExceptionState::Claimed;  // and by `actor`
        const qint64 now = m_clock.nowMs();
        auto updated = run(QStringLiteral("UPDATE exception_items SET state = 'claimed', claimed_by = ?,"
                                          " claim_expires_at = ? WHERE id = ? AND state IN ('open', 'claimed')"),
                           {actor, now + claimFor.count(), exceptionId});
        if (!updated)
            return fail(updated.error());
        if (renewing)
            return {};
        return appendEvent(current->itemId, current->bot, QStringLiteral("claimed"), actor,
                           {{QStringLiteral("exception"), exceptionId}});
    });
}

Status SqlWorkStore::releaseClaim(qint64 exceptionId, const QString &actor)
{
    return inWriteTransaction([&]() -> Status {
        auto current = run(QStringLiteral("SELECT item_id, bot, state, claimed_by FROM exception_items WHERE id = ?")
                               + rowLock(),
                           {exceptionId});
        if (!current)
            return fail(current.error());
        if (!current->next())
            return fail(Error::notFound(QStringLiteral("there is no exception item %1").arg(exceptionId)));
        const qint64 itemId = current->value(0).toLongLong();
        const QString bot = current->value(1).toString();
        const QString state = current->value(2).toString();
        const QString claimedBy = current->value(3).toString();
        current->finish();
        // The claimer may give the item back even after the claim ran out, as long as
        // nobody else took it.
        if (state != QLatin1String("claimed") || claimedBy != actor) {
            return fail(Error::conflict(
                QStringLiteral("exception %1 is not claimed by %2").arg(exceptionId).arg(actor)));
        }
        auto updated = run(QStringLiteral("UPDATE exception_items SET state = 'open', claimed_by = NULL,"
                                          " claim_expires_at = NULL WHERE id = ? AND state = 'claimed' AND claimed_by = ?"),
                           {exceptionId, actor});
        if (!updated)
            return fail(updated.error());
        return appendEvent(itemId, bot, QStringLiteral("released"), actor, {{QStringLiteral("exception"), exceptionId}});
    });
}

Result<qint64> SqlWorkStore::resolve(qint64 exceptionId, const Decision &decision)
{
    if (decision.actor.isEmpty())
        return fail(Error::invalidArgument(QStringLiteral("a decision needs the name of the person who made it")));

    return inWriteTransaction([&]() -> Result<qint64> {
        auto current = loadException(exceptionId, true);
        if (!current)
            return fail(current.error());
        const ExceptionItem &exceptionItem = *current;
        if (auto conflict = decisionConflict(exceptionItem, decision.actor))
            return fail(*conflict);

        const HumanRequest asked{.choices = exceptionItem.choices,
                                 .fields = exceptionItem.fields,
                                 .outputs = exceptionItem.partialOutputs};
        const HumanAnswer answer{.choice = decision.choice,
                                 .fields = decision.fields,
                                 .implied = decision.outputs,
                                 .decidedBy = decision.actor};
        if (auto fits = checkAnswerFits(asked, answer); !fits)
            return fail(fits.error());

        auto work = run(QStringLiteral("SELECT state, step_cursor, step_outputs FROM work_items WHERE id = ?")
                            + rowLock(),
                        {exceptionItem.itemId});
        if (!work)
            return fail(work.error());
        if (!work->next())
            return fail(Error::notFound(QStringLiteral("there is no work item %1").arg(exceptionItem.itemId)));
        const QString itemState = work->value(0).toString();
        const int cursor = work->value(1).toInt();
        QJsonObject stepOutputs = objectFrom(work->value(2));
        work->finish();
        if (itemState != QLatin1String("waiting_for_human") || cursor != exceptionItem.stepIndex) {
            return fail(Error::conflict(QStringLiteral("item %1 is not waiting for exception %2 (it is %3 at step %4)")
                                            .arg(exceptionItem.itemId)
                                            .arg(exceptionId)
                                            .arg(itemState)
                                            .arg(cursor)));
        }

        const RecordedDecision recorded{.choice = decision.choice, .fields = decision.fields, .note = decision.note, .answered = true};
        // The answer becomes the step's outputs (core/human_answer.h).
        stepOutputs.insert(exceptionItem.stepId, answerOutputs(asked, answer));

        const qint64 now = m_clock.nowMs();
        auto decided = run(QStringLiteral("UPDATE exception_items SET state = 'resolved', decision = ?, decided_by = ?,"
                                          " decided_at = ? WHERE id = ? AND state IN ('open', 'claimed')"),
                           {jsonText(recorded.toJson()), decision.actor, now, exceptionId});
        if (!decided)
            return fail(decided.error());
        if (decided->numRowsAffected() != 1)
            return fail(Error::conflict(QStringLiteral("exception %1 changed while being resolved").arg(exceptionId)));

        auto resumed = run(QStringLiteral("UPDATE work_items SET state = 'queued', step_outputs = ?, step_cursor = ?,"
                                          " not_before = ?, attempts = 0, updated_at = ?"
                                          " WHERE id = ? AND state = 'waiting_for_human' AND step_cursor = ?"),
                           {jsonText(stepOutputs), exceptionItem.stepIndex + 1, now, now, exceptionItem.itemId,
                            exceptionItem.stepIndex});
        if (!resumed)
            return fail(resumed.error());
        if (resumed->numRowsAffected() != 1)
            return fail(Error::conflict(QStringLiteral("item %1 changed while being resumed").arg(exceptionItem.itemId)));

        QJsonObject detail{{QStringLiteral("exception"), exceptionId},
                           {QStringLiteral("step"), exceptionItem.stepId},
                           {QStringLiteral("fields"), decision.fields.size()}};
        if (!decision.choice.isEmpty())
            detail.insert(QStringLiteral("choice"), decision.choice);
        if (auto logged = appendEvent(exceptionItem.itemId, exceptionItem.bot, QStringLiteral("resolved"),
                                      decision.actor, detail);
            !logged)
            return fail(logged.error());
        if (auto logged = appendEvent(exceptionItem.itemId, exceptionItem.bot, QStringLiteral("resumed"), decision.actor,
                                      {{QStringLiteral("step_index"), exceptionItem.stepIndex + 1}});
            !logged)
            return fail(logged.error());
        return exceptionItem.itemId;
    });
}

Result<qint64> SqlWorkStore::reject(qint64 exceptionId, const QString &actor, const QString &reason)
{
    if (actor.isEmpty())
        return fail(Error::invalidArgument(QStringLiteral("a rejection needs the name of the person who made it")));

    return inWriteTransaction([&]() -> Result<qint64> {
        auto current = loadException(exceptionId, true);
        if (!current)
            return fail(current.error());
        if (auto conflict = decisionConflict(*current, actor))
            return fail(*conflict);

        const qint64 now = m_clock.nowMs();
        auto decided = run(QStringLiteral("UPDATE exception_items SET state = 'rejected', decision = ?, decided_by = ?,"
                                          " decided_at = ? WHERE id = ? AND state IN ('open', 'claimed')"),
                           {jsonText(RecordedDecision{.rejected = reason}.toJson()), actor, now, exceptionId});
        if (!decided)
            return fail(decided.error());
        if (decided->numRowsAffected() != 1)
            return fail(Error::conflict(QStringLiteral("exception %1 changed while being rejected").arg(exceptionId)));

        auto cancelled = run(QStringLiteral("UPDATE work_items SET state = 'cancelled', last_error = ?, finished_at = ?,"
                                            " updated_at = ? WHERE id = ? AND state = 'waiting_for_human'"),
                             {QStringLiteral("rejected by %1: %2").arg(actor, reason), now, now, current->itemId});
        if (!cancelled)
            return fail(cancelled.error());
        if (cancelled->numRowsAffected() != 1) {
            return fail(Error::conflict(
                QStringLiteral("item %1 is not waiting for exception %2").arg(current->itemId).arg(exceptionId)));
        }
        if (auto logged = appendEvent(current->itemId, current->bot, QStringLiteral("rejected"), actor,
                                      {{QStringLiteral("exception"), exceptionId},
                                       {QStringLiteral("step"), current->stepId},
                                       {QStringLiteral("reason"), reason}});
            !logged)
            return fail(logged.error());
        return current->itemId;
    });
}

Status SqlWorkStore::reassign(qint64 exceptionId, const QString &team, const QString &actor, const QString &reason)
{
    if (team.isEmpty())
        return fail(Error::invalidArgument(QStringLiteral("name the team to pass the item to")));
    if (actor.isEmpty())
        return fail(Error::invalidArgument(QStringLiteral("passing an item on needs the name of the person doing it")));
    return inWriteTransaction([&]() -> Status {
        auto current = loadException(exceptionId, true);
        if (!current)
            return fail(current.error());
        if (current->state == ExceptionState::Resolved || current->state == ExceptionState::Rejected) {
            return fail(Error::conflict(QStringLiteral("exception %1 is already %2 by %3")
                                            .arg(exceptionId)
                                            .arg(toString(current->state), current->decidedBy)));
        }
        auto moved = run(QStringLiteral("UPDATE exception_items SET team = ?, state = 'open', claimed_by = NULL,"
                                        " claim_expires_at = NULL WHERE id = ? AND state IN ('open', 'claimed')"),
                         {team, exceptionId});
        if (!moved)
            return fail(moved.error());
        return appendEvent(current->itemId, current->bot, QStringLiteral("reassigned"), actor,
                           {{QStringLiteral("exception"), exceptionId},
                            {QStringLiteral("from_team"), current->team},
                            {QStringLiteral("to_team"), team},
                            {QStringLiteral("reason"), reason}});
    });
}

} // namespace clerk::store
