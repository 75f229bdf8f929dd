// The retention job: erases what a bot's finished items hold about people once the bot's
// `retention.after` has passed (store/retention.h), and with `retention.documents` first
// deletes the documents they came with: the file each item names or a move_file step
// moved it to (when it lies in the bot's folders; engine::documentForPeople), the mail
// attachments it lists, and the files a watched folder filed in its done folder that long
// ago. Documents go before the rows, so a crash in between leaves an item that is erased
// on the next run, never a document nobody can find.
//
// `clerk serve` runs it every hour on the "retention" leader (once per cluster); `clerk
// retention` runs it by hand, with --dry-run to see what it would erase.
//
// Thread-safety: plain functions; the store given belongs to the calling thread.
#pragma once

#include "bot/bot_definition.h"
#include "core/error.h"
#include "core/work_item.h"
#include "store/retention.h"

#include <QDateTime>
#include <QStringList>

namespace clerk::service {

struct RetentionRun {
    QString bot{};
    QDateTime cutoff{};            // items finished before this were due
    qint64 erased = 0;             // items erased (dry run: that would be)
    qint64 documentsDeleted = 0;   // files deleted (dry run: that would be)
    QStringList problems{};        // files that could not be deleted; never personal data
};

// The documents `item` came with that lie in `bot`'s folders: the file it names or a
// move_file step moved it to (engine::documentForPeople), and the mail attachments it
// lists.
QStringList documentsOf(const WorkItem &item, const bot::BotDefinition &bot);

// Erases the items `ids` that are in a state `which` names (store::Retention::eraseItems),
// deleting `documents` first, by `actor`; adds what it erased and deleted to `run`. With
// `dryRun`, counts `ids` and `documents` and changes nothing. Retention and a person's
// erasure request (`clerk person erase`) both erase through this. Errors: the store's.
Status eraseWithDocuments(store::Retention &store, const QList<qint64> &ids, const QStringList &documents,
                          const QString &actor, store::Erasable which, bool dryRun, RetentionRun &run);

// Applies `bot`'s retention at `now` (nothing when it has none), in batches, by `actor`.
// With `dryRun`, counts and deletes nothing. Errors: the store's.
Result<RetentionRun> applyRetention(store::Retention &store, const bot::BotDefinition &bot, const QDateTime &now,
                                    const QString &actor, bool dryRun = false);

} // namespace clerk::service
