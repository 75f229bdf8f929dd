#include "ocr/ocr_engine.h"

#include "ocr/ocr_logging_p.h"
#include "ocr/page_analysis_p.h"
#include "ocr/page_source_p.h"
#include "ocr/tesseract_session_p.h"

#include <QElapsedTimer>
#include <QFileInfo>

#include <cmath>

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

// Tesseract reads print whose characters are a dozen pixels tall (a fax, a form scanned
// at 100 dpi) poorly; twice the size, it reads them as it reads a letter at 300 dpi.
// Plain tesseract on 40 of FUNSD's training forms (about 100 dpi): word F1 0.59 as they
// are, 0.68 at twice the size, 0.68 at three times. Letters at 300 dpi are never enlarged.
constexpr int SmallPrintHeight = 16;

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

// Up to this skew a grey page's 1-bit images are turned (by shear); beyond it the shear's
// steps cut through glyphs and the normalised grey page is turned instead (area mapping,
// about 60 ms for an A4 page at 300 dpi against 2 ms). Measured on post_fms letters
// other than the bench's throughput set: turning the 1-bit images read pages skewed
// under 1 degree as well as turning the grey page did, those skewed more with more errors.
constexpr double MaxBinaryTurn = 1.0;

// The page as Tesseract will read it, binarised (see Binarised) and straightened. A
// grey page is binarised as it lies, its skew found on that 1-bit image, and then the
// 1-bit images or the normalised grey page turned (see MaxBinaryTurn): turning the raw
// grey page and normalising it again cost twice as much. Null `cleaned` on a 1-bit
// page: the page itself is straight and clean as it is.
Binarised straightBinary(Pix *pix, bool deskewIt, bool withLightPrint, double *angle, StageTimes &times)
{
    QElapsedTimer stage;
    stage.start();
    *angle = 0;
    Binarised binarised;
    if (pixGetDepth(pix) == 1) {
        if (deskewIt)
            binarised.cleaned = deskew(pix, angle);
        times.deskew += stage.elapsed();
        return binarised;
    }
    PixPtr normalised = normaliseBackground(pix);
    binarised = normalised ? thresholdBoth(normalised.get(), withLightPrint) : binariseBoth(pix, withLightPrint);
    times.binarise += stage.restart();
    if (deskewIt && binarised.cleaned) {
        if (PixPtr turned = deskew(binarised.cleaned.get(), angle)) {
            if (std::abs(*angle) <= MaxBinaryTurn || !normalised) {
                binarised.cleaned = std::move(turned);
                if (binarised.withLight)
                    binarised.withLight = rotateByDegrees(binarised.withLight.get(), *angle);
            } else if (PixPtr turnedGrey = rotateByDegrees(normalised.get(), *angle)) {
                binarised = thresholdBoth(turnedGrey.get(), withLightPrint);
            } else {
                *angle = 0;
            }
        }
    }
    times.deskew += stage.elapsed();
    return binarised;
}

// Reads `pix` as it stands (already turned upright or not): deskew, binarise, remove
// specks, recognise, score. Sets the page's text, words, confidence, skew angle,
// threshold choice and readability.
Result<void> readAsItStands(Pix *pix, int dpi, const OcrOptions &options, TesseractSession &tesseract, OcrPage &page,
                            StageTimes &times)
{
    const bool grey = options.chooseThreshold && pixGetDepth(pix) == 8;
    Binarised binarised = straightBinary(pix, options.deskew, grey, &page.skewAngle, times);
    QElapsedTimer stage;
    stage.start();
    Pix *cleaned = binarised.cleaned ? binarised.cleaned.get() : pixGetDepth(pix) == 1 ? pix : nullptr;
    PixPtr binary = cleaned ? removeSpecks(cleaned, dpi) : PixPtr();
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
        // The grey page itself, straightened as its binary images were.
        PixPtr turned = page.skewAngle != 0 ? rotateByDegrees(pix, page.skewAngle) : PixPtr();
        Pix *upright = turned ? turned.get() : pix;
        pixSetResolution(upright, dpi, dpi);
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

// Small print (ocr_engine.h, step 2): a page under 200 dpi whose median character is
// under SmallPrintHeight pixels tall is read twice its size, within maxPixelsPerPage.
// `pix` and `dpi` become the enlarged page's, and page.scale says so.
void enlargeSmallPrint(PixPtr &pix, int &dpi, int characterHeight, const OcrOptions &options, OcrPage &page)
{
    if (dpi >= 200 || characterHeight <= 0 || characterHeight >= SmallPrintHeight)
        return;
    if (4 * qint64(pixGetWidth(pix.get())) * pixGetHeight(pix.get()) > options.maxPixelsPerPage)
        return;
    PixPtr larger = doubleSize(pix.get());
    if (!larger)
        return;
    qCDebug(lcOcr).nospace() << "page " << page.number << " small print (median character " << characterHeight
                             << " px): read at twice its size";
    pix = std::move(larger);
    dpi *= 2;
    page.scale = 2;
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
    PixPtr pix = toGreyOrBinary(std::move(source.image));
    if (!pix)
        return fail(Error::unreadable(QStringLiteral("page %1 has an image format that cannot be converted").arg(number)));

    // Blank pages are found on the page as it is: turning and deskewing cannot add ink,
    // and OSD on an empty page only wastes time. A grey page is checked at half size, a
    // quarter of the cost, since its reading binarises it again with the light print.
    bool blank = false;
    int characterHeight = 0;  // the median character's, on a page under 200 dpi
    if (pixGetDepth(pix.get()) == 1) {
        const InkProfile ink = measureInk(pix.get(), source.dpi);
        blank = isBlank(ink);
        characterHeight = ink.medianCharacterHeight;
    } else if (source.dpi < 200) {
        PixPtr binary = binarise(pix.get());
        const InkProfile ink = binary ? measureInk(binary.get(), source.dpi) : InkProfile{};
        blank = binary && isBlank(ink);
        characterHeight = ink.medianCharacterHeight;
    } else if (PixPtr half = halfSize(pix.get())) {
        PixPtr halfBinary = binarise(half.get());
        blank = halfBinary && isBlank(measureInk(halfBinary.get(), source.dpi / 2));
    }
    if (blank) {
        page.blank = true;
        return page;
    }
    times.blankCheck = stage.restart();
    enlargeSmallPrint(pix, source.dpi, characterHeight, options, page);

    // Most pages arrive upright, and OSD costs about as much as recognition: read the page
    // as it is first, and ask OSD only when that reading is poor.
    if (auto read = readAsItStands(pix.get(), source.dpi, options, tesseract, page, times); !read)
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
            if (auto read = readAsItStands(turned.get(), source.dpi, options, tesseract, again, times); !read)
                return fail(read.error());
            again.scale = page.scale;
            // OSD can be wrong on a poor page: keep whichever reading accounts for more ink.
            if (again.readability >= page.readability)
                page = std::move(again);
        }
    }
    if (page.scale > 1) {
        // Boxes at the page's own size, as for any other page.
        for (OcrWord &word : page.words)
            word.box = QRect(word.box.x() / page.scale, word.box.y() / page.scale, word.box.width() / page.scale,
                             word.box.height() / page.scale);
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
