// `clerk train` and `clerk eval` end to end: the real binary on a temporary copy of the
// generated letters and their bot.
#include "cli_support_test.h"
#include "../classify/classify_test_support.h"

#include <QDir>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>

using namespace clerk::testing;
using clerk::testing::letters;

namespace {

class ClassifyCliTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        ASSERT_TRUE(m_dir.isValid());
        for (const QString &name : {QStringLiteral("bot.yaml"), QStringLiteral("train.csv"), QStringLiteral("test.csv")})
            ASSERT_TRUE(QFile::copy(classifyData(name), m_dir.filePath(name)));
    }

    ClerkRun clerk(const QStringList &arguments) { return runClerk(arguments, m_dir.path()); }
    QString file(const QString &name) const { return m_dir.filePath(name); }

    QTemporaryDir m_dir;
};

} // namespace

TEST_F(ClassifyCliTest, TrainWritesVersionedModelsAndPointsLatestAtTheNewest)
{
    const ClerkRun first = clerk({QStringLiteral("train"), QStringLiteral("bot.yaml"), QStringLiteral("--examples"),
                                  QStringLiteral("train.csv")});
    ASSERT_EQ(first.exitCode, 0) << first.err.toStdString();
    EXPECT_TRUE(first.out.contains(QStringLiteral("post-sorter.topic.model.v1"))) << first.out.toStdString();
    EXPECT_TRUE(first.out.contains(QStringLiteral("examples: 150 in 5 categories"))) << first.out.toStdString();
    EXPECT_TRUE(QFileInfo::exists(file(QStringLiteral("post-sorter.topic.model.v1"))));
    EXPECT_EQ(readFile(file(QStringLiteral("post-sorter.topic.model.latest"))), QByteArray("post-sorter.topic.model.v1\n"));

    const ClerkRun second = clerk({QStringLiteral("train"), QStringLiteral("bot.yaml"), QStringLiteral("--examples"),
                                   QStringLiteral("train.csv"), QStringLiteral("--step"), QStringLiteral("topic"),
                                   QStringLiteral("--json")});
    ASSERT_EQ(second.exitCode, 0) << second.err.toStdString();
    const QJsonObject info = QJsonDocument::fromJson(second.out.toUtf8()).object();
    EXPECT_EQ(info.value(QStringLiteral("model")).toString(), file(QStringLiteral("post-sorter.topic.model.v2")));
    EXPECT_EQ(info.value(QStringLiteral("example_count")).toInt(), 150);
    EXPECT_EQ(info.value(QStringLiteral("format_version")).toInt(), 1);
    EXPECT_EQ(readFile(file(QStringLiteral("post-sorter.topic.model.latest"))), QByteArray("post-sorter.topic.model.v2\n"));
}

TEST_F(ClassifyCliTest, EvalMeasuresTheLatestModelAndRecommendsAThreshold)
{
    ASSERT_EQ(clerk({QStringLiteral("train"), QStringLiteral("bot.yaml"), QStringLiteral("--examples"), QStringLiteral("train.csv")})
                  .exitCode,
              0);
    const ClerkRun eval = clerk({QStringLiteral("eval"), QStringLiteral("bot.yaml"), QStringLiteral("--examples"),
                                 QStringLiteral("test.csv"), QStringLiteral("--json"), QStringLiteral("--target-precision"),
                                 QStringLiteral("0.95")});
    ASSERT_EQ(eval.exitCode, 0) << eval.err.toStdString();
    const QJsonObject result = QJsonDocument::fromJson(eval.out.toUtf8()).object();
    EXPECT_EQ(result.value(QStringLiteral("total")).toInt(), 50);
    EXPECT_GE(result.value(QStringLiteral("accuracy")).toDouble(), 0.95);
    EXPECT_GE(result.value(QStringLiteral("macro_f1")).toDouble(), 0.95);
    EXPECT_EQ(result.value(QStringLiteral("confusion")).toArray().size(), 5);
    EXPECT_EQ(result.value(QStringLiteral("thresholds")).toArray().size(), 52);
    EXPECT_TRUE(result.value(QStringLiteral("model")).toString().endsWith(QStringLiteral("post-sorter.topic.model.v1")));
    const QJsonObject recommended = result.value(QStringLiteral("recommended")).toObject();
    EXPECT_GE(recommended.value(QStringLiteral("precision")).toDouble(), 0.95);
    EXPECT_GT(recommended.value(QStringLiteral("share")).toDouble(), 0.5);

    const ClerkRun text = clerk({QStringLiteral("eval"), QStringLiteral("bot.yaml"), QStringLiteral("--examples"),
                                 QStringLiteral("test.csv"), QStringLiteral("--predictions"), QStringLiteral("p.csv")});
    ASSERT_EQ(text.exitCode, 0) << text.err.toStdString();
    EXPECT_TRUE(text.out.contains(QStringLiteral("macro-F1: "))) << text.out.toStdString();
    EXPECT_TRUE(text.out.contains(QStringLiteral("recommended threshold for 99.0% precision"))
                || text.out.contains(QStringLiteral("no threshold reaches 99.0% precision")))
        << text.out.toStdString();
    EXPECT_EQ(QString::fromUtf8(readFile(file(QStringLiteral("p.csv")))).split(QLatin1Char('\n'), Qt::SkipEmptyParts).size(), 51);
}

TEST_F(ClassifyCliTest, EvalWithoutAModelUsesOnlyTheRules)
{
    const ClerkRun eval = clerk({QStringLiteral("eval"), QStringLiteral("bot.yaml"), QStringLiteral("--examples"),
                                 QStringLiteral("test.csv"), QStringLiteral("--json")});
    ASSERT_EQ(eval.exitCode, 0) << eval.err.toStdString();
    const QJsonObject result = QJsonDocument::fromJson(eval.out.toUtf8()).object();
    EXPECT_EQ(result.value(QStringLiteral("model")).toString(), QString());
    EXPECT_LT(result.value(QStringLiteral("accuracy")).toDouble(), 0.8);
}

TEST_F(ClassifyCliTest, ExamplesOfUnknownCategoriesAreRefused)
{
    writeFile(file(QStringLiteral("odd.csv")), "category,text\nhighways,a pothole\nparking_fines,a ticket\nparking_fines,a fine\n");
    const ClerkRun run = clerk({QStringLiteral("train"), QStringLiteral("bot.yaml"), QStringLiteral("--examples"),
                                QStringLiteral("odd.csv")});
    EXPECT_EQ(run.exitCode, 1);
    EXPECT_TRUE(run.err.contains(QStringLiteral("categories the step does not list: parking_fines"))) << run.err.toStdString();
    EXPECT_FALSE(QFileInfo::exists(file(QStringLiteral("post-sorter.topic.model.v1"))));

    const ClerkRun noExamples = clerk({QStringLiteral("train"), QStringLiteral("bot.yaml")});
    EXPECT_EQ(noExamples.exitCode, 1);
    EXPECT_TRUE(noExamples.err.contains(QStringLiteral("--examples is required")));
    const ClerkRun noStep = clerk({QStringLiteral("eval"), QStringLiteral("bot.yaml"), QStringLiteral("--examples"),
                                   QStringLiteral("test.csv"), QStringLiteral("--step"), QStringLiteral("other")});
    EXPECT_EQ(noStep.exitCode, 1);
    EXPECT_TRUE(noStep.err.contains(QStringLiteral("no classify step with id other"))) << noStep.err.toStdString();
}

TEST_F(ClassifyCliTest, TrainedModelRoutesAnItemThroughClerkRun)
{
    ASSERT_EQ(clerk({QStringLiteral("train"), QStringLiteral("bot.yaml"), QStringLiteral("--examples"), QStringLiteral("train.csv")})
                  .exitCode,
              0);
    QDir().mkpath(file(QStringLiteral("in")));
    writeFile(file(QStringLiteral("in/letter.json")),
              R"({"text": "Dear Sir, my father needs help with washing and dressing at home. Kind regards"})");
    const ClerkRun run = clerk({QStringLiteral("run"), QStringLiteral("bot.yaml"), QStringLiteral("--input"),
                                QStringLiteral("in/letter.json"), QStringLiteral("--json"), QStringLiteral("--db"),
                                file(QStringLiteral("work.db"))});
    ASSERT_EQ(run.exitCode, 0) << run.out.toStdString() << run.err.toStdString();
    const ClerkRun item = clerk({QStringLiteral("item"), QStringLiteral("show"), QStringLiteral("1"), QStringLiteral("--json"),
                                 QStringLiteral("--db"), file(QStringLiteral("work.db"))});
    ASSERT_EQ(item.exitCode, 0) << item.err.toStdString();
    const QJsonObject outputs = QJsonDocument::fromJson(item.out.toUtf8())
                                    .object()
                                    .value(QStringLiteral("step_outputs"))
                                    .toObject()
                                    .value(QStringLiteral("topic"))
                                    .toObject();
    EXPECT_EQ(outputs.value(QStringLiteral("category")).toString(), QStringLiteral("adult_social_care")) << item.out.toStdString();
    EXPECT_EQ(outputs.value(QStringLiteral("label")).toString(), QStringLiteral("Adult social care referral"));
    EXPECT_EQ(outputs.value(QStringLiteral("team")).toString(), QStringLiteral("adult-social-care"));
    EXPECT_GE(outputs.value(QStringLiteral("confidence")).toDouble(), 0.8);
}

TEST_F(ClassifyCliTest, TrainLearnsFromPeoplesAnswersInTheQueue)
{
    // Rules alone are never sure enough for this bot, so every letter goes to a person;
    // their answers then train a model.
    const auto examples = letters(QStringLiteral("train.csv"));
    QDir().mkpath(file(QStringLiteral("in")));
    QHash<QString, QString> truthByInput;
    for (qsizetype i = 0; i < examples.size(); i += 6) {
        const QString name = QStringLiteral("in/%1.json").arg(i, 3, 10, QLatin1Char('0'));
        writeFile(file(name), QJsonDocument(QJsonObject{{QStringLiteral("text"), examples[i].text}}).toJson());
        truthByInput.insert(file(name), examples[i].category);
    }
    const QString db = file(QStringLiteral("work.db"));
    ASSERT_EQ(clerk({QStringLiteral("run"), QStringLiteral("bot.yaml"), QStringLiteral("--input"), QStringLiteral("in"),
                     QStringLiteral("--db"), db})
                  .exitCode,
              0);
    const ClerkRun list = clerk({QStringLiteral("queue"), QStringLiteral("list"), QStringLiteral("--json"),
                                 QStringLiteral("--limit"), QStringLiteral("100"), QStringLiteral("--db"), db});
    const QJsonArray open = QJsonDocument::fromJson(list.out.toUtf8()).array();
    ASSERT_EQ(open.size(), truthByInput.size()) << list.out.toStdString();
    for (const QJsonValue &value : open) {
        const QJsonObject exception = value.toObject();
        const QString itemId = QString::number(exception.value(QStringLiteral("item_id")).toInteger());
        const ClerkRun item = clerk({QStringLiteral("item"), QStringLiteral("show"), itemId, QStringLiteral("--json"),
                                     QStringLiteral("--db"), db});
        const QString input = QDir::cleanPath(QDir(m_dir.path()).absoluteFilePath(
            QJsonDocument::fromJson(item.out.toUtf8()).object().value(QStringLiteral("source")).toString()
                .section(QLatin1Char(':'), 1).section(QLatin1Char('#'), 0, 0)));
        ASSERT_TRUE(truthByInput.contains(input)) << input.toStdString();
        const ClerkRun resolved = clerk({QStringLiteral("queue"), QStringLiteral("resolve"),
                                         QString::number(exception.value(QStringLiteral("id")).toInteger()),
                                         QStringLiteral("--choice"), truthByInput.value(input), QStringLiteral("--db"), db});
        ASSERT_EQ(resolved.exitCode, 0) << resolved.err.toStdString();
    }

    const ClerkRun train = clerk({QStringLiteral("train"), QStringLiteral("bot.yaml"), QStringLiteral("--from-queue"),
                                  QStringLiteral("--db"), db, QStringLiteral("--json")});
    ASSERT_EQ(train.exitCode, 0) << train.err.toStdString();
    const QJsonObject info = QJsonDocument::fromJson(train.out.toUtf8()).object();
    EXPECT_EQ(info.value(QStringLiteral("examples_from_queue")).toInt(), truthByInput.size());
    EXPECT_EQ(info.value(QStringLiteral("example_count")).toInt(), truthByInput.size());

    const ClerkRun eval = clerk({QStringLiteral("eval"), QStringLiteral("bot.yaml"), QStringLiteral("--examples"),
                                 QStringLiteral("test.csv"), QStringLiteral("--json")});
    ASSERT_EQ(eval.exitCode, 0) << eval.err.toStdString();
    EXPECT_GE(QJsonDocument::fromJson(eval.out.toUtf8()).object().value(QStringLiteral("accuracy")).toDouble(), 0.8);
}
