#include "core/cron_expression.h"

#include <QStringList>
#include <array>

namespace clerk {

namespace {

struct FieldInfo {
    const char *name;
    int minimum;
    int maximum;
    const char *const *names;  // three-letter names for minimum.., or nullptr
};

constexpr const char *kMonthNames[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                       "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
constexpr const char *kDayNames[] = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};

// Day of week accepts 7 as a second Sunday; it is folded to 0 after parsing.
constexpr std::array<FieldInfo, 5> kFields = {{
    {"minute", 0, 59, nullptr},
    {"hour", 0, 23, nullptr},
    {"day-of-month", 1, 31, nullptr},
    {"month", 1, 12, kMonthNames},
    {"day-of-week", 0, 7, kDayNames},
}};

Result<int> parseValue(const QString &text, const FieldInfo &field)
{
    if (field.names) {
        const int count = field.maximum - field.minimum + 1 - (field.maximum == 7 ? 1 : 0);
        for (int i = 0; i < count; ++i) {
            if (text.compare(QLatin1String(field.names[i]), Qt::CaseInsensitive) == 0)
                return field.minimum + i;
        }
    }
    bool ok = false;
    const int value = text.toInt(&ok);
    bool digitsOnly = !text.isEmpty();
    for (const QChar c : text)
        digitsOnly = digitsOnly && c.isDigit() && c.unicode() < 128;
    if (!ok || !digitsOnly) {
        QString hint;
        if (field.names == kMonthNames)
            hint = QStringLiteral(" (use 1-12 or JAN-DEC)");
        else if (field.names == kDayNames)
            hint = QStringLiteral(" (use 0-7 or SUN-SAT)");
        return fail(Error::invalidArgument(
            QStringLiteral("%1 '%2' is not a number%3").arg(QLatin1String(field.name), text, hint)));
    }
    if (value < field.minimum || value > field.maximum)
        return fail(Error::invalidArgument(QStringLiteral("%1 %2 is out of range %3-%4")
                                               .arg(QLatin1String(field.name))
                                               .arg(value)
                                               .arg(field.minimum)
                                               .arg(field.maximum)));
    return value;
}

// Parses one field into `bits` (indexed by value). Returns the error for the field.
template <std::size_t N>
Status parseField(const QString &text, const FieldInfo &field, std::bitset<N> &bits)
{
    const QString fieldName = QLatin1String(field.name);
    if (text.isEmpty())
        return fail(Error::invalidArgument(QStringLiteral("%1 is empty").arg(fieldName)));
    const QStringList items = text.split(QLatin1Char(','));
    for (const QString &item : items) {
        if (item.isEmpty())
            return fail(Error::invalidArgument(
                QStringLiteral("%1 '%2' has an empty list entry").arg(fieldName, text)));
        QString range = item;
        int step = 1;
        const qsizetype slash = item.indexOf(QLatin1Char('/'));
        if (slash >= 0) {
            range = item.left(slash);
            const QString stepText = item.mid(slash + 1);
            bool ok = false;
            step = stepText.toInt(&ok);
            if (!ok || stepText.startsWith(QLatin1Char('+')) || stepText.startsWith(QLatin1Char('-')))
                return fail(Error::invalidArgument(
                    QStringLiteral("%1 step '%2' is not a number").arg(fieldName, stepText)));
            if (step < 1 || step > field.maximum)
                return fail(Error::invalidArgument(QStringLiteral("%1 step %2 is out of range 1-%3")
                                                       .arg(fieldName)
                                                       .arg(step)
                                                       .arg(field.maximum)));
        }
        int first = field.minimum;
        int last = field.maximum;
        if (range == QLatin1String("*")) {
            if (field.maximum == 7)
                last = 6;  // "*" means each day once, not Sunday twice
        } else {
            const qsizetype dash = range.indexOf(QLatin1Char('-'));
            if (dash >= 0) {
                auto low = parseValue(range.left(dash), field);
                if (!low)
                    return fail(low.error());
                auto high = parseValue(range.mid(dash + 1), field);
                if (!high)
                    return fail(high.error());
                first = *low;
                last = *high;
                if (first > last)
                    return fail(Error::invalidArgument(QStringLiteral("%1 range %2 goes backwards")
                                                           .arg(fieldName, range)));
            } else {
                auto value = parseValue(range, field);
                if (!value)
                    return fail(value.error());
                first = *value;
                // "5/15" means from 5 to the end in steps of 15; a lone "5" is just 5.
                last = slash >= 0 ? field.maximum : first;
            }
        }
        for (int v = first; v <= last; v += step)
            bits.set(static_cast<std::size_t>(field.maximum == 7 && v == 7 ? 0 : v));
    }
    return {};
}

QString expandMacro(const QString &text)
{
    const QString lower = text.toLower();
    if (lower == QLatin1String("@yearly") || lower == QLatin1String("@annually"))
        return QStringLiteral("0 0 1 1 *");
    if (lower == QLatin1String("@monthly"))
        return QStringLiteral("0 0 1 * *");
    if (lower == QLatin1String("@weekly"))
        return QStringLiteral("0 0 * * 0");
    if (lower == QLatin1String("@daily") || lower == QLatin1String("@midnight"))
        return QStringLiteral("0 0 * * *");
    if (lower == QLatin1String("@hourly"))
        return QStringLiteral("0 * * * *");
    return {};
}

} // namespace

Result<CronExpression> CronExpression::parse(const QString &text)
{
    QString expression = text.simplified();
    if (expression.isEmpty())
        return fail(Error::invalidArgument(
            QStringLiteral("empty cron expression; write five fields such as '0 7 * * MON-FRI' or @daily")));
    if (expression.startsWith(QLatin1Char('@'))) {
        const QString expanded = expandMacro(expression);
        if (expanded.isEmpty())
            return fail(Error::invalidArgument(
                QStringLiteral("unknown cron macro '%1'; use @yearly, @annually, @monthly, @weekly, "
                               "@daily, @midnight or @hourly")
                    .arg(expression)));
        expression = expanded;
    }
    const QStringList fields = expression.split(QLatin1Char(' '));
    if (fields.size() != 5)
        return fail(Error::invalidArgument(
            QStringLiteral("a cron expression has 5 fields (minute hour day-of-month month day-of-week), got %1")
                .arg(fields.size())));

    CronExpression cron;
    cron.m_source = text.trimmed();
    Status status = parseField(fields[0], kFields[0], cron.m_minutes);
    if (status)
        status = parseField(fields[1], kFields[1], cron.m_hours);
    if (status)
        status = parseField(fields[2], kFields[2], cron.m_daysOfMonth);
    if (status)
        status = parseField(fields[3], kFields[3], cron.m_months);
    std::bitset<8> daysOfWeek;
    if (status)
        status = parseField(fields[4], kFields[4], daysOfWeek);
    if (!status)
        return fail(status.error());
    for (std::size_t i = 0; i < 7; ++i)
        cron.m_daysOfWeek.set(i, daysOfWeek.test(i));
    cron.m_dayOfMonthRestricted = !fields[2].startsWith(QLatin1Char('*'));
    cron.m_dayOfWeekRestricted = !fields[4].startsWith(QLatin1Char('*'));
    return cron;
}

bool CronExpression::matchesDate(const QDate &date) const
{
    if (!date.isValid() || !m_months.test(static_cast<std::size_t>(date.month())))
        return false;
    const bool dayOfMonth = m_daysOfMonth.test(static_cast<std::size_t>(date.day()));
    const bool dayOfWeek = m_daysOfWeek.test(static_cast<std::size_t>(date.dayOfWeek() % 7));
    if (m_dayOfMonthRestricted && m_dayOfWeekRestricted)
        return dayOfMonth || dayOfWeek;
    return dayOfMonth && dayOfWeek;
}

bool CronExpression::matches(const QDateTime &localTime) const
{
    if (!localTime.isValid())
        return false;
    const QTime time = localTime.time();
    return m_minutes.test(static_cast<std::size_t>(time.minute()))
        && m_hours.test(static_cast<std::size_t>(time.hour())) && matchesDate(localTime.date());
}

std::optional<QDateTime> CronExpression::next(const QDateTime &after, const QTimeZone &zone) const
{
    if (!after.isValid() || !zone.isValid())
        return std::nullopt;
    const QDateTime start = after.toTimeZone(zone);
    const QDate firstDate = start.date();
    constexpr int kSearchDays = 5 * 366 + 1;
    for (int offset = 0; offset < kSearchDays; ++offset) {
        const QDate date = firstDate.addDays(offset);
        if (!matchesDate(date))
            continue;
        for (int hour = 0; hour < 24; ++hour) {
            if (!m_hours.test(static_cast<std::size_t>(hour)))
                continue;
            for (int minute = 0; minute < 60; ++minute) {
                if (!m_minutes.test(static_cast<std::size_t>(minute)))
                    continue;
                const QDateTime candidate(date, QTime(hour, minute), zone);
                // In a daylight-saving gap Qt moves the time; such a minute does not exist.
                if (!candidate.isValid() || candidate.time() != QTime(hour, minute)
                    || candidate.date() != date)
                    continue;
                if (candidate > after)
                    return candidate;
            }
        }
    }
    return std::nullopt;
}

} // namespace clerk
