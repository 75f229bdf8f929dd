#include "ocr/page_source_p.h"

#include "ocr/ocr_logging_p.h"
#include "ocr/pdf_render_p.h"

#include <algorithm>

#include <poppler-qt6.h>

#include <QFile>
#include <QFileInfo>
#include <QImageIOHandler>
#include <QImageReader>
#include <cmath>
#include <cstdio>
#include <vector>

namespace clerk::ocr {

namespace {

// Files without resolution metadata, and JPEGs carrying JFIF's meaningless 72 dpi
// default, are taken to be a page about 8.5 inches wide (A4 and US letter), at most
// 300 dpi: Tesseract needs a plausible value to pick its text size limits, and the
// page analysis measures blobs in millimetres. Taking every such file for a 300 dpi
// scan made a 762-pixel-wide form scan (about 90 dpi) look like tiny print: its dots
// were removed as specks and Tesseract missed a quarter more words than the tesseract
// command on FUNSD.
int plausibleDpi(int dpi, int width)
{
    if (dpi >= 100 && dpi <= 2400)
        return dpi;
    return std::clamp(int(std::lround(width / 8.5)), 70, 300);
}

QString fileName(const QString &path)
{
    return QFileInfo(path).fileName();
}

Error tooLarge(const QString &path, int page, qint64 width, qint64 height, qint64 limit)
{
    return Error::unreadable(QStringLiteral("%1: page %2 is %3 x %4 pixels, above the limit of %5 pixels per page")
                                 .arg(fileName(path))
                                 .arg(page)
                                 .arg(width)
                                 .arg(height)
                                 .arg(limit));
}

// A 16-bit grey page in 8 bits, scaled by its white point: the level 99.5 % of the
// pixels stay at or below, i.e. the paper. Scanners that capture 10, 12 or 14 bits
// store them in 16-bit samples unscaled; keeping the high byte of such a 12-bit page
// (what Leptonica and Tesseract do) leaves every pixel between 0 and 15, a black page
// that the blank check then skips as empty. Null on failure.
PixPtr greyFrom16Bits(Pix *pix)
{
    const int width = pixGetWidth(pix), height = pixGetHeight(pix), wpl = pixGetWpl(pix);
    const l_uint32 *data = pixGetData(pix);
    std::vector<qint64> histogram(65536, 0);
    for (int y = 0; y < height; ++y) {
        const l_uint32 *line = data + qsizetype(y) * wpl;
        for (int x = 0; x < width; ++x)
            ++histogram[GET_DATA_TWO_BYTES(line, x)];
    }
    const qint64 belowWhite = qint64(double(width) * height * 0.995);
    qint64 seen = 0;
    int white = 0;
    while (white < 65535 && (seen += histogram[size_t(white)]) < belowWhite)
        ++white;
    white = std::max(white, 1);

    PixPtr grey(pixCreate(width, height, 8));
    if (!grey)
        return {};
    l_uint32 *out = pixGetData(grey.get());
    const int outWpl = pixGetWpl(grey.get());
    for (int y = 0; y < height; ++y) {
        const l_uint32 *line = data + qsizetype(y) * wpl;
        l_uint32 *outLine = out + qsizetype(y) * outWpl;
        for (int x = 0; x < width; ++x)
            SET_DATA_BYTE(outLine, x, std::min<l_uint32>(255, GET_DATA_TWO_BYTES(line, x) * 255u / l_uint32(white)));
    }
    pixCopyResolution(grey.get(), pix);
    return grey;
}

// A 16-bit grey PNG, read whole by Qt: Leptonica keeps only the high byte of each
// sample (see greyFrom16Bits), and its switch for that is one global for the process.
// Null on failure.
PixPtr readGrey16Png(const QString &path)
{
    QImageReader reader(path);
    reader.setAutoTransform(false);  // the orientation is applied to every format alike
    const QImage image = reader.read().convertToFormat(QImage::Format_Grayscale16);
    if (image.isNull())
        return {};
    PixPtr pix(pixCreate(image.width(), image.height(), 16));
    if (!pix)
        return {};
    l_uint32 *data = pixGetData(pix.get());
    const int wpl = pixGetWpl(pix.get());
    for (int y = 0; y < image.height(); ++y) {
        const auto *source = reinterpret_cast<const quint16 *>(image.constScanLine(y));
        l_uint32 *line = data + qsizetype(y) * wpl;
        for (int x = 0; x < image.width(); ++x)
            SET_DATA_TWO_BYTES(line, x, source[x]);
    }
    const int dpi = int(std::lround(image.dotsPerMeterX() * 0.0254));
    pixSetResolution(pix.get(), dpi, dpi);
    return pix;
}

// The decoded page as a person sees it: a transparent background on white paper (left
// as it is, transparent pixels hold black and the page reads as blank) and 16-bit grey
// in 8 bits. Null on failure.
PixPtr asSeen(PixPtr pix)
{
    if (pixGetColormap(pix.get())) {
        l_int32 opaque = 1;
        pixcmapIsOpaque(pixGetColormap(pix.get()), &opaque);
        if (!opaque)
            pix.reset(pixRemoveColormap(pix.get(), REMOVE_CMAP_WITH_ALPHA));
    }
    if (pix && pixGetDepth(pix.get()) == 32 && pixGetSpp(pix.get()) == 4)
        pix.reset(pixAlphaBlendUniform(pix.get(), 0xffffff00));
    if (pix && pixGetDepth(pix.get()) == 16)
        pix = greyFrom16Bits(pix.get());
    return pix;
}

// Turns the page as the file's EXIF orientation says (phone photos are stored as the
// sensor saw them, with a tag saying how to show them). Qt reports the tag as mirror
// and flip first, then a quarter turn clockwise. Null on failure.
PixPtr oriented(PixPtr pix, QImageIOHandler::Transformations transformation)
{
    if (pix && transformation.testFlag(QImageIOHandler::TransformationMirror))
        pix.reset(pixFlipLR(nullptr, pix.get()));
    if (pix && transformation.testFlag(QImageIOHandler::TransformationFlip))
        pix.reset(pixFlipTB(nullptr, pix.get()));
    if (pix && transformation.testFlag(QImageIOHandler::TransformationRotate90))
        pix.reset(pixRotate90(pix.get(), 1));
    return pix;
}

class ImageSource final : public PageSource {
public:
    ImageSource(QString path, int format, int pages, const OcrOptions &options)
        : m_path(std::move(path)), m_format(format), m_pages(pages), m_options(options)
    {
        // Leptonica applies a TIFF's orientation tag itself; JPEG's EXIF tag (and PNG's
        // eXIf chunk) it ignores. Qt reads the tag from the header, without decoding.
        if (!L_FORMAT_IS_TIFF(m_format))
            m_transformation = QImageReader(m_path).transformation();
    }

    int pageCount() const override { return m_pages; }

    Result<SourcePage> page(int index) override
    {
        const QByteArray name = QFile::encodeName(m_path);
        const bool tiff = L_FORMAT_IS_TIFF(m_format);
        l_int32 width = 0, height = 0, bps = 0, spp = 0, res = 0, cmap = 0, format = 0;
        // The header first: a 60000 x 60000 page is refused before anything is allocated.
        const l_ok header = tiff ? readHeaderTiff(name.constData(), index, &width, &height, &bps, &spp, &res, &cmap, &format)
                                 : pixReadHeader(name.constData(), &format, &width, &height, &bps, &spp, &cmap);
        if (header != 0 || width <= 0 || height <= 0)
            return fail(Error::unreadable(QStringLiteral("%1: the header of page %2 cannot be read (truncated or corrupt image)")
                                              .arg(fileName(m_path))
                                              .arg(index + 1)));
        if (qint64(width) * height > m_options.maxPixelsPerPage)
            return fail(tooLarge(m_path, index + 1, width, height, m_options.maxPixelsPerPage));

        const bool grey16Png = m_format == IFF_PNG && bps == 16 && spp == 1;
        PixPtr pix(tiff        ? pixReadTiff(name.constData(), index)
                   : grey16Png ? readGrey16Png(m_path).release()
                               : pixRead(name.constData()));
        if (!pix)
            return fail(Error::unreadable(QStringLiteral("%1: page %2 cannot be decoded (truncated or corrupt image)")
                                              .arg(fileName(m_path))
                                              .arg(index + 1)));
        const int fileDpi = pixGetXRes(pix.get());
        pix = oriented(asSeen(std::move(pix)), m_transformation);
        if (!pix)
            return fail(Error::unreadable(QStringLiteral("%1: page %2 cannot be converted (unusual image format)")
                                              .arg(fileName(m_path))
                                              .arg(index + 1)));
        SourcePage page;
        page.dpi = plausibleDpi(fileDpi, pixGetWidth(pix.get()));
        pixSetResolution(pix.get(), page.dpi, page.dpi);
        page.image = std::move(pix);
        return page;
    }

private:
    QString m_path;
    int m_format;
    int m_pages;
    OcrOptions m_options;
    QImageIOHandler::Transformations m_transformation = QImageIOHandler::TransformationNone;
};

class PdfSource final : public PageSource {
public:
    PdfSource(QString path, std::unique_ptr<Poppler::Document> document, const OcrOptions &options)
        : m_path(std::move(path)), m_document(std::move(document)), m_options(options), m_grey(m_path)
    {
        m_document->setRenderHint(Poppler::Document::Antialiasing, true);
        m_document->setRenderHint(Poppler::Document::TextAntialiasing, true);
    }

    int pageCount() const override { return m_document->numPages(); }

    Result<SourcePage> page(int index) override
    {
        std::unique_ptr<Poppler::Page> pdfPage = m_document->page(index);
        if (!pdfPage)
            return fail(Error::unreadable(QStringLiteral("%1: PDF page %2 cannot be read").arg(fileName(m_path)).arg(index + 1)));

        const QSizeF points = pdfPage->pageSizeF();
        if (!(points.width() > 0 && points.height() > 0))
            return fail(Error::unreadable(QStringLiteral("%1: PDF page %2 has no size").arg(fileName(m_path)).arg(index + 1)));

        SourcePage page;
        page.dpi = m_options.pdfDpi > 0 ? m_options.pdfDpi : 300;
        // A huge page is rendered at a lower resolution rather than refused: unlike an
        // image, nothing has been allocated yet and the text may still be readable.
        const double pixels = (points.width() / 72.0 * page.dpi) * (points.height() / 72.0 * page.dpi);
        if (pixels > double(m_options.maxPixelsPerPage)) {
            page.dpi = int(page.dpi * std::sqrt(double(m_options.maxPixelsPerPage) / pixels));
            if (page.dpi < 50)
                return fail(tooLarge(m_path, index + 1, qint64(points.width() / 72.0 * 300),
                                     qint64(points.height() / 72.0 * 300), m_options.maxPixelsPerPage));
        }

        if (m_options.useTextLayer) {
            const QString text = pdfPage->text(QRectF());
            if (isGoodTextLayer(text)) {
                page.fromTextLayer = true;
                page.text = text.trimmed();
                const double scale = page.dpi / 72.0;
                for (const auto &box : pdfPage->textList()) {
                    const QRectF r = box->boundingBox();
                    page.words.append({box->text(),
                                       QRect(int(r.x() * scale), int(r.y() * scale), int(r.width() * scale),
                                             int(r.height() * scale)),
                                       100.0});
                }
                return page;
            }
        }

        // Straight to grey with Poppler's core renderer; through the Qt interface (32-bit
        // colour, then grey) when the core cannot render the page.
        page.image = m_grey.render(index, page.dpi, m_options.maxPixelsPerPage);
        if (!page.image) {
            qCDebug(lcOcr).nospace() << "PDF page " << index + 1 << " rendered through the Qt interface";
            page.image = greyPixFromImage(pdfPage->renderToImage(page.dpi, page.dpi), page.dpi);
        }
        if (!page.image)
            return fail(Error::unreadable(QStringLiteral("%1: PDF page %2 cannot be rendered").arg(fileName(m_path)).arg(index + 1)));
        return page;
    }

private:
    QString m_path;
    std::unique_ptr<Poppler::Document> m_document;
    OcrOptions m_options;
    PdfGreyRenderer m_grey;
};

bool looksLikePdf(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return false;
    // The PDF header may follow some junk; readers look in the first kilobyte.
    return file.read(1024).contains("%PDF-");
}

} // namespace

bool isGoodTextLayer(const QString &text)
{
    qsizetype visible = 0, plain = 0, replacement = 0;
    for (const QChar c : text) {
        if (c.isSpace())
            continue;
        ++visible;
        if (c == QChar::ReplacementCharacter)
            ++replacement;
        else if (c.isLetterOrNumber() || c.isPunct() || c.isSymbol())
            ++plain;
    }
    return visible >= 40 && plain * 4 >= visible * 3 && replacement * 100 < visible;
}

Result<std::unique_ptr<PageSource>> openPageSource(const QString &path, const OcrOptions &options)
{
    const QFileInfo info(path);
    if (!info.exists())
        return fail(Error::notFound(QStringLiteral("%1 does not exist").arg(path)));
    if (!info.isFile())
        return fail(Error::unreadable(QStringLiteral("%1 is not a file").arg(fileName(path))));
    if (info.size() == 0)
        return fail(Error::unreadable(QStringLiteral("%1 is empty (0 bytes)").arg(fileName(path))));

    if (looksLikePdf(path)) {
        usePoppler();
        std::unique_ptr<Poppler::Document> document = Poppler::Document::load(path);
        if (!document)
            return fail(Error::unreadable(QStringLiteral("%1: the PDF cannot be opened (damaged or not a PDF)").arg(fileName(path))));
        if (document->isLocked())
            return fail(Error::unreadable(QStringLiteral("%1: the PDF is password-protected").arg(fileName(path))));
        if (document->numPages() <= 0)
            return fail(Error::unreadable(QStringLiteral("%1: the PDF has no pages").arg(fileName(path))));
        return std::make_unique<PdfSource>(path, std::move(document), options);
    }

    const QByteArray name = QFile::encodeName(path);
    l_int32 format = IFF_UNKNOWN;
    if (findFileFormat(name.constData(), &format) != 0 || format == IFF_UNKNOWN || format == IFF_PS || format == IFF_LPDF)
        return fail(Error::unreadable(
            QStringLiteral("%1 is not a PDF or an image clerk can read (PNG, JPEG, TIFF, ...)").arg(fileName(path))));

    int pages = 1;
    if (L_FORMAT_IS_TIFF(format)) {
        FILE *file = fopenReadStream(name.constData());
        l_int32 count = 0;
        const bool counted = file && tiffGetCount(file, &count) == 0;
        if (file)
            fclose(file);
        if (!counted || count <= 0)
            return fail(Error::unreadable(QStringLiteral("%1: the TIFF cannot be read (truncated or corrupt)").arg(fileName(path))));
        pages = count;
    }
    return std::make_unique<ImageSource>(path, format, pages, options);
}

} // namespace clerk::ocr
