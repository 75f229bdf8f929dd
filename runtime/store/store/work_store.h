// WorkStore: the durable home of work items, exception items, outbound-action keys and
// the append-only event log, as the one object that plays every role of the store.
//
// Callers take only the roles they use, each declared in a header of its own:
//   WorkQueue       work_queue.h       work items, the bot files they run with, paused bots
//   ExceptionQueue  exception_queue.h  the items people answer
//   Outbox          outbox.h           outbound actions' keys (act once)
//   Leadership      leadership.h       cluster-wide leader leases
//   Accounts        accounts.h         people: accounts, sessions, API tokens, sign-ins
//   Figures         figures.h          status counts, figures per day, lifetime counters,
//                                      team queues, shadow-trial answers
//   EventLog        event_log.h        the event log, a bot's own events (alerts), the
//                                      audit address stamped into events
// A WorkStore converts to any of them; the engine, the scheduler, the server and the
// reports name roles, and only what opens a store (runtime/app, tests) names WorkStore.
//
// Every state change is one transaction that also appends its event row, so the audit
// trail and the metrics come from the same rows as the state.
//
// Backends: SQLite (WAL mode) for one machine, and PostgreSQL for several clerk
// processes on different machines sharing one database. Both are the same SQL store
// (see sql_work_store_p.h), behave the same and pass the same tests. Open one with
// openWorkStore().
//
// Thread-safety: a WorkStore object belongs to the thread that opened it (Qt SQL
// connections are per thread), and so do the roles it plays. Each worker thread opens its
// own; they share the database.
#pragma once

#include "core/clock.h"
#include "core/error.h"
#include "store/accounts.h"
#include "store/event_log.h"
#include "store/exception_queue.h"
#include "store/figures.h"
#include "store/leadership.h"
#include "store/outbox.h"
#include "store/retention.h"
#include "store/work_queue.h"

#include <QString>
#include <chrono>
#include <functional>
#include <memory>

namespace clerk::store {

class WorkStore : public WorkQueue,
                  public ExceptionQueue,
                  public Outbox,
                  public Leadership,
                  public Accounts,
                  public Figures,
                  public EventLog,
                  public Retention {
public:
    ~WorkStore() override = default;
};

// Opens (creating and migrating when needed) the store at `location`:
//  - a file path or "sqlite:PATH": SQLite;
//  - "postgresql://USER[:PASSWORD]@HOST[:PORT]/DBNAME[?PARAMS]" (or "postgres://"):
//    PostgreSQL through Qt's QPSQL driver. The database must exist; clerk creates its
//    tables in it. The password comes from the URL (percent-encoded), or is a reference
//    in its place ("${file:/run/secrets/pg}" or "${env:NAME}"), or comes from libpq's
//    own sources: PGPASSWORD, ?passfile=PATH, PGPASSFILE or ~/.pgpass. PARAMS:
//    passfile, sslmode, sslrootcert, connect_timeout (seconds, default 10),
//    application_name. Messages name the database as postgresql://USER@HOST:PORT/DBNAME
//    and never hold the password.
// Errors: Unavailable (locked, cannot create; server down or unreachable),
// PermissionDenied (read-only file or folder; the server refused the user or password),
// NotFound (no such PostgreSQL database), Corrupt (not a clerk database / damaged file),
// InvalidArgument (unknown scheme, malformed URL, unknown parameter).
// `location` as it may be shown or logged: a PostgreSQL URL without its password (and
// without a password reference); other locations unchanged.
QString redactLocation(const QString &location);

// Whether `location` names a PostgreSQL database (postgresql:// or postgres://).
bool isPostgresLocation(const QString &location);

struct StoreOptions {
    std::chrono::milliseconds busyTimeout{5000};  // how long to wait for another writer's lock
    // Called after each schema migration that opening the store applies (clerk db migrate
    // prints them); unset: they are only logged.
    std::function<void(int version, const QString &description)> migrated{};
};
Result<std::unique_ptr<WorkStore>> openWorkStore(const QString &location, const Clock &clock = SystemClock::instance(),
                                                 StoreOptions options = {});

} // namespace clerk::store
