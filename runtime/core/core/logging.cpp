#include "core/logging.h"

namespace clerk {
Q_LOGGING_CATEGORY(lcCore, "clerk.core", QtInfoMsg)
Q_LOGGING_CATEGORY(lcBot, "clerk.bot", QtInfoMsg)
Q_LOGGING_CATEGORY(lcStore, "clerk.store", QtInfoMsg)
Q_LOGGING_CATEGORY(lcEngine, "clerk.engine", QtInfoMsg)
Q_LOGGING_CATEGORY(lcConnector, "clerk.connector", QtInfoMsg)
Q_LOGGING_CATEGORY(lcApp, "clerk.app", QtInfoMsg)
} // namespace clerk
