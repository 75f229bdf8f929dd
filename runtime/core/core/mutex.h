// Mutex, MutexLock and CondVar: the lock that guards clerk's shared state, annotated so
// that Clang checks its use at compile time (core/thread_annotations.h).
//
// A class with state shared between threads holds a `Mutex m_mutex;`, marks each member
// it guards `CLERK_GUARDED_BY(m_mutex)`, takes the lock with a `MutexLock` (never by
// calling lock() and unlock() by hand), and marks a private function that expects the
// lock held `CLERK_REQUIRES(m_mutex)`. A thread that waits for guarded state to change
// waits on a `CondVar` with the lock held:
//
// @code
//   MutexLock lock(m_mutex);
//   while (m_epoch == seen) {
//       if (m_changed.waitUntil(m_mutex, deadline) == std::cv_status::timeout)
//           break;
//   }
// @endcode
//
// Thread-safety: Mutex and CondVar are for use by many threads at once; a MutexLock
// belongs to the thread that made it. Mutex is not recursive.
#pragma once

#include "core/thread_annotations.h"

#include <chrono>
#include <condition_variable>
#include <mutex>

namespace clerk {

class CLERK_CAPABILITY("mutex") Mutex {
public:
    Mutex() = default;
    Mutex(const Mutex &) = delete;
    Mutex &operator=(const Mutex &) = delete;

    // Blocks until this thread holds the lock. REQUIRES: not held by this thread.
    void lock() CLERK_ACQUIRE() { m_mutex.lock(); }
    // REQUIRES: held by this thread.
    void unlock() CLERK_RELEASE() { m_mutex.unlock(); }
    // Takes the lock if it is free now; true when taken.
    [[nodiscard]] bool tryLock() CLERK_TRY_ACQUIRE(true) { return m_mutex.try_lock(); }

    // Tells the analysis that the lock is held where it cannot see so itself (inside a
    // predicate that CondVar calls with the lock held). Checks nothing at run time.
    void assertHeld() const CLERK_ASSERT_CAPABILITY(this) {}

private:
    friend class CondVar;
    std::mutex m_mutex;
};

// Holds a Mutex from construction to the end of the scope.
class CLERK_SCOPED_CAPABILITY MutexLock {
public:
    explicit MutexLock(Mutex &mutex) CLERK_ACQUIRE(mutex) : m_mutex(mutex) { m_mutex.lock(); }
    ~MutexLock() CLERK_RELEASE() { m_mutex.unlock(); }

    MutexLock(const MutexLock &) = delete;
    MutexLock &operator=(const MutexLock &) = delete;

private:
    Mutex &m_mutex;
};

// A condition variable that waits with a clerk::Mutex held. Each wait releases the
// mutex while it sleeps and holds it again before it returns; it may also return
// without a notification (a spurious wake-up), so callers wait in a loop on the guarded
// state, or pass a predicate.
class CondVar {
public:
    CondVar() = default;
    CondVar(const CondVar &) = delete;
    CondVar &operator=(const CondVar &) = delete;

    void notifyOne() noexcept { m_cv.notify_one(); }
    void notifyAll() noexcept { m_cv.notify_all(); }

    // Waits until notified. REQUIRES: `mutex` held by this thread.
    void wait(Mutex &mutex) CLERK_REQUIRES(mutex)
    {
        Adopted adopted(mutex);
        m_cv.wait(adopted.lock);
    }

    // Waits until notified or `deadline` passed; std::cv_status::timeout when it passed.
    // REQUIRES: `mutex` held by this thread.
    template <class Clock, class Duration>
    std::cv_status waitUntil(Mutex &mutex, const std::chrono::time_point<Clock, Duration> &deadline)
        CLERK_REQUIRES(mutex)
    {
        Adopted adopted(mutex);
        return m_cv.wait_until(adopted.lock, deadline);
    }

    // Waits until `done()` is true or `timeout` passed, and returns `done()`. `done` is
    // called with `mutex` held; as a lambda that reads guarded members it starts with
    // `mutex.assertHeld();`. REQUIRES: `mutex` held by this thread.
    template <class Rep, class Period, class Predicate>
    bool waitFor(Mutex &mutex, std::chrono::duration<Rep, Period> timeout, Predicate done)
        CLERK_REQUIRES(mutex)
    {
        Adopted adopted(mutex);
        return m_cv.wait_for(adopted.lock, timeout, std::move(done));
    }

private:
    // The caller's lock, lent to std::condition_variable for one wait and handed back
    // held: the caller's MutexLock still owns it.
    struct Adopted {
        explicit Adopted(Mutex &mutex) : lock(mutex.m_mutex, std::adopt_lock) {}
        ~Adopted() { lock.release(); }
        Adopted(const Adopted &) = delete;
        Adopted &operator=(const Adopted &) = delete;
        std::unique_lock<std::mutex> lock;
    };

    std::condition_variable m_cv;
};

} // namespace clerk
