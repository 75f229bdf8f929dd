// The classify step, run directly through a StepContext with a model trained on the
// generated council letters (tests/data/classify).
#include "engine_test_support.h"

#include "classify/classifier_model.h"
#include "classify/example_set.h"
#include "classify/model_files.h"
#include "engine/step_registry.h"

#include <QFile>
#include <QJsonArray>

using namespace clerk;
using clerk::testing::loadBot;

namespace {

const QString kCategories = QStringLiteral(
    "      categories:\n"
    "        blue_badge: {label: Blue Badge, team: blue-badge, keywords: [blue badge]}\n"
    "        school_admissions: {label: School admissions, team: admissions}\n"
    "        adult_social_care: {label: Adult social care referral}\n"
    "        highways: {label: Highways, team: highways}\n"
    "        complaint: {label: Complaint, team: complaints}\n");

class ClassifyStepTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        ASSERT_TRUE(m_dir.isValid());
        auto examples = classify::loadExamples(QStringLiteral(CLERK_TEST_DATA_DIR "/classify/train.csv"));
        ASSERT_TRUE(examples.has_value());
        auto model = classify::ClassifierModel::train(examples->examples);
        ASSERT_TRUE(model.has_value());
        ASSERT_TRUE(model->save(m_dir.filePath(QStringLiteral("letters.model"))).has_value());
    }

    // Loads a one-step bot whose folder is the temporary folder.
    Result<std::unique_ptr<engine::Step>> create(const QString &params, const QString &botExtra = {})
    {
        m_bot = loadBot(QStringLiteral("name: post\nversion: 1\nowner_team: post-room\n") + botExtra
                            + QStringLiteral("steps:\n  - id: topic\n    type: classify\n    team: post-room\n    params:\n"
                                             "      text: \"{{ input.text }}\"\n")
                            + params,
                        m_registry.catalog());
        m_bot.baseDir = m_dir.path();
        if (m_bot.steps.isEmpty())
            return fail(Error::internal(QStringLiteral("bot did not load")));
        return m_registry.find(QStringLiteral("classify"))->create(m_bot, m_bot.steps.first());
    }

    StepOutcome run(const engine::Step &step, const QString &text)
    {
        m_item.id = 1;
        m_item.payload = {{QStringLiteral("text"), text}};
        engine::StepContext ctx(
            m_item, m_bot, 0, false, [](const QString &) -> Result<bool> { return true; },
            [](const QString &) -> Status { return {}; });
        return step.run(ctx);
    }

    engine::StepRegistry m_registry = engine::StepRegistry::builtIn();
    QTemporaryDir m_dir;
    bot::BotDefinition m_bot;
    WorkItem m_item;
};

} // namespace

TEST_F(ClassifyStepTest, DecidesConfidentlyWithCategoryLabelTeamAndReasons)
{
    auto step = create(QStringLiteral("      model: letters.model\n      threshold: 0.6\n      top: 3\n") + kCategories);
    ASSERT_OK(step);
    const StepOutcome outcome =
        run(**step, QStringLiteral("Dear Council, there is a deep pothole in the road outside my house. Thank you."));
    ASSERT_EQ(outcome.kind(), StepOutcome::Kind::Continue) << outcome.humanRequest().reason.toStdString();
    const QJsonObject &out = outcome.outputs();
    EXPECT_EQ(out.value(QStringLiteral("category")).toString(), QStringLiteral("highways"));
    EXPECT_EQ(out.value(QStringLiteral("label")).toString(), QStringLiteral("Highways"));
    EXPECT_EQ(out.value(QStringLiteral("team")).toString(), QStringLiteral("highways"));
    EXPECT_EQ(out.value(QStringLiteral("decided_by")).toString(), QStringLiteral("model"));
    EXPECT_GE(out.value(QStringLiteral("confidence")).toDouble(), 0.6);
    EXPECT_LE(out.value(QStringLiteral("confidence")).toDouble(), 1.0);
    EXPECT_FALSE(out.value(QStringLiteral("reasons")).toArray().isEmpty());
    const QJsonArray ranking = out.value(QStringLiteral("ranking")).toArray();
    ASSERT_EQ(ranking.size(), 3);
    EXPECT_EQ(ranking[0].toObject().value(QStringLiteral("category")).toString(), QStringLiteral("highways"));
    EXPECT_GE(ranking[0].toObject().value(QStringLiteral("confidence")).toDouble(),
              ranking[1].toObject().value(QStringLiteral("confidence")).toDouble());
}

// A category marked always_person is never acted on alone: sure or not, the item goes to a
// person with the bot's ranking, and the reason says why. A near miss (the marked category
// second, above always_person_above) goes too; an unrelated letter does not.
TEST_F(ClassifyStepTest, AnAlwaysPersonCategoryGoesToAPersonHoweverSureTheBotIs)
{
    const QString categories = QStringLiteral(
        "      categories:\n"
        "        blue_badge: {label: Blue Badge, team: blue-badge, keywords: [blue badge]}\n"
        "        school_admissions: {label: School admissions, team: admissions}\n"
        "        adult_social_care: {label: Adult social care referral, always_person: true}\n"
        "        highways: {label: Highways, team: highways}\n"
        "        complaint: {label: Complaint, team: complaints}\n");
    auto step = create(QStringLiteral("      model: letters.model\n      threshold: 0.3\n      rule_mode: decide\n"
                                      "      always_person_above: 0.95\n")
                       + QString(categories).replace(QStringLiteral("always_person: true}"),
                                                     QStringLiteral("always_person: true, keywords: [carer]}")));
    ASSERT_OK(step);

    const StepOutcome care = run(**step, QStringLiteral("Dear Council, my elderly mother needs a carer at home."));
    ASSERT_EQ(care.kind(), StepOutcome::Kind::NeedsHuman);
    const HumanRequest &request = care.humanRequest();
    EXPECT_TRUE(request.reason.startsWith(QStringLiteral("always a person: Adult social care referral (confidence ")))
        << request.reason.toStdString();
    EXPECT_EQ(request.evidence.value(QStringLiteral("always_person")).toString(), QStringLiteral("adult_social_care"));
    ASSERT_FALSE(request.choices.isEmpty());
    EXPECT_EQ(request.choices.first().value, QStringLiteral("adult_social_care"));  // the bot's best first, shown
    EXPECT_FALSE(request.evidence.contains(QStringLiteral("blind")));

    // Sure of another category, and the marked one far below always_person_above: acted on.
    const StepOutcome road =
        run(**step, QStringLiteral("Dear Council, there is a deep pothole in the road outside my house. Thank you."));
    EXPECT_EQ(road.kind(), StepOutcome::Kind::Continue) << road.humanRequest().reason.toStdString();

    // The same letter with a bar of 0: any confidence in the marked category is a near miss.
    auto cautious = create(QStringLiteral("      model: letters.model\n      threshold: 0.3\n      always_person_above: 0\n")
                           + categories);
    ASSERT_OK(cautious);
    const StepOutcome nearMiss =
        run(**cautious, QStringLiteral("Dear Council, there is a deep pothole in the road outside my house. Thank you."));
    ASSERT_EQ(nearMiss.kind(), StepOutcome::Kind::NeedsHuman);
    EXPECT_EQ(nearMiss.humanRequest().evidence.value(QStringLiteral("always_person")).toString(),
              QStringLiteral("adult_social_care"));
}

TEST_F(ClassifyStepTest, AsksAPersonWithRankedChoicesBelowTheThreshold)
{
    // The bot's thresholds.classify applies when the step sets none.
    auto step = create(QStringLiteral("      model: letters.model\n") + kCategories,
                       QStringLiteral("thresholds:\n  classify: 0.999\n"));
    ASSERT_OK(step);
    const QString text = QStringLiteral("Hello, I have written before about this. My reference is 12. Secret Street.");
    const StepOutcome outcome = run(**step, text);
    ASSERT_EQ(outcome.kind(), StepOutcome::Kind::NeedsHuman);
    const HumanRequest &request = outcome.humanRequest();
    EXPECT_TRUE(request.reason.startsWith(QStringLiteral("not sure of the category (best: ")) && request.reason.endsWith(QStringLiteral("%)"))) << request.reason.toStdString();
    EXPECT_FALSE(request.reason.contains(QStringLiteral("Secret")));
    EXPECT_EQ(request.fields, QStringList{QStringLiteral("category")});
    EXPECT_EQ(request.team, QStringLiteral("post-room"));
    ASSERT_EQ(request.choices.size(), 5);  // top defaults to 5
    QStringList values;
    double previous = 2;
    for (const HumanChoice &choice : request.choices) {
        values.append(choice.value);
        const double confidence = choice.detail.value(QStringLiteral("confidence")).toDouble();
        EXPECT_LE(confidence, previous);
        previous = confidence;
        EXPECT_TRUE(choice.detail.value(QStringLiteral("reasons")).isArray());
    }
    values.sort();
    EXPECT_EQ(values, (QStringList{QStringLiteral("adult_social_care"), QStringLiteral("blue_badge"),
                                   QStringLiteral("complaint"), QStringLiteral("highways"),
                                   QStringLiteral("school_admissions")}));
    for (const HumanChoice &choice : request.choices) {
        if (choice.value == QLatin1String("adult_social_care")) {
            EXPECT_EQ(choice.label, QStringLiteral("Adult social care referral"));
        }
    }
    EXPECT_EQ(request.evidence.value(QStringLiteral("threshold")).toDouble(), 0.999);
    EXPECT_EQ(request.evidence.value(QStringLiteral("ranking")).toArray().size(), 5);
}

TEST_F(ClassifyStepTest, APersonIsOfferedEveryCategoryBestFirstWhateverTheTop)
{
    // `top` trims the ranking the step outputs, never what a person may pick.
    auto step = create(QStringLiteral("      model: letters.model\n      threshold: 0.999\n      top: 2\n") + kCategories);
    ASSERT_OK(step);
    const StepOutcome outcome = run(**step, QStringLiteral("There is a pothole in the road outside the school."));
    ASSERT_EQ(outcome.kind(), StepOutcome::Kind::NeedsHuman);
    const HumanRequest &request = outcome.humanRequest();
    ASSERT_EQ(request.choices.size(), 5);
    EXPECT_EQ(request.choices.first().value, request.evidence.value(QStringLiteral("best")).toString());
    EXPECT_EQ(request.evidence.value(QStringLiteral("ranking")).toArray().size(), 2);
}

TEST_F(ClassifyStepTest, ATypedCategoryMustBeOneOfTheBotsAndMeansTheSameAsPickingIt)
{
    auto step = create(QStringLiteral("      rule_mode: decide\n") + kCategories);
    ASSERT_OK(step);
    store::ExceptionItem question;
    question.fields = {QStringLiteral("category")};
    question.choices = {{QStringLiteral("highways"), QStringLiteral("Highways"), {}}};
    const auto typed = [](const QString &category) {
        return store::Decision{.actor = QStringLiteral("alice"), .fields = {{QStringLiteral("category"), category}}};
    };

    auto unknown = (*step)->checkAnswer(question, typed(QStringLiteral("parking")));
    ASSERT_FALSE(unknown.has_value());
    EXPECT_EQ(unknown.error().code(), ErrorCode::InvalidArgument);
    EXPECT_TRUE(unknown.error().message().startsWith(QStringLiteral("\"parking\" is not one of the bot's categories: ")))
        << unknown.error().message().toStdString();

    // Offered: the same as picking the choice.
    auto offered = (*step)->checkAnswer(question, typed(QStringLiteral("Highways")));
    ASSERT_TRUE(offered.has_value());
    EXPECT_EQ(offered->choice, QStringLiteral("highways"));
    EXPECT_TRUE(offered->fields.isEmpty());

    // Not offered but the bot's: its label and team come with it.
    auto other = (*step)->checkAnswer(question, typed(QStringLiteral(" blue_badge")));
    ASSERT_TRUE(other.has_value());
    EXPECT_EQ(other->fields.value(QStringLiteral("category")).toString(), QStringLiteral("blue_badge"));
    EXPECT_EQ(other->outputs.value(QStringLiteral("team")).toString(), QStringLiteral("blue-badge"));
    EXPECT_EQ(other->outputs.value(QStringLiteral("label")).toString(), QStringLiteral("Blue Badge"));

    store::Decision both = typed(QStringLiteral("complaint"));
    both.choice = QStringLiteral("highways");
    EXPECT_FALSE((*step)->checkAnswer(question, both).has_value());
}

TEST_F(ClassifyStepTest, UsesTheLatestTrainedModelByDefaultAndRulesWithout)
{
    auto rulesOnly = create(QStringLiteral("      rule_mode: decide\n") + kCategories);
    ASSERT_OK(rulesOnly);
    const StepOutcome byRule = run(**rulesOnly, QStringLiteral("Please renew my blue badge."));
    ASSERT_EQ(byRule.kind(), StepOutcome::Kind::Continue);
    EXPECT_EQ(byRule.outputs().value(QStringLiteral("decided_by")).toString(), QStringLiteral("rule"));
    EXPECT_EQ(byRule.outputs().value(QStringLiteral("confidence")).toDouble(), 0.99);
    EXPECT_EQ(run(**rulesOnly, QStringLiteral("My father needs help at home.")).kind(), StepOutcome::Kind::NeedsHuman);

    const QString versioned = classify::nextModelPath(m_dir.path(), QStringLiteral("post"), QStringLiteral("topic"));
    ASSERT_TRUE(QFile::copy(m_dir.filePath(QStringLiteral("letters.model")), versioned));
    ASSERT_TRUE(classify::writeLatestPointer(m_dir.path(), QStringLiteral("post"), QStringLiteral("topic"), versioned).has_value());
    auto withModel = create(QStringLiteral("      threshold: 0.5\n") + kCategories);
    ASSERT_OK(withModel);
    const StepOutcome byModel = run(**withModel, QStringLiteral("My father needs help with washing and dressing at home."));
    ASSERT_EQ(byModel.kind(), StepOutcome::Kind::Continue);
    EXPECT_EQ(byModel.outputs().value(QStringLiteral("category")).toString(), QStringLiteral("adult_social_care"));
    EXPECT_EQ(byModel.outputs().value(QStringLiteral("team")).toString(), QString());
}

TEST_F(ClassifyStepTest, MissingOrDamagedModelsAndUnknownCategoriesFailAtCreation)
{
    auto missing = create(QStringLiteral("      model: nowhere.model\n") + kCategories);
    ASSERT_FALSE(missing.has_value());
    EXPECT_TRUE(missing.error().toString().contains(QStringLiteral("step topic"))) << missing.error().toString().toStdString();
    EXPECT_TRUE(missing.error().toString().contains(QStringLiteral("nowhere.model")));

    QFile damaged(m_dir.filePath(QStringLiteral("damaged.model")));
    ASSERT_TRUE(damaged.open(QIODevice::WriteOnly));
    damaged.write("clerk-classifier\n{\"format_version\":1}\n");
    damaged.close();
    auto corrupt = create(QStringLiteral("      model: damaged.model\n") + kCategories);
    ASSERT_FALSE(corrupt.has_value());
    EXPECT_EQ(corrupt.error().code(), ErrorCode::Corrupt);
    EXPECT_TRUE(corrupt.error().message().contains(QStringLiteral("damaged"))) << corrupt.error().toString().toStdString();

    auto fewer = create(QStringLiteral("      model: letters.model\n      categories:\n        highways: {}\n        complaint: {}\n"));
    ASSERT_FALSE(fewer.has_value());
    EXPECT_TRUE(fewer.error().message().contains(QStringLiteral("categories the bot does not list")));
}
