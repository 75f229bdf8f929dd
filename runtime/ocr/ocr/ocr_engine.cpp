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

// An upright reading at or above both of these is kept without asking OSD whether the page
// is turned: clean letters read 0.9-1 and 85-95, pages read upside down or sideways
// under 0.3 (see ocr_engine.h).
constexpr double UprightReadability = 0.6;
constexpr double UprightConfidence = 60.0;

// Per-stage times of one page, for the debug log.
struct StageTimes {
    qint64 blankCheck = 0;
    qint64 deskew = 0;
    qint64 binarise = 0;
    qint64 recognise = 0;
    qint64 readability = 0;
    qint64 orientation = 0;
};

// A reading of a grey page under this mean confidence is tried again on the grey page
// as it is, thresholded by Tesseract itself, and the more confident reading is kept.
// Letters read 85-95 with clerk's cleaning; scanned forms and receipts (FUNSD, SROIE)
// mostly under 70, and Tesseract's threshold reads them better (see ocr_engine.h).
constexpr double CleanedConfidence = 80.0;
// The light-print reading is kept when it has this many times the cleaned reading's
// confidently read characters: the light print must add words, not only grain.
constexpr double LightPrintGain = 1.1;

// Letters and digits in the words read with confidence >= ConfidentWord.
qsizetype confidentCharacters(const QList<OcrWord> &words)
{
    qsizetype count = 0;
    for (const OcrWord &word : words) {
        if (word.confidence < ConfidentWord)
            continue;
        for (const QChar c : word.text)
            count += c.isLetterOrNumber() ? 1 : 0;
    }
    return count;
}

// Reads `pix` as it stands (already turned upright or not): deskew, binarise, remove
// specks, recognise, score. `binaryAsIs` is `pix` binarised, from the blank check: it is
// reused when deskew leaves the page unchanged. Sets the page's text, words, confidence,
// skew angle, threshold choice and readability.
Result<void> readAsItStands(Pix *pix, PixPtr binaryAsIs, int dpi, const OcrOptions &options,
                            TesseractSession &tesseract, OcrPage &page, StageTimes &times)
{
    QElapsedTimer stage;
    stage.start();
    PixPtr straight;
    page.skewAngle = 0;
    if (options.deskew)
        straight = deskew(pix, &page.skewAngle);
    times.deskew += stage.restart();
    Pix *upright = straight ? straight.get() : pix;
    const bool grey = options.chooseThreshold && pixGetDepth(upright) == 8;
    Binarised binarised;
    if (page.skewAngle == 0 && binaryAsIs && !grey)
        binarised.cleaned = std::move(binaryAsIs);
    else
        binarised = binariseBoth(upright, grey);
    PixPtr binary = std::move(binarised.cleaned);
    if (binary)
        binary = removeSpecks(binary.get(), dpi);
    if (!binary)
        return fail(Error::internal(QStringLiteral("page %1 could not be prepared for OCR").arg(page.number)));
    InkProfile ink = measureInk(binary.get(), dpi);

    // The threshold, per page. clerk's cleaning suits letters (it removes scanner noise
    // and never invents ink) but loses light print: a cheap comparison with a lenient
    // threshold finds pages where it may have, and those are read both ways, the light
    // print kept only when it gives clearly more confidently read characters (on some
    // noisy letters the lenient threshold turns grain into glyph-sized blobs). A reading
    // that is still poor is tried again on the grey page as it is, thresholded by
    // Tesseract itself, which reads noisy scanned forms and receipts better.
    page.threshold = OcrPage::Threshold::Cleaned;
    PixPtr withLight = std::move(binarised.withLight);
    InkProfile lightInk;
    if (grey) {
        if (withLight)
            withLight = removeSpecks(withLight.get(), dpi);
        if (withLight) {
            lightInk = measureInk(withLight.get(), dpi);
            qCDebug(lcOcr).nospace() << "page " << page.number << " character blobs: " << ink.characterBlobs
                                     << " cleaned, " << lightInk.characterBlobs << " with light print";
            if (!cleaningLostText(ink, lightInk))
                withLight.reset();
        }
    }
    pixSetResolution(binary.get(), dpi, dpi);
    pixSetResolution(upright, dpi, dpi);
    times.binarise += stage.restart();

    auto recognised = tesseract.recognise(binary.get(), dpi, options.language, options.pageTimeout, options.deadline);
    if (!recognised)
        return fail(recognised.error().withContext(QStringLiteral("page %1").arg(page.number)));
    if (withLight) {
        pixSetResolution(withLight.get(), dpi, dpi);
        auto light = tesseract.recognise(withLight.get(), dpi, options.language, options.pageTimeout, options.deadline);
        if (!light)
            return fail(light.error().withContext(QStringLiteral("page %1").arg(page.number)));
        if (double(confidentCharacters(light->words)) > LightPrintGain * double(confidentCharacters(recognised->words))) {
            recognised = std::move(light);
            ink = std::move(lightInk);
            page.threshold = OcrPage::Threshold::LightPrint;
        }
    }
    if (grey && recognised->meanConfidence < CleanedConfidence) {
        auto again = tesseract.recognise(upright, dpi, options.language, options.pageTimeout, options.deadline);
        if (!again)
            return fail(again.error().withContext(QStringLiteral("page %1").arg(page.number)));
        if (again->meanConfidence > recognised->meanConfidence) {
            recognised = std::move(again);
            page.threshold = OcrPage::Threshold::Tesseract;
        }
    }
    page.text = std::move(recognised->text);
    page.words = std::move(recognised->words);
    page.meanConfidence = recognised->meanConfidence;
    times.recognise += stage.restart();
    page.readability = readability(ink, page.words);
    times.readability += stage.restart();
    return {};
}

// Whether an upright reading is poor enough to ask OSD if the page is turned.
bool worthCheckingOrientation(const OcrPage &page)
{
    return page.readability < UprightReadability || page.meanConfidence < UprightConfidence;
}

Result<OcrPage> readImagePage(SourcePage source, int number, const OcrOptions &options, TesseractSession &tesseract)
{
    OcrPage page;
    page.number = number;
    StageTimes times;
    QElapsedTimer stage;
    stage.start();
    PixPtr pix = toGreyOrBinary(source.image.get());
    if (!pix)
        return fail(Error::unreadable(QStringLiteral("page %1 has an image format that cannot be converted").arg(number)));
    source.image.reset();

    // Blank pages are found on the page as it is: turning and deskewing cannot add ink,
    // and OSD on an empty page only wastes time. A 1-bit page's copy is kept for reading
    // when deskew leaves it as it is; a grey page is checked at half size, a quarter of
    // the cost, since its reading binarises it again with the light print.
    PixPtr binary;
    bool blank = false;
    if (pixGetDepth(pix.get()) == 1 || source.dpi < 200) {
        binary = binarise(pix.get());
        blank = binary && isBlank(measureInk(binary.get(), source.dpi));
    } else if (PixPtr half = halfSize(pix.get())) {
        PixPtr halfBinary = binarise(half.get());
        blank = halfBinary && isBlank(measureInk(halfBinary.get(), source.dpi / 2));
    }
    if (blank) {
        page.blank = true;
        return page;
    }
    times.blankCheck = stage.restart();

    // Most pages arrive upright, and OSD costs about as much as recognition: read the page
    // as it is first, and ask OSD only when that reading is poor.
    if (auto read = readAsItStands(pix.get(), std::move(binary), source.dpi, options, tesseract, page, times); !read)
        return fail(read.error());
    if (options.detectOrientation && worthCheckingOrientation(page)) {
        page.orientationChecked = true;
        stage.restart();
        // OSD at full resolution costs more than recognition itself; at half size it
        // takes a fraction of that and still sees the letters' shapes.
        PixPtr half = source.dpi >= 250 ? halfSize(pix.get()) : PixPtr();
        const int rotation = half ? tesseract.uprightRotation(half.get(), source.dpi / 2)
                                  : tesseract.uprightRotation(pix.get(), source.dpi);
        times.orientation = stage.elapsed();
        if (rotation != 0) {
            PixPtr turned = rotateClockwise(pix.get(), rotation);
            OcrPage again;
            again.number = number;
            again.orientationChecked = true;
            again.rotation = rotation;
            if (!turned)
                return fail(Error::internal(QStringLiteral("page %1 could not be turned").arg(number)));
            if (auto read = readAsItStands(turned.get(), PixPtr(), source.dpi, options, tesseract, again, times); !read)
                return fail(read.error());
            // OSD can be wrong on a poor page: keep whichever reading accounts for more ink.
            if (again.readability >= page.readability)
                page = std::move(again);
        }
    }
    qCDebug(lcOcr).nospace() << "page " << number << " ms: blank check " << times.blankCheck << ", deskew "
                             << times.deskew << ", binarise " << times.binarise << ", recognise " << times.recognise
                             << ", readability " << times.readability << ", orientation " << times.orientation
                             << (page.orientationChecked ? " (checked)" : " (not needed)") << ", rotation "
                             << page.rotation;
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
        if (std::chrono::steady_clock::now() >= options.deadline)
            return fail(Error::timeout(QStringLiteral("the time limit passed after %1 of %2 pages").arg(index).arg(pagesToRead))
                            .withContext(QFileInfo(path).fileName()));
        QElapsedTimer loading;
        loading.start();
        auto loaded = (*source)->page(index);
        if (!loaded)
            return fail(loaded.error());
        qCDebug(lcOcr).nospace() << "page " << index + 1 << " ms: load " << loading.elapsed();
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
