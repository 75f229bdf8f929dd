#include "match/blocking_suggestion.h"

#include <QJsonArray>
#include <QJsonDocument>

#include <algorithm>
#include <map>

namespace clerk::match {

namespace {

QList<KeyTransform> transformsFor(ComparatorKind kind)
{
    switch (kind) {
    case ComparatorKind::Name:
        return {KeyTransform::Value, KeyTransform::Phonetic, KeyTransform::PhoneticLast, KeyTransform::Initial};
    case ComparatorKind::Date: return {KeyTransform::Value, KeyTransform::Year, KeyTransform::MonthDay};
    case ComparatorKind::Postcode: return {KeyTransform::Value, KeyTransform::Sector, KeyTransform::District};
    case ComparatorKind::Levenshtein:
    case ComparatorKind::JaroWinkler: return {KeyTransform::Value, KeyTransform::Phonetic};
    case ComparatorKind::Exact:
    case ComparatorKind::Identifier:
    case ComparatorKind::NhsNumber: return {KeyTransform::Value};
    }
    return {KeyTransform::Value};
}

// Each (field, transform) part's value for every record and every query, computed once.
class PartCache {
public:
    explicit PartCache(const EvaluationSet &set) : m_set(set) {}

    const std::vector<QString> &records(const BlockingKey::Part &part) { return entry(part).records; }
    const std::vector<QString> &queries(const BlockingKey::Part &part) { return entry(part).queries; }

private:
    struct Values {
        std::vector<QString> records, queries;
    };
    Values &entry(const BlockingKey::Part &part)
    {
        const auto id = std::make_pair(part.field, static_cast<int>(part.transform));
        auto it = m_values.find(id);
        if (it != m_values.end())
            return it->second;
        Values values;
        values.records.reserve(static_cast<size_t>(m_set.index->size()));
        for (qsizetype i = 0; i < m_set.index->size(); ++i)
            values.records.push_back(transformValue(part.transform, m_set.index->record(i).values.value(part.field)));
        values.queries.reserve(static_cast<size_t>(m_set.queryRecords.size()));
        for (const MatchRecord &query : m_set.queryRecords)
            values.queries.push_back(transformValue(part.transform, query.values.value(part.field)));
        return m_values.emplace(id, std::move(values)).first->second;
    }

    const EvaluationSet &m_set;
    std::map<std::pair<int, int>, Values> m_values;
};

QString joinedKey(const QList<const std::vector<QString> *> &parts, size_t i)
{
    QString key;
    for (const std::vector<QString> *values : parts) {
        if (!appendKeyPart(key, (*values)[i]))
            return {};
    }
    return key;
}

// The index position of each query's true record, or -1.
std::vector<qint64> truePositions(const EvaluationSet &set)
{
    std::vector<qint64> positions;
    positions.reserve(static_cast<size_t>(set.queries.size()));
    const MatchRecord *first = set.index->size() > 0 ? &set.index->record(0) : nullptr;
    for (const EvaluationQuery &query : set.queries) {
        const MatchRecord *record = query.trueId.isEmpty() ? nullptr : set.index->find(query.trueId);
        positions.push_back(record ? record - first : -1);
    }
    return positions;
}

// One key measured on the set; `found` marks the queries whose true record it brings.
KeyRecall measureKey(const BlockingKey &key, const QList<FieldSpec> &fields, PartCache &cache,
                     const std::vector<qint64> &truth, int maxBlockSize, std::vector<char> &found)
{
    QList<const std::vector<QString> *> recordParts, queryParts;
    for (const BlockingKey::Part &part : key.parts) {
        recordParts.append(&cache.records(part));
        queryParts.append(&cache.queries(part));
    }
    const size_t recordCount = recordParts.first()->size();
    std::vector<QString> recordKeys(recordCount);
    QHash<QString, qint64> bucketSizes;
    for (size_t r = 0; r < recordCount; ++r) {
        recordKeys[r] = joinedKey(recordParts, r);
        if (!recordKeys[r].isEmpty())
            ++bucketSizes[recordKeys[r]];
    }
    KeyRecall result{key, key.toString(fields)};
    found.assign(truth.size(), 0);
    for (size_t q = 0; q < truth.size(); ++q) {
        const QString queryKey = joinedKey(queryParts, q);
        if (queryKey.isEmpty())
            continue;
        const qint64 size = bucketSizes.value(queryKey);
        if (size > maxBlockSize)
            continue;
        result.comparisons += size;
        if (truth[q] >= 0 && recordKeys[static_cast<size_t>(truth[q])] == queryKey) {
            found[q] = 1;
            ++result.found;
        }
    }
    return result;
}

void finish(KeyRecall &key, qsizetype truePairs, qsizetype queries)
{
    key.recall = truePairs > 0 ? static_cast<double>(key.found) / static_cast<double>(truePairs) : 0.0;
    key.perQuery = queries > 0 ? static_cast<double>(key.comparisons) / static_cast<double>(queries) : 0.0;
}

// The keys together as an index blocks with them: found and comparisons of the union.
KeyRecall measureUnion(const std::vector<qint64> &truth,
                       const std::vector<std::vector<std::uint32_t>> &candidates, const QString &text)
{
    KeyRecall result;
    result.text = text;
    for (size_t q = 0; q < candidates.size(); ++q) {
        result.comparisons += static_cast<qint64>(candidates[q].size());
        if (truth[q] >= 0 && std::binary_search(candidates[q].begin(), candidates[q].end(),
                                                static_cast<std::uint32_t>(truth[q])))
            ++result.found;
    }
    return result;
}

QJsonObject keyJson(const KeyRecall &key)
{
    return {{QStringLiteral("key"), key.text},
            {QStringLiteral("found"), key.found},
            {QStringLiteral("recall"), key.recall},
            {QStringLiteral("comparisons"), key.comparisons},
            {QStringLiteral("per_query"), key.perQuery}};
}

} // namespace

QList<BlockingKey> candidateBlockingKeys(const QList<FieldSpec> &fields)
{
    QList<QList<BlockingKey::Part>> partsByField;
    for (qsizetype f = 0; f < fields.size(); ++f) {
        QList<BlockingKey::Part> parts;
        for (KeyTransform transform : transformsFor(fields[f].comparator))
            parts.append({static_cast<int>(f), transform});
        partsByField.append(parts);
    }
    QList<BlockingKey> keys;
    for (const auto &parts : partsByField) {
        for (const BlockingKey::Part &part : parts)
            keys.append({{part}});
    }
    for (qsizetype a = 0; a < partsByField.size(); ++a) {
        for (qsizetype b = a + 1; b < partsByField.size(); ++b) {
            for (const BlockingKey::Part &first : partsByField[a]) {
                for (const BlockingKey::Part &second : partsByField[b])
                    keys.append({{first, second}});
            }
        }
    }
    return keys;
}

BlockingSuggestion suggestBlocking(const EvaluationSet &set, int maxBlockSize, const BlockingSuggestionOptions &options)
{
    BlockingSuggestion suggestion;
    const QList<FieldSpec> &fields = set.index->fields();
    const std::vector<qint64> truth = truePositions(set);
    suggestion.queries = set.queryRecords.size();
    suggestion.truePairs = std::count_if(truth.begin(), truth.end(), [](qint64 p) { return p >= 0; });

    PartCache cache(set);
    std::vector<std::vector<char>> foundBy;
    for (const BlockingKey &key : candidateBlockingKeys(fields)) {
        std::vector<char> found;
        KeyRecall measured = measureKey(key, fields, cache, truth, maxBlockSize, found);
        finish(measured, suggestion.truePairs, suggestion.queries);
        suggestion.keys.append(measured);
        foundBy.push_back(std::move(found));
    }

    // Greedy: the key adding the most true pairs not yet found, within the bound.
    const double budget = options.maxComparisonsPerQuery * static_cast<double>(suggestion.queries);
    const double keyCost = std::max(1.0, options.keyCostPerQuery * static_cast<double>(suggestion.queries));
    std::vector<char> covered(truth.size(), 0), used(foundBy.size(), 0);
    qsizetype coveredCount = 0;
    qint64 spent = 0;
    const auto target = static_cast<qsizetype>(options.recallTarget * static_cast<double>(suggestion.truePairs) + 0.999999);
    while (suggestion.chosen.size() < options.maxKeys && coveredCount < target) {
        qsizetype best = -1, bestGain = 0;
        double bestValue = 0;
        for (size_t k = 0; k < foundBy.size(); ++k) {
            const KeyRecall &key = suggestion.keys[static_cast<qsizetype>(k)];
            if (used[k] || static_cast<double>(spent + key.comparisons) > budget)
                continue;
            qsizetype gain = 0;
            for (size_t q = 0; q < covered.size(); ++q)
                gain += foundBy[k][q] && !covered[q] ? 1 : 0;
            const double value = static_cast<double>(gain) / (static_cast<double>(key.comparisons) + keyCost);
            if (gain > 0 && value > bestValue) {
                best = static_cast<qsizetype>(k);
                bestGain = gain;
                bestValue = value;
            }
        }
        if (best < 0)
            break;
        used[static_cast<size_t>(best)] = 1;
        for (size_t q = 0; q < covered.size(); ++q)
            covered[q] = covered[q] || foundBy[static_cast<size_t>(best)][q];
        coveredCount += bestGain;
        spent += suggestion.keys[best].comparisons;
        KeyRecall step = suggestion.keys[best];
        step.found = coveredCount;
        step.comparisons = spent;
        finish(step, suggestion.truePairs, suggestion.queries);
        suggestion.chosen.append(step);
    }
    suggestion.targetReached = coveredCount >= target;

    // Both unions as an index blocks: the step's keys (the set's candidates) and the chosen ones.
    suggestion.current = measureUnion(truth, set.candidates, QStringLiteral("current"));
    QList<BlockingKey> chosenKeys;
    for (const KeyRecall &key : suggestion.chosen)
        chosenKeys.append(key.key);
    RecordIndex chosenIndex(fields, chosenKeys, maxBlockSize);
    chosenIndex.reserve(set.index->size());
    for (qsizetype i = 0; i < set.index->size(); ++i)
        chosenIndex.add(set.index->record(i));
    std::vector<std::vector<std::uint32_t>> chosenCandidates;
    for (const MatchRecord &query : set.queryRecords)
        chosenCandidates.push_back(chosenIndex.candidatePositions(query));
    suggestion.suggested = measureUnion(truth, chosenCandidates, QStringLiteral("suggested"));
    finish(suggestion.current, suggestion.truePairs, suggestion.queries);
    finish(suggestion.suggested, suggestion.truePairs, suggestion.queries);
    std::stable_sort(suggestion.keys.begin(), suggestion.keys.end(), [](const KeyRecall &a, const KeyRecall &b) {
        return a.found != b.found ? a.found > b.found : a.comparisons < b.comparisons;
    });
    return suggestion;
}

QString BlockingSuggestion::blockingYaml() const
{
    QJsonArray texts;
    for (const KeyRecall &key : chosen)
        texts.append(key.text);
    QString yaml = QString::fromUtf8(QJsonDocument(texts).toJson(QJsonDocument::Compact));
    return yaml.replace(QStringLiteral("\",\""), QStringLiteral("\", \""));
}

QJsonObject BlockingSuggestion::toJson() const
{
    QJsonArray all, picked;
    for (const KeyRecall &key : keys)
        all.append(keyJson(key));
    for (const KeyRecall &key : chosen)
        picked.append(keyJson(key));
    return {{QStringLiteral("queries"), queries},
            {QStringLiteral("true_pairs"), truePairs},
            {QStringLiteral("keys"), all},
            {QStringLiteral("chosen"), picked},
            {QStringLiteral("current"), keyJson(current)},
            {QStringLiteral("suggested"), keyJson(suggested)},
            {QStringLiteral("target_reached"), targetReached},
            {QStringLiteral("blocking"), blockingYaml()}};
}

} // namespace clerk::match
