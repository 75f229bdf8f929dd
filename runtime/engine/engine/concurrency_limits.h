// ConcurrencyLimits: how many of each bot's items may run at once in this process
// (bot key `concurrency`), counted for the worker pool of `clerk serve`.
//
// The limit is per process: three `clerk serve` processes on one database may run three
// times a bot's limit between them. A worker asks which bots may start another item,
// leases only among those, counts the leased item as running, and releases it when the
// item leaves the worker (done, waiting for a person, requeued or failed).
//
// leaseBatchWithin() does the three in one step under the object's lock, so two workers
// cannot both take the last free slot of a bot:
//
// @code
//   engine::ConcurrencyLimits limits;
//   limits.setBots(bots);                                  // every bot the process runs
//   auto leased = limits.leaseBatchWithin(names, 16, [&](const QStringList &eligible, int max) {
//       return store.leaseBatch(owner, lease, max, eligible);
//   });
//   if (!leased) ...store error...
//   if (leased->isEmpty()) ...nothing to do now (or every bot is at its limit)...
//   for (const WorkItem &item : *leased) { ...run it...; limits.release(item.bot); }
// @endcode
//
// Bots without a limit are always eligible. A bot the object was not told about has no
// limit.
//
// Thread-safety: every member may be called from any thread at once.
#pragma once

#include "bot/bot_definition.h"
#include "core/error.h"
#include "core/mutex.h"
#include "core/work_item.h"

#include <QHash>
#include <QStringList>
#include <functional>
#include <optional>

namespace clerk::engine {

class ConcurrencyLimits {
public:
    using BatchLeaseFunction = std::function<Result<QList<WorkItem>>(const QStringList &bots, int max)>;

    ConcurrencyLimits() = default;
    explicit ConcurrencyLimits(const QList<bot::BotDefinition> &bots) { setBots(bots); }

    // The bots the process runs and their limits (BotDefinition::concurrency; 0: none).
    // Replaces earlier limits; items already running stay counted.
    void setBots(const QList<bot::BotDefinition> &bots);

    // The bots among `candidates` that may start another item now, to pass to leaseBatch.
    // `candidates` empty means every bot, as it does for leaseBatch: the answer is then
    // empty (any bot) while no bot is at its limit, else the known bots not at theirs.
    // std::nullopt: every candidate is at its limit; lease nothing now.
    std::optional<QStringList> eligibleBots(const QStringList &candidates = {}) const;

    // Counts one more running item of `bot`. Returns false, and counts nothing, when the
    // bot is at its limit.
    bool acquire(const QString &bot);
    // Counts one running item of `bot` less. REQUIRES: a matching successful acquire().
    void release(const QString &bot);

    // eligibleBots(), then `lease` with them, then acquire() for each leased item's bot,
    // all under one lock. `lease` is given the eligible bots and a batch size (at most
    // `max`, WorkQueue::leaseBatch's) that no eligible bot's free slots can overflow,
    // however the batch falls among them. `lease` is not called when every candidate is
    // at its limit (the answer is then empty). Errors are `lease`'s.
    Result<QList<WorkItem>> leaseBatchWithin(const QStringList &candidates, int max, const BatchLeaseFunction &lease);

    // How many of the bot's items run now.
    int running(const QString &bot) const;

private:
    std::optional<QStringList> eligibleLocked(const QStringList &candidates) const CLERK_REQUIRES(m_mutex);
    bool atLimitLocked(const QString &bot) const CLERK_REQUIRES(m_mutex);

    mutable Mutex m_mutex;
    QHash<QString, int> m_limits CLERK_GUARDED_BY(m_mutex);   // bot name -> limit (> 0), or 0 for none
    QHash<QString, int> m_running CLERK_GUARDED_BY(m_mutex);
};

} // namespace clerk::engine
