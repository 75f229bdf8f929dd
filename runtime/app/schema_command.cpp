// clerk schema [bot|connector]: the JSON Schema of bot or connector files, for editors.
// clerk steps: the step types with their parameters, as Markdown.
#include "cli_support.h"
#include "commands.h"

#include "bot/bot_schema.h"

namespace clerk::app {

int schemaCommand(const QStringList &arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Prints the JSON Schema of bot files (default) or connector files. Point your editor's YAML\n"
        "language server at it, e.g. with a first line: # yaml-language-server: $schema=PATH"));
    parser.addPositionalArgument(QStringLiteral("kind"), QStringLiteral("bot or connector."), QStringLiteral("[bot|connector]"));
    int exitCode = ExitOk;
    if (!parseCommand(parser, arguments, exitCode))
        return exitCode;
    const QString kind = parser.positionalArguments().value(0, QStringLiteral("bot"));
    if (kind == QLatin1String("bot")) {
        printJson(bot::botJsonSchema(engine::StepRegistry::builtIn().catalog()));
        return ExitOk;
    }
    if (kind == QLatin1String("connector")) {
        printJson(bot::connectorJsonSchema(engine::connectorKinds()));
        return ExitOk;
    }
    err() << "clerk schema: say bot or connector\n";
    err().flush();
    return ExitInvalid;
}

int stepsCommand(const QStringList &arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Prints the keys of bot files and every step type's parameters (Markdown)."));
    int exitCode = ExitOk;
    if (!parseCommand(parser, arguments, exitCode))
        return exitCode;
    out() << bot::botReferenceTables(engine::StepRegistry::builtIn().catalog());
    out().flush();
    return ExitOk;
}

} // namespace clerk::app
