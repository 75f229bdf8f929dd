// ClassifierModel on the generated council letters (tests/data/classify/make_letters.py).
#include "classify_test_support.h"

#include "classify/classifier_model.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTemporaryDir>

#include <linear.h>

#include <vector>

using namespace clerk;
using namespace clerk::classify;
using clerk::testing::letters;

namespace {

// One model for the whole suite: training takes a moment.
const ClassifierModel &trainedModel()
{
    static const ClassifierModel model = [] {
        auto trained = ClassifierModel::train(letters(QStringLiteral("train.csv")));
        EXPECT_OK(trained);
        return trained ? *trained : ClassifierModel();
    }();
    return model;
}

void silent(const char *) {}

} // namespace

TEST(ClassifierModelTest, LearnsSeparableCategories)
{
    const ClassifierModel &model = trainedModel();
    EXPECT_EQ(model.categories(), (QStringList{QStringLiteral("adult_social_care"), QStringLiteral("blue_badge"),
                                               QStringLiteral("complaint"), QStringLiteral("highways"),
                                               QStringLiteral("school_admissions")}));
    int right = 0;
    const auto test = letters(QStringLiteral("test.csv"));
    for (const LabelledText &example : test) {
        if (model.predict(example.text).ranking.first().category == example.category)
            ++right;
    }
    EXPECT_GE(right, test.size() - 2) << right << " of " << test.size();
    EXPECT_EQ(model.info().value(QStringLiteral("example_count")).toInt(), 150);
    EXPECT_EQ(model.info().value(QStringLiteral("folds")).toInt(), 5);
}

TEST(ClassifierModelTest, ConfidencesAreCalibratedProbabilitiesInOrder)
{
    const ClassifierModel &model = trainedModel();
    for (const LabelledText &example : letters(QStringLiteral("test.csv"))) {
        const ModelPrediction prediction = model.predict(example.text);
        ASSERT_EQ(prediction.ranking.size(), 5);
        double sum = 0;
        for (qsizetype i = 0; i < prediction.ranking.size(); ++i) {
            const ScoredCategory &scored = prediction.ranking[i];
            EXPECT_GE(scored.confidence, 0.0);
            EXPECT_LE(scored.confidence, 1.0);
            if (i > 0) {
                EXPECT_LE(scored.confidence, prediction.ranking[i - 1].confidence);
            }
            sum += scored.probability;
        }
        EXPECT_NEAR(sum, 1.0, 1e-9);
        EXPECT_DOUBLE_EQ(prediction.ranking.first().confidence,
                         model.calibration().apply(prediction.ranking.first().probability));
    }
    // Out-of-fold predictions were all right on this easy set: the smoothed map still
    // stops short of certainty.
    EXPECT_LT(model.predict(QStringLiteral("I need a blue badge")).ranking.first().confidence, 1.0);
}

TEST(ClassifierModelTest, ReasonsNameTheDrivingTerms)
{
    const ModelPrediction highways =
        trainedModel().predict(QStringLiteral("There is a pothole in the road and the street light is out."));
    EXPECT_EQ(highways.ranking.first().category, QStringLiteral("highways"));
    ASSERT_FALSE(highways.reasons.isEmpty());
    EXPECT_LE(highways.reasons.size(), 5);
    const QStringList driving{QStringLiteral("pothole"), QStringLiteral("road"), QStringLiteral("street light"),
                              QStringLiteral("street"), QStringLiteral("light"), QStringLiteral("a pothole"),
                              QStringLiteral("the road"), QStringLiteral("pothole in"), QStringLiteral("light is")};
    EXPECT_TRUE(driving.contains(highways.reasons.first())) << highways.reasons.join(QStringLiteral(", ")).toStdString();
    for (const QString &reason : highways.reasons)
        EXPECT_FALSE(reason.contains(QStringLiteral("school"))) << reason.toStdString();
}

TEST(ClassifierModelTest, ReasonsOfTheGeneratedLettersAreWordsAPersonRecognises)
{
    // Every test letter: no number, no stop word, and no character fragment beside words.
    const QStringList stopWords{QStringLiteral("we"), QStringLiteral("the"), QStringLiteral("and"), QStringLiteral("i"),
                                QStringLiteral("my"), QStringLiteral("to"), QStringLiteral("of"), QStringLiteral("please"),
                                QStringLiteral("thank"), QStringLiteral("dear"), QStringLiteral("yours")};
    const auto examples = letters(QStringLiteral("test.csv"));
    ASSERT_FALSE(examples.isEmpty());
    for (const LabelledText &letter : examples) {
        const ModelPrediction prediction = trainedModel().predict(letter.text);
        const QString shown = prediction.reasons.join(QStringLiteral(", "));
        ASSERT_FALSE(prediction.reasons.isEmpty()) << letter.text.toStdString();
        for (const QString &reason : prediction.reasons) {
            EXPECT_FALSE(reason.contains(QLatin1Char('0'))) << shown.toStdString();
            EXPECT_FALSE(reason.contains(QStringLiteral("…"))) << shown.toStdString();
            for (const QString &word : reason.split(QLatin1Char(' ')))
                EXPECT_FALSE(stopWords.contains(word)) << shown.toStdString();
        }
    }
}

TEST(ClassifierModelTest, ProbabilitiesMatchLiblinearsOwnPrediction)
{
    // Trains liblinear directly on the same vectors and compares predict_probability
    // with the model's probabilities (weights are stored as float32: small tolerance).
    const auto examples = letters(QStringLiteral("train.csv"));
    TrainingOptions options;
    options.folds = 0;
    auto trained = ClassifierModel::train(examples, options);
    ASSERT_TRUE(trained.has_value());

    QList<QString> texts;
    for (const LabelledText &example : examples)
        texts.append(example.text);
    const TermVocabulary vocabulary = TermVocabulary::build(texts, options.features);
    ASSERT_EQ(vocabulary.size(), trained->vocabularySize());
    const int features = vocabulary.size();
    std::vector<std::vector<feature_node>> rows;
    std::vector<feature_node *> x;
    std::vector<double> y;
    for (const LabelledText &example : examples) {
        std::vector<feature_node> row;
        for (const FeatureValue &f : vocabulary.vectorize(example.text))
            row.push_back({f.index + 1, f.value});
        row.push_back({features + 1, 1.0});
        row.push_back({-1, 0.0});
        rows.push_back(std::move(row));
        y.push_back(static_cast<double>(trained->categories().indexOf(example.category)));
    }
    for (auto &row : rows)
        x.push_back(row.data());
    problem prob{};
    prob.l = static_cast<int>(rows.size());
    prob.n = features + 1;
    prob.y = y.data();
    prob.x = x.data();
    prob.bias = 1.0;
    parameter param{};
    param.solver_type = L2R_LR;
    param.eps = 0.01;
    param.C = options.c;
    set_print_string_function(&silent);
    model *reference = ::train(&prob, &param);
    ASSERT_NE(reference, nullptr);
    std::vector<int> labels(5);
    get_labels(reference, labels.data());

    for (const LabelledText &example : letters(QStringLiteral("test.csv"))) {
        std::vector<feature_node> row;
        for (const FeatureValue &f : vocabulary.vectorize(example.text))
            row.push_back({f.index + 1, f.value});
        row.push_back({features + 1, 1.0});
        row.push_back({-1, 0.0});
        std::vector<double> expected(5);
        predict_probability(reference, row.data(), expected.data());
        const QList<double> actual = trained->probabilities(example.text);
        for (size_t k = 0; k < 5; ++k)
            EXPECT_NEAR(actual[labels[k]], expected[k], 1e-4);
    }
    free_and_destroy_model(&reference);
}

TEST(ClassifierModelTest, SaveAndLoadGiveIdenticalPredictions)
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("letters.model.v1"));
    ASSERT_TRUE(trainedModel().save(path).has_value());
    auto loaded = ClassifierModel::load(path);
    ASSERT_OK(loaded);
    EXPECT_EQ(loaded->categories(), trainedModel().categories());
    EXPECT_EQ(loaded->info(), trainedModel().info());
    for (const LabelledText &example : letters(QStringLiteral("test.csv"))) {
        EXPECT_EQ(loaded->probabilities(example.text), trainedModel().probabilities(example.text));
        const ModelPrediction a = loaded->predict(example.text);
        const ModelPrediction b = trainedModel().predict(example.text);
        EXPECT_EQ(a.reasons, b.reasons);
        EXPECT_EQ(a.ranking.first().confidence, b.ranking.first().confidence);
    }
    QFile file(path);
    ASSERT_TRUE(file.open(QIODevice::ReadOnly));
    EXPECT_TRUE(file.readLine().startsWith("clerk-classifier"));
    EXPECT_TRUE(file.readLine().contains("\"format_version\":1"));
}

TEST(ClassifierModelTest, DamagedFilesAreClearErrors)
{
    QTemporaryDir dir;
    const QString good = dir.filePath(QStringLiteral("good"));
    ASSERT_TRUE(trainedModel().save(good).has_value());
    QFile file(good);
    ASSERT_TRUE(file.open(QIODevice::ReadOnly));
    const QByteArray bytes = file.readAll();

    QByteArray flipped = bytes;
    flipped[flipped.size() - 10] = static_cast<char>(flipped[flipped.size() - 10] ^ 0x40);
    QByteArray wrongVersion = bytes;
    wrongVersion.replace("\"format_version\":1", "\"format_version\":9");
    const struct {
        const char *name;
        QByteArray content;
        ErrorCode code;
        const char *message;
    } cases[] = {
        {"truncated", bytes.left(bytes.size() / 2), ErrorCode::Corrupt, "do not match the digest"},
        {"flipped", flipped, ErrorCode::Corrupt, "do not match the digest"},
        {"not-a-model", QByteArrayLiteral("name: a bot\n"), ErrorCode::Corrupt, "does not start with"},
        {"bad-header", QByteArrayLiteral("clerk-classifier\n{not json\n"), ErrorCode::Corrupt, "header is not JSON"},
        {"version", wrongVersion, ErrorCode::Corrupt, "format version 9"},
        {"empty", QByteArray(), ErrorCode::Corrupt, "does not start with"},
    };
    for (const auto &c : cases) {
        const QString path = dir.filePath(QString::fromLatin1(c.name));
        QFile out(path);
        ASSERT_TRUE(out.open(QIODevice::WriteOnly));
        out.write(c.content);
        out.close();
        auto loaded = ClassifierModel::load(path);
        ASSERT_FALSE(loaded.has_value()) << c.name;
        EXPECT_EQ(loaded.error().code(), c.code) << c.name;
        EXPECT_TRUE(loaded.error().message().contains(QString::fromLatin1(c.message)))
            << c.name << ": " << loaded.error().message().toStdString();
        EXPECT_TRUE(loaded.error().message().contains(path)) << c.name;
    }
    auto missing = ClassifierModel::load(dir.filePath(QStringLiteral("absent")));
    ASSERT_FALSE(missing.has_value());
    EXPECT_EQ(missing.error().code(), ErrorCode::Unreadable);
}

TEST(ClassifierModelTest, RefusesTrainingThatCannotWork)
{
    EXPECT_EQ(ClassifierModel::train({}).error().code(), ErrorCode::InvalidArgument);
    auto one = ClassifierModel::train({{QStringLiteral("a pothole"), QStringLiteral("highways"), {}},
                                       {QStringLiteral("another pothole"), QStringLiteral("highways"), {}}});
    ASSERT_FALSE(one.has_value());
    EXPECT_TRUE(one.error().message().contains(QStringLiteral("two categories")));
    auto nothing = ClassifierModel::train({{QStringLiteral("alpha"), QStringLiteral("x"), {}},
                                           {QStringLiteral("beta"), QStringLiteral("y"), {}}});
    ASSERT_FALSE(nothing.has_value());
    EXPECT_TRUE(nothing.error().message().contains(QStringLiteral("often enough")));
}

TEST(ClassifierModelTest, BalancingCategoriesRemovesTheLearntPrior)
{
    // 30 highways letters, 6 complaints: without balancing the model leans towards
    // highways on a text that says nothing; with it, less so.
    QList<LabelledText> examples;
    int complaints = 0;
    for (const LabelledText &example : letters(QStringLiteral("train.csv"))) {
        if (example.category == QLatin1String("highways"))
            examples.append(example);
        else if (example.category == QLatin1String("complaint") && complaints++ < 6)
            examples.append(example);
    }
    TrainingOptions options;
    options.folds = 0;
    auto priors = ClassifierModel::train(examples, options);
    options.balanceCategories = true;
    auto balanced = ClassifierModel::train(examples, options);
    ASSERT_TRUE(priors.has_value());
    ASSERT_TRUE(balanced.has_value());
    EXPECT_FALSE(priors->info().value(QStringLiteral("balanced_categories")).toBool());
    EXPECT_TRUE(balanced->info().value(QStringLiteral("balanced_categories")).toBool());
    const QString neutral = QStringLiteral("Hello, thank you.");
    const qsizetype complaint = priors->categories().indexOf(QStringLiteral("complaint"));
    EXPECT_GT(balanced->probabilities(neutral)[complaint], priors->probabilities(neutral)[complaint] + 0.05);
}

// Golden cases: tests/data/classify/cases/<case>.txt beside <case>.expected.json
// ({"category", "reasons_include", "min_confidence"}); a new case is two files.
TEST(ClassifierModelTest, GoldenLetters)
{
    const QDir dir(clerk::testing::classifyData(QStringLiteral("cases")));
    const QStringList cases = dir.entryList({QStringLiteral("*.txt")}, QDir::Files, QDir::Name);
    ASSERT_FALSE(cases.isEmpty());
    for (const QString &name : cases) {
        SCOPED_TRACE(name.toStdString());
        QFile text(dir.filePath(name));
        QFile expectedFile(dir.filePath(name.chopped(4) + QStringLiteral(".expected.json")));
        ASSERT_TRUE(text.open(QIODevice::ReadOnly));
        ASSERT_TRUE(expectedFile.open(QIODevice::ReadOnly));
        const QJsonObject expected = QJsonDocument::fromJson(expectedFile.readAll()).object();
        const ModelPrediction prediction = trainedModel().predict(QString::fromUtf8(text.readAll()));
        QJsonArray ranking;
        for (const ScoredCategory &scored : prediction.ranking)
            ranking.append(QJsonObject{{QStringLiteral("category"), scored.category}, {QStringLiteral("confidence"), scored.confidence}});
        const QString actual = QString::fromUtf8(
            QJsonDocument(QJsonObject{{QStringLiteral("ranking"), ranking},
                                      {QStringLiteral("reasons"), QJsonArray::fromStringList(prediction.reasons)}})
                .toJson());
        EXPECT_EQ(prediction.ranking.first().category, expected.value(QStringLiteral("category")).toString())
            << actual.toStdString();
        EXPECT_GE(prediction.ranking.first().confidence, expected.value(QStringLiteral("min_confidence")).toDouble())
            << actual.toStdString();
        for (const QJsonValue &reason : expected.value(QStringLiteral("reasons_include")).toArray())
            EXPECT_TRUE(prediction.reasons.contains(reason.toString())) << reason.toString().toStdString() << "\n" << actual.toStdString();
    }
}

TEST(ClassifierModelTest, AnExamplesWeightCountsItSeveralTimes)
{
    // Twelve answers tie a new phrase to blue_badge; counted five times each they move
    // the model further than counted once.
    auto withAnswers = [](int weight) {
        QList<LabelledText> examples = letters(QStringLiteral("train.csv"));
        for (int i = 0; i < 12; ++i) {
            LabelledText answer{QStringLiteral("letter %1 about the harbour ferry timetable").arg(i), QStringLiteral("blue_badge")};
            answer.weight = weight;
            answer.fromPeople = true;
            examples.append(answer);
        }
        auto trained = ClassifierModel::train(examples);
        EXPECT_OK(trained);
        return trained ? trained->probabilities(QStringLiteral("the harbour ferry timetable")) : QList<double>{};
    };
    const QList<double> once = withAnswers(1);
    const QList<double> five = withAnswers(5);
    ASSERT_EQ(once.size(), 5);
    ASSERT_EQ(five.size(), 5);
    EXPECT_GT(five[1], once[1] + 0.05) << once[1] << " " << five[1];
}

TEST(ClassifierModelTest, OutOfFoldPredictionsCoverEveryExampleAndCalibrateOnAnswers)
{
    QList<LabelledText> examples = letters(QStringLiteral("train.csv"));
    const qsizetype originals = examples.size();
    for (LabelledText answer : letters(QStringLiteral("test.csv"))) {
        answer.fromPeople = true;
        examples.append(answer);
    }
    ASSERT_GE(examples.size() - originals, kMinAnswersToCalibrate);
    auto trained = ClassifierModel::train(examples);
    ASSERT_OK(trained);
    const QList<OutOfFoldPrediction> &oof = trained->outOfFold();
    ASSERT_EQ(oof.size(), examples.size());
    for (qsizetype i = 0; i < oof.size(); ++i) {
        EXPECT_EQ(oof[i].example, i);
        EXPECT_EQ(oof[i].correct, oof[i].predicted == examples[i].category);
        EXPECT_GE(oof[i].confidence, 0.0);
        EXPECT_LE(oof[i].confidence, 1.0);
    }
    EXPECT_EQ(trained->info().value(QStringLiteral("calibrated_on")).toString(), QStringLiteral("answers"));
    EXPECT_EQ(trained->info().value(QStringLiteral("answers_from_people")).toInt(), examples.size() - originals);

    auto textOnly = ClassifierModel::train(letters(QStringLiteral("train.csv")));
    ASSERT_OK(textOnly);
    EXPECT_EQ(textOnly->info().value(QStringLiteral("calibrated_on")).toString(), QStringLiteral("examples"));
}

TEST(ClassifierModelTest, TheLearnedRuleTravelsWithTheFile)
{
    ClassifierModel model = trainedModel();
    model.setLearned(QJsonObject{{QStringLiteral("threshold"), 0.93}});
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("m.model.v1"));
    ASSERT_OK(model.save(path));
    auto loaded = ClassifierModel::load(path);
    ASSERT_OK(loaded);
    EXPECT_DOUBLE_EQ(loaded->learned().value(QStringLiteral("threshold")).toDouble(), 0.93);
    EXPECT_TRUE(trainedModel().learned().isEmpty());
}
