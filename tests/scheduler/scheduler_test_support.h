// Shared fixtures for scheduler tests: a real SQLite store in a temporary folder, a
// manual clock, the built-in steps and bots loaded from YAML text.
#pragma once

#include "test_support.h"

#include "bot/bot_loader.h"
#include "engine/engine.h"
#include "engine/step_registry.h"
#include "scheduler/scheduler.h"
#include "temporary_store.h"

#include <gtest/gtest.h>

namespace clerk::scheduler::testing {

inline QDateTime utc(const char *text)
{
    return QDateTime::fromString(QString::fromLatin1(text), Qt::ISODate).toUTC();
}

class SchedulerFixture : public clerk::testing::TemporaryStoreTest {
protected:
    SchedulerFixture() : TemporaryStoreTest(utc("2026-03-02T06:00:00Z")) {}

    void SetUp() override
    {
        TemporaryStoreTest::SetUp();
        if (HasFatalFailure())
            return;
        engine::EngineOptions options;
        options.workerId = QStringLiteral("worker-1");
        m_engine = std::make_unique<engine::Engine>(*m_store, m_registry, options, m_clock);
    }

    // A bot named `name` with `trigger` (YAML lines under "trigger:", indented two spaces)
    // and `steps` (YAML lines under "steps:").
    bot::BotDefinition loadBot(const QString &name, const QString &trigger, const QString &steps = {},
                               const QString &extra = {})
    {
        const QString yaml = QStringLiteral("name: %1\nversion: 1\nowner_team: post-room\n%2trigger:\n%3steps:\n%4")
                                 .arg(name, extra, trigger,
                                      steps.isEmpty() ? QStringLiteral("  - type: set\n    params:\n      values:\n"
                                                                       "        seen: \"yes\"\n")
                                                      : steps);
        bot::BotLoad load = bot::loadBotText(yaml.toUtf8(), QStringLiteral("test.yaml"), m_registry.catalog(), {},
                                             m_dir.path());
        for (const bot::Diagnostic &d : load.diagnostics)
            ADD_FAILURE() << d.toString().toStdString();
        EXPECT_TRUE(load.bot.has_value());
        return load.bot.value_or(bot::BotDefinition{});
    }

    std::unique_ptr<Scheduler> makeScheduler(const QString &owner = QStringLiteral("host-a"),
                                             std::chrono::milliseconds lease = std::chrono::seconds(15))
    {
        SchedulerOptions options;
        options.owner = owner;
        options.leadershipLease = lease;
        return std::make_unique<Scheduler>(*m_store, *m_engine, m_clock, options);
    }

    TickResult tick(Scheduler &scheduler)
    {
        auto result = scheduler.tick();
        EXPECT_OK(result);
        if (!result)
            return {};
        for (const QString &problem : result->problems)
            ADD_FAILURE() << "problem: " << problem.toStdString();
        return *result;
    }

    QList<WorkItem> items(const QString &bot)
    {
        store::ItemFilter filter;
        filter.bot = bot;
        filter.limit = 10000;
        auto list = m_store->items(filter);
        EXPECT_TRUE(list.has_value());
        return list.value_or(QList<WorkItem>{});
    }

    QStringList sourceRefs(const QString &bot)
    {
        QStringList refs;
        for (const WorkItem &item : items(bot))
            refs.append(item.sourceRef);
        return refs;
    }

    engine::StepRegistry m_registry = engine::StepRegistry::builtIn();
    std::unique_ptr<engine::Engine> m_engine;
};

} // namespace clerk::scheduler::testing
