// clerk config check: the configuration file (config_file.h) checked against every
// command's options, each problem as file:line.
#include "cli_support.h"
#include "commands.h"
#include "config_file.h"

#include <QCommandLineParser>
#include <QMap>
#include <QRegularExpression>
#include <QSet>

namespace clerk::app {

int configCommand(const QStringList &arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "check    checks the configuration file: its syntax, that each [section] is a clerk command and\n"
        "         that each key is an option of the commands it is for; every problem as file:line.\n"
        "The file is --config FILE, else $CLERK_CONFIG, else /etc/clerk/clerk.conf. Its form:\n"
        "  db = /var/lib/clerk/clerk.db     (before any [section]: every command with that option)\n"
        "  [serve]\n"
        "  listen = 127.0.0.1:8080          (an option's long name and its value; true sets a flag)\n"
        "Exit status: 0 the file is fine; 1 it has problems, or there is none."));
    parser.addPositionalArgument(QStringLiteral("action"), QStringLiteral("check"));
    int exitCode = ExitOk;
    if (!parseCommand(parser, arguments, exitCode))
        return exitCode;
    const QString command = QStringLiteral("config");
    if (parser.positionalArguments() != QStringList{QStringLiteral("check")})
        return commandFailed(command, QStringLiteral("the action is check: clerk config check [--config FILE]"));
    const QString path = configPath(arguments.mid(1));
    if (path.isEmpty())
        return commandFailed(command, QStringLiteral("no configuration file: give --config FILE, set CLERK_CONFIG or "
                                                     "write /etc/clerk/clerk.conf"));
    auto file = readConfig(path);
    if (!file) {
        err() << file.error().message() << "\n";
        err().flush();
        return ExitInvalid;
    }

    QMap<int, QString> problems;  // by line
    QSet<QString> commands;
    for (const Command &entry : commandTable())
        commands.insert(QString::fromLatin1(entry.name));
    QSet<QString> reported;
    for (const ConfigEntry &entry : std::as_const(file->entries)) {
        if (!entry.section.isEmpty() && !commands.contains(entry.section) && !reported.contains(entry.section)) {
            reported.insert(entry.section);
            problems.insert(entry.line, QStringLiteral("%1:%2: [%3] is not a clerk command").arg(path).arg(entry.line).arg(entry.section));
        }
    }
    ConfigCheck check;
    setConfigCheck(&check);
    for (const Command &entry : commandTable()) {
        if (QLatin1String(entry.name) != command)
            entry.run({QStringLiteral("clerk ") + QLatin1String(entry.name), QStringLiteral("--config"), path});
    }
    setConfigCheck(nullptr);
    static const QRegularExpression located(QStringLiteral(":(\\d+): "));
    for (const QString &problem : std::as_const(check.problems)) {
        const auto match = located.match(problem);
        problems.insert(match.hasMatch() ? match.captured(1).toInt() : 0, problem);
    }
    for (const ConfigEntry &entry : std::as_const(file->entries)) {
        if (entry.section.isEmpty() && !check.usedTopLevel.contains(entry.line))
            problems.insert(entry.line, QStringLiteral("%1:%2: no clerk command has --%3").arg(path).arg(entry.line).arg(entry.key));
    }
    if (!problems.isEmpty()) {
        for (const QString &problem : std::as_const(problems))
            err() << problem << "\n";
        err().flush();
        return ExitInvalid;
    }
    out() << "ok: " << path << " (" << file->entries.size() << " settings)\n";
    out().flush();
    return ExitOk;
}

} // namespace clerk::app
