// A match step's learning loop on a real store: forms go to a person, whose answers
// (through the step's own answer check, as `clerk queue resolve` sends them) train new
// weights once `every` answers and `min_answers` are there; a promoted version is what the
// same engine then decides with, and a version the bot file's fields outgrew is not the
// champion.
#include "engine_test_support.h"

#include "classify/model_files.h"
#include "engine/engine.h"
#include "engine/learning_loop.h"
#include "engine/match_learning_loop.h"
#include "engine/step_registry.h"
#include "match/match_learning.h"

#include <QFile>

using namespace clerk;
using namespace std::chrono_literals;
using clerk::testing::loadBot;

namespace {

// Exact comparisons with timid weights: a form agreeing with its person on all three
// fields is about 68% likely theirs, so a person is asked.
const QString kBot = QStringLiteral(
    "name: forms\n"
    "version: 1\n"
    "owner_team: front-door\n"
    "steps:\n"
    "  - id: person\n"
    "    type: match\n"
    "    params:\n"
    "      index: {path: people.csv, id_column: person_id}\n"
    "      fields:\n"
    "        forename: {value: \"{{ input.forename }}\", m: {exact: 0.5, different: 0.1}, u: {exact: 0.1, different: 0.6}}\n"
    "        surname: {value: \"{{ input.surname }}\", m: {exact: 0.5, different: 0.1}, u: {exact: 0.1, different: 0.6}}\n"
    "        dob: {value: \"{{ input.dob }}\", m: {exact: 0.5, different: 0.1}, u: {exact: 0.1, different: 0.6}}\n"
    "      blocking: [\"value(forename)\"]\n"
    "      prior: 0.01\n"
    "      thresholds: {upper: 0.98, lower: 0.5, margin: 0.1}\n"
    "      learning: {every: 10, min_answers: 20}\n");

QString forename(int i) { return QStringLiteral("name%1").arg(QChar(u'a' + i % 26)) + QChar(u'a' + i / 26 % 26); }
QString surname(int i) { return QStringLiteral("family%1").arg(QChar(u'a' + i % 26)) + QChar(u'a' + i / 26 % 26); }
QString dob(int i) { return QStringLiteral("19%1-0%2-1%3").arg(50 + i % 40).arg(1 + i % 9).arg(i % 10); }

class MatchLearningLoopTest : public clerk::testing::EngineFixture {
protected:
    void SetUp() override
    {
        EngineFixture::SetUp();
        QFile file(path(QStringLiteral("people.csv")));
        ASSERT_TRUE(file.open(QIODevice::WriteOnly));
        file.write("person_id,forename,surname,dob\n");
        for (int i = 0; i < 60; ++i) {
            file.write(QStringLiteral("p%1,%2,%3,%4\n").arg(i).arg(forename(i), surname(i), dob(i)).toUtf8());
            file.write(QStringLiteral("p%1a,%2,okafor,1999-12-31\n").arg(i).arg(forename(i)).toUtf8());
        }
    }

    bot::BotDefinition bot()
    {
        bot::BotDefinition definition = loadBot(kBot, m_registry.catalog());
        definition.baseDir = m_dir.path();
        return definition;
    }

    // Runs form `i` through the engine; a person answers with the true record, typed as
    // record_id. Returns the step's outputs.
    QJsonObject submit(engine::Engine &engine, const bot::BotDefinition &definition, int i)
    {
        EXPECT_OK(engine.submit(definition, QStringLiteral("form-%1").arg(i),
                                {{QStringLiteral("forename"), forename(i)},
                                 {QStringLiteral("surname"), surname(i)},
                                 {QStringLiteral("dob"), dob(i)}}));
        EXPECT_OK(engine.runUntilIdle());
        auto open = m_store->exceptions({});
        EXPECT_OK(open);
        if (open && !open->isEmpty()) {
            store::Decision answer;
            answer.actor = QStringLiteral("front-door");
            answer.fields.insert(QStringLiteral("record_id"), QStringLiteral("p%1").arg(i));
            auto checked = engine.checkAnswer(open->first(), answer);
            EXPECT_OK(checked);
            EXPECT_OK(m_store->resolve(open->first().id, checked ? *checked : answer));
            EXPECT_OK(engine.runUntilIdle());
        }
        auto items = m_store->items({.bot = QStringLiteral("forms"), .limit = 1000});
        EXPECT_OK(items);
        for (const WorkItem &item : items.value_or(QList<WorkItem>{})) {
            if (item.payload.value(QStringLiteral("forename")).toString() == forename(i))
                return item.stepOutputs.value(QStringLiteral("person")).toObject();
        }
        return {};
    }

    Result<engine::LearningOutcome> learn(const bot::BotDefinition &definition)
    {
        return engine::learnOnce(*m_store, *m_store, *m_store, definition, QStringLiteral("person"), QStringLiteral("test"));
    }

    engine::StepRegistry m_registry = engine::StepRegistry::builtIn();
};

} // namespace

TEST_F(MatchLearningLoopTest, AnswersTrainWeightsOnlyWhenEnoughArrivedAndThePromotedOnesDecide)
{
    const bot::BotDefinition definition = bot();
    engine::EngineOptions options;
    options.workerId = QStringLiteral("w1");
    options.leaseFor = 10s;
    engine::Engine engine(*m_store, m_registry, options, m_clock);
    ASSERT_OK(engine.addBot(definition));

    for (int i = 0; i < 15; ++i)
        EXPECT_EQ(submit(engine, definition, i).value(QStringLiteral("record_id")).toString(), QStringLiteral("p%1").arg(i));
    auto count = engine::answerCount(*m_store, *m_store, definition, definition.steps.first());
    ASSERT_OK(count);
    EXPECT_EQ(*count, 15);
    // `every` is reached, `min_answers` is not.
    auto early = learn(definition);
    ASSERT_OK(early);
    EXPECT_FALSE(early->trained);
    EXPECT_TRUE(early->reason.contains(QStringLiteral("starts at 20"))) << early->reason.toStdString();

    for (int i = 15; i < 30; ++i)
        submit(engine, definition, i);
    auto learned = learn(definition);
    ASSERT_OK(learned);
    ASSERT_TRUE(learned->trained) << learned->reason.toStdString();
    EXPECT_TRUE(learned->promoted) << learned->reason.toStdString();
    EXPECT_EQ(learned->answers, 30);
    EXPECT_EQ(learned->learned.value(QStringLiteral("pairs")).toInt(), 60);
    auto latest = classify::latestModelPath(m_dir.path(), QStringLiteral("forms"), QStringLiteral("person"));
    ASSERT_OK(latest);
    EXPECT_EQ(*latest, learned->modelPath);

    // Right after a challenger nothing is trained until `every` more answers arrive.
    auto again = learn(definition);
    ASSERT_OK(again);
    EXPECT_FALSE(again->trained);
    EXPECT_EQ(again->newAnswers, 0);

    // The same engine decides the next form alone.
    const QJsonObject next = submit(engine, definition, 40);
    EXPECT_EQ(next.value(QStringLiteral("decided_by")).toString(), QStringLiteral("bot"));
    EXPECT_EQ(next.value(QStringLiteral("record_id")).toString(), QStringLiteral("p40"));
}

TEST_F(MatchLearningLoopTest, AVersionLearntForOtherFieldsIsNotTheChampion)
{
    const bot::BotDefinition definition = bot();
    engine::EngineOptions options;
    options.workerId = QStringLiteral("w1");
    engine::Engine engine(*m_store, m_registry, options, m_clock);
    ASSERT_OK(engine.addBot(definition));
    for (int i = 0; i < 25; ++i)
        submit(engine, definition, i);
    // A version from before the fields changed, claiming to have seen every answer.
    const QString old = m_dir.filePath(QStringLiteral("forms.person.model.v1"));
    ASSERT_OK(match::saveLearnedModel(
        old, {match::MatchModel({match::defaultFieldModel(QStringLiteral("nhs"), match::ComparatorKind::NhsNumber)}, 0.01),
              {{QStringLiteral("answers_from_people"), 25}},
              {}}));
    ASSERT_OK(classify::writeLatestPointer(m_dir.path(), QStringLiteral("forms"), QStringLiteral("person"), old));
    auto learned = learn(definition);
    ASSERT_OK(learned);
    ASSERT_TRUE(learned->trained) << learned->reason.toStdString();
    // Judged against the bot file's weights, on every answer.
    EXPECT_EQ(learned->verdict.value(QStringLiteral("compared")).toInt(), 25);
    EXPECT_TRUE(learned->promoted) << learned->reason.toStdString();
    EXPECT_TRUE(learned->modelPath.endsWith(QStringLiteral("forms.person.model.v2")));
}
