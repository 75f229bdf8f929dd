// PageSource: the pages of one input file, one at a time (private to clerk_ocr).
//
// Images are read with Leptonica (a multi-page TIFF page by page; a 16-bit grey PNG
// with Qt, which keeps every bit); every page's header is checked against
// OcrOptions::maxPixelsPerPage before the page is decoded. An image page comes back as
// a person would see it: turned by its EXIF orientation, a transparent background on
// white, 16-bit grey scaled into 8 bits by its white point. PDFs are
// read with Poppler: a page with a good text layer comes back as text, any other page
// is rendered in grey (by the core renderer, pdf_render_p.h; through Poppler's Qt
// interface where the core cannot).
//
// Thread-safety: one PageSource is used by one thread.
#pragma once

#include "core/error.h"
#include "ocr/ocr_document.h"
#include "ocr/ocr_options.h"
#include "ocr/pix_p.h"

#include <memory>

namespace clerk::ocr {

struct SourcePage {
    PixPtr image;                  // null when the page came from a text layer
    int dpi = 300;                 // resolution of `image` (300 when the file gives none)
    bool fromTextLayer = false;
    QString text{};                // text layer pages only
    QList<OcrWord> words{};        // text layer pages only
};

class PageSource {
public:
    virtual ~PageSource() = default;
    virtual int pageCount() const = 0;
    // Page `index` (0-based). Unreadable with a reason for pages that cannot be decoded
    // or are too large.
    virtual Result<SourcePage> page(int index) = 0;
};

// Opens `path`. NotFound when it does not exist; Unreadable when it is empty, of an
// unknown format, or has no pages.
Result<std::unique_ptr<PageSource>> openPageSource(const QString &path, const OcrOptions &options);

// The rule for a usable PDF text layer (see ocr_engine.h).
bool isGoodTextLayer(const QString &text);

} // namespace clerk::ocr
