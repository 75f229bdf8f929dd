#include "rest/retry_rules.h"

#include <QDateTime>
#include <QLocale>
#include <QTimeZone>
#include <QRandomGenerator>

#include <algorithm>

namespace clerk::rest {

bool isRetryableStatus(int status)
{
    return status == 408 || status == 429 || (status >= 500 && status <= 599 && status != 501 && status != 505);
}

bool statusMeansNotProcessed(int status)
{
    return status == 429 || status == 503;
}

std::optional<std::chrono::milliseconds> parseRetryAfter(const QByteArray &value, const Clock &clock)
{
    const QByteArray text = value.trimmed();
    if (text.isEmpty())
        return std::nullopt;
    bool ok = false;
    const qint64 seconds = text.toLongLong(&ok);
    if (ok)
        return seconds < 0 ? std::nullopt : std::optional(std::chrono::milliseconds(seconds * 1000));
    // An HTTP date, always in GMT: "Sun, 06 Nov 1994 08:49:37 GMT".
    QDateTime when = QLocale::c().toDateTime(QString::fromLatin1(text), QStringLiteral("ddd, dd MMM yyyy hh:mm:ss 'GMT'"));
    when.setTimeZone(QTimeZone::utc());
    if (!when.isValid())
        return std::nullopt;
    return std::chrono::milliseconds(std::max<qint64>(0, when.toMSecsSinceEpoch() - clock.nowMs()));
}

std::chrono::milliseconds backoffDelay(std::chrono::milliseconds initial, std::chrono::milliseconds max, int attempt)
{
    qint64 delay = std::max<qint64>(1, initial.count());
    for (int i = 0; i < attempt && delay < max.count(); ++i)
        delay *= 2;
    delay = std::min<qint64>(delay, std::max<qint64>(1, max.count()));
    const qint64 half = delay / 2;
    return std::chrono::milliseconds(half + QRandomGenerator::global()->bounded(half + 1));
}

} // namespace clerk::rest
