#include "bot/bot_loader.h"

#include "bot/spec_validator_p.h"
#include "bot/yaml_document_p.h"
#include "core/duration.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFileInfo>
#include <QFile>
#include <QJsonArray>
#include <QStringDecoder>
#include <algorithm>

namespace clerk::bot {

namespace {

using yaml::Node;

enum class FileKind { Bot, Connector };

QString kindName(FileKind kind)
{
    return kind == FileKind::Bot ? QStringLiteral("bot") : QStringLiteral("connector");
}

// What is wrong with a step's `when`, or empty when nothing is. The engine reads
// "A == B" and "A != B" (with a space either side) as comparisons and anything else as
// one value that holds unless empty, false, no, 0 or null, so a typo such as a lone "="
// would make a condition that nearly always holds. A condition is therefore a comparison
// or a single template with nothing around it.
QString conditionProblem(const QString &when)
{
    const QString text = when.trimmed();
    const QString padded = QLatin1Char(' ') + text + QLatin1Char(' ');  // "== x" and "x ==" lack a side
    for (const QString &op : {QStringLiteral(" == "), QStringLiteral(" != ")}) {
        const qsizetype at = padded.indexOf(op);
        if (at < 0)
            continue;
        if (padded.left(at).trimmed().isEmpty() || padded.mid(at + op.size()).trimmed().isEmpty())
            return QStringLiteral("a comparison needs a value on each side of %1").arg(op.trimmed());
        return {};
    }
    // Outside the templates, look for comparison signs the engine would not read.
    QString outside = text;
    for (qsizetype open = outside.indexOf(QLatin1String("{{")); open >= 0; open = outside.indexOf(QLatin1String("{{"))) {
        const qsizetype close = outside.indexOf(QLatin1String("}}"), open);
        if (close < 0)
            break;
        outside.replace(open, close + 2 - open, QString(close + 2 - open, QLatin1Char(' ')));
    }
    if (outside.contains(QLatin1String("==")) || outside.contains(QLatin1String("!=")))
        return QStringLiteral("write == or != with a space either side, e.g. \"{{ check.decision }} == matched\"");
    if (outside.contains(QLatin1Char('=')))
        return QStringLiteral("a lone '=' is not a comparison: write == (equal) or != (not equal), e.g. "
                              "\"{{ check.decision }} == matched\"");
    const bool singleTemplate = text.startsWith(QLatin1String("{{")) && text.endsWith(QLatin1String("}}")) &&
                                text.indexOf(QLatin1String("{{"), 2) < 0;
    if (!singleTemplate)
        return QStringLiteral("a condition is a comparison (\"{{ check.decision }} == matched\", or !=) or a single "
                              "template (\"{{ form.urgent }}\"), not other text");
    return {};
}

Diagnostic fileError(const QString &file, const QString &message)
{
    return Diagnostic{file, 0, 0, Diagnostic::Severity::Error, message};
}

QString sizeProblem(qint64 bytes, FileKind kind)
{
    return QStringLiteral("file is %1 MB; %2 files are at most 1 MiB")
        .arg(QString::number(static_cast<double>(bytes) / (1024.0 * 1024.0), 'f', 1), kindName(kind));
}

// Reads a definition file, refusing what is not a small text file. On failure the
// problem is appended to `diagnostics` and nullopt returned.
std::optional<QByteArray> readDefinitionFile(const QString &path, FileKind kind, Diagnostics &diagnostics)
{
    const QFileInfo info(path);
    if (!info.exists()) {
        diagnostics.append(fileError(path, QStringLiteral("cannot read file: it does not exist")));
        return std::nullopt;
    }
    if (info.isDir()) {
        diagnostics.append(fileError(path, QStringLiteral("is a directory, not a %1 file").arg(kindName(kind))));
        return std::nullopt;
    }
    if (!info.isFile()) {
        diagnostics.append(fileError(path, QStringLiteral("is not a regular file")));
        return std::nullopt;
    }
    if (info.size() > kMaxDefinitionFileBytes) {
        diagnostics.append(fileError(path, sizeProblem(info.size(), kind)));
        return std::nullopt;
    }
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        diagnostics.append(fileError(path, QStringLiteral("cannot read file: %1").arg(file.errorString())));
        return std::nullopt;
    }
    // Read one byte past the limit: the file may have grown since it was measured.
    QByteArray bytes = file.read(kMaxDefinitionFileBytes + 1);
    if (bytes.size() > kMaxDefinitionFileBytes) {
        diagnostics.append(fileError(path, sizeProblem(file.size(), kind)));
        return std::nullopt;
    }
    if (file.error() != QFileDevice::NoError) {
        diagnostics.append(fileError(path, QStringLiteral("cannot read file: %1").arg(file.errorString())));
        return std::nullopt;
    }
    return bytes;
}

// File-level checks and YAML parsing shared by bots and connectors. Returns the root
// mapping, or nullopt when the file cannot be validated further.
std::optional<Node> parseDefinition(const QByteArray &text, const QString &file, FileKind kind,
                                    Diagnostics &diagnostics)
{
    if (text.size() > kMaxDefinitionFileBytes) {
        diagnostics.append(fileError(file, sizeProblem(text.size(), kind)));
        return std::nullopt;
    }
    if (text.trimmed().isEmpty()) {
        diagnostics.append(fileError(file, QStringLiteral("file is empty")));
        return std::nullopt;
    }
    if (text.contains('\0')) {
        diagnostics.append(fileError(file, QStringLiteral("not a text file: it holds NUL bytes")));
        return std::nullopt;
    }
    QStringDecoder decoder(QStringDecoder::Utf8);
    const QString decoded = decoder(text);
    if (decoder.hasError()) {
        diagnostics.append(fileError(file, QStringLiteral("not a text file: it is not valid UTF-8")));
        return std::nullopt;
    }

    yaml::Document document = yaml::parseDocument(text, file);
    diagnostics.append(document.diagnostics);
    if (!document.root)
        return std::nullopt;
    const Node &root = *document.root;
    if (root.isNull()) {
        diagnostics.append(fileError(file, QStringLiteral("file holds no YAML content, only comments")));
        return std::nullopt;
    }
    if (!root.isMapping()) {
        diagnostics.append(Diagnostic{file, root.line, root.column, Diagnostic::Severity::Error,
                                      QStringLiteral("expected a mapping of keys such as 'name:' at the top "
                                                     "level, got %1")
                                          .arg(root.kindName())});
        return std::nullopt;
    }
    return std::move(document.root);
}

void sortDiagnostics(Diagnostics &diagnostics)
{
    // Stable by hand: std::stable_sort trips a deprecation warning in libstdc++ 12 under clang.
    QList<std::pair<qsizetype, Diagnostic>> indexed;
    indexed.reserve(diagnostics.size());
    for (qsizetype i = 0; i < diagnostics.size(); ++i)
        indexed.append({i, diagnostics.at(i)});
    std::sort(indexed.begin(), indexed.end(), [](const auto &a, const auto &b) {
        if (a.second.line != b.second.line)
            return a.second.line < b.second.line;
        if (a.second.column != b.second.column)
            return a.second.column < b.second.column;
        return a.first < b.first;
    });
    diagnostics.clear();
    for (const auto &entry : indexed)
        diagnostics.append(entry.second);
}

const ParamSpec &topLevelSpec(const QList<ParamSpec> &specs, const QString &name)
{
    for (const ParamSpec &spec : specs) {
        if (spec.name == name)
            return spec;
    }
    Q_ASSERT_X(false, "topLevelSpec", "the file spec lacks a key the loader relies on");
    return specs.first();
}

std::chrono::milliseconds durationOr(const QJsonValue &value, std::chrono::milliseconds fallback)
{
    if (!value.isString())
        return fallback;
    const auto parsed = parseDuration(value.toString());
    return parsed ? *parsed : fallback;
}

SourcePosition positionOf(const Node &node)
{
    return SourcePosition{node.line, node.column};
}

const QStringList &triggerKinds()
{
    static const QStringList kinds{QStringLiteral("cron"), QStringLiteral("every"), QStringLiteral("watch"),
                                   QStringLiteral("webhook"), QStringLiteral("mailbox")};
    return kinds;
}

void checkTrigger(const Node &trigger, SpecValidator &validator)
{
    if (!trigger.isMapping() && !trigger.isNull())
        return;  // wrong type, already reported
    QStringList present;
    for (const QString &kind : triggerKinds()) {
        if (trigger.find(kind))
            present.append(kind);
    }
    if (present.isEmpty()) {
        validator.errorAt(trigger, QStringLiteral("trigger needs one of cron, every, watch, webhook or mailbox "
                                                  "(leave trigger out for a bot that is started by hand)"));
    } else if (present.size() > 1) {
        validator.errorAt(trigger, QStringLiteral("trigger needs exactly one of cron, every, watch, webhook or "
                                                  "mailbox, but has %1")
                                       .arg(present.join(QStringLiteral(" and "))));
    }
    if (const Node *mailbox = trigger.find(QStringLiteral("mailbox")); mailbox && mailbox->isMapping()) {
        const Node *after = mailbox->find(QStringLiteral("after"));
        const Node *moveTo = mailbox->find(QStringLiteral("move_to"));
        const bool moving = after && after->isScalar() && after->scalar == QLatin1String("move");
        if (moving && (!moveTo || !moveTo->isScalar() || moveTo->scalar.trimmed().isEmpty()))
            validator.errorAt(*after, QStringLiteral("after: move needs move_to, the folder handled messages go to"));
        else if (!moving && moveTo)
            validator.warning(moveTo->keyLine, moveTo->keyColumn,
                              QStringLiteral("move_to only applies with after: move; it is ignored here"));
        if (const Node *flag = mailbox->find(QStringLiteral("flag")); flag && moving)
            validator.warning(flag->keyLine, flag->keyColumn,
                              QStringLiteral("flag only applies with after: flag; it is ignored here"));
    }
    if (const Node *jitter = trigger.find(QStringLiteral("jitter")); jitter && !present.contains(QLatin1String("every")))
        validator.warning(jitter->keyLine, jitter->keyColumn,
                          QStringLiteral("jitter only applies with 'every'; it is ignored here"));
}

// A source is read on each time slot; with another trigger it would never be read.
void checkSourceTrigger(const Node &root, SpecValidator &validator)
{
    const Node *source = root.find(QStringLiteral("source"));
    const Node *trigger = root.find(QStringLiteral("trigger"));
    if (!source || !trigger || !trigger->isMapping())
        return;
    for (const char *kind : {"watch", "webhook", "mailbox"}) {
        if (trigger->find(QLatin1String(kind)))
            validator.warning(source->keyLine, source->keyColumn,
                              QStringLiteral("clerk serve reads source only with a cron or every trigger; with "
                                             "%1 it is used by clerk run --from-source alone")
                                  .arg(QLatin1String(kind)));
    }
}

// The alerts block: each rule names one kind, with only the keys that apply to it, and the
// operation is one the connector offers.
void checkAlerts(const Node &root, const ConnectorSet &connectors, SpecValidator &validator)
{
    const Node *alerts = root.find(QStringLiteral("alerts"));
    if (!alerts || !alerts->isMapping())
        return;
    const Node *connectorNode = alerts->find(QStringLiteral("connector"));
    const Node *operationNode = alerts->find(QStringLiteral("operation"));
    if (connectorNode && connectorNode->isScalar() && operationNode && operationNode->isScalar()) {
        for (const ConnectorDefinition &connector : connectors) {
            if (connector.name != connectorNode->scalar)
                continue;
            const QJsonObject operations = connector.settings.value(QStringLiteral("operations")).toObject();
            if (!operations.contains(operationNode->scalar)) {
                const QStringList known = operations.keys();
                validator.errorAt(*operationNode,
                                  QStringLiteral("connector '%1' has no operation '%2'%3")
                                      .arg(connector.name, operationNode->scalar,
                                           known.isEmpty() ? QStringLiteral(" (it has none)")
                                                           : QStringLiteral(" (it has: %1)")
                                                                 .arg(known.join(QStringLiteral(", ")))));
            }
            break;
        }
    }
    const Node *rules = alerts->find(QStringLiteral("rules"));
    if (!rules || !rules->isSequence())
        return;
    static const QStringList kinds{QStringLiteral("straight_through_below"), QStringLiteral("oldest_exception_over_sla"),
                                   QStringLiteral("failures_above")};
    QStringList seen;  // a rule's kind names its firings, so each kind appears once
    for (const Node &rule : rules->children) {
        if (!rule.isMapping())
            continue;
        QStringList present;
        for (const Node &child : rule.children) {
            if (kinds.contains(child.key))
                present.append(child.key);
        }
        if (present.size() != 1) {
            validator.errorAt(rule, present.isEmpty()
                                        ? QStringLiteral("an alert rule needs one of straight_through_below, "
                                                         "oldest_exception_over_sla or failures_above")
                                        : QStringLiteral("an alert rule has one kind; this one has %1")
                                              .arg(present.join(QStringLiteral(" and "))));
            continue;
        }
        const QString kind = present.first();
        if (seen.contains(kind)) {
            validator.errorAtKey(*rule.find(kind), QStringLiteral("a bot has one %1 rule; this is the second").arg(kind));
            continue;
        }
        seen.append(kind);
        if (kind == QLatin1String("oldest_exception_over_sla")) {
            const Node *flag = rule.find(kind);
            if (flag && flag->isScalar() && flag->scalar == QLatin1String("false"))
                validator.errorAt(*flag, QStringLiteral("oldest_exception_over_sla: false is no rule; leave the "
                                                        "rule out instead"));
        }
        if (const Node *window = rule.find(QStringLiteral("window"));
            window && kind == QLatin1String("oldest_exception_over_sla"))
            validator.errorAtKey(*window, QStringLiteral("window does not apply to oldest_exception_over_sla"));
        if (const Node *minItems = rule.find(QStringLiteral("min_items"));
            minItems && kind != QLatin1String("straight_through_below"))
            validator.errorAtKey(*minItems, QStringLiteral("min_items applies only to straight_through_below"));
    }
}

struct StepInfo {
    const Node *node = nullptr;
    QString id;          // the declared id, or the type when there is none
    const Node *idNode = nullptr;
};

QString scalarOf(const Node *node)
{
    return node && node->isScalar() ? node->scalar : QString();
}

// Validates the steps list; fills `steps` for the definition.
// Checks the steps and appends them to `steps`. Returns what templates after the steps
// may name: every step with its outputs.
TemplateScope checkSteps(const Node &root, const StepCatalog &catalog, const std::optional<QStringList> &inputFields,
                         SpecValidator &validator, QList<StepDefinition> &steps)
{
    TemplateScope scope;
    scope.inputFields = inputFields;
    const Node *list = root.find(QStringLiteral("steps"));
    if (!list) {
        validator.errorAt(root, QStringLiteral("missing required key 'steps'"));
        return scope;
    }
    if (!list->isSequence() || list->children.empty()) {
        if (list->isSequence() || list->isNull())
            validator.errorAt(*list, QStringLiteral("steps must list at least one step"));
        else
            validator.errorAt(*list, QStringLiteral("expected a list of steps, got %1").arg(list->kindName()));
        return scope;
    }
    const ParamSpec &stepsSpec = topLevelSpec(botFileSpec(), QStringLiteral("steps"));
    const QList<ParamSpec> &stepFields = stepsSpec.element->fields;

    // Ids first, so a template that names a later step can say so.
    QList<StepInfo> infos;
    for (const Node &node : list->children) {
        StepInfo info;
        info.node = &node;
        info.idNode = node.find(QStringLiteral("id"));
        if (!info.idNode || !info.idNode->isScalar())
            info.idNode = node.find(QStringLiteral("type"));
        info.id = scalarOf(info.idNode);
        infos.append(info);
    }

    static const QStringList reserved{QStringLiteral("input"), QStringLiteral("item"), QStringLiteral("bot")};
    QMap<QString, int> firstLines;
    for (qsizetype index = 0; index < infos.size(); ++index) {
        const StepInfo &info = infos.at(index);
        const Node &node = *info.node;
        if (!node.isMapping()) {
            validator.errorAt(node, QStringLiteral("expected a mapping with type: and params:, got %1")
                                        .arg(node.kindName()));
            continue;
        }
        const QJsonObject object = validator.fields(node, stepFields, {QStringLiteral("params"), QStringLiteral("when")});

        if (!info.id.isEmpty() && info.idNode) {
            if (reserved.contains(info.id))
                validator.errorAt(*info.idNode, QStringLiteral("step id '%1' is reserved (input, item and bot are "
                                                               "template roots); give the step an id")
                                                    .arg(info.id));
            else if (firstLines.contains(info.id))
                validator.errorAt(*info.idNode, QStringLiteral("duplicate step id '%1' (first at line %2); give "
                                                               "each step its own id")
                                                    .arg(info.id)
                                                    .arg(firstLines.value(info.id)));
            else
                firstLines.insert(info.id, info.idNode->line);
        }

        const Node *typeNode = node.find(QStringLiteral("type"));
        const QString type = object.value(QStringLiteral("type")).toString();
        const StepTypeSchema *schema = type.isEmpty() ? nullptr : catalog.find(type);
        if (!type.isEmpty() && !schema) {
            const QString best = closestMatch(type, catalog.names());
            const QString hint = best.isEmpty() ? QString() : QStringLiteral("; did you mean '%1'?").arg(best);
            validator.errorAt(*typeNode, QStringLiteral("unknown step type '%1'%2 (known types: %3)")
                                             .arg(type, hint, catalog.names().join(QStringLiteral(", "))));
        }

        scope.currentStep = info.id;
        scope.laterSteps.clear();
        for (qsizetype later = index + 1; later < infos.size(); ++later)
            scope.laterSteps.append(infos.at(later).id);

        // The condition may use what earlier steps produced, like the params.
        QString when;
        if (const Node *whenNode = node.find(QStringLiteral("when"))) {
            validator.setTemplateScope(&scope);
            const QJsonValue value = validator.value(*whenNode, topLevelSpec(stepFields, QStringLiteral("when")));
            validator.setTemplateScope(nullptr);
            when = value.toString();
            if (const QString problem = conditionProblem(when); value.isString() && !problem.isEmpty())
                validator.errorAt(*whenNode, QStringLiteral("when: %1").arg(problem));
        }

        QJsonObject params;
        const Node *paramsNode = node.find(QStringLiteral("params"));
        if (schema) {
            validator.setTemplateScope(&scope);
            if (paramsNode) {
                const ParamSpec paramsSpec = ParamSpec::object(QStringLiteral("params"), schema->params, {});
                params = validator.value(*paramsNode, paramsSpec).toObject();
            } else {
                QStringList needed;
                for (const ParamSpec &param : schema->params) {
                    if (param.required)
                        needed.append(param.name);
                }
                if (!needed.isEmpty())
                    validator.errorAt(node, QStringLiteral("missing required key 'params' (step type '%1' needs: %2)")
                                                .arg(type, needed.join(QStringLiteral(", "))));
                else
                    params = validator.fields(Node(), schema->params);
            }
            validator.setTemplateScope(nullptr);
        } else if (paramsNode && !paramsNode->isMapping() && !paramsNode->isNull()) {
            validator.errorAt(*paramsNode, QStringLiteral("expected a mapping, got %1").arg(paramsNode->kindName()));
        }

        // An unknown type's outputs are unknown: accept any reference to it rather than
        // piling up follow-on errors.
        QStringList outputs{QStringLiteral("*")};
        if (schema)
            outputs = schema->outputs ? schema->outputs(params) : QStringList();
        if (!info.id.isEmpty())
            scope.earlierSteps.append({info.id, outputs});

        StepDefinition step;
        step.id = info.id;
        step.type = type;
        step.params = params;
        step.team = object.value(QStringLiteral("team")).toString();
        step.when = when;
        step.timeLimit = durationOr(object.value(QStringLiteral("time_limit")), {});
        step.position = positionOf(node);
        steps.append(step);
    }
    scope.currentStep.clear();
    scope.laterSteps.clear();
    return scope;
}

// The escalate rules, checked with templates that may name any step. A rule tests
// something (when, keywords or both); keywords need the text they are looked for in,
// and the out-of-hours team and the hours come together.
QJsonArray checkEscalate(const Node &root, const TemplateScope &scope, SpecValidator &validator)
{
    const Node *list = root.find(QStringLiteral("escalate"));
    if (!list)
        return {};
    validator.setTemplateScope(&scope);
    const QJsonArray rules = validator.value(*list, topLevelSpec(botFileSpec(), QStringLiteral("escalate"))).toArray();
    validator.setTemplateScope(nullptr);
    if (!list->isSequence())
        return rules;
    for (const Node &rule : list->children) {
        if (!rule.isMapping())
            continue;
        const Node *when = rule.find(QStringLiteral("when"));
        const Node *text = rule.find(QStringLiteral("text"));
        const Node *keywords = rule.find(QStringLiteral("keywords"));
        const Node *hours = rule.find(QStringLiteral("business_hours"));
        const Node *outOfHours = rule.find(QStringLiteral("out_of_hours_team"));
        if (when && when->isScalar()) {
            if (const QString problem = conditionProblem(when->scalar); !problem.isEmpty())
                validator.errorAt(*when, QStringLiteral("when: %1").arg(problem));
        }
        if (!when && !keywords)
            validator.errorAt(rule, QStringLiteral("an escalate rule needs when, keywords or both: without them "
                                                   "every item would be urgent (use exceptions.sla for that)"));
        if (keywords && !text)
            validator.errorAtKey(*keywords, QStringLiteral("keywords need text: the text they are looked for in, e.g. "
                                                           "text: \"{{ input.description }}\""));
        if (text && !keywords)
            validator.errorAtKey(*text, QStringLiteral("text is only read for keywords: give keywords too"));
        if (outOfHours && !hours)
            validator.errorAtKey(*outOfHours, QStringLiteral("out_of_hours_team needs business_hours"));
        if (hours && !outOfHours)
            validator.errorAtKey(*hours, QStringLiteral("business_hours needs out_of_hours_team: the team that gets "
                                                        "the item outside them"));
    }
    return rules;
}

QList<EscalationRule> escalationRules(const QJsonArray &rules, const Node &root)
{
    const Node *list = root.find(QStringLiteral("escalate"));
    QList<EscalationRule> parsed;
    for (qsizetype i = 0; i < rules.size(); ++i) {
        const QJsonObject object = rules.at(i).toObject();
        EscalationRule rule;
        rule.label = object.value(QStringLiteral("label")).toString(QStringLiteral("Urgent"));
        rule.when = object.value(QStringLiteral("when")).toString();
        rule.text = object.value(QStringLiteral("text")).toString();
        for (const QJsonValue &keyword : object.value(QStringLiteral("keywords")).toArray())
            rule.keywords.append(keyword.toString());
        rule.team = object.value(QStringLiteral("team")).toString();
        rule.sla = durationOr(object.value(QStringLiteral("sla")), {});
        rule.priority = object.value(QStringLiteral("priority")).toInt(rule.priority);
        rule.businessHours = object.value(QStringLiteral("business_hours")).toString();
        rule.outOfHoursTeam = object.value(QStringLiteral("out_of_hours_team")).toString();
        if (list && list->isSequence() && i < static_cast<qsizetype>(list->children.size()))
            rule.position = positionOf(list->children.at(static_cast<std::size_t>(i)));
        parsed.append(rule);
    }
    return parsed;
}

BotDefinition buildBot(const QJsonObject &top, const Node &root)
{
    BotDefinition bot;
    bot.name = top.value(QStringLiteral("name")).toString();
    bot.description = top.value(QStringLiteral("description")).toString();
    bot.version = top.value(QStringLiteral("version")).toString();
    bot.ownerTeam = top.value(QStringLiteral("owner_team")).toString();
    bot.manualMinutes = top.value(QStringLiteral("manual_minutes")).toDouble(0);
    bot.shadow = top.value(QStringLiteral("mode")).toString() == QLatin1String("shadow");
    bot.shadowShowsSuggestion =
        top.value(QStringLiteral("shadow")).toObject().value(QStringLiteral("show_suggestion")).toBool(true);
    bot.concurrency = top.value(QStringLiteral("concurrency")).toInt(0);
    bot.priority = top.value(QStringLiteral("priority")).toInt(0);
    bot.stepTimeLimit = durationOr(top.value(QStringLiteral("time_limit")), {});

    if (const Node *triggerNode = root.find(QStringLiteral("trigger"))) {
        const QJsonObject trigger = top.value(QStringLiteral("trigger")).toObject();
        TriggerDefinition definition;
        definition.position = positionOf(*triggerNode);
        definition.timeZone = trigger.value(QStringLiteral("timezone")).toString(definition.timeZone);
        definition.misfire = trigger.value(QStringLiteral("misfire")).toString(definition.misfire);
        if (trigger.contains(QStringLiteral("cron"))) {
            definition.kind = TriggerDefinition::Kind::Cron;
            definition.cron = trigger.value(QStringLiteral("cron")).toString();
        } else if (trigger.contains(QStringLiteral("every"))) {
            definition.kind = TriggerDefinition::Kind::Interval;
            definition.every = durationOr(trigger.value(QStringLiteral("every")), {});
            definition.jitter = durationOr(trigger.value(QStringLiteral("jitter")), {});
        } else if (trigger.contains(QStringLiteral("watch"))) {
            definition.kind = TriggerDefinition::Kind::Watch;
            definition.options = trigger.value(QStringLiteral("watch")).toObject();
        } else if (trigger.contains(QStringLiteral("webhook"))) {
            definition.kind = TriggerDefinition::Kind::Webhook;
            definition.options = trigger.value(QStringLiteral("webhook")).toObject();
        } else if (trigger.contains(QStringLiteral("mailbox"))) {
            definition.kind = TriggerDefinition::Kind::Mailbox;
            definition.options = trigger.value(QStringLiteral("mailbox")).toObject();
            definition.every = durationOr(definition.options.value(QStringLiteral("every")), std::chrono::minutes(1));
        }
        if (trigger.contains(QStringLiteral("business_hours")))
            definition.options.insert(QStringLiteral("business_hours"), trigger.value(QStringLiteral("business_hours")));
        bot.trigger = definition;
    }

    const QJsonObject thresholds = top.value(QStringLiteral("thresholds")).toObject();
    for (auto it = thresholds.begin(); it != thresholds.end(); ++it)
        bot.thresholds.insert(it.key(), it.value().toDouble());

    const QJsonObject exceptions = top.value(QStringLiteral("exceptions")).toObject();
    bot.exceptionTeam = exceptions.value(QStringLiteral("team")).toString(bot.ownerTeam);
    bot.exceptionSla = durationOr(exceptions.value(QStringLiteral("sla")), bot.exceptionSla);

    if (top.contains(QStringLiteral("retention"))) {
        const QJsonObject retention = top.value(QStringLiteral("retention")).toObject();
        bot.retention = RetentionPolicy{.after = durationOr(retention.value(QStringLiteral("after")), {}),
                                        .documents = retention.value(QStringLiteral("documents")).toBool(true)};
    }

    const QJsonObject retry = top.value(QStringLiteral("retry")).toObject();
    bot.retry.maxAttempts = retry.value(QStringLiteral("max_attempts")).toInt(bot.retry.maxAttempts);
    bot.retry.initialDelay = durationOr(retry.value(QStringLiteral("initial_delay")), bot.retry.initialDelay);
    bot.retry.maxDelay = durationOr(retry.value(QStringLiteral("max_delay")), bot.retry.maxDelay);

    const QJsonObject input = top.value(QStringLiteral("input")).toObject();
    bot.inputIdField = input.value(QStringLiteral("id")).toString();
    if (input.contains(QStringLiteral("fields"))) {
        QStringList fields;
        for (const QJsonValue &field : input.value(QStringLiteral("fields")).toArray())
            fields.append(field.toString());
        bot.inputFields = fields;
    }
    for (const QString &pattern : input.value(QStringLiteral("files")).toString().split(u',', Qt::SkipEmptyParts))
        bot.inputFiles.append(pattern.trimmed());
    if (top.contains(QStringLiteral("source"))) {
        const QJsonObject source = top.value(QStringLiteral("source")).toObject();
        SourceDefinition definition;
        definition.connector = source.value(QStringLiteral("connector")).toString();
        definition.operation = source.value(QStringLiteral("operation")).toString();
        definition.params = source.value(QStringLiteral("params")).toObject();
        const QJsonObject mark = source.value(QStringLiteral("mark")).toObject();
        definition.markOperation = mark.value(QStringLiteral("operation")).toString();
        definition.markParams = mark.value(QStringLiteral("params")).toObject();
        bot.source = definition;
    }
    for (const QJsonValue &connector : top.value(QStringLiteral("connectors")).toArray())
        bot.connectors.append(connector.toString());
    for (const QJsonValue &path : top.value(QStringLiteral("allowed_paths")).toArray())
        bot.allowedPaths.append(path.toString());
    if (top.contains(QStringLiteral("alerts"))) {
        const QJsonObject alerts = top.value(QStringLiteral("alerts")).toObject();
        AlertDefinition definition;
        definition.connector = alerts.value(QStringLiteral("connector")).toString();
        definition.operation = alerts.value(QStringLiteral("operation")).toString();
        definition.repeatAfter = durationOr(alerts.value(QStringLiteral("repeat_after")), definition.repeatAfter);
        const QJsonArray rules = alerts.value(QStringLiteral("rules")).toArray();
        const Node *alertsNode = root.find(QStringLiteral("alerts"));
        const Node *rulesNode = alertsNode ? alertsNode->find(QStringLiteral("rules")) : nullptr;
        for (qsizetype i = 0; i < rules.size(); ++i) {
            const QJsonObject object = rules.at(i).toObject();
            AlertRule rule;
            if (object.contains(QStringLiteral("straight_through_below"))) {
                rule.kind = AlertRule::Kind::StraightThroughBelow;
                rule.name = QStringLiteral("straight_through_below");
                rule.threshold = object.value(rule.name).toDouble();
            } else if (object.contains(QStringLiteral("failures_above"))) {
                rule.kind = AlertRule::Kind::FailuresAbove;
                rule.name = QStringLiteral("failures_above");
                rule.threshold = object.value(rule.name).toDouble();
            } else {
                rule.kind = AlertRule::Kind::OldestExceptionOverSla;
                rule.name = QStringLiteral("oldest_exception_over_sla");
            }
            rule.window = durationOr(object.value(QStringLiteral("window")), rule.window);
            rule.minItems = object.value(QStringLiteral("min_items")).toInt(rule.minItems);
            if (rulesNode && rulesNode->isSequence() && i < static_cast<qsizetype>(rulesNode->children.size()))
                rule.position = positionOf(rulesNode->children.at(static_cast<std::size_t>(i)));
            definition.rules.append(rule);
        }
        bot.alerts = definition;
    }
    return bot;
}

} // namespace

ConnectorLoad loadConnectorText(const QByteArray &text, const QString &displayName, const ConnectorCatalog &kinds)
{
    ConnectorLoad load;
    const std::optional<Node> root = parseDefinition(text, displayName, FileKind::Connector, load.diagnostics);
    if (!root) {
        sortDiagnostics(load.diagnostics);
        return load;
    }
    SpecValidator validator(displayName);
    // A known kind's own keys; for an unknown or missing kind, every kind's keys, so the
    // rest of the file is still checked.
    const Node *kind = root->find(QStringLiteral("kind"));
    const QJsonObject top =
        validator.fields(*root, connectorFileSpec(kinds, kind && kind->isScalar() ? kind->scalar : QString()));

    load.diagnostics.append(validator.diagnostics());
    sortDiagnostics(load.diagnostics);
    if (hasErrors(load.diagnostics))
        return load;

    ConnectorDefinition connector;
    connector.name = top.value(QStringLiteral("name")).toString();
    connector.kind = top.value(QStringLiteral("kind")).toString();
    connector.description = top.value(QStringLiteral("description")).toString();
    connector.settings = top;
    connector.settings.remove(QStringLiteral("name"));
    connector.settings.remove(QStringLiteral("kind"));
    connector.settings.remove(QStringLiteral("description"));
    connector.sourcePath = displayName;
    connector.position = positionOf(*root);
    load.connector = connector;
    return load;
}

ConnectorLoad loadConnectorFile(const QString &path, const ConnectorCatalog &kinds)
{
    ConnectorLoad load;
    const std::optional<QByteArray> bytes = readDefinitionFile(path, FileKind::Connector, load.diagnostics);
    if (!bytes)
        return load;
    return loadConnectorText(*bytes, path, kinds);
}

BotLoad loadBotText(const QByteArray &text, const QString &displayName, const StepCatalog &catalog,
                    const ConnectorSet &connectors, const QString &baseDir)
{
    BotLoad load;
    const std::optional<Node> root = parseDefinition(text, displayName, FileKind::Bot, load.diagnostics);
    if (!root) {
        sortDiagnostics(load.diagnostics);
        return load;
    }

    SpecValidator validator(displayName);
    validator.setConnectors(&connectors);
    const QJsonObject top = validator.fields(*root, botFileSpec(), {QStringLiteral("steps"), QStringLiteral("escalate")});

    if (const Node *trigger = root->find(QStringLiteral("trigger")))
        checkTrigger(*trigger, validator);
    checkSourceTrigger(*root, validator);
    checkAlerts(*root, connectors, validator);

    std::optional<QStringList> inputFields;
    if (const Node *input = root->find(QStringLiteral("input")); input && input->find(QStringLiteral("fields"))) {
        QStringList fields;
        for (const QJsonValue &field : top.value(QStringLiteral("input")).toObject().value(QStringLiteral("fields")).toArray())
            fields.append(field.toString());
        inputFields = fields;
    }

    QList<StepDefinition> steps;
    const TemplateScope scope = checkSteps(*root, catalog, inputFields, validator, steps);
    const QJsonArray escalate = checkEscalate(*root, scope, validator);

    load.diagnostics.append(validator.diagnostics());
    sortDiagnostics(load.diagnostics);
    if (hasErrors(load.diagnostics))
        return load;

    BotDefinition bot = buildBot(top, *root);
    bot.steps = steps;
    bot.escalate = escalationRules(escalate, *root);
    // Steps name connectors too (checked against the same set), so the bot carries all
    // it was validated against.
    bot.connectorDefinitions = connectors;
    bot.sourcePath = displayName;
    bot.sourceText = text;
    bot.baseDir = QDir(baseDir.isEmpty() ? QDir::currentPath() : baseDir).absolutePath();
    // Relative paths make the folder part of what a bot does, so it is part of the digest.
    QCryptographicHash hash(QCryptographicHash::Sha256);
    hash.addData(bot.baseDir.toUtf8());
    hash.addData(QByteArrayView("\0", 1));
    hash.addData(text);
    bot.digest = QString::fromLatin1(hash.result().toHex());
    load.bot = std::move(bot);
    return load;
}

BotLoad loadBotFile(const QString &path, const StepCatalog &catalog, const ConnectorSet &connectors)
{
    BotLoad load;
    const std::optional<QByteArray> bytes = readDefinitionFile(path, FileKind::Bot, load.diagnostics);
    if (!bytes)
        return load;
    return loadBotText(*bytes, path, catalog, connectors, QFileInfo(path).absolutePath());
}

bool looksLikeConnector(const QByteArray &text)
{
    if (text.size() > kMaxDefinitionFileBytes || text.contains('\0'))
        return false;
    QStringDecoder decoder(QStringDecoder::Utf8);
    const QString decoded = decoder(text);
    if (decoder.hasError())
        return false;
    const yaml::Document document = yaml::parseDocument(text, QString());
    if (!document.root || !document.root->isMapping())
        return false;
    return document.root->find(QStringLiteral("kind")) && !document.root->find(QStringLiteral("steps"));
}

} // namespace clerk::bot
