// PostgresLocation: a "postgresql://" store location taken apart. Private to clerk_store.
//
// The password never leaves this struct except into the driver: `redacted` is what
// messages and logs show.
//
// Thread-safety: plain values and a pure function.
#pragma once

#include "core/error.h"

#include <QSqlDatabase>
#include <QString>
#include <QStringList>
#include <optional>

namespace clerk::store {

struct PostgresLocation {
    QString host{};
    int port = 5432;
    QString user{};
    std::optional<QString> password{};  // from the URL or a reference; nullopt: libpq's own sources
    QString database{};
    QStringList connectOptions{};       // libpq conninfo "key=value" pairs (passfile, sslmode, ...)
    QString redacted{};                 // postgresql://USER@HOST:PORT/DBNAME
};

// Parses `url` (see openWorkStore for the form). A password written as "${file:PATH}" or
// "${env:NAME}" is read here. Errors: InvalidArgument (malformed, no database, unknown
// parameter), NotFound / PermissionDenied (the password reference cannot be read). No
// message holds the password.
Result<PostgresLocation> parsePostgresLocation(const QString &url);

// Adds the Qt SQL connection `name` to the database `target` names, not yet opened.
QSqlDatabase addPostgresConnection(const QString &name, const PostgresLocation &target);

} // namespace clerk::store
