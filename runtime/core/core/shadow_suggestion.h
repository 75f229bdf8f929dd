// ShadowSuggestion: what a deciding step in a shadow trial would have done, as it is kept
// in the evidence of the exception item it hands to a person.
//
// The engine writes it (a classify or match step of a bot in `mode: shadow`); the store
// flags the exception items that hold one when it opens them, and reads it back for the
// shadow-trial figures; the server and `clerk queue show` read it to show or hide it. The
// layout, under the evidence key "suggestion":
//
//   {"choice": <the offered choice that agrees with the bot, "" without a guess>,
//    "confidence": <0..1>, "outputs": {<what the step would have output>}}
//
// and beside it "blind": true when people must not see it.
//
// A quality check (a sure decision of a learning step sent to a person blind, to measure
// live precision) holds a suggestion too, and beside it "quality_check": true; the store
// flags those items when it opens them and counts their answers as live precision.
//
// Thread-safety: a value type; the functions use nothing but their arguments.
#pragma once

#include <QJsonObject>
#include <QString>
#include <optional>

namespace clerk {

struct ShadowSuggestion {
    QString choice{};       // "" when the step had no guess
    double confidence = 0;  // 0..1
    QJsonObject outputs{};  // what the step would have output

    // The evidence key the suggestion is kept under.
    static QString key();

    // Writes the suggestion into `evidence` under key(), the confidence clamped to 0..1.
    void writeTo(QJsonObject &evidence) const;

    // The suggestion kept in `evidence`, or nullopt when it holds none that can be
    // counted: no object under key(), a choice missing or null, or a confidence that is
    // not a number. A choice written as a number reads as its text ("2").
    static std::optional<ShadowSuggestion> readFrom(const QJsonObject &evidence);

    // The evidence key that marks a quality check ("quality_check").
    static QString qualityCheckKey();

    // Whether `evidence` is a quality check's: qualityCheckKey() true beside a suggestion
    // readFrom() can count.
    static bool isQualityCheck(const QJsonObject &evidence);

    // The evidence key that marks a suggestion people must not see ("blind": a blind
    // shadow trial or a quality check). The suggestion stays for the figures.
    static QString blindKey();

    // Takes the suggestion out of `evidence` and returns it as people may see it: the
    // stored object, or nullopt when there is none or the evidence is blind.
    static std::optional<QJsonObject> takeForPeople(QJsonObject &evidence);
};

} // namespace clerk
