// The `classify` step. Not available yet: a bot that uses it is refused when it is loaded.
#include "engine/builtin_steps_p.h"

namespace clerk::engine {

StepType classifyStepType()
{
    StepType type;
    type.schema.name = QStringLiteral("classify");
    type.schema.summary = QStringLiteral("Not available yet.");
    type.schema.outputs = [](const QJsonObject &) { return QStringList{}; };
    type.schema.example = QStringLiteral("- type: classify\n");
    type.create = [](const bot::BotDefinition &, const bot::StepDefinition &) -> Result<std::unique_ptr<Step>> {
        return fail(Error::unavailable(QStringLiteral("the classify step is not available yet")));
    };
    return type;
}

} // namespace clerk::engine
