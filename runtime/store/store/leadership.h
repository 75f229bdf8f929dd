// Leadership: the store's role for cluster-wide leader leases, for work that must happen
// once per cluster (firing a time trigger, polling a mailbox, sending alerts).
//
// Thread-safety: as WorkStore (work_store.h): an object belongs to the thread that opened it.
#pragma once

#include "core/error.h"

#include <QDateTime>
#include <QString>
#include <chrono>
#include <optional>

namespace clerk::store {

// Who holds a leadership (see Leadership::tryAcquireLeadership).
struct LeaderInfo {
    QString name{};
    QString owner{};
    qint64 term = 0;         // grows by one each time the leadership changes hands
    QDateTime acquiredAt{};  // when `owner` took it
    QDateTime expiresAt{};   // when another may take it unless `owner` renews first
};

class Leadership {
public:
    virtual ~Leadership() = default;

    // --- cluster-wide leadership -----------------------------------------------------------
    // A named lease that at most one owner holds at a time across every process sharing
    // the database, for work that must happen once per cluster (firing a time trigger,
    // polling a mailbox). `owner` names one process or thread uniquely (host/pid/worker).
    //
    // Why a row with an expiry and not a PostgreSQL advisory lock: a session lock lives as
    // long as the connection, so a holder that hangs (stopped, swapping, cut off behind a
    // half-open TCP connection) keeps it until the server notices the dead session, which
    // can take minutes, and a holder whose connection broke learns it lost the lock only
    // on its next query. A row with an expiry gives takeover in `leaseFor` whatever state
    // the holder is in, tells the holder on every renewal whether it still leads, carries
    // a term number to fence stale leaders with, works the same on SQLite, and reads the
    // same Clock as item leases (tests move it). The price: the machines' clocks must
    // agree to well within `leaseFor` (run NTP), as they must for item leases already.
    //
    // Usage (a scheduler tick, every leaseFor / 3):
    // @code
    //   auto leading = store.tryAcquireLeadership(QStringLiteral("cron"), workerId, 15s);
    //   if (leading && *leading)
    //       fireDueTriggers();
    // @endcode
    //
    // Takes the leadership when nobody holds it, its holder's lease has run out, or
    // `owner` holds it already (then it is renewed). Returns whether `owner` now holds it.
    // A change of holder appends a "leader_acquired" event.
    virtual Result<bool> tryAcquireLeadership(const QString &name, const QString &owner,
                                              std::chrono::milliseconds leaseFor) = 0;
    // Extends `owner`'s lease, also when it ran out but nobody took it over. Conflict when
    // another owner holds it now or it was released.
    virtual Status renewLeadership(const QString &name, const QString &owner, std::chrono::milliseconds leaseFor) = 0;
    // Gives the leadership up at once (graceful shutdown), so another may take it without
    // waiting for the lease to run out. Conflict when `owner` does not hold it.
    virtual Status releaseLeadership(const QString &name, const QString &owner) = 0;
    // The current holder, or nullopt when nobody holds it (never taken, released, or the
    // lease ran out).
    virtual Result<std::optional<LeaderInfo>> leader(const QString &name) = 0;
};

} // namespace clerk::store
