// Private: walks a YAML tree against a ParamSpec tree, converting it to JSON with
// defaults applied and collecting a Diagnostic for every problem. The bot and
// connector loaders drive it and add their few cross-field rules on top.
#pragma once

#include "bot/bot_loader.h"
#include "bot/diagnostic.h"
#include "bot/param_spec.h"
#include "bot/yaml_document_p.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QJsonValue>
#include <QSet>
#include <QString>
#include <QStringList>
#include <optional>

namespace clerk::bot {

// What templates may refer to at the point being validated.
struct TemplateScope {
    std::optional<QStringList> inputFields;               // nullopt: any input.* is accepted
    QList<std::pair<QString, QStringList>> earlierSteps;  // step id -> its output fields
    QString currentStep;                                  // the step being validated
    QStringList laterSteps;                               // ids of steps after it
};

// The closest of `candidates` to `word` (case-insensitive edit distance of at most 2),
// or an empty string.
QString closestMatch(const QString &word, const QStringList &candidates);

class SpecValidator {
public:
    explicit SpecValidator(QString file);

    // Connector names are checked against this set when it is given.
    void setConnectors(const ConnectorSet *connectors) { m_connectors = connectors; }
    // Template references are checked against this scope when it is given; without it
    // only their syntax is checked.
    void setTemplateScope(const TemplateScope *scope) { m_scope = scope; }

    // Validates `node` against `spec`. Returns the JSON value, or an undefined value
    // when the node is wrong (the problem has been reported).
    QJsonValue value(const yaml::Node &node, const ParamSpec &spec);

    // Validates a mapping with fixed keys. Keys in `custom` are left to the caller: they
    // are neither validated, defaulted nor reported as unknown or missing.
    QJsonObject fields(const yaml::Node &mapping, const QList<ParamSpec> &specs,
                       const QSet<QString> &custom = {});

    // Any YAML as JSON: plain scalars that look like numbers or booleans become those.
    static QJsonValue toJson(const yaml::Node &node);

    void error(int line, int column, const QString &message);
    void warning(int line, int column, const QString &message);
    void errorAt(const yaml::Node &node, const QString &message) { error(node.line, node.column, message); }
    void errorAtKey(const yaml::Node &node, const QString &message) { error(node.keyLine, node.keyColumn, message); }

    Diagnostics &diagnostics() { return m_diagnostics; }

private:
    QJsonValue scalar(const yaml::Node &node, const ParamSpec &spec);
    // A connector's name, checked against m_connectors when they are given.
    QJsonValue connectorName(const yaml::Node &node, const QString &text);
    void checkTemplate(const yaml::Node &node, const QString &text);
    // The keys that apply to the selected variant of an Object with variants (ParamSpec::variants).
    void checkVariants(const yaml::Node &mapping, const QJsonObject &object, const ParamSpec &spec);
    QJsonValue defaultsOf(const ParamSpec &spec) const;

    QString m_file;
    Diagnostics m_diagnostics;
    const ConnectorSet *m_connectors = nullptr;
    const TemplateScope *m_scope = nullptr;
};

} // namespace clerk::bot
