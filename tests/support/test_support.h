// What the test suites share: readable GoogleTest output for Qt values, and assertions
// on a Result or Status that print its error when they fail.
//
// Include it in EVERY test file of a suite that includes it at all: gtest's printer
// templates are instantiated per file, and one file without these overloads would make
// the linker keep a byte-dump printer for all of them.
#pragma once

#include <QDateTime>
#include <QString>
#include <QStringList>
#include <ostream>

QT_BEGIN_NAMESPACE
inline void PrintTo(const QString &text, std::ostream *out)
{
    *out << '"' << text.toStdString() << '"';
}

inline void PrintTo(const QStringList &list, std::ostream *out)
{
    *out << '[' << list.join(QStringLiteral(", ")).toStdString() << ']';
}

inline void PrintTo(const QDateTime &time, std::ostream *out)
{
    *out << time.toString(Qt::ISODateWithMs).toStdString();
}
QT_END_NAMESPACE

#include <gtest/gtest.h>

namespace clerk::testing {

// Success when `result` (a Result<T> or Status) holds a value; otherwise a failure that
// carries the error's text.
template <class R>
::testing::AssertionResult isOk(const R &result)
{
    if (result.has_value())
        return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << result.error().toString().toStdString();
}

} // namespace clerk::testing

// ASSERT_OK(result) / EXPECT_OK(result): `result` holds a value, else the test fails
// (ASSERT_: and returns) printing the error. More text may follow with <<.
#define ASSERT_OK(result) ASSERT_TRUE(::clerk::testing::isOk(result))
#define EXPECT_OK(result) EXPECT_TRUE(::clerk::testing::isOk(result))
