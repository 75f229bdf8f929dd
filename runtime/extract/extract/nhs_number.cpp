// NHS numbers: ten digits with a modulus 11 check digit. Candidates are read with OCR
// corrections, then checked; a wrong check digit makes an invalid candidate, never a
// match, because a wrong NHS number routed into a care record is a serious incident.
#include "extract/extractors.h"
#include "extract/text_scan_p.h"

namespace clerk::extract {

using namespace detail;

namespace {

bool isSeparator(QChar c)
{
    return c == QLatin1Char(' ') || c == QLatin1Char('-');
}

bool isDigitLike(QChar c)
{
    int ignored = 0;
    return asDigit(c, ignored).has_value();
}

struct Reading {
    QString digits;
    QList<int> groups;  // lengths of the digit groups between separators
    int corrections = 0;
    qsizetype end = 0;
};

// Reads ten digit-like characters from `start`, allowing one space or hyphen between any
// two. nullopt when there are fewer, or when the digits run on into a longer number.
std::optional<Reading> readTenDigits(const QString &text, qsizetype start)
{
    Reading reading;
    qsizetype i = start;
    int group = 0;
    while (reading.digits.size() < 10) {
        if (i >= text.size())
            return std::nullopt;
        const auto digit = asDigit(text[i], reading.corrections);
        if (digit) {
            reading.digits += *digit;
            ++group;
            ++i;
            continue;
        }
        if (group > 0 && isSeparator(text[i]) && i + 1 < text.size() && isDigitLike(text[i + 1])) {
            reading.groups.append(group);
            group = 0;
            ++i;
            continue;
        }
        return std::nullopt;
    }
    reading.groups.append(group);
    reading.end = i;
    if (i < text.size() && isWordChar(text[i]))
        return std::nullopt;
    // "0113 496 0000 1": a digit after one separator continues the number.
    if (i + 1 < text.size() && isSeparator(text[i]) && text[i + 1].isDigit())
        return std::nullopt;
    return reading;
}

} // namespace

bool isValidNhsNumber(const QString &digits)
{
    if (digits.size() != 10)
        return false;
    int sum = 0;
    for (int i = 0; i < 9; ++i) {
        if (!digits[i].isDigit())
            return false;
        sum += digits[i].digitValue() * (10 - i);
    }
    int check = 11 - (sum % 11);
    if (check == 11)
        check = 0;
    return check != 10 && digits[9].isDigit() && digits[9].digitValue() == check;
}

QList<FieldMatch> findNhsNumbers(const QString &text)
{
    QList<FieldMatch> found;
    qsizetype i = 0;
    while (i < text.size()) {
        const bool boundary = i == 0 || !isWordChar(text[i - 1]);
        // A digit one separator before this one means we are inside a longer number.
        bool insideNumber = i >= 2 && isSeparator(text[i - 1]) && text[i - 2].isDigit();
        // "(0)7700 900456", "(0113) 496 0000": the rest of a telephone number.
        qsizetype before = i - 1;
        while (before >= 0 && text[before] == QLatin1Char(' '))
            --before;
        if (before >= 1 && text[before] == QLatin1Char(')') && text[before - 1].isDigit())
            insideNumber = true;
        if (!boundary || insideNumber || !isDigitLike(text[i])) {
            ++i;
            continue;
        }
        const auto reading = readTenDigits(text, i);
        if (!reading || reading->corrections > 2 || reading->digits.size() - reading->corrections < 8) {
            ++i;
            continue;
        }
        FieldMatch match;
        match.raw = text.mid(i, reading->end - i);
        match.offset = i;
        match.value = reading->digits;
        const bool usual = reading->groups == QList<int>{10} || reading->groups == QList<int>{3, 3, 4};
        if (reading->digits.count(reading->digits[0]) == 10) {
            match.reasons.append(QStringLiteral("all digits are the same"));
        } else if (!isValidNhsNumber(reading->digits)) {
            match.reasons.append(QStringLiteral("check digit does not match"));
        } else {
            match.valid = true;
            match.confidence = confidenceAfter(usual ? 0.9 : 0.85, reading->corrections);
            if (!usual)
                match.reasons.append(QStringLiteral("digits not grouped 3-3-4"));
        }
        if (reading->corrections > 0)
            match.reasons.append(correctionReason(reading->corrections));
        found.append(match);
        i = reading->end;
    }
    return found;
}

} // namespace clerk::extract
