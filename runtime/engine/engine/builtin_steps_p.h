// The built-in step types (private to the engine; registered by StepRegistry::builtIn()).
#pragma once

#include "engine/step_registry.h"

namespace clerk::engine {

StepType setStepType();
StepType requireStepType();
StepType routeStepType();
StepType appendLineStepType();
StepType moveFileStepType();
StepType ocrStepType();      // ocr_step.cpp
StepType extractStepType();  // extract_step.cpp
StepType classifyStepType(); // classify_step.cpp

} // namespace clerk::engine
