// clerk serve learns by itself, as a real process on a real SQLite file: letters arrive in
// a watched folder and go to a person; the post room's answers train a model that the
// service promotes, and the next letters are decided with it without a restart. A kill -9
// in the middle of a training leaves no broken model in use, and the next start trains
// again.
#include "learning_test_support.h"

#include "classify/classifier_model.h"

#include <QDeadlineTimer>
#include <QFileInfo>
#include <QJsonArray>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QThread>

#include <csignal>
#include <functional>

using namespace clerk;
using namespace clerk::testing;

namespace {

const QString kWatch = QStringLiteral("trigger:\n"
                                      "  watch:\n"
                                      "    folder: inbox\n"
                                      "    pattern: \"*.jsonl\"\n"
                                      "    settle: 200ms\n"
                                      "    poll: 200ms\n");

class LearningServeTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        ASSERT_TRUE(m_dir.isValid());
        QDir().mkpath(path(QStringLiteral("inbox")));
    }

    void TearDown() override
    {
        if (m_serve.state() != QProcess::NotRunning) {
            m_serve.kill();
            m_serve.waitForFinished(5000);
        }
    }

    QString path(const QString &name) const { return m_dir.filePath(name); }
    QString db() const { return path(QStringLiteral("work.db")); }
    QString bot() const { return path(QStringLiteral("bot.yaml")); }

    // `lease`: a short one lets the "learning" leadership move on quickly after a kill.
    void start(const QString &lease = QStringLiteral("30s"))
    {
        m_serve.setProgram(QStringLiteral(CLERK_BINARY));
        m_serve.setArguments({QStringLiteral("serve"), bot(), QStringLiteral("--db"), db(), QStringLiteral("--workers"),
                              QStringLiteral("2"), QStringLiteral("--listen"), QStringLiteral("off"),
                              QStringLiteral("--learning-check"), QStringLiteral("1s"), QStringLiteral("--lease"), lease});
        m_serve.setWorkingDirectory(m_dir.path());
        m_serve.setProcessChannelMode(QProcess::MergedChannels);
        m_serve.start();
        ASSERT_TRUE(m_serve.waitForStarted());
    }

    QString log() { return clerk::testing::serveLog(m_serve, m_log); }

    bool eventually(const std::function<bool()> &condition, int seconds = 60)
    {
        return clerk::testing::eventually(m_serve, m_log, condition, seconds);
    }

    QJsonObject status()
    {
        const ClerkRun run = runClerk({QStringLiteral("status"), QStringLiteral("--db"), db(), QStringLiteral("--json")});
        for (const QJsonValue &row : QJsonDocument::fromJson(run.out.toUtf8()).object().value(QStringLiteral("bots")).toArray()) {
            if (row.toObject().value(QStringLiteral("bot")).toString() == QLatin1String("post"))
                return row.toObject();
        }
        return {};
    }
    int count(const QString &state) { return status().value(state).toInt(); }

    QString latest() const
    {
        return QString::fromUtf8(readFile(path(QStringLiteral("post.topic.model.latest")))).trimmed();
    }

    QList<store::Event> events(const QString &kind)
    {
        auto store = store::openWorkStore(db());
        EXPECT_TRUE(store.has_value());
        if (!store)
            return {};
        auto list = (*store)->botEvents(QStringLiteral("post"), {kind}, {});
        EXPECT_TRUE(list.has_value());
        return list.value_or(QList<store::Event>{});
    }

    // Every file named like a model version must load; so must the one `.latest` names.
    void expectNoBrokenModel()
    {
        const QRegularExpression version(QStringLiteral("^post\\.topic\\.model\\.v\\d+$"));
        for (const QString &name : QDir(m_dir.path()).entryList(QDir::Files)) {
            if (!version.match(name).hasMatch())
                continue;
            auto model = classify::ClassifierModel::load(path(name));
            EXPECT_TRUE(model.has_value()) << name.toStdString() << ": " << model.error().toString().toStdString();
        }
        if (!latest().isEmpty()) {
            EXPECT_TRUE(QFileInfo::exists(path(latest()))) << latest().toStdString();
            EXPECT_TRUE(classify::ClassifierModel::load(path(latest())).has_value()) << latest().toStdString();
        }
    }

    QTemporaryDir m_dir;
    QProcess m_serve;
    QString m_log;
};

} // namespace

TEST_F(LearningServeTest, AnswersTrainAModelTheServicePromotesAndUsesWithoutARestart)
{
    ASSERT_TRUE(QFile::copy(QStringLiteral(CLERK_TEST_DATA_DIR "/classify/train.csv"), path(QStringLiteral("train.csv"))));
    writeFile(bot(), learningBot(100, kWatch));  // one training, on every answer
    start();

    // No model yet: every letter goes to a person.
    writeFile(path(QStringLiteral("inbox/monday.jsonl")), letterRecords(0, 100));
    ASSERT_TRUE(eventually([&] { return count(QStringLiteral("waiting_for_human")) == 100; })) << log().toStdString();
    EXPECT_TRUE(latest().isEmpty());

    // The post room answers; the service trains, proves and promotes a model by itself.
    EXPECT_EQ(answerEveryQuestion(db()), 100);
    ASSERT_TRUE(eventually([&] { return !latest().isEmpty(); })) << log().toStdString();
    EXPECT_EQ(latest(), QStringLiteral("post.topic.model.v1"));
    ASSERT_TRUE(eventually([&] { return count(QStringLiteral("done")) == 100; })) << log().toStdString();
    const QList<store::Event> promoted = events(QStringLiteral("model_promoted"));
    ASSERT_EQ(promoted.size(), 1) << log().toStdString();
    EXPECT_TRUE(promoted.first().actor.endsWith(QStringLiteral("/learning"))) << promoted.first().actor.toStdString();
    EXPECT_EQ(promoted.first().detail.value(QStringLiteral("answers")).toInt(), 100);
    EXPECT_TRUE(log().contains(QStringLiteral("post.topic.model.v1 promoted on 100 answers"))) << log().toStdString();

    // The same process decides most of the next letters alone.
    writeFile(path(QStringLiteral("inbox/tuesday.jsonl")), letterRecords(100, 150));
    ASSERT_TRUE(eventually([&] {
        return count(QStringLiteral("done")) + count(QStringLiteral("waiting_for_human")) == 150;
    })) << log().toStdString();
    EXPECT_GT(count(QStringLiteral("done")) - 100, 25) << log().toStdString();

    ::kill(static_cast<pid_t>(m_serve.processId()), SIGTERM);
    EXPECT_TRUE(m_serve.waitForFinished(30000)) << log().toStdString();
    EXPECT_EQ(m_serve.exitCode(), 0) << log().toStdString();
}

TEST_F(LearningServeTest, AKillDuringTrainingLeavesNoBrokenModelAndTheNextStartTrains)
{
    // Many examples, so that a training takes seconds.
    const QList<QByteArray> lines = readFile(QStringLiteral(CLERK_TEST_DATA_DIR "/classify/train.csv")).split('\n');
    QByteArray examples = lines.first() + '\n';
    for (int copy = 0; copy < 30; ++copy) {
        for (qsizetype i = 1; i < lines.size(); ++i) {
            if (!lines.at(i).trimmed().isEmpty())
                examples += lines.at(i) + '\n';
        }
    }
    writeFile(path(QStringLiteral("train.csv")), examples);
    writeFile(bot(), learningBot(20, kWatch));
    // The letters are waiting and answered before the service starts: it trains at once.
    writeFile(path(QStringLiteral("letters.jsonl")), letterRecords(0, 30));
    const ClerkRun run = runClerk({QStringLiteral("run"), bot(), QStringLiteral("--input"), path(QStringLiteral("letters.jsonl")),
                                   QStringLiteral("--db"), db()});
    ASSERT_EQ(run.exitCode, 0) << run.err.toStdString();
    ASSERT_EQ(answerEveryQuestion(db()), 30);

    start(QStringLiteral("2s"));
    ASSERT_TRUE(eventually([&] { return log().contains(QStringLiteral("clerk.app: serving")); }, 30)) << log().toStdString();
    QThread::msleep(1500);
    const bool trainedBeforeTheKill = !latest().isEmpty();
    m_serve.kill();  // SIGKILL
    ASSERT_TRUE(m_serve.waitForFinished(10000));
    EXPECT_FALSE(trainedBeforeTheKill) << "the training ended before the kill: it should take seconds";
    expectNoBrokenModel();
    if (!trainedBeforeTheKill) {
        EXPECT_TRUE(events(QStringLiteral("model_promoted")).isEmpty());
    }

    // The next start trains the model in full, once the killed process's lease ran out.
    m_log.clear();
    start(QStringLiteral("2s"));
    ASSERT_TRUE(eventually([&] { return latest() == QLatin1String("post.topic.model.v1"); }, 100)) << log().toStdString();
    expectNoBrokenModel();
    EXPECT_EQ(events(QStringLiteral("model_promoted")).size(), 1);
    ::kill(static_cast<pid_t>(m_serve.processId()), SIGTERM);
    EXPECT_TRUE(m_serve.waitForFinished(60000)) << log().toStdString();
}
