#include "classify/model_files.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QSaveFile>

namespace clerk::classify {

QString modelBaseName(const QString &botName, const QString &stepId)
{
    return QStringLiteral("%1.%2.model").arg(botName, stepId);
}

QString nextModelPath(const QString &folder, const QString &botName, const QString &stepId)
{
    const QDir dir(folder);
    const QString base = modelBaseName(botName, stepId);
    int next = 1;
    while (QFileInfo::exists(dir.filePath(QStringLiteral("%1.v%2").arg(base).arg(next))))
        ++next;
    return dir.filePath(QStringLiteral("%1.v%2").arg(base).arg(next));
}

Status writeLatestPointer(const QString &folder, const QString &botName, const QString &stepId, const QString &modelPath)
{
    QSaveFile file(QDir(folder).filePath(modelBaseName(botName, stepId) + QStringLiteral(".latest")));
    if (!file.open(QIODevice::WriteOnly))
        return fail(Error::permissionDenied(QStringLiteral("cannot write %1: %2").arg(file.fileName(), file.errorString())));
    file.write(QFileInfo(modelPath).fileName().toUtf8() + '\n');
    if (!file.commit())
        return fail(Error::unavailable(QStringLiteral("cannot write %1: %2").arg(file.fileName(), file.errorString())));
    return {};
}

Result<QString> latestModelPath(const QString &folder, const QString &botName, const QString &stepId)
{
    const QDir dir(folder);
    QFile pointer(dir.filePath(modelBaseName(botName, stepId) + QStringLiteral(".latest")));
    if (!pointer.exists())
        return QString();
    if (!pointer.open(QIODevice::ReadOnly))
        return fail(Error::unreadable(QStringLiteral("cannot read %1: %2").arg(pointer.fileName(), pointer.errorString())));
    const QString name = QString::fromUtf8(pointer.readAll()).trimmed();
    if (name.isEmpty() || name.contains(QLatin1Char('/')) || name.contains(QLatin1Char('\n')))
        return fail(Error::corrupt(QStringLiteral("%1 should hold one model file name").arg(pointer.fileName())));
    const QString path = dir.filePath(name);
    if (!QFileInfo::exists(path))
        return fail(Error::notFound(QStringLiteral("%1 points at %2, which does not exist").arg(pointer.fileName(), name)));
    return path;
}

Result<QString> resolveModelPath(const QString &folder, const QString &botName, const QString &stepId,
                                 const QString &explicitPath)
{
    if (!explicitPath.isEmpty())
        return QDir::cleanPath(QDir(folder).absoluteFilePath(explicitPath));
    return latestModelPath(folder, botName, stepId);
}

} // namespace clerk::classify
