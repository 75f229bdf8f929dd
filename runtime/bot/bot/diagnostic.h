// Diagnostics: problems found in a bot or connector file, with their position.
//
// Shown to ICT staff as "file:line:column: error: message" (lines and columns count
// from 1, like compilers do, so editors can jump to them).
#pragma once

#include <QList>
#include <QString>

namespace clerk::bot {

struct Diagnostic {
    enum class Severity { Error, Warning };

    QString file;
    int line = 0;    // 1-based; 0 when the problem is the file as a whole
    int column = 0;  // 1-based; 0 when unknown
    Severity severity = Severity::Error;
    QString message;

    // "file:line:column: error: message"
    QString toString() const;
};

using Diagnostics = QList<Diagnostic>;

bool hasErrors(const Diagnostics &diagnostics);

} // namespace clerk::bot
