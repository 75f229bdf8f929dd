#include "classify/selective_threshold.h"


#include <algorithm>
#include <cmath>

namespace clerk::classify {

namespace {

// The candidate cuts: accepting the first m items (sorted by confidence, highest first)
// is only possible where the next item's confidence is lower, so ties go together.
QList<qsizetype> cutPoints(const QList<ScoredAnswer> &sorted)
{
    QList<qsizetype> cuts;
    for (qsizetype m = 1; m <= sorted.size(); ++m) {
        if (m == sorted.size() || sorted[m].confidence < sorted[m - 1].confidence)
            cuts.append(m);
    }
    return cuts;
}

} // namespace

ThresholdChoice chooseThreshold(QList<ScoredAnswer> answers, double target, double confidence)
{
    ThresholdChoice choice;
    if (answers.isEmpty())
        return choice;
    std::stable_sort(answers.begin(), answers.end(),
                     [](const ScoredAnswer &a, const ScoredAnswer &b) { return a.confidence > b.confidence; });
    QList<qsizetype> rightBefore(answers.size() + 1, 0);
    for (qsizetype i = 0; i < answers.size(); ++i)
        rightBefore[i + 1] = rightBefore[i] + (answers[i].correct ? 1 : 0);
    const QList<qsizetype> cuts = cutPoints(answers);
    const int tests = std::max(1, static_cast<int>(std::ceil(std::log2(static_cast<double>(cuts.size())))));
    const double testConfidence = 1.0 - (1.0 - confidence) / tests;
    // Binary search for the largest cut whose bound holds: lo is the last cut known to
    // hold (-1: none), hi the first known to fail.
    qsizetype lo = -1;
    qsizetype hi = cuts.size();
    for (int test = 0; test < tests && hi - lo > 1; ++test) {
        const qsizetype mid = (lo + hi) / 2;
        const qsizetype m = cuts[mid];
        const double bound = clopperPearsonLower(rightBefore[m], m, testConfidence);
        if (bound >= target) {
            lo = mid;
            choice.threshold = answers[m - 1].confidence;
            choice.accepted = m;
            choice.right = rightBefore[m];
            choice.lowerBound = bound;
        } else {
            hi = mid;
        }
    }
    return choice;
}

bool ThresholdSet::passes(const QString &category, double value) const
{
    if (!perCategory.isEmpty()) {
        const auto it = perCategory.constFind(category);
        return it != perCategory.cend() && value >= it.value();
    }
    return threshold.has_value() && value >= *threshold;
}

QJsonObject ThresholdSet::toJson() const
{
    QJsonObject categories;
    for (auto it = perCategory.cbegin(); it != perCategory.cend(); ++it)
        categories.insert(it.key(), it.value());
    QJsonObject json{{QStringLiteral("answers"), static_cast<double>(answers)},
                     {QStringLiteral("accepted"), static_cast<double>(accepted)},
                     {QStringLiteral("right"), static_cast<double>(right)},
                     {QStringLiteral("lower_bound"), lowerBound},
                     {QStringLiteral("target_precision"), target},
                     {QStringLiteral("confidence"), confidence},
                     {QStringLiteral("threshold"), threshold ? QJsonValue(*threshold) : QJsonValue()}};
    if (!perCategory.isEmpty())
        json.insert(QStringLiteral("per_category"), categories);
    return json;
}

ThresholdSet ThresholdSet::fromJson(const QJsonObject &json)
{
    ThresholdSet set;
    if (json.value(QStringLiteral("threshold")).isDouble())
        set.threshold = json.value(QStringLiteral("threshold")).toDouble();
    const QJsonObject categories = json.value(QStringLiteral("per_category")).toObject();
    for (auto it = categories.begin(); it != categories.end(); ++it)
        set.perCategory.insert(it.key(), it.value().toDouble());
    set.answers = static_cast<qsizetype>(json.value(QStringLiteral("answers")).toDouble());
    set.accepted = static_cast<qsizetype>(json.value(QStringLiteral("accepted")).toDouble());
    set.right = static_cast<qsizetype>(json.value(QStringLiteral("right")).toDouble());
    set.lowerBound = json.value(QStringLiteral("lower_bound")).toDouble();
    set.target = json.value(QStringLiteral("target_precision")).toDouble();
    set.confidence = json.value(QStringLiteral("confidence")).toDouble();
    return set;
}

ThresholdSet chooseThresholds(const QList<ScoredAnswer> &answers, double target, double confidence)
{
    ThresholdSet set;
    set.answers = answers.size();
    set.target = target;
    set.confidence = confidence;
    const ThresholdChoice global = chooseThreshold(answers, target, confidence);

    QMap<QString, QList<ScoredAnswer>> byCategory;
    for (const ScoredAnswer &answer : answers)
        byCategory[answer.predicted].append(answer);
    const double categoryConfidence = 1.0 - (1.0 - confidence) / std::max<qsizetype>(1, byCategory.size());
    QMap<QString, double> perCategory;
    qsizetype accepted = 0;
    qsizetype right = 0;
    double lowest = 1.0;
    for (auto it = byCategory.cbegin(); it != byCategory.cend(); ++it) {
        const ThresholdChoice choice = chooseThreshold(it.value(), target, categoryConfidence);
        if (!choice.threshold)
            continue;
        perCategory.insert(it.key(), *choice.threshold);
        accepted += choice.accepted;
        right += choice.right;
        lowest = std::min(lowest, choice.lowerBound);
    }
    if (accepted > global.accepted) {
        set.perCategory = perCategory;
        set.accepted = accepted;
        set.right = right;
        set.lowerBound = lowest;
    } else if (global.threshold) {
        set.threshold = global.threshold;
        set.accepted = global.accepted;
        set.right = global.right;
        set.lowerBound = global.lowerBound;
    }
    return set;
}

} // namespace clerk::classify
