// CircuitBreaker: stops calling a system that keeps failing.
//
// Closed: calls go through; `failures` failed calls in a row open it. Open: calls are
// refused at once for `coolDown` (admit() says how long is left, so items wait and
// retry instead of each timing out). Then one trial call is let through (half-open):
// success closes the breaker, failure opens it for another cool-down.
//
// Only failures that say the system is unwell count (no connection, timeouts, 5xx,
// 429); a 404 or 422 is the caller's problem and counts as the system answering.
//
// Thread-safety: all members may be called from any thread.
#pragma once

#include "core/clock.h"
#include "core/mutex.h"

#include <chrono>
#include <optional>

namespace clerk::rest {

class CircuitBreaker {
public:
    enum class State { Closed, Open, HalfOpen };

    CircuitBreaker(int failures, std::chrono::milliseconds coolDown, const Clock &clock = SystemClock::instance());

    // nullopt: go ahead. Otherwise the breaker is open: the time until it lets a trial through.
    std::optional<std::chrono::milliseconds> admit();
    void recordSuccess();
    void recordFailure();
    // The admitted call ended without telling whether the system is well (clerk's own
    // problem, e.g. a missing secret): the state stays, and a trial slot is freed.
    void releaseTrial();

    State state() const;

private:
    const int m_threshold;
    const std::chrono::milliseconds m_coolDown;
    const Clock &m_clock;
    mutable Mutex m_mutex;
    State m_state CLERK_GUARDED_BY(m_mutex) = State::Closed;
    int m_failures CLERK_GUARDED_BY(m_mutex) = 0;
    qint64 m_openedMs CLERK_GUARDED_BY(m_mutex) = 0;
    bool m_trialInFlight CLERK_GUARDED_BY(m_mutex) = false;
};

} // namespace clerk::rest
