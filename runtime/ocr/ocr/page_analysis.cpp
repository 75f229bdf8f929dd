#include "ocr/page_analysis_p.h"

#include <algorithm>
#include <vector>
#include <cmath>
#include <memory>

namespace clerk::ocr {

namespace {

// Character-sized, in millimetres: from a 6 pt x-height to a 36 pt capital, and at most
// a few touching letters wide. Dots, commas and specks fall below; ruled lines, logos
// and photos above.
constexpr double MinCharacterHeightMm = 0.8;
constexpr double MaxCharacterHeightMm = 12.0;
constexpr double MaxCharacterWidthMm = 25.0;
// Scanners leave shadows and punch holes along the edges.
constexpr double BorderBand = 0.03;
constexpr int MinBlobsForText = 8;
constexpr double MaxSpeckMm = 0.25;
constexpr double MinInkForText = 0.001;
// See binariseBoth and cleaningLostText.
constexpr int CleanedThreshold = 140;
constexpr int LightPrintThreshold = 190;
constexpr double LostInkRatio = 1.5;
constexpr double LostBlobRatio = 1.4;

int mmToPixels(double mm, int dpi)
{
    return std::max(1, int(std::lround(mm / 25.4 * dpi)));
}

qint64 countPixels(Pix *pix)
{
    l_int32 count = 0;
    pixCountPixels(pix, &count, nullptr);
    return count;
}

} // namespace

PixPtr toGreyOrBinary(PixPtr pix)
{
    if ((pixGetDepth(pix.get()) == 1 || pixGetDepth(pix.get()) == 8) && !pixGetColormap(pix.get()))
        return pix;
    return PixPtr(pixConvertTo8(pix.get(), 0));
}

PixPtr rotateClockwise(Pix *pix, int degrees)
{
    const int quads = ((degrees % 360) + 360) % 360 / 90;
    return PixPtr(quads == 0 ? pixCopy(nullptr, pix) : pixRotateOrth(pix, quads));
}

PixPtr halfSize(Pix *pix)
{
    return PixPtr(pixGetDepth(pix) == 1 ? pixScaleToGray2(pix) : pixScaleAreaMap2(pix));
}

PixPtr doubleSize(Pix *pix)
{
    if (pixGetDepth(pix) == 1) {
        PixPtr grey(pixConvert1To8(nullptr, pix, 255, 0));
        return grey ? PixPtr(pixScaleGrayLI(grey.get(), 2.0f, 2.0f)) : PixPtr();
    }
    return PixPtr(pixScaleGrayLI(pix, 2.0f, 2.0f));
}

PixPtr deskew(Pix *pix, double *angle)
{
    l_float32 found = 0, confidence = 0;
    // Defaults throughout: a sweep of +-7 degrees, reduction chosen by Leptonica.
    Pix *result = pixDeskewGeneral(pix, 0, 0.0f, 0.0f, 0, 0, &found, &confidence);
    // pixDeskewGeneral hands back a clone of the input when the skew is too small or
    // not confident: then nothing was corrected.
    *angle = result && result != pix ? double(found) : 0.0;
    if (result == pix) {
        pixDestroy(&result);
        return {};
    }
    return PixPtr(result);
}

PixPtr rotateByDegrees(Pix *pix, double degrees)
{
    // As pixDeskewGeneral turns a page.
    constexpr double radiansPerDegree = 3.14159265358979323846 / 180.0;
    return PixPtr(pixRotate(pix, float(degrees * radiansPerDegree), L_ROTATE_AREA_MAP, L_BRING_IN_WHITE, 0, 0));
}

PixPtr binarise(Pix *pix)
{
    return binariseBoth(pix, false).cleaned;
}

Binarised binariseBoth(Pix *pix, bool withLightPrint)
{
    Binarised result;
    if (pixGetDepth(pix) == 1) {
        result.cleaned.reset(pixCopy(nullptr, pix));
        return result;
    }
    PixPtr normalised = normaliseBackground(pix);
    if (!normalised) {
        result.cleaned.reset(pixThresholdToBinary(pix, 128));
        return result;
    }
    return thresholdBoth(normalised.get(), withLightPrint);
}

PixPtr normaliseBackground(Pix *grey)
{
    // Background normalisation evens out shadows and tinted paper (background -> 200);
    // a fixed threshold then never invents ink on a blank page, as Otsu would. It is
    // the costly part, so both thresholds share one.
    return PixPtr(pixBackgroundNormSimple(grey, nullptr, nullptr));
}

Binarised thresholdBoth(Pix *normalised, bool withLightPrint)
{
    Binarised result;
    result.cleaned.reset(pixThresholdToBinary(normalised, CleanedThreshold));
    if (withLightPrint)
        result.withLight.reset(pixThresholdToBinary(normalised, LightPrintThreshold));
    return result;
}

PixPtr removeSpecks(Pix *binary, int dpi)
{
    const int speck = mmToPixels(MaxSpeckMm, dpi);
    l_int32 changed = 0;
    PixPtr kept(pixSelectBySize(binary, speck, speck, 8, L_SELECT_IF_EITHER, L_SELECT_IF_GT, &changed));
    return kept ? std::move(kept) : PixPtr(pixCopy(nullptr, binary));
}

InkProfile measureInk(Pix *binary, int dpi)
{
    InkProfile ink;
    const int width = pixGetWidth(binary), height = pixGetHeight(binary);
    ink.pagePixels = qint64(width) * height;

    PixPtr inner(pixCopy(nullptr, binary));
    const int bandX = int(width * BorderBand), bandY = int(height * BorderBand);
    pixSetOrClearBorder(inner.get(), bandX, bandX, bandY, bandY, PIX_CLR);

    // One pass over the components: character-sized ones are drawn into the mask.
    Pixa *parts = nullptr;
    BoxaPtr boxes(pixConnComp(inner.get(), &parts, 8));
    const auto partsGuard = std::unique_ptr<Pixa, void (*)(Pixa *)>(parts, [](Pixa *pixa) { pixaDestroy(&pixa); });
    ink.characterMask.reset(pixCreate(width, height, 1));
    if (!boxes || !parts || !ink.characterMask)
        return InkProfile{.pagePixels = ink.pagePixels};
    const int minHeight = mmToPixels(MinCharacterHeightMm, dpi), maxHeight = mmToPixels(MaxCharacterHeightMm, dpi);
    const int maxWidth = mmToPixels(MaxCharacterWidthMm, dpi);
    std::vector<int> heights;
    for (int i = 0; i < boxaGetCount(boxes.get()); ++i) {
        l_int32 x = 0, y = 0, w = 0, h = 0;
        boxaGetBoxGeometry(boxes.get(), i, &x, &y, &w, &h);
        if (h < minHeight || h > maxHeight || w > maxWidth)
            continue;
        heights.push_back(h);
        PixPtr part(pixaGetPix(parts, i, L_CLONE));
        if (!part)
            continue;
        pixRasterop(ink.characterMask.get(), x, y, w, h, PIX_SRC | PIX_DST, part.get(), 0, 0);
        ++ink.characterBlobs;
    }
    ink.characterInk = countPixels(ink.characterMask.get());
    if (!heights.empty()) {
        const auto middle = heights.begin() + std::ptrdiff_t(heights.size() / 2);
        std::nth_element(heights.begin(), middle, heights.end());
        ink.medianCharacterHeight = *middle;
    }
    return ink;
}

bool cleaningLostText(const InkProfile &cleaned, const InkProfile &withLight)
{
    return double(withLight.characterInk) >= LostInkRatio * double(cleaned.characterInk) &&
           double(withLight.characterBlobs) >= LostBlobRatio * double(cleaned.characterBlobs);
}

bool isBlank(const InkProfile &ink)
{
    return ink.characterBlobs < MinBlobsForText && double(ink.characterInk) < MinInkForText * double(ink.pagePixels);
}

double readability(const InkProfile &ink, const QList<OcrWord> &words)
{
    // No text-like ink at all: nothing was there to miss (such pages are blank).
    if (!ink.characterMask || ink.characterBlobs == 0)
        return 1.0;

    qint64 confidentCharacters = 0;
    PixPtr read(pixCreate(pixGetWidth(ink.characterMask.get()), pixGetHeight(ink.characterMask.get()), 1));
    for (const OcrWord &word : words) {
        if (word.confidence < ConfidentWord)
            continue;
        for (const QChar c : word.text)
            confidentCharacters += c.isLetterOrNumber() ? 1 : 0;
        // A little margin: Tesseract's boxes may clip a glyph's antialiased edge.
        Box *box = boxCreate(word.box.x() - 2, word.box.y() - 2, word.box.width() + 4, word.box.height() + 4);
        pixSetInRect(read.get(), box);
        boxDestroy(&box);
    }
    pixAnd(read.get(), read.get(), ink.characterMask.get());
    const double coverage = double(countPixels(read.get())) / double(std::max<qint64>(1, ink.characterInk));
    const double glyphs = std::min(1.0, double(confidentCharacters) / double(ink.characterBlobs));
    return std::clamp(std::min(coverage, glyphs), 0.0, 1.0);
}

} // namespace clerk::ocr
