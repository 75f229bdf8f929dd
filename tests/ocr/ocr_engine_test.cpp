// OcrEngine behaviour beyond the golden files: what deskew, orientation detection and
// the readability score are for, the limits, and use from several threads.
#include "ocr_test_support.h"

#include "ocr/page_source_p.h"

#include <leptonica/allheaders.h>
#include <tesseract/baseapi.h>

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <algorithm>
#include <cmath>
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
    EXPECT_OK(read);
    return read.value_or(OcrDocument{});
}

// What the tesseract command reads of a file: the image as it is, full layout analysis.
QString plainTesseract(const QString &name)
{
    tesseract::TessBaseAPI api;
    if (api.Init(nullptr, "eng", tesseract::OEM_LSTM_ONLY) != 0)
        return {};
    api.SetVariable("debug_file", "/dev/null");
    api.SetPageSegMode(tesseract::PSM_AUTO);
    Pix *pix = pixRead(QFile::encodeName(fixture(name)).constData());
    if (!pix)
        return {};
    api.SetImage(pix);
    char *raw = api.GetUTF8Text();
    const QString text = QString::fromUtf8(raw);
    delete[] raw;
    api.End();
    pixDestroy(&pix);
    return text;
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

TEST(OcrEngineTest, DeskewsGreyPagesTiltedALittleAndALot)
{
    // A grey page's 1-bit images are turned when it is tilted a little, its normalised
    // grey page when it is tilted more (ocr_engine.cpp, MaxBinaryTurn): both must read.
    QTemporaryDir dir;
    ASSERT_TRUE(dir.isValid());
    const QString truth = expectedText(QStringLiteral("grey_letter"));
    PixPtr upright(pixRead(QFile::encodeName(fixture(QStringLiteral("grey_letter.png"))).constData()));
    ASSERT_TRUE(upright);
    for (const double degrees : {0.7, -2.5}) {
        SCOPED_TRACE(degrees);
        PixPtr tilted(pixRotate(upright.get(), float(degrees * 3.14159265358979 / 180.0), L_ROTATE_AREA_MAP,
                                L_BRING_IN_WHITE, 0, 0));
        ASSERT_TRUE(tilted);
        ASSERT_EQ(pixGetDepth(tilted.get()), 8);
        const QString path = dir.filePath(QStringLiteral("tilted%1.png").arg(degrees));
        ASSERT_EQ(pixWrite(QFile::encodeName(path).constData(), tilted.get(), IFF_PNG), 0);

        const auto read = OcrEngine().readDocument(path, OcrOptions{});
        ASSERT_OK(read);
        ASSERT_EQ(read->pages.size(), 1);
        EXPECT_NEAR(std::abs(read->pages[0].skewAngle), std::abs(degrees), 0.2);
        EXPECT_GE(wordRecall(truth, read->text), 0.95) << read->text.toStdString();
        EXPECT_GE(read->readability, 0.8);
    }
}

TEST(OcrEngineTest, TurnsAnUpsideDownPageBeforeReadingIt)
{
    const QString truth = expectedText(QStringLiteral("upside_down"));
    const OcrDocument turned = readOrFail(QStringLiteral("upside_down.tif"));
    OcrOptions asScanned;
    asScanned.detectOrientation = false;
    const OcrDocument unturned = readOrFail(QStringLiteral("upside_down.tif"), asScanned);
    ASSERT_EQ(turned.pages.size(), 1);
    EXPECT_TRUE(turned.pages[0].orientationChecked) << "the upright reading was poor: OSD must be asked";
    EXPECT_EQ(turned.pages[0].rotation, 180);
    EXPECT_LE(characterErrorRate(truth, turned.text), 0.02);
    EXPECT_EQ(unturned.pages[0].rotation, 0);
    EXPECT_LT(wordRecall(truth, unturned.text), 0.2);
    EXPECT_LT(unturned.readability, 0.5) << "an unread upside-down page must not look readable";
}

TEST(OcrEngineTest, AsksOrientationDetectionOnlyWhenAPageReadsPoorly)
{
    // OSD costs about as much as recognition: pages that read well as they are (nearly
    // all post) skip it, and keep the same text.
    OcrOptions noOsd;
    noOsd.detectOrientation = false;
    for (const QString &name : {QStringLiteral("g4_letter.tif"), QStringLiteral("grey_letter.png"),
                               QStringLiteral("skewed_notice.tif"), QStringLiteral("sideways.tif")}) {
        const OcrDocument document = readOrFail(name);
        ASSERT_EQ(document.pages.size(), 1) << name.toStdString();
        EXPECT_FALSE(document.pages[0].orientationChecked) << name.toStdString();
        EXPECT_EQ(document.pages[0].rotation, 0) << name.toStdString();
        EXPECT_EQ(document.text, readOrFail(name, noOsd).text) << name.toStdString();
    }
    // A page of scribbles reads poorly in every direction: OSD is asked, and whatever it
    // says, the reading that accounts for more ink is kept (still flagged unreadable).
    const OcrDocument garbage = readOrFail(QStringLiteral("garbage_page.tif"));
    ASSERT_EQ(garbage.pages.size(), 1);
    EXPECT_TRUE(garbage.pages[0].orientationChecked);
    EXPECT_LT(garbage.readability, 0.3);
}

TEST(OcrEngineTest, TurnsPhotosByTheirExifTagWithoutAskingOrientationDetection)
{
    // The file says how to show the page: it is upright when loaded, so it reads well as
    // it is and the OSD pass (as costly as recognition) is not needed.
    for (const QString &name : {QStringLiteral("photo_exif_180"), QStringLiteral("photo_exif_90")}) {
        const OcrDocument document = readOrFail(name + QStringLiteral(".jpg"));
        ASSERT_EQ(document.pages.size(), 1) << name.toStdString();
        EXPECT_FALSE(document.pages[0].orientationChecked) << name.toStdString();
        EXPECT_EQ(document.pages[0].rotation, 0) << name.toStdString();
        EXPECT_LE(characterErrorRate(expectedText(name), document.text), 0.02) << name.toStdString();
        EXPECT_GE(document.readability, 0.9) << name.toStdString();
    }
}

TEST(OcrEngineTest, ReadsASixteenBitGreyLetter)
{
    // 12-bit scanner samples in a 16-bit PNG: the high bytes alone make a black page,
    // which used to be skipped as blank.
    const OcrDocument document = readOrFail(QStringLiteral("grey16_letter.png"));
    ASSERT_EQ(document.pages.size(), 1);
    EXPECT_FALSE(document.pages[0].blank);
    EXPECT_GE(wordRecall(expectedText(QStringLiteral("grey16_letter")), document.text), 0.95);
}

TEST(OcrEngineTest, KeepsTheLightPrintTheCleaningWouldLose)
{
    // A form with its values in light grey, a shaded band and a tinted box: the letters'
    // cleaning drops the values while reading the rest with confidence ~96, so only the
    // page's own ink can tell; the per-page choice keeps them.
    const QString truth = expectedText(QStringLiteral("faint_form"));
    const OcrDocument chosen = readOrFail(QStringLiteral("faint_form.png"));
    OcrOptions cleanedOnly;
    cleanedOnly.chooseThreshold = false;
    const OcrDocument cleaned = readOrFail(QStringLiteral("faint_form.png"), cleanedOnly);
    ASSERT_EQ(chosen.pages.size(), 1);
    ASSERT_EQ(cleaned.pages.size(), 1);
    const double recallChosen = wordRecall(truth, chosen.text);
    const double recallCleaned = wordRecall(truth, cleaned.text);
    const double recallTesseract = wordRecall(truth, plainTesseract(QStringLiteral("faint_form.png")));
    std::printf("faint_form: words read %.3f chosen, %.3f cleaned only, %.3f plain tesseract\n", recallChosen,
                recallCleaned, recallTesseract);
    EXPECT_EQ(chosen.pages[0].threshold, OcrPage::Threshold::LightPrint);
    EXPECT_EQ(cleaned.pages[0].threshold, OcrPage::Threshold::Cleaned);
    EXPECT_GE(recallChosen, 0.95);
    EXPECT_GE(recallChosen, recallTesseract);
    EXPECT_LT(recallCleaned, 0.8) << "the fixture no longer shows what the choice is for";
}

TEST(OcrEngineTest, LettersKeepTheCleaning)
{
    // The cleaning is what makes scanned letters read better than plain Tesseract: grey
    // and colour letters must not lose it to the per-page choice.
    for (const QString &name : {QStringLiteral("grey_letter.png"), QStringLiteral("grey16_letter.png"),
                               QStringLiteral("photo_exif_180.jpg"), QStringLiteral("photo_exif_90.jpg")}) {
        const OcrDocument document = readOrFail(name);
        ASSERT_EQ(document.pages.size(), 1) << name.toStdString();
        EXPECT_EQ(document.pages[0].threshold, OcrPage::Threshold::Cleaned) << name.toStdString();
    }
}

TEST(OcrEngineTest, ReadsSmallPrintAtTwiceItsSizeAndGivesBoxesAtThePagesOwn)
{
    // A fax: 8 pt at 100 dpi, characters about 7 pixels tall. Tesseract reads such print
    // poorly (plain tesseract on FUNSD's 100 dpi forms: word F1 0.59, at twice the size
    // 0.68), so the page is read enlarged; its words' boxes are then given back at the
    // page's own size, as every other page's are.
    const OcrDocument document = readOrFail(QStringLiteral("small_print.tif"));
    ASSERT_EQ(document.pages.size(), 1);
    const OcrPage &page = document.pages[0];
    EXPECT_EQ(page.scale, 2);
    EXPECT_GE(wordRecall(expectedText(QStringLiteral("small_print")), document.text), 0.9);
    ASSERT_FALSE(page.words.isEmpty());
    const QRect sheet(0, 0, 827, 1169);  // the fixture's size: A4 at 100 dpi
    int right = 0;
    for (const OcrWord &word : page.words) {
        EXPECT_TRUE(sheet.contains(word.box)) << word.text.toStdString();
        right = std::max(right, word.box.right());
    }
    // The longest line runs past the middle of the page: boxes were not halved twice.
    EXPECT_GT(right, sheet.width() / 2);

    // Letters at 300 and 200 dpi are read at their own size.
    for (const QString &name : {QStringLiteral("g4_letter.tif"), QStringLiteral("grey_letter.png")}) {
        const OcrDocument letter = readOrFail(name);
        ASSERT_FALSE(letter.pages.isEmpty()) << name.toStdString();
        EXPECT_EQ(letter.pages[0].scale, 1) << name.toStdString();
    }
}

TEST(OcrEngineTest, SkipsBlankBacksOfADuplexScan)
{
    const OcrDocument document = readOrFail(QStringLiteral("duplex_scan.tif"));
    ASSERT_EQ(document.pages.size(), 4);
    EXPECT_EQ(document.blankPageCount(), 2);
    EXPECT_TRUE(document.pages[1].blank);
    EXPECT_TRUE(document.pages[3].blank);
    EXPECT_TRUE(document.pages[1].text.isEmpty());
    EXPECT_TRUE(document.pages[1].words.isEmpty());
    // Blank pages neither lower the document's confidence nor its readability.
    EXPECT_NEAR(document.meanConfidence, (document.pages[0].meanConfidence + document.pages[2].meanConfidence) / 2, 1e-9);
    EXPECT_GT(document.meanConfidence, 85);
    EXPECT_EQ(document.readability, std::min(document.pages[0].readability, document.pages[2].readability));
    EXPECT_EQ(document.text.count(QLatin1Char('\f')), 3);
}

TEST(OcrEngineTest, ScoresCleanLettersReadableAndGarbageNot)
{
    for (const QString &name : {QStringLiteral("g4_letter.tif"), QStringLiteral("grey_letter.png"),
                               QStringLiteral("scanned.pdf"), QStringLiteral("sideways.tif")}) {
        const OcrDocument document = readOrFail(name);
        EXPECT_GE(document.readability, 0.9) << name.toStdString();
    }
    const OcrDocument garbage = readOrFail(QStringLiteral("garbage_page.tif"));
    ASSERT_EQ(garbage.pages.size(), 1);
    EXPECT_FALSE(garbage.pages[0].blank) << "a page full of ink is not blank";
    EXPECT_LT(garbage.readability, 0.3);
}

TEST(OcrEngineTest, ReadsOnlyMaxPagesButCountsThemAll)
{
    OcrOptions options;
    options.maxPages = 2;
    const OcrDocument document = readOrFail(QStringLiteral("duplex_scan.tif"), options);
    EXPECT_EQ(document.pageCount, 4);
    EXPECT_EQ(document.pages.size(), 2);
}

TEST(OcrEngineTest, RefusesAPageAboveThePixelLimitBeforeDecodingIt)
{
    OcrOptions options;
    options.maxPixelsPerPage = 1'000'000;  // an A4 page at 300 dpi is 8.7 million
    for (const QString &name : {QStringLiteral("g4_letter.tif"), QStringLiteral("grey_letter.png")}) {
        const auto read = OcrEngine().readDocument(fixture(name), options);
        ASSERT_FALSE(read.has_value()) << name.toStdString();
        EXPECT_EQ(read.error().code(), ErrorCode::Unreadable);
        EXPECT_TRUE(read.error().message().contains(QStringLiteral("above the limit"))) << read.error().toString().toStdString();
    }
}

TEST(OcrEngineTest, RendersLargePdfPagesAtALowerResolutionInstead)
{
    OcrOptions options;
    options.maxPixelsPerPage = 4'000'000;
    options.useTextLayer = false;
    const OcrDocument document = readOrFail(QStringLiteral("scanned.pdf"), options);
    ASSERT_EQ(document.pages.size(), 1);
    EXPECT_LE(characterErrorRate(expectedText(QStringLiteral("scanned")), document.text), 0.02);
}

TEST(OcrEngineTest, GivesUpOnAPageAfterThePageTimeout)
{
    OcrOptions options;
    options.pageTimeout = std::chrono::milliseconds(1);
    const auto read = OcrEngine().readDocument(fixture(QStringLiteral("skewed_notice.tif")), options);
    ASSERT_FALSE(read.has_value());
    EXPECT_EQ(read.error().code(), ErrorCode::Timeout) << read.error().toString().toStdString();
    EXPECT_TRUE(read.error().toString().contains(QStringLiteral("page 1"))) << read.error().toString().toStdString();
}

TEST(OcrEngineTest, OcrsABornDigitalPdfWhenTheTextLayerIsNotWanted)
{
    OcrOptions options;
    options.useTextLayer = false;
    const OcrDocument document = readOrFail(QStringLiteral("born_digital.pdf"), options);
    ASSERT_EQ(document.pages.size(), 1);
    EXPECT_FALSE(document.pages[0].fromTextLayer);
    EXPECT_TRUE(document.textLayerPages().isEmpty());
    EXPECT_LE(characterErrorRate(expectedText(QStringLiteral("born_digital")), document.text), 0.02);

    const OcrDocument layered = readOrFail(QStringLiteral("born_digital.pdf"));
    EXPECT_EQ(layered.textLayerPages(), QList<int>{1});
    EXPECT_FALSE(layered.pages[0].words.isEmpty());
}

TEST(OcrEngineTest, ReportsMissingFilesAndLanguages)
{
    const auto missing = OcrEngine().readDocument(fixture(QStringLiteral("no_such_file.tif")), {});
    ASSERT_FALSE(missing.has_value());
    EXPECT_EQ(missing.error().code(), ErrorCode::NotFound);

    OcrOptions klingon;
    klingon.language = QStringLiteral("tlh");
    const auto unknown = OcrEngine().readDocument(fixture(QStringLiteral("g4_letter.tif")), klingon);
    ASSERT_FALSE(unknown.has_value());
    EXPECT_EQ(unknown.error().code(), ErrorCode::Unavailable);
    // The thread's session recovers for the next document in a language that exists.
    EXPECT_FALSE(readOrFail(QStringLiteral("g4_letter.tif")).text.isEmpty());
}

TEST(OcrEngineTest, ReadsDocumentsOnSeveralThreadsAtOnce)
{
    const QStringList names = {QStringLiteral("g4_letter.tif"), QStringLiteral("grey_letter.png")};
    QList<QString> serial;
    for (const QString &name : names)
        serial.append(readOrFail(name).text);

    QList<QString> parallel(names.size() * 2);
    std::vector<std::thread> threads;
    for (qsizetype i = 0; i < parallel.size(); ++i) {
        threads.emplace_back([&, i] {
            auto read = OcrEngine().readDocument(fixture(names[i % names.size()]), {});
            parallel[i] = read ? read->text : read.error().toString();
        });
    }
    for (std::thread &thread : threads)
        thread.join();
    for (qsizetype i = 0; i < parallel.size(); ++i)
        EXPECT_EQ(parallel[i], serial[i % names.size()]) << "thread " << i;
}

TEST(OcrEngineTest, AcceptsOnlyPlainTextLayers)
{
    const struct {
        QString text;
        bool good;
    } cases[] = {
        {QStringLiteral("Dear Sir or Madam, I am writing about my council tax bill for 2026."), true},
        {QStringLiteral("Page 1"), false},                                     // too little text
        {QString(60, QChar::ReplacementCharacter), false},                      // font without an encoding
        {QStringLiteral("Dear Sir or Madam, I am writing about my council tax bill") + QString(3, QChar::ReplacementCharacter), false},
        {QString(50, QChar(0x0007)), false},                                    // control characters
        {QString(), false},
    };
    for (const auto &c : cases)
        EXPECT_EQ(isGoodTextLayer(c.text), c.good) << c.text.toStdString();
}
