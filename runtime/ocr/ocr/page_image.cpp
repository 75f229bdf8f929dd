#include "ocr/page_image.h"

#include "ocr/ocr_options.h"
#include "ocr/page_source_p.h"
#include "ocr/pix_p.h"

#include <leptonica/allheaders.h>

namespace clerk::ocr {

namespace {

OcrOptions viewingOptions()
{
    OcrOptions options;
    options.useTextLayer = false;  // a person wants to see the page, not its text
    options.pdfDpi = 150;          // plenty for a screen, and four times fewer pixels to render
    return options;
}

} // namespace

Result<int> documentPageCount(const QString &path)
{
    auto source = openPageSource(path, viewingOptions());
    if (!source)
        return fail(source.error());
    return (*source)->pageCount();
}

Result<QByteArray> renderPagePng(const QString &path, int index, int maxWidth)
{
    auto source = openPageSource(path, viewingOptions());
    if (!source)
        return fail(source.error());
    if (index < 0 || index >= (*source)->pageCount()) {
        return fail(Error::invalidArgument(
            QStringLiteral("there is no page %1: the document has %2").arg(index + 1).arg((*source)->pageCount())));
    }
    auto page = (*source)->page(index);
    if (!page)
        return fail(page.error());
    if (!page->image)
        return fail(Error::unreadable(QStringLiteral("page %1 has no picture").arg(index + 1)));
    Pix *pix = page->image.get();
    PixPtr scaled;
    const int width = static_cast<int>(pixGetWidth(pix));
    if (maxWidth > 0 && width > maxWidth) {
        const float factor = static_cast<float>(maxWidth) / static_cast<float>(width);
        scaled.reset(pixGetDepth(pix) == 1 ? pixScaleToGray(pix, factor) : pixScale(pix, factor, factor));
        if (!scaled)
            return fail(Error::internal(QStringLiteral("could not scale page %1").arg(index + 1)));
        pix = scaled.get();
    }
    l_uint8 *data = nullptr;
    size_t size = 0;
    if (pixWriteMem(&data, &size, pix, IFF_PNG) != 0 || !data)
        return fail(Error::internal(QStringLiteral("could not encode page %1 as PNG").arg(index + 1)));
    QByteArray png(reinterpret_cast<const char *>(data), static_cast<qsizetype>(size));
    lept_free(data);
    return png;
}

} // namespace clerk::ocr
