#include "engine/worker_pool.h"

#include "store/work_store.h"

namespace clerk::engine {

WorkerPool::WorkerPool(const StepRegistry &registry, WorkerPoolOptions options)
    : m_registry(registry), m_options(std::move(options))
{
    if (m_options.engine.workerId.isEmpty())
        m_options.engine.workerId = defaultWorkerId();
}

WorkerPool::~WorkerPool()
{
    stop();
    join();
}

void WorkerPool::setBots(const QList<bot::BotDefinition> &bots)
{
    // Limits first: a worker that sees the new set must find its limits in place.
    m_limits.setBots(bots);
    {
        MutexLock lock(m_mutex);
        m_bots = bots;
        ++m_generation;
    }
    notifyWork();
}

QList<bot::BotDefinition> WorkerPool::bots() const
{
    MutexLock lock(m_mutex);
    return m_bots;
}

void WorkerPool::start()
{
    Q_ASSERT_X(m_workers.empty(), "WorkerPool::start", "a pool starts once");
    for (int w = 0; w < m_options.workers; ++w) {
        auto worker = std::make_unique<Worker>();
        Worker *self = worker.get();
        ++m_running;
        worker->thread = std::thread([this, w, self] { work(w, *self); });
        m_workers.push_back(std::move(worker));
    }
}

void WorkerPool::notifyWork()
{
    {
        MutexLock lock(m_mutex);
        ++m_epoch;
    }
    m_changed.notifyAll();
}

void WorkerPool::stop()
{
    m_stopping = true;
    notifyWork();
}

bool WorkerPool::waitForWorkers(std::chrono::milliseconds timeout)
{
    MutexLock lock(m_mutex);
    return m_changed.waitFor(m_mutex, timeout, [this] { return m_running == 0; });
}

int WorkerPool::busyWorkers() const
{
    int busy = 0;
    for (const auto &worker : m_workers) {
        if (worker->busy)
            ++busy;
    }
    return busy;
}

QString WorkerPool::problem() const
{
    MutexLock lock(m_mutex);
    return m_problem;
}

void WorkerPool::join()
{
    for (auto &worker : m_workers) {
        if (worker->thread.joinable())
            worker->thread.join();
    }
}

quint64 WorkerPool::workEpoch() const
{
    MutexLock lock(m_mutex);
    return m_epoch;
}

void WorkerPool::waitForWork(quint64 seen)
{
    MutexLock lock(m_mutex);
    m_changed.waitFor(m_mutex, m_options.idleWait, [&] {
        m_mutex.assertHeld();
        return m_epoch != seen || m_stopping;
    });
}

void WorkerPool::finish(const QString &problem)
{
    {
        MutexLock lock(m_mutex);
        if (!problem.isEmpty() && m_problem.isEmpty())
            m_problem = problem;
        if (!problem.isEmpty())
            m_stopping = true;
        --m_running;
        ++m_epoch;
    }
    m_changed.notifyAll();
}

void WorkerPool::work(int index, Worker &self)
{
    auto store = store::openWorkStore(m_options.storeLocation);
    if (!store)
        return finish(store.error().toString());
    EngineOptions options = m_options.engine;
    options.workerId += QStringLiteral("/w%1").arg(index);
    Engine engine(**store, m_registry, options);
    engine.setObserver(m_options.observer);
    if (!m_options.untilIdle)
        return finish(workUntilStopped(engine, **store, self));

    QStringList names;
    for (const bot::BotDefinition &definition : bots()) {
        if (auto added = engine.addBot(definition); !added)
            return finish(added.error().toString());
        names.append(definition.name);
    }
    self.busy = true;
    auto ran = engine.runUntilIdle(names);
    self.busy = false;
    finish(ran ? QString() : ran.error().toString());
}

QString WorkerPool::workUntilStopped(Engine &engine, store::WorkQueue &queue, Worker &self)
{
    int generation = -1;
    QStringList names;
    while (!m_stopping) {
        std::optional<QList<bot::BotDefinition>> replaced;
        {
            MutexLock lock(m_mutex);
            if (generation != m_generation) {
                generation = m_generation;
                replaced = m_bots;
            }
        }
        if (replaced) {
            names.clear();
            for (const bot::BotDefinition &definition : *replaced) {
                if (auto added = engine.addBot(definition); !added)
                    return added.error().toString();
                names.append(definition.name);
            }
        }
        // Read before leasing, so work enqueued between the lease and the wait still wakes us.
        const quint64 seen = workEpoch();
        // Only among the bots below their concurrency limit; the leased items count
        // against their bots' limits until they leave this worker.
        const auto leasedAt = std::chrono::steady_clock::now();
        auto leased = m_limits.leaseBatchWithin(names, engine.batchSize(), [&](const QStringList &eligible, int max) {
            return queue.leaseBatch(engine.workerId(), m_options.engine.leaseFor, max, eligible);
        });
        if (!leased)
            return leased.error().toString();
        if (leased->isEmpty()) {
            waitForWork(seen);
            continue;
        }
        QStringList leasedBots;
        for (const WorkItem &item : std::as_const(*leased))
            leasedBots.append(item.bot);
        self.busy = true;
        auto ran = engine.runBatch(std::move(*leased), leasedAt);
        self.busy = false;
        for (const QString &bot : std::as_const(leasedBots))
            m_limits.release(bot);
        notifyWork();  // slots of the bots' limits are free again
        if (!ran)
            return ran.error().toString();
    }
    return {};
}

} // namespace clerk::engine
