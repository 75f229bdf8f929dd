#include "engine/step_registry.h"
#include "test_support.h"

#include <gtest/gtest.h>

using namespace clerk;

TEST(StepRegistryTest, BuiltInHasTheDocumentedStepsInOrder)
{
    const engine::StepRegistry registry = engine::StepRegistry::builtIn();
    QStringList names;
    for (const engine::StepType &type : registry.types())
        names.append(type.schema.name);
    EXPECT_EQ(names, (QStringList{"set", "require", "route", "lookup", "append_line", "move_file", "ocr", "extract", "classify", "match", "rest", "notify", "document"}));
    EXPECT_EQ(registry.catalog().names(), names);
}

TEST(StepRegistryTest, RejectsDuplicateNames)
{
    engine::StepRegistry registry = engine::StepRegistry::builtIn();
    engine::StepType duplicate;
    duplicate.schema.name = QStringLiteral("route");
    const auto added = registry.add(duplicate);
    ASSERT_FALSE(added.has_value());
    EXPECT_EQ(added.error().code(), ErrorCode::AlreadyExists);
}

TEST(StepRegistryTest, OnlyActingStepsAreMarkedWithSideEffects)
{
    const engine::StepRegistry registry = engine::StepRegistry::builtIn();
    for (const engine::StepType &type : registry.types()) {
        const bool acts = type.schema.name == QLatin1String("append_line") || type.schema.name == QLatin1String("move_file") ||
                          type.schema.name == QLatin1String("rest") || type.schema.name == QLatin1String("notify") ||
                          type.schema.name == QLatin1String("document");
        EXPECT_EQ(type.schema.sideEffects, acts) << type.schema.name.toStdString();
        EXPECT_FALSE(type.schema.summary.isEmpty());
        EXPECT_FALSE(type.schema.example.isEmpty());
    }
}
