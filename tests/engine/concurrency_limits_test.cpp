// Per-bot concurrency limits (bot key `concurrency`) and priorities (`priority`), with a
// real SQLite store: what a worker of `clerk serve` may lease, and in which order.
#include "engine_test_support.h"

#include "engine/concurrency_limits.h"

#include <QThread>

#include <atomic>
#include <thread>

using namespace clerk;
using namespace std::chrono_literals;
using clerk::testing::EngineFixture;
using clerk::testing::loadBot;

namespace {

bot::BotDefinition namedBot(const QString &name, int concurrency)
{
    bot::BotDefinition definition;
    definition.name = name;
    definition.concurrency = concurrency;
    return definition;
}

} // namespace

TEST(ConcurrencyLimitsTest, ABotAtItsLimitIsNotEligibleUntilAnItemIsReleased)
{
    engine::ConcurrencyLimits limits({namedBot(QStringLiteral("post"), 2), namedBot(QStringLiteral("forms"), 0)});
    // Nobody full: "any bot" stays "any bot", and a named list stays as it was.
    EXPECT_EQ(limits.eligibleBots(), QStringList());
    EXPECT_EQ(limits.eligibleBots({QStringLiteral("post")}), QStringList{QStringLiteral("post")});

    EXPECT_TRUE(limits.acquire(QStringLiteral("post")));
    EXPECT_TRUE(limits.acquire(QStringLiteral("post")));
    EXPECT_FALSE(limits.acquire(QStringLiteral("post")));
    EXPECT_EQ(limits.running(QStringLiteral("post")), 2);
    EXPECT_EQ(limits.eligibleBots(), QStringList{QStringLiteral("forms")});
    EXPECT_EQ(limits.eligibleBots({QStringLiteral("post")}), std::nullopt);

    // A bot without a limit (or one the object was never told of) is always eligible.
    for (int i = 0; i < 50; ++i)
        EXPECT_TRUE(limits.acquire(QStringLiteral("forms")));
    EXPECT_TRUE(limits.acquire(QStringLiteral("unknown")));

    limits.release(QStringLiteral("post"));
    EXPECT_EQ(limits.running(QStringLiteral("post")), 1);
    EXPECT_EQ(limits.eligibleBots({QStringLiteral("post"), QStringLiteral("forms")}),
              (QStringList{QStringLiteral("post"), QStringLiteral("forms")}));
}

TEST(ConcurrencyLimitsTest, EveryBotFullMeansLeaseNothingRatherThanAnyBot)
{
    engine::ConcurrencyLimits limits({namedBot(QStringLiteral("post"), 1)});
    ASSERT_TRUE(limits.acquire(QStringLiteral("post")));
    EXPECT_EQ(limits.eligibleBots(), std::nullopt);
    bool called = false;
    auto leased = limits.leaseBatchWithin({}, 1, [&](const QStringList &, int) -> Result<QList<WorkItem>> {
        called = true;
        return QList<WorkItem>();
    });
    ASSERT_TRUE(leased.has_value());
    EXPECT_TRUE(leased->isEmpty());
    EXPECT_FALSE(called);
}

TEST(ConcurrencyLimitsTest, ManyWorkersNeverRunMoreThanTheLimit)
{
    engine::ConcurrencyLimits limits({namedBot(QStringLiteral("post"), 3)});
    std::atomic<int> now{0};
    std::atomic<int> most{0};
    std::atomic<int> ran{0};
    std::vector<std::thread> workers;
    for (int w = 0; w < 8; ++w) {
        workers.emplace_back([&] {
            for (int i = 0; i < 200; ++i) {
                auto leased = limits.leaseBatchWithin({QStringLiteral("post")}, 1, [](const QStringList &bots, int)
                                                          -> Result<QList<WorkItem>> {
                    WorkItem item;
                    item.bot = bots.value(0);
                    return QList<WorkItem>{item};
                });
                if (!leased || leased->isEmpty()) {
                    QThread::yieldCurrentThread();
                    continue;
                }
                const int running = ++now;
                int seen = most.load();
                while (running > seen && !most.compare_exchange_weak(seen, running)) {
                }
                ++ran;
                --now;
                limits.release(leased->first().bot);
            }
        });
    }
    for (std::thread &worker : workers)
        worker.join();
    EXPECT_LE(most.load(), 3);
    EXPECT_GT(ran.load(), 0);
    EXPECT_EQ(limits.running(QStringLiteral("post")), 0);
}

class BotLimitsStoreTest : public EngineFixture {
protected:
    engine::StepRegistry m_registry = engine::StepRegistry::builtIn();

    bot::BotDefinition bot(const QString &name, const QString &extra)
    {
        return loadBot(QStringLiteral("name: %1\nversion: 1\nowner_team: post-room\n%2"
                                      "steps:\n  - type: set\n    params:\n      values: {a: b}\n")
                           .arg(name, extra),
                       m_registry.catalog());
    }
};

TEST_F(BotLimitsStoreTest, TheLoaderReadsConcurrencyPriorityAndTimeLimits)
{
    const bot::BotDefinition definition =
        loadBot(QStringLiteral("name: post\nversion: 1\nowner_team: post-room\nconcurrency: 2\npriority: 7\n"
                               "time_limit: 5m\nsteps:\n  - type: set\n    time_limit: 30s\n    params:\n"
                               "      values: {a: b}\n  - id: other\n    type: set\n    params:\n      values: {a: c}\n"),
                m_registry.catalog());
    EXPECT_EQ(definition.concurrency, 2);
    EXPECT_EQ(definition.priority, 7);
    EXPECT_EQ(definition.stepTimeLimit, 5min);
    ASSERT_EQ(definition.steps.size(), 2);
    EXPECT_EQ(definition.steps[0].timeLimit, 30s);
    EXPECT_EQ(definition.steps[1].timeLimit, 0ms);

    bot::BotLoad bad = bot::loadBotText("name: post\nversion: 1\nowner_team: post-room\nconcurrency: 0\n"
                                        "steps:\n  - type: set\n    params:\n      values: {a: b}\n",
                                        QStringLiteral("bad.yaml"), m_registry.catalog(), {});
    EXPECT_FALSE(bad.bot.has_value());
}

TEST_F(BotLimitsStoreTest, ItemsOfAHigherPriorityBotAreLeasedFirst)
{
    engine::EngineOptions options;
    options.workerId = QStringLiteral("w1");
    engine::Engine engine(*m_store, m_registry, options, m_clock);
    const bot::BotDefinition routine = bot(QStringLiteral("routine"), {});
    const bot::BotDefinition urgent = bot(QStringLiteral("urgent"), QStringLiteral("priority: 5\n"));
    for (int i = 0; i < 3; ++i)
        ASSERT_TRUE(engine.submit(routine, QStringLiteral("r%1").arg(i), {}).has_value());
    ASSERT_TRUE(engine.submit(urgent, QStringLiteral("u1"), {}).has_value());

    auto first = m_store->leaseNext(QStringLiteral("w1"), 10s);
    ASSERT_TRUE(first.has_value());
    ASSERT_TRUE(first->has_value());
    EXPECT_EQ((*first)->bot, QStringLiteral("urgent"));
}

TEST_F(BotLimitsStoreTest, AWorkerLeasesOtherBotsWhileOneIsAtItsLimit)
{
    engine::EngineOptions options;
    options.workerId = QStringLiteral("w1");
    engine::Engine engine(*m_store, m_registry, options, m_clock);
    // The limited bot's items come first by priority, so only the limit keeps them back.
    const bot::BotDefinition limited = bot(QStringLiteral("limited"), QStringLiteral("concurrency: 1\npriority: 9\n"));
    const bot::BotDefinition other = bot(QStringLiteral("other"), {});
    for (int i = 0; i < 2; ++i) {
        ASSERT_TRUE(engine.submit(limited, QStringLiteral("l%1").arg(i), {}).has_value());
        ASSERT_TRUE(engine.submit(other, QStringLiteral("o%1").arg(i), {}).has_value());
    }
    engine::ConcurrencyLimits limits({limited, other});
    const auto lease = [this](const QStringList &bots, int max) {
        return m_store->leaseBatch(QStringLiteral("w1"), 10s, max, bots);
    };

    auto first = limits.leaseBatchWithin({}, 1, lease);
    ASSERT_TRUE(first.has_value() && first->size() == 1);
    EXPECT_EQ(first->first().bot, QStringLiteral("limited"));
    // While it runs, the next two leases are the other bot's, though "limited" has more.
    for (int i = 0; i < 2; ++i) {
        auto next = limits.leaseBatchWithin({}, 1, lease);
        ASSERT_TRUE(next.has_value() && next->size() == 1);
        EXPECT_EQ(next->first().bot, QStringLiteral("other"));
    }
    auto none = limits.leaseBatchWithin({}, 1, lease);
    ASSERT_TRUE(none.has_value());
    EXPECT_TRUE(none->isEmpty());

    limits.release(QStringLiteral("limited"));
    auto again = limits.leaseBatchWithin({}, 1, lease);
    ASSERT_TRUE(again.has_value() && again->size() == 1);
    EXPECT_EQ(again->first().bot, QStringLiteral("limited"));
}

TEST_F(BotLimitsStoreTest, ABatchLeaseNeverTakesMoreThanABotsFreeSlots)
{
    engine::EngineOptions options;
    options.workerId = QStringLiteral("w1");
    engine::Engine engine(*m_store, m_registry, options, m_clock);
    const bot::BotDefinition limited = bot(QStringLiteral("limited"), QStringLiteral("concurrency: 3\npriority: 9\n"));
    const bot::BotDefinition other = bot(QStringLiteral("other"), {});
    for (int i = 0; i < 6; ++i) {
        ASSERT_TRUE(engine.submit(limited, QStringLiteral("l%1").arg(i), {}).has_value());
        ASSERT_TRUE(engine.submit(other, QStringLiteral("o%1").arg(i), {}).has_value());
    }
    engine::ConcurrencyLimits limits({limited, other});
    QList<int> asked;
    const auto lease = [&](const QStringList &bots, int max) {
        asked.append(max);
        return m_store->leaseBatch(QStringLiteral("w1"), 10s, max, bots);
    };
    auto bots = [](const Result<QList<WorkItem>> &leased) {
        QStringList names;
        for (const WorkItem &item : leased.value_or(QList<WorkItem>{}))
            names.append(item.bot);
        return names;
    };

    // Three free slots: a batch of ten asks for three, all of the limited bot (its priority).
    auto first = limits.leaseBatchWithin({}, 10, lease);
    EXPECT_EQ(bots(first), QStringList(3, QStringLiteral("limited")));
    EXPECT_EQ(limits.running(QStringLiteral("limited")), 3);
    // At its limit, the limited bot is left out and the batch is the other bot's.
    auto second = limits.leaseBatchWithin({}, 10, lease);
    EXPECT_EQ(bots(second), QStringList(6, QStringLiteral("other")));
    EXPECT_EQ(asked, (QList<int>{3, 10}));

    limits.release(QStringLiteral("limited"));
    auto third = limits.leaseBatchWithin({}, 10, lease);
    EXPECT_EQ(bots(third), QStringList{QStringLiteral("limited")});
    EXPECT_EQ(limits.running(QStringLiteral("limited")), 3);
}
