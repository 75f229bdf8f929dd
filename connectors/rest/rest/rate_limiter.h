// RateLimiter: a token bucket, so clerk calls a system no faster than it allows.
//
// The bucket holds up to `burst` tokens and refills at `perSecond`. reserve() takes a
// token and returns how long the caller must wait before using it (zero while tokens
// are left); callers sleep outside the lock, so many workers share one limiter fairly
// in the order they reserved.
//
// Thread-safety: all members may be called from any thread.
#pragma once

#include "core/clock.h"
#include "core/mutex.h"

#include <chrono>

namespace clerk::rest {

class RateLimiter {
public:
    RateLimiter(double perSecond, int burst, const Clock &clock = SystemClock::instance());

    std::chrono::milliseconds reserve();

private:
    const double m_perSecond;
    const double m_burst;
    const Clock &m_clock;
    Mutex m_mutex;
    double m_tokens CLERK_GUARDED_BY(m_mutex);  // negative: reservations waiting for refill
    qint64 m_updatedMs CLERK_GUARDED_BY(m_mutex);
};

} // namespace clerk::rest
