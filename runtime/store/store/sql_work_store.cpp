#include "store/sql_work_store_p.h"

#include "core/logging.h"
#include "store/migrations_p.h"

#include <QDeadlineTimer>
#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QThread>

#include <atomic>
#include <unistd.h>

namespace clerk::store {

// --- dialects ----------------------------------------------------------------------------

namespace {

QStringList sqliteAppendOnlyTriggers(const QString &table)
{
    return {
        QStringLiteral("CREATE TRIGGER %1_no_update BEFORE UPDATE ON %1 "
                       "BEGIN SELECT RAISE(ABORT, '%1 are append-only'); END")
            .arg(table),
        QStringLiteral("CREATE TRIGGER %1_no_delete BEFORE DELETE ON %1 "
                       "BEGIN SELECT RAISE(ABORT, '%1 are append-only'); END")
            .arg(table),
    };
}

} // namespace

const SqlDialect &SqlDialect::sqlite()
{
    static const SqlDialect dialect{
        .driver = QStringLiteral("QSQLITE"),
        // A deferred BEGIN takes the write lock at the first write, and when another
        // connection wrote in between SQLite answers SQLITE_BUSY without waiting.
        .beginWrite = QStringLiteral("BEGIN IMMEDIATE"),
        // AUTOINCREMENT: ids of deleted rows are never handed out again.
        .autoIncrementKey = QStringLiteral("INTEGER PRIMARY KEY AUTOINCREMENT"),
        .blobType = QStringLiteral("BLOB"),
        .leaseLockClause = QString(),
        .appendOnlyTriggers = &sqliteAppendOnlyTriggers,
        .listTablesSql = QStringLiteral("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"),
    };
    return dialect;
}

// --- errors and statements ---------------------------------------------------------------

Error mapSqlError(const QSqlError &error, const QString &location, const QString &doing)
{
    bool ok = false;
    const int code = error.nativeErrorCode().toInt(&ok);
    // Extended result codes carry the primary code in their low byte.
    const int primary = ok ? (code & 0xff) : -1;
    switch (primary) {
    case 5:  // SQLITE_BUSY
    case 6:  // SQLITE_LOCKED
        return Error::unavailable(QStringLiteral("database %1 is locked by another process").arg(location));
    case 8:  // SQLITE_READONLY
        return Error::permissionDenied(QStringLiteral("database %1 is read-only").arg(location));
    case 11: // SQLITE_CORRUPT
    case 26: // SQLITE_NOTADB
        return Error::corrupt(QStringLiteral("%1 is not a clerk database (or is damaged)").arg(location));
    case 13: // SQLITE_FULL
        return Error::unavailable(QStringLiteral("the disk holding database %1 is full").arg(location));
    case 14: // SQLITE_CANTOPEN
        return Error::unavailable(QStringLiteral("cannot open database %1: %2").arg(location, error.text()));
    default:
        break;
    }
    // Values are always bound, so the driver text holds no personal data.
    return Error::internal(QStringLiteral("database %1: %2 failed: %3").arg(location, doing, error.text()));
}

Result<QSqlQuery> runSql(const QSqlDatabase &db, const QString &location, const QString &sql,
                         const QList<QVariant> &binds)
{
    QSqlQuery query(db);
    query.setForwardOnly(true);
    const auto what = [&sql] {
        const QString head = sql.simplified();
        return QStringLiteral("\"%1\"").arg(head.size() > 80 ? head.left(77) + QStringLiteral("...") : head);
    };
    if (!query.prepare(sql))
        return fail(mapSqlError(query.lastError(), location, what()));
    for (const QVariant &value : binds) {
        // Qt SQL binds a null QString or QByteArray as SQL NULL. Text and blobs bound here
        // mean a value, possibly empty; callers pass an invalid QVariant for NULL.
        if (value.typeId() == QMetaType::QString && value.toString().isNull())
            query.addBindValue(QStringLiteral(""));
        else if (value.typeId() == QMetaType::QByteArray && value.toByteArray().isNull())
            query.addBindValue(QByteArray("", 0));
        else
            query.addBindValue(value);
    }
    if (!query.exec()) {
        qCDebug(lcStore) << "statement failed:" << what() << "code" << query.lastError().nativeErrorCode()
                         << query.lastError().text();
        return fail(mapSqlError(query.lastError(), location, what()));
    }
    return query;
}

// --- value conversions -------------------------------------------------------------------

namespace {

const QString kItemColumns = QStringLiteral(
    "id, bot, bot_version, definition_digest, source_ref, payload, state, attempts, step_cursor, step_outputs,"
    " lease_owner, lease_expires_at, not_before, priority, last_error, created_at, updated_at, finished_at");

const QString kExceptionColumns = QStringLiteral(
    "id, item_id, bot, step_index, step_id, team, reason, evidence, choices, fields, state, created_at,"
    " sla_due_at, claimed_by, claim_expires_at, decision, decided_by, decided_at, partial_outputs");

// Both runnable conditions of leaseNext; each takes `now` twice as bound values.
const QString kRunnable = QStringLiteral(
    "((state = 'queued' AND not_before <= ?) OR (state = 'leased' AND lease_expires_at < ?))");

QVariant nullInt()
{
    return QVariant(QMetaType::fromType<qint64>());
}

QVariant msOrNull(const QDateTime &time)
{
    return time.isValid() ? QVariant(time.toMSecsSinceEpoch()) : nullInt();
}

QVariant textOrNull(const QString &text)
{
    return text.isEmpty() ? QVariant() : QVariant(text);
}

QDateTime timeFrom(const QVariant &value)
{
    if (value.isNull())
        return {};
    return QDateTime::fromMSecsSinceEpoch(value.toLongLong(), Qt::UTC);
}

QString jsonText(const QJsonObject &object)
{
    return QString::fromUtf8(QJsonDocument(object).toJson(QJsonDocument::Compact));
}

QString jsonText(const QJsonArray &array)
{
    return QString::fromUtf8(QJsonDocument(array).toJson(QJsonDocument::Compact));
}

QJsonObject objectFrom(const QVariant &value)
{
    return QJsonDocument::fromJson(value.toString().toUtf8()).object();
}

QJsonArray arrayFrom(const QVariant &value)
{
    return QJsonDocument::fromJson(value.toString().toUtf8()).array();
}

// Reads one row selected with kItemColumns.
WorkItem itemFrom(const QSqlQuery &query)
{
    WorkItem item;
    item.id = query.value(0).toLongLong();
    item.bot = query.value(1).toString();
    item.botVersion = query.value(2).toString();
    item.definitionDigest = query.value(3).toString();
    item.sourceRef = query.value(4).toString();
    item.payload = objectFrom(query.value(5));
    item.state = itemStateFromString(query.value(6).toString()).value_or(ItemState::Failed);
    item.attempts = query.value(7).toInt();
    item.stepCursor = query.value(8).toInt();
    item.stepOutputs = objectFrom(query.value(9));
    item.leaseOwner = query.value(10).toString();
    item.leaseExpiresAt = timeFrom(query.value(11));
    item.notBefore = timeFrom(query.value(12));
    item.priority = query.value(13).toInt();
    item.lastError = query.value(14).toString();
    item.createdAt = timeFrom(query.value(15));
    item.updatedAt = timeFrom(query.value(16));
    item.finishedAt = timeFrom(query.value(17));
    return item;
}

// Reads one row selected with kExceptionColumns. A claim that has run out is shown as
// open: anyone may take the item again.
ExceptionItem exceptionFrom(const QSqlQuery &query, qint64 nowMs)
{
    ExceptionItem item;
    item.id = query.value(0).toLongLong();
    item.itemId = query.value(1).toLongLong();
    item.bot = query.value(2).toString();
    item.stepIndex = query.value(3).toInt();
    item.stepId = query.value(4).toString();
    item.team = query.value(5).toString();
    item.reason = query.value(6).toString();
    item.evidence = objectFrom(query.value(7));
    item.choices = HumanRequest::choicesFromJson(arrayFrom(query.value(8)));
    for (const QJsonValue &field : arrayFrom(query.value(9)))
        item.fields.append(field.toString());
    item.state = exceptionStateFromString(query.value(10).toString()).value_or(ExceptionState::Open);
    item.createdAt = timeFrom(query.value(11));
    item.slaDueAt = timeFrom(query.value(12));
    item.claimedBy = query.value(13).toString();
    item.claimExpiresAt = timeFrom(query.value(14));
    item.decision = objectFrom(query.value(15));
    item.decidedBy = query.value(16).toString();
    item.decidedAt = timeFrom(query.value(17));
    item.partialOutputs = objectFrom(query.value(18));
    if (item.state == ExceptionState::Claimed && item.claimExpiresAt.isValid()
        && item.claimExpiresAt.toMSecsSinceEpoch() < nowMs) {
        item.state = ExceptionState::Open;
        item.claimedBy.clear();
        item.claimExpiresAt = {};
    }
    return item;
}

QString describe(const QDateTime &time)
{
    return time.toUTC().toString(Qt::ISODate);
}

} // namespace

// --- lifetime ----------------------------------------------------------------------------

SqlWorkStore::SqlWorkStore(const SqlDialect &dialect, QString connectionName, QString location, const Clock &clock)
    : m_dialect(dialect), m_connectionName(std::move(connectionName)), m_location(std::move(location)), m_clock(clock)
{
}

SqlWorkStore::~SqlWorkStore()
{
    // Every QSqlQuery is local to a call, so none is alive here; the handle must be
    // dropped before removeDatabase, or Qt warns that the connection is still in use.
    if (m_db.isValid())
        m_db.close();
    m_db = QSqlDatabase();
    QSqlDatabase::removeDatabase(m_connectionName);
}

Result<std::unique_ptr<SqlWorkStore>> SqlWorkStore::openSqlite(const QString &path, const Clock &clock,
                                                               StoreOptions options)
{
    if (path.trimmed().isEmpty())
        return fail(Error::invalidArgument(QStringLiteral("no database file given")));

    const QFileInfo file(path);
    const QString location = file.absoluteFilePath();
    const QString folder = file.absolutePath();
    if (file.isDir())
        return fail(Error::invalidArgument(QStringLiteral("%1 is a folder, not a database file").arg(location)));
    if (!QFileInfo(folder).isDir() && !QDir().mkpath(folder)) {
        return fail(Error::permissionDenied(
            QStringLiteral("cannot create folder %1 for database %2").arg(folder, location)));
    }
    // SQLite would only say "unable to open database file".
    if (!file.exists() && ::access(QFile::encodeName(folder).constData(), W_OK) != 0) {
        return fail(Error::permissionDenied(
            QStringLiteral("database %1 is read-only: its folder cannot be written").arg(location)));
    }

    const SqlDialect &dialect = SqlDialect::sqlite();
    if (!QSqlDatabase::isDriverAvailable(dialect.driver)) {
        return fail(Error::unavailable(
            QStringLiteral("the Qt SQLite driver (%1) is not installed").arg(dialect.driver)));
    }

    static std::atomic<quint64> connections{0};
    const QString name = QStringLiteral("clerk-store-%1").arg(++connections);
    std::unique_ptr<SqlWorkStore> store(new SqlWorkStore(dialect, name, location, clock));
    store->m_db = QSqlDatabase::addDatabase(dialect.driver, name);
    store->m_db.setDatabaseName(location);
    store->m_db.setConnectOptions(QStringLiteral("QSQLITE_BUSY_TIMEOUT=%1").arg(options.busyTimeout.count()));
    if (!store->m_db.open())
        return fail(mapSqlError(store->m_db.lastError(), location, QStringLiteral("opening")));
    if (auto ready = store->initialiseSqlite(options.busyTimeout); !ready)
        return fail(ready.error());
    return store;
}

Status SqlWorkStore::initialiseSqlite(std::chrono::milliseconds busyTimeout)
{
    // The first statement reads the file header: a file that is not a database fails here.
    // Switching a new database to WAL takes an exclusive lock, and when two connections
    // try at once SQLite answers SQLITE_BUSY without calling its busy handler (it would
    // deadlock), so the waiting is done here.
    QDeadlineTimer deadline(busyTimeout);
    QString mode;
    for (;;) {
        auto journal = run(QStringLiteral("PRAGMA journal_mode = WAL"));
        if (journal) {
            mode = journal->next() ? journal->value(0).toString() : QString();
            journal->finish();
            break;
        }
        if (journal.error().code() != ErrorCode::Unavailable || deadline.hasExpired())
            return fail(journal.error());
        QThread::msleep(5);
    }
    if (mode.compare(QLatin1String("wal"), Qt::CaseInsensitive) != 0) {
        return fail(Error::unavailable(
            QStringLiteral("database %1 cannot use write-ahead logging (journal mode stays \"%2\"); "
                           "keep it on a local disk")
                .arg(m_location, mode)));
    }
    for (const QString &pragma : {QStringLiteral("PRAGMA synchronous = FULL"), QStringLiteral("PRAGMA foreign_keys = ON")}) {
        if (auto set = run(pragma); !set)
            return fail(set.error());
    }
    return migrateSchema(m_db, m_dialect, m_location, m_clock.nowMs());
}

// --- transactions ------------------------------------------------------------------------

Result<QSqlQuery> SqlWorkStore::run(const QString &sql, const QList<QVariant> &binds)
{
    return runSql(m_db, m_location, sql, binds);
}

Status SqlWorkStore::begin()
{
    if (auto begun = run(m_dialect.beginWrite); !begun)
        return fail(begun.error());
    return {};
}

Status SqlWorkStore::commit()
{
    if (auto committed = run(QStringLiteral("COMMIT")); !committed)
        return fail(committed.error());
    return {};
}

void SqlWorkStore::rollback()
{
    // Fails harmlessly when SQLite already rolled the transaction back on the error.
    if (auto rolledBack = run(QStringLiteral("ROLLBACK")); !rolledBack)
        qCDebug(lcStore) << "rollback:" << rolledBack.error().toString();
}

template <typename Body>
auto SqlWorkStore::inWriteTransaction(Body &&body) -> decltype(body())
{
    if (auto begun = begin(); !begun)
        return fail(begun.error());
    auto result = body();
    if (!result) {
        rollback();
        return result;
    }
    if (auto committed = commit(); !committed) {
        rollback();
        return fail(committed.error());
    }
    return result;
}

Status SqlWorkStore::appendEvent(qint64 itemId, const QString &bot, const QString &kind, const QString &actor,
                                 const QJsonObject &detail)
{
    auto inserted = run(QStringLiteral("INSERT INTO events (at, item_id, bot, kind, actor, detail) VALUES (?, ?, ?, ?, ?, ?)"),
                        {m_clock.nowMs(), itemId > 0 ? QVariant(itemId) : nullInt(), textOrNull(bot), kind,
                         textOrNull(actor), jsonText(detail)});
    if (!inserted)
        return fail(inserted.error());
    return {};
}

Error SqlWorkStore::lostLease(qint64 itemId, const QString &owner)
{
    auto exists = run(QStringLiteral("SELECT 1 FROM work_items WHERE id = ?"), {itemId});
    if (!exists)
        return exists.error();
    if (!exists->next())
        return Error::notFound(QStringLiteral("there is no work item %1").arg(itemId));
    return Error::conflict(QStringLiteral("item %1 is no longer leased by %2").arg(itemId).arg(owner));
}

Result<QString> SqlWorkStore::leasedItemBot(qint64 itemId, const QString &owner)
{
    auto query = run(QStringLiteral("SELECT bot FROM work_items WHERE id = ? AND state = 'leased' AND lease_owner = ?"),
                     {itemId, owner});
    if (!query)
        return fail(query.error());
    if (!query->next())
        return fail(lostLease(itemId, owner));
    return query->value(0).toString();
}

// --- bot definitions ---------------------------------------------------------------------

Status SqlWorkStore::saveDefinition(const QString &bot, const QString &version, const QString &digest,
                                    const QByteArray &source, const QString &baseDir)
{
    if (digest.isEmpty())
        return fail(Error::invalidArgument(QStringLiteral("a bot definition needs a digest")));
    return inWriteTransaction([&]() -> Status {
        auto inserted = run(QStringLiteral("INSERT INTO bot_definitions (digest, bot, version, source, base_dir, stored_at)"
                                           " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (digest) DO NOTHING"),
                            {digest, bot, version, source, baseDir, m_clock.nowMs()});
        if (!inserted)
            return fail(inserted.error());
        return {};
    });
}

Result<StoredDefinition> SqlWorkStore::definition(const QString &digest)
{
    auto query = run(QStringLiteral("SELECT source, base_dir FROM bot_definitions WHERE digest = ?"), {digest});
    if (!query)
        return fail(query.error());
    if (!query->next())
        return fail(Error::notFound(QStringLiteral("no bot definition with digest %1 is stored").arg(digest)));
    return StoredDefinition{query->value(0).toByteArray(), query->value(1).toString()};
}

// --- work items --------------------------------------------------------------------------

Result<EnqueueResult> SqlWorkStore::enqueue(const NewItem &item)
{
    if (item.bot.isEmpty())
        return fail(Error::invalidArgument(QStringLiteral("a work item needs a bot")));
    if (item.sourceRef.isEmpty())
        return fail(Error::invalidArgument(QStringLiteral("a work item needs a source reference")));

    return inWriteTransaction([&]() -> Result<EnqueueResult> {
        const qint64 now = m_clock.nowMs();
        auto inserted = run(QStringLiteral("INSERT INTO work_items (bot, bot_version, definition_digest, source_ref,"
                                           " payload, state, attempts, step_cursor, step_outputs, not_before,"
                                           " priority, created_at, updated_at)"
                                           " VALUES (?, ?, ?, ?, ?, 'queued', 0, 0, '{}', ?, ?, ?, ?)"
                                           " ON CONFLICT (bot, source_ref) DO NOTHING RETURNING id"),
                            {item.bot, item.botVersion, item.definitionDigest, item.sourceRef, jsonText(item.payload),
                             now, item.priority, now, now});
        if (!inserted)
            return fail(inserted.error());
        if (inserted->next()) {
            const qint64 id = inserted->value(0).toLongLong();
            // A statement with RETURNING stays in progress until finished, and SQLite
            // refuses to commit while a write statement is in progress.
            inserted->finish();
            if (auto logged = appendEvent(id, item.bot, QStringLiteral("enqueued"), QString(),
                                          {{QStringLiteral("priority"), item.priority}});
                !logged)
                return fail(logged.error());
            return EnqueueResult{id, true, ItemState::Queued};
        }
        inserted->finish();

        auto existing = run(QStringLiteral("SELECT id, state FROM work_items WHERE bot = ? AND source_ref = ?"),
                            {item.bot, item.sourceRef});
        if (!existing)
            return fail(existing.error());
        if (!existing->next())
            return fail(Error::internal(QStringLiteral("item of bot %1 neither inserted nor found").arg(item.bot)));
        return EnqueueResult{existing->value(0).toLongLong(), false,
                             itemStateFromString(existing->value(1).toString()).value_or(ItemState::Queued)};
    });
}

Result<std::optional<WorkItem>> SqlWorkStore::leaseNext(const QString &owner, std::chrono::milliseconds leaseFor,
                                                        const QStringList &bots)
{
    if (owner.isEmpty())
        return fail(Error::invalidArgument(QStringLiteral("a lease needs an owner")));

    return inWriteTransaction([&]() -> Result<std::optional<WorkItem>> {
        const qint64 now = m_clock.nowMs();
        QString sql = QStringLiteral("SELECT id, state, lease_owner, bot FROM work_items WHERE ") + kRunnable;
        QList<QVariant> binds{now, now};
        if (!bots.isEmpty()) {
            QStringList marks;
            for (const QString &bot : bots) {
                marks.append(QStringLiteral("?"));
                binds.append(bot);
            }
            sql += QStringLiteral(" AND bot IN (") + marks.join(QLatin1Char(',')) + QLatin1Char(')');
        }
        sql += QStringLiteral(" ORDER BY priority DESC, id LIMIT 1");
        if (!m_dialect.leaseLockClause.isEmpty())
            sql += QLatin1Char(' ') + m_dialect.leaseLockClause;

        auto candidate = run(sql, binds);
        if (!candidate)
            return fail(candidate.error());
        if (!candidate->next())
            return std::optional<WorkItem>{};
        const qint64 id = candidate->value(0).toLongLong();
        const bool takeover = candidate->value(1).toString() == QLatin1String("leased");
        const QString previousOwner = candidate->value(2).toString();
        const QString bot = candidate->value(3).toString();
        candidate->finish();

        // The same runnable condition again: a row changed since the SELECT is not taken.
        auto updated = run(QStringLiteral("UPDATE work_items SET state = 'leased', lease_owner = ?, lease_expires_at = ?,"
                                          " attempts = attempts + ?, updated_at = ? WHERE id = ? AND ")
                               + kRunnable,
                           {owner, now + leaseFor.count(), takeover ? 1 : 0, now, id, now, now});
        if (!updated)
            return fail(updated.error());
        if (updated->numRowsAffected() != 1)
            return std::optional<WorkItem>{};

        auto row = run(QStringLiteral("SELECT ") + kItemColumns + QStringLiteral(" FROM work_items WHERE id = ?"), {id});
        if (!row)
            return fail(row.error());
        if (!row->next())
            return fail(Error::internal(QStringLiteral("leased item %1 vanished").arg(id)));
        WorkItem item = itemFrom(*row);
        row->finish();

        Status logged = takeover
            ? appendEvent(id, bot, QStringLiteral("lease_expired"), owner,
                          {{QStringLiteral("previous_owner"), previousOwner},
                           {QStringLiteral("attempts"), item.attempts}})
            : appendEvent(id, bot, QStringLiteral("leased"), owner, {{QStringLiteral("step_index"), item.stepCursor}});
        if (!logged)
            return fail(logged.error());
        return std::optional<WorkItem>{std::move(item)};
    });
}

Status SqlWorkStore::renewLease(qint64 itemId, const QString &owner, std::chrono::milliseconds leaseFor)
{
    return inWriteTransaction([&]() -> Status {
        const qint64 now = m_clock.nowMs();
        auto updated = run(QStringLiteral("UPDATE work_items SET lease_expires_at = ?, updated_at = ?"
                                          " WHERE id = ? AND state = 'leased' AND lease_owner = ?"),
                           {now + leaseFor.count(), now, itemId, owner});
        if (!updated)
            return fail(updated.error());
        if (updated->numRowsAffected() != 1)
            return fail(lostLease(itemId, owner));
        return {};
    });
}

Status SqlWorkStore::releaseLease(qint64 itemId, const QString &owner)
{
    return endLease(itemId, owner, QStringLiteral("state = 'queued', not_before = ?"), {m_clock.nowMs()},
                    QStringLiteral("lease_released"), {});
}

Result<SqlWorkStore::LeasedItem> SqlWorkStore::leasedItemAtStep(qint64 itemId, const QString &owner, int stepIndex)
{
    auto current = run(QStringLiteral("SELECT bot, step_cursor, step_outputs FROM work_items"
                                      " WHERE id = ? AND state = 'leased' AND lease_owner = ?"),
                       {itemId, owner});
    if (!current)
        return fail(current.error());
    if (!current->next())
        return fail(lostLease(itemId, owner));
    LeasedItem item{current->value(0).toString(), objectFrom(current->value(2))};
    const int cursor = current->value(1).toInt();
    current->finish();
    if (cursor != stepIndex) {
        return fail(Error::conflict(QStringLiteral("item %1 is at step %2, not step %3: that step was already dealt with")
                                        .arg(itemId)
                                        .arg(cursor)
                                        .arg(stepIndex)));
    }
    return item;
}

Status SqlWorkStore::completeStep(qint64 itemId, const QString &owner, int stepIndex, const QString &stepId,
                                  const QJsonObject &outputs, bool last)
{
    if (stepId.isEmpty())
        return fail(Error::invalidArgument(QStringLiteral("completing a step needs the step's id")));

    return inWriteTransaction([&]() -> Status {
        auto current = leasedItemAtStep(itemId, owner, stepIndex);
        if (!current)
            return fail(current.error());
        const QString bot = current->bot;
        QJsonObject stepOutputs = current->stepOutputs;
        stepOutputs.insert(stepId, outputs);

        const qint64 now = m_clock.nowMs();
        // The last step ends the item and its lease in the same statement.
        const QString sql = last
            ? QStringLiteral("UPDATE work_items SET step_outputs = ?, step_cursor = ?, updated_at = ?, state = 'done',"
                             " lease_owner = NULL, lease_expires_at = NULL, finished_at = ?"
                             " WHERE id = ? AND state = 'leased' AND lease_owner = ? AND step_cursor = ?")
            : QStringLiteral("UPDATE work_items SET step_outputs = ?, step_cursor = ?, updated_at = ?"
                             " WHERE id = ? AND state = 'leased' AND lease_owner = ? AND step_cursor = ?");
        QList<QVariant> binds{jsonText(stepOutputs), stepIndex + 1, now};
        if (last)
            binds.append(now);
        binds << itemId << owner << stepIndex;
        auto updated = run(sql, binds);
        if (!updated)
            return fail(updated.error());
        if (updated->numRowsAffected() != 1)
            return fail(lostLease(itemId, owner));

        if (auto logged = appendEvent(itemId, bot, QStringLiteral("step_done"), owner,
                                      {{QStringLiteral("step"), stepId},
                                       {QStringLiteral("step_index"), stepIndex},
                                       {QStringLiteral("outputs"), outputs.size()}});
            !logged)
            return logged;
        if (last)
            return appendEvent(itemId, bot, QStringLiteral("done"), owner, {{QStringLiteral("steps"), stepIndex + 1}});
        return {};
    });
}

Result<qint64> SqlWorkStore::handToPerson(qint64 itemId, const QString &owner, int stepIndex, const QString &stepId,
                                          const HumanRequest &request, const QString &team, QDateTime slaDueAt)
{
    const QString queue = team.isEmpty() ? request.team : team;

    return inWriteTransaction([&]() -> Result<qint64> {
        auto current = leasedItemAtStep(itemId, owner, stepIndex);
        if (!current)
            return fail(current.error());
        const QString bot = current->bot;

        const qint64 now = m_clock.nowMs();
        auto inserted = run(QStringLiteral("INSERT INTO exception_items (item_id, bot, step_index, step_id, team, reason,"
                                           " evidence, choices, fields, partial_outputs, state, created_at, sla_due_at)"
                                           " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', ?, ?) RETURNING id"),
                            {itemId, bot, stepIndex, stepId, queue, request.reason, jsonText(request.evidence),
                             jsonText(request.choicesJson()), jsonText(QJsonArray::fromStringList(request.fields)),
                             jsonText(request.outputs), now, msOrNull(slaDueAt)});
        if (!inserted)
            return fail(inserted.error());
        if (!inserted->next())
            return fail(Error::internal(QStringLiteral("no id came back for the exception item of item %1").arg(itemId)));
        const qint64 exceptionId = inserted->value(0).toLongLong();
        inserted->finish();

        auto updated = run(QStringLiteral("UPDATE work_items SET state = 'waiting_for_human', lease_owner = NULL,"
                                          " lease_expires_at = NULL, updated_at = ?"
                                          " WHERE id = ? AND state = 'leased' AND lease_owner = ?"),
                           {now, itemId, owner});
        if (!updated)
            return fail(updated.error());
        if (updated->numRowsAffected() != 1)
            return fail(lostLease(itemId, owner));

        if (auto logged = appendEvent(itemId, bot, QStringLiteral("needs_human"), owner,
                                      {{QStringLiteral("step"), stepId},
                                       {QStringLiteral("step_index"), stepIndex},
                                       {QStringLiteral("exception"), exceptionId},
                                       {QStringLiteral("team"), queue},
                                       {QStringLiteral("reason"), request.reason},
                                       {QStringLiteral("choices"), request.choices.size()}});
            !logged)
            return fail(logged.error());
        return exceptionId;
    });
}

Status SqlWorkStore::scheduleRetry(qint64 itemId, const QString &owner, QDateTime notBefore, const QString &reason)
{
    return inWriteTransaction([&]() -> Status {
        auto bot = leasedItemBot(itemId, owner);
        if (!bot)
            return fail(bot.error());
        const qint64 now = m_clock.nowMs();
        const qint64 due = notBefore.isValid() ? notBefore.toMSecsSinceEpoch() : now;
        auto updated = run(QStringLiteral("UPDATE work_items SET state = 'queued', attempts = attempts + 1,"
                                          " not_before = ?, last_error = ?, lease_owner = NULL, lease_expires_at = NULL,"
                                          " updated_at = ? WHERE id = ? AND state = 'leased' AND lease_owner = ?"
                                          " RETURNING attempts"),
                           {due, textOrNull(reason), now, itemId, owner});
        if (!updated)
            return fail(updated.error());
        if (!updated->next())
            return fail(lostLease(itemId, owner));
        const int attempts = updated->value(0).toInt();
        updated->finish();
        return appendEvent(itemId, *bot, QStringLiteral("retry"), owner,
                           {{QStringLiteral("reason"), reason},
                            {QStringLiteral("attempts"), attempts},
                            {QStringLiteral("not_before"), describe(QDateTime::fromMSecsSinceEpoch(due, Qt::UTC))}});
    });
}

Status SqlWorkStore::finishItem(qint64 itemId, const QString &owner)
{
    return endLease(itemId, owner, QStringLiteral("state = 'done', finished_at = ?"), {m_clock.nowMs()},
                    QStringLiteral("done"), {});
}

Status SqlWorkStore::failItem(qint64 itemId, const QString &owner, const QString &reason)
{
    return endLease(itemId, owner, QStringLiteral("state = 'failed', last_error = ?, finished_at = ?"),
                    {textOrNull(reason), m_clock.nowMs()}, QStringLiteral("failed"), {{QStringLiteral("reason"), reason}});
}

Status SqlWorkStore::endLease(qint64 itemId, const QString &owner, const QString &assignments, QList<QVariant> values,
                              const QString &eventKind, const QJsonObject &detail)
{
    return inWriteTransaction([&]() -> Status {
        auto bot = leasedItemBot(itemId, owner);
        if (!bot)
            return fail(bot.error());
        values << m_clock.nowMs() << itemId << owner;
        auto updated = run(QStringLiteral("UPDATE work_items SET ") + assignments
                               + QStringLiteral(", lease_owner = NULL, lease_expires_at = NULL, updated_at = ?"
                                                " WHERE id = ? AND state = 'leased' AND lease_owner = ?"),
                           values);
        if (!updated)
            return fail(updated.error());
        if (updated->numRowsAffected() != 1)
            return fail(lostLease(itemId, owner));
        return appendEvent(itemId, *bot, eventKind, owner, detail);
    });
}

Status SqlWorkStore::requeue(qint64 itemId, const QString &actor)
{
    return inWriteTransaction([&]() -> Status {
        auto current = run(QStringLiteral("SELECT bot, state, step_cursor FROM work_items WHERE id = ?"), {itemId});
        if (!current)
            return fail(current.error());
        if (!current->next())
            return fail(Error::notFound(QStringLiteral("there is no work item %1").arg(itemId)));
        const QString bot = current->value(0).toString();
        const QString state = current->value(1).toString();
        const int cursor = current->value(2).toInt();
        current->finish();
        if (state != QLatin1String("failed") && state != QLatin1String("cancelled")) {
            return fail(Error::conflict(
                QStringLiteral("item %1 is %2; only failed or cancelled items can be retried").arg(itemId).arg(state)));
        }
        const qint64 now = m_clock.nowMs();
        auto updated = run(QStringLiteral("UPDATE work_items SET state = 'queued', attempts = 0, not_before = ?,"
                                          " finished_at = NULL, updated_at = ?"
                                          " WHERE id = ? AND state IN ('failed', 'cancelled')"),
                           {now, now, itemId});
        if (!updated)
            return fail(updated.error());
        if (updated->numRowsAffected() != 1)
            return fail(Error::conflict(QStringLiteral("item %1 changed while being retried").arg(itemId)));
        return appendEvent(itemId, bot, QStringLiteral("requeued"), actor,
                           {{QStringLiteral("from"), state}, {QStringLiteral("step_index"), cursor}});
    });
}

Result<WorkItem> SqlWorkStore::item(qint64 itemId)
{
    auto query = run(QStringLiteral("SELECT ") + kItemColumns + QStringLiteral(" FROM work_items WHERE id = ?"), {itemId});
    if (!query)
        return fail(query.error());
    if (!query->next())
        return fail(Error::notFound(QStringLiteral("there is no work item %1").arg(itemId)));
    return itemFrom(*query);
}

Result<QList<WorkItem>> SqlWorkStore::items(const ItemFilter &filter)
{
    QString sql = QStringLiteral("SELECT ") + kItemColumns + QStringLiteral(" FROM work_items WHERE 1 = 1");
    QList<QVariant> binds;
    if (!filter.bot.isEmpty()) {
        sql += QStringLiteral(" AND bot = ?");
        binds.append(filter.bot);
    }
    if (filter.state) {
        sql += QStringLiteral(" AND state = ?");
        binds.append(toString(*filter.state));
    }
    sql += QStringLiteral(" ORDER BY id LIMIT ? OFFSET ?");
    binds.append(qMax(0, filter.limit));
    binds.append(qMax(0, filter.offset));

    auto query = run(sql, binds);
    if (!query)
        return fail(query.error());
    QList<WorkItem> found;
    while (query->next())
        found.append(itemFrom(*query));
    return found;
}

// --- exception queue ---------------------------------------------------------------------

Result<QList<ExceptionItem>> SqlWorkStore::exceptions(const ExceptionFilter &filter)
{
    const qint64 now = m_clock.nowMs();
    QString sql = QStringLiteral("SELECT ") + kExceptionColumns + QStringLiteral(" FROM exception_items WHERE ");
    QList<QVariant> binds;
    // An expired claim counts as open, as exceptionFrom() shows it.
    if (!filter.state) {
        sql += QStringLiteral("state IN ('open', 'claimed')");
    } else if (*filter.state == ExceptionState::Open) {
        sql += QStringLiteral("(state = 'open' OR (state = 'claimed' AND claim_expires_at < ?))");
        binds.append(now);
    } else if (*filter.state == ExceptionState::Claimed) {
        sql += QStringLiteral("state = 'claimed' AND claim_expires_at >= ?");
        binds.append(now);
    } else {
        sql += QStringLiteral("state = ?");
        binds.append(toString(*filter.state));
    }
    if (!filter.team.isEmpty()) {
        sql += QStringLiteral(" AND team = ?");
        binds.append(filter.team);
    }
    if (!filter.bot.isEmpty()) {
        sql += QStringLiteral(" AND bot = ?");
        binds.append(filter.bot);
    }
    // Items without an SLA go last.
    sql += QStringLiteral(" ORDER BY sla_due_at IS NULL, sla_due_at, id LIMIT ? OFFSET ?");
    binds.append(qMax(0, filter.limit));
    binds.append(qMax(0, filter.offset));

    auto query = run(sql, binds);
    if (!query)
        return fail(query.error());
    QList<ExceptionItem> found;
    while (query->next())
        found.append(exceptionFrom(*query, now));
    return found;
}

Result<ExceptionItem> SqlWorkStore::loadException(qint64 exceptionId)
{
    auto query = run(QStringLiteral("SELECT ") + kExceptionColumns + QStringLiteral(" FROM exception_items WHERE id = ?"),
                     {exceptionId});
    if (!query)
        return fail(query.error());
    if (!query->next())
        return fail(Error::notFound(QStringLiteral("there is no exception item %1").arg(exceptionId)));
    ExceptionItem found = exceptionFrom(*query, m_clock.nowMs());
    query->finish();
    return found;
}

Result<ExceptionItem> SqlWorkStore::exception(qint64 exceptionId)
{
    return loadException(exceptionId);
}

namespace {

// Conflict when `item` cannot be decided by `actor` now; loaded through exceptionFrom(),
// so an expired claim already reads as open.
std::optional<Error> decisionConflict(const ExceptionItem &item, const QString &actor)
{
    if (item.state == ExceptionState::Resolved || item.state == ExceptionState::Rejected) {
        return Error::conflict(
            QStringLiteral("exception %1 is already %2 by %3").arg(item.id).arg(toString(item.state), item.decidedBy));
    }
    if (item.state == ExceptionState::Claimed && item.claimedBy != actor) {
        return Error::conflict(QStringLiteral("exception %1 is claimed by %2 until %3")
                                   .arg(item.id)
                                   .arg(item.claimedBy, describe(item.claimExpiresAt)));
    }
    return std::nullopt;
}

} // namespace

Status SqlWorkStore::claim(qint64 exceptionId, const QString &actor, std::chrono::milliseconds claimFor)
{
    if (actor.isEmpty())
        return fail(Error::invalidArgument(QStringLiteral("claiming an exception item needs a person's name")));

    return inWriteTransaction([&]() -> Status {
        auto current = loadException(exceptionId);
        if (!current)
            return fail(current.error());
        if (auto conflict = decisionConflict(*current, actor))
            return fail(*conflict);
        const bool renewing = current->state == ExceptionState::Claimed;  // and by `actor`
        const qint64 now = m_clock.nowMs();
        auto updated = run(QStringLiteral("UPDATE exception_items SET state = 'claimed', claimed_by = ?,"
                                          " claim_expires_at = ? WHERE id = ? AND state IN ('open', 'claimed')"),
                           {actor, now + claimFor.count(), exceptionId});
        if (!updated)
            return fail(updated.error());
        if (renewing)
            return {};
        return appendEvent(current->itemId, current->bot, QStringLiteral("claimed"), actor,
                           {{QStringLiteral("exception"), exceptionId}});
    });
}

Status SqlWorkStore::releaseClaim(qint64 exceptionId, const QString &actor)
{
    return inWriteTransaction([&]() -> Status {
        auto current = run(QStringLiteral("SELECT item_id, bot, state, claimed_by FROM exception_items WHERE id = ?"),
                           {exceptionId});
        if (!current)
            return fail(current.error());
        if (!current->next())
            return fail(Error::notFound(QStringLiteral("there is no exception item %1").arg(exceptionId)));
        const qint64 itemId = current->value(0).toLongLong();
        const QString bot = current->value(1).toString();
        const QString state = current->value(2).toString();
        const QString claimedBy = current->value(3).toString();
        current->finish();
        // The claimer may give the item back even after the claim ran out, as long as
        // nobody else took it.
        if (state != QLatin1String("claimed") || claimedBy != actor) {
            return fail(Error::conflict(
                QStringLiteral("exception %1 is not claimed by %2").arg(exceptionId).arg(actor)));
        }
        auto updated = run(QStringLiteral("UPDATE exception_items SET state = 'open', claimed_by = NULL,"
                                          " claim_expires_at = NULL WHERE id = ? AND state = 'claimed' AND claimed_by = ?"),
                           {exceptionId, actor});
        if (!updated)
            return fail(updated.error());
        return appendEvent(itemId, bot, QStringLiteral("released"), actor, {{QStringLiteral("exception"), exceptionId}});
    });
}

Result<qint64> SqlWorkStore::resolve(qint64 exceptionId, const Decision &decision)
{
    if (decision.actor.isEmpty())
        return fail(Error::invalidArgument(QStringLiteral("a decision needs the name of the person who made it")));

    return inWriteTransaction([&]() -> Result<qint64> {
        auto current = loadException(exceptionId);
        if (!current)
            return fail(current.error());
        const ExceptionItem &exceptionItem = *current;
        if (auto conflict = decisionConflict(exceptionItem, decision.actor))
            return fail(*conflict);

        if (!decision.choice.isEmpty() && !exceptionItem.choices.isEmpty()) {
            QStringList offered;
            for (const HumanChoice &choice : exceptionItem.choices)
                offered.append(choice.value);
            if (!offered.contains(decision.choice)) {
                return fail(Error::invalidArgument(QStringLiteral("\"%1\" is not one of the offered choices: %2")
                                                       .arg(decision.choice, offered.join(QStringLiteral(", ")))));
            }
        }
        if (!exceptionItem.fields.isEmpty()) {
            for (auto it = decision.fields.begin(); it != decision.fields.end(); ++it) {
                if (!exceptionItem.fields.contains(it.key())) {
                    return fail(Error::invalidArgument(QStringLiteral("field \"%1\" was not asked for; the fields are: %2")
                                                           .arg(it.key(), exceptionItem.fields.join(QStringLiteral(", ")))));
                }
            }
        }

        auto work = run(QStringLiteral("SELECT state, step_cursor, step_outputs FROM work_items WHERE id = ?"),
                        {exceptionItem.itemId});
        if (!work)
            return fail(work.error());
        if (!work->next())
            return fail(Error::notFound(QStringLiteral("there is no work item %1").arg(exceptionItem.itemId)));
        const QString itemState = work->value(0).toString();
        const int cursor = work->value(1).toInt();
        QJsonObject stepOutputs = objectFrom(work->value(2));
        work->finish();
        if (itemState != QLatin1String("waiting_for_human") || cursor != exceptionItem.stepIndex) {
            return fail(Error::conflict(QStringLiteral("item %1 is not waiting for exception %2 (it is %3 at step %4)")
                                            .arg(exceptionItem.itemId)
                                            .arg(exceptionId)
                                            .arg(itemState)
                                            .arg(cursor)));
        }

        QJsonObject recorded{{QStringLiteral("choice"), decision.choice},
                             {QStringLiteral("fields"), decision.fields},
                             {QStringLiteral("note"), decision.note}};
        // The answer becomes the step's outputs: what the step already knew, then what the
        // picked choice implies, then the person's field values, each laid over the last.
        QJsonObject answer = exceptionItem.partialOutputs;
        if (!decision.choice.isEmpty()) {
            for (const HumanChoice &offered : exceptionItem.choices) {
                if (offered.value != decision.choice)
                    continue;
                const QJsonObject implied = offered.detail.value(QStringLiteral("outputs")).toObject();
                for (auto it = implied.begin(); it != implied.end(); ++it)
                    answer.insert(it.key(), it.value());
            }
        }
        for (auto it = decision.fields.begin(); it != decision.fields.end(); ++it)
            answer.insert(it.key(), it.value());
        if (!decision.choice.isEmpty()) {
            answer.insert(QStringLiteral("choice"), decision.choice);
            // A step that asked for one field and offered choices for it (route's team,
            // require's value) reads the picked choice as that field's value.
            if (exceptionItem.fields.size() == 1 && !decision.fields.contains(exceptionItem.fields.first()))
                answer.insert(exceptionItem.fields.first(), decision.choice);
        }
        answer.insert(QStringLiteral("decided_by"), decision.actor);
        stepOutputs.insert(exceptionItem.stepId, answer);

        const qint64 now = m_clock.nowMs();
        auto decided = run(QStringLiteral("UPDATE exception_items SET state = 'resolved', decision = ?, decided_by = ?,"
                                          " decided_at = ? WHERE id = ? AND state IN ('open', 'claimed')"),
                           {jsonText(recorded), decision.actor, now, exceptionId});
        if (!decided)
            return fail(decided.error());
        if (decided->numRowsAffected() != 1)
            return fail(Error::conflict(QStringLiteral("exception %1 changed while being resolved").arg(exceptionId)));

        auto resumed = run(QStringLiteral("UPDATE work_items SET state = 'queued', step_outputs = ?, step_cursor = ?,"
                                          " not_before = ?, attempts = 0, updated_at = ?"
                                          " WHERE id = ? AND state = 'waiting_for_human' AND step_cursor = ?"),
                           {jsonText(stepOutputs), exceptionItem.stepIndex + 1, now, now, exceptionItem.itemId,
                            exceptionItem.stepIndex});
        if (!resumed)
            return fail(resumed.error());
        if (resumed->numRowsAffected() != 1)
            return fail(Error::conflict(QStringLiteral("item %1 changed while being resumed").arg(exceptionItem.itemId)));

        QJsonObject detail{{QStringLiteral("exception"), exceptionId},
                           {QStringLiteral("step"), exceptionItem.stepId},
                           {QStringLiteral("fields"), decision.fields.size()}};
        if (!decision.choice.isEmpty())
            detail.insert(QStringLiteral("choice"), decision.choice);
        if (auto logged = appendEvent(exceptionItem.itemId, exceptionItem.bot, QStringLiteral("resolved"),
                                      decision.actor, detail);
            !logged)
            return fail(logged.error());
        if (auto logged = appendEvent(exceptionItem.itemId, exceptionItem.bot, QStringLiteral("resumed"), decision.actor,
                                      {{QStringLiteral("step_index"), exceptionItem.stepIndex + 1}});
            !logged)
            return fail(logged.error());
        return exceptionItem.itemId;
    });
}

Result<qint64> SqlWorkStore::reject(qint64 exceptionId, const QString &actor, const QString &reason)
{
    if (actor.isEmpty())
        return fail(Error::invalidArgument(QStringLiteral("a rejection needs the name of the person who made it")));

    return inWriteTransaction([&]() -> Result<qint64> {
        auto current = loadException(exceptionId);
        if (!current)
            return fail(current.error());
        if (auto conflict = decisionConflict(*current, actor))
            return fail(*conflict);

        const qint64 now = m_clock.nowMs();
        auto decided = run(QStringLiteral("UPDATE exception_items SET state = 'rejected', decision = ?, decided_by = ?,"
                                          " decided_at = ? WHERE id = ? AND state IN ('open', 'claimed')"),
                           {jsonText(QJsonObject{{QStringLiteral("rejected"), reason}}), actor, now, exceptionId});
        if (!decided)
            return fail(decided.error());
        if (decided->numRowsAffected() != 1)
            return fail(Error::conflict(QStringLiteral("exception %1 changed while being rejected").arg(exceptionId)));

        auto cancelled = run(QStringLiteral("UPDATE work_items SET state = 'cancelled', last_error = ?, finished_at = ?,"
                                            " updated_at = ? WHERE id = ? AND state = 'waiting_for_human'"),
                             {QStringLiteral("rejected by %1: %2").arg(actor, reason), now, now, current->itemId});
        if (!cancelled)
            return fail(cancelled.error());
        if (cancelled->numRowsAffected() != 1) {
            return fail(Error::conflict(
                QStringLiteral("item %1 is not waiting for exception %2").arg(current->itemId).arg(exceptionId)));
        }
        if (auto logged = appendEvent(current->itemId, current->bot, QStringLiteral("rejected"), actor,
                                      {{QStringLiteral("exception"), exceptionId},
                                       {QStringLiteral("step"), current->stepId},
                                       {QStringLiteral("reason"), reason}});
            !logged)
            return fail(logged.error());
        return current->itemId;
    });
}

// --- outbox ------------------------------------------------------------------------------

Result<bool> SqlWorkStore::beginAction(const QString &key, qint64 itemId, int stepIndex)
{
    if (key.isEmpty())
        return fail(Error::invalidArgument(QStringLiteral("an outbound action needs a key")));

    return inWriteTransaction([&]() -> Result<bool> {
        auto inserted = run(QStringLiteral("INSERT INTO outbox (key, item_id, step_index, state, created_at)"
                                           " VALUES (?, ?, ?, 'started', ?) ON CONFLICT (key) DO NOTHING"),
                            {key, itemId, stepIndex, m_clock.nowMs()});
        if (!inserted)
            return fail(inserted.error());
        return inserted->numRowsAffected() == 1;
    });
}

Status SqlWorkStore::finishAction(const QString &key)
{
    return inWriteTransaction([&]() -> Status {
        auto updated = run(QStringLiteral("UPDATE outbox SET state = 'done', finished_at = ? WHERE key = ?"),
                           {m_clock.nowMs(), key});
        if (!updated)
            return fail(updated.error());
        if (updated->numRowsAffected() != 1)
            return fail(Error::notFound(QStringLiteral("no outbound action with key %1 was begun").arg(key)));
        return {};
    });
}

Status SqlWorkStore::abandonAction(const QString &key)
{
    return inWriteTransaction([&]() -> Status {
        auto deleted = run(QStringLiteral("DELETE FROM outbox WHERE key = ? AND state = 'started'"), {key});
        if (!deleted)
            return fail(deleted.error());
        return {};
    });
}

// --- events and summaries ----------------------------------------------------------------

Result<QList<Event>> SqlWorkStore::events(qint64 itemId)
{
    auto query = run(QStringLiteral("SELECT id, at, item_id, bot, kind, actor, detail FROM events"
                                    " WHERE item_id = ? ORDER BY id"),
                     {itemId});
    if (!query)
        return fail(query.error());
    QList<Event> found;
    while (query->next()) {
        found.append(Event{query->value(0).toLongLong(), timeFrom(query->value(1)), query->value(2).toLongLong(),
                           query->value(3).toString(), query->value(4).toString(), query->value(5).toString(),
                           objectFrom(query->value(6))});
    }
    return found;
}

Result<StatusSummary> SqlWorkStore::summary()
{
    StatusSummary result;

    auto counts = run(QStringLiteral("SELECT bot, state, COUNT(*) FROM work_items GROUP BY bot, state ORDER BY bot"));
    if (!counts)
        return fail(counts.error());
    while (counts->next()) {
        const QString bot = counts->value(0).toString();
        if (result.bots.isEmpty() || result.bots.last().bot != bot)
            result.bots.append(BotCounts{.bot = bot});
        BotCounts &row = result.bots.last();
        const qint64 n = counts->value(2).toLongLong();
        switch (itemStateFromString(counts->value(1).toString()).value_or(ItemState::Failed)) {
        case ItemState::Queued: row.queued += n; break;
        case ItemState::Leased: row.leased += n; break;
        case ItemState::WaitingForHuman: row.waitingForHuman += n; break;
        case ItemState::Done: row.done += n; break;
        case ItemState::Failed: row.failed += n; break;
        case ItemState::Cancelled: row.cancelled += n; break;
        }
    }

    auto teams = run(QStringLiteral("SELECT team, COUNT(*), SUM(CASE WHEN sla_due_at < ? THEN 1 ELSE 0 END),"
                                    " MIN(created_at) FROM exception_items WHERE state IN ('open', 'claimed')"
                                    " GROUP BY team ORDER BY team"),
                     {m_clock.nowMs()});
    if (!teams)
        return fail(teams.error());
    while (teams->next()) {
        result.teams.append(TeamQueue{teams->value(0).toString(), teams->value(1).toLongLong(),
                                      teams->value(2).toLongLong(), timeFrom(teams->value(3))});
    }
    return result;
}

} // namespace clerk::store
