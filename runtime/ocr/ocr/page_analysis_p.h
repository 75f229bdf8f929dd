// Page analysis (private to clerk_ocr): preparing a page image for Tesseract, finding
// blank pages, and scoring how much of a page's text was actually read.
//
// All functions are pure: they take a Pix and return new ones; the caller owns results.
// Sizes are in millimetres and converted with the page's resolution, so the rules hold
// for 200, 300 and 600 dpi scans alike. The rules themselves are described in
// ocr_engine.h.
//
// Thread-safety: reentrant.
#pragma once

#include "ocr/ocr_document.h"
#include "ocr/pix_p.h"

namespace clerk::ocr {

// 1-bit images stay 1-bit; everything else (colour maps, 16-bit, RGB) becomes 8-bit grey.
// A 1-bit or 8-bit image without a colour map is handed back as it is, not copied.
PixPtr toGreyOrBinary(PixPtr pix);

// Turns `pix` clockwise by `degrees` (0, 90, 180, 270).
PixPtr rotateClockwise(Pix *pix, int degrees);

// Half the width and height: 1-bit pages become 8-bit grey (no strokes are lost),
// grey pages are area-averaged. Null on failure.
PixPtr halfSize(Pix *pix);

// Twice the width and height, by linear interpolation: 1-bit pages become 8-bit grey
// first, so strokes come out smooth rather than as doubled pixels. Null on failure.
PixPtr doubleSize(Pix *pix);

// Deskews `pix` (any depth) when Leptonica finds a confident skew of 0.1 degrees or
// more. `angle` receives the correction applied, in degrees (0 when none). Null when
// nothing was corrected (or on failure): `pix` is then straight as it is.
PixPtr deskew(Pix *pix, double *angle);

// Turns `pix` (any depth) by `degrees` as deskew does, the same size, white brought in.
PixPtr rotateByDegrees(Pix *pix, double degrees);

// A 1-bit image: grey pages are background-normalised and thresholded; 1-bit pages are
// copied.
PixPtr binarise(Pix *pix);

// binarise, and with `withLightPrint` on a grey page also the same background
// normalisation thresholded leniently (190 in place of 140): the page's light print as
// well as its dark. `withLight` is null for 1-bit pages, without it, or on failure.
struct Binarised {
    PixPtr cleaned;
    PixPtr withLight;
};
Binarised binariseBoth(Pix *pix, bool withLightPrint);

// binariseBoth's two steps on a grey page: the background normalisation (null on
// failure), and the thresholds of the normalised page.
PixPtr normaliseBackground(Pix *grey);
Binarised thresholdBoth(Pix *normalised, bool withLightPrint);

// Removes isolated specks (scanner dust, JPEG noise) no larger than 0.25 mm either way:
// Tesseract reads them as stray punctuation, which lowers its confidence and adds noise
// to the text. Full stops in 8 pt text and up are larger and stay.
PixPtr removeSpecks(Pix *binary, int dpi);

// The text-like ink of a binarised page: connected components of character size,
// away from the page border.
struct InkProfile {
    int characterBlobs = 0;     // character-sized connected components
    qint64 characterInk = 0;    // black pixels in them
    qint64 pagePixels = 0;
    int medianCharacterHeight = 0;  // pixels, over the character-sized components; 0 when none
    PixPtr characterMask{};     // 1-bit: only the character-sized components
};
InkProfile measureInk(Pix *binary, int dpi);

// Whether clerk's cleaning (binarise) lost text: light print (a faint copier, grey
// values on a form) falls above its threshold. `withLight` is the ink of
// binariseBoth's withLight. True when the light print adds at least 40 % more
// character-sized blobs and half as much character-sized ink again: on the letters of
// post_fms and post_cfpb it adds at most 21 % blobs (thicker strokes, the same glyphs),
// on a form with light grey values about 60 %.
bool cleaningLostText(const InkProfile &cleaned, const InkProfile &withLight);

// Blank: fewer than 8 character-sized blobs and under 0.1 % of the page in them.
bool isBlank(const InkProfile &ink);

// 0..1, see ocr_engine.h: min(confident characters / character blobs, share of the
// character ink inside confident words' boxes).
double readability(const InkProfile &ink, const QList<OcrWord> &words);

// Words at or above this confidence count as read for readability.
constexpr double ConfidentWord = 60.0;

} // namespace clerk::ocr
