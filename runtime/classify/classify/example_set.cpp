#include "classify/example_set.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>

namespace clerk::classify {

namespace {

Result<QString> readText(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return fail(Error::unreadable(QStringLiteral("cannot read %1: %2").arg(path, file.errorString())));
    return QString::fromUtf8(file.readAll());
}

Result<ExampleSet> loadFolder(const QString &path)
{
    ExampleSet set;
    const QDir root(path);
    for (const QString &category : root.entryList(QDir::Dirs | QDir::NoDotAndDotDot, QDir::Name)) {
        const QDir folder(root.filePath(category));
        for (const QFileInfo &info : folder.entryInfoList(QDir::Files, QDir::Name)) {
            if (info.suffix().compare(QLatin1String("txt"), Qt::CaseInsensitive) != 0) {
                ++set.skippedFiles;
                continue;
            }
            auto text = readText(info.filePath());
            if (!text)
                return fail(text.error());
            set.examples.append({*text, category, info.filePath()});
        }
    }
    return set;
}

Result<ExampleSet> loadCsv(const QString &path)
{
    auto content = readText(path);
    if (!content)
        return fail(content.error());
    auto rows = parseCsv(*content);
    if (!rows)
        return fail(rows.error().withContext(path));
    if (rows->isEmpty())
        return fail(Error::invalidArgument(QStringLiteral("%1 is empty").arg(path)));
    const QStringList header = rows->first();
    const qsizetype categoryColumn = header.indexOf(QStringLiteral("category"));
    const qsizetype textColumn = header.indexOf(QStringLiteral("text"));
    const qsizetype fileColumn = header.indexOf(QStringLiteral("file"));
    if (categoryColumn < 0 || (textColumn < 0 && fileColumn < 0))
        return fail(Error::invalidArgument(
            QStringLiteral("%1: the first row must name the columns `category` and `text` (or `file`)").arg(path)));
    ExampleSet set;
    const QDir base = QFileInfo(path).absoluteDir();
    for (qsizetype r = 1; r < rows->size(); ++r) {
        const QStringList &row = rows->at(r);
        if (row.size() == 1 && row.first().isEmpty())
            continue;  // a blank line
        const QString source = QStringLiteral("%1 row %2").arg(path).arg(r + 1);
        const QString category = row.value(categoryColumn).trimmed();
        if (category.isEmpty())
            return fail(Error::invalidArgument(QStringLiteral("%1: no category").arg(source)));
        if (textColumn >= 0) {
            set.examples.append({row.value(textColumn), category, source});
            continue;
        }
        auto text = readText(base.absoluteFilePath(row.value(fileColumn)));
        if (!text)
            return fail(text.error().withContext(source));
        set.examples.append({*text, category, source});
    }
    return set;
}

} // namespace

Result<QList<QStringList>> parseCsv(const QString &text)
{
    QList<QStringList> rows;
    QStringList row;
    QString field;
    bool quoted = false;
    bool any = false;
    for (qsizetype i = 0; i < text.size(); ++i) {
        const QChar c = text[i];
        any = true;
        if (quoted) {
            if (c == QLatin1Char('"')) {
                if (i + 1 < text.size() && text[i + 1] == QLatin1Char('"')) {
                    field.append(c);
                    ++i;
                } else {
                    quoted = false;
                }
            } else {
                field.append(c);
            }
        } else if (c == QLatin1Char('"')) {
            quoted = true;
        } else if (c == QLatin1Char(',')) {
            row.append(field);
            field.clear();
        } else if (c == QLatin1Char('\n') || c == QLatin1Char('\r')) {
            if (c == QLatin1Char('\r') && i + 1 < text.size() && text[i + 1] == QLatin1Char('\n'))
                ++i;
            row.append(field);
            rows.append(row);
            row.clear();
            field.clear();
            any = false;
        } else {
            field.append(c);
        }
    }
    if (quoted)
        return fail(Error::invalidArgument(QStringLiteral("a quoted field is not closed")));
    if (any) {
        row.append(field);
        rows.append(row);
    }
    return rows;
}

Result<ExampleSet> loadExamples(const QString &path)
{
    const QFileInfo info(path);
    if (!info.exists())
        return fail(Error::notFound(QStringLiteral("%1 does not exist").arg(path)));
    auto set = info.isDir() ? loadFolder(path) : loadCsv(path);
    if (set && set->examples.isEmpty())
        return fail(Error::invalidArgument(QStringLiteral("%1 holds no examples").arg(path)));
    return set;
}

} // namespace clerk::classify
