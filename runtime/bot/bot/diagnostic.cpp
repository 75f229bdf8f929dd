#include "bot/diagnostic.h"

#include <algorithm>

namespace clerk::bot {

QString Diagnostic::toString() const
{
    QString out = file;
    if (line > 0) {
        out += QLatin1Char(':') + QString::number(line);
        if (column > 0)
            out += QLatin1Char(':') + QString::number(column);
    }
    out += severity == Severity::Error ? QStringLiteral(": error: ") : QStringLiteral(": warning: ");
    out += message;
    return out;
}

bool hasErrors(const Diagnostics &diagnostics)
{
    return std::any_of(diagnostics.begin(), diagnostics.end(),
                       [](const Diagnostic &d) { return d.severity == Diagnostic::Severity::Error; });
}

} // namespace clerk::bot
