// Lets GoogleTest print QStrings readably in failure messages.
//
// Include it in EVERY test file of the suite, before <gtest/gtest.h>: gtest's printer
// templates are instantiated per file, and one file without this overload would make
// the linker keep a byte-dump printer for all of them.
#pragma once

#include <QString>
#include <ostream>

inline void PrintTo(const QString &text, std::ostream *out)
{
    *out << '"' << text.toStdString() << '"';
}
