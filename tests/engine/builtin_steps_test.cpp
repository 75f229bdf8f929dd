// Unit tests of the built-in steps, run directly through a StepContext.
#include "engine_test_support.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QFileInfo>

using namespace clerk;
using clerk::testing::loadBot;

namespace {

class BuiltinStepsTest : public ::testing::Test {
protected:
    engine::StepRegistry m_registry = engine::StepRegistry::builtIn();
    QTemporaryDir m_dir;

    // Loads a bot (m_head, then `stepYaml`) and runs its last step on an item with
    // `payload` and the earlier steps' outputs in m_outputs.
    StepOutcome runStep(const QString &stepYaml, const QJsonObject &payload, bool earlierAttempt = false,
                        qint64 itemId = 7)
    {
        m_bot = loadBot(QStringLiteral("name: t\nversion: 1\nowner_team: post-room\n") + m_head +
                            QStringLiteral("steps:\n") + stepYaml,
                        m_registry.catalog());
        if (m_bot.steps.isEmpty())
            return StepOutcome::fail(QStringLiteral("bot did not load"));
        const int index = static_cast<int>(m_bot.steps.size()) - 1;
        const bot::StepDefinition &definition = m_bot.steps.at(index);
        auto step = m_registry.find(definition.type)->create(m_bot, definition);
        EXPECT_OK(step);
        if (!step)
            return StepOutcome::fail(step.error().toString());
        m_item.id = itemId;
        m_item.payload = payload;
        m_item.stepOutputs = m_outputs;
        m_item.sourceRef = m_sourceRef;
        engine::StepContext ctx(
            m_item, m_bot, index, false,
            [&](const QString &key) -> Result<bool> {
                m_keys.append(key);
                return !earlierAttempt;
            },
            [&](const QString &) -> Status {
                ++m_finished;
                return {};
            });
        ctx.setExtraIntakeRoots(m_extraRoots);
        return (*step)->run(ctx);
    }

    QString m_head;           // top-level keys before steps:, e.g. allowed_paths
    QStringList m_extraRoots; // as clerk run passes its --input paths
    QJsonObject m_outputs;    // earlier steps' outputs (a person's answers land here too)
    QString m_sourceRef = QStringLiteral("test");
    bot::BotDefinition m_bot;
    WorkItem m_item;
    QStringList m_keys;
    int m_finished = 0;
};

QByteArray readAll(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

} // namespace

TEST_F(BuiltinStepsTest, SetKeepsTheTypeOfALoneReference)
{
    const StepOutcome outcome = runStep(QStringLiteral(
        "  - type: set\n"
        "    params:\n"
        "      values:\n"
        "        age: \"{{ input.age }}\"\n"
        "        label: \"Age {{ input.age }}\"\n"),
        {{QStringLiteral("age"), 42}});
    ASSERT_EQ(outcome.kind(), StepOutcome::Kind::Continue);
    EXPECT_TRUE(outcome.outputs().value(QStringLiteral("age")).isDouble());
    EXPECT_EQ(outcome.outputs().value(QStringLiteral("label")).toString(), QStringLiteral("Age 42"));
}

TEST_F(BuiltinStepsTest, RequirePassesGoodValuesAndAsksAPersonOtherwise)
{
    const QString step = QStringLiteral(
        "  - type: require\n"
        "    params:\n"
        "      value: \"{{ input.nhs }}\"\n"
        "      field: nhs_number\n"
        "      matches: '[0-9]{3} ?[0-9]{3} ?[0-9]{4}'\n");
    const struct {
        const char *value;
        StepOutcome::Kind kind;
        const char *reason;
    } cases[] = {
        {"943 476 5919", StepOutcome::Kind::Continue, ""},
        {"9434765919", StepOutcome::Kind::Continue, ""},
        {"", StepOutcome::Kind::NeedsHuman, "nhs_number is missing"},
        {"   ", StepOutcome::Kind::NeedsHuman, "nhs_number is missing"},
        {"943 476 591", StepOutcome::Kind::NeedsHuman, "nhs_number is not in the expected form"},
        {"x943 476 5919", StepOutcome::Kind::NeedsHuman, "nhs_number is not in the expected form"},
    };
    for (const auto &c : cases) {
        const StepOutcome outcome = runStep(step, {{QStringLiteral("nhs"), QString::fromLatin1(c.value)}});
        EXPECT_EQ(outcome.kind(), c.kind) << c.value;
        if (c.kind == StepOutcome::Kind::Continue) {
            EXPECT_EQ(outcome.outputs().value(QStringLiteral("nhs_number")).toString(), QString::fromLatin1(c.value));
        } else {
            EXPECT_EQ(outcome.humanRequest().reason, QString::fromLatin1(c.reason)) << c.value;
            EXPECT_EQ(outcome.humanRequest().fields, QStringList{QStringLiteral("nhs_number")});
        }
    }
}

TEST_F(BuiltinStepsTest, RequireOneOfIgnoresCaseAndUsesTheGivenReason)
{
    const QString step = QStringLiteral(
        "  - type: require\n"
        "    params:\n"
        "      value: \"{{ input.consent }}\"\n"
        "      one_of: [yes, given]\n"
        "      reason: Consent to share is not recorded\n"
        "      choices: [consent given, no consent]\n");
    EXPECT_EQ(runStep(step, {{QStringLiteral("consent"), QStringLiteral("YES")}}).kind(), StepOutcome::Kind::Continue);
    const StepOutcome asked = runStep(step, {{QStringLiteral("consent"), QStringLiteral("maybe")}});
    ASSERT_EQ(asked.kind(), StepOutcome::Kind::NeedsHuman);
    EXPECT_EQ(asked.humanRequest().reason, QStringLiteral("Consent to share is not recorded"));
    ASSERT_EQ(asked.humanRequest().choices.size(), 2);
    EXPECT_EQ(asked.humanRequest().choices[1].value, QStringLiteral("no consent"));
}

TEST_F(BuiltinStepsTest, RouteMatchesFallsBackAndOtherwiseOffersTheTeams)
{
    const QString withDefault = QStringLiteral(
        "  - type: route\n"
        "    params:\n"
        "      value: \"{{ input.topic }}\"\n"
        "      routes:\n"
        "        Blue Badge: blue-badge\n"
        "        adult social care: adult-social-care\n"
        "      default: customer-services\n");
    StepOutcome outcome = runStep(withDefault, {{QStringLiteral("topic"), QStringLiteral("blue badge")}});
    ASSERT_EQ(outcome.kind(), StepOutcome::Kind::Continue);
    EXPECT_EQ(outcome.outputs().value(QStringLiteral("team")).toString(), QStringLiteral("blue-badge"));
    outcome = runStep(withDefault, {{QStringLiteral("topic"), QStringLiteral("potholes")}});
    EXPECT_EQ(outcome.outputs().value(QStringLiteral("team")).toString(), QStringLiteral("customer-services"));

    QString noDefault = withDefault;
    noDefault.remove(QStringLiteral("      default: customer-services\n"));
    outcome = runStep(noDefault, {{QStringLiteral("topic"), QStringLiteral("potholes")}});
    ASSERT_EQ(outcome.kind(), StepOutcome::Kind::NeedsHuman);
    QStringList offered;
    for (const HumanChoice &choice : outcome.humanRequest().choices)
        offered.append(choice.value);
    offered.sort();
    EXPECT_EQ(offered, (QStringList{QStringLiteral("adult-social-care"), QStringLiteral("blue-badge")}));
    EXPECT_FALSE(outcome.humanRequest().reason.contains(QStringLiteral("potholes")))
        << "values stay in the evidence; reasons reach the logs";
}

TEST_F(BuiltinStepsTest, LookupFindsTheValueIgnoringCaseAndFallsBackToTheDefault)
{
    const QString withDefault = QStringLiteral(
        "  - type: lookup\n"
        "    params:\n"
        "      value: \"{{ input.team }}\"\n"
        "      table:\n"
        "        highways: 8\n"
        "        Revenues: {id: 9}\n"
        "      default: 1\n");
    StepOutcome outcome = runStep(withDefault, {{QStringLiteral("team"), QStringLiteral("HIGHWAYS")}});
    ASSERT_EQ(outcome.kind(), StepOutcome::Kind::Continue);
    EXPECT_EQ(outcome.outputs().value(QStringLiteral("value")), QJsonValue(8));  // numbers stay numbers
    EXPECT_TRUE(outcome.outputs().value(QStringLiteral("found")).toBool());
    outcome = runStep(withDefault, {{QStringLiteral("team"), QStringLiteral("revenues")}});
    EXPECT_EQ(outcome.outputs().value(QStringLiteral("value")).toObject().value(QStringLiteral("id")).toInt(), 9);
    outcome = runStep(withDefault, {{QStringLiteral("team"), QStringLiteral("parks")}});
    EXPECT_EQ(outcome.outputs().value(QStringLiteral("value")), QJsonValue(1));
    EXPECT_FALSE(outcome.outputs().value(QStringLiteral("found")).toBool());

    QString noDefault = withDefault;
    noDefault.remove(QStringLiteral("      default: 1\n"));
    outcome = runStep(noDefault, {{QStringLiteral("team"), QStringLiteral("parks")}});
    ASSERT_EQ(outcome.kind(), StepOutcome::Kind::Fail);
    EXPECT_FALSE(outcome.reason().contains(QStringLiteral("parks")));
}

TEST_F(BuiltinStepsTest, AppendLineWritesOnceEvenWhenAnEarlierAttemptAlreadyWrote)
{
    const QString file = m_dir.filePath(QStringLiteral("out/export.csv"));
    const QString step = QStringLiteral(
        "  - type: append_line\n"
        "    params:\n"
        "      file: %1\n"
        "      line: \"{{ item.id }},{{ input.team }}\"\n").arg(file);
    StepOutcome outcome = runStep(step, {{QStringLiteral("team"), QStringLiteral("highways")}});
    ASSERT_EQ(outcome.kind(), StepOutcome::Kind::Continue) << outcome.reason().toStdString();
    EXPECT_TRUE(outcome.outputs().value(QStringLiteral("written")).toBool());
    EXPECT_EQ(readAll(file), QByteArray("7,highways\n"));
    // The key names the bot and the item's source (bot "t", source "test"), not item 7.
    const QString digest = QString::fromLatin1(
        QCryptographicHash::hash(QByteArrayLiteral("t\0test"), QCryptographicHash::Sha256).toHex().left(16));
    EXPECT_EQ(m_keys, QStringList{QStringLiteral("clerk-%1-0-append_line").arg(digest)});
    EXPECT_EQ(m_finished, 1);

    // The process died after writing but before the step's outputs were stored: the
    // retried step finds its line and does not write it again.
    outcome = runStep(step, {{QStringLiteral("team"), QStringLiteral("highways")}}, /*earlierAttempt*/ true);
    ASSERT_EQ(outcome.kind(), StepOutcome::Kind::Continue);
    EXPECT_FALSE(outcome.outputs().value(QStringLiteral("written")).toBool());
    EXPECT_EQ(readAll(file), QByteArray("7,highways\n"));

    // An earlier attempt that died before writing: the line is written now.
    outcome = runStep(step, {{QStringLiteral("team"), QStringLiteral("highways")}}, true, 8);
    EXPECT_TRUE(outcome.outputs().value(QStringLiteral("written")).toBool());
    EXPECT_EQ(readAll(file), QByteArray("7,highways\n8,highways\n"));
}

TEST_F(BuiltinStepsTest, AppendLineRefusesLineBreaksFromDataInRawFormat)
{
    // A file that is not CSV takes the line as rendered, so a line break (LF, or a CR a
    // spreadsheet would also split on) would make two lines: refused.
    for (const QString &file : {QStringLiteral("x.log"), QStringLiteral("x.csv")}) {
        for (const QString &text : {QStringLiteral("two\nlines"), QStringLiteral("\r=HYPERLINK(\"http://x\")")}) {
            const StepOutcome outcome = runStep(QStringLiteral(
                "  - type: append_line\n"
                "    params:\n"
                "      file: %1\n"
                "      format: raw\n"
                "      line: \"{{ input.text }}\"\n").arg(m_dir.filePath(file)),
                {{QStringLiteral("text"), text}});
            EXPECT_EQ(outcome.kind(), StepOutcome::Kind::Fail) << file.toStdString();
            EXPECT_TRUE(outcome.reason().contains(QStringLiteral("line break"))) << outcome.reason().toStdString();
            EXPECT_FALSE(QFile::exists(m_dir.filePath(file)));
        }
    }
    // Without format, a .log file is raw too.
    const StepOutcome outcome = runStep(QStringLiteral(
        "  - type: append_line\n"
        "    params:\n"
        "      file: %1\n"
        "      line: \"{{ input.text }}\"\n").arg(m_dir.filePath(QStringLiteral("y.log"))),
        {{QStringLiteral("text"), QStringLiteral("a\rb")}});
    EXPECT_EQ(outcome.kind(), StepOutcome::Kind::Fail);
}

TEST_F(BuiltinStepsTest, AppendLineQuotesCsvFieldsAndNeutralisesFormulas)
{
    const QString file = m_dir.filePath(QStringLiteral("export.csv"));
    const QString step = QStringLiteral(
        "  - type: append_line\n"
        "    params:\n"
        "      file: %1\n"
        "      line: \"{{ item.id }},{{ input.value }},end\"\n").arg(file);
    const struct {
        const char *value;
        const char *written;
    } cases[] = {
        {"plain", "plain"},
        {"Smith, John", "\"Smith, John\""},
        {"say \"hi\"", "\"say \"\"hi\"\"\""},
        {"=HYPERLINK(\"http://evil\",\"x\")", "\"'=HYPERLINK(\"\"http://evil\"\",\"\"x\"\")\""},
        {"\r=HYPERLINK(\"http://evil\")", "\"'\r=HYPERLINK(\"\"http://evil\"\")\""},
        {"+cmd|' /C calc'!A0", "\"'+cmd|' /C calc'!A0\""},
        {"-2+3", "\"'-2+3\""},
        {"@SUM(A1)", "\"'@SUM(A1)\""},
        {"\tx", "\"'\tx\""},
        {"-12.5", "-12.5"},
        {"two\nlines", "\"two\nlines\""},
    };
    qint64 id = 10;
    QByteArray expected;
    for (const auto &c : cases) {
        const StepOutcome outcome = runStep(step, {{QStringLiteral("value"), QString::fromUtf8(c.value)}}, false, id);
        ASSERT_EQ(outcome.kind(), StepOutcome::Kind::Continue) << c.value << outcome.reason().toStdString();
        expected += QByteArray::number(id) + ',' + c.written + ",end\n";
        ++id;
    }
    EXPECT_EQ(readAll(file), expected);

    // A retried item finds its record even when a quoted value spans two lines.
    const StepOutcome again = runStep(step, {{QStringLiteral("value"), QStringLiteral("two\nlines")}}, true, id - 1);
    ASSERT_EQ(again.kind(), StepOutcome::Kind::Continue);
    EXPECT_FALSE(again.outputs().value(QStringLiteral("written")).toBool());
    EXPECT_EQ(readAll(file), expected);
}

TEST_F(BuiltinStepsTest, AppendLineWritesFieldsAndAHeaderWhenItCreatesTheFile)
{
    const QString file = m_dir.filePath(QStringLiteral("out/contacts.csv"));
    const QString step = QStringLiteral(
        "  - type: append_line\n"
        "    params:\n"
        "      file: %1\n"
        "      header: [item, \"name, full\", note]\n"
        "      fields:\n"
        "        - \"{{ item.id }}\"\n"
        "        - \"{{ input.name }}\"\n"
        "        - \"ref {{ input.ref }}, checked\"\n").arg(file);
    ASSERT_EQ(runStep(step, {{QStringLiteral("name"), QStringLiteral("=1+1")}, {QStringLiteral("ref"), 5}}, false, 1).kind(),
              StepOutcome::Kind::Continue);
    ASSERT_EQ(runStep(step, {{QStringLiteral("name"), QStringLiteral("Ann")}, {QStringLiteral("ref"), 6}}, false, 2).kind(),
              StepOutcome::Kind::Continue);
    EXPECT_EQ(readAll(file), QByteArray("item,\"name, full\",note\n"
                                        "1,\"'=1+1\",\"ref 5, checked\"\n"
                                        "2,Ann,\"ref 6, checked\"\n"));

    // The author's own quotes around a field are clerk's to write now: not doubled.
    const QString quoted = m_dir.filePath(QStringLiteral("quoted.csv"));
    ASSERT_EQ(runStep(QStringLiteral("  - type: append_line\n"
                                     "    params:\n"
                                     "      file: %1\n"
                                     "      line: '\"{{ input.a }}, {{ input.b }}\",{{ input.b }}'\n").arg(quoted),
                      {{QStringLiteral("a"), QStringLiteral("x")}, {QStringLiteral("b"), QStringLiteral("y")}})
                  .kind(),
              StepOutcome::Kind::Continue);
    EXPECT_EQ(readAll(quoted), QByteArray("\"x, y\",y\n"));

    // Raw format keeps the line as rendered, formulas and all, for files that are not CSV.
    const QString log = m_dir.filePath(QStringLiteral("trail.log"));
    ASSERT_EQ(runStep(QStringLiteral("  - type: append_line\n"
                                     "    params:\n"
                                     "      file: %1\n"
                                     "      line: \"{{ item.id }} {{ input.a }}\"\n").arg(log),
                      {{QStringLiteral("a"), QStringLiteral("=x, \"y\"")}})
                  .kind(),
              StepOutcome::Kind::Continue);
    EXPECT_EQ(readAll(log), QByteArray("7 =x, \"y\"\n"));
}

TEST_F(BuiltinStepsTest, AppendLineNeedsEitherLineOrFields)
{
    for (const char *params : {"      file: x.csv\n", "      file: x.csv\n      line: a\n      fields: [b]\n"}) {
        m_bot = loadBot(QStringLiteral("name: t\nversion: 1\nowner_team: post-room\nsteps:\n  - type: append_line\n"
                                       "    params:\n") + QString::fromUtf8(params),
                        m_registry.catalog());
        ASSERT_EQ(m_bot.steps.size(), 1);
        auto step = m_registry.find(QStringLiteral("append_line"))->create(m_bot, m_bot.steps.first());
        ASSERT_FALSE(step.has_value()) << params;
        EXPECT_TRUE(step.error().message().contains(QStringLiteral("either line or fields"))) << step.error().toString().toStdString();
    }
}

TEST_F(BuiltinStepsTest, AppendLineKeepsARenderedFileNameInItsFolder)
{
    const QString step = QStringLiteral(
        "  - type: append_line\n"
        "    params:\n"
        "      file: \"%1/exports/{{ input.name }}.csv\"\n"
        "      line: \"{{ item.id }}\"\n").arg(m_dir.path());
    for (const QString &name : {QStringLiteral("../../../../tmp/cron"), QStringLiteral("/etc/cron.d/x"), QStringLiteral("a/b"),
                                QStringLiteral("..\\x"), QStringLiteral("x\ny"), QString::fromUtf8("x\0y", 3)}) {
        const StepOutcome outcome = runStep(step, {{QStringLiteral("name"), name}});
        ASSERT_EQ(outcome.kind(), StepOutcome::Kind::Fail) << name.toStdString();
        EXPECT_TRUE(outcome.reason().contains(QStringLiteral("the value of input.name"))) << outcome.reason().toStdString();
        EXPECT_FALSE(outcome.reason().contains(name)) << "values stay out of reasons";
    }
    EXPECT_FALSE(QDir(m_dir.filePath(QStringLiteral("exports"))).exists());
    const StepOutcome ok = runStep(step, {{QStringLiteral("name"), QStringLiteral("council-2026")}});
    ASSERT_EQ(ok.kind(), StepOutcome::Kind::Continue) << ok.reason().toStdString();
    EXPECT_TRUE(QFile::exists(m_dir.filePath(QStringLiteral("exports/council-2026.csv"))));
}

TEST_F(BuiltinStepsTest, MoveFileMovesRenamesOnConflictAndIsIdempotent)
{
    const QString inbox = m_dir.filePath(QStringLiteral("inbox"));
    const QString done = m_dir.filePath(QStringLiteral("done"));
    QDir().mkpath(inbox);
    QDir().mkpath(done);
    const QString scan = inbox + QStringLiteral("/letter.pdf");
    QFile f(scan);
    ASSERT_TRUE(f.open(QIODevice::WriteOnly));
    f.write("%PDF-1.4 test");
    f.close();
    QFile other(done + QStringLiteral("/letter.pdf"));
    ASSERT_TRUE(other.open(QIODevice::WriteOnly));
    other.write("someone else's letter");
    other.close();

    m_head = QStringLiteral("allowed_paths: [\"%1\"]\n").arg(inbox);
    const QString step = QStringLiteral("  - type: move_file\n    params:\n      to: %1\n").arg(done);
    const QJsonObject payload{{QStringLiteral("file"), scan}};
    StepOutcome outcome = runStep(step, payload);
    ASSERT_EQ(outcome.kind(), StepOutcome::Kind::Continue) << outcome.reason().toStdString();
    const QString target = done + QStringLiteral("/letter.7.pdf");
    EXPECT_EQ(outcome.outputs().value(QStringLiteral("file")).toString(), target);
    EXPECT_FALSE(QFile::exists(scan));
    EXPECT_EQ(readAll(target), QByteArray("%PDF-1.4 test"));
    EXPECT_EQ(readAll(done + QStringLiteral("/letter.pdf")), QByteArray("someone else's letter"));

    // Retried after the move landed: nothing to do, same answer.
    outcome = runStep(step, payload, /*earlierAttempt*/ true);
    ASSERT_EQ(outcome.kind(), StepOutcome::Kind::Continue);
    EXPECT_EQ(outcome.outputs().value(QStringLiteral("file")).toString(), target);

    // A first attempt with a missing source is a failure, not a silent success.
    outcome = runStep(step, payload, /*earlierAttempt*/ false);
    EXPECT_EQ(outcome.kind(), StepOutcome::Kind::Fail);
}

namespace {

void writeFile(const QString &path, const QByteArray &bytes)
{
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile f(path);
    ASSERT_TRUE(f.open(QIODevice::WriteOnly));
    f.write(bytes);
}

} // namespace

TEST_F(BuiltinStepsTest, MoveFileRefusesADocumentOutsideTheBotsFolders)
{
    // What a webhook body may say: {"file": "/var/lib/clerk/clerk.db"}.
    const QString inbox = m_dir.filePath(QStringLiteral("inbox"));
    const QString database = m_dir.filePath(QStringLiteral("clerk.db"));
    writeFile(database, "SQLite format 3");
    writeFile(inbox + QStringLiteral("/letter.pdf"), "%PDF-1.4");
    ASSERT_TRUE(QFile::link(database, inbox + QStringLiteral("/linked.pdf")));
    m_head = QStringLiteral("allowed_paths: [\"%1\"]\n").arg(inbox);
    const QString step = QStringLiteral("  - type: move_file\n    params:\n      to: %1\n").arg(m_dir.filePath(QStringLiteral("done")));

    const QString letter = inbox + QStringLiteral("/letter.pdf");
    const QStringList outside{database, QStringLiteral("/etc/passwd"), inbox + QStringLiteral("/../clerk.db"),
                              inbox + QStringLiteral("/linked.pdf"), QStringLiteral("../../../../../../../etc/passwd")};
    for (const QString &file : outside) {
        const StepOutcome outcome = runStep(step, {{QStringLiteral("file"), file}});
        ASSERT_EQ(outcome.kind(), StepOutcome::Kind::Fail) << file.toStdString();
        EXPECT_TRUE(outcome.reason().contains(QStringLiteral("outside the folders this bot may read")))
            << outcome.reason().toStdString();
    }
    EXPECT_EQ(readAll(database), QByteArray("SQLite format 3"));
    EXPECT_TRUE(QFile::exists(QStringLiteral("/etc/passwd")));
    EXPECT_FALSE(QDir(m_dir.filePath(QStringLiteral("done"))).exists());

    // A bot with no folders of its own may read what clerk run was given (--input).
    m_head.clear();
    EXPECT_EQ(runStep(step, {{QStringLiteral("file"), letter}}).kind(), StepOutcome::Kind::Fail);
    m_extraRoots = {inbox};
    const StepOutcome moved = runStep(step, {{QStringLiteral("file"), letter}});
    ASSERT_EQ(moved.kind(), StepOutcome::Kind::Continue) << moved.reason().toStdString();
    EXPECT_EQ(readAll(m_dir.filePath(QStringLiteral("done/letter.pdf"))), QByteArray("%PDF-1.4"));
}

TEST_F(BuiltinStepsTest, AllowedPathsAreRelativeToTheBotFileAndTheWatchedFolderCounts)
{
    writeFile(m_dir.filePath(QStringLiteral("scans/a.pdf")), "%PDF-1.4");
    writeFile(m_dir.filePath(QStringLiteral("watched/b.pdf")), "%PDF-1.4");
    writeFile(m_dir.filePath(QStringLiteral("mail/c.pdf")), "%PDF-1.4");
    const QString yaml = QStringLiteral(
        "name: t\nversion: 1\nowner_team: post-room\n"
        "allowed_paths: [scans]\n"
        "trigger:\n  watch:\n    folder: watched\n"
        "steps:\n  - type: move_file\n    params:\n      to: filed\n");
    bot::BotLoad load = bot::loadBotText(yaml.toUtf8(), m_dir.filePath(QStringLiteral("bot.yaml")), m_registry.catalog(), {},
                                         m_dir.path());
    ASSERT_TRUE(load.bot.has_value());
    EXPECT_EQ(load.bot->intakeRoots(),
              (QStringList{m_dir.filePath(QStringLiteral("watched")), m_dir.filePath(QStringLiteral("scans"))}));
    auto step = m_registry.find(QStringLiteral("move_file"))->create(*load.bot, load.bot->steps.first());
    ASSERT_TRUE(step.has_value());
    const auto run = [&](const QString &file) {
        m_item.payload = {{QStringLiteral("file"), file}};
        engine::StepContext ctx(m_item, *load.bot, 0, false, {}, {});
        return (*step)->run(ctx);
    };
    EXPECT_EQ(run(QStringLiteral("scans/a.pdf")).kind(), StepOutcome::Kind::Continue);
    EXPECT_EQ(run(m_dir.filePath(QStringLiteral("watched/b.pdf"))).kind(), StepOutcome::Kind::Continue);
    EXPECT_EQ(run(m_dir.filePath(QStringLiteral("mail/c.pdf"))).kind(), StepOutcome::Kind::Fail);
    EXPECT_TRUE(QFile::exists(m_dir.filePath(QStringLiteral("filed/a.pdf"))));
    EXPECT_TRUE(QFile::exists(m_dir.filePath(QStringLiteral("filed/b.pdf"))));
}

TEST_F(BuiltinStepsTest, MoveFileKeepsARenderedFolderUnderItsLiteralPrefix)
{
    const QString inbox = m_dir.filePath(QStringLiteral("inbox"));
    const QString scan = inbox + QStringLiteral("/letter.pdf");
    m_head = QStringLiteral("allowed_paths: [\"%1\"]\n").arg(inbox);
    // The team comes from a route step, or from a person who answered it.
    const QString steps = QStringLiteral(
        "  - id: route\n    type: route\n    params:\n      value: \"{{ input.topic }}\"\n"
        "      routes: {potholes: highways}\n"
        "  - type: move_file\n    params:\n      to: \"%1/sorted/{{ route.team }}\"\n").arg(m_dir.path());
    for (const QString &team : {QStringLiteral("../../x"), QStringLiteral(".."), QStringLiteral("/tmp"), QStringLiteral("a/../../b"),
                                QStringLiteral("x\ry")}) {
        writeFile(scan, "%PDF-1.4");
        m_outputs = {{QStringLiteral("route"), QJsonObject{{QStringLiteral("team"), team}, {QStringLiteral("decided_by"), QStringLiteral("person")}}}};
        const StepOutcome outcome = runStep(steps, {{QStringLiteral("file"), scan}});
        ASSERT_EQ(outcome.kind(), StepOutcome::Kind::Fail) << team.toStdString();
        EXPECT_TRUE(outcome.reason().startsWith(QStringLiteral("move_file: the value of route.team ")))
            << outcome.reason().toStdString();
        EXPECT_TRUE(QFile::exists(scan));
    }
    EXPECT_FALSE(QDir(m_dir.filePath(QStringLiteral("x"))).exists());
    EXPECT_FALSE(QDir(m_dir.filePath(QStringLiteral("sorted"))).exists());

    m_outputs = {{QStringLiteral("route"), QJsonObject{{QStringLiteral("team"), QStringLiteral("highways")}}}};
    const StepOutcome moved = runStep(steps, {{QStringLiteral("file"), scan}});
    ASSERT_EQ(moved.kind(), StepOutcome::Kind::Continue) << moved.reason().toStdString();
    EXPECT_TRUE(QFile::exists(m_dir.filePath(QStringLiteral("sorted/highways/letter.pdf"))));

    // The author's own text after the first {{ may not climb out either.
    writeFile(scan, "%PDF-1.4");
    const StepOutcome climbing = runStep(
        QStringLiteral("  - type: move_file\n    params:\n      to: \"%1/sorted/{{ input.team }}/../../..\"\n").arg(m_dir.path()),
        {{QStringLiteral("file"), scan}, {QStringLiteral("team"), QStringLiteral("highways")}});
    ASSERT_EQ(climbing.kind(), StepOutcome::Kind::Fail);
    EXPECT_TRUE(climbing.reason().contains(QStringLiteral("where the bot file says it must stay"))) << climbing.reason().toStdString();
}

TEST_F(BuiltinStepsTest, AnItemsOwnDocumentStaysMovableWhenItIsResumedElsewhere)
{
    // clerk run --input letter.pdf enqueued the item; a later run, or clerk serve, that was
    // not given the file resumes it.
    const QString letter = m_dir.filePath(QStringLiteral("scans/letter.pdf"));
    const QString other = m_dir.filePath(QStringLiteral("scans/other.pdf"));
    writeFile(letter, "%PDF-1.4");
    writeFile(other, "%PDF-1.4");
    m_sourceRef = QStringLiteral("file:%1#sha256:0123456789abcdef").arg(letter);
    const QString step = QStringLiteral("  - type: move_file\n    params:\n      to: %1\n").arg(m_dir.filePath(QStringLiteral("done")));

    const StepOutcome refused = runStep(step, {{QStringLiteral("file"), other}});
    ASSERT_EQ(refused.kind(), StepOutcome::Kind::Fail) << "only the item's own file";
    const StepOutcome moved = runStep(step, {{QStringLiteral("file"), letter}});
    ASSERT_EQ(moved.kind(), StepOutcome::Kind::Continue) << moved.reason().toStdString();
    EXPECT_TRUE(QFile::exists(m_dir.filePath(QStringLiteral("done/letter.pdf"))));

    // A record's reference never names a file, whatever its data says.
    m_sourceRef = QStringLiteral("record:file:%1#sha256:0123456789abcdef").arg(other);
    EXPECT_EQ(runStep(step, {{QStringLiteral("file"), other}}).kind(), StepOutcome::Kind::Fail);
}
