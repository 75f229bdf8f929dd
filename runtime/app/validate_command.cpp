// clerk validate FILE...: checks bot and connector files and reports every problem as
// file:line:column: error: message.
#include "cli_support.h"
#include "commands.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>

namespace clerk::app {

int validateCommand(const QStringList &arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Checks bot and connector files. Every problem is printed as file:line:column: error: message.\n"
        "Connector files named on the command line, and those found in the connector search path,\n"
        "are the connectors bots may use. A folder argument checks the *.yaml files in it."));
    CommonOptions common;
    common.addTo(parser);
    QCommandLineOption quiet(QStringLiteral("quiet"), QStringLiteral("Print nothing when every file is valid."));
    parser.addOption(quiet);
    parser.addPositionalArgument(QStringLiteral("files"), QStringLiteral("Bot or connector files."), QStringLiteral("FILE..."));
    int exitCode = ExitOk;
    if (!parseCommand(parser, arguments, exitCode))
        return exitCode;

    QStringList files;
    for (const QString &argument : parser.positionalArguments()) {
        const QFileInfo info(argument);
        if (info.isDir() && QFileInfo(argument + QStringLiteral("/.")).isDir()) {
            const auto entries = QDir(argument).entryInfoList({QStringLiteral("*.yaml"), QStringLiteral("*.yml")},
                                                              QDir::Files, QDir::Name);
            if (entries.isEmpty())
                files.append(argument);  // reported as a directory with nothing to check
            for (const QFileInfo &entry : entries)
                files.append(entry.filePath());
        } else {
            files.append(argument);
        }
    }
    if (files.isEmpty()) {
        err() << "clerk validate: name at least one bot or connector file.\n";
        err().flush();
        return ExitInvalid;
    }

    bot::Diagnostics diagnostics;
    QStringList botFiles;
    bot::ConnectorSet connectors;
    int connectorFiles = 0;
    // Connector files first: bots are checked against them.
    for (const QString &file : files) {
        QFile probe(file);
        const QFileInfo info(file);
        bool isConnector = false;
        if (info.isFile() && info.size() <= bot::kMaxDefinitionFileBytes && probe.open(QIODevice::ReadOnly))
            isConnector = bot::looksLikeConnector(probe.readAll());
        if (!isConnector) {
            botFiles.append(file);
            continue;
        }
        ++connectorFiles;
        bot::ConnectorLoad load = bot::loadConnectorFile(file, engine::connectorKinds());
        diagnostics.append(load.diagnostics);
        if (load.connector)
            connectors.append(*load.connector);
    }
    bot::Diagnostics searchDiagnostics;
    for (const bot::ConnectorDefinition &found : loadConnectors(botFiles, parser.values(common.connectors), searchDiagnostics)) {
        const bool named = std::any_of(connectors.begin(), connectors.end(),
                                       [&](const bot::ConnectorDefinition &c) { return c.name == found.name; });
        if (!named)
            connectors.append(found);
    }
    const engine::StepRegistry registry = engine::StepRegistry::builtIn();
    const bot::StepCatalog catalog = registry.catalog();
    for (const QString &file : botFiles) {
        bot::BotLoad load = bot::loadBotFile(file, catalog, connectors);
        diagnostics.append(load.diagnostics);
        if (!load.bot)
            continue;
        // Some problems only a step can see, such as a model file it cannot read: create
        // each step as the engine would, and report what fails at the step's position.
        for (const bot::StepDefinition &step : load.bot->steps) {
            const engine::StepType *type = registry.find(step.type);
            if (!type)
                continue;
            if (auto created = type->create(*load.bot, step); !created)
                diagnostics.append({file, step.position.line, step.position.column, bot::Diagnostic::Severity::Error,
                                    QStringLiteral("step '%1': %2").arg(step.id, stepProblem(created.error(), step))});
        }
    }

    printDiagnostics(diagnostics, out());
    out().flush();  // the summary goes to stderr: keep it after the problems on a terminal
    qsizetype errors = std::count_if(diagnostics.begin(), diagnostics.end(), [](const bot::Diagnostic &d) {
        return d.severity == bot::Diagnostic::Severity::Error;
    });
    if (errors > 0) {
        err() << errors << (errors == 1 ? " error" : " errors") << " in " << files.size()
              << (files.size() == 1 ? " file\n" : " files\n");
        err().flush();
        return ExitInvalid;
    }
    if (!parser.isSet(quiet)) {
        out() << "ok: " << botFiles.size() << (botFiles.size() == 1 ? " bot file, " : " bot files, ") << connectorFiles
              << (connectorFiles == 1 ? " connector file\n" : " connector files\n");
        out().flush();
    }
    return ExitOk;
}

} // namespace clerk::app
