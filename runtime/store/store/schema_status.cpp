// The schema of a database as an operator sees it (clerk db status, clerk db migrate), and
// AdminConnection, the connection that reads it (see maintenance.h, maintenance_p.h).
#include "store/maintenance.h"

#include "store/maintenance_p.h"
#include "store/migrations_p.h"
#include "store/postgres_location_p.h"
#include "store/sql_work_store_p.h"

#include <QFileInfo>

#include <atomic>

namespace clerk::store {

// --- AdminConnection ---------------------------------------------------------------------

AdminConnection::AdminConnection()
{
    static std::atomic<quint64> connections{0};
    m_name = QStringLiteral("clerk-admin-%1").arg(++connections);
}

AdminConnection::~AdminConnection()
{
    // Queries are local to the calls that ran them, so none is alive here; the handle goes
    // before removeDatabase, or Qt warns that the connection is still in use.
    if (m_db.isValid())
        m_db.close();
    m_db = QSqlDatabase();
    QSqlDatabase::removeDatabase(m_name);
}

Status AdminConnection::openSqlite(const QString &path, const QString &shownAs, bool queryOnly,
                                   std::chrono::milliseconds busyTimeout)
{
    m_dialect = &SqlDialect::sqlite();
    m_location = shownAs;
    if (!QSqlDatabase::isDriverAvailable(m_dialect->driver)) {
        return fail(Error::unavailable(
            QStringLiteral("the Qt SQLite driver (%1) is not installed").arg(m_dialect->driver)));
    }
    // SQLite makes a missing file, even when asked only to read a schema.
    if (!QFileInfo(path).isFile())
        return fail(Error::notFound(QStringLiteral("there is no database file %1").arg(shownAs)));
    m_db = QSqlDatabase::addDatabase(m_dialect->driver, m_name);
    m_db.setDatabaseName(path);
    m_db.setConnectOptions(QStringLiteral("QSQLITE_BUSY_TIMEOUT=%1").arg(busyTimeout.count()));
    if (!m_db.open())
        return fail(mapSqlError(m_db.lastError(), shownAs, QStringLiteral("opening")));
    if (queryOnly) {
        if (auto set = run(QStringLiteral("PRAGMA query_only = ON")); !set)
            return fail(set.error());
    }
    return {};
}

Status AdminConnection::openPostgres(const QString &url)
{
    auto target = parsePostgresLocation(url);
    if (!target)
        return fail(target.error());
    m_dialect = &SqlDialect::postgresql();
    m_location = target->redacted;
    if (!QSqlDatabase::isDriverAvailable(m_dialect->driver)) {
        return fail(Error::unavailable(QStringLiteral("the Qt PostgreSQL driver (%1) is not installed; on Debian "
                                                      "install libqt6sql6-psql")
                                           .arg(m_dialect->driver)));
    }
    m_db = addPostgresConnection(m_name, *target);
    if (!m_db.open())
        return fail(mapPostgresError(m_db.lastError(), m_location, QStringLiteral("connecting")));
    return {};
}

Result<QSqlQuery> AdminConnection::run(const QString &sql, const QList<QVariant> &binds) const
{
    return runSql(m_db, m_location, sql, binds);
}

Result<int> AdminConnection::schemaVersion() const
{
    return recordedSchemaVersion(m_db, *m_dialect, m_location);
}

Result<QString> AdminConnection::integrityProblems() const
{
    auto check = run(QStringLiteral("PRAGMA integrity_check"));
    if (!check)
        return fail(check.error());
    QStringList found;
    while (check->next())
        found.append(check->value(0).toString());
    if (found == QStringList{QStringLiteral("ok")})
        return QString();
    return found.isEmpty() ? QStringLiteral("no answer") : found.join(QStringLiteral("; "));
}

// --- status and migration ----------------------------------------------------------------

namespace {

// The steps after `version`, oldest first. Their descriptions are the same in every dialect.
QList<SchemaStep> stepsAfter(int version)
{
    QList<SchemaStep> pending;
    for (const Migration &step : migrationsFor(SqlDialect::sqlite())) {
        if (step.version > version)
            pending.append({step.version, step.description});
    }
    return pending;
}

} // namespace

Result<SchemaStatus> schemaStatus(const QString &location)
{
    SchemaStatus status;
    status.latest = latestSchemaVersion();
    AdminConnection connection;
    if (isPostgresLocation(location)) {
        if (auto opened = connection.openPostgres(location); !opened)
            return fail(opened.error());
    } else {
        auto path = sqliteFileOf(location);
        if (!path)
            return fail(path.error());
        const QFileInfo file(*path);
        status.location = file.absoluteFilePath();
        if (file.isDir())
            return fail(Error::invalidArgument(QStringLiteral("%1 is a folder, not a database file").arg(status.location)));
        if (!file.exists()) {
            status.exists = false;
            status.pending = stepsAfter(0);
            return status;
        }
        if (auto opened = connection.openSqlite(status.location, status.location, /*queryOnly=*/true); !opened)
            return fail(opened.error());
    }
    status.location = connection.location();
    auto version = connection.schemaVersion();
    if (!version)
        return fail(version.error());
    status.version = *version;
    if (!status.newerThanClerk())
        status.pending = stepsAfter(status.version);
    return status;
}

Result<SchemaStatus> migrateStore(const QString &location, const std::function<void(const SchemaStep &)> &applied,
                                  const Clock &clock)
{
    // Read first, so that a database newer than this clerk is refused without being opened
    // for writing at all (opening it would refuse it too, inside a transaction it rolls back).
    auto before = schemaStatus(location);
    if (!before)
        return fail(before.error());
    if (before->newerThanClerk())
        return fail(newerSchemaError(before->version, before->latest, before->location));
    StoreOptions options;
    if (applied)
        options.migrated = [&applied](int version, const QString &description) { applied({version, description}); };
    if (auto store = openWorkStore(location, clock, options); !store)
        return fail(store.error());
    // A store opens only once its schema is this clerk's.
    SchemaStatus after = *before;
    after.exists = true;
    after.version = after.latest;
    after.pending.clear();
    return after;
}

} // namespace clerk::store
