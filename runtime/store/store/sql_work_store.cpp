// SqlWorkStore's connection: opening (SQLite or PostgreSQL) and migrating, running
// statements (reconnecting to PostgreSQL outside a transaction), write transactions, the
// event rows every change appends, and the lease checks the item calls share. The roles'
// calls live in files of their own: sql_items.cpp, sql_lease.cpp, sql_exceptions.cpp,
// sql_outbox.cpp, sql_leadership.cpp, sql_people.cpp, sql_figures.cpp, sql_events.cpp.
#include "store/sql_work_store_p.h"

#include "core/logging.h"
#include "store/migrations_p.h"
#include "store/postgres_location_p.h"
#include "store/sql_rows_p.h"

#include <QDeadlineTimer>
#include <QDir>
#include <QFileInfo>
#include <QThread>

#include <atomic>
#include <unistd.h>

namespace clerk::store {

// --- lifetime ----------------------------------------------------------------------------

SqlWorkStore::SqlWorkStore(const SqlDialect &dialect, QString connectionName, QString location, const Clock &clock)
    : m_dialect(dialect), m_connectionName(std::move(connectionName)), m_location(std::move(location)), m_clock(clock)
{
}

SqlWorkStore::~SqlWorkStore()
{
    giveTurn();  // a transaction never outlives its call; this is only in case
    // Every other QSqlQuery is local to a call, so none is alive once the kept ones are
    // gone; the handle must be dropped before removeDatabase, or Qt warns that the
    // connection is still in use.
    m_statements.clear();
    if (m_db.isValid())
        m_db.close();
    m_db = QSqlDatabase();
    QSqlDatabase::removeDatabase(m_connectionName);
}

Result<std::unique_ptr<SqlWorkStore>> SqlWorkStore::openSqlite(const QString &path, const Clock &clock,
                                                               StoreOptions options)
{
    if (path.trimmed().isEmpty())
        return fail(Error::invalidArgument(QStringLiteral("no database file given")));

    const QFileInfo file(path);
    const QString location = file.absoluteFilePath();
    const QString folder = file.absolutePath();
    if (file.isDir())
        return fail(Error::invalidArgument(QStringLiteral("%1 is a folder, not a database file").arg(location)));
    if (!QFileInfo(folder).isDir() && !QDir().mkpath(folder)) {
        return fail(Error::permissionDenied(
            QStringLiteral("cannot create folder %1 for database %2").arg(folder, location)));
    }
    // SQLite would only say "unable to open database file".
    if (!file.exists() && ::access(QFile::encodeName(folder).constData(), W_OK) != 0) {
        return fail(Error::permissionDenied(
            QStringLiteral("database %1 is read-only: its folder cannot be written").arg(location)));
    }

    const SqlDialect &dialect = SqlDialect::sqlite();
    if (!QSqlDatabase::isDriverAvailable(dialect.driver)) {
        return fail(Error::unavailable(
            QStringLiteral("the Qt SQLite driver (%1) is not installed").arg(dialect.driver)));
    }

    static std::atomic<quint64> connections{0};
    const QString name = QStringLiteral("clerk-store-%1").arg(++connections);
    std::unique_ptr<SqlWorkStore> store(new SqlWorkStore(dialect, name, location, clock));
    store->m_db = QSqlDatabase::addDatabase(dialect.driver, name);
    store->m_db.setDatabaseName(location);
    store->m_db.setConnectOptions(QStringLiteral("QSQLITE_BUSY_TIMEOUT=%1").arg(options.busyTimeout.count()));
    if (!store->m_db.open())
        return fail(mapSqlError(store->m_db.lastError(), location, QStringLiteral("opening")));
    store->m_busyTimeout = options.busyTimeout;
    store->m_turns = WriterTurns::of(location);
    if (auto ready = store->initialiseSqlite(options); !ready)
        return fail(ready.error());
    return store;
}

Result<std::unique_ptr<SqlWorkStore>> SqlWorkStore::openPostgres(const QString &url, const Clock &clock,
                                                                 StoreOptions options)
{
    auto target = parsePostgresLocation(url);
    if (!target)
        return fail(target.error());

    const SqlDialect &dialect = SqlDialect::postgresql();
    if (!QSqlDatabase::isDriverAvailable(dialect.driver)) {
        return fail(Error::unavailable(QStringLiteral("the Qt PostgreSQL driver (%1) is not installed; on Debian "
                                                      "install libqt6sql6-psql")
                                           .arg(dialect.driver)));
    }

    static std::atomic<quint64> connections{0};
    const QString name = QStringLiteral("clerk-store-pg-%1").arg(++connections);
    std::unique_ptr<SqlWorkStore> store(new SqlWorkStore(dialect, name, target->redacted, clock));
    store->m_db = addPostgresConnection(name, *target);
    // The password stays with the handle (libpq keeps it too): a lost connection is
    // opened again with it.
    if (!store->m_db.open())
        return fail(mapPostgresError(store->m_db.lastError(), target->redacted, QStringLiteral("connecting")));
    store->m_busyTimeout = options.busyTimeout;
    if (auto ready = store->initialisePostgresSession(); !ready)
        return fail(ready.error());
    if (auto migrated = migrateSchema(store->m_db, dialect, store->m_location, clock.nowMs(), options.migrated);
        !migrated)
        return fail(migrated.error());
    return store;
}

Status SqlWorkStore::initialisePostgresSession()
{
    // Notices ("relation already exists, skipping") would go to stderr through libpq.
    // lock_timeout plays the part of SQLite's busy timeout: how long to wait for a row or
    // the migration lock held by another process.
    for (const QString &setting : {QStringLiteral("SET client_min_messages = warning"),
                                   QStringLiteral("SET lock_timeout = %1").arg(m_busyTimeout.count())}) {
        if (auto set = runSql(m_db, m_location, setting); !set)
            return fail(set.error());
    }
    return {};
}

bool SqlWorkStore::reconnect()
{
    qCWarning(lcStore) << "lost the connection to" << m_location << "- connecting again";
    m_statements.clear();
    m_db.close();
    if (!m_db.open()) {
        qCWarning(lcStore) << "cannot connect to" << m_location << "again:"
                           << mapPostgresError(m_db.lastError(), m_location, QStringLiteral("connecting")).toString();
        return false;
    }
    return bool(initialisePostgresSession());
}

Status SqlWorkStore::initialiseSqlite(const StoreOptions &options)
{
    // The first statement reads the file header: a file that is not a database fails here.
    // Switching a new database to WAL takes an exclusive lock, and when two connections
    // try at once SQLite answers SQLITE_BUSY without calling its busy handler (it would
    // deadlock), so the waiting is done here.
    QDeadlineTimer deadline(options.busyTimeout);
    QString mode;
    for (;;) {
        auto journal = run(QStringLiteral("PRAGMA journal_mode = WAL"));
        if (journal) {
            mode = journal->next() ? journal->value(0).toString() : QString();
            journal->finish();
            break;
        }
        if (journal.error().code() != ErrorCode::Unavailable || deadline.hasExpired())
            return fail(journal.error());
        QThread::msleep(5);
    }
    if (mode.compare(QLatin1String("wal"), Qt::CaseInsensitive) != 0) {
        return fail(Error::unavailable(
            QStringLiteral("database %1 cannot use write-ahead logging (journal mode stays \"%2\"); "
                           "keep it on a local disk")
                .arg(m_location, mode)));
    }
    for (const QString &pragma : {QStringLiteral("PRAGMA synchronous = FULL"), QStringLiteral("PRAGMA foreign_keys = ON")}) {
        if (auto set = run(pragma); !set)
            return fail(set.error());
    }
    return migrateSchema(m_db, m_dialect, m_location, m_clock.nowMs(), options.migrated);
}

// --- transactions ------------------------------------------------------------------------

Result<QSqlQuery> SqlWorkStore::run(const QString &sql, const QList<QVariant> &binds)
{
    auto result = runOnce(sql, binds);
    // A server restart or a dropped network connection ends the session for good. Outside
    // a transaction nothing is lost by connecting again and repeating the statement (a
    // BEGIN or a read); inside one, the transaction is gone: the caller gets the error,
    // and its next call connects again.
    if (!result && !m_inTransaction && m_dialect.driver == QLatin1String("QPSQL")
        && result.error().code() == ErrorCode::Unavailable && connectionLost() && reconnect())
        result = runOnce(sql, binds);
    return result;
}

bool SqlWorkStore::connectionLost() const
{
    // QPSQL reports a dead session without an SQLSTATE ("server closed the connection
    // unexpectedly", "no connection to the server"), or as class 08 / 57P (terminated by
    // the administrator, server shutting down).
    const QSqlError error = m_lastError;
    const QString state = error.nativeErrorCode();
    return state.isEmpty() || state.startsWith(QLatin1String("08")) || state.startsWith(QLatin1String("57P"));
}

Result<QSqlQuery> SqlWorkStore::runOnce(const QString &sql, const QList<QVariant> &binds)
{
    if (!m_dialect.reusePreparedStatements || binds.isEmpty()) {
        QSqlError error;
        auto result = runSql(m_db, m_location, sql, binds, &error);
        m_lastError = error;
        return result;
    }

    // QPSQL prepares with PREPARE, runs with EXECUTE and drops with DEALLOCATE: three
    // round trips for each statement unless the prepared statement is kept. Kept ones
    // are finished before their next use, and a statement that failed to prepare is
    // not kept.
    auto found = m_statements.find(sql);
    if (found == m_statements.end()) {
        QSqlQuery query(m_db);
        query.setForwardOnly(true);
        if (!query.prepare(sql)) {
            m_lastError = query.lastError();
            return fail(m_dialect.mapError(query.lastError(), m_location, describeStatement(sql)));
        }
        found = m_statements.insert(sql, query);
    }
    QSqlQuery &query = found.value();
    query.finish();
    for (qsizetype i = 0; i < binds.size(); ++i)
        query.bindValue(int(i), bindable(binds.at(i)));
    if (!query.exec()) {
        qCDebug(lcStore) << "statement failed:" << describeStatement(sql) << "code"
                         << query.lastError().nativeErrorCode() << query.lastError().text();
        m_lastError = query.lastError();
        const QString text = describeStatement(sql);
        Error error = m_dialect.mapError(query.lastError(), m_location, text);
        // A statement that failed is prepared again next time: the session may be gone.
        m_statements.remove(sql);
        return fail(std::move(error));
    }
    return query;
}

Status SqlWorkStore::begin()
{
    if (m_turns && !m_hasTurn) {
        if (!m_turns->take(std::chrono::steady_clock::now() + m_busyTimeout))
            return fail(Error::unavailable(QStringLiteral("database %1 is locked by another process").arg(m_location)));
        m_hasTurn = true;
    }
    if (auto begun = run(m_dialect.beginWrite); !begun) {
        giveTurn();
        return fail(begun.error());
    }
    m_inTransaction = true;
    return {};
}

Status SqlWorkStore::commit()
{
    auto committed = run(QStringLiteral("COMMIT"));
    if (!committed)
        return fail(committed.error());  // the caller rolls back, which gives the turn
    m_inTransaction = false;
    giveTurn();
    return {};
}

void SqlWorkStore::rollback()
{
    // Fails harmlessly when SQLite already rolled the transaction back on the error, or
    // the connection (and with it the transaction) is gone.
    auto rolledBack = run(QStringLiteral("ROLLBACK"));
    m_inTransaction = false;
    giveTurn();
    if (!rolledBack)
        qCDebug(lcStore) << "rollback:" << rolledBack.error().toString();
}

void SqlWorkStore::giveTurn()
{
    if (m_hasTurn) {
        m_hasTurn = false;
        m_turns->give();
    }
}

QString SqlWorkStore::rowLock() const
{
    return m_dialect.rowLockClause.isEmpty() ? QString() : QLatin1Char(' ') + m_dialect.rowLockClause;
}

QString SqlWorkStore::eventDetail(const QJsonObject &detail) const
{
    QJsonObject stamped = detail;
    if (!m_auditAddress.isEmpty())
        stamped.insert(QStringLiteral("address"), m_auditAddress);
    return jsonText(stamped);
}

Status SqlWorkStore::appendEvent(qint64 itemId, const QString &bot, const QString &kind, const QString &actor,
                                 const QJsonObject &detail)
{
    auto inserted = run(QStringLiteral("INSERT INTO events (at, item_id, bot, kind, actor, detail) VALUES (?, ?, ?, ?, ?, ?)"),
                        {m_clock.nowMs(), itemId > 0 ? QVariant(itemId) : nullInt(), textOrNull(bot), kind,
                         textOrNull(actor), eventDetail(detail)});
    if (!inserted)
        return fail(inserted.error());
    return {};
}

Error SqlWorkStore::lostLease(qint64 itemId, const QString &owner)
{
    auto exists = run(QStringLiteral("SELECT 1 FROM work_items WHERE id = ?"), {itemId});
    if (!exists)
        return exists.error();
    if (!exists->next())
        return Error::notFound(QStringLiteral("there is no work item %1").arg(itemId));
    return Error::conflict(QStringLiteral("item %1 is no longer leased by %2").arg(itemId).arg(owner));
}

Result<QString> SqlWorkStore::leasedItemBot(qint64 itemId, const QString &owner)
{
    auto query = run(QStringLiteral("SELECT bot FROM work_items WHERE id = ? AND state = 'leased' AND lease_owner = ?")
                         + rowLock(),
                     {itemId, owner});
    if (!query)
        return fail(query.error());
    if (!query->next())
        return fail(lostLease(itemId, owner));
    return query->value(0).toString();
}

} // namespace clerk::store
