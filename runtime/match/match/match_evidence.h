// What a match step shows a person about each ranked candidate, and what `clerk eval
// --answers` reads back from the answered question: the candidate's record id, its
// score and posterior, and the field-by-field comparison with the query. This file owns
// the JSON form of that evidence; nothing outside runtime/match reads or writes its keys.
//
//   {"record_id": "r1", "score": 12.34, "probability": 0.98,
//    "fields": [{"field": "surname", "query": "smith", "candidate": "smyth",
//                "level": "partial", "weight": 3.21}, ...]}
//
// A blind trial removes "score" and "probability" before a person sees it; the reader
// takes their absence as nullopt.
//
// Thread-safety: values and pure functions.
#pragma once

#include "match/match_model.h"
#include "match/matcher.h"

#include <QJsonArray>
#include <QJsonObject>
#include <optional>

namespace clerk::match {

// One field of one candidate. Holds personal values: evidence, never log text.
struct FieldEvidence {
    QString field{};      // the model's field name
    QString query{};      // the item's value
    QString candidate{};  // the record's value
    ComparisonLevel level = ComparisonLevel::Missing;
    double weight = 0;    // log2, rounded to two decimals
};

struct CandidateEvidence {
    QString recordId{};
    std::optional<double> score{};        // rounded to two decimals; nullopt: not shown (blind)
    std::optional<double> probability{};  // nullopt: not shown (blind)
    QList<FieldEvidence> fields{};        // in the model's field order
};

// The evidence for `candidate` of `query`, every field of `model` in order.
CandidateEvidence candidateEvidence(const MatchModel &model, const MatchRecord &query,
                                    const ScoredCandidate &candidate);

QJsonObject toJson(const CandidateEvidence &evidence);
QJsonObject toJson(const FieldEvidence &field);

// The inverse of toJson. Lenient, as evidence stored by older versions must still read:
// a missing record id reads as empty, a missing score or probability as nullopt, and a
// field entry whose level is unknown is dropped (the field then counts as Missing).
CandidateEvidence candidateEvidenceFromJson(const QJsonObject &json);

// The key a match question's evidence keeps its ranked candidates under ("candidates").
QString candidatesKey();

// Takes the ranked candidates out of a match question's `evidence` (best first), leaving
// the rest of it. When `evidence` holds none, or its "candidates" are not a match step's
// (an array of objects with a record id), returns an empty list and leaves it untouched.
QList<CandidateEvidence> takeCandidates(QJsonObject &evidence);

// The pairs one answered question teaches: `evidence` is the question's evidence (its
// "candidates" array), `chosen` the record id the person picked ("none" or any id not
// among them: no candidate matches). Each candidate becomes a pair, a match when it is
// the chosen one, with the levels the question showed; fields `model` does not know
// are ignored and fields not shown are Missing.
// REQUIRES: !chosen.isEmpty()
QList<LabelledPair> labelledPairsFromEvidence(const MatchModel &model, const QJsonObject &evidence,
                                              const QString &chosen);

} // namespace clerk::match
