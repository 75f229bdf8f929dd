#include "commands.h"

namespace clerk::app {

const QList<Command> &commandTable()
{
    static const QList<Command> table{
        {"validate", validateCommand}, {"run", runCommand},         {"serve", serveCommand},
        {"bot", botCommand},           {"queue", queueCommand},     {"item", itemCommand},
        {"status", statusCommand},     {"report", reportCommand},   {"user", userCommand},
        {"schema", schemaCommand},     {"steps", stepsCommand},     {"train", trainCommand},
        {"eval", evalCommand},         {"learn", learnCommand},     {"model", modelCommand},
        {"db", dbCommand},             {"backup", backupCommand},   {"restore", restoreCommand},
        {"retention", retentionCommand}, {"config", configCommand}, {"person", personCommand},
    };
    return table;
}

} // namespace clerk::app
