#include "engine/document_paths.h"

#include <QDir>
#include <QFileInfo>

namespace clerk::engine {

QString canonicalPath(const QString &absolutePath)
{
    Q_ASSERT_X(QDir::isAbsolutePath(absolutePath), "canonicalPath", "the path must be absolute");
    // Cleaning first is safe only because callers open the cleaned path, not the raw one
    // (StepContext::resolvePath cleans too): what is checked is what is opened.
    QString existing = QDir::cleanPath(absolutePath);
    QStringList missing;
    for (int links = 0;;) {
        const QFileInfo info(existing);
        const QString canonical = info.canonicalFilePath();
        if (!canonical.isEmpty()) {
            if (missing.isEmpty())
                return canonical;
            return QDir::cleanPath(canonical + QLatin1Char('/') + missing.join(QLatin1Char('/')));
        }
        // A link to something that does not exist (yet): creating the path would follow
        // it, so its target is what counts. Loops end where the system's would (ELOOP).
        if (info.isSymLink() && ++links <= 40) {
            existing = QDir::cleanPath(info.symLinkTarget());
            continue;
        }
        const qsizetype slash = existing.lastIndexOf(QLatin1Char('/'));
        if (slash < 0)
            return QDir::cleanPath(absolutePath);
        missing.prepend(existing.mid(slash + 1));
        existing = slash == 0 ? QStringLiteral("/") : existing.left(slash);
    }
}

bool liesUnder(const QString &path, const QString &root)
{
    if (root.isEmpty())
        return false;
    if (path == root || root == QLatin1String("/"))
        return true;
    return path.startsWith(root) && path.size() > root.size() && path.at(root.size()) == QLatin1Char('/');
}

QString pathValueProblem(const QString &text)
{
    if (text == QLatin1String(".") || text == QLatin1String(".."))
        return QStringLiteral("is . or .., which would leave the folder");
    for (const QChar c : text) {
        if (c == QLatin1Char('/') || c == QLatin1Char('\\'))
            return QStringLiteral("holds a path separator (/ or \\), or is an absolute path");
        if (c.unicode() < 0x20 || c.unicode() == 0x7f)
            return QStringLiteral("holds a control character");
    }
    return {};
}

Result<QString> confineDocument(const QString &absolutePath, const QStringList &roots)
{
    const QString path = canonicalPath(absolutePath);
    for (const QString &root : roots) {
        if (liesUnder(path, canonicalPath(QDir::cleanPath(root))))
            return path;
    }
    if (roots.isEmpty())
        return fail(Error::permissionDenied(
            QStringLiteral("the document %1 is not in a folder this bot may read, and the bot names none: list its "
                           "folder under allowed_paths (or give it to clerk run with --input)")
                .arg(absolutePath)));
    return fail(Error::permissionDenied(
        QStringLiteral("the document %1 is outside the folders this bot may read (its watched folder, its mailbox "
                       "folder, allowed_paths and clerk run's --input paths)")
            .arg(absolutePath)));
}

QString enqueuedDocumentOf(const QString &sourceRef)
{
    static const QLatin1String prefix("file:");
    static const QLatin1String digest("#sha256:");
    if (!sourceRef.startsWith(prefix))
        return {};
    const qsizetype at = sourceRef.lastIndexOf(digest);
    if (at <= prefix.size())
        return {};
    const QString path = sourceRef.mid(prefix.size(), at - prefix.size());
    return QDir::isAbsolutePath(path) ? QDir::cleanPath(path) : QString();
}

QString documentForPeople(const WorkItem &item, const bot::BotDefinition &bot)
{
    // Newest first: a later move_file step moved the document again.
    for (qsizetype i = bot.steps.size() - 1; i >= 0; --i) {
        const bot::StepDefinition &step = bot.steps[i];
        if (step.type != QLatin1String("move_file"))
            continue;
        const QString moved = item.stepOutputs.value(step.id).toObject().value(QStringLiteral("file")).toString();
        if (!moved.isEmpty() && QDir::isAbsolutePath(moved) && QFileInfo(moved).isFile())
            return moved;
    }
    const QString named = item.payload.value(QStringLiteral("file")).toString();
    if (named.isEmpty() || !QDir::isAbsolutePath(named) || !QFileInfo(named).isFile())
        return {};
    const QString enqueued = enqueuedDocumentOf(item.sourceRef);
    if (!enqueued.isEmpty() && canonicalPath(enqueued) == canonicalPath(QDir::cleanPath(named)))
        return named;
    auto confined = confineDocument(QDir::cleanPath(named), bot.intakeRoots());
    return confined ? *confined : QString();
}

} // namespace clerk::engine
