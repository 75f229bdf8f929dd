#include "match/csv_table.h"

#include <QFile>
#include <QTemporaryDir>
#include <gtest/gtest.h>

using namespace clerk;
using namespace clerk::match;

namespace {

// Every row the reader gives, after its header.
QList<QStringList> readAll(CsvReader &reader)
{
    QList<QStringList> rows;
    QStringList row;
    while (reader.next(row))
        rows.append(row);
    return rows;
}

QString written(const QTemporaryDir &dir, const QByteArray &bytes)
{
    const QString path = dir.filePath(QStringLiteral("people.csv"));
    QFile file(path);
    file.open(QIODevice::WriteOnly);
    file.write(bytes);
    return path;
}

} // namespace

TEST(CsvTableTest, ReadingARowAtATimeGivesTheWholeTablesRows)
{
    const QByteArray cases[] = {
        "id, name, town\r\n1, \"Smith, Jr\", Leeds\r\n\r\n2, \"say \"\"hi\"\"\",\n3\n",
        "\xEF\xBB\xBFid,name\n1,\xC3\xA9mile\n2,\"two\nlines\"",
        "id,name\n\"\",\"\"\n",
    };
    QTemporaryDir dir;
    for (const QByteArray &bytes : cases) {
        auto table = CsvTable::parse(bytes, QStringLiteral("people.csv"));
        ASSERT_TRUE(table.has_value());
        auto reader = CsvReader::open(written(dir, bytes));
        ASSERT_TRUE(reader.has_value()) << reader.error().toString().toStdString();
        EXPECT_EQ((*reader)->header(), table->header) << bytes.constData();
        EXPECT_EQ(readAll(**reader), table->rows) << bytes.constData();
    }
    auto quoted = CsvTable::parse(cases[0], QStringLiteral("people.csv"));
    EXPECT_EQ(quoted->rows[0][1], QStringLiteral("Smith, Jr"));
    EXPECT_EQ(quoted->rows[1][1], QStringLiteral("say \"hi\""));
    EXPECT_EQ(quoted->rows[2], (QStringList{QStringLiteral("3"), QString(), QString()}));
}

TEST(CsvTableTest, ReadingARowAtATimeKeepsCharactersSplitBetweenReads)
{
    // More than the megabyte read at once, in two-byte characters with an odd start, so a
    // character is split between two reads.
    QByteArray bytes = "id,name\n";
    for (int i = 0; bytes.size() < 3 * 1024 * 1024; ++i)
        bytes += QByteArray::number(i) + ",\xC3\xA9l\xC3\xA9onore\n";
    QTemporaryDir dir;
    auto reader = CsvReader::open(written(dir, bytes));
    ASSERT_TRUE(reader.has_value());
    const QList<QStringList> rows = readAll(**reader);
    EXPECT_EQ(rows, CsvTable::parse(bytes, QStringLiteral("people.csv"))->rows);
    for (const QStringList &row : rows)
        ASSERT_EQ(row[1], QStringLiteral("éléonore")) << row[0].toStdString();
}

TEST(CsvTableTest, AMissingOrEmptyFileIsNamed)
{
    QTemporaryDir dir;
    EXPECT_EQ(CsvReader::open(dir.filePath(QStringLiteral("none.csv"))).error().code(), ErrorCode::NotFound);
    EXPECT_EQ(CsvReader::open(written(dir, "\n\n")).error().code(), ErrorCode::InvalidArgument);
}
