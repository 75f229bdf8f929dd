// Dates, read day first as UK post writes them.
#include "extract/extractors.h"
#include "extract/text_scan_p.h"

#include <QRegularExpression>

#include <algorithm>

namespace clerk::extract {

using namespace detail;

namespace {

const char *const kMonths = "january|february|march|april|may|june|july|august|september|october|november|december|"
                            "jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec";

int monthNumber(const QString &name)
{
    static const QStringList prefixes = {QStringLiteral("jan"), QStringLiteral("feb"), QStringLiteral("mar"),
                                         QStringLiteral("apr"), QStringLiteral("may"), QStringLiteral("jun"),
                                         QStringLiteral("jul"), QStringLiteral("aug"), QStringLiteral("sep"),
                                         QStringLiteral("oct"), QStringLiteral("nov"), QStringLiteral("dec")};
    return static_cast<int>(prefixes.indexOf(name.left(3).toLower())) + 1;
}

struct Pattern {
    QRegularExpression re;
    int day;    // capture group numbers
    int month;
    int year;
    bool monthIsName;
};

const QList<Pattern> &patterns()
{
    static const QList<Pattern> list = [] {
        const auto options = QRegularExpression::CaseInsensitiveOption | QRegularExpression::UseUnicodePropertiesOption;
        const QString months = QString::fromLatin1(kMonths);
        const QString d = QStringLiteral("[0-9OoIl]");
        return QList<Pattern>{
            // 03/03/1952, 3/3/52, 03-03-1952, 03.03.1952 (the same separator twice)
            {QRegularExpression(QStringLiteral("(?<![\\p{L}\\p{N}])(%1{1,2}) ?([/.\\-]) ?(%1{1,2}) ?\\2 ?(%1{4}|%1{2})(?![\\p{N}])")
                                    .arg(d),
                                options),
             1, 3, 4, false},
            // 1952-03-03
            {QRegularExpression(QStringLiteral("(?<![\\p{L}\\p{N}])(\\d{4})-(\\d{1,2})-(\\d{1,2})(?![\\p{N}])"), options), 3, 2, 1,
             false},
            // 3rd March 1952, 3 Mar 1952, 3 of March, 1952
            {QRegularExpression(QStringLiteral("(?<![\\p{L}\\p{N}])(\\d{1,2})(?:st|nd|rd|th)?\\.? *(?:of +)?(%1)(?![\\p{L}])\\.?,? *(\\d{4}|\\d{2})(?![\\p{N}])")
                                    .arg(months),
                                options),
             1, 2, 3, true},
            // March 3, 1952; March 3rd 1952
            {QRegularExpression(QStringLiteral("(?<![\\p{L}])(%1)(?![\\p{L}])\\.? +(\\d{1,2})(?:st|nd|rd|th)?,? +(\\d{4})(?![\\p{N}])")
                                    .arg(months),
                                options),
             2, 1, 3, true},
        };
    }();
    return list;
}

int readNumber(const QString &raw, int &corrections)
{
    QString digits;
    for (const QChar c : raw)
        digits += *asDigit(c, corrections);
    return digits.toInt();
}

// The full year for a two-digit one (see extractors.h).
int fullYear(int twoDigits, int day, int month, const DateOptions &options, const QDate &reference)
{
    const int century = reference.year() / 100 * 100;
    if (options.pastOnly) {
        const QDate candidate(century + twoDigits, month, day);
        const QDate compared = candidate.isValid() ? candidate : QDate(century + twoDigits, std::clamp(month, 1, 12), 1);
        return compared <= reference ? century + twoDigits : century - 100 + twoDigits;
    }
    return twoDigits <= reference.year() % 100 + 10 ? century + twoDigits : century - 100 + twoDigits;
}

} // namespace

QList<FieldMatch> findDates(const QString &text, const DateOptions &options)
{
    const QDate reference = options.reference.isValid() ? options.reference : QDate::currentDate();
    QList<FieldMatch> found;
    for (const Pattern &pattern : patterns()) {
        auto it = pattern.re.globalMatch(text);
        while (it.hasNext()) {
            const auto m = it.next();
            const qsizetype start = m.capturedStart();
            const qsizetype end = m.capturedEnd();
            // Patterns are tried in order; a later one never re-reads text an earlier one took.
            const bool taken = std::any_of(found.begin(), found.end(), [&](const FieldMatch &f) {
                return start < f.offset + f.raw.size() && f.offset < end;
            });
            if (taken)
                continue;
            int corrections = 0;
            const int day = readNumber(m.captured(pattern.day), corrections);
            const int month = pattern.monthIsName ? monthNumber(m.captured(pattern.month))
                                                  : readNumber(m.captured(pattern.month), corrections);
            const QString yearText = m.captured(pattern.year);
            int year = readNumber(yearText, corrections);
            if (corrections > 2 || (corrections > 0 && m.captured(0).size() - corrections < 4))
                continue;

            FieldMatch match;
            match.raw = m.captured(0);
            match.offset = start;
            double base = 0.9;
            if (yearText.size() == 2) {
                year = fullYear(year, day, month, options, reference);
                base = 0.8;
                match.reasons.append(QStringLiteral("two-digit year"));
            }
            const QDate date(year, month, day);
            if (month < 1 || month > 12) {
                match.reasons.append(QStringLiteral("month out of range"));
            } else if (!date.isValid()) {
                match.reasons.append(QStringLiteral("no such day in that month"));
            } else if (year < 1880 || year > reference.year() + 30) {
                match.reasons.append(QStringLiteral("year out of range"));
            } else if (options.pastOnly && date > reference) {
                match.reasons.append(QStringLiteral("date is in the future"));
            } else {
                match.valid = true;
                match.confidence = confidenceAfter(base, corrections);
            }
            if (date.isValid())
                match.value = date.toString(Qt::ISODate);
            if (corrections > 0)
                match.reasons.append(correctionReason(corrections));
            found.append(match);
        }
    }
    std::sort(found.begin(), found.end(), [](const FieldMatch &a, const FieldMatch &b) { return a.offset < b.offset; });
    return found;
}

} // namespace clerk::extract
