// An evaluation run of a match step: the records indexed as the step would index them,
// the queries with their true records (from a truth file, FEBRL's ids or a cluster
// column), the candidates blocking finds for each, a model fitted by EM or learnt from
// labelled pairs, and every query decided. `clerk eval` on a match step prints what this
// returns; bench/ and tests call it directly.
//
// Truth, by layout:
//   Explicit  a truth file: columns query_id and record_id (else the first two). An empty
//             record_id: the records do not hold that person. A query with no row is
//             unlabelled: left out (counted in EvaluationSet::unlabelled), never scored as
//             a non-match.
//   Febrl4    rec-N-dup-K (a query) is the same person as rec-N-org (a record).
//   Clusters  one file with a cluster column: each cluster's first row is indexed, its
//             other rows are queries; every tenth cluster (sorted) is held out of the index,
//             so its rows are people the index does not hold.
//
// Thread-safety: functions over values; an EvaluationSet may be read from many threads.
#pragma once

#include "match/em_estimation.h"
#include "match/match_evaluation.h"
#include "match/match_settings.h"
#include "match/record_index.h"

#include <QHash>
#include <QJsonObject>

#include <functional>
#include <memory>
#include <vector>

namespace clerk::match {

enum class TruthLayout { Explicit, Febrl4, Clusters };

struct EvaluationFiles {
    QString records{};             // CSV, with the step's index columns
    QString queries{};             // CSV (not for Clusters)
    QString truth{};               // CSV (Explicit only)
    TruthLayout layout = TruthLayout::Explicit;
    QString clusterColumn = QStringLiteral("cluster");
    QString queryIdColumn{};       // empty: the index's id column
    // Only the queries of part `part` (1..parts) of the people, split by a hash of the
    // person (the cluster, else the true record's id, else the query's id); 0: all. Choose
    // on one part, measure on another.
    int part = 0;
    int parts = 0;
};

// Whether a person falls in part `part` of `parts` (a stable hash of the key; parts <= 0: all).
bool inPart(const QString &personKey, int part, int parts);

struct EvaluationQuery {
    QString id;
    QJsonObject row;   // header -> value
    QString trueId;    // empty: the person is not in the index
};

struct EvaluationSet {
    std::shared_ptr<RecordIndex> index;
    QHash<QString, MatchRecord> recordsById;  // every record of the records file
    QList<EvaluationQuery> queries;           // labelled queries only
    QList<MatchRecord> queryRecords;          // the same, as the step renders them
    std::vector<std::vector<std::uint32_t>> candidates;  // per query: index positions blocking finds
    qsizetype unlabelled = 0;                 // queries the truth file does not mention
};

// The field values of a query row, in field order, as the step's value templates render
// them (the caller owns templates; this module does not know them).
using QueryValues = std::function<QStringList(const QJsonObject &row)>;

// Reads the files and blocks every query. InvalidArgument names the file and the missing
// column, or says that no query is labelled; NotFound/Unreadable for a file that cannot
// be read.
Result<EvaluationSet> loadEvaluationSet(const MatchSettings &settings, const EvaluationFiles &files,
                                        const QueryValues &queryValues);

struct FittedModel {
    MatchModel model;
    qsizetype pairs = 0;
    int iterations = 0;
    bool converged = true;
    bool fromLabels = false;

    QJsonObject toJson() const;  // {"pairs", "iterations", "converged", ["learnt_from_labels"], "model"}
};

// Fits m, u and the prior without labels: u from 200,000 random query/record pairs (a fixed
// seed, so runs repeat), m by EM per blocking key with u fixed, then the prior; the
// candidate pairs are sampled down to about 2,000,000. With `oneRecordPerPerson` (the
// step's index.one_record_per_person) a query's pairs compete for one match in each EM
// (estimateOneToOne), which keeps a block of one family or one town from passing for matches.
Result<FittedModel> estimateModel(const MatchModel &start, const EvaluationSet &set, bool oneRecordPerPerson = false);

// Learns m and u from labelled pairs of the records file (CSV: unique_id_l, unique_id_r,
// clerical_match_score 1 or 0; or id_l, id_r, match), then fits the prior by EM on the
// candidate pairs, since the labelled share of matches is not the share among candidates.
Result<FittedModel> learnFromLabelFile(const MatchModel &start, const EvaluationSet &set, const QString &labelsPath);

// Decides every query with `model` as the step would.
QList<QueryResult> decideAll(const MatchModel &model, const EvaluationSet &set, const MatchSettings &settings);

// Every decision as CSV: query_id, true_id, best_id, probability, runner_up, band
// (matched, no_match, needs_person) and truth_among_candidates, one row per query.
QByteArray decisionsCsv(const EvaluationSet &set, const QList<QueryResult> &results, const MatchThresholds &thresholds);

// The rule a team would script instead: a query is linked when exactly one record agrees
// exactly on every field of `fields` (none empty). {"linked", "precision", "recall", "f1"};
// recall is over `withTruth` queries.
QJsonObject exactRuleMetrics(const EvaluationSet &set, const QList<int> &fields, qsizetype withTruth);

} // namespace clerk::match
