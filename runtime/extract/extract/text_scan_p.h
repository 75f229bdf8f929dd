// Private helpers shared by the extractors: OCR character confusions and label search.
#pragma once

#include <QChar>
#include <QList>
#include <QString>
#include <QStringList>
#include <optional>

namespace clerk::extract::detail {

// Confidence lost per OCR correction.
inline constexpr double kCorrectionPenalty = 0.15;

// Reads `c` where the format wants a digit. A letter OCR commonly confuses with a digit
// (O->0, I/l/|->1, Z->2, S->5, G->6, B->8) is read as that digit and counted in
// `corrections`. Anything else: nullopt.
std::optional<QChar> asDigit(QChar c, int &corrections);

// Reads `c` where the format wants a letter: the upper-case letter, or a digit OCR
// commonly confuses with a letter (0->O, 1->I, 2->Z, 5->S, 6->G, 8->B), counted in
// `corrections`. `lowerCase` counts letters that were written in lower case.
std::optional<QChar> asLetter(QChar c, int &corrections, int &lowerCase);

bool isWordChar(QChar c);  // a letter or a digit

// "corrected 1 OCR confusion" / "corrected 2 OCR confusions".
QString correctionReason(int corrections);

// Builds a confidence from a base, corrections and a cap to 0..1.
double confidenceAfter(double base, int corrections);

struct LabelHit {
    qsizetype offset = 0;  // where the label starts
    qsizetype end = 0;     // after the label and a following ':' or '-'
    QString label;         // as given (not as found)
    bool atLineStart = false;
    bool followedByColon = false;
};

// Occurrences of the labels in `text`, case-insensitive, with any run of spaces matching
// a space, not inside a longer word. Where labels overlap, the longest wins. In text order.
QList<LabelHit> findLabels(const QString &text, const QStringList &labels);

} // namespace clerk::extract::detail
