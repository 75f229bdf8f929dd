// Labelled examples for training and evaluation, read from a folder or a CSV file.
//
//   folder: one sub-folder per category, named after it, holding .txt files (UTF-8);
//           other files are skipped and counted (document formats are not read yet).
//   CSV:    a header row with `category` and either `text` or `file` (a .txt path,
//           relative to the CSV's folder); other columns are ignored. RFC 4180 quoting
//           (quoted fields may hold commas, quotes as "" and line breaks).
//
// Thread-safety: pure functions.
#pragma once

#include "classify/classifier_model.h"
#include "core/error.h"

#include <QList>
#include <QString>

namespace clerk::classify {

struct ExampleSet {
    QList<LabelledText> examples{};
    int skippedFiles = 0;  // files in a folder that are not .txt
};

// NotFound when the path does not exist; InvalidArgument for a CSV without the needed
// columns, a row with a missing category, or no examples at all; Unreadable for a file
// that cannot be read.
Result<ExampleSet> loadExamples(const QString &path);

// Splits CSV text into rows of fields. InvalidArgument for an unterminated quote.
Result<QList<QStringList>> parseCsv(const QString &text);

} // namespace clerk::classify
