// AdminConnection: a Qt SQL connection of its own for looking after a database (reading
// its schema, copying it, claiming it for a restore). Private to clerk_store.
//
// It is not a store: it neither creates nor migrates, and sets nothing on the database.
//
// Thread-safety: belongs to the thread that opened it, like every Qt SQL connection.
#pragma once

#include "core/error.h"
#include "store/sql_dialect_p.h"

#include <QSqlDatabase>
#include <QString>
#include <chrono>

namespace clerk::store {

class AdminConnection {
public:
    AdminConnection();
    ~AdminConnection();
    AdminConnection(const AdminConnection &) = delete;
    AdminConnection &operator=(const AdminConnection &) = delete;

    // Opens the SQLite file at `path` (which must exist; SQLite would create it), named
    // `shownAs` in messages. `queryOnly`: no statement can change the database (PRAGMA
    // query_only). The file itself is opened for writing either way: a connection opened
    // read-only leaves SQLite's side files (-wal, -shm) behind when it is the last one, and
    // made by another user (root running a check) they would keep clerk serve from writing.
    Status openSqlite(const QString &path, const QString &shownAs, bool queryOnly,
                      std::chrono::milliseconds busyTimeout = std::chrono::milliseconds(5000));
    // Connects to the PostgreSQL database `url` names (see openWorkStore).
    Status openPostgres(const QString &url);

    // Runs one statement (see runSql).
    Result<QSqlQuery> run(const QString &sql, const QList<QVariant> &binds = {}) const;
    // The schema version recorded in the database (see recordedSchemaVersion).
    Result<int> schemaVersion() const;
    // SQLite's PRAGMA integrity_check: empty when it says "ok", else what it found.
    Result<QString> integrityProblems() const;

    const QString &location() const { return m_location; }

private:
    const SqlDialect *m_dialect = nullptr;
    QString m_name;
    QString m_location;
    QSqlDatabase m_db;
};

} // namespace clerk::store
