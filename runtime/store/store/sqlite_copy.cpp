// Copying a SQLite database out (clerk backup) and putting a copy back (clerk restore);
// see maintenance.h.
//
// Both write a temporary file in the folder of the file they make, check it, flush it to
// disk and rename it into place: a rename within one folder is atomic, so the file at the
// final name is always either what was there before or the whole, checked copy.
#include "store/maintenance.h"

#include "store/maintenance_p.h"
#include "store/migrations_p.h"
#include "store/sql_work_store_p.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QTemporaryFile>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace clerk::store {

namespace {

using namespace std::chrono_literals;

// A connection that is not the only one keeps the database from leaving write-ahead
// logging; waiting longer than this would not make clerk serve let go.
constexpr auto kClaimTimeout = 500ms;

QString systemError(int error)
{
    return QString::fromLocal8Bit(std::strerror(error));
}

Status syncPath(const QString &path, int flags)
{
    const int fd = ::open(QFile::encodeName(path).constData(), flags | O_CLOEXEC);
    if (fd < 0)
        return fail(Error::unavailable(QStringLiteral("cannot open %1 to flush it: %2").arg(path, systemError(errno))));
    const int synced = ::fsync(fd);
    const int error = errno;
    ::close(fd);
    if (synced != 0)
        return fail(Error::unavailable(QStringLiteral("cannot flush %1 to disk: %2").arg(path, systemError(error))));
    return {};
}

// Flushes the file at `path`, renames it to `target` (over a file there only when
// `overwrite`), and flushes the folder, so that the new name survives a power cut.
Status moveIntoPlace(const QString &path, const QString &target, bool overwrite)
{
    if (auto synced = syncPath(path, O_RDONLY); !synced)
        return synced;
    // QFile::rename never replaces a file; rename(2) always does, atomically.
    if (!overwrite && !QFile::rename(path, target)) {
        if (QFileInfo::exists(target))
            return fail(Error::alreadyExists(QStringLiteral("%1 already exists").arg(target)));
        return fail(Error::unavailable(QStringLiteral("cannot rename %1 to %2").arg(path, target)));
    }
    if (overwrite && ::rename(QFile::encodeName(path).constData(), QFile::encodeName(target).constData()) != 0) {
        return fail(Error::unavailable(
            QStringLiteral("cannot rename %1 to %2: %3").arg(path, target, systemError(errno))));
    }
    return syncPath(QFileInfo(target).absolutePath(), O_RDONLY | O_DIRECTORY);
}

// A temporary file beside `target` that is removed unless it was moved into place.
Result<std::unique_ptr<QTemporaryFile>> temporaryBeside(const QString &target, const QString &purpose)
{
    const QFileInfo info(target);
    if (!QDir().mkpath(info.absolutePath()))
        return fail(Error::permissionDenied(QStringLiteral("cannot create folder %1").arg(info.absolutePath())));
    auto file = std::make_unique<QTemporaryFile>(
        QDir(info.absolutePath()).filePath(QStringLiteral(".%1.%2-XXXXXX").arg(info.fileName(), purpose)));
    if (!file->open()) {
        return fail(Error::permissionDenied(QStringLiteral("cannot write in folder %1: %2")
                                                .arg(info.absolutePath(), file->errorString())));
    }
    return file;
}

// Checks the SQLite file at `path` (named `shownAs` in messages): SQLite's integrity
// check, and a clerk schema this clerk can run. Returns its schema version.
Result<int> checkedCopy(const QString &path, const QString &shownAs)
{
    AdminConnection copy;
    if (auto opened = copy.openSqlite(path, shownAs, /*queryOnly=*/true); !opened)
        return fail(opened.error());
    auto problems = copy.integrityProblems();
    if (!problems)
        return fail(problems.error());
    if (!problems->isEmpty())
        return fail(Error::corrupt(QStringLiteral("%1 is damaged: SQLite's integrity check found: %2").arg(shownAs, *problems)));
    auto version = copy.schemaVersion();
    if (!version)
        return fail(version.error());
    if (*version == 0)
        return fail(Error::corrupt(QStringLiteral("%1 is not a clerk database: it has no clerk schema").arg(shownAs)));
    if (*version > latestSchemaVersion())
        return fail(newerSchemaError(*version, latestSchemaVersion(), shownAs));
    return *version;
}

// The SQLite file of `location`, which must not be a PostgreSQL database.
Result<QString> sqliteOnly(const QString &location, const QString &doing)
{
    if (isPostgresLocation(location)) {
        return fail(Error::invalidArgument(
            QStringLiteral("%1 is a PostgreSQL database: %2 with PostgreSQL's own tools (pg_dump, pg_restore)")
                .arg(redactLocation(location), doing)));
    }
    auto path = sqliteFileOf(location);
    if (!path)
        return fail(path.error());
    return QFileInfo(*path).absoluteFilePath();
}

Status copyFile(const QString &from, QFile &to)
{
    QFile source(from);
    if (!source.open(QIODevice::ReadOnly))
        return fail(Error::unreadable(QStringLiteral("cannot read %1: %2").arg(from, source.errorString())));
    QByteArray chunk;
    while (!(chunk = source.read(1 << 20)).isEmpty()) {
        if (to.write(chunk) != chunk.size())
            return fail(Error::unavailable(QStringLiteral("cannot write %1: %2").arg(to.fileName(), to.errorString())));
    }
    if (source.error() != QFileDevice::NoError)
        return fail(Error::unreadable(QStringLiteral("cannot read %1: %2").arg(from, source.errorString())));
    if (!to.flush())
        return fail(Error::unavailable(QStringLiteral("cannot write %1: %2").arg(to.fileName(), to.errorString())));
    return {};
}

// Holds the database at `path` for this process alone until it goes: takes it out of
// write-ahead logging (SQLite allows that only to the sole connection, so any other
// process that has it open, clerk serve among them, is found here) and then takes its
// exclusive lock, so nobody reads or writes it while it is replaced.
Result<std::unique_ptr<AdminConnection>> claimDatabase(const QString &path)
{
    auto claim = std::make_unique<AdminConnection>();
    if (auto opened = claim->openSqlite(path, path, /*queryOnly=*/false, kClaimTimeout); !opened)
        return fail(opened.error());
    const Error inUse = Error::unavailable(
        QStringLiteral("database %1 is in use by another process (clerk serve, or another clerk command); stop it "
                       "before restoring")
            .arg(path));
    auto mode = claim->run(QStringLiteral("PRAGMA journal_mode = DELETE"));
    if (!mode)
        return fail(mode.error().code() == ErrorCode::Unavailable ? inUse : mode.error());
    const QString now = mode->next() ? mode->value(0).toString() : QString();
    mode->finish();
    if (now.compare(QLatin1String("delete"), Qt::CaseInsensitive) != 0)
        return fail(inUse);
    if (auto locked = claim->run(QStringLiteral("BEGIN EXCLUSIVE")); !locked)
        return fail(locked.error().code() == ErrorCode::Unavailable ? inUse : locked.error());
    return claim;
}

// Gives the file at `path` the permissions and, when this process may, the owner of the
// database it replaces, so the service that runs as another user can still open it.
void takeOverAccess(const QString &path, const QString &replaced)
{
    struct stat old {};
    if (::stat(QFile::encodeName(replaced).constData(), &old) != 0)
        return;
    const QByteArray name = QFile::encodeName(path);
    // Not being allowed to give the file away (not root) is not a failure: it then
    // belongs to whoever restores it, as a file they copied would.
    (void)::chown(name.constData(), old.st_uid, old.st_gid);
    (void)::chmod(name.constData(), old.st_mode & 07777);
}

// Removes what SQLite keeps beside a database (its write-ahead log, shared memory index
// and rollback journal): left beside the restored file, an old log would be replayed
// into it.
Status removeCompanions(const QString &path)
{
    for (const char *suffix : {"-wal", "-shm", "-journal"}) {
        const QString companion = path + QLatin1String(suffix);
        if (QFileInfo::exists(companion) && !QFile::remove(companion))
            return fail(Error::permissionDenied(QStringLiteral("cannot remove %1").arg(companion)));
    }
    return {};
}

} // namespace

Result<BackupCopy> backupSqlite(const QString &location, const QString &file, bool overwrite)
{
    auto database = sqliteOnly(location, QStringLiteral("back it up"));
    if (!database)
        return fail(database.error());
    const QString target = QFileInfo(file).absoluteFilePath();
    if (!QFileInfo(*database).isFile())
        return fail(Error::notFound(QStringLiteral("there is no database file %1").arg(*database)));
    if (QFileInfo(target) == QFileInfo(*database))
        return fail(Error::invalidArgument(QStringLiteral("%1 is the database itself; name another file").arg(target)));
    if (QFileInfo::exists(target) && !overwrite)
        return fail(Error::alreadyExists(QStringLiteral("%1 already exists").arg(target)));

    auto temporary = temporaryBeside(target, QStringLiteral("backup"));
    if (!temporary)
        return fail(temporary.error());
    // VACUUM INTO writes into an empty file: the one just made, closed again.
    (*temporary)->close();
    const QString partial = (*temporary)->fileName();
    {
        // One read transaction: the copy is the database as one moment saw it, while
        // writers in other processes carry on (write-ahead logging lets them). VACUUM INTO
        // only reads the database, but SQLite refuses it on a query-only connection.
        AdminConnection source;
        if (auto opened = source.openSqlite(*database, *database, /*queryOnly=*/false); !opened)
            return fail(opened.error());
        if (auto copied = source.run(QStringLiteral("VACUUM INTO ?"), {partial}); !copied)
            return fail(copied.error());
    }
    auto version = checkedCopy(partial, target);
    if (!version)
        return fail(version.error());
    const qint64 bytes = QFileInfo(partial).size();
    if (auto moved = moveIntoPlace(partial, target, overwrite); !moved)
        return fail(moved.error());
    (*temporary)->setAutoRemove(false);
    return BackupCopy{.database = *database, .file = target, .schemaVersion = *version, .bytes = bytes};
}

Result<Restored> restoreSqlite(const QString &file, const QString &location, bool replace,
                               const std::function<void(const SchemaStep &)> &applied, const Clock &clock)
{
    auto database = sqliteOnly(location, QStringLiteral("restore it"));
    if (!database)
        return fail(database.error());
    const QString backup = QFileInfo(file).absoluteFilePath();
    if (!QFileInfo(backup).isFile())
        return fail(Error::notFound(QStringLiteral("there is no backup file %1").arg(backup)));
    if (QFileInfo(backup) == QFileInfo(*database))
        return fail(Error::invalidArgument(QStringLiteral("%1 is the database itself").arg(backup)));
    const bool replacing = QFileInfo::exists(*database);
    if (replacing && !replace)
        return fail(Error::alreadyExists(QStringLiteral("database %1 already exists").arg(*database)));
    // Committed work can sit in a database's write-ahead log, which a copy of the file
    // alone does not hold.
    if (QFileInfo(backup + QStringLiteral("-wal")).size() > 0) {
        return fail(Error::unavailable(QStringLiteral("%1 has a write-ahead log beside it (%1-wal): it is a database in "
                                                      "use, or was not closed cleanly; make backups with clerk backup")
                                           .arg(backup)));
    }

    auto temporary = temporaryBeside(*database, QStringLiteral("restore"));
    if (!temporary)
        return fail(temporary.error());
    if (auto copied = copyFile(backup, **temporary); !copied)
        return fail(copied.error());
    (*temporary)->close();
    const QString partial = (*temporary)->fileName();
    // Checked where it is put in place, so what is checked is what is restored.
    auto version = checkedCopy(partial, backup);
    if (!version)
        return fail(version.error());
    if (auto stray = removeCompanions(partial); !stray)
        return fail(stray.error());

    std::unique_ptr<AdminConnection> claim;
    if (replacing) {
        auto claimed = claimDatabase(*database);
        // A database SQLite cannot read at all cannot be in use either, and is what a
        // restore is for.
        if (!claimed && claimed.error().code() != ErrorCode::Corrupt)
            return fail(claimed.error());
        if (claimed)
            claim = std::move(*claimed);
        takeOverAccess(partial, *database);
    }
    if (auto cleared = removeCompanions(*database); !cleared)
        return fail(cleared.error());
    if (auto moved = moveIntoPlace(partial, *database, replacing); !moved)
        return fail(moved.error());
    (*temporary)->setAutoRemove(false);
    claim.reset();  // the lock was on the file replaced

    auto after = migrateStore(*database, applied, clock);
    if (!after)
        return fail(after.error());
    return Restored{.file = backup, .database = *database, .backupVersion = *version, .replaced = replacing,
                    .after = *after};
}

} // namespace clerk::store
