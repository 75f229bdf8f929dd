// Shared helpers for the classify tests: the generated letters in tests/data/classify.
#pragma once

#include "classify/example_set.h"
#include "test_support.h"

#include <QString>
#include <gtest/gtest.h>

namespace clerk::testing {

inline QString classifyData(const QString &name)
{
    return QStringLiteral(CLERK_TEST_DATA_DIR "/classify/") + name;
}

inline QList<classify::LabelledText> letters(const QString &name)
{
    auto set = classify::loadExamples(classifyData(name));
    EXPECT_OK(set);
    return set ? set->examples : QList<classify::LabelledText>{};
}

} // namespace clerk::testing
