// The built-in step types (private to the engine; registered by StepRegistry::builtIn()).
#pragma once

#include "engine/step_registry.h"

namespace clerk::engine {

StepType setStepType();
StepType requireStepType();
StepType routeStepType();
StepType lookupStepType();
StepType appendLineStepType();
StepType moveFileStepType();
StepType ocrStepType();      // ocr_step.cpp
StepType extractStepType();  // extract_step.cpp
StepType classifyStepType(); // classify_step.cpp
StepType matchStepType();    // match_step.cpp
StepType restStepType();     // rest_step.cpp

} // namespace clerk::engine
