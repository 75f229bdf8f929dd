// PdfGreyRenderer: PDF pages rendered straight to 8-bit grey by Poppler's core renderer
// (Splash in its Mono8 mode, as `pdftoppm -gray` does), private to clerk_ocr.
//
// Poppler's Qt interface renders only 32-bit colour: an A4 scan (one 300 ppi JPEG) took
// about 250 ms that way, and 27 ms more to make it grey; Mono8 takes about half of that
// and gives the same pixels (for scanned and vector pages alike, with the same
// antialiasing). A scanner's page, one grey JPEG drawn over the whole page at the
// resolution asked for and nothing else, is not drawn at all: its samples are the page
// (about 30 ms). PdfSource uses this renderer and falls back on the Qt interface when
// it returns null.
//
// The core API's shared state is Poppler's `globalParams`. usePoppler() creates it once
// for the process, before any document (core or Qt) is opened, and never destroys it:
// Poppler's own reference count (GlobalParamsIniter, which Poppler::Document holds too)
// then never falls to zero, so no thread can destroy it while another renders. Every
// other object (PDFDoc, SplashOutputDev, its font engine) belongs to one renderer.
//
// Thread-safety: usePoppler() may be called from any thread; one PdfGreyRenderer is
// used by one thread (like the PageSource that owns it).
#pragma once

#include "ocr/pix_p.h"

#include <QString>
#include <memory>

namespace clerk::ocr {

// Makes Poppler's global parameters live for the rest of the process, and sends its
// error messages (about the structure of broken files) to the clerk.ocr debug log.
void usePoppler();

class PdfGreyRenderer {
public:
    // Opens `path` with the core API on the first render.
    explicit PdfGreyRenderer(QString path);
    ~PdfGreyRenderer();
    PdfGreyRenderer(const PdfGreyRenderer &) = delete;
    PdfGreyRenderer &operator=(const PdfGreyRenderer &) = delete;

    // Page `index` (0-based) in 8-bit grey at `dpi`, its crop box as PDF readers show it
    // (a scanner's page: its image as it is).
    // Null when the core API cannot open the file or render the page, or when the page
    // would be above `maxPixels` (the caller has already chosen `dpi` to stay under it,
    // from the Qt interface's page size: the two must agree).
    PixPtr render(int index, int dpi, qint64 maxPixels);

private:
    struct Document;
    QString m_path;
    std::unique_ptr<Document> m_document;
    bool m_unusable = false;
};

} // namespace clerk::ocr
