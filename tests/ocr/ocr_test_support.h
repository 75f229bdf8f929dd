// Helpers for the OCR tests: robust text comparison and fixture paths.
//
// OCR text is compared after normalising whitespace (every run of spaces, line breaks
// and form feeds becomes one space), by character error rate: the edit distance between
// the texts divided by the expected length. Tesseract is not deterministic across
// versions to the last character, so the golden files allow a small CER (2 % by default)
// instead of demanding equality.
#pragma once

#include "ocr/ocr_engine.h"
#include "test_support.h"

#include <QRegularExpression>
#include <QString>
#include <QStringList>
#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

namespace clerk::ocr::testing {

inline QString fixture(const QString &name)
{
    return QStringLiteral(CLERK_TEST_DATA_DIR "/ocr/") + name;
}

inline QString normaliseWhitespace(const QString &text)
{
    static const QRegularExpression spaces(QStringLiteral("\\s+"));
    return QString(text).replace(spaces, QStringLiteral(" ")).trimmed();
}

inline qsizetype editDistance(const QString &a, const QString &b)
{
    std::vector<qsizetype> previous(size_t(b.size()) + 1), current(size_t(b.size()) + 1);
    for (qsizetype j = 0; j <= b.size(); ++j)
        previous[size_t(j)] = j;
    for (qsizetype i = 1; i <= a.size(); ++i) {
        current[0] = i;
        for (qsizetype j = 1; j <= b.size(); ++j) {
            const qsizetype substitution = previous[size_t(j - 1)] + (a[i - 1] == b[j - 1] ? 0 : 1);
            current[size_t(j)] = std::min({previous[size_t(j)] + 1, current[size_t(j - 1)] + 1, substitution});
        }
        std::swap(previous, current);
    }
    return previous[size_t(b.size())];
}

// Character error rate of `actual` against `expected`, after normalising whitespace.
inline double characterErrorRate(const QString &expected, const QString &actual)
{
    const QString e = normaliseWhitespace(expected), a = normaliseWhitespace(actual);
    if (e.isEmpty())
        return a.isEmpty() ? 0.0 : 1.0;
    return double(editDistance(e, a)) / double(e.size());
}

// Share of the expected words (split on whitespace) that occur in `actual`, counted
// with multiplicity.
inline double wordRecall(const QString &expected, const QString &actual)
{
    QStringList remaining = normaliseWhitespace(actual).split(QLatin1Char(' '), Qt::SkipEmptyParts);
    const QStringList words = normaliseWhitespace(expected).split(QLatin1Char(' '), Qt::SkipEmptyParts);
    qsizetype found = 0;
    for (const QString &word : words) {
        const qsizetype at = remaining.indexOf(word);
        if (at >= 0) {
            remaining.removeAt(at);
            ++found;
        }
    }
    return words.isEmpty() ? 1.0 : double(found) / double(words.size());
}

// A readable diff of two texts, line by line: "- expected" / "+ actual" for lines that
// differ, for test failure messages.
inline std::string lineDiff(const QString &expected, const QString &actual)
{
    const QStringList e = expected.split(QLatin1Char('\n')), a = actual.split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    std::string out;
    QStringList unmatched = a;
    for (const QString &line : e) {
        const qsizetype at = unmatched.indexOf(line);
        if (at >= 0)
            unmatched.removeAt(at);
        else
            out += "- " + line.toStdString() + "\n";
    }
    for (const QString &line : unmatched)
        out += "+ " + line.toStdString() + "\n";
    return out.empty() ? std::string("(lines equal; differences are in whitespace only)\n") : out;
}

} // namespace clerk::ocr::testing
