#include "core/business_hours.h"

#include <QRegularExpression>
#include <QStringList>

namespace clerk {

namespace {

int dayNumber(const QString &name)
{
    static const QStringList names{QStringLiteral("mon"), QStringLiteral("tue"), QStringLiteral("wed"),
                                   QStringLiteral("thu"), QStringLiteral("fri"), QStringLiteral("sat"),
                                   QStringLiteral("sun")};
    const auto index = names.indexOf(name.trimmed().toLower());
    return index < 0 ? 0 : static_cast<int>(index) + 1;
}

int minuteOf(const QString &text)
{
    if (text == QLatin1String("24:00"))
        return 24 * 60;
    const QTime time = QTime::fromString(text, QStringLiteral("HH:mm"));
    return time.isValid() ? time.hour() * 60 + time.minute() : -1;
}

} // namespace

Result<BusinessHours> BusinessHours::parse(const QString &text, const QTimeZone &zone)
{
    static const QRegularExpression pattern(QStringLiteral("^\\s*(\\S+(?:\\s*,\\s*\\S+)*)\\s+(\\d\\d:\\d\\d)\\s*-\\s*(\\d\\d:\\d\\d)\\s*$"));
    const auto match = pattern.match(text);
    const auto invalid = [&text] {
        return fail(Error::invalidArgument(
            QStringLiteral("business hours '%1' are not days then times, such as 'Mon-Fri 08:00-18:00'").arg(text)));
    };
    if (!match.hasMatch() || !zone.isValid())
        return invalid();
    BusinessHours hours;
    hours.m_zone = zone;
    for (const QString &part : match.captured(1).split(QLatin1Char(','))) {
        const QStringList ends = part.split(QLatin1Char('-'));
        if (ends.size() > 2)
            return invalid();
        const int first = dayNumber(ends.first());
        const int last = dayNumber(ends.last());
        if (first == 0 || last == 0)
            return invalid();
        for (int day = first;; day = day % 7 + 1) {
            hours.m_days.set(static_cast<std::size_t>(day));
            if (day == last)
                break;
        }
    }
    hours.m_startMinute = minuteOf(match.captured(2));
    hours.m_endMinute = minuteOf(match.captured(3));
    if (hours.m_startMinute < 0 || hours.m_startMinute >= 24 * 60 || hours.m_endMinute <= hours.m_startMinute)
        return invalid();
    return hours;
}

bool BusinessHours::contains(const QDateTime &instant) const
{
    const QDateTime local = instant.toTimeZone(m_zone);
    if (!m_days.test(static_cast<std::size_t>(local.date().dayOfWeek())))
        return false;
    const int minute = local.time().hour() * 60 + local.time().minute();
    return minute >= m_startMinute && minute < m_endMinute;
}

} // namespace clerk
