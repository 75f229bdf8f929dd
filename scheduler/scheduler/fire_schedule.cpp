#include "scheduler/fire_schedule.h"

#include <QCryptographicHash>

namespace clerk::scheduler {

Result<FireSchedule> FireSchedule::forTrigger(const bot::TriggerDefinition &trigger, const QString &botName)
{
    FireSchedule schedule;
    schedule.m_botName = botName;
    schedule.m_zone = QTimeZone(trigger.timeZone.toUtf8());
    if (!schedule.m_zone.isValid())
        return fail(Error::invalidArgument(QStringLiteral("unknown time zone '%1'").arg(trigger.timeZone)));
    switch (trigger.kind) {
    case bot::TriggerDefinition::Kind::Cron: {
        auto cron = CronExpression::parse(trigger.cron);
        if (!cron)
            return fail(cron.error());
        schedule.m_kind = QStringLiteral("cron");
        schedule.m_cron = std::move(*cron);
        return schedule;
    }
    case bot::TriggerDefinition::Kind::Interval:
        if (trigger.every.count() <= 0)
            return fail(Error::invalidArgument(QStringLiteral("every must be longer than zero")));
        schedule.m_kind = QStringLiteral("interval");
        schedule.m_everyMs = trigger.every.count();
        schedule.m_jitterMs = std::clamp<qint64>(trigger.jitter.count(), 0, schedule.m_everyMs - 1);
        return schedule;
    default:
        return fail(Error::invalidArgument(QStringLiteral("only cron and every triggers fire on a schedule")));
    }
}

std::chrono::milliseconds FireSchedule::jitterFor(qint64 slotMs) const
{
    if (m_jitterMs <= 0)
        return std::chrono::milliseconds(0);
    const QByteArray key = m_botName.toUtf8() + '@' + QByteArray::number(slotMs);
    const QByteArray hash = QCryptographicHash::hash(key, QCryptographicHash::Sha256);
    quint64 value = 0;
    for (int i = 0; i < 8; ++i)
        value = (value << 8) | static_cast<quint8>(hash.at(i));
    return std::chrono::milliseconds(static_cast<qint64>(value % static_cast<quint64>(m_jitterMs)));
}

FireSlot FireSchedule::slotAt(const QDateTime &nominal) const
{
    const QDateTime utc = nominal.toUTC();
    return FireSlot{utc, utc.addMSecs(jitterFor(utc.toMSecsSinceEpoch()).count())};
}

std::optional<FireSlot> FireSchedule::nextAfter(const QDateTime &after) const
{
    if (!after.isValid())
        return std::nullopt;
    if (m_cron)
        return nextCron(after);
    const qint64 afterMs = after.toMSecsSinceEpoch();
    // The slot whose nominal time is at or before `after - jitter`: every later due time
    // belongs to this slot or a later one.
    const qint64 from = afterMs - m_jitterMs;
    qint64 slot = (from >= 0 ? from / m_everyMs : (from - m_everyMs + 1) / m_everyMs) * m_everyMs;
    for (int i = 0; i < 4; ++i, slot += m_everyMs) {
        const FireSlot candidate = slotAt(QDateTime::fromMSecsSinceEpoch(slot, Qt::UTC));
        if (candidate.due > after)
            return candidate;
    }
    return std::nullopt;  // not reached: jitter < every
}

std::optional<FireSlot> FireSchedule::nextCron(const QDateTime &after) const
{
    const std::optional<QDateTime> regular = m_cron->next(after, m_zone);
    const QDateTime limit = regular ? *regular : after.addYears(5);
    std::optional<QDateTime> chosen = regular;
    if (const auto gap = gapFire(after, limit); gap && (!chosen || *gap < *chosen))
        chosen = gap;
    if (!chosen)
        return std::nullopt;
    const QDateTime utc = chosen->toUTC();
    return FireSlot{utc, utc};
}

// The first spring-forward transition in (after, before] whose skipped wall-clock minutes
// include one the expression names: it fires at the transition instant.
std::optional<QDateTime> FireSchedule::gapFire(const QDateTime &after, const QDateTime &before) const
{
    if (!m_zone.hasTransitions())
        return std::nullopt;
    QDateTime cursor = after;
    for (int guard = 0; guard < 32; ++guard) {
        const QTimeZone::OffsetData transition = m_zone.nextTransition(cursor);
        if (!transition.atUtc.isValid() || transition.atUtc > before)
            return std::nullopt;
        const int oldOffset = m_zone.offsetFromUtc(transition.atUtc.addSecs(-1));
        const int newOffset = transition.offsetFromUtc;
        if (newOffset > oldOffset) {
            // Wall-clock minutes [at + old, at + new) do not exist that day.
            const QDateTime wallStart = transition.atUtc.toUTC().addSecs(oldOffset);
            for (int second = 0; second < newOffset - oldOffset; second += 60) {
                const QDateTime wall = wallStart.addSecs(second);  // a UTC value holding the wall time
                if (m_cron->matches(wall))
                    return transition.atUtc.toUTC();
            }
        }
        cursor = transition.atUtc;
    }
    return std::nullopt;
}

QString FireSchedule::sourceRef(const FireSlot &slot) const
{
    return m_kind + QLatin1Char(':') + slot.nominal.toUTC().toString(Qt::ISODate);
}

std::optional<QDateTime> FireSchedule::nominalFromSourceRef(const QString &sourceRef) const
{
    const QString prefix = m_kind + QLatin1Char(':');
    if (!sourceRef.startsWith(prefix))
        return std::nullopt;
    const QDateTime time = QDateTime::fromString(sourceRef.mid(prefix.size()), Qt::ISODate);
    if (!time.isValid())
        return std::nullopt;
    return time.toUTC();
}

} // namespace clerk::scheduler
