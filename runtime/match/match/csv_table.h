// A small CSV reader for record files: a header row, then one record a row. Accepts
// quoted fields ("" inside quotes is a quote), CRLF line ends and spaces after the comma
// (FEBRL's ", " separator), which are dropped.
//
// Thread-safety: a CsvTable is a value.
#pragma once

#include "core/error.h"

#include <QList>
#include <QString>
#include <QStringList>

namespace clerk::match {

struct CsvTable {
    QStringList header;
    QList<QStringList> rows;  // each as long as the header (short rows padded with "")

    int column(const QString &name) const { return static_cast<int>(header.indexOf(name)); }

    // Fails with NotFound or Unreadable (naming the file) when it cannot be read, and
    // InvalidArgument when it has no header.
    static Result<CsvTable> read(const QString &path);
    static Result<CsvTable> parse(const QByteArray &text, const QString &displayName);
};

} // namespace clerk::match
