// Engine: runs work items through their bot's steps, durably.
//
// The engine leases an item, runs its steps from the item's step cursor, and has the
// store persist each step's outputs before the next step runs, so a process killed at
// any point resumes where it stopped: a step whose outputs were stored never runs again
// for that item; a step that was running when the process died runs again (steps with
// side effects use their action key to avoid acting twice).
//
// Per outcome: continue -> outputs stored, next step; needs_human -> an exception item
// for the team, the work item waits; retry_later -> requeued after exponential backoff
// with jitter, until the bot's retry limit, then failed; fail -> failed, visible, with
// its reason. Items whose lease expired (their worker died) are taken over by leaseNext.
//
// Thread-safety: an Engine belongs to one thread, like the store it is given. Run
// several workers by giving each thread its own store connection and Engine.
#pragma once

#include "bot/bot_definition.h"
#include "bot/bot_loader.h"
#include "core/clock.h"
#include "core/error.h"
#include "engine/step_registry.h"
#include "store/exception_queue.h"
#include "store/outbox.h"
#include "store/work_queue.h"

#include <QHash>
#include <chrono>
#include <concepts>
#include <memory>
#include <optional>
#include <vector>

namespace clerk::engine {

struct EngineOptions {
    QString workerId;                                   // default: host:pid:random
    std::chrono::milliseconds leaseFor{std::chrono::seconds(30)};
    bool dryRun = false;                                // side-effecting steps only describe what they would do
    bot::ConnectorSet connectors;                       // for loading stored bot definitions
    // Absolute folders (or files) every bot's items may name documents in, besides each
    // bot's own intake roots (BotDefinition::intakeRoots): clerk run passes its --input paths.
    QStringList intakeRoots;
    // runUntilIdle leases items, and stores the last steps of those that finish, up to
    // `maxBatch` at a time, in one transaction each (one flush to disk for the batch). The
    // batch grows while a batch takes less than `batchTime` and shrinks to what fits in it,
    // down to one item for slow ones, so a worker never sits on items another could run.
    // Nothing an item did is reported (the observer, the log) before its batch is stored.
    int maxBatch = 128;
    std::chrono::milliseconds batchTime{50};
};

// Hooks for progress, metrics and tests; called on the engine's thread.
class EngineObserver {
public:
    virtual ~EngineObserver() = default;
    virtual void onItemStarted(const WorkItem &item) { Q_UNUSED(item); }
    virtual void onStepFinished(const WorkItem &item, const bot::StepDefinition &step, const StepOutcome &outcome)
    {
        Q_UNUSED(item);
        Q_UNUSED(step);
        Q_UNUSED(outcome);
    }
    // The item left this worker: done, waiting for a person, queued for a retry, or failed.
    // `reason` is the step's reason (never document text).
    virtual void onItemStopped(const WorkItem &item, ItemState state, const QString &reason)
    {
        Q_UNUSED(item);
        Q_UNUSED(state);
        Q_UNUSED(reason);
    }
};

// The delay before retry number `attempt` (0-based): initial * 2^attempt, capped at
// maxDelay, then a random point in its upper half (jitter), and never less than `floor`.
std::chrono::milliseconds retryDelay(const bot::RetryPolicy &policy, int attempt, std::chrono::milliseconds floor);

// A name for this process's workers, unique in a cluster: "host:pid:random". What
// EngineOptions::workerId defaults to.
QString defaultWorkerId();

// The roles of the store an Engine uses: the work queue (items, their bot files, leases,
// steps' outputs, hand-overs to people) and the outbox (action keys, so side effects act
// once). Made from any store that plays both (a store::WorkStore does).
struct EngineStore {
    template <typename Store>
        requires std::derived_from<Store, store::WorkQueue> && std::derived_from<Store, store::Outbox>
    EngineStore(Store &store)  // NOLINT(google-explicit-constructor): a store is an EngineStore
        : work(store), outbox(store)
    {
    }

    store::WorkQueue &work;
    store::Outbox &outbox;
};

class Engine {
public:
    Engine(EngineStore store, const StepRegistry &registry, EngineOptions options = {},
           const Clock &clock = SystemClock::instance());
    ~Engine();

    const QString &workerId() const { return m_options.workerId; }
    void setObserver(EngineObserver *observer) { m_observer = observer; }

    // Makes a loaded bot known to the engine and stores its definition, so its items can
    // always be resumed with the exact file they started with.
    Status addBot(const bot::BotDefinition &bot);

    // Enqueues one input for `bot` (added with addBot). Deduplicated by sourceRef.
    // `priority`: default the bot's (key `priority`); higher is leased first.
    Result<store::EnqueueResult> submit(const bot::BotDefinition &bot, const QString &sourceRef,
                                        const QJsonObject &payload, std::optional<int> priority = std::nullopt);

    // Leases and runs items until none is runnable now. `bots` empty: any bot.
    // Returns how many items this call took from the queue. Fails only when the store
    // fails; a failing item is an outcome, not an error.
    Result<int> runUntilIdle(const QStringList &bots = {});

    // Runs one leased item until it finishes, waits for a person, or is requeued.
    Result<ItemState> runLeased(WorkItem item);

    // How many items to lease next (WorkQueue::leaseBatch): set by runBatch from how long
    // the last batch took (EngineOptions::maxBatch, batchTime); one to begin with.
    int batchSize() const { return m_batchSize; }
    // Runs items leased together at `leasedAt`, one after another as runLeased does, and
    // stores the last steps of those that finish in one transaction. An item whose lease
    // was lost meanwhile is left to its new worker. When the batch has taken a third of
    // the lease, the items not started yet are released (no attempt counted) for any
    // worker to take. Fails only when the store fails.
    Status runBatch(QList<WorkItem> items, std::chrono::steady_clock::time_point leasedAt);

    // Checks a person's answer to exception item `question` by the rules of the step that
    // asked it (Step::checkAnswer), with the bot file the item runs with. Call it before
    // ExceptionQueue::resolve and record what it returns. InvalidArgument, with a message for
    // the person, when the step refuses the answer; the store's errors, or
    // InvalidArgument/Corrupt when the item's bot definition no longer loads.
    Result<store::Decision> checkAnswer(const store::ExceptionItem &question, store::Decision answer);

    // A message a notify step sent, named by its Message-ID (without angle brackets,
    // "<action key>@<bot>.clerk"): the item it was sent for, when the outbox holds that
    // key as sent for an item of that bot; nullopt for any other id (a forged or mistyped
    // one, an action never finished), so a reply's header cannot name an arbitrary item.
    Result<std::optional<qint64>> itemOfSentMessage(const QString &messageId);
    // Notes on item `itemId`'s history that item `replyItemId` answers its message `messageId`.
    Status recordReply(qint64 itemId, qint64 replyItemId, const QString &messageId);
    // Counts the message `messageId` sent for item `itemId` as bounced (a delivery failure
    // report came back for it): a notice_bounced of the step that sent it.
    Status recordBounce(qint64 itemId, const QString &messageId);

private:
    struct LoadedBot {
        bot::BotDefinition definition;
        std::vector<std::unique_ptr<Step>> steps;
    };
    Result<const LoadedBot *> loadedBot(const QString &digest);
    Result<LoadedBot> instantiate(const bot::BotDefinition &definition) const;
    // The last step of an item that finished in a batch, not stored yet.
    struct Finishing {
        WorkItem item;
        store::CompletedStep step;
    };
    // runLeased for an item leased at `leasedAt`. With `finishing`, an item whose last
    // step continues is appended there instead of being stored (storeFinished).
    Result<ItemState> runLeased(WorkItem item, std::chrono::steady_clock::time_point leasedAt,
                                QList<Finishing> *finishing);
    // Stores the finished items' last steps in one transaction and reports each that
    // landed as done; empties `finishing`.
    Status storeFinished(QList<Finishing> &finishing);
    StepOutcome runStep(const LoadedBot &bot, int index, StepContext &ctx) const;
    // `outcome` answered by what a person gave earlier for this step (an earlier step's
    // `answered` outputs), else as it was.
    StepOutcome withGivenAnswer(const LoadedBot &bot, int index, const WorkItem &item, StepOutcome outcome) const;
    Result<ItemState> stop(const WorkItem &item, ItemState state, const QString &reason);

    EngineStore m_store;
    const StepRegistry &m_registry;
    EngineOptions m_options;
    const Clock &m_clock;
    EngineObserver *m_observer = nullptr;
    QHash<QString, std::shared_ptr<LoadedBot>> m_bots;  // by definition digest
    int m_batchSize = 1;
};

} // namespace clerk::engine
