// The inbound-post example end to end: train the classifier on the example's letters,
// then OCR, classify and extract the twelve scans with the real binary.
#include "cli_support_test.h"

#include <QDir>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>

using namespace clerk::testing;

TEST(InboundPostTest, TrainsThenReadsClassifiesAndExtractsEveryScan)
{
    QTemporaryDir dir;
    ASSERT_TRUE(dir.isValid());
    const QString example = QStringLiteral(CLERK_SOURCE_DIR "/examples/inbound-post");
    QDir().mkpath(dir.filePath(QStringLiteral("post")));
    for (const QString &file : {QStringLiteral("bot.yaml"), QStringLiteral("train.csv")})
        ASSERT_TRUE(QFile::copy(example + QLatin1Char('/') + file, dir.filePath(file)));
    for (const QString &scan : QDir(example + QStringLiteral("/post")).entryList(QDir::Files))
        ASSERT_TRUE(QFile::copy(example + QStringLiteral("/post/") + scan, dir.filePath(QStringLiteral("post/") + scan)));

    const ClerkRun train = runClerk({QStringLiteral("train"), dir.filePath(QStringLiteral("bot.yaml")),
                                     QStringLiteral("--examples"), dir.filePath(QStringLiteral("train.csv"))});
    ASSERT_EQ(train.exitCode, 0) << train.err.toStdString();

    const ClerkRun run = runClerk({QStringLiteral("run"), dir.filePath(QStringLiteral("bot.yaml")), QStringLiteral("--input"),
                                   dir.filePath(QStringLiteral("post")), QStringLiteral("--db"),
                                   dir.filePath(QStringLiteral("work.db")), QStringLiteral("--json")},
                                  {}, 300000);
    ASSERT_EQ(run.exitCode, 0) << run.err.toStdString();
    const QJsonObject summary = QJsonDocument::fromJson(run.out.toUtf8()).object();
    EXPECT_EQ(summary.value(QStringLiteral("done")).toInt(), 12) << run.out.toStdString();

    // make_examples.py writes two letters per category, in this order.
    const QStringList expected{QStringLiteral("blue_badge"), QStringLiteral("school_admissions"),
                               QStringLiteral("adult_social_care"), QStringLiteral("financial_assessment"),
                               QStringLiteral("complaint"), QStringLiteral("highways")};
    const QStringList lines = QString::fromUtf8(readFile(dir.filePath(QStringLiteral("filed/post-log.csv"))))
                                  .split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    ASSERT_EQ(lines.size(), 12);
    for (const QString &line : lines) {
        const QStringList cells = line.split(QLatin1Char(','));
        ASSERT_GE(cells.size(), 6) << line.toStdString();
        const int letter = cells[1].mid(7, 2).toInt();  // letter-NN.ext
        ASSERT_GE(letter, 1);
        EXPECT_EQ(cells[2], expected.value((letter - 1) / 2)) << line.toStdString();
    }
}
