#include "ocr/page_source_p.h"

#include <algorithm>

#include <poppler-qt6.h>

#include <QFile>
#include <QFileInfo>
#include <cmath>
#include <cstdio>

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

class ImageSource final : public PageSource {
public:
    ImageSource(QString path, int format, int pages, const OcrOptions &options)
        : m_path(std::move(path)), m_format(format), m_pages(pages), m_options(options)
    {
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

        PixPtr pix(tiff ? pixReadTiff(name.constData(), index) : pixRead(name.constData()));
        if (!pix)
            return fail(Error::unreadable(QStringLiteral("%1: page %2 cannot be decoded (truncated or corrupt image)")
                                              .arg(fileName(m_path))
                                              .arg(index + 1)));
        SourcePage page;
        page.dpi = plausibleDpi(pixGetXRes(pix.get()), pixGetWidth(pix.get()));
        pixSetResolution(pix.get(), page.dpi, page.dpi);
        page.image = std::move(pix);
        return page;
    }

private:
    QString m_path;
    int m_format;
    int m_pages;
    OcrOptions m_options;
};

class PdfSource final : public PageSource {
public:
    PdfSource(QString path, std::unique_ptr<Poppler::Document> document, const OcrOptions &options)
        : m_path(std::move(path)), m_document(std::move(document)), m_options(options)
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

        const QImage image = pdfPage->renderToImage(page.dpi, page.dpi);
        page.image = greyPixFromImage(image, page.dpi);
        if (!page.image)
            return fail(Error::unreadable(QStringLiteral("%1: PDF page %2 cannot be rendered").arg(fileName(m_path)).arg(index + 1)));
        return page;
    }

private:
    QString m_path;
    std::unique_ptr<Poppler::Document> m_document;
    OcrOptions m_options;
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
