#include "bot/bot_schema.h"

#include <QJsonArray>
#include <QJsonDocument>

namespace clerk::bot {

namespace {

const char *const kDraft07 = "http://json-schema.org/draft-07/schema#";
const char *const kDurationPattern = "^\\s*(\\d+(ms|s|m|h|d))+\\s*$";
const char *const kIdentifierPattern = "^[a-z][a-z0-9_-]*$";
const char *const kSecretPattern = "^\\$\\{(env|file):[^}]+\\}$";
const char *const kCronPattern =
    "^\\s*(@(yearly|annually|monthly|weekly|daily|midnight|hourly)|\\S+(\\s+\\S+){4})\\s*$";

QJsonArray toArray(const QStringList &list)
{
    QJsonArray array;
    for (const QString &item : list)
        array.append(item);
    return array;
}

// The keys each variant of an Object needs, as if/then branches ("type: basic needs
// username and password"), as the loader checks them.
void insertVariants(QJsonObject &schema, const ParamSpec &spec)
{
    QJsonArray branches;
    for (const ParamSpec::Variant &variant : spec.variants) {
        if (variant.needs.isEmpty())
            continue;
        branches.append(QJsonObject{
            {QStringLiteral("if"),
             QJsonObject{{QStringLiteral("properties"),
                          QJsonObject{{spec.selector, QJsonObject{{QStringLiteral("const"), variant.value}}}}},
                         {QStringLiteral("required"), QJsonArray{spec.selector}}}},
            {QStringLiteral("then"), QJsonObject{{QStringLiteral("required"), toArray(variant.needs)}}},
        });
    }
    if (!branches.isEmpty())
        schema.insert(QStringLiteral("allOf"), branches);
}

QJsonObject schemaFor(const ParamSpec &spec)
{
    QJsonObject schema;
    if (!spec.description.isEmpty())
        schema.insert(QStringLiteral("description"), spec.description);
    if (!spec.defaultValue.isNull() && !spec.defaultValue.isUndefined())
        schema.insert(QStringLiteral("default"), spec.defaultValue);
    const auto type = [&schema](const QString &name) { schema.insert(QStringLiteral("type"), name); };
    const auto pattern = [&schema](const char *regex) {
        schema.insert(QStringLiteral("pattern"), QString::fromLatin1(regex));
    };
    switch (spec.type) {
    case ValueType::String:
        // The loader takes any scalar as text, so the schema must too.
        schema.insert(QStringLiteral("type"),
                      QJsonArray{QStringLiteral("string"), QStringLiteral("number"), QStringLiteral("boolean")});
        break;
    case ValueType::Template:
    case ValueType::Path:
    case ValueType::Regex:
    case ValueType::TimeZone:
        type(QStringLiteral("string"));
        break;
    case ValueType::Integer:
    case ValueType::Number:
        type(spec.type == ValueType::Integer ? QStringLiteral("integer") : QStringLiteral("number"));
        if (spec.minimum)
            schema.insert(QStringLiteral("minimum"), *spec.minimum);
        if (spec.maximum)
            schema.insert(QStringLiteral("maximum"), *spec.maximum);
        break;
    case ValueType::Boolean:
        type(QStringLiteral("boolean"));
        break;
    case ValueType::Threshold:
        type(QStringLiteral("number"));
        schema.insert(QStringLiteral("minimum"), 0);
        schema.insert(QStringLiteral("maximum"), 1);
        break;
    case ValueType::Duration:
        type(QStringLiteral("string"));
        pattern(kDurationPattern);
        break;
    case ValueType::Cron:
        type(QStringLiteral("string"));
        pattern(kCronPattern);
        break;
    case ValueType::Enum:
        type(QStringLiteral("string"));
        schema.insert(QStringLiteral("enum"), toArray(spec.enumValues));
        break;
    case ValueType::Identifier:
    case ValueType::ConnectorName:
        type(QStringLiteral("string"));
        pattern(kIdentifierPattern);
        break;
    case ValueType::SecretRef:
        type(QStringLiteral("string"));
        pattern(kSecretPattern);
        break;
    case ValueType::List:
        type(QStringLiteral("array"));
        if (spec.element)
            schema.insert(QStringLiteral("items"), schemaFor(*spec.element));
        break;
    case ValueType::Map:
        type(QStringLiteral("object"));
        if (spec.element)
            schema.insert(QStringLiteral("additionalProperties"), schemaFor(*spec.element));
        break;
    case ValueType::Object: {
        type(QStringLiteral("object"));
        QJsonObject properties;
        QStringList required;
        for (const ParamSpec &field : spec.fields) {
            properties.insert(field.name, schemaFor(field));
            if (field.required)
                required.append(field.name);
        }
        schema.insert(QStringLiteral("properties"), properties);
        if (!required.isEmpty())
            schema.insert(QStringLiteral("required"), toArray(required));
        schema.insert(QStringLiteral("additionalProperties"), false);
        insertVariants(schema, spec);
        break;
    }
    case ValueType::Any:
        break;
    }
    return schema;
}

QJsonObject objectSchema(const QList<ParamSpec> &fields)
{
    return schemaFor(ParamSpec::object(QString(), fields, QString()));
}

QJsonObject stepSchema(const ParamSpec &stepSpec, const StepCatalog &catalog)
{
    QJsonObject schema = schemaFor(stepSpec);
    QJsonObject properties = schema.value(QStringLiteral("properties")).toObject();
    QJsonObject type = properties.value(QStringLiteral("type")).toObject();
    type.insert(QStringLiteral("type"), QStringLiteral("string"));
    type.insert(QStringLiteral("enum"), toArray(catalog.names()));
    properties.insert(QStringLiteral("type"), type);
    QJsonObject params = properties.value(QStringLiteral("params")).toObject();
    params.remove(QStringLiteral("properties"));
    params.remove(QStringLiteral("additionalProperties"));
    properties.insert(QStringLiteral("params"), params);
    schema.insert(QStringLiteral("properties"), properties);

    QJsonArray branches;
    for (const StepTypeSchema &stepType : catalog.types()) {
        QJsonObject paramsSchema = objectSchema(stepType.params);
        paramsSchema.insert(QStringLiteral("description"), stepType.summary);
        const QJsonObject condition{
            {QStringLiteral("properties"),
             QJsonObject{{QStringLiteral("type"), QJsonObject{{QStringLiteral("const"), stepType.name}}}}},
            {QStringLiteral("required"), QJsonArray{QStringLiteral("type")}},
        };
        const QJsonObject consequence{
            {QStringLiteral("properties"), QJsonObject{{QStringLiteral("params"), paramsSchema}}},
        };
        branches.append(QJsonObject{{QStringLiteral("if"), condition}, {QStringLiteral("then"), consequence}});
    }
    if (!branches.isEmpty())
        schema.insert(QStringLiteral("allOf"), branches);
    return schema;
}

const ParamSpec *findSpec(const QList<ParamSpec> &specs, const QString &name)
{
    for (const ParamSpec &spec : specs) {
        if (spec.name == name)
            return &spec;
    }
    return nullptr;
}

QString cell(QString text)
{
    text.replace(QLatin1Char('\n'), QLatin1Char(' '));
    text.replace(QLatin1Char('|'), QStringLiteral("\\|"));
    return text;
}

QString typeLabel(const ParamSpec &spec);

QString elementLabel(const ParamSpec &spec)
{
    return spec.element ? typeLabel(*spec.element) : QStringLiteral("any");
}

QString typeLabel(const ParamSpec &spec)
{
    QString range;
    if (spec.minimum && spec.maximum)
        range = QStringLiteral(" (%1 to %2)").arg(spec.minimum.value()).arg(spec.maximum.value());
    else if (spec.minimum)
        range = QStringLiteral(" (at least %1)").arg(spec.minimum.value());
    switch (spec.type) {
    case ValueType::String: return QStringLiteral("text");
    case ValueType::Template: return QStringLiteral("template");
    case ValueType::Integer: return QStringLiteral("whole number") + range;
    case ValueType::Number: return QStringLiteral("number") + range;
    case ValueType::Boolean: return QStringLiteral("true/false");
    case ValueType::Threshold: return QStringLiteral("number 0 to 1");
    case ValueType::Duration: return QStringLiteral("duration");
    case ValueType::Regex: return QStringLiteral("regular expression");
    case ValueType::Cron: return QStringLiteral("cron expression");
    case ValueType::TimeZone: return QStringLiteral("time zone");
    case ValueType::Enum: {
        QStringList values;
        for (const QString &value : spec.enumValues)
            values.append(QStringLiteral("`%1`").arg(value));
        return QStringLiteral("one of ") + values.join(QStringLiteral(", "));
    }
    case ValueType::Identifier: return QStringLiteral("name");
    case ValueType::SecretRef: return QStringLiteral("secret reference");
    case ValueType::ConnectorName: return QStringLiteral("connector name");
    case ValueType::Path: return QStringLiteral("path");
    case ValueType::List: return QStringLiteral("list of ") + elementLabel(spec);
    case ValueType::Map: return QStringLiteral("mapping of ") + elementLabel(spec);
    case ValueType::Object: return QStringLiteral("mapping");
    case ValueType::Any: return QStringLiteral("any");
    }
    return QStringLiteral("value");
}

QString defaultLabel(const QJsonValue &value)
{
    switch (value.type()) {
    case QJsonValue::String: return QStringLiteral("`%1`").arg(value.toString());
    case QJsonValue::Bool: return value.toBool() ? QStringLiteral("`true`") : QStringLiteral("`false`");
    case QJsonValue::Double: return QStringLiteral("`%1`").arg(value.toDouble());
    case QJsonValue::Array:
    case QJsonValue::Object: {
        const QJsonDocument document = value.isArray() ? QJsonDocument(value.toArray()) : QJsonDocument(value.toObject());
        return QStringLiteral("`%1`").arg(QString::fromUtf8(document.toJson(QJsonDocument::Compact)));
    }
    case QJsonValue::Null:
    case QJsonValue::Undefined:
        break;
    }
    return {};
}

const QString kTableHeader = QStringLiteral("| Key | Type | Required | Default | Description |\n"
                                            "| --- | --- | --- | --- | --- |\n");

// One row per key, nested objects flattened to dotted paths ("retry.max_attempts").
void appendRows(QString &out, const QString &prefix, const QList<ParamSpec> &specs, const QStringList &skip = {})
{
    for (const ParamSpec &spec : specs) {
        if (skip.contains(spec.name))
            continue;
        const QString path = prefix.isEmpty() ? spec.name : prefix + QLatin1Char('.') + spec.name;
        out += QStringLiteral("| `%1` | %2 | %3 | %4 | %5 |\n")
                   .arg(path, cell(typeLabel(spec)), spec.required ? QStringLiteral("yes") : QStringLiteral("no"),
                        cell(defaultLabel(spec.defaultValue)), cell(spec.description));
        if (spec.type == ValueType::Object)
            appendRows(out, path, spec.fields);
        else if ((spec.type == ValueType::Map || spec.type == ValueType::List) && spec.element
                 && spec.element->type == ValueType::Object)
            appendRows(out, path + (spec.type == ValueType::Map ? QStringLiteral(".<name>") : QStringLiteral("[]")),
                       spec.element->fields);
    }
}

} // namespace

QJsonObject botJsonSchema(const StepCatalog &catalog)
{
    const QList<ParamSpec> &spec = botFileSpec();
    QJsonObject schema = objectSchema(spec);
    QJsonObject properties = schema.value(QStringLiteral("properties")).toObject();

    // The loader takes `version: 3` as well as `version: "1.2"`.
    QJsonObject version = properties.value(QStringLiteral("version")).toObject();
    version.insert(QStringLiteral("type"), QJsonArray{QStringLiteral("string"), QStringLiteral("number")});
    properties.insert(QStringLiteral("version"), version);

    // Exactly one way to start the bot.
    QJsonObject trigger = properties.value(QStringLiteral("trigger")).toObject();
    QJsonArray kinds;
    for (const char *kind : {"cron", "every", "watch", "webhook", "mailbox"})
        kinds.append(QJsonObject{{QStringLiteral("required"), QJsonArray{QLatin1String(kind)}}});
    trigger.insert(QStringLiteral("oneOf"), kinds);
    properties.insert(QStringLiteral("trigger"), trigger);

    if (const ParamSpec *steps = findSpec(spec, QStringLiteral("steps")); steps && steps->element) {
        QJsonObject stepsSchema = properties.value(QStringLiteral("steps")).toObject();
        stepsSchema.insert(QStringLiteral("items"), stepSchema(*steps->element, catalog));
        stepsSchema.insert(QStringLiteral("minItems"), 1);
        properties.insert(QStringLiteral("steps"), stepsSchema);
    }
    schema.insert(QStringLiteral("properties"), properties);
    schema.insert(QStringLiteral("$schema"), QLatin1String(kDraft07));
    schema.insert(QStringLiteral("title"), QStringLiteral("clerk bot"));
    schema.insert(QStringLiteral("description"),
                  QStringLiteral("A clerk bot file: what starts the bot and the steps it takes for each item."));
    return schema;
}

QJsonObject connectorJsonSchema(const ConnectorCatalog &kinds)
{
    QJsonObject schema = objectSchema(connectorFileSpec(kinds));
    schema.insert(QStringLiteral("$schema"), QLatin1String(kDraft07));
    schema.insert(QStringLiteral("title"), QStringLiteral("clerk connector"));
    schema.insert(QStringLiteral("description"),
                  QStringLiteral("A clerk connector file: how bots reach one outside system."));
    return schema;
}

QString botReferenceTables(const StepCatalog &catalog)
{
    const QList<ParamSpec> &spec = botFileSpec();
    QString out;
    out += QStringLiteral("## Top-level keys\n\n") + kTableHeader;
    appendRows(out, QString(), spec, {QStringLiteral("trigger"), QStringLiteral("steps")});

    if (const ParamSpec *trigger = findSpec(spec, QStringLiteral("trigger"))) {
        out += QStringLiteral("\n## Triggers\n\n") + cell(trigger->description) + QStringLiteral("\n\n") + kTableHeader;
        appendRows(out, QString(), {*trigger});
    }

    if (const ParamSpec *steps = findSpec(spec, QStringLiteral("steps"))) {
        out += QStringLiteral("\n## Steps\n\n") + cell(steps->description) + QStringLiteral("\n\n") + kTableHeader;
        appendRows(out, QString(), {*steps});
    }

    out += QStringLiteral("\n## Step types\n");
    for (const StepTypeSchema &type : catalog.types()) {
        out += QStringLiteral("\n### `%1`\n\n%2\n").arg(type.name, type.summary);
        if (type.sideEffects)
            out += QStringLiteral("\nActs outside clerk: skipped by `--dry-run`.\n");
        if (type.params.isEmpty()) {
            out += QStringLiteral("\nNo params.\n");
        } else {
            out += QStringLiteral("\n") + kTableHeader;
            appendRows(out, QString(), type.params);
        }
        if (!type.example.trimmed().isEmpty()) {
            QString example = type.example;
            if (!example.endsWith(QLatin1Char('\n')))
                example += QLatin1Char('\n');
            out += QStringLiteral("\n```yaml\n") + example + QStringLiteral("```\n");
        }
    }
    return out;
}

} // namespace clerk::bot
