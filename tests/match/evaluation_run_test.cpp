// An evaluation run on files the test writes: truth by file, by FEBRL ids and by clusters;
// unlabelled queries left out; EM, decisions, the decisions CSV and the exact rule.
#include "match/evaluation_run.h"

#include "match_test_support.h"

#include <QFile>
#include <QTemporaryDir>
#include <gtest/gtest.h>

using namespace clerk;
using namespace clerk::match;

namespace {

void write(const QString &path, const QByteArray &text)
{
    QFile file(path);
    ASSERT_TRUE(file.open(QIODevice::WriteOnly));
    file.write(text);
}

MatchSettings personSettings()
{
    const QJsonObject fields{
        {QStringLiteral("forename"), QJsonObject{{QStringLiteral("comparator"), QStringLiteral("name")}}},
        {QStringLiteral("surname"), QJsonObject{{QStringLiteral("comparator"), QStringLiteral("name")}}},
        {QStringLiteral("dob"), QJsonObject{{QStringLiteral("comparator"), QStringLiteral("date")}}},
        {QStringLiteral("postcode"), QJsonObject{{QStringLiteral("comparator"), QStringLiteral("postcode")}}}};
    return *MatchSettings::fromParams({{QStringLiteral("fields"), fields},
                                       {QStringLiteral("index"), QJsonObject{{QStringLiteral("id_column"), QStringLiteral("id")}}}},
                                      {});
}

// The query row's columns by field name (the order of the settings' fields).
QStringList byFieldName(const MatchSettings &settings, const QJsonObject &row)
{
    QStringList raw;
    for (const FieldSpec &spec : settings.model.fieldSpecs())
        raw.append(row.value(spec.name).toString());
    return raw;
}

class EvaluationRunTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        clerk::testing::PeopleGenerator generator(11);
        QByteArray records = "id,forename,surname,dob,postcode\n";
        QByteArray queries = "id,forename,surname,dob,postcode\n";
        m_truth = "query_id,record_id\n";
        for (int i = 0; i < 200; ++i) {
            const clerk::testing::Person p = generator.person(QStringLiteral("r%1").arg(i));
            records += QStringList{p.id, p.forename, p.surname, p.dob, p.postcode}.join(u',').toUtf8() + '\n';
            if (i < 60) {
                clerk::testing::Person q = generator.corrupt(p);
                q.id = QStringLiteral("q%1").arg(i);
                queries += QStringList{q.id, q.forename, q.surname, q.dob, q.postcode}.join(u',').toUtf8() + '\n';
                if (i < 50)  // the last ten have no truth row
                    m_truth += (q.id + u',' + p.id).toUtf8() + '\n';
            }
        }
        write(m_dir.filePath(QStringLiteral("records.csv")), records);
        write(m_dir.filePath(QStringLiteral("queries.csv")), queries);
        write(m_dir.filePath(QStringLiteral("truth.csv")), m_truth);
    }

    EvaluationFiles files() const
    {
        return {.records = m_dir.filePath(QStringLiteral("records.csv")),
                .queries = m_dir.filePath(QStringLiteral("queries.csv")),
                .truth = m_dir.filePath(QStringLiteral("truth.csv"))};
    }

    QTemporaryDir m_dir;
    QByteArray m_truth;
    MatchSettings m_settings = personSettings();
    QueryValues m_values = [this](const QJsonObject &row) { return byFieldName(m_settings, row); };
};

} // namespace

TEST_F(EvaluationRunTest, LeavesOutUnlabelledQueriesAndFindsTheRestsCandidates)
{
    auto set = loadEvaluationSet(m_settings, files(), m_values);
    ASSERT_TRUE(set.has_value()) << set.error().toString().toStdString();
    EXPECT_EQ(set->index->size(), 200);
    EXPECT_EQ(set->queries.size(), 50);
    EXPECT_EQ(set->unlabelled, 10);
    EXPECT_EQ(set->candidates.size(), 50u);

    const QList<QueryResult> results = decideAll(m_settings.model, *set, m_settings);
    const MatchMetrics metrics = evaluateMatches(results, m_settings.thresholds);
    EXPECT_EQ(metrics.withTruth, 50);
    EXPECT_GE(metrics.precision, 0.9);
    EXPECT_GE(metrics.blockingRecall, 0.9);

    const QList<QByteArray> csv = decisionsCsv(*set, results, m_settings.thresholds).split('\n');
    EXPECT_EQ(csv.first(), "query_id,true_id,best_id,probability,runner_up,band,truth_among_candidates");
    EXPECT_TRUE(csv.at(1).startsWith("q0,r0,")) << csv.at(1).toStdString();

    // Exact agreement on two fields links fewer queries than the model does.
    const QJsonObject rule = exactRuleMetrics(*set, {1, 2}, metrics.withTruth);
    EXPECT_LE(rule.value(QStringLiteral("recall")).toDouble(), metrics.recall);
}

TEST_F(EvaluationRunTest, EmFitsAModelThatStillDecidesWell)
{
    auto set = loadEvaluationSet(m_settings, files(), m_values);
    ASSERT_TRUE(set.has_value());
    auto fitted = estimateModel(m_settings.model, *set);
    ASSERT_TRUE(fitted.has_value()) << fitted.error().toString().toStdString();
    EXPECT_GT(fitted->pairs, 50);
    EXPECT_FALSE(fitted->fromLabels);
    EXPECT_TRUE(fitted->toJson().contains(QStringLiteral("model")));
    // The same seed: the same fit twice.
    EXPECT_EQ(estimateModel(m_settings.model, *set)->model.toJson(), fitted->model.toJson());
    EXPECT_GE(evaluateMatches(decideAll(fitted->model, *set, m_settings), m_settings.thresholds).f1, 0.85);
}

TEST_F(EvaluationRunTest, RefusesFilesItCannotUseByName)
{
    EvaluationFiles missingColumn = files();
    write(m_dir.filePath(QStringLiteral("bad.csv")), "id,forename\nr1,ann\n");
    missingColumn.records = m_dir.filePath(QStringLiteral("bad.csv"));
    auto set = loadEvaluationSet(m_settings, missingColumn, m_values);
    ASSERT_FALSE(set.has_value());
    EXPECT_TRUE(set.error().message().contains(QStringLiteral("bad.csv has no column"))) << set.error().toString().toStdString();

    EvaluationFiles noTruth = files();
    write(m_dir.filePath(QStringLiteral("other.csv")), "query_id,record_id\nx,r1\n");
    noTruth.truth = m_dir.filePath(QStringLiteral("other.csv"));
    set = loadEvaluationSet(m_settings, noTruth, m_values);
    ASSERT_FALSE(set.has_value());
    EXPECT_TRUE(set.error().message().contains(QStringLiteral("no labelled query"))) << set.error().toString().toStdString();
}

TEST_F(EvaluationRunTest, ClustersHoldEveryTenthPersonOutOfTheIndex)
{
    QByteArray rows = "id,cluster,forename,surname,dob,postcode\n";
    clerk::testing::PeopleGenerator generator(5);
    for (int c = 0; c < 20; ++c) {
        const clerk::testing::Person p = generator.person(QStringLiteral("c%1").arg(c));
        for (int k = 0; k < 2; ++k)
            rows += QStringList{QStringLiteral("c%1-%2").arg(c).arg(k), QStringLiteral("c%1").arg(c, 2, 10, QChar(u'0')),
                                p.forename, p.surname, p.dob, p.postcode}
                        .join(u',')
                        .toUtf8()
                    + '\n';
    }
    write(m_dir.filePath(QStringLiteral("clusters.csv")), rows);
    EvaluationFiles clusters{.records = m_dir.filePath(QStringLiteral("clusters.csv")), .layout = TruthLayout::Clusters};
    auto set = loadEvaluationSet(m_settings, clusters, m_values);
    ASSERT_TRUE(set.has_value()) << set.error().toString().toStdString();
    EXPECT_EQ(set->index->size(), 18);   // 20 clusters, two held out
    EXPECT_EQ(set->queries.size(), 22);  // the second row of each, and both rows of the two held out
    qsizetype notInIndex = 0;
    for (const EvaluationQuery &query : set->queries)
        notInIndex += query.trueId.isEmpty() ? 1 : 0;
    EXPECT_EQ(notInIndex, 4);
}
