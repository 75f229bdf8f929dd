// clerk backup, clerk restore: a checked copy of a SQLite work database, taken while
// clerk serve runs, and putting such a copy back in place of the database.
//
//   clerk backup --to FILE [--force] [--db LOCATION] [--json]
//   clerk restore --from FILE [--force] [--db LOCATION] [--json]
//
// A PostgreSQL database is backed up with pg_dump instead; both commands say so and point
// to docs/operations.md.
#include "cli_support.h"
#include "commands.h"

#include "store/maintenance.h"

#include <QJsonArray>

#include <optional>

namespace clerk::app {

namespace {

const QString kPostgresProcedure = QStringLiteral(
    "%1 is a PostgreSQL database: back it up and restore it with pg_dump and pg_restore, as "
    "docs/operations.md (\"Backup and restore\") describes, then check it with clerk db status");

// Adds --db (a SQLite file) and --json to `parser`.
CommonOptions addDatabaseOptions(QCommandLineParser &parser)
{
    CommonOptions common;
    common.db.setDescription(QStringLiteral("The work database: a SQLite file. Default: $CLERK_DB, or clerk.db in the "
                                            "user's data folder."));
    parser.addOption(common.db);
    parser.addOption(common.json);
    return common;
}

// Parses a backup or restore command line, whose `file` option names the other file.
// Returns the database's location, or nullopt when the command ends here with
// `exitCode` (help shown, a mistake, or a PostgreSQL location).
std::optional<QString> sqliteLocation(QCommandLineParser &parser, const QStringList &arguments,
                                      const CommonOptions &common, const QCommandLineOption &file,
                                      const QString &missingFile, int &exitCode)
{
    exitCode = ExitOk;
    if (!parseCommand(parser, arguments, exitCode))
        return std::nullopt;
    const QString command = arguments.value(0).section(QLatin1Char(' '), 1);
    if (!parser.isSet(file) || parser.value(file).isEmpty() || !parser.positionalArguments().isEmpty()) {
        exitCode = commandFailed(command, missingFile);
        return std::nullopt;
    }
    const QString location = databaseLocation(parser, common);
    if (store::isPostgresLocation(location)) {
        exitCode = commandFailed(command, kPostgresProcedure.arg(store::redactLocation(location)));
        return std::nullopt;
    }
    return location;
}

QString sizeText(qint64 bytes)
{
    if (bytes < 1024 * 1024)
        return QStringLiteral("%1 KB").arg(QString::number(double(bytes) / 1024, 'f', 1));
    return QStringLiteral("%1 MB").arg(QString::number(double(bytes) / (1024 * 1024), 'f', 1));
}

} // namespace

int backupCommand(const QStringList &arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Copies the work database (SQLite) to FILE. Safe while clerk serve runs: the copy is the\n"
        "database as it was at one moment, and clerk goes on working meanwhile. The copy is checked\n"
        "(SQLite's integrity check, and that clerk can read it) before it takes the name FILE, so\n"
        "FILE is never half written. FILE holds everything in the database, personal data\n"
        "included: keep it as safe as the database (it is made readable by its owner only).\n"
        "Put it back with clerk restore --from FILE.\n"
        "\n"
        "For a PostgreSQL database use pg_dump (docs/operations.md, \"Backup and restore\")."));
    const CommonOptions common = addDatabaseOptions(parser);
    QCommandLineOption to(QStringLiteral("to"), QStringLiteral("The file to write the copy to."), QStringLiteral("file"));
    QCommandLineOption force(QStringLiteral("force"), QStringLiteral("Replace FILE if it already exists."));
    parser.addOptions({to, force});
    int exitCode = ExitOk;
    const std::optional<QString> location = sqliteLocation(
        parser, arguments, common, to, QStringLiteral("say where to write the copy, e.g. clerk backup --to clerk-backup.db"),
        exitCode);
    if (!location)
        return exitCode;
    const QString command = QStringLiteral("backup");

    auto copy = store::backupSqlite(*location, parser.value(to), parser.isSet(force));
    if (!copy) {
        const QString hint = copy.error().code() == ErrorCode::AlreadyExists
                                 ? QStringLiteral("; give --force to replace it, or name another file")
                                 : QString();
        return commandFailed(command, copy.error().toString() + hint);
    }
    if (parser.isSet(common.json)) {
        printJson(QJsonObject{{QStringLiteral("database"), copy->database}, {QStringLiteral("file"), copy->file},
                              {QStringLiteral("bytes"), copy->bytes}, {QStringLiteral("schema_version"), copy->schemaVersion},
                              {QStringLiteral("integrity_check"), QStringLiteral("ok")}});
    } else {
        out() << "Backed up " << copy->database << " to " << copy->file << " (" << sizeText(copy->bytes)
              << ", schema version " << copy->schemaVersion << ", integrity check ok).\n";
    }
    out().flush();
    return ExitOk;
}

int restoreCommand(const QStringList &arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Puts a backup made with clerk backup in place of the work database (SQLite).\n"
        "\n"
        "Stop clerk serve (and anything else that runs clerk on this database) first: restore\n"
        "refuses while another process has the database open. FILE is checked first (SQLite's\n"
        "integrity check, that it is a clerk database, and that it is not newer than this clerk);\n"
        "then it is copied beside the database and renamed over it in one step, so the database\n"
        "is either the old one or the whole backup, never a mixture. A backup from an older clerk\n"
        "is migrated forward. Work done since the backup was taken is lost.\n"
        "\n"
        "For a PostgreSQL database use pg_restore (docs/operations.md, \"Backup and restore\")."));
    const CommonOptions common = addDatabaseOptions(parser);
    QCommandLineOption from(QStringLiteral("from"), QStringLiteral("The backup file to restore."), QStringLiteral("file"));
    QCommandLineOption force(QStringLiteral("force"),
                             QStringLiteral("Replace the database if there is one (without it, restore only makes a "
                                            "database where there is none)."));
    parser.addOptions({from, force});
    int exitCode = ExitOk;
    const std::optional<QString> location = sqliteLocation(
        parser, arguments, common, from,
        QStringLiteral("say which backup to restore, e.g. clerk restore --from clerk-backup.db"), exitCode);
    if (!location)
        return exitCode;
    const QString command = QStringLiteral("restore");

    const bool json = parser.isSet(common.json);
    QList<store::SchemaStep> migrated;
    auto restored = store::restoreSqlite(parser.value(from), *location, parser.isSet(force),
                                         [&](const store::SchemaStep &step) { migrated.append(step); });
    if (!restored) {
        const QString hint = restored.error().code() == ErrorCode::AlreadyExists
                                 ? QStringLiteral("; give --force to replace it with the backup (what it holds now is lost)")
                                 : QString();
        return commandFailed(command, restored.error().toString() + hint);
    }
    if (json) {
        QJsonArray ran;
        for (const store::SchemaStep &step : migrated)
            ran.append(QJsonObject{{QStringLiteral("version"), step.version}, {QStringLiteral("description"), step.description}});
        printJson(QJsonObject{{QStringLiteral("file"), restored->file}, {QStringLiteral("database"), restored->database},
                              {QStringLiteral("replaced"), restored->replaced},
                              {QStringLiteral("backup_version"), restored->backupVersion},
                              {QStringLiteral("version"), restored->after.version}, {QStringLiteral("migrated"), ran}});
        return ExitOk;
    }
    out() << "Restored " << restored->file << " (schema version " << restored->backupVersion << ") to "
          << restored->database << (restored->replaced ? QStringLiteral(", replacing the database that was there") : QString())
          << ".\n";
    for (const store::SchemaStep &step : migrated)
        out() << "migrated to schema version " << step.version << ": " << step.description << "\n";
    out() << "The database is at schema version " << restored->after.version << ", up to date for this clerk.\n";
    out().flush();
    return ExitOk;
}

} // namespace clerk::app
