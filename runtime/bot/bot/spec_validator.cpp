#include "bot/spec_validator_p.h"

#include "bot/secret_ref.h"
#include "bot/template.h"
#include "core/cron_expression.h"
#include "core/duration.h"

#include <QRegularExpression>
#include <QTimeZone>
#include <algorithm>
#include <cmath>
#include <vector>

namespace clerk::bot {

namespace {

using yaml::Node;

int editDistance(const QString &a, const QString &b)
{
    // Optimal string alignment: insertions, deletions, substitutions and swaps.
    const qsizetype n = a.size();
    const qsizetype m = b.size();
    std::vector<std::vector<int>> d(static_cast<std::size_t>(n + 1), std::vector<int>(static_cast<std::size_t>(m + 1)));
    const auto at = [&d](qsizetype i, qsizetype j) -> int & {
        return d[static_cast<std::size_t>(i)][static_cast<std::size_t>(j)];
    };
    for (qsizetype i = 0; i <= n; ++i)
        at(i, 0) = static_cast<int>(i);
    for (qsizetype j = 0; j <= m; ++j)
        at(0, j) = static_cast<int>(j);
    for (qsizetype i = 1; i <= n; ++i) {
        for (qsizetype j = 1; j <= m; ++j) {
            const int cost = a.at(i - 1) == b.at(j - 1) ? 0 : 1;
            at(i, j) = std::min({at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost});
            if (i > 1 && j > 1 && a.at(i - 1) == b.at(j - 2) && a.at(i - 2) == b.at(j - 1))
                at(i, j) = std::min(at(i, j), at(i - 2, j - 2) + 1);
        }
    }
    return at(n, m);
}

QString quoteList(const QStringList &items)
{
    return items.join(QStringLiteral(", "));
}

QString suggestion(const QString &word, const QStringList &candidates)
{
    const QString best = closestMatch(word, candidates);
    return best.isEmpty() ? QString() : QStringLiteral("; did you mean '%1'?").arg(best);
}

bool isIdentifier(const QString &text)
{
    static const QRegularExpression pattern(QStringLiteral("^[a-z][a-z0-9_-]*$"));
    return pattern.match(text).hasMatch();
}

QString formatNumber(double value)
{
    if (std::floor(value) == value && std::fabs(value) < 1e15)
        return QString::number(static_cast<qint64>(value));
    return QString::number(value, 'g', 15);
}

QString rangeProblem(double value, const ParamSpec &spec)
{
    const bool low = spec.minimum && value < *spec.minimum;
    const bool high = spec.maximum && value > *spec.maximum;
    if (!low && !high)
        return {};
    if (spec.minimum && spec.maximum)
        return QStringLiteral("must be between %1 and %2, got %3")
            .arg(formatNumber(*spec.minimum), formatNumber(*spec.maximum), formatNumber(value));
    if (low)
        return QStringLiteral("must be at least %1, got %2").arg(formatNumber(*spec.minimum), formatNumber(value));
    return QStringLiteral("must be at most %1, got %2").arg(formatNumber(*spec.maximum), formatNumber(value));
}

bool parseNumber(const QString &text, double &out)
{
    static const QRegularExpression pattern(QStringLiteral("^[-+]?(\\d+(\\.\\d*)?|\\.\\d+)([eE][-+]?\\d+)?$"));
    const QString trimmed = text.trimmed();
    if (!pattern.match(trimmed).hasMatch())
        return false;
    bool ok = false;
    out = trimmed.toDouble(&ok);
    return ok && std::isfinite(out);
}

} // namespace

QString closestMatch(const QString &word, const QStringList &candidates)
{
    const QString lower = word.toLower();
    // Short words take one slip, longer ones two: "foo" is not a typo of "bot".
    const int allowed = std::clamp(static_cast<int>((word.size() + 1) / 3), 1, 2);
    QString best;
    int bestDistance = allowed + 1;
    for (const QString &candidate : candidates) {
        const int distance = editDistance(lower, candidate.toLower());
        if (distance < bestDistance && distance < candidate.size()) {
            best = candidate;
            bestDistance = distance;
        }
    }
    return best;
}

SpecValidator::SpecValidator(QString file)
    : m_file(std::move(file))
{
}

void SpecValidator::error(int line, int column, const QString &message)
{
    m_diagnostics.append(Diagnostic{m_file, line, column, Diagnostic::Severity::Error, message});
}

void SpecValidator::warning(int line, int column, const QString &message)
{
    m_diagnostics.append(Diagnostic{m_file, line, column, Diagnostic::Severity::Warning, message});
}

QJsonValue SpecValidator::value(const Node &node, const ParamSpec &spec)
{
    QJsonValue result(QJsonValue::Undefined);
    switch (spec.type) {
    case ValueType::Object:
        if (node.isNull()) {
            result = fields(node, spec.fields);
        } else if (!node.isMapping()) {
            errorAt(node, QStringLiteral("expected a mapping, got %1").arg(node.kindName()));
            return QJsonValue(QJsonValue::Undefined);
        } else {
            result = fields(node, spec.fields);
            if (!spec.variants.isEmpty())
                checkVariants(node, result.toObject(), spec);
        }
        break;
    case ValueType::Map: {
        if (!node.isNull() && !node.isMapping()) {
            errorAt(node, QStringLiteral("expected a mapping, got %1").arg(node.kindName()));
            return QJsonValue(QJsonValue::Undefined);
        }
        QJsonObject object;
        QSet<QString> seen;
        for (const Node &child : node.children) {
            if (seen.contains(child.key))
                continue;  // a duplicate key; reported by the YAML reader
            seen.insert(child.key);
            const QJsonValue element = spec.element ? value(child, *spec.element) : toJson(child);
            if (!element.isUndefined())
                object.insert(child.key, element);
        }
        result = object;
        break;
    }
    case ValueType::List: {
        if (!node.isNull() && !node.isSequence()) {
            errorAt(node, QStringLiteral("expected a list, got %1").arg(node.kindName()));
            return QJsonValue(QJsonValue::Undefined);
        }
        QJsonArray array;
        for (const Node &child : node.children) {
            const QJsonValue element = spec.element ? value(child, *spec.element) : toJson(child);
            if (!element.isUndefined())
                array.append(element);
        }
        result = array;
        break;
    }
    case ValueType::Any:
        result = toJson(node);
        break;
    default:
        if (node.isNull()) {
            errorAt(node, QStringLiteral("missing value; expected %1").arg(describe(spec.type)));
            return QJsonValue(QJsonValue::Undefined);
        }
        if (!node.isScalar()) {
            errorAt(node, QStringLiteral("expected %1, got %2").arg(describe(spec.type), node.kindName()));
            return QJsonValue(QJsonValue::Undefined);
        }
        result = scalar(node, spec);
        break;
    }
    if (!result.isUndefined() && spec.check) {
        const QString problem = spec.check(result);
        if (!problem.isEmpty()) {
            errorAt(node, problem);
            return QJsonValue(QJsonValue::Undefined);
        }
    }
    return result;
}

QJsonValue SpecValidator::scalar(const Node &node, const ParamSpec &spec)
{
    const QString &text = node.scalar;
    const QJsonValue invalid(QJsonValue::Undefined);
    switch (spec.type) {
    case ValueType::String:
        if (spec.allowTemplates)
            checkTemplate(node, text);
        return text;
    case ValueType::Template:
    case ValueType::Path:
        checkTemplate(node, text);
        return text;
    case ValueType::Integer: {
        bool ok = false;
        const qint64 number = text.trimmed().toLongLong(&ok);
        if (!ok) {
            errorAt(node, QStringLiteral("expected a whole number, got %1").arg(node.kindName()));
            return invalid;
        }
        const QString problem = rangeProblem(static_cast<double>(number), spec);
        if (!problem.isEmpty()) {
            errorAt(node, problem);
            return invalid;
        }
        return static_cast<double>(number);
    }
    case ValueType::Number: {
        double number = 0;
        if (!parseNumber(text, number)) {
            errorAt(node, QStringLiteral("expected a number, got %1").arg(node.kindName()));
            return invalid;
        }
        const QString problem = rangeProblem(number, spec);
        if (!problem.isEmpty()) {
            errorAt(node, problem);
            return invalid;
        }
        return number;
    }
    case ValueType::Threshold: {
        double number = 0;
        if (!parseNumber(text, number)) {
            errorAt(node, QStringLiteral("expected a number from 0 to 1, got %1").arg(node.kindName()));
            return invalid;
        }
        if (number < 0 || number > 1) {
            errorAt(node, QStringLiteral("threshold outside 0..1: %1").arg(text.trimmed()));
            return invalid;
        }
        return number;
    }
    case ValueType::Boolean: {
        const QString lower = text.trimmed().toLower();
        if (lower == QLatin1String("true"))
            return true;
        if (lower == QLatin1String("false"))
            return false;
        errorAt(node, QStringLiteral("expected true or false, got %1").arg(node.kindName()));
        return invalid;
    }
    case ValueType::Duration: {
        const auto duration = parseDuration(text);
        if (!duration) {
            errorAt(node, duration.error().message());
            return invalid;
        }
        return text.trimmed();
    }
    case ValueType::Regex: {
        const QRegularExpression expression(text);
        if (!expression.isValid()) {
            errorAt(node, QStringLiteral("invalid regular expression: %1 at offset %2")
                              .arg(expression.errorString())
                              .arg(expression.patternErrorOffset()));
            return invalid;
        }
        return text;
    }
    case ValueType::Cron: {
        const auto cron = CronExpression::parse(text);
        if (!cron) {
            errorAt(node, QStringLiteral("invalid cron expression '%1': %2").arg(text, cron.error().message()));
            return invalid;
        }
        return text.trimmed();
    }
    case ValueType::TimeZone: {
        const QByteArray id = text.trimmed().toUtf8();
        if (id.isEmpty() || !QTimeZone::isTimeZoneIdAvailable(id)) {
            // Listing the zones reads the system's tz database: do it once.
            static const QStringList known = [] {
                QStringList zones;
                for (const QByteArray &zone : QTimeZone::availableTimeZoneIds())
                    zones.append(QString::fromUtf8(zone));
                return zones;
            }();
            errorAt(node, QStringLiteral("unknown time zone '%1'%2").arg(text, suggestion(text, known)));
            return invalid;
        }
        return text.trimmed();
    }
    case ValueType::Enum: {
        if (spec.enumValues.contains(text))
            return text;
        errorAt(node, QStringLiteral("unknown value '%1'%2 (expected one of: %3)")
                          .arg(text, suggestion(text, spec.enumValues), quoteList(spec.enumValues)));
        return invalid;
    }
    case ValueType::Identifier:
        if (!isIdentifier(text)) {
            errorAt(node, QStringLiteral("'%1' is not a valid name: use lower-case letters, digits, '-' and "
                                         "'_', starting with a letter")
                              .arg(text));
            return invalid;
        }
        return text;
    case ValueType::SecretRef:
        // The value may be a real password: it must not appear in the message.
        if (!isSecretRef(text)) {
            errorAt(node, QStringLiteral("secrets must be references such as ${env:REDMINE_API_KEY} or "
                                         "${file:/etc/clerk/redmine.key}, not written in the file"));
            return invalid;
        }
        return text;
    case ValueType::ConnectorName:
        return connectorName(node, text);
    case ValueType::List:
    case ValueType::Map:
    case ValueType::Object:
    case ValueType::Any:
        break;
    }
    return text;
}

QJsonValue SpecValidator::connectorName(const Node &node, const QString &text)
{
    if (!m_connectors)
        return text;
    QStringList known;
    for (const ConnectorDefinition &connector : *m_connectors) {
        if (connector.name == text)
            return text;
        known.append(connector.name);
    }
    const QString hint = suggestion(text, known);
    if (!hint.isEmpty())
        errorAt(node, QStringLiteral("unknown connector '%1'%2").arg(text, hint));
    else if (known.isEmpty())
        errorAt(node, QStringLiteral("unknown connector '%1' (no connectors are defined)").arg(text));
    else
        errorAt(node, QStringLiteral("unknown connector '%1' (known connectors: %2)").arg(text, quoteList(known)));
    return QJsonValue(QJsonValue::Undefined);
}

void SpecValidator::checkTemplate(const Node &node, const QString &text)
{
    const auto parsed = Template::parse(text);
    if (!parsed) {
        errorAt(node, QStringLiteral("invalid template: %1").arg(parsed.error().message()));
        return;
    }
    if (!m_scope)
        return;
    static const QStringList itemFields{QStringLiteral("id"), QStringLiteral("source")};
    static const QStringList botFields{QStringLiteral("name"), QStringLiteral("version")};
    for (const Template::Reference &reference : parsed->references()) {
        const QString root = reference.path.first();
        const QString field = reference.path.size() > 1 ? reference.path.at(1) : QString();
        const QString shown = reference.path.join(QLatin1Char('.'));
        if (root == QLatin1String("input")) {
            if (m_scope->inputFields && !field.isEmpty() && !m_scope->inputFields->contains(field))
                errorAt(node, QStringLiteral("template refers to '%1', but input.fields declares: %2")
                                  .arg(shown, quoteList(*m_scope->inputFields)));
            continue;
        }
        if (root == QLatin1String("item") || root == QLatin1String("bot")) {
            const QStringList &known = root == QLatin1String("item") ? itemFields : botFields;
            if (!field.isEmpty() && !known.contains(field))
                errorAt(node, QStringLiteral("template refers to '%1', but %2 has: %3").arg(shown, root, quoteList(known)));
            continue;
        }
        bool found = false;
        for (const auto &[id, outputs] : m_scope->earlierSteps) {
            if (id != root)
                continue;
            found = true;
            if (!field.isEmpty() && !outputs.contains(QStringLiteral("*")) && !outputs.contains(field)) {
                if (outputs.isEmpty())
                    errorAt(node, QStringLiteral("template refers to '%1', but step '%2' produces no fields")
                                      .arg(shown, root));
                else
                    errorAt(node, QStringLiteral("template refers to '%1', but step '%2' produces: %3")
                                      .arg(shown, root, quoteList(outputs)));
            }
            break;
        }
        if (found)
            continue;
        if (root == m_scope->currentStep && !root.isEmpty()) {
            errorAt(node, QStringLiteral("template refers to step '%1' itself; only earlier steps' outputs can be used")
                              .arg(root));
            continue;
        }
        if (m_scope->laterSteps.contains(root)) {
            errorAt(node, QStringLiteral("template refers to step '%1', which runs later").arg(root));
            continue;
        }
        QStringList known{QStringLiteral("input"), QStringLiteral("item"), QStringLiteral("bot")};
        for (const auto &step : m_scope->earlierSteps)
            known.append(step.first);
        errorAt(node, QStringLiteral("template refers to unknown '%1'%2 (known: %3)")
                          .arg(root, suggestion(root, known), quoteList(known)));
    }
}

QJsonObject SpecValidator::fields(const Node &mapping, const QList<ParamSpec> &specs, const QSet<QString> &custom)
{
    QJsonObject out;
    QSet<QString> seen;
    QStringList names;
    for (const ParamSpec &spec : specs)
        names.append(spec.name);

    for (const Node &child : mapping.children) {
        if (seen.contains(child.key))
            continue;  // a duplicate key; reported by the YAML reader
        seen.insert(child.key);
        if (custom.contains(child.key))
            continue;
        const ParamSpec *spec = nullptr;
        for (const ParamSpec &candidate : specs) {
            if (candidate.name == child.key) {
                spec = &candidate;
                break;
            }
        }
        if (!spec) {
            const QString hint = suggestion(child.key, names);
            if (!hint.isEmpty())
                errorAtKey(child, QStringLiteral("unknown key '%1'%2").arg(child.key, hint));
            else if (names.isEmpty())
                errorAtKey(child, QStringLiteral("unknown key '%1' (no keys are allowed here)").arg(child.key));
            else
                errorAtKey(child, QStringLiteral("unknown key '%1' (allowed keys: %2)").arg(child.key, quoteList(names)));
            continue;
        }
        const QJsonValue converted = value(child, *spec);
        if (!converted.isUndefined())
            out.insert(child.key, converted);
    }

    for (const ParamSpec &spec : specs) {
        if (seen.contains(spec.name) || custom.contains(spec.name))
            continue;
        if (spec.required) {
            errorAt(mapping, QStringLiteral("missing required key '%1'").arg(spec.name));
            continue;
        }
        const QJsonValue defaults = defaultsOf(spec);
        if (!defaults.isUndefined() && !defaults.isNull())
            out.insert(spec.name, defaults);
    }
    return out;
}

void SpecValidator::checkVariants(const Node &mapping, const QJsonObject &object, const ParamSpec &spec)
{
    const QString selected = spec.field(spec.selector).stringIn(object);
    const auto variant = std::find_if(spec.variants.begin(), spec.variants.end(),
                                      [&selected](const ParamSpec::Variant &each) { return each.value == selected; });
    if (variant == spec.variants.end())
        return;  // a value with no variant: free, or already reported as a bad value
    // "auth type 'basic' needs 'password'"
    const QString named = QStringLiteral("%1 %2 '%3'").arg(spec.name, spec.selector, selected);
    for (const QString &key : variant->needs) {
        if (!mapping.find(key))
            errorAt(mapping, QStringLiteral("%1 needs '%2'").arg(named, key));
    }
    for (const Node &child : mapping.children) {
        if (child.key == spec.selector || variant->needs.contains(child.key) || variant->allows.contains(child.key))
            continue;
        const bool declared = std::any_of(spec.fields.begin(), spec.fields.end(),
                                          [&child](const ParamSpec &field) { return field.name == child.key; });
        if (!declared)
            continue;  // an unknown key; reported by fields()
        const QString uses = variant->needs.isEmpty()
                                 ? QString()
                                 : QStringLiteral(" (it uses: %1)").arg(variant->needs.join(QStringLiteral(", ")));
        errorAtKey(child, QStringLiteral("'%1' does not apply to %2%3").arg(child.key, named, uses));
    }
}

QJsonValue SpecValidator::defaultsOf(const ParamSpec &spec) const
{
    if (!spec.defaultValue.isNull() && !spec.defaultValue.isUndefined())
        return spec.defaultValue;
    // An absent settings block with defaults and nothing required reads as if it were
    // written empty, so consumers see e.g. tls.verify: true.
    if (spec.type != ValueType::Object || spec.fields.isEmpty())
        return QJsonValue(QJsonValue::Undefined);
    QJsonObject object;
    for (const ParamSpec &field : spec.fields) {
        if (field.required)
            return QJsonValue(QJsonValue::Undefined);
        const QJsonValue value = defaultsOf(field);
        if (!value.isUndefined() && !value.isNull())
            object.insert(field.name, value);
    }
    if (object.isEmpty())
        return QJsonValue(QJsonValue::Undefined);
    return object;
}

QJsonValue SpecValidator::toJson(const Node &node)
{
    switch (node.kind) {
    case Node::Kind::Null:
        return QJsonValue(QJsonValue::Null);
    case Node::Kind::Scalar: {
        if (node.quoted)
            return node.scalar;
        const QString lower = node.scalar.toLower();
        if (lower == QLatin1String("true"))
            return true;
        if (lower == QLatin1String("false"))
            return false;
        double number = 0;
        if (parseNumber(node.scalar, number))
            return number;
        return node.scalar;
    }
    case Node::Kind::Sequence: {
        QJsonArray array;
        for (const Node &child : node.children)
            array.append(toJson(child));
        return array;
    }
    case Node::Kind::Mapping: {
        QJsonObject object;
        for (const Node &child : node.children) {
            if (!object.contains(child.key))
                object.insert(child.key, toJson(child));
        }
        return object;
    }
    }
    return QJsonValue(QJsonValue::Null);
}

} // namespace clerk::bot
