// The Fellegi-Sunter match model: for each compared field and each comparison level, the
// probability m of seeing that level when two records are the same person and u when
// they are not. A level's weight is log2(m/u); a pair's score is the sum of its fields'
// weights (a Missing value adds 0); the posterior probability of a match given the
// prior λ (the share of candidate pairs that match) is λ·2^score / (λ·2^score + 1 - λ).
//
// Term-frequency adjustment (as Splink and fastLink make it): on a field marked
// term_frequency, an exact agreement on value v is weighed log2(m_exact / u_v), where u_v,
// the chance that two different people share v, is v's share of the index's records
// holding a value in that field (TermFrequencies, counted from the index). An agreeing
// "smith" then counts for less than an agreeing rare surname. u_v is floored at
// kTermFrequencyFloor, so a value held by one record (often a typo) cannot outweigh the
// rest of the record. Other levels keep their weights.
//
// Where m and u come from: the bot file (per field, per level), the comparator's
// defaults (defaultFieldModel), EM on unlabelled candidate pairs (em_estimation.h), or
// labelled pairs, including people's answers (learnFromLabelledPairs).
//
// Thread-safety: a MatchModel is a value; const methods may run on many threads at once.
#pragma once

#include "match/comparators.h"
#include "match/match_record.h"

#include <QHash>
#include <QJsonObject>
#include <QList>
#include <array>
#include <memory>
#include <vector>

namespace clerk::match {

using LevelProbabilities = std::array<double, kLevelCount>;  // indexed by ComparisonLevel, without Missing
using ComparisonVector = std::vector<ComparisonLevel>;        // one level per field, in field order

struct FieldModel {
    QString name{};
    ComparatorKind comparator = ComparatorKind::Exact;
    LevelProbabilities m{};  // P(level | same person)
    LevelProbabilities u{};  // P(level | different people)
    bool termFrequency = false;  // weigh exact agreement by the value's frequency
    bool shortForms = false;     // `name`: a forename and its usual short form are Close (name_variants.h)
};

// Whether a field of this comparator weighs exact agreement by the value's frequency
// when the bot does not say (its term_frequency key).
bool defaultTermFrequency(ComparatorKind kind);

// The lowest u an agreeing value's frequency gives (a weight cap of log2(m_exact / 0.001)).
inline constexpr double kTermFrequencyFloor = 0.001;

// Per field (in model order): each normalised value's share of the records holding a value
// in that field; an empty table for a field without term-frequency adjustment.
struct TermFrequencies {
    std::vector<QHash<QString, double>> byField;
};

// Counts the values of the fields marked termFrequency over `records` (normalised, in the
// model's field order).
TermFrequencies countTermFrequencies(const QList<FieldModel> &fields, const std::vector<MatchRecord> &records);

// Defaults for a comparator: m and u a typical person-record field gives. Levels the
// comparator never answers get m = u = 0 (no weight).
FieldModel defaultFieldModel(const QString &name, ComparatorKind comparator);

class MatchModel {
public:
    MatchModel() = default;
    // m and u of each field are normalised over the levels its comparator uses; zeros
    // are floored so no weight is infinite. REQUIRES: 0 < prior < 1.
    MatchModel(QList<FieldModel> fields, double prior);

    const QList<FieldModel> &fields() const { return m_fields; }
    QList<FieldSpec> fieldSpecs() const;
    int fieldCount() const { return static_cast<int>(m_fields.size()); }
    int fieldIndex(const QString &name) const;  // -1 when absent
    double prior() const { return m_prior; }

    // log2(m/u) of a field's level; 0 for Missing and for levels the comparator never answers.
    double weight(int field, ComparisonLevel level) const;
    // The same, term-frequency adjusted for an exact agreement on `value` (the candidate's)
    // when the field is marked and frequencies are attached.
    double weight(int field, ComparisonLevel level, const QString &value) const;
    // Attaches the index's frequencies (countTermFrequencies); copies of the model share them.
    void setTermFrequencies(std::shared_ptr<const TermFrequencies> frequencies) { m_frequencies = std::move(frequencies); }
    bool usesTermFrequencies() const;
    // Compares normalised values field by field, and each two name fields crosswise for a
    // forename and surname swapped (compareSwappedNames).
    ComparisonVector compare(const MatchRecord &query, const MatchRecord &candidate) const;
    double score(const ComparisonVector &levels) const;
    // The score with term-frequency adjusted weights for the candidate's values.
    double score(const ComparisonVector &levels, const MatchRecord &candidate) const;
    double posterior(double score) const;

    // {"prior": λ, "fields": {"<name>": {"comparator": ..., "m": {"exact": ..}, "u": {..}}}}
    QJsonObject toJson() const;
    // The `fields:` and `prior:` of a match step in YAML, for pasting into a bot file.
    // `valueTemplates` and `columns` (by field, in field order; may be shorter or empty)
    // are the step's own `value:` and `column:` keys, printed with each field so the
    // printed step replaces the old one as it is. A column equal to the field's name is
    // left out, as the step defaults it.
    QString toYaml(const QStringList &valueTemplates = {}, const QStringList &columns = {}) const;

private:
    void rebuildWeights();

    QList<FieldModel> m_fields;
    double m_prior = 0.01;
    std::vector<std::array<double, kLevelCount + 1>> m_weights;  // per field, per level incl. Missing
    std::shared_ptr<const TermFrequencies> m_frequencies;
};

// Reads a level's probabilities from a bot file value: a list of kLevelCount numbers in
// level order, or a map from level names ("exact", "close", ...) to numbers (absent
// levels 0). Fails with InvalidArgument on negative numbers or unknown names.
Result<LevelProbabilities> levelProbabilitiesFromJson(const QJsonValue &value);

// A pair a person (or the truth file) has judged.
struct LabelledPair {
    ComparisonVector levels;
    bool isMatch = false;
};

// m from the matching pairs and u from the others, per field and level (with add-half
// smoothing over the levels each comparator uses); the prior becomes the matching share.
// Fields with no labelled evidence keep the model's values. Fails with InvalidArgument
// when there are no matching or no non-matching pairs.
Result<MatchModel> learnFromLabelledPairs(const MatchModel &start, const QList<LabelledPair> &pairs);
// Below this many matching pairs, or this many others, what people's answers teach is
// noise (two answers give m equal to u and a prior of 0.5): `clerk eval --answers` waits.
inline constexpr int kMinPairsToLearnFrom = 20;

} // namespace clerk::match
