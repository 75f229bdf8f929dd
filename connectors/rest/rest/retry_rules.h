// Which answers are worth trying again, and when.
//
// Retried: no connection, timeouts, 408, 429 and 5xx. Never retried: other 4xx (the
// request itself is wrong, or clerk is not allowed: sending it again changes nothing).
// A 429 or 503 means the server did not act on the request; other failures after the
// request went out may have acted on it, so a call that changes something is sent
// again only with an idempotency key the server honours.
#pragma once

#include "core/clock.h"

#include <QByteArray>
#include <chrono>
#include <optional>

namespace clerk::rest {

bool isRetryableStatus(int status);
// True when the status says the server did not act on the request.
bool statusMeansNotProcessed(int status);

// Parses a Retry-After header: delay seconds ("120") or an HTTP date. nullopt when
// absent or unparsable; a date in the past gives zero.
std::optional<std::chrono::milliseconds> parseRetryAfter(const QByteArray &value, const Clock &clock);

// The wait before retry number `attempt` (0-based): initial * 2^attempt capped at
// `max`, then a random point in its upper half.
std::chrono::milliseconds backoffDelay(std::chrono::milliseconds initial, std::chrono::milliseconds max, int attempt);

} // namespace clerk::rest
