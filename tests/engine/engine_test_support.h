// Shared fixtures for engine tests: a real SQLite store in a temporary folder, a
// manual clock, and bots loaded from YAML text with the built-in registry.
#pragma once

#include "bot/bot_loader.h"
#include "engine/engine.h"
#include "temporary_store.h"
#include "test_support.h"

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

// The engine suites' store starts on Monday 2 March 2026, 09:00 UTC.
class EngineFixture : public TemporaryStoreTest {
protected:
    EngineFixture() : TemporaryStoreTest(QDateTime(QDate(2026, 3, 2), QTime(9, 0), Qt::UTC)) {}
};

} // namespace clerk::testing
