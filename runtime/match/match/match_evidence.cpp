#include "match/match_evidence.h"

#include <cmath>

namespace clerk::match {

namespace {

double roundedToHundredths(double value)
{
    return std::round(value * 100.0) / 100.0;
}

// Missing is a level evidence may show, so it parses too.
std::optional<ComparisonLevel> parseLevel(const QString &name)
{
    for (int level = 0; level <= kLevelCount; ++level) {
        const auto candidate = static_cast<ComparisonLevel>(level);
        if (toString(candidate) == name)
            return candidate;
    }
    return std::nullopt;
}

} // namespace

CandidateEvidence candidateEvidence(const MatchModel &model, const MatchRecord &query,
                                    const ScoredCandidate &candidate)
{
    CandidateEvidence evidence;
    evidence.recordId = candidate.record.id;
    evidence.score = roundedToHundredths(candidate.score);
    evidence.probability = candidate.probability;
    for (int f = 0; f < model.fieldCount(); ++f) {
        const ComparisonLevel level = static_cast<size_t>(f) < candidate.levels.size()
                                          ? candidate.levels[static_cast<size_t>(f)]
                                          : ComparisonLevel::Missing;
        evidence.fields.append({model.fields()[f].name, query.values.value(f), candidate.record.values.value(f), level,
                                roundedToHundredths(model.weight(f, level, candidate.record.values.value(f)))});
    }
    return evidence;
}

QJsonObject toJson(const FieldEvidence &field)
{
    return {{QStringLiteral("field"), field.field},
            {QStringLiteral("query"), field.query},
            {QStringLiteral("candidate"), field.candidate},
            {QStringLiteral("level"), toString(field.level)},
            {QStringLiteral("weight"), field.weight}};
}

QJsonObject toJson(const CandidateEvidence &evidence)
{
    QJsonArray fields;
    for (const FieldEvidence &field : evidence.fields)
        fields.append(toJson(field));
    QJsonObject json{{QStringLiteral("record_id"), evidence.recordId}, {QStringLiteral("fields"), fields}};
    if (evidence.score)
        json.insert(QStringLiteral("score"), *evidence.score);
    if (evidence.probability)
        json.insert(QStringLiteral("probability"), *evidence.probability);
    return json;
}

CandidateEvidence candidateEvidenceFromJson(const QJsonObject &json)
{
    CandidateEvidence evidence;
    evidence.recordId = json.value(QStringLiteral("record_id")).toString();
    if (const QJsonValue score = json.value(QStringLiteral("score")); score.isDouble())
        evidence.score = score.toDouble();
    if (const QJsonValue probability = json.value(QStringLiteral("probability")); probability.isDouble())
        evidence.probability = probability.toDouble();
    for (const QJsonValue &value : json.value(QStringLiteral("fields")).toArray()) {
        const QJsonObject field = value.toObject();
        const auto level = parseLevel(field.value(QStringLiteral("level")).toString());
        if (!level)
            continue;
        evidence.fields.append({field.value(QStringLiteral("field")).toString(),
                                field.value(QStringLiteral("query")).toString(),
                                field.value(QStringLiteral("candidate")).toString(), *level,
                                field.value(QStringLiteral("weight")).toDouble()});
    }
    return evidence;
}

QString candidatesKey()
{
    return QStringLiteral("candidates");
}

QList<CandidateEvidence> takeCandidates(QJsonObject &evidence)
{
    const QJsonValue stored = evidence.value(candidatesKey());
    if (!stored.isArray())
        return {};
    QList<CandidateEvidence> candidates;
    for (const QJsonValue &value : stored.toArray()) {
        if (!value.toObject().value(QStringLiteral("record_id")).isString())
            return {};
        candidates.append(candidateEvidenceFromJson(value.toObject()));
    }
    evidence.remove(candidatesKey());
    return candidates;
}

QList<LabelledPair> labelledPairsFromEvidence(const MatchModel &model, const QJsonObject &evidence,
                                              const QString &chosen)
{
    Q_ASSERT_X(!chosen.isEmpty(), "labelledPairsFromEvidence", "an answered question names a choice");
    QList<LabelledPair> pairs;
    QJsonObject question = evidence;
    for (const CandidateEvidence &candidate : takeCandidates(question)) {
        LabelledPair pair;
        pair.levels.assign(static_cast<size_t>(model.fieldCount()), ComparisonLevel::Missing);
        for (const FieldEvidence &field : candidate.fields) {
            const int f = model.fieldIndex(field.field);
            if (f >= 0)
                pair.levels[static_cast<size_t>(f)] = field.level;
        }
        pair.isMatch = candidate.recordId == chosen;
        pairs.append(pair);
    }
    return pairs;
}

} // namespace clerk::match
