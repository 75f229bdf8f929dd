// The learning loop end to end on a real store: letters go to a person until a model
// proves its threshold on their answers; then a challenger is trained, promoted, and the
// same engine decides the next letters alone with it, without a restart. Quality checks
// send a share of those to a person blind.
#include "engine_test_support.h"

#include "classify/example_set.h"
#include "classify/model_files.h"
#include "engine/engine.h"
#include "engine/learning_loop.h"
#include "engine/step_registry.h"

#include <QDir>
#include <QFile>

using namespace clerk;
using namespace std::chrono_literals;
using clerk::testing::loadBot;

namespace {

const QString kBot = QStringLiteral(
    "name: post\n"
    "version: 1\n"
    "owner_team: post-room\n"
    "steps:\n"
    "  - id: topic\n"
    "    type: classify\n"
    "    params:\n"
    "      text: \"{{ input.text }}\"\n"
    "      learning:\n"
    "        examples: train.csv\n"
    "        every: 40\n"
    "        target_precision: 0.9\n"
    "        confidence: 0.8\n"
    "%1"
    "      categories:\n"
    "        blue_badge: {label: Blue Badge, team: blue-badge}\n"
    "        school_admissions: {label: School admissions, team: admissions}\n"
    "        adult_social_care: {label: Adult social care referral}\n"
    "        highways: {label: Highways, team: highways}\n"
    "        complaint: {label: Complaint, team: complaints}\n");

class LearningLoopTest : public clerk::testing::EngineFixture {
protected:
    void SetUp() override
    {
        EngineFixture::SetUp();
        ASSERT_TRUE(QFile::copy(QStringLiteral(CLERK_TEST_DATA_DIR "/classify/train.csv"), path(QStringLiteral("train.csv"))));
        auto test = classify::loadExamples(QStringLiteral(CLERK_TEST_DATA_DIR "/classify/test.csv"));
        ASSERT_OK(test);
        m_letters = test->examples;
    }

    bot::BotDefinition bot(const QString &extra = {})
    {
        bot::BotDefinition definition = loadBot(kBot.arg(extra), m_registry.catalog());
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

    // Runs letter `i` (of the test letters, round and round) through the engine; a post
    // room answers any question with the letter's label. Returns whether a person was asked.
    bool post(engine::Engine &engine, const bot::BotDefinition &definition, int i, store::ExceptionItem *asked = nullptr)
    {
        const classify::LabelledText &letter = m_letters.at(i % m_letters.size());
        auto submitted = engine.submit(definition, QStringLiteral("letter-%1").arg(i), {{QStringLiteral("text"), letter.text}});
        EXPECT_OK(submitted);
        EXPECT_OK(engine.runUntilIdle());
        auto open = m_store->exceptions({});
        EXPECT_OK(open);
        if (!open || open->isEmpty())
            return false;
        const store::ExceptionItem question = open->first();
        if (asked)
            *asked = question;
        store::Decision answer;
        answer.actor = QStringLiteral("post-room");
        answer.choice = letter.category;
        auto checked = engine.checkAnswer(question, answer);
        EXPECT_OK(checked);
        EXPECT_OK(m_store->resolve(question.id, checked ? *checked : answer));
        EXPECT_OK(engine.runUntilIdle());
        return true;
    }

    engine::StepRegistry m_registry = engine::StepRegistry::builtIn();
    QList<classify::LabelledText> m_letters;
};

} // namespace

TEST_F(LearningLoopTest, AnswersTrainAModelThatIsPromotedAndUsedWithoutARestart)
{
    const bot::BotDefinition definition = bot();
    engine::Engine engine(*m_store, m_registry, options(), m_clock);
    ASSERT_OK(engine.addBot(definition));

    // No model yet: every letter goes to a person, who is told why.
    store::ExceptionItem first;
    ASSERT_TRUE(post(engine, definition, 0, &first));
    EXPECT_TRUE(first.reason.startsWith(QStringLiteral("learning:"))) << first.reason.toStdString();
    for (int i = 1; i < 30; ++i)
        ASSERT_TRUE(post(engine, definition, i));

    // Too few answers since the last model: nothing is trained.
    auto early = engine::learnOnce(*m_store, *m_store, *m_store, definition, QStringLiteral("topic"), QStringLiteral("test"));
    ASSERT_OK(early);
    EXPECT_FALSE(early->trained);
    EXPECT_EQ(early->newAnswers, 30);

    for (int i = 30; i < 100; ++i)
        ASSERT_TRUE(post(engine, definition, i));
    auto learned = engine::learnOnce(*m_store, *m_store, *m_store, definition, QStringLiteral("topic"), QStringLiteral("test"));
    ASSERT_OK(learned);
    ASSERT_TRUE(learned->trained);
    EXPECT_EQ(learned->answers, 100);
    EXPECT_TRUE(learned->promoted) << learned->reason.toStdString();
    auto latest = classify::latestModelPath(m_dir.path(), QStringLiteral("post"), QStringLiteral("topic"));
    ASSERT_OK(latest);
    EXPECT_EQ(*latest, learned->modelPath);

    // The promotion is an audit event.
    auto events = m_store->botEvents(QStringLiteral("post"), {QStringLiteral("model_promoted")}, QDateTime());
    ASSERT_OK(events);
    ASSERT_EQ(events->size(), 1);
    EXPECT_EQ(events->first().detail.value(QStringLiteral("model")).toString(), QFileInfo(learned->modelPath).fileName());

    // The same engine now decides letters alone.
    int alone = 0;
    for (int i = 100; i < 150; ++i)
        alone += post(engine, definition, i) ? 0 : 1;
    EXPECT_GT(alone, 25);
}

TEST_F(LearningLoopTest, AChallengerThatIsNoBetterIsKeptButNotPromoted)
{
    const bot::BotDefinition definition = bot();
    engine::Engine engine(*m_store, m_registry, options(), m_clock);
    ASSERT_OK(engine.addBot(definition));
    for (int i = 0; i < 100; ++i)
        post(engine, definition, i);
    auto first = engine::learnOnce(*m_store, *m_store, *m_store, definition, QStringLiteral("topic"), QStringLiteral("test"));
    ASSERT_OK(first);
    ASSERT_TRUE(first->promoted);
    // Nothing new since: forced, the challenger is judged on no new answers and refused.
    auto again = engine::learnOnce(*m_store, *m_store, *m_store, definition, QStringLiteral("topic"), QStringLiteral("test"), true);
    ASSERT_OK(again);
    EXPECT_TRUE(again->trained);
    EXPECT_FALSE(again->promoted);
    EXPECT_TRUE(QFile::exists(again->modelPath));
    auto latest = classify::latestModelPath(m_dir.path(), QStringLiteral("post"), QStringLiteral("topic"));
    ASSERT_OK(latest);
    EXPECT_EQ(*latest, first->modelPath);
    auto refused = m_store->botEvents(QStringLiteral("post"), {QStringLiteral("model_refused")}, QDateTime());
    ASSERT_OK(refused);
    EXPECT_EQ(refused->size(), 1);

    // A refused challenger is not retrained until `every` more answers arrive.
    for (int i = 100; i < 130; ++i)
        post(engine, definition, i);
    auto waiting = engine::learnOnce(*m_store, *m_store, *m_store, definition, QStringLiteral("topic"), QStringLiteral("test"));
    ASSERT_OK(waiting);
    EXPECT_FALSE(waiting->trained) << waiting->reason.toStdString();
}

TEST_F(LearningLoopTest, QualityChecksSendSureLettersToAPersonBlind)
{
    const bot::BotDefinition learner = bot();
    engine::Engine engine(*m_store, m_registry, options(), m_clock);
    ASSERT_OK(engine.addBot(learner));
    for (int i = 0; i < 100; ++i)
        post(engine, learner, i);
    auto learned = engine::learnOnce(*m_store, *m_store, *m_store, learner, QStringLiteral("topic"), QStringLiteral("test"));
    ASSERT_OK(learned);
    ASSERT_TRUE(learned->promoted);

    // Every sure decision is checked: the person sees every category, no ranking, and
    // the evidence keeps the bot's answer for the live precision figures.
    const bot::BotDefinition checked = bot(QStringLiteral("        qa_sample: 1\n"));
    ASSERT_OK(engine.addBot(checked));
    int checks = 0;
    for (int i = 100; i < 130; ++i) {
        store::ExceptionItem asked;
        if (!post(engine, checked, i, &asked) || !asked.evidence.value(QStringLiteral("quality_check")).toBool())
            continue;
        ++checks;
        EXPECT_EQ(asked.reason, QStringLiteral("quality check: a person decides the category"));
        EXPECT_TRUE(asked.evidence.value(QStringLiteral("blind")).toBool());
        EXPECT_FALSE(asked.evidence.contains(QStringLiteral("ranking")));
        EXPECT_EQ(asked.choices.size(), 5);
        EXPECT_FALSE(asked.evidence.value(QStringLiteral("suggestion")).toObject().value(QStringLiteral("choice")).toString().isEmpty());
    }
    EXPECT_GT(checks, 10);
}

TEST_F(LearningLoopTest, ALivePrecisionAlertWithdrawsTheThresholdUntilANewModelProvesOne)
{
    const bot::BotDefinition definition = bot();
    engine::Engine engine(*m_store, m_registry, options(), m_clock);
    ASSERT_OK(engine.addBot(definition));
    for (int i = 0; i < 100; ++i)
        post(engine, definition, i);
    auto learned = engine::learnOnce(*m_store, *m_store, *m_store, definition, QStringLiteral("topic"), QStringLiteral("test"));
    ASSERT_OK(learned);
    ASSERT_TRUE(learned->promoted);

    // An alert about another step, or about another rule, changes nothing.
    ASSERT_OK(m_store->recordBotEvent(QStringLiteral("post"), QStringLiteral("alert_fired"), QStringLiteral("alerts"),
                                      {{QStringLiteral("rule"), QStringLiteral("straight_through_below")},
                                       {QStringLiteral("step"), QStringLiteral("topic")}}));
    auto quiet = engine::learnOnce(*m_store, *m_store, *m_store, definition, QStringLiteral("topic"), QStringLiteral("test"));
    ASSERT_OK(quiet);
    EXPECT_FALSE(quiet->suspended);

    ASSERT_OK(m_store->recordBotEvent(QStringLiteral("post"), QStringLiteral("alert_fired"), QStringLiteral("alerts"),
                                      {{QStringLiteral("rule"), QStringLiteral("live_precision_below_target")},
                                       {QStringLiteral("step"), QStringLiteral("topic")}}));
    auto suspended = engine::learnOnce(*m_store, *m_store, *m_store, definition, QStringLiteral("topic"), QStringLiteral("test"));
    ASSERT_OK(suspended);
    EXPECT_TRUE(suspended->suspended);
    EXPECT_FALSE(suspended->trained);  // fewer than `every` new answers
    auto latest = classify::latestModelPath(m_dir.path(), QStringLiteral("post"), QStringLiteral("topic"));
    ASSERT_OK(latest);
    EXPECT_NE(*latest, learned->modelPath);

    // The same engine now asks a person about every letter, and says why.
    store::ExceptionItem asked;
    for (int i = 100; i < 110; ++i) {
        ASSERT_TRUE(post(engine, definition, i, &asked)) << i;
        EXPECT_TRUE(asked.reason.startsWith(QStringLiteral("learning: straight-through decisions are suspended")))
            << asked.reason.toStdString();
    }
    // Once is enough: the next round does not suspend again.
    auto again = engine::learnOnce(*m_store, *m_store, *m_store, definition, QStringLiteral("topic"), QStringLiteral("test"));
    ASSERT_OK(again);
    EXPECT_FALSE(again->suspended);
    auto events = m_store->botEvents(QStringLiteral("post"), {QStringLiteral("model_suspended")}, QDateTime());
    ASSERT_OK(events);
    EXPECT_EQ(events->size(), 1);
}
