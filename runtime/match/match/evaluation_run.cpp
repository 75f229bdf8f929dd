#include "match/evaluation_run.h"

#include "match/csv_table.h"

#include <algorithm>
#include <map>
#include <random>

namespace clerk::match {

namespace {

constexpr int kRandomPairs = 200000;
constexpr qsizetype kCandidatePairSample = 2000000;
constexpr qsizetype kPairsPerKey = 500000;
constexpr unsigned kSeed = 20240611;

QJsonObject rowObject(const CsvTable &table, const QStringList &row)
{
    QJsonObject object;
    for (qsizetype c = 0; c < table.header.size(); ++c)
        object.insert(table.header[c], row.value(c));
    return object;
}

// The febrl "rec-N-dup-K" / "rec-N-org" person number, or empty.
QString febrlPerson(const QString &id)
{
    const QStringList parts = id.split(u'-');
    return parts.size() >= 3 && parts[0] == QLatin1String("rec") ? parts[1] : QString();
}

Error invalid(const QString &message)
{
    return Error::invalidArgument(message);
}

// The truth of each query id for the Explicit and Febrl4 layouts.
Result<QHash<QString, QString>> truthOf(const EvaluationFiles &files, const CsvTable &queryTable, int queryIdColumn,
                                        const RecordIndex &index)
{
    QHash<QString, QString> truthById;
    if (files.layout == TruthLayout::Explicit) {
        auto truthTable = CsvTable::read(files.truth);
        if (!truthTable)
            return fail(truthTable.error());
        if (truthTable->header.size() < 2)
            return fail(invalid(files.truth + QStringLiteral(": needs two columns, query_id and record_id")));
        const int q = std::max(0, truthTable->column(QStringLiteral("query_id")));
        const int r = truthTable->column(QStringLiteral("record_id")) >= 0 ? truthTable->column(QStringLiteral("record_id")) : 1;
        for (const QStringList &row : truthTable->rows)
            truthById.insert(row.value(q), row.value(r));
        return truthById;
    }
    QHash<QString, QString> originals;  // person number -> the indexed record id
    for (qsizetype i = 0; i < index.size(); ++i)
        originals.insert(febrlPerson(index.record(i).id), index.record(i).id);
    for (const QStringList &row : queryTable.rows)
        truthById.insert(row[queryIdColumn], originals.value(febrlPerson(row[queryIdColumn])));
    return truthById;
}

} // namespace

bool inPart(const QString &personKey, int part, int parts)
{
    if (parts <= 0)
        return true;
    std::uint64_t hash = 14695981039346656037ULL;  // FNV-1a over UTF-16 units: the same on every machine
    for (QChar c : personKey) {
        hash ^= c.unicode();
        hash *= 1099511628211ULL;
    }
    return static_cast<int>(hash % static_cast<std::uint64_t>(parts)) == part - 1;
}

QJsonObject FittedModel::toJson() const
{
    QJsonObject object{{QStringLiteral("pairs"), pairs},
                       {QStringLiteral("iterations"), iterations},
                       {QStringLiteral("converged"), converged},
                       {QStringLiteral("model"), model.toJson()}};
    if (fromLabels)
        object.insert(QStringLiteral("learnt_from_labels"), true);
    return object;
}

Result<EvaluationSet> loadEvaluationSet(const MatchSettings &settings, const EvaluationFiles &files,
                                        const QueryValues &queryValues)
{
    auto recordTable = CsvTable::read(files.records);
    if (!recordTable)
        return fail(recordTable.error());
    const QList<FieldSpec> specs = settings.model.fieldSpecs();
    const int idColumn = recordTable->column(settings.columns.idColumn);
    if (idColumn < 0)
        return fail(invalid(QStringLiteral("%1 has no id column %2").arg(files.records, settings.columns.idColumn)));
    QList<int> fieldColumns;
    for (qsizetype f = 0; f < specs.size(); ++f) {
        const int column = recordTable->column(settings.columns.fieldColumns[f]);
        if (column < 0)
            return fail(invalid(QStringLiteral("%1 has no column %2 for field %3")
                                    .arg(files.records, settings.columns.fieldColumns[f], specs[f].name)));
        fieldColumns.append(column);
    }

    EvaluationSet set;
    set.index = std::make_shared<RecordIndex>(specs, settings.keys, settings.maxBlockSize);
    for (const QStringList &row : recordTable->rows) {
        QStringList raw;
        for (int column : fieldColumns)
            raw.append(row[column]);
        set.recordsById.insert(row[idColumn], MatchRecord::fromRaw(row[idColumn], specs, raw));
    }
    const auto addRecord = [&](const QStringList &row) { set.index->add(set.recordsById.value(row[idColumn])); };

    if (files.layout == TruthLayout::Clusters) {
        const int cluster = recordTable->column(files.clusterColumn);
        if (cluster < 0)
            return fail(invalid(QStringLiteral("%1 has no column %2").arg(files.records, files.clusterColumn)));
        std::map<QString, QList<qsizetype>> byCluster;  // sorted by cluster id
        for (qsizetype r = 0; r < recordTable->rows.size(); ++r)
            byCluster[recordTable->rows[r][cluster]].append(r);
        qsizetype n = 0;
        for (const auto &[clusterId, rows] : byCluster) {
            const bool heldOut = n++ % 10 == 9;
            const bool measured = inPart(clusterId, files.part, files.parts);
            for (qsizetype i = 0; i < rows.size(); ++i) {
                const QStringList &row = recordTable->rows[rows[i]];
                if (i == 0 && !heldOut) {
                    addRecord(row);
                    continue;
                }
                if (measured)
                    set.queries.append({row[idColumn], rowObject(*recordTable, row),
                                    heldOut ? QString() : recordTable->rows[rows[0]][idColumn]});
            }
        }
    } else {
        for (const QStringList &row : recordTable->rows)
            addRecord(row);
        auto queryTable = CsvTable::read(files.queries);
        if (!queryTable)
            return fail(queryTable.error());
        const QString queryIdName = files.queryIdColumn.isEmpty() ? settings.columns.idColumn : files.queryIdColumn;
        const int queryIdColumn = queryTable->column(queryIdName);
        if (queryIdColumn < 0)
            return fail(invalid(QStringLiteral("%1 has no id column %2 (see --query-id)").arg(files.queries, queryIdName)));
        auto truthById = truthOf(files, *queryTable, queryIdColumn, *set.index);
        if (!truthById)
            return fail(truthById.error());
        for (const QStringList &row : queryTable->rows) {
            const QString id = row[queryIdColumn];
            if (files.layout == TruthLayout::Explicit && !truthById->contains(id)) {
                ++set.unlabelled;
                continue;
            }
            QString trueId = truthById->value(id);
            if (!trueId.isEmpty() && !set.index->find(trueId))
                trueId.clear();
            if (inPart(trueId.isEmpty() ? id : trueId, files.part, files.parts))
                set.queries.append({id, rowObject(*queryTable, row), trueId});
        }
        if (set.queries.isEmpty())
            return fail(invalid(QStringLiteral("no labelled query to measure: the truth file names none of the "
                                               "queries' ids (column %1; see --query-id)")
                                    .arg(queryIdName)));
    }

    set.queryRecords.reserve(set.queries.size());
    for (const EvaluationQuery &query : set.queries)
        set.queryRecords.append(MatchRecord::fromRaw(query.id, specs, queryValues(query.row)));
    // Candidates once: they do not depend on m and u.
    set.candidates.resize(static_cast<size_t>(set.queryRecords.size()));
    for (qsizetype q = 0; q < set.queryRecords.size(); ++q)
        set.candidates[static_cast<size_t>(q)] = set.index->candidatePositions(set.queryRecords[q]);
    return set;
}

Result<FittedModel> estimateModel(const MatchModel &start, const EvaluationSet &set, bool oneRecordPerPerson)
{
    const RecordIndex &index = *set.index;
    QList<ComparisonVector> pairs;
    qsizetype total = 0;
    for (const auto &c : set.candidates)
        total += static_cast<qsizetype>(c.size());
    const qsizetype stride = std::max<qsizetype>(1, total / kCandidatePairSample + 1);
    QList<int> perQuery;
    for (qsizetype q = 0; q < set.queryRecords.size(); q += stride) {
        if (oneRecordPerPerson)
            perQuery.append(static_cast<int>(set.candidates[static_cast<size_t>(q)].size()));
        for (std::uint32_t position : set.candidates[static_cast<size_t>(q)])
            pairs.append(start.compare(set.queryRecords[q], index.record(position)));
    }
    // u from random query/record pairs; m per blocking key by EM with u fixed; then the prior.
    QList<ComparisonVector> randomPairs;
    std::mt19937 rng(kSeed);
    if (index.size() > 0 && !set.queryRecords.isEmpty()) {
        std::uniform_int_distribution<qsizetype> anyQuery(0, set.queryRecords.size() - 1);
        std::uniform_int_distribution<qsizetype> anyRecord(0, index.size() - 1);
        for (int i = 0; i < kRandomPairs; ++i)
            randomPairs.append(start.compare(set.queryRecords[anyQuery(rng)], index.record(anyRecord(rng))));
    }
    auto withU = withUFromRandomPairs(start, randomPairs);
    if (!withU)
        return fail(withU.error());
    QList<BlockedPairs> perKey;
    for (qsizetype k = 0; k < index.keys().size(); ++k) {
        BlockedPairs block;
        for (const BlockingKey::Part &part : index.keys()[k].parts)
            block.blockedFields.append(part.field);
        for (qsizetype q = 0; q < set.queryRecords.size() && block.pairs.size() < kPairsPerKey; q += stride) {
            const auto positions = index.candidatePositions(set.queryRecords[q], k);
            if (oneRecordPerPerson)
                block.perQuery.append(static_cast<int>(positions.size()));
            for (std::uint32_t position : positions)
                block.pairs.append(start.compare(set.queryRecords[q], index.record(position)));
        }
        perKey.append(std::move(block));
    }
    auto fitted = estimateByBlockedEm(*withU, perKey, pairs, {}, perQuery);
    if (!fitted)
        return fail(fitted.error());
    return FittedModel{fitted->model, pairs.size(), fitted->iterations, fitted->converged, false};
}

Result<FittedModel> learnFromLabelFile(const MatchModel &start, const EvaluationSet &set, const QString &labelsPath)
{
    auto labelTable = CsvTable::read(labelsPath);
    if (!labelTable)
        return fail(labelTable.error());
    const auto columnOf = [&](const char *a, const char *b, int fallback) {
        const int c = labelTable->column(QString::fromLatin1(a));
        if (c >= 0)
            return c;
        const int d = labelTable->column(QString::fromLatin1(b));
        return d >= 0 ? d : fallback;
    };
    const int left = columnOf("unique_id_l", "id_l", 0);
    const int right = columnOf("unique_id_r", "id_r", 1);
    const int verdict = columnOf("clerical_match_score", "match", 2);
    QList<LabelledPair> labelled;
    for (const QStringList &row : labelTable->rows) {
        const auto l = set.recordsById.constFind(row.value(left));
        const auto r = set.recordsById.constFind(row.value(right));
        if (l == set.recordsById.constEnd() || r == set.recordsById.constEnd())
            continue;
        labelled.append({start.compare(*l, *r), row.value(verdict).toDouble() >= 0.5});
    }
    auto learnt = learnFromLabelledPairs(start, labelled);
    if (!learnt)
        return fail(learnt.error());
    QList<ComparisonVector> pairs;
    for (qsizetype q = 0; q < set.queryRecords.size(); ++q) {
        for (std::uint32_t position : set.candidates[static_cast<size_t>(q)])
            pairs.append(learnt->compare(set.queryRecords[q], set.index->record(position)));
    }
    if (pairs.isEmpty())
        return FittedModel{*learnt, labelled.size(), 0, true, true};
    EmOptions priorOnly;
    priorOnly.estimateM = false;
    priorOnly.estimateU = false;
    auto fitted = estimateByEm(MatchModel(learnt->fields(), 0.1), pairs, priorOnly);
    if (!fitted)
        return fail(fitted.error());
    return FittedModel{fitted->model, labelled.size(), fitted->iterations, fitted->converged, true};
}

QList<QueryResult> decideAll(const MatchModel &givenModel, const EvaluationSet &set, const MatchSettings &settings)
{
    const MatchModel model = withTermFrequencies(givenModel, *set.index);
    QList<QueryResult> results;
    results.reserve(set.queryRecords.size());
    for (qsizetype q = 0; q < set.queryRecords.size(); ++q) {
        QList<MatchRecord> found;
        const MatchRecord *truthRecord = set.index->find(set.queries[q].trueId);
        bool truthFound = false;
        for (std::uint32_t position : set.candidates[static_cast<size_t>(q)]) {
            found.append(set.index->record(position));
            truthFound = truthFound || &set.index->record(position) == truthRecord;
        }
        const MatchDecision decision = Matcher::decide(model, set.queryRecords[q], found, settings.thresholds,
                                                       settings.maxCandidates);
        results.append(toQueryResult(decision, set.queries[q].trueId, truthFound));
    }
    return results;
}

QByteArray decisionsCsv(const EvaluationSet &set, const QList<QueryResult> &results, const MatchThresholds &thresholds)
{
    QByteArray csv = "query_id,true_id,best_id,probability,runner_up,band,truth_among_candidates\n";
    for (qsizetype q = 0; q < results.size(); ++q) {
        const QueryResult &r = results[q];
        const bool accepted = !r.bestId.isEmpty() && r.bestProbability >= thresholds.upper
                              && r.bestProbability - r.runnerUpProbability >= thresholds.margin;
        const bool none = r.bestId.isEmpty() || r.pairProbability() < thresholds.lower;
        csv += QStringLiteral("%1,%2,%3,%4,%5,%6,%7\n")
                   .arg(set.queries.value(q).id, r.trueId, r.bestId)
                   .arg(r.bestProbability, 0, 'g', 8)
                   .arg(r.runnerUpProbability, 0, 'g', 8)
                   .arg(accepted ? QStringLiteral("matched") : none ? QStringLiteral("no_match") : QStringLiteral("needs_person"))
                   .arg(r.truthAmongCandidates ? 1 : 0)
                   .toUtf8();
    }
    return csv;
}

QJsonObject exactRuleMetrics(const EvaluationSet &set, const QList<int> &fields, qsizetype withTruth)
{
    const auto keyOf = [&](const MatchRecord &r) {
        QStringList parts;
        for (int f : fields) {
            if (r.values.value(f).isEmpty())
                return QString();
            parts.append(r.values.value(f));
        }
        return parts.join(QChar(0x1f));
    };
    QHash<QString, QStringList> byKey;
    for (qsizetype i = 0; i < set.index->size(); ++i) {
        const QString key = keyOf(set.index->record(i));
        if (!key.isEmpty())
            byKey[key].append(set.index->record(i).id);
    }
    qsizetype linked = 0, correct = 0;
    for (qsizetype q = 0; q < set.queryRecords.size(); ++q) {
        const QStringList ids = byKey.value(keyOf(set.queryRecords[q]));
        if (ids.size() != 1)
            continue;
        ++linked;
        correct += ids.first() == set.queries[q].trueId ? 1 : 0;
    }
    const double precision = linked ? static_cast<double>(correct) / static_cast<double>(linked) : 1.0;
    const double recall = withTruth ? static_cast<double>(correct) / static_cast<double>(withTruth) : 0.0;
    return {{QStringLiteral("linked"), linked},
            {QStringLiteral("precision"), precision},
            {QStringLiteral("recall"), recall},
            {QStringLiteral("f1"), precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0.0}};
}

} // namespace clerk::match
