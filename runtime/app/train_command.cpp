// clerk train / clerk eval: train a bot's text classifier from labelled examples, and
// measure it.
#include "cli_support.h"
#include "commands.h"

namespace clerk::app {

int trainCommand(const QStringList &arguments)
{
    Q_UNUSED(arguments);
    err() << "clerk train: not available yet\n";
    err().flush();
    return ExitInvalid;
}

int evalCommand(const QStringList &arguments)
{
    Q_UNUSED(arguments);
    err() << "clerk eval: not available yet\n";
    err().flush();
    return ExitInvalid;
}

} // namespace clerk::app
