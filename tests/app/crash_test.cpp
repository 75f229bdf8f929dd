// kill -9 in the middle of a batch, again and again: every item still ends exactly once.
//
// The bot's last step appends the item id to a file, so the file counts side effects:
// after the runs, each of the 200 ids must appear exactly once, and every item be done.
#include "cli_support_test.h"

#include <QDir>
#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSet>
#include <QTemporaryDir>
#include <QThread>

using namespace clerk::testing;

namespace {

constexpr int kItems = 200;

int countLines(const QString &path)
{
    return static_cast<int>(readFile(path).count('\n'));
}

} // namespace

TEST(CrashTest, KillNineMidBatchThenRerunEndsEveryItemExactlyOnce)
{
    QTemporaryDir dir;
    ASSERT_TRUE(dir.isValid());
    const QString inputs = dir.filePath(QStringLiteral("inputs"));
    QDir().mkpath(inputs);
    for (int i = 0; i < kItems; ++i) {
        writeFile(inputs + QStringLiteral("/form-%1.json").arg(i, 3, 10, QLatin1Char('0')),
                  QStringLiteral("{\"n\": %1, \"topic\": \"t%2\"}").arg(i).arg(i % 7).toUtf8());
    }
    const QString effects = dir.filePath(QStringLiteral("effects.txt"));
    const QString bot = dir.filePath(QStringLiteral("bot.yaml"));
    writeFile(bot, QStringLiteral(
                       "name: crash-test\n"
                       "version: 1\n"
                       "owner_team: ops\n"
                       "steps:\n"
                       "  - id: label\n"
                       "    type: set\n"
                       "    params:\n"
                       "      values:\n"
                       "        text: \"form {{ input.n }} about {{ input.topic }}\"\n"
                       "  - id: check\n"
                       "    type: require\n"
                       "    params:\n"
                       "      value: \"{{ input.topic }}\"\n"
                       "      matches: 't[0-9]'\n"
                       "  - id: effect\n"
                       "    type: append_line\n"
                       "    params:\n"
                       "      file: %1\n"
                       "      line: \"{{ item.id }}\"\n"
                       "  - id: after\n"
                       "    type: set\n"
                       "    params:\n"
                       "      values:\n"
                       "        ok: \"{{ effect.written }}\"\n")
                       .arg(effects)
                       .toUtf8());
    const QString db = dir.filePath(QStringLiteral("work.db"));
    const QStringList runArgs{QStringLiteral("run"), bot, QStringLiteral("--input"), inputs, QStringLiteral("--db"), db,
                              QStringLiteral("--workers"), QStringLiteral("2"), QStringLiteral("--lease"),
                              QStringLiteral("2s"), QStringLiteral("--json")};

    // Kill three runs at different points of the batch.
    int kills = 0;
    for (const int killAt : {15, 80, 150}) {
        QProcess process;
        process.setProgram(QStringLiteral(CLERK_BINARY));
        process.setArguments(runArgs);
        process.start();
        ASSERT_TRUE(process.waitForStarted());
        QElapsedTimer timer;
        timer.start();
        while (countLines(effects) < killAt && process.state() == QProcess::Running && timer.elapsed() < 60000)
            QThread::msleep(2);
        if (process.state() == QProcess::Running) {
            process.kill();  // SIGKILL
            ++kills;
        }
        process.waitForFinished(10000);
    }
    EXPECT_GE(kills, 2) << "the batch finished before it could be killed; the test proved little";

    // A final run finishes the batch, taking over the leases the killed runs held.
    const ClerkRun last = runClerk(runArgs, {}, 120000);
    ASSERT_EQ(last.exitCode, 0) << last.err.toStdString() << last.out.toStdString();
    const QJsonObject summary = QJsonDocument::fromJson(last.out.toUtf8()).object();
    EXPECT_EQ(summary.value(QStringLiteral("done")).toInt(), kItems) << last.out.toStdString();

    const QStringList lines = QString::fromUtf8(readFile(effects)).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    QHash<QString, int> seen;
    for (const QString &line : lines)
        ++seen[line];
    EXPECT_EQ(seen.size(), kItems) << "items lost";
    int doubled = 0;
    for (auto it = seen.begin(); it != seen.end(); ++it) {
        if (it.value() != 1)
            ++doubled;
    }
    EXPECT_EQ(doubled, 0) << "items whose side effect happened more than once";
    EXPECT_EQ(lines.size(), kItems);

    const ClerkRun status = runClerk({QStringLiteral("status"), QStringLiteral("--db"), db, QStringLiteral("--json")});
    const QJsonObject counts = QJsonDocument::fromJson(status.out.toUtf8()).object().value(QStringLiteral("bots")).toArray().first().toObject();
    EXPECT_EQ(counts.value(QStringLiteral("done")).toInt(), kItems);
    EXPECT_EQ(counts.value(QStringLiteral("failed")).toInt(), 0);
}
