// The clerk.ocr logging category. Page text never goes to a log above debug level.
#pragma once

#include <QLoggingCategory>

namespace clerk::ocr {
Q_DECLARE_LOGGING_CATEGORY(lcOcr)
}
