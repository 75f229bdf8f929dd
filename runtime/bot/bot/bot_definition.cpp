#include "bot/bot_definition.h"

#include <QDir>

namespace clerk::bot {

const StepDefinition *BotDefinition::step(const QString &id) const
{
    for (const StepDefinition &candidate : steps) {
        if (candidate.id == id)
            return &candidate;
    }
    return nullptr;
}

const ConnectorDefinition *BotDefinition::connector(const QString &connectorName) const
{
    for (const ConnectorDefinition &candidate : connectorDefinitions) {
        if (candidate.name == connectorName)
            return &candidate;
    }
    return nullptr;
}

QStringList BotDefinition::intakeRoots() const
{
    // Resolved as the folder watch and the mailbox resolve them (folder_watch.cpp,
    // mailbox_watch.cpp), so the roots are exactly where they put documents.
    const QDir base(baseDir.isEmpty() ? QDir::currentPath() : baseDir);
    const auto absolute = [&base](const QString &path) { return QDir::cleanPath(base.absoluteFilePath(path)); };
    QStringList roots;
    if (trigger && trigger->kind == TriggerDefinition::Kind::Watch) {
        const QString folder = trigger->options.value(QStringLiteral("folder")).toString();
        if (!folder.isEmpty())
            roots.append(absolute(folder));
    } else if (trigger && trigger->kind == TriggerDefinition::Kind::Mailbox) {
        roots.append(absolute(trigger->options.value(QStringLiteral("folder")).toString(QStringLiteral("mail"))));
    }
    for (const QString &path : allowedPaths) {
        if (!path.isEmpty())
            roots.append(absolute(path));
    }
    return roots;
}

QStringList BotDefinition::inputFilePatterns() const
{
    if (!inputFiles.isEmpty())
        return inputFiles;
    if (trigger && trigger->kind == TriggerDefinition::Kind::Watch) {
        const QString pattern = trigger->options.value(QStringLiteral("pattern")).toString();
        if (!pattern.isEmpty())
            return pattern.split(u',', Qt::SkipEmptyParts);
    }
    const QStringList records{QStringLiteral("*.csv"), QStringLiteral("*.json"), QStringLiteral("*.jsonl"),
                              QStringLiteral("*.ndjson")};
    if (!inputIdField.isEmpty() || inputFields)
        return records;
    // A bot that declares no record shape may read forms or scans.
    return records + QStringList{QStringLiteral("*.pdf"), QStringLiteral("*.tif"), QStringLiteral("*.tiff"),
                                 QStringLiteral("*.png"), QStringLiteral("*.jpg"), QStringLiteral("*.jpeg")};
}

} // namespace clerk::bot
