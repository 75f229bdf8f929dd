#include "store/migrations_p.h"

#include "core/logging.h"
#include "store/sql_work_store_p.h"

#include <QRegularExpression>
#include <QSqlDatabase>

namespace clerk::store {

namespace {

// Fills the dialect's pieces into a statement: INTEGER becomes the dialect's 64-bit
// integer type, {pk} the generated integer key column, {blob} the raw-bytes type.
QString forDialect(QString sql, const SqlDialect &dialect)
{
    static const QRegularExpression integer(QStringLiteral("\\bINTEGER\\b"));
    sql.replace(integer, dialect.integerType);
    sql.replace(QLatin1String("{pk}"), dialect.autoIncrementKey);
    sql.replace(QLatin1String("{blob}"), dialect.blobType);
    return sql;
}

// Version 1: the first schema. Times are INTEGER milliseconds since the epoch (UTC);
// JSON is stored as TEXT.
void appendFirstSchema(QList<Migration> &steps, const SqlDialect &dialect)
{
    Migration first{1, QStringLiteral("work items, exception items, outbox, events"), {}};
    const QStringList v1 = {
        QStringLiteral("CREATE TABLE bot_definitions ("
                       " digest TEXT PRIMARY KEY,"
                       " bot TEXT NOT NULL,"
                       " version TEXT NOT NULL,"
                       " source {blob} NOT NULL,"
                       " base_dir TEXT NOT NULL DEFAULT '',"
                       " stored_at INTEGER NOT NULL)"),
        QStringLiteral("CREATE TABLE work_items ("
                       " id {pk},"
                       " bot TEXT NOT NULL,"
                       " bot_version TEXT NOT NULL DEFAULT '',"
                       " definition_digest TEXT NOT NULL DEFAULT '',"
                       " source_ref TEXT NOT NULL,"
                       " payload TEXT NOT NULL DEFAULT '{}',"
                       " state TEXT NOT NULL,"
                       " attempts INTEGER NOT NULL DEFAULT 0,"
                       " step_cursor INTEGER NOT NULL DEFAULT 0,"
                       " step_outputs TEXT NOT NULL DEFAULT '{}',"
                       " lease_owner TEXT,"
                       " lease_expires_at INTEGER,"
                       " not_before INTEGER NOT NULL,"
                       " priority INTEGER NOT NULL DEFAULT 0,"
                       " last_error TEXT,"
                       " created_at INTEGER NOT NULL,"
                       " updated_at INTEGER NOT NULL,"
                       " finished_at INTEGER,"
                       " UNIQUE (bot, source_ref),"
                       " CHECK (state IN ('queued', 'leased', 'waiting_for_human', 'done', 'failed', 'cancelled')))"),
        QStringLiteral("CREATE INDEX work_items_lease ON work_items (state, not_before, priority, id)"),
        QStringLiteral("CREATE TABLE exception_items ("
                       " id {pk},"
                       " item_id INTEGER NOT NULL REFERENCES work_items (id),"
                       " bot TEXT NOT NULL,"
                       " step_index INTEGER NOT NULL,"
                       " step_id TEXT NOT NULL,"
                       " team TEXT NOT NULL,"
                       " reason TEXT NOT NULL,"
                       " evidence TEXT NOT NULL DEFAULT '{}',"
                       " choices TEXT NOT NULL DEFAULT '[]',"
                       " fields TEXT NOT NULL DEFAULT '[]',"
                       " partial_outputs TEXT NOT NULL DEFAULT '{}',"
                       " state TEXT NOT NULL,"
                       " created_at INTEGER NOT NULL,"
                       " sla_due_at INTEGER,"
                       " claimed_by TEXT,"
                       " claim_expires_at INTEGER,"
                       " decision TEXT,"
                       " decided_by TEXT,"
                       " decided_at INTEGER,"
                       " CHECK (state IN ('open', 'claimed', 'resolved', 'rejected')))"),
        QStringLiteral("CREATE INDEX exception_items_queue ON exception_items (state, team, sla_due_at)"),
        QStringLiteral("CREATE INDEX exception_items_item ON exception_items (item_id)"),
        QStringLiteral("CREATE TABLE outbox ("
                       " key TEXT PRIMARY KEY,"
                       " item_id INTEGER NOT NULL,"
                       " step_index INTEGER NOT NULL,"
                       " state TEXT NOT NULL,"
                       " created_at INTEGER NOT NULL,"
                       " finished_at INTEGER)"),
        QStringLiteral("CREATE TABLE events ("
                       " id {pk},"
                       " at INTEGER NOT NULL,"
                       " item_id INTEGER,"
                       " bot TEXT,"
                       " kind TEXT NOT NULL,"
                       " actor TEXT,"
                       " detail TEXT NOT NULL DEFAULT '{}')"),
        QStringLiteral("CREATE INDEX events_item ON events (item_id, id)"),
    };
    for (const QString &sql : v1)
        first.statements.append(forDialect(sql, dialect));
    first.statements.append(dialect.appendOnlyTriggers(QStringLiteral("events")));
    steps.append(first);
}

// Versions 2 and 3: leader leases and paused bots.
void appendClusterControls(QList<Migration> &steps, const SqlDialect &dialect)
{
    // Version 2: named leader leases for work done once per cluster
    // (WorkStore::tryAcquireLeadership). owner '' and expires_at 0: released.
    Migration second{2, QStringLiteral("leader leases"), {}};
    second.statements.append(forDialect(QStringLiteral("CREATE TABLE leader_leases ("
                                                       " name TEXT PRIMARY KEY,"
                                                       " owner TEXT NOT NULL,"
                                                       " term INTEGER NOT NULL,"
                                                       " acquired_at INTEGER NOT NULL,"
                                                       " expires_at INTEGER NOT NULL)"),
                                        dialect));
    steps.append(second);

    // Version 3: bots paused by an operator (WorkStore::setBotPaused).
    Migration third{3, QStringLiteral("paused bots"), {}};
    third.statements.append(forDialect(QStringLiteral("CREATE TABLE bot_controls ("
                                                      " bot TEXT PRIMARY KEY,"
                                                      " paused INTEGER NOT NULL,"
                                                      " changed_by TEXT NOT NULL,"
                                                      " changed_at INTEGER NOT NULL)"),
                                       dialect));
    steps.append(third);
}

// Versions 4 to 6: people, and the indexes of the queue's and the lease's order.
void appendPeopleAndOrder(QList<Migration> &steps, const SqlDialect &dialect)
{
    // Version 4: people who clear the exception queue (accounts, signed-in sessions, API
    // tokens, sign-in attempts for slowing down guessing), and the indexes the web queue
    // and reports read by.
    Migration fourth{4, QStringLiteral("people and sessions"), {}};
    const QStringList v4 = {
        QStringLiteral("CREATE TABLE users ("
                       " name TEXT PRIMARY KEY,"
                       " team TEXT NOT NULL,"
                       " role TEXT NOT NULL,"
                       " password_hash TEXT NOT NULL DEFAULT '',"
                       " disabled INTEGER NOT NULL DEFAULT 0,"
                       " created_at INTEGER NOT NULL,"
                       " password_changed_at INTEGER,"
                       " CHECK (role IN ('operator', 'lead', 'admin')))"),
        QStringLiteral("CREATE TABLE web_sessions ("
                       " id_hash TEXT PRIMARY KEY,"
                       " user_name TEXT NOT NULL,"
                       " csrf_token TEXT NOT NULL,"
                       " address TEXT NOT NULL DEFAULT '',"
                       " created_at INTEGER NOT NULL,"
                       " last_seen_at INTEGER NOT NULL)"),
        QStringLiteral("CREATE INDEX web_sessions_user ON web_sessions (user_name)"),
        QStringLiteral("CREATE TABLE api_tokens ("
                       " id_hash TEXT PRIMARY KEY,"
                       " name TEXT NOT NULL,"
                       " user_name TEXT NOT NULL,"
                       " created_at INTEGER NOT NULL)"),
        QStringLiteral("CREATE TABLE sign_in_attempts ("
                       " id {pk},"
                       " at INTEGER NOT NULL,"
                       " user_name TEXT NOT NULL,"
                       " address TEXT NOT NULL,"
                       " succeeded INTEGER NOT NULL)"),
        QStringLiteral("CREATE INDEX sign_in_attempts_user ON sign_in_attempts (user_name, at)"),
        QStringLiteral("CREATE INDEX sign_in_attempts_address ON sign_in_attempts (address, at)"),
        QStringLiteral("CREATE INDEX events_kind ON events (kind, at)"),
    };
    for (const QString &sql : v4)
        fourth.statements.append(forDialect(sql, dialect));
    steps.append(fourth);

    // Version 5: the web queue reads undecided items of a team (or of every team) soonest
    // SLA first, items without an SLA last; these partial indexes give that order without
    // sorting the whole queue on every page.
    Migration fifth{5, QStringLiteral("exception queue order"), {}};
    fifth.statements.append(forDialect(
        QStringLiteral("CREATE INDEX exception_items_team_due ON exception_items"
                       " (team, COALESCE(sla_due_at, 9223372036854775807), id) WHERE state IN ('open', 'claimed')"),
        dialect));
    fifth.statements.append(forDialect(
        QStringLiteral("CREATE INDEX exception_items_due ON exception_items"
                       " (COALESCE(sla_due_at, 9223372036854775807), id) WHERE state IN ('open', 'claimed')"),
        dialect));
    steps.append(fifth);

    // Version 6: a worker asks for the best runnable item, highest priority then oldest.
    // Walking this index in that order finds it in a few rows whatever the queue's
    // length; the index of version 1 made every lease sort every queued item.
    Migration sixth{6, QStringLiteral("lease order"), {}};
    sixth.statements.append(forDialect(
        QStringLiteral("CREATE INDEX work_items_runnable ON work_items (priority DESC, id)"
                       " WHERE state IN ('queued', 'leased')"),
        dialect));
    steps.append(sixth);
}

// Version 7 on: token expiry and pruning, flagged shadow suggestions and quality checks,
// urgent work first.
void appendLaterSteps(QList<Migration> &steps, const SqlDialect &dialect)
{
    // Version 7: API tokens expire and can be revoked; slowing down guessing counts failures
    // per name and address pair (and per address, kept from version 4), and old attempts
    // and sessions are pruned by time. Names
    // longer than sign-in now accepts are dropped from the attempt log.
    Migration seventh{7, QStringLiteral("token expiry, pruned sign-in attempts and sessions"), {}};
    const QStringList v7 = {
        QStringLiteral("ALTER TABLE api_tokens ADD COLUMN expires_at INTEGER"),
        QStringLiteral("ALTER TABLE api_tokens ADD COLUMN revoked_at INTEGER"),
        QStringLiteral("CREATE INDEX api_tokens_user ON api_tokens (user_name)"),
        QStringLiteral("DROP INDEX sign_in_attempts_user"),
        QStringLiteral("DELETE FROM sign_in_attempts WHERE length(user_name) > 128"),
        QStringLiteral("CREATE INDEX sign_in_attempts_pair ON sign_in_attempts (user_name, address, at)"),
        QStringLiteral("CREATE INDEX sign_in_attempts_at ON sign_in_attempts (at)"),
        QStringLiteral("CREATE INDEX web_sessions_last_seen ON web_sessions (last_seen_at)"),
        QStringLiteral("CREATE INDEX web_sessions_created ON web_sessions (created_at)"),
    };
    for (const QString &sql : v7)
        seventh.statements.append(forDialect(sql, dialect));
    steps.append(seventh);

    // Version 8: exception items holding a shadow trial's suggestion are flagged when they
    // are opened (the store reads the evidence with ShadowSuggestion), so the shadow
    // figures find them by a column instead of searching the evidence's JSON text. Items
    // opened before are flagged here by that search, once; their evidence is still read
    // and checked when they are counted.
    Migration eighth{8, QStringLiteral("shadow suggestions flagged"), {}};
    const QStringList v8 = {
        QStringLiteral("ALTER TABLE exception_items ADD COLUMN suggested INTEGER NOT NULL DEFAULT 0"),
        QStringLiteral("UPDATE exception_items SET suggested = 1 WHERE evidence LIKE '%\"suggestion\"%'"),
        QStringLiteral("CREATE INDEX exception_items_suggested ON exception_items (bot, id) WHERE suggested = 1"),
    };
    for (const QString &sql : v8)
        eighth.statements.append(forDialect(sql, dialect));
    steps.append(eighth);

    // Version 9: quality checks (a learning step's sure decisions sent to a person blind)
    // are flagged when they are opened, for the live precision figures. Items opened
    // before are flagged here by a search of the evidence's text, once (Qt writes JSON
    // compact); their evidence is still read with the codec when they are counted.
    Migration ninth{9, QStringLiteral("quality checks flagged"), {}};
    const QStringList v9 = {
        QStringLiteral("ALTER TABLE exception_items ADD COLUMN quality_check INTEGER NOT NULL DEFAULT 0"),
        QStringLiteral("UPDATE exception_items SET quality_check = 1"
                       " WHERE suggested = 1 AND evidence LIKE '%\"quality_check\":true%'"),
        QStringLiteral("CREATE INDEX exception_items_quality_check ON exception_items (bot, id) WHERE quality_check = 1"),
    };
    for (const QString &sql : v9)
        ninth.statements.append(forDialect(sql, dialect));
    steps.append(ninth);

    // Version 10: urgent work first. An escalate rule gives an exception item a priority
    // and a label (urgency); the queue reads undecided items highest priority first, then
    // soonest SLA, and these indexes (replacing version 5's) give that order.
    Migration tenth{10, QStringLiteral("urgent exception items first"), {}};
    const QStringList v10 = {
        QStringLiteral("ALTER TABLE exception_items ADD COLUMN priority INTEGER NOT NULL DEFAULT 0"),
        QStringLiteral("ALTER TABLE exception_items ADD COLUMN urgency TEXT"),
        QStringLiteral("DROP INDEX exception_items_team_due"),
        QStringLiteral("DROP INDEX exception_items_due"),
        QStringLiteral("CREATE INDEX exception_items_team_order ON exception_items"
                       " (team, priority DESC, COALESCE(sla_due_at, 9223372036854775807), id)"
                       " WHERE state IN ('open', 'claimed')"),
        QStringLiteral("CREATE INDEX exception_items_order ON exception_items"
                       " (priority DESC, COALESCE(sla_due_at, 9223372036854775807), id)"
                       " WHERE state IN ('open', 'claimed')"),
    };
    for (const QString &sql : v10)
        tenth.statements.append(forDialect(sql, dialect));
    steps.append(tenth);

    // Version 11: why items go to people. Each exception item keeps the kind of its reason
    // (core/reason_kind.h) and the category the bot had in mind, for the breakdown on the
    // dashboard, in `clerk report` and /metrics. Older items are known as shadow trials or
    // quality checks by their flags, and as other otherwise.
    Migration eleventh{11, QStringLiteral("reason kinds of exception items"), {}};
    const QStringList v11 = {
        QStringLiteral("ALTER TABLE exception_items ADD COLUMN reason_kind TEXT NOT NULL DEFAULT 'other'"),
        QStringLiteral("ALTER TABLE exception_items ADD COLUMN category TEXT"),
        QStringLiteral("UPDATE exception_items SET reason_kind = 'quality_check' WHERE quality_check = 1"),
        QStringLiteral("UPDATE exception_items SET reason_kind = 'shadow' WHERE suggested = 1 AND quality_check = 0"),
        QStringLiteral("CREATE INDEX exception_items_created ON exception_items (created_at)"),
    };
    for (const QString &sql : v11)
        eleventh.statements.append(forDialect(sql, dialect));
    steps.append(eleventh);

    // Version 12: retention. An item whose contents a bot's retention erased says when;
    // the index finds a bot's finished items not yet erased, oldest first.
    Migration twelfth{12, QStringLiteral("retention of finished items"), {}};
    const QStringList v12 = {
        QStringLiteral("ALTER TABLE work_items ADD COLUMN erased_at INTEGER"),
        QStringLiteral("CREATE INDEX work_items_expiring ON work_items (bot, finished_at)"
                       " WHERE erased_at IS NULL AND state IN ('done', 'cancelled')"),
    };
    for (const QString &sql : v12)
        twelfth.statements.append(forDialect(sql, dialect));
    steps.append(twelfth);

    // Version 13: erasing an item (retention, a person's erasure request) blanks the
    // reasons people typed when they rejected it or passed it on, in its events; the
    // events stay, and no other change to them is allowed.
    Migration thirteenth{13, QStringLiteral("typed reasons of erased items blanked in events"), {}};
    thirteenth.statements.append(dialect.erasableReasonTriggers());
    steps.append(thirteenth);

    // Version 14: every lease and completion changes an item's state, so every index
    // holding the state gains an entry each time. Version 1's (state, not_before,
    // priority, id) no longer serves the lease (version 6's does) and the hot path finds
    // items by id; listing items in a state is served by version 6's index for queued and
    // leased ones, by the id order for done ones, and by this partial index for the few
    // that need a person or failed, which gains entries only when an item enters them.
    Migration fourteenth{14, QStringLiteral("lighter index of item states"), {}};
    const QStringList v14 = {
        QStringLiteral("DROP INDEX work_items_lease"),
        QStringLiteral("CREATE INDEX work_items_stopped ON work_items (state, id)"
                       " WHERE state IN ('waiting_for_human', 'failed', 'cancelled')"),
    };
    for (const QString &sql : v14)
        fourteenth.statements.append(forDialect(sql, dialect));
    steps.append(fourteenth);
}

Status rollbackWith(const QSqlDatabase &db, const QString &location, Error error)
{
    // The rollback can fail when SQLite already rolled back on the error; the first error
    // is the one worth reporting.
    (void)runSql(db, location, QStringLiteral("ROLLBACK"));
    return fail(std::move(error));
}

// What the tables of a database say about it: schema_version is clerk's; any other
// table in a database without a recorded version was made by something else.
struct TablesSeen {
    bool versioned = false;  // schema_version is there
    bool others = false;     // a table other than schema_version is there
};

Result<TablesSeen> tablesIn(const QSqlDatabase &db, const SqlDialect &dialect, const QString &location)
{
    auto tables = runSql(db, location, dialect.listTablesSql);
    if (!tables)
        return fail(tables.error());
    TablesSeen seen;
    while (tables->next()) {
        if (tables->value(0).toString() == QLatin1String("schema_version"))
            seen.versioned = true;
        else
            seen.others = true;
    }
    return seen;
}

// The highest version in schema_version, which must exist; 0 when it is empty.
Result<int> highestVersion(const QSqlDatabase &db, const QString &location)
{
    auto query = runSql(db, location, QStringLiteral("SELECT COALESCE(MAX(version), 0) FROM schema_version"));
    if (!query)
        return fail(query.error());
    const int current = query->next() ? query->value(0).toInt() : 0;
    query->finish();
    return current;
}

Error notClerkDatabase(const QString &location)
{
    return Error::corrupt(QStringLiteral("%1 is not a clerk database (or is damaged)").arg(location));
}

} // namespace

QList<Migration> migrationsFor(const SqlDialect &dialect)
{
    QList<Migration> steps;
    appendFirstSchema(steps, dialect);
    appendClusterControls(steps, dialect);
    appendPeopleAndOrder(steps, dialect);
    appendLaterSteps(steps, dialect);
    return steps;
}

int latestSchemaVersion()
{
    return int(migrationsFor(SqlDialect::sqlite()).size());
}

Error newerSchemaError(int current, int latest, const QString &location)
{
    return Error::invalidArgument(
               QStringLiteral("database schema version %1 is newer than this clerk (%2); upgrade clerk").arg(current).arg(latest))
        .withContext(location);
}

Result<int> recordedSchemaVersion(const QSqlDatabase &db, const SqlDialect &dialect, const QString &location)
{
    auto seen = tablesIn(db, dialect, location);
    if (!seen)
        return fail(seen.error());
    int current = 0;
    if (seen->versioned) {
        auto highest = highestVersion(db, location);
        if (!highest)
            return fail(highest.error());
        current = *highest;
    }
    if (current == 0 && seen->others)
        return fail(notClerkDatabase(location));
    return current;
}

Status migrateSchema(const QSqlDatabase &db, const SqlDialect &dialect, const QString &location, qint64 nowMs,
                     const std::function<void(int version, const QString &description)> &onApplied)
{
    const QList<Migration> steps = migrationsFor(dialect);
    const int latest = int(steps.size());

    for (;;) {
        if (auto begun = runSql(db, location, dialect.beginWrite); !begun)
            return fail(begun.error());
        // On PostgreSQL, writers do not lock each other out the way SQLite's do: two
        // processes creating the same table at once would fail, so migrations queue on an
        // advisory lock that the transaction holds to its end.
        if (!dialect.migrationLock.isEmpty()) {
            auto locked = runSql(db, location, dialect.migrationLock);
            if (!locked)
                return rollbackWith(db, location, locked.error());
        }

        // Everything below runs under the write lock, so the version read here cannot
        // change before this transaction commits.
        auto created = runSql(db, location,
                              forDialect(QStringLiteral("CREATE TABLE IF NOT EXISTS schema_version ("
                                                        " version INTEGER NOT NULL,"
                                                        " applied_at INTEGER NOT NULL)"),
                                         dialect));
        if (!created)
            return rollbackWith(db, location, created.error());

        // A write that changes nothing: SQLite only notices a read-only file when a
        // statement writes, and BEGIN IMMEDIATE alone does not.
        auto probe = runSql(db, location,
                            QStringLiteral("UPDATE schema_version SET applied_at = applied_at WHERE 1 = 0"));
        if (!probe)
            return rollbackWith(db, location, probe.error());

        auto highest = highestVersion(db, location);
        if (!highest)
            return rollbackWith(db, location, highest.error());
        const int current = *highest;

        if (current > latest)
            return rollbackWith(db, location, newerSchemaError(current, latest, location));

        if (current == 0) {
            // A database with tables of its own but no schema_version was made by
            // something else: refuse to add ours to it.
            auto seen = tablesIn(db, dialect, location);
            if (!seen)
                return rollbackWith(db, location, seen.error());
            if (seen->others)
                return rollbackWith(db, location, notClerkDatabase(location));
        }

        if (current == latest) {
            if (auto committed = runSql(db, location, QStringLiteral("COMMIT")); !committed)
                return rollbackWith(db, location, committed.error());
            return {};
        }

        const Migration &step = steps.at(current);
        qCInfo(lcStore) << "migrating" << location << "to schema version" << step.version << "-"
                        << step.description;
        for (const QString &sql : step.statements) {
            auto applied = runSql(db, location, sql);
            if (!applied) {
                Error error = applied.error();
                error.withContext(QStringLiteral("schema migration %1").arg(step.version));
                return rollbackWith(db, location, std::move(error));
            }
        }
        auto recorded = runSql(db, location,
                               QStringLiteral("INSERT INTO schema_version (version, applied_at) VALUES (?, ?)"),
                               {step.version, nowMs});
        if (!recorded)
            return rollbackWith(db, location, recorded.error());
        if (auto committed = runSql(db, location, QStringLiteral("COMMIT")); !committed)
            return rollbackWith(db, location, committed.error());
        if (onApplied)
            onApplied(step.version, step.description);
    }
}

} // namespace clerk::store
