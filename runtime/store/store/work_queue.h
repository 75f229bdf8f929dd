// WorkQueue: the store's role for work items: the bot files they run with, enqueueing,
// leases, step results, retries and endings; and which bots are paused, since a paused
// bot's items are simply not leased.
//
// Every state change is one transaction with its event row. Calls that change a leased
// item take the lease owner and fail with Conflict when the lease was lost (expired and
// taken over by another worker), so a slow worker can never overwrite another's work.
//
// Thread-safety: as WorkStore (work_store.h): an object belongs to the thread that opened it.
#pragma once

#include "core/error.h"
#include "core/step_outcome.h"
#include "core/work_item.h"

#include <QByteArray>
#include <QDateTime>
#include <QJsonObject>
#include <QList>
#include <QString>
#include <QStringList>
#include <chrono>
#include <optional>

namespace clerk::store {

// A bot file as stored for the items that run with it.
struct StoredDefinition {
    QByteArray source{};
    QString baseDir{};  // the bot file's folder: relative paths in its steps start there
};

struct NewItem {
    QString bot{};
    QString botVersion{};
    QString definitionDigest{};
    QString sourceRef{};     // unique per bot: enqueueing the same ref again returns the existing item
    QJsonObject payload{};
    int priority = 0;
};

struct EnqueueResult {
    qint64 id = 0;
    bool created = false;   // false: an item with this bot + sourceRef already existed
    ItemState state = ItemState::Queued;
};

// A step's outputs to store, for completeSteps: as the arguments of completeStep.
struct CompletedStep {
    qint64 itemId = 0;
    int stepIndex = 0;
    QString stepId{};
    QJsonObject outputs{};
    bool last = false;
};

struct ItemFilter {
    QString bot{};
    std::optional<ItemState> state{};
    int limit = 100;
    int offset = 0;
    std::optional<QStringList> bots{};  // set: only these bots' items (an empty list: none)
};

class WorkQueue {
public:
    virtual ~WorkQueue() = default;

    // --- bot definitions: the exact file each item runs with -------------------------
    // Stores a bot file's text and folder under its digest (no-op when already stored).
    virtual Status saveDefinition(const QString &bot, const QString &version, const QString &digest,
                                  const QByteArray &source, const QString &baseDir) = 0;
    // NotFound when the digest was never stored.
    virtual Result<StoredDefinition> definition(const QString &digest) = 0;

    // --- work items --------------------------------------------------------------------
    virtual Result<EnqueueResult> enqueue(const NewItem &item) = 0;

    // Leases the next runnable item: queued and due (not_before <= now), or leased with an
    // expired lease (its worker died). Higher priority first, then oldest. Returns nullopt
    // when nothing is runnable. `bots` empty: any bot.
    virtual Result<std::optional<WorkItem>> leaseNext(const QString &owner, std::chrono::milliseconds leaseFor,
                                                      const QStringList &bots = {}) = 0;
    // Leases up to `max` runnable items, best first, as that many leaseNext calls would,
    // but in one transaction: one flush to disk for all of them. Empty when nothing is
    // runnable. Each item's lease runs from now: a worker that holds several renews the
    // lease of each it has not finished (renewLease) before the lease runs out.
    virtual Result<QList<WorkItem>> leaseBatch(const QString &owner, std::chrono::milliseconds leaseFor, int max,
                                               const QStringList &bots = {}) = 0;
    // Every call that takes an `owner` changes the item only while `owner` holds its lease:
    // Conflict ("item N is no longer leased by W") when the lease was lost, NotFound when
    // there is no such item.
    //
    // Extends a lease still held by `owner`.
    virtual Status renewLease(qint64 itemId, const QString &owner, std::chrono::milliseconds leaseFor) = 0;
    // Puts a leased item back to queued without counting an attempt (graceful shutdown).
    virtual Status releaseLease(qint64 itemId, const QString &owner) = 0;

    // Stores the outputs of step `stepIndex` under `stepId` and moves the cursor past it.
    // When `last`, the item becomes done and its lease ends. Conflict when the cursor is not
    // at `stepIndex`: a step's outputs land exactly once.
    virtual Status completeStep(qint64 itemId, const QString &owner, int stepIndex, const QString &stepId,
                                const QJsonObject &outputs, bool last) = 0;
    // Stores several steps' outputs in one transaction (one flush), each exactly as
    // completeStep would, in order. One Status per completion, in order: a completion whose
    // lease was lost or whose step was already dealt with does not land (Conflict, or
    // NotFound) and the others still do. Fails as a whole, storing nothing, only when the
    // store itself fails.
    virtual Result<QList<Status>> completeSteps(const QString &owner, const QList<CompletedStep> &steps) = 0;
    // Opens an exception item for `team` (empty: request.team) and parks the work item in
    // waiting_for_human. Returns the exception item's id. Conflict also when the item's
    // cursor is not `stepIndex`.
    virtual Result<qint64> handToPerson(qint64 itemId, const QString &owner, int stepIndex, const QString &stepId,
                                        const HumanRequest &request, const QString &team, QDateTime slaDueAt) = 0;
    // Counts an attempt and requeues the item, not to run before `notBefore`.
    virtual Status scheduleRetry(qint64 itemId, const QString &owner, QDateTime notBefore, const QString &reason) = 0;
    // Ends a leased item whose cursor is already past its last step (a person answered
    // the last step) as done.
    virtual Status finishItem(qint64 itemId, const QString &owner) = 0;
    // Ends the item as failed with `reason`.
    virtual Status failItem(qint64 itemId, const QString &owner, const QString &reason) = 0;
    // Puts a failed or cancelled item back to queued at its step cursor, attempts reset
    // (`clerk item retry`). Conflict when the item is not failed or cancelled.
    virtual Status requeue(qint64 itemId, const QString &actor) = 0;

    virtual Result<WorkItem> item(qint64 itemId) = 0;
    virtual Result<QList<WorkItem>> items(const ItemFilter &filter) = 0;

    // --- pausing bots ----------------------------------------------------------------------
    // Pauses or resumes a bot, for every process sharing the store: a paused bot's items
    // are not leased (items already running finish) and its time triggers do not fire.
    // Recorded in the audit trail ("bot_paused" / "bot_resumed", with the actor).
    virtual Status setBotPaused(const QString &bot, bool paused, const QString &actor) = 0;
    virtual Result<QStringList> pausedBots() = 0;
};

} // namespace clerk::store
