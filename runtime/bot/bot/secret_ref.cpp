#include "bot/secret_ref.h"

#include <QFile>
#include <QFileInfo>
#include <QRegularExpression>

namespace clerk::bot {

namespace {

// A secret file is a key or a password, never a document.
constexpr qint64 kMaxSecretFileBytes = 64 * 1024;

const QRegularExpression &secretPattern()
{
    static const QRegularExpression pattern(
        QStringLiteral("^\\$\\{(?:env:([A-Za-z_][A-Za-z0-9_]*)|file:([^}\\s][^}]*))\\}$"));
    return pattern;
}

} // namespace

bool isSecretRef(const QString &text)
{
    return secretPattern().match(text).hasMatch();
}

Result<QString> resolveSecret(const QString &text)
{
    const auto match = secretPattern().match(text);
    // The text may be a literal secret written by mistake: never repeat it.
    if (!match.hasMatch())
        return fail(Error::invalidArgument(
            QStringLiteral("not a secret reference; write ${env:NAME} or ${file:/path}")));

    const QString variable = match.captured(1);
    if (!variable.isEmpty()) {
        if (!qEnvironmentVariableIsSet(variable.toLocal8Bit().constData()))
            return fail(Error::notFound(QStringLiteral("environment variable %1 is not set").arg(variable)));
        return qEnvironmentVariable(variable.toLocal8Bit().constData());
    }

    const QString path = match.captured(2);
    const QFileInfo info(path);
    if (!info.exists())
        return fail(Error::notFound(QStringLiteral("secret file %1 does not exist").arg(path)));
    if (info.isDir())
        return fail(Error::invalidArgument(QStringLiteral("secret file %1 is a directory").arg(path)));
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return fail(Error::permissionDenied(QStringLiteral("cannot read secret file %1: %2")
                                                .arg(path, file.errorString())));
    if (file.size() > kMaxSecretFileBytes)
        return fail(Error::invalidArgument(
            QStringLiteral("secret file %1 is larger than %2 KiB; is it the right file?")
                .arg(path)
                .arg(kMaxSecretFileBytes / 1024)));
    QByteArray bytes = file.read(kMaxSecretFileBytes + 1);
    if (bytes.endsWith('\n'))
        bytes.chop(1);
    if (bytes.endsWith('\r'))
        bytes.chop(1);
    return QString::fromUtf8(bytes);
}

} // namespace clerk::bot
