// The Fellegi-Sunter match model: for each compared field and each comparison level, the
// probability m of seeing that level when two records are the same person and u when
// they are not. A level's weight is log2(m/u); a pair's score is the sum of its fields'
// weights (a Missing value adds 0); the posterior probability of a match given the
// prior λ (the share of candidate pairs that match) is λ·2^score / (λ·2^score + 1 - λ).
//
// Where m and u come from: the bot file (per field, per level), the comparator's
// defaults (defaultFieldModel), EM on unlabelled candidate pairs (em_estimation.h), or
// labelled pairs, including people's answers (learnFromLabelledPairs).
//
// Thread-safety: a MatchModel is a value; const methods may run on many threads at once.
#pragma once

#include "match/comparators.h"
#include "match/match_record.h"

#include <QJsonObject>
#include <QList>
#include <array>
#include <vector>

namespace clerk::match {

using LevelProbabilities = std::array<double, kLevelCount>;  // indexed by ComparisonLevel, without Missing
using ComparisonVector = std::vector<ComparisonLevel>;        // one level per field, in field order

struct FieldModel {
    QString name{};
    ComparatorKind comparator = ComparatorKind::Exact;
    LevelProbabilities m{};  // P(level | same person)
    LevelProbabilities u{};  // P(level | different people)
};

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
    // Compares normalised values field by field.
    ComparisonVector compare(const MatchRecord &query, const MatchRecord &candidate) const;
    double score(const ComparisonVector &levels) const;
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
