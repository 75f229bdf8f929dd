// Clock: the seam through which clerk reads the time, so tests can control it.
//
// Thread-safety: SystemClock is stateless; ManualClock guards its time with a mutex.
#pragma once

#include "core/mutex.h"

#include <QDateTime>
#include <chrono>

namespace clerk {

class Clock {
public:
    virtual ~Clock() = default;
    // The current time in UTC.
    virtual QDateTime now() const = 0;
    qint64 nowMs() const { return now().toMSecsSinceEpoch(); }
};

class SystemClock final : public Clock {
public:
    QDateTime now() const override;
    // A process-wide instance.
    static const SystemClock &instance();
};

// A clock that moves only when told to.
class ManualClock final : public Clock {
public:
    explicit ManualClock(QDateTime start);
    QDateTime now() const override;
    void set(QDateTime time);
    void advance(std::chrono::milliseconds by);

private:
    mutable Mutex m_mutex;
    QDateTime m_now CLERK_GUARDED_BY(m_mutex);
};

} // namespace clerk
