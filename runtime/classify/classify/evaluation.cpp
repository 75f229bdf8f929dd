#include "classify/evaluation.h"

#include <QJsonArray>
#include <QSet>

#include <algorithm>

namespace clerk::classify {

QList<double> defaultThresholds()
{
    QList<double> thresholds;
    for (int i = 50; i <= 99; ++i)
        thresholds.append(i / 100.0);
    thresholds.append(0.995);
    thresholds.append(0.999);
    return thresholds;
}

EvaluationReport evaluate(const QList<ScoredPrediction> &predictions, QStringList categories)
{
    QSet<QString> extra;
    for (const ScoredPrediction &p : predictions) {
        for (const QString &c : {p.truth, p.predicted}) {
            if (!categories.contains(c))
                extra.insert(c);
        }
    }
    QStringList added(extra.begin(), extra.end());
    added.sort();
    categories.append(added);

    EvaluationReport report;
    report.categories = categories;
    const qsizetype n = categories.size();
    report.confusion = QList<QList<int>>(n, QList<int>(n, 0));
    for (const ScoredPrediction &p : predictions) {
        ++report.confusion[categories.indexOf(p.truth)][categories.indexOf(p.predicted)];
        ++report.total;
        if (p.truth == p.predicted)
            ++report.correct;
    }
    report.accuracy = report.total > 0 ? static_cast<double>(report.correct) / report.total : 0.0;
    double f1Sum = 0;
    for (qsizetype c = 0; c < n; ++c) {
        int predicted = 0;
        int actual = 0;
        for (qsizetype k = 0; k < n; ++k) {
            predicted += report.confusion[k][c];
            actual += report.confusion[c][k];
        }
        const int hit = report.confusion[c][c];
        const double f1 = predicted + actual > 0 ? 2.0 * hit / (predicted + actual) : 0.0;
        report.f1.append(f1);
        f1Sum += f1;
    }
    report.macroF1 = n > 0 ? f1Sum / static_cast<double>(n) : 0.0;
    return report;
}

QList<ThresholdRow> thresholdTable(const QList<ScoredPrediction> &predictions, const QList<double> &thresholds)
{
    QList<ThresholdRow> table;
    for (double t : thresholds) {
        ThresholdRow row;
        row.threshold = t;
        for (const ScoredPrediction &p : predictions) {
            if (p.confidence >= t) {
                ++row.autoHandled;
                if (p.predicted == p.truth)
                    ++row.autoCorrect;
            }
        }
        row.share = predictions.isEmpty() ? 0.0 : static_cast<double>(row.autoHandled) / static_cast<double>(predictions.size());
        row.precision = row.autoHandled > 0 ? static_cast<double>(row.autoCorrect) / row.autoHandled : 1.0;
        table.append(row);
    }
    return table;
}

std::optional<ThresholdRow> recommendThreshold(const QList<ThresholdRow> &table, double targetPrecision)
{
    std::optional<ThresholdRow> best;
    for (const ThresholdRow &row : table) {
        if (row.autoHandled > 0 && row.precision >= targetPrecision && (!best || row.threshold < best->threshold))
            best = row;
    }
    return best;
}

QJsonObject toJson(const ThresholdRow &row)
{
    return {{QStringLiteral("threshold"), row.threshold},
            {QStringLiteral("auto_handled"), row.autoHandled},
            {QStringLiteral("auto_correct"), row.autoCorrect},
            {QStringLiteral("share"), row.share},
            {QStringLiteral("precision"), row.precision}};
}

QJsonObject EvaluationReport::toJson() const
{
    QJsonArray matrix;
    for (const QList<int> &row : confusion) {
        QJsonArray cells;
        for (int v : row)
            cells.append(v);
        matrix.append(cells);
    }
    QJsonObject perCategory;
    for (qsizetype c = 0; c < categories.size(); ++c)
        perCategory.insert(categories[c], f1[c]);
    return {{QStringLiteral("total"), total},
            {QStringLiteral("correct"), correct},
            {QStringLiteral("accuracy"), accuracy},
            {QStringLiteral("macro_f1"), macroF1},
            {QStringLiteral("f1"), perCategory},
            {QStringLiteral("categories"), QJsonArray::fromStringList(categories)},
            {QStringLiteral("confusion"), matrix}};
}

} // namespace clerk::classify
