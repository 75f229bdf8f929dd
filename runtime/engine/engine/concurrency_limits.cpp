#include "engine/concurrency_limits.h"

#include <algorithm>

namespace clerk::engine {

void ConcurrencyLimits::setBots(const QList<bot::BotDefinition> &bots)
{
    MutexLock lock(m_mutex);
    m_limits.clear();
    for (const bot::BotDefinition &bot : bots)
        m_limits.insert(bot.name, std::max(0, bot.concurrency));
}

bool ConcurrencyLimits::atLimitLocked(const QString &bot) const
{
    const int limit = m_limits.value(bot, 0);
    return limit > 0 && m_running.value(bot, 0) >= limit;
}

std::optional<QStringList> ConcurrencyLimits::eligibleLocked(const QStringList &candidates) const
{
    // Asking for every bot: "any" stays "any" until some bot is full, then the known
    // bots have to be named one by one.
    const QStringList names = candidates.isEmpty() ? m_limits.keys() : candidates;
    bool anyFull = false;
    QStringList eligible;
    for (const QString &name : names) {
        if (atLimitLocked(name))
            anyFull = true;
        else
            eligible.append(name);
    }
    if (!anyFull)
        return candidates;
    if (eligible.isEmpty())
        return std::nullopt;
    eligible.sort();
    return eligible;
}

std::optional<QStringList> ConcurrencyLimits::eligibleBots(const QStringList &candidates) const
{
    MutexLock lock(m_mutex);
    return eligibleLocked(candidates);
}

bool ConcurrencyLimits::acquire(const QString &bot)
{
    MutexLock lock(m_mutex);
    if (atLimitLocked(bot))
        return false;
    ++m_running[bot];
    return true;
}

void ConcurrencyLimits::release(const QString &bot)
{
    MutexLock lock(m_mutex);
    auto it = m_running.find(bot);
    Q_ASSERT_X(it != m_running.end() && *it > 0, "ConcurrencyLimits::release", "release without acquire");
    if (it == m_running.end())
        return;
    if (--*it <= 0)
        m_running.erase(it);
}

Result<QList<WorkItem>> ConcurrencyLimits::leaseBatchWithin(const QStringList &candidates, int max,
                                                             const BatchLeaseFunction &lease)
{
    MutexLock lock(m_mutex);
    const std::optional<QStringList> eligible = eligibleLocked(candidates);
    if (!eligible)
        return QList<WorkItem>();
    // The whole batch may be one bot's: it must fit in the smallest number of free slots.
    int size = std::max(1, max);
    const QStringList names = eligible->isEmpty() ? m_limits.keys() : *eligible;
    for (const QString &name : names) {
        const int limit = m_limits.value(name, 0);
        if (limit > 0)
            size = std::min(size, limit - m_running.value(name, 0));
    }
    auto leased = lease(*eligible, std::max(1, size));
    if (leased) {
        for (const WorkItem &item : std::as_const(*leased))
            ++m_running[item.bot];
    }
    return leased;
}

int ConcurrencyLimits::running(const QString &bot) const
{
    MutexLock lock(m_mutex);
    return m_running.value(bot, 0);
}

} // namespace clerk::engine
