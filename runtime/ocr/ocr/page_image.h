// Pages of a document as pictures for a person to look at (the web queue's scan viewer).
//
// The same readers as OCR (Leptonica for images, multi-page TIFF included; Poppler for
// PDFs, every page rendered), with the same limits against hostile files.
//
// Thread-safety: free functions; any thread.
#pragma once

#include "core/error.h"

#include <QByteArray>
#include <QString>

namespace clerk::ocr {

// How many pages `path` has. NotFound / Unreadable as OcrEngine reports them.
Result<int> documentPageCount(const QString &path);

// Page `index` (0-based) of `path` as PNG, scaled down to at most `maxWidth` pixels wide
// (never up). InvalidArgument for an index out of range.
Result<QByteArray> renderPagePng(const QString &path, int index, int maxWidth = 1654);

} // namespace clerk::ocr
