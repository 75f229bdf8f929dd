// The `rest` step. Not available yet: bots that use it fail validation.
#include "engine/builtin_steps_p.h"

namespace clerk::engine {

StepType restStepType()
{
    bot::StepTypeSchema schema;
    schema.name = QStringLiteral("rest");
    schema.summary = QStringLiteral("Not available yet.");
    schema.example = QStringLiteral("- id: %1\n  type: %1\n").arg(schema.name);
    schema.sideEffects = true;
    StepType type;
    type.schema = schema;
    type.create = [](const bot::BotDefinition &, const bot::StepDefinition &) -> Result<std::unique_ptr<Step>> {
        return fail(Error::invalidArgument(QStringLiteral("the rest step is not available yet")));
    };
    return type;
}

} // namespace clerk::engine
