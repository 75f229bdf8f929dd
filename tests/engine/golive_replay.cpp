// golive_replay: replays a stream of letters (their OCR text) in arrival order through
// the real engine and store, with a simulated post room that answers every question from
// the labels, quality checks as the bot configures them, and the learning loop
// (learning_loop.h) run after every letter, as `clerk serve` would after every answer.
// bench/golive.sh prepares its input and runs it; see there.
//
//   golive_replay --bot BOT.yaml --letters LETTERS.csv [--holdout HOLDOUT.csv] [--window 100]
//                 [--minutes 1.5] [--predictions OUT.csv]
//
// LETTERS.csv and HOLDOUT.csv: columns file, category, text (the OCR text), in arrival
// order. The replay is honest: the model and threshold that decide letter t were built
// only from answers people gave before t (letters that went to a person, quality checks
// included); a straight-through letter's label is used only to score it.
#include "bot/bot_loader.h"
#include "classify/classifier_model.h"
#include "classify/example_set.h"
#include "classify/model_files.h"
#include "classify/selective_threshold.h"
#include "core/shadow_suggestion.h"
#include "engine/engine.h"
#include "engine/learning_loop.h"
#include "engine/step_registry.h"
#include "store/work_store.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QLoggingCategory>
#include <QTemporaryDir>

#include <cstdio>

using namespace clerk;

namespace {

struct Letter {
    QString file;
    QString category;
    QString text;
};

QList<Letter> readLetters(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        std::fprintf(stderr, "cannot read %s\n", qPrintable(path));
        std::exit(2);
    }
    auto rows = classify::parseCsv(QString::fromUtf8(file.readAll()));
    if (!rows || rows->isEmpty()) {
        std::fprintf(stderr, "%s is not a CSV\n", qPrintable(path));
        std::exit(2);
    }
    const QStringList header = rows->first();
    const qsizetype f = header.indexOf(QStringLiteral("file"));
    const qsizetype c = header.indexOf(QStringLiteral("category"));
    const qsizetype t = header.indexOf(QStringLiteral("text"));
    QList<Letter> letters;
    for (qsizetype i = 1; i < rows->size(); ++i) {
        const QStringList &row = rows->at(i);
        if (row.size() > std::max({f, c, t}))
            letters.append({row[f], row[c], row[t]});
    }
    return letters;
}

struct Tally {
    int letters = 0;
    int through = 0;        // decided by the bot alone
    int throughRight = 0;
    int asked = 0;          // went to a person (quality checks included)
    int checks = 0;         // quality checks
    int checksRight = 0;    // ... where the bot's hidden answer was right
    void add(const Tally &o)
    {
        letters += o.letters;
        through += o.through;
        throughRight += o.throughRight;
        asked += o.asked;
        checks += o.checks;
        checksRight += o.checksRight;
    }
};

QString pct(int a, int b)
{
    return b ? QString::number(100.0 * a / b, 'f', 1) + QLatin1Char('%') : QStringLiteral("-");
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QLoggingCategory::setFilterRules(QStringLiteral("clerk.*.info=false"));
    QCommandLineParser parser;
    parser.addHelpOption();
    const QCommandLineOption botOption(QStringLiteral("bot"), QStringLiteral("The bot file."), QStringLiteral("file"));
    const QCommandLineOption lettersOption(QStringLiteral("letters"), QStringLiteral("Letters in arrival order."), QStringLiteral("csv"));
    const QCommandLineOption holdoutOption(QStringLiteral("holdout"), QStringLiteral("Letters no model sees, to score the final model."),
                                           QStringLiteral("csv"));
    const QCommandLineOption windowOption(QStringLiteral("window"), QStringLiteral("Letters per report line."), QStringLiteral("n"),
                                          QStringLiteral("100"));
    const QCommandLineOption minutesOption(QStringLiteral("minutes"), QStringLiteral("A person's minutes per letter."),
                                           QStringLiteral("m"), QStringLiteral("1.5"));
    const QCommandLineOption predictionsOption(QStringLiteral("predictions"), QStringLiteral("Write one line per letter."),
                                               QStringLiteral("csv"));
    parser.addOptions({botOption, lettersOption, holdoutOption, windowOption, minutesOption, predictionsOption});
    parser.process(app);

    engine::StepRegistry registry = engine::StepRegistry::builtIn();
    const bot::BotLoad load = bot::loadBotFile(parser.value(botOption), registry.catalog(), {});
    if (!load.bot) {
        for (const auto &d : load.diagnostics)
            std::fprintf(stderr, "%s\n", qPrintable(d.toString()));
        return 2;
    }
    const bot::BotDefinition &definition = *load.bot;
    const QString stepId = definition.steps.first().id;
    const QList<Letter> letters = readLetters(parser.value(lettersOption));
    const int window = parser.value(windowOption).toInt();
    const double minutes = parser.value(minutesOption).toDouble();

    QTemporaryDir work;
    auto store = store::openWorkStore(work.filePath(QStringLiteral("work.db")));
    if (!store) {
        std::fprintf(stderr, "%s\n", qPrintable(store.error().message()));
        return 2;
    }
    engine::EngineOptions options;
    options.workerId = QStringLiteral("replay");
    engine::Engine engine(**store, registry, options);
    if (Status added = engine.addBot(definition); !added) {
        std::fprintf(stderr, "%s\n", qPrintable(added.error().message()));
        return 2;
    }

    QFile predictions(parser.value(predictionsOption));
    if (parser.isSet(predictionsOption) && predictions.open(QIODevice::WriteOnly))
        predictions.write("t,file,truth,decided,category,checked,model\n");

    std::printf("%6s %8s %9s %9s %12s %8s %8s  %s\n", "to", "through", "right", "checks", "check est.", "people", "minutes",
                "model in use (answers it learnt from)");
    Tally total;
    Tally recent;
    int trainings = 0;
    int promotions = 0;
    qint64 trainingMs = 0;
    QList<Tally> windows;
    for (qsizetype t = 0; t < letters.size(); ++t) {
        const Letter &letter = letters[t];
        auto submitted = engine.submit(definition, letter.file, {{QStringLiteral("text"), letter.text}});
        if (!submitted || !engine.runUntilIdle()) {
            std::fprintf(stderr, "the engine failed on %s\n", qPrintable(letter.file));
            return 1;
        }
        Tally one;
        one.letters = 1;
        QString decidedCategory;
        bool checked = false;
        auto open = (*store)->exceptions({});
        if (open && !open->isEmpty()) {
            const store::ExceptionItem question = open->first();
            one.asked = 1;
            if (question.evidence.value(QStringLiteral("quality_check")).toBool()) {
                checked = true;
                one.checks = 1;
                const auto suggestion = ShadowSuggestion::readFrom(question.evidence);
                one.checksRight = suggestion && suggestion->choice == letter.category ? 1 : 0;
            }
            store::Decision answer;
            answer.actor = QStringLiteral("post-room");
            answer.choice = letter.category;
            auto accepted = engine.checkAnswer(question, answer);
            auto resolved = accepted ? (*store)->resolve(question.id, *accepted) : Result<qint64>(fail(accepted.error()));
            auto resumed = resolved ? engine.runUntilIdle() : Result<int>(fail(resolved.error()));
            if (!resumed) {
                std::fprintf(stderr, "the post room's answer to %s was refused: %s\n", qPrintable(letter.file),
                             qPrintable(resumed.error().message()));
                return 1;
            }
        } else {
            auto item = (*store)->item(submitted->id);
            decidedCategory = item ? item->stepOutputs.value(stepId).toObject().value(QStringLiteral("category")).toString() : QString();
            one.through = 1;
            one.throughRight = decidedCategory == letter.category ? 1 : 0;
        }
        QElapsedTimer timer;
        timer.start();
        auto learned = engine::learnOnce(**store, **store, **store, definition, stepId, QStringLiteral("replay"));
        if (!learned) {
            std::fprintf(stderr, "learning failed: %s\n", qPrintable(learned.error().message()));
            return 1;
        }
        if (learned->trained) {
            ++trainings;
            promotions += learned->promoted ? 1 : 0;
            trainingMs += timer.elapsed();
        }
        if (predictions.isOpen()) {
            predictions.write(QStringLiteral("%1,%2,%3,%4,%5,%6,%7\n")
                                  .arg(t + 1).arg(letter.file, letter.category)
                                  .arg(one.through ? QStringLiteral("bot") : QStringLiteral("person"), decidedCategory)
                                  .arg(checked ? 1 : 0)
                                  .arg(QFileInfo(classify::latestModelPath(definition.baseDir, definition.name, stepId).value_or(QString())).fileName())
                                  .toUtf8());
        }
        recent.add(one);
        total.add(one);
        if ((t + 1) % window == 0 || t + 1 == letters.size()) {
            windows.append(recent);
            const double low = classify::clopperPearsonLower(total.checksRight, total.checks, 0.9);
            const QString latest = classify::latestModelPath(definition.baseDir, definition.name, stepId).value_or(QString());
            QString model = QStringLiteral("none");
            if (!latest.isEmpty()) {
                auto loaded = classify::ClassifierModel::load(latest);
                if (loaded)
                    model = QStringLiteral("%1 (%2)").arg(QFileInfo(latest).fileName())
                                .arg(loaded->info().value(QStringLiteral("answers_from_people")).toInt());
            }
            std::printf("%6lld %8s %9s %9d %12s %8d %8.0f  %s\n", static_cast<long long>(t + 1),
                        qPrintable(pct(recent.through, recent.letters)), qPrintable(pct(recent.throughRight, recent.through)),
                        total.checks,
                        qPrintable(total.checks ? QStringLiteral("%1 (>=%2)").arg(pct(total.checksRight, total.checks))
                                                      .arg(QString::number(100 * low, 'f', 0))
                                                : QStringLiteral("-")),
                        recent.asked, recent.asked * minutes, qPrintable(model));
            std::fflush(stdout);
            recent = {};
        }
    }

    // The last 200 (or 100) letters' straight-through share, and the worst window.
    auto lastShare = [&](int n) {
        int through = 0;
        int counted = 0;
        for (qsizetype i = std::max<qsizetype>(0, windows.size() - n / window); i < windows.size(); ++i) {
            through += windows[i].through;
            counted += windows[i].letters;
        }
        return pct(through, counted);
    };
    double worst = 1.0;
    for (const Tally &w : windows) {
        if (w.through)
            worst = std::min(worst, static_cast<double>(w.throughRight) / w.through);
    }
    std::printf("\nletters %d: straight through %d (%s), %s right; worst window %s right\n", total.letters, total.through,
                qPrintable(pct(total.through, total.letters)), qPrintable(pct(total.throughRight, total.through)),
                qPrintable(QString::number(100 * worst, 'f', 1) + QLatin1Char('%')));
    std::printf("last 200: %s straight through; last 100: %s\n", qPrintable(lastShare(200)), qPrintable(lastShare(100)));
    std::printf("quality checks %d: the bot was right on %s (90%% lower bound %.1f%%)\n", total.checks,
                qPrintable(pct(total.checksRight, total.checks)),
                100 * classify::clopperPearsonLower(total.checksRight, total.checks, 0.9));
    std::printf("people: %d letters, %.0f minutes; trainings %d, promotions %d, %.1f s per training\n", total.asked,
                total.asked * minutes, trainings, promotions, trainings ? trainingMs / 1000.0 / trainings : 0.0);

    // How sure the last challenger's out-of-fold scores on the answers are, slice by
    // slice: the accuracy of the most confident 10 %, 20 %, ... of the answers.
    const QString newest = classify::nextModelPath(definition.baseDir, definition.name, stepId);
    const int lastVersion = newest.section(QStringLiteral(".v"), -1).toInt() - 1;
    if (lastVersion >= 1) {
        auto last = classify::ClassifierModel::load(newest.section(QStringLiteral(".v"), 0, -2) + QStringLiteral(".v%1").arg(lastVersion));
        if (last) {
            const QJsonObject learned = last->learned();
            std::printf("last challenger: %d answers, out-of-fold accuracy on them %.3f, threshold %s, lower bound %.3f\n",
                        learned.value(QStringLiteral("answers")).toInt(),
                        learned.value(QStringLiteral("answers_accuracy")).toDouble(),
                        qPrintable(learned.value(QStringLiteral("threshold")).isDouble()
                                       ? QString::number(learned.value(QStringLiteral("threshold")).toDouble(), 'f', 4)
                                       : QStringLiteral("none")),
                        learned.value(QStringLiteral("lower_bound")).toDouble());
            for (const QJsonValue &point : learned.value(QStringLiteral("coverage")).toArray()) {
                const QJsonObject p = point.toObject();
                std::printf("  most confident %3.0f%% of answers: %.1f%% right (confidence >= %.4f)\n",
                            100 * p.value(QStringLiteral("share")).toDouble(), 100 * p.value(QStringLiteral("precision")).toDouble(),
                            p.value(QStringLiteral("confidence")).toDouble());
            }
        }
    }

    if (parser.isSet(holdoutOption)) {
        const QString latest = classify::latestModelPath(definition.baseDir, definition.name, stepId).value_or(QString());
        auto model = classify::ClassifierModel::load(latest);
        if (model) {
            const QList<Letter> holdout = readLetters(parser.value(holdoutOption));
            int right = 0;
            for (const Letter &letter : holdout)
                right += model->predict(letter.text, 0).ranking.first().category == letter.category ? 1 : 0;
            std::printf("the model in use on %lld letters it never saw: accuracy %.3f\n",
                        static_cast<long long>(holdout.size()), holdout.isEmpty() ? 0.0 : double(right) / holdout.size());
        }
    }
    return 0;
}
