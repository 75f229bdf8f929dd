// CronExpression: the schedule of a cron-triggered bot, as written in its bot file.
//
// Five fields separated by spaces: minute (0-59), hour (0-23), day of month (1-31),
// month (1-12 or JAN-DEC) and day of week (0-7 or SUN-SAT; 0 and 7 are Sunday).
// Each field is `*`, a value, a range `1-5`, a step `*/15` or `1-30/2`, or a comma
// separated list of those. Names are case-insensitive. The macros @yearly (@annually),
// @monthly, @weekly, @daily (@midnight) and @hourly stand for their usual expansions.
//
// As in the classic Vixie cron: when both day of month and day of week are restricted
// (neither starts with `*`), a day matches when EITHER of them matches; otherwise both
// must match.
//
// Thread-safety: a parsed CronExpression is an immutable value.
#pragma once

#include "core/error.h"

#include <QDateTime>
#include <QString>
#include <QTimeZone>
#include <bitset>
#include <optional>

namespace clerk {

class CronExpression {
public:
    // Parses `text`. Fails with InvalidArgument and a message naming the wrong field,
    // e.g. "minute 60 is out of range 0-59".
    static Result<CronExpression> parse(const QString &text);

    // True when the wall-clock minute of `localTime` (its date() and time(), seconds
    // ignored) is one the expression fires at. The caller converts to the bot's zone.
    bool matches(const QDateTime &localTime) const;

    // The first firing time strictly after `after`, evaluated on the wall clock of
    // `zone`. Minutes that do not exist in `zone` (a daylight-saving gap) are skipped;
    // a repeated hour (clocks going back) fires once. Returns nullopt when nothing
    // matches within the next five years (e.g. "0 0 30 2 *").
    std::optional<QDateTime> next(const QDateTime &after, const QTimeZone &zone) const;

    // The text the expression was parsed from.
    QString source() const { return m_source; }

private:
    bool matchesDate(const QDate &date) const;

    QString m_source;
    std::bitset<60> m_minutes;
    std::bitset<24> m_hours;
    std::bitset<32> m_daysOfMonth;  // bit 0 unused
    std::bitset<13> m_months;       // bit 0 unused
    std::bitset<7> m_daysOfWeek;    // 0 = Sunday
    bool m_dayOfMonthRestricted = false;
    bool m_dayOfWeekRestricted = false;
};

} // namespace clerk
