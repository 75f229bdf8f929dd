// The bot's escalate rules: which work is urgent, for whom, how soon. Unit tests of the
// rules, then items run through the engine on a real SQLite store: a concern about a
// child goes to a person (always_person) as urgent, to the duty team with a 1h SLA, and
// is first in the queue ahead of older ordinary work.
#include "engine_test_support.h"

#include "engine/escalation.h"

using namespace clerk;
using namespace std::chrono_literals;
using clerk::testing::EngineFixture;
using clerk::testing::loadBot;

namespace {

const QString kReportsBot = QStringLiteral(
    "name: reports\n"
    "version: 1\n"
    "owner_team: customer-services\n"
    "trigger: {every: 5m, timezone: Europe/London}\n"
    "exceptions: {team: customer-services, sla: 8h}\n"
    "escalate:\n"
    "  - label: Safeguarding\n"
    "    when: \"{{ kind.category }} == child_safeguarding\"\n"
    "    team: children-duty\n"
    "    sla: 1h\n"
    "    priority: 200\n"
    "    business_hours: Mon-Fri 08:30-17:00\n"
    "    out_of_hours_team: emergency-duty\n"
    "  - label: Danger words\n"
    "    text: \"{{ input.text }}\"\n"
    "    keywords: [gas leak, collapsed]\n"
    "    sla: 2h\n"
    "steps:\n"
    "  - id: kind\n"
    "    type: classify\n"
    "    params:\n"
    "      text: \"{{ input.text }}\"\n"
    "      threshold: 0.9\n"
    "      rule_mode: decide\n"
    "      categories:\n"
    "        road_defect: {label: Road defect, team: highways, keywords: [pothole]}\n"
    "        child_safeguarding: {label: Concern about a child, team: children, always_person: true,\n"
    "                             keywords: [child left alone]}\n"
    "        other: {label: Something else}\n"
    "  - id: done\n"
    "    type: set\n"
    "    params:\n"
    "      values: {team: \"{{ kind.team }}\"}\n");

class EscalationTest : public EngineFixture {
protected:
    bot::BotDefinition reportsBot()
    {
        bot::BotDefinition definition = loadBot(kReportsBot, m_registry.catalog());
        definition.baseDir = m_dir.path();
        return definition;
    }

    engine::EngineOptions options()
    {
        engine::EngineOptions o;
        o.workerId = QStringLiteral("w1");
        o.leaseFor = 10s;
        return o;
    }

    qint64 run(engine::Engine &engine, const bot::BotDefinition &definition, const QString &text)
    {
        auto submitted = engine.submit(definition, QStringLiteral("report-%1").arg(++m_reports),
                                       {{QStringLiteral("text"), text}});
        EXPECT_TRUE(submitted.has_value());
        EXPECT_TRUE(engine.runUntilIdle().has_value());
        return submitted ? submitted->id : 0;
    }

    engine::StepRegistry m_registry = engine::StepRegistry::builtIn();
    int m_reports = 0;
};

} // namespace

TEST(EscalationKeywordsTest, FindsWholeWordsAndPhrasesIgnoringCase)
{
    const QStringList keywords{QStringLiteral("carer"), QStringLiteral("gas leak")};
    EXPECT_TRUE(engine::containsKeyword(QStringLiteral("My Carer did not come."), keywords));
    EXPECT_TRUE(engine::containsKeyword(QStringLiteral("a GAS\n  leak in the flats"), keywords));
    EXPECT_FALSE(engine::containsKeyword(QStringLiteral("careers advice"), keywords));
    EXPECT_FALSE(engine::containsKeyword(QStringLiteral("gas leaking"), keywords));
    EXPECT_FALSE(engine::containsKeyword(QStringLiteral("carer"), {QStringLiteral("  ")}));
}

TEST_F(EscalationTest, RulesSeeTheAskingStepsGuessAndPickTheTeamByTheHours)
{
    const bot::BotDefinition definition = reportsBot();
    ASSERT_EQ(definition.escalate.size(), 2);
    WorkItem item;
    item.payload = {{QStringLiteral("text"), QStringLiteral("A child left alone at number 4.")}};
    HumanRequest asked;
    asked.proposed = {{QStringLiteral("category"), QStringLiteral("child_safeguarding")}};
    // Monday 7 December 2026, 10:00 in London: the day team.
    const QDateTime weekday = QDateTime::fromString(QStringLiteral("2026-12-07T10:00:00Z"), Qt::ISODate);
    const engine::Escalation day = engine::escalationFor(definition, item, 0, asked, weekday);
    EXPECT_EQ(day.urgency, QStringLiteral("Safeguarding"));
    EXPECT_EQ(day.team, QStringLiteral("children-duty"));
    EXPECT_EQ(day.sla, 1h);
    EXPECT_EQ(day.priority, 200);
    // Saturday night: the out-of-hours team.
    const QDateTime night = QDateTime::fromString(QStringLiteral("2026-12-12T23:30:00Z"), Qt::ISODate);
    EXPECT_EQ(engine::escalationFor(definition, item, 0, asked, night).team, QStringLiteral("emergency-duty"));

    // A person's typed output wins over the guess; the keyword rule then applies on its own.
    asked.outputs = {{QStringLiteral("category"), QStringLiteral("other")}};
    EXPECT_TRUE(engine::escalationFor(definition, item, 0, asked, weekday).urgency.isEmpty());
    item.payload = {{QStringLiteral("text"), QStringLiteral("Smell of a gas leak on Mill Lane")}};
    const engine::Escalation words = engine::escalationFor(definition, item, 0, asked, weekday);
    EXPECT_EQ(words.urgency, QStringLiteral("Danger words"));
    EXPECT_TRUE(words.team.isEmpty());  // the step's or bot's team
    EXPECT_EQ(words.priority, 100);
    EXPECT_EQ(words.sla, 2h);
}

TEST_F(EscalationTest, AChildSafeguardingReportIsUrgentForThePersonAndFirstInTheQueue)
{
    m_clock.set(QDateTime::fromString(QStringLiteral("2026-12-07T10:00:00Z"), Qt::ISODate));
    engine::Engine engine(*m_store, m_registry, options(), m_clock);
    const bot::BotDefinition definition = reportsBot();

    const qint64 ordinary = run(engine, definition, QStringLiteral("Noise from the pub every night."));
    const qint64 pothole = run(engine, definition, QStringLiteral("A pothole on Mill Lane."));
    const qint64 child = run(engine, definition, QStringLiteral("A child left alone in the flat since Friday."));

    // The pothole went straight through; the concern about a child did not, however sure.
    EXPECT_EQ(m_store->item(pothole)->state, ItemState::Done);
    EXPECT_EQ(m_store->item(child)->state, ItemState::WaitingForHuman);

    auto queue = m_store->exceptions({});
    ASSERT_TRUE(queue.has_value());
    ASSERT_EQ(queue->size(), 2);
    const store::ExceptionItem &first = queue->first();
    EXPECT_EQ(first.itemId, child);
    EXPECT_EQ(first.urgency, QStringLiteral("Safeguarding"));
    EXPECT_EQ(first.priority, 200);
    EXPECT_EQ(first.team, QStringLiteral("children-duty"));
    EXPECT_EQ(first.createdAt.secsTo(first.slaDueAt), 3600);
    EXPECT_TRUE(first.reason.startsWith(QStringLiteral("always a person: Concern about a child")))
        << first.reason.toStdString();
    const store::ExceptionItem &second = queue->last();
    EXPECT_EQ(second.itemId, ordinary);
    EXPECT_TRUE(second.urgency.isEmpty());
    EXPECT_EQ(second.team, QStringLiteral("customer-services"));
    EXPECT_EQ(second.createdAt.secsTo(second.slaDueAt), 8 * 3600);
}
