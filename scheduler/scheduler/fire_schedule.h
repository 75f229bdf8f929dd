// FireSchedule: when a time trigger (cron or every) is due, as a sequence of slots.
//
// A slot has a nominal time, which names the fire (the item's source reference
// "cron:<ISO UTC>" / "interval:<ISO UTC>", so every process computes the same name), and a
// due time, when it should be enqueued: the nominal time plus the jitter for that slot.
//
// Cron slots come from CronExpression::next() in the trigger's zone, with one addition
// for the spring clock change: a minute the expression names inside the skipped hour
// (01:30 on the last Sunday of March in Europe/London) fires once, at the first instant
// after the gap (02:00 BST), so a daily 01:30 job still runs that day. In the repeated
// hour in October each wall-clock minute fires once, at its second occurrence (01:30
// GMT, 01:30 UTC); the first 01:30 (BST, 00:30 UTC) does not fire, so an hourly job has
// a two-hour gap that night and a daily 01:30 job runs 25 hours after the day before.
// Cron slots have no jitter.
//
// Interval slots are aligned to the Unix epoch (every 15m: :00, :15, :30, :45 UTC), so
// all processes and restarts agree on them without shared state. Jitter adds an offset
// in [0, jitter) derived from the bot name and the slot, the same in every process;
// jitter is capped below the interval so slots stay in order.
//
// Thread-safety: an immutable value.
#pragma once

#include "bot/bot_definition.h"
#include "core/cron_expression.h"
#include "core/error.h"

#include <QDateTime>
#include <QString>
#include <QTimeZone>
#include <chrono>
#include <optional>

namespace clerk::scheduler {

struct FireSlot {
    QDateTime nominal;  // UTC; names the fire
    QDateTime due;      // UTC; nominal + jitter
};

class FireSchedule {
public:
    // Fails with InvalidArgument for a trigger that is not cron or every, a bad cron
    // expression, an interval that is not positive, or an unknown time zone.
    static Result<FireSchedule> forTrigger(const bot::TriggerDefinition &trigger, const QString &botName);

    // "cron" or "interval": the payload's trigger field and the source reference prefix.
    const QString &kind() const { return m_kind; }

    // The first slot whose due time is strictly after `after`; nullopt when none within
    // five years (a cron expression that never matches).
    std::optional<FireSlot> nextAfter(const QDateTime &after) const;

    // The slot named by `nominal` (its due time added).
    FireSlot slotAt(const QDateTime &nominal) const;

    // "cron:2026-03-29T01:00:00Z"; and back (nullopt for another kind or a bad time).
    QString sourceRef(const FireSlot &slot) const;
    std::optional<QDateTime> nominalFromSourceRef(const QString &sourceRef) const;

    const QTimeZone &zone() const { return m_zone; }

private:
    std::optional<FireSlot> nextCron(const QDateTime &after) const;
    std::optional<QDateTime> gapFire(const QDateTime &after, const QDateTime &before) const;
    std::chrono::milliseconds jitterFor(qint64 slotMs) const;

    QString m_kind;
    QString m_botName;
    std::optional<CronExpression> m_cron;
    qint64 m_everyMs = 0;
    qint64 m_jitterMs = 0;
    QTimeZone m_zone;
};

} // namespace clerk::scheduler
