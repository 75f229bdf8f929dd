// StepRegistry: the one list of step types a clerk binary knows.
//
// Built-in types are added in one place, in order (builtIn()); modules that bring
// more steps (OCR, classification, matching, REST) add theirs to that list. There are
// no self-registering statics: static libraries would silently drop them. A duplicate
// name is an error when the registry is built.
//
// The registry hands the bot loader a StepCatalog (the schemas) and the engine the
// factories. Connector kinds are listed the same way, in connectorKinds(): each module
// that implements a kind declares its ConnectorKindSchema, and this one list registers it,
// so runtime/bot (below) and the connector modules (beside it) need not know each other's
// kinds.
//
// Thread-safety: read-only after construction.
#pragma once

#include "bot/param_spec.h"
#include "engine/step.h"

#include <QList>
#include <functional>
#include <memory>

namespace clerk::engine {

struct StepType {
    bot::StepTypeSchema schema;
    // Creates the step for one step of `bot`. Params are already validated against the
    // schema; fail only for problems the schema cannot express (e.g. a model file that
    // cannot be read). Relative paths are relative to bot.baseDir.
    std::function<Result<std::unique_ptr<Step>>(const bot::BotDefinition &bot, const bot::StepDefinition &definition)>
        create;
};

class StepRegistry {
public:
    // The built-in step types: set, require, route, lookup, append_line, move_file, ocr, extract, classify,
    // match, rest.
    static StepRegistry builtIn();

    // Adds a type. AlreadyExists when the name is taken.
    Status add(StepType type);

    const StepType *find(const QString &name) const;
    const QList<StepType> &types() const { return m_types; }
    bot::StepCatalog catalog() const;

private:
    QList<StepType> m_types;
};

// The connector kinds a clerk binary knows: rest (connectors/rest). The loader validates
// connector files against them (bot::loadConnectorFile), the schema describes them.
bot::ConnectorCatalog connectorKinds();

} // namespace clerk::engine
