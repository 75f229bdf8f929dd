// WriterTurns: the writers of one process to one SQLite file, taking the write lock in
// turn. SQLite's busy handler polls (up to every 100 ms), so a thread that commits, does
// a little and begins again can keep the lock from a polling thread for longer than its
// busy timeout, which then fails with "database is locked" although the lock was free
// again and again. Writers of one process draw tickets instead and are served in order;
// other processes still meet at SQLite's lock, with its busy timeout.
//
// Thread-safety: for use by many threads at once; a turn belongs to the thread that took it.
#pragma once

#include "core/mutex.h"

#include <QString>

#include <chrono>
#include <memory>
#include <set>

namespace clerk::store {

class WriterTurns {
public:
    // The turns of the SQLite file `path` in this process, shared by every store on it.
    static std::shared_ptr<WriterTurns> of(const QString &path);

    // Waits for this thread's turn until `deadline`; false when it passed first.
    [[nodiscard]] bool take(std::chrono::steady_clock::time_point deadline);
    // Ends the turn taken. REQUIRES: take() returned true on this thread.
    void give();

private:
    Mutex m_mutex;
    CondVar m_turned;
    quint64 m_next CLERK_GUARDED_BY(m_mutex) = 0;               // the ticket the next writer draws
    quint64 m_serving CLERK_GUARDED_BY(m_mutex) = 0;            // the ticket whose turn it is
    std::set<quint64> m_abandoned CLERK_GUARDED_BY(m_mutex);    // tickets whose writer stopped waiting
};

} // namespace clerk::store
