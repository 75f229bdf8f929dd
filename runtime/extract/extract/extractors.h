// Field extractors: one function per field type, each returning every candidate it
// finds in a text, in text order, validated and normalised.
//
// The text is usually OCR output, so the extractors tolerate the usual confusions
// (O/0, I/l/1, S/5, B/8, Z/2, G/6) in the positions where the format fixes whether a
// letter or a digit belongs, stray spaces and missing spaces. Every correction lowers
// the confidence (by 0.15 each) and is named in the reasons. Confidences of clean,
// valid candidates are 0.85-0.95; label context and the choice among several
// candidates are applied later by extractField() (field_extractor.h).
//
// Normalised forms:
//   uk_postcode  "LS1 4AP" (upper case, one space), "GIR 0AA"
//   nhs_number   "9434765919" (ten digits, no spaces)
//   ni_number    "AB 12 34 56 C" ("AB 12 34 56" when the suffix letter is missing)
//   date         ISO "1952-03-03"
//   email        local part as written, domain in lower case
//   uk_phone     E.164 "+441134960000"
//   reference    the text the bot's pattern matched
//   name         the words after the label, single-spaced ("Jane Smith")
//
// Thread-safety: all functions are reentrant; they keep no state.
#pragma once

#include "extract/field_match.h"

#include <QDate>
#include <QList>
#include <QRegularExpression>
#include <QString>
#include <QStringList>

namespace clerk::extract {

// UK postcodes in all formats (A9 9AA, A99 9AA, A9A 9AA, AA9 9AA, AA99 9AA, AA9A 9AA,
// GIR 0AA), with a known postcode area and the official letter sets per position.
QList<FieldMatch> findUkPostcodes(const QString &text);

// NHS numbers: ten digits, spaced 3-3-4 or not, with the modulus 11 check digit.
// A candidate whose check digit does not match is returned invalid.
QList<FieldMatch> findNhsNumbers(const QString &text);

// True when `digits` is ten digits with a correct modulus 11 check digit.
bool isValidNhsNumber(const QString &digits);

// National Insurance numbers: two prefix letters (D, F, I, Q, U, V never; O not
// second; BG, GB, NK, KN, TN, NT, ZZ not issued), six digits, suffix A-D.
QList<FieldMatch> findNiNumbers(const QString &text);

struct DateOptions {
    QDate reference{};     // "today" for the pivot and past_only; invalid: the current date
    bool pastOnly = false; // dates after `reference` are invalid (dates of birth)
};

// Dates, day first: 03/03/1952, 3/3/52, 03-03-1952, 03.03.1952, 3rd March 1952,
// 3 Mar 1952, March 3, 1952, 1952-03-03. Two-digit years: with pastOnly, the latest
// year not after the reference date; otherwise years up to ten years after the
// reference year are in its century, later ones in the century before. Years before
// 1880 or more than 30 after the reference year are invalid ("year out of range").
QList<FieldMatch> findDates(const QString &text, const DateOptions &options = {});

QList<FieldMatch> findEmails(const QString &text);

// UK landline and mobile numbers written with +44, 0044 or 0, spaces, hyphens or
// brackets ("(0113) 496 0000", "+44 (0)7700 900123"). Eleven national digits.
QList<FieldMatch> findUkPhones(const QString &text);

// Every non-empty match of `pattern`. REQUIRES: pattern.isValid().
QList<FieldMatch> findReferences(const QString &text, const QRegularExpression &pattern);

// The labels findNames() uses when it is given none.
QStringList defaultNameLabels();

// Names written after a label ("Name:", "Full name", "Surname", "Forename(s)", or the
// given `labels`), up to the end of the line or the next label. With the default labels,
// a forename and a surname on separate labels are joined into one candidate.
QList<FieldMatch> findNames(const QString &text, const QStringList &labels = {});

} // namespace clerk::extract
