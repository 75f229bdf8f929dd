#include "classify_test_support.h"

#include "classify/example_set.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>

using namespace clerk;
using namespace clerk::classify;

namespace {

void write(const QString &path, const QByteArray &content)
{
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile file(path);
    ASSERT_TRUE(file.open(QIODevice::WriteOnly));
    file.write(content);
}

} // namespace

TEST(ExampleSetTest, ParsesCsv)
{
    const struct {
        const char *input;
        QList<QStringList> rows;
    } cases[] = {
        {"a,b\n1,2\n", {{"a", "b"}, {"1", "2"}}},
        {"a,b\r\n1,2", {{"a", "b"}, {"1", "2"}}},
        {"\"x, y\",\"say \"\"hi\"\"\"\n", {{"x, y", "say \"hi\""}}},
        {"\"two\nlines\",z\n", {{"two\nlines", "z"}}},
        {",\n", {{"", ""}}},
        {"", {}},
    };
    for (const auto &c : cases) {
        auto rows = parseCsv(QString::fromUtf8(c.input));
        ASSERT_TRUE(rows.has_value()) << c.input;
        EXPECT_EQ(*rows, c.rows) << c.input;
    }
    for (const char *bad : {"\"open", "a,\"b\nc"})
        EXPECT_FALSE(parseCsv(QString::fromUtf8(bad)).has_value()) << bad;
}

TEST(ExampleSetTest, ReadsTheGeneratedLetters)
{
    auto set = loadExamples(clerk::testing::classifyData(QStringLiteral("train.csv")));
    ASSERT_TRUE(set.has_value());
    EXPECT_EQ(set->examples.size(), 150);
    EXPECT_EQ(set->examples.first().category, QStringLiteral("adult_social_care"));
    EXPECT_TRUE(set->examples.first().source.endsWith(QStringLiteral("train.csv row 2")));
}

TEST(ExampleSetTest, ReadsAFolderPerCategoryAndSkipsOtherFiles)
{
    QTemporaryDir dir;
    write(dir.filePath(QStringLiteral("highways/1.txt")), "A pothole.");
    write(dir.filePath(QStringLiteral("highways/2.TXT")), "A street light.");
    write(dir.filePath(QStringLiteral("highways/scan.pdf")), "%PDF");
    write(dir.filePath(QStringLiteral("blue_badge/1.txt")), "A blue badge.");
    auto set = loadExamples(dir.path());
    ASSERT_OK(set);
    ASSERT_EQ(set->examples.size(), 3);
    EXPECT_EQ(set->skippedFiles, 1);
    EXPECT_EQ(set->examples[0].category, QStringLiteral("blue_badge"));
    EXPECT_EQ(set->examples[2].text, QStringLiteral("A street light."));
}

TEST(ExampleSetTest, ReadsCsvWithFileColumnRelativeToTheCsv)
{
    QTemporaryDir dir;
    write(dir.filePath(QStringLiteral("letters/a.txt")), "School place please.");
    write(dir.filePath(QStringLiteral("index.csv")), "file,category,note\nletters/a.txt,school_admissions,x\n");
    auto set = loadExamples(dir.filePath(QStringLiteral("index.csv")));
    ASSERT_OK(set);
    ASSERT_EQ(set->examples.size(), 1);
    EXPECT_EQ(set->examples[0].text, QStringLiteral("School place please."));
}

TEST(ExampleSetTest, ReportsWhatIsWrong)
{
    QTemporaryDir dir;
    write(dir.filePath(QStringLiteral("nocolumns.csv")), "label,body\nx,y\n");
    write(dir.filePath(QStringLiteral("nocategory.csv")), "category,text\n,some text\n");
    write(dir.filePath(QStringLiteral("missingfile.csv")), "category,file\nx,absent.txt\n");
    write(dir.filePath(QStringLiteral("header-only.csv")), "category,text\n");
    const struct {
        const char *file;
        ErrorCode code;
        const char *message;
    } cases[] = {
        {"nocolumns.csv", ErrorCode::InvalidArgument, "must name the columns"},
        {"nocategory.csv", ErrorCode::InvalidArgument, "row 2: no category"},
        {"missingfile.csv", ErrorCode::Unreadable, "absent.txt"},
        {"header-only.csv", ErrorCode::InvalidArgument, "holds no examples"},
        {"absent.csv", ErrorCode::NotFound, "does not exist"},
    };
    for (const auto &c : cases) {
        auto set = loadExamples(dir.filePath(QString::fromLatin1(c.file)));
        ASSERT_FALSE(set.has_value()) << c.file;
        EXPECT_EQ(set.error().code(), c.code) << c.file;
        EXPECT_TRUE(set.error().toString().contains(QString::fromLatin1(c.message)))
            << c.file << ": " << set.error().toString().toStdString();
    }
}
