// Shared by the REST tests: a bot loaded together with the connector file it uses.
#pragma once

#include "bot/bot_loader.h"
#include "engine/step_registry.h"

#include <gtest/gtest.h>

namespace clerk::testing {

// Loads `connectorYaml` and then `botYaml` against it; any diagnostic fails the test.
inline bot::BotDefinition loadBotWithConnector(const QString &botYaml, const QByteArray &connectorYaml,
                                               const bot::StepCatalog &catalog)
{
    const bot::ConnectorLoad connector = bot::loadConnectorText(connectorYaml, QStringLiteral("cases.yaml"), engine::connectorKinds());
    for (const bot::Diagnostic &d : connector.diagnostics)
        ADD_FAILURE() << d.toString().toStdString();
    bot::BotLoad load = bot::loadBotText(botYaml.toUtf8(), QStringLiteral("bot.yaml"), catalog,
                                         {connector.connector.value_or(bot::ConnectorDefinition{})});
    for (const bot::Diagnostic &d : load.diagnostics)
        ADD_FAILURE() << d.toString().toStdString();
    return load.bot.value_or(bot::BotDefinition{});
}

} // namespace clerk::testing
