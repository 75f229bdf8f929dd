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

} // namespace clerk::bot
