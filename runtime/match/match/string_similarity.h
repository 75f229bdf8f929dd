// String similarity measures and a phonetic code for names: the building blocks of the
// record-matching comparators (comparators.h).
//
// All functions are pure and thread-safe. They compare UTF-16 code units as given:
// callers normalise first (comparators.h: normaliseValue).
#pragma once

#include <QString>
#include <QStringView>

namespace clerk::match {

// The Levenshtein edit distance (insertions, deletions, substitutions).
int levenshteinDistance(QStringView a, QStringView b);

// True when b is a one-step edit of a: one substitution, insertion, deletion, or a
// swap of two adjacent characters. Equal strings are not one edit apart.
bool isOneEditApart(QStringView a, QStringView b);

// 1 - distance / longer length, in [0, 1]; 1 for two empty strings.
double normalisedLevenshtein(QStringView a, QStringView b);

// Jaro-Winkler similarity in [0, 1] (prefix scale 0.1, up to 4 prefix characters).
double jaroWinkler(QStringView a, QStringView b);

// The NYSIIS phonetic code of a name (letters only; others ignored), at most
// `maxLength` characters; empty for a name without letters. A Y after the first letter
// counts as a vowel. "Catherine", "Kathryn"
// and "Katharine" share a code, so do "Smith"/"Smyth" and "Macdonald"/"Mcdonald".
QString nysiis(QStringView name, int maxLength = 8);

} // namespace clerk::match
