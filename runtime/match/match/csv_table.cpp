#include "match/csv_table.h"

#include <QFile>
#include <QFileInfo>

namespace clerk::match {

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
    QList<QStringList> rows;
    QStringList row;
    QString field;
    bool inQuotes = false;
    bool fieldStarted = false;  // leading spaces before a field are skipped
    auto endField = [&] {
        row.append(field);
        field.clear();
        fieldStarted = false;
    };
    auto endRow = [&] {
        endField();
        if (!(row.size() == 1 && row.first().isEmpty()))
            rows.append(row);
        row.clear();
    };
    for (qsizetype i = 0; i < text.size(); ++i) {
        const QChar c = text[i];
        if (inQuotes) {
            if (c == u'"') {
                if (i + 1 < text.size() && text[i + 1] == u'"') {
                    field.append(u'"');
                    ++i;
                } else {
                    inQuotes = false;
                }
            } else {
                field.append(c);
            }
            continue;
        }
        if (c == u',') {
            endField();
        } else if (c == u'\n') {
            endRow();
        } else if (c == u'\r') {
            continue;
        } else if (c == u'"' && !fieldStarted) {
            inQuotes = true;
            fieldStarted = true;
        } else if (c == u' ' && !fieldStarted) {
            continue;
        } else {
            field.append(c);
            fieldStarted = true;
        }
    }
    if (!field.isEmpty() || !row.isEmpty())
        endRow();
    if (rows.isEmpty())
        return fail(Error::invalidArgument(QStringLiteral("%1: empty file, a header row is needed").arg(displayName)));
    CsvTable table;
    table.header = rows.takeFirst();
    for (QString &name : table.header)
        name = name.trimmed();
    if (!table.header.isEmpty() && table.header.first().startsWith(QChar(0xFEFF)))
        table.header.first().remove(0, 1);
    for (QStringList &r : rows) {
        while (r.size() < table.header.size())
            r.append(QString());
        for (QString &value : r)
            value = value.trimmed();
    }
    table.rows = std::move(rows);
    return table;
}

} // namespace clerk::match
