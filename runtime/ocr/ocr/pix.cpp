#include "ocr/pix_p.h"

namespace clerk::ocr {

PixPtr greyPixFromImage(const QImage &image, int dpi)
{
    if (image.isNull())
        return {};
    const QImage grey = image.convertToFormat(QImage::Format_Grayscale8);
    PixPtr pix(pixCreate(grey.width(), grey.height(), 8));
    if (!pix)
        return {};
    l_uint32 *data = pixGetData(pix.get());
    const int wpl = pixGetWpl(pix.get());
    for (int y = 0; y < grey.height(); ++y) {
        const uchar *source = grey.constScanLine(y);
        l_uint32 *line = data + static_cast<qsizetype>(y) * wpl;
        // Leptonica keeps bytes in 32-bit words in big-endian order: SET_DATA_BYTE knows how.
        for (int x = 0; x < grey.width(); ++x)
            SET_DATA_BYTE(line, x, source[x]);
    }
    pixSetResolution(pix.get(), dpi, dpi);
    return pix;
}

} // namespace clerk::ocr
