// Shadow mode (bot key `mode: shadow`): the bot decides but never acts on its decision.
//
// Every deciding step (classify, match) hands its item to a person even when it is sure,
// and records what it would have done in the exception item's evidence:
//
//   "shadow": true,
//   "suggestion": {"choice": <the offered choice that agrees with the bot>,
//                  "confidence": <0..1>, "outputs": {<what the step would have output>}},
//   "blind": true                  (only in a blind trial: shadow.show_suggestion: false)
//
// This layout is a contract: the dashboard's shadow figures (the share the bot would
// have done alone at each threshold, and how often it agreed with people) are computed
// from it. The suggestion is recorded when the step would have asked a person anyway
// (its best guess, with its confidence), too. A step with no guess at all (nothing to
// classify, no details to match on) records choice "" and confidence 0: it would not
// have decided at any threshold.
//
// In a blind trial the suggestion is stored but the queue (API, web page, `clerk queue
// show`) does not show it, and the steps leave their own ranking and confidences out of
// what a person sees (evidence, choice order and labels, partial outputs).
//
// The person's answer then becomes the step's outputs, as any answer does.
#pragma once

#include "core/shadow_suggestion.h"
#include "engine/step.h"

namespace clerk::engine {

// The layout of "suggestion" is ShadowSuggestion's (core/shadow_suggestion.h): the store
// reads it back with the same codec.
using Suggestion = ShadowSuggestion;

inline bool isShadowTrial(const StepContext &ctx) { return ctx.bot().shadow; }
inline bool isBlindTrial(const StepContext &ctx) { return ctx.bot().shadow && !ctx.bot().shadowShowsSuggestion; }

// Adds "shadow", "suggestion" and (blind trials) "blind" to the request's evidence.
// Does nothing for a live bot.
void addSuggestion(HumanRequest &request, const StepContext &ctx, const Suggestion &suggestion);

} // namespace clerk::engine
