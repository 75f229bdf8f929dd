#include "config_file.h"

#include <QFile>
#include <QFileInfo>
#include <QRegularExpression>

namespace clerk::app {

QString configPath(const QStringList &arguments)
{
    for (qsizetype i = 0; i < arguments.size(); ++i) {
        if (arguments.at(i) == QLatin1String("--config") && i + 1 < arguments.size())
            return arguments.at(i + 1);
        if (arguments.at(i).startsWith(QLatin1String("--config=")))
            return arguments.at(i).mid(9);
    }
    if (const QString fromEnv = qEnvironmentVariable("CLERK_CONFIG"); !fromEnv.isEmpty())
        return fromEnv;
    const QString system = QStringLiteral("/etc/clerk/clerk.conf");
    return QFileInfo::exists(system) ? system : QString();
}

Result<ConfigFile> readConfig(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly | QIODevice::Text))
        return fail(Error::notFound(QStringLiteral("%1: cannot read the configuration file: %2").arg(path, file.errorString())));
    if (file.size() > 1024 * 1024)
        return fail(Error::invalidArgument(QStringLiteral("%1: a configuration file is at most 1 MiB").arg(path)));
    static const QRegularExpression keyPattern(QStringLiteral("^[a-z][a-z0-9-]*$"));
    static const QRegularExpression sectionPattern(QStringLiteral("^\\[\\s*([a-z][a-z0-9-]*)\\s*\\]$"));
    ConfigFile config{.path = path};
    QString section;
    int number = 0;
    const QStringList lines = QString::fromUtf8(file.readAll()).split(QLatin1Char('\n'));
    for (const QString &raw : lines) {
        ++number;
        QString line = raw;
        if (const qsizetype hash = line.indexOf(QLatin1String(" #")); hash >= 0)
            line.truncate(hash);  // a comment after a value
        line = line.trimmed();
        if (line.isEmpty() || line.startsWith(QLatin1Char('#')) || line.startsWith(QLatin1Char(';')))
            continue;
        if (const auto match = sectionPattern.match(line); match.hasMatch()) {
            section = match.captured(1);
            continue;
        }
        const qsizetype equals = line.indexOf(QLatin1Char('='));
        if (equals < 0)
            return fail(Error::invalidArgument(
                QStringLiteral("%1:%2: expected key = value or [command], got \"%3\"").arg(path).arg(number).arg(line)));
        const QString key = line.left(equals).trimmed();
        QString value = line.mid(equals + 1).trimmed();
        if (value.size() >= 2 && value.startsWith(QLatin1Char('"')) && value.endsWith(QLatin1Char('"')))
            value = value.mid(1, value.size() - 2);
        if (!keyPattern.match(key).hasMatch())
            return fail(Error::invalidArgument(
                QStringLiteral("%1:%2: \"%3\" is not an option name (lower case, e.g. listen or cost-per-hour)")
                    .arg(path).arg(number).arg(key)));
        if (key == QLatin1String("config"))
            return fail(Error::invalidArgument(QStringLiteral("%1:%2: a configuration file cannot name another").arg(path).arg(number)));
        config.entries.append({section, key, value, number});
    }
    return config;
}

QStringList configArguments(const ConfigFile &file, const QString &command, QList<const ConfigEntry *> *from)
{
    QStringList arguments;
    for (const ConfigEntry &entry : file.entries) {
        if (!entry.section.isEmpty() && entry.section != command)
            continue;
        const QString value = entry.value.toLower();
        if (value == QLatin1String("false") || value == QLatin1String("no"))
            continue;
        arguments.append(QStringLiteral("--") + entry.key);
        if (value != QLatin1String("true") && value != QLatin1String("yes"))
            arguments.append(entry.value);
        if (from)
            from->append(&entry);
    }
    return arguments;
}

} // namespace clerk::app
