#include "engine/shadow_trial_p.h"

namespace clerk::engine {

void addSuggestion(HumanRequest &request, const StepContext &ctx, const Suggestion &suggestion)
{
    if (!isShadowTrial(ctx))
        return;
    request.evidence.insert(QStringLiteral("shadow"), true);
    suggestion.writeTo(request.evidence);
    if (isBlindTrial(ctx))
        request.evidence.insert(ShadowSuggestion::blindKey(), true);
}

} // namespace clerk::engine
