#include "test_support.h"
#include "bot/bot_schema.h"
#include "test_catalog.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>
#include <gtest/gtest.h>

using namespace clerk::bot;

namespace {

void collectPaths(const QList<ParamSpec> &specs, const QString &prefix, QStringList &out)
{
    for (const ParamSpec &spec : specs) {
        const QString path = prefix.isEmpty() ? spec.name : prefix + QLatin1Char('.') + spec.name;
        out.append(path);
        collectPaths(spec.fields, path, out);
        if (spec.element && spec.element->type == ValueType::Object)
            collectPaths(spec.element->fields, path + (spec.type == ValueType::Map ? QStringLiteral(".<name>") : QStringLiteral("[]")), out);
    }
}

} // namespace

TEST(BotSchemaTest, BotSchemaIsDraft07AndValidJson)
{
    const QJsonObject schema = botJsonSchema(clerk::bot::testing::testCatalog());
    EXPECT_EQ(schema.value(QStringLiteral("$schema")).toString(), QStringLiteral("http://json-schema.org/draft-07/schema#"));
    const QByteArray json = QJsonDocument(schema).toJson();
    QJsonParseError error;
    const QJsonDocument reparsed = QJsonDocument::fromJson(json, &error);
    ASSERT_EQ(error.error, QJsonParseError::NoError) << error.errorString().toStdString();
    EXPECT_EQ(reparsed.object(), schema);

    EXPECT_EQ(schema.value(QStringLiteral("type")).toString(), QStringLiteral("object"));
    EXPECT_EQ(schema.value(QStringLiteral("additionalProperties")), QJsonValue(false));
    const QJsonArray required = schema.value(QStringLiteral("required")).toArray();
    for (const char *key : {"name", "version", "owner_team", "steps"})
        EXPECT_TRUE(required.contains(QString::fromLatin1(key))) << key;

    const QJsonObject properties = schema.value(QStringLiteral("properties")).toObject();
    EXPECT_EQ(properties.value(QStringLiteral("version")).toObject().value(QStringLiteral("type")),
              QJsonValue(QJsonArray{QStringLiteral("string"), QStringLiteral("number")}));
    EXPECT_EQ(properties.value(QStringLiteral("name")).toObject().value(QStringLiteral("pattern")).toString(),
              QStringLiteral("^[a-z][a-z0-9_-]*$"));
    EXPECT_EQ(properties.value(QStringLiteral("description")).toObject().value(QStringLiteral("type")),
              QJsonValue(QJsonArray{QStringLiteral("string"), QStringLiteral("number"), QStringLiteral("boolean")}));

    const QJsonObject retry = properties.value(QStringLiteral("retry")).toObject();
    EXPECT_EQ(retry.value(QStringLiteral("additionalProperties")), QJsonValue(false));
    const QJsonObject maxAttempts = retry.value(QStringLiteral("properties")).toObject().value(QStringLiteral("max_attempts")).toObject();
    EXPECT_EQ(maxAttempts.value(QStringLiteral("type")).toString(), QStringLiteral("integer"));
    EXPECT_EQ(maxAttempts.value(QStringLiteral("default")), QJsonValue(5));
    EXPECT_EQ(maxAttempts.value(QStringLiteral("maximum")), QJsonValue(100));
    EXPECT_FALSE(maxAttempts.value(QStringLiteral("description")).toString().isEmpty());
    const QJsonObject delay = retry.value(QStringLiteral("properties")).toObject().value(QStringLiteral("initial_delay")).toObject();
    EXPECT_EQ(delay.value(QStringLiteral("pattern")).toString(), QStringLiteral("^\\s*(\\d+(ms|s|m|h|d))+\\s*$"));
    const QRegularExpression durationPattern(delay.value(QStringLiteral("pattern")).toString());
    EXPECT_TRUE(durationPattern.match(QStringLiteral("1h30m")).hasMatch());
    EXPECT_FALSE(durationPattern.match(QStringLiteral("30")).hasMatch());

    const QJsonObject threshold = properties.value(QStringLiteral("thresholds")).toObject().value(QStringLiteral("additionalProperties")).toObject();
    EXPECT_EQ(threshold.value(QStringLiteral("minimum")), QJsonValue(0));
    EXPECT_EQ(threshold.value(QStringLiteral("maximum")), QJsonValue(1));

    const QJsonObject trigger = properties.value(QStringLiteral("trigger")).toObject();
    EXPECT_EQ(trigger.value(QStringLiteral("oneOf")).toArray().size(), 5);  // cron, every, watch, webhook, mailbox
    const QJsonObject token = trigger.value(QStringLiteral("properties")).toObject().value(QStringLiteral("webhook")).toObject()
                                  .value(QStringLiteral("properties")).toObject().value(QStringLiteral("token")).toObject();
    EXPECT_EQ(token.value(QStringLiteral("pattern")).toString(), QStringLiteral("^\\$\\{(env|file):[^}]+\\}$"));
}

TEST(BotSchemaTest, StepsBranchOnEachType)
{
    const StepCatalog catalog = clerk::bot::testing::testCatalog();
    const QJsonObject schema = botJsonSchema(catalog);
    const QJsonObject steps = schema.value(QStringLiteral("properties")).toObject().value(QStringLiteral("steps")).toObject();
    EXPECT_EQ(steps.value(QStringLiteral("type")).toString(), QStringLiteral("array"));
    const QJsonObject item = steps.value(QStringLiteral("items")).toObject();
    const QJsonArray typeEnum = item.value(QStringLiteral("properties")).toObject().value(QStringLiteral("type")).toObject()
                                    .value(QStringLiteral("enum")).toArray();
    EXPECT_EQ(typeEnum.size(), catalog.types().size());
    const QJsonArray branches = item.value(QStringLiteral("allOf")).toArray();
    ASSERT_EQ(branches.size(), catalog.types().size());
    for (qsizetype i = 0; i < catalog.types().size(); ++i) {
        const StepTypeSchema &type = catalog.types().at(i);
        EXPECT_TRUE(typeEnum.contains(type.name));
        const QJsonObject branch = branches.at(i).toObject();
        EXPECT_EQ(branch.value(QStringLiteral("if")).toObject().value(QStringLiteral("properties")).toObject()
                      .value(QStringLiteral("type")).toObject().value(QStringLiteral("const")).toString(),
                  type.name);
        const QJsonObject params = branch.value(QStringLiteral("then")).toObject().value(QStringLiteral("properties")).toObject()
                                       .value(QStringLiteral("params")).toObject();
        EXPECT_EQ(params.value(QStringLiteral("additionalProperties")), QJsonValue(false));
        for (const ParamSpec &param : type.params)
            EXPECT_TRUE(params.value(QStringLiteral("properties")).toObject().contains(param.name)) << param.name.toStdString();
    }
    const QJsonObject require = branches.at(1).toObject().value(QStringLiteral("then")).toObject().value(QStringLiteral("properties")).toObject()
                                    .value(QStringLiteral("params")).toObject();
    EXPECT_EQ(require.value(QStringLiteral("required")).toArray(), QJsonArray{QStringLiteral("value")});
    EXPECT_EQ(require.value(QStringLiteral("properties")).toObject().value(QStringLiteral("field")).toObject().value(QStringLiteral("default")).toString(),
              QStringLiteral("value"));
}

TEST(BotSchemaTest, ConnectorSchemaCoversEveryKey)
{
    const QJsonObject schema = connectorJsonSchema(clerk::bot::testing::connectorKinds());
    EXPECT_EQ(schema.value(QStringLiteral("$schema")).toString(), QStringLiteral("http://json-schema.org/draft-07/schema#"));
    const QJsonObject properties = schema.value(QStringLiteral("properties")).toObject();
    for (const ParamSpec &spec : connectorFileSpec(clerk::bot::testing::connectorKinds()))
        EXPECT_TRUE(properties.contains(spec.name)) << spec.name.toStdString();
    const QJsonObject auth = properties.value(QStringLiteral("auth")).toObject();
    EXPECT_EQ(auth.value(QStringLiteral("allOf")).toArray().size(), 4);
    EXPECT_EQ(auth.value(QStringLiteral("properties")).toObject().value(QStringLiteral("password")).toObject()
                  .value(QStringLiteral("pattern")).toString(),
              QStringLiteral("^\\$\\{(env|file):[^}]+\\}$"));
    const QJsonObject operation = properties.value(QStringLiteral("operations")).toObject().value(QStringLiteral("additionalProperties")).toObject();
    EXPECT_EQ(operation.value(QStringLiteral("required")).toArray(), (QJsonArray{QStringLiteral("method"), QStringLiteral("path")}));
    EXPECT_TRUE(QJsonDocument::fromJson(QJsonDocument(schema).toJson()).isObject());
}

TEST(BotSchemaTest, ReferenceTablesNameEveryKeyAndStepType)
{
    const StepCatalog catalog = clerk::bot::testing::testCatalog();
    const QString tables = botReferenceTables(catalog);
    QStringList paths;
    collectPaths(botFileSpec(), QString(), paths);
    for (const QString &path : paths)
        EXPECT_TRUE(tables.contains(QLatin1Char('`') + path + QLatin1Char('`'))) << path.toStdString();
    for (const StepTypeSchema &type : catalog.types()) {
        EXPECT_TRUE(tables.contains(QStringLiteral("### `%1`").arg(type.name))) << type.name.toStdString();
        EXPECT_TRUE(tables.contains(type.summary));
        for (const ParamSpec &param : type.params)
            EXPECT_TRUE(tables.contains(QStringLiteral("| `%1` |").arg(param.name))) << param.name.toStdString();
        EXPECT_TRUE(tables.contains(QStringLiteral("```yaml\n") + type.example)) << type.name.toStdString();
    }
    EXPECT_TRUE(tables.contains(QStringLiteral("| `retry.max_attempts` | whole number (0 to 100) | no | `5` |")));
    EXPECT_TRUE(tables.contains(QStringLiteral("| `trigger.watch.folder` | path | yes |")));
    // Each table row has the same number of cells as the header.
    for (const QString &line : tables.split(QLatin1Char('\n'))) {
        if (!line.startsWith(QLatin1Char('|')))
            continue;
        QString unescaped = line;
        unescaped.remove(QStringLiteral("\\|"));
        EXPECT_EQ(unescaped.count(QLatin1Char('|')), 6) << line.toStdString();
    }
}
