#include "rest/circuit_breaker.h"

#include <algorithm>

namespace clerk::rest {

CircuitBreaker::CircuitBreaker(int failures, std::chrono::milliseconds coolDown, const Clock &clock)
    : m_threshold(std::max(1, failures)), m_coolDown(coolDown), m_clock(clock)
{
}

std::optional<std::chrono::milliseconds> CircuitBreaker::admit()
{
    MutexLock lock(m_mutex);
    switch (m_state) {
    case State::Closed:
        return std::nullopt;
    case State::Open: {
        const qint64 left = m_openedMs + m_coolDown.count() - m_clock.nowMs();
        if (left > 0)
            return std::chrono::milliseconds(left);
        m_state = State::HalfOpen;
        m_trialInFlight = true;
        return std::nullopt;
    }
    case State::HalfOpen:
        if (!m_trialInFlight) {
            m_trialInFlight = true;
            return std::nullopt;
        }
        // One trial at a time; the others wait a little and ask again.
        return std::chrono::milliseconds(std::min<qint64>(1000, m_coolDown.count()));
    }
    return std::nullopt;
}

void CircuitBreaker::recordSuccess()
{
    MutexLock lock(m_mutex);
    m_state = State::Closed;
    m_failures = 0;
    m_trialInFlight = false;
}

void CircuitBreaker::recordFailure()
{
    MutexLock lock(m_mutex);
    ++m_failures;
    if (m_state == State::HalfOpen || m_failures >= m_threshold) {
        m_state = State::Open;
        m_openedMs = m_clock.nowMs();
    }
    m_trialInFlight = false;
}

void CircuitBreaker::releaseTrial()
{
    MutexLock lock(m_mutex);
    m_trialInFlight = false;
}

CircuitBreaker::State CircuitBreaker::state() const
{
    MutexLock lock(m_mutex);
    return m_state;
}

} // namespace clerk::rest
