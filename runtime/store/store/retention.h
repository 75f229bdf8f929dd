// Retention: the store's role for forgetting what finished items hold about people once
// their bot's retention period has passed (bot key `retention`).
//
// Erasing an item leaves a skeleton: its id, bot, bot version, source reference, state,
// attempts and times, and its exception items' team, reason, kind, state, times and who
// decided. What goes: the input (payload), every step's outputs (OCR text, extracted
// fields, matched records), the exception items' evidence, choices, partial outputs and
// the person's typed fields and note, the item's last error (a rejection's words), and
// the reasons people typed when they rejected the item or passed it to another team,
// which are blanked in those events. A shadow trial's or quality check's suggestion and
// the choice a person picked (a category or record id) stay, so the shadow and live
// precision figures keep counting. The audit trail (events) is kept, every event still
// there, with an "erased" event per item.
//
// Thread-safety: as WorkStore (work_store.h): an object belongs to the thread that opened it.
#pragma once

#include "core/error.h"
#include "core/work_item.h"

#include <QDateTime>
#include <QList>
#include <QString>

namespace clerk::store {

// Which ended items eraseItems erases.
enum class Erasable {
    Finished,          // done or cancelled: what retention erases
    FinishedOrFailed,  // failed items too: what a person's erasure request erases
};

class Retention {
public:
    virtual ~Retention() = default;

    // Items of `bot` that finished done or cancelled before `finishedBefore` and are not
    // erased yet, oldest finished first, at most `limit`. Failed and unfinished items are
    // never expired: someone still has to deal with them.
    virtual Result<QList<WorkItem>> expiredItems(const QString &bot, const QDateTime &finishedBefore, int limit) = 0;
    // Erases the items `ids` that are still in a state `which` names and not erased
    // (others are left as they are: unfinished items are always left), and their
    // exception items, as above; records an "erased" event for each, by `actor`. Returns
    // how many were erased. An erased item cannot be retried.
    virtual Result<qint64> eraseItems(const QList<qint64> &ids, const QString &actor, Erasable which) = 0;
};

} // namespace clerk::store
