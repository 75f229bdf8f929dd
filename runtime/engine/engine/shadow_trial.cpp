#include "engine/shadow_trial_p.h"

namespace clerk::engine {

void addSuggestion(HumanRequest &request, const StepContext &ctx, const Suggestion &suggestion)
{
    if (!isShadowTrial(ctx))
        return;
    request.evidence.insert(QStringLiteral("shadow"), true);
    request.evidence.insert(QStringLiteral("suggestion"),
                            QJsonObject{{QStringLiteral("choice"), suggestion.choice},
                                        {QStringLiteral("confidence"), std::clamp(suggestion.confidence, 0.0, 1.0)},
                                        {QStringLiteral("outputs"), suggestion.outputs}});
    if (isBlindTrial(ctx))
        request.evidence.insert(QStringLiteral("blind"), true);
}

} // namespace clerk::engine
