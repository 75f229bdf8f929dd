#include "cli_support.h"

#include "config_file.h"

#include <pwd.h>
#include <unistd.h>

#include "core/duration.h"
#include "engine/engine.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QSet>
#include <QStandardPaths>
#include <QThread>

#include <cstdio>

namespace clerk::app {

QTextStream &out()
{
    static QTextStream stream(stdout);
    return stream;
}

QTextStream &err()
{
    static QTextStream stream(stderr);
    return stream;
}

void CommonOptions::addTo(QCommandLineParser &parser) const
{
    parser.addOption(db);
    parser.addOption(json);
    parser.addOption(connectors);
}

WorkerOptions::WorkerOptions(const QString &leaseNote)
    : workers({QStringLiteral("w"), QStringLiteral("workers")},
              QStringLiteral("Worker threads (default: the number of cores)."), QStringLiteral("n")),
      lease(QStringLiteral("lease"),
            QStringLiteral("How long a worker holds an item before another may take it over if the worker died "
                           "(default 30s).")
                + (leaseNote.isEmpty() ? QString() : u' ' + leaseNote),
            QStringLiteral("duration"), QStringLiteral("30s"))
{
}

Result<engine::WorkerPoolOptions> WorkerOptions::read(const QCommandLineParser &parser) const
{
    engine::WorkerPoolOptions options;
    options.workers = QThread::idealThreadCount();
    if (parser.isSet(workers)) {
        bool ok = false;
        options.workers = parser.value(workers).toInt(&ok);
        if (!ok || options.workers < 1 || options.workers > 64)
            return fail(Error::invalidArgument(QStringLiteral("--workers takes a number from 1 to 64")));
    }
    const auto leaseFor = parseDuration(parser.value(lease));
    if (!leaseFor || leaseFor->count() < 1000)
        return fail(Error::invalidArgument(QStringLiteral("--lease takes a duration of at least 1s, e.g. 30s")));
    options.engine.leaseFor = *leaseFor;
    return options;
}

int commandFailed(const QString &command, const QString &message)
{
    err() << "clerk " << command << ": " << message << "\n";
    err().flush();
    return ExitInvalid;
}

namespace {

// Set while `clerk config check` asks each command what it makes of the file.
ConfigCheck *g_configCheck = nullptr;

// `arguments` with the configuration file's settings for this command put before the
// command line's own (so those win). The file's top-level keys go only to commands that
// have the option; a key of the command's own section that it does not have is an error.
Result<QStringList> withConfig(QCommandLineParser &parser, const QStringList &arguments)
{
    const QString path = configPath(arguments.mid(1));
    if (path.isEmpty())
        return arguments;
    auto file = readConfig(path);
    if (!file)
        return fail(file.error());
    const QString command = arguments.value(0).section(QLatin1Char(' '), 1, 1);
    QList<const ConfigEntry *> from;
    const QStringList fromFile = configArguments(*file, command, &from);
    // Which of the file's options this command has: a trial parse names the others.
    (void)parser.parse(QStringList{arguments.value(0)} + fromFile);
    const QStringList unknown = parser.unknownOptionNames();
    if (unknown.isEmpty() && !parser.errorText().isEmpty())
        return fail(Error::invalidArgument(QStringLiteral("%1: for clerk %2: %3").arg(path, command, parser.errorText())));
    QStringList merged{arguments.value(0)};
    for (const ConfigEntry *entry : std::as_const(from)) {
        if (unknown.contains(entry->key)) {
            if (!entry->section.isEmpty())
                return fail(Error::invalidArgument(QStringLiteral("%1:%2: clerk %3 has no option --%4 (see clerk %3 --help)")
                                                       .arg(path).arg(entry->line).arg(command, entry->key)));
            continue;  // a top-level setting for other commands
        }
        if (g_configCheck && entry->section.isEmpty())
            g_configCheck->usedTopLevel.insert(entry->line);
        ConfigFile one{.path = path, .entries = {*entry}};
        merged += configArguments(one, command);
    }
    return merged + arguments.mid(1);
}

} // namespace

void setConfigCheck(ConfigCheck *check)
{
    g_configCheck = check;
}

bool parseCommand(QCommandLineParser &parser, const QStringList &arguments, int &exitCode)
{
    const QCommandLineOption helpOption = parser.addHelpOption();
    parser.addOption(QCommandLineOption(QStringLiteral("config"),
                                       QStringLiteral("Settings from this file (default: $CLERK_CONFIG, else "
                                                      "/etc/clerk/clerk.conf when it exists); options given here win."),
                                       QStringLiteral("file")));
    auto merged = withConfig(parser, arguments);
    if (g_configCheck) {
        // clerk config check: what this command makes of the file, and nothing else.
        if (!merged)
            g_configCheck->problems.append(merged.error().message());
        exitCode = ExitOk;
        return false;
    }
    if (!merged) {
        err() << "clerk: " << merged.error().message() << "\n";
        err().flush();
        exitCode = ExitInvalid;
        return false;
    }
    if (!parser.parse(*merged)) {
        err() << "clerk: " << parser.errorText() << "\n"
              << "Try '" << arguments.value(0) << " --help'.\n";
        err().flush();
        exitCode = ExitInvalid;
        return false;
    }
    if (parser.isSet(helpOption)) {
        // Qt names the executable path; people type "clerk <command>".
        QString help = parser.helpText();
        const QString program = QCoreApplication::arguments().value(0);
        if (help.startsWith(QStringLiteral("Usage: ") + program))
            help.replace(7, program.size(), arguments.value(0));
        out() << help;
        out().flush();
        exitCode = ExitOk;
        return false;
    }
    return true;
}

QString databaseLocation(const QCommandLineParser &parser, const CommonOptions &options)
{
    if (parser.isSet(options.db))
        return parser.value(options.db);
    const QString fromEnv = qEnvironmentVariable("CLERK_DB");
    if (!fromEnv.isEmpty())
        return fromEnv;
    QString dir = QStandardPaths::writableLocation(QStandardPaths::GenericDataLocation);
    if (dir.isEmpty())
        dir = QDir::homePath() + QStringLiteral("/.local/share");
    return dir + QStringLiteral("/clerk/clerk.db");
}

Result<std::unique_ptr<store::WorkStore>> openStore(const QString &location)
{
    return store::openWorkStore(location);
}

QStringList botFilesIn(const QStringList &given)
{
    QStringList files;
    for (const QString &path : given) {
        const QFileInfo info(path);
        if (!info.isDir()) {
            files.append(info.absoluteFilePath());
            continue;
        }
        for (const QFileInfo &entry :
             QDir(path).entryInfoList({QStringLiteral("*.yaml"), QStringLiteral("*.yml")}, QDir::Files, QDir::Name)) {
            QFile file(entry.absoluteFilePath());
            // A file that cannot be read is kept, so that loading it says why: a bot the
            // service's user may not read would otherwise be left out without a word.
            if (!file.open(QIODevice::ReadOnly) || !bot::looksLikeConnector(file.read(bot::kMaxDefinitionFileBytes)))
                files.append(entry.absoluteFilePath());
        }
    }
    return files;
}

QStringList connectorSearchPath(const QStringList &botFiles, const QStringList &extraDirs)
{
    QStringList dirs = extraDirs;
    for (const QString &entry : qEnvironmentVariable("CLERK_CONNECTOR_PATH").split(QLatin1Char(':'), Qt::SkipEmptyParts))
        dirs.append(entry);
    for (const QString &file : botFiles) {
        const QDir botDir = QFileInfo(file).absoluteDir();
        dirs.append(botDir.absoluteFilePath(QStringLiteral("connectors")));
        dirs.append(QDir::cleanPath(botDir.absoluteFilePath(QStringLiteral("../connectors"))));
    }
    QStringList unique;
    QSet<QString> seen;
    for (const QString &dir : dirs) {
        const QString canonical = QFileInfo(dir).absoluteFilePath();
        if (!seen.contains(canonical) && QFileInfo(canonical).isDir()) {
            seen.insert(canonical);
            unique.append(canonical);
        }
    }
    return unique;
}

bot::ConnectorSet loadConnectors(const QStringList &botFiles, const QStringList &extraDirs,
                                 bot::Diagnostics &diagnostics)
{
    bot::ConnectorSet connectors;
    QSet<QString> names;
    for (const QString &dir : connectorSearchPath(botFiles, extraDirs)) {
        const QFileInfoList files = QDir(dir).entryInfoList({QStringLiteral("*.yaml"), QStringLiteral("*.yml")},
                                                            QDir::Files, QDir::Name);
        for (const QFileInfo &file : files) {
            bot::ConnectorLoad load = bot::loadConnectorFile(file.filePath(), engine::connectorKinds());
            diagnostics.append(load.diagnostics);
            // The first definition of a name wins: explicit folders come first in the path.
            if (load.connector && !names.contains(load.connector->name)) {
                names.insert(load.connector->name);
                connectors.append(*load.connector);
            }
        }
    }
    return connectors;
}

std::optional<bot::BotDefinition> loadBotOrReport(const QString &path, const engine::StepRegistry &registry,
                                                  const bot::ConnectorSet &connectors)
{
    bot::BotLoad load = bot::loadBotFile(path, registry.catalog(), connectors);
    printDiagnostics(load.diagnostics, err());
    return load.bot;
}

Status continueBot(store::WorkStore &store, qint64 itemId, const QStringList &connectorDirs)
{
    auto item = store.item(itemId);
    if (!item)
        return fail(item.error());
    const engine::StepRegistry registry = engine::StepRegistry::builtIn();
    bot::Diagnostics ignored;
    engine::EngineOptions options;
    // Connectors are looked for as when the bot was run: given folders, $CLERK_CONNECTOR_PATH,
    // and connectors/ beside and above the bot file the item started with.
    QStringList botFiles;
    if (auto stored = store.definition(item->definitionDigest); stored && !stored->baseDir.isEmpty())
        botFiles.append(QDir(stored->baseDir).absoluteFilePath(QStringLiteral("bot.yaml")));
    options.connectors = loadConnectors(botFiles, connectorDirs, ignored);
    engine::Engine engine(store, registry, options);
    if (auto ran = engine.runUntilIdle({item->bot}); !ran)
        return fail(ran.error());
    return {};
}

void printDiagnostics(const bot::Diagnostics &diagnostics, QTextStream &stream)
{
    for (const bot::Diagnostic &diagnostic : diagnostics)
        stream << diagnostic.toString() << "\n";
    stream.flush();
}

void printJson(const QJsonValue &value)
{
    QJsonDocument document = value.isArray() ? QJsonDocument(value.toArray()) : QJsonDocument(value.toObject());
    out() << document.toJson(QJsonDocument::Indented);
    out().flush();
}

QString actorName(const QString &given)
{
    if (!given.isEmpty())
        return given;
    for (const char *name : {"USER", "LOGNAME"}) {
        const QString value = qEnvironmentVariable(name);
        if (!value.isEmpty())
            return value;
    }
    if (const passwd *entry = ::getpwuid(::geteuid()); entry && entry->pw_name)
        return QString::fromLocal8Bit(entry->pw_name);
    return QStringLiteral("unknown");
}

QString relativeTime(const QDateTime &when, const QDateTime &now)
{
    if (!when.isValid())
        return QStringLiteral("-");
    // Round towards "ago" so a time a few milliseconds in the past never reads "in 0s".
    const qint64 seconds = now.msecsTo(when) / 1000;
    const qint64 magnitude = std::abs(seconds);
    QString amount;
    if (magnitude < 60)
        amount = QStringLiteral("%1s").arg(magnitude);
    else if (magnitude < 3600)
        amount = QStringLiteral("%1m").arg(magnitude / 60);
    else if (magnitude < 86400 * 2)
        amount = QStringLiteral("%1h%2m").arg(magnitude / 3600).arg((magnitude % 3600) / 60);
    else
        amount = QStringLiteral("%1d").arg(magnitude / 86400);
    return seconds <= 0 ? amount + QStringLiteral(" ago") : QStringLiteral("in ") + amount;
}

void TextTable::print(QTextStream &stream) const
{
    QList<qsizetype> widths;
    for (const QString &header : m_headers)
        widths.append(header.size());
    for (const QStringList &row : m_rows) {
        for (qsizetype i = 0; i < row.size() && i < widths.size(); ++i)
            widths[i] = std::max(widths[i], row[i].size());
    }
    auto printRow = [&](const QStringList &cells) {
        QString line;
        for (qsizetype i = 0; i < widths.size(); ++i) {
            const QString cell = cells.value(i);
            line += i + 1 == widths.size() ? cell : cell.leftJustified(widths[i] + 2);
        }
        stream << line.trimmed() << "\n";
    };
    printRow(m_headers);
    for (const QStringList &row : m_rows)
        printRow(row);
    stream.flush();
}

namespace {
QJsonValue timeJson(const QDateTime &time)
{
    return time.isValid() ? QJsonValue(time.toUTC().toString(Qt::ISODateWithMs)) : QJsonValue();
}
} // namespace

QJsonObject toJson(const WorkItem &item, bool withData)
{
    QJsonObject object{
        {QStringLiteral("id"), item.id},
        {QStringLiteral("bot"), item.bot},
        {QStringLiteral("bot_version"), item.botVersion},
        {QStringLiteral("source"), item.sourceRef},
        {QStringLiteral("state"), toString(item.state)},
        {QStringLiteral("attempts"), item.attempts},
        {QStringLiteral("step_cursor"), item.stepCursor},
        {QStringLiteral("last_error"), item.lastError},
        {QStringLiteral("created_at"), timeJson(item.createdAt)},
        {QStringLiteral("updated_at"), timeJson(item.updatedAt)},
        {QStringLiteral("finished_at"), timeJson(item.finishedAt)},
        {QStringLiteral("not_before"), timeJson(item.notBefore)},
    };
    if (item.erasedAt.isValid())
        object.insert(QStringLiteral("erased_at"), timeJson(item.erasedAt));
    if (withData) {
        object.insert(QStringLiteral("payload"), item.payload);
        object.insert(QStringLiteral("step_outputs"), item.stepOutputs);
    }
    return object;
}

QJsonObject toJson(const store::ExceptionItem &exception, bool withData)
{
    QJsonArray choices;
    for (const HumanChoice &choice : exception.choices)
        choices.append(QJsonObject{{QStringLiteral("value"), choice.value},
                                   {QStringLiteral("label"), choice.label},
                                   {QStringLiteral("detail"), choice.detail}});
    QJsonObject object{
        {QStringLiteral("id"), exception.id},
        {QStringLiteral("item_id"), exception.itemId},
        {QStringLiteral("bot"), exception.bot},
        {QStringLiteral("step"), exception.stepId},
        {QStringLiteral("team"), exception.team},
        {QStringLiteral("reason"), exception.reason},
        {QStringLiteral("priority"), exception.priority},
        {QStringLiteral("urgency"), exception.urgency.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(exception.urgency)},
        {QStringLiteral("state"), store::toString(exception.state)},
        {QStringLiteral("created_at"), timeJson(exception.createdAt)},
        {QStringLiteral("sla_due_at"), timeJson(exception.slaDueAt)},
        {QStringLiteral("claimed_by"), exception.claimedBy},
        {QStringLiteral("decided_by"), exception.decidedBy},
        {QStringLiteral("decided_at"), timeJson(exception.decidedAt)},
        {QStringLiteral("choices"), choices},
        {QStringLiteral("fields"), QJsonArray::fromStringList(exception.fields)},
    };
    if (withData) {
        object.insert(QStringLiteral("evidence"), exception.evidence);
        object.insert(QStringLiteral("decision"), exception.decision.toJson());
    }
    return object;
}

namespace {

QString scalarText(const QJsonValue &value)
{
    switch (value.type()) {
    case QJsonValue::Null:
    case QJsonValue::Undefined: return QStringLiteral("(empty)");
    case QJsonValue::Bool: return value.toBool() ? QStringLiteral("true") : QStringLiteral("false");
    case QJsonValue::Double: return QString::number(value.toDouble(), 'g', 12);
    case QJsonValue::String: {
        QString text;
        for (const QChar c : value.toString()) {
            if (c.category() == QChar::Other_Control || c.category() == QChar::Other_Format)
                text += QStringLiteral("\\u%1").arg(c.unicode(), 4, 16, QLatin1Char('0'));
            else
                text += c;
        }
        return text.isEmpty() ? QStringLiteral("\"\"") : text;
    }
    default: return {};
    }
}

void appendIndented(QString &out, const QJsonValue &value, int indent)
{
    const QString pad(indent, QLatin1Char(' '));
    if (value.isObject()) {
        const QJsonObject object = value.toObject();
        if (object.isEmpty()) {
            out += pad + QStringLiteral("(none)\n");
            return;
        }
        for (auto it = object.begin(); it != object.end(); ++it) {
            if ((it.value().isObject() && !it.value().toObject().isEmpty())
                || (it.value().isArray() && !it.value().toArray().isEmpty())) {
                out += pad + it.key() + QStringLiteral(":\n");
                appendIndented(out, it.value(), indent + 2);
            } else if (it.value().isObject() || it.value().isArray()) {
                out += pad + it.key() + QStringLiteral(": (none)\n");
            } else {
                out += pad + it.key() + QStringLiteral(": ") + scalarText(it.value()) + u'\n';
            }
        }
        return;
    }
    if (value.isArray()) {
        const QJsonArray array = value.toArray();
        if (array.isEmpty()) {
            out += pad + QStringLiteral("(none)\n");
            return;
        }
        for (const QJsonValue &element : array) {
            if (element.isObject() || element.isArray()) {
                // "- " then the element's first line; its other lines under it.
                QString inner;
                appendIndented(inner, element, indent + 2);
                out += pad + QStringLiteral("- ") + inner.mid(indent + 2);
            } else {
                out += pad + QStringLiteral("- ") + scalarText(element) + u'\n';
            }
        }
        return;
    }
    out += pad + scalarText(value) + u'\n';
}

} // namespace

QString stepProblem(const Error &error, const bot::StepDefinition &step)
{
    return error.context() == QStringLiteral("step %1").arg(step.id) ? error.message() : error.toString();
}

QString indentedText(const QJsonValue &value, int indent)
{
    QString out;
    appendIndented(out, value, indent);
    return out;
}

} // namespace clerk::app
