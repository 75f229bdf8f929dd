// Where items come from: input files and a case system's list of new work.
//
// Each record becomes a work item once. Its source reference is "record:<id>" when the
// bot names an identifying field (input.id) and the record has it, so the same form
// offered again (in another file, or by the next poll) is no second item; otherwise a
// digest of its content, so only an identical record is recognised.
//
// readInputFile() takes:
//   .json            one object (a form or record), or an array of objects
//   .jsonl / .ndjson one object a line
//   .csv             a header row, then one record a row (all values text)
//   anything else    a document: {"file", "name", "size"}, known by path and content digest
// A record that cannot be used (not an object, bad JSON on its line) is returned with a
// problem and its place ("forms.jsonl:12"); the others are unaffected.
//
// pollSource() asks the bot's `source` operation for new records, enqueues each (durably,
// before anything else happens to it), then marks it as taken with the `mark`
// operation. A record whose marking fails stays enqueued; the next poll sees it again,
// finds its item, and marks it then.
//
// Thread-safety: reentrant; pollSource uses the given engine on the caller's thread.
#pragma once

#include "bot/bot_definition.h"
#include "core/error.h"
#include "engine/engine.h"

#include <QJsonObject>
#include <QList>
#include <QString>
#include <QStringList>

namespace clerk::engine {

struct SourceRecord {
    QString sourceRef;
    QJsonObject payload;
    QString origin;    // "forms.csv:12", or the file path for a whole-file record
    QString problem;   // non-empty: not usable, and why
};

// The records in one input file. NotFound / Unreadable when the file cannot be read.
Result<QList<SourceRecord>> readInputFile(const QString &path, const QString &idField);

// The source reference of a record (see above).
QString recordSourceRef(const QJsonObject &record, const QString &idField);

// Why a record does not fit `bot`, or empty when it does: with input.id, a record without
// a value for it; with input.fields, a record holding a field the bot does not declare
// (the id field is always allowed). Such a record is refused at the door (not enqueued)
// by clerk run and by the webhook intake. The message names fields, never values.
QString recordMisfit(const QJsonObject &record, const bot::BotDefinition &bot);

// Whether a file found in a folder given to clerk run --input is one of the bot's inputs
// (BotDefinition::inputFilePatterns, matched against the file name ignoring case).
bool isInputFileOf(const QString &fileName, const bot::BotDefinition &bot);

struct SourcePoll {
    int seen = 0;       // records the operation returned
    int created = 0;    // new items
    int marked = 0;     // records marked as taken
    QList<std::pair<SourceRecord, store::EnqueueResult>> items;  // every usable record and its item
    bool truncated = false;  // the list had more pages than paginate.max_pages
    QStringList problems;    // records skipped or not marked, and why (no personal values)
};

// Polls the bot's source once. Fails when the bot has no source, the connector is not
// known, or the list operation fails (Unavailable/Timeout: try again later).
Result<SourcePoll> pollSource(Engine &engine, const bot::BotDefinition &bot);

} // namespace clerk::engine
