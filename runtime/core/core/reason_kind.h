// ReasonKind: why an item went to a person, as operations staff group it. Each step that
// asks a person says which kind its question is (HumanRequest::kind); the store keeps it
// with the exception item, and the dashboard, `clerk report` and /metrics count by it.
//
// Thread-safety: values and pure functions.
#pragma once

#include <QString>
#include <QStringList>
#include <optional>

namespace clerk {

enum class ReasonKind {
    LowConfidence,  // the bot was not sure enough (category, record, still learning)
    Unreadable,     // nothing could be read: a scan OCR could not read, no text at all
    MissingValue,   // a value the work needs is missing or malformed
    NoMatch,        // no existing record matches, and the bot asks instead of creating one
    Refused,        // the case system refused the action, or may already have done it
    AlwaysPerson,   // the bot is told never to act on this alone (always_person)
    QualityCheck,   // a sure decision checked blind, to measure live precision
    Shadow,         // a shadow-mode trial: a person decides every item
    Other,
};

// "low_confidence", "unreadable", "missing_value", "no_match", "refused",
// "always_person", "quality_check", "shadow", "other".
QString toString(ReasonKind kind);
std::optional<ReasonKind> reasonKindFromString(const QString &name);
// How people read it: "not sure", "unreadable", "missing value", "no match",
// "refused by the case system", "always a person", "quality check", "shadow trial", "other".
QString label(ReasonKind kind);
// Every kind's name, in the order above.
QStringList reasonKindNames();

} // namespace clerk
