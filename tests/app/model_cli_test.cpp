// clerk learn and clerk model as real processes on a real SQLite file: people's answers
// train a first model that is put in use; versions are listed, promoted and rolled back
// by hand, with their audit events.
#include "learning_test_support.h"

#include <QFileInfo>
#include <QJsonArray>
#include <QTemporaryDir>

using namespace clerk;
using namespace clerk::testing;

namespace {

class ModelCliTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        ASSERT_TRUE(m_dir.isValid());
        ASSERT_TRUE(QFile::copy(QStringLiteral(CLERK_TEST_DATA_DIR "/classify/train.csv"), path(QStringLiteral("train.csv"))));
        writeFile(path(QStringLiteral("bot.yaml")), learningBot(40));
    }

    QString path(const QString &name) const { return m_dir.filePath(name); }
    QString db() const { return path(QStringLiteral("work.db")); }
    QString bot() const { return path(QStringLiteral("bot.yaml")); }

    // Letters first..last go through the bot; the post room answers every question.
    void postAndAnswer(int first, int last)
    {
        const QString records = path(QStringLiteral("letters-%1.jsonl").arg(first));
        writeFile(records, letterRecords(first, last));
        const ClerkRun run = runClerk({QStringLiteral("run"), bot(), QStringLiteral("--input"), records, QStringLiteral("--db"),
                                       db(), QStringLiteral("--workers"), QStringLiteral("1")});
        ASSERT_EQ(run.exitCode, 0) << run.err.toStdString();
        EXPECT_EQ(answerEveryQuestion(db()), last - first);
    }

    ClerkRun clerk(QStringList arguments)
    {
        arguments << QStringLiteral("--db") << db();
        return runClerk(arguments, m_dir.path(), 120000);
    }

    QJsonObject json(const ClerkRun &run)
    {
        EXPECT_EQ(run.exitCode, 0) << run.err.toStdString();
        return QJsonDocument::fromJson(run.out.toUtf8()).object();
    }

    QString latest() const
    {
        return QString::fromUtf8(readFile(path(QStringLiteral("post.topic.model.latest")))).trimmed();
    }

    QJsonArray events(const QString &kind)
    {
        auto store = store::openWorkStore(db());
        EXPECT_TRUE(store.has_value());
        QJsonArray found;
        if (!store)
            return found;
        auto list = (*store)->botEvents(QStringLiteral("post"), {kind}, {});
        EXPECT_TRUE(list.has_value());
        for (const store::Event &event : list.value_or(QList<store::Event>{})) {
            QJsonObject detail = event.detail;
            detail.insert(QStringLiteral("actor"), event.actor);
            found.append(detail);
        }
        return found;
    }

    QTemporaryDir m_dir;
};

} // namespace

TEST_F(ModelCliTest, LearnTrainsAFirstModelThatListShowsInUse)
{
    postAndAnswer(0, 20);
    const QJsonObject early = json(clerk({QStringLiteral("learn"), bot(), QStringLiteral("--json")}));
    EXPECT_FALSE(early.value(QStringLiteral("trained")).toBool());
    EXPECT_EQ(early.value(QStringLiteral("answers")).toInt(), 20);
    EXPECT_TRUE(early.value(QStringLiteral("reason")).toString().contains(QStringLiteral("after 40"))) << early.value(QStringLiteral("reason")).toString().toStdString();

    postAndAnswer(20, 60);
    const ClerkRun learn = clerk({QStringLiteral("learn"), bot()});
    ASSERT_EQ(learn.exitCode, 0) << learn.err.toStdString();
    EXPECT_TRUE(learn.out.contains(QStringLiteral("promoted post.topic.model.v1"))) << learn.out.toStdString();
    EXPECT_TRUE(learn.out.contains(QStringLiteral("60 answers from people"))) << learn.out.toStdString();
    EXPECT_EQ(latest(), QStringLiteral("post.topic.model.v1"));

    const QJsonObject list = json(clerk({QStringLiteral("model"), QStringLiteral("list"), bot(), QStringLiteral("--json")}));
    EXPECT_EQ(list.value(QStringLiteral("in_use")).toString(), QStringLiteral("post.topic.model.v1"));
    const QJsonArray versions = list.value(QStringLiteral("versions")).toArray();
    ASSERT_EQ(versions.size(), 1);
    const QJsonObject v1 = versions.first().toObject();
    EXPECT_EQ(v1.value(QStringLiteral("version")).toInt(), 1);
    EXPECT_TRUE(v1.value(QStringLiteral("in_use")).toBool());
    EXPECT_TRUE(v1.value(QStringLiteral("promoted")).toBool());
    EXPECT_EQ(v1.value(QStringLiteral("answers")).toInt(), 60);
    EXPECT_TRUE(v1.value(QStringLiteral("answers_accuracy")).isDouble());
    EXPECT_FALSE(v1.value(QStringLiteral("trained_at")).toString().isEmpty());

    const ClerkRun table = clerk({QStringLiteral("model"), QStringLiteral("list"), bot()});
    ASSERT_EQ(table.exitCode, 0) << table.err.toStdString();
    EXPECT_TRUE(table.out.contains(QStringLiteral("accuracy on answers"))) << table.out.toStdString();
    EXPECT_TRUE(table.out.contains(QStringLiteral("v1"))) << table.out.toStdString();
}

TEST_F(ModelCliTest, PromoteAndRollbackMoveTheModelInUseAndAreRecorded)
{
    postAndAnswer(0, 60);
    ASSERT_EQ(clerk({QStringLiteral("learn"), bot()}).exitCode, 0);
    // Forced with no new answers: the challenger is kept as v2 but not promoted.
    const QJsonObject second = json(clerk({QStringLiteral("learn"), bot(), QStringLiteral("--force"), QStringLiteral("--json")}));
    EXPECT_TRUE(second.value(QStringLiteral("trained")).toBool());
    EXPECT_FALSE(second.value(QStringLiteral("promoted")).toBool());
    EXPECT_EQ(second.value(QStringLiteral("model")).toString(), QStringLiteral("post.topic.model.v2"));
    EXPECT_EQ(latest(), QStringLiteral("post.topic.model.v1"));

    const ClerkRun promote = clerk({QStringLiteral("model"), QStringLiteral("promote"), bot(), QStringLiteral("v2"),
                                    QStringLiteral("--as"), QStringLiteral("ada")});
    ASSERT_EQ(promote.exitCode, 0) << promote.err.toStdString();
    EXPECT_EQ(latest(), QStringLiteral("post.topic.model.v2"));
    const QJsonArray promoted = events(QStringLiteral("model_promoted"));
    ASSERT_EQ(promoted.size(), 2);  // v1 by the learning loop, v2 by hand
    const QJsonObject byHand = promoted.last().toObject();
    EXPECT_EQ(byHand.value(QStringLiteral("model")).toString(), QStringLiteral("post.topic.model.v2"));
    EXPECT_EQ(byHand.value(QStringLiteral("step")).toString(), QStringLiteral("topic"));
    EXPECT_EQ(byHand.value(QStringLiteral("reason")).toString(), QStringLiteral("promoted by hand"));
    EXPECT_EQ(byHand.value(QStringLiteral("actor")).toString(), QStringLiteral("ada"));
    // A hand promotion does not make the service train again at once.
    const QJsonObject after = json(clerk({QStringLiteral("learn"), bot(), QStringLiteral("--json")}));
    EXPECT_FALSE(after.value(QStringLiteral("trained")).toBool());

    const ClerkRun rollback = clerk({QStringLiteral("model"), QStringLiteral("rollback"), bot()});
    ASSERT_EQ(rollback.exitCode, 0) << rollback.err.toStdString();
    EXPECT_TRUE(rollback.out.contains(QStringLiteral("was post.topic.model.v2"))) << rollback.out.toStdString();
    EXPECT_EQ(latest(), QStringLiteral("post.topic.model.v1"));
    const QJsonArray rolledBack = events(QStringLiteral("model_rolled_back"));
    ASSERT_EQ(rolledBack.size(), 1);
    EXPECT_EQ(rolledBack.first().toObject().value(QStringLiteral("model")).toString(), QStringLiteral("post.topic.model.v1"));
    EXPECT_EQ(rolledBack.first().toObject().value(QStringLiteral("previous")).toString(), QStringLiteral("post.topic.model.v2"));
    EXPECT_EQ(rolledBack.first().toObject().value(QStringLiteral("actor")).toString(), QStringLiteral("test-runner"));

    // Nothing was in use before v1.
    const ClerkRun again = clerk({QStringLiteral("model"), QStringLiteral("rollback"), bot()});
    EXPECT_EQ(again.exitCode, 1);
    EXPECT_TRUE(again.err.contains(QStringLiteral("nothing to roll back to"))) << again.err.toStdString();
    EXPECT_EQ(latest(), QStringLiteral("post.topic.model.v1"));

    const QJsonArray versions =
        json(clerk({QStringLiteral("model"), QStringLiteral("list"), bot(), QStringLiteral("--json")})).value(QStringLiteral("versions")).toArray();
    ASSERT_EQ(versions.size(), 2);
    EXPECT_TRUE(versions.at(0).toObject().value(QStringLiteral("in_use")).toBool());
    EXPECT_FALSE(versions.at(1).toObject().value(QStringLiteral("in_use")).toBool());
    EXPECT_FALSE(versions.at(1).toObject().value(QStringLiteral("promoted")).toBool());
}

TEST_F(ModelCliTest, RollbackWithoutADatabaseGoesToTheNewestOlderPromotedVersion)
{
    postAndAnswer(0, 60);
    ASSERT_EQ(clerk({QStringLiteral("learn"), bot()}).exitCode, 0);                                // v1, promoted
    ASSERT_EQ(clerk({QStringLiteral("learn"), bot(), QStringLiteral("--force")}).exitCode, 0);     // v2, refused
    ASSERT_EQ(runClerk({QStringLiteral("model"), QStringLiteral("promote"), bot(), QStringLiteral("3")}).exitCode, 1);
    ASSERT_EQ(clerk({QStringLiteral("learn"), bot(), QStringLiteral("--force")}).exitCode, 0);     // v3, refused
    ASSERT_EQ(runClerk({QStringLiteral("model"), QStringLiteral("promote"), bot(), QStringLiteral("v3")}).exitCode, 0);
    EXPECT_EQ(latest(), QStringLiteral("post.topic.model.v3"));
    // v2 was never promoted: the rollback skips it.
    const ClerkRun rollback = runClerk({QStringLiteral("model"), QStringLiteral("rollback"), bot()});
    ASSERT_EQ(rollback.exitCode, 0) << rollback.err.toStdString();
    EXPECT_EQ(latest(), QStringLiteral("post.topic.model.v1"));
    EXPECT_TRUE(events(QStringLiteral("model_rolled_back")).isEmpty());  // no database was named
}

TEST_F(ModelCliTest, ABadVersionIsAClearError)
{
    postAndAnswer(0, 60);
    ASSERT_EQ(clerk({QStringLiteral("learn"), bot()}).exitCode, 0);
    const ClerkRun missing = clerk({QStringLiteral("model"), QStringLiteral("promote"), bot(), QStringLiteral("v7")});
    EXPECT_EQ(missing.exitCode, 1);
    EXPECT_TRUE(missing.err.contains(QStringLiteral("post.topic has no version v7 (it has: v1)"))) << missing.err.toStdString();
    const ClerkRun garbled = clerk({QStringLiteral("model"), QStringLiteral("promote"), bot(), QStringLiteral("latest")});
    EXPECT_EQ(garbled.exitCode, 1);
    EXPECT_TRUE(garbled.err.contains(QStringLiteral("'latest' is not a version"))) << garbled.err.toStdString();

    // A version file that does not load is shown as such and cannot be put in use.
    writeFile(path(QStringLiteral("post.topic.model.v2")), "half a model");
    const ClerkRun broken = clerk({QStringLiteral("model"), QStringLiteral("promote"), bot(), QStringLiteral("v2")});
    EXPECT_EQ(broken.exitCode, 1);
    EXPECT_TRUE(broken.err.contains(QStringLiteral("v2 does not load"))) << broken.err.toStdString();
    EXPECT_EQ(latest(), QStringLiteral("post.topic.model.v1"));
    const QJsonArray versions =
        json(clerk({QStringLiteral("model"), QStringLiteral("list"), bot(), QStringLiteral("--json")})).value(QStringLiteral("versions")).toArray();
    ASSERT_EQ(versions.size(), 2);
    EXPECT_TRUE(versions.at(1).toObject().contains(QStringLiteral("problem")));

    const ClerkRun noLearning = runClerk({QStringLiteral("learn"), QStringLiteral(CLERK_SOURCE_DIR "/examples/inbound-post/bot.yaml"),
                                          QStringLiteral("--db"), db()});
    EXPECT_EQ(noLearning.exitCode, 1);
    EXPECT_TRUE(noLearning.err.contains(QStringLiteral("learning:"))) << noLearning.err.toStdString();
}
