// What differs between SQLite and PostgreSQL (SqlDialect), their error codes, and running
// one statement with bound values (see sql_dialect_p.h).
#include "store/sql_dialect_p.h"

#include "core/logging.h"

#include <QRegularExpression>
#include <QSqlQuery>

namespace clerk::store {

namespace {

QStringList sqliteAppendOnlyTriggers(const QString &table)
{
    return {
        QStringLiteral("CREATE TRIGGER %1_no_update BEFORE UPDATE ON %1 "
                       "BEGIN SELECT RAISE(ABORT, '%1 are append-only'); END")
            .arg(table),
        QStringLiteral("CREATE TRIGGER %1_no_delete BEFORE DELETE ON %1 "
                       "BEGIN SELECT RAISE(ABORT, '%1 are append-only'); END")
            .arg(table),
    };
}

QStringList postgresAppendOnlyTriggers(const QString &table)
{
    // Row triggers stop UPDATE and DELETE; TRUNCATE fires statement triggers only.
    return {
        QStringLiteral("CREATE FUNCTION %1_append_only() RETURNS trigger LANGUAGE plpgsql AS $$"
                       " BEGIN RAISE EXCEPTION '%1 are append-only (% refused)', TG_OP; END $$")
            .arg(table),
        QStringLiteral("CREATE TRIGGER %1_no_change BEFORE UPDATE OR DELETE ON %1"
                       " FOR EACH ROW EXECUTE FUNCTION %1_append_only()")
            .arg(table),
        QStringLiteral("CREATE TRIGGER %1_no_truncate BEFORE TRUNCATE ON %1"
                       " FOR EACH STATEMENT EXECUTE FUNCTION %1_append_only()")
            .arg(table),
    };
}

// The one change an event allows: an erased item's rejection or hand-over has its
// detail (the reason a person typed) rewritten; id, time, item, bot, kind and actor stay.
const char *const kReasonErasure =
    "OLD.kind IN ('rejected', 'reassigned') AND NEW.id = OLD.id AND NEW.at = OLD.at"
    " AND NEW.item_id = OLD.item_id AND NEW.bot %1 OLD.bot AND NEW.kind = OLD.kind AND NEW.actor %1 OLD.actor"
    " AND EXISTS (SELECT 1 FROM work_items WHERE id = OLD.item_id AND erased_at IS NOT NULL)";

QStringList sqliteErasableReasonTriggers()
{
    return {
        QStringLiteral("DROP TRIGGER events_no_update"),
        QStringLiteral("CREATE TRIGGER events_no_update BEFORE UPDATE ON events WHEN NOT (%1) "
                       "BEGIN SELECT RAISE(ABORT, 'events are append-only'); END")
            .arg(QString::fromLatin1(kReasonErasure).arg(QStringLiteral("IS"))),
    };
}

QStringList postgresErasableReasonTriggers()
{
    return {
        QStringLiteral("DROP TRIGGER events_no_change ON events"),
        QStringLiteral("CREATE TRIGGER events_no_delete BEFORE DELETE ON events"
                       " FOR EACH ROW EXECUTE FUNCTION events_append_only()"),
        QStringLiteral("CREATE FUNCTION events_reason_erasure() RETURNS trigger LANGUAGE plpgsql AS $$"
                       " BEGIN IF %1 THEN RETURN NEW; END IF;"
                       " RAISE EXCEPTION 'events are append-only (% refused)', TG_OP; END $$")
            .arg(QString::fromLatin1(kReasonErasure).arg(QStringLiteral("IS NOT DISTINCT FROM"))),
        QStringLiteral("CREATE TRIGGER events_no_update BEFORE UPDATE ON events"
                       " FOR EACH ROW EXECUTE FUNCTION events_reason_erasure()"),
    };
}

} // namespace

const SqlDialect &SqlDialect::sqlite()
{
    static const SqlDialect dialect{
        .driver = QStringLiteral("QSQLITE"),
        // A deferred BEGIN takes the write lock at the first write, and when another
        // connection wrote in between SQLite answers SQLITE_BUSY without waiting.
        .beginWrite = QStringLiteral("BEGIN IMMEDIATE"),
        .migrationLock = QString(),
        // SQLite's INTEGER is 64-bit already.
        .integerType = QStringLiteral("INTEGER"),
        // AUTOINCREMENT: ids of deleted rows are never handed out again.
        .autoIncrementKey = QStringLiteral("INTEGER PRIMARY KEY AUTOINCREMENT"),
        .blobType = QStringLiteral("BLOB"),
        .leaseLockClause = QString(),
        // Without statistics SQLite would find a bot's items by the (bot, source_ref)
        // index and sort them all on every lease.
        .leaseIndexHint = QStringLiteral(" INDEXED BY work_items_runnable"),
        .rowLockClause = QString(),
        .appendOnlyTriggers = &sqliteAppendOnlyTriggers,
        .erasableReasonTriggers = &sqliteErasableReasonTriggers,
        .listTablesSql = QStringLiteral("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"),
        .mapError = &mapSqlError,
        // A kept statement that was not read to its end would hold SQLite's read lock.
        .reusePreparedStatements = false,
        .singleStatementHotPath = false,
        .refreshLeaseStatistics = QString(),
        // A row whose JSON does not parse counts as no answer; CASE keeps json1 from
        // reading it (a malformed text would fail the whole statement).
        .answersWithListSql = QStringLiteral(
            "WITH p (field_path, list_path, entry_path) AS"
            " (SELECT '$.fields.\"' || ? || '\"', '$.\"' || ? || '\"', '$.\"' || ? || '\"')"
            " SELECT x.step_id, COUNT(*) FROM exception_items x, p WHERE x.bot = ? AND x.state = 'resolved'"
            " AND CASE WHEN json_valid(x.decision) AND json_valid(x.evidence) THEN"
            " (json_type(x.decision, p.field_path) IS NOT NULL"
            " OR (json_type(x.decision, '$.choice') = 'text' AND trim(json_extract(x.decision, '$.choice')) <> ''))"
            " AND json_type(x.evidence, p.list_path) = 'array' AND json_array_length(x.evidence, p.list_path) > 0"
            " AND NOT EXISTS (SELECT 1 FROM json_each(x.evidence, p.list_path) c"
            " WHERE CASE WHEN c.type = 'object' THEN json_type(c.value, p.entry_path) IS NOT 'text' ELSE 1 END)"
            " ELSE 0 END"
            " GROUP BY x.step_id ORDER BY x.step_id"),
    };
    return dialect;
}

const SqlDialect &SqlDialect::postgresql()
{
    static const SqlDialect dialect{
        .driver = QStringLiteral("QPSQL"),
        // READ COMMITTED: each statement sees what committed before it; the row locks and
        // the repeated conditions in the updates keep concurrent writers apart.
        .beginWrite = QStringLiteral("BEGIN"),
        // Held until the migration's transaction ends; the key is clerk's own constant
        // ("clerk" in ASCII), and advisory locks are per database.
        .migrationLock = QStringLiteral("SELECT pg_advisory_xact_lock(435744074603)"),
        // Times are milliseconds since 1970: more than 32 bits.
        .integerType = QStringLiteral("BIGINT"),
        .autoIncrementKey = QStringLiteral("BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"),
        .blobType = QStringLiteral("BYTEA"),
        .leaseLockClause = QStringLiteral("FOR UPDATE SKIP LOCKED"),
        .leaseIndexHint = QString(),
        .rowLockClause = QStringLiteral("FOR UPDATE"),
        .appendOnlyTriggers = &postgresAppendOnlyTriggers,
        .erasableReasonTriggers = &postgresErasableReasonTriggers,
        .listTablesSql = QStringLiteral("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"),
        .mapError = &mapPostgresError,
        .reusePreparedStatements = true,
        .singleStatementHotPath = true,
        .refreshLeaseStatistics = QStringLiteral("ANALYZE work_items"),
        // Only a text that starts as an object is cast (a cast of anything else that is
        // not JSON would fail the whole statement); the store writes both columns as objects.
        .answersWithListSql = QStringLiteral(
            "WITH p AS (SELECT CAST(? AS text) AS field, CAST(? AS text) AS list, CAST(? AS text) AS entry),"
            " r AS (SELECT x.step_id,"
            " CASE WHEN x.decision LIKE '{%' THEN CAST(x.decision AS jsonb) END AS d,"
            " CASE WHEN x.evidence LIKE '{%' THEN CAST(x.evidence AS jsonb) END AS e"
            " FROM exception_items x WHERE x.bot = ? AND x.state = 'resolved')"
            " SELECT r.step_id, COUNT(*) FROM r, p WHERE"
            " (jsonb_typeof(r.d -> 'fields' -> p.field) IS NOT NULL"
            " OR (jsonb_typeof(r.d -> 'choice') = 'string' AND btrim(r.d ->> 'choice') <> ''))"
            " AND CASE WHEN jsonb_typeof(r.e -> p.list) = 'array' THEN jsonb_array_length(r.e -> p.list) > 0"
            " AND NOT EXISTS (SELECT 1 FROM jsonb_array_elements(r.e -> p.list) c (v)"
            " WHERE jsonb_typeof(c.v -> p.entry) IS DISTINCT FROM 'string')"
            " ELSE false END"
            " GROUP BY r.step_id ORDER BY r.step_id"),
    };
    return dialect;
}

const SqlDialect &SqlDialect::of(const QSqlDatabase &db)
{
    return db.driverName() == QLatin1String("QPSQL") ? postgresql() : sqlite();
}

// --- errors and statements ---------------------------------------------------------------

Error mapSqlError(const QSqlError &error, const QString &location, const QString &doing)
{
    bool ok = false;
    const int code = error.nativeErrorCode().toInt(&ok);
    // Extended result codes carry the primary code in their low byte.
    const int primary = ok ? (code & 0xff) : -1;
    switch (primary) {
    case 5:  // SQLITE_BUSY
    case 6:  // SQLITE_LOCKED
        return Error::unavailable(QStringLiteral("database %1 is locked by another process").arg(location));
    case 8:  // SQLITE_READONLY
        return Error::permissionDenied(QStringLiteral("database %1 is read-only").arg(location));
    case 11: // SQLITE_CORRUPT
    case 26: // SQLITE_NOTADB
        return Error::corrupt(QStringLiteral("%1 is not a clerk database (or is damaged)").arg(location));
    case 13: // SQLITE_FULL
        return Error::unavailable(QStringLiteral("the disk holding database %1 is full").arg(location));
    case 14: // SQLITE_CANTOPEN
        return Error::unavailable(QStringLiteral("cannot open database %1: %2").arg(location, error.text()));
    default:
        break;
    }
    // Values are always bound, so the driver text holds no personal data.
    return Error::internal(QStringLiteral("database %1: %2 failed: %3").arg(location, doing, error.text()));
}

Error mapPostgresError(const QSqlError &error, const QString &location, const QString &doing)
{
    const QString state = error.nativeErrorCode();
    const QString text = error.databaseText().trimmed().isEmpty() ? error.text() : error.databaseText().trimmed();
    const auto unavailable = [&](const QString &what) {
        return Error::unavailable(QStringLiteral("PostgreSQL at %1 %2: %3").arg(location, what, text));
    };
    // Errors before a statement ran (connecting) carry no SQLSTATE, only libpq's message.
    if (state.isEmpty()) {
        if (text.contains(QLatin1String("password authentication failed"))
            || text.contains(QLatin1String("no password supplied"))
            || text.contains(QLatin1String("pg_hba.conf"))
            || text.contains(QLatin1String("permission denied"))) {
            return Error::permissionDenied(
                QStringLiteral("PostgreSQL at %1 refused the sign-in (wrong user or password, or not allowed): %2")
                    .arg(location, text));
        }
        static const QRegularExpression missingDatabase(QStringLiteral("database \"[^\"]*\" does not exist"));
        if (text.contains(missingDatabase))
            return Error::notFound(QStringLiteral("PostgreSQL at %1: %2; create it first").arg(location, text));
        return unavailable(QStringLiteral("cannot be reached"));
    }
    const QString errorClass = state.left(2);
    if (errorClass == QLatin1String("08") || state.startsWith(QLatin1String("57P")))
        return unavailable(QStringLiteral("lost the connection"));
    if (errorClass == QLatin1String("53"))
        return unavailable(QStringLiteral("is out of resources"));
    if (state == QLatin1String("55P03") || state == QLatin1String("57014"))
        return Error::unavailable(QStringLiteral("database %1 is locked by another process").arg(location));
    if (state == QLatin1String("40001") || state == QLatin1String("40P01"))
        return unavailable(QStringLiteral("gave way to a concurrent transaction; try again"));
    if (errorClass == QLatin1String("28") || state == QLatin1String("42501"))
        return Error::permissionDenied(QStringLiteral("PostgreSQL at %1 refused: %2").arg(location, text));
    if (state == QLatin1String("3D000"))
        return Error::notFound(QStringLiteral("PostgreSQL at %1: %2; create it first").arg(location, text));
    // Values are always bound, so the server's text holds no personal data.
    return Error::internal(QStringLiteral("database %1: %2 failed: %3 (SQLSTATE %4)").arg(location, doing, text, state));
}

QString describeStatement(const QString &sql)
{
    const QString head = sql.simplified();
    return QStringLiteral("\"%1\"").arg(head.size() > 80 ? head.left(77) + QStringLiteral("...") : head);
}

QVariant bindable(const QVariant &value)
{
    // Qt SQL binds a null QString or QByteArray as SQL NULL. Text and blobs bound here
    // mean a value, possibly empty; callers pass an invalid QVariant for NULL.
    if (value.typeId() == QMetaType::QString && value.toString().isNull())
        return QStringLiteral("");
    if (value.typeId() == QMetaType::QByteArray && value.toByteArray().isNull())
        return QByteArray("", 0);
    return value;
}

Result<QSqlQuery> runSql(const QSqlDatabase &db, const QString &location, const QString &sql,
                         const QList<QVariant> &binds, QSqlError *driverError)
{
    const SqlDialect &dialect = SqlDialect::of(db);
    QSqlQuery query(db);
    query.setForwardOnly(true);
    const auto failed = [&](const QSqlError &error) {
        qCDebug(lcStore) << "statement failed:" << describeStatement(sql) << "code" << error.nativeErrorCode()
                         << error.text();
        if (driverError)
            *driverError = error;
        return fail(dialect.mapError(error, location, describeStatement(sql)));
    };
    if (binds.isEmpty()) {
        if (!query.exec(sql))
            return failed(query.lastError());
        return query;
    }
    if (!query.prepare(sql))
        return failed(query.lastError());
    for (const QVariant &value : binds)
        query.addBindValue(bindable(value));
    if (!query.exec())
        return failed(query.lastError());
    return query;
}

} // namespace clerk::store
