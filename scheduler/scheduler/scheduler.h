// Scheduler: fires the bots' time triggers and watches their folders, enqueueing work
// items through the engine. It runs no steps itself (workers do), so one per process.
//
// Time triggers (cron, every) fire only while this process holds the cluster-wide
// leadership "scheduler" (Leadership::tryAcquireLeadership with options.owner), so a
// cluster of clerk processes sharing a database fires each slot once. Each fire is an
// item with source reference "cron:<ISO UTC nominal time>" or "interval:<...>" and payload
// {"fired_at": ISO UTC nominal time, "trigger": "cron"|"interval"} (plus "catch_up": true
// for a misfire catch-up); enqueueing is deduplicated by source reference, so a slot
// ticked twice, or by a new leader after a takeover, is still one item. The slots, the
// daylight-saving behaviour and jitter are described in fire_schedule.h.
//
// On time and missed slots: at a tick, among the slots due since the last one handled,
// the newest is on time when it is at most `misfireGrace` old (default: the larger of one
// minute and two leadership leases, so a takeover after a leader died still fires it);
// it fires. Every older slot, and the newest when it is late, is missed (the process was
// stopped, or no process led): misfire "skip" fires nothing for them; "run_once" fires one
// catch-up item, named after the newest missed slot, unless an on-time slot fires in the
// same tick. The last slot handled survives restarts and leadership changes: it is read
// back from the store (the newest item of the bot with its trigger's source reference)
// when the process starts leading; a bot never fired before starts from now.
//
// Business hours (trigger key business_hours, in the trigger's zone): a time slot whose
// nominal time is outside the window is skipped (not deferred); a watched file waits
// until the window opens.
//
// Source polls: a bot with a `source` block and a cron or every trigger reads its source
// on each slot (engine::pollSource: each new record is stored as an item, then marked as
// taken) instead of enqueueing one fire item. Like fire items, polls happen only in the
// leader, so a cluster polls each slot once. A poll that fails (the case system is down,
// answers 500 or 429) is a problem in the tick's result, without record contents; the slot
// counts as handled and the next slot polls again: records are marked only after they are
// stored, so nothing is lost. Polls leave no item naming their slot, so the last slot
// polled is not read back from the store: a process that begins leading polls a slot that
// fell due within the misfire grace (so a takeover right after a slot still polls it; a
// second poll of a slot finds stored records and makes no second item) and skips older
// ones, whatever the misfire policy: one poll sees all waiting work anyway.
//
// Mailboxes (mailbox_watch.h): a mailbox trigger reads an IMAP folder every `every`, in
// the leader only, with the same slot rules as source polls; each suitable attachment of
// each new message becomes one item, and the message is flagged or moved after that.
//
// Polls and mailbox reads run on the scheduler's thread and block it for as long as the
// other system takes to answer (bounded by the connector's and the mailbox's timeouts).
//
// Folder watches (folder_watch.h) are scanned on every tick by every process, leader or
// not: submission is deduplicated and moving a file another process moved already is not
// an error. Webhook and manual triggers are left to others and ignored here.
//
// Thread-safety: one Scheduler per process, used from one thread, with that thread's
// WorkStore and Engine.
#pragma once

#include "bot/bot_definition.h"
#include "core/clock.h"
#include "core/error.h"
#include "engine/engine.h"
#include "core/business_hours.h"
#include "scheduler/fire_schedule.h"
#include "scheduler/folder_watch.h"
#include "scheduler/mailbox_watch.h"
#include "store/figures.h"
#include "store/leadership.h"
#include "store/work_queue.h"

#include <QDateTime>
#include <QMap>
#include <QString>
#include <QStringList>
#include <chrono>
#include <concepts>
#include <memory>
#include <optional>

namespace clerk::scheduler {

struct SchedulerOptions {
    QString owner{};  // unique per process (host:pid); empty: the engine's worker id
    std::chrono::milliseconds leadershipLease{std::chrono::seconds(15)};
    // How late the newest due slot may be and still count as on time; zero: the larger
    // of one minute and two leadership leases.
    std::chrono::milliseconds misfireGrace{0};
};

struct TickResult {
    int enqueued = 0;  // new items (time fires, polled records, mail attachments, watched files' records)
    int polls = 0;     // source polls and mailbox reads done (failed ones included)
    int filed = 0;     // watched files moved to done or failed
    bool leader = false;
    QStringList problems{};  // per bot or file, never document contents
};

// The roles of the store a Scheduler uses: the work queue (items, paused bots), the
// leader lease it fires under, and the status counts. Made from any store that plays them
// all (a store::WorkStore does).
struct SchedulerStore {
    template <typename Store>
        requires std::derived_from<Store, store::WorkQueue> && std::derived_from<Store, store::Leadership>
                 && std::derived_from<Store, store::Figures>
    SchedulerStore(Store &store)  // NOLINT(google-explicit-constructor): a store is a SchedulerStore
        : work(store), leadership(store), figures(store)
    {
    }

    store::WorkQueue &work;
    store::Leadership &leadership;
    store::Figures &figures;
};

class Scheduler {
public:
    Scheduler(SchedulerStore store, engine::Engine &submitter, const Clock &clock, SchedulerOptions options = {});
    ~Scheduler();

    // Adds the bot, or replaces the bot with the same name (a reloaded file); also adds it
    // to the engine. InvalidArgument for a trigger that cannot be scheduled (bad cron,
    // zone, every, business hours, watch or mailbox settings); the previous version, if
    // any, is kept then.
    Status addBot(const bot::BotDefinition &bot);
    void removeBot(const QString &name);

    // Acquires or renews the leadership; when leading, enqueues every time slot due at
    // clock.now() (not for paused bots: their missed slots follow the misfire policy once
    // resumed); scans every watched folder and files finished files. Fails only when
    // the store cannot be reached for the leadership; per-bot problems are in the result.
    Result<TickResult> tick();

    // When tick() should next run: the next due slot (when leading), a watched folder's
    // next scan, and at most a third of the leadership lease away (to renew or retry it).
    QDateTime nextWakeUp() const;

private:
    struct BotEntry {
        bot::BotDefinition definition;
        std::optional<FireSchedule> schedule;   // time triggers
        std::optional<BusinessHours> window;
        QString misfire;
        std::unique_ptr<FolderWatch> watch;      // watch triggers
        std::unique_ptr<MailboxWatch> mailbox;   // mailbox triggers (schedule: its `every`)
        bool pollsSource = false;                // a time trigger with a source: each slot polls it
        std::optional<QDateTime> cursor;         // the due time of the last slot handled
    };
    void fireDue(BotEntry &entry, const QDateTime &now, TickResult &result);
    Result<QDateTime> lastHandled(const BotEntry &entry, const QDateTime &now);
    Status fire(BotEntry &entry, const FireSlot &slot, bool catchUp, TickResult &result);
    void poll(BotEntry &entry, TickResult &result);
    std::chrono::milliseconds grace() const;

    SchedulerStore m_store;
    engine::Engine &m_engine;
    const Clock &m_clock;
    SchedulerOptions m_options;
    QMap<QString, std::shared_ptr<BotEntry>> m_bots;
    bool m_leader = false;
};

} // namespace clerk::scheduler
