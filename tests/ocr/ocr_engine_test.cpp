// OcrEngine behaviour beyond the golden files: what deskew, orientation detection and
// the readability score are for, the limits, and use from several threads.
#include "ocr_test_support.h"

#include "ocr/page_source_p.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <thread>

using namespace clerk;
using namespace clerk::ocr;
using namespace clerk::ocr::testing;

namespace {

QString expectedText(const QString &caseName, int page = 0)
{
    QFile file(fixture(caseName + QStringLiteral(".expected.json")));
    if (!file.open(QIODevice::ReadOnly))
        return {};
    return QJsonDocument::fromJson(file.readAll()).object()[QStringLiteral("page_text")].toArray()[page].toString();
}

OcrDocument readOrFail(const QString &name, const OcrOptions &options = {})
{
    auto read = OcrEngine().readDocument(fixture(name), options);
    EXPECT_TRUE(read.has_value()) << read.error().toString().toStdString();
    return read.value_or(OcrDocument{});
}

} // namespace

TEST(OcrEngineTest, DeskewRecoversTheLinesATiltedPageLoses)
{
    const QString truth = expectedText(QStringLiteral("skewed_notice"));
    OcrOptions noDeskew;
    noDeskew.deskew = false;
    const OcrDocument tilted = readOrFail(QStringLiteral("skewed_notice.tif"), noDeskew);
    const OcrDocument deskewed = readOrFail(QStringLiteral("skewed_notice.tif"));
    ASSERT_EQ(deskewed.pages.size(), 1);
    ASSERT_EQ(tilted.pages.size(), 1);

    const double recallDeskewed = wordRecall(truth, deskewed.text);
    const double recallTilted = wordRecall(truth, tilted.text);
    std::printf("skewed_notice: deskew %.2f deg, words read %.3f (readability %.3f, confidence %.1f); "
                "without deskew %.3f (readability %.3f, confidence %.1f)\n",
                deskewed.pages[0].skewAngle, recallDeskewed, deskewed.readability, deskewed.meanConfidence,
                recallTilted, tilted.readability, tilted.meanConfidence);
    EXPECT_GE(recallDeskewed, 0.95);
    EXPECT_LT(recallTilted, 0.80) << "the fixture no longer shows what deskew is for";
    EXPECT_EQ(tilted.pages[0].skewAngle, 0.0);
    // The readability score notices the loss even though the words it did find are confident.
    EXPECT_LT(tilted.readability, deskewed.readability - 0.2);
}
