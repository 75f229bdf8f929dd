// ConnectorDefinition: how to reach one outside system (a case system, a mailbox).
//
// Connector files live apart from bots so endpoints and secrets sit in one place.
// Secrets are references ("${env:NAME}", "${file:/path}"), resolved only when a
// connector is used (secret_ref.h); a literal secret in a file is a validation error.
#pragma once

#include "bot/bot_definition.h"

#include <QJsonObject>
#include <QString>

namespace clerk::bot {

struct ConnectorDefinition {
    QString name;
    QString kind;          // "rest" for now
    QString description;
    QJsonObject settings;  // every other key, validated, defaults applied
    QString sourcePath;
    SourcePosition position;
};

} // namespace clerk::bot
