// clerk: the bot runtime's command line.
#include "cli_support.h"
#include "commands.h"

#include <QCoreApplication>
#include <QDir>
#include <QGuiApplication>
#include <QLibraryInfo>
#include <QLoggingCategory>

#include <clocale>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <unistd.h>

namespace {

const char kUsage[] =
    "Usage: clerk <command> [options]\n"
    "\n"
    "Runs bots that clear back-office casework: each document, form or report becomes a\n"
    "work item that goes through the bot's steps, and waits for a person when the bot is\n"
    "not sure.\n"
    "\n"
    "Commands:\n"
    "  validate FILE...        check bot and connector files; errors as file:line:column\n"
    "  run BOT --input PATH... enqueue inputs and process them; prints a summary\n"
    "  run BOT --dry-run ...   show what would happen, without acting or storing anything\n"
    "  serve BOT_OR_FOLDER...  run bots as a service: triggers, workers; SIGHUP reloads\n"
    "  bot pause|resume NAME   stop a bot taking new work (every process), or let it go on\n"
    "  queue list|show|claim|release|resolve|reject\n"
    "                          the exception queue: answer what the bots were not sure of\n"
    "  item show|retry ID      one work item: its steps and history; re-run a failed item\n"
    "  status                  items per bot and state, exception queues per team\n"
    "  report --since 7d       per bot and day: items, straight-through rate, hours saved\n"
    "  user add|passwd|list|token\n"
    "                          people who sign in to the web queue, and API tokens\n"
    "  schema [bot|connector]  print the JSON Schema of bot or connector files\n"
    "  steps                   list the step types and their parameters (Markdown)\n"
    "  train BOT --examples .. train the bot's category model from labelled examples\n"
    "  eval BOT --examples ... accuracy, confusion matrix, and straight-through rate per threshold\n"
    "  learn BOT               learn from people's answers: train a challenger, promote it if better\n"
    "  model list|promote|rollback BOT\n"
    "                          the versions of a bot's model, and which one is in use\n"
    "  db status|migrate       the database's schema version, and the migrations an upgrade runs\n"
    "  backup --to FILE        a checked copy of the database (SQLite), safe while clerk serve runs\n"
    "  restore --from FILE     put a backup in place of the database (stop clerk serve first)\n"
    "  person search|export TERM...\n"
    "                          subject access: every item holding a person, exported with its documents\n"
    "  config check            check the settings file (/etc/clerk/clerk.conf, --config FILE), by file:line\n"
    "  retention BOT_OR_FOLDER... [--dry-run]\n"
    "                          erase what finished items hold about people once their bot's period passed\n"
    "\n"
    "Options for every command:\n"
    "  --config FILE  settings for every command or one ([serve], ...); default $CLERK_CONFIG, else\n"
    "               /etc/clerk/clerk.conf when it exists; options on the command line win\n"
    "  --db PATH    the work database (default: $CLERK_DB, else ~/.local/share/clerk/clerk.db)\n"
    "  --json       JSON output\n"
    "  -v, --verbose  log what the engine does (item ids, steps; never document text)\n"
    "  -h, --help   help for a command, e.g. clerk queue --help\n"
    "\n"
    "Exit status: 0 success; 1 invalid files, arguments or database; 3 some items failed (run).\n";

} // namespace

// Tesseract is built with OpenMP; on small servers its threads make OCR several times
// slower, and libgomp reads OMP_THREAD_LIMIT when it is loaded, before main() runs. So
// clerk starts itself again with the limit set, once; it parallelises across pages and
// documents instead. An operator's own OMP_THREAD_LIMIT is kept.
void limitOpenMpThreads(char **argv)
{
    const char *given = std::getenv("OMP_THREAD_LIMIT");
    if (given && *given)
        return;
    ::setenv("OMP_THREAD_LIMIT", "1", 1);
    ::execv("/proc/self/exe", argv);
    // execv only returns on failure: go on with OpenMP's default rather than not at all.
}

// The commands that run steps (run, serve, queue resolve, item retry) paint letters (the
// document step), and Qt paints text only under a QGuiApplication. A server has no
// display, so its platform is offscreen unless the operator chose another
// (QT_QPA_PLATFORM). When the platform's plugin is not installed (Debian package
// qt6-qpa-plugins), QGuiApplication would abort: clerk then runs as before and only the
// document step fails, saying what is missing.
std::unique_ptr<QCoreApplication> makeApplication(int &argc, char **argv)
{
    const char *command = nullptr;
    for (int i = 1; i < argc && !command; ++i) {
        if (std::strcmp(argv[i], "-v") != 0 && std::strcmp(argv[i], "--verbose") != 0)
            command = argv[i];
    }
    bool runsSteps = false;
    for (const char *name : {"run", "serve", "queue", "item"})  // queue resolve and item retry go on with the item
        runsSteps = runsSteps || (command && std::strcmp(command, name) == 0);
    if (runsSteps) {
        const char *given = std::getenv("QT_QPA_PLATFORM");
        if (!given || !*given)
            ::setenv("QT_QPA_PLATFORM", "offscreen", 1);
        const QString platform = QString::fromLocal8Bit(std::getenv("QT_QPA_PLATFORM")).section(QLatin1Char(':'), 0, 0);
        const QDir plugins(QLibraryInfo::path(QLibraryInfo::PluginsPath) + QStringLiteral("/platforms"));
        if (plugins.exists(QStringLiteral("libq%1.so").arg(platform))) {
            // A service account has no XDG_RUNTIME_DIR; Qt's note that it falls back to
            // /tmp says nothing an operator must act on, so it stays off clerk's output.
            static QtMessageHandler previous = nullptr;
            previous = qInstallMessageHandler([](QtMsgType type, const QMessageLogContext &context, const QString &text) {
                if (!text.startsWith(QLatin1String("QStandardPaths: XDG_RUNTIME_DIR not set")))
                    previous(type, context, text);
            });
            auto app = std::make_unique<QGuiApplication>(argc, argv);
            qInstallMessageHandler(previous);
            return app;
        }
    }
    return std::make_unique<QCoreApplication>(argc, argv);
}

int main(int argc, char **argv)
{
    limitOpenMpThreads(argv);
    const auto app = makeApplication(argc, argv);
    // Qt sets the locale from the environment; numbers in files and output stay in C form.
    std::setlocale(LC_NUMERIC, "C");
    QCoreApplication::setApplicationName(QStringLiteral("clerk"));
    QCoreApplication::setApplicationVersion(QStringLiteral(CLERK_VERSION));

    using namespace clerk::app;
    QStringList args = QCoreApplication::arguments();
    // Progress notes are for --verbose; warnings always show. QT_LOGGING_RULES still wins.
    const bool verbose = args.removeAll(QStringLiteral("--verbose")) + args.removeAll(QStringLiteral("-v")) > 0;
    QLoggingCategory::setFilterRules(verbose ? QStringLiteral("clerk.*.debug=false")
                                             : QStringLiteral("clerk.*.debug=false\nclerk.*.info=false"));
    qSetMessagePattern(QStringLiteral("%{if-category}%{category}: %{endif}%{if-warning}warning: %{endif}%{message}"));
    const QString command = args.value(1);
    if (command.isEmpty() || command == QLatin1String("--help") || command == QLatin1String("-h")
        || command == QLatin1String("help")) {
        out() << kUsage;
        out().flush();
        return command.isEmpty() ? ExitInvalid : ExitOk;
    }
    if (command == QLatin1String("--version") || command == QLatin1String("version")) {
        out() << "clerk " << CLERK_VERSION << "\n";
        out().flush();
        return ExitOk;
    }

    QStringList rest = args.mid(2);
    rest.prepend(QStringLiteral("clerk ") + command);
    for (const Command &entry : commandTable()) {
        if (command == QLatin1String(entry.name))
            return entry.run(rest);
    }

    err() << "clerk: unknown command '" << command << "'. Run 'clerk --help' for the list.\n";
    err().flush();
    return ExitInvalid;
}
