// The bot loader: reads bot and connector YAML files, validates them completely,
// and reports every problem with its file, line and column.
//
// yaml-cpp is used only inside this module's .cpp files; its exceptions never leave.
// Input limits: files over 1 MiB, binary files, directories and empty files are
// refused with a clear diagnostic instead of being parsed.
//
// Thread-safety: the functions are reentrant; catalogs and connector sets are read-only.
#pragma once

#include "bot/bot_definition.h"
#include "bot/diagnostic.h"
#include "bot/param_spec.h"

#include <QList>
#include <QString>
#include <optional>

namespace clerk::bot {

struct ConnectorLoad {
    std::optional<ConnectorDefinition> connector;  // set when there are no errors
    Diagnostics diagnostics;
};

struct BotLoad {
    std::optional<BotDefinition> bot;  // set when there are no errors
    Diagnostics diagnostics;
};

// The connectors a bot may name. Unknown names in a bot are errors.
using ConnectorSet = QList<ConnectorDefinition>;

// Loads one connector file of one of the kinds in `kinds` (engine::connectorKinds()).
ConnectorLoad loadConnectorFile(const QString &path, const ConnectorCatalog &kinds);
ConnectorLoad loadConnectorText(const QByteArray &text, const QString &displayName, const ConnectorCatalog &kinds);

// Loads one bot file against the step types in `catalog` and the known connectors.
BotLoad loadBotFile(const QString &path, const StepCatalog &catalog, const ConnectorSet &connectors);
// `baseDir` is the folder relative paths in the bot start from; empty: the current folder.
BotLoad loadBotText(const QByteArray &text, const QString &displayName,
                    const StepCatalog &catalog, const ConnectorSet &connectors, const QString &baseDir = {});

// True when the YAML document looks like a connector file (has a top-level `kind:`
// and no `steps:`), so `clerk validate` can take both kinds of file in one list.
bool looksLikeConnector(const QByteArray &text);

// The maximum size of a bot or connector file.
constexpr qint64 kMaxDefinitionFileBytes = 1024 * 1024;

} // namespace clerk::bot
