// Work items: one document, form or report going through one bot.
//
// A work item is created once per source record (deduplicated by bot + source
// reference), stored durably, and moves through these states:
//
//   queued ──lease──► leased ──step continues──► leased ... ──last step──► done
//                       │  ├─ needs_human ──► waiting_for_human ──answer──► queued
//                       │  ├─ retry_later ──► queued (not before a backoff time)
//                       │  └─ fail / retries exhausted ──► failed
//                       └─ lease expires (worker died) ──► taken over by another worker
//   waiting_for_human ──rejected by a person──► cancelled
//
// Thread-safety: plain value types.
#pragma once

#include <QDateTime>
#include <QJsonObject>
#include <QString>
#include <optional>

namespace clerk {

enum class ItemState { Queued, Leased, WaitingForHuman, Done, Failed, Cancelled };

// Stable names used in the store, the CLI and JSON: "queued", "leased",
// "waiting_for_human", "done", "failed", "cancelled".
QString toString(ItemState state);
std::optional<ItemState> itemStateFromString(const QString &name);
bool isFinal(ItemState state);

struct WorkItem {
    qint64 id = 0;
    QString bot;               // bot name
    QString botVersion;        // the bot's declared version
    QString definitionDigest;  // digest of the exact bot file the item runs with
    QString sourceRef;         // where it came from; unique per bot
    QJsonObject payload;       // the input: {"file": ...} or a record's fields
    ItemState state = ItemState::Queued;
    int attempts = 0;          // retries used so far
    int stepCursor = 0;        // index of the next step to run
    QJsonObject stepOutputs;   // step id -> that step's outputs (object)
    QString leaseOwner;
    QDateTime leaseExpiresAt;
    QDateTime notBefore;       // not to be leased before this time (retry backoff)
    int priority = 0;          // higher first
    QString lastError;         // reason of the last failure or retry
    QDateTime createdAt;
    QDateTime updatedAt;
    QDateTime finishedAt;
    QDateTime erasedAt;        // when retention erased its contents (payload, step outputs); invalid: not erased
};

} // namespace clerk
