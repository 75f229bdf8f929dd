// Step time limits (time_limit): a step past its limit ends as retry-later with a reason
// naming the limit, and the item fails after the bot's retry limit like any other
// temporary failure. The step here waits cooperatively for its deadline, as OCR and
// connector calls do (tests/ocr and tests/rest run those for real).
#include "engine_test_support.h"

#include <QThread>

using namespace clerk;
using namespace std::chrono_literals;
using clerk::testing::EngineFixture;
using clerk::testing::loadBot;

namespace {

// Works until its deadline passes, then gives up as a cancelled operation would.
class SlowStep final : public engine::Step {
public:
    StepOutcome run(engine::StepContext &ctx) const override
    {
        if (ctx.deadline().isForever())
            return StepOutcome::continueWith({{QStringLiteral("limited"), false}});
        while (!ctx.deadline().hasExpired())
            QThread::yieldCurrentThread();
        return StepOutcome::fail(QStringLiteral("cancelled"));
    }
};

engine::StepRegistry registryWithSlowStep()
{
    engine::StepRegistry registry = engine::StepRegistry::builtIn();
    engine::StepType slow;
    slow.schema.name = QStringLiteral("slow");
    slow.schema.outputs = [](const QJsonObject &) { return QStringList{QStringLiteral("limited")}; };
    slow.create = [](const bot::BotDefinition &, const bot::StepDefinition &) -> Result<std::unique_ptr<engine::Step>> {
        return std::make_unique<SlowStep>();
    };
    EXPECT_TRUE(registry.add(slow).has_value());
    return registry;
}

class TimeLimitTest : public EngineFixture {
protected:
    engine::StepRegistry m_registry = registryWithSlowStep();

    engine::EngineOptions options()
    {
        engine::EngineOptions o;
        o.workerId = QStringLiteral("w1");
        o.leaseFor = 10s;
        return o;
    }
};

} // namespace

TEST_F(TimeLimitTest, AStepPastItsLimitIsRetriedLaterThenFails)
{
    const bot::BotDefinition definition = loadBot(QStringLiteral("name: slow-bot\nversion: 1\nowner_team: t\n"
                                                                 "retry: {max_attempts: 2, initial_delay: 1s}\n"
                                                                 "steps:\n  - id: work\n    type: slow\n"
                                                                 "    time_limit: 20ms\n"),
                                                  m_registry.catalog());
    engine::Engine engine(*m_store, m_registry, options(), m_clock);
    auto submitted = engine.submit(definition, QStringLiteral("a"), {});
    ASSERT_TRUE(submitted.has_value());

    ASSERT_TRUE(engine.runUntilIdle().has_value());
    auto item = m_store->item(submitted->id);
    ASSERT_TRUE(item.has_value());
    EXPECT_EQ(item->state, ItemState::Queued);
    EXPECT_EQ(item->lastError, QStringLiteral("step work took longer than its time limit of 20ms"));

    for (int retry = 0; retry < 2; ++retry) {
        m_clock.advance(std::chrono::hours(1));
        ASSERT_TRUE(engine.runUntilIdle().has_value());
    }
    item = m_store->item(submitted->id);
    ASSERT_TRUE(item.has_value());
    EXPECT_EQ(item->state, ItemState::Failed);
    EXPECT_TRUE(item->lastError.contains(QStringLiteral("took longer than its time limit of 20ms")))
        << item->lastError.toStdString();
}

TEST_F(TimeLimitTest, TheBotsTimeLimitIsEachStepsDefaultAndNoLimitMeansNone)
{
    const bot::BotDefinition limited = loadBot(QStringLiteral("name: limited\nversion: 1\nowner_team: t\n"
                                                              "time_limit: 10ms\nsteps:\n  - id: work\n    type: slow\n"),
                                               m_registry.catalog());
    const bot::BotDefinition free = loadBot(QStringLiteral("name: free\nversion: 1\nowner_team: t\n"
                                                           "steps:\n  - id: work\n    type: slow\n"),
                                            m_registry.catalog());
    engine::Engine engine(*m_store, m_registry, options(), m_clock);
    auto a = engine.submit(limited, QStringLiteral("a"), {});
    auto b = engine.submit(free, QStringLiteral("b"), {});
    ASSERT_TRUE(a.has_value() && b.has_value());
    ASSERT_TRUE(engine.runUntilIdle().has_value());
    EXPECT_EQ(m_store->item(a->id)->state, ItemState::Queued);
    EXPECT_EQ(m_store->item(a->id)->lastError, QStringLiteral("step work took longer than its time limit of 10ms"));
    EXPECT_EQ(m_store->item(b->id)->state, ItemState::Done);
}
