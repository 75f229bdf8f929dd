// The change-of-address worked example of docs/bot-reference.md, run as written: the bot
// file shown is the example's, every command shown runs in a copy of the example folder
// with the exit status the text gives it, and the export is the one shown.
#include "cli_support_test.h"

#include <QDir>
#include <QJsonArray>
#include <QJsonDocument>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>

using namespace clerk::testing;

namespace {

const QString kSource = QStringLiteral(CLERK_SOURCE_DIR);

// The fenced block after `marker` in the reference, without its fences.
QString blockAfter(const QString &doc, const QString &marker)
{
    const qsizetype at = doc.indexOf(marker);
    if (at < 0)
        return {};
    const qsizetype open = doc.indexOf(QStringLiteral("```"), at);
    const qsizetype bodyStart = doc.indexOf(u'\n', open) + 1;
    const qsizetype close = doc.indexOf(QStringLiteral("\n```"), bodyStart);
    return doc.mid(bodyStart, close - bodyStart + 1);
}

struct Step {
    QString line;
    ClerkRun run;
};

class WorkedExampleTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        ASSERT_TRUE(m_dir.isValid());
        m_doc = QString::fromUtf8(readFile(kSource + QStringLiteral("/docs/bot-reference.md")));
        ASSERT_FALSE(m_doc.isEmpty());
        const QString example = kSource + QStringLiteral("/examples/change-of-address");
        for (const QString &name : QDir(example).entryList(QDir::Files))
            ASSERT_TRUE(QFile::copy(example + u'/' + name, m_dir.filePath(name)));
    }

    // Runs the commands block: `cd` into the example (here: the copy), `export` for the
    // environment, `clerk ...` through the binary, `cat FILE` read back.
    QList<Step> runCommands()
    {
        QList<Step> steps;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.remove(QStringLiteral("CLERK_DB"));
        env.insert(QStringLiteral("USER"), QStringLiteral("test-runner"));
        const QString block = blockAfter(m_doc, QStringLiteral("<!-- worked example: commands -->"));
        for (QString line : block.split(u'\n', Qt::SkipEmptyParts)) {
            const qsizetype comment = line.indexOf(QStringLiteral("  #"));
            const QString command = (comment >= 0 ? line.left(comment) : line).trimmed();
            Step step{line, {}};
            if (command.startsWith(QLatin1String("cd "))) {
                continue;
            } else if (command.startsWith(QLatin1String("export "))) {
                const QString assignment = command.mid(7);
                env.insert(assignment.section(u'=', 0, 0), assignment.section(u'=', 1));
                continue;
            } else if (command.startsWith(QLatin1String("cat "))) {
                step.run.exitCode = 0;
                step.run.out = QString::fromUtf8(readFile(m_dir.filePath(command.mid(4))));
            } else {
                QStringList arguments = QProcess::splitCommand(command);
                EXPECT_EQ(arguments.value(0), QStringLiteral("clerk")) << line.toStdString();
                arguments.removeFirst();
                QProcess process;
                process.setProgram(QStringLiteral(CLERK_BINARY));
                process.setArguments(arguments);
                process.setWorkingDirectory(m_dir.path());
                process.setProcessEnvironment(env);
                process.start();
                EXPECT_TRUE(process.waitForFinished(60000)) << line.toStdString();
                step.run.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
                step.run.out = QString::fromUtf8(process.readAllStandardOutput());
                step.run.err = QString::fromUtf8(process.readAllStandardError());
            }
            steps.append(step);
        }
        return steps;
    }

    QTemporaryDir m_dir;
    QString m_doc;
};

} // namespace

TEST_F(WorkedExampleTest, TheBotShownIsTheExamplesBot)
{
    QString file = QString::fromUtf8(readFile(kSource + QStringLiteral("/examples/change-of-address/bot.yaml")));
    QStringList lines = file.split(u'\n');
    while (!lines.isEmpty() && (lines.first().startsWith(u'#') || lines.first().isEmpty()))
        lines.removeFirst();
    EXPECT_EQ(blockAfter(m_doc, QStringLiteral("<!-- worked example: examples/change-of-address/bot.yaml -->")),
              lines.join(u'\n'));
}

TEST_F(WorkedExampleTest, RunsAsWritten)
{
    const QList<Step> steps = runCommands();
    ASSERT_EQ(steps.size(), 12);
    for (const Step &step : steps) {
        // A command the text says is refused exits 1 with the reason; every other succeeds.
        const bool refused = step.line.contains(QLatin1String("# refused"));
        EXPECT_EQ(step.run.exitCode, refused ? 1 : 0)
            << step.line.toStdString() << "\n" << step.run.out.toStdString() << step.run.err.toStdString();
        if (refused) {
            EXPECT_TRUE(step.run.err.contains(QLatin1String("answer refused"))) << step.run.err.toStdString();
        }
    }
    // The first run's people queue, as the text shows it.
    const QString firstRun = steps.at(1).run.out;
    const QString shownQueue =
        m_doc.section(QStringLiteral("and four to a person:\n\n```\n"), 1).section(QStringLiteral("```"), 0, 0);
    ASSERT_FALSE(shownQueue.isEmpty());
    for (const QString &line : shownQueue.split(u'\n', Qt::SkipEmptyParts))
        EXPECT_TRUE(firstRun.contains(line)) << line.toStdString() << "\nnot in\n" << firstRun.toStdString();
    EXPECT_TRUE(firstRun.contains(QRegularExpression(QStringLiteral("done\\s+6")))) << firstRun.toStdString();

    // A person's view in the terminal: the form, the comparison per field, no raw JSON.
    const QString shown = steps.at(3).run.out;
    EXPECT_TRUE(shown.contains(QLatin1String("Input:\n"))) << shown.toStdString();
    EXPECT_TRUE(shown.contains(QLatin1String("  name: Carol Clark\n"))) << shown.toStdString();
    EXPECT_TRUE(shown.contains(QRegularExpression(QStringLiteral("name\\s+carol clark\\s+carol clarke\\s+close"))))
        << shown.toStdString();
    EXPECT_FALSE(shown.contains(QLatin1String("{\""))) << shown.toStdString();
    EXPECT_FALSE(shown.contains(QLatin1String("--choice 1 --field"))) << shown.toStdString();

    // Nothing twice on the second run; the export is the one the text shows.
    EXPECT_TRUE(steps.at(10).run.out.contains(QLatin1String("(10 seen before)"))) << steps.at(10).run.out.toStdString();
    EXPECT_EQ(steps.at(11).run.out, blockAfter(m_doc, QStringLiteral("<!-- worked example: export -->")));
}

TEST_F(WorkedExampleTest, DecidedItemsShowHowTheyEndedNotAnSlaCountdown)
{
    const QStringList db{QStringLiteral("--db"), m_dir.filePath(QStringLiteral("work.db"))};
    ASSERT_EQ(runClerk(QStringList{QStringLiteral("run"), QStringLiteral("bot.yaml"), QStringLiteral("--input"),
                                   QStringLiteral("forms.csv"), QStringLiteral("--workers"), QStringLiteral("1")} + db,
                       m_dir.path())
                  .exitCode,
              0);
    ASSERT_EQ(runClerk(QStringList{QStringLiteral("queue"), QStringLiteral("reject"), QStringLiteral("2"),
                                   QStringLiteral("--reason"), QStringLiteral("not our area"), QStringLiteral("--as"),
                                   QStringLiteral("dave")} + db)
                  .exitCode,
              0);
    const ClerkRun rejected = runClerk(QStringList{QStringLiteral("queue"), QStringLiteral("list"), QStringLiteral("--state"),
                                                   QStringLiteral("rejected")} + db);
    ASSERT_EQ(rejected.exitCode, 0) << rejected.err.toStdString();
    const QStringList rows = rejected.out.split(u'\n', Qt::SkipEmptyParts);
    ASSERT_EQ(rows.size(), 2) << rejected.out.toStdString();
    EXPECT_TRUE(rows.at(1).contains(QLatin1String(" rejected "))) << rows.at(1).toStdString();
    EXPECT_FALSE(rows.at(1).contains(QLatin1String(" in "))) << rows.at(1).toStdString();
    const ClerkRun shown = runClerk(QStringList{QStringLiteral("queue"), QStringLiteral("show"), QStringLiteral("2")} + db);
    EXPECT_FALSE(shown.out.contains(QLatin1String("SLA due"))) << shown.out.toStdString();
}

TEST_F(WorkedExampleTest, AFolderGivesOnlyTheBotsInputsAndRecordsThatDoNotFitAreRefusedAtTheDoor)
{
    // The example's own folder: forms.csv, but also accounts.csv (rows without a ref) and
    // the bot file itself.
    const QStringList db{QStringLiteral("--db"), m_dir.filePath(QStringLiteral("work.db"))};
    const ClerkRun run = runClerk(QStringList{QStringLiteral("run"), QStringLiteral("bot.yaml"), QStringLiteral("--input"),
                                              QStringLiteral("."), QStringLiteral("--workers"), QStringLiteral("1")} + db,
                                  m_dir.path());
    EXPECT_EQ(run.exitCode, 3) << run.out.toStdString() << run.err.toStdString();
    EXPECT_TRUE(run.out.contains(QLatin1String("10 inputs"))) << run.out.toStdString();
    EXPECT_TRUE(run.out.contains(QRegularExpression(QStringLiteral("not enqueued\\s+30")))) << run.out.toStdString();
    EXPECT_TRUE(run.out.contains(QLatin1String("accounts.csv:2: it has no ref"))) << run.out.toStdString();
    EXPECT_TRUE(run.err.contains(QLatin1String("not inputs of this bot"))) << run.err.toStdString();
    // Only the forms became items: four questions, none about the accounts or the bot file.
    const ClerkRun queue = runClerk(QStringList{QStringLiteral("queue"), QStringLiteral("list"), QStringLiteral("--json")} + db);
    EXPECT_EQ(QJsonDocument::fromJson(queue.out.toUtf8()).array().size(), 4) << queue.out.toStdString();

    // A record with a field the bot does not declare is refused too, naming the field only.
    writeFile(m_dir.filePath(QStringLiteral("odd.json")),
              R"({"ref": "F-201", "name": "Ann Lee", "old_postcode": "LS6 2QN", "new_postcode": "LS9 7AB",
                  "moved_on": "2026-12-01", "nino": "QQ123456C"})");
    const ClerkRun odd = runClerk(QStringList{QStringLiteral("run"), QStringLiteral("bot.yaml"), QStringLiteral("--input"),
                                              QStringLiteral("odd.json")} + db,
                                  m_dir.path());
    EXPECT_TRUE(odd.out.contains(QLatin1String("fields the bot does not know: nino"))) << odd.out.toStdString();
    EXPECT_FALSE(odd.out.contains(QLatin1String("QQ123456C"))) << odd.out.toStdString();
}

TEST_F(WorkedExampleTest, DryRunShowsTheMatchedAccountAndTheLineItWouldWrite)
{
    const ClerkRun run = runClerk({QStringLiteral("run"), QStringLiteral("bot.yaml"), QStringLiteral("--input"),
                                   QStringLiteral("forms.csv"), QStringLiteral("--dry-run"), QStringLiteral("--workers"),
                                   QStringLiteral("1")},
                                  m_dir.path());
    ASSERT_EQ(run.exitCode, 0) << run.err.toStdString();
    EXPECT_TRUE(run.out.contains(QRegularExpression(
        QStringLiteral("account: matched CT1001 \\(\\d+\\.\\d%\\); export: would append to \\S+address-changes.csv: "
                       "F-101,CT1001,LS9 7AB,2026-11-02"))))
        << run.out.toStdString();
    EXPECT_TRUE(run.out.contains(QStringLiteral("account: no match; export: skipped"))) << run.out.toStdString();
    EXPECT_FALSE(QFile::exists(m_dir.filePath(QStringLiteral("out/address-changes.csv"))));
}

TEST_F(WorkedExampleTest, ABadBlockingKeyIsReportedOnceAtItsStep)
{
    QString bot = QString::fromUtf8(readFile(m_dir.filePath(QStringLiteral("bot.yaml"))));
    bot.replace(QStringLiteral("\"initial(name)+district(postcode)\""), QStringLiteral("\"soundex(name)\""));
    writeFile(m_dir.filePath(QStringLiteral("bad.yaml")), bot.toUtf8());
    const ClerkRun run = runClerk({QStringLiteral("validate"), m_dir.filePath(QStringLiteral("bad.yaml"))});
    EXPECT_EQ(run.exitCode, 1);
    EXPECT_TRUE(run.out.contains(QStringLiteral("error: step 'account': blocking key \"soundex(name)\": unknown transform")))
        << run.out.toStdString();
    EXPECT_FALSE(run.out.contains(QStringLiteral("step account:"))) << run.out.toStdString();
}
