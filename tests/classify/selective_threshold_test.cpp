// Thresholds that hold: the Clopper-Pearson bound against values from scipy
// (beta.ppf(1 - confidence, k, n - k + 1)), and the threshold search on answer sets
// whose right choice is known.
#include "classify_test_support.h"

#include "classify/selective_threshold.h"

#include <QJsonDocument>

using namespace clerk::classify;

namespace {

// n answers at descending confidences 1 - i/1000; `wrongAt` lists the positions that are wrong.
QList<ScoredAnswer> ranked(qsizetype n, const QList<qsizetype> &wrongAt, const QString &category = QStringLiteral("a"))
{
    QList<ScoredAnswer> answers;
    for (qsizetype i = 0; i < n; ++i)
        answers.append({1.0 - static_cast<double>(i) / 1000.0, category, !wrongAt.contains(i)});
    return answers;
}

} // namespace

TEST(ClopperPearson, MatchesTheBetaQuantile)
{
    EXPECT_NEAR(clopperPearsonLower(95, 100, 0.9), 0.9092285, 1e-6);
    EXPECT_NEAR(clopperPearsonLower(1, 10, 0.95), 0.0051162, 1e-6);
    EXPECT_NEAR(clopperPearsonLower(299, 300, 0.9), 0.9870966, 1e-6);
    EXPECT_NEAR(clopperPearsonLower(480, 500, 0.95), 0.9424044, 1e-6);
    EXPECT_NEAR(clopperPearsonLower(50, 50, 0.9), 0.9549926, 1e-6);
    EXPECT_EQ(clopperPearsonLower(0, 10, 0.9), 0.0);
}

TEST(ClopperPearson, AnswersNeededIsTheFirstAllRightCountThatReachesTheTarget)
{
    for (const auto &[target, confidence] : {std::pair{0.99, 0.9}, {0.99, 0.95}, {0.97, 0.9}, {0.95, 0.8}}) {
        const qsizetype n = answersNeeded(target, confidence);
        EXPECT_GE(clopperPearsonLower(n, n, confidence), target) << target << " " << confidence;
        EXPECT_LT(clopperPearsonLower(n - 1, n - 1, confidence), target) << target << " " << confidence;
    }
    EXPECT_EQ(answersNeeded(0.99, 0.9), 230);
    EXPECT_EQ(answersNeeded(0.97, 0.9), 76);
}

TEST(SelectiveThreshold, TooFewAnswersSendNothingThrough)
{
    const ThresholdChoice choice = chooseThreshold(ranked(60, {}), 0.97, 0.9);
    EXPECT_FALSE(choice.threshold.has_value());
    EXPECT_EQ(choice.accepted, 0);
}

TEST(SelectiveThreshold, StopsAboveTheWrongAnswers)
{
    // 400 right answers, then a run where every other one is wrong: the threshold must
    // stay in the clean part, and its bound must hold.
    QList<qsizetype> wrong;
    for (qsizetype i = 400; i < 600; i += 2)
        wrong.append(i);
    const ThresholdChoice choice = chooseThreshold(ranked(600, wrong), 0.97, 0.9);
    ASSERT_TRUE(choice.threshold.has_value());
    EXPECT_GE(choice.lowerBound, 0.97);
    EXPECT_GE(choice.accepted, 200);
    EXPECT_LE(choice.accepted, 420);
    EXPECT_DOUBLE_EQ(*choice.threshold, 1.0 - static_cast<double>(choice.accepted - 1) / 1000.0);
    EXPECT_GE(static_cast<double>(choice.right) / static_cast<double>(choice.accepted), 0.97);
}

TEST(SelectiveThreshold, TiedConfidencesAreAcceptedOrRefusedTogether)
{
    // 300 right answers at 0.9 and 100 wrong at the same confidence: no cut between them.
    QList<ScoredAnswer> answers;
    for (int i = 0; i < 300; ++i)
        answers.append({0.9, QStringLiteral("a"), true});
    for (int i = 0; i < 100; ++i)
        answers.append({0.9, QStringLiteral("a"), false});
    EXPECT_FALSE(chooseThreshold(answers, 0.97, 0.9).threshold.has_value());
}

TEST(SelectiveThreshold, PerCategoryThresholdsWhenOneCategoryIsSureAndTheOtherIsNot)
{
    // Category a: 500 right at high confidence. Category b: interleaved above a's
    // answers, every third one wrong. One threshold for both is held back by b; per
    // category, a goes through and b does not.
    QList<ScoredAnswer> answers;
    for (int i = 0; i < 150; ++i)
        answers.append({0.999 - i * 1e-5, QStringLiteral("b"), i % 3 != 0});
    for (int i = 0; i < 500; ++i)
        answers.append({0.99 - i * 1e-5, QStringLiteral("a"), true});
    const ThresholdSet set = chooseThresholds(answers, 0.97, 0.9);
    ASSERT_TRUE(set.allowsAny());
    EXPECT_FALSE(set.threshold.has_value());
    EXPECT_TRUE(set.perCategory.contains(QStringLiteral("a")));
    EXPECT_FALSE(set.perCategory.contains(QStringLiteral("b")));
    EXPECT_TRUE(set.passes(QStringLiteral("a"), 0.99));
    EXPECT_FALSE(set.passes(QStringLiteral("b"), 0.9999));
    EXPECT_GE(set.lowerBound, 0.97);

    const ThresholdSet back = ThresholdSet::fromJson(set.toJson());
    EXPECT_EQ(back.perCategory, set.perCategory);
    EXPECT_EQ(back.accepted, set.accepted);
    EXPECT_DOUBLE_EQ(back.target, 0.97);
}

TEST(SelectiveThreshold, OneThresholdWhenItAcceptsAsMuch)
{
    const ThresholdSet set = chooseThresholds(ranked(500, {}), 0.97, 0.9);
    ASSERT_TRUE(set.threshold.has_value());
    EXPECT_TRUE(set.perCategory.isEmpty());
    EXPECT_EQ(set.accepted, 500);
    EXPECT_TRUE(set.passes(QStringLiteral("a"), *set.threshold));
    EXPECT_FALSE(set.passes(QStringLiteral("a"), *set.threshold - 1e-9));
    const ThresholdSet none;
    EXPECT_FALSE(none.passes(QStringLiteral("a"), 1.0));
}
