#include "classify/learning.h"

#include <QJsonArray>

#include <algorithm>

namespace clerk::classify {

namespace {

// What the answers say could go through: for the most confident 10 %, 20 %, ... 90 % of
// them (out of fold), the lowest confidence among them and the share right. Figures for
// people deciding on a target; the thresholds themselves come from the proof.
QJsonArray coverageCurve(QList<ScoredAnswer> scored)
{
    std::stable_sort(scored.begin(), scored.end(), [](const ScoredAnswer &a, const ScoredAnswer &b) { return a.confidence > b.confidence; });
    QJsonArray curve;
    for (int tenth = 1; tenth <= 9 && !scored.isEmpty(); ++tenth) {
        const qsizetype n = std::max<qsizetype>(1, scored.size() * tenth / 10);
        const qsizetype right = std::count_if(scored.begin(), scored.begin() + n, [](const ScoredAnswer &a) { return a.correct; });
        curve.append(QJsonObject{{QStringLiteral("share"), tenth / 10.0},
                                 {QStringLiteral("confidence"), scored[n - 1].confidence},
                                 {QStringLiteral("precision"), static_cast<double>(right) / static_cast<double>(n)}});
    }
    return curve;
}

} // namespace

Result<Challenger> trainChallenger(const QList<LabelledText> &examples, const QList<LabelledText> &answers,
                                   const LearningOptions &options)
{
    if (options.training.folds < 2)
        return fail(Error::invalidArgument(QStringLiteral("learning needs at least two folds to score answers out of fold")));
    QList<LabelledText> all = examples;
    for (LabelledText answer : answers) {
        answer.fromPeople = true;
        answer.weight = std::max(1, options.answerWeight);
        all.append(answer);
    }
    auto model = ClassifierModel::train(all, options.training);
    if (!model)
        return fail(model.error());
    Challenger challenger{std::move(*model), {}, {}, 0};
    qsizetype right = 0;
    for (const OutOfFoldPrediction &oof : challenger.model.outOfFold()) {
        if (oof.example < examples.size())
            continue;
        challenger.scored.append({oof.confidence, oof.predicted, oof.correct});
        right += oof.correct ? 1 : 0;
    }
    challenger.accuracy = challenger.scored.isEmpty() ? 0.0
                                                      : static_cast<double>(right) / static_cast<double>(challenger.scored.size());
    challenger.thresholds = chooseThresholds(challenger.scored, options.targetPrecision, options.confidence);
    QJsonObject learned = challenger.thresholds.toJson();
    learned.insert(QStringLiteral("answer_weight"), options.answerWeight);
    learned.insert(QStringLiteral("answers_accuracy"), challenger.accuracy);
    learned.insert(QStringLiteral("answers_needed"), static_cast<double>(answersNeeded(options.targetPrecision, options.confidence)));
    learned.insert(QStringLiteral("coverage"), coverageCurve(challenger.scored));
    challenger.model.setLearned(learned);
    return challenger;
}

QJsonObject Standing::toJson() const
{
    return {{QStringLiteral("items"), static_cast<double>(items)},
            {QStringLiteral("accuracy"), accuracy()},
            {QStringLiteral("straight_through"), static_cast<double>(through)},
            {QStringLiteral("straight_through_share"), share()},
            {QStringLiteral("straight_through_precision"), precision()}};
}

Standing standingOf(const QList<ScoredAnswer> &scored, const ThresholdSet &thresholds)
{
    Standing standing;
    for (const ScoredAnswer &answer : scored) {
        ++standing.items;
        standing.right += answer.correct ? 1 : 0;
        if (thresholds.passes(answer.predicted, answer.confidence)) {
            ++standing.through;
            standing.throughRight += answer.correct ? 1 : 0;
        }
    }
    return standing;
}

QList<ScoredAnswer> scoreAnswers(const ClassifierModel &model, const QList<LabelledText> &answers)
{
    QList<ScoredAnswer> scored;
    scored.reserve(answers.size());
    for (const LabelledText &answer : answers) {
        const ModelPrediction prediction = model.predict(answer.text, 0);
        const ScoredCategory &best = prediction.ranking.first();
        scored.append({best.confidence, best.category, best.category == answer.category});
    }
    return scored;
}

QJsonObject Verdict::toJson() const
{
    return {{QStringLiteral("promote"), promote},
            {QStringLiteral("reason"), reason},
            {QStringLiteral("compared"), static_cast<double>(compared)},
            {QStringLiteral("champion"), champion.toJson()},
            {QStringLiteral("challenger"), challenger.toJson()}};
}

Verdict judge(const ClassifierModel *champion, const Challenger &challenger, const QList<LabelledText> &answers,
              double targetPrecision)
{
    Verdict verdict;
    if (!champion) {
        verdict.promote = true;
        verdict.reason = QStringLiteral("there is no model in use");
        verdict.challenger = standingOf(challenger.scored, challenger.thresholds);
        verdict.compared = answers.size();
        return verdict;
    }
    const qsizetype seen = std::clamp<qsizetype>(champion->info().value(QStringLiteral("answers_from_people")).toInt(), 0,
                                                 answers.size());
    const QList<LabelledText> unseen = answers.mid(seen);
    verdict.compared = unseen.size();
    if (unseen.isEmpty()) {
        verdict.reason = QStringLiteral("no answer has arrived since the model in use was trained");
        return verdict;
    }
    verdict.champion = standingOf(scoreAnswers(*champion, unseen), ThresholdSet::fromJson(champion->learned()));
    verdict.challenger = standingOf(challenger.scored.mid(seen), challenger.thresholds);
    const Standing &a = verdict.champion;
    const Standing &b = verdict.challenger;
    const double floor = std::min(targetPrecision, a.precision());
    if (b.through > a.through && b.precision() >= floor) {
        verdict.promote = true;
        verdict.reason = QStringLiteral("it sends %1 of %2 new answers straight through (the model in use %3), %4% right")
                             .arg(b.through).arg(b.items).arg(a.through).arg(100.0 * b.precision(), 0, 'f', 1);
    } else if (b.through >= a.through && b.precision() >= floor && b.right > a.right) {
        verdict.promote = true;
        verdict.reason = QStringLiteral("it is more accurate on %1 new answers (%2% against %3%) and sends as many through")
                             .arg(b.items).arg(100.0 * b.accuracy(), 0, 'f', 1).arg(100.0 * a.accuracy(), 0, 'f', 1);
    } else if (b.through > a.through) {
        verdict.reason = QStringLiteral("it would send more through, but only %1% of those are right (needed %2%)")
                             .arg(100.0 * b.precision(), 0, 'f', 1).arg(100.0 * floor, 0, 'f', 1);
    } else {
        verdict.reason = QStringLiteral("it is no better on %1 new answers: %2 straight through against %3, %4% right against %5%")
                             .arg(b.items).arg(b.through).arg(a.through)
                             .arg(100.0 * b.accuracy(), 0, 'f', 1).arg(100.0 * a.accuracy(), 0, 'f', 1);
    }
    return verdict;
}

} // namespace clerk::classify
