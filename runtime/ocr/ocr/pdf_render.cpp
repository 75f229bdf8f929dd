#include "ocr/pdf_render_p.h"

#include "ocr/ocr_logging_p.h"

// Poppler's core headers declare their classes in the global namespace (Page, Object,
// Error...): they are included in this file only.
#include <GlobalParams.h>
#include <PDFDoc.h>
#include <SplashOutputDev.h>
#include <goo/GooString.h>
#include <splash/SplashBitmap.h>

#include <QFile>
#include <cmath>
#include <cstring>

namespace clerk::ocr {

namespace {

void popplerError(ErrorCategory, Goffset position, const char *message)
{
    // Hostile and broken files make Poppler complain at length; the messages describe
    // the file's structure, not its text.
    qCDebug(lcOcr).nospace() << "poppler (offset " << position << "): " << message;
}

} // namespace

void usePoppler()
{
    // Never destroyed: see pdf_render_p.h.
    static const GlobalParamsIniter *const initer = new GlobalParamsIniter(popplerError);
    Q_UNUSED(initer);
}

struct PdfGreyRenderer::Document {
    std::unique_ptr<PDFDoc> pdf;
};

PdfGreyRenderer::PdfGreyRenderer(QString path) : m_path(std::move(path)) {}

PdfGreyRenderer::~PdfGreyRenderer() = default;

PixPtr PdfGreyRenderer::render(int index, int dpi, qint64 maxPixels)
{
    if (m_unusable)
        return {};
    if (!m_document) {
        usePoppler();
        auto pdf = std::make_unique<PDFDoc>(std::make_unique<GooString>(QFile::encodeName(m_path).constData()));
        if (!pdf->isOk()) {
            m_unusable = true;
            return {};
        }
        m_document = std::make_unique<Document>(Document{std::move(pdf)});
    }
    PDFDoc &pdf = *m_document->pdf;
    const int number = index + 1;
    if (number < 1 || number > pdf.getNumPages())
        return {};

    // The same size rule as the caller's, from the core's own view of the page: the
    // bitmap is allocated before anything is drawn. (1 % more for the rounding of the
    // bitmap's sides to whole pixels.)
    const double limit = double(maxPixels) * 1.01;
    const bool sideways = pdf.getPageRotate(number) % 180 != 0;
    const double width = (sideways ? pdf.getPageCropHeight(number) : pdf.getPageCropWidth(number)) / 72.0 * dpi;
    const double height = (sideways ? pdf.getPageCropWidth(number) : pdf.getPageCropHeight(number)) / 72.0 * dpi;
    if (!(width >= 1 && height >= 1) || (width + 1) * (height + 1) > limit)
        return {};

    SplashColor paper;
    paper[0] = 0xff;
    SplashOutputDev output(splashModeMono8, 4, false, paper);
    // As the Qt interface was set up: it makes no difference to the time of a scanned
    // page, and vector text keeps its smooth edges for Tesseract.
    output.setFontAntialias(true);
    output.setVectorAntialias(true);
    output.startDoc(&pdf);
    pdf.displayPage(&output, number, dpi, dpi, 0, false, true, false);

    const SplashBitmap *bitmap = output.getBitmap();
    if (!bitmap || bitmap->getMode() != splashModeMono8 || !bitmap->getDataPtr() || bitmap->getWidth() <= 0 ||
        bitmap->getHeight() <= 0 || bitmap->getRowSize() < bitmap->getWidth() ||
        double(bitmap->getWidth()) * bitmap->getHeight() > limit)
        return {};
    PixPtr pix(pixCreate(bitmap->getWidth(), bitmap->getHeight(), 8));
    if (!pix)
        return {};
    const int wpl = pixGetWpl(pix.get());
    l_uint32 *data = pixGetData(pix.get());
    for (int y = 0; y < bitmap->getHeight(); ++y)
        std::memcpy(data + qsizetype(y) * wpl, bitmap->getDataPtr() + qsizetype(y) * bitmap->getRowSize(),
                    size_t(bitmap->getWidth()));
    // Leptonica keeps the bytes of each 32-bit word in big-endian order.
    pixEndianByteSwap(pix.get());
    pixSetResolution(pix.get(), dpi, dpi);
    return pix;
}

} // namespace clerk::ocr
