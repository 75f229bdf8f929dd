#include "engine_test_support.h"

#include <QFile>
#include <QMutex>
#include <QTemporaryDir>
#include <QThread>

#include <atomic>
#include <stdexcept>
#include <thread>

using namespace clerk;
using namespace std::chrono_literals;
using clerk::testing::EngineFixture;
using clerk::testing::loadBot;

namespace {

// Side-effect counters of the test steps, per item id.
struct Counters {
    QMutex mutex;
    QHash<qint64, int> counts;    // "count" step runs
    QHash<qint64, int> flakyRuns; // "flaky" step runs
    void bump(QHash<qint64, int> &map, qint64 id)
    {
        QMutexLocker lock(&mutex);
        ++map[id];
    }
    int get(const QHash<qint64, int> &map, qint64 id)
    {
        QMutexLocker lock(&mutex);
        return map.value(id);
    }
    // Item ids start at 1 in every test's database: each test starts from zero.
    void reset()
    {
        QMutexLocker lock(&mutex);
        counts.clear();
        flakyRuns.clear();
    }
};
Counters g_counters;

class CountStep final : public engine::Step {
public:
    StepOutcome run(engine::StepContext &ctx) const override
    {
        g_counters.bump(g_counters.counts, ctx.item().id);
        return StepOutcome::continueWith({{QStringLiteral("n"), g_counters.get(g_counters.counts, ctx.item().id)}});
    }
};

// Fails with retry_later until it has run `succeed_on` times for an item.
class FlakyStep final : public engine::Step {
public:
    explicit FlakyStep(int succeedOn) : m_succeedOn(succeedOn) {}
    StepOutcome run(engine::StepContext &ctx) const override
    {
        g_counters.bump(g_counters.flakyRuns, ctx.item().id);
        if (g_counters.get(g_counters.flakyRuns, ctx.item().id) < m_succeedOn)
            return StepOutcome::retryLater(0ms, QStringLiteral("case system busy"));
        return StepOutcome::continueWith({{QStringLiteral("ok"), true}});
    }

private:
    int m_succeedOn;
};

// Takes 20 ms of real time, as a step that reads a page or calls a case system does.
class SlowStep final : public engine::Step {
public:
    StepOutcome run(engine::StepContext &) const override
    {
        std::this_thread::sleep_for(20ms);
        return StepOutcome::continueWith({});
    }
};

class ExplodingStep final : public engine::Step {
public:
    StepOutcome run(engine::StepContext &) const override { throw std::runtime_error("boom"); }
};

engine::StepRegistry testRegistry()
{
    engine::StepRegistry registry = engine::StepRegistry::builtIn();
    engine::StepType count;
    count.schema.name = QStringLiteral("count");
    count.schema.outputs = [](const QJsonObject &) { return QStringList{QStringLiteral("n")}; };
    count.create = [](const bot::BotDefinition &, const bot::StepDefinition &) -> Result<std::unique_ptr<engine::Step>> {
        return std::make_unique<CountStep>();
    };
    EXPECT_TRUE(registry.add(count).has_value());

    engine::StepType flaky;
    flaky.schema.name = QStringLiteral("flaky");
    flaky.schema.params = {bot::ParamSpec::of(QStringLiteral("succeed_on"), bot::ValueType::Integer,
                                              QStringLiteral("run number that succeeds"), true)};
    flaky.schema.outputs = [](const QJsonObject &) { return QStringList{QStringLiteral("ok")}; };
    flaky.create = [](const bot::BotDefinition &, const bot::StepDefinition &d) -> Result<std::unique_ptr<engine::Step>> {
        return std::make_unique<FlakyStep>(d.params.value(QStringLiteral("succeed_on")).toInt());
    };
    EXPECT_TRUE(registry.add(flaky).has_value());

    engine::StepType slow;
    slow.schema.name = QStringLiteral("slow");
    slow.schema.outputs = [](const QJsonObject &) { return QStringList{}; };
    slow.create = [](const bot::BotDefinition &, const bot::StepDefinition &) -> Result<std::unique_ptr<engine::Step>> {
        return std::make_unique<SlowStep>();
    };
    EXPECT_TRUE(registry.add(slow).has_value());

    engine::StepType explode;
    explode.schema.name = QStringLiteral("explode");
    explode.schema.outputs = [](const QJsonObject &) { return QStringList{}; };
    explode.create = [](const bot::BotDefinition &, const bot::StepDefinition &) -> Result<std::unique_ptr<engine::Step>> {
        return std::make_unique<ExplodingStep>();
    };
    EXPECT_TRUE(registry.add(explode).has_value());
    return registry;
}

const QString kHeader = QStringLiteral(
    "name: test-bot\n"
    "version: 1\n"
    "owner_team: post-room\n"
    "exceptions:\n"
    "  team: triage\n"
    "  sla: 4h\n");

class EngineTest : public EngineFixture {
protected:
    void SetUp() override
    {
        EngineFixture::SetUp();
        g_counters.reset();
    }

    engine::StepRegistry m_registry = testRegistry();

    bot::BotDefinition bot(const QString &rest) { return loadBot(kHeader + rest, m_registry.catalog()); }

    engine::EngineOptions options(const QString &worker = QStringLiteral("w1"))
    {
        engine::EngineOptions o;
        o.workerId = worker;
        o.leaseFor = 10s;
        return o;
    }

    qint64 submit(engine::Engine &engine, const bot::BotDefinition &definition, const QString &ref,
                  const QJsonObject &payload = {})
    {
        auto result = engine.submit(definition, ref, payload);
        EXPECT_TRUE(result.has_value()) << (result ? "" : result.error().toString().toStdString());
        return result ? result->id : 0;
    }

    WorkItem item(qint64 id)
    {
        auto found = m_store->item(id);
        EXPECT_TRUE(found.has_value());
        return found.value_or(WorkItem{});
    }
};

} // namespace

TEST_F(EngineTest, RunsEveryStepAndStoresEachStepsOutputs)
{
    const auto definition = bot(QStringLiteral(
        "steps:\n"
        "  - id: tag\n"
        "    type: set\n"
        "    params:\n"
        "      values:\n"
        "        topic: \"{{ input.topic | upper }}\"\n"
        "  - type: count\n"));
    engine::Engine engine(*m_store, m_registry, options(), m_clock);
    const qint64 id = submit(engine, definition, QStringLiteral("form-1"), {{QStringLiteral("topic"), QStringLiteral("blue badge")}});

    auto ran = engine.runUntilIdle();
    ASSERT_TRUE(ran.has_value());
    EXPECT_EQ(*ran, 1);
    const WorkItem done = item(id);
    EXPECT_EQ(done.state, ItemState::Done);
    EXPECT_EQ(done.stepCursor, 2);
    EXPECT_EQ(done.stepOutputs.value(QStringLiteral("tag")).toObject().value(QStringLiteral("topic")).toString(),
              QStringLiteral("BLUE BADGE"));
    EXPECT_EQ(done.stepOutputs.value(QStringLiteral("count")).toObject().value(QStringLiteral("n")).toInt(), 1);
}

TEST_F(EngineTest, AStepRunsOnlyWhenItsConditionHolds)
{
    const auto definition = bot(QStringLiteral(
        "steps:\n"
        "  - id: tag\n"
        "    type: set\n"
        "    params:\n"
        "      values:\n"
        "        decision: \"{{ input.decision }}\"\n"
        "  - id: when_matched\n"
        "    type: set\n"
        "    when: \"{{ tag.decision }} == Matched\"\n"
        "    params:\n"
        "      values: {ran: \"yes\"}\n"
        "  - id: unless_matched\n"
        "    type: set\n"
        "    when: \"{{ tag.decision }} != matched\"\n"
        "    params:\n"
        "      values: {ran: \"yes\"}\n"
        "  - id: if_urgent\n"
        "    type: set\n"
        "    when: \"{{ input.urgent }}\"\n"
        "    params:\n"
        "      values: {ran: \"yes\"}\n"));
    engine::Engine engine(*m_store, m_registry, options(), m_clock);
    const struct {
        const char *decision;
        QJsonValue urgent;
        bool matched;
        bool urgentRan;
    } cases[] = {
        {"matched", QJsonValue(true), true, true},
        {"no_match", QJsonValue(QStringLiteral("no")), false, false},
        {"MATCHED", QJsonValue(0), true, false},
        {"", QJsonValue(QStringLiteral("urgent")), false, true},
        {"no_match", QJsonValue(), false, false},
    };
    int n = 0;
    for (const auto &c : cases) {
        QJsonObject payload{{QStringLiteral("decision"), QLatin1String(c.decision)}};
        if (!c.urgent.isUndefined() && !c.urgent.isNull())
            payload.insert(QStringLiteral("urgent"), c.urgent);
        const qint64 id = submit(engine, definition, QStringLiteral("form-%1").arg(++n), payload);
        ASSERT_TRUE(engine.runUntilIdle().has_value());
        const WorkItem done = item(id);
        ASSERT_EQ(done.state, ItemState::Done) << c.decision;
        const auto ran = [&done](const char *step) {
            return done.stepOutputs.value(QLatin1String(step)).toObject().value(QStringLiteral("ran")).toString() ==
                   QLatin1String("yes");
        };
        const auto skipped = [&done](const char *step) {
            return done.stepOutputs.value(QLatin1String(step)).toObject().value(QStringLiteral("skipped")).toBool();
        };
        EXPECT_EQ(ran("when_matched"), c.matched) << c.decision;
        EXPECT_EQ(skipped("when_matched"), !c.matched) << c.decision;
        EXPECT_EQ(ran("unless_matched"), !c.matched) << c.decision;
        EXPECT_EQ(ran("if_urgent"), c.urgentRan) << c.decision;
    }
}

TEST_F(EngineTest, RetryResumesAtTheStepThatFailedWithoutRerunningEarlierSteps)
{
    const auto definition = bot(QStringLiteral(
        "retry:\n"
        "  max_attempts: 3\n"
        "  initial_delay: 10s\n"
        "steps:\n"
        "  - type: count\n"
        "  - type: flaky\n"
        "    params:\n"
        "      succeed_on: 2\n"));
    engine::Engine engine(*m_store, m_registry, options(), m_clock);
    const qint64 id = submit(engine, definition, QStringLiteral("retry-1"));

    ASSERT_TRUE(engine.runUntilIdle().has_value());
    WorkItem waiting = item(id);
    EXPECT_EQ(waiting.state, ItemState::Queued);
    EXPECT_EQ(waiting.attempts, 1);
    EXPECT_EQ(waiting.stepCursor, 1);
    EXPECT_TRUE(waiting.lastError.contains(QStringLiteral("case system busy")));
    // Backoff: not runnable before the delay (10s initial, jitter keeps it in 5..10s).
    EXPECT_GE(m_clock.now().msecsTo(waiting.notBefore), 5000);
    EXPECT_LE(m_clock.now().msecsTo(waiting.notBefore), 10000);
    auto early = engine.runUntilIdle();
    ASSERT_TRUE(early.has_value());
    EXPECT_EQ(*early, 0);

    m_clock.advance(11s);
    ASSERT_TRUE(engine.runUntilIdle().has_value());
    EXPECT_EQ(item(id).state, ItemState::Done);
    EXPECT_EQ(g_counters.get(g_counters.counts, id), 1) << "the step before the retry ran again";
    EXPECT_EQ(g_counters.get(g_counters.flakyRuns, id), 2);
}

TEST_F(EngineTest, FailsAndStaysVisibleWhenRetriesRunOut)
{
    const auto definition = bot(QStringLiteral(
        "retry:\n"
        "  max_attempts: 2\n"
        "  initial_delay: 1s\n"
        "  max_delay: 1s\n"
        "steps:\n"
        "  - type: flaky\n"
        "    params:\n"
        "      succeed_on: 100\n"));
    engine::Engine engine(*m_store, m_registry, options(), m_clock);
    const qint64 id = submit(engine, definition, QStringLiteral("hopeless"));
    for (int round = 0; round < 5; ++round) {
        ASSERT_TRUE(engine.runUntilIdle().has_value());
        m_clock.advance(2s);
    }
    const WorkItem failed = item(id);
    EXPECT_EQ(failed.state, ItemState::Failed);
    EXPECT_EQ(g_counters.get(g_counters.flakyRuns, id), 3) << "one run plus two retries";
    EXPECT_TRUE(failed.lastError.contains(QStringLiteral("gave up after 2 retries"))) << failed.lastError.toStdString();
    EXPECT_TRUE(failed.lastError.contains(QStringLiteral("case system busy")));
}

TEST(RetryDelayTest, GrowsExponentiallyWithJitterAndIsCapped)
{
    bot::RetryPolicy policy;
    policy.initialDelay = 2s;
    policy.maxDelay = 60s;
    for (int i = 0; i < 50; ++i) {
        const auto first = engine::retryDelay(policy, 0, 0ms);
        EXPECT_GE(first, 1s);
        EXPECT_LE(first, 2s);
        const auto third = engine::retryDelay(policy, 2, 0ms);
        EXPECT_GE(third, 4s);
        EXPECT_LE(third, 8s);
        const auto capped = engine::retryDelay(policy, 30, 0ms);
        EXPECT_GE(capped, 30s);
        EXPECT_LE(capped, 60s);
        EXPECT_EQ(engine::retryDelay(policy, 0, 5min), 5min) << "a step's own delay is a floor";
    }
}

TEST_F(EngineTest, UncertainStepHandsTheItemToTheTeamWithReasonAndSla)
{
    const auto definition = bot(QStringLiteral(
        "steps:\n"
        "  - id: postcode\n"
        "    type: require\n"
        "    params:\n"
        "      value: \"{{ input.postcode }}\"\n"
        "      field: postcode\n"
        "      matches: '[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}'\n"));
    engine::Engine engine(*m_store, m_registry, options(), m_clock);
    const qint64 id = submit(engine, definition, QStringLiteral("no-postcode"), {{QStringLiteral("postcode"), QStringLiteral("unknown")}});
    ASSERT_TRUE(engine.runUntilIdle().has_value());
    EXPECT_EQ(item(id).state, ItemState::WaitingForHuman);

    auto open = m_store->exceptions({});
    ASSERT_TRUE(open.has_value());
    ASSERT_EQ(open->size(), 1);
    const store::ExceptionItem &e = open->first();
    EXPECT_EQ(e.itemId, id);
    EXPECT_EQ(e.team, QStringLiteral("triage"));
    EXPECT_EQ(e.stepId, QStringLiteral("postcode"));
    EXPECT_EQ(e.reason, QStringLiteral("postcode is not in the expected form"));
    EXPECT_EQ(e.fields, QStringList{QStringLiteral("postcode")});
    EXPECT_EQ(e.evidence.value(QStringLiteral("value")).toString(), QStringLiteral("unknown"));
    EXPECT_EQ(e.slaDueAt, m_clock.now().addSecs(4 * 3600));
}

TEST_F(EngineTest, PersonsAnswerResumesTheItemAtTheNextStep)
{
    const auto definition = bot(QStringLiteral(
        "steps:\n"
        "  - id: postcode\n"
        "    type: require\n"
        "    params:\n"
        "      value: \"{{ input.postcode }}\"\n"
        "      field: postcode\n"
        "  - id: note\n"
        "    type: set\n"
        "    params:\n"
        "      values:\n"
        "        line: \"postcode {{ postcode.postcode }} confirmed by {{ postcode.decided_by }}\"\n"
        "  - type: count\n"));
    engine::Engine engine(*m_store, m_registry, options(), m_clock);
    const qint64 id = submit(engine, definition, QStringLiteral("form-2"));
    ASSERT_TRUE(engine.runUntilIdle().has_value());
    auto open = m_store->exceptions({});
    ASSERT_TRUE(open.has_value());
    ASSERT_EQ(open->size(), 1);

    store::Decision decision;
    decision.actor = QStringLiteral("alice");
    decision.fields = {{QStringLiteral("postcode"), QStringLiteral("LS1 4AP")}};
    auto resolved = m_store->resolve(open->first().id, decision);
    ASSERT_OK(resolved);
    EXPECT_EQ(item(id).state, ItemState::Queued);

    ASSERT_TRUE(engine.runUntilIdle().has_value());
    const WorkItem done = item(id);
    EXPECT_EQ(done.state, ItemState::Done);
    EXPECT_EQ(done.stepOutputs.value(QStringLiteral("note")).toObject().value(QStringLiteral("line")).toString(),
              QStringLiteral("postcode LS1 4AP confirmed by alice"));
    EXPECT_EQ(g_counters.get(g_counters.counts, id), 1);
}

TEST_F(EngineTest, AnUnreadableScanAsksForWhatTheLaterStepsNeedAndTheyTakeTheAnswer)
{
    // A blank page: nothing to read, so the category and the reference come from a person,
    // once, and the classify and extract steps go on as if they had decided.
    QTemporaryDir scans;
    ASSERT_TRUE(scans.isValid());
    // A white page as a binary PGM (Leptonica reads PNM), written without an image library.
    const QString scan = scans.filePath(QStringLiteral("letter.pgm"));
    QFile page(scan);
    ASSERT_TRUE(page.open(QIODevice::WriteOnly));
    page.write(QByteArrayLiteral("P5\n850 1100\n255\n"));
    page.write(QByteArray(850 * 1100, char(0xff)));
    page.close();
    const auto definition = bot(QStringLiteral(
        "steps:\n"
        "  - id: ocr\n    type: ocr\n    params:\n      file: \"{{ input.file }}\"\n"
        "  - id: topic\n    type: classify\n    params:\n      categories:\n"
        "        blue_badge: {label: Blue Badge, team: blue-badge, keywords: [blue badge]}\n"
        "        highways: {label: Highways, team: highways, keywords: [pothole]}\n"
        "  - id: refs\n    type: extract\n    params:\n      fields:\n"
        "        reference: {type: reference, pattern: '[A-Z]{2}-[0-9]{6}'}\n"
        "        postcode: {type: uk_postcode}\n"
        "  - type: count\n"));
    engine::EngineOptions o = options();
    o.intakeRoots = {scans.path()};
    engine::Engine engine(*m_store, m_registry, o, m_clock);
    const qint64 id = submit(engine, definition, QStringLiteral("letter-1"), {{QStringLiteral("file"), scan}});
    ASSERT_TRUE(engine.runUntilIdle().has_value());
    auto open = m_store->exceptions({});
    ASSERT_OK(open);
    ASSERT_EQ(open->size(), 1);
    const store::ExceptionItem &question = open->first();
    EXPECT_EQ(question.stepId, QStringLiteral("ocr"));
    EXPECT_TRUE(question.reason.startsWith(QStringLiteral("unreadable document: "))) << question.reason.toStdString();
    EXPECT_EQ(question.fields, (QStringList{QStringLiteral("category"), QStringLiteral("postcode"), QStringLiteral("reference")}));
    QStringList choices;
    for (const HumanChoice &choice : question.choices)
        choices.append(choice.value + QLatin1Char('=') + choice.label);
    EXPECT_EQ(choices, (QStringList{QStringLiteral("blue_badge=Blue Badge"), QStringLiteral("highways=Highways")}));

    store::Decision decision;
    decision.actor = QStringLiteral("alice");
    decision.choice = QStringLiteral("highways");
    decision.fields = {{QStringLiteral("reference"), QStringLiteral("HW-123456")}};
    ASSERT_OK(m_store->resolve(question.id, decision));
    ASSERT_TRUE(engine.runUntilIdle().has_value());

    const WorkItem done = item(id);
    EXPECT_EQ(done.state, ItemState::Done);
    const QJsonObject read = done.stepOutputs.value(QStringLiteral("ocr")).toObject();
    EXPECT_EQ(read.value(QStringLiteral("text")).toString(), QString());
    const QJsonObject topic = done.stepOutputs.value(QStringLiteral("topic")).toObject();
    EXPECT_EQ(topic.value(QStringLiteral("category")).toString(), QStringLiteral("highways"));
    EXPECT_EQ(topic.value(QStringLiteral("team")).toString(), QStringLiteral("highways"));
    EXPECT_EQ(topic.value(QStringLiteral("decided_by")).toString(), QStringLiteral("alice"));
    const QJsonObject refs = done.stepOutputs.value(QStringLiteral("refs")).toObject();
    EXPECT_EQ(refs.value(QStringLiteral("reference")).toString(), QStringLiteral("HW-123456"));
    EXPECT_EQ(refs.value(QStringLiteral("postcode")).toString(), QString());
    auto after = m_store->exceptions({});
    ASSERT_OK(after);
    EXPECT_TRUE(after->isEmpty()) << "nobody is asked again: " << after->first().stepId.toStdString();
    EXPECT_EQ(g_counters.get(g_counters.counts, id), 1);
}

TEST_F(EngineTest, AnAnswerPassesTheAskingStepsFiltersAndChecks)
{
    const auto definition = bot(QStringLiteral(
        "steps:\n"
        "  - id: postcode\n"
        "    type: require\n"
        "    params:\n"
        "      value: \"{{ input.postcode | upper | trim }}\"\n"
        "      field: postcode\n"
        "      matches: '[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}'\n"
        "  - id: route\n"
        "    type: route\n"
        "    params:\n"
        "      value: \"{{ input.topic }}\"\n"
        "      routes: {council tax: revenues, missed bin: waste}\n"
        "  - type: count\n"));
    engine::Engine engine(*m_store, m_registry, options(), m_clock);
    const qint64 id = submit(engine, definition, QStringLiteral("form-3"),
                             {{QStringLiteral("postcode"), QStringLiteral("not sure")}, {QStringLiteral("topic"), QStringLiteral("parking")}});
    ASSERT_TRUE(engine.runUntilIdle().has_value());
    auto open = m_store->exceptions({});
    ASSERT_TRUE(open.has_value());
    ASSERT_EQ(open->size(), 1);
    const store::ExceptionItem postcodeQuestion = open->first();

    const auto answer = [](const QString &field, const QString &value) {
        return store::Decision{.actor = QStringLiteral("alice"), .fields = {{field, value}}};
    };
    const struct {
        const char *typed;
        const char *recorded;  // empty: refused
    } postcodes[] = {
        {"LS10", ""},
        {"   ", ""},
        {"ls14 6hg", "LS14 6HG"},
        {"  ls1 4ap ", "LS1 4AP"},
    };
    for (const auto &c : postcodes) {
        auto checked = engine.checkAnswer(postcodeQuestion, answer(QStringLiteral("postcode"), QString::fromLatin1(c.typed)));
        if (std::string_view(c.recorded).empty()) {
            ASSERT_FALSE(checked.has_value()) << c.typed;
            EXPECT_EQ(checked.error().code(), ErrorCode::InvalidArgument) << c.typed;
        } else {
            ASSERT_TRUE(checked.has_value()) << c.typed << checked.error().toString().toStdString();
            EXPECT_EQ(checked->fields.value(QStringLiteral("postcode")).toString(), QString::fromLatin1(c.recorded));
        }
    }
    auto refused = engine.checkAnswer(postcodeQuestion, answer(QStringLiteral("postcode"), QStringLiteral("LS10")));
    EXPECT_TRUE(refused.error().message().contains(QStringLiteral("not in the expected form"))) << refused.error().message().toStdString();

    auto checked = engine.checkAnswer(postcodeQuestion, answer(QStringLiteral("postcode"), QStringLiteral("ls14 6hg")));
    ASSERT_TRUE(checked.has_value());
    ASSERT_TRUE(m_store->resolve(postcodeQuestion.id, *checked).has_value());
    ASSERT_TRUE(engine.runUntilIdle().has_value());
    EXPECT_EQ(item(id).stepOutputs.value(QStringLiteral("postcode")).toObject().value(QStringLiteral("postcode")).toString(),
              QStringLiteral("LS14 6HG"));

    // The route step's question: only the teams it routes to.
    open = m_store->exceptions({});
    ASSERT_TRUE(open.has_value());
    ASSERT_EQ(open->size(), 1);
    const store::ExceptionItem routeQuestion = open->first();
    EXPECT_EQ(routeQuestion.stepId, QStringLiteral("route"));
    auto unknownTeam = engine.checkAnswer(routeQuestion, answer(QStringLiteral("team"), QStringLiteral("parking")));
    ASSERT_FALSE(unknownTeam.has_value());
    EXPECT_EQ(unknownTeam.error().message(), QStringLiteral("\"parking\" is not a team this step routes to: revenues, waste"));
    auto known = engine.checkAnswer(routeQuestion, answer(QStringLiteral("team"), QStringLiteral(" Waste")));
    ASSERT_TRUE(known.has_value());
    EXPECT_EQ(known->fields.value(QStringLiteral("team")).toString(), QStringLiteral("waste"));
    // A choice is checked by the store against those offered, and passes here unchanged.
    auto picked = engine.checkAnswer(routeQuestion, store::Decision{.actor = QStringLiteral("alice"), .choice = QStringLiteral("waste")});
    ASSERT_TRUE(picked.has_value());
    EXPECT_EQ(picked->choice, QStringLiteral("waste"));
    EXPECT_TRUE(picked->fields.isEmpty());
}

TEST_F(EngineTest, AStepWithoutItsOwnAnswerCheckTakesTheAnswerAsGiven)
{
    const auto definition = bot(QStringLiteral(
        "steps:\n"
        "  - id: postcode\n"
        "    type: require\n"
        "    params:\n"
        "      value: \"{{ input.postcode }}\"\n"
        "      field: postcode\n"));
    engine::Engine engine(*m_store, m_registry, options(), m_clock);
    submit(engine, definition, QStringLiteral("form-4"));
    ASSERT_TRUE(engine.runUntilIdle().has_value());
    auto open = m_store->exceptions({});
    ASSERT_TRUE(open.has_value());
    ASSERT_EQ(open->size(), 1);
    // The base class's default, seen through a step type that adds nothing to it.
    const engine::StepType *count = m_registry.find(QStringLiteral("count"));
    ASSERT_NE(count, nullptr);
    auto step = count->create(definition, definition.steps.first());
    ASSERT_TRUE(step.has_value());
    const store::Decision given{.actor = QStringLiteral("bob"), .fields = {{QStringLiteral("anything"), QStringLiteral(" as typed ")}}};
    auto checked = (*step)->checkAnswer(open->first(), given);
    ASSERT_TRUE(checked.has_value());
    EXPECT_EQ(checked->fields, given.fields);

    // An exception whose step the bot does not have is a clear error, not a crash.
    store::ExceptionItem stray = open->first();
    stray.stepIndex = 5;
    EXPECT_FALSE(engine.checkAnswer(stray, given).has_value());
}

TEST_F(EngineTest, AStepThatThrowsFailsTheItemInsteadOfTheWorker)
{
    const auto definition = bot(QStringLiteral("steps:\n  - type: explode\n"));
    engine::Engine engine(*m_store, m_registry, options(), m_clock);
    const qint64 id = submit(engine, definition, QStringLiteral("boom"));
    ASSERT_TRUE(engine.runUntilIdle().has_value());
    const WorkItem failed = item(id);
    EXPECT_EQ(failed.state, ItemState::Failed);
    EXPECT_TRUE(failed.lastError.contains(QStringLiteral("internal error in step explode: boom"))) << failed.lastError.toStdString();
}

TEST_F(EngineTest, DryRunDescribesActionsWithoutTakingThem)
{
    const QString out = path(QStringLiteral("export.csv"));
    const auto definition = bot(QStringLiteral(
        "steps:\n"
        "  - id: export\n"
        "    type: append_line\n"
        "    params:\n"
        "      file: %1\n"
        "      line: \"{{ item.id }}\"\n").arg(out));
    engine::EngineOptions o = options();
    o.dryRun = true;
    engine::Engine engine(*m_store, m_registry, o, m_clock);
    const qint64 id = submit(engine, definition, QStringLiteral("dry"));
    ASSERT_TRUE(engine.runUntilIdle().has_value());
    EXPECT_FALSE(QFile::exists(out));
    const WorkItem done = item(id);
    EXPECT_EQ(done.state, ItemState::Done);
    EXPECT_EQ(done.stepOutputs.value(QStringLiteral("export")).toObject().value(QStringLiteral("dry_run")).toString(),
              QStringLiteral("append to %1: %2").arg(out).arg(id));
}

TEST_F(EngineTest, ItemOfACrashedWorkerIsTakenOverWhenItsLeaseExpires)
{
    const auto definition = bot(QStringLiteral("steps:\n  - type: count\n"));
    engine::Engine crashed(*m_store, m_registry, options(QStringLiteral("crashed")), m_clock);
    const qint64 id = submit(crashed, definition, QStringLiteral("orphan"));
    // The crashed worker leased the item and never finished it.
    auto leased = m_store->leaseNext(QStringLiteral("crashed"), 10s);
    ASSERT_TRUE(leased.has_value());
    ASSERT_TRUE(leased->has_value());

    engine::Engine rescuer(*m_store, m_registry, options(QStringLiteral("rescuer")), m_clock);
    auto before = rescuer.runUntilIdle();
    ASSERT_TRUE(before.has_value());
    EXPECT_EQ(*before, 0) << "a live lease must not be taken";
    m_clock.advance(11s);
    ASSERT_TRUE(rescuer.runUntilIdle().has_value());
    const WorkItem done = item(id);
    EXPECT_EQ(done.state, ItemState::Done);
    EXPECT_EQ(done.attempts, 1);
    EXPECT_EQ(g_counters.get(g_counters.counts, id), 1);

    // The crashed worker coming back cannot overwrite the rescuer's work.
    const auto late = m_store->completeStep(id, QStringLiteral("crashed"), 0, QStringLiteral("count"), {}, true);
    ASSERT_FALSE(late.has_value());
    EXPECT_EQ(late.error().code(), ErrorCode::Conflict);
}

TEST_F(EngineTest, AnItemThatKeepsKillingItsWorkerIsStoppedAfterTheRetryLimit)
{
    const auto definition = bot(QStringLiteral("retry:\n  max_attempts: 2\nsteps:\n  - type: count\n"));
    engine::Engine engine(*m_store, m_registry, options(), m_clock);
    const qint64 id = submit(engine, definition, QStringLiteral("poison"));
    for (int crash = 0; crash < 3; ++crash) {
        auto leased = m_store->leaseNext(QStringLiteral("dies-%1").arg(crash), 10s);
        ASSERT_TRUE(leased.has_value() && leased->has_value());
        m_clock.advance(11s);
    }
    ASSERT_TRUE(engine.runUntilIdle().has_value());
    const WorkItem failed = item(id);
    EXPECT_EQ(failed.state, ItemState::Failed);
    EXPECT_TRUE(failed.lastError.startsWith(QStringLiteral("gave up after 3 attempts"))) << failed.lastError.toStdString();
    EXPECT_EQ(g_counters.get(g_counters.counts, id), 0);
}

TEST_F(EngineTest, TwoWorkersOnOneDatabaseRunEveryItemExactlyOnce)
{
    const auto definition = bot(QStringLiteral("steps:\n  - type: count\n  - type: count\n    id: again\n"));
    QList<qint64> ids;
    {
        engine::Engine submitter(*m_store, m_registry, options(), m_clock);
        for (int i = 0; i < 200; ++i)
            ids.append(submit(submitter, definition, QStringLiteral("parallel-%1").arg(i)));
    }
    const QString db = path(QStringLiteral("work.db"));
    std::atomic<int> taken{0};
    auto work = [&](const QString &name) {
        auto store = store::openWorkStore(db, m_clock);
        ASSERT_TRUE(store.has_value());
        engine::Engine engine(**store, m_registry, options(name), m_clock);
        auto ran = engine.runUntilIdle();
        ASSERT_OK(ran);
        taken += *ran;
    };
    std::thread a(work, QStringLiteral("a"));
    std::thread b(work, QStringLiteral("b"));
    a.join();
    b.join();
    EXPECT_EQ(taken.load(), 200);
    for (qint64 id : ids) {
        EXPECT_EQ(item(id).state, ItemState::Done);
        EXPECT_EQ(g_counters.get(g_counters.counts, id), 2) << "item " << id;
    }
}

namespace {

// Checks, when the engine reports an item done, that the store already holds it as done.
class DoneMeansStored final : public engine::EngineObserver {
public:
    explicit DoneMeansStored(store::WorkStore &store) : m_store(store) {}
    void onItemStopped(const WorkItem &item, ItemState state, const QString &) override
    {
        if (state != ItemState::Done)
            return;
        ++reported;
        auto stored = m_store.item(item.id);
        if (!stored || stored->state != ItemState::Done)
            ++reportedBeforeStored;
    }
    int reported = 0;
    int reportedBeforeStored = 0;

private:
    store::WorkStore &m_store;
};

// Whether some item was leased before an earlier-leased item was done: the events of
// items taken one at a time never interleave.
bool leasesOverlap(store::WorkStore &store, const QList<qint64> &ids)
{
    QList<std::pair<qint64, qint64>> spans;  // leased event id, done event id
    for (qint64 id : ids) {
        auto events = store.events(id);
        if (!events)
            return false;
        qint64 leased = 0;
        qint64 done = 0;
        for (const store::Event &event : *events) {
            if (event.kind == QLatin1String("leased"))
                leased = event.id;
            if (event.kind == QLatin1String("done"))
                done = event.id;
        }
        spans.append({leased, done});
    }
    for (const auto &[leased, done] : spans) {
        for (const auto &[otherLeased, otherDone] : spans) {
            if (otherLeased > leased && otherLeased < done)
                return true;
        }
    }
    return false;
}

} // namespace

TEST_F(EngineTest, QuickItemsAreTakenAndFinishedInBatchesAndReportedDoneOnlyOnceStored)
{
    const auto definition = bot(QStringLiteral("steps:\n  - type: count\n"));
    engine::Engine engine(*m_store, m_registry, options(), m_clock);
    DoneMeansStored observer(*m_store);
    engine.setObserver(&observer);
    QList<qint64> ids;
    for (int i = 0; i < 60; ++i)
        ids.append(submit(engine, definition, QStringLiteral("quick-%1").arg(i)));

    auto ran = engine.runUntilIdle();
    ASSERT_OK(ran);
    EXPECT_EQ(*ran, 60);
    EXPECT_EQ(observer.reported, 60);
    EXPECT_EQ(observer.reportedBeforeStored, 0);
    for (qint64 id : ids) {
        EXPECT_EQ(item(id).state, ItemState::Done);
        EXPECT_EQ(g_counters.get(g_counters.counts, id), 1) << "item " << id;
    }
    EXPECT_TRUE(leasesOverlap(*m_store, ids)) << "quick items are leased several at a time";
}

TEST_F(EngineTest, SlowItemsAreTakenOneAtATime)
{
    const auto definition = bot(QStringLiteral("steps:\n  - type: slow\n"));
    engine::EngineOptions slowOptions = options();
    slowOptions.batchTime = 5ms;  // less than one item takes
    engine::Engine engine(*m_store, m_registry, slowOptions, m_clock);
    QList<qint64> ids;
    for (int i = 0; i < 6; ++i)
        ids.append(submit(engine, definition, QStringLiteral("slow-%1").arg(i)));

    auto ran = engine.runUntilIdle();
    ASSERT_OK(ran);
    EXPECT_EQ(*ran, 6);
    for (qint64 id : ids)
        EXPECT_EQ(item(id).state, ItemState::Done);
    EXPECT_FALSE(leasesOverlap(*m_store, ids)) << "a worker does not sit on items another could run";
}

TEST_F(EngineTest, ABatchThatRunsSlowHandsBackTheItemsItHasNotStarted)
{
    engine::EngineOptions quick = options();
    quick.leaseFor = 150ms;  // a batch may take 50 ms before it hands items back
    engine::Engine engine(*m_store, m_registry, quick, m_clock);
    // Quick items first, so the next batch is large.
    const auto counting = bot(QStringLiteral("steps:\n  - type: count\n"));
    for (int i = 0; i < 40; ++i)
        submit(engine, counting, QStringLiteral("quick-%1").arg(i));
    ASSERT_OK(engine.runUntilIdle());
    ASSERT_GE(engine.batchSize(), 8);

    // Then slow ones (20 ms each): the batch holds more than fit in its leases.
    auto slowBot = loadBot(QStringLiteral("name: slow-bot\nversion: 1\nowner_team: post-room\nsteps:\n  - type: slow\n"),
                           m_registry.catalog());
    QList<qint64> ids;
    for (int i = 0; i < 8; ++i)
        ids.append(submit(engine, slowBot, QStringLiteral("slow-%1").arg(i)));
    auto ran = engine.runUntilIdle();
    ASSERT_OK(ran);
    int released = 0;
    for (qint64 id : ids) {
        const WorkItem done = item(id);
        EXPECT_EQ(done.state, ItemState::Done);
        EXPECT_EQ(done.attempts, 0) << "a hand-back is not an attempt";
        for (const store::Event &event : m_store->events(id).value_or(QList<store::Event>{}))
            released += event.kind == QLatin1String("lease_released") ? 1 : 0;
    }
    EXPECT_GT(released, 0) << "items not started were handed back";
    EXPECT_GT(*ran, 8) << "handed-back items were leased again";
}
