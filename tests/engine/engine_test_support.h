// Shared fixtures for engine tests: a real SQLite store in a temporary folder, a
// manual clock, and bots loaded from YAML text with the built-in registry.
#pragma once

#include "bot/bot_loader.h"
#include "core/clock.h"
#include "engine/engine.h"
#include "store/work_store.h"
#include "test_support.h"

#include <QTemporaryDir>
#include <gtest/gtest.h>

namespace clerk::testing {

inline bot::BotDefinition loadBot(const QString &yaml, const bot::StepCatalog &catalog)
{
    bot::BotLoad load = bot::loadBotText(yaml.toUtf8(), QStringLiteral("test.yaml"), catalog, {});
    for (const bot::Diagnostic &d : load.diagnostics)
        ADD_FAILURE() << d.toString().toStdString();
    EXPECT_TRUE(load.bot.has_value());
    return load.bot.value_or(bot::BotDefinition{});
}

class EngineFixture : public ::testing::Test {
protected:
    void SetUp() override
    {
        ASSERT_TRUE(m_dir.isValid());
        auto opened = store::openWorkStore(m_dir.filePath(QStringLiteral("work.db")), m_clock);
        ASSERT_OK(opened);
        m_store = std::move(*opened);
    }

    QString path(const QString &name) const { return m_dir.filePath(name); }

    ManualClock m_clock{QDateTime(QDate(2026, 3, 2), QTime(9, 0), Qt::UTC)};
    QTemporaryDir m_dir;
    std::unique_ptr<store::WorkStore> m_store;
};

} // namespace clerk::testing
