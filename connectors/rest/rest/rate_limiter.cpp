#include "rest/rate_limiter.h"

#include <algorithm>
#include <cmath>

namespace clerk::rest {

RateLimiter::RateLimiter(double perSecond, int burst, const Clock &clock)
    : m_perSecond(perSecond > 0 ? perSecond : 1.0)
    , m_burst(std::max(1, burst))
    , m_clock(clock)
    , m_tokens(m_burst)
    , m_updatedMs(clock.nowMs())
{
}

std::chrono::milliseconds RateLimiter::reserve()
{
    MutexLock lock(m_mutex);
    const qint64 now = m_clock.nowMs();
    const qint64 elapsed = std::max<qint64>(0, now - m_updatedMs);
    m_tokens = std::min(m_burst, m_tokens + static_cast<double>(elapsed) * m_perSecond / 1000.0);
    m_updatedMs = now;
    m_tokens -= 1.0;
    if (m_tokens >= 0)
        return std::chrono::milliseconds(0);
    return std::chrono::milliseconds(static_cast<qint64>(std::ceil(-m_tokens * 1000.0 / m_perSecond)));
}

} // namespace clerk::rest
