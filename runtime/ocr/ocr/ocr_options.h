// OcrOptions: how OcrEngine reads one document (limits, language, PDF handling).
//
// A plain value type; the defaults suit scanned A4 council post. The limits protect the
// worker from hostile or broken files: a page above `maxPixelsPerPage` is refused before
// it is decoded, and Tesseract gives up on a page after `pageTimeout`.
//
// Thread-safety: a value type; distinct objects may be used from any thread.
#pragma once

#include <QString>
#include <chrono>

namespace clerk::ocr {

struct OcrOptions {
    QString language = QStringLiteral("eng");       // Tesseract language(s), e.g. "eng" or "eng+cym"
    int maxPages = 20;                               // pages after this are not read (pageCount still counts them)
    qint64 maxPixelsPerPage = 100'000'000;           // width x height; larger image pages are refused
    std::chrono::milliseconds pageTimeout{60'000};   // per page recognition limit; 0 = none
    // The whole document's limit (a step's time_limit): recognition stops when it passes,
    // mid-page included, and readDocument fails with Timeout. max(): none.
    std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
    int pdfDpi = 300;                                // rendering resolution for PDF pages without a good text layer
    bool useTextLayer = true;                        // take a PDF page's own text when it is good (see ocr_engine.h)

    // Preprocessing switches. All are on in production; tests turn them off to show
    // what they are for (a tilted page silently loses lines without deskew).
    bool deskew = true;
    bool detectOrientation = true;
    // The threshold chosen per grey page: clerk's cleaning, its light-print variant or
    // Tesseract's own (see ocr_engine.h, step 4). Off: always the cleaning.
    bool chooseThreshold = true;
};

} // namespace clerk::ocr
