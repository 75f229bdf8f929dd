// clerk eval for a bot's match step: decides every query as the step would, against an
// index of the records, and measures the decisions against the truth.
//
//   clerk eval BOT --records A.csv --queries B.csv --truth T.csv [--step ID] [--estimate] [--rule F1,F2] [--json]
//       T.csv: query id, record id (columns query_id and record_id, else the first two).
//   clerk eval BOT --layout febrl4 --records febrl4a.csv --queries febrl4b.csv
//       truth from the ids: rec-N-dup-K is the same person as rec-N-org.
//   clerk eval BOT --answers [--db DB]
//       learns m, u and the prior from people's answers to the step's questions in the
//       exception queue (the chosen candidate is a match, the others are not) and prints
//       them as YAML for the bot file.
//   clerk eval BOT --layout clusters --records people.csv [--cluster-column cluster] [--labels pairs.csv]
//       one file with a cluster (true person) column: each cluster's first row is indexed,
//       its other rows are the queries; every tenth cluster (sorted) is left out of the
//       index so its rows are people the index does not hold.
//
// Queries are rendered through the step's field templates with the query row as
// `input`, so the same bot file serves forms and evaluation. --estimate fits the model
// first and prints it as YAML for the bot file: u from 200,000 random query/record pairs,
// m by EM per blocking key with u fixed, then the prior (em_estimation.h).
#include "cli_support.h"
#include "commands.h"

#include "bot/template.h"
#include "match/csv_table.h"
#include "match/em_estimation.h"
#include "match/match_evaluation.h"
#include "match/match_settings.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QSet>

#include <algorithm>
#include <map>
#include <random>

namespace clerk::app {

namespace {

struct EvalQuery {
    QString id;
    QJsonObject row;   // header -> value
    QString trueId;    // empty: the person is not in the index
};

QString pct(double value)
{
    return QString::number(100.0 * value, 'f', 2) + QLatin1Char('%');
}

QJsonObject rowObject(const match::CsvTable &table, const QStringList &row)
{
    QJsonObject object;
    for (qsizetype c = 0; c < table.header.size(); ++c)
        object.insert(table.header[c], row.value(c));
    return object;
}

// The pairs people judged when they answered the match step `stepId` of `bot`: each
// resolved question's chosen candidate is a match and the other candidates are not
// ("none of these": all are not). The levels are the ones the question showed them.
QList<match::LabelledPair> pairsFromAnswers(const QList<store::ExceptionItem> &answered, const QString &stepId,
                                            const match::MatchModel &model, int &questions)
{
    QList<match::LabelledPair> pairs;
    questions = 0;
    for (const store::ExceptionItem &exception : answered) {
        if (exception.stepId != stepId)
            continue;
        const QString choice = exception.decision.value(QStringLiteral("choice")).toString();
        const QString named = exception.decision.value(QStringLiteral("fields")).toObject()
                                  .value(QStringLiteral("record_id")).toString();
        const QString chosen = !named.isEmpty() ? named : choice;
        if (chosen.isEmpty())
            continue;
        ++questions;
        for (const QJsonValue &value : exception.evidence.value(QStringLiteral("candidates")).toArray()) {
            const QJsonObject candidate = value.toObject();
            match::LabelledPair pair;
            pair.levels.assign(static_cast<size_t>(model.fieldCount()), match::ComparisonLevel::Missing);
            for (const QJsonValue &fieldValue : candidate.value(QStringLiteral("fields")).toArray()) {
                const QJsonObject field = fieldValue.toObject();
                const int f = model.fieldIndex(field.value(QStringLiteral("field")).toString());
                if (f < 0)
                    continue;
                for (int level = 0; level <= match::kLevelCount; ++level) {
                    const auto candidateLevel = static_cast<match::ComparisonLevel>(level);
                    if (match::toString(candidateLevel) == field.value(QStringLiteral("level")).toString())
                        pair.levels[static_cast<size_t>(f)] = candidateLevel;
                }
            }
            pair.isMatch = candidate.value(QStringLiteral("record_id")).toString() == chosen;
            pairs.append(pair);
        }
    }
    return pairs;
}

int complain(const QString &message)
{
    err() << "clerk eval: " << message << "\n";
    err().flush();
    return ExitInvalid;
}

// The febrl "rec-N-dup-K" / "rec-N-org" person number, or empty.
QString febrlPerson(const QString &id)
{
    const QStringList parts = id.split(u'-');
    return parts.size() >= 3 && parts[0] == QLatin1String("rec") ? parts[1] : QString();
}

} // namespace

namespace {

// The options of clerk eval for a match step, shared by the command and its part of
// `clerk eval --help`.
struct MatchEvalOptions {
    QCommandLineOption records{QStringLiteral("records"), QStringLiteral("The records to index (CSV), as the step's index holds them."),
                               QStringLiteral("csv")};
    QCommandLineOption queries{QStringLiteral("queries"),
                               QStringLiteral("The queries (CSV; columns as the step's value templates read them, as "
                                              "{{ input.COLUMN }})."),
                               QStringLiteral("csv")};
    QCommandLineOption truth{QStringLiteral("truth"),
                             QStringLiteral("The true record of each query (CSV with columns query_id and record_id, "
                                            "else the first two columns). An empty record_id: the records do not hold "
                                            "that person. A query with no row is unlabelled and left out."),
                             QStringLiteral("csv")};
    QCommandLineOption layout{QStringLiteral("layout"),
                              QStringLiteral("explicit (default: --truth), febrl4 (truth from rec-N-org / rec-N-dup-K ids) "
                                             "or clusters (one file with a cluster column)."),
                              QStringLiteral("name"), QStringLiteral("explicit")};
    QCommandLineOption clusterColumn{QStringLiteral("cluster-column"),
                                     QStringLiteral("For --layout clusters: the column naming the true person (default cluster)."),
                                     QStringLiteral("column"), QStringLiteral("cluster")};
    QCommandLineOption queryId{QStringLiteral("query-id"),
                               QStringLiteral("The queries' id column (default: the index's id_column)."),
                               QStringLiteral("column")};
    QCommandLineOption step{QStringLiteral("step"), QStringLiteral("The id of the match step (needed when the bot has several)."),
                            QStringLiteral("id")};
    QCommandLineOption estimate{QStringLiteral("estimate"),
                                QStringLiteral("Fit m, u and the prior by EM on the candidate pairs before deciding, and "
                                               "print them as YAML to paste into the step.")};
    QCommandLineOption rule{QStringLiteral("rule"),
                            QStringLiteral("Also measure the deterministic rule: exact agreement on these fields "
                                           "(comma-separated), linked when exactly one record agrees."),
                            QStringLiteral("fields")};
    QCommandLineOption labels{QStringLiteral("labels"),
                              QStringLiteral("Learn m and u from labelled pairs of the records file (CSV: unique_id_l, "
                                             "unique_id_r, clerical_match_score 1 or 0; or id_l, id_r, match), then fit "
                                             "the prior by EM; as people's answers would teach the step."),
                              QStringLiteral("csv")};
    QCommandLineOption decisions{QStringLiteral("decisions"),
                                 QStringLiteral("Also write every decision (query id, true id, best id, probabilities, "
                                                "band) to this CSV file."),
                                 QStringLiteral("file")};
    QCommandLineOption answers{QStringLiteral("answers"),
                               QStringLiteral("Learn m, u and the prior from people's answers to the step's questions in "
                                              "the exception queue (--db; at least %1 matching and %1 other candidate "
                                              "pairs), and print them as YAML to paste into the step.")
                                   .arg(match::kMinPairsToLearnFrom)};

    void addTo(QCommandLineParser &parser) const
    {
        for (const QCommandLineOption *option : {&records, &queries, &truth, &layout, &clusterColumn, &queryId, &step,
                                                 &estimate, &rule, &labels, &decisions, &answers})
            parser.addOption(*option);
    }
};

const QString kMatchEvalDescription = QStringLiteral(
    "Measures a bot's match step on queries whose true record is known: precision, recall and F1 of the best\n"
    "candidate, the share of true matches accepted without a person and their precision at the bot's\n"
    "thresholds, and a table of other upper thresholds.\n"
    "  clerk eval BOT --records R.csv --queries Q.csv --truth T.csv [--estimate] [--rule F1,F2] [--json]\n"
    "  clerk eval BOT --layout febrl4 --records A.csv --queries B.csv\n"
    "  clerk eval BOT --layout clusters --records people.csv [--cluster-column cluster] [--labels pairs.csv]\n"
    "  clerk eval BOT --answers [--db DB]");

} // namespace

QString evalMatchHelp()
{
    QCommandLineParser parser;
    parser.setApplicationDescription(kMatchEvalDescription);
    MatchEvalOptions options;
    options.addTo(parser);
    QString help = parser.helpText();
    help = help.mid(help.indexOf(QLatin1Char('\n')) + 1);  // without Qt's "Usage:" line
    return QStringLiteral("For a match step (any of --records, --queries, --truth, --layout or --answers given):\n") + help;
}

int evalMatchCommand(const QStringList &arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(kMatchEvalDescription);
    CommonOptions common;
    common.addTo(parser);
    const MatchEvalOptions options;
    options.addTo(parser);
    const QCommandLineOption &records = options.records, &queries = options.queries, &truth = options.truth,
                             &layout = options.layout, &clusterColumn = options.clusterColumn,
                             &queryId = options.queryId, &step = options.step, &estimate = options.estimate,
                             &rule = options.rule, &labels = options.labels, &decisions = options.decisions,
                             &answers = options.answers;
    parser.addPositionalArgument(QStringLiteral("bot"), QStringLiteral("The bot file."), QStringLiteral("BOT"));
    int exitCode = ExitOk;
    if (!parseCommand(parser, arguments, exitCode))
        return exitCode;
    if (parser.positionalArguments().size() != 1)
        return complain(QStringLiteral("name one bot file."));
    const QString mode = parser.value(layout);
    if (mode != QLatin1String("explicit") && mode != QLatin1String("febrl4") && mode != QLatin1String("clusters"))
        return complain(QStringLiteral("--layout is explicit, febrl4 or clusters"));
    if (!parser.isSet(answers) &&
        (!parser.isSet(records) || (mode != QLatin1String("clusters") && !parser.isSet(queries))
         || (mode == QLatin1String("explicit") && !parser.isSet(truth))))
        return complain(QStringLiteral("give --records and --queries, and --truth unless a --layout gives the truth"));

    const QString botPath = parser.positionalArguments().first();
    bot::Diagnostics connectorProblems;
    const bot::ConnectorSet connectors = loadConnectors({botPath}, parser.values(common.connectors), connectorProblems);
    const engine::StepRegistry registry = engine::StepRegistry::builtIn();
    std::optional<bot::BotDefinition> definition = loadBotOrReport(botPath, registry, connectors);
    if (!definition)
        return ExitInvalid;
    QList<bot::StepDefinition> steps;
    for (const bot::StepDefinition &s : definition->steps) {
        if (s.type == QLatin1String("match") && (!parser.isSet(step) || s.id == parser.value(step)))
            steps.append(s);
    }
    if (steps.size() != 1)
        return complain(steps.isEmpty() ? botPath + QStringLiteral(" has no match step")
                                        : botPath + QStringLiteral(" has several match steps: name one with --step"));
    auto settings = match::MatchSettings::fromParams(steps.first().params, definition->thresholds);
    if (!settings)
        return complain(settings.error().toString());
    QList<bot::Template> templates;
    for (const QString &text : settings->valueTemplates) {
        auto parsed = bot::Template::parse(text);
        if (!parsed)
            return complain(parsed.error().toString());
        templates.append(*parsed);
    }
    const QList<match::FieldSpec> specs = settings->model.fieldSpecs();

    if (parser.isSet(answers)) {
        auto store = openStore(databaseLocation(parser, common));
        if (!store)
            return complain(store.error().toString());
        store::ExceptionFilter filter;
        filter.bot = definition->name;
        filter.state = store::ExceptionState::Resolved;
        filter.limit = 100000;
        auto answered = (*store)->exceptions(filter);
        if (!answered)
            return complain(answered.error().toString());
        int questions = 0;
        const QList<match::LabelledPair> pairs = pairsFromAnswers(*answered, steps.first().id, settings->model, questions);
        const auto matches = std::count_if(pairs.begin(), pairs.end(), [](const auto &p) { return p.isMatch; });
        const auto others = pairs.size() - matches;
        if (matches < match::kMinPairsToLearnFrom || others < match::kMinPairsToLearnFrom)
            return complain(QStringLiteral("%1 answered questions of step %2 give %3 matching and %4 other candidate "
                                           "pairs; learning needs at least %5 of each. Answer more of its questions "
                                           "first, or fit the model with --estimate on your records.")
                                .arg(questions)
                                .arg(steps.first().id)
                                .arg(matches)
                                .arg(others)
                                .arg(match::kMinPairsToLearnFrom));
        auto learnt = match::learnFromLabelledPairs(settings->model, pairs);
        if (!learnt)
            return complain(QStringLiteral("%1 answered questions give %2 matching and %3 other pairs: %4")
                                .arg(questions)
                                .arg(matches)
                                .arg(pairs.size() - matches)
                                .arg(learnt.error().message()));
        out() << questions << " answered questions of step " << steps.first().id << ": " << matches
              << " matching pairs, " << (pairs.size() - matches) << " others\n"
              << "\nlearnt from people's answers (paste into the step's params, in place of its prior and fields):\n"
              << learnt->toYaml(settings->valueTemplates, settings->columns.fieldColumns);
        out().flush();
        return ExitOk;
    }

    // The index and the queries.
    QElapsedTimer timer;
    timer.start();
    auto recordTable = match::CsvTable::read(parser.value(records));
    if (!recordTable)
        return complain(recordTable.error().toString());
    auto index = std::make_shared<match::RecordIndex>(specs, settings->keys, settings->maxBlockSize);
    const int idColumn = recordTable->column(settings->columns.idColumn);
    if (idColumn < 0)
        return complain(QStringLiteral("%1 has no id column %2").arg(parser.value(records), settings->columns.idColumn));
    QList<int> fieldColumns;
    for (qsizetype f = 0; f < specs.size(); ++f) {
        const int column = recordTable->column(settings->columns.fieldColumns[f]);
        if (column < 0)
            return complain(QStringLiteral("%1 has no column %2 for field %3")
                                .arg(parser.value(records), settings->columns.fieldColumns[f], specs[f].name));
        fieldColumns.append(column);
    }
    auto addRecord = [&](const QStringList &row) {
        QStringList raw;
        for (int column : fieldColumns)
            raw.append(row[column]);
        index->add(match::MatchRecord::fromRaw(row[idColumn], specs, raw));
    };

    QList<EvalQuery> evalQueries;
    qsizetype unlabelled = 0;
    if (mode == QLatin1String("clusters")) {
        const int cluster = recordTable->column(parser.value(clusterColumn));
        if (cluster < 0)
            return complain(QStringLiteral("%1 has no column %2").arg(parser.value(records), parser.value(clusterColumn)));
        std::map<QString, QList<qsizetype>> byCluster;  // sorted by cluster id
        for (qsizetype r = 0; r < recordTable->rows.size(); ++r)
            byCluster[recordTable->rows[r][cluster]].append(r);
        qsizetype n = 0;
        for (const auto &[clusterId, rows] : byCluster) {
            const bool heldOut = n++ % 10 == 9;
            for (qsizetype i = 0; i < rows.size(); ++i) {
                const QStringList &row = recordTable->rows[rows[i]];
                if (i == 0 && !heldOut) {
                    addRecord(row);
                    continue;
                }
                evalQueries.append({row[idColumn], rowObject(*recordTable, row),
                                    heldOut ? QString() : recordTable->rows[rows[0]][idColumn]});
            }
        }
    } else {
        for (const QStringList &row : recordTable->rows)
            addRecord(row);
        auto queryTable = match::CsvTable::read(parser.value(queries));
        if (!queryTable)
            return complain(queryTable.error().toString());
        const QString queryIdName = parser.isSet(queryId) ? parser.value(queryId) : settings->columns.idColumn;
        const int queryIdColumn = queryTable->column(queryIdName);
        if (queryIdColumn < 0)
            return complain(QStringLiteral("%1 has no id column %2 (see --query-id)").arg(parser.value(queries), queryIdName));
        QHash<QString, QString> truthById;
        if (mode == QLatin1String("explicit")) {
            auto truthTable = match::CsvTable::read(parser.value(truth));
            if (!truthTable)
                return complain(truthTable.error().toString());
            const int q = std::max(0, truthTable->column(QStringLiteral("query_id")));
            const int r = truthTable->column(QStringLiteral("record_id")) >= 0 ? truthTable->column(QStringLiteral("record_id")) : 1;
            if (truthTable->header.size() < 2)
                return complain(parser.value(truth) + QStringLiteral(": needs two columns, query_id and record_id"));
            for (const QStringList &row : truthTable->rows)
                truthById.insert(row[q], row[r]);
        } else {
            QHash<QString, QString> originals;  // person number -> the indexed record id
            for (qsizetype i = 0; i < index->size(); ++i)
                originals.insert(febrlPerson(index->record(i).id), index->record(i).id);
            for (const QStringList &row : queryTable->rows)
                truthById.insert(row[queryIdColumn], originals.value(febrlPerson(row[queryIdColumn])));
        }
        for (const QStringList &row : queryTable->rows) {
            const QString id = row[queryIdColumn];
            // A query the truth file does not mention is unlabelled: it is left out, not
            // counted as a person the records do not hold (that is a row with no record_id).
            if (mode == QLatin1String("explicit") && !truthById.contains(id)) {
                ++unlabelled;
                continue;
            }
            QString trueId = truthById.value(id);
            if (!trueId.isEmpty() && !index->find(trueId))
                trueId.clear();
            evalQueries.append({id, rowObject(*queryTable, row), trueId});
        }
    }
    if (unlabelled > 0) {
        err() << "clerk eval: " << unlabelled << " of " << (unlabelled + evalQueries.size())
              << " queries have no row in " << parser.value(truth)
              << ": left out of the figures as unlabelled (a row with an empty record_id says the records do not "
                 "hold that person)\n";
        err().flush();
    }
    if (evalQueries.isEmpty())
        return complain(QStringLiteral("no labelled query to measure: the truth file names none of the queries' ids "
                                       "(column %1; see --query-id)")
                            .arg(parser.isSet(queryId) ? parser.value(queryId) : settings->columns.idColumn));
    QList<match::MatchRecord> queryRecords;
    queryRecords.reserve(evalQueries.size());
    for (const EvalQuery &query : evalQueries) {
        const QJsonObject scope{{QStringLiteral("input"), query.row}};
        QStringList raw;
        for (const bot::Template &t : templates)
            raw.append(t.render(scope));
        queryRecords.append(match::MatchRecord::fromRaw(query.id, specs, raw));
    }
    const qint64 loadMs = timer.restart();

    // Candidates once: they do not depend on m and u.
    std::vector<std::vector<std::uint32_t>> candidates(static_cast<size_t>(queryRecords.size()));
    for (qsizetype q = 0; q < queryRecords.size(); ++q)
        candidates[static_cast<size_t>(q)] = index->candidatePositions(queryRecords[q]);

    match::MatchModel model = settings->model;
    QJsonObject emInfo;
    if (parser.isSet(estimate)) {
        QList<match::ComparisonVector> pairs;
        qsizetype total = 0;
        for (const auto &c : candidates)
            total += static_cast<qsizetype>(c.size());
        const qsizetype stride = std::max<qsizetype>(1, total / 2000000 + 1);
        for (qsizetype q = 0; q < queryRecords.size(); q += stride) {
            for (std::uint32_t position : candidates[static_cast<size_t>(q)])
                pairs.append(model.compare(queryRecords[q], index->record(position)));
        }
        // u from random query/record pairs; m per blocking key by EM with u fixed; then the prior.
        QList<match::ComparisonVector> randomPairs;
        std::mt19937 rng(20240611);
        if (index->size() > 0 && !queryRecords.isEmpty()) {
            std::uniform_int_distribution<qsizetype> anyQuery(0, queryRecords.size() - 1);
            std::uniform_int_distribution<qsizetype> anyRecord(0, index->size() - 1);
            for (int i = 0; i < 200000; ++i)
                randomPairs.append(model.compare(queryRecords[anyQuery(rng)], index->record(anyRecord(rng))));
        }
        auto withU = match::withUFromRandomPairs(model, randomPairs);
        if (!withU)
            return complain(withU.error().toString());
        QList<match::BlockedPairs> perKey;
        for (qsizetype k = 0; k < index->keys().size(); ++k) {
            match::BlockedPairs block;
            for (const match::BlockingKey::Part &part : index->keys()[k].parts)
                block.blockedFields.append(part.field);
            for (qsizetype q = 0; q < queryRecords.size() && block.pairs.size() < 500000; q += stride) {
                for (std::uint32_t position : index->candidatePositions(queryRecords[q], k))
                    block.pairs.append(model.compare(queryRecords[q], index->record(position)));
            }
            perKey.append(std::move(block));
        }
        auto fitted = match::estimateByBlockedEm(*withU, perKey, pairs);
        if (!fitted)
            return complain(fitted.error().toString());
        model = fitted->model;
        emInfo = {{QStringLiteral("pairs"), pairs.size()},
                  {QStringLiteral("iterations"), fitted->iterations},
                  {QStringLiteral("converged"), fitted->converged},
                  {QStringLiteral("model"), model.toJson()}};
    }

    if (parser.isSet(labels)) {
        auto labelTable = match::CsvTable::read(parser.value(labels));
        if (!labelTable)
            return complain(labelTable.error().toString());
        auto columnOf = [&](const char *a, const char *b, int fallback) {
            const int c = labelTable->column(QString::fromLatin1(a));
            return c >= 0 ? c : labelTable->column(QString::fromLatin1(b)) >= 0 ? labelTable->column(QString::fromLatin1(b)) : fallback;
        };
        const int left = columnOf("unique_id_l", "id_l", 0);
        const int right = columnOf("unique_id_r", "id_r", 1);
        const int verdict = columnOf("clerical_match_score", "match", 2);
        QHash<QString, match::MatchRecord> byId;
        for (const QStringList &row : recordTable->rows) {
            QStringList raw;
            for (int column : fieldColumns)
                raw.append(row[column]);
            byId.insert(row[idColumn], match::MatchRecord::fromRaw(row[idColumn], specs, raw));
        }
        QList<match::LabelledPair> labelled;
        for (const QStringList &row : labelTable->rows) {
            const auto l = byId.constFind(row.value(left));
            const auto r = byId.constFind(row.value(right));
            if (l == byId.constEnd() || r == byId.constEnd())
                continue;
            labelled.append({model.compare(*l, *r), row.value(verdict).toDouble() >= 0.5});
        }
        auto learnt = match::learnFromLabelledPairs(model, labelled);
        if (!learnt)
            return complain(learnt.error().toString());
        // The labelled share of matches is not the share among candidates: fit the prior.
        QList<match::ComparisonVector> pairs;
        for (qsizetype q = 0; q < queryRecords.size(); ++q) {
            for (std::uint32_t position : candidates[static_cast<size_t>(q)])
                pairs.append(learnt->compare(queryRecords[q], index->record(position)));
        }
        match::EmOptions priorOnly;
        priorOnly.estimateM = false;
        priorOnly.estimateU = false;
        auto fitted = pairs.isEmpty() ? Result<match::EmResult>(match::EmResult{*learnt, 0, true})
                                      : match::estimateByEm(match::MatchModel(learnt->fields(), 0.1), pairs, priorOnly);
        if (!fitted)
            return complain(fitted.error().toString());
        model = fitted->model;
        emInfo = {{QStringLiteral("pairs"), labelled.size()},
                  {QStringLiteral("iterations"), fitted->iterations},
                  {QStringLiteral("converged"), fitted->converged},
                  {QStringLiteral("learnt_from_labels"), true},
                  {QStringLiteral("model"), model.toJson()}};
    }

    QList<match::QueryResult> results;
    results.reserve(queryRecords.size());
    for (qsizetype q = 0; q < queryRecords.size(); ++q) {
        QList<match::MatchRecord> found;
        const match::MatchRecord *truthRecord = index->find(evalQueries[q].trueId);
        bool truthFound = false;
        for (std::uint32_t position : candidates[static_cast<size_t>(q)]) {
            found.append(index->record(position));
            truthFound = truthFound || &index->record(position) == truthRecord;
        }
        const match::MatchDecision decision =
            match::Matcher::decide(model, queryRecords[q], found, settings->thresholds, settings->maxCandidates);
        results.append(match::toQueryResult(decision, evalQueries[q].trueId, truthFound));
    }
    const qint64 decideMs = timer.restart();
    if (parser.isSet(decisions)) {
        QFile file(parser.value(decisions));
        if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate))
            return complain(QStringLiteral("cannot write %1: %2").arg(file.fileName(), file.errorString()));
        file.write("query_id,true_id,best_id,probability,runner_up,band,truth_among_candidates\n");
        for (qsizetype q = 0; q < results.size(); ++q) {
            const match::QueryResult &r = results[q];
            const bool accepted = !r.bestId.isEmpty() && r.bestProbability >= settings->thresholds.upper
                                  && r.bestProbability - r.runnerUpProbability >= settings->thresholds.margin;
            const bool none = r.bestId.isEmpty() || r.bestProbability < settings->thresholds.lower;
            file.write(QStringLiteral("%1,%2,%3,%4,%5,%6,%7\n")
                           .arg(evalQueries[q].id, r.trueId, r.bestId)
                           .arg(r.bestProbability, 0, 'g', 8)
                           .arg(r.runnerUpProbability, 0, 'g', 8)
                           .arg(accepted ? QStringLiteral("matched") : none ? QStringLiteral("no_match") : QStringLiteral("needs_person"))
                           .arg(r.truthAmongCandidates ? 1 : 0)
                           .toUtf8());
        }
    }
    const match::MatchMetrics metrics = match::evaluateMatches(results, settings->thresholds);
    const QList<match::MatchThresholdRow> table =
        match::matchThresholdTable(results, settings->thresholds, match::defaultMatchUppers());

    // The deterministic rule a team would script.
    QJsonObject ruleJson;
    if (parser.isSet(rule)) {
        QList<int> ruleFields;
        for (const QString &name : parser.value(rule).split(u',', Qt::SkipEmptyParts)) {
            const int f = model.fieldIndex(name.trimmed());
            if (f < 0)
                return complain(QStringLiteral("--rule: the step has no field %1").arg(name));
            ruleFields.append(f);
        }
        auto keyOf = [&](const match::MatchRecord &r) {
            QStringList parts;
            for (int f : ruleFields) {
                if (r.values.value(f).isEmpty())
                    return QString();
                parts.append(r.values.value(f));
            }
            return parts.join(QChar(0x1f));
        };
        QHash<QString, QStringList> byKey;
        for (qsizetype i = 0; i < index->size(); ++i) {
            const QString key = keyOf(index->record(i));
            if (!key.isEmpty())
                byKey[key].append(index->record(i).id);
        }
        qsizetype linked = 0, correct = 0;
        for (qsizetype q = 0; q < queryRecords.size(); ++q) {
            const QStringList ids = byKey.value(keyOf(queryRecords[q]));
            if (ids.size() != 1)
                continue;
            ++linked;
            correct += ids.first() == evalQueries[q].trueId ? 1 : 0;
        }
        const double precision = linked ? static_cast<double>(correct) / static_cast<double>(linked) : 1.0;
        const double recall = metrics.withTruth ? static_cast<double>(correct) / static_cast<double>(metrics.withTruth) : 0.0;
        ruleJson = {{QStringLiteral("fields"), parser.value(rule)},
                    {QStringLiteral("linked"), linked},
                    {QStringLiteral("precision"), precision},
                    {QStringLiteral("recall"), recall},
                    {QStringLiteral("f1"), precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0.0}};
    }

    if (parser.isSet(common.json)) {
        QJsonObject result = metrics.toJson();
        result.insert(QStringLiteral("records"), index->size());
        result.insert(QStringLiteral("upper"), settings->thresholds.upper);
        result.insert(QStringLiteral("lower"), settings->thresholds.lower);
        result.insert(QStringLiteral("margin"), settings->thresholds.margin);
        QJsonArray rows;
        for (const match::MatchThresholdRow &row : table)
            rows.append(QJsonObject{{QStringLiteral("upper"), row.upper},
                                    {QStringLiteral("auto_accepted"), row.autoAccepted},
                                    {QStringLiteral("auto_share"), row.autoShare},
                                    {QStringLiteral("auto_precision"), row.autoPrecision},
                                    {QStringLiteral("needs_person_share"), row.needsPersonShare}});
        result.insert(QStringLiteral("thresholds"), rows);
        if (!emInfo.isEmpty())
            result.insert(QStringLiteral("em"), emInfo);
        if (!ruleJson.isEmpty())
            result.insert(QStringLiteral("rule"), ruleJson);
        result.insert(QStringLiteral("unlabelled_queries"), unlabelled);
        result.insert(QStringLiteral("load_ms"), loadMs);
        result.insert(QStringLiteral("decide_ms"), decideMs);
        printJson(result);
        return ExitOk;
    }

    out() << "records indexed: " << index->size() << ", queries: " << metrics.queries << " (" << metrics.withTruth
          << " with a true record in the index)";
    if (unlabelled > 0)
        out() << ", " << unlabelled << " unlabelled left out";
    out() << "\n"
          << "blocking: true record among the candidates for " << pct(metrics.blockingRecall) << ", "
          << QString::number(metrics.meanCandidates, 'f', 1) << " candidates per query\n";
    if (!emInfo.isEmpty())
        out() << (emInfo.value(QStringLiteral("learnt_from_labels")).toBool() ? "learnt from labels: " : "EM: ")
              << emInfo.value(QStringLiteral("pairs")).toInteger() << " pairs, "
              << emInfo.value(QStringLiteral("iterations")).toInt() << " iterations"
              << (emInfo.value(QStringLiteral("converged")).toBool() ? QString() : QStringLiteral(" (not converged)"))
              << "\n";
    out() << "best candidate as the link (probability >= " << metrics.linkThreshold << "): precision "
          << pct(metrics.precision) << ", recall " << pct(metrics.recall) << ", F1 " << QString::number(metrics.f1, 'f', 4)
          << "\n"
          << "at the bot's thresholds (upper " << settings->thresholds.upper << ", lower " << settings->thresholds.lower
          << ", margin " << settings->thresholds.margin << "):\n"
          << "  accepted without a person: " << metrics.autoAccepted << ", " << pct(metrics.autoShare)
          << " of true matches, precision " << pct(metrics.autoPrecision) << "\n"
          << "  to a person: " << metrics.needsPerson << "; no match: " << metrics.noMatch << " (of which "
          << metrics.noMatchButTrue << " had a true record)\n";
    if (!ruleJson.isEmpty())
        out() << "deterministic rule (exact " << parser.value(rule) << "): precision "
              << pct(ruleJson.value(QStringLiteral("precision")).toDouble()) << ", recall "
              << pct(ruleJson.value(QStringLiteral("recall")).toDouble()) << ", F1 "
              << QString::number(ruleJson.value(QStringLiteral("f1")).toDouble(), 'f', 4) << "\n";
    out() << "\n";
    TextTable thresholds({QStringLiteral("upper"), QStringLiteral("accepted"), QStringLiteral("share of true"),
                          QStringLiteral("precision"), QStringLiteral("to a person")});
    for (const match::MatchThresholdRow &row : table)
        thresholds.addRow({QString::number(row.upper), QString::number(row.autoAccepted), pct(row.autoShare),
                           pct(row.autoPrecision), pct(row.needsPersonShare)});
    thresholds.print(out());
    if (!emInfo.isEmpty())
        out() << "\nfitted model (paste into the step's params, in place of its prior and fields):\n"
              << model.toYaml(settings->valueTemplates, settings->columns.fieldColumns);
    out() << "\n(load " << loadMs << " ms, decide " << decideMs << " ms)\n";
    out().flush();
    return ExitOk;
}

} // namespace clerk::app
