// Parameter specifications: one description of every key a bot file may hold.
//
// The same ParamSpec tree drives three things, so they cannot drift apart:
//   - validation in the loader (types, required keys, unknown keys with did-you-mean),
//   - the published JSON Schema for editors (bot_schema.h),
//   - the reference tables in docs/bot-reference.md (checked by a test).
//
// Step types describe their parameter block with a StepTypeSchema; the engine's
// step registry hands the loader a StepCatalog built from its one list of step types.
//
// @code
//   StepTypeSchema require{
//       .name = "require",
//       .summary = "Sends the item to a person when a value is missing or does not match.",
//       .params = {ParamSpec::templ("value", "The value to check", /*required*/ true),
//                  ParamSpec::regex("matches", "A regular expression the value must match")},
//       .outputs = [](const QJsonObject &params) { return QStringList{params["field"].toString("value")}; },
//   };
// @endcode
#pragma once

#include <QJsonArray>
#include <QJsonObject>
#include <QJsonValue>
#include <QList>
#include <QString>
#include <QStringList>
#include <functional>
#include <memory>
#include <optional>

namespace clerk::bot {

enum class ValueType {
    String,        // any scalar text
    Template,      // text with {{ references }} to input, item, bot and earlier steps' outputs
    Integer,
    Number,
    Boolean,
    Threshold,     // a number from 0 to 1
    Duration,      // "30s", "5m", "4h" (see core/duration.h)
    Regex,         // a valid regular expression
    Cron,          // a 5-field cron expression or @hourly/@daily/...
    TimeZone,      // an IANA time zone name, e.g. Europe/London
    Enum,          // one of enumValues
    Identifier,    // [a-z][a-z0-9_-]* : names of bots, steps, teams
    SecretRef,     // "${env:NAME}" or "${file:/path}"; a literal secret is an error
    ConnectorName, // the name of a connector defined in a connector file
    Path,          // a file or folder path (may hold templates)
    List,          // a sequence of `element`
    Map,           // a mapping from free-form keys to `element`
    Object,        // a mapping with the fixed keys in `fields`
    Any,           // any YAML value (free-form data)
};

// The JSON-schema-like name of a type, for messages: "a duration such as 30s".
QString describe(ValueType type);

struct ParamSpec {
    QString name;
    ValueType type = ValueType::String;
    bool required = false;
    QString description;
    QJsonValue defaultValue;              // shown in docs and schema; applied by the loader and by the readers below
    QStringList enumValues;               // for Enum
    std::shared_ptr<ParamSpec> element;   // for List and Map
    QList<ParamSpec> fields;              // for Object
    std::optional<double> minimum;        // for Integer and Number
    std::optional<double> maximum;
    bool allowTemplates = false;          // for String/Path: may hold {{ references }}
    // An extra rule checked after the type: returns an error message for a bad value,
    // or an empty string. Used for formats the type alone cannot express.
    std::function<QString(const QJsonValue &value)> check;
    // For Object: which of its keys apply depends on the value of one of them, the
    // `selector` (e.g. auth's `type`). The loader reports a missing `needs` key and a key
    // of the object that the selected variant neither needs nor allows; the JSON Schema
    // states the `needs` as if/then branches. A selector value with no variant is free.
    struct Variant {
        QString value;       // the selector's value, e.g. "basic"
        QStringList needs;   // keys it requires, e.g. username and password
        QStringList allows;  // further keys it may have, besides the selector
    };
    QString selector;
    QList<Variant> variants;

    // Convenience builders; `required` defaults to false.
    static ParamSpec of(QString name, ValueType type, QString description, bool required = false);
    static ParamSpec listOf(QString name, ParamSpec element, QString description, bool required = false);
    static ParamSpec mapOf(QString name, ParamSpec element, QString description, bool required = false);
    static ParamSpec object(QString name, QList<ParamSpec> fields, QString description, bool required = false);
    static ParamSpec oneOf(QString name, QStringList values, QString description, bool required = false);
    static ParamSpec templ(QString name, QString description, bool required = false);  // ValueType::Template
    static ParamSpec regex(QString name, QString description, bool required = false);  // ValueType::Regex

    ParamSpec &withDefault(QJsonValue value) { defaultValue = std::move(value); return *this; }
    ParamSpec &withRange(double min, double max) { minimum = min; maximum = max; return *this; }
    ParamSpec &withMinimum(double min) { minimum = min; return *this; }
    ParamSpec &withTemplates() { allowTemplates = true; return *this; }
    ParamSpec &withCheck(std::function<QString(const QJsonValue &)> rule) { check = std::move(rule); return *this; }
    ParamSpec &withVariants(QString key, QList<Variant> list)
    {
        selector = std::move(key);
        variants = std::move(list);
        return *this;
    }

    // Reading a validated block (a step's params, a connector's settings, an object's
    // value) through the spec, so the key and its default are written once, here: the
    // value of this key in `block`, or defaultValue when the block does not hold it.
    // A key with no default reads as null: "", 0, false, {} or [].
    QJsonValue valueIn(const QJsonObject &block) const;
    QString stringIn(const QJsonObject &block) const { return valueIn(block).toString(); }
    int intIn(const QJsonObject &block) const { return valueIn(block).toInt(); }
    double numberIn(const QJsonObject &block) const { return valueIn(block).toDouble(); }
    bool boolIn(const QJsonObject &block) const { return valueIn(block).toBool(); }
    QJsonObject objectIn(const QJsonObject &block) const { return valueIn(block).toObject(); }
    QJsonArray listIn(const QJsonObject &block) const { return valueIn(block).toArray(); }
    // True when `block` holds this key (as written, or as a default the loader applied).
    bool isIn(const QJsonObject &block) const { return block.contains(name); }
    // The field `key` of an Object (or of a List's or Map's Object element).
    // REQUIRES: the field exists; asking for a key the spec does not declare is a programmer error.
    const ParamSpec &field(const QString &key) const;
};

// What a step type looks like to the loader, the schema and the docs.
struct StepTypeSchema {
    QString name;                 // the `type:` value in a bot file, e.g. "require"
    QString summary;              // one sentence for docs and `clerk steps`
    QList<ParamSpec> params;      // the keys of the step's `params:` block
    bool sideEffects = false;     // acts outside clerk (files, case systems); skipped by --dry-run
    // The output fields the step produces, given its validated params. Later steps may
    // refer to them as {{ <step id>.<field> }}. Return {"*"} when the fields are only
    // known at run time (any reference is then accepted).
    std::function<QStringList(const QJsonObject &params)> outputs;
    QString example;              // a YAML snippet of one step, for the docs
};

// The step types a loader knows. Built by the engine from its one registry list.
class StepCatalog {
public:
    explicit StepCatalog(QList<StepTypeSchema> types = {});
    const StepTypeSchema *find(const QString &name) const;
    const QList<StepTypeSchema> &types() const { return m_types; }
    QStringList names() const;

private:
    QList<StepTypeSchema> m_types;
};

// What a connector kind looks like to the loader and the schema. Each kind is declared by
// the module that implements it (connectors/rest: `rest`) and registered by the engine's
// one list (engine::connectorKinds()), so runtime/bot knows none of them.
struct ConnectorKindSchema {
    QString name;               // the `kind:` value in a connector file, e.g. "rest"
    QString summary;            // what it is for, e.g. "rest for a web API"
    QList<ParamSpec> settings;  // its keys besides name, kind and description
};

// The connector kinds a loader knows.
class ConnectorCatalog {
public:
    explicit ConnectorCatalog(QList<ConnectorKindSchema> kinds = {});
    const ConnectorKindSchema *find(const QString &name) const;
    const QList<ConnectorKindSchema> &kinds() const { return m_kinds; }
    QStringList names() const;

private:
    QList<ConnectorKindSchema> m_kinds;
};

// The keys of a bot file, outside the steps' params blocks (see docs/bot-reference.md).
const QList<ParamSpec> &botFileSpec();

// The keys of a connector file of the kind `kind` in `kinds`: name, kind (one of the
// catalog's) and description, then the kind's settings. For a kind the catalog does not
// hold, the settings of every kind (a key two kinds share is listed as the first declares it).
QList<ParamSpec> connectorFileSpec(const ConnectorCatalog &kinds, const QString &kind = {});

// A `retry` block: how often `what` ("an item", "a call") is tried again and how long
// the waits are, with the given defaults. Bot files and connector kinds use it.
ParamSpec retrySpec(int attempts, const char *initialDelay, const char *maxDelay, const QString &what);

} // namespace clerk::bot
