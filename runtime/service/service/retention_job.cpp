#include "service/retention_job.h"

#include "engine/document_paths.h"
#include "scheduler/folder_watch.h"

#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <limits>

namespace clerk::service {

namespace {

constexpr int kBatch = 500;

// Files the watched folder filed in its done folder before `cutoff` (moving a file sets
// its status-change time, so that is when it was filed).
QStringList filedBefore(const bot::BotDefinition &bot, const QDateTime &cutoff)
{
    if (!bot.trigger || bot.trigger->kind != bot::TriggerDefinition::Kind::Watch)
        return {};
    auto settings = scheduler::WatchSettings::forBot(bot);
    if (!settings)
        return {};
    QStringList files;
    QDirIterator it(settings->doneFolder, QDir::Files | QDir::Hidden | QDir::NoSymLinks);
    while (it.hasNext()) {
        const QFileInfo info(it.next());
        if (info.metadataChangeTime() < cutoff && info.lastModified() < cutoff)
            files.append(info.absoluteFilePath());
    }
    return files;
}

void remove(const QStringList &files, bool dryRun, RetentionRun &run)
{
    for (const QString &file : files) {
        if (dryRun) {
            ++run.documentsDeleted;
            continue;
        }
        QFile document(file);
        if (document.remove() || !document.exists())
            ++run.documentsDeleted;
        else
            run.problems.append(run.bot.isEmpty()
                                    ? QStringLiteral("a document could not be deleted: %1").arg(document.errorString())
                                    : QStringLiteral("a document of bot %1 could not be deleted: %2")
                                          .arg(run.bot, document.errorString()));
    }
}

} // namespace

QStringList documentsOf(const WorkItem &item, const bot::BotDefinition &bot)
{
    QStringList files;
    if (const QString document = engine::documentForPeople(item, bot); !document.isEmpty())
        files.append(document);
    const QStringList roots = bot.intakeRoots();
    for (const QJsonValue &attachment : item.payload.value(QStringLiteral("attachments")).toArray()) {
        const QString path = attachment.toObject().value(QStringLiteral("file")).toString();
        if (path.isEmpty() || !QDir::isAbsolutePath(path))
            continue;
        if (auto confined = engine::confineDocument(path, roots); confined && QFileInfo(*confined).isFile())
            files.append(*confined);
    }
    files.removeDuplicates();
    return files;
}

Status eraseWithDocuments(store::Retention &store, const QList<qint64> &ids, const QStringList &documents,
                          const QString &actor, store::Erasable which, bool dryRun, RetentionRun &run)
{
    // Documents go before the rows: a crash in between leaves an item that is erased on
    // the next run, never a document nobody can trace.
    remove(documents, dryRun, run);
    if (dryRun) {
        run.erased += ids.size();
        return {};
    }
    if (ids.isEmpty())
        return {};
    auto erased = store.eraseItems(ids, actor, which);
    if (!erased)
        return fail(erased.error());
    run.erased += *erased;
    return {};
}

Result<RetentionRun> applyRetention(store::Retention &store, const bot::BotDefinition &bot, const QDateTime &now,
                                    const QString &actor, bool dryRun)
{
    RetentionRun run{.bot = bot.name};
    if (!bot.retention || bot.retention->after.count() <= 0)
        return run;
    run.cutoff = now.addMSecs(-bot.retention->after.count());
    // A dry run erases nothing, so it reads every due item at once; a real run works in
    // batches, each erased before the next is read.
    const int limit = dryRun ? std::numeric_limits<int>::max() : kBatch;
    while (true) {
        auto expired = store.expiredItems(bot.name, run.cutoff, limit);
        if (!expired)
            return fail(expired.error());
        QList<qint64> ids;
        QStringList documents;
        for (const WorkItem &item : *expired) {
            if (bot.retention->documents)
                documents.append(documentsOf(item, bot));
            ids.append(item.id);
        }
        const qint64 before = run.erased;
        if (auto erased = eraseWithDocuments(store, ids, documents, actor, store::Erasable::Finished, dryRun, run);
            !erased)
            return fail(erased.error());
        if (dryRun || ids.isEmpty() || run.erased == before || expired->size() < limit)
            break;
    }
    if (bot.retention->documents)
        remove(filedBefore(bot, run.cutoff), dryRun, run);
    return run;
}

} // namespace clerk::service
