// BusinessHours: a weekly window of hours (a trigger's business_hours, when runs may start;
// an escalate rule's, when urgent work goes to the day team).
//
// Written as days then times: "Mon-Fri 08:00-18:00", "Mon,Wed 09:00-12:30",
// "Sat 09:00-24:00". Days are names (any case), single or ranges (a range may wrap:
// "Fri-Mon"), separated by commas. The window is [start, end) on the wall clock of the
// trigger's time zone: 18:00 itself is outside "08:00-18:00".
//
// Thread-safety: an immutable value.
#pragma once

#include "core/error.h"

#include <QDateTime>
#include <QString>
#include <QTime>
#include <QTimeZone>
#include <bitset>

namespace clerk {

class BusinessHours {
public:
    // Fails with InvalidArgument when `text` is not in the form above (the bot loader
    // checks it first, so a loaded bot's window always parses).
    static Result<BusinessHours> parse(const QString &text, const QTimeZone &zone);

    // True when `instant` (any time spec) falls inside the window in the zone.
    bool contains(const QDateTime &instant) const;

private:
    std::bitset<8> m_days;  // Qt day numbers: 1 = Monday ... 7 = Sunday
    int m_startMinute = 0;  // minutes since midnight
    int m_endMinute = 0;    // exclusive; 1440 for 24:00
    QTimeZone m_zone;
};

} // namespace clerk
