// clerk user: not yet available.
#include "cli_support.h"
#include "commands.h"

namespace clerk::app {

int userCommand(const QStringList &arguments)
{
    Q_UNUSED(arguments);
    err() << "clerk user: not available in this build yet\n";
    err().flush();
    return ExitInvalid;
}

} // namespace clerk::app
