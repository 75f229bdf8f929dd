// Alerts: the decisions on made-up figures, the `alerts` keys of a bot file as the loader
// reads and checks them, and the monitor on a real SQLite store with a real webhook on
// loopback: firing once, holding back within repeat_after, firing again after it, and
// sending again after the webhook failed without recording the firing twice.
#include "bot/bot_loader.h"
#include "report/alerts.h"
#include "core/binomial.h"
#include "rest/connector_kind.h"
#include "report_test_support.h"
#include "test_http_server.h"

#include <QJsonDocument>

#include <cmath>

#include <gtest/gtest.h>

using namespace clerk;
using namespace std::chrono_literals;
using clerk::report::testing::ReportStoreTest;

namespace {

bot::AlertRule rule(bot::AlertRule::Kind kind, double threshold, int minItems = 20,
                    std::chrono::milliseconds window = 24h)
{
    static const QStringList names{QStringLiteral("straight_through_below"),
                                   QStringLiteral("oldest_exception_over_sla"), QStringLiteral("failures_above")};
    return bot::AlertRule{.kind = kind, .name = names.at(int(kind)), .threshold = threshold, .window = window,
                          .minItems = minItems, .position = {}};
}

const QString kBot = QStringLiteral("contact-form");

// --- decisions -----------------------------------------------------------------------------

TEST(AlertJudgeTest, StraightThroughRateBelowThresholdFiresWithRoundedRate)
{
    const auto fired = report::judge(kBot, rule(bot::AlertRule::Kind::StraightThroughBelow, 0.8),
                                     {.done = 30, .straightThrough = 20});
    ASSERT_TRUE(fired.has_value());
    EXPECT_EQ(fired->rule, QStringLiteral("straight_through_below"));
    EXPECT_DOUBLE_EQ(fired->value, 0.667);
    EXPECT_DOUBLE_EQ(fired->threshold, 0.8);
    EXPECT_EQ(fired->message, QStringLiteral("contact-form: straight-through rate 0.667 over 1d is below 0.800"));
}

TEST(AlertJudgeTest, StraightThroughRateAtThresholdDoesNotFire)
{
    EXPECT_FALSE(report::judge(kBot, rule(bot::AlertRule::Kind::StraightThroughBelow, 0.8),
                               {.done = 25, .straightThrough = 20})
                     .has_value());
}

TEST(AlertJudgeTest, StraightThroughRateIsNotJudgedOnFewerThanMinItems)
{
    const auto rate = rule(bot::AlertRule::Kind::StraightThroughBelow, 0.8, 20);
    EXPECT_FALSE(report::judge(kBot, rate, {.done = 19, .straightThrough = 0}).has_value());
    EXPECT_TRUE(report::judge(kBot, rate, {.done = 20, .straightThrough = 0}).has_value());
    EXPECT_FALSE(report::judge(kBot, rule(bot::AlertRule::Kind::StraightThroughBelow, 0.8, 1), {}).has_value());
}

TEST(AlertJudgeTest, FailuresFireOnlyAboveThreshold)
{
    const auto failures = rule(bot::AlertRule::Kind::FailuresAbove, 5, 20, 1h);
    EXPECT_FALSE(report::judge(kBot, failures, {.failed = 5}).has_value());
    const auto fired = report::judge(kBot, failures, {.failed = 6});
    ASSERT_TRUE(fired.has_value());
    EXPECT_DOUBLE_EQ(fired->value, 6);
    EXPECT_DOUBLE_EQ(fired->threshold, 5);
    EXPECT_EQ(fired->message, QStringLiteral("contact-form: 6 items failed in the last 1h (more than 5)"));
}

TEST(AlertJudgeTest, LivePrecisionFiresWhenItsLowerBoundIsBelowTheTarget)
{
    // 0.9 at 0.9 needs 22 checks, all right.
    const report::LearningStep step{.bot = kBot, .stepId = QStringLiteral("classify"), .targetPrecision = 0.9,
                                    .confidence = 0.9, .qaSample = 0.05};
    EXPECT_FALSE(report::judgeLivePrecision(step, 40, 40).has_value());   // bound 0.1^(1/40) = 0.944
    EXPECT_FALSE(report::judgeLivePrecision(step, 22, 22).has_value());   // 0.9006
    EXPECT_FALSE(report::judgeLivePrecision(step, 21, 0).has_value());    // too few to say anything
    EXPECT_FALSE(report::judgeLivePrecision(step, 0, 0).has_value());
    const auto fired = report::judgeLivePrecision(step, 40, 30);
    ASSERT_TRUE(fired.has_value());
    EXPECT_EQ(fired->rule, report::kLivePrecisionRule);
    EXPECT_DOUBLE_EQ(fired->value, std::round(clopperPearsonLower(30, 40, 0.9) * 1000) / 1000);
    EXPECT_DOUBLE_EQ(fired->threshold, 0.9);
    EXPECT_EQ(fired->message,
              QStringLiteral("contact-form: step classify's quality checks found 30 of 40 right; their lower bound "
                             "%1 is below the target 0.900")
                  .arg(fired->value, 0, 'f', 3));
    EXPECT_TRUE(report::judgeLivePrecision(step, 22, 21).has_value());
}

TEST(AlertJudgeTest, OverdueExceptionFiresWithHoursPastSla)
{
    const auto sla = rule(bot::AlertRule::Kind::OldestExceptionOverSla, 0);
    EXPECT_FALSE(report::judge(kBot, sla, {}).has_value());
    EXPECT_FALSE(report::judge(kBot, sla, {.oldestOverdueBy = 0ms}).has_value());
    const auto fired = report::judge(kBot, sla, {.oldestOverdueBy = 90min});
    ASSERT_TRUE(fired.has_value());
    EXPECT_EQ(fired->rule, QStringLiteral("oldest_exception_over_sla"));
    EXPECT_DOUBLE_EQ(fired->value, 1.5);
    EXPECT_DOUBLE_EQ(fired->threshold, 0);
}

// --- the bot file's alerts keys -----------------------------------------------------------

bot::StepCatalog catalog()
{
    bot::StepTypeSchema noop;
    noop.name = QStringLiteral("noop");
    noop.summary = QStringLiteral("Does nothing.");
    noop.outputs = [](const QJsonObject &) { return QStringList{}; };
    return bot::StepCatalog({noop});
}

QByteArray connectorYaml(const QString &baseUrl)
{
    return QStringLiteral("name: ops-alerts\n"
                          "kind: rest\n"
                          "base_url: %1\n"
                          "retry:\n"
                          "  max_attempts: 0\n"
                          "operations:\n"
                          "  notify:\n"
                          "    method: POST\n"
                          "    path: hooks/clerk\n"
                          "    body:\n"
                          "      bot: \"{{ params.bot }}\"\n"
                          "      rule: \"{{ params.rule }}\"\n"
                          "      value: \"{{ params.value }}\"\n"
                          "      threshold: \"{{ params.threshold }}\"\n"
                          "      text: \"{{ params.message }}\"\n")
        .arg(baseUrl)
        .toUtf8();
}

QString botYaml(const QString &alerts)
{
    return QStringLiteral("name: contact-form\n"
                          "version: 1\n"
                          "owner_team: revenues\n"
                          "steps:\n"
                          "  - type: noop\n") +
           alerts;
}

bot::BotLoad load(const QString &alerts, const QString &baseUrl = QStringLiteral("http://127.0.0.1:9/"))
{
    const bot::ConnectorLoad connector = bot::loadConnectorText(connectorYaml(baseUrl), QStringLiteral("ops.yaml"),
                                                                 bot::ConnectorCatalog({rest::restConnectorKind()}));
    EXPECT_TRUE(connector.connector.has_value());
    return bot::loadBotText(botYaml(alerts).toUtf8(), QStringLiteral("bot.yaml"), catalog(),
                            {connector.connector.value_or(bot::ConnectorDefinition{})});
}

// The diagnostics as "line:column: message".
QStringList problems(const bot::BotLoad &loaded)
{
    QStringList found;
    for (const bot::Diagnostic &d : loaded.diagnostics)
        found.append(QStringLiteral("%1:%2: %3").arg(d.line).arg(d.column).arg(d.message));
    return found;
}

TEST(AlertsLoaderTest, LoadsRulesWithDefaults)
{
    const bot::BotLoad loaded = load(QStringLiteral("alerts:\n"
                                                    "  connector: ops-alerts\n"
                                                    "  operation: notify\n"
                                                    "  rules:\n"
                                                    "    - straight_through_below: 0.80\n"
                                                    "    - oldest_exception_over_sla: true\n"
                                                    "    - failures_above: 5\n"
                                                    "      window: 1h\n"));
    ASSERT_TRUE(loaded.bot.has_value()) << problems(loaded).join(QLatin1Char('\n')).toStdString();
    ASSERT_TRUE(loaded.bot->alerts.has_value());
    const bot::AlertDefinition &alerts = *loaded.bot->alerts;
    EXPECT_EQ(alerts.connector, QStringLiteral("ops-alerts"));
    EXPECT_EQ(alerts.operation, QStringLiteral("notify"));
    EXPECT_EQ(alerts.repeatAfter, 4h);
    ASSERT_EQ(alerts.rules.size(), 3);
    EXPECT_EQ(alerts.rules[0].kind, bot::AlertRule::Kind::StraightThroughBelow);
    EXPECT_EQ(alerts.rules[0].name, QStringLiteral("straight_through_below"));
    EXPECT_DOUBLE_EQ(alerts.rules[0].threshold, 0.8);
    EXPECT_EQ(alerts.rules[0].window, 24h);
    EXPECT_EQ(alerts.rules[0].minItems, 20);
    EXPECT_EQ(alerts.rules[0].position.line, 10);
    EXPECT_EQ(alerts.rules[1].kind, bot::AlertRule::Kind::OldestExceptionOverSla);
    EXPECT_EQ(alerts.rules[2].kind, bot::AlertRule::Kind::FailuresAbove);
    EXPECT_DOUBLE_EQ(alerts.rules[2].threshold, 5);
    EXPECT_EQ(alerts.rules[2].window, 1h);
    EXPECT_FALSE(load(QString()).bot->alerts.has_value());
}

TEST(AlertsLoaderTest, ReportsMistakesAtTheirPlace)
{
    struct Case {
        const char *name;
        QString alerts;
        QString expected;  // "line:column: message" (the bot's own lines are 1-5)
    };
    const QList<Case> cases{
        {"unknown connector",
         QStringLiteral("alerts:\n  connector: ops-alert\n  operation: notify\n  rules:\n    - failures_above: 1\n"),
         QStringLiteral("7:14: unknown connector 'ops-alert'; did you mean 'ops-alerts'?")},
        {"rate above 1",
         QStringLiteral("alerts:\n  connector: ops-alerts\n  operation: notify\n  rules:\n"
                        "    - straight_through_below: 1.5\n"),
         QStringLiteral("10:31:")},
        {"unknown operation",
         QStringLiteral("alerts:\n  connector: ops-alerts\n  operation: notfy\n  rules:\n    - failures_above: 1\n"),
         QStringLiteral("8:14: connector 'ops-alerts' has no operation 'notfy' (it has: notify)")},
        {"two kinds in one rule",
         QStringLiteral("alerts:\n  connector: ops-alerts\n  operation: notify\n  rules:\n"
                        "    - failures_above: 1\n      straight_through_below: 0.5\n"),
         QStringLiteral("10:7: an alert rule has one kind; this one has failures_above and straight_through_below")},
        {"no kind",
         QStringLiteral("alerts:\n  connector: ops-alerts\n  operation: notify\n  rules:\n    - window: 1h\n"),
         QStringLiteral("10:7: an alert rule needs one of straight_through_below, oldest_exception_over_sla or "
                        "failures_above")},
        {"min_items on a failure rule",
         QStringLiteral("alerts:\n  connector: ops-alerts\n  operation: notify\n  rules:\n"
                        "    - failures_above: 1\n      min_items: 3\n"),
         QStringLiteral("11:7: min_items applies only to straight_through_below")},
        {"window on the SLA rule",
         QStringLiteral("alerts:\n  connector: ops-alerts\n  operation: notify\n  rules:\n"
                        "    - oldest_exception_over_sla: true\n      window: 1h\n"),
         QStringLiteral("11:7: window does not apply to oldest_exception_over_sla")},
        {"the same kind twice",
         QStringLiteral("alerts:\n  connector: ops-alerts\n  operation: notify\n  rules:\n"
                        "    - failures_above: 1\n    - failures_above: 9\n      window: 1d\n"),
         QStringLiteral("11:7: a bot has one failures_above rule; this is the second")},
        {"no rules",
         QStringLiteral("alerts:\n  connector: ops-alerts\n  operation: notify\n"),
         QStringLiteral("7:3: missing required key 'rules'")},
        {"repeat_after too short",
         QStringLiteral("alerts:\n  connector: ops-alerts\n  operation: notify\n  repeat_after: 10s\n  rules:\n"
                        "    - failures_above: 1\n"),
         QStringLiteral("9:17: repeat_after must be at least 1m")},
    };
    for (const Case &c : cases) {
        SCOPED_TRACE(c.name);
        const bot::BotLoad loaded = load(c.alerts);
        EXPECT_FALSE(loaded.bot.has_value());
        const QStringList found = problems(loaded);
        ASSERT_FALSE(found.isEmpty());
        EXPECT_TRUE(found.first().startsWith(c.expected)) << found.join(QLatin1Char('\n')).toStdString();
    }
}

// --- the monitor on a real store and a real webhook ---------------------------------------

class AlertMonitorTest : public ReportStoreTest {
protected:
    void SetUp() override
    {
        ReportStoreTest::SetUp();
        m_server = std::make_unique<clerk::testing::TestHttpServer>([this](const clerk::testing::TestRequest &) {
            return clerk::testing::TestResponse::json(m_status.load(), "{}");
        });
        const bot::BotLoad loaded = load(QStringLiteral("alerts:\n"
                                                        "  connector: ops-alerts\n"
                                                        "  operation: notify\n"
                                                        "  repeat_after: 4h\n"
                                                        "  rules:\n"
                                                        "    - straight_through_below: 0.8\n"
                                                        "      window: 1d\n"
                                                        "      min_items: 4\n"),
                                         m_server->url());
        ASSERT_TRUE(loaded.bot.has_value()) << problems(loaded).join(QLatin1Char('\n')).toStdString();
        m_bot = *loaded.bot;
        ASSERT_NE(m_bot.connector(QStringLiteral("ops-alerts")), nullptr);
    }

    QList<store::Event> firedEvents()
    {
        auto events = m_store->botEvents(kBot, {QStringLiteral("alert_fired")}, {});
        EXPECT_TRUE(events.has_value());
        return events.value_or(QList<store::Event>{});
    }

    std::unique_ptr<clerk::testing::TestHttpServer> m_server;
    std::atomic<int> m_status{200};
    bot::BotDefinition m_bot;
};

double number(const QJsonValue &value)
{
    return value.isString() ? value.toString().toDouble() : value.toDouble();
}

TEST_F(AlertMonitorTest, FallingStraightThroughRateFiresOnceAndAgainAfterRepeatAfter)
{
    report::AlertMonitor monitor(*m_store, m_clock);
    for (int i = 0; i < 4; ++i)
        doneStraight(QStringLiteral("s%1").arg(i), kBot, 1min);
    auto round = monitor.check({m_bot});
    ASSERT_OK(round);
    EXPECT_TRUE(round->fired.isEmpty());
    EXPECT_TRUE(m_server->requests().isEmpty());

    // The rate falls to 4 of 10.
    for (int i = 0; i < 6; ++i)
        doneAfterPerson(QStringLiteral("p%1").arg(i), kBot);
    m_clock.advance(1min);
    round = monitor.check({m_bot});
    ASSERT_OK(round);
    ASSERT_EQ(round->fired.size(), 1);
    EXPECT_EQ(round->sent.size(), 1);
    EXPECT_TRUE(round->unsent.isEmpty());

    QList<store::Event> fired = firedEvents();
    ASSERT_EQ(fired.size(), 1);
    EXPECT_EQ(fired[0].bot, kBot);
    EXPECT_EQ(fired[0].itemId, 0);
    EXPECT_EQ(fired[0].detail.value(QStringLiteral("rule")).toString(), QStringLiteral("straight_through_below"));
    EXPECT_DOUBLE_EQ(fired[0].detail.value(QStringLiteral("value")).toDouble(), 0.4);
    EXPECT_DOUBLE_EQ(fired[0].detail.value(QStringLiteral("threshold")).toDouble(), 0.8);
    EXPECT_EQ(fired[0].detail.size(), 3);

    ASSERT_EQ(m_server->requests().size(), 1);
    const clerk::testing::TestRequest request = m_server->requests().first();
    EXPECT_EQ(request.method, QByteArray("POST"));
    EXPECT_EQ(request.path(), QByteArray("/hooks/clerk"));
    const QJsonObject body = QJsonDocument::fromJson(request.body).object();
    EXPECT_EQ(body.value(QStringLiteral("bot")).toString(), kBot);
    EXPECT_EQ(body.value(QStringLiteral("rule")).toString(), QStringLiteral("straight_through_below"));
    EXPECT_DOUBLE_EQ(number(body.value(QStringLiteral("value"))), 0.4);
    EXPECT_DOUBLE_EQ(number(body.value(QStringLiteral("threshold"))), 0.8);
    EXPECT_EQ(body.value(QStringLiteral("text")).toString(),
              QStringLiteral("contact-form: straight-through rate 0.400 over 1d is below 0.800"));
    EXPECT_FALSE(request.header("idempotency-key").isEmpty());

    // Still failing within repeat_after: nothing is sent or recorded.
    m_clock.advance(3h + 58min);
    round = monitor.check({m_bot});
    ASSERT_TRUE(round.has_value());
    EXPECT_TRUE(round->fired.isEmpty());
    EXPECT_TRUE(round->sent.isEmpty());
    EXPECT_EQ(m_server->requests().size(), 1);
    EXPECT_EQ(firedEvents().size(), 1);

    // Once repeat_after has passed since it fired, it fires again.
    m_clock.advance(2min);
    round = monitor.check({m_bot});
    ASSERT_TRUE(round.has_value());
    EXPECT_EQ(round->fired.size(), 1);
    EXPECT_EQ(m_server->requests().size(), 2);
    EXPECT_EQ(firedEvents().size(), 2);
    EXPECT_NE(m_server->requests().at(1).header("idempotency-key"), request.header("idempotency-key"));
}

TEST_F(AlertMonitorTest, WebhookFailureIsSentAgainAtTheNextCheckWithoutSecondEvent)
{
    report::AlertMonitor monitor(*m_store, m_clock);
    for (int i = 0; i < 4; ++i)
        doneAfterPerson(QStringLiteral("p%1").arg(i), kBot);
    m_status = 500;
    auto round = monitor.check({m_bot});
    ASSERT_OK(round);
    EXPECT_EQ(round->fired.size(), 1);
    EXPECT_TRUE(round->sent.isEmpty());
    ASSERT_EQ(round->unsent.size(), 1);
    EXPECT_EQ(m_server->requests().size(), 1);  // retry.max_attempts: 0 in the connector file
    EXPECT_EQ(firedEvents().size(), 1);

    m_status = 200;
    m_clock.advance(1min);
    round = monitor.check({m_bot});
    ASSERT_TRUE(round.has_value());
    EXPECT_TRUE(round->fired.isEmpty());
    ASSERT_EQ(round->sent.size(), 1);
    EXPECT_DOUBLE_EQ(round->sent[0].value, 0);
    ASSERT_EQ(m_server->requests().size(), 2);
    EXPECT_EQ(m_server->requests().at(1).header("idempotency-key"),
              m_server->requests().at(0).header("idempotency-key"));
    EXPECT_EQ(firedEvents().size(), 1);

    // Delivered: the next check sends nothing.
    m_clock.advance(1min);
    round = monitor.check({m_bot});
    ASSERT_TRUE(round.has_value());
    EXPECT_TRUE(round->sent.isEmpty());
    EXPECT_EQ(m_server->requests().size(), 2);
}

TEST_F(AlertMonitorTest, OverdueExceptionItemFires)
{
    bot::BotDefinition definition = m_bot;
    definition.alerts->rules = {rule(bot::AlertRule::Kind::OldestExceptionOverSla, 0)};
    report::AlertMonitor monitor(*m_store, m_clock);
    const qint64 id = start(QStringLiteral("late"), kBot);
    askPerson(id, QStringLiteral("post-room"), {}, m_clock.now().addSecs(3600));
    auto round = monitor.check({definition});
    ASSERT_OK(round);
    EXPECT_TRUE(round->fired.isEmpty());

    m_clock.advance(3h);
    round = monitor.check({definition});
    ASSERT_TRUE(round.has_value());
    ASSERT_EQ(round->fired.size(), 1);
    EXPECT_EQ(round->fired[0].rule, QStringLiteral("oldest_exception_over_sla"));
    EXPECT_DOUBLE_EQ(round->fired[0].value, 2.0);
    EXPECT_EQ(m_server->requests().size(), 1);
}

TEST_F(AlertMonitorTest, LowLivePrecisionFiresForAStepWithQualityChecks)
{
    // The bot's step "ask" learns with target 0.9 at 0.9 (22 checks at least); its
    // straight-through rule needs more done items than there are here.
    bot::BotDefinition definition = m_bot;
    definition.steps = report::testing::learningBot(kBot, 0.9).steps;
    definition.alerts->rules.first().minItems = 1000;
    report::AlertMonitor monitor(*m_store, m_clock);
    for (int i = 0; i < 25; ++i)
        doneAfterPerson(QStringLiteral("r%1").arg(i), kBot, QStringLiteral("a"), report::testing::qualityCheck(QStringLiteral("a")));
    // 25 of 25 right: the bound, 0.912, holds the target.
    auto round = monitor.check({definition});
    ASSERT_OK(round);
    EXPECT_TRUE(round->fired.isEmpty());

    // Ten wrong: 25 of 35.
    for (int i = 0; i < 10; ++i)
        doneAfterPerson(QStringLiteral("w%1").arg(i), kBot, QStringLiteral("b"), report::testing::qualityCheck(QStringLiteral("a")));
    round = monitor.check({definition});
    ASSERT_OK(round);
    ASSERT_EQ(round->fired.size(), 1);
    EXPECT_EQ(round->fired[0].rule, report::kLivePrecisionRule);
    EXPECT_EQ(round->sent.size(), 1);
    const QList<store::Event> fired = firedEvents();
    ASSERT_EQ(fired.size(), 1);
    EXPECT_EQ(fired[0].detail.value(QStringLiteral("rule")).toString(), report::kLivePrecisionRule);
    EXPECT_EQ(fired[0].detail.value(QStringLiteral("step")).toString(), QStringLiteral("ask"));
    EXPECT_EQ(fired[0].detail.value(QStringLiteral("checks")).toInt(), 35);
    EXPECT_EQ(fired[0].detail.value(QStringLiteral("right")).toInt(), 25);
    EXPECT_DOUBLE_EQ(fired[0].detail.value(QStringLiteral("value")).toDouble(),
                     std::round(clopperPearsonLower(25, 35, 0.9) * 1000) / 1000);
    EXPECT_DOUBLE_EQ(fired[0].detail.value(QStringLiteral("threshold")).toDouble(), 0.9);
    ASSERT_EQ(m_server->requests().size(), 1);
    EXPECT_EQ(QJsonDocument::fromJson(m_server->requests().first().body).object().value(QStringLiteral("rule")).toString(),
              report::kLivePrecisionRule);

    // Delivered: the next check neither fires again nor sends it again.
    m_clock.advance(1min);
    round = monitor.check({definition});
    ASSERT_OK(round);
    EXPECT_TRUE(round->fired.isEmpty());
    EXPECT_TRUE(round->sent.isEmpty());
    EXPECT_EQ(m_server->requests().size(), 1);

    // A new model put in use: only the checks answered since count, and there are none.
    m_clock.advance(1min);
    ASSERT_OK(m_store->recordBotEvent(kBot, QStringLiteral("model_promoted"), QStringLiteral("clerk"),
                                      {{QStringLiteral("step"), QStringLiteral("ask")}}));
    m_clock.advance(4h + 1min);
    round = monitor.check({definition});
    ASSERT_OK(round);
    EXPECT_TRUE(round->fired.isEmpty());
}

TEST_F(AlertMonitorTest, LowLivePrecisionIsRecordedForABotWithoutAlerts)
{
    bot::BotDefinition definition = report::testing::learningBot(kBot, 0.9);
    report::AlertMonitor monitor(*m_store, m_clock);
    for (int i = 0; i < 30; ++i) {
        doneAfterPerson(QStringLiteral("c%1").arg(i), kBot, i % 3 ? QStringLiteral("a") : QStringLiteral("b"),
                        report::testing::qualityCheck(QStringLiteral("a")));
    }
    auto round = monitor.check({definition});
    ASSERT_OK(round);
    ASSERT_EQ(round->fired.size(), 1);
    EXPECT_TRUE(round->sent.isEmpty());
    EXPECT_TRUE(round->unsent.isEmpty());
    EXPECT_TRUE(round->problems.isEmpty());
    EXPECT_EQ(firedEvents().size(), 1);
    // Held back for a day, without alerts' repeat_after.
    m_clock.advance(23h);
    round = monitor.check({definition});
    ASSERT_OK(round);
    EXPECT_TRUE(round->fired.isEmpty());
    m_clock.advance(1h);
    round = monitor.check({definition});
    ASSERT_OK(round);
    EXPECT_EQ(round->fired.size(), 1);

    // Without quality checks (qa_sample 0) the rule is not judged at all.
    EXPECT_TRUE(monitor.check({report::testing::learningBot(kBot, 0.9, 0.9, 0.0)})->fired.isEmpty());
}

TEST_F(AlertMonitorTest, UnknownConnectorIsReportedAndFiringKept)
{
    bot::BotDefinition definition = m_bot;
    definition.connectorDefinitions.clear();
    report::AlertMonitor monitor(*m_store, m_clock);
    for (int i = 0; i < 4; ++i)
        failed(QStringLiteral("f%1").arg(i), kBot);
    definition.alerts->rules = {rule(bot::AlertRule::Kind::FailuresAbove, 3, 20, 1h)};
    auto round = monitor.check({definition});
    ASSERT_TRUE(round.has_value());
    EXPECT_EQ(round->fired.size(), 1);
    EXPECT_EQ(round->unsent.size(), 1);
    ASSERT_EQ(round->problems.size(), 1);
    EXPECT_EQ(round->problems[0], QStringLiteral("contact-form: connector 'ops-alerts' is not known"));
    EXPECT_EQ(firedEvents().size(), 1);
}

} // namespace
