// ConnectorDefinition lives in bot_definition.h, since a loaded bot carries the
// definitions of the connectors it lists. This header is kept for code that only
// deals with connector files.
#pragma once

#include "bot/bot_definition.h"
