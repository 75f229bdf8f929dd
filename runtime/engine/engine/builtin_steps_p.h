// The built-in step types (private to the engine; registered by StepRegistry::builtIn()).
#pragma once

#include "engine/step_registry.h"

namespace clerk::engine {

StepType setStepType();
StepType requireStepType();
StepType routeStepType();
StepType appendLineStepType();
StepType moveFileStepType();

} // namespace clerk::engine
