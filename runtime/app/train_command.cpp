// clerk train / clerk eval: train a bot's text classifier from labelled examples, and
// measure it.
//
//   clerk train BOT [--examples DIR|CSV] [--from-queue --db DB] [--step ID] [--c 4] [--folds 5] [--balanced] [--json]
//       writes <bot folder>/<bot name>.<step id>.model.v<N> (N = next free) and points
//       <bot name>.<step id>.model.latest at it; the step uses that model by default.
//   clerk eval BOT --examples DIR|CSV [--step ID] [--model FILE] [--target-precision 0.99] [--json]
//       classifies every example as the step would (model and rules) and prints
//       accuracy, macro-F1, the confusion matrix and the threshold table.
//   clerk eval BOT --records ... [--queries ...] [--truth ...|--layout ...]
//       measures the bot's match step instead (eval_match.cpp).
#include "cli_support.h"
#include "commands.h"

#include "classify/category_classifier.h"
#include "classify/evaluation.h"
#include "classify/example_set.h"
#include "classify/model_files.h"

#include <QDir>
#include <QJsonArray>
#include <QSet>

#include <algorithm>

namespace clerk::app {

namespace {

struct ClassifierCommandOptions {
    QCommandLineOption examples{QStringLiteral("examples"),
                                QStringLiteral("Labelled examples: a folder with one sub-folder of .txt files per category, "
                                               "or a CSV file with columns category and text (or file)."),
                                QStringLiteral("path")};
    QCommandLineOption step{QStringLiteral("step"),
                            QStringLiteral("The id of the classify step (needed when the bot has several)."),
                            QStringLiteral("id")};

    // The common options, these two and the bot file.
    void addTo(QCommandLineParser &parser, const CommonOptions &common) const
    {
        common.addTo(parser);
        parser.addOption(examples);
        parser.addOption(step);
        parser.addPositionalArgument(QStringLiteral("bot"), QStringLiteral("The bot file."), QStringLiteral("BOT"));
    }
};

// The bot and its classify step, or a message on stderr and nullopt.
struct ClassifyTarget {
    bot::BotDefinition bot;
    bot::StepDefinition step;
};

std::optional<ClassifyTarget> loadTarget(const QString &command, const QCommandLineParser &parser,
                                         const CommonOptions &common, const ClassifierCommandOptions &options,
                                         bool examplesRequired = true)
{
    if (parser.positionalArguments().size() != 1) {
        err() << "clerk " << command << ": name one bot file.\n";
        err().flush();
        return std::nullopt;
    }
    if (examplesRequired && !parser.isSet(options.examples)) {
        err() << "clerk " << command << ": --examples is required.\n";
        err().flush();
        return std::nullopt;
    }
    const QString botPath = parser.positionalArguments().first();
    bot::Diagnostics connectorProblems;
    const bot::ConnectorSet connectors = loadConnectors({botPath}, parser.values(common.connectors), connectorProblems);
    const engine::StepRegistry registry = engine::StepRegistry::builtIn();
    std::optional<bot::BotDefinition> definition = loadBotOrReport(botPath, registry, connectors);
    if (!definition)
        return std::nullopt;

    QList<bot::StepDefinition> candidates;
    for (const bot::StepDefinition &step : definition->steps) {
        if (step.type == QLatin1String("classify")
            && (!parser.isSet(options.step) || step.id == parser.value(options.step)))
            candidates.append(step);
    }
    if (candidates.size() != 1) {
        if (candidates.isEmpty())
            err() << "clerk " << command << ": " << botPath << " has no classify step"
                  << (parser.isSet(options.step) ? QStringLiteral(" with id ") + parser.value(options.step) : QString())
                  << "\n";
        else
            err() << "clerk " << command << ": " << botPath << " has several classify steps: name one with --step\n";
        err().flush();
        return std::nullopt;
    }
    return ClassifyTarget{std::move(*definition), candidates.first()};
}

// Examples whose category the step does not list are an error: the model's labels must
// be a subset of the bot's categories.
bool checkCategories(const QString &command, const QList<classify::LabelledText> &examples,
                     const QList<classify::CategoryDefinition> &categories)
{
    QSet<QString> allowed;
    for (const classify::CategoryDefinition &c : categories)
        allowed.insert(c.name);
    QSet<QString> unknown;
    for (const classify::LabelledText &example : examples) {
        if (!allowed.contains(example.category))
            unknown.insert(example.category);
    }
    if (unknown.isEmpty())
        return true;
    QStringList names(unknown.begin(), unknown.end());
    names.sort();
    QStringList known(allowed.begin(), allowed.end());
    known.sort();
    err() << "clerk " << command << ": the examples hold categories the step does not list: "
          << names.join(QStringLiteral(", ")) << " (the step lists: " << known.join(QStringLiteral(", ")) << ")\n";
    err().flush();
    return false;
}

std::optional<classify::ExampleSet> loadExamplesFor(const QString &command, const QString &path,
                                                    const QList<classify::CategoryDefinition> &categories)
{
    auto set = classify::loadExamples(path);
    if (!set) {
        err() << "clerk " << command << ": " << set.error().toString() << "\n";
        err().flush();
        return std::nullopt;
    }
    if (!checkCategories(command, set->examples, categories))
        return std::nullopt;
    if (set->skippedFiles > 0) {
        err() << "clerk " << command << ": skipped " << set->skippedFiles
              << " files that are not .txt (only text examples are read)\n";
        err().flush();
    }
    return std::move(*set);
}

// People's answers as examples: resolved exception items of the classify step, labelled
// with the picked choice (or the `category` field a person typed), the text being the
// step's `text` template rendered for the item as the step saw it.
Result<QList<classify::LabelledText>> examplesFromQueue(store::WorkStore &store, const ClassifyTarget &target,
                                                       int &skipped)
{
    QList<classify::LabelledText> examples;
    auto text = bot::Template::parse(target.step.params.value(QStringLiteral("text")).toString());
    if (!text)
        return fail(text.error());
    int stepIndex = 0;
    for (qsizetype i = 0; i < target.bot.steps.size(); ++i) {
        if (target.bot.steps[i].id == target.step.id)
            stepIndex = static_cast<int>(i);
    }
    store::ExceptionFilter filter;
    filter.bot = target.bot.name;
    filter.state = store::ExceptionState::Resolved;
    Status read = store::forEachException(store, filter, [&](const store::ExceptionItem &exception) -> Status {
        if (exception.stepId != target.step.id)
            return {};
        const QString category = exception.decision.valueFor(QStringLiteral("category"));
        auto item = store.item(exception.itemId);
        if (!item)
            return fail(item.error());
        engine::StepContext ctx(*item, target.bot, stepIndex, true, {}, {});
        const QString rendered = ctx.render(*text);
        if (category.trimmed().isEmpty() || rendered.trimmed().isEmpty()) {
            ++skipped;
            return {};
        }
        examples.append({rendered, category.trimmed(), QStringLiteral("exception item %1").arg(exception.id)});
        return {};
    });
    if (!read)
        return fail(read.error());
    return examples;
}

QString percent(double value)
{
    return QString::number(100.0 * value, 'f', 1) + QLatin1Char('%');
}

} // namespace

int trainCommand(const QStringList &arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Trains the text classifier of a bot's classify step from labelled examples.\n"
        "Writes <bot folder>/<bot name>.<step id>.model.v<N> (N = the next free number) and points\n"
        "<bot name>.<step id>.model.latest at it; the step uses the latest model unless its `model`\n"
        "param names a file. Example categories must be categories the step lists."));
    CommonOptions common;
    ClassifierCommandOptions options;
    options.addTo(parser, common);
    QCommandLineOption cost(QStringLiteral("c"), QStringLiteral("liblinear's C (default 4): higher fits the examples more closely."),
                            QStringLiteral("number"), QStringLiteral("4"));
    QCommandLineOption folds(QStringLiteral("folds"),
                             QStringLiteral("Cross-validation folds for calibrating the confidence (default 5)."),
                             QStringLiteral("n"), QStringLiteral("5"));
    QCommandLineOption balanced(QStringLiteral("balanced"),
                                QStringLiteral("Weigh categories equally however many examples each has (otherwise the "
                                               "model learns how common each category is from the examples)."));
    QCommandLineOption fromQueue(QStringLiteral("from-queue"),
                                 QStringLiteral("Also learn from people's answers: the resolved exception items of this "
                                                "step in the work database (--db), labelled with the category picked."));
    parser.addOption(cost);
    parser.addOption(folds);
    parser.addOption(balanced);
    parser.addOption(fromQueue);
    int exitCode = ExitOk;
    if (!parseCommand(parser, arguments, exitCode))
        return exitCode;

    classify::TrainingOptions training;
    bool costOk = false;
    bool foldsOk = false;
    training.c = parser.value(cost).toDouble(&costOk);
    training.folds = parser.value(folds).toInt(&foldsOk);
    training.balanceCategories = parser.isSet(balanced);
    if (!costOk || training.c <= 0 || !foldsOk || training.folds < 0) {
        err() << "clerk train: --c takes a positive number and --folds a whole number\n";
        err().flush();
        return ExitInvalid;
    }
    const auto target = loadTarget(QStringLiteral("train"), parser, common, options, !parser.isSet(fromQueue));
    if (!target)
        return ExitInvalid;
    const auto categories = classify::CategoryClassifier::categoriesFromParams(target->step.params);
    QList<classify::LabelledText> examples;
    if (parser.isSet(options.examples)) {
        const auto set = loadExamplesFor(QStringLiteral("train"), parser.value(options.examples), categories);
        if (!set)
            return ExitInvalid;
        examples = set->examples;
    }
    int fromPeople = 0;
    if (parser.isSet(fromQueue)) {
        auto store = openStore(databaseLocation(parser, common));
        if (!store) {
            err() << "clerk train: " << store.error().toString() << "\n";
            err().flush();
            return ExitInvalid;
        }
        int skipped = 0;
        auto answered = examplesFromQueue(**store, *target, skipped);
        if (!answered) {
            err() << "clerk train: " << answered.error().toString() << "\n";
            err().flush();
            return ExitInvalid;
        }
        if (!checkCategories(QStringLiteral("train"), *answered, categories))
            return ExitInvalid;
        if (skipped > 0) {
            err() << "clerk train: skipped " << skipped << " answered items without a category or text\n";
            err().flush();
        }
        fromPeople = static_cast<int>(answered->size());
        examples.append(*answered);
    }

    auto model = classify::ClassifierModel::train(examples, training);
    if (!model) {
        err() << "clerk train: " << model.error().toString() << "\n";
        err().flush();
        return ExitInvalid;
    }
    const QString path = classify::nextModelPath(target->bot.baseDir, target->bot.name, target->step.id);
    if (auto saved = model->save(path); !saved) {
        err() << "clerk train: " << saved.error().toString() << "\n";
        err().flush();
        return ExitInvalid;
    }
    if (auto pointed = classify::writeLatestPointer(target->bot.baseDir, target->bot.name, target->step.id, path); !pointed) {
        err() << "clerk train: " << pointed.error().toString() << "\n";
        err().flush();
        return ExitInvalid;
    }

    if (parser.isSet(common.json)) {
        QJsonObject result = model->info();
        result.insert(QStringLiteral("model"), path);
        result.insert(QStringLiteral("examples_from_queue"), fromPeople);
        printJson(result);
        return ExitOk;
    }
    const QJsonObject info = model->info();
    out() << "trained " << path << "\n"
          << "  examples: " << examples.size() << " in " << model->categories().size() << " categories"
          << (parser.isSet(fromQueue) ? QStringLiteral(" (%1 answered by people)").arg(fromPeople) : QString()) << "\n"
          << "  vocabulary: " << model->vocabularySize() << " terms\n";
    if (info.value(QStringLiteral("out_of_fold_accuracy")).isDouble())
        out() << "  cross-validated accuracy (" << info.value(QStringLiteral("folds")).toInt()
              << " folds): " << percent(info.value(QStringLiteral("out_of_fold_accuracy")).toDouble()) << "\n";
    else
        out() << "  too few examples to calibrate: confidences are the model's raw probabilities\n";
    out().flush();
    return ExitOk;
}

int evalMatchCommand(const QStringList &arguments);  // eval_match.cpp
QString evalMatchHelp();                             // eval_match.cpp

namespace {

// Whether the arguments hold an option only a match step's evaluation takes (they send
// the command there), and whether they ask for help.
bool isMatchEvaluation(const QStringList &arguments, bool &help)
{
    static const QStringList matchOnly{QStringLiteral("--records"), QStringLiteral("--queries"), QStringLiteral("--truth"),
                                       QStringLiteral("--layout"),  QStringLiteral("--answers"), QStringLiteral("--labels"),
                                       QStringLiteral("--estimate"), QStringLiteral("--rule"),   QStringLiteral("--decisions"),
                                       QStringLiteral("--query-id"), QStringLiteral("--cluster-column"),
                                       QStringLiteral("--suggest-blocking"), QStringLiteral("--part")};
    help = false;
    for (const QString &argument : arguments) {
        const QString name = argument.section(QLatin1Char('='), 0, 0);
        if (matchOnly.contains(name))
            return true;
        help = help || argument == QLatin1String("--help") || argument == QLatin1String("-h");
    }
    return false;
}

// The classifier the step would use (its model, or the one --model names, and its rules),
// or a message on stderr and nullopt. modelPath is empty when the step has no model.
struct EvalClassifier {
    classify::CategoryClassifier classifier;
    QString modelPath;
};

std::optional<EvalClassifier> loadEvalClassifier(const ClassifyTarget &target, const QString &explicitModel,
                                                 const QList<classify::CategoryDefinition> &categories)
{
    const QJsonObject &params = target.step.params;
    auto modelPath = classify::resolveModelPath(target.bot.baseDir, target.bot.name, target.step.id, explicitModel);
    std::shared_ptr<const classify::ClassifierModel> model;
    if (modelPath && !modelPath->isEmpty()) {
        auto read = classify::ClassifierModel::load(*modelPath);
        if (!read) {
            err() << "clerk eval: " << read.error().toString() << "\n";
            err().flush();
            return std::nullopt;
        }
        model = std::make_shared<const classify::ClassifierModel>(std::move(*read));
    } else if (!modelPath) {
        err() << "clerk eval: " << modelPath.error().toString() << "\n";
        err().flush();
        return std::nullopt;
    }
    auto classifier = classify::CategoryClassifier::create(categories, model,
                                                           classify::CategoryClassifier::ruleSettingsFromParams(params));
    if (!classifier) {
        err() << "clerk eval: " << classifier.error().toString() << "\n";
        err().flush();
        return std::nullopt;
    }
    return EvalClassifier{std::move(*classifier), model ? *modelPath : QString()};
}

// Every prediction (truth, predicted, confidence) as CSV; false after a message on stderr.
bool writePredictions(const QString &path, const QList<classify::ScoredPrediction> &scored)
{
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate)) {
        err() << "clerk eval: cannot write " << file.fileName() << ": " << file.errorString() << "\n";
        err().flush();
        return false;
    }
    file.write("truth,predicted,confidence\n");
    for (const classify::ScoredPrediction &p : scored)
        file.write(QStringLiteral("%1,%2,%3\n").arg(p.truth, p.predicted).arg(p.confidence, 0, 'g', 10).toUtf8());
    return true;
}

// What clerk eval found for a classify step.
struct ClassifyEvaluation {
    QString modelPath;  // empty: rules only
    classify::EvaluationReport report;
    QList<classify::ThresholdRow> table;
    double targetPrecision = 0.99;
    std::optional<classify::ThresholdRow> recommended;
};

ClassifyEvaluation evaluateScored(const QList<classify::ScoredPrediction> &scored,
                                  const QList<classify::CategoryDefinition> &categories, double targetPrecision)
{
    QStringList names;
    for (const classify::CategoryDefinition &c : categories)
        names.append(c.name);
    ClassifyEvaluation evaluation;
    evaluation.report = classify::evaluate(scored, names);
    evaluation.table = classify::thresholdTable(scored, classify::defaultThresholds());
    evaluation.targetPrecision = targetPrecision;
    // The recommendation also tries every confidence that occurs: calibrated confidences
    // come in plateaus, and the best threshold often sits between two grid values.
    QList<double> candidates = classify::defaultThresholds();
    for (const classify::ScoredPrediction &p : scored)
        candidates.append(p.confidence);
    std::sort(candidates.begin(), candidates.end());
    candidates.erase(std::unique(candidates.begin(), candidates.end()), candidates.end());
    evaluation.recommended = classify::recommendThreshold(classify::thresholdTable(scored, candidates), targetPrecision);
    return evaluation;
}

void printEvaluationJson(const ClassifyEvaluation &evaluation)
{
    QJsonObject result = evaluation.report.toJson();
    result.insert(QStringLiteral("model"), evaluation.modelPath);
    QJsonArray rows;
    for (const classify::ThresholdRow &row : evaluation.table)
        rows.append(classify::toJson(row));
    result.insert(QStringLiteral("thresholds"), rows);
    result.insert(QStringLiteral("target_precision"), evaluation.targetPrecision);
    result.insert(QStringLiteral("recommended"),
                  evaluation.recommended ? classify::toJson(*evaluation.recommended) : QJsonValue());
    printJson(result);
}

void printEvaluationText(const ClassifyEvaluation &evaluation)
{
    const classify::EvaluationReport &report = evaluation.report;
    out() << "model: " << (evaluation.modelPath.isEmpty() ? QStringLiteral("none (rules only)") : evaluation.modelPath) << "\n"
          << "examples: " << report.total << "\n"
          << "accuracy: " << percent(report.accuracy) << "\n"
          << "macro-F1: " << QString::number(report.macroF1, 'f', 3) << "\n\n";
    TextTable confusion(QStringList{QStringLiteral("truth \\ predicted")} + report.categories + QStringList{QStringLiteral("F1")});
    for (qsizetype r = 0; r < report.categories.size(); ++r) {
        QStringList cells{report.categories[r]};
        for (int v : report.confusion[r])
            cells.append(QString::number(v));
        cells.append(QString::number(report.f1[r], 'f', 3));
        confusion.addRow(cells);
    }
    confusion.print(out());
    out() << "\n";
    TextTable thresholds({QStringLiteral("threshold"), QStringLiteral("decided"), QStringLiteral("share"), QStringLiteral("precision")});
    for (const classify::ThresholdRow &row : evaluation.table) {
        const int hundredths = qRound(row.threshold * 1000);
        if (hundredths % 100 != 0 && hundredths < 900 && hundredths != 850)
            continue;  // the text table shows 0.5, 0.6, ..., 0.85 and every row from 0.90
        thresholds.addRow({QString::number(row.threshold), QString::number(row.autoHandled), percent(row.share),
                           percent(row.precision)});
    }
    thresholds.print(out());
    const double target = evaluation.targetPrecision;
    if (const auto &recommended = evaluation.recommended)
        out() << "\nrecommended threshold for " << percent(target) << " precision: " << recommended->threshold
              << " (decides " << percent(recommended->share) << " without a person, " << percent(recommended->precision)
              << " right)\n";
    else
        out() << "\nno threshold reaches " << percent(target) << " precision on these examples\n";
    out().flush();
}

} // namespace

int evalCommand(const QStringList &arguments)
{
    bool help = false;
    if (isMatchEvaluation(arguments, help))
        return evalMatchCommand(arguments);
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Measures a bot's classify step (or, with the options further down, its match step).\n"
        "For a classify step: on labelled examples, deciding each as the step would\n"
        "(its model and its keyword/pattern rules): accuracy, macro-F1, the confusion matrix, and for\n"
        "each confidence threshold the share of items decided without a person and their precision."));
    CommonOptions common;
    ClassifierCommandOptions options;
    options.addTo(parser, common);
    QCommandLineOption modelOption(QStringLiteral("model"),
                                   QStringLiteral("The model file to measure (default: the step's model)."),
                                   QStringLiteral("file"));
    QCommandLineOption target(QStringLiteral("target-precision"),
                              QStringLiteral("Recommend the lowest threshold whose decided items are at least this "
                                             "precise (default 0.99)."),
                              QStringLiteral("p"), QStringLiteral("0.99"));
    QCommandLineOption predictions(QStringLiteral("predictions"),
                                   QStringLiteral("Also write every prediction (truth, predicted, confidence) to this CSV file."),
                                   QStringLiteral("file"));
    parser.addOption(modelOption);
    parser.addOption(target);
    parser.addOption(predictions);
    int exitCode = ExitOk;
    if (!parseCommand(parser, arguments, exitCode)) {
        if (help && exitCode == ExitOk) {
            out() << "\n" << evalMatchHelp();
            out().flush();
        }
        return exitCode;
    }

    bool targetOk = false;
    const double targetPrecision = parser.value(target).toDouble(&targetOk);
    if (!targetOk || targetPrecision <= 0 || targetPrecision > 1) {
        err() << "clerk eval: --target-precision takes a number above 0 and at most 1\n";
        err().flush();
        return ExitInvalid;
    }
    const auto loaded = loadTarget(QStringLiteral("eval"), parser, common, options);
    if (!loaded)
        return ExitInvalid;
    const QJsonObject &params = loaded->step.params;
    const auto categories = classify::CategoryClassifier::categoriesFromParams(params);
    const auto set = loadExamplesFor(QStringLiteral("eval"), parser.value(options.examples), categories);
    if (!set)
        return ExitInvalid;

    const QString explicitModel = parser.isSet(modelOption) ? QDir::current().absoluteFilePath(parser.value(modelOption))
                                                            : params.value(QStringLiteral("model")).toString();
    auto classifier = loadEvalClassifier(*loaded, explicitModel, categories);
    if (!classifier)
        return ExitInvalid;

    QList<classify::ScoredPrediction> scored;
    for (const classify::LabelledText &example : set->examples) {
        const classify::CategoryDecision decision = classifier->classifier.classify(example.text, 0);
        scored.append({example.category, decision.category, decision.confidence});
    }
    if (parser.isSet(predictions) && !writePredictions(parser.value(predictions), scored))
        return ExitInvalid;

    ClassifyEvaluation evaluation = evaluateScored(scored, categories, targetPrecision);
    evaluation.modelPath = classifier->modelPath;
    if (parser.isSet(common.json))
        printEvaluationJson(evaluation);
    else
        printEvaluationText(evaluation);
    return ExitOk;
}

} // namespace clerk::app
