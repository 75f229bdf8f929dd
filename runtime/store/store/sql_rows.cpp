// Values to and from the SQL store's columns (see sql_rows_p.h).
#include "store/sql_rows_p.h"

#include <QJsonDocument>

namespace clerk::store {

const QString kItemColumns = QStringLiteral(
    "id, bot, bot_version, definition_digest, source_ref, payload, state, attempts, step_cursor, step_outputs,"
    " lease_owner, lease_expires_at, not_before, priority, last_error, created_at, updated_at, finished_at, erased_at");

const QString kExceptionColumns = QStringLiteral(
    "id, item_id, bot, step_index, step_id, team, reason, evidence, choices, fields, state, created_at,"
    " sla_due_at, claimed_by, claim_expires_at, decision, decided_by, decided_at, partial_outputs, priority, urgency");


QVariant nullInt()
{
    return QVariant(QMetaType::fromType<qint64>());
}

QVariant msOrNull(const QDateTime &time)
{
    return time.isValid() ? QVariant(time.toMSecsSinceEpoch()) : nullInt();
}

QVariant textOrNull(const QString &text)
{
    return text.isEmpty() ? QVariant() : QVariant(text);
}

QDateTime timeFrom(const QVariant &value)
{
    if (value.isNull())
        return {};
    return QDateTime::fromMSecsSinceEpoch(value.toLongLong(), Qt::UTC);
}

QString jsonText(const QJsonObject &object)
{
    return QString::fromUtf8(QJsonDocument(object).toJson(QJsonDocument::Compact));
}

QString jsonText(const QJsonArray &array)
{
    return QString::fromUtf8(QJsonDocument(array).toJson(QJsonDocument::Compact));
}

QJsonObject objectFrom(const QVariant &value)
{
    return QJsonDocument::fromJson(value.toString().toUtf8()).object();
}

QJsonArray arrayFrom(const QVariant &value)
{
    return QJsonDocument::fromJson(value.toString().toUtf8()).array();
}

// Reads one row selected with kItemColumns.
WorkItem itemFrom(const QSqlQuery &query)
{
    WorkItem item;
    item.id = query.value(0).toLongLong();
    item.bot = query.value(1).toString();
    item.botVersion = query.value(2).toString();
    item.definitionDigest = query.value(3).toString();
    item.sourceRef = query.value(4).toString();
    item.payload = objectFrom(query.value(5));
    item.state = itemStateFromString(query.value(6).toString()).value_or(ItemState::Failed);
    item.attempts = query.value(7).toInt();
    item.stepCursor = query.value(8).toInt();
    item.stepOutputs = objectFrom(query.value(9));
    item.leaseOwner = query.value(10).toString();
    item.leaseExpiresAt = timeFrom(query.value(11));
    item.notBefore = timeFrom(query.value(12));
    item.priority = query.value(13).toInt();
    item.lastError = query.value(14).toString();
    item.createdAt = timeFrom(query.value(15));
    item.updatedAt = timeFrom(query.value(16));
    item.finishedAt = timeFrom(query.value(17));
    item.erasedAt = timeFrom(query.value(18));
    return item;
}

// Reads one row selected with kExceptionColumns. A claim that has run out is shown as
// open: anyone may take the item again.
ExceptionItem exceptionFrom(const QSqlQuery &query, qint64 nowMs)
{
    ExceptionItem item;
    item.id = query.value(0).toLongLong();
    item.itemId = query.value(1).toLongLong();
    item.bot = query.value(2).toString();
    item.stepIndex = query.value(3).toInt();
    item.stepId = query.value(4).toString();
    item.team = query.value(5).toString();
    item.reason = query.value(6).toString();
    item.evidence = objectFrom(query.value(7));
    item.choices = HumanRequest::choicesFromJson(arrayFrom(query.value(8)));
    for (const QJsonValue &field : arrayFrom(query.value(9)))
        item.fields.append(field.toString());
    item.state = exceptionStateFromString(query.value(10).toString()).value_or(ExceptionState::Open);
    item.createdAt = timeFrom(query.value(11));
    item.slaDueAt = timeFrom(query.value(12));
    item.claimedBy = query.value(13).toString();
    item.claimExpiresAt = timeFrom(query.value(14));
    item.decision = RecordedDecision::fromJson(objectFrom(query.value(15)));
    item.decidedBy = query.value(16).toString();
    item.decidedAt = timeFrom(query.value(17));
    item.partialOutputs = objectFrom(query.value(18));
    item.priority = query.value(19).toInt();
    item.urgency = query.value(20).toString();
    if (item.state == ExceptionState::Claimed && item.claimExpiresAt.isValid()
        && item.claimExpiresAt.toMSecsSinceEpoch() < nowMs) {
        item.state = ExceptionState::Open;
        item.claimedBy.clear();
        item.claimExpiresAt = {};
    }
    return item;
}

QString describe(const QDateTime &time)
{
    return time.toUTC().toString(Qt::ISODate);
}

} // namespace clerk::store
