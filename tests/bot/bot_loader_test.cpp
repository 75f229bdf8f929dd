#include "test_support.h"
#include "bot/bot_loader.h"
#include "test_catalog.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QTemporaryDir>
#include <gtest/gtest.h>

using namespace clerk::bot;
using namespace std::chrono_literals;
using clerk::bot::testing::testCatalog;
using clerk::bot::testing::testConnectors;

namespace {

QString dataPath(const char *name)
{
    return QStringLiteral(CLERK_TEST_DATA_DIR "/bots/") + QString::fromUtf8(name);
}

std::string describeAll(const Diagnostics &diagnostics)
{
    QStringList lines;
    for (const Diagnostic &d : diagnostics)
        lines.append(d.toString());
    return lines.join(QLatin1Char('\n')).toStdString();
}

BotLoad loadText(const QByteArray &text)
{
    return loadBotText(text, QStringLiteral("test.yaml"), testCatalog(), testConnectors());
}

// The messages of the errors, without positions.
QStringList messages(const Diagnostics &diagnostics)
{
    QStringList out;
    for (const Diagnostic &d : diagnostics)
        out.append(d.message);
    return out;
}

QString writeFile(const QTemporaryDir &dir, const char *name, const QByteArray &content)
{
    const QString path = dir.filePath(QString::fromUtf8(name));
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return {};
    file.write(content);
    return path;
}

} // namespace

TEST(BotLoaderTest, LoadsValidBotWithDefaultsApplied)
{
    const QString path = dataPath("valid/contact-form.yaml");
    const BotLoad load = loadBotFile(path, testCatalog(), testConnectors());
    ASSERT_TRUE(load.diagnostics.isEmpty()) << describeAll(load.diagnostics);
    ASSERT_TRUE(load.bot.has_value());
    const BotDefinition &bot = *load.bot;

    EXPECT_EQ(bot.name, QStringLiteral("contact-form"));
    EXPECT_EQ(bot.description, QStringLiteral("Files contact form submissions as Redmine issues."));
    EXPECT_EQ(bot.version, QStringLiteral("3"));
    EXPECT_EQ(bot.ownerTeam, QStringLiteral("customer-services"));
    EXPECT_DOUBLE_EQ(bot.manualMinutes, 4.5);

    ASSERT_TRUE(bot.trigger.has_value());
    EXPECT_EQ(bot.trigger->kind, TriggerDefinition::Kind::Cron);
    EXPECT_EQ(bot.trigger->cron, QStringLiteral("0 7 * * MON-FRI"));
    EXPECT_EQ(bot.trigger->timeZone, QStringLiteral("Europe/London"));
    EXPECT_EQ(bot.trigger->misfire, QStringLiteral("run_once"));
    EXPECT_EQ(bot.trigger->options.value(QStringLiteral("business_hours")).toString(), QStringLiteral("Mon-Fri 08:00-18:00"));
    EXPECT_EQ(bot.trigger->position.line, 8);
    EXPECT_EQ(bot.trigger->position.column, 3);

    EXPECT_DOUBLE_EQ(bot.thresholds.value(QStringLiteral("match")), 0.9);
    EXPECT_TRUE(bot.thresholds.contains(QStringLiteral("classify")));
    EXPECT_EQ(bot.exceptionTeam, QStringLiteral("customer-services"));
    EXPECT_EQ(bot.exceptionSla, std::chrono::milliseconds(4h));
    EXPECT_EQ(bot.retry.maxAttempts, 3);
    EXPECT_EQ(bot.retry.initialDelay, std::chrono::milliseconds(5s));
    EXPECT_EQ(bot.retry.maxDelay, std::chrono::milliseconds(10min));
    EXPECT_EQ(bot.connectors, QStringList{QStringLiteral("redmine")});

    ASSERT_EQ(bot.steps.size(), 4);
    EXPECT_EQ(bot.steps[0].id, QStringLiteral("check"));
    EXPECT_EQ(bot.steps[0].type, QStringLiteral("require"));
    EXPECT_EQ(bot.steps[0].params.value(QStringLiteral("field")).toString(), QStringLiteral("postcode"));
    EXPECT_EQ(bot.steps[0].position.line, 25);
    EXPECT_EQ(bot.steps[0].position.column, 5);
    EXPECT_EQ(bot.steps[1].team, QStringLiteral("revenues"));
    EXPECT_EQ(bot.steps[2].id, QStringLiteral("fetch"));  // defaults to the type
    EXPECT_EQ(bot.steps[3].id, QStringLiteral("wait"));
    EXPECT_EQ(bot.steps[3].params.value(QStringLiteral("for")).toString(), QStringLiteral("1m"));  // default

    const StepDefinition *fetch = bot.step(QStringLiteral("fetch"));
    ASSERT_NE(fetch, nullptr);
    const QJsonObject body = fetch->params.value(QStringLiteral("body")).toObject();
    EXPECT_EQ(body.value(QStringLiteral("count")), QJsonValue(3));
    EXPECT_EQ(body.value(QStringLiteral("quoted")), QJsonValue(QStringLiteral("3")));
    EXPECT_EQ(body.value(QStringLiteral("flag")), QJsonValue(true));
    EXPECT_TRUE(body.value(QStringLiteral("nothing")).isNull());
    EXPECT_EQ(bot.step(QStringLiteral("nope")), nullptr);

    QFile file(path);
    ASSERT_TRUE(file.open(QIODevice::ReadOnly));
    const QByteArray bytes = file.readAll();
    EXPECT_EQ(bot.sourceText, bytes);
    EXPECT_EQ(bot.sourcePath, path);
    EXPECT_EQ(bot.baseDir, QFileInfo(path).absolutePath());
    EXPECT_EQ(bot.digest.size(), 64);
    // The same bytes in another folder are another definition: relative paths differ.
    const BotLoad elsewhere = loadBotText(bytes, path, testCatalog(), testConnectors(), QStringLiteral("/srv/other"));
    ASSERT_TRUE(elsewhere.bot.has_value());
    EXPECT_NE(elsewhere.bot->digest, bot.digest);
    const BotLoad again = loadBotText(bytes, path, testCatalog(), testConnectors(), QFileInfo(path).absolutePath());
    ASSERT_TRUE(again.bot.has_value());
    EXPECT_EQ(again.bot->digest, bot.digest);
}

TEST(BotLoaderTest, MinimalBotGetsDefaults)
{
    const BotLoad load = loadBotFile(dataPath("valid/minimal.yaml"), testCatalog(), {});
    ASSERT_TRUE(load.diagnostics.isEmpty()) << describeAll(load.diagnostics);
    ASSERT_TRUE(load.bot.has_value());
    EXPECT_EQ(load.bot->version, QStringLiteral("1.2"));
    EXPECT_FALSE(load.bot->trigger.has_value());
    EXPECT_EQ(load.bot->manualMinutes, 0);
    EXPECT_EQ(load.bot->exceptionTeam, QStringLiteral("ict"));
    EXPECT_EQ(load.bot->exceptionSla, std::chrono::milliseconds(8h));
    EXPECT_EQ(load.bot->retry.maxAttempts, 5);
    EXPECT_EQ(load.bot->retry.initialDelay, std::chrono::milliseconds(2s));
    EXPECT_EQ(load.bot->retry.maxDelay, std::chrono::milliseconds(10min));
    EXPECT_TRUE(load.bot->connectors.isEmpty());
}

TEST(BotLoaderTest, ReadsEachTriggerKind)
{
    const QByteArray head = "name: t\nversion: 1\nowner_team: ict\nsteps: [{type: wait}]\n";
    {
        const BotLoad load = loadText(head + "trigger:\n  every: 15m\n  jitter: 30s\n");
        ASSERT_TRUE(load.bot.has_value()) << describeAll(load.diagnostics);
        EXPECT_EQ(load.bot->trigger->kind, TriggerDefinition::Kind::Interval);
        EXPECT_EQ(load.bot->trigger->every, std::chrono::milliseconds(15min));
        EXPECT_EQ(load.bot->trigger->jitter, std::chrono::milliseconds(30s));
        EXPECT_EQ(load.bot->trigger->misfire, QStringLiteral("skip"));
    }
    {
        const BotLoad load = loadText(head + "trigger:\n  watch:\n    folder: /srv/scans\n  timezone: Europe/Dublin\n");
        ASSERT_TRUE(load.bot.has_value()) << describeAll(load.diagnostics);
        const TriggerDefinition &trigger = *load.bot->trigger;
        EXPECT_EQ(trigger.kind, TriggerDefinition::Kind::Watch);
        EXPECT_EQ(trigger.timeZone, QStringLiteral("Europe/Dublin"));
        EXPECT_EQ(trigger.options.value(QStringLiteral("folder")).toString(), QStringLiteral("/srv/scans"));
        EXPECT_EQ(trigger.options.value(QStringLiteral("pattern")).toString(), QStringLiteral("*"));
        EXPECT_EQ(trigger.options.value(QStringLiteral("settle")).toString(), QStringLiteral("5s"));
        EXPECT_EQ(trigger.options.value(QStringLiteral("done_folder")).toString(), QStringLiteral("done"));
        EXPECT_EQ(trigger.options.value(QStringLiteral("failed_folder")).toString(), QStringLiteral("failed"));
        EXPECT_EQ(trigger.options.value(QStringLiteral("poll")).toString(), QStringLiteral("30s"));
    }
    {
        const BotLoad load = loadText(head + "trigger:\n  webhook:\n    token: ${env:FORM_TOKEN}\n");
        ASSERT_TRUE(load.bot.has_value()) << describeAll(load.diagnostics);
        EXPECT_EQ(load.bot->trigger->kind, TriggerDefinition::Kind::Webhook);
        EXPECT_EQ(load.bot->trigger->options.value(QStringLiteral("token")).toString(), QStringLiteral("${env:FORM_TOKEN}"));
    }
    {
        // jitter without every is a warning, not an error.
        const BotLoad load = loadText(head + "trigger:\n  cron: '@daily'\n  jitter: 1m\n");
        ASSERT_TRUE(load.bot.has_value()) << describeAll(load.diagnostics);
        ASSERT_EQ(load.diagnostics.size(), 1);
        EXPECT_EQ(load.diagnostics[0].severity, Diagnostic::Severity::Warning);
        EXPECT_EQ(load.diagnostics[0].toString(), QStringLiteral("test.yaml:7:3: warning: jitter only applies with 'every'; it is ignored here"));
    }
}

TEST(BotLoaderTest, ReportsUnknownKeyWithSuggestion)
{
    const BotLoad load = loadText("name: a\nversion: 1\nowner_teem: ict\nsteps: [{type: wait}]\n");
    EXPECT_FALSE(load.bot.has_value());
    ASSERT_EQ(load.diagnostics.size(), 2) << describeAll(load.diagnostics);
    EXPECT_EQ(load.diagnostics[0].toString(), QStringLiteral("test.yaml:1:1: error: missing required key 'owner_team'"));
    EXPECT_EQ(load.diagnostics[1].toString(),
              QStringLiteral("test.yaml:3:1: error: unknown key 'owner_teem'; did you mean 'owner_team'?"));
}

TEST(BotLoaderTest, ReportsEveryProblemNotJustTheFirst)
{
    const BotLoad load = loadText("name: Bad Name\nversion: [1]\nowner_team: ict\nmanual_minutes: -2\n"
                                  "retry:\n  max_attempts: 500\n  initial_delay: soon\n"
                                  "steps:\n  - type: require\n    params:\n      value: x\n      matches: '('\n"
                                  "  - type: nope\n");
    EXPECT_FALSE(load.bot.has_value());
    EXPECT_EQ(load.diagnostics.size(), 7) << describeAll(load.diagnostics);
    const QStringList all = messages(load.diagnostics);
    EXPECT_TRUE(all.join(QLatin1Char('\n')).contains(QStringLiteral("must be between 0 and 100, got 500")));
    EXPECT_TRUE(all.join(QLatin1Char('\n')).contains(QStringLiteral("must be at least 0, got -2")));
}

TEST(BotLoaderTest, ChecksParamsOfEachStepType)
{
    const QByteArray head = "name: t\nversion: 1\nowner_team: ict\n";
    {
        const BotLoad load = loadText(head + "steps:\n  - type: require\n");
        ASSERT_EQ(load.diagnostics.size(), 1) << describeAll(load.diagnostics);
        EXPECT_EQ(load.diagnostics[0].toString(),
                  QStringLiteral("test.yaml:5:5: error: missing required key 'params' (step type 'require' needs: value)"));
    }
    {
        const BotLoad load = loadText(head + "steps:\n  - type: require\n    params:\n      valeu: x\n");
        ASSERT_EQ(load.diagnostics.size(), 2) << describeAll(load.diagnostics);
        EXPECT_EQ(load.diagnostics[0].toString(),
                  QStringLiteral("test.yaml:7:7: error: unknown key 'valeu'; did you mean 'value'?"));
        EXPECT_EQ(load.diagnostics[1].toString(), QStringLiteral("test.yaml:7:7: error: missing required key 'value'"));
    }
    {
        const BotLoad load = loadText(head + "steps:\n  - type: fetch\n    params: {connector: mailbx, operation: x}\n");
        ASSERT_EQ(load.diagnostics.size(), 1) << describeAll(load.diagnostics);
        EXPECT_EQ(load.diagnostics[0].message, QStringLiteral("unknown connector 'mailbx'; did you mean 'mailbox'?"));
    }
    {
        // A template in a String param that allows them is checked too.
        const BotLoad load = loadText(head + "steps:\n  - type: wait\n    params: {note: '{{ later.x }}'}\n  - id: later\n    type: wait\n");
        ASSERT_EQ(load.diagnostics.size(), 1) << describeAll(load.diagnostics);
        EXPECT_EQ(load.diagnostics[0].message, QStringLiteral("template refers to step 'later', which runs later"));
    }
}

TEST(BotLoaderTest, ChecksTemplateReferences)
{
    const QByteArray head = "name: t\nversion: 1\nowner_team: ict\n";
    const struct {
        const char *steps;
        const char *message;  // empty: no error
    } cases[] = {
        {"  - type: set\n    params: {values: {a: '{{ input.anything }}'}}\n", ""},
        {"  - type: set\n    params: {values: {a: '{{ item.id }}{{ item.source }}{{ bot.name }}{{ bot.version }}'}}\n", ""},
        {"  - type: set\n    params: {values: {a: '{{ item.size }}'}}\n", "template refers to 'item.size', but item has: id, source"},
        {"  - type: set\n    params: {values: {a: '{{ bot.owner }}'}}\n", "template refers to 'bot.owner', but bot has: name, version"},
        {"  - type: set\n    params: {values: {a: '{{ foo.bar }}'}}\n", "template refers to unknown 'foo' (known: input, item, bot)"},
        {"  - id: s\n    type: set\n    params: {values: {a: '{{ s.a }}'}}\n",
         "template refers to step 's' itself; only earlier steps' outputs can be used"},
        {"  - id: one\n    type: set\n    params: {values: {a: x}}\n  - type: set\n    params: {values: {b: '{{ one.a }} {{ one }}'}}\n", ""},
        {"  - id: one\n    type: set\n    params: {values: {a: x}}\n  - type: set\n    params: {values: {b: '{{ oen.a }}'}}\n",
         "template refers to unknown 'oen'; did you mean 'one'? (known: input, item, bot, one)"},
        {"  - type: wait\n  - type: set\n    params: {values: {b: '{{ wait.x }}'}}\n", "template refers to 'wait.x', but step 'wait' produces no fields"},
        {"  - type: set\n    params: {values: {b: '{{ input.x'}}\n", "invalid template: unclosed '{{' at offset 0"},
        {"  - type: nope\n  - type: set\n    params: {values: {b: '{{ nope.x }}'}}\n",
         "unknown step type 'nope' (known types: set, require, wait, fetch)"},
    };
    for (const auto &c : cases) {
        const BotLoad load = loadText(head + "steps:\n" + c.steps);
        if (std::string(c.message).empty()) {
            EXPECT_TRUE(load.diagnostics.isEmpty()) << c.steps << describeAll(load.diagnostics);
        } else {
            ASSERT_EQ(load.diagnostics.size(), 1) << c.steps << describeAll(load.diagnostics);
            EXPECT_EQ(load.diagnostics[0].message.toStdString(), std::string(c.message));
        }
    }
    // Declared input fields restrict input references.
    const BotLoad declared = loadText(head + "input: {fields: [name]}\nsteps:\n  - type: set\n    params: {values: {a: '{{ input.nmae }}'}}\n");
    ASSERT_EQ(declared.diagnostics.size(), 1) << describeAll(declared.diagnostics);
    EXPECT_EQ(declared.diagnostics[0].message, QStringLiteral("template refers to 'input.nmae', but input.fields declares: name"));
}

// escalate: rules are read in order with their defaults; each problem is reported at its
// line and column: a rule that tests nothing, keywords without their text (and the other
// way round), hours without a team for outside them, a condition the engine would misread,
// and a template naming a step the bot does not have.
TEST(BotLoaderTest, ReadsAndChecksEscalateRules)
{
    const QByteArray head = "name: t\nversion: 1\nowner_team: ict\n"
                            "steps:\n  - id: kind\n    type: set\n    params: {values: {category: x}}\n";
    const BotLoad good = loadText(head + "escalate:\n"
                                         "  - label: Safeguarding\n"
                                         "    when: \"{{ kind.category }} == child\"\n"
                                         "    team: duty\n    sla: 1h\n    priority: 300\n"
                                         "    business_hours: Mon-Fri 08:30-17:00\n    out_of_hours_team: edt\n"
                                         "  - text: \"{{ input.description }}\"\n    keywords: [gas leak]\n");
    ASSERT_TRUE(good.bot.has_value()) << describeAll(good.diagnostics);
    ASSERT_EQ(good.bot->escalate.size(), 2);
    const EscalationRule &first = good.bot->escalate[0];
    EXPECT_EQ(first.label, QStringLiteral("Safeguarding"));
    EXPECT_EQ(first.team, QStringLiteral("duty"));
    EXPECT_EQ(first.sla, std::chrono::hours(1));
    EXPECT_EQ(first.priority, 300);
    EXPECT_EQ(first.outOfHoursTeam, QStringLiteral("edt"));
    EXPECT_EQ(first.position.line, 9);
    const EscalationRule &second = good.bot->escalate[1];
    EXPECT_EQ(second.label, QStringLiteral("Urgent"));
    EXPECT_EQ(second.priority, 100);
    EXPECT_EQ(second.keywords, QStringList{QStringLiteral("gas leak")});
    EXPECT_TRUE(second.team.isEmpty());

    const struct {
        const char *rules;
        const char *message;
    } cases[] = {
        {"  - team: duty\n", "test.yaml:9:5: error: an escalate rule needs when, keywords or both: without them every "
                             "item would be urgent (use exceptions.sla for that)"},
        {"  - keywords: [fire]\n", "test.yaml:9:5: error: keywords need text: the text they are looked for in, e.g. "
                                   "text: \"{{ input.description }}\""},
        {"  - when: \"{{ kind.category }}\"\n    text: \"{{ input.x }}\"\n",
         "test.yaml:10:5: error: text is only read for keywords: give keywords too"},
        {"  - when: \"{{ kind.category }}\"\n    business_hours: Mon-Fri 09:00-17:00\n",
         "test.yaml:10:5: error: business_hours needs out_of_hours_team: the team that gets the item outside them"},
        {"  - when: \"{{ kind.category }} = child\"\n",
         "test.yaml:9:11: error: when: a lone '=' is not a comparison: write == (equal) or != (not equal), e.g. "
         "\"{{ check.decision }} == matched\""},
        {"  - when: \"{{ knid.category }} == child\"\n",
         "test.yaml:9:11: error: template refers to unknown 'knid'; did you mean 'kind'? (known: input, item, bot, kind)"},
    };
    for (const auto &c : cases) {
        const BotLoad load = loadText(head + "escalate:\n" + c.rules);
        ASSERT_EQ(load.diagnostics.size(), 1) << c.rules << describeAll(load.diagnostics);
        EXPECT_EQ(load.diagnostics[0].toString().toStdString(), std::string(c.message)) << c.rules;
    }
}

TEST(BotLoaderTest, AConditionIsAComparisonOrASingleTemplate)
{
    const QByteArray head = "name: t\nversion: 1\nowner_team: ict\nsteps:\n"
                            "  - id: a\n    type: set\n    params: {values: {decision: x, urgent: y}}\n"
                            "  - id: b\n    type: set\n    params: {values: {c: z}}\n    when: ";
    const char *accepted[] = {
        "\"{{ a.decision }} == no_match\"",
        "\"{{ a.decision }} != matched\"",
        "\"{{ a.urgent }}\"",
        "\"  {{ a.urgent | lower }}  \"",
        "\"{{ a.decision }} == {{ a.urgent }}\"",
        "\"{{ a.decision }} == a=b\"",
    };
    for (const char *when : accepted) {
        const BotLoad load = loadText(head + when + "\n");
        EXPECT_TRUE(load.diagnostics.isEmpty()) << when << describeAll(load.diagnostics);
    }
    const struct {
        const char *when;
        const char *message;
    } refused[] = {
        {"\"{{ a.decision }} = no_match\"", "when: a lone '=' is not a comparison: write == (equal) or != (not equal)"},
        {"\"{{ a.decision }}==no_match\"", "when: write == or != with a space either side"},
        {"\"{{ a.decision }} !=matched\"", "when: write == or != with a space either side"},
        {"\"{{ a.decision }} == \"", "when: a comparison needs a value on each side of =="},
        {"\"decision is {{ a.decision }}\"", "when: a condition is a comparison"},
        {"\"{{ a.decision }} {{ a.urgent }}\"", "when: a condition is a comparison"},
        {"yes", "when: a condition is a comparison"},
    };
    for (const auto &c : refused) {
        const BotLoad load = loadText(head + c.when + "\n");
        ASSERT_EQ(load.diagnostics.size(), 1) << c.when << describeAll(load.diagnostics);
        EXPECT_TRUE(load.diagnostics[0].message.startsWith(QString::fromUtf8(c.message)))
            << c.when << ": " << load.diagnostics[0].message.toStdString();
        // Where the condition is: line 11 of the file, at its value.
        EXPECT_EQ(load.diagnostics[0].line, 11) << c.when;
        EXPECT_EQ(load.diagnostics[0].column, 11) << c.when;
        EXPECT_FALSE(load.bot.has_value()) << c.when;
    }
}

TEST(BotLoaderTest, ChecksValueTypesFromTheSpec)
{
    const QByteArray head = "name: t\nversion: 1\nowner_team: ict\nsteps: [{type: wait}]\n";
    const struct {
        const char *yaml;
        const char *message;
    } cases[] = {
        {"manual_minutes: abc\n", "expected a number, got 'abc'"},
        {"retry: {max_attempts: abc}\n", "expected a whole number, got 'abc'"},
        {"retry: {max_attempts: 2.5}\n", "expected a whole number, got '2.5'"},
        {"retry: 5\n", "expected a mapping, got '5'"},
        {"retry: [5]\n", "expected a mapping, got a list"},
        {"connectors: redmine\n", "expected a list, got 'redmine'"},
        {"thresholds: {match: high}\n", "expected a number from 0 to 1, got 'high'"},
        {"thresholds: {match: -0.1}\n", "threshold outside 0..1: -0.1"},
        {"exceptions: {sla: 8 hours}\n", "'8 hours' is not a duration; write a number with a unit: ms, s, m, h or d (e.g. 30s, 5m, 1h30m)"},
        {"exceptions: {team: Revenues}\n", "'Revenues' is not a valid name: use lower-case letters, digits, '-' and '_', starting with a letter"},
        {"trigger: {cron: '@daily', misfire: skp}\n", "unknown value 'skp'; did you mean 'skip'? (expected one of: skip, run_once)"},
        {"trigger: {cron: '@daily', timezone: Europe/Lodnon}\n", "unknown time zone 'Europe/Lodnon'; did you mean 'Europe/London'?"},
        {"trigger: {cron: '@daily', business_hours: weekdays}\n",
         "'weekdays' is not valid: business hours are days then times, such as 'Mon-Fri 08:00-18:00' or 'Mon,Wed 09:00-12:30'"},
        {"trigger: {cron: '@daily', business_hours: Mon-Fri 18:00-08:00}\n", "'Mon-Fri 18:00-08:00' ends before it starts"},
        {"trigger: {webhook: {token: abc123}}\n",
         "secrets must be references such as ${env:REDMINE_API_KEY} or ${file:/etc/clerk/redmine.key}, not written in the file"},
        {"trigger: {watch: {}}\n", "missing required key 'folder'"},
        {"trigger: {timezone: UTC}\n", "trigger needs one of cron, every, watch, webhook or mailbox (leave trigger out for a bot that is started by hand)"},
        {"description:\n", "missing value; expected text"},
        {"input: {fields: [ok, Not-OK]}\n", "'Not-OK' is not a valid name: use lower-case letters, digits, '-' and '_', starting with a letter"},
    };
    for (const auto &c : cases) {
        const BotLoad load = loadText(head + c.yaml);
        ASSERT_EQ(load.diagnostics.size(), 1) << c.yaml << describeAll(load.diagnostics);
        EXPECT_EQ(load.diagnostics[0].message.toStdString(), std::string(c.message)) << c.yaml;
        EXPECT_EQ(load.diagnostics[0].line, 5) << c.yaml;
        EXPECT_FALSE(load.bot.has_value());
    }
    // Mixed trigger business hours that are fine.
    for (const char *hours : {"Mon-Fri 08:00-18:00", "mon,wed,fri 09:00-17:30", "Sat 09:00-24:00", "Mon-Wed, Fri 07:30-12:00"}) {
        const BotLoad load = loadText(head + "trigger: {cron: '@daily', business_hours: '" + hours + "'}\n");
        EXPECT_TRUE(load.diagnostics.isEmpty()) << hours << describeAll(load.diagnostics);
    }
}

TEST(BotLoaderTest, RefusesADirectory)
{
    QTemporaryDir dir;
    ASSERT_TRUE(dir.isValid());
    const BotLoad load = loadBotFile(dir.path(), testCatalog(), {});
    ASSERT_EQ(load.diagnostics.size(), 1);
    EXPECT_EQ(load.diagnostics[0].toString(), dir.path() + QStringLiteral(": error: is a directory, not a bot file"));
    const ConnectorLoad connector = loadConnectorFile(dir.path(), clerk::bot::testing::connectorKinds());
    ASSERT_EQ(connector.diagnostics.size(), 1);
    EXPECT_EQ(connector.diagnostics[0].message, QStringLiteral("is a directory, not a connector file"));
}

TEST(BotLoaderTest, RefusesAMissingFile)
{
    const BotLoad load = loadBotFile(QStringLiteral("/nonexistent/clerk/bot.yaml"), testCatalog(), {});
    ASSERT_EQ(load.diagnostics.size(), 1);
    EXPECT_EQ(load.diagnostics[0].message, QStringLiteral("cannot read file: it does not exist"));
    EXPECT_EQ(load.diagnostics[0].line, 0);
}

TEST(BotLoaderTest, RefusesABinaryFile)
{
    QTemporaryDir dir;
    ASSERT_TRUE(dir.isValid());
    QByteArray binary("name: x\n");
    binary.append('\0');
    binary.append("\x01\x02\xff", 3);
    const BotLoad load = loadBotFile(writeFile(dir, "binary.yaml", binary), testCatalog(), {});
    ASSERT_EQ(load.diagnostics.size(), 1);
    EXPECT_EQ(load.diagnostics[0].message, QStringLiteral("not a text file: it holds NUL bytes"));
}

TEST(BotLoaderTest, RefusesInvalidUtf8)
{
    const BotLoad load = loadText("name: caf\xe9\nversion: 1\n");
    ASSERT_EQ(load.diagnostics.size(), 1);
    EXPECT_EQ(load.diagnostics[0].toString(), QStringLiteral("test.yaml: error: not a text file: it is not valid UTF-8"));
    EXPECT_FALSE(looksLikeConnector("kind: rest\nname: caf\xe9\n"));
}

TEST(BotLoaderTest, RefusesAFiftyMegabyteFileWithoutReadingIt)
{
    QTemporaryDir dir;
    ASSERT_TRUE(dir.isValid());
    const QString path = dir.filePath(QStringLiteral("huge.yaml"));
    QFile file(path);
    ASSERT_TRUE(file.open(QIODevice::WriteOnly));
    ASSERT_TRUE(file.resize(50LL * 1024 * 1024));  // sparse
    file.close();
    const BotLoad load = loadBotFile(path, testCatalog(), {});
    ASSERT_EQ(load.diagnostics.size(), 1);
    EXPECT_EQ(load.diagnostics[0].message, QStringLiteral("file is 50.0 MB; bot files are at most 1 MiB"));

    const BotLoad text = loadText(QByteArray(kMaxDefinitionFileBytes + 1, 'a'));
    ASSERT_EQ(text.diagnostics.size(), 1);
    EXPECT_EQ(text.diagnostics[0].message, QStringLiteral("file is 1.0 MB; bot files are at most 1 MiB"));
}

TEST(BotLoaderTest, SurvivesDeeplyNestedYaml)
{
    const QList<QByteArray> texts{QByteArray(100000, '['), QByteArray(100000, '{'),
                                  QByteArray("a: ") + QByteArray(3000, '[') + QByteArray(3000, ']'),
                                  QByteArray("a: ") + QByteArray(300, '[') + QByteArray(300, ']')};
    for (const QByteArray &text : texts) {
        const BotLoad load = loadText(text);
        EXPECT_FALSE(load.bot.has_value());
        ASSERT_FALSE(load.diagnostics.isEmpty());
        EXPECT_TRUE(hasErrors(load.diagnostics));
    }
    QByteArray blocks;
    for (int i = 0; i < 5000; ++i)
        blocks += QByteArray(i, ' ') + "k:\n";
    EXPECT_TRUE(hasErrors(loadText(blocks).diagnostics));
}

TEST(BotLoaderTest, SurvivesAliasExpansionBombs)
{
    QByteArray text = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
    char previous = 'a';
    for (char name = 'b'; name <= 'k'; ++name) {
        text += QByteArray(1, name) + ": &" + QByteArray(1, name) + " [";
        for (int i = 0; i < 10; ++i)
            text += QByteArray(i ? ", *" : "*") + QByteArray(1, previous);
        text += "]\n";
        previous = name;
    }
    const BotLoad load = loadText(text);
    ASSERT_FALSE(load.diagnostics.isEmpty());
    EXPECT_EQ(load.diagnostics[0].message, QStringLiteral("the document is too large once its aliases (*name) are expanded"));
}

TEST(BotLoaderTest, RefusesEmptyAndCommentOnlyFiles)
{
    EXPECT_EQ(loadText("").diagnostics.value(0).message, QStringLiteral("file is empty"));
    EXPECT_EQ(loadText(" \n\t\n").diagnostics.value(0).message, QStringLiteral("file is empty"));
    EXPECT_EQ(loadText("# nothing here\n").diagnostics.value(0).message, QStringLiteral("file holds no YAML content, only comments"));
}

TEST(BotLoaderTest, RefusesSeveralDocuments)
{
    const BotLoad load = loadText("name: a\n---\nname: b\n");
    ASSERT_EQ(load.diagnostics.size(), 1);
    EXPECT_EQ(load.diagnostics[0].toString(),
              QStringLiteral("test.yaml:2:1: error: the file holds more than one YAML document (separated by '---'); it must hold one"));
    // yaml-cpp 0.7's LoadAll loops forever on these; they must come back as errors.
    for (const char *text : {",", " ,", "&a ,", "!x ,", "a: 1\n,"}) {
        const BotLoad broken = loadText(text);
        ASSERT_FALSE(broken.diagnostics.isEmpty()) << text;
        EXPECT_TRUE(broken.diagnostics[0].message.startsWith(QStringLiteral("invalid YAML"))) << text;
    }
}

TEST(ConnectorLoaderTest, LoadsConnectorWithDefaults)
{
    const ConnectorLoad load = loadConnectorFile(dataPath("valid/redmine.yaml"), clerk::bot::testing::connectorKinds());
    ASSERT_TRUE(load.diagnostics.isEmpty()) << describeAll(load.diagnostics);
    ASSERT_TRUE(load.connector.has_value());
    const ConnectorDefinition &c = *load.connector;
    EXPECT_EQ(c.name, QStringLiteral("redmine"));
    EXPECT_EQ(c.kind, QStringLiteral("rest"));
    EXPECT_EQ(c.description, QStringLiteral("The council's Redmine for ICT requests."));
    EXPECT_FALSE(c.settings.contains(QStringLiteral("name")));
    EXPECT_FALSE(c.settings.contains(QStringLiteral("kind")));
    EXPECT_EQ(c.settings.value(QStringLiteral("base_url")).toString(), QStringLiteral("https://redmine.example.gov.uk/"));
    const QJsonObject auth = c.settings.value(QStringLiteral("auth")).toObject();
    EXPECT_EQ(auth.value(QStringLiteral("type")).toString(), QStringLiteral("api_key"));
    EXPECT_EQ(c.settings.value(QStringLiteral("tls")).toObject().value(QStringLiteral("verify")), QJsonValue(true));
    EXPECT_EQ(c.settings.value(QStringLiteral("timeouts")).toObject().value(QStringLiteral("connect")).toString(), QStringLiteral("5s"));
    EXPECT_EQ(c.settings.value(QStringLiteral("timeouts")).toObject().value(QStringLiteral("read")).toString(), QStringLiteral("30s"));
    EXPECT_EQ(c.settings.value(QStringLiteral("retry")).toObject().value(QStringLiteral("max_attempts")), QJsonValue(3));
    EXPECT_EQ(c.settings.value(QStringLiteral("rate_limit")).toObject().value(QStringLiteral("burst")), QJsonValue(5));
    const QJsonObject create = c.settings.value(QStringLiteral("operations")).toObject().value(QStringLiteral("create_issue")).toObject();
    EXPECT_EQ(create.value(QStringLiteral("method")).toString(), QStringLiteral("POST"));
    EXPECT_EQ(create.value(QStringLiteral("body")).toObject().value(QStringLiteral("issue")).toObject().value(QStringLiteral("project_id")), QJsonValue(7));
    EXPECT_EQ(c.position.line, 1);
}

TEST(ConnectorLoaderTest, ChecksAuthKeysForTheType)
{
    const QByteArray head = "name: c\nkind: rest\nbase_url: https://x/\n";
    const struct {
        const char *auth;
        const char *messages;
    } cases[] = {
        {"auth: {type: basic, username: u}\n", "auth type 'basic' needs 'password'"},
        {"auth: {type: bearer, token: '${env:T}', password: '${env:P}'}\n", "'password' does not apply to auth type 'bearer' (it uses: token)"},
        {"auth: {type: oauth2_client_credentials, token_url: https://t/, client_id: c, client_secret: '${file:/s}', scope: a}\n", ""},
        {"auth: {type: none}\n", ""},
        {"auth: {type: api_key, key: '${env:K}'}\n", "auth type 'api_key' needs 'header'"},
        {"auth: {type: basic, username: u, password: hunter2}\n",
         "secrets must be references such as ${env:REDMINE_API_KEY} or ${file:/etc/clerk/redmine.key}, not written in the file"},
        {"auth: {type: digest}\n", "unknown value 'digest' (expected one of: none, basic, bearer, api_key, oauth2_client_credentials, jwt_hs256)"},
        {"operations: {a: {method: GET, path: x, response: {id: issue/id}}}\n",
         "'issue/id' is not a JSON pointer: write /field/0/name, or an empty string for the whole response"},
        {"operations: {a: {method: get, path: x}}\n", "unknown value 'get'; did you mean 'GET'? (expected one of: GET, POST, PUT, PATCH, DELETE)"},
        {"operations: {a: {path: '{{ params.id'}}\n", "missing required key 'method'\ninvalid template: unclosed '{{' at offset 0"},
        {"rate_limit: {per_second: 0, burst: 0}\n", "per_second must be more than 0\nmust be at least 1, got 0"},
        {"tls: {verify: maybe}\n", "expected true or false, got 'maybe'"},
    };
    for (const auto &c : cases) {
        const ConnectorLoad load = loadConnectorText(head + c.auth, QStringLiteral("c.yaml"), clerk::bot::testing::connectorKinds());
        EXPECT_EQ(messages(load.diagnostics).join(QLatin1Char('\n')).toStdString(), std::string(c.messages)) << c.auth;
        EXPECT_EQ(load.connector.has_value(), std::string(c.messages).empty()) << c.auth;
    }
}

TEST(ConnectorLoaderTest, TellsConnectorsFromBots)
{
    EXPECT_TRUE(looksLikeConnector("name: redmine\nkind: rest\n"));
    EXPECT_FALSE(looksLikeConnector("name: bot\nkind: rest\nsteps: []\n"));
    EXPECT_FALSE(looksLikeConnector("name: bot\nsteps: []\n"));
    EXPECT_FALSE(looksLikeConnector("- kind\n"));
    EXPECT_FALSE(looksLikeConnector("kind: [\n"));
    EXPECT_FALSE(looksLikeConnector(""));
}
