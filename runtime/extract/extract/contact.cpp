// Contact details: e-mail addresses and UK telephone numbers.
#include "extract/extractors.h"
#include "extract/text_scan_p.h"

#include <QRegularExpression>

namespace clerk::extract {

using namespace detail;

QList<FieldMatch> findEmails(const QString &text)
{
    // OCR often puts spaces around the '@'; they are allowed at a lower confidence.
    static const QRegularExpression re(
        QStringLiteral("(?<![A-Za-z0-9._%+\\-])([A-Za-z0-9._%+\\-]+)( ?)@( ?)([A-Za-z0-9\\-]+(?:\\.[A-Za-z0-9\\-]+)+)"));
    QList<FieldMatch> found;
    auto it = re.globalMatch(text);
    while (it.hasNext()) {
        const auto m = it.next();
        const QString local = m.captured(1);
        const QString domain = m.captured(4).toLower();
        FieldMatch match;
        match.raw = m.captured(0);
        match.offset = m.capturedStart();
        match.value = local + QLatin1Char('@') + domain;
        const QStringList labels = domain.split(QLatin1Char('.'));
        const QString tld = labels.last();
        const bool tldOk = tld.size() >= 2 && std::all_of(tld.begin(), tld.end(), [](QChar c) { return c.isLetter(); });
        const bool labelsOk = std::all_of(labels.begin(), labels.end(), [](const QString &l) {
            return !l.isEmpty() && !l.startsWith(QLatin1Char('-')) && !l.endsWith(QLatin1Char('-'));
        });
        if (local.startsWith(QLatin1Char('.')) || local.endsWith(QLatin1Char('.')) || local.contains(QLatin1String(".."))) {
            match.reasons.append(QStringLiteral("the part before @ has a misplaced dot"));
        } else if (!tldOk || !labelsOk) {
            match.reasons.append(QStringLiteral("the domain is not well formed"));
        } else {
            match.valid = true;
            const bool spaced = !m.captured(2).isEmpty() || !m.captured(3).isEmpty();
            match.confidence = spaced ? 0.8 : 0.95;
            if (spaced)
                match.reasons.append(QStringLiteral("spaces around @"));
        }
        found.append(match);
    }
    return found;
}

namespace {

bool isPhoneSeparator(QChar c)
{
    return c == QLatin1Char(' ') || c == QLatin1Char('-') || c == QLatin1Char('(') || c == QLatin1Char(')') ||
           c == QLatin1Char('.');
}

// Reads the international prefix "+44", "+44 (0)", "0044" at `i`; returns the index after
// it, or -1.
qsizetype skipInternationalPrefix(const QString &text, qsizetype i)
{
    static const QRegularExpression re(QStringLiteral("\\G(?:\\+ ?|00 ?)44 ?(?:\\( ?0 ?\\) ?)?"));
    const auto m = re.match(text, i, QRegularExpression::NormalMatch, QRegularExpression::AnchorAtOffsetMatchOption);
    return m.hasMatch() ? m.capturedEnd() : -1;
}

} // namespace

QList<FieldMatch> findUkPhones(const QString &text)
{
    QList<FieldMatch> found;
    qsizetype i = 0;
    while (i < text.size()) {
        const QChar c = text[i];
        const bool boundary = i == 0 || (!isWordChar(text[i - 1]) && text[i - 1] != QLatin1Char('+'));
        if (!boundary || (c != QLatin1Char('+') && c != QLatin1Char('0') && c != QLatin1Char('('))) {
            ++i;
            continue;
        }
        QString national;
        qsizetype j = skipInternationalPrefix(text, i);
        if (j >= 0) {
            national = QStringLiteral("0");
        } else {
            j = i;
            if (text[j] == QLatin1Char('(')) {
                ++j;
                if (j < text.size() && text[j] == QLatin1Char(' '))
                    ++j;
            }
            if (j >= text.size() || text[j] != QLatin1Char('0')) {
                ++i;
                continue;
            }
        }
        // Digits, with at most two separator characters between any two of them; no line breaks.
        qsizetype lastDigitEnd = j;
        while (j < text.size() && national.size() < 11) {
            if (text[j].isDigit()) {
                if (national.isEmpty() && text[j] != QLatin1Char('0'))
                    break;
                national += text[j];
                ++j;
                lastDigitEnd = j;
                continue;
            }
            if (isPhoneSeparator(text[j]) && j - lastDigitEnd < 2 && !national.isEmpty()) {
                ++j;
                continue;
            }
            break;
        }
        const bool runsOn = lastDigitEnd < text.size() && text[lastDigitEnd].isDigit();
        static const QString knownSecondDigits = QStringLiteral("1235789");
        if (national.size() != 11 || runsOn || !knownSecondDigits.contains(national[1])) {
            ++i;
            continue;
        }
        FieldMatch match;
        match.raw = text.mid(i, lastDigitEnd - i);
        match.offset = i;
        match.value = QStringLiteral("+44") + national.mid(1);
        match.valid = true;
        match.confidence = 0.9;
        found.append(match);
        i = lastDigitEnd;
    }
    return found;
}

QList<FieldMatch> findReferences(const QString &text, const QRegularExpression &pattern)
{
    Q_ASSERT_X(pattern.isValid(), "findReferences", "the bot loader validates reference patterns");
    QList<FieldMatch> found;
    auto it = pattern.globalMatch(text);
    while (it.hasNext()) {
        const auto m = it.next();
        if (m.capturedLength(0) == 0)
            continue;
        FieldMatch match;
        match.raw = m.captured(0);
        match.offset = m.capturedStart();
        match.value = match.raw.trimmed();
        match.valid = true;
        match.confidence = 0.9;
        found.append(match);
    }
    return found;
}

} // namespace clerk::extract
