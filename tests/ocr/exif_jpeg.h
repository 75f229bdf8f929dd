// JPEGs carrying an EXIF orientation tag, for the OCR fixtures and tests (Qt writes
// JPEGs without one). Also the EXIF rule itself, written out from the standard so the
// tests do not lean on the Qt reading they check.
#pragma once

#include <QByteArray>
#include <QImage>

namespace clerk::ocr::testing {

// `jpeg` (a complete JPEG file) with an APP1 EXIF segment after its JFIF header whose
// only tag is Orientation = `orientation` (1-8).
inline QByteArray withExifOrientation(const QByteArray &jpeg, int orientation)
{
    QByteArray exif("Exif\0\0", 6);
    // Big-endian TIFF header, the first IFD at offset 8: one entry, Orientation (0x0112),
    // type SHORT (3), count 1, the value left-aligned in the 4-byte field; no next IFD.
    exif.append("MM\0\x2a\0\0\0\x08", 8);
    exif.append("\0\x01", 2);
    exif.append("\x01\x12\0\x03\0\0\0\x01", 8);
    exif.append(char(0)).append(char(orientation)).append(char(0)).append(char(0));
    exif.append("\0\0\0\0", 4);
    const int length = int(exif.size()) + 2;
    QByteArray segment("\xff\xe1", 2);
    segment.append(char((length >> 8) & 0xff)).append(char(length & 0xff)).append(exif);

    // After SOI and, when present, the JFIF APP0 segment.
    qsizetype at = 2;
    if (jpeg.size() > 6 && quint8(jpeg[2]) == 0xff && quint8(jpeg[3]) == 0xe0)
        at = 4 + ((quint8(jpeg[4]) << 8) | quint8(jpeg[5]));
    return QByteArray(jpeg).insert(at, segment);
}

// The picture to store so that a viewer honouring EXIF `orientation` shows `upright`.
// EXIF says where the stored rows and columns go: 2 mirrors, 3 turns by 180 degrees,
// 4 flips, 5 transposes, 6 needs a quarter turn clockwise to show, 7 is the transverse,
// 8 needs a quarter turn anticlockwise. Written per pixel from that table.
inline QImage storedForOrientation(const QImage &upright, int orientation)
{
    const QImage source = upright.convertToFormat(QImage::Format_Grayscale8);
    const bool quarter = orientation >= 5;
    const int w = quarter ? source.height() : source.width();  // stored size
    const int h = quarter ? source.width() : source.height();
    QImage stored(w, h, QImage::Format_Grayscale8);
    for (int y = 0; y < h; ++y) {
        uchar *line = stored.scanLine(y);
        for (int x = 0; x < w; ++x) {
            int dx = x, dy = y;  // where stored (x, y) is shown
            switch (orientation) {
            case 2: dx = w - 1 - x; break;
            case 3: dx = w - 1 - x; dy = h - 1 - y; break;
            case 4: dy = h - 1 - y; break;
            case 5: dx = y; dy = x; break;
            case 6: dx = h - 1 - y; dy = x; break;
            case 7: dx = h - 1 - y; dy = w - 1 - x; break;
            case 8: dx = y; dy = w - 1 - x; break;
            default: break;
            }
            line[x] = source.constScanLine(dy)[dx];
        }
    }
    stored.setDotsPerMeterX(upright.dotsPerMeterX());
    stored.setDotsPerMeterY(upright.dotsPerMeterY());
    return stored;
}

} // namespace clerk::ocr::testing
