// A small CSV reader for record files: a header row, then one record a row. Accepts
// quoted fields ("" inside quotes is a quote), CRLF line ends and spaces after the comma
// (FEBRL's ", " separator), which are dropped.
//
// Thread-safety: a CsvTable is a value; a CsvReader is used by one thread.
#pragma once

#include "core/error.h"

#include <QFile>
#include <QList>
#include <QString>
#include <QStringDecoder>
#include <QStringList>

#include <memory>

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

class CsvRowParser;

// The same rows a row at a time, for a file too big to hold whole (an index of a million
// people): only a megabyte of it is in memory at once.
class CsvReader {
public:
    // Opens the file and reads its header; fails as CsvTable::read does.
    static Result<std::unique_ptr<CsvReader>> open(const QString &path);
    ~CsvReader();

    const QStringList &header() const { return m_header; }
    int column(const QString &name) const { return static_cast<int>(m_header.indexOf(name)); }
    // The next row, as long as the header (short rows padded with ""); false at the end.
    bool next(QStringList &row);

private:
    CsvReader();
    bool nextRow(QStringList &row);

    QFile m_file;
    QStringDecoder m_decoder{QStringDecoder::Utf8};
    std::unique_ptr<CsvRowParser> m_parser;
    QString m_chunk;
    qsizetype m_at = 0;
    bool m_finished = false;
    QStringList m_header;
};

} // namespace clerk::match
