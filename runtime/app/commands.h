// The clerk commands. Each takes its own argument list (argv[0] is "clerk <command>")
// and returns the process exit status.
#pragma once

#include <QList>
#include <QStringList>

namespace clerk::app {

int validateCommand(const QStringList &arguments);
int runCommand(const QStringList &arguments);
int serveCommand(const QStringList &arguments);
int botCommand(const QStringList &arguments);
int queueCommand(const QStringList &arguments);
int itemCommand(const QStringList &arguments);
int statusCommand(const QStringList &arguments);
int reportCommand(const QStringList &arguments);
int userCommand(const QStringList &arguments);
int schemaCommand(const QStringList &arguments);
int stepsCommand(const QStringList &arguments);
int trainCommand(const QStringList &arguments);
int evalCommand(const QStringList &arguments);
int modelCommand(const QStringList &arguments);
int learnCommand(const QStringList &arguments);
int dbCommand(const QStringList &arguments);
int backupCommand(const QStringList &arguments);
int restoreCommand(const QStringList &arguments);
int retentionCommand(const QStringList &arguments);
int configCommand(const QStringList &arguments);
int personCommand(const QStringList &arguments);

struct Command {
    const char *name;  // as typed after "clerk"
    int (*run)(const QStringList &arguments);
};

// Every command, as main() dispatches them.
const QList<Command> &commandTable();

} // namespace clerk::app
