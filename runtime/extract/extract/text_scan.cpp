#include "extract/text_scan_p.h"

#include <QRegularExpression>

#include <algorithm>

namespace clerk::extract::detail {

std::optional<QChar> asDigit(QChar c, int &corrections)
{
    if (c >= QLatin1Char('0') && c <= QLatin1Char('9'))
        return c;
    char digit = 0;
    switch (c.unicode()) {
    case 'O': case 'o': case 'D': case 'Q': digit = '0'; break;
    case 'I': case 'l': case 'i': case '|': digit = '1'; break;
    case 'Z': case 'z': digit = '2'; break;
    case 'S': case 's': digit = '5'; break;
    case 'G': case 'b': digit = '6'; break;
    case 'B': digit = '8'; break;
    default: return std::nullopt;
    }
    ++corrections;
    return QLatin1Char(digit);
}

std::optional<QChar> asLetter(QChar c, int &corrections, int &lowerCase)
{
    if (c >= QLatin1Char('A') && c <= QLatin1Char('Z'))
        return c;
    if (c >= QLatin1Char('a') && c <= QLatin1Char('z')) {
        ++lowerCase;
        return c.toUpper();
    }
    char letter = 0;
    switch (c.unicode()) {
    case '0': letter = 'O'; break;
    case '1': letter = 'I'; break;
    case '2': letter = 'Z'; break;
    case '5': letter = 'S'; break;
    case '6': letter = 'G'; break;
    case '8': letter = 'B'; break;
    default: return std::nullopt;
    }
    ++corrections;
    return QLatin1Char(letter);
}

bool isWordChar(QChar c)
{
    return c.isLetterOrNumber();
}

QString correctionReason(int corrections)
{
    return corrections == 1 ? QStringLiteral("corrected 1 OCR confusion")
                            : QStringLiteral("corrected %1 OCR confusions").arg(corrections);
}

double confidenceAfter(double base, int corrections)
{
    return std::clamp(base - kCorrectionPenalty * corrections, 0.0, 1.0);
}

QList<LabelHit> findLabels(const QString &text, const QStringList &labels)
{
    QList<LabelHit> hits;
    for (const QString &label : labels) {
        const QString trimmed = label.trimmed();
        if (trimmed.isEmpty())
            continue;
        QString pattern;
        const QStringList words = trimmed.split(QLatin1Char(' '), Qt::SkipEmptyParts);
        for (const QString &word : words) {
            if (!pattern.isEmpty())
                pattern += QStringLiteral("[ \\t]+");
            pattern += QRegularExpression::escape(word);
        }
        // A label ending in a letter must not run into a longer word ("Name" in "Names").
        const bool endsInLetter = trimmed.back().isLetterOrNumber();
        const QRegularExpression re(QStringLiteral("(?<![\\p{L}\\p{N}])%1%2([ \\t]*[:\\-])?")
                                        .arg(pattern, endsInLetter ? QStringLiteral("(?![\\p{L}\\p{N}])") : QString()),
                                    QRegularExpression::CaseInsensitiveOption | QRegularExpression::UseUnicodePropertiesOption);
        auto it = re.globalMatch(text);
        while (it.hasNext()) {
            const auto m = it.next();
            LabelHit hit;
            hit.offset = m.capturedStart();
            hit.end = m.capturedEnd();
            hit.label = trimmed;
            hit.followedByColon = m.capturedLength(1) > 0;
            qsizetype before = hit.offset - 1;
            while (before >= 0 && (text[before] == QLatin1Char(' ') || text[before] == QLatin1Char('\t')))
                --before;
            hit.atLineStart = before < 0 || text[before] == QLatin1Char('\n');
            hits.append(hit);
        }
    }
    // Longest first, then drop hits inside a kept one ("name" inside "Full name").
    std::sort(hits.begin(), hits.end(), [](const LabelHit &a, const LabelHit &b) {
        return (a.end - a.offset) > (b.end - b.offset);
    });
    QList<LabelHit> kept;
    for (const LabelHit &hit : hits) {
        const bool overlaps = std::any_of(kept.begin(), kept.end(), [&](const LabelHit &k) {
            return hit.offset < k.end && k.offset < hit.end;
        });
        if (!overlaps)
            kept.append(hit);
    }
    std::sort(kept.begin(), kept.end(), [](const LabelHit &a, const LabelHit &b) { return a.offset < b.offset; });
    return kept;
}

} // namespace clerk::extract::detail
