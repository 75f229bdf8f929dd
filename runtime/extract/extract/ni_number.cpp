// National Insurance numbers (HMRC's format rules for the prefix and suffix).
#include "extract/extractors.h"
#include "extract/text_scan_p.h"

#include <QRegularExpression>

namespace clerk::extract {

using namespace detail;

namespace {

// Why a prefix is not used, or an empty string.
QString prefixProblem(const QString &prefix)
{
    static const QString neverUsed = QStringLiteral("DFIQUV");
    if (neverUsed.contains(prefix[0]) || neverUsed.contains(prefix[1]))
        return QStringLiteral("the prefix uses a letter that is never issued");
    if (prefix[1] == QLatin1Char('O'))
        return QStringLiteral("the prefix has O as its second letter");
    static const QStringList unused = {QStringLiteral("BG"), QStringLiteral("GB"), QStringLiteral("NK"), QStringLiteral("KN"),
                                       QStringLiteral("TN"), QStringLiteral("NT"), QStringLiteral("ZZ")};
    if (unused.contains(prefix))
        return QStringLiteral("the prefix is not issued");
    return {};
}

} // namespace

QList<FieldMatch> findNiNumbers(const QString &text)
{
    static const QRegularExpression re(
        QStringLiteral("(?<![\\p{L}\\p{N}])([A-Za-z0-9]{2})[ \\t]?([0-9OoIlSB]{2})[ \\t]?([0-9OoIlSB]{2})[ \\t]?"
                       "([0-9OoIlSB]{2})(?:[ \\t]?([A-Da-d]))?(?![\\p{L}\\p{N}])"),
        QRegularExpression::UseUnicodePropertiesOption);
    QList<FieldMatch> found;
    qsizetype from = 0;
    while (true) {
        const auto m = re.match(text, from);
        if (!m.hasMatch())
            break;
        // Retry one character on when this reading fails, so a failed reading never hides
        // a real number that starts inside it.
        from = m.capturedStart() + 1;

        int corrections = 0;
        int lowerCase = 0;
        QString prefix;
        for (const QChar c : m.captured(1)) {
            const auto letter = asLetter(c, corrections, lowerCase);
            if (!letter)
                break;
            prefix += *letter;
        }
        // Two digits read as letters are a number, not a prefix.
        if (prefix.size() != 2 || corrections == 2)
            continue;
        QString digits;
        for (int group = 2; group <= 4; ++group) {
            for (const QChar c : m.captured(group))
                digits += *asDigit(c, corrections);
        }
        const QString suffix = m.captured(5).toUpper();
        for (const QChar c : m.captured(5))
            lowerCase += c.isLower() ? 1 : 0;
        if (corrections > 2 || (corrections > 0 && lowerCase > 0))
            continue;

        FieldMatch match;
        match.raw = m.captured(0);
        match.offset = m.capturedStart();
        match.value = QStringLiteral("%1 %2 %3 %4").arg(prefix, digits.mid(0, 2), digits.mid(2, 2), digits.mid(4, 2));
        if (!suffix.isEmpty())
            match.value += QLatin1Char(' ') + suffix;
        QString problem = prefixProblem(prefix);
        if (suffix.isEmpty() && problem.isEmpty()) {
            // "AB 12 34 56 E": a lone letter after the digits is a suffix that is not A-D.
            qsizetype after = m.capturedEnd();
            if (after < text.size() && (text[after] == QLatin1Char(' ') || text[after] == QLatin1Char('\t')))
                ++after;
            if (after < text.size() && text[after].isLetter() && (after + 1 >= text.size() || !isWordChar(text[after + 1])))
                problem = QStringLiteral("the suffix letter is not A, B, C or D");
        }
        if (!problem.isEmpty()) {
            match.reasons.append(problem);
        } else {
            match.valid = true;
            match.confidence = confidenceAfter(suffix.isEmpty() ? 0.7 : 0.9, corrections);
            if (suffix.isEmpty())
                match.reasons.append(QStringLiteral("no suffix letter"));
        }
        if (corrections > 0)
            match.reasons.append(correctionReason(corrections));
        found.append(match);
        from = m.capturedEnd();
    }
    return found;
}

} // namespace clerk::extract
