// Measuring a classifier: accuracy, macro-F1, the confusion matrix, and the threshold
// table that says how much work goes straight through at each confidence threshold.
//
// An item is "auto-handled" at threshold t when its confidence >= t; the rest go to a
// person. For each threshold the table gives the share auto-handled (the
// straight-through rate) and the precision among auto-handled items.
//
// Thread-safety: pure functions.
#pragma once

#include <QJsonObject>
#include <QList>
#include <QString>
#include <QStringList>
#include <optional>

namespace clerk::classify {

struct ScoredPrediction {
    QString truth{};
    QString predicted{};
    double confidence = 0;
};

struct ThresholdRow {
    double threshold = 0;
    int autoHandled = 0;     // items with confidence >= threshold
    int autoCorrect = 0;     // of those, predicted == truth
    double share = 0;        // autoHandled / all items
    double precision = 1;    // autoCorrect / autoHandled; 1 when nothing is auto-handled
};

struct EvaluationReport {
    int total = 0;
    int correct = 0;
    double accuracy = 0;
    double macroF1 = 0;            // mean over `categories` of per-category F1
    QStringList categories{};      // rows and columns of the confusion matrix
    QList<QList<int>> confusion{}; // confusion[truth][predicted]
    QList<double> f1{};            // per category, in `categories` order

    QJsonObject toJson() const;
};

// The default thresholds: 0.50 to 0.99 by 0.01, then 0.995 and 0.999.
QList<double> defaultThresholds();

// `categories` fixes the matrix order; categories that occur in the predictions but not
// in the list are appended in sorted order.
EvaluationReport evaluate(const QList<ScoredPrediction> &predictions, QStringList categories = {});

QList<ThresholdRow> thresholdTable(const QList<ScoredPrediction> &predictions, const QList<double> &thresholds);

// The lowest threshold in `table` whose auto-handled precision is >= target and that
// auto-handles at least one item; nullopt when none reaches the target.
std::optional<ThresholdRow> recommendThreshold(const QList<ThresholdRow> &table, double targetPrecision);

QJsonObject toJson(const ThresholdRow &row);

} // namespace clerk::classify
