// The clerk command line, end to end: real processes on a real SQLite file.
#include "cli_support_test.h"

#include <QDir>
#include <QDirIterator>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QTemporaryDir>

using namespace clerk::testing;

namespace {

const QString kSource = QStringLiteral(CLERK_SOURCE_DIR);

QJsonObject jsonObject(const QString &text)
{
    return QJsonDocument::fromJson(text.toUtf8()).object();
}

QJsonArray jsonArray(const QString &text)
{
    return QJsonDocument::fromJson(text.toUtf8()).array();
}

QStringList shippedDefinitionFiles()
{
    QStringList files;
    for (const QString &folder : {QStringLiteral("bots"), QStringLiteral("examples")}) {
        QDirIterator it(kSource + QLatin1Char('/') + folder, {QStringLiteral("*.yaml"), QStringLiteral("*.yml")},
                        QDir::Files, QDirIterator::Subdirectories);
        while (it.hasNext())
            files.append(it.next());
    }
    files.sort();
    return files;
}

// A copy of the contact-form example in a temporary folder, run from there.
class ExampleTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        ASSERT_TRUE(m_dir.isValid());
        const QString example = kSource + QStringLiteral("/examples/contact-form-triage");
        QDir().mkpath(m_dir.filePath(QStringLiteral("forms")));
        ASSERT_TRUE(QFile::copy(example + QStringLiteral("/bot.yaml"), m_dir.filePath(QStringLiteral("bot.yaml"))));
        for (const QString &form : QDir(example + QStringLiteral("/forms")).entryList(QDir::Files))
            ASSERT_TRUE(QFile::copy(example + QStringLiteral("/forms/") + form, m_dir.filePath(QStringLiteral("forms/") + form)));
    }

    ClerkRun clerk(QStringList arguments)
    {
        arguments << QStringLiteral("--db") << db();
        return runClerk(arguments, m_dir.path());
    }
    ClerkRun runExample(const QStringList &extra = {})
    {
        return clerk(QStringList{QStringLiteral("run"), QStringLiteral("bot.yaml"), QStringLiteral("--input"),
                                 QStringLiteral("forms"), QStringLiteral("--json")} + extra);
    }
    QString db() const { return m_dir.filePath(QStringLiteral("work.db")); }
    QStringList exportLines() const
    {
        return QString::fromUtf8(readFile(m_dir.filePath(QStringLiteral("clerk-out/contact-forms.csv"))))
            .split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    }
    QJsonArray openExceptions()
    {
        const ClerkRun list = clerk({QStringLiteral("queue"), QStringLiteral("list"), QStringLiteral("--json")});
        EXPECT_EQ(list.exitCode, 0) << list.err.toStdString();
        return jsonArray(list.out);
    }
    QJsonObject exceptionFor(const QString &step)
    {
        for (const QJsonValue &value : openExceptions()) {
            if (value.toObject().value(QStringLiteral("step")).toString() == step)
                return value.toObject();
        }
        ADD_FAILURE() << "no open exception for step " << step.toStdString();
        return {};
    }

    QTemporaryDir m_dir;
};

} // namespace

TEST(CliTest, HelpListsEveryCommandAndEachCommandHasHelp)
{
    const ClerkRun help = runClerk({QStringLiteral("--help")});
    EXPECT_EQ(help.exitCode, 0);
    for (const char *command : {"validate", "run", "queue", "item", "status", "schema", "steps"}) {
        EXPECT_TRUE(help.out.contains(QString::fromLatin1(command))) << command;
        const ClerkRun sub = runClerk({QString::fromLatin1(command), QStringLiteral("--help")});
        EXPECT_EQ(sub.exitCode, 0) << command;
        EXPECT_TRUE(sub.out.startsWith(QStringLiteral("Usage: "))) << command;
        const bool usesDatabase = std::string_view(command) != "schema" && std::string_view(command) != "steps";
        EXPECT_EQ(sub.out.contains(QStringLiteral("--db")), usesDatabase) << command;
    }
    const ClerkRun unknown = runClerk({QStringLiteral("frobnicate")});
    EXPECT_EQ(unknown.exitCode, 1);
    EXPECT_TRUE(unknown.err.contains(QStringLiteral("unknown command 'frobnicate'")));
}

TEST(CliTest, ShippedBotsAndExamplesValidate)
{
    const QStringList files = shippedDefinitionFiles();
    ASSERT_FALSE(files.isEmpty());
    const ClerkRun run = runClerk(QStringList{QStringLiteral("validate")} + files);
    EXPECT_EQ(run.exitCode, 0) << run.out.toStdString() << run.err.toStdString();
    EXPECT_TRUE(run.out.startsWith(QStringLiteral("ok: "))) << run.out.toStdString();
}

TEST(CliTest, ValidateReportsEveryProblemWithFileLineAndColumn)
{
    QTemporaryDir dir;
    const QString bad = dir.filePath(QStringLiteral("bad.yaml"));
    writeFile(bad,
              "name: bad-bot\n"
              "version: 1\n"
              "owner_teem: post-room\n"
              "steps:\n"
              "  - type: routee\n");
    const ClerkRun run = runClerk({QStringLiteral("validate"), bad});
    EXPECT_EQ(run.exitCode, 1);
    const QStringList lines = run.out.split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    const QRegularExpression shape(QStringLiteral("^.*bad\\.yaml:\\d+:\\d+: error: .+$"));
    ASSERT_GE(lines.size(), 3) << run.out.toStdString();
    for (const QString &line : lines)
        EXPECT_TRUE(shape.match(line).hasMatch()) << line.toStdString();
    EXPECT_TRUE(run.out.contains(QStringLiteral("bad.yaml:3:1: error: unknown key 'owner_teem'; did you mean 'owner_team'?")))
        << run.out.toStdString();
    EXPECT_TRUE(run.out.contains(QStringLiteral("unknown step type 'routee'"))) << run.out.toStdString();
    EXPECT_TRUE(run.out.contains(QStringLiteral("missing required key 'owner_team'"))) << run.out.toStdString();
}

TEST(CliTest, ValidateReportsProblemsOnlyTheStepCanSee)
{
    QTemporaryDir dir;
    const QString bot = dir.filePath(QStringLiteral("bot.yaml"));
    writeFile(bot,
              "name: post\n"
              "version: 1\n"
              "owner_team: post-room\n"
              "steps:\n"
              "  - type: ocr\n"
              "  - type: classify\n"
              "    params:\n"
              "      model: missing.model\n"
              "      categories:\n"
              "        complaint: {label: Complaint}\n");
    const ClerkRun run = runClerk({QStringLiteral("validate"), bot});
    EXPECT_EQ(run.exitCode, 1);
    EXPECT_TRUE(run.out.contains(QStringLiteral("bot.yaml:6:5: error: step 'classify': "))) << run.out.toStdString();
    EXPECT_TRUE(run.out.contains(QStringLiteral("missing.model"))) << run.out.toStdString();
}

TEST(CliTest, ValidateRefusesAConditionWithALoneEqualsSign)
{
    QTemporaryDir dir;
    const QString bot = dir.filePath(QStringLiteral("bot.yaml"));
    writeFile(bot,
              "name: post\n"
              "version: 1\n"
              "owner_team: post-room\n"
              "steps:\n"
              "  - id: account\n"
              "    type: set\n"
              "    params: {values: {decision: no_match}}\n"
              "  - id: new_account\n"
              "    type: set\n"
              "    when: \"{{ account.decision }} = no_match\"\n"
              "    params: {values: {x: y}}\n");
    const ClerkRun run = runClerk({QStringLiteral("validate"), bot});
    EXPECT_EQ(run.exitCode, 1);
    EXPECT_TRUE(run.out.contains(QStringLiteral("bot.yaml:10:11: error: when: a lone '=' is not a comparison")))
        << run.out.toStdString();
}

TEST(CliTest, ValidateRefusesDirectoriesAndMissingFilesClearly)
{
    QTemporaryDir dir;
    ClerkRun run = runClerk({QStringLiteral("validate"), dir.filePath(QStringLiteral("missing.yaml"))});
    EXPECT_EQ(run.exitCode, 1);
    EXPECT_TRUE(run.out.contains(QStringLiteral("missing.yaml"))) << run.out.toStdString();
    run = runClerk({QStringLiteral("validate"), dir.path()});
    EXPECT_EQ(run.exitCode, 1);
    EXPECT_FALSE(run.out.isEmpty());
}

TEST(CliTest, RunTakesRecordFilesAndKnowsARecordByItsId)
{
    QTemporaryDir dir;
    writeFile(dir.filePath(QStringLiteral("bot.yaml")),
              "name: intake\nversion: 1\nowner_team: t\ninput:\n  id: form_id\n"
              "steps:\n  - id: s\n    type: set\n    params:\n      values:\n        who: \"{{ input.name }}\"\n");
    writeFile(dir.filePath(QStringLiteral("monday.csv")), "form_id,name\nF1,\"Okafor, Ada\"\nF2,Bo\n");
    writeFile(dir.filePath(QStringLiteral("tuesday.jsonl")),
              "{\"form_id\": \"F2\", \"name\": \"Bo\"}\n{\"form_id\": \"F3\", \"name\": \"Cy\"}\nnot json\n");
    const QString db = dir.filePath(QStringLiteral("work.db"));
    const ClerkRun run = runClerk({QStringLiteral("run"), QStringLiteral("bot.yaml"), QStringLiteral("--input"),
                                   QStringLiteral("monday.csv"), QStringLiteral("--input"), QStringLiteral("tuesday.jsonl"),
                                   QStringLiteral("--db"), db, QStringLiteral("--json")},
                                  dir.path());
    const QJsonObject summary = jsonObject(run.out);
    EXPECT_EQ(summary.value(QStringLiteral("items")).toArray().size(), 3) << run.out.toStdString();  // F2 once
    const QJsonArray rejected = summary.value(QStringLiteral("not_enqueued")).toArray();
    ASSERT_EQ(rejected.size(), 1) << run.out.toStdString();
    EXPECT_TRUE(rejected.first().toObject().value(QStringLiteral("input")).toString().endsWith(QStringLiteral("tuesday.jsonl:3")));

    // The same forms offered again next day are not processed twice.
    const ClerkRun again = runClerk({QStringLiteral("run"), QStringLiteral("bot.yaml"), QStringLiteral("--input"),
                                     QStringLiteral("monday.csv"), QStringLiteral("--db"), db, QStringLiteral("--json")},
                                    dir.path());
    for (const QJsonValue &item : jsonObject(again.out).value(QStringLiteral("items")).toArray())
        EXPECT_FALSE(item.toObject().value(QStringLiteral("new")).toBool(true)) << again.out.toStdString();
}

TEST(CliTest, APausedBotTakesNoNewWorkUntilResumed)
{
    QTemporaryDir dir;
    writeFile(dir.filePath(QStringLiteral("bot.yaml")),
              "name: intake\nversion: 1\nowner_team: t\n"
              "steps:\n  - id: s\n    type: set\n    params:\n      values: {x: \"{{ input.n }}\"}\n");
    writeFile(dir.filePath(QStringLiteral("forms.jsonl")), "{\"n\": 1}\n{\"n\": 2}\n");
    const QString db = dir.filePath(QStringLiteral("work.db"));
    const auto clerk = [&](QStringList arguments) {
        arguments << QStringLiteral("--db") << db;
        return runClerk(arguments, dir.path());
    };
    EXPECT_EQ(clerk({QStringLiteral("bot"), QStringLiteral("pause"), QStringLiteral("intake"), QStringLiteral("--as"),
                     QStringLiteral("ops-lead")})
                  .exitCode,
              0);
    EXPECT_TRUE(clerk({QStringLiteral("bot"), QStringLiteral("paused")}).out.contains(QStringLiteral("intake")));
    const QJsonObject held = jsonObject(clerk({QStringLiteral("run"), QStringLiteral("bot.yaml"), QStringLiteral("-i"),
                                               QStringLiteral("forms.jsonl"), QStringLiteral("--wait"), QStringLiteral("0s"),
                                               QStringLiteral("--json")})
                                            .out);
    EXPECT_EQ(held.value(QStringLiteral("done")).toInt(), 0);
    EXPECT_EQ(held.value(QStringLiteral("pending")).toInt(), 2);

    EXPECT_EQ(clerk({QStringLiteral("bot"), QStringLiteral("resume"), QStringLiteral("intake")}).exitCode, 0);
    const QJsonObject resumed = jsonObject(clerk({QStringLiteral("run"), QStringLiteral("bot.yaml"), QStringLiteral("-i"),
                                                  QStringLiteral("forms.jsonl"), QStringLiteral("--json")})
                                               .out);
    EXPECT_EQ(resumed.value(QStringLiteral("done")).toInt(), 2);
    EXPECT_EQ(clerk({QStringLiteral("bot"), QStringLiteral("pause")}).exitCode, 1);  // no name
}

TEST(CliTest, PeoplesAnswersToMatchQuestionsTeachTheWeights)
{
    QTemporaryDir dir;
    // Twins: the same family name, birth date and postcode, and different forenames.
    constexpr int kFamilies = 22;  // learning waits for 20 matching and 20 other pairs
    QByteArray people = "id,forename,surname,dob,postcode\n";
    QByteArray forms;
    for (int f = 0; f < kFamilies; ++f) {
        const QByteArray surname = "Family" + QByteArray(1, char('a' + f % 26)) + QByteArray::number(f);
        const QByteArray dob = QByteArray("19") + QByteArray::number(60 + f) + "-03-07";
        const QByteArray postcode = "LS" + QByteArray::number(1 + f) + " 2AB";
        people += QByteArray::number(2 * f + 1) + ",Ada," + surname + "," + dob + "," + postcode + "\n";
        people += QByteArray::number(2 * f + 2) + ",Adam," + surname + "," + dob + "," + postcode + "\n";
        // Forms naming only the family: the twins cannot be told apart, so people choose.
        forms += "{\"form\": \"F" + QByteArray::number(f) + "\", \"surname\": \"" + surname + "\", \"dob\": \"" + dob
                 + "\", \"postcode\": \"" + postcode + "\"}\n";
    }
    writeFile(dir.filePath(QStringLiteral("people.csv")), people);
    writeFile(dir.filePath(QStringLiteral("bot.yaml")),
              "name: matcher\nversion: 1\nowner_team: t\ninput:\n  id: form\n"
              "steps:\n  - id: person\n    type: match\n    params:\n      index: {path: people.csv}\n"
              "      fields:\n        forename: {value: \"{{ input.forename }}\", comparator: name}\n"
              "        surname: {value: \"{{ input.surname }}\", comparator: name}\n"
              "        dob: {value: \"{{ input.dob }}\", comparator: date}\n"
              "        postcode: {value: \"{{ input.postcode }}\", comparator: postcode}\n");
    writeFile(dir.filePath(QStringLiteral("forms.jsonl")), forms);
    const QString db = dir.filePath(QStringLiteral("work.db"));
    runClerk({QStringLiteral("run"), QStringLiteral("bot.yaml"), QStringLiteral("-i"), QStringLiteral("forms.jsonl"),
              QStringLiteral("--db"), db},
             dir.path());
    const QJsonArray open = jsonArray(runClerk({QStringLiteral("queue"), QStringLiteral("list"), QStringLiteral("--json"),
                                                QStringLiteral("--limit"), QStringLiteral("100"), QStringLiteral("--db"), db})
                                          .out);
    ASSERT_EQ(open.size(), kFamilies);
    for (const QJsonValue &question : open) {
        const QString id = QString::number(question.toObject().value(QStringLiteral("id")).toInt());
        const ClerkRun answer = runClerk({QStringLiteral("queue"), QStringLiteral("resolve"), id, QStringLiteral("--choice"),
                                          QStringLiteral("1"), QStringLiteral("--db"), db},
                                         dir.path());
        EXPECT_EQ(answer.exitCode, 0) << answer.err.toStdString();
    }
    const ClerkRun learnt = runClerk({QStringLiteral("eval"), QStringLiteral("bot.yaml"), QStringLiteral("--answers"),
                                      QStringLiteral("--db"), db},
                                     dir.path());
    EXPECT_EQ(learnt.exitCode, 0) << learnt.err.toStdString();
    EXPECT_TRUE(learnt.out.contains(QStringLiteral("22 answered questions of step person: 22 matching pairs, 22 others")))
        << learnt.out.toStdString();
    EXPECT_TRUE(learnt.out.contains(QStringLiteral("prior:"))) << learnt.out.toStdString();
    // What it prints pastes into the step as it is: each field keeps its value template.
    EXPECT_TRUE(learnt.out.contains(QStringLiteral("value: \"{{ input.surname }}\""))) << learnt.out.toStdString();
}

TEST_F(ExampleTest, RunsStraightThroughWhereItCanAndWaitsForPeopleWhereItCannot)
{
    const ClerkRun run = runExample();
    ASSERT_EQ(run.exitCode, 0) << run.err.toStdString() << run.out.toStdString();
    const QJsonObject summary = jsonObject(run.out);
    EXPECT_EQ(summary.value(QStringLiteral("done")).toInt(), 3);
    EXPECT_EQ(summary.value(QStringLiteral("waiting_for_human")).toInt(), 2);
    EXPECT_EQ(summary.value(QStringLiteral("failed")).toInt(), 0);
    EXPECT_EQ(exportLines().size(), 3);

    const QJsonObject postcode = exceptionFor(QStringLiteral("postcode"));
    EXPECT_EQ(postcode.value(QStringLiteral("reason")).toString(), QStringLiteral("The form has no valid UK postcode"));
    EXPECT_EQ(postcode.value(QStringLiteral("team")).toString(), QStringLiteral("customer-services"));
    const QJsonObject route = exceptionFor(QStringLiteral("route"));
    EXPECT_EQ(route.value(QStringLiteral("choices")).toArray().size(), 4);
}

TEST_F(ExampleTest, PeoplesAnswersResumeTheItemsAndAreRecorded)
{
    ASSERT_EQ(runExample().exitCode, 0);
    const QJsonObject postcode = exceptionFor(QStringLiteral("postcode"));
    const QJsonObject route = exceptionFor(QStringLiteral("route"));
    const QString postcodeId = QString::number(postcode.value(QStringLiteral("id")).toInteger());
    const QString routeId = QString::number(route.value(QStringLiteral("id")).toInteger());

    ClerkRun answer = clerk({QStringLiteral("queue"), QStringLiteral("resolve"), postcodeId, QStringLiteral("--field"),
                        QStringLiteral("postcode=LS2 8BH"), QStringLiteral("--as"), QStringLiteral("alice")});
    ASSERT_EQ(answer.exitCode, 0) << answer.err.toStdString();
    EXPECT_TRUE(answer.out.contains(QStringLiteral("is now done"))) << answer.out.toStdString();
    answer = clerk({QStringLiteral("queue"), QStringLiteral("resolve"), routeId, QStringLiteral("--choice"),
                    QStringLiteral("waste"), QStringLiteral("--as"), QStringLiteral("bob")});
    ASSERT_EQ(answer.exitCode, 0) << answer.err.toStdString();

    const QStringList lines = exportLines();
    ASSERT_EQ(lines.size(), 5) << lines.join(QLatin1Char('|')).toStdString();
    const QString postcodeItem = QString::number(postcode.value(QStringLiteral("item_id")).toInteger());
    const QString routeItem = QString::number(route.value(QStringLiteral("item_id")).toInteger());
    EXPECT_TRUE(lines.contains(postcodeItem + QStringLiteral(",revenues,LS2 8BH"))) << lines.join(QLatin1Char('|')).toStdString();
    EXPECT_TRUE(lines.contains(routeItem + QStringLiteral(",waste,LS7 3JB"))) << lines.join(QLatin1Char('|')).toStdString();
    EXPECT_TRUE(openExceptions().isEmpty());

    const ClerkRun item = clerk({QStringLiteral("item"), QStringLiteral("show"), postcodeItem, QStringLiteral("--json")});
    ASSERT_EQ(item.exitCode, 0);
    bool resolvedByAlice = false;
    for (const QJsonValue &event : jsonObject(item.out).value(QStringLiteral("events")).toArray()) {
        if (event.toObject().value(QStringLiteral("kind")).toString() == QLatin1String("resolved"))
            resolvedByAlice = event.toObject().value(QStringLiteral("actor")).toString() == QLatin1String("alice");
    }
    EXPECT_TRUE(resolvedByAlice) << item.out.toStdString();

    const ClerkRun status = clerk({QStringLiteral("status"), QStringLiteral("--json")});
    const QJsonObject counts = jsonObject(status.out).value(QStringLiteral("bots")).toArray().first().toObject();
    EXPECT_EQ(counts.value(QStringLiteral("done")).toInt(), 5);
    EXPECT_EQ(counts.value(QStringLiteral("waiting_for_human")).toInt(), 0);
}

TEST_F(ExampleTest, AClaimedItemCannotBeAnsweredBySomeoneElse)
{
    ASSERT_EQ(runExample().exitCode, 0);
    const QString id = QString::number(exceptionFor(QStringLiteral("postcode")).value(QStringLiteral("id")).toInteger());
    ClerkRun run = clerk({QStringLiteral("queue"), QStringLiteral("claim"), id, QStringLiteral("--as"), QStringLiteral("alice")});
    ASSERT_EQ(run.exitCode, 0) << run.err.toStdString();
    run = clerk({QStringLiteral("queue"), QStringLiteral("resolve"), id, QStringLiteral("--field"),
                 QStringLiteral("postcode=LS2 8BH"), QStringLiteral("--as"), QStringLiteral("bob")});
    EXPECT_EQ(run.exitCode, 1);
    EXPECT_TRUE(run.err.contains(QStringLiteral("alice"))) << run.err.toStdString();
    EXPECT_EQ(exportLines().size(), 3);
}

TEST_F(ExampleTest, ARejectedItemIsCancelledWithItsReason)
{
    ASSERT_EQ(runExample().exitCode, 0);
    const QJsonObject route = exceptionFor(QStringLiteral("route"));
    const QString id = QString::number(route.value(QStringLiteral("id")).toInteger());
    ClerkRun run = clerk({QStringLiteral("queue"), QStringLiteral("reject"), id});
    EXPECT_EQ(run.exitCode, 1) << "a rejection needs a reason";
    run = clerk({QStringLiteral("queue"), QStringLiteral("reject"), id, QStringLiteral("--reason"),
                 QStringLiteral("duplicate of an earlier form"), QStringLiteral("--as"), QStringLiteral("carol")});
    ASSERT_EQ(run.exitCode, 0) << run.err.toStdString();
    const ClerkRun item = clerk({QStringLiteral("item"), QStringLiteral("show"),
                            QString::number(route.value(QStringLiteral("item_id")).toInteger()), QStringLiteral("--json")});
    const QJsonObject object = jsonObject(item.out);
    EXPECT_EQ(object.value(QStringLiteral("state")).toString(), QStringLiteral("cancelled"));
    EXPECT_TRUE(object.value(QStringLiteral("last_error")).toString().contains(QStringLiteral("duplicate of an earlier form")));
}

TEST_F(ExampleTest, ARejectedItemIsReportedAsCancelledNotFailedWhenItsInputComesAgain)
{
    ASSERT_EQ(runExample().exitCode, 0);
    const QJsonObject route = exceptionFor(QStringLiteral("route"));
    ASSERT_EQ(clerk({QStringLiteral("queue"), QStringLiteral("reject"), QString::number(route.value(QStringLiteral("id")).toInteger()),
                     QStringLiteral("--reason"), QStringLiteral("not ours"), QStringLiteral("--as"), QStringLiteral("dave")})
                  .exitCode,
              0);
    const ClerkRun again = runExample();
    EXPECT_EQ(again.exitCode, 0) << again.out.toStdString();
    const QJsonObject summary = jsonObject(again.out);
    EXPECT_EQ(summary.value(QStringLiteral("failed")).toInt(), 0);
    EXPECT_EQ(summary.value(QStringLiteral("cancelled")).toInt(), 1);

    const ClerkRun text = clerk({QStringLiteral("run"), QStringLiteral("bot.yaml"), QStringLiteral("--input"), QStringLiteral("forms")});
    EXPECT_EQ(text.exitCode, 0) << text.out.toStdString();
    EXPECT_TRUE(text.out.contains(QRegularExpression(QStringLiteral("cancelled +1")))) << text.out.toStdString();
    EXPECT_TRUE(text.out.contains(QRegularExpression(QStringLiteral("failed +0")))) << text.out.toStdString();
    EXPECT_TRUE(text.out.contains(QStringLiteral("rejected by dave: not ours"))) << text.out.toStdString();
}

TEST_F(ExampleTest, RejectAllClearsEveryUndecidedItemOfABot)
{
    ASSERT_EQ(runExample().exitCode, 0);
    ASSERT_EQ(openExceptions().size(), 2);
    ClerkRun run = clerk({QStringLiteral("queue"), QStringLiteral("reject"), QStringLiteral("--all"), QStringLiteral("--reason"),
                          QStringLiteral("junk")});
    EXPECT_EQ(run.exitCode, 1) << "--all needs --bot";
    run = clerk({QStringLiteral("queue"), QStringLiteral("reject"), QStringLiteral("--all"), QStringLiteral("--bot"),
                 QStringLiteral("contact-form-triage")});
    EXPECT_EQ(run.exitCode, 1) << "a rejection needs a reason";
    EXPECT_EQ(openExceptions().size(), 2);

    // An item someone else holds is left to them.
    const QString held = QString::number(exceptionFor(QStringLiteral("route")).value(QStringLiteral("id")).toInteger());
    ASSERT_EQ(clerk({QStringLiteral("queue"), QStringLiteral("claim"), held, QStringLiteral("--as"), QStringLiteral("alice")}).exitCode, 0);
    run = clerk({QStringLiteral("queue"), QStringLiteral("reject"), QStringLiteral("--all"), QStringLiteral("--bot"),
                 QStringLiteral("contact-form-triage"), QStringLiteral("--reason"), QStringLiteral("test forms"),
                 QStringLiteral("--as"), QStringLiteral("carol")});
    EXPECT_EQ(run.exitCode, 1);
    EXPECT_TRUE(run.out.contains(QStringLiteral("rejected 1 exception item of bot contact-form-triage"))) << run.out.toStdString();
    EXPECT_TRUE(run.err.contains(QStringLiteral("exception %1 left").arg(held))) << run.err.toStdString();
    ASSERT_EQ(openExceptions().size(), 1);

    ASSERT_EQ(clerk({QStringLiteral("queue"), QStringLiteral("release"), held, QStringLiteral("--as"), QStringLiteral("alice")}).exitCode, 0);
    run = clerk({QStringLiteral("queue"), QStringLiteral("reject"), QStringLiteral("--all"), QStringLiteral("--bot"),
                 QStringLiteral("contact-form-triage"), QStringLiteral("--reason"), QStringLiteral("test forms"),
                 QStringLiteral("--json")});
    EXPECT_EQ(run.exitCode, 0) << run.err.toStdString();
    EXPECT_EQ(jsonObject(run.out).value(QStringLiteral("rejected")).toArray().size(), 1) << run.out.toStdString();
    EXPECT_TRUE(openExceptions().isEmpty());
    const QJsonObject counts = jsonObject(clerk({QStringLiteral("status"), QStringLiteral("--json")}).out)
                                   .value(QStringLiteral("bots")).toArray().first().toObject();
    EXPECT_EQ(counts.value(QStringLiteral("cancelled")).toInt(), 2);
}

TEST_F(ExampleTest, DryRunSaysSkippedForAStepWhoseConditionDoesNotHold)
{
    QString bot = QString::fromUtf8(readFile(m_dir.filePath(QStringLiteral("bot.yaml"))));
    bot.replace(QStringLiteral("  - id: export\n    type: append_line\n"),
                QStringLiteral("  - id: export\n    type: append_line\n    when: \"{{ route.team }} == nobody\"\n"));
    writeFile(m_dir.filePath(QStringLiteral("bot.yaml")), bot.toUtf8());
    const ClerkRun run = clerk({QStringLiteral("run"), QStringLiteral("bot.yaml"), QStringLiteral("--input"),
                                QStringLiteral("forms"), QStringLiteral("--dry-run")});
    ASSERT_EQ(run.exitCode, 0) << run.err.toStdString() << run.out.toStdString();
    EXPECT_TRUE(run.out.contains(QStringLiteral("export: skipped"))) << run.out.toStdString();
    EXPECT_FALSE(run.out.contains(QStringLiteral("export: continue"))) << run.out.toStdString();
}

TEST_F(ExampleTest, ATypedAnswerPassesTheStepsOwnFiltersAndChecks)
{
    ASSERT_EQ(runExample().exitCode, 0);
    const QJsonObject postcode = exceptionFor(QStringLiteral("postcode"));
    const QString postcodeId = QString::number(postcode.value(QStringLiteral("id")).toInteger());
    const QString postcodeItem = QString::number(postcode.value(QStringLiteral("item_id")).toInteger());

    // Not a full postcode: the require step's `matches` refuses it, as it refused the form's.
    ClerkRun answer = clerk({QStringLiteral("queue"), QStringLiteral("resolve"), postcodeId, QStringLiteral("--field"),
                             QStringLiteral("postcode=LS10")});
    EXPECT_EQ(answer.exitCode, 1);
    EXPECT_TRUE(answer.err.contains(QStringLiteral("answer refused: the postcode given is not in the expected form")))
        << answer.err.toStdString();
    EXPECT_EQ(exceptionFor(QStringLiteral("postcode")).value(QStringLiteral("id")).toInteger(), postcodeId.toLongLong());

    // The value template's `| upper | trim` applies to the person's value too.
    answer = clerk({QStringLiteral("queue"), QStringLiteral("resolve"), postcodeId, QStringLiteral("--field"),
                    QStringLiteral("postcode= ls14 6hg ")});
    ASSERT_EQ(answer.exitCode, 0) << answer.err.toStdString();
    EXPECT_TRUE(exportLines().contains(postcodeItem + QStringLiteral(",revenues,LS14 6HG")))
        << exportLines().join(QLatin1Char('|')).toStdString();

    // A team the route step does not know is refused; a known one is written as the routes write it.
    const QJsonObject route = exceptionFor(QStringLiteral("route"));
    const QString routeId = QString::number(route.value(QStringLiteral("id")).toInteger());
    answer = clerk({QStringLiteral("queue"), QStringLiteral("resolve"), routeId, QStringLiteral("--field"),
                    QStringLiteral("team=../../etc")});
    EXPECT_EQ(answer.exitCode, 1);
    EXPECT_TRUE(answer.err.contains(QStringLiteral("is not a team this step routes to"))) << answer.err.toStdString();
    answer = clerk({QStringLiteral("queue"), QStringLiteral("resolve"), routeId, QStringLiteral("--field"),
                    QStringLiteral("team=Waste")});
    ASSERT_EQ(answer.exitCode, 0) << answer.err.toStdString();
    EXPECT_TRUE(exportLines().contains(QString::number(route.value(QStringLiteral("item_id")).toInteger()) +
                                       QStringLiteral(",waste,LS7 3JB")))
        << exportLines().join(QLatin1Char('|')).toStdString();
}

TEST(CliTest, AMatchAnswerIsOneThingHoweverItIsGiven)
{
    QTemporaryDir dir;
    writeFile(dir.filePath(QStringLiteral("people.csv")),
              "id,forename,surname,dob,postcode\n"
              "CT1001,Ada,Okafor,1984-03-07,LS6 2AB\nCT1002,Adam,Okafor,1984-03-07,LS6 2AB\n"
              "CT1003,Ben,Ng,1990-11-30,LS1 4DY\nCT1004,Bea,Ng,1990-11-30,LS1 4DY\n");
    writeFile(dir.filePath(QStringLiteral("bot.yaml")),
              "name: change-of-address\nversion: 1\nowner_team: revenues\ninput:\n  id: form\n"
              "steps:\n  - id: account\n    type: match\n    params:\n      index: {path: people.csv}\n"
              "      on_no_match: needs_human\n"
              "      fields:\n        forename: {value: \"{{ input.forename }}\", comparator: name}\n"
              "        surname: {value: \"{{ input.surname }}\", comparator: name}\n"
              "        dob: {value: \"{{ input.dob }}\", comparator: date}\n"
              "        postcode: {value: \"{{ input.postcode }}\", comparator: postcode}\n"
              "  - id: existing\n    type: append_line\n    when: \"{{ account.decision }} == matched\"\n"
              "    params: {file: matched.csv, line: \"{{ input.form }} {{ account.record_id }}\"}\n"
              "  - id: new\n    type: append_line\n    when: \"{{ account.decision }} == no_match\"\n"
              "    params: {file: new.csv, line: \"{{ input.form }} [{{ account.record_id }}]\"}\n");
    // F1 and F2 name only the family (people pick among twins); nobody has F3's details.
    writeFile(dir.filePath(QStringLiteral("forms.jsonl")),
              "{\"form\": \"F1\", \"surname\": \"Okafor\", \"dob\": \"07/03/1984\", \"postcode\": \"LS6 2AB\"}\n"
              "{\"form\": \"F2\", \"surname\": \"Ng\", \"dob\": \"30/11/1990\", \"postcode\": \"LS1 4DY\"}\n"
              "{\"form\": \"F3\", \"forename\": \"Zed\", \"surname\": \"Quux\", \"dob\": \"01/01/2001\", "
              "\"postcode\": \"YO1 7HH\"}\n");
    const QString db = dir.filePath(QStringLiteral("work.db"));
    const auto clerk = [&](QStringList arguments) {
        arguments << QStringLiteral("--db") << db;
        return runClerk(arguments, dir.path());
    };
    const ClerkRun run = clerk({QStringLiteral("run"), QStringLiteral("bot.yaml"), QStringLiteral("-i"), QStringLiteral("forms.jsonl")});
    ASSERT_EQ(run.exitCode, 0) << run.out.toStdString() << run.err.toStdString();
    QHash<qint64, QString> questionOf;  // item id -> exception id
    for (const QJsonValue &question : jsonArray(clerk({QStringLiteral("queue"), QStringLiteral("list"), QStringLiteral("--json")}).out))
        questionOf.insert(question.toObject().value(QStringLiteral("item_id")).toInteger(),
                          QString::number(question.toObject().value(QStringLiteral("id")).toInteger()));
    ASSERT_EQ(questionOf.size(), 3) << run.out.toStdString();
    const auto outputs = [&](qint64 item) {
        return jsonObject(clerk({QStringLiteral("item"), QStringLiteral("show"), QString::number(item), QStringLiteral("--json")}).out)
            .value(QStringLiteral("step_outputs")).toObject().value(QStringLiteral("account")).toObject();
    };
    const auto lines = [&](const char *file) {
        return QString::fromUtf8(readFile(dir.filePath(QString::fromUtf8(file)))).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    };

    // The hint shows a choice and a record id as two ways to answer, not one command.
    const ClerkRun shown = clerk({QStringLiteral("queue"), QStringLiteral("show"), questionOf.value(1)});
    EXPECT_TRUE(shown.out.contains(QStringLiteral("Answer with: clerk queue resolve %1 --choice N\n").arg(questionOf.value(1))))
        << shown.out.toStdString();
    EXPECT_TRUE(shown.out.contains(QStringLiteral("or: clerk queue resolve %1 --field record_id=...\n").arg(questionOf.value(1))))
        << shown.out.toStdString();

    // A record id in no index is refused; one a candidate has is the same as picking it.
    ClerkRun answer = clerk({QStringLiteral("queue"), QStringLiteral("resolve"), questionOf.value(1), QStringLiteral("--field"),
                             QStringLiteral("record_id=CT9999")});
    EXPECT_EQ(answer.exitCode, 1);
    EXPECT_TRUE(answer.err.contains(QStringLiteral("there is no record \"CT9999\" in people.csv"))) << answer.err.toStdString();
    answer = clerk({QStringLiteral("queue"), QStringLiteral("resolve"), questionOf.value(1), QStringLiteral("--field"),
                    QStringLiteral("record_id=CT1002")});
    ASSERT_EQ(answer.exitCode, 0) << answer.err.toStdString();
    EXPECT_EQ(outputs(1).value(QStringLiteral("decision")).toString(), QStringLiteral("matched"));
    EXPECT_EQ(outputs(1).value(QStringLiteral("record_id")).toString(), QStringLiteral("CT1002"));
    EXPECT_EQ(outputs(1).value(QStringLiteral("choice")).toString(), QStringLiteral("CT1002"));
    EXPECT_EQ(lines("matched.csv"), QStringList{QStringLiteral("F1 CT1002")});

    // Two answers that contradict each other are refused; a record no candidate has but
    // the index holds is a match too.
    answer = clerk({QStringLiteral("queue"), QStringLiteral("resolve"), questionOf.value(2), QStringLiteral("--choice"),
                    QStringLiteral("CT1003"), QStringLiteral("--field"), QStringLiteral("record_id=CT1004")});
    EXPECT_EQ(answer.exitCode, 1);
    EXPECT_TRUE(answer.err.contains(QStringLiteral("say different things"))) << answer.err.toStdString();
    answer = clerk({QStringLiteral("queue"), QStringLiteral("resolve"), questionOf.value(2), QStringLiteral("--field"),
                    QStringLiteral("record_id=CT1001")});
    ASSERT_EQ(answer.exitCode, 0) << answer.err.toStdString();
    EXPECT_EQ(outputs(2).value(QStringLiteral("decision")).toString(), QStringLiteral("matched"));
    EXPECT_EQ(outputs(2).value(QStringLiteral("record_id")).toString(), QStringLiteral("CT1001"));
    EXPECT_EQ(lines("matched.csv"), (QStringList{QStringLiteral("F1 CT1002"), QStringLiteral("F2 CT1001")}));

    // "No existing record: treat as new" leaves record_id empty, as documented.
    answer = clerk({QStringLiteral("queue"), QStringLiteral("resolve"), questionOf.value(3), QStringLiteral("--choice"),
                    QStringLiteral("1")});
    ASSERT_EQ(answer.exitCode, 0) << answer.err.toStdString();
    EXPECT_EQ(outputs(3).value(QStringLiteral("decision")).toString(), QStringLiteral("no_match"));
    EXPECT_EQ(outputs(3).value(QStringLiteral("record_id")).toString(), QString());
    EXPECT_EQ(lines("new.csv"), QStringList{QStringLiteral("F3 []")});
}

TEST_F(ExampleTest, ARetriedItemRunsAgainFromTheStepWhereItStopped)
{
    ASSERT_EQ(runExample().exitCode, 0);
    const QJsonObject route = exceptionFor(QStringLiteral("route"));
    const QString itemId = QString::number(route.value(QStringLiteral("item_id")).toInteger());
    ASSERT_EQ(clerk({QStringLiteral("queue"), QStringLiteral("reject"), QString::number(route.value(QStringLiteral("id")).toInteger()),
                     QStringLiteral("--reason"), QStringLiteral("wrong form")})
                  .exitCode,
              0);
    const ClerkRun retry = clerk({QStringLiteral("item"), QStringLiteral("retry"), itemId, QStringLiteral("--json")});
    ASSERT_EQ(retry.exitCode, 0) << retry.err.toStdString();
    // The route step runs again and, with still no team for the topic, asks a person again.
    EXPECT_EQ(jsonObject(retry.out.mid(retry.out.indexOf(QLatin1Char('{')))).value(QStringLiteral("state")).toString(),
              QStringLiteral("waiting_for_human"))
        << retry.out.toStdString();
    EXPECT_EQ(exceptionFor(QStringLiteral("route")).value(QStringLiteral("item_id")).toInteger(), itemId.toLongLong());
    EXPECT_EQ(exportLines().size(), 3);
}

TEST_F(ExampleTest, OfferingTheSameInputsAgainDoesNothingTwice)
{
    ASSERT_EQ(runExample().exitCode, 0);
    const ClerkRun again = runExample();
    ASSERT_EQ(again.exitCode, 0);
    const QJsonArray items = jsonObject(again.out).value(QStringLiteral("items")).toArray();
    ASSERT_EQ(items.size(), 5);
    for (const QJsonValue &item : items)
        EXPECT_FALSE(item.toObject().value(QStringLiteral("new")).toBool());
    EXPECT_EQ(exportLines().size(), 3);
    EXPECT_EQ(openExceptions().size(), 2);
}

TEST_F(ExampleTest, DryRunShowsActionsAndTouchesNothing)
{
    const ClerkRun run = clerk({QStringLiteral("run"), QStringLiteral("bot.yaml"), QStringLiteral("--input"),
                           QStringLiteral("forms"), QStringLiteral("--dry-run")});
    ASSERT_EQ(run.exitCode, 0) << run.err.toStdString();
    // Each export line as it would be written, and no hint to answer questions that were never stored.
    EXPECT_TRUE(run.out.contains(QStringLiteral("export: would append to %1/clerk-out/contact-forms.csv: ").arg(m_dir.path())))
        << run.out.toStdString();
    EXPECT_TRUE(run.out.contains(QRegularExpression(QStringLiteral("contact-forms.csv: \\d+,[a-z-]+,LS"))))
        << run.out.toStdString();
    EXPECT_FALSE(run.out.contains(QStringLiteral("answer with: clerk queue show"))) << run.out.toStdString();
    EXPECT_TRUE(run.out.contains(QStringLiteral("a dry run stores nothing"))) << run.out.toStdString();
    EXPECT_TRUE(run.out.contains(QStringLiteral("(dry run)")));
    EXPECT_FALSE(QFile::exists(m_dir.filePath(QStringLiteral("clerk-out/contact-forms.csv"))));
    EXPECT_FALSE(QFile::exists(db()));
}

TEST_F(ExampleTest, UnreadableInputsAreReportedAndTheRestIsProcessed)
{
    writeFile(m_dir.filePath(QStringLiteral("forms/form-006.json")), "{\"topic\": \"blue badge\", ");
    writeFile(m_dir.filePath(QStringLiteral("forms/form-007.json")), "[1, 2]");
    const ClerkRun run = runExample();
    EXPECT_EQ(run.exitCode, 3);
    const QJsonObject summary = jsonObject(run.out);
    EXPECT_EQ(summary.value(QStringLiteral("done")).toInt(), 3);
    const QJsonArray rejected = summary.value(QStringLiteral("not_enqueued")).toArray();
    ASSERT_EQ(rejected.size(), 2);
    EXPECT_TRUE(rejected[0].toObject().value(QStringLiteral("problem")).toString().startsWith(QStringLiteral("not valid JSON")));
    EXPECT_TRUE(rejected[1].toObject().value(QStringLiteral("problem")).toString().contains(QStringLiteral("one object")));
}

TEST(CliDatabaseTest, ACorruptDatabaseIsAClearErrorNotACrash)
{
    QTemporaryDir dir;
    const QString db = dir.filePath(QStringLiteral("work.db"));
    QByteArray junk(8192, '\0');
    for (int i = 0; i < junk.size(); ++i)
        junk[i] = static_cast<char>((i * 7919) % 251);
    writeFile(db, junk);
    const ClerkRun run = runClerk({QStringLiteral("status"), QStringLiteral("--db"), db});
    EXPECT_EQ(run.exitCode, 1);
    EXPECT_TRUE(run.err.contains(db)) << run.err.toStdString();
    EXPECT_TRUE(run.err.contains(QStringLiteral("not a clerk database"))) << run.err.toStdString();
}

TEST(CliDatabaseTest, ADirectoryInPlaceOfTheDatabaseIsAClearError)
{
    QTemporaryDir dir;
    const ClerkRun run = runClerk({QStringLiteral("status"), QStringLiteral("--db"), dir.path()});
    EXPECT_EQ(run.exitCode, 1);
    EXPECT_FALSE(run.err.isEmpty());
}

TEST(CliDatabaseTest, ALockedDatabaseIsAClearErrorAfterWaiting)
{
    QTemporaryDir dir;
    const QString db = dir.filePath(QStringLiteral("work.db"));
    ASSERT_EQ(runClerk({QStringLiteral("status"), QStringLiteral("--db"), db}).exitCode, 0);
    {
        QSqlDatabase holder = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("lock-holder"));
        holder.setDatabaseName(db);
        ASSERT_TRUE(holder.open());
        QSqlQuery lock(holder);
        ASSERT_TRUE(lock.exec(QStringLiteral("BEGIN EXCLUSIVE")));
        const ClerkRun run = runClerk({QStringLiteral("queue"), QStringLiteral("list"), QStringLiteral("--db"), db});
        EXPECT_EQ(run.exitCode, 1);
        EXPECT_TRUE(run.err.contains(QStringLiteral("locked"))) << run.err.toStdString();
        lock.exec(QStringLiteral("ROLLBACK"));
        lock.finish();
        holder.close();
    }
    QSqlDatabase::removeDatabase(QStringLiteral("lock-holder"));
}

TEST(CliDocsTest, PublishedSchemasAreUpToDate)
{
    for (const char *kind : {"bot", "connector"}) {
        const ClerkRun run = runClerk({QStringLiteral("schema"), QString::fromLatin1(kind)});
        ASSERT_EQ(run.exitCode, 0);
        const QString path = kSource + QStringLiteral("/runtime/bot/schema/%1.schema.json").arg(QString::fromLatin1(kind));
        const QJsonDocument committed = QJsonDocument::fromJson(readFile(path));
        EXPECT_EQ(committed, QJsonDocument::fromJson(run.out.toUtf8()))
            << path.toStdString() << " is stale: run scripts/update-generated.sh";
    }
}

TEST(CliDocsTest, BotReferenceHoldsTheCurrentKeyAndStepTables)
{
    const ClerkRun run = runClerk({QStringLiteral("steps")});
    ASSERT_EQ(run.exitCode, 0);
    const QString doc = QString::fromUtf8(readFile(kSource + QStringLiteral("/docs/bot-reference.md")));
    const QString begin = QStringLiteral("<!-- BEGIN GENERATED: clerk steps -->\n");
    const QString end = QStringLiteral("<!-- END GENERATED -->");
    const qsizetype from = doc.indexOf(begin);
    const qsizetype to = doc.indexOf(end);
    ASSERT_GE(from, 0);
    ASSERT_GT(to, from);
    EXPECT_EQ(doc.mid(from + begin.size(), to - from - begin.size()), run.out)
        << "docs/bot-reference.md is stale: run scripts/update-generated.sh";
}

TEST(CliTest, RunMovesOnlyDocumentsInTheBotsFoldersAndWritesSafeCsv)
{
    // Records may name any file, as a webhook body or a CSV row can: only the ones in the
    // bot's allowed_paths or the inputs given to clerk run are moved.
    QTemporaryDir dir;
    QDir().mkpath(dir.filePath(QStringLiteral("scans")));
    QDir().mkpath(dir.filePath(QStringLiteral("private")));
    writeFile(dir.filePath(QStringLiteral("private/clerk.db")), "SQLite format 3");
    writeFile(dir.filePath(QStringLiteral("scans/letter.pdf")), "%PDF-1.4");
    writeFile(dir.filePath(QStringLiteral("bot.yaml")),
              "name: filer\nversion: 1\nowner_team: post-room\ninput:\n  id: form\n"
              "allowed_paths: [scans]\n"
              "steps:\n"
              "  - id: file\n    type: move_file\n    params:\n      to: \"filed/{{ input.team }}\"\n"
              "  - id: log\n    type: append_line\n    params:\n      file: out/log.csv\n"
              "      header: [form, team, note]\n"
              "      line: \"{{ input.form }},{{ input.team }},{{ input.note }}\"\n");
    writeFile(dir.filePath(QStringLiteral("forms.jsonl")),
              QStringLiteral("{\"form\": \"F1\", \"file\": \"%1\", \"team\": \"post\", \"note\": \"x\"}\n"
                             "{\"form\": \"F2\", \"file\": \"/etc/passwd\", \"team\": \"post\", \"note\": \"x\"}\n"
                             "{\"form\": \"F3\", \"file\": \"scans/letter.pdf\", \"team\": \"../../private\", \"note\": \"x\"}\n")
                  .arg(dir.filePath(QStringLiteral("private/clerk.db")))
                  .toUtf8());
    const QString db = dir.filePath(QStringLiteral("work.db"));
    ClerkRun run = runClerk({QStringLiteral("run"), QStringLiteral("bot.yaml"), QStringLiteral("-i"), QStringLiteral("forms.jsonl"),
                             QStringLiteral("--db"), db, QStringLiteral("--json"), QStringLiteral("--wait"), QStringLiteral("0s")},
                            dir.path());
    EXPECT_EQ(run.exitCode, 3) << run.err.toStdString() << run.out.toStdString();
    QJsonArray items = jsonObject(run.out).value(QStringLiteral("items")).toArray();
    ASSERT_EQ(items.size(), 3) << run.out.toStdString();
    for (const QJsonValue &item : items) {
        EXPECT_EQ(item.toObject().value(QStringLiteral("state")).toString(), QStringLiteral("failed")) << run.out.toStdString();
        EXPECT_TRUE(item.toObject().value(QStringLiteral("reason")).toString().startsWith(QStringLiteral("step file: move_file: ")))
            << run.out.toStdString();
    }
    EXPECT_EQ(readFile(dir.filePath(QStringLiteral("private/clerk.db"))), QByteArray("SQLite format 3"));
    EXPECT_EQ(readFile(dir.filePath(QStringLiteral("scans/letter.pdf"))), QByteArray("%PDF-1.4"));
    EXPECT_FALSE(QFileInfo::exists(dir.filePath(QStringLiteral("out/log.csv"))));

    // A document in the bot's folder, with a team that is one name, is filed; the note,
    // a formula, is written as text.
    writeFile(dir.filePath(QStringLiteral("more.jsonl")),
              "{\"form\": \"F4\", \"file\": \"scans/letter.pdf\", \"team\": \"post\", \"note\": \"=HYPERLINK(\\\"http://x\\\")\"}\n");
    run = runClerk({QStringLiteral("run"), QStringLiteral("bot.yaml"), QStringLiteral("-i"), QStringLiteral("more.jsonl"),
                    QStringLiteral("--db"), db, QStringLiteral("--json"), QStringLiteral("--wait"), QStringLiteral("0s")},
                   dir.path());
    EXPECT_EQ(run.exitCode, 0) << run.err.toStdString() << run.out.toStdString();
    EXPECT_EQ(readFile(dir.filePath(QStringLiteral("filed/post/letter.pdf"))), QByteArray("%PDF-1.4"));
    EXPECT_EQ(readFile(dir.filePath(QStringLiteral("out/log.csv"))),
              QByteArray("form,team,note\nF4,post,\"'=HYPERLINK(\"\"http://x\"\")\"\n"));

    // A bot with no folders of its own may move what clerk run was given.
    writeFile(dir.filePath(QStringLiteral("plain.yaml")),
              "name: plain\nversion: 1\nowner_team: post-room\n"
              "steps:\n  - type: move_file\n    params:\n      to: done\n");
    writeFile(dir.filePath(QStringLiteral("private/letter2.pdf")), "%PDF-1.4");
    run = runClerk({QStringLiteral("run"), QStringLiteral("plain.yaml"), QStringLiteral("-i"), QStringLiteral("private"),
                    QStringLiteral("--db"), db, QStringLiteral("--json"), QStringLiteral("--wait"), QStringLiteral("0s")},
                   dir.path());
    EXPECT_EQ(run.exitCode, 0) << run.err.toStdString() << run.out.toStdString();
    EXPECT_TRUE(QFileInfo::exists(dir.filePath(QStringLiteral("done/letter2.pdf"))));
}

TEST(CliTest, QueueShowGivesConfidencesAsPercentages)
{
    QTemporaryDir dir;
    writeFile(dir.filePath(QStringLiteral("bot.yaml")),
              "name: sorter\nversion: 1\nowner_team: post-room\ninput:\n  id: form\n"
              "steps:\n  - id: topic\n    type: classify\n    params:\n      text: \"{{ input.text }}\"\n"
              "      threshold: 0.999\n      categories:\n"
              "        highways: {label: Highways, keywords: [pothole]}\n"
              "        complaint: {label: Complaint, keywords: [complaint]}\n");
    writeFile(dir.filePath(QStringLiteral("letters.jsonl")), "{\"form\": \"L1\", \"text\": \"A pothole in our road.\"}\n");
    const QString db = dir.filePath(QStringLiteral("work.db"));
    ASSERT_EQ(runClerk({QStringLiteral("run"), QStringLiteral("bot.yaml"), QStringLiteral("-i"), QStringLiteral("letters.jsonl"),
                        QStringLiteral("--db"), db},
                       dir.path())
                  .exitCode,
              0);
    const QJsonArray open = jsonArray(runClerk({QStringLiteral("queue"), QStringLiteral("list"), QStringLiteral("--json"),
                                                QStringLiteral("--db"), db})
                                          .out);
    ASSERT_EQ(open.size(), 1);
    const QString id = QString::number(open.at(0).toObject().value(QStringLiteral("id")).toInteger());
    const ClerkRun shown = runClerk({QStringLiteral("queue"), QStringLiteral("show"), id, QStringLiteral("--db"), db});
    static const QRegularExpression longFraction(QStringLiteral("\\b0\\.\\d{3,}"));
    EXPECT_FALSE(longFraction.match(shown.out).hasMatch()) << shown.out.toStdString();
    static const QRegularExpression confidence(QStringLiteral("confidence: \\d{1,3}\\.\\d%"));
    EXPECT_TRUE(confidence.match(shown.out).hasMatch()) << shown.out.toStdString();
    EXPECT_TRUE(shown.out.contains(QStringLiteral("threshold: 99.9%"))) << shown.out.toStdString();
    static const QRegularExpression choice(QStringLiteral("  1\\. Highways  \\(confidence \\d{1,3}\\.\\d%\\)\\n"));
    EXPECT_TRUE(choice.match(shown.out).hasMatch()) << shown.out.toStdString();
    // The machine-readable view keeps the numbers.
    const QJsonObject json = jsonObject(runClerk({QStringLiteral("queue"), QStringLiteral("show"), id, QStringLiteral("--json"),
                                                  QStringLiteral("--db"), db})
                                            .out);
    EXPECT_TRUE(json.value(QStringLiteral("evidence")).toObject().value(QStringLiteral("confidence")).isDouble())
        << QJsonDocument(json).toJson().toStdString();
}

TEST(CliTest, BelowLowerTheCandidatesAreStillChoicesAfterTreatAsNew)
{
    QTemporaryDir dir;
    writeFile(dir.filePath(QStringLiteral("people.csv")),
              "id,name,postcode\nCT1001,Ann Lee,LS6 2AB\nCT1002,Bob Ray,LS1 4DY\n");
    writeFile(dir.filePath(QStringLiteral("bot.yaml")),
              "name: movers\nversion: 1\nowner_team: revenues\ninput:\n  id: form\n"
              "steps:\n  - id: account\n    type: match\n    params:\n      index: {path: people.csv}\n"
              "      on_no_match: needs_human\n"
              "      fields:\n        name: {value: \"{{ input.name }}\", comparator: name}\n"
              "        postcode: {value: \"{{ input.postcode }}\", comparator: postcode}\n"
              "      thresholds: {upper: 0.99, lower: 0.9, margin: 0.1}\n");
    // The same postcode and a different name: a candidate, but well below lower.
    writeFile(dir.filePath(QStringLiteral("forms.jsonl")), "{\"form\": \"F1\", \"name\": \"Anne Leigh\", \"postcode\": \"LS6 2AB\"}\n");
    const QString db = dir.filePath(QStringLiteral("work.db"));
    ASSERT_EQ(runClerk({QStringLiteral("run"), QStringLiteral("bot.yaml"), QStringLiteral("-i"), QStringLiteral("forms.jsonl"),
                        QStringLiteral("--db"), db},
                       dir.path())
                  .exitCode,
              0);
    const QJsonArray open = jsonArray(runClerk({QStringLiteral("queue"), QStringLiteral("list"), QStringLiteral("--json"),
                                                QStringLiteral("--db"), db})
                                          .out);
    ASSERT_EQ(open.size(), 1);
    const QString id = QString::number(open.at(0).toObject().value(QStringLiteral("id")).toInteger());
    const ClerkRun shown = runClerk({QStringLiteral("queue"), QStringLiteral("show"), id, QStringLiteral("--db"), db});
    EXPECT_TRUE(shown.out.contains(QStringLiteral("  1. No existing record: treat as new\n"))) << shown.out.toStdString();
    EXPECT_TRUE(shown.out.contains(QStringLiteral("  2. CT1001: "))) << shown.out.toStdString();
    // Picking it is a match like any other.
    const ClerkRun answer = runClerk({QStringLiteral("queue"), QStringLiteral("resolve"), id, QStringLiteral("--choice"),
                                      QStringLiteral("2"), QStringLiteral("--db"), db},
                                     dir.path());
    ASSERT_EQ(answer.exitCode, 0) << answer.err.toStdString();
    const QJsonObject item = jsonObject(runClerk({QStringLiteral("item"), QStringLiteral("show"),
                                                  QString::number(open.at(0).toObject().value(QStringLiteral("item_id")).toInteger()),
                                                  QStringLiteral("--json"), QStringLiteral("--db"), db})
                                            .out);
    const QJsonObject account = item.value(QStringLiteral("step_outputs")).toObject().value(QStringLiteral("account")).toObject();
    EXPECT_EQ(account.value(QStringLiteral("decision")).toString(), QStringLiteral("matched"));
    EXPECT_EQ(account.value(QStringLiteral("record_id")).toString(), QStringLiteral("CT1001"));
}
