// Golden documents: every tests/data/ocr/<case>.expected.json beside its <case>.<ext>
// input is read through OcrEngine and compared. A new case is two files (make them with
// make_fixtures.cpp). Keys of an expected file:
//   error, reason_contains        the read must fail with this code ("unreadable") and reason
//   page_count                    pages in the file
//   blank_pages                   numbers of the pages that must be found blank (all others must not be)
//   rotation                      per page: the clockwise turn that made it upright
//   from_text_layer               per page: text taken from the PDF's text layer
//   page_text, max_cer            per page: expected text; CER after whitespace normalisation <= max_cer
//   min_readability / max_readability   bounds on the document's readability
//   min_abs_skew                  the deskew applied to page 1 is at least this many degrees
#include "ocr_test_support.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

using namespace clerk;
using namespace clerk::ocr;
using namespace clerk::ocr::testing;

namespace {

struct GoldenCase {
    QString name;
    QString input;
    QJsonObject expected;
};

std::vector<std::string> caseNames()
{
    std::vector<std::string> names;
    const QDir dir(fixture(QString()));
    for (const QString &file : dir.entryList({QStringLiteral("*.expected.json")}, QDir::Files, QDir::Name))
        names.push_back(file.chopped(int(qstrlen(".expected.json"))).toStdString());
    return names;
}

GoldenCase loadCase(const std::string &name)
{
    GoldenCase golden;
    golden.name = QString::fromStdString(name);
    const QDir dir(fixture(QString()));
    for (const QString &file : dir.entryList({golden.name + QStringLiteral(".*")}, QDir::Files)) {
        if (!file.endsWith(QStringLiteral(".expected.json")))
            golden.input = dir.filePath(file);
    }
    QFile json(dir.filePath(golden.name + QStringLiteral(".expected.json")));
    if (json.open(QIODevice::ReadOnly))
        golden.expected = QJsonDocument::fromJson(json.readAll()).object();
    return golden;
}

QJsonArray actualBlankPages(const OcrDocument &document)
{
    QJsonArray blank;
    for (const OcrPage &page : document.pages) {
        if (page.blank)
            blank.append(page.number);
    }
    return blank;
}

std::string json(const QJsonValue &value)
{
    if (value.isArray())
        return QJsonDocument(value.toArray()).toJson(QJsonDocument::Compact).toStdString();
    return QJsonDocument(QJsonArray{value}).toJson(QJsonDocument::Compact).toStdString();
}

class OcrGoldenTest : public ::testing::TestWithParam<std::string> {};

} // namespace

TEST(OcrGoldenTest, FindsTheCases)
{
    EXPECT_GE(caseNames().size(), 10u) << "tests/data/ocr should hold the generated fixtures";
}

TEST_P(OcrGoldenTest, MatchesExpected)
{
    const GoldenCase golden = loadCase(GetParam());
    ASSERT_FALSE(golden.input.isEmpty()) << "no input file beside " << golden.name.toStdString() << ".expected.json";
    ASSERT_FALSE(golden.expected.isEmpty()) << "unreadable expected.json for " << golden.name.toStdString();
    const QJsonObject &expected = golden.expected;

    const auto read = OcrEngine().readDocument(golden.input, OcrOptions{});
    if (expected.contains(QStringLiteral("error"))) {
        ASSERT_FALSE(read.has_value()) << "expected an error, read " << read->pages.size() << " pages";
        EXPECT_EQ(toString(read.error().code()).toStdString(), expected[QStringLiteral("error")].toString().toStdString());
        EXPECT_TRUE(read.error().toString().contains(expected[QStringLiteral("reason_contains")].toString()))
            << "reason: " << read.error().toString().toStdString();
        return;
    }
    ASSERT_OK(read);
    const OcrDocument &document = *read;

    EXPECT_EQ(document.pageCount, expected[QStringLiteral("page_count")].toInt());
    ASSERT_EQ(document.pages.size(), expected[QStringLiteral("page_count")].toInt());
    EXPECT_EQ(actualBlankPages(document), expected[QStringLiteral("blank_pages")].toArray())
        << "blank pages: expected " << json(expected[QStringLiteral("blank_pages")]) << ", got "
        << json(actualBlankPages(document));

    const QJsonArray rotations = expected[QStringLiteral("rotation")].toArray();
    const QJsonArray layers = expected[QStringLiteral("from_text_layer")].toArray();
    const QJsonArray texts = expected[QStringLiteral("page_text")].toArray();
    const double maxCer = expected[QStringLiteral("max_cer")].toDouble(0.02);
    for (const OcrPage &page : document.pages) {
        const int i = page.number - 1;
        SCOPED_TRACE("page " + std::to_string(page.number));
        if (i < rotations.size()) {
            EXPECT_EQ(page.rotation, rotations[i].toInt());
        }
        if (i < layers.size()) {
            EXPECT_EQ(page.fromTextLayer, layers[i].toBool());
        }
        if (i < texts.size()) {
            const QString want = texts[i].toString();
            const double cer = characterErrorRate(want, page.text);
            EXPECT_LE(cer, maxCer) << "character error rate " << cer << " (confidence " << page.meanConfidence
                                   << ", readability " << page.readability << "); diff:\n"
                                   << lineDiff(want, page.text);
        }
    }
    if (expected.contains(QStringLiteral("min_readability"))) {
        EXPECT_GE(document.readability, expected[QStringLiteral("min_readability")].toDouble());
    }
    if (expected.contains(QStringLiteral("max_readability"))) {
        EXPECT_LE(document.readability, expected[QStringLiteral("max_readability")].toDouble())
            << "confidence " << document.meanConfidence << ", words " << document.pages.value(0).words.size();
    }
    if (expected.contains(QStringLiteral("min_abs_skew"))) {
        EXPECT_GE(std::abs(document.pages.value(0).skewAngle), expected[QStringLiteral("min_abs_skew")].toDouble());
    }

    // The document's text is its pages' text joined by form feeds.
    QStringList pageTexts;
    for (const OcrPage &page : document.pages)
        pageTexts.append(page.text);
    EXPECT_EQ(document.text, pageTexts.join(QLatin1Char('\f')));
}

INSTANTIATE_TEST_SUITE_P(Documents, OcrGoldenTest, ::testing::ValuesIn(caseNames()),
                         [](const ::testing::TestParamInfo<std::string> &param) { return param.param; });
