// Looking after a clerk database the way an operator does: which schema version it holds
// and what an upgrade of clerk will change in it (clerk db status, clerk db migrate), and
// copying a SQLite database out and putting a copy back (clerk backup, clerk restore).
// A PostgreSQL database is backed up with pg_dump (docs/operations.md); its schema is
// read and migrated here like SQLite's.
//
// The migrations are those of migrations.cpp, run by the same code that runs them when a
// store is opened; nothing here repeats their list.
//
// Thread-safety: each call opens connections of its own, used by the calling thread only.
#pragma once

#include "core/clock.h"
#include "core/error.h"

#include <QList>
#include <QString>
#include <functional>

namespace clerk::store {

// One step of the schema: it takes the database from version - 1 to version.
struct SchemaStep {
    int version = 0;
    QString description{};
};

struct SchemaStatus {
    QString location{};         // as it may be shown: a PostgreSQL URL without its password
    bool exists = true;         // false: no SQLite file there yet (clerk creates it on first use)
    int version = 0;            // recorded in the database; 0 for an empty one
    int latest = 0;             // the version this clerk creates and understands
    QList<SchemaStep> pending;  // the steps still to run, oldest first; empty when newer
    bool newerThanClerk() const { return version > latest; }
};

// The schema of the database at `location` (as openWorkStore takes it), read without
// creating, migrating or writing anything: SQLite is read through a query-only
// connection, and a missing file is reported as not existing rather than made. A database newer than this
// clerk is a status (newerThanClerk()), not an error.
// Errors: Corrupt (not a clerk database, damaged), InvalidArgument (bad location), and
// the connection errors of openWorkStore.
Result<SchemaStatus> schemaStatus(const QString &location);

// Runs the steps still to run, as opening the store does (a missing SQLite file is
// created), calling `applied` after each one commits; returns the status afterwards.
// Errors: InvalidArgument when the database is newer than this clerk (it is not
// touched), and those of schemaStatus and openWorkStore.
Result<SchemaStatus> migrateStore(const QString &location, const std::function<void(const SchemaStep &)> &applied = {},
                                  const Clock &clock = SystemClock::instance());

struct BackupCopy {
    QString database{};  // the database copied
    QString file{};      // the copy
    int schemaVersion = 0;
    qint64 bytes = 0;
};

// Copies the SQLite database at `location` to `file`, consistently while other processes
// go on writing to it: SQLite's VACUUM INTO on a connection of its own (one read
// transaction's view), into a temporary file beside `file` that is checked (PRAGMA
// integrity_check, a clerk schema), flushed to disk and then renamed to `file`.
// Errors: AlreadyExists (`file` is there and `overwrite` is false), NotFound (no
// database), InvalidArgument (a PostgreSQL location, or `file` is the database), Corrupt
// (the copy fails its check), Unavailable, PermissionDenied.
Result<BackupCopy> backupSqlite(const QString &location, const QString &file, bool overwrite);

struct Restored {
    QString file{};          // the backup
    QString database{};      // where it was put
    int backupVersion = 0;   // the backup's schema version
    bool replaced = false;   // a database was there before and is gone
    SchemaStatus after{};    // once migrated forward
};

// Puts the backup `file` in place of the SQLite database at `location`, then migrates it
// forward when it is older than this clerk (calling `applied` after each step). The
// backup is copied to a temporary file beside the database and checked there
// (integrity_check, a clerk schema not newer than this clerk), flushed to disk and
// renamed over the database, so the database is either the old one or the whole backup.
// A database that is there is replaced only with `replace`, and only when no other
// connection has it open (clerk serve, a running command): SQLite lets a connection
// leave write-ahead logging only when it is the sole one, and that is how it is found out.
// The restored file keeps the replaced file's permissions (and owner, when allowed).
// Errors: AlreadyExists (a database is there and `replace` is false), Unavailable (the
// database is in use), NotFound (no backup), Corrupt (the backup is damaged or not a
// clerk database), InvalidArgument (newer than this clerk; a PostgreSQL location).
Result<Restored> restoreSqlite(const QString &file, const QString &location, bool replace,
                               const std::function<void(const SchemaStep &)> &applied = {},
                               const Clock &clock = SystemClock::instance());

} // namespace clerk::store
