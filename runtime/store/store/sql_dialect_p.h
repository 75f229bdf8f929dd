// SqlDialect: what differs between the SQL store's backends, SQLite and PostgreSQL, and
// runSql(), which runs one statement with bound values on either. Private to clerk_store.
//
// The store's SQL is written once, in the subset both understand (ON CONFLICT ... DO
// NOTHING, RETURNING, bound parameters); a dialect holds only the pieces that cannot be:
// how a write transaction starts, the migration lock, 64-bit integers, the generated key,
// blobs, the lease query's lock clause and index hint, row locks, the append-only
// triggers, the list of tables, error codes, whether the hot path runs as one
// statement each, and the one figure read from inside stored JSON.
//
// Thread-safety: the dialects are constants; runSql() uses the connection given, which
// belongs to the calling thread.
#pragma once

#include "core/error.h"

#include <QList>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QString>
#include <QStringList>
#include <QVariant>

namespace clerk::store {

struct SqlDialect {
    QString driver;               // Qt SQL driver name, "QSQLITE" or "QPSQL"
    QString beginWrite;           // starts a write transaction (on SQLite one that holds the write lock
                                  // from its first statement)
    QString migrationLock;        // first statement of each migration transaction: "" for SQLite (beginWrite
                                  // locks the file), a transaction-scoped advisory lock for PostgreSQL
    QString integerType;          // the type written INTEGER in the schema: 64-bit on both
    QString autoIncrementKey;     // column definition of a generated integer primary key
    QString blobType;             // column type for raw bytes
    QString leaseLockClause;      // appended to the lease SELECT: "" for SQLite (writers are serialised by
                                  // beginWrite), "FOR UPDATE SKIP LOCKED" for PostgreSQL
    QString leaseIndexHint;       // after "FROM work_items" in the lease query: SQLite's INDEXED BY, or ""
    QString rowLockClause;        // appended to a SELECT whose row a write then depends on: "" / "FOR UPDATE"
    QStringList (*appendOnlyTriggers)(const QString &table);  // statements forbidding UPDATE and DELETE
    // Statements replacing the events table's append-only triggers of version 1 with ones
    // that allow one change: the detail of a "rejected" or "reassigned" event of an erased
    // item (its typed reason blanked), every other column as it was (schema version 13).
    QStringList (*erasableReasonTriggers)();
    QString listTablesSql;        // names of the user tables in the database
    // Turns a driver error into a clerk Error. `location` names the database in messages;
    // `doing` says what was being done, for the Internal case.
    Error (*mapError)(const QSqlError &error, const QString &location, const QString &doing);
    bool reusePreparedStatements = false;  // keep each statement prepared for the connection's life
    // The worker's hot path (lease, complete a step) as one statement each, with
    // data-modifying WITH clauses, instead of a transaction of several: one round trip
    // to the server instead of six. PostgreSQL only; SQLite runs in the process.
    bool singleStatementHotPath = false;
    // Run after every few hundred new items a connection enqueues, so that a planner that
    // plans from statistics ("ANALYZE work_items" on PostgreSQL) keeps walking the lease
    // index after a burst; "" when the lease query names its index (SQLite).
    QString refreshLeaseStatistics;
    // Figures::answersWithList() as one statement over the JSON text columns (SQLite's json1,
    // PostgreSQL's jsonb): binds the answered field, the evidence's list key, the key each
    // entry must hold as text, then the bot; returns (step_id, count) by step_id.
    QString answersWithListSql;

    static const SqlDialect &sqlite();
    static const SqlDialect &postgresql();
    // The dialect of a connection, by its driver name.
    static const SqlDialect &of(const QSqlDatabase &db);
};

// SQLite's result codes to clerk Errors.
Error mapSqlError(const QSqlError &error, const QString &location, const QString &doing);
// PostgreSQL's SQLSTATE codes (and libpq's connection messages) to clerk Errors.
Error mapPostgresError(const QSqlError &error, const QString &location, const QString &doing);

// The start of a statement, for messages.
QString describeStatement(const QString &sql);
// `value` as it should be bound: a null QString or QByteArray as an empty value.
QVariant bindable(const QVariant &value);

// Runs `sql` with positional `?` parameters bound in order. An invalid QVariant binds SQL
// NULL; a null QString or QByteArray binds an empty value. Returns the executed query
// (positioned before its first row) or the error mapped by the connection's dialect.
// A statement without parameters is executed directly, not prepared (PostgreSQL cannot
// prepare DDL or transaction control).
// `driverError`, when given, receives the driver's error on failure.
Result<QSqlQuery> runSql(const QSqlDatabase &db, const QString &location, const QString &sql,
                         const QList<QVariant> &binds = {}, QSqlError *driverError = nullptr);

} // namespace clerk::store
