#include "store/postgres_location_p.h"

#include "store/sql_dialect_p.h"

#include <QFile>
#include <QFileInfo>
#include <QRegularExpression>
#include <QUrl>
#include <QUrlQuery>

namespace clerk::store {

namespace {

// A password file holds a password, never a document.
constexpr qint64 kMaxPasswordFileBytes = 4096;

// The scheme, the user, and the password when it is a reference: "${file:...}" may hold
// slashes that would end a URL's authority, so it is cut out before QUrl sees the text.
const QRegularExpression &referencePattern()
{
    static const QRegularExpression pattern(
        QStringLiteral("^(postgres(?:ql)?://[^:@/?#]*:)(\\$\\{(?:env:[A-Za-z_][A-Za-z0-9_]*|file:[^}]+)\\})@"));
    return pattern;
}

Result<QString> resolveReference(const QString &reference)
{
    if (reference.startsWith(QLatin1String("${env:"))) {
        const QString name = reference.mid(6, reference.size() - 7);
        if (!qEnvironmentVariableIsSet(name.toLocal8Bit().constData()))
            return fail(Error::notFound(QStringLiteral("environment variable %1 (the database password) is not set")
                                            .arg(name)));
        return qEnvironmentVariable(name.toLocal8Bit().constData());
    }
    const QString path = reference.mid(7, reference.size() - 8);
    const QFileInfo info(path);
    if (!info.exists())
        return fail(Error::notFound(QStringLiteral("password file %1 does not exist").arg(path)));
    QFile file(path);
    if (info.isDir() || !file.open(QIODevice::ReadOnly))
        return fail(Error::permissionDenied(QStringLiteral("cannot read password file %1").arg(path)));
    QByteArray bytes = file.read(kMaxPasswordFileBytes + 1);
    if (bytes.size() > kMaxPasswordFileBytes)
        return fail(Error::invalidArgument(QStringLiteral("password file %1 is too large to hold a password").arg(path)));
    while (bytes.endsWith('\n') || bytes.endsWith('\r'))
        bytes.chop(1);
    return QString::fromUtf8(bytes);
}

// A conninfo value in single quotes, as libpq reads it.
QString quoted(QString value)
{
    value.replace(QLatin1Char('\\'), QLatin1String("\\\\"));
    value.replace(QLatin1Char('\''), QLatin1String("\\'"));
    return QLatin1Char('\'') + value + QLatin1Char('\'');
}

} // namespace

Result<PostgresLocation> parsePostgresLocation(const QString &url)
{
    // Nothing of `url` goes into a message before the password is cut out of it.
    const auto malformed = [](const QString &why) {
        return fail(Error::invalidArgument(
            QStringLiteral("malformed PostgreSQL location (%1); write postgresql://USER@HOST[:PORT]/DBNAME").arg(why)));
    };

    QString text = url;
    std::optional<QString> password;
    if (const auto match = referencePattern().match(text); match.hasMatch()) {
        auto resolved = resolveReference(match.captured(2));
        if (!resolved)
            return fail(resolved.error());
        password = *resolved;
        text = match.captured(1).chopped(1) + QLatin1Char('@') + text.mid(match.capturedEnd(0));
    }

    const QUrl parsed(text, QUrl::StrictMode);
    if (!parsed.isValid())
        return malformed(QStringLiteral("not a URL"));
    if (parsed.scheme() != QLatin1String("postgresql") && parsed.scheme() != QLatin1String("postgres"))
        return malformed(QStringLiteral("the scheme is not postgresql"));

    PostgresLocation location;
    location.host = parsed.host(QUrl::FullyDecoded);
    if (location.host.isEmpty())
        return malformed(QStringLiteral("no host"));
    location.port = parsed.port(5432);
    if (location.port <= 0 || location.port > 65535)
        return malformed(QStringLiteral("bad port"));
    location.user = parsed.userName(QUrl::FullyDecoded);
    if (location.user.isEmpty())
        return malformed(QStringLiteral("no user"));
    if (!password && !parsed.password().isEmpty())
        password = parsed.password(QUrl::FullyDecoded);
    location.password = password;
    location.database = parsed.path(QUrl::FullyDecoded).mid(1);
    if (location.database.isEmpty() || location.database.contains(QLatin1Char('/')))
        return malformed(QStringLiteral("no database name after the host"));
    if (parsed.hasFragment())
        return malformed(QStringLiteral("a fragment (#...) means nothing here"));

    static const QStringList known = {QStringLiteral("passfile"), QStringLiteral("sslmode"),
                                      QStringLiteral("sslrootcert"), QStringLiteral("connect_timeout"),
                                      QStringLiteral("application_name")};
    bool timeoutGiven = false;
    bool nameGiven = false;
    const auto items = QUrlQuery(parsed).queryItems(QUrl::FullyDecoded);
    for (const auto &[key, value] : items) {
        if (!known.contains(key)) {
            return fail(Error::invalidArgument(QStringLiteral("unknown PostgreSQL location parameter \"%1\"; known: %2")
                                                   .arg(key, known.join(QStringLiteral(", ")))));
        }
        if (key == QLatin1String("connect_timeout")) {
            bool ok = false;
            const int seconds = value.toInt(&ok);
            if (!ok || seconds < 1)
                return fail(Error::invalidArgument(QStringLiteral("connect_timeout takes a number of seconds")));
            timeoutGiven = true;
        }
        nameGiven = nameGiven || key == QLatin1String("application_name");
        location.connectOptions.append(key + QLatin1Char('=') + quoted(value));
    }
    // libpq waits for a host that does not answer for as long as TCP does (minutes).
    if (!timeoutGiven)
        location.connectOptions.append(QStringLiteral("connect_timeout=10"));
    if (!nameGiven)
        location.connectOptions.append(QStringLiteral("application_name=clerk"));

    const QString host = location.host.contains(QLatin1Char(':')) ? QStringLiteral("[%1]").arg(location.host)
                                                                   : location.host;
    location.redacted =
        QStringLiteral("postgresql://%1@%2:%3/%4").arg(location.user, host).arg(location.port).arg(location.database);
    return location;
}

QSqlDatabase addPostgresConnection(const QString &name, const PostgresLocation &target)
{
    QSqlDatabase db = QSqlDatabase::addDatabase(SqlDialect::postgresql().driver, name);
    db.setHostName(target.host);
    db.setPort(target.port);
    db.setUserName(target.user);
    if (target.password)
        db.setPassword(*target.password);
    db.setDatabaseName(target.database);
    db.setConnectOptions(target.connectOptions.join(QLatin1Char(';')));
    return db;
}

} // namespace clerk::store
