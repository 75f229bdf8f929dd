#include "core/duration.h"

#include <QRegularExpression>

namespace clerk {

Result<std::chrono::milliseconds> parseDuration(const QString &text)
{
    static const QRegularExpression part(QStringLiteral("(\\d+)(ms|s|m|h|d)"));
    const QString trimmed = text.trimmed();
    if (trimmed.isEmpty())
        return fail(Error::invalidArgument(QStringLiteral("empty duration; write e.g. 30s, 5m, 4h or 2d")));

    qint64 total = 0;
    qsizetype position = 0;
    while (position < trimmed.size()) {
        const auto match = part.match(trimmed, position, QRegularExpression::NormalMatch,
                                      QRegularExpression::AnchorAtOffsetMatchOption);
        if (!match.hasMatch())
            return fail(Error::invalidArgument(
                QStringLiteral("'%1' is not a duration; write a number with a unit: ms, s, m, h or d (e.g. 30s, 5m, 1h30m)")
                    .arg(text)));
        bool ok = false;
        const qint64 amount = match.captured(1).toLongLong(&ok);
        if (!ok || amount > 1'000'000'000)
            return fail(Error::invalidArgument(QStringLiteral("duration '%1' is too large").arg(text)));
        const QString unit = match.captured(2);
        qint64 factor = 1;
        if (unit == QLatin1String("s"))
            factor = 1000;
        else if (unit == QLatin1String("m"))
            factor = 60'000;
        else if (unit == QLatin1String("h"))
            factor = 3'600'000;
        else if (unit == QLatin1String("d"))
            factor = 86'400'000;
        total += amount * factor;
        position = match.capturedEnd();
    }
    return std::chrono::milliseconds(total);
}

QString formatDuration(std::chrono::milliseconds duration)
{
    qint64 ms = duration.count();
    if (ms == 0)
        return QStringLiteral("0s");
    QString out;
    if (ms < 0) {
        out += QLatin1Char('-');
        ms = -ms;
    }
    const struct {
        qint64 factor;
        const char *unit;
    } units[] = {{86'400'000, "d"}, {3'600'000, "h"}, {60'000, "m"}, {1000, "s"}, {1, "ms"}};
    for (const auto &u : units) {
        if (ms >= u.factor) {
            out += QString::number(ms / u.factor) + QLatin1String(u.unit);
            ms %= u.factor;
        }
    }
    return out;
}

} // namespace clerk
