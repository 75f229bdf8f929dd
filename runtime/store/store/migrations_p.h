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

#include <functional>

class QSqlDatabase;

namespace clerk::store {

struct SqlDialect;

struct Migration {
    int version = 0;
    QString description;
    QStringList statements;  // one SQL statement each, run in order
};

// Every step, in order; step N at index N - 1.
QList<Migration> migrationsFor(const SqlDialect &dialect);

// The version this build of clerk creates and understands.
int latestSchemaVersion();

// The refusal of a database whose schema (`current`) is newer than this clerk's.
Error newerSchemaError(int current, int latest, const QString &location);

// The highest version recorded in `db`, read without writing: 0 for an empty database.
// Errors: Corrupt when it holds tables but no clerk schema; the mapped driver error.
Result<int> recordedSchemaVersion(const QSqlDatabase &db, const SqlDialect &dialect, const QString &location);

// Brings the schema of `db` up to date. Always takes the write lock once (with a no-op
// write), so a read-only or locked database is reported here, at open. `onApplied`, when
// set, is called after each step commits.
// Errors: InvalidArgument when the database is newer than this clerk; the mapped driver
// error otherwise.
Status migrateSchema(const QSqlDatabase &db, const SqlDialect &dialect, const QString &location, qint64 nowMs,
                     const std::function<void(int version, const QString &description)> &onApplied = {});

} // namespace clerk::store
