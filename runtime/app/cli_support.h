// What the clerk commands share: options, opening the store, loading bot and connector
// files with their diagnostics, and printing.
#pragma once

#include "bot/bot_loader.h"
#include "core/error.h"
#include "engine/step_registry.h"
#include "engine/worker_pool.h"
#include "store/work_store.h"

#include <QCommandLineParser>
#include <QJsonDocument>
#include <QSet>
#include <QStringList>
#include <QTextStream>
#include <memory>
#include <optional>

namespace clerk::app {

// Exit statuses, documented in `clerk --help`.
enum ExitCode : int {
    ExitOk = 0,
    ExitInvalid = 1,      // invalid bot files, bad arguments, unusable database
    ExitItemsFailed = 3,  // `run`: some items failed
};

QTextStream &out();
QTextStream &err();

// The options every command accepts.
struct CommonOptions {
    QCommandLineOption db{QStringLiteral("db"),
                          QStringLiteral("The work database: a file path (SQLite). Default: $CLERK_DB, or clerk.db in "
                                         "the user's data folder."),
                          QStringLiteral("path")};
    QCommandLineOption json{QStringLiteral("json"), QStringLiteral("Print JSON instead of text.")};
    QCommandLineOption connectors{QStringLiteral("connectors"),
                                  QStringLiteral("A folder of connector files (repeatable). Also searched: "
                                                 "$CLERK_CONNECTOR_PATH, and connectors/ beside and above each bot file."),
                                  QStringLiteral("dir")};
    void addTo(QCommandLineParser &parser) const;
};

// The options of the commands that run items (clerk run, clerk serve): --workers and
// --lease. `leaseNote` is added to --lease's help.
struct WorkerOptions {
    explicit WorkerOptions(const QString &leaseNote = {});
    QCommandLineOption workers;
    QCommandLineOption lease;
    // The worker pool they ask for: the number of workers (1 to 64; default the number of
    // cores) and the lease (at least 1s). InvalidArgument, with a message for the person
    // who typed them, otherwise.
    Result<engine::WorkerPoolOptions> read(const QCommandLineParser &parser) const;
};

// Prints "clerk COMMAND: MESSAGE" to stderr and returns ExitInvalid.
int commandFailed(const QString &command, const QString &message);

// Parses a command's arguments; prints help or errors itself. Returns false when the
// command should exit with `exitCode`.
// Also takes the settings of the configuration file (config_file.h) for the command,
// before the command line's own.
bool parseCommand(QCommandLineParser &parser, const QStringList &arguments, int &exitCode);

// clerk config check: while set, parseCommand only checks the file against the command's
// options, collects the problems here and returns false with ExitOk.
struct ConfigCheck {
    QStringList problems{};
    QSet<int> usedTopLevel{};  // lines of top-level keys some command has
};
void setConfigCheck(ConfigCheck *check);

QString databaseLocation(const QCommandLineParser &parser, const CommonOptions &options);
Result<std::unique_ptr<store::WorkStore>> openStore(const QString &location);

// Loads every connector file in the search path of `botFiles` (plus explicit folders).
// Broken connector files are reported in `diagnostics`.
bot::ConnectorSet loadConnectors(const QStringList &botFiles, const QStringList &extraDirs,
                                 bot::Diagnostics &diagnostics);
// Bot files as given on a command line: files as they are, folders expanded to the bot
// files in them (*.yaml, *.yml; connector files are skipped).
QStringList botFilesIn(const QStringList &given);
QStringList connectorSearchPath(const QStringList &botFiles, const QStringList &extraDirs);

// Loads one bot file for running; prints its diagnostics to stderr on failure.
std::optional<bot::BotDefinition> loadBotOrReport(const QString &path, const engine::StepRegistry &registry,
                                                  const bot::ConnectorSet &connectors);

// Lets the bot of item `itemId` carry on with its runnable items (the item a person just
// answered or requeued among them), with the bot file stored for each item.
Status continueBot(store::WorkStore &store, qint64 itemId, const QStringList &connectorDirs = {});

void printDiagnostics(const bot::Diagnostics &diagnostics, QTextStream &stream);
void printJson(const QJsonValue &value);

// The person acting, for the audit trail: --as, else $USER/$LOGNAME.
QString actorName(const QString &given);

// "3m ago", "in 2h", for ages and SLA times.
QString relativeTime(const QDateTime &when, const QDateTime &now);

// A fixed-width text table.
class TextTable {
public:
    explicit TextTable(QStringList headers) : m_headers(std::move(headers)) {}
    void addRow(QStringList cells) { m_rows.append(std::move(cells)); }
    void print(QTextStream &stream) const;

private:
    QStringList m_headers;
    QList<QStringList> m_rows;
};

// Why `step` cannot start, for a message that already names the step: the error's text
// without a context that only repeats "step ID".
QString stepProblem(const Error &error, const bot::StepDefinition &step);

// A JSON value as indented "key: value" lines for people reading a terminal: objects as
// keys in their order, arrays as "- " items, text as it is (control characters shown as
// \uXXXX so a value cannot move the cursor). Each line starts with `indent` spaces and
// ends with a newline; an empty object or array prints as "(none)".
QString indentedText(const QJsonValue &value, int indent);

QJsonObject toJson(const WorkItem &item, bool withData);
QJsonObject toJson(const store::ExceptionItem &exception, bool withData);

} // namespace clerk::app
