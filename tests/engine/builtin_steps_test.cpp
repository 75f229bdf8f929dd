// Unit tests of the built-in steps, run directly through a StepContext.
#include "engine_test_support.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>

using namespace clerk;
using clerk::testing::loadBot;

namespace {

class BuiltinStepsTest : public ::testing::Test {
protected:
    engine::StepRegistry m_registry = engine::StepRegistry::builtIn();
    QTemporaryDir m_dir;

    // Loads a one-step bot and runs that step on an item with `payload`.
    StepOutcome runStep(const QString &stepYaml, const QJsonObject &payload, bool earlierAttempt = false,
                        qint64 itemId = 7)
    {
        m_bot = loadBot(QStringLiteral("name: t\nversion: 1\nowner_team: post-room\nsteps:\n") + stepYaml,
                        m_registry.catalog());
        if (m_bot.steps.isEmpty())
            return StepOutcome::fail(QStringLiteral("bot did not load"));
        const bot::StepDefinition &definition = m_bot.steps.first();
        auto step = m_registry.find(definition.type)->create(m_bot, definition);
        EXPECT_TRUE(step.has_value());
        m_item.id = itemId;
        m_item.payload = payload;
        m_item.sourceRef = QStringLiteral("test");
        engine::StepContext ctx(
            m_item, m_bot, 0, false,
            [&](const QString &key) -> Result<bool> {
                m_keys.append(key);
                return !earlierAttempt;
            },
            [&](const QString &) -> Status {
                ++m_finished;
                return {};
            });
        return (*step)->run(ctx);
    }

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

TEST_F(BuiltinStepsTest, AppendLineRefusesLineBreaksFromData)
{
    const StepOutcome outcome = runStep(QStringLiteral(
        "  - type: append_line\n"
        "    params:\n"
        "      file: %1\n"
        "      line: \"{{ input.text }}\"\n").arg(m_dir.filePath(QStringLiteral("x.csv"))),
        {{QStringLiteral("text"), QStringLiteral("two\nlines")}});
    EXPECT_EQ(outcome.kind(), StepOutcome::Kind::Fail);
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
