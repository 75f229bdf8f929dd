// clerk user add|passwd|disable|enable|set|list|token|tokens|revoke: the people who sign
// in to the web queue, and API tokens for machine clients (which may expire, and can be
// revoked; a token is shown once, and afterwards only by its id). Passwords are read from --password-file, or
// from standard input (typed twice, unechoed, at a terminal); never from the command line,
// where other users of the machine could see them.
#include "cli_support.h"
#include "commands.h"

#include "core/duration.h"
#include "server/password.h"

#include <QDateTime>
#include <QFile>
#include <QJsonArray>

#include <cstdio>
#include <iostream>
#include <string>
#include <termios.h>
#include <unistd.h>

namespace clerk::app {

namespace {

QString readLine(bool echo)
{
    termios saved{};
    const bool terminal = ::isatty(STDIN_FILENO) && ::tcgetattr(STDIN_FILENO, &saved) == 0;
    if (terminal && !echo) {
        termios quiet = saved;
        quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
        ::tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
    }
    std::string line;
    std::getline(std::cin, line);
    if (terminal && !echo) {
        ::tcsetattr(STDIN_FILENO, TCSANOW, &saved);
        err() << "\n";
        err().flush();
    }
    return QString::fromStdString(line);
}

// The new password: from the file, else standard input (asked twice at a terminal).
Result<QString> readPassword(const QString &file)
{
    if (!file.isEmpty()) {
        QFile input(file);
        if (!input.open(QIODevice::ReadOnly))
            return fail(Error::notFound(QStringLiteral("cannot read the password file %1").arg(file)));
        QString text = QString::fromUtf8(input.readLine());
        while (text.endsWith(QLatin1Char('\n')) || text.endsWith(QLatin1Char('\r')))
            text.chop(1);
        return text;
    }
    if (!::isatty(STDIN_FILENO))
        return readLine(true);
    err() << "New password: ";
    err().flush();
    const QString first = readLine(false);
    err() << "Again: ";
    err().flush();
    if (readLine(false) != first)
        return fail(Error::invalidArgument(QStringLiteral("the two passwords differ")));
    return first;
}

int complain(const QString &message)
{
    err() << "clerk user: " << message << "\n";
    err().flush();
    return ExitInvalid;
}

// clerk user list: everyone, with team and role.
int listUsers(store::WorkStore &store, bool json)
{
    auto users = store.users();
    if (!users)
        return complain(users.error().toString());
    if (json) {
        QJsonArray array;
        for (const store::UserAccount &user : *users) {
            array.append(QJsonObject{{QStringLiteral("name"), user.name},
                                     {QStringLiteral("team"), user.team},
                                     {QStringLiteral("role"), store::toString(user.role)},
                                     {QStringLiteral("disabled"), user.disabled}});
        }
        printJson(array);
        return ExitOk;
    }
    if (users->isEmpty())
        out() << "no users yet: clerk user add NAME --team TEAM\n";
    for (const store::UserAccount &user : *users) {
        out() << user.name << "\t" << user.team << "\t" << store::toString(user.role)
              << (user.disabled ? "\tdisabled" : "") << "\n";
    }
    out().flush();
    return ExitOk;
}

// clerk user token: a new API token acting as `name`, printed once; only its digest is kept.
int addToken(store::WorkStore &store, const QString &name, const QString &label,
             std::optional<std::chrono::milliseconds> expiresIn, const QString &actor)
{
    const QString token = server::randomToken();
    store::ApiToken saved{.idHash = server::tokenDigest(token), .name = label, .user = name};
    if (expiresIn)
        saved.expiresAt = QDateTime::currentDateTimeUtc().addMSecs(expiresIn->count());
    if (auto stored = store.saveApiToken(saved, actor); !stored)
        return complain(stored.error().toString());
    out() << token << "\n";
    out().flush();
    err() << "clerk user: keep this token secret; it is shown only now. Send it as 'Authorization: Bearer "
             "TOKEN'. Its id is "
          << saved.id()
          << (saved.expiresAt.isValid() ? QStringLiteral("; it expires %1").arg(saved.expiresAt.toString(Qt::ISODate))
                                        : QString())
          << ".\n";
    err().flush();
    return ExitOk;
}

// clerk user tokens: `name`'s tokens by id, never their secret.
int listTokens(store::WorkStore &store, const QString &name, bool json)
{
    auto tokens = store.apiTokensOf(name);
    if (!tokens)
        return complain(tokens.error().toString());
    const auto timeText = [](const QDateTime &time) {
        return time.isValid() ? time.toUTC().toString(Qt::ISODate) : QString();
    };
    if (json) {
        QJsonArray array;
        for (const store::ApiToken &token : *tokens) {
            const auto orNull = [&](const QDateTime &time) {
                return time.isValid() ? QJsonValue(timeText(time)) : QJsonValue(QJsonValue::Null);
            };
            array.append(QJsonObject{{QStringLiteral("id"), token.id()},
                                     {QStringLiteral("label"), token.name},
                                     {QStringLiteral("created_at"), orNull(token.createdAt)},
                                     {QStringLiteral("expires_at"), orNull(token.expiresAt)},
                                     {QStringLiteral("revoked_at"), orNull(token.revokedAt)}});
        }
        printJson(array);
        return ExitOk;
    }
    if (tokens->isEmpty())
        out() << name << " has no API tokens\n";
    for (const store::ApiToken &token : *tokens) {
        out() << token.id() << "\t" << token.name << "\tcreated " << timeText(token.createdAt) << "\t"
              << (token.expiresAt.isValid() ? QStringLiteral("expires ") + timeText(token.expiresAt)
                                            : QStringLiteral("never expires"))
              << (token.revokedAt.isValid() ? QStringLiteral("\trevoked ") + timeText(token.revokedAt) : QString())
              << "\n";
    }
    out().flush();
    return ExitOk;
}

} // namespace

int userCommand(const QStringList &arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "add NAME --team T [--role R]  a person who signs in to the web queue (password from\n"
        "                              --password-file or standard input; at least %1 characters)\n"
        "passwd NAME                   a new password; signs the person out everywhere\n"
        "disable NAME | enable NAME    stop or allow signing in (disabling signs out everywhere)\n"
        "set NAME [--team T] [--role R] move to another team or role\n"
        "list                          everyone, with team and role\n"
        "token NAME --label L [--expires D] an API token acting as NAME, for a machine client;\n"
        "                              printed once, only its digest is kept; --expires 90d\n"
        "tokens NAME                   NAME's tokens: id, label, created, expires, revoked\n"
        "revoke TOKEN_ID               the token stops working at once (id from tokens)\n"
        "Roles: operator (clears their team's queue), lead (also sees all work items), admin\n"
        "(every team).")
                                         .arg(server::kMinPasswordLength));
    CommonOptions common;
    common.addTo(parser);
    QCommandLineOption team(QStringLiteral("team"), QStringLiteral("The person's team."), QStringLiteral("team"));
    QCommandLineOption role(QStringLiteral("role"), QStringLiteral("operator, lead or admin (default operator)."),
                            QStringLiteral("role"));
    QCommandLineOption passwordFile(QStringLiteral("password-file"),
                                    QStringLiteral("Read the password from the first line of this file."),
                                    QStringLiteral("file"));
    QCommandLineOption label(QStringLiteral("label"), QStringLiteral("What the token is for, e.g. portal."),
                             QStringLiteral("text"));
    QCommandLineOption expires(QStringLiteral("expires"),
                               QStringLiteral("With token: the token stops working this long from now, e.g. 90d "
                                              "(default: never)."),
                               QStringLiteral("duration"));
    QCommandLineOption as(QStringLiteral("as"), QStringLiteral("The person making the change (default: $USER)."),
                          QStringLiteral("name"));
    parser.addOptions({team, role, passwordFile, label, expires, as});
    parser.addPositionalArgument(QStringLiteral("action"),
                                 QStringLiteral("add, passwd, disable, enable, set, list, token, tokens or revoke."));
    parser.addPositionalArgument(QStringLiteral("name"), QStringLiteral("The person's user name."), QStringLiteral("[NAME]"));
    int exitCode = ExitOk;
    if (!parseCommand(parser, arguments, exitCode))
        return exitCode;
    const QStringList positional = parser.positionalArguments();
    const QString action = positional.value(0);
    const QStringList actions = {QStringLiteral("add"),    QStringLiteral("passwd"), QStringLiteral("disable"),
                                 QStringLiteral("enable"), QStringLiteral("set"),    QStringLiteral("list"),
                                 QStringLiteral("token"),  QStringLiteral("tokens"), QStringLiteral("revoke")};
    if (!actions.contains(action))
        return complain(
            QStringLiteral("say add, passwd, disable, enable, set, list, token, tokens or revoke (clerk user --help)"));
    if (action == QLatin1String("revoke") && positional.size() != 2)
        return complain(QStringLiteral("revoke takes one token id (clerk user tokens NAME lists them)"));
    if (action != QLatin1String("list") && positional.size() != 2)
        return complain(QStringLiteral("%1 takes one user name").arg(action));
    std::optional<std::chrono::milliseconds> expiresIn;
    if (parser.isSet(expires)) {
        if (action != QLatin1String("token"))
            return complain(QStringLiteral("--expires goes with token"));
        auto duration = parseDuration(parser.value(expires));
        if (!duration || duration->count() < 60'000)
            return complain(QStringLiteral("--expires takes a duration of at least 1m, e.g. 90d"));
        expiresIn = *duration;
    }
    std::optional<store::Role> chosenRole;
    if (parser.isSet(role)) {
        chosenRole = store::roleFromString(parser.value(role));
        if (!chosenRole)
            return complain(QStringLiteral("--role takes operator, lead or admin"));
    }

    auto store = openStore(databaseLocation(parser, common));
    if (!store)
        return complain(store.error().toString());
    const QString actor = actorName(parser.value(as));
    const QString name = positional.value(1);

    if (action == QLatin1String("revoke")) {
        if (auto revoked = (*store)->revokeApiToken(name.trimmed(), actor); !revoked)
            return complain(revoked.error().message());
        out() << "token " << name.trimmed() << " revoked\n";
        out().flush();
        return ExitOk;
    }

    if (action == QLatin1String("list"))
        return listUsers(**store, parser.isSet(common.json));

    if (action == QLatin1String("add")) {
        if (!parser.isSet(team))
            return complain(QStringLiteral("add needs --team, e.g. clerk user add %1 --team post-room").arg(name));
        if ((*store)->user(name))
            return complain(QStringLiteral("user %1 exists already (clerk user set or passwd change it)").arg(name));
        auto password = readPassword(parser.value(passwordFile));
        if (!password)
            return complain(password.error().message());
        auto hash = server::hashPassword(*password);
        if (!hash)
            return complain(hash.error().message());
        const store::UserAccount account{.name = name,
                                         .team = parser.value(team),
                                         .role = chosenRole.value_or(store::Role::Operator),
                                         .passwordHash = *hash};
        if (auto saved = (*store)->saveUser(account, actor); !saved)
            return complain(saved.error().toString());
        out() << "user " << name << " added to team " << account.team << " as " << store::toString(account.role) << "\n";
        out().flush();
        return ExitOk;
    }

    auto account = (*store)->user(name);
    if (!account)
        return complain(account.error().message());

    if (action == QLatin1String("token")) {
        if (!parser.isSet(label))
            return complain(QStringLiteral("token needs --label, saying what the token is for"));
        return addToken(**store, name, parser.value(label), expiresIn, actor);
    }
    if (action == QLatin1String("tokens"))
        return listTokens(**store, name, parser.isSet(common.json));

    bool signOut = false;
    if (action == QLatin1String("passwd")) {
        auto password = readPassword(parser.value(passwordFile));
        if (!password)
            return complain(password.error().message());
        auto hash = server::hashPassword(*password);
        if (!hash)
            return complain(hash.error().message());
        account->passwordHash = *hash;
        signOut = true;
    } else if (action == QLatin1String("disable") || action == QLatin1String("enable")) {
        account->disabled = action == QLatin1String("disable");
        signOut = account->disabled;
    } else {  // set
        if (!parser.isSet(team) && !chosenRole)
            return complain(QStringLiteral("set needs --team or --role"));
        if (parser.isSet(team))
            account->team = parser.value(team);
        if (chosenRole)
            account->role = *chosenRole;
    }
    if (auto saved = (*store)->saveUser(*account, actor); !saved)
        return complain(saved.error().toString());
    if (signOut) {
        if (auto ended = (*store)->deleteSessionsOf(name); !ended)
            return complain(ended.error().toString());
    }
    out() << "user " << name << ": " << action << " done\n";
    out().flush();
    return ExitOk;
}

} // namespace clerk::app
