// extract_fields: runs one field extractor over text files and prints, per file, the
// chosen value and its confidence (tab-separated; empty when nothing valid was found).
// For measurements on evaluation corpora (see measure_sroie.py); not a test.
//
//   extract_fields --type date [--label Date]... [--pattern RE] [--past-only]
//                  [--reference 2026-03-02] FILE...
#include "extract/field_extractor.h"

#include <QCoreApplication>
#include <QFile>
#include <QTextStream>

#include <clocale>
#include <cstdio>

using namespace clerk::extract;

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    std::setlocale(LC_NUMERIC, "C");
    const QStringList args = app.arguments().mid(1);
    FieldSpec spec;
    QStringList files;
    bool typeGiven = false;
    for (qsizetype i = 0; i < args.size(); ++i) {
        const QString &arg = args[i];
        const bool hasValue = i + 1 < args.size();
        if (arg == QLatin1String("--type") && hasValue) {
            const auto type = fieldTypeFromString(args[++i]);
            if (!type) {
                std::fprintf(stderr, "unknown type; one of: %s\n", qPrintable(fieldTypeNames().join(QLatin1Char(' '))));
                return 2;
            }
            spec.type = *type;
            typeGiven = true;
        } else if (arg == QLatin1String("--label") && hasValue) {
            spec.labels.append(args[++i]);
        } else if (arg == QLatin1String("--pattern") && hasValue) {
            spec.pattern = args[++i];
        } else if (arg == QLatin1String("--reference") && hasValue) {
            spec.referenceDate = QDate::fromString(args[++i], Qt::ISODate);
        } else if (arg == QLatin1String("--past-only")) {
            spec.pastOnly = true;
        } else {
            files.append(arg);
        }
    }
    if (!typeGiven || files.isEmpty()) {
        std::fprintf(stderr, "usage: extract_fields --type TYPE [--label L]... [--pattern RE] [--past-only] "
                             "[--reference YYYY-MM-DD] FILE...\n");
        return 2;
    }
    QTextStream out(stdout);
    for (const QString &path : files) {
        QFile file(path);
        if (!file.open(QIODevice::ReadOnly)) {
            std::fprintf(stderr, "cannot read %s\n", qPrintable(path));
            return 1;
        }
        const auto result = extractField(QString::fromUtf8(file.readAll()), spec);
        if (!result) {
            std::fprintf(stderr, "%s\n", qPrintable(result.error().message()));
            return 2;
        }
        out << path << '\t' << (result->best ? result->best->value : QString()) << '\t'
            << (result->best ? result->best->confidence : 0.0) << '\t' << result->candidates.size() << '\n';
    }
    return 0;
}
