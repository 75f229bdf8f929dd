#include "store/sqlite_writers_p.h"

#include <QFileInfo>
#include <QHash>

namespace clerk::store {

namespace {

struct Registry {
    Mutex mutex;
    QHash<QString, std::weak_ptr<WriterTurns>> turns CLERK_GUARDED_BY(mutex);
};

Registry &registry()
{
    static Registry instance;
    return instance;
}

} // namespace

std::shared_ptr<WriterTurns> WriterTurns::of(const QString &path)
{
    const QString key = QFileInfo(path).absoluteFilePath();
    Registry &shared = registry();
    MutexLock lock(shared.mutex);
    std::shared_ptr<WriterTurns> turns = shared.turns.value(key).lock();
    if (!turns) {
        turns = std::make_shared<WriterTurns>();
        shared.turns.insert(key, turns);
    }
    return turns;
}

bool WriterTurns::take(std::chrono::steady_clock::time_point deadline)
{
    MutexLock lock(m_mutex);
    const quint64 ticket = m_next++;
    while (m_serving != ticket) {
        if (m_turned.waitUntil(m_mutex, deadline) == std::cv_status::timeout && m_serving != ticket) {
            // Its turn is skipped when it comes.
            m_abandoned.insert(ticket);
            return false;
        }
    }
    return true;
}

void WriterTurns::give()
{
    {
        MutexLock lock(m_mutex);
        ++m_serving;
        while (m_abandoned.erase(m_serving) == 1)
            ++m_serving;
    }
    m_turned.notifyAll();
}

} // namespace clerk::store
