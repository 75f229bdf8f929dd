// clerk bot pause|resume NAME, clerk bot paused: stop a bot taking new work, across every
// process sharing the database, and let it carry on again.
#include "cli_support.h"
#include "commands.h"

#include <QJsonArray>

namespace clerk::app {

int botCommand(const QStringList &arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "pause NAME    the bot's items are not started and its time triggers do not fire, in every\n"
        "              clerk process on this database; items already running finish\n"
        "resume NAME   it carries on; time slots missed meanwhile follow its misfire policy\n"
        "paused        the paused bots"));
    CommonOptions common;
    common.addTo(parser);
    QCommandLineOption as(QStringLiteral("as"), QStringLiteral("The person acting (default: $USER)."), QStringLiteral("name"));
    parser.addOption(as);
    parser.addPositionalArgument(QStringLiteral("action"), QStringLiteral("pause, resume or paused."));
    parser.addPositionalArgument(QStringLiteral("name"), QStringLiteral("The bot's name."), QStringLiteral("[NAME]"));
    int exitCode = ExitOk;
    if (!parseCommand(parser, arguments, exitCode))
        return exitCode;
    const QStringList positional = parser.positionalArguments();
    const QString action = positional.value(0);
    const auto complain = [](const QString &message) {
        err() << "clerk bot: " << message << "\n";
        err().flush();
        return int(ExitInvalid);
    };
    const bool change = action == QLatin1String("pause") || action == QLatin1String("resume");
    if (!change && action != QLatin1String("paused"))
        return complain(QStringLiteral("say pause NAME, resume NAME or paused"));
    if (change && positional.size() != 2)
        return complain(QStringLiteral("%1 takes one bot name, e.g. clerk bot %1 contact-form-matcher").arg(action));

    auto store = openStore(databaseLocation(parser, common));
    if (!store)
        return complain(store.error().toString());
    if (change) {
        const bool pause = action == QLatin1String("pause");
        if (auto set = (*store)->setBotPaused(positional.at(1), pause, actorName(parser.value(as))); !set)
            return complain(set.error().toString());
        out() << "bot " << positional.at(1) << (pause ? " paused" : " resumed") << "\n";
        out().flush();
        return ExitOk;
    }
    auto paused = (*store)->pausedBots();
    if (!paused)
        return complain(paused.error().toString());
    if (parser.isSet(common.json))
        printJson(QJsonArray::fromStringList(*paused));
    else
        out() << (paused->isEmpty() ? QStringLiteral("no bot is paused") : paused->join(QLatin1Char('\n'))) << "\n";
    out().flush();
    return ExitOk;
}

} // namespace clerk::app
