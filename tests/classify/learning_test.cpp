// The learning loop's pieces on the generated letters: a challenger trained on examples
// plus answers, its out-of-fold scores and proven thresholds, and the promotion rule.
#include "classify_test_support.h"

#include "classify/learning.h"

using namespace clerk;
using namespace clerk::classify;
using clerk::testing::letters;

namespace {

LearningOptions loose()
{
    LearningOptions options;
    options.targetPrecision = 0.9;
    options.confidence = 0.8;
    return options;
}

// The test letters as people's answers, `times` over (a longer answer history).
QList<LabelledText> answers(int times = 1)
{
    QList<LabelledText> out;
    for (int i = 0; i < times; ++i)
        out += letters(QStringLiteral("test.csv"));
    return out;
}

} // namespace

TEST(LearningTest, TheChallengerScoresEveryAnswerOutOfFoldAndCarriesItsThresholds)
{
    const QList<LabelledText> given = answers(2);
    auto challenger = trainChallenger(letters(QStringLiteral("train.csv")), given, loose());
    ASSERT_OK(challenger);
    ASSERT_EQ(challenger->scored.size(), given.size());
    EXPECT_GT(challenger->accuracy, 0.9);
    ASSERT_TRUE(challenger->thresholds.allowsAny());
    EXPECT_GE(challenger->thresholds.lowerBound, 0.9);
    EXPECT_EQ(challenger->thresholds.answers, given.size());
    const QJsonObject learned = challenger->model.learned();
    EXPECT_EQ(learned.value(QStringLiteral("answer_weight")).toInt(), 3);
    EXPECT_EQ(ThresholdSet::fromJson(learned).accepted, challenger->thresholds.accepted);
    EXPECT_EQ(challenger->model.info().value(QStringLiteral("answers_from_people")).toInt(), given.size());
}

TEST(LearningTest, TooFewAnswersProveNoThreshold)
{
    const QList<LabelledText> few = answers().mid(0, 10);
    LearningOptions strict;  // 99% at 90%: 230 right answers at least
    auto challenger = trainChallenger(letters(QStringLiteral("train.csv")), few, strict);
    ASSERT_OK(challenger);
    EXPECT_FALSE(challenger->thresholds.allowsAny());
    EXPECT_EQ(challenger->model.learned().value(QStringLiteral("answers_needed")).toInt(), 230);
}

TEST(LearningTest, AChallengerIsPromotedWhenThereIsNoChampion)
{
    auto challenger = trainChallenger(letters(QStringLiteral("train.csv")), answers(), loose());
    ASSERT_OK(challenger);
    const Verdict verdict = judge(nullptr, *challenger, answers(), 0.9);
    EXPECT_TRUE(verdict.promote);
}

TEST(LearningTest, AChallengerThatSendsMoreThroughReplacesAChampionThatSendsNone)
{
    auto champion = ClassifierModel::train(letters(QStringLiteral("train.csv")));
    ASSERT_OK(champion);
    const QList<LabelledText> given = answers(2);
    auto challenger = trainChallenger(letters(QStringLiteral("train.csv")), given, loose());
    ASSERT_OK(challenger);
    const Verdict verdict = judge(&*champion, *challenger, given, 0.9);
    EXPECT_EQ(verdict.compared, given.size());  // the champion saw no answer
    EXPECT_EQ(verdict.champion.through, 0);
    EXPECT_GT(verdict.challenger.through, 0);
    EXPECT_TRUE(verdict.promote) << qPrintable(verdict.reason);
}

TEST(LearningTest, AChallengerTaughtWrongAnswersIsRefused)
{
    const QList<LabelledText> given = answers(2);
    auto champion = trainChallenger(letters(QStringLiteral("train.csv")), given.mid(0, 50), loose());
    ASSERT_OK(champion);
    // The same letters, each answered with the next category along: a post room that
    // got everything wrong.
    const QStringList categories = champion->model.categories();
    QList<LabelledText> wrong = given;
    for (LabelledText &answer : wrong)
        answer.category = categories.at((categories.indexOf(answer.category) + 1) % categories.size());
    auto challenger = trainChallenger(letters(QStringLiteral("train.csv")), wrong, loose());
    ASSERT_OK(challenger);
    const Verdict verdict = judge(&champion->model, *challenger, given, 0.9);
    EXPECT_EQ(verdict.compared, given.size() - 50);
    EXPECT_FALSE(verdict.promote) << qPrintable(verdict.reason);
}

TEST(LearningTest, NothingNewNothingToJudge)
{
    const QList<LabelledText> given = answers();
    auto champion = trainChallenger(letters(QStringLiteral("train.csv")), given, loose());
    ASSERT_OK(champion);
    const Verdict verdict = judge(&champion->model, *champion, given, 0.9);
    EXPECT_FALSE(verdict.promote);
    EXPECT_EQ(verdict.compared, 0);
}
