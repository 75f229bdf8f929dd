#include "bot/bot_definition.h"

namespace clerk::bot {

const StepDefinition *BotDefinition::step(const QString &id) const
{
    for (const StepDefinition &candidate : steps) {
        if (candidate.id == id)
            return &candidate;
    }
    return nullptr;
}

const ConnectorDefinition *BotDefinition::connector(const QString &connectorName) const
{
    for (const ConnectorDefinition &candidate : connectorDefinitions) {
        if (candidate.name == connectorName)
            return &candidate;
    }
    return nullptr;
}

} // namespace clerk::bot
