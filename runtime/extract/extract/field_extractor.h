// extractField(): finds one typed field in a text, using labels to choose among
// candidates, and says how sure it is.
//
// @code
//   extract::FieldSpec spec{.type = extract::FieldType::Date,
//                           .labels = {"Date of birth", "DOB"},
//                           .pastOnly = true};
//   const extract::FieldResult result = extract::extractField(text, spec).value();
//   if (result.best && result.best->confidence >= 0.8)
//       use(result.best->value);  // "1952-03-03"
// @endcode
//
// How the choice is made:
//   - Each occurrence of a label (the field's `labels`, or the type's defaults) claims
//     the first candidate that starts after it, within 80 characters and at most one line
//     break. A claimed candidate gains 0.1 confidence (capped at 1) and names its label.
//   - Valid candidates claimed by a label are preferred over unclaimed ones; among
//     them the highest confidence wins, then the earliest.
//   - When other valid candidates with a different value remain in the preferred group,
//     the winner loses 0.25: a person should pick ("2 other candidates"). For NHS and NI
//     numbers every other valid number counts, labelled or not: two people's numbers in
//     one letter are for a person to sort out.
//   - When the bot gave labels and no candidate follows one, the winner loses 0.15.
//   - No valid candidate: `best` is empty and `problem` says why (from the candidate a
//     label claimed, else the first one), or is empty when nothing was found at all.
//
// Thread-safety: reentrant.
#pragma once

#include "core/error.h"
#include "extract/field_match.h"

#include <QDate>
#include <QList>
#include <QString>
#include <QStringList>
#include <optional>

namespace clerk::extract {

struct FieldSpec {
    FieldType type = FieldType::Reference;
    QStringList labels{};       // text that comes before the value ("NHS No", "DOB"); empty: the type's defaults
    QString pattern{};          // for Reference: the regular expression a reference matches
    QDate referenceDate{};      // for Date: "today" (pivot for two-digit years); invalid: the current date
    bool pastOnly = false;      // for Date: dates after referenceDate are invalid (dates of birth)
};

struct FieldResult {
    std::optional<FieldMatch> best{};  // the chosen valid candidate
    QList<FieldMatch> candidates{};    // every candidate, in text order, after label scoring
    QString problem{};                 // when no valid candidate: why the best invalid one failed
};

// The labels used for `type` when a FieldSpec gives none (may be empty).
QStringList defaultLabels(FieldType type);

// Finds the field. InvalidArgument when a Reference spec has no or an invalid pattern.
[[nodiscard]] Result<FieldResult> extractField(const QString &text, const FieldSpec &spec);

} // namespace clerk::extract
