// clerk.conf: settings an operator keeps in /etc/clerk instead of on every command line.
//
//   # /etc/clerk/clerk.conf
//   db = /var/lib/clerk/clerk.db          # keys before any [section]: every command that has the option
//   connectors = /etc/clerk/connectors
//   [serve]                               # keys for one command: its long option names
//   listen = 127.0.0.1:8080
//   workers = 4
//   trusted-proxy = 10.0.0.0/8            # a repeatable option may be given on several lines
//   cost-per-hour = 21.50
//
// The file is --config FILE, else $CLERK_CONFIG, else /etc/clerk/clerk.conf when it
// exists. A key is an option's long name without "--", its value the option's value;
// `true` sets a flag, `false` leaves it off. Options given on the command line win over
// the file. Secrets stay out of it: they go in the environment or files (${env:},
// ${file:}). `clerk config check` reports every problem as file:line.
//
// Thread-safety: plain functions.
#pragma once

#include "core/error.h"

#include <QList>
#include <QString>
#include <QStringList>
#include <optional>

namespace clerk::app {

struct ConfigEntry {
    QString section{};  // empty: before any [section]
    QString key{};
    QString value{};
    int line = 0;
};

struct ConfigFile {
    QString path{};
    QList<ConfigEntry> entries{};
};

// The file's path as `arguments` (a command's, without the program) and the environment
// name it: --config FILE / --config=FILE, else $CLERK_CONFIG, else /etc/clerk/clerk.conf
// when it exists; empty when none.
QString configPath(const QStringList &arguments);

// Reads and checks the syntax of `path`. InvalidArgument, as "FILE:LINE: problem", for a
// line that is not `key = value`, `[section]`, a comment or blank, or a key that is not
// an option name; NotFound when it cannot be read.
Result<ConfigFile> readConfig(const QString &path);

// The command-line arguments the file gives `command` ("serve"), in file order: its
// top-level entries and those of [command].
QStringList configArguments(const ConfigFile &file, const QString &command, QList<const ConfigEntry *> *from = nullptr);

} // namespace clerk::app
