// Owning handle for Leptonica images, and the QImage -> Pix conversion (private).
#pragma once

#include <leptonica/allheaders.h>

#include <QImage>
#include <memory>

namespace clerk::ocr {

struct PixDeleter {
    void operator()(Pix *pix) const
    {
        if (pix)
            pixDestroy(&pix);
    }
};
using PixPtr = std::unique_ptr<Pix, PixDeleter>;

struct BoxaDeleter {
    void operator()(Boxa *boxa) const
    {
        if (boxa)
            boxaDestroy(&boxa);
    }
};
using BoxaPtr = std::unique_ptr<Boxa, BoxaDeleter>;

// An 8-bit grey Pix with the given resolution. Returns null for a null image.
PixPtr greyPixFromImage(const QImage &image, int dpi);

} // namespace clerk::ocr
