// Writes the OCR test fixtures in tests/data/ocr: made-up council letters rendered with
// DejaVu Sans, saved in the formats post arrives in, with hostile and broken files
// beside them, and each case's <case>.expected.json.
//
// Run after changing it (the outputs are committed; each is well under 100 KB):
//   QT_QPA_PLATFORM=offscreen build/tests/ocr/ocr_make_fixtures tests/data/ocr
//
// Deterministic: noise comes from fixed seeds, so a re-run changes no file except the
// PDFs' creation dates.
#include "exif_jpeg.h"

#include <leptonica/allheaders.h>

#include <QBuffer>
#include <QDir>
#include <QFile>
#include <QFontDatabase>
#include <QGuiApplication>
#include <QImage>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QPainter>
#include <QPainterPath>
#include <QPdfWriter>
#include <QRandomGenerator>

#include <cstdio>

namespace {

constexpr double A4WidthInches = 8.27;
constexpr double A4HeightInches = 11.69;

QString g_family;
QDir g_out;

struct Letter {
    QStringList lines;
    double pointSize = 11;
    double lineSpacing = 1.6;  // line pitch in multiples of the point size
};

Letter councilTaxLetter()
{
    return {{QStringLiteral("Mrs Alison Markham"),
             QStringLiteral("14 Orchard Close"),
             QStringLiteral("Little Bramford"),
             QStringLiteral("BR4 7QT"),
             QStringLiteral("3 March 2026"),
             QStringLiteral("Council Tax account 600418273"),
             QStringLiteral("Dear Sir or Madam,"),
             QStringLiteral("I am writing about the council tax bill dated 12 February for my home"),
             QStringLiteral("at the address above. The bill charges me for two adults, but my son"),
             QStringLiteral("moved out in January and I now live alone. Please apply the single"),
             QStringLiteral("person discount from 20 January and send me a corrected bill."),
             QStringLiteral("I enclose a copy of his new tenancy agreement as evidence."),
             QStringLiteral("Yours faithfully,"),
             QStringLiteral("Alison Markham")},
            11};
}

Letter missedBinLetter()
{
    return {{QStringLiteral("Mr Daniel Osei"),
             QStringLiteral("Flat 2, 87 Victoria Road"),
             QStringLiteral("Eastwick"),
             QStringLiteral("EW2 9LP"),
             QStringLiteral("17 February 2026"),
             QStringLiteral("Missed bin collection"),
             QStringLiteral("Dear Waste Services,"),
             QStringLiteral("Our green recycling bin has not been emptied for the last three weeks."),
             QStringLiteral("It is put out by seven in the morning on Tuesday as the calendar says."),
             QStringLiteral("The other bins in the street were collected. Could the crew please"),
             QStringLiteral("come back this week, as the bin is now full and attracting foxes."),
             QStringLiteral("Kind regards,"),
             QStringLiteral("Daniel Osei")},
            12};
}

Letter housingRepairLetter()
{
    return {{QStringLiteral("Ms Priya Shah"),
             QStringLiteral("22 Mill Lane"),
             QStringLiteral("Hadley Green"),
             QStringLiteral("HG1 3DW"),
             QStringLiteral("9 January 2026"),
             QStringLiteral("Repair reference R-55120"),
             QStringLiteral("Dear Housing Repairs Team,"),
             QStringLiteral("The kitchen window in my flat still does not close properly after the"),
             QStringLiteral("visit on 2 December. Cold air comes in around the frame and there is"),
             QStringLiteral("now damp on the wall below it. I am at home on weekday mornings if an"),
             QStringLiteral("operative can call. My telephone number is 01632 960418."),
             QStringLiteral("Yours sincerely,"),
             QStringLiteral("Priya Shah")},
            11};
}

// A letter whose body is one paragraph of long 10.5 pt lines at ordinary spacing. Tilted
// 3 degrees clockwise with scanner dust, Tesseract without deskew drops most of the
// paragraph (about 70 % of the words) while its confidence stays high: the silent loss
// PLATFORM-NOTES describes, seen on post_fms letters of this shape.
Letter denseNoticeLetter()
{
    return {{QStringLiteral("Mr Gareth Lloyd"),
             QStringLiteral("5 Brook Street"),
             QStringLiteral("Little Bramford"),
             QStringLiteral("BR4 2JX"),
             QStringLiteral("Planning Service"),
             QStringLiteral("Civic Centre"),
             QStringLiteral("Little Bramford BR1 1AA"),
             QStringLiteral("Dear Planning Officer,"),
             QStringLiteral("I object to application 26/00412/FUL for a rear extension and a new garden wall at number 7."),
             QStringLiteral("The extension would stand two metres from my kitchen window and take most of its light in the"),
             QStringLiteral("afternoon. The plans also show the wall on my side of the boundary, which I have not agreed to,"),
             QStringLiteral("and the drawings give no height for it. Parking in the street is already difficult, and the works"),
             QStringLiteral("would block the shared drive for weeks. Please let me know when the committee will meet."),
             QStringLiteral("Yours faithfully,"),
             QStringLiteral("Gareth Lloyd")},
            10.5,
            1.15};
}

// A council form as a faint office copier prints it: black labels, the filled-in values
// in light grey, a grey-shaded heading band and a tinted notes box. The letters' cleaning
// (background normalisation, fixed threshold) loses the light values; Tesseract's own
// thresholding of the grey page keeps them.
struct FormField {
    QString label;
    QString value;
};

QList<FormField> parkingPermitFields()
{
    return {{QStringLiteral("Applicant name"), QStringLiteral("Hannah Whitfield")},
            {QStringLiteral("Address"), QStringLiteral("31 Cedar Avenue, Eastwick")},
            {QStringLiteral("Postcode"), QStringLiteral("EW4 6RB")},
            {QStringLiteral("Vehicle registration"), QStringLiteral("LK19 XPT")},
            {QStringLiteral("Permit zone"), QStringLiteral("Zone C North")},
            {QStringLiteral("Start date"), QStringLiteral("1 April 2026")},
            {QStringLiteral("Telephone"), QStringLiteral("01632 960275")}};
}

const QString FormHeading = QStringLiteral("Residents Parking Permit Application");
const QString FormNotes = QStringLiteral("Please send the permit to the address above");

QImage formPage(int dpi)
{
    QImage page(int(A4WidthInches * dpi), int(A4HeightInches * dpi), QImage::Format_RGB32);
    page.fill(Qt::white);
    page.setDotsPerMeterX(int(dpi / 0.0254));
    page.setDotsPerMeterY(int(dpi / 0.0254));
    QPainter painter(&page);
    painter.setRenderHint(QPainter::TextAntialiasing);
    const double inch = dpi;
    QFont font(g_family);
    font.setPointSizeF(13);
    painter.setFont(font);
    painter.fillRect(QRectF(inch * 0.6, inch * 0.8, inch * 7.1, inch * 0.5), QColor(215, 215, 215));
    painter.setPen(Qt::black);
    painter.drawText(QPointF(inch * 0.8, inch * 1.15), FormHeading);
    font.setPointSizeF(11);
    painter.setFont(font);
    double y = inch * 1.9;
    for (const FormField &field : parkingPermitFields()) {
        painter.setPen(Qt::black);
        painter.drawText(QPointF(inch * 0.8, y), field.label);
        painter.setPen(QColor(185, 185, 185));
        painter.drawText(QPointF(inch * 3.2, y), field.value);
        painter.setPen(QPen(QColor(120, 120, 120), 1));
        painter.drawLine(QPointF(inch * 3.1, y + inch * 0.08), QPointF(inch * 7.6, y + inch * 0.08));
        y += inch * 0.5;
    }
    painter.fillRect(QRectF(inch * 0.6, y, inch * 7.1, inch * 0.6), QColor(255, 236, 160));
    painter.setPen(QColor(60, 60, 140));
    painter.drawText(QPointF(inch * 0.8, y + inch * 0.38), FormNotes);
    return page;
}

QString formText()
{
    QStringList lines{FormHeading};
    for (const FormField &field : parkingPermitFields())
        lines.append(field.label + QLatin1Char(' ') + field.value);
    lines.append(FormNotes);
    return lines.join(QLatin1Char('\n'));
}

QImage blankPage(int dpi)
{
    QImage image(int(A4WidthInches * dpi), int(A4HeightInches * dpi), QImage::Format_Grayscale8);
    image.fill(Qt::white);
    image.setDotsPerMeterX(int(dpi / 0.0254));
    image.setDotsPerMeterY(int(dpi / 0.0254));
    return image;
}

void drawLetter(QPainter &painter, const Letter &letter, double dotsPerInch)
{
    QFont font(g_family);
    font.setPointSizeF(letter.pointSize);
    painter.setFont(font);
    painter.setPen(Qt::black);
    const double lineHeight = letter.pointSize / 72.0 * dotsPerInch * letter.lineSpacing;
    double y = dotsPerInch * 1.2;
    for (const QString &line : letter.lines) {
        painter.drawText(QPointF(dotsPerInch * 0.7, y), line);
        y += lineHeight;
    }
}

QImage renderLetter(const Letter &letter, int dpi)
{
    QImage image = blankPage(dpi);
    QPainter painter(&image);
    painter.setRenderHint(QPainter::TextAntialiasing);
    drawLetter(painter, letter, dpi);
    return image;
}

// Turns a page clockwise by `degrees` about its centre, on white paper.
QImage turned(const QImage &page, double degrees)
{
    QImage result = blankPage(int(page.dotsPerMeterX() * 0.0254 + 0.5));
    QPainter painter(&result);
    painter.setRenderHint(QPainter::SmoothPixmapTransform);
    painter.translate(result.width() / 2.0, result.height() / 2.0);
    painter.rotate(degrees);
    painter.translate(-page.width() / 2.0, -page.height() / 2.0);
    painter.drawImage(0, 0, page);
    return result;
}

QImage turnedSideways(const QImage &page)
{
    QImage result = page.transformed(QTransform().rotate(90));
    result.setDotsPerMeterX(page.dotsPerMeterX());
    result.setDotsPerMeterY(page.dotsPerMeterY());
    return result;
}

// Scanner dust on an otherwise empty page: isolated specks of 1-3 pixels.
void sprinkleSpecks(QImage &page, int count, quint32 seed)
{
    QRandomGenerator random(seed);
    for (int i = 0; i < count; ++i) {
        const int x = random.bounded(page.width() - 4), y = random.bounded(page.height() - 4);
        const int size = 1 + random.bounded(3);
        for (int dy = 0; dy < size; ++dy)
            for (int dx = 0; dx < size; ++dx)
                page.scanLine(y + dy)[x + dx] = 0;
    }
}

// Something that is not text: blobs and scribbles (a photo or a smudged page, as far as
// OCR is concerned), with glyph-sized marks Tesseract cannot read.
QImage garbagePage(int dpi, quint32 seed)
{
    QImage page = blankPage(dpi);
    QRandomGenerator random(seed);
    QPainter painter(&page);
    painter.setRenderHint(QPainter::Antialiasing);
    const double mm = dpi / 25.4;
    for (int i = 0; i < 40; ++i) {
        painter.setBrush(QColor::fromRgb(0, 0, 0));
        painter.setPen(Qt::NoPen);
        const double r = (2 + random.bounded(30)) * mm;
        painter.drawEllipse(QPointF(random.bounded(page.width()), random.bounded(page.height())), r, r * 0.6);
    }
    painter.setBrush(Qt::NoBrush);
    for (int i = 0; i < 600; ++i) {
        painter.setPen(QPen(Qt::black, (0.3 + random.bounded(0.4)) * mm));
        const QPointF start(random.bounded(page.width()), random.bounded(page.height()));
        QPainterPath path(start);
        path.cubicTo(start + QPointF(random.bounded(6.0) * mm, -random.bounded(4.0) * mm),
                     start + QPointF(-random.bounded(3.0) * mm, random.bounded(5.0) * mm),
                     start + QPointF(random.bounded(4.0) * mm, random.bounded(3.0) * mm));
        painter.drawPath(path);
    }
    return page;
}

PIX *binaryPix(const QImage &grey, int dpi)
{
    const QImage image = grey.convertToFormat(QImage::Format_Grayscale8);
    PIX *pix8 = pixCreate(image.width(), image.height(), 8);
    for (int y = 0; y < image.height(); ++y) {
        l_uint32 *line = pixGetData(pix8) + qsizetype(y) * pixGetWpl(pix8);
        const uchar *source = image.constScanLine(y);
        for (int x = 0; x < image.width(); ++x)
            SET_DATA_BYTE(line, x, source[x]);
    }
    PIX *pix1 = pixThresholdToBinary(pix8, 160);
    pixDestroy(&pix8);
    pixSetResolution(pix1, dpi, dpi);
    return pix1;
}

QString outPath(const QString &name)
{
    return g_out.filePath(name);
}

// Pages as 1-bit CCITT G4 in one TIFF. dpi 0 writes no resolution.
void writeG4Tiff(const QString &name, const QList<QImage> &pages, int dpi)
{
    const QByteArray path = QFile::encodeName(outPath(name));
    for (qsizetype i = 0; i < pages.size(); ++i) {
        PIX *pix = binaryPix(pages[i], dpi);
        pixWriteTiff(path.constData(), pix, IFF_TIFF_G4, i == 0 ? "w" : "a");
        pixDestroy(&pix);
    }
}

void writeBytes(const QString &name, const QByteArray &bytes)
{
    QFile file(outPath(name));
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate) || file.write(bytes) != bytes.size())
        std::fprintf(stderr, "cannot write %s\n", qPrintable(file.fileName()));
}

QByteArray readBytes(const QString &name)
{
    QFile file(outPath(name));
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

// A scanner that captures 12 bits a sample and stores them unscaled in a 16-bit PNG:
// white paper is 4095 of 65535, so the high bytes alone make a black page.
void writeTwelveBitPng(const QString &name, const QImage &page)
{
    const QImage grey = page.convertToFormat(QImage::Format_Grayscale8);
    QImage deep(grey.size(), QImage::Format_Grayscale16);
    for (int y = 0; y < grey.height(); ++y) {
        const uchar *source = grey.constScanLine(y);
        auto *line = reinterpret_cast<quint16 *>(deep.scanLine(y));
        for (int x = 0; x < grey.width(); ++x)
            line[x] = quint16(source[x] * 4095 / 255);
    }
    deep.setDotsPerMeterX(page.dotsPerMeterX());
    deep.setDotsPerMeterY(page.dotsPerMeterY());
    deep.save(outPath(name));
}

// A phone photo of a page: a grey JPEG stored as the camera held it, with the EXIF tag
// that tells viewers how to turn it (see exif_jpeg.h).
void writeExifJpeg(const QString &name, const QImage &upright, int orientation)
{
    using clerk::ocr::testing::storedForOrientation;
    using clerk::ocr::testing::withExifOrientation;
    QByteArray jpeg;
    QBuffer buffer(&jpeg);
    buffer.open(QIODevice::WriteOnly);
    storedForOrientation(upright, orientation).save(&buffer, "JPEG", 35);
    writeBytes(name, withExifOrientation(jpeg, orientation));
}

void writeExpected(const QString &caseName, const QJsonObject &expected)
{
    writeBytes(caseName + QStringLiteral(".expected.json"), QJsonDocument(expected).toJson(QJsonDocument::Indented));
}

QJsonObject expectPages(const QList<std::pair<const Letter *, int>> &pages, bool textLayer = false)
{
    QJsonArray texts, rotations, blanks, layers;
    for (qsizetype i = 0; i < pages.size(); ++i) {
        const Letter *letter = pages[i].first;
        texts.append(letter ? letter->lines.join(QLatin1Char('\n')) : QString());
        rotations.append(pages[i].second);
        layers.append(textLayer);
        if (!letter)
            blanks.append(int(i + 1));
    }
    return {{QStringLiteral("page_count"), int(pages.size())},
            {QStringLiteral("blank_pages"), blanks},
            {QStringLiteral("rotation"), rotations},
            {QStringLiteral("from_text_layer"), layers},
            {QStringLiteral("page_text"), texts},
            {QStringLiteral("max_cer"), 0.02},
            {QStringLiteral("min_readability"), 0.8}};
}

QJsonObject expectError(const QString &code, const QString &reasonContains)
{
    return {{QStringLiteral("error"), code}, {QStringLiteral("reason_contains"), reasonContains}};
}

// A born-digital letter: text drawn by Qt, so the PDF has a text layer.
void writePdf(const QString &name, const Letter &letter)
{
    QPdfWriter writer(outPath(name));
    writer.setPageSize(QPageSize(QPageSize::A4));
    writer.setPageMargins(QMarginsF(0, 0, 0, 0));
    writer.setResolution(300);
    writer.setCreator(QStringLiteral("clerk test fixtures"));
    QPainter painter(&writer);
    drawLetter(painter, letter, 300);
}

quint32 crc32(const QByteArray &bytes)
{
    quint32 crc = 0xffffffffu;
    for (const char byte : bytes) {
        crc ^= quint8(byte);
        for (int k = 0; k < 8; ++k)
            crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
    }
    return ~crc;
}

QByteArray pngChunk(const QByteArray &type, const QByteArray &data)
{
    QByteArray chunk;
    const quint32 size = quint32(data.size());
    for (int shift = 24; shift >= 0; shift -= 8)
        chunk.append(char((size >> shift) & 0xff));
    chunk.append(type + data);
    const quint32 crc = crc32(type + data);
    for (int shift = 24; shift >= 0; shift -= 8)
        chunk.append(char((crc >> shift) & 0xff));
    return chunk;
}

// A PNG whose header claims 60000 x 60000 grey pixels (3.6 GB decoded) with almost no
// data behind it: a decompression bomb's shape, refused before decoding.
QByteArray bombPng()
{
    QByteArray header;
    for (const quint32 value : {60000u, 60000u})
        for (int shift = 24; shift >= 0; shift -= 8)
            header.append(char((value >> shift) & 0xff));
    header.append(char(8)).append(char(0)).append(char(0)).append(char(0)).append(char(0));
    const QByteArray idat = qCompress(QByteArray(64, '\0')).mid(4);  // zlib stream
    return QByteArray("\x89PNG\r\n\x1a\n", 8) + pngChunk("IHDR", header) + pngChunk("IDAT", idat) +
           pngChunk("IEND", QByteArray());
}

// A well-formed PDF whose page tree is empty.
QByteArray pdfWithoutPages()
{
    QByteArray pdf("%PDF-1.4\n");
    QList<qsizetype> offsets;
    offsets.append(pdf.size());
    pdf.append("1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n");
    offsets.append(pdf.size());
    pdf.append("2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n");
    const qsizetype xref = pdf.size();
    pdf.append("xref\n0 3\n0000000000 65535 f \n");
    for (const qsizetype offset : offsets)
        pdf.append(QByteArray::number(offset).rightJustified(10, '0') + " 00000 n \n");
    pdf.append("trailer\n<< /Size 3 /Root 1 0 R >>\nstartxref\n" + QByteArray::number(xref) + "\n%%EOF\n");
    return pdf;
}

} // namespace

int main(int argc, char **argv)
{
    qputenv("QT_QPA_PLATFORM", "offscreen");
    QGuiApplication app(argc, argv);
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s OUTPUT_FOLDER (tests/data/ocr)\n", argv[0]);
        return 2;
    }
    g_out = QDir(QString::fromLocal8Bit(argv[1]));
    g_out.mkpath(QStringLiteral("."));
    const int font = QFontDatabase::addApplicationFont(QStringLiteral("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"));
    if (font < 0) {
        std::fprintf(stderr, "DejaVu Sans is missing: apt-get install fonts-dejavu-core\n");
        return 1;
    }
    g_family = QFontDatabase::applicationFontFamilies(font).value(0);

    const Letter tax = councilTaxLetter(), bins = missedBinLetter(), repair = housingRepairLetter(),
                 notice = denseNoticeLetter();

    // A grey phone-style scan at 200 dpi, PNG.
    {
        QImage page = renderLetter(bins, 200);
        page.save(outPath(QStringLiteral("grey_letter.png")));
        writeExpected(QStringLiteral("grey_letter"), expectPages({{&bins, 0}}));
    }
    // The commonest post-room format: 300 dpi bilevel G4 TIFF.
    writeG4Tiff(QStringLiteral("g4_letter.tif"), {renderLetter(tax, 300)}, 300);
    writeExpected(QStringLiteral("g4_letter"), expectPages({{&tax, 0}}));

    // A duplex scan: letter, blank back with dust, second letter, blank back.
    {
        QImage back = blankPage(300);
        sprinkleSpecks(back, 400, 7);
        QImage back2 = blankPage(300);
        sprinkleSpecks(back2, 150, 8);
        writeG4Tiff(QStringLiteral("duplex_scan.tif"), {renderLetter(tax, 300), back, renderLetter(repair, 300), back2}, 300);
        writeExpected(QStringLiteral("duplex_scan"), expectPages({{&tax, 0}, {nullptr, 0}, {&repair, 0}, {nullptr, 0}}));
    }
    // Fed in upside down, and with no resolution in the file.
    writeG4Tiff(QStringLiteral("upside_down.tif"), {turned(renderLetter(repair, 300), 180)}, 0);
    writeExpected(QStringLiteral("upside_down"), expectPages({{&repair, 180}}));

    // Scanned sideways: the text runs downwards. Tesseract's layout analysis reads such
    // lines by itself, so the page reads well as it is and is not turned (OcrEngine asks
    // OSD only when the upright reading is poor).
    writeG4Tiff(QStringLiteral("sideways.tif"), {turnedSideways(renderLetter(bins, 300))}, 300);
    writeExpected(QStringLiteral("sideways"), expectPages({{&bins, 0}}));

    // Tilted 3 degrees clockwise on the scanner glass, dense small text.
    {
        QImage page = turned(renderLetter(notice, 300), 3.0);
        sprinkleSpecks(page, 1500, 3);
        writeG4Tiff(QStringLiteral("skewed_notice.tif"), {page}, 300);
    }
    {
        QJsonObject expected = expectPages({{&notice, 0}});
        expected.insert(QStringLiteral("min_abs_skew"), 2.5);
        writeExpected(QStringLiteral("skewed_notice"), expected);
    }
    // A blank page with scanner dust only.
    {
        QImage page = blankPage(300);
        sprinkleSpecks(page, 800, 11);
        writeG4Tiff(QStringLiteral("blank_page.tif"), {page}, 300);
        writeExpected(QStringLiteral("blank_page"), expectPages({{nullptr, 0}}));
    }
    // Not text: Tesseract finds little or nothing, and what it finds must not look "read".
    {
        writeG4Tiff(QStringLiteral("garbage_page.tif"), {garbagePage(300, 5)}, 300);
        writeExpected(QStringLiteral("garbage_page"),
                      {{QStringLiteral("page_count"), 1},
                       {QStringLiteral("blank_pages"), QJsonArray()},
                       {QStringLiteral("max_readability"), 0.3}});
    }
    // Born-digital PDF: its text layer is used as it is.
    writePdf(QStringLiteral("born_digital.pdf"), tax);
    {
        QJsonObject expected = expectPages({{&tax, 0}}, /*textLayer*/ true);
        expected.insert(QStringLiteral("max_cer"), 0.0);
        writeExpected(QStringLiteral("born_digital"), expected);
    }
    // A scanner's PDF: one bilevel G4 image per page, no text layer (Leptonica writes it;
    // Qt would store the scan as a 200 KB JPEG).
    {
        PIX *scan = binaryPix(renderLetter(bins, 300), 300);
        pixConvertToPdf(scan, L_G4_ENCODE, 0, QFile::encodeName(outPath(QStringLiteral("scanned.pdf"))).constData(), 0, 0,
                        300, "scanned letter", nullptr, L_FIRST_IMAGE | L_LAST_IMAGE);
        pixDestroy(&scan);
        writeExpected(QStringLiteral("scanned"), expectPages({{&bins, 0}}));
    }

    // Broken and hostile files.
    {
        const QByteArray tiff = readBytes(QStringLiteral("g4_letter.tif"));
        writeBytes(QStringLiteral("truncated.tif"), tiff.left(tiff.size() / 2));
        writeExpected(QStringLiteral("truncated"), expectError(QStringLiteral("unreadable"), QStringLiteral("truncated")));
    }
    writeBytes(QStringLiteral("text_named.pdf"), "Dear Sir,\nThis is a plain text file that was saved with a .pdf name.\n");
    writeExpected(QStringLiteral("text_named"), expectError(QStringLiteral("unreadable"), QStringLiteral("not a PDF or an image")));
    writeBytes(QStringLiteral("empty.png"), QByteArray());
    writeExpected(QStringLiteral("empty"), expectError(QStringLiteral("unreadable"), QStringLiteral("empty")));
    writeBytes(QStringLiteral("bomb.png"), bombPng());
    writeExpected(QStringLiteral("bomb"), expectError(QStringLiteral("unreadable"), QStringLiteral("above the limit")));
    writeBytes(QStringLiteral("no_pages.pdf"), pdfWithoutPages());
    writeExpected(QStringLiteral("no_pages"), expectError(QStringLiteral("unreadable"), QStringLiteral("no pages")));

    // Awkward but ordinary inputs.
    // 12-bit scanner samples in a 16-bit grey PNG (read as blank when cut to 8 bits).
    writeTwelveBitPng(QStringLiteral("grey16_letter.png"), renderLetter(repair, 200));
    writeExpected(QStringLiteral("grey16_letter"), expectPages({{&repair, 0}}));
    // Phone photos turned by their EXIF tag: the file says how to show them, so they are
    // upright on loading (rotation 0) and orientation detection is not needed.
    writeExifJpeg(QStringLiteral("photo_exif_180.jpg"), renderLetter(bins, 200), 3);
    writeExpected(QStringLiteral("photo_exif_180"), expectPages({{&bins, 0}}));
    writeExifJpeg(QStringLiteral("photo_exif_90.jpg"), renderLetter(tax, 200), 6);
    writeExpected(QStringLiteral("photo_exif_90"), expectPages({{&tax, 0}}));
    // A form with light values, a shaded band and a tinted box (see formPage).
    {
        formPage(200).save(outPath(QStringLiteral("faint_form.png")));
        QJsonObject expected = expectPages({{nullptr, 0}});
        expected[QStringLiteral("blank_pages")] = QJsonArray();
        expected[QStringLiteral("page_text")] = QJsonArray{formText()};
        expected[QStringLiteral("max_cer")] = 0.05;
        expected.remove(QStringLiteral("min_readability"));
        writeExpected(QStringLiteral("faint_form"), expected);
    }
    // A fax: a letter in 8 pt at 100 dpi, bilevel, its characters about 7 pixels tall
    // (read at twice its size, ocr_engine.h step 2).
    {
        Letter small = housingRepairLetter();
        small.pointSize = 8;
        writeG4Tiff(QStringLiteral("small_print.tif"), {renderLetter(small, 100)}, 100);
        writeExpected(QStringLiteral("small_print"), expectPages({{&small, 0}}));
    }
    return 0;
}
