// The built-in step types (private to the engine; registered by StepRegistry::builtIn()).
// The list is engine/step_types.def; each step's source file includes this header for the
// declaration of the function it defines.
#pragma once

#include "engine/step_registry.h"

namespace clerk::engine {

#define CLERK_STEP_TYPE(name) StepType name##StepType();
#include "engine/step_types.def"
#undef CLERK_STEP_TYPE

} // namespace clerk::engine
