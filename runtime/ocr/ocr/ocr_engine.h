// OcrEngine: turns a scanned or born-digital document into text, page by page.
//
// clerk's post bots read letters that arrive as PNG, JPEG, TIFF (multi-page, CCITT G4
// bilevel) or PDF. For each page (up to OcrOptions::maxPages):
//   1. load: images through Leptonica; the header's width x height is checked against
//      maxPixelsPerPage BEFORE the page is decoded. The page is then made what a person
//      would see: a JPEG's EXIF orientation is applied (phone photos; the page's
//      `rotation` stays 0, since the file said how to show it), a transparent background
//      becomes white paper, and 16-bit grey is scaled into 8 bits by its white point
//      (scanners store 12-bit samples unscaled, which cut to their high byte make a
//      black page). PDFs through Poppler: a page with a good text layer (see below) is
//      taken as it is; other pages are rendered at pdfDpi in grey (lowered when the
//      page would exceed maxPixelsPerPage), except a scanner's page (one grey JPEG over
//      the whole page at pdfDpi, nothing else), which is its decoded image.
//   2. blank: a page with fewer than 8 character-sized ink blobs and under 0.1 % of the
//      page in them (after dropping a 3 % border band) is blank and skipped. Small
//      print: on a page under 200 dpi (a fax, a form scanned at 100 dpi) whose median
//      character-sized blob is under 16 pixels tall, the rest runs on the page enlarged
//      twice (linear interpolation; OcrPage::scale is 2, word boxes are given at the
//      page's own size). Tesseract reads characters a dozen pixels tall poorly: plain
//      tesseract on 40 of FUNSD's training forms reads word F1 0.59 as they are, 0.68
//      enlarged. Letters scanned at 200 dpi and up are never enlarged.
//   3. deskew, always: Leptonica's skew search (+-7 degrees). Without it, pages tilted
//      by 2.5 degrees or more lose half their lines while the confidence still reads ~95.
//      A grey page is binarised first (step 4) and its skew found on the 1-bit image;
//      up to 1 degree the 1-bit images are turned, beyond it the normalised grey page
//      (turning a grey page costs 30 times as much, and a 1-bit turn's steps cut through
//      glyphs only at larger angles).
//   4. binarise grey and colour pages (background normalisation, then a fixed threshold,
//      which unlike Otsu never invents ink on an empty page), and remove specks up to
//      0.25 mm (scanner dust that Tesseract would read as punctuation). This cleaning is
//      what makes scanned letters read better than plain Tesseract, but it is chosen per
//      page (OcrPage::threshold):
//        - light print: when a lenient threshold (190 in place of 140) finds at least 40 %
//          more character-sized blobs and 50 % more of their ink, the cleaning may have
//          lost text (light grey values on a form, a faint copy): the lenient image is
//          read too, and kept when it gives 10 % more confidently read letters and digits
//          (on a few noisy letters the lenient threshold only turns grain into blobs). A
//          page that loses text this way still reads with confidence ~96, so only its ink
//          can tell.
//        - Tesseract's own: when the reading's mean confidence is under 80 (letters read
//          85-95; scanned forms and receipts mostly under 70), the grey page is read
//          again as it is, thresholded by Tesseract, and the more confident reading is
//          kept. Only such poor pages pay for a second recognition.
//      Bilevel pages are read as they are.
//   5. recognise with Tesseract (full layout analysis), at most pageTimeout per page.
//   6. orientation, only when that reading is poor (readability under 0.6 or mean
//      confidence under 60): Tesseract's OSD model detects pages turned by 90, 180 or 270
//      degrees; when it is confident the page is turned, steps 3-5 run again on the
//      turned page and the reading with the higher readability is kept. OSD costs about
//      as much as recognition, and nearly all post arrives upright; an upside-down page
//      read as it is scores under 0.3. (Text lines running down a page turned by 90
//      degrees are read by Tesseract's layout analysis itself: such a page usually reads
//      well as it is, and is then not turned.)
//   7. readability (0..1): mean confidence alone cannot be trusted, since a page that
//      lost half its lines still reads ~95. The page's text-like ink, i.e. its
//      character-sized blobs (connected components 0.8-12 mm high and at most 25 mm
//      wide), is compared with the words Tesseract read with confidence >= 60:
//        glyphs   = min(1, letters and digits in those words / character-sized blobs)
//        coverage = share of the character-sized ink inside those words' boxes
//        readability = min(glyphs, coverage)
//      Clean letters score 0.9-1. Measured on the fixtures: a 3-degree tilted letter
//      read without deskew scores 0.40 (33 % of its words read, confidence 90), an
//      upside-down page read as it is and a page of scribbles score under 0.3.
//
// A PDF text layer is "good" when it holds at least 40 non-space characters of which at
// least 75 % are letters, digits or common punctuation and under 1 % are U+FFFD
// replacement characters (fonts without a usable encoding produce those). Scanned PDFs
// have no text layer, or one that fails this test, and are OCRed.
//
// Errors (never a crash, never an exception):
//   NotFound      the file does not exist
//   Unreadable    empty file, unknown format, truncated or corrupt image, a PDF without
//                 pages or that Poppler cannot open, a page above maxPixelsPerPage
//   Unavailable   the Tesseract language data is not installed
//   Timeout       a page took longer than pageTimeout
//
// @code
//   ocr::OcrEngine engine;
//   auto document = engine.readDocument(path, ocr::OcrOptions{});
//   if (!document) return fail(document.error());
//   if (document->readability < 0.5) ... ask a person
// @endcode
//
// Thread-safety: readDocument may be called from several threads at once. Each thread
// keeps its own Tesseract instances (one per language, plus one for OSD), created on
// first use and reused. Tesseract's OpenMP must be limited by the process
// (OMP_THREAD_LIMIT=1, see runtime/app/main.cpp): parallelise across documents instead.
#pragma once

#include "core/error.h"
#include "ocr/ocr_document.h"
#include "ocr/ocr_options.h"

#include <QString>

namespace clerk::ocr {

class OcrEngine {
public:
    // Reads the document at `path`. Blank pages are marked and skipped, not failed.
    // Document text and field values are never logged above debug level.
    Result<OcrDocument> readDocument(const QString &path, const OcrOptions &options) const;
};

} // namespace clerk::ocr
