// TesseractSession: the Tesseract instances of the calling thread (private to clerk_ocr).
//
// Loading a model takes ~0.1 s and ~100 MB, so each worker thread initialises its
// instances once and reuses them for every page: one for recognition (re-initialised
// only when the language changes) and one with the OSD model for orientation.
//
// Thread-safety: forThisThread() returns the calling thread's own session; never pass
// it to another thread.
#pragma once

#include "core/error.h"
#include "ocr/ocr_document.h"

#include <leptonica/allheaders.h>

#include <chrono>
#include <memory>

namespace clerk::ocr {

struct Recognition {
    QString text{};
    QList<OcrWord> words{};
    double meanConfidence = 0;
};

class TesseractSession {
public:
    static TesseractSession &forThisThread();

    ~TesseractSession();

    // Recognises `pix` (any depth) at `dpi`. Unavailable when the language data is not
    // installed; Timeout when `limit` (> 0) or `deadline` passes first (Tesseract is
    // cancelled mid-page).
    Result<Recognition> recognise(Pix *pix, int dpi, const QString &language, std::chrono::milliseconds limit,
                                  std::chrono::steady_clock::time_point deadline =
                                      std::chrono::steady_clock::time_point::max());

    // The clockwise rotation (0, 90, 180, 270) that turns `pix` upright, or 0 when OSD is
    // not confident (too little text) or the OSD model is missing.
    int uprightRotation(Pix *pix, int dpi);

private:
    TesseractSession();
    struct Apis;
    std::unique_ptr<Apis> m_apis;
};

} // namespace clerk::ocr
