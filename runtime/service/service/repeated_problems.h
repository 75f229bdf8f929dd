// RepeatedProblems: which of a loop's problems to log. A problem that holds on every
// tick (a watched folder missing, a mailbox password not set) is logged when it first
// appears and then once per `every` while it lasts, not once a second; one that goes
// away and comes back is logged again at once.
//
// Thread-safety: none; one thread (the scheduler's) owns it.
#pragma once

#include <QHash>
#include <QString>
#include <QStringList>
#include <chrono>

namespace clerk::service {

class RepeatedProblems {
public:
    explicit RepeatedProblems(std::chrono::milliseconds every = std::chrono::minutes(10)) : m_every(every) {}

    // Of this tick's `problems` at `nowMs`, those to log; problems not among them are
    // forgotten.
    QStringList toLog(const QStringList &problems, qint64 nowMs)
    {
        QHash<QString, qint64> seen;
        QStringList log;
        for (const QString &problem : problems) {
            const auto last = m_logged.constFind(problem);
            if (last == m_logged.cend() || nowMs - *last >= m_every.count()) {
                log.append(problem);
                seen.insert(problem, nowMs);
            } else {
                seen.insert(problem, *last);
            }
        }
        m_logged = std::move(seen);
        return log;
    }

private:
    std::chrono::milliseconds m_every;
    QHash<QString, qint64> m_logged;  // problem -> when it was last logged
};

} // namespace clerk::service
