// The published JSON Schema of bot files (draft-07, the dialect yaml-language-server
// reads), generated from the same ParamSpec tree the loader validates with, and the
// Markdown tables of the bot reference.
#pragma once

#include "bot/param_spec.h"

#include <QJsonObject>
#include <QString>

namespace clerk::bot {

// The schema for bot files: top-level keys, triggers, and one branch per step type
// (selected by `type`), so an editor with a YAML language server completes params.
QJsonObject botJsonSchema(const StepCatalog &catalog);

// The schema for connector files of the kinds in `kinds`.
QJsonObject connectorJsonSchema(const ConnectorCatalog &kinds);

// Markdown tables: top-level keys, trigger kinds, and one section per step type.
QString botReferenceTables(const StepCatalog &catalog);

} // namespace clerk::bot
