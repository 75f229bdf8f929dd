// OcrDocument: the text read from one document, page by page, with the measures a bot
// needs to decide whether the reading can be trusted.
//
// Produced by OcrEngine::readDocument (ocr_engine.h). Value types only; no Tesseract,
// Leptonica or Poppler type appears here.
//
// Thread-safety: value types; distinct objects may be used from any thread.
#pragma once

#include <QList>
#include <QRect>
#include <QString>

namespace clerk::ocr {

// One recognised word. For a PDF text-layer page the box is in pixels at the render
// resolution the page would have had (OcrOptions::pdfDpi) and the confidence is 100.
struct OcrWord {
    QString text{};
    QRect box{};              // pixels on the upright, deskewed page
    double confidence = 0;    // 0..100, Tesseract's word confidence
};

struct OcrPage {
    int number = 0;                 // 1-based, in the document
    QString text{};                 // lines separated by '\n'; empty for a blank page
    QList<OcrWord> words{};
    double meanConfidence = 0;      // 0..100 over the page's words; 0 for a blank page
    bool blank = false;             // no text-like ink (e.g. the back of a duplex scan): skipped, not an error
    int rotation = 0;               // 0, 90, 180 or 270: degrees clockwise the page was turned to be upright
    bool orientationChecked = false;  // OSD was asked (only when the page read poorly as it was)
    double skewAngle = 0;           // degrees of deskew applied (0 when none was needed or found)
    // How a grey or colour page was made black and white for Tesseract (ocr_engine.h,
    // step 4). Bilevel pages and text-layer pages stay Cleaned.
    enum class Threshold {
        Cleaned,     // clerk's cleaning: background normalisation, fixed threshold, speck removal
        LightPrint,  // the same with a lenient threshold: the cleaning had lost light print
        Tesseract,   // the grey page as it was, thresholded by Tesseract: it read more confidently
    };
    Threshold threshold = Threshold::Cleaned;
    // 0..1: how much of the page's text-like ink was accounted for by confidently
    // recognised words (see ocr_engine.h for the rule). 1 for blank and text-layer pages.
    double readability = 1;
    bool fromTextLayer = false;     // text taken from the PDF's own text layer, not OCR
    int scale = 1;                  // 2: small print, read at twice the size (word boxes are at the page's own)
};

struct OcrDocument {
    QList<OcrPage> pages{};     // the pages read: at most OcrOptions::maxPages
    int pageCount = 0;          // pages in the file (may exceed pages.size())
    QString text{};             // the pages' text joined with '\f'
    double meanConfidence = 0;  // 0..100, mean of the non-blank pages' confidences; 0 when all are blank
    double readability = 1;     // the lowest readability of a non-blank page; 1 when all are blank

    int blankPageCount() const;
    QList<int> textLayerPages() const;  // numbers of the pages taken from a PDF text layer
};

} // namespace clerk::ocr
