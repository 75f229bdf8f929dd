// How keyword and pattern rules and the model combine (category_classifier.h).
#include "classify_test_support.h"

#include "classify/category_classifier.h"

#include <QJsonArray>

using namespace clerk;
using namespace clerk::classify;
using clerk::testing::letters;

namespace {

QList<CategoryDefinition> councilCategories()
{
    return {
        {QStringLiteral("blue_badge"), QStringLiteral("Blue Badge"), QStringLiteral("blue-badge"),
         {QStringLiteral("blue badge"), QStringLiteral("disabled parking")}, {}},
        {QStringLiteral("highways"), QString(), QStringLiteral("highways"), {}, {QStringLiteral("\\bpot ?holes?\\b")}},
        {QStringLiteral("complaint"), QStringLiteral("Complaint"), QString(), {QStringLiteral("complaint")}, {}},
    };
}

std::shared_ptr<const ClassifierModel> lettersModel()
{
    static const std::shared_ptr<const ClassifierModel> model = [] {
        auto trained = ClassifierModel::train(letters(QStringLiteral("train.csv")));
        EXPECT_TRUE(trained.has_value());
        return std::make_shared<const ClassifierModel>(trained ? *trained : ClassifierModel());
    }();
    return model;
}

QList<CategoryDefinition> allLetterCategories()
{
    QList<CategoryDefinition> categories = councilCategories();
    categories.append({QStringLiteral("school_admissions"), {}, {}, {}, {}});
    categories.append({QStringLiteral("adult_social_care"), {}, {}, {}, {}});
    return categories;
}

} // namespace

TEST(CategoryClassifierTest, RulesDecideWhenOneCategoryIsHit)
{
    auto classifier = CategoryClassifier::create(councilCategories(), nullptr, {RuleMode::Decide, 0.97});
    ASSERT_TRUE(classifier.has_value());
    const CategoryDecision decision = classifier->classify(QStringLiteral("Please renew my Blue-Badge, it expires soon."));
    EXPECT_EQ(decision.category, QStringLiteral("blue_badge"));
    EXPECT_DOUBLE_EQ(decision.confidence, 0.97);
    EXPECT_TRUE(decision.decidedByRule);
    EXPECT_EQ(decision.reasons, QStringList{QStringLiteral("keyword: blue badge")});
    ASSERT_EQ(decision.ranking.size(), 3);
    EXPECT_DOUBLE_EQ(decision.ranking[1].confidence, 0.0);
    EXPECT_EQ(classifier->category(QStringLiteral("highways"))->label, QStringLiteral("highways"));  // label defaults to name
}

TEST(CategoryClassifierTest, KeywordsMatchWholeWordsAndPatternsIgnoreCase)
{
    auto classifier = CategoryClassifier::create(councilCategories(), nullptr, {RuleMode::Decide, 0.99});
    ASSERT_TRUE(classifier.has_value());
    const struct {
        const char *text;
        const char *category;  // "" : no rule hit
    } cases[] = {
        {"I saw a blue badger in the park", ""},
        {"BLUE   badge please", "blue_badge"},
        {"There are POTHOLES everywhere", "highways"},
        {"a pot hole on Elm Road", "highways"},
        {"The potholder is broken", ""},
        {"I want to make a complaint", "complaint"},
    };
    for (const auto &c : cases) {
        const CategoryDecision decision = classifier->classify(QString::fromUtf8(c.text));
        if (*c.category) {
            EXPECT_EQ(decision.category, QString::fromUtf8(c.category)) << c.text;
            EXPECT_TRUE(decision.decidedByRule) << c.text;
        } else {
            EXPECT_FALSE(decision.decidedByRule) << c.text;
            EXPECT_DOUBLE_EQ(decision.confidence, 0.0) << c.text;
        }
    }
}

TEST(CategoryClassifierTest, EvidenceHalvesTheRemainingDoubtPerHit)
{
    auto classifier = CategoryClassifier::create(councilCategories(), nullptr, {RuleMode::Evidence, 0.99});
    ASSERT_TRUE(classifier.has_value());
    const CategoryDecision one = classifier->classify(QStringLiteral("my blue badge"));
    EXPECT_EQ(one.category, QStringLiteral("blue_badge"));
    EXPECT_DOUBLE_EQ(one.confidence, 0.5);
    EXPECT_FALSE(one.decidedByRule);
    const CategoryDecision two = classifier->classify(QStringLiteral("blue badge and disabled parking"));
    EXPECT_DOUBLE_EQ(two.confidence, 0.75);
    EXPECT_EQ(two.reasons.size(), 2);
}

TEST(CategoryClassifierTest, HitsInSeveralCategoriesAreOnlyEvidenceEvenInDecideMode)
{
    auto classifier = CategoryClassifier::create(councilCategories(), nullptr, {RuleMode::Decide, 0.99});
    ASSERT_TRUE(classifier.has_value());
    const CategoryDecision decision =
        classifier->classify(QStringLiteral("A complaint: my blue badge was rejected and disabled parking refused"));
    EXPECT_FALSE(decision.decidedByRule);
    EXPECT_EQ(decision.category, QStringLiteral("blue_badge"));  // two hits beat one
    EXPECT_DOUBLE_EQ(decision.confidence, 0.75);
    EXPECT_DOUBLE_EQ(decision.ranking[1].confidence, 0.5);
}

TEST(CategoryClassifierTest, RulesAddEvidenceToTheModel)
{
    auto plain = CategoryClassifier::create(allLetterCategories(), lettersModel());
    ASSERT_TRUE(plain.has_value());
    const QString text = QStringLiteral("Hello, I have written before about this. Thank you for your help.");
    const CategoryDecision before = plain->classify(text);
    double complaintBefore = 0;
    for (const RankedCategory &r : before.ranking) {
        if (r.category == QLatin1String("complaint"))
            complaintBefore = r.confidence;
    }
    const CategoryDecision after = plain->classify(text + QStringLiteral(" This is a complaint."));
    double complaintAfter = 0;
    for (const RankedCategory &r : after.ranking) {
        if (r.category == QLatin1String("complaint")) {
            complaintAfter = r.confidence;
            EXPECT_TRUE(r.reasons.contains(QStringLiteral("keyword: complaint")));
        }
    }
    EXPECT_GT(complaintAfter, complaintBefore);
    EXPECT_GE(complaintAfter, 0.5);
}

TEST(CategoryClassifierTest, ModelReasonsFollowTheRuleReasons)
{
    auto classifier = CategoryClassifier::create(allLetterCategories(), lettersModel());
    ASSERT_TRUE(classifier.has_value());
    const CategoryDecision decision =
        classifier->classify(QStringLiteral("There is a deep pothole in the road outside my house."), 3);
    EXPECT_EQ(decision.category, QStringLiteral("highways"));
    ASSERT_GE(decision.reasons.size(), 2);
    EXPECT_EQ(decision.reasons.first(), QStringLiteral("pattern: \\bpot ?holes?\\b"));
    EXPECT_LE(decision.reasons.size(), 1 + 3);
}

TEST(CategoryClassifierTest, RefusesAModelWithCategoriesTheBotDoesNotList)
{
    auto classifier = CategoryClassifier::create(councilCategories(), lettersModel());
    ASSERT_FALSE(classifier.has_value());
    EXPECT_EQ(classifier.error().code(), ErrorCode::InvalidArgument);
    EXPECT_TRUE(classifier.error().message().contains(QStringLiteral("adult_social_care, school_admissions")))
        << classifier.error().message().toStdString();
}

TEST(CategoryClassifierTest, RefusesBadPatternsAndNoCategories)
{
    QList<CategoryDefinition> categories = councilCategories();
    categories[0].patterns = {QStringLiteral("(unclosed")};
    auto bad = CategoryClassifier::create(categories, nullptr);
    ASSERT_FALSE(bad.has_value());
    EXPECT_TRUE(bad.error().message().contains(QStringLiteral("(unclosed")));
    EXPECT_FALSE(CategoryClassifier::create({}, nullptr).has_value());
}

TEST(CategoryClassifierTest, ReadsTheStepParams)
{
    const QJsonObject params{
        {QStringLiteral("categories"),
         QJsonObject{{QStringLiteral("blue_badge"),
                      QJsonObject{{QStringLiteral("label"), QStringLiteral("Blue Badge")},
                                  {QStringLiteral("team"), QStringLiteral("blue-badge")},
                                  {QStringLiteral("keywords"), QJsonArray{QStringLiteral("blue badge")}}}},
                     {QStringLiteral("other"), QJsonObject{}}}},
        {QStringLiteral("rule_mode"), QStringLiteral("decide")},
        {QStringLiteral("rule_confidence"), 0.9},
    };
    const QList<CategoryDefinition> categories = CategoryClassifier::categoriesFromParams(params);
    ASSERT_EQ(categories.size(), 2);
    EXPECT_EQ(categories[0].name, QStringLiteral("blue_badge"));
    EXPECT_EQ(categories[0].team, QStringLiteral("blue-badge"));
    EXPECT_EQ(categories[0].keywords, QStringList{QStringLiteral("blue badge")});
    const RuleSettings rules = CategoryClassifier::ruleSettingsFromParams(params);
    EXPECT_EQ(rules.mode, RuleMode::Decide);
    EXPECT_DOUBLE_EQ(rules.decideConfidence, 0.9);
    EXPECT_EQ(CategoryClassifier::ruleSettingsFromParams({}).mode, RuleMode::Evidence);
}
