// Durations as people write them in bot files: "500ms", "30s", "5m", "4h", "2d",
// and combinations such as "1h30m". A bare number is not accepted: the unit is required.
#pragma once

#include "core/error.h"

#include <chrono>

namespace clerk {

// Parses a duration. Fails with InvalidArgument and a message naming the accepted units.
Result<std::chrono::milliseconds> parseDuration(const QString &text);

// The shortest readable form: 90000ms -> "1m30s".
QString formatDuration(std::chrono::milliseconds duration);

} // namespace clerk
