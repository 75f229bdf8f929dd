// clerk eval for a bot's match step: the command's options and printing. What it measures
// and how (the index, the truth by layout, candidates, EM, decisions, the exact rule) is
// runtime/match's evaluation run (match/evaluation_run.h); --answers reads people's answers
// from the store and learns from them (match_model.h).
//
//   clerk eval BOT --records A.csv --queries B.csv --truth T.csv [--step ID] [--estimate] [--rule F1,F2] [--json]
//   clerk eval BOT --layout febrl4 --records febrl4a.csv --queries febrl4b.csv
//   clerk eval BOT --layout clusters --records people.csv [--cluster-column cluster] [--labels pairs.csv]
//   clerk eval BOT --answers [--db DB]
//
// Queries are rendered through the step's field templates with the query row as `input`,
// so the same bot file serves forms and evaluation.
#include "cli_support.h"
#include "commands.h"

#include "bot/template.h"
#include "match/blocking_suggestion.h"
#include "match/evaluation_run.h"
#include "match/match_evidence.h"
#include "match/match_settings.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QSet>

#include <algorithm>

namespace clerk::app {

namespace {

QString pct(double value)
{
    return QString::number(100.0 * value, 'f', 2) + QLatin1Char('%');
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
        const QString chosen = exception.decision.valueFor(QStringLiteral("record_id"));
        if (chosen.isEmpty())
            continue;
        ++questions;
        pairs.append(match::labelledPairsFromEvidence(model, exception.evidence, chosen));
    }
    return pairs;
}

int complain(const QString &message)
{
    err() << "clerk eval: " << message << "\n";
    err().flush();
    return ExitInvalid;
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
    QCommandLineOption part{QStringLiteral("part"),
                            QStringLiteral("Measure only the queries of part K of N of the people (K/N, e.g. 1/2; split "
                                           "by a hash of the person), so keys or settings chosen on one part are "
                                           "measured on another."),
                            QStringLiteral("K/N")};
    QCommandLineOption suggestBlocking{QStringLiteral("suggest-blocking"),
                                       QStringLiteral("Instead of deciding: measure each candidate blocking key's recall "
                                                      "(share of true pairs it finds) and comparisons, and print a "
                                                      "greedy union reaching --recall-target within --max-comparisons, "
                                                      "in the step's blocking syntax.")};
    QCommandLineOption recallTarget{QStringLiteral("recall-target"),
                                    QStringLiteral("For --suggest-blocking: the blocking recall to reach (default 0.99)."),
                                    QStringLiteral("share"), QStringLiteral("0.99")};
    QCommandLineOption maxComparisons{QStringLiteral("max-comparisons"),
                                      QStringLiteral("For --suggest-blocking: the most record comparisons a query may "
                                                     "cost the chosen keys together (default 500)."),
                                      QStringLiteral("n"), QStringLiteral("500")};
    QCommandLineOption answers{QStringLiteral("answers"),
                               QStringLiteral("Learn m, u and the prior from people's answers to the step's questions in "
                                              "the exception queue (--db; at least %1 matching and %1 other candidate "
                                              "pairs), and print them as YAML to paste into the step.")
                                   .arg(match::kMinPairsToLearnFrom)};

    void addTo(QCommandLineParser &parser) const
    {
        for (const QCommandLineOption *option : {&records, &queries, &truth, &layout, &clusterColumn, &queryId, &step,
                                                 &estimate, &rule, &labels, &decisions, &part, &suggestBlocking,
                                                 &recallTarget, &maxComparisons, &answers})
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
    "  clerk eval BOT ... --suggest-blocking [--recall-target 0.99] [--max-comparisons 500] [--part 1/2]\n"
    "  clerk eval BOT --answers [--db DB]");

// The match step `clerk eval` measures: the bot's only one, or the one named.
struct MatchTarget {
    QString bot;
    QString stepId;
    std::optional<match::MatchSettings> settings;
    QList<bot::Template> templates;  // per field, the step's value template
};

// Loads the bot and its match step. Reports what is wrong and returns nullopt.
std::optional<MatchTarget> loadMatchStep(const QString &botPath, const QString &stepId, const QStringList &connectorDirs)
{
    bot::Diagnostics connectorProblems;
    const bot::ConnectorSet connectors = loadConnectors({botPath}, connectorDirs, connectorProblems);
    const engine::StepRegistry registry = engine::StepRegistry::builtIn();
    std::optional<bot::BotDefinition> definition = loadBotOrReport(botPath, registry, connectors);
    if (!definition)
        return std::nullopt;
    QList<bot::StepDefinition> steps;
    for (const bot::StepDefinition &s : definition->steps) {
        if (s.type == QLatin1String("match") && (stepId.isEmpty() || s.id == stepId))
            steps.append(s);
    }
    if (steps.size() != 1) {
        complain(steps.isEmpty() ? botPath + QStringLiteral(" has no match step")
                                 : botPath + QStringLiteral(" has several match steps: name one with --step"));
        return std::nullopt;
    }
    auto settings = match::MatchSettings::fromParams(steps.first().params, definition->thresholds);
    if (!settings) {
        complain(settings.error().toString());
        return std::nullopt;
    }
    MatchTarget target{definition->name, steps.first().id, *settings, {}};
    for (const QString &text : settings->valueTemplates) {
        auto parsed = bot::Template::parse(text);
        if (!parsed) {
            complain(parsed.error().toString());
            return std::nullopt;
        }
        target.templates.append(*parsed);
    }
    return target;
}

// clerk eval --answers: m, u and the prior learnt from people's answers to the step's
// questions, printed to paste into the step.
int learnFromAnswers(const QString &location, const QString &bot, const QString &stepId,
                     const match::MatchSettings &settings)
{
    auto store = openStore(location);
    if (!store)
        return complain(store.error().toString());
    store::ExceptionFilter filter;
    filter.bot = bot;
    filter.state = store::ExceptionState::Resolved;
    filter.limit = 100000;
    auto answered = (*store)->exceptions(filter);
    if (!answered)
        return complain(answered.error().toString());
    int questions = 0;
    const QList<match::LabelledPair> pairs = pairsFromAnswers(*answered, stepId, settings.model, questions);
    const auto matches = std::count_if(pairs.begin(), pairs.end(), [](const auto &p) { return p.isMatch; });
    const auto others = pairs.size() - matches;
    if (matches < match::kMinPairsToLearnFrom || others < match::kMinPairsToLearnFrom)
        return complain(QStringLiteral("%1 answered questions of step %2 give %3 matching and %4 other candidate "
                                       "pairs; learning needs at least %5 of each. Answer more of its questions "
                                       "first, or fit the model with --estimate on your records.")
                            .arg(questions)
                            .arg(stepId)
                            .arg(matches)
                            .arg(others)
                            .arg(match::kMinPairsToLearnFrom));
    auto learnt = match::learnFromLabelledPairs(settings.model, pairs);
    if (!learnt)
        return complain(QStringLiteral("%1 answered questions give %2 matching and %3 other pairs: %4")
                            .arg(questions)
                            .arg(matches)
                            .arg(others)
                            .arg(learnt.error().message()));
    out() << questions << " answered questions of step " << stepId << ": " << matches << " matching pairs, " << others
          << " others\n"
          << "\nlearnt from people's answers (paste into the step's params, in place of its prior and fields):\n"
          << learnt->toYaml(settings.valueTemplates, settings.columns.fieldColumns);
    out().flush();
    return ExitOk;
}

// What one evaluation found, for printing.
struct EvalReport {
    match::MatchMetrics metrics;
    QList<match::MatchThresholdRow> table;
    match::MatchThresholds thresholds;
    match::MatchModel model;
    QStringList valueTemplates;
    QStringList columns;
    QJsonObject fitted;  // empty: the step's own model
    QJsonObject rule;    // empty: no --rule
    qsizetype records = 0;
    qsizetype unlabelled = 0;
    qint64 loadMs = 0;
    qint64 decideMs = 0;
};

void printEvalJson(const EvalReport &r)
{
    QJsonObject result = r.metrics.toJson();
    result.insert(QStringLiteral("records"), r.records);
    result.insert(QStringLiteral("upper"), r.thresholds.upper);
    result.insert(QStringLiteral("lower"), r.thresholds.lower);
    result.insert(QStringLiteral("margin"), r.thresholds.margin);
    QJsonArray rows;
    for (const match::MatchThresholdRow &row : r.table)
        rows.append(QJsonObject{{QStringLiteral("upper"), row.upper},
                                {QStringLiteral("auto_accepted"), row.autoAccepted},
                                {QStringLiteral("auto_share"), row.autoShare},
                                {QStringLiteral("auto_precision"), row.autoPrecision},
                                {QStringLiteral("needs_person_share"), row.needsPersonShare}});
    result.insert(QStringLiteral("thresholds"), rows);
    if (!r.fitted.isEmpty())
        result.insert(QStringLiteral("em"), r.fitted);
    if (!r.rule.isEmpty())
        result.insert(QStringLiteral("rule"), r.rule);
    result.insert(QStringLiteral("unlabelled_queries"), r.unlabelled);
    result.insert(QStringLiteral("load_ms"), r.loadMs);
    result.insert(QStringLiteral("decide_ms"), r.decideMs);
    printJson(result);
}

void printEvalText(const EvalReport &r)
{
    const match::MatchMetrics &metrics = r.metrics;
    out() << "records indexed: " << r.records << ", queries: " << metrics.queries << " (" << metrics.withTruth
          << " with a true record in the index)";
    if (r.unlabelled > 0)
        out() << ", " << r.unlabelled << " unlabelled left out";
    out() << "\n"
          << "blocking: true record among the candidates for " << pct(metrics.blockingRecall) << ", "
          << QString::number(metrics.meanCandidates, 'f', 1) << " candidates per query\n";
    if (!r.fitted.isEmpty())
        out() << (r.fitted.value(QStringLiteral("learnt_from_labels")).toBool() ? "learnt from labels: " : "EM: ")
              << r.fitted.value(QStringLiteral("pairs")).toInteger() << " pairs, "
              << r.fitted.value(QStringLiteral("iterations")).toInt() << " iterations"
              << (r.fitted.value(QStringLiteral("converged")).toBool() ? QString() : QStringLiteral(" (not converged)"))
              << "\n";
    out() << "best candidate as the link (probability >= " << metrics.linkThreshold << "): precision "
          << pct(metrics.precision) << ", recall " << pct(metrics.recall) << ", F1 " << QString::number(metrics.f1, 'f', 4)
          << "\n"
          << "at the bot's thresholds (upper " << r.thresholds.upper << ", lower " << r.thresholds.lower
          << ", margin " << r.thresholds.margin << "):\n"
          << "  accepted without a person: " << metrics.autoAccepted << ", " << pct(metrics.autoShare)
          << " of true matches, precision " << pct(metrics.autoPrecision) << "\n"
          << "  to a person: " << metrics.needsPerson << "; no match: " << metrics.noMatch << " (of which "
          << metrics.noMatchButTrue << " had a true record)\n";
    if (!r.rule.isEmpty())
        out() << "deterministic rule (exact " << r.rule.value(QStringLiteral("fields")).toString() << "): precision "
              << pct(r.rule.value(QStringLiteral("precision")).toDouble()) << ", recall "
              << pct(r.rule.value(QStringLiteral("recall")).toDouble()) << ", F1 "
              << QString::number(r.rule.value(QStringLiteral("f1")).toDouble(), 'f', 4) << "\n";
    out() << "\n";
    TextTable thresholds({QStringLiteral("upper"), QStringLiteral("accepted"), QStringLiteral("share of true"),
                          QStringLiteral("precision"), QStringLiteral("to a person")});
    for (const match::MatchThresholdRow &row : r.table)
        thresholds.addRow({QString::number(row.upper), QString::number(row.autoAccepted), pct(row.autoShare),
                           pct(row.autoPrecision), pct(row.needsPersonShare)});
    thresholds.print(out());
    if (!r.fitted.isEmpty())
        out() << "\nfitted model (paste into the step's params, in place of its prior and fields):\n"
              << r.model.toYaml(r.valueTemplates, r.columns);
    out() << "\n(load " << r.loadMs << " ms, decide " << r.decideMs << " ms)\n";
    out().flush();
}

// "K/N" with 1 <= K <= N into files.part and files.parts; false when it is not.
bool readPart(const QString &text, match::EvaluationFiles &files)
{
    const QStringList numbers = text.split(u'/');
    bool kOk = false, nOk = false;
    const int k = numbers.value(0).toInt(&kOk), n = numbers.value(1).toInt(&nOk);
    if (numbers.size() != 2 || !kOk || !nOk || n < 1 || k < 1 || k > n)
        return false;
    files.part = k;
    files.parts = n;
    return true;
}

void printKeyRow(TextTable &table, const match::KeyRecall &key, bool cumulative)
{
    table.addRow({pct(key.recall), QString::number(key.comparisons), QString::number(key.perQuery, 'f', 1),
                  cumulative ? QStringLiteral("+ ") + key.text : key.text});
}

// clerk eval --suggest-blocking: each candidate key's recall and comparisons, then the
// greedy union, printed to paste into the step.
int printBlockingSuggestion(const match::EvaluationSet &set, const match::MatchSettings &settings,
                            const match::BlockingSuggestionOptions &options, bool json)
{
    const match::BlockingSuggestion suggestion = match::suggestBlocking(set, settings.maxBlockSize, options);
    if (json) {
        QJsonObject result = suggestion.toJson();
        result.insert(QStringLiteral("recall_target"), options.recallTarget);
        result.insert(QStringLiteral("max_comparisons_per_query"), options.maxComparisonsPerQuery);
        printJson(result);
        return ExitOk;
    }
    out() << "queries: " << suggestion.queries << " (" << suggestion.truePairs << " with a true record in the index of "
          << set.index->size() << ")\n\nevery candidate key, most true pairs first:\n";
    TextTable all({QStringLiteral("recall"), QStringLiteral("comparisons"), QStringLiteral("per query"),
                   QStringLiteral("key")});
    for (const match::KeyRecall &key : suggestion.keys)
        printKeyRow(all, key, false);
    all.print(out());
    out() << "\ngreedy union (recall and comparisons so far; comparisons summed over keys, an upper bound):\n";
    TextTable chosen({QStringLiteral("recall"), QStringLiteral("comparisons"), QStringLiteral("per query"),
                      QStringLiteral("key")});
    for (const match::KeyRecall &key : suggestion.chosen)
        printKeyRow(chosen, key, true);
    chosen.print(out());
    out() << "\nas an index blocks (each candidate once):\n"
          << "  the step's keys:    recall " << pct(suggestion.current.recall) << ", "
          << QString::number(suggestion.current.perQuery, 'f', 1) << " comparisons per query\n"
          << "  the suggested keys: recall " << pct(suggestion.suggested.recall) << ", "
          << QString::number(suggestion.suggested.perQuery, 'f', 1) << " comparisons per query\n"
          << "target recall " << pct(options.recallTarget)
          << (suggestion.targetReached ? QStringLiteral(" reached\n")
                                       : QStringLiteral(" NOT reached within %1 comparisons per query\n")
                                             .arg(options.maxComparisonsPerQuery))
          << "\npaste into the step's params:\nblocking: " << suggestion.blockingYaml() << "\n";
    out().flush();
    return ExitOk;
}

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

    auto target = loadMatchStep(parser.positionalArguments().first(), parser.value(step),
                                parser.values(common.connectors));
    if (!target)
        return ExitInvalid;
    const auto &settings = target->settings;
    const QList<bot::Template> &templates = target->templates;

    if (parser.isSet(answers))
        return learnFromAnswers(databaseLocation(parser, common), target->bot, target->stepId, *settings);

    // The index, the queries and their candidates; then the model; then every decision.
    QElapsedTimer timer;
    timer.start();
    match::EvaluationFiles files{.records = parser.value(records),
                                 .queries = parser.value(queries),
                                 .truth = parser.value(truth),
                                 .layout = mode == QLatin1String("febrl4")     ? match::TruthLayout::Febrl4
                                           : mode == QLatin1String("clusters") ? match::TruthLayout::Clusters
                                                                               : match::TruthLayout::Explicit,
                                 .clusterColumn = parser.value(clusterColumn),
                                 .queryIdColumn = parser.value(queryId)};
    if (parser.isSet(options.part) && !readPart(parser.value(options.part), files))
        return complain(QStringLiteral("--part is K/N with 1 <= K <= N, e.g. 1/2"));
    const auto queryValues = [&templates](const QJsonObject &row) {
        const QJsonObject scope{{QStringLiteral("input"), row}};
        QStringList raw;
        for (const bot::Template &t : templates)
            raw.append(t.render(scope));
        return raw;
    };
    auto loaded = match::loadEvaluationSet(*settings, files, queryValues);
    if (!loaded)
        return complain(loaded.error().toString());
    const match::EvaluationSet &set = *loaded;
    const auto &index = set.index;
    const QList<match::EvaluationQuery> &evalQueries = set.queries;
    const qsizetype unlabelled = set.unlabelled;
    if (unlabelled > 0) {
        err() << "clerk eval: " << unlabelled << " of " << (unlabelled + evalQueries.size())
              << " queries have no row in " << parser.value(truth)
              << ": left out of the figures as unlabelled (a row with an empty record_id says the records do not "
                 "hold that person)\n";
        err().flush();
    }
    const qint64 loadMs = timer.restart();
    if (parser.isSet(options.suggestBlocking))
        return printBlockingSuggestion(set, *settings,
                                       {.recallTarget = parser.value(options.recallTarget).toDouble(),
                                        .maxComparisonsPerQuery = parser.value(options.maxComparisons).toDouble()},
                                       parser.isSet(common.json));

    match::MatchModel model = settings->model;
    QJsonObject emInfo;
    if (parser.isSet(estimate)) {
        auto fitted = match::estimateModel(model, set, settings->oneRecordPerPerson);
        if (!fitted)
            return complain(fitted.error().toString());
        model = fitted->model;
        emInfo = fitted->toJson();
    }
    if (parser.isSet(labels)) {
        auto learnt = match::learnFromLabelFile(model, set, parser.value(labels));
        if (!learnt)
            return complain(learnt.error().toString());
        model = learnt->model;
        emInfo = learnt->toJson();
    }
    const QList<match::QueryResult> results = match::decideAll(model, set, *settings);
    const qint64 decideMs = timer.restart();
    if (parser.isSet(decisions)) {
        QFile file(parser.value(decisions));
        if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate) ||
            file.write(match::decisionsCsv(set, results, settings->thresholds)) < 0)
            return complain(QStringLiteral("cannot write %1: %2").arg(file.fileName(), file.errorString()));
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
        ruleJson = match::exactRuleMetrics(set, ruleFields, metrics.withTruth);
        ruleJson.insert(QStringLiteral("fields"), parser.value(rule));
    }

    EvalReport report{.metrics = metrics,
                      .table = table,
                      .thresholds = settings->thresholds,
                      .model = model,
                      .valueTemplates = settings->valueTemplates,
                      .columns = settings->columns.fieldColumns,
                      .fitted = emInfo,
                      .rule = ruleJson,
                      .records = index->size(),
                      .unlabelled = unlabelled,
                      .loadMs = loadMs,
                      .decideMs = decideMs};
    if (parser.isSet(common.json))
        printEvalJson(report);
    else
        printEvalText(report);
    return ExitOk;
}

} // namespace clerk::app
