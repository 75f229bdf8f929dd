// A small step catalog for the bot tests, standing in for the engine's registry.
#pragma once

#include "bot/bot_loader.h"
#include "bot/param_spec.h"
#include "rest/connector_kind.h"

#include "test_support.h"

#include <QJsonObject>

namespace clerk::bot::testing {

// `set`: outputs are the keys of its `values` map.
// `require`: `value` (template, required), `matches` (regex), `field` (default "value");
//            outputs {field}.
// `wait`: `for` (duration, default 1m), `note` (text with templates); no outputs.
// `fetch`: `connector`, `operation`; outputs only known at run time ("*").
inline StepCatalog testCatalog()
{
    using T = ValueType;
    StepTypeSchema set{
        .name = QStringLiteral("set"),
        .summary = QStringLiteral("Sets named values, which later steps can use."),
        .params = {ParamSpec::mapOf(QStringLiteral("values"),
                                    ParamSpec::templ(QStringLiteral("value"), QStringLiteral("A value.")),
                                    QStringLiteral("The values to set, by name."), true)},
        .sideEffects = false,
        .outputs = [](const QJsonObject &params) { return params.value(QStringLiteral("values")).toObject().keys(); },
        .example = QStringLiteral("- id: greet\n  type: set\n  params:\n    values:\n      greeting: Hello {{ input.name }}\n"),
    };
    StepTypeSchema require{
        .name = QStringLiteral("require"),
        .summary = QStringLiteral("Sends the item to a person when a value is missing or does not match."),
        .params = {ParamSpec::templ(QStringLiteral("value"), QStringLiteral("The value to check."), true),
                   ParamSpec::regex(QStringLiteral("matches"), QStringLiteral("A regular expression the value must match.")),
                   ParamSpec::of(QStringLiteral("field"), T::Identifier, QStringLiteral("The name of the output."))
                       .withDefault(QStringLiteral("value"))},
        .sideEffects = false,
        .outputs = [](const QJsonObject &params) {
            return QStringList{params.value(QStringLiteral("field")).toString(QStringLiteral("value"))};
        },
        .example = QStringLiteral("- id: check\n  type: require\n  params:\n    value: \"{{ input.postcode }}\"\n    field: postcode\n"),
    };
    StepTypeSchema wait{
        .name = QStringLiteral("wait"),
        .summary = QStringLiteral("Waits before the next step."),
        .params = {ParamSpec::of(QStringLiteral("for"), T::Duration, QStringLiteral("How long to wait."))
                       .withDefault(QStringLiteral("1m")),
                   ParamSpec::of(QStringLiteral("note"), T::String, QStringLiteral("A note for the log."))
                       .withTemplates()},
        .sideEffects = false,
        .outputs = [](const QJsonObject &) { return QStringList{}; },
        .example = QStringLiteral("- type: wait\n  params:\n    for: 5m\n"),
    };
    StepTypeSchema fetch{
        .name = QStringLiteral("fetch"),
        .summary = QStringLiteral("Calls an operation of a connector."),
        .params = {ParamSpec::of(QStringLiteral("connector"), T::ConnectorName, QStringLiteral("The connector."), true),
                   ParamSpec::of(QStringLiteral("operation"), T::String, QStringLiteral("The operation."), true),
                   ParamSpec::of(QStringLiteral("body"), T::Any, QStringLiteral("What to send."))},
        .sideEffects = true,
        .outputs = [](const QJsonObject &) { return QStringList{QStringLiteral("*")}; },
        .example = QStringLiteral("- type: fetch\n  params:\n    connector: redmine\n    operation: find_issue\n"),
    };
    return StepCatalog({set, require, wait, fetch});
}

// The connector kinds clerk registers (engine::connectorKinds() lists the same one).
inline ConnectorCatalog connectorKinds()
{
    return ConnectorCatalog({clerk::rest::restConnectorKind()});
}

inline ConnectorSet testConnectors()
{
    ConnectorDefinition redmine;
    redmine.name = QStringLiteral("redmine");
    redmine.kind = QStringLiteral("rest");
    ConnectorDefinition mailbox;
    mailbox.name = QStringLiteral("mailbox");
    mailbox.kind = QStringLiteral("rest");
    return {redmine, mailbox};
}

} // namespace clerk::bot::testing
