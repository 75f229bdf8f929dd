#include "ocr/ocr_engine.h"

#include "ocr/ocr_logging_p.h"
#include "ocr/page_analysis_p.h"
#include "ocr/page_source_p.h"
#include "ocr/tesseract_session_p.h"

#include <QElapsedTimer>
#include <QFileInfo>

namespace clerk::ocr {

Q_LOGGING_CATEGORY(lcOcr, "clerk.ocr")

namespace {

Result<OcrPage> readImagePage(SourcePage source, int number, const OcrOptions &options, TesseractSession &tesseract)
{
    OcrPage page;
    page.number = number;
    QElapsedTimer stage;
    stage.start();
    PixPtr pix = toGreyOrBinary(source.image.get());
    if (!pix)
        return fail(Error::unreadable(QStringLiteral("page %1 has an image format that cannot be converted").arg(number)));
    source.image.reset();

    // Blank pages are found on the page as it is: turning and deskewing cannot add ink,
    // and OSD on an empty page only wastes time.
    {
        PixPtr binary = binarise(pix.get());
        if (binary && isBlank(measureInk(binary.get(), source.dpi))) {
            page.blank = true;
            return page;
        }
    }

    const qint64 prepared = stage.restart();
    if (options.detectOrientation) {
        // OSD at full resolution costs more than recognition itself (~450 ms a page);
        // at half size it takes a fraction of that and still sees the letters' shapes.
        PixPtr half = source.dpi >= 250 ? halfSize(pix.get()) : PixPtr();
        page.rotation = half ? tesseract.uprightRotation(half.get(), source.dpi / 2)
                             : tesseract.uprightRotation(pix.get(), source.dpi);
        if (page.rotation != 0)
            pix = rotateClockwise(pix.get(), page.rotation);
    }
    const qint64 oriented = stage.restart();
    if (options.deskew)
        pix = deskew(pix.get(), &page.skewAngle);
    const qint64 deskewed = stage.restart();
    PixPtr binary = binarise(pix.get());
    if (binary)
        binary = removeSpecks(binary.get(), source.dpi);
    if (!pix || !binary)
        return fail(Error::internal(QStringLiteral("page %1 could not be prepared for OCR").arg(number)));
    pixSetResolution(binary.get(), source.dpi, source.dpi);

    const qint64 binarised = stage.restart();
    auto recognised = tesseract.recognise(binary.get(), source.dpi, options.language, options.pageTimeout);
    if (!recognised)
        return fail(recognised.error().withContext(QStringLiteral("page %1").arg(number)));
    page.text = recognised->text;
    page.words = std::move(recognised->words);
    page.meanConfidence = recognised->meanConfidence;
    const qint64 recognisedMs = stage.restart();
    page.readability = readability(measureInk(binary.get(), source.dpi), page.words);
    qCDebug(lcOcr).nospace() << "page " << number << " ms: blank check " << prepared << ", orientation " << oriented
                             << ", deskew " << deskewed << ", binarise " << binarised << ", recognise " << recognisedMs
                             << ", readability " << stage.elapsed();
    return page;
}

} // namespace

Result<OcrDocument> OcrEngine::readDocument(const QString &path, const OcrOptions &options) const
{
    QElapsedTimer timer;
    timer.start();
    auto source = openPageSource(path, options);
    if (!source)
        return fail(source.error());

    OcrDocument document;
    document.pageCount = (*source)->pageCount();
    const int pagesToRead = std::min(document.pageCount, std::max(0, options.maxPages));
    TesseractSession &tesseract = TesseractSession::forThisThread();

    QStringList texts;
    double confidenceSum = 0;
    int readPages = 0;
    for (int index = 0; index < pagesToRead; ++index) {
        auto loaded = (*source)->page(index);
        if (!loaded)
            return fail(loaded.error());
        OcrPage page;
        if (loaded->fromTextLayer) {
            page.number = index + 1;
            page.fromTextLayer = true;
            page.text = std::move(loaded->text);
            page.words = std::move(loaded->words);
            page.meanConfidence = 100;
        } else {
            auto read = readImagePage(std::move(*loaded), index + 1, options, tesseract);
            if (!read)
                return fail(read.error().withContext(QFileInfo(path).fileName()));
            page = std::move(*read);
        }
        texts.append(page.text);
        if (!page.blank) {
            confidenceSum += page.meanConfidence;
            ++readPages;
            document.readability = std::min(document.readability, page.readability);
        }
        document.pages.append(std::move(page));
    }
    document.text = texts.join(QLatin1Char('\f'));
    document.meanConfidence = readPages > 0 ? confidenceSum / readPages : 0;
    // Counts only: the text is personal data.
    qCInfo(lcOcr).nospace() << "read " << document.pages.size() << " of " << document.pageCount << " pages ("
                            << document.blankPageCount() << " blank) in " << timer.elapsed() << " ms";
    return document;
}

} // namespace clerk::ocr
