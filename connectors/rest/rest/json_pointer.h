// JSON pointers (RFC 6901): "/issue/id", "/issues/0/subject"; "" is the whole document.
#pragma once

#include <QJsonValue>
#include <QString>
#include <optional>

namespace clerk::rest {

// The value at `pointer` in `document`; nullopt when a step of the path does not exist.
std::optional<QJsonValue> resolvePointer(const QJsonValue &document, const QString &pointer);

} // namespace clerk::rest
