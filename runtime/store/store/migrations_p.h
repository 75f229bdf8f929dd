// Schema migrations of the SQL work store. Private to clerk_store.
//
// The schema is an ordered list of steps; step N takes the database from version N-1 to
// version N. Each step is applied in its own write transaction together with its row in
// schema_version, and the version is read again inside that transaction, so two
// processes opening a new database at the same time cannot both apply a step.
#pragma once

#include "core/error.h"

#include <QList>
#include <QStringList>

class QSqlDatabase;

namespace clerk::store {

struct SqlDialect;

struct Migration {
    int version = 0;
    QString description;
    QStringList statements;  // one SQL statement each, run in order
};

// The version this build of clerk creates and understands.
int latestSchemaVersion();

// Brings the schema of `db` up to date. Always takes the write lock once (with a no-op
// write), so a read-only or locked database is reported here, at open.
// Errors: InvalidArgument when the database is newer than this clerk; the mapped driver
// error otherwise.
Status migrateSchema(const QSqlDatabase &db, const SqlDialect &dialect, const QString &location, qint64 nowMs);

} // namespace clerk::store
