// Learning a match step's weights from people's answers: the estimate moves from the
// bot file's weights towards what the answers show, and the gate promotes a challenger
// only when, out of fold, it decides more answered questions right without a person
// and none more wrong.
#include "match/match_evidence.h"
#include "match/match_learning.h"
#include "test_support.h"

#include <QFile>
#include <QJsonArray>
#include <QTemporaryDir>
#include <gtest/gtest.h>

#include <cmath>

using namespace clerk;
using namespace clerk::match;

namespace {

constexpr ComparisonLevel kExact = ComparisonLevel::Exact;
constexpr ComparisonLevel kDifferent = ComparisonLevel::Different;

// Three fields whose weights are too timid: a candidate agreeing on all three reaches a
// posterior of about 0.56, so the step asks a person about every one.
MatchModel timidModel()
{
    const LevelProbabilities m{0.5, 0.2, 0.1, 0.1, 0.1};
    const LevelProbabilities u{0.1, 0.1, 0.1, 0.1, 0.6};
    return MatchModel({FieldModel{QStringLiteral("dob"), ComparatorKind::Exact, m, u},
                       FieldModel{QStringLiteral("forename"), ComparatorKind::Name, m, u},
                       FieldModel{QStringLiteral("surname"), ComparatorKind::Name, m, u}},
                      0.01);
}

ScoredCandidate compared(const QString &id, ComparisonVector levels)
{
    ScoredCandidate candidate;
    candidate.record.id = id;
    candidate.record.values = QStringList(static_cast<qsizetype>(levels.size()), QString());
    candidate.levels = std::move(levels);
    return candidate;
}

// Question `i`: one candidate agreeing on every field, two sharing only the forename;
// the person picked the first, or (answer "none") said it is someone new.
AnsweredMatch question(int i, bool none = false)
{
    AnsweredMatch answered;
    const QString id = QStringLiteral("r%1").arg(i);
    answered.candidates = {compared(id, {kExact, kExact, kExact}),
                           compared(id + QStringLiteral("-a"), {kDifferent, kExact, kDifferent}),
                           compared(id + QStringLiteral("-b"), {kDifferent, kExact, kDifferent})};
    answered.chosen = none ? QString() : id;
    return answered;
}

QList<AnsweredMatch> questions(int count, const QList<int> &answeredNone = {})
{
    QList<AnsweredMatch> list;
    for (int i = 0; i < count; ++i)
        list.append(question(i, answeredNone.contains(i)));
    return list;
}

} // namespace

TEST(MatchLearningTest, TheEstimateStartsAtTheBotFileAndMovesTowardsTheAnswers)
{
    const MatchModel start = timidModel();
    const int surname = start.fieldIndex(QStringLiteral("surname"));
    // No answers: the bot file's weights.
    const MatchModel same = estimateFromPairs(start, {}, 20);
    EXPECT_NEAR(same.weight(surname, kExact), start.weight(surname, kExact), 1e-9);
    EXPECT_NEAR(same.prior(), start.prior(), 1e-9);

    const QList<LabelledPair> pairs = labelledPairs(questions(40));
    ASSERT_EQ(pairs.size(), 120);
    const MatchModel learnt = estimateFromPairs(start, pairs, 20);
    // m(exact) = (40 + 20 * 0.5) / 60; u(exact) = (0 + 20 * 0.1) / 100.
    EXPECT_NEAR(learnt.fields()[surname].m[0], 50.0 / 60.0, 1e-9);
    EXPECT_NEAR(learnt.fields()[surname].u[0], 2.0 / 100.0, 1e-9);
    EXPECT_GT(learnt.weight(surname, kExact), start.weight(surname, kExact) + 2);
    // The forename agrees in every pair, matching or not: it stops counting for much.
    const int forename = start.fieldIndex(QStringLiteral("forename"));
    EXPECT_LT(learnt.weight(forename, kExact), 0.1);
    // The prior is the matching share, pulled towards the bot file's: (40 + 0.2) / 140.
    EXPECT_NEAR(learnt.prior(), 40.2 / 140.0, 1e-9);
    // A heavier starting belief stays nearer the bot file.
    const MatchModel stubborn = estimateFromPairs(start, pairs, 2000);
    EXPECT_LT(stubborn.weight(surname, kExact), learnt.weight(surname, kExact));
    EXPECT_GT(stubborn.weight(surname, kExact), start.weight(surname, kExact));
}

TEST(MatchLearningTest, AnAnsweredQuestionReadsBackFromItsEvidence)
{
    const MatchModel model = timidModel();
    const MatchRecord query = MatchRecord::fromRaw({}, model.fieldSpecs(),
                                                   {QStringLiteral("1980-01-02"), QStringLiteral("Ann"), QStringLiteral("Lee")});
    QJsonArray shown;
    for (const auto &[id, surname] : {std::pair{"p1", "Lee"}, std::pair{"p2", "Khan"}}) {
        ScoredCandidate candidate;
        candidate.record = MatchRecord::fromRaw(QString::fromLatin1(id), model.fieldSpecs(),
                                                {QStringLiteral("1980-01-02"), QStringLiteral("Ann"), QString::fromLatin1(surname)});
        candidate.levels = model.compare(query, candidate.record);
        shown.append(toJson(candidateEvidence(model, query, candidate)));
    }
    const QJsonObject evidence{{candidatesKey(), shown}};

    const AnsweredMatch picked = answeredMatchFromEvidence(model, evidence, QStringLiteral("p1"));
    ASSERT_EQ(picked.candidates.size(), 2);
    EXPECT_EQ(picked.chosen, QStringLiteral("p1"));
    EXPECT_EQ(picked.candidates[1].levels[static_cast<size_t>(model.fieldIndex(QStringLiteral("surname")))], kDifferent);
    const QList<LabelledPair> pairs = labelledPairs({picked});
    ASSERT_EQ(pairs.size(), 2);
    EXPECT_TRUE(pairs[0].isMatch);
    EXPECT_FALSE(pairs[1].isMatch);

    const AnsweredMatch none = answeredMatchFromEvidence(model, evidence, QStringLiteral("none"));
    EXPECT_TRUE(none.chosen.isEmpty());
    for (const LabelledPair &pair : labelledPairs({none}))
        EXPECT_FALSE(pair.isMatch);
}

TEST(MatchLearningTest, TheGatePromotesAChallengerThatDecidesHeldOutAnswersRight)
{
    const MatchModel start = timidModel();
    const MatchLearningOptions options;
    const QList<AnsweredMatch> answered = questions(40);
    // The bot file's weights send every question to a person.
    const MatchStanding champion = standOn(start, answered, options);
    EXPECT_EQ(champion.straightThrough, 0);

    const MatchChallenger challenger = trainAndJudge(start, start, answered, 0, options);
    EXPECT_TRUE(challenger.verdict.promote) << challenger.verdict.reason.toStdString();
    EXPECT_EQ(challenger.verdict.compared, 40);
    EXPECT_EQ(challenger.verdict.challenger.wrong, 0);
    EXPECT_EQ(challenger.verdict.challenger.right, 40);
    EXPECT_LT(challenger.verdict.challenger.logLoss, challenger.verdict.champion.logLoss);
    EXPECT_EQ(challenger.pairs, 120);
    EXPECT_EQ(challenger.matchingPairs, 40);
    // The challenger learnt from every question decides the next one alone.
    bool right = false;
    EXPECT_EQ(decideAnswered(challenger.model, question(99), options, &right), MatchOutcome::Matched);
    EXPECT_TRUE(right);
    EXPECT_EQ(decideAnswered(start, question(99), options), MatchOutcome::NeedsPerson);
}

TEST(MatchLearningTest, TheGateRefusesAChallengerThatWouldDecideAHeldOutAnswerWrong)
{
    // Twice the person said the candidate agreeing on everything is someone else (twins,
    // say): held out, the challenger would have matched them alone.
    const MatchModel start = timidModel();
    const MatchChallenger challenger = trainAndJudge(start, start, questions(60, {17, 42}), 0, MatchLearningOptions{});
    EXPECT_FALSE(challenger.verdict.promote) << challenger.verdict.reason.toStdString();
    EXPECT_EQ(challenger.verdict.challenger.wrong, 2);
    EXPECT_GT(challenger.verdict.challenger.right, 50);
    EXPECT_EQ(challenger.verdict.champion.wrong, 0);
    EXPECT_TRUE(challenger.verdict.reason.startsWith(QStringLiteral("more wrong"))) << challenger.verdict.reason.toStdString();
}

TEST(MatchLearningTest, TheGateComparesOnlyOnAnswersTheChampionNeverLearntFrom)
{
    const MatchModel start = timidModel();
    const QList<AnsweredMatch> answered = questions(30);
    const MatchModel champion = estimateFromPairs(start, labelledPairs(answered.mid(0, 20)), 20);
    const MatchChallenger challenger = trainAndJudge(start, champion, answered, 20, MatchLearningOptions{});
    EXPECT_EQ(challenger.verdict.compared, 10);
    // Nothing new: nothing to compare on, so no promotion.
    const MatchChallenger nothingNew = trainAndJudge(start, champion, answered, 30, MatchLearningOptions{});
    EXPECT_EQ(nothingNew.verdict.compared, 0);
    EXPECT_FALSE(nothingNew.verdict.promote);
}

TEST(MatchLearningTest, TheGateRule)
{
    struct Case {
        int championRight, championWrong;
        double championLoss;
        int challengerRight, challengerWrong;
        double challengerLoss;
        bool promote;
    };
    const Case cases[] = {
        {0, 0, 0.5, 10, 0, 0.4, true},    // more right, no more wrong
        {10, 0, 0.5, 20, 1, 0.1, false},  // one more wrong refuses, however many more right
        {10, 2, 0.5, 10, 1, 0.6, true},   // as many right, fewer wrong
        {10, 1, 0.5, 10, 1, 0.4, true},   // the same decisions, a lower log-loss
        {10, 1, 0.5, 10, 1, 0.499, false},  // ... not lower by enough
        {10, 1, 0.5, 9, 0, 0.1, false},   // fewer right
    };
    for (const Case &c : cases) {
        const MatchStanding champion{.questions = 20, .straightThrough = c.championRight + c.championWrong,
                                     .right = c.championRight, .wrong = c.championWrong, .logLoss = c.championLoss};
        const MatchStanding challenger{.questions = 20, .straightThrough = c.challengerRight + c.challengerWrong,
                                       .right = c.challengerRight, .wrong = c.challengerWrong, .logLoss = c.challengerLoss};
        const MatchVerdict verdict = compareStandings(champion, challenger);
        EXPECT_EQ(verdict.promote, c.promote) << verdict.reason.toStdString();
        EXPECT_FALSE(verdict.reason.isEmpty());
    }
}

TEST(MatchLearningTest, AModelFileKeepsItsWeightsAndFitsOnlyTheStepItWasLearntFor)
{
    QTemporaryDir dir;
    ASSERT_TRUE(dir.isValid());
    const MatchModel start = timidModel();
    const MatchModel learnt = estimateFromPairs(start, labelledPairs(questions(40)), 20);
    const QString path = dir.filePath(QStringLiteral("bot.person.model.v1"));
    ASSERT_OK(saveLearnedModel(path, {learnt, {{QStringLiteral("answers_from_people"), 40}}, {{QStringLiteral("promoted"), true}}}));

    auto header = readLearnedModelHeader(path);
    ASSERT_OK(header);
    EXPECT_EQ(header->info.value(QStringLiteral("answers_from_people")).toInt(), 40);
    EXPECT_TRUE(header->learned.value(QStringLiteral("promoted")).toBool());

    auto loaded = loadLearnedModel(path, start);
    ASSERT_OK(loaded);
    EXPECT_NEAR(loaded->model.prior(), learnt.prior(), 1e-9);
    for (int f = 0; f < start.fieldCount(); ++f)
        EXPECT_NEAR(loaded->model.weight(f, kExact), learnt.weight(f, kExact), 1e-6);

    // The bot file's fields changed: the learnt weights no longer fit.
    const MatchModel other({defaultFieldModel(QStringLiteral("surname"), ComparatorKind::Name),
                            defaultFieldModel(QStringLiteral("postcode"), ComparatorKind::Postcode)},
                           0.01);
    EXPECT_FALSE(loadLearnedModel(path, other).has_value());
    // Not a model file at all.
    QFile junk(dir.filePath(QStringLiteral("junk")));
    ASSERT_TRUE(junk.open(QIODevice::WriteOnly));
    junk.write("{\"format\": \"something else\"}");
    junk.close();
    EXPECT_FALSE(readLearnedModelHeader(dir.filePath(QStringLiteral("junk"))).has_value());
}
