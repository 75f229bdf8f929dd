// UK postcodes. The outward code is tried against each format of its length, reading
// each character as the letter or digit that format wants; the reading with the fewest
// OCR corrections wins. A known postcode area keeps ordinary words out.
#include "extract/extractors.h"
#include "extract/text_scan_p.h"

#include <QSet>

namespace clerk::extract {

using namespace detail;

namespace {

const QSet<QString> &postcodeAreas()
{
    static const QSet<QString> areas = [] {
        const char *const list[] = {
            "AB", "AL", "B",  "BA", "BB", "BD", "BF", "BH", "BL", "BN", "BR", "BS", "BT", "BX", "CA", "CB", "CF",
            "CH", "CM", "CO", "CR", "CT", "CV", "CW", "DA", "DD", "DE", "DG", "DH", "DL", "DN", "DT", "DY", "E",
            "EC", "EH", "EN", "EX", "FK", "FY", "G",  "GL", "GU", "GY", "HA", "HD", "HG", "HP", "HR", "HS", "HU",
            "HX", "IG", "IM", "IP", "IV", "JE", "KA", "KT", "KW", "KY", "L",  "LA", "LD", "LE", "LL", "LN", "LS",
            "LU", "M",  "ME", "MK", "ML", "N",  "NE", "NG", "NN", "NP", "NR", "NW", "OL", "OX", "PA", "PE", "PH",
            "PL", "PO", "PR", "RG", "RH", "RM", "S",  "SA", "SE", "SG", "SK", "SL", "SM", "SN", "SO", "SP", "SR",
            "SS", "ST", "SW", "SY", "TA", "TD", "TF", "TN", "TQ", "TR", "TS", "TW", "UB", "W",  "WA", "WC", "WD",
            "WF", "WN", "WR", "WS", "WV", "YO", "ZE"};
        QSet<QString> set;
        for (const char *area : list)
            set.insert(QString::fromLatin1(area));
        return set;
    }();
    return areas;
}

// Letters allowed in the third position of A9A and the fourth of AA9A, and in the inward code.
const QString kThirdLetters = QStringLiteral("ABCDEFGHJKPSTUW");
const QString kFourthLetters = QStringLiteral("ABEHMNPRVWXY");
const QString kInwardLetters = QStringLiteral("ABDEFGHJLNPQRSTUWXYZ");

struct Reading {
    QString code;
    int corrections = 0;
    int lowerCase = 0;
    int digits = 0;  // digits written as digits
};

// Reads `raw` as `format` ('A' letter, '9' digit). nullopt when a character does not fit.
std::optional<Reading> readAs(const QString &raw, const char *format)
{
    Reading reading;
    for (qsizetype i = 0; i < raw.size(); ++i) {
        const QChar c = raw[i];
        std::optional<QChar> read;
        if (format[i] == '9') {
            read = asDigit(c, reading.corrections);
            if (read && c == *read)
                ++reading.digits;
        } else {
            read = asLetter(c, reading.corrections, reading.lowerCase);
        }
        if (!read)
            return std::nullopt;
        reading.code += *read;
    }
    return reading;
}

std::optional<Reading> readOutward(const QString &raw)
{
    if (raw.compare(QLatin1String("GIR"), Qt::CaseInsensitive) == 0)
        return Reading{QStringLiteral("GIR"), 0, 0, 0};
    static const char *const formats[] = {"A9", "A99", "A9A", "AA9", "AA99", "AA9A"};
    std::optional<Reading> best;
    for (const char *format : formats) {
        if (static_cast<qsizetype>(qstrlen(format)) != raw.size())
            continue;
        auto reading = readAs(raw, format);
        if (!reading)
            continue;
        const qsizetype areaLength = format[1] == 'A' ? 2 : 1;
        if (!postcodeAreas().contains(reading->code.left(areaLength)))
            continue;
        const QByteArray f(format);
        if (f == "A9A" && !kThirdLetters.contains(reading->code[2]))
            continue;
        if (f == "AA9A" && !kFourthLetters.contains(reading->code[3]))
            continue;
        if (!best || reading->corrections < best->corrections)
            best = reading;
    }
    return best;
}

std::optional<Reading> readInward(const QString &raw, bool gir)
{
    auto reading = readAs(raw, "9AA");
    if (!reading)
        return std::nullopt;
    if (gir)
        return reading->code == QLatin1String("0AA") ? reading : std::nullopt;
    if (!kInwardLetters.contains(reading->code[1]) || !kInwardLetters.contains(reading->code[2]))
        return std::nullopt;
    return reading;
}

struct Word {
    qsizetype offset;
    QString text;
};

QList<Word> words(const QString &text)
{
    QList<Word> list;
    qsizetype i = 0;
    while (i < text.size()) {
        if (!isWordChar(text[i]) && text[i] != QLatin1Char('|')) {
            ++i;
            continue;
        }
        const qsizetype start = i;
        while (i < text.size() && (isWordChar(text[i]) || text[i] == QLatin1Char('|')))
            ++i;
        list.append({start, text.mid(start, i - start)});
    }
    return list;
}

std::optional<FieldMatch> interpret(const QString &outwardRaw, const QString &inwardRaw, bool spaced)
{
    auto outward = readOutward(outwardRaw);
    if (!outward)
        return std::nullopt;
    auto inward = readInward(inwardRaw, outward->code == QLatin1String("GIR"));
    if (!inward)
        return std::nullopt;
    const int corrections = outward->corrections + inward->corrections;
    // Lower-case text is accepted as written (web forms), but reading lower-case words
    // through OCR corrections turns ordinary words into postcodes ("so 1st").
    if (corrections > 0 && outward->lowerCase + inward->lowerCase > 0)
        return std::nullopt;
    if (corrections > 2 || (outward->code != QLatin1String("GIR") && outward->digits + inward->digits == 0))
        return std::nullopt;
    FieldMatch match;
    match.value = outward->code + QLatin1Char(' ') + inward->code;
    match.valid = true;
    match.confidence = confidenceAfter(0.9, corrections);
    if (corrections > 0)
        match.reasons.append(correctionReason(corrections));
    if (!spaced)
        match.reasons.append(QStringLiteral("no space before the inward code"));
    return match;
}

} // namespace

QList<FieldMatch> findUkPostcodes(const QString &text)
{
    QList<FieldMatch> found;
    const QList<Word> list = words(text);
    for (qsizetype i = 0; i < list.size(); ++i) {
        const Word &word = list[i];
        std::optional<FieldMatch> match;
        qsizetype end = 0;
        if (word.text.size() >= 5 && word.text.size() <= 7) {
            match = interpret(word.text.left(word.text.size() - 3), word.text.right(3), false);
            end = word.offset + word.text.size();
        }
        if (!match && word.text.size() >= 2 && word.text.size() <= 4 && i + 1 < list.size()) {
            const Word &next = list[i + 1];
            const QString gap = text.mid(word.offset + word.text.size(), next.offset - word.offset - word.text.size());
            if (next.text.size() == 3 && gap.size() <= 2 && gap.trimmed().isEmpty() && !gap.contains(QLatin1Char('\n'))) {
                match = interpret(word.text, next.text, true);
                end = next.offset + next.text.size();
                if (match)
                    ++i;
            }
        }
        if (match) {
            match->offset = word.offset;
            match->raw = text.mid(word.offset, end - word.offset);
            found.append(*match);
        }
    }
    return found;
}

} // namespace clerk::extract
