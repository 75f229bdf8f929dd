// Field matches: what an extractor found in a text, and the field types it knows.
//
// The extraction module pulls typed fields (postcodes, NHS numbers, dates...) out of
// OCR or form text. Every extractor returns candidates as FieldMatch values: the
// normalised value, the text as found, where it was, a confidence and the reasons
// behind it. A candidate that failed its validator (a wrong NHS check digit, 31/02) is
// still returned, with `valid` false and confidence 0, so a person can be shown it.
//
// Reasons never hold the value itself: they may be written into step reasons and logs.
//
// Thread-safety: plain value types.
#pragma once

#include <QString>
#include <QStringList>
#include <optional>

namespace clerk::extract {

enum class FieldType { UkPostcode, NhsNumber, NiNumber, Date, Email, UkPhone, Reference, Name };

// The names bot files use: "uk_postcode", "nhs_number", "ni_number", "date", "email",
// "uk_phone", "reference", "name".
QString toString(FieldType type);
std::optional<FieldType> fieldTypeFromString(const QString &name);
QStringList fieldTypeNames();

struct FieldMatch {
    QString value{};        // normalised (see extractors.h for each type's form)
    QString raw{};          // the text as found
    qsizetype offset = 0;   // position of `raw` in the text, in UTF-16 code units
    double confidence = 0;  // 0..1; 0 when not valid
    QStringList reasons{};  // why the confidence is what it is, or why the candidate is invalid
    bool valid = false;
    QString label{};        // the label the candidate follows ("Date of birth"), if any
};

} // namespace clerk::extract
