// Loading: how image files become the page a person would see (page_source_p.h), on
// small images made here: EXIF orientation, 16-bit samples, transparency; and PDF pages
// rendered in grey by Poppler's core renderer, compared with its Qt interface.
#include "exif_jpeg.h"
#include "ocr_test_support.h"

#include "ocr/ocr_engine.h"
#include "ocr/page_image.h"
#include "ocr/page_source_p.h"

#include <poppler-qt6.h>

#include <QBuffer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>

using namespace clerk;
using namespace clerk::ocr;
using namespace clerk::ocr::testing;

namespace {

// Upright: 120 x 60 white, with a black 30 x 15 block in the top left corner.
QImage markedPage()
{
    QImage page(120, 60, QImage::Format_Grayscale8);
    page.fill(255);
    for (int y = 0; y < 15; ++y)
        std::fill_n(page.scanLine(y), 30, uchar(0));
    return page;
}

bool writeFile(const QString &path, const QByteArray &bytes)
{
    QFile file(path);
    return file.open(QIODevice::WriteOnly) && file.write(bytes) == bytes.size();
}

Result<SourcePage> firstPage(const QString &path)
{
    auto source = openPageSource(path, OcrOptions{});
    if (!source)
        return fail(source.error());
    return (*source)->page(0);
}

// The grey level at (x, y) of an 8-bit or 32-bit page.
int greyAt(Pix *pix, int x, int y)
{
    l_uint32 value = 0;
    pixGetPixel(pix, x, y, &value);
    if (pixGetDepth(pix) != 32)
        return int(value);
    l_int32 r = 0, g = 0, b = 0;
    extractRGBValues(value, &r, &g, &b);
    return (r + g + b) / 3;
}

// Page `index` of a PDF as Poppler's Qt interface renders it (32-bit colour) made grey:
// how clerk rendered PDF pages before the core renderer.
QImage renderedThroughQt(const QString &path, int index, int dpi)
{
    const std::unique_ptr<Poppler::Document> document = Poppler::Document::load(path);
    if (!document)
        return {};
    document->setRenderHint(Poppler::Document::Antialiasing, true);
    document->setRenderHint(Poppler::Document::TextAntialiasing, true);
    const std::unique_ptr<Poppler::Page> page = document->page(index);
    return page ? page->renderToImage(dpi, dpi).convertToFormat(QImage::Format_Grayscale8) : QImage();
}

// How many pixels of `pix` (8-bit) differ from `image`; -1 when the sizes differ.
qint64 differingPixels(Pix *pix, const QImage &image)
{
    if (pixGetWidth(pix) != image.width() || pixGetHeight(pix) != image.height())
        return -1;
    qint64 differing = 0;
    for (int y = 0; y < image.height(); ++y) {
        const l_uint32 *line = pixGetData(pix) + qsizetype(y) * pixGetWpl(pix);
        for (int x = 0; x < image.width(); ++x)
            differing += GET_DATA_BYTE(line, x) != image.constScanLine(y)[x] ? 1 : 0;
    }
    return differing;
}

// A scanner's PDF as img2pdf writes it: one page exactly the size of its grey JPEG at
// `dpi`, the image drawn over all of it and nothing else.
QByteArray scannerPdf(const QByteArray &jpeg, int width, int height, int dpi)
{
    const QByteArray w = QByteArray::number(width * 72.0 / dpi, 'f', 4), h = QByteArray::number(height * 72.0 / dpi, 'f', 4);
    const QByteArray content = "q\n" + w + " 0 0 " + h + " 0.0000 0.0000 cm\n/Im0 Do\nQ\n";
    QList<QByteArray> objects = {
        "<< /Pages 2 0 R /Type /Catalog >>",
        "<< /Count 1 /Kids [ 3 0 R ] /Type /Pages >>",
        "<< /Contents 4 0 R /MediaBox [ 0 0 " + w + " " + h + " ] /Parent 2 0 R /Resources << /XObject << /Im0 5 0 R >> >> "
        "/Type /Page >>",
        "<< /Length " + QByteArray::number(content.size()) + " >>\nstream\n" + content + "\nendstream",
        "<< /BitsPerComponent 8 /ColorSpace /DeviceGray /Filter /DCTDecode /Height " + QByteArray::number(height) +
            " /Length " + QByteArray::number(jpeg.size()) + " /Subtype /Image /Type /XObject /Width " +
            QByteArray::number(width) + " >>\nstream\n" + jpeg + "\nendstream",
    };
    QByteArray pdf("%PDF-1.4\n");
    QList<qsizetype> offsets;
    for (qsizetype i = 0; i < objects.size(); ++i) {
        offsets.append(pdf.size());
        pdf.append(QByteArray::number(i + 1) + " 0 obj\n" + objects[i] + "\nendobj\n");
    }
    const qsizetype xref = pdf.size();
    pdf.append("xref\n0 " + QByteArray::number(objects.size() + 1) + "\n0000000000 65535 f \n");
    for (const qsizetype offset : offsets)
        pdf.append(QByteArray::number(offset).rightJustified(10, '0') + " 00000 n \n");
    pdf.append("trailer\n<< /Size " + QByteArray::number(objects.size() + 1) + " /Root 1 0 R >>\nstartxref\n" +
               QByteArray::number(xref) + "\n%%EOF\n");
    return pdf;
}

QString expectedText(const QString &caseName)
{
    QFile file(fixture(caseName + QStringLiteral(".expected.json")));
    if (!file.open(QIODevice::ReadOnly))
        return {};
    return QJsonDocument::fromJson(file.readAll()).object()[QStringLiteral("page_text")].toArray()[0].toString();
}

} // namespace

TEST(PageSourceTest, RendersAScannedPdfPageInGreyWithTheSamePixelsAndText)
{
    // A scanner's PDF: one grey JPEG of a 200 ppi letter per page. Rendered at 200 dpi it
    // is drawn as it is, at 300 dpi scaled up.
    QTemporaryDir dir;
    ASSERT_TRUE(dir.isValid());
    const QString path = dir.filePath(QStringLiteral("grey_scan.pdf"));
    PixPtr scan(pixRead(QFile::encodeName(fixture(QStringLiteral("grey_letter.png"))).constData()));
    ASSERT_TRUE(scan);
    ASSERT_EQ(pixConvertToPdf(scan.get(), L_JPEG_ENCODE, 85, QFile::encodeName(path).constData(), 0, 0, 200,
                              "grey scan", nullptr, L_FIRST_IMAGE | L_LAST_IMAGE),
              0);

    for (const int dpi : {200, 300}) {
        SCOPED_TRACE(dpi);
        OcrOptions options;
        options.pdfDpi = dpi;
        auto source = openPageSource(path, options);
        ASSERT_OK(source);
        const auto page = (*source)->page(0);
        ASSERT_OK(page);
        ASSERT_TRUE(page->image);
        EXPECT_EQ(pixGetDepth(page->image.get()), 8);
        EXPECT_EQ(page->dpi, dpi);
        EXPECT_EQ(pixGetXRes(page->image.get()), dpi);
        EXPECT_EQ(differingPixels(page->image.get(), renderedThroughQt(path, 0, dpi)), 0);
    }

    const auto read = OcrEngine().readDocument(path, OcrOptions{});
    ASSERT_OK(read);
    EXPECT_GE(wordRecall(expectedText(QStringLiteral("grey_letter")), read->text), 0.95) << read->text.toStdString();
}

TEST(PageSourceTest, TakesAScannersPdfPageAsItsImage)
{
    // At the image's own resolution the page is the JPEG as it was scanned (not drawn by
    // Splash, which resamples it); at any other it is rendered as before.
    QTemporaryDir dir;
    ASSERT_TRUE(dir.isValid());
    PixPtr scan(pixRead(QFile::encodeName(fixture(QStringLiteral("grey_letter.png"))).constData()));
    ASSERT_TRUE(scan);
    l_uint8 *data = nullptr;
    size_t size = 0;
    ASSERT_EQ(pixWriteMem(&data, &size, scan.get(), IFF_JFIF_JPEG), 0);
    const QByteArray jpeg(reinterpret_cast<const char *>(data), qsizetype(size));
    lept_free(data);
    PixPtr decoded(pixReadMem(reinterpret_cast<const l_uint8 *>(jpeg.constData()), size_t(jpeg.size())));
    ASSERT_TRUE(decoded);
    const QString path = dir.filePath(QStringLiteral("scanner.pdf"));
    ASSERT_TRUE(writeFile(path, scannerPdf(jpeg, pixGetWidth(scan.get()), pixGetHeight(scan.get()), 200)));

    for (const int dpi : {200, 300}) {
        SCOPED_TRACE(dpi);
        OcrOptions options;
        options.pdfDpi = dpi;
        auto source = openPageSource(path, options);
        ASSERT_OK(source);
        const auto page = (*source)->page(0);
        ASSERT_OK(page);
        ASSERT_TRUE(page->image);
        EXPECT_EQ(pixGetXRes(page->image.get()), dpi);
        const QImage asBefore = renderedThroughQt(path, 0, dpi);
        if (dpi == 200) {
            l_int32 same = 0;
            ASSERT_EQ(pixEqual(page->image.get(), decoded.get(), &same), 0);
            EXPECT_TRUE(same) << "the page must be the scanned image itself";
            EXPECT_GT(differingPixels(page->image.get(), asBefore), 0) << "Splash no longer resamples: drop the shortcut";
        } else {
            EXPECT_EQ(differingPixels(page->image.get(), asBefore), 0);
        }
    }

    OcrOptions atTheScansResolution;
    atTheScansResolution.pdfDpi = 200;
    const auto read = OcrEngine().readDocument(path, atTheScansResolution);
    ASSERT_OK(read);
    EXPECT_GE(wordRecall(expectedText(QStringLiteral("grey_letter")), read->text), 0.95) << read->text.toStdString();
}

TEST(PageSourceTest, RendersAPdfPagesVectorTextInGreyWithTheSamePixels)
{
    // The born-digital letter without its text layer: glyphs drawn by the renderer, with
    // their antialiased edges.
    OcrOptions options;
    options.useTextLayer = false;
    const QString path = fixture(QStringLiteral("born_digital.pdf"));
    auto source = openPageSource(path, options);
    ASSERT_OK(source);
    const auto page = (*source)->page(0);
    ASSERT_OK(page);
    ASSERT_TRUE(page->image);
    EXPECT_FALSE(page->fromTextLayer);
    EXPECT_EQ(differingPixels(page->image.get(), renderedThroughQt(path, 0, 300)), 0);
    PixPtr binary(pixThresholdToBinary(page->image.get(), 128));
    l_int32 ink = 0;
    pixCountPixels(binary.get(), &ink, nullptr);
    EXPECT_GT(ink, 10000) << "the page's text must be drawn";
}

TEST(PageSourceTest, ShowsAJpegAsItsExifOrientationSays)
{
    QTemporaryDir dir;
    ASSERT_TRUE(dir.isValid());
    for (int orientation = 1; orientation <= 8; ++orientation) {
        SCOPED_TRACE("EXIF orientation " + std::to_string(orientation));
        QByteArray jpeg;
        QBuffer buffer(&jpeg);
        buffer.open(QIODevice::WriteOnly);
        ASSERT_TRUE(storedForOrientation(markedPage(), orientation).save(&buffer, "JPEG", 95));
        const QString path = dir.filePath(QStringLiteral("photo%1.jpg").arg(orientation));
        ASSERT_TRUE(writeFile(path, withExifOrientation(jpeg, orientation)));

        const auto page = firstPage(path);
        ASSERT_OK(page);
        Pix *pix = page->image.get();
        ASSERT_EQ(pixGetWidth(pix), 120);
        ASSERT_EQ(pixGetHeight(pix), 60);
        EXPECT_LT(greyAt(pix, 10, 5), 64) << "the block belongs in the top left corner";
        EXPECT_GT(greyAt(pix, 110, 5), 192);
        EXPECT_GT(greyAt(pix, 10, 55), 192);
        EXPECT_GT(greyAt(pix, 110, 55), 192);
    }
}

TEST(PageSourceTest, ScalesSixteenBitGreyByTheLevelsTheScannerUsed)
{
    // 12-bit samples stored unscaled (white = 4095) and full 16-bit ones, as PNG and TIFF:
    // each must come out as white paper with black ink, not as a black page.
    QTemporaryDir dir;
    ASSERT_TRUE(dir.isValid());
    for (const int white : {4095, 65535}) {
        QImage deep(120, 60, QImage::Format_Grayscale16);
        for (int y = 0; y < 60; ++y) {
            auto *line = reinterpret_cast<quint16 *>(deep.scanLine(y));
            for (int x = 0; x < 120; ++x)
                line[x] = quint16(y < 15 && x < 30 ? white / 20 : white);
        }
        const QString png = dir.filePath(QStringLiteral("deep%1.png").arg(white));
        ASSERT_TRUE(deep.save(png));

        PixPtr pix16(pixCreate(120, 60, 16));
        for (int y = 0; y < 60; ++y)
            for (int x = 0; x < 120; ++x)
                pixSetPixel(pix16.get(), x, y, reinterpret_cast<const quint16 *>(deep.constScanLine(y))[x]);
        const QString tiff = dir.filePath(QStringLiteral("deep%1.tif").arg(white));
        ASSERT_EQ(pixWriteTiff(QFile::encodeName(tiff).constData(), pix16.get(), IFF_TIFF_ZIP, "w"), 0);

        for (const QString &path : {png, tiff}) {
            SCOPED_TRACE(path.toStdString());
            const auto page = firstPage(path);
            ASSERT_OK(page);
            Pix *pix = page->image.get();
            EXPECT_EQ(pixGetDepth(pix), 8);
            EXPECT_GE(greyAt(pix, 100, 40), 250) << "paper";
            EXPECT_LE(greyAt(pix, 10, 5), 16) << "ink";
        }
    }
}

TEST(PageSourceTest, PutsATransparentBackgroundOnWhitePaper)
{
    QTemporaryDir dir;
    ASSERT_TRUE(dir.isValid());
    QImage page(120, 60, QImage::Format_ARGB32);
    page.fill(Qt::transparent);
    for (int y = 0; y < 15; ++y)
        for (int x = 0; x < 30; ++x)
            page.setPixel(x, y, qRgba(0, 0, 0, 255));
    const QString path = dir.filePath(QStringLiteral("clear.png"));
    ASSERT_TRUE(page.save(path));

    const auto read = firstPage(path);
    ASSERT_OK(read);
    EXPECT_GE(greyAt(read->image.get(), 100, 40), 250) << "transparent must be paper, not black";
    EXPECT_LE(greyAt(read->image.get(), 10, 5), 16);
}

TEST(PageSourceTest, TheViewerShowsAnExifTurnedPhotoUpright)
{
    const auto png = renderPagePng(fixture(QStringLiteral("photo_exif_90.jpg")), 0, 0);
    ASSERT_OK(png);
    const QImage shown = QImage::fromData(*png, "PNG");
    ASSERT_FALSE(shown.isNull());
    EXPECT_GT(shown.height(), shown.width()) << "an A4 letter is portrait";
}
