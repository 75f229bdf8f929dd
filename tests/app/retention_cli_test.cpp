// clerk retention on a real SQLite file: items clerk run finished are erased once the
// bot's period has passed, their document deleted; --dry-run changes nothing; a second
// run finds nothing; the skeleton and its history stay.
#include "cli_support_test.h"

#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QThread>

using namespace clerk::testing;

namespace {

QJsonObject jsonOf(const ClerkRun &run)
{
    return QJsonDocument::fromJson(run.out.toUtf8()).object();
}

TEST(RetentionCliTest, FinishedItemsAreErasedAndTheirDocumentsDeletedOnceTheirPeriodPassed)
{
    QTemporaryDir dir;
    ASSERT_TRUE(dir.isValid());
    const QString bot = dir.filePath(QStringLiteral("letters.yaml"));
    writeFile(bot, "name: letters\nversion: 1\nowner_team: post-room\n"
                   "retention: {after: 1s}\n"
                   "steps:\n  - id: note\n    type: set\n"
                   "    params: {values: {seen: \"{{ input.file }}{{ input.name }}\"}}\n");
    QDir().mkpath(dir.filePath(QStringLiteral("in")));
    const QString letter = dir.filePath(QStringLiteral("in/letter.pdf"));
    writeFile(letter, "%PDF-1.4 a letter from Zoe Okafor");
    writeFile(dir.filePath(QStringLiteral("in/form.json")), R"({"name": "Zoe Okafor"})");
    const QString db = dir.filePath(QStringLiteral("clerk.db"));
    const ClerkRun ran = runClerk({QStringLiteral("run"), bot, QStringLiteral("--input"), dir.filePath(QStringLiteral("in")),
                                   QStringLiteral("--db"), db});
    ASSERT_EQ(ran.exitCode, 0) << ran.err.toStdString();
    QThread::msleep(1500);  // past the bot's one-second retention

    const ClerkRun dry = runClerk({QStringLiteral("retention"), bot, QStringLiteral("--dry-run"), QStringLiteral("--json"),
                                   QStringLiteral("--db"), db});
    ASSERT_EQ(dry.exitCode, 0) << dry.err.toStdString();
    const QJsonObject planned = jsonOf(dry).value(QStringLiteral("bots")).toArray().at(0).toObject();
    EXPECT_EQ(planned.value(QStringLiteral("erased")).toInt(), 2) << dry.out.toStdString();
    EXPECT_EQ(planned.value(QStringLiteral("documents_deleted")).toInt(), 1);
    EXPECT_TRUE(QFileInfo::exists(letter));
    const ClerkRun before = runClerk({QStringLiteral("item"), QStringLiteral("show"), QStringLiteral("1"),
                                      QStringLiteral("--json"), QStringLiteral("--db"), db});
    EXPECT_TRUE(before.out.contains(QStringLiteral("letter.pdf")) || before.out.contains(QStringLiteral("Zoe Okafor")))
        << before.out.toStdString();

    const ClerkRun erased = runClerk({QStringLiteral("retention"), bot, QStringLiteral("--db"), db});
    ASSERT_EQ(erased.exitCode, 0) << erased.err.toStdString();
    EXPECT_TRUE(erased.out.startsWith(QStringLiteral("letters: 2 finished items erased, 1 documents deleted")))
        << erased.out.toStdString();
    EXPECT_FALSE(QFileInfo::exists(letter));
    for (const QString &id : {QStringLiteral("1"), QStringLiteral("2")}) {
        const ClerkRun shown = runClerk({QStringLiteral("item"), QStringLiteral("show"), id, QStringLiteral("--json"),
                                         QStringLiteral("--db"), db});
        ASSERT_EQ(shown.exitCode, 0) << shown.err.toStdString();
        // The skeleton: no input, no outputs, no name; its state, source and history stay.
        const QJsonObject item = jsonOf(shown);
        EXPECT_TRUE(item.value(QStringLiteral("payload")).toObject().isEmpty()) << shown.out.toStdString();
        EXPECT_TRUE(item.value(QStringLiteral("step_outputs")).toObject().isEmpty()) << shown.out.toStdString();
        EXPECT_FALSE(shown.out.contains(QStringLiteral("Zoe Okafor"))) << shown.out.toStdString();
        EXPECT_EQ(item.value(QStringLiteral("state")).toString(), QStringLiteral("done"));
        EXPECT_FALSE(item.value(QStringLiteral("erased_at")).toString().isEmpty());
        EXPECT_TRUE(shown.out.contains(QStringLiteral("\"erased\""))) << shown.out.toStdString();  // its history says so
    }

    const ClerkRun again = runClerk({QStringLiteral("retention"), bot, QStringLiteral("--json"), QStringLiteral("--db"), db});
    EXPECT_EQ(jsonOf(again).value(QStringLiteral("bots")).toArray().at(0).toObject().value(QStringLiteral("erased")).toInt(), 0)
        << again.out.toStdString();
}

TEST(RetentionCliTest, NamesNoBotsOrABotWithoutRetentionAndErasesNothing)
{
    QTemporaryDir dir;
    ASSERT_TRUE(dir.isValid());
    const ClerkRun none = runClerk({QStringLiteral("retention"), QStringLiteral("--db"), dir.filePath(QStringLiteral("c.db"))});
    EXPECT_EQ(none.exitCode, 1);
    EXPECT_TRUE(none.err.contains(QStringLiteral("name the bot files"))) << none.err.toStdString();
    const QString bot = dir.filePath(QStringLiteral("keep.yaml"));
    writeFile(bot, "name: keep\nversion: 1\nowner_team: ict\nsteps:\n  - type: set\n    params: {values: {a: b}}\n");
    const ClerkRun kept = runClerk({QStringLiteral("retention"), bot, QStringLiteral("--db"), dir.filePath(QStringLiteral("c.db"))});
    EXPECT_EQ(kept.exitCode, 0) << kept.err.toStdString();
    EXPECT_EQ(kept.out, QStringLiteral("keep: no retention set; nothing erased\n"));
}

} // namespace
