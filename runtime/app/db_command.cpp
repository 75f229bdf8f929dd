// clerk db status|migrate: the schema version of the work database against this clerk's,
// and the migrations an upgrade runs, shown before they run and run on demand.
//
//   clerk db status [--db LOCATION] [--json]
//       the database's version, this clerk's, and the migrations still to run; exit 1
//       when the database is newer than this clerk (upgrade clerk) or is missing.
//   clerk db migrate [--dry-run] [--db LOCATION] [--json]
//       runs them, printing each; --dry-run prints them and changes nothing.
//
// Reading the status never changes the database (SQLite is read through a query-only
// connection).
#include "cli_support.h"
#include "commands.h"

#include "store/maintenance.h"

#include <QJsonArray>

namespace clerk::app {

namespace {

const char kCommand[] = "db";

QJsonArray stepsJson(const QList<store::SchemaStep> &steps)
{
    QJsonArray array;
    for (const store::SchemaStep &step : steps)
        array.append(QJsonObject{{QStringLiteral("version"), step.version}, {QStringLiteral("description"), step.description}});
    return array;
}

QString stateOf(const store::SchemaStatus &status)
{
    if (!status.exists)
        return QStringLiteral("missing");
    if (status.newerThanClerk())
        return QStringLiteral("newer_than_clerk");
    return status.pending.isEmpty() ? QStringLiteral("up_to_date") : QStringLiteral("migrations_pending");
}

QJsonObject statusJson(const store::SchemaStatus &status)
{
    return {{QStringLiteral("database"), status.location}, {QStringLiteral("state"), stateOf(status)},
            {QStringLiteral("version"), status.version}, {QStringLiteral("clerk_version"), status.latest},
            {QStringLiteral("pending"), stepsJson(status.pending)}};
}

QString migrationsText(qsizetype count)
{
    return count == 1 ? QStringLiteral("1 migration") : QStringLiteral("%1 migrations").arg(count);
}

void printSteps(const QList<store::SchemaStep> &steps)
{
    for (const store::SchemaStep &step : steps)
        out() << "  " << QString::number(step.version).rightJustified(3) << "  " << step.description << "\n";
}

// What to say when the database is newer than this clerk; the same for status and migrate.
int refuseNewer(const store::SchemaStatus &status)
{
    return commandFailed(QString::fromLatin1(kCommand),
                         QStringLiteral("database %1 has schema version %2, newer than this clerk (%3): it was used by "
                                        "a newer clerk. Upgrade clerk to that release or later; the database was not "
                                        "changed.")
                             .arg(status.location)
                             .arg(status.version)
                             .arg(status.latest));
}

int showStatus(const store::SchemaStatus &status, bool json)
{
    if (json) {
        printJson(statusJson(status));
    } else if (status.exists) {
        out() << "Database:             " << status.location << "\n"
              << "Schema version:       " << status.version << "\n"
              << "This clerk's version: " << status.latest << "\n";
        if (status.newerThanClerk()) {
            out() << "The database is newer than this clerk.\n";
        } else if (status.pending.isEmpty()) {
            out() << "Up to date: no migrations to run.\n";
        } else {
            out() << "To run: " << migrationsText(status.pending.size())
                  << " (clerk db migrate runs them; so does any clerk command that opens the database)\n";
            printSteps(status.pending);
        }
    }
    out().flush();
    if (!status.exists) {
        return commandFailed(QString::fromLatin1(kCommand),
                             QStringLiteral("there is no database at %1 yet; clerk creates it (at schema version %2) "
                                            "on first use, or with clerk db migrate")
                                 .arg(status.location)
                                 .arg(status.latest));
    }
    return status.newerThanClerk() ? refuseNewer(status) : int(ExitOk);
}

int migrate(const QString &location, bool dryRun, bool json)
{
    auto before = store::schemaStatus(location);
    if (!before)
        return commandFailed(QString::fromLatin1(kCommand), before.error().toString());
    if (before->newerThanClerk()) {
        if (json)
            printJson(statusJson(*before));
        return refuseNewer(*before);
    }
    if (dryRun) {
        if (json) {
            printJson(QJsonObject{{QStringLiteral("database"), before->location},
                                  {QStringLiteral("dry_run"), true},
                                  {QStringLiteral("from"), before->version},
                                  {QStringLiteral("to"), before->latest},
                                  {QStringLiteral("would_run"), stepsJson(before->pending)}});
        } else if (before->pending.isEmpty()) {
            out() << before->location << " is up to date (schema version " << before->version
                  << "): nothing to run. Nothing was changed (--dry-run).\n";
        } else {
            out() << (before->exists ? QString() : QStringLiteral("Would create the database, then: "))
                  << "Would run " << migrationsText(before->pending.size()) << " on " << before->location
                  << ", from schema version " << before->version << " to " << before->latest << ":\n";
            printSteps(before->pending);
            out() << "Nothing was changed (--dry-run).\n";
        }
        out().flush();
        return ExitOk;
    }

    QList<store::SchemaStep> ran;
    auto after = store::migrateStore(location, [&](const store::SchemaStep &step) {
        ran.append(step);
        if (!json) {
            out() << "migrated to schema version " << step.version << ": " << step.description << "\n";
            out().flush();
        }
    });
    if (!after)
        return commandFailed(QString::fromLatin1(kCommand), after.error().toString());
    if (json) {
        printJson(QJsonObject{{QStringLiteral("database"), after->location}, {QStringLiteral("dry_run"), false},
                              {QStringLiteral("from"), before->version}, {QStringLiteral("to"), after->version},
                              {QStringLiteral("ran"), stepsJson(ran)}});
    } else {
        out() << after->location << (ran.isEmpty() ? QStringLiteral(" was already up to date") : QStringLiteral(" is up to date"))
              << " at schema version " << after->version << ".\n";
    }
    out().flush();
    return ExitOk;
}

} // namespace

int dbCommand(const QStringList &arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "The work database's schema: each clerk release knows a schema version, and a new release\n"
        "migrates an older database forward when it first opens it. Use these before and after an\n"
        "upgrade to see and run that step yourself.\n"
        "\n"
        "status    the database's schema version, this clerk's, and the migrations still to run;\n"
        "          changes nothing. Exit status 1 when the database is newer than this clerk\n"
        "          (upgrade clerk; never run an older clerk on it) or is not there.\n"
        "migrate   runs the migrations still to run, printing each. Take a backup first\n"
        "          (clerk backup). With --dry-run: prints what would run and changes nothing.\n"
        "\n"
        "Works on SQLite files and PostgreSQL databases alike."));
    CommonOptions common;
    common.db.setDescription(QStringLiteral("The work database: a SQLite file or a postgresql:// URL. Default: $CLERK_DB, "
                                            "or clerk.db in the user's data folder."));
    parser.addOption(common.db);
    parser.addOption(common.json);
    QCommandLineOption dryRun(QStringLiteral("dry-run"), QStringLiteral("migrate: show what would run; change nothing."));
    parser.addOption(dryRun);
    parser.addPositionalArgument(QStringLiteral("action"), QStringLiteral("status or migrate."));
    int exitCode = ExitOk;
    if (!parseCommand(parser, arguments, exitCode))
        return exitCode;
    const QStringList positional = parser.positionalArguments();
    const QString action = positional.value(0);
    if (positional.size() != 1 || (action != QLatin1String("status") && action != QLatin1String("migrate")))
        return commandFailed(QString::fromLatin1(kCommand), QStringLiteral("say status or migrate, e.g. clerk db status"));
    if (action == QLatin1String("status") && parser.isSet(dryRun))
        return commandFailed(QString::fromLatin1(kCommand), QStringLiteral("--dry-run goes with migrate; status changes nothing"));

    const QString location = databaseLocation(parser, common);
    const bool json = parser.isSet(common.json);
    if (action == QLatin1String("migrate"))
        return migrate(location, parser.isSet(dryRun), json);
    auto status = store::schemaStatus(location);
    if (!status)
        return commandFailed(QString::fromLatin1(kCommand), status.error().toString());
    return showStatus(*status, json);
}

} // namespace clerk::app
