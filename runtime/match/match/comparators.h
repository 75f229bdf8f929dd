// Field comparators for record matching: each compares one field of a query with the
// same field of a candidate record and answers a ComparisonLevel.
//
// Values are normalised once (normaliseValue) when a record enters an index or a query
// is built; compare() takes normalised values. An empty normalised value is missing and
// compares as ComparisonLevel::Missing, which carries no weight (fellegi_sunter.h).
//
// What each level means per comparator:
//   kind          Exact            Close                         Partial                 Weak                  Different
//   exact         equal            -                             -                       -                     otherwise
//   levenshtein   equal            similarity >= 0.8             >= 0.6                  -                     otherwise
//   jaro_winkler  equal            similarity >= 0.94            >= 0.88                 >= 0.8                otherwise
//   name          equal            Jaro-Winkler >= 0.92, the     same NYSIIS code, or    Jaro-Winkler >= 0.8   otherwise
//                                  same words in another order   a one-word name among
//                                  ("smith jones"/"jones smith") the other's words
//                                  or, with short forms on, a    ("tweedie"/"alec-tweedie")
//                                  usual short form ("harry"/
//                                  "henry", name_variants.h)
//   date          equal            day/month swap, one-digit     same year and month     same year             otherwise
//                                  typo or adjacent swap         or same year and day
//   postcode      same unit        same sector (UK) / one edit   same district (UK)      same area (UK) /      otherwise
//                                                                                        same first 2 (other)
//   nhs_number    equal and valid  one edit apart (a typo)       -                       -                     otherwise
//   identifier    equal            one edit apart                -                       -                     otherwise
// Two name fields of a record are also compared crosswise (MatchModel::compare,
// compareSwappedNames): a forename and surname written the other way round.
// An NHS number whose mod-11 check digit fails on either side is Missing unless it is
// one edit from the other (a typo); a date that is not a real date compares like
// `exact`; a postcode that is not a UK one uses the "other" rules.
//
// Thread-safety: all functions are pure.
#pragma once

#include "core/error.h"

#include <QString>
#include <QStringList>
#include <QStringView>
#include <cstdint>

namespace clerk::match {

// Levels from agreement to disagreement. The first kLevelCount are the ones weights
// are kept for; Missing carries no weight.
enum class ComparisonLevel : std::uint8_t { Exact, Close, Partial, Weak, Different, Missing };
inline constexpr int kLevelCount = 5;

// "exact", "close", "partial", "weak", "different", "missing".
QString toString(ComparisonLevel level);

enum class ComparatorKind : std::uint8_t { Exact, Levenshtein, JaroWinkler, Name, Date, Postcode, NhsNumber, Identifier };

// The comparator's name in bot files ("jaro_winkler"); parseComparatorKind is its inverse
// and fails with InvalidArgument naming the known kinds.
QString toString(ComparatorKind kind);
Result<ComparatorKind> parseComparatorKind(const QString &name);
QStringList comparatorKindNames();

// Whether a comparator can answer the level at all (e.g. `exact` only answers Exact and
// Different). Levels a comparator never answers keep m = u and so weigh nothing.
bool comparatorUsesLevel(ComparatorKind kind, ComparisonLevel level);

// The canonical form compared and indexed: names and free text lower case without accents,
// punctuation or repeated spaces; dates YYYYMMDD (from YYYYMMDD, YYYY-MM-DD, DD/MM/YYYY or
// DD-MM-YYYY; other text is kept as cleaned text); postcodes upper case without spaces;
// NHS numbers and identifiers their digits and letters only. Empty means missing.
QString normaliseValue(ComparatorKind kind, QStringView raw);

// Compares two normalised values. `shortForms` (a name field's short_forms key) makes the
// `name` comparator take a forename and its usual short form as Close.
ComparisonLevel compare(ComparatorKind kind, QStringView query, QStringView candidate, bool shortForms = false);

// Forename and surname written the other way round: `levels` holds the direct levels of
// name fields a and b; when neither agrees directly (Exact or Close) but the query's a
// agrees with the candidate's b and its b with the candidate's a, both become Close. When
// the query gives one name only and it agrees with the candidate's other field ("Morus" as
// the forename, against surname "Morus"), the lone name is compared as that field: the
// other field gets the crosswise level and the lone name's own field becomes Missing, so
// it weighs what an agreeing surname (or forename) weighs.
void compareSwappedNames(QStringView queryA, QStringView queryB, QStringView candidateA, QStringView candidateB,
                         ComparisonLevel &levelA, ComparisonLevel &levelB, bool shortForms = false);

// Date helpers on normalised YYYYMMDD values.
bool isCompleteDate(QStringView normalised);  // 8 digits forming a real calendar date
QStringView dateYear(QStringView normalised); // "1965", or empty when not a date

// UK postcode parts of a normalised postcode ("SW1A1AA"): area "SW", district "SW1A",
// sector "SW1A 1", unit "SW1A 1AA". Empty parts when it is not a UK postcode.
struct UkPostcode {
    QString area;
    QString district;
    QString sector;
    QString unit;
    bool isValid() const { return !unit.isEmpty(); }
};
UkPostcode parseUkPostcode(QStringView normalised);

// True when a 10-digit NHS number's mod-11 check digit is right.
bool isValidNhsNumber(QStringView digits);

} // namespace clerk::match
