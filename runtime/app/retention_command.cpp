// clerk retention: applies the bots' `retention` now (clerk serve does it every hour).
#include "cli_support.h"
#include "commands.h"

#include "engine/step_registry.h"
#include "service/retention_job.h"

#include <QCommandLineParser>
#include <QJsonArray>
#include <QJsonObject>

namespace clerk::app {

int retentionCommand(const QStringList &arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Erases what the bots' finished items hold about people once their retention period has passed\n"
        "(bot key retention: after, documents): each item's input, what its steps read and found, what\n"
        "people typed, and with documents: true the scans and attachments it came with. Its id, states,\n"
        "times, bot version and who decided stay, so figures and the audit trail do. Failed and waiting\n"
        "items are kept. clerk serve does this every hour, once per cluster.\n"
        "Exit status: 0 done (or nothing due); 1 invalid bots, arguments or database."));
    CommonOptions common;
    common.addTo(parser);
    QCommandLineOption dryRun(QStringLiteral("dry-run"), QStringLiteral("Say what would be erased and deleted; change nothing."));
    QCommandLineOption as(QStringList{QStringLiteral("as"), QStringLiteral("actor")},
                          QStringLiteral("The person acting, for the audit trail (default: $USER)."), QStringLiteral("name"));
    parser.addOption(dryRun);
    parser.addOption(as);
    parser.addPositionalArgument(QStringLiteral("bots"), QStringLiteral("Bot files or folders of them."),
                                 QStringLiteral("BOT_OR_FOLDER..."));
    int exitCode = ExitOk;
    if (!parseCommand(parser, arguments, exitCode))
        return exitCode;
    const QString command = QStringLiteral("retention");
    const QStringList files = botFilesIn(parser.positionalArguments());
    if (files.isEmpty())
        return commandFailed(command, QStringLiteral("name the bot files (or folders of them) whose retention to apply"));

    const engine::StepRegistry registry = engine::StepRegistry::builtIn();
    bot::Diagnostics diagnostics;
    const bot::ConnectorSet connectors = loadConnectors(files, parser.values(common.connectors), diagnostics);
    QList<bot::BotDefinition> bots;
    for (const QString &file : files) {
        auto definition = loadBotOrReport(file, registry, connectors);
        if (!definition)
            return ExitInvalid;
        bots.append(*definition);
    }
    auto store = openStore(databaseLocation(parser, common));
    if (!store)
        return commandFailed(command, store.error().toString());

    const QDateTime now = QDateTime::currentDateTimeUtc();
    const bool dry = parser.isSet(dryRun);
    QJsonArray results;
    for (const bot::BotDefinition &definition : std::as_const(bots)) {
        if (!definition.retention) {
            if (!parser.isSet(common.json))
                out() << definition.name << ": no retention set; nothing erased\n";
            continue;
        }
        auto run = service::applyRetention(**store, definition, now, actorName(parser.value(as)), dry);
        if (!run)
            return commandFailed(command, QStringLiteral("bot %1: %2").arg(definition.name, run.error().toString()));
        for (const QString &problem : run->problems)
            err() << "clerk retention: " << problem << "\n";
        if (parser.isSet(common.json)) {
            results.append(QJsonObject{{QStringLiteral("bot"), run->bot},
                                       {QStringLiteral("finished_before"), run->cutoff.toString(Qt::ISODate)},
                                       {QStringLiteral("erased"), run->erased},
                                       {QStringLiteral("documents_deleted"), run->documentsDeleted},
                                       {QStringLiteral("dry_run"), dry}});
            continue;
        }
        out() << definition.name << ": " << run->erased << (dry ? " finished items would be erased, " : " finished items erased, ")
              << run->documentsDeleted << (dry ? " documents would be deleted" : " documents deleted")
              << " (finished before " << run->cutoff.toLocalTime().toString(Qt::ISODate) << ")\n";
    }
    if (parser.isSet(common.json))
        printJson(QJsonObject{{QStringLiteral("bots"), results}});
    out().flush();
    return ExitOk;
}

} // namespace clerk::app
