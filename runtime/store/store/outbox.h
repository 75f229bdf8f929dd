// Outbox: the store's role for outbound actions' keys, so a step with side effects acts
// at most once however often its item is attempted.
//
// Thread-safety: as WorkStore (work_store.h): an object belongs to the thread that opened it.
#pragma once

#include "core/error.h"
#include "core/notice_outcome.h"

#include <QString>
#include <optional>

namespace clerk::store {

// An outbound action that landed: the item it was done for, and that item's bot.
struct SentAction {
    qint64 itemId = 0;
    QString bot{};
};

class Outbox {
public:
    virtual ~Outbox() = default;

    // --- outbound actions (idempotency) -------------------------------------------------
    // Records that an action with `key` is about to be attempted. Returns true the first
    // time, false when an earlier attempt already began it (it may have landed: the step
    // must check before acting again). Durable when it returns.
    virtual Result<bool> beginAction(const QString &key, qint64 itemId, int stepIndex) = 0;
    virtual Status finishAction(const QString &key) = 0;
    // Forgets a begun action that is known not to have acted (the system refused it
    // before acting, or nothing was sent), so the next attempt starts afresh. An action
    // already finished is kept.
    virtual Status abandonAction(const QString &key) = 0;

    // --- notices (acknowledgements and other messages to people) -----------------------------
    // Appends what became of one attempt of item `itemId`'s step `stepId` to send a notice
    // (an event "notice_<outcome>" with {step, key}: `key` is the action key, never an
    // address). A second Sent for the same item and step (a message re-sent with the same
    // Message-ID after clerk stopped between the send and its record) is not appended
    // again, so the figures count a message once.
    virtual Status recordNotice(qint64 itemId, const QString &bot, const QString &stepId, const QString &key,
                                NoticeOutcome outcome) = 0;

    // --- replies ---------------------------------------------------------------------------
    // The item whose outbound action `key` finished (a message clerk sent and recorded as
    // sent), with its bot; nullopt when no action with that key finished, so a key made
    // up, or one of an action never done, names no item.
    virtual Result<std::optional<SentAction>> sentAction(const QString &key) = 0;
    // Appends "reply_received" {reply_item, key} to item `itemId`'s events: item
    // `replyItemId` answers the message with action key `key` sent for it.
    virtual Status recordReply(qint64 itemId, qint64 replyItemId, const QString &key) = 0;
};

} // namespace clerk::store
