// Logging categories, one per module. Document text and personal fields are never
// logged at info level or above: log item ids, bot and step names, counts and codes.
#pragma once

#include <QLoggingCategory>

namespace clerk {
Q_DECLARE_LOGGING_CATEGORY(lcCore)
Q_DECLARE_LOGGING_CATEGORY(lcBot)
Q_DECLARE_LOGGING_CATEGORY(lcStore)
Q_DECLARE_LOGGING_CATEGORY(lcEngine)
Q_DECLARE_LOGGING_CATEGORY(lcConnector)
Q_DECLARE_LOGGING_CATEGORY(lcApp)
} // namespace clerk
