#include "core/clock.h"

namespace clerk {

QDateTime SystemClock::now() const
{
    return QDateTime::currentDateTimeUtc();
}

const SystemClock &SystemClock::instance()
{
    static const SystemClock clock;
    return clock;
}

ManualClock::ManualClock(QDateTime start)
    : m_now(start.toUTC())
{
}

QDateTime ManualClock::now() const
{
    MutexLock lock(m_mutex);
    return m_now;
}

void ManualClock::set(QDateTime time)
{
    MutexLock lock(m_mutex);
    m_now = time.toUTC();
}

void ManualClock::advance(std::chrono::milliseconds by)
{
    MutexLock lock(m_mutex);
    m_now = m_now.addMSecs(by.count());
}

} // namespace clerk
