#include "ocr/pdf_render_p.h"

#include "ocr/ocr_logging_p.h"

// Poppler's core headers declare their classes in the global namespace (Page, Object,
// Error...): they are included in this file only.
#include <GlobalParams.h>
#include <PDFDoc.h>
#include <Page.h>
#include <SplashOutputDev.h>
#include <goo/GooString.h>
#include <splash/SplashBitmap.h>

#include <QByteArray>
#include <QFile>
#include <QList>
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

// Reads at most `limit` bytes of `stream` (from its start); empty when it holds more or
// nothing.
QByteArray readAtMost(Stream *stream, qsizetype limit)
{
    QByteArray bytes;
    stream->reset();
    unsigned char chunk[65536];
    for (int read = 0; (read = stream->doGetChars(int(sizeof chunk), chunk)) > 0;) {
        if (bytes.size() + read > limit) {
            bytes.clear();
            break;
        }
        bytes.append(reinterpret_cast<const char *>(chunk), read);
    }
    stream->close();
    return bytes;
}

bool near(double a, double b)
{
    return std::abs(a - b) < 0.01;
}

// Whether the image dictionary describes a plain 8-bit grey JPEG: no masks, decode
// arrays, colour spaces or further filters, which Splash would apply and Leptonica not.
bool isPlainGreyJpeg(Dict *image)
{
    for (int i = 0; i < image->getLength(); ++i) {
        const QByteArray key(image->getKey(i));
        if (key != "Type" && key != "Subtype" && key != "Width" && key != "Height" && key != "ColorSpace" &&
            key != "BitsPerComponent" && key != "Filter" && key != "Length")
            return false;
    }
    return image->lookup("Subtype").isName("Image") && image->lookup("Filter").isName("DCTDecode") &&
           image->lookup("ColorSpace").isName("DeviceGray") && image->lookup("BitsPerComponent").isInt() &&
           image->lookup("BitsPerComponent").getInt() == 8;
}

// The content stream of a page that only draws `name` over the crop box:
// "q W 0 0 H X Y cm /name Do Q".
bool drawsOnlyOverCropBox(Page &page, const char *name)
{
    Object contents = page.getContents();
    if (!contents.isStream())
        return false;
    const QList<QByteArray> tokens = readAtMost(contents.getStream(), 512).simplified().split(' ');
    if (tokens.size() != 11 || tokens[0] != "q" || tokens[7] != "cm" || tokens[8] != QByteArray("/") + name ||
        tokens[9] != "Do" || tokens[10] != "Q")
        return false;
    double matrix[6];
    for (int i = 0; i < 6; ++i) {
        bool ok = false;
        matrix[i] = tokens[i + 1].toDouble(&ok);
        if (!ok)
            return false;
    }
    const PDFRectangle *crop = page.getCropBox();
    return near(matrix[0], crop->x2 - crop->x1) && matrix[1] == 0 && matrix[2] == 0 &&
           near(matrix[3], crop->y2 - crop->y1) && near(matrix[4], crop->x1) && near(matrix[5], crop->y1);
}

// A scanner's page: one grey JPEG over the whole page, one image pixel to one page
// pixel at `dpi`, and nothing else (no annotations, fonts or other resources). Its
// samples, decoded by Poppler as Splash would decode them, are the page. Splash still
// resamples such an image (about 5 % of the pixels differ, at glyph edges) and takes
// four times as long. Null for any other page and when the JPEG ends early: Splash
// then renders it.
PixPtr scannedGreyPage(PDFDoc &pdf, int number, int dpi, qint64 maxPixels)
{
    Page *page = pdf.isEncrypted() ? nullptr : pdf.getPage(number);
    if (!page || page->getRotate() % 360 != 0)
        return {};
    if (Object annotations = page->getAnnotsObject(); !annotations.isNull())
        return {};
    // Nothing but the image (ProcSet is obsolete and ignored by renderers).
    Dict *resources = page->getResourceDict();
    if (!resources || resources->getLength() != (resources->hasKey("ProcSet") ? 2 : 1))
        return {};
    Object xobjects = resources->lookup("XObject");
    if (!xobjects.isDict() || xobjects.dictGetLength() != 1)
        return {};
    Object image = xobjects.dictGetVal(0);
    if (!image.isStream() || !isPlainGreyJpeg(image.streamGetDict()))
        return {};
    Object width = image.streamGetDict()->lookup("Width"), height = image.streamGetDict()->lookup("Height");
    const PDFRectangle *crop = page->getCropBox();
    if (!width.isInt() || !height.isInt() || width.getInt() <= 0 || height.getInt() <= 0 ||
        qint64(width.getInt()) * height.getInt() > maxPixels || !near((crop->x2 - crop->x1) / 72.0 * dpi, width.getInt()) ||
        !near((crop->y2 - crop->y1) / 72.0 * dpi, height.getInt()) || !drawsOnlyOverCropBox(*page, xobjects.dictGetKey(0)))
        return {};

    // Poppler's own JPEG decoder, as Splash uses it: the same samples, row by row.
    PixPtr pix(pixCreate(width.getInt(), height.getInt(), 8));
    if (!pix)
        return {};
    Stream *samples = image.getStream();
    samples->reset();
    const int wpl = pixGetWpl(pix.get());
    bool complete = true;
    for (int y = 0; y < height.getInt() && complete; ++y) {
        auto *line = reinterpret_cast<unsigned char *>(pixGetData(pix.get()) + qsizetype(y) * wpl);
        complete = samples->doGetChars(width.getInt(), line) == width.getInt();
    }
    samples->close();
    if (!complete)
        return {};
    // Leptonica keeps the bytes of each 32-bit word in big-endian order.
    pixEndianByteSwap(pix.get());
    pixSetResolution(pix.get(), dpi, dpi);
    return pix;
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

    if (PixPtr scan = scannedGreyPage(pdf, number, dpi, maxPixels))
        return scan;

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
