// Values to and from the SQL store's columns: times are milliseconds since 1970 (UTC) or
// NULL, JSON is compact text, and a work item or exception item is read from the columns
// named here. Private to clerk_store.
#pragma once

#include "core/work_item.h"
#include "store/exception_queue.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonObject>
#include <QSqlQuery>
#include <QString>
#include <QVariant>

namespace clerk::store {

// The columns itemFrom() reads, in its order.
extern const QString kItemColumns;
// The columns exceptionFrom() reads, in its order.
extern const QString kExceptionColumns;

// An integer NULL.
QVariant nullInt();
// Milliseconds since 1970, or NULL for an invalid time.
QVariant msOrNull(const QDateTime &time);
// The text, or NULL when empty.
QVariant textOrNull(const QString &text);
// A stored time; invalid for NULL.
QDateTime timeFrom(const QVariant &value);
QString jsonText(const QJsonObject &object);
QString jsonText(const QJsonArray &array);
// Stored JSON text; empty when it is not an object (array).
QJsonObject objectFrom(const QVariant &value);
QJsonArray arrayFrom(const QVariant &value);

// Reads one row selected with kItemColumns.
WorkItem itemFrom(const QSqlQuery &query);
// Reads one row selected with kExceptionColumns. A claim that has run out is shown as
// open: anyone may take the item again.
ExceptionItem exceptionFrom(const QSqlQuery &query, qint64 nowMs);

// A time for messages: ISO 8601 in UTC.
QString describe(const QDateTime &time);

} // namespace clerk::store
