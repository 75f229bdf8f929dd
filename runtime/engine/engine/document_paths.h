// Document paths: where the files an item names may lie, and what a value from data may
// add to a path the bot writes to.
//
// Items carry paths from outside: a webhook body, a source record or a CSV row may hold
// `file`, and a person's answer (a team) may be rendered into a folder name. Two rules
// keep them where the bot's author meant them to be (StepContext::documentPath and
// StepContext::targetPath apply them):
//   - a document an item names must lie under one of the bot's intake roots (its watched
//     folder, its mailbox's attachment folder, allowed_paths, clerk run's --input paths),
//     after symbolic links, `.` and `..` are resolved;
//   - a value rendered into a path the bot writes to is one plain name: no separator, no
//     `.` or `..`, no control character; and the path stays under the text written before
//     the template's first {{.
//
// Thread-safety: plain functions over their arguments (and the file system's current state).
#pragma once

#include "bot/bot_definition.h"
#include "core/error.h"
#include "core/work_item.h"

#include <QString>
#include <QStringList>

namespace clerk::engine {

// `absolutePath` with symbolic links, `.` and `..` resolved, as the operating system
// would resolve it when opening it. Works for paths whose last parts do not exist yet:
// the longest existing ancestor is resolved and the rest appended.
// REQUIRES: absolutePath is absolute.
QString canonicalPath(const QString &absolutePath);

// Whether `path` is `root` itself or lies under it. Both canonical (see canonicalPath).
bool liesUnder(const QString &path, const QString &root);

// Why `text` may not be inserted into a path as (part of) one name, or an empty string
// when it may: it holds a path separator (`/` or `\`, so also any absolute path), a NUL
// or another control character, or is `.` or `..`.
QString pathValueProblem(const QString &text);

// The canonical form of `absolutePath` when it lies under one of `roots` (absolute,
// canonicalised here). Otherwise PermissionDenied, whose message names the path and says
// where documents may lie.
// REQUIRES: absolutePath is absolute.
Result<QString> confineDocument(const QString &absolutePath, const QStringList &roots);

// The document an item was made from when clerk itself enqueued it from a file the
// operator gave it (clerk run --input, a watched folder): such an item's source reference
// is "file:<absolute path>#sha256:<digest>" (record_source.h), a form no data can choose:
// webhook bodies and records get "record:" references, mail "mail:". Empty for any other
// item. A document named this way is trusted wherever the item is resumed (a later clerk
// run with other inputs, clerk serve), since no intake roots are stored with the item.
QString enqueuedDocumentOf(const QString &sourceRef);

// The document a person may be shown for `item` of `bot` (the web queue's scan view):
// the place a move_file step last moved it to, else the file its input names, when that
// file still exists and the item could have read it: it is the file clerk enqueued the
// item from, or lies under the bot's intake roots. A move_file target is the engine's own
// (confined when it was written). Empty when there is no such file: a path a webhook body
// or record names outside the bot's folders is never shown.
QString documentForPeople(const WorkItem &item, const bot::BotDefinition &bot);

} // namespace clerk::engine
