#include "match/csv_table.h"

#include <QFile>
#include <QFileInfo>
#include <QStringDecoder>

namespace clerk::match {

// The CSV grammar a character at a time, so a file can be read whole or in pieces.
class CsvRowParser {
public:
    // Takes one character; true when it ended a row, which is then moved into `row`.
    // Blank lines give no row.
    bool take(QChar c, QStringList &row)
    {
        if (m_closedQuote) {
            m_closedQuote = false;
            if (c == u'"') {  // "" inside quotes is a quote
                m_field.append(u'"');
                m_inQuotes = true;
                return false;
            }
        }
        if (m_inQuotes) {
            if (c == u'"') {
                m_inQuotes = false;
                m_closedQuote = true;
            } else {
                m_field.append(c);
            }
            return false;
        }
        if (c == u',') {
            endField();
        } else if (c == u'\n') {
            return endRow(row);
        } else if (c == u'\r') {
            return false;
        } else if (c == u'"' && !m_fieldStarted) {
            m_inQuotes = true;
            m_fieldStarted = true;
        } else if (c == u' ' && !m_fieldStarted) {
            return false;
        } else {
            m_field.append(c);
            m_fieldStarted = true;
        }
        return false;
    }

    // Ends the text: true when a last row without a line end was pending.
    bool finish(QStringList &row)
    {
        m_closedQuote = false;
        return (!m_field.isEmpty() || !m_row.isEmpty()) && endRow(row);
    }

private:
    void endField()
    {
        m_row.append(m_field);
        m_field.clear();
        m_fieldStarted = false;
    }

    bool endRow(QStringList &row)
    {
        endField();
        const bool blank = m_row.size() == 1 && m_row.first().isEmpty();
        row = std::exchange(m_row, {});
        return !blank;
    }

    QStringList m_row;
    QString m_field;
    bool m_inQuotes = false;
    bool m_closedQuote = false;
    bool m_fieldStarted = false;  // leading spaces before a field are skipped
};

namespace {

QStringList headerOf(QStringList row)
{
    for (QString &name : row)
        name = name.trimmed();
    if (!row.isEmpty() && row.first().startsWith(QChar(0xFEFF)))
        row.first().remove(0, 1);
    return row;
}

void fitToHeader(QStringList &row, qsizetype columns)
{
    while (row.size() < columns)
        row.append(QString());
    for (QString &value : row)
        value = value.trimmed();
}

QString emptyFile(const QString &displayName)
{
    return QStringLiteral("%1: empty file, a header row is needed").arg(displayName);
}

} // namespace

Result<CsvTable> CsvTable::read(const QString &path)
{
    QFile file(path);
    if (!file.exists())
        return fail(Error::notFound(QStringLiteral("%1: no such file").arg(path)));
    if (!file.open(QIODevice::ReadOnly))
        return fail(Error::unreadable(QStringLiteral("%1: %2").arg(path, file.errorString())));
    return parse(file.readAll(), path);
}

Result<CsvTable> CsvTable::parse(const QByteArray &bytes, const QString &displayName)
{
    const QString text = QString::fromUtf8(bytes);
    CsvRowParser parser;
    QList<QStringList> rows;
    QStringList row;
    for (QChar c : text) {
        if (parser.take(c, row))
            rows.append(std::move(row));
    }
    if (parser.finish(row))
        rows.append(std::move(row));
    if (rows.isEmpty())
        return fail(Error::invalidArgument(emptyFile(displayName)));
    CsvTable table;
    table.header = headerOf(rows.takeFirst());
    for (QStringList &r : rows)
        fitToHeader(r, table.header.size());
    table.rows = std::move(rows);
    return table;
}

CsvReader::CsvReader() : m_parser(std::make_unique<CsvRowParser>()) {}

CsvReader::~CsvReader() = default;

Result<std::unique_ptr<CsvReader>> CsvReader::open(const QString &path)
{
    std::unique_ptr<CsvReader> reader(new CsvReader());
    reader->m_file.setFileName(path);
    if (!reader->m_file.exists())
        return fail(Error::notFound(QStringLiteral("%1: no such file").arg(path)));
    if (!reader->m_file.open(QIODevice::ReadOnly))
        return fail(Error::unreadable(QStringLiteral("%1: %2").arg(path, reader->m_file.errorString())));
    QStringList first;
    if (!reader->nextRow(first))
        return fail(Error::invalidArgument(emptyFile(path)));
    reader->m_header = headerOf(std::move(first));
    return reader;
}

bool CsvReader::next(QStringList &row)
{
    if (!nextRow(row))
        return false;
    fitToHeader(row, m_header.size());
    return true;
}

bool CsvReader::nextRow(QStringList &row)
{
    for (;;) {
        while (m_at < m_chunk.size()) {
            if (m_parser->take(m_chunk[m_at++], row))
                return true;
        }
        if (m_file.atEnd()) {
            if (m_finished)
                return false;
            m_finished = true;
            return m_parser->finish(row);
        }
        // A megabyte at a time: the decoder keeps a character split between two reads.
        m_chunk = m_decoder(m_file.read(1 << 20));
        m_at = 0;
    }
}

} // namespace clerk::match
