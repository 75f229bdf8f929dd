// Evaluation: golden cases in tests/data/classify/eval/<case>.predictions.csv with
// <case>.expected.json (numbers computed by hand); a new case is two files.
#include "classify_test_support.h"

#include "classify/evaluation.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>

#include <cmath>

using namespace clerk;
using namespace clerk::classify;

namespace {

// Rounds every number to 6 decimals so hand-written expectations compare exactly.
QJsonValue rounded(const QJsonValue &value)
{
    if (value.isDouble())
        return std::round(value.toDouble() * 1e6) / 1e6;
    if (value.isArray()) {
        QJsonArray out;
        for (const QJsonValue &v : value.toArray())
            out.append(rounded(v));
        return out;
    }
    if (value.isObject()) {
        QJsonObject out;
        const QJsonObject object = value.toObject();
        for (auto it = object.begin(); it != object.end(); ++it)
            out.insert(it.key(), rounded(it.value()));
        return out;
    }
    return value;
}

QString pretty(const QJsonValue &value)
{
    return QString::fromUtf8(value.isArray() ? QJsonDocument(value.toArray()).toJson() : QJsonDocument(value.toObject()).toJson());
}

QList<ScoredPrediction> readPredictions(const QString &path)
{
    QFile file(path);
    EXPECT_TRUE(file.open(QIODevice::ReadOnly)) << path.toStdString();
    auto rows = parseCsv(QString::fromUtf8(file.readAll()));
    EXPECT_TRUE(rows.has_value());
    QList<ScoredPrediction> predictions;
    for (qsizetype r = 1; rows && r < rows->size(); ++r)
        predictions.append({rows->at(r).value(0), rows->at(r).value(1), rows->at(r).value(2).toDouble()});
    return predictions;
}

} // namespace

TEST(EvaluationTest, GoldenCases)
{
    const QDir dir(clerk::testing::classifyData(QStringLiteral("eval")));
    const QStringList cases = dir.entryList({QStringLiteral("*.predictions.csv")}, QDir::Files, QDir::Name);
    ASSERT_FALSE(cases.isEmpty());
    for (const QString &file : cases) {
        const QString name = file.chopped(QStringLiteral(".predictions.csv").size());
        SCOPED_TRACE(name.toStdString());
        QFile expectedFile(dir.filePath(name + QStringLiteral(".expected.json")));
        ASSERT_TRUE(expectedFile.open(QIODevice::ReadOnly));
        const QJsonObject expected = QJsonDocument::fromJson(expectedFile.readAll()).object();
        ASSERT_FALSE(expected.isEmpty());

        const QList<ScoredPrediction> predictions = readPredictions(dir.filePath(file));
        QStringList categories;
        for (const QJsonValue &c : expected.value(QStringLiteral("categories")).toArray())
            categories.append(c.toString());
        QList<double> thresholds;
        for (const QJsonValue &t : expected.value(QStringLiteral("thresholds")).toArray())
            thresholds.append(t.toDouble());

        const QJsonValue report = rounded(evaluate(predictions, categories).toJson());
        EXPECT_EQ(report, rounded(expected.value(QStringLiteral("report"))))
            << "actual:\n" << pretty(report).toStdString() << "expected:\n"
            << pretty(rounded(expected.value(QStringLiteral("report")))).toStdString();

        const QList<ThresholdRow> table = thresholdTable(predictions, thresholds);
        QJsonArray rows;
        for (const ThresholdRow &row : table)
            rows.append(toJson(row));
        EXPECT_EQ(rounded(rows), rounded(expected.value(QStringLiteral("table"))))
            << "actual:\n" << pretty(rounded(rows)).toStdString() << "expected:\n"
            << pretty(rounded(expected.value(QStringLiteral("table")))).toStdString();

        const QJsonObject recommended = expected.value(QStringLiteral("recommended")).toObject();
        for (auto it = recommended.begin(); it != recommended.end(); ++it) {
            const auto row = recommendThreshold(table, it.key().toDouble());
            if (it.value().isNull()) {
                EXPECT_FALSE(row.has_value()) << "target " << it.key().toStdString();
            } else {
                ASSERT_TRUE(row.has_value()) << "target " << it.key().toStdString();
                EXPECT_DOUBLE_EQ(row->threshold, it.value().toDouble()) << "target " << it.key().toStdString();
            }
        }
    }
}

TEST(EvaluationTest, NoThresholdReachingTheTargetGivesNoRecommendation)
{
    const QList<ScoredPrediction> predictions{{QStringLiteral("a"), QStringLiteral("b"), 0.99},
                                              {QStringLiteral("a"), QStringLiteral("a"), 0.6}};
    const QList<ThresholdRow> table = thresholdTable(predictions, {0.5, 0.9, 0.995});
    EXPECT_FALSE(recommendThreshold(table, 0.99).has_value());
    // 0.995 decides nothing: precision 1 by convention, but never recommended.
    EXPECT_EQ(table[2].autoHandled, 0);
    EXPECT_DOUBLE_EQ(table[2].precision, 1.0);
    EXPECT_DOUBLE_EQ(recommendThreshold(table, 0.5)->threshold, 0.5);
}

TEST(EvaluationTest, EmptyInputAndUnlistedCategories)
{
    const EvaluationReport empty = evaluate({}, {QStringLiteral("a")});
    EXPECT_EQ(empty.total, 0);
    EXPECT_DOUBLE_EQ(empty.accuracy, 0.0);
    const EvaluationReport report =
        evaluate({{QStringLiteral("z"), QStringLiteral("y"), 0.5}}, {QStringLiteral("a")});
    EXPECT_EQ(report.categories, (QStringList{QStringLiteral("a"), QStringLiteral("y"), QStringLiteral("z")}));
    EXPECT_EQ(report.confusion[2][1], 1);
    EXPECT_EQ(defaultThresholds().first(), 0.5);
    EXPECT_EQ(defaultThresholds().last(), 0.999);
}
