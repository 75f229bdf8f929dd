#include "scheduler_test_support.h"

#include <QDir>
#include <QFile>

namespace clerk::scheduler {
namespace {

class FolderWatchTest : public testing::SchedulerFixture {
protected:
    void SetUp() override
    {
        SchedulerFixture::SetUp();
        ASSERT_TRUE(QDir(m_dir.path()).mkpath(QStringLiteral("inbox")));
    }

    QString inbox(const QString &name = {}) const
    {
        return QDir(m_dir.filePath(QStringLiteral("inbox"))).filePath(name);
    }

    static void write(const QString &path, const QByteArray &bytes, QIODevice::OpenMode mode = QIODevice::WriteOnly)
    {
        QFile file(path);
        ASSERT_TRUE(file.open(mode)) << path.toStdString();
        ASSERT_EQ(file.write(bytes), bytes.size());
    }

    static QStringList filesIn(const QString &folder)
    {
        return QDir(folder).entryList(QDir::Files, QDir::Name);
    }

    // A bot watching inbox/ for `pattern`, whose one step asks a person unless the
    // record's "ok" field is "yes".
    bot::BotDefinition watchingBot(const QString &pattern = QStringLiteral("*"), const QString &more = {})
    {
        return loadBot(QStringLiteral("watcher"),
                       QStringLiteral("  watch:\n    folder: inbox\n    pattern: '%1'\n%2").arg(pattern, more),
                       QStringLiteral("  - type: require\n    params:\n      value: \"{{ input.ok }}\"\n"
                                      "      one_of: ['yes']\n"));
    }

    void rejectAllOpenExceptions()
    {
        auto open = m_store->exceptions({});
        ASSERT_TRUE(open.has_value());
        for (const store::ExceptionItem &exception : *open)
            ASSERT_TRUE(m_store->reject(exception.id, QStringLiteral("officer"), QStringLiteral("not ours")));
    }
};

const QByteArray kTwoForms = R"([{"ref": "F-1", "ok": "yes"}, {"ref": "F-2", "ok": "yes"}])";

TEST_F(FolderWatchTest, AFileWrittenInTwoPartsBecomesItemsOnlyOnceSettledAndMovesToDone)
{
    auto scheduler = makeScheduler();
    ASSERT_TRUE(scheduler->addBot(watchingBot(QStringLiteral("*.json"))));
    const QString path = inbox(QStringLiteral("forms.json"));

    write(path, kTwoForms.left(20));
    EXPECT_EQ(tick(*scheduler).enqueued, 0);
    EXPECT_EQ(scheduler->nextWakeUp(), m_clock.now().addSecs(5));  // settle: 5s by default

    m_clock.advance(std::chrono::seconds(3));
    write(path, kTwoForms.mid(20), QIODevice::Append);
    EXPECT_EQ(tick(*scheduler).enqueued, 0);  // changed: settling starts again
    m_clock.advance(std::chrono::seconds(4));
    EXPECT_EQ(tick(*scheduler).enqueued, 0);
    m_clock.advance(std::chrono::seconds(1));
    EXPECT_EQ(tick(*scheduler).enqueued, 2);
    EXPECT_EQ(items(QStringLiteral("watcher")).size(), 2);

    // Not moved while its items are unfinished, and not enqueued again.
    m_clock.advance(std::chrono::seconds(30));
    const TickResult waiting = tick(*scheduler);
    EXPECT_EQ(waiting.enqueued, 0);
    EXPECT_EQ(waiting.filed, 0);
    EXPECT_TRUE(QFile::exists(path));

    ASSERT_TRUE(m_engine->runUntilIdle().has_value());
    m_clock.advance(std::chrono::seconds(30));
    EXPECT_EQ(tick(*scheduler).filed, 1);
    EXPECT_FALSE(QFile::exists(path));
    EXPECT_EQ(filesIn(inbox(QStringLiteral("done"))), QStringList{QStringLiteral("forms.json")});
    EXPECT_EQ(tick(*scheduler).enqueued, 0);
    EXPECT_EQ(items(QStringLiteral("watcher")).size(), 2);
}

TEST_F(FolderWatchTest, ARestartFindsTheItemsOfAFileInsteadOfRepeatingThem)
{
    write(inbox(QStringLiteral("forms.json")), kTwoForms);
    {
        auto before = makeScheduler(QStringLiteral("host-a:1"));
        ASSERT_TRUE(before->addBot(watchingBot()));
        tick(*before);
        m_clock.advance(std::chrono::seconds(5));
        EXPECT_EQ(tick(*before).enqueued, 2);
    }
    auto after = makeScheduler(QStringLiteral("host-a:2"));
    ASSERT_TRUE(after->addBot(watchingBot()));
    tick(*after);
    m_clock.advance(std::chrono::seconds(5));
    EXPECT_EQ(tick(*after).enqueued, 0);
    EXPECT_EQ(items(QStringLiteral("watcher")).size(), 2);

    ASSERT_TRUE(m_engine->runUntilIdle().has_value());
    EXPECT_EQ(tick(*after).filed, 1);
    EXPECT_EQ(filesIn(inbox(QStringLiteral("done"))), QStringList{QStringLiteral("forms.json")});
}

TEST_F(FolderWatchTest, ADocumentWhoseItemIsRejectedMovesToFailedUnderAFreeName)
{
    auto scheduler = makeScheduler();
    ASSERT_TRUE(scheduler->addBot(watchingBot(QStringLiteral("*.pdf"), QStringLiteral("    failed_folder: rejected\n"))));
    ASSERT_TRUE(QDir(inbox()).mkpath(QStringLiteral("rejected")));
    write(inbox(QStringLiteral("rejected/letter.pdf")), "an earlier letter");
    write(inbox(QStringLiteral("letter.pdf")), "%PDF-1.4 not really a letter");
    write(inbox(QStringLiteral("notes.txt")), "not matching the pattern");
    write(inbox(QStringLiteral(".letter.pdf.part")), "hidden");

    tick(*scheduler);
    m_clock.advance(std::chrono::seconds(5));
    EXPECT_EQ(tick(*scheduler).enqueued, 1);
    const QList<WorkItem> list = items(QStringLiteral("watcher"));
    ASSERT_EQ(list.size(), 1);
    EXPECT_EQ(list.first().payload.value(QStringLiteral("file")).toString(), inbox(QStringLiteral("letter.pdf")));
    EXPECT_TRUE(list.first().sourceRef.startsWith(QStringLiteral("file:")));

    ASSERT_TRUE(m_engine->runUntilIdle().has_value());  // no "ok": a person is asked
    EXPECT_EQ(tick(*scheduler).filed, 0);
    rejectAllOpenExceptions();
    EXPECT_EQ(tick(*scheduler).filed, 1);
    EXPECT_EQ(filesIn(inbox(QStringLiteral("rejected"))),
              (QStringList{QStringLiteral("letter-1.pdf"), QStringLiteral("letter.pdf")}));
    EXPECT_EQ(filesIn(inbox()), QStringList{QStringLiteral("notes.txt")});
}

TEST_F(FolderWatchTest, AFileThatCannotBeReadMovesToFailedWithAProblem)
{
    auto scheduler = makeScheduler();
    ASSERT_TRUE(scheduler->addBot(watchingBot(QStringLiteral("*.json"))));
    write(inbox(QStringLiteral("broken.json")), "{\"ref\": ");
    ASSERT_TRUE(scheduler->tick().has_value());
    m_clock.advance(std::chrono::seconds(5));
    auto result = scheduler->tick();
    ASSERT_TRUE(result.has_value());
    EXPECT_EQ(result->enqueued, 0);
    EXPECT_EQ(result->filed, 1);
    ASSERT_FALSE(result->problems.isEmpty());
    for (const QString &problem : result->problems)
        EXPECT_TRUE(problem.contains(QStringLiteral("broken.json"))) << problem.toStdString();
    EXPECT_TRUE(result->problems.last().contains(QStringLiteral("moved to")));
    EXPECT_EQ(filesIn(inbox(QStringLiteral("failed"))), QStringList{QStringLiteral("broken.json")});
}

TEST_F(FolderWatchTest, AMissingFolderIsAProblemNotAFailure)
{
    auto scheduler = makeScheduler();
    auto definition = loadBot(QStringLiteral("lost"), QStringLiteral("  watch:\n    folder: nowhere\n"));
    ASSERT_TRUE(scheduler->addBot(definition));
    auto result = scheduler->tick();
    ASSERT_TRUE(result.has_value());
    ASSERT_EQ(result->problems.size(), 1);
    EXPECT_TRUE(result->problems.first().contains(QStringLiteral("nowhere")));
}

TEST_F(FolderWatchTest, ReadyFilesWaitForBusinessHours)
{
    m_clock.set(testing::utc("2026-03-02T07:00:00Z"));  // Monday 07:00 GMT
    auto scheduler = makeScheduler();
    auto definition = loadBot(QStringLiteral("office"),
                              QStringLiteral("  watch:\n    folder: inbox\n    settle: 1s\n    poll: 10m\n"
                                             "  business_hours: Mon-Fri 08:00-18:00\n"));
    ASSERT_TRUE(scheduler->addBot(definition));
    write(inbox(QStringLiteral("form.json")), R"({"ref": "F-9"})");
    tick(*scheduler);
    m_clock.advance(std::chrono::seconds(2));
    EXPECT_EQ(tick(*scheduler).enqueued, 0);
    EXPECT_EQ(scheduler->nextWakeUp(), m_clock.now().addSecs(5));  // the leadership renewal comes first
    m_clock.set(testing::utc("2026-03-02T08:00:00Z"));
    EXPECT_EQ(tick(*scheduler).enqueued, 1);
}

} // namespace
} // namespace clerk::scheduler
