#include "match/comparators.h"

#include "match/name_variants.h"
#include "match/string_similarity.h"

#include <QDate>

#include <algorithm>
#include <array>
#include <optional>

namespace clerk::match {

namespace {

struct KindName {
    ComparatorKind kind;
    const char16_t *name;
};

constexpr std::array kKindNames{
    KindName{ComparatorKind::Exact, u"exact"},
    KindName{ComparatorKind::Levenshtein, u"levenshtein"},
    KindName{ComparatorKind::JaroWinkler, u"jaro_winkler"},
    KindName{ComparatorKind::Name, u"name"},
    KindName{ComparatorKind::Date, u"date"},
    KindName{ComparatorKind::Postcode, u"postcode"},
    KindName{ComparatorKind::NhsNumber, u"nhs_number"},
    KindName{ComparatorKind::Identifier, u"identifier"},
};

bool isAsciiDigit(QChar c)
{
    return c >= u'0' && c <= u'9';
}

bool allDigits(QStringView s)
{
    for (QChar c : s) {
        if (!isAsciiDigit(c))
            return false;
    }
    return true;
}

// Lower case, accents dropped, apostrophes removed, other punctuation a single space.
QString cleanText(QStringView raw)
{
    const QString decomposed = raw.toString().normalized(QString::NormalizationForm_KD);
    QString out;
    out.reserve(decomposed.size());
    bool pendingSpace = false;
    for (QChar c : decomposed) {
        if (c.category() == QChar::Mark_NonSpacing)
            continue;
        if (c == u'\'' || c == u'\u2019')
            continue;
        if (c.isLetterOrNumber()) {
            if (pendingSpace && !out.isEmpty())
                out.append(u' ');
            pendingSpace = false;
            out.append(c.toLower());
        } else {
            pendingSpace = true;
        }
    }
    return out;
}

// Letters and digits only, upper case.
QString compactUpper(QStringView raw)
{
    QString out;
    out.reserve(raw.size());
    for (QChar c : raw) {
        if (c.isLetterOrNumber())
            out.append(c.toUpper());
    }
    return out;
}

QString normaliseDate(QStringView raw)
{
    const QString text = raw.trimmed().toString();
    if (text.isEmpty())
        return {};
    if (text.size() == 8 && allDigits(text))
        return text;
    QStringList parts;
    QString current;
    for (QChar c : text) {
        if (isAsciiDigit(c)) {
            current.append(c);
        } else if (!current.isEmpty()) {
            parts.append(current);
            current.clear();
        }
    }
    if (!current.isEmpty())
        parts.append(current);
    if (parts.size() == 3) {
        QString year, month, day;
        if (parts[0].size() == 4) { // YYYY-MM-DD
            year = parts[0];
            month = parts[1];
            day = parts[2];
        } else if (parts[2].size() == 4) { // DD/MM/YYYY, the UK order
            year = parts[2];
            month = parts[1];
            day = parts[0];
        }
        if (!year.isEmpty() && month.size() <= 2 && day.size() <= 2 && !month.isEmpty() && !day.isEmpty())
            return year + month.rightJustified(2, u'0') + day.rightJustified(2, u'0');
    }
    return cleanText(text);
}

ComparisonLevel compareDates(QStringView a, QStringView b)
{
    if (a == b)
        return ComparisonLevel::Exact;
    if (a.size() != 8 || b.size() != 8 || !allDigits(a) || !allDigits(b))
        return ComparisonLevel::Different;
    const QStringView yearA = a.first(4), yearB = b.first(4);
    const QStringView monthA = a.mid(4, 2), monthB = b.mid(4, 2);
    const QStringView dayA = a.mid(6, 2), dayB = b.mid(6, 2);
    if (yearA == yearB && monthA == dayB && dayA == monthB)
        return ComparisonLevel::Close;
    if (isOneEditApart(a, b))
        return ComparisonLevel::Close;
    if (yearA == yearB && (monthA == monthB || dayA == dayB))
        return ComparisonLevel::Partial;
    if (yearA == yearB)
        return ComparisonLevel::Weak;
    return ComparisonLevel::Different;
}

ComparisonLevel comparePostcodes(QStringView a, QStringView b)
{
    if (a == b)
        return ComparisonLevel::Exact;
    const UkPostcode ukA = parseUkPostcode(a);
    const UkPostcode ukB = parseUkPostcode(b);
    if (ukA.isValid() && ukB.isValid()) {
        if (ukA.sector == ukB.sector)
            return ComparisonLevel::Close;
        if (ukA.district == ukB.district)
            return ComparisonLevel::Partial;
        if (ukA.area == ukB.area)
            return ComparisonLevel::Weak;
        return ComparisonLevel::Different;
    }
    if (isOneEditApart(a, b))
        return ComparisonLevel::Close;
    if (a.size() >= 3 && b.size() >= 3 && a.first(2) == b.first(2))
        return ComparisonLevel::Weak;
    return ComparisonLevel::Different;
}

ComparisonLevel compareNhsNumbers(QStringView a, QStringView b)
{
    if (a == b)
        return ComparisonLevel::Exact;
    const bool validA = isValidNhsNumber(a), validB = isValidNhsNumber(b);
    if (validA && validB)
        return ComparisonLevel::Different;
    // A failed check digit is a typo: near the other number it is evidence, otherwise none.
    return isOneEditApart(a, b) ? ComparisonLevel::Close : ComparisonLevel::Missing;
}

// Double and hyphenated names ("alec tweedie" once the hyphen is a space): the same words
// in another order are Close; every word of a one-word name found among the other's words
// is Partial ("tweedie" in "alec tweedie"); nothing otherwise.
std::optional<ComparisonLevel> compareNameWords(QStringView a, QStringView b)
{
    if (!a.contains(u' ') && !b.contains(u' '))
        return std::nullopt;
    QList<QStringView> wordsA = a.split(u' ', Qt::SkipEmptyParts), wordsB = b.split(u' ', Qt::SkipEmptyParts);
    std::sort(wordsA.begin(), wordsA.end());
    std::sort(wordsB.begin(), wordsB.end());
    if (wordsA == wordsB)
        return ComparisonLevel::Close;
    const QList<QStringView> &shorter = wordsA.size() < wordsB.size() ? wordsA : wordsB;
    const QList<QStringView> &longer = wordsA.size() < wordsB.size() ? wordsB : wordsA;
    if (shorter.size() == 1 && shorter.first().size() >= 3 && longer.contains(shorter.first()))
        return ComparisonLevel::Partial;
    return std::nullopt;
}

ComparisonLevel compareNames(QStringView a, QStringView b, bool shortForms)
{
    if (a == b)
        return ComparisonLevel::Exact;
    const double similarity = jaroWinkler(a, b);
    if (similarity >= 0.92 || (shortForms && areNameVariants(a, b)))
        return ComparisonLevel::Close;
    const std::optional<ComparisonLevel> byWords = compareNameWords(a, b);
    if (byWords == ComparisonLevel::Close)
        return ComparisonLevel::Close;
    if (nysiis(a) == nysiis(b) || byWords)
        return ComparisonLevel::Partial;
    if (similarity >= 0.8)
        return ComparisonLevel::Weak;
    return ComparisonLevel::Different;
}

} // namespace

void compareSwappedNames(QStringView queryA, QStringView queryB, QStringView candidateA, QStringView candidateB,
                         ComparisonLevel &levelA, ComparisonLevel &levelB, bool shortForms)
{
    const auto agrees = [](ComparisonLevel level) { return level == ComparisonLevel::Exact || level == ComparisonLevel::Close; };
    if (agrees(levelA) || agrees(levelB))
        return;
    const ComparisonLevel crossA =
        queryA.isEmpty() || candidateB.isEmpty() ? ComparisonLevel::Missing : compareNames(queryA, candidateB, shortForms);
    const ComparisonLevel crossB =
        queryB.isEmpty() || candidateA.isEmpty() ? ComparisonLevel::Missing : compareNames(queryB, candidateA, shortForms);
    if (agrees(crossA) && agrees(crossB)) {
        levelA = levelB = ComparisonLevel::Close;
    } else if (agrees(crossA) && crossB == ComparisonLevel::Missing && levelB == ComparisonLevel::Missing) {
        levelB = crossA;  // the lone name is the candidate's other name: weigh it as that field
        levelA = ComparisonLevel::Missing;
    } else if (agrees(crossB) && crossA == ComparisonLevel::Missing && levelA == ComparisonLevel::Missing) {
        levelA = crossB;
        levelB = ComparisonLevel::Missing;
    }
}

QString toString(ComparisonLevel level)
{
    switch (level) {
    case ComparisonLevel::Exact: return QStringLiteral("exact");
    case ComparisonLevel::Close: return QStringLiteral("close");
    case ComparisonLevel::Partial: return QStringLiteral("partial");
    case ComparisonLevel::Weak: return QStringLiteral("weak");
    case ComparisonLevel::Different: return QStringLiteral("different");
    case ComparisonLevel::Missing: return QStringLiteral("missing");
    }
    return {};
}

QString toString(ComparatorKind kind)
{
    for (const KindName &entry : kKindNames) {
        if (entry.kind == kind)
            return QString::fromUtf16(entry.name);
    }
    return {};
}

QStringList comparatorKindNames()
{
    QStringList names;
    for (const KindName &entry : kKindNames)
        names.append(QString::fromUtf16(entry.name));
    return names;
}

Result<ComparatorKind> parseComparatorKind(const QString &name)
{
    for (const KindName &entry : kKindNames) {
        if (name == QStringView(entry.name))
            return entry.kind;
    }
    return fail(Error::invalidArgument(QStringLiteral("unknown comparator \"%1\" (known: %2)")
                                           .arg(name, comparatorKindNames().join(QStringLiteral(", ")))));
}

bool comparatorUsesLevel(ComparatorKind kind, ComparisonLevel level)
{
    if (level == ComparisonLevel::Exact || level == ComparisonLevel::Different)
        return true;
    switch (kind) {
    case ComparatorKind::Exact: return false;
    case ComparatorKind::Levenshtein: return level == ComparisonLevel::Close || level == ComparisonLevel::Partial;
    case ComparatorKind::JaroWinkler:
    case ComparatorKind::Name:
    case ComparatorKind::Date:
    case ComparatorKind::Postcode: return level != ComparisonLevel::Missing;
    case ComparatorKind::NhsNumber:
    case ComparatorKind::Identifier: return level == ComparisonLevel::Close;
    }
    return false;
}

QString normaliseValue(ComparatorKind kind, QStringView raw)
{
    switch (kind) {
    case ComparatorKind::Date: return normaliseDate(raw);
    case ComparatorKind::Postcode:
    case ComparatorKind::Identifier: return compactUpper(raw);
    case ComparatorKind::NhsNumber: {
        QString digits;
        for (QChar c : raw) {
            if (isAsciiDigit(c))
                digits.append(c);
        }
        return digits;
    }
    case ComparatorKind::Exact:
    case ComparatorKind::Levenshtein:
    case ComparatorKind::JaroWinkler:
    case ComparatorKind::Name: return cleanText(raw);
    }
    return cleanText(raw);
}

ComparisonLevel compare(ComparatorKind kind, QStringView query, QStringView candidate, bool shortForms)
{
    if (query.isEmpty() || candidate.isEmpty())
        return ComparisonLevel::Missing;
    switch (kind) {
    case ComparatorKind::Exact:
        return query == candidate ? ComparisonLevel::Exact : ComparisonLevel::Different;
    case ComparatorKind::Levenshtein: {
        if (query == candidate)
            return ComparisonLevel::Exact;
        const double similarity = normalisedLevenshtein(query, candidate);
        if (similarity >= 0.8)
            return ComparisonLevel::Close;
        return similarity >= 0.6 ? ComparisonLevel::Partial : ComparisonLevel::Different;
    }
    case ComparatorKind::JaroWinkler: {
        if (query == candidate)
            return ComparisonLevel::Exact;
        const double similarity = jaroWinkler(query, candidate);
        if (similarity >= 0.94)
            return ComparisonLevel::Close;
        if (similarity >= 0.88)
            return ComparisonLevel::Partial;
        return similarity >= 0.8 ? ComparisonLevel::Weak : ComparisonLevel::Different;
    }
    case ComparatorKind::Name: return compareNames(query, candidate, shortForms);
    case ComparatorKind::Date: return compareDates(query, candidate);
    case ComparatorKind::Postcode: return comparePostcodes(query, candidate);
    case ComparatorKind::NhsNumber: return compareNhsNumbers(query, candidate);
    case ComparatorKind::Identifier:
        if (query == candidate)
            return ComparisonLevel::Exact;
        return isOneEditApart(query, candidate) ? ComparisonLevel::Close : ComparisonLevel::Different;
    }
    return ComparisonLevel::Different;
}

bool isCompleteDate(QStringView normalised)
{
    if (normalised.size() != 8 || !allDigits(normalised))
        return false;
    const int year = normalised.first(4).toInt();
    const int month = normalised.mid(4, 2).toInt();
    const int day = normalised.mid(6, 2).toInt();
    return QDate::isValid(year, month, day);
}

QStringView dateYear(QStringView normalised)
{
    if (normalised.size() != 8 || !allDigits(normalised))
        return {};
    return normalised.first(4);
}

UkPostcode parseUkPostcode(QStringView s)
{
    // Outward code: 1-2 letters, a digit, an optional letter or digit; inward: digit + 2 letters.
    if (s.size() < 5 || s.size() > 7)
        return {};
    const QStringView inward = s.last(3);
    const QStringView outward = s.first(s.size() - 3);
    if (!isAsciiDigit(inward[0]) || !inward[1].isLetter() || !inward[2].isLetter())
        return {};
    qsizetype letters = 0;
    while (letters < outward.size() && outward[letters].isLetter() && outward[letters].unicode() < 128)
        ++letters;
    if (letters < 1 || letters > 2 || letters >= outward.size() || !isAsciiDigit(outward[letters]))
        return {};
    if (outward.size() - letters > 2)
        return {};
    if (outward.size() - letters == 2 && !outward.back().isLetterOrNumber())
        return {};
    UkPostcode postcode;
    postcode.area = outward.first(letters).toString();
    postcode.district = outward.toString();
    postcode.sector = postcode.district + u' ' + inward[0];
    postcode.unit = postcode.district + u' ' + inward.toString();
    return postcode;
}

bool isValidNhsNumber(QStringView digits)
{
    if (digits.size() != 10 || !allDigits(digits))
        return false;
    int sum = 0;
    for (int i = 0; i < 9; ++i)
        sum += (digits[i].unicode() - u'0') * (10 - i);
    int check = 11 - sum % 11;
    if (check == 11)
        check = 0;
    if (check == 10)
        return false;
    return check == digits[9].unicode() - u'0';
}

} // namespace clerk::match
