// EventLog: the store's role for reading the append-only event log (an item's history,
// the audit trail), and for a bot's own events not about one item (alerts fired and
// sent), which are written and read here because they are nothing but events.
//
// Every other role appends its own events; setAuditAddress() stamps the events that any
// role of the same object appends.
//
// Thread-safety: as WorkStore (work_store.h): an object belongs to the thread that opened it.
#pragma once

#include "core/error.h"

#include <QDateTime>
#include <QJsonObject>
#include <QList>
#include <QString>
#include <QStringList>

namespace clerk::store {

struct Event {
    qint64 id = 0;
    QDateTime at{};
    qint64 itemId = 0;      // 0 for events not about one item
    QString bot{};
    QString kind{};          // "enqueued", "leased", "step_done", "needs_human", "retry", "failed",
                             // "done", "claimed", "released", "resolved", "rejected", "resumed", "lease_expired",
                             // "lease_released" (releaseLease), "requeued" (requeue); "released" is a claim's
    QString actor{};         // worker id or person
    QJsonObject detail{};    // no document text or personal fields
};

class EventLog {
public:
    virtual ~EventLog() = default;

    // The item's events in order; itemId 0: the events not about one item (sign-ins,
    // accounts, paused bots).
    virtual Result<QList<Event>> events(qint64 itemId) = 0;
    // --- alerts: a bot's own events, not about one item -----------------------------------------
    // Appends an event about `bot` as a whole (e.g. "alert_fired" with {rule, value,
    // threshold}). `detail` holds no personal data.
    virtual Status recordBotEvent(const QString &bot, const QString &kind, const QString &actor,
                                  const QJsonObject &detail) = 0;
    // Appends an event about no one bot or item: what an operator did with the data as a
    // whole (a subject access export or erasure). `detail` holds no personal data: counts.
    virtual Status recordAuditEvent(const QString &kind, const QString &actor, const QJsonObject &detail) = 0;
    // The events of `bot` not about one item whose kind is one of `kinds`, at or after
    // `since`, oldest first.
    virtual Result<QList<Event>> botEvents(const QString &bot, const QStringList &kinds, const QDateTime &since) = 0;
    // Every event this object appends from now on, through any of its roles, carries
    // "address": `address` in its detail (a web request's client); empty stops it. For one
    // request at a time.
    virtual void setAuditAddress(const QString &address) = 0;
};

} // namespace clerk::store
