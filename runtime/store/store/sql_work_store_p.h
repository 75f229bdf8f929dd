// SqlWorkStore: the WorkStore on Qt SQL. Private to clerk_store.
//
// One class serves every SQL backend. What differs between SQLite and PostgreSQL (how a
// write transaction starts, the auto-increment key, the lock clause of the lease query,
// blobs, the append-only triggers) lives in a SqlDialect; the rest of the SQL is written
// once, in the common subset (ON CONFLICT ... DO NOTHING, RETURNING, bound parameters).
// Dialects: SQLite and PostgreSQL.
//
// Concurrency on PostgreSQL (READ COMMITTED): the lease query takes its row with
// FOR UPDATE SKIP LOCKED, so concurrent workers pick different items and never wait on
// each other; every other read that a write depends on locks its row (FOR UPDATE), and
// every update repeats the condition it depends on (state, lease owner, step cursor), so
// a change made by another process in between is seen, not overwritten. On SQLite the
// write transaction (BEGIN IMMEDIATE) serialises writers instead.
//
// Thread-safety: an object owns one QSqlDatabase connection and belongs to the thread
// that opened it.
#pragma once

#include "store/sqlite_writers_p.h"
#include "store/sql_dialect_p.h"
#include "store/work_store.h"

#include <QHash>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QVariant>

#include <initializer_list>

namespace clerk::store {

class SqlWorkStore final : public WorkStore {
public:
    // Opens the SQLite database at `path` (creating the folder and the file when needed)
    // and brings its schema up to date.
    static Result<std::unique_ptr<SqlWorkStore>> openSqlite(const QString &path, const Clock &clock,
                                                            StoreOptions options);
    // Connects to the PostgreSQL database named by `url` (see openWorkStore) and brings
    // its schema up to date; concurrent first opens migrate once.
    static Result<std::unique_ptr<SqlWorkStore>> openPostgres(const QString &url, const Clock &clock,
                                                              StoreOptions options);
    ~SqlWorkStore() override;

    SqlWorkStore(const SqlWorkStore &) = delete;
    SqlWorkStore &operator=(const SqlWorkStore &) = delete;

    // Work queue (sql_items.cpp; leasing and completing a step in sql_lease.cpp).
    Status saveDefinition(const QString &bot, const QString &version, const QString &digest, const QByteArray &source,
                          const QString &baseDir) override;
    Result<StoredDefinition> definition(const QString &digest) override;

    Result<EnqueueResult> enqueue(const NewItem &item) override;
    Result<std::optional<WorkItem>> leaseNext(const QString &owner, std::chrono::milliseconds leaseFor,
                                              const QStringList &bots) override;
    Result<QList<WorkItem>> leaseBatch(const QString &owner, std::chrono::milliseconds leaseFor, int max,
                                       const QStringList &bots) override;
    Status renewLease(qint64 itemId, const QString &owner, std::chrono::milliseconds leaseFor) override;
    Status releaseLease(qint64 itemId, const QString &owner) override;
    Status completeStep(qint64 itemId, const QString &owner, int stepIndex, const QString &stepId,
                        const QJsonObject &outputs, bool last) override;
    Result<QList<Status>> completeSteps(const QString &owner, const QList<CompletedStep> &steps) override;
    Result<qint64> handToPerson(qint64 itemId, const QString &owner, int stepIndex, const QString &stepId,
                                const HumanRequest &request, const QString &team, QDateTime slaDueAt) override;
    Status scheduleRetry(qint64 itemId, const QString &owner, QDateTime notBefore, const QString &reason) override;
    Status finishItem(qint64 itemId, const QString &owner) override;
    Status failItem(qint64 itemId, const QString &owner, const QString &reason) override;
    Status requeue(qint64 itemId, const QString &actor) override;

    Result<WorkItem> item(qint64 itemId) override;
    Result<QList<WorkItem>> items(const ItemFilter &filter) override;

    // Exception queue (sql_exceptions.cpp).
    Result<QList<ExceptionItem>> exceptions(const ExceptionFilter &filter) override;
    Result<ExceptionItem> exception(qint64 exceptionId) override;
    Status claim(qint64 exceptionId, const QString &actor, std::chrono::milliseconds claimFor) override;
    Status releaseClaim(qint64 exceptionId, const QString &actor) override;
    Result<qint64> resolve(qint64 exceptionId, const Decision &decision) override;
    Result<qint64> reject(qint64 exceptionId, const QString &actor, const QString &reason) override;
    Status reassign(qint64 exceptionId, const QString &team, const QString &actor, const QString &reason) override;
    Result<qint64> countExceptions(const ExceptionFilter &filter) override;

    // Outbox (sql_outbox.cpp).
    Result<bool> beginAction(const QString &key, qint64 itemId, int stepIndex) override;
    Status finishAction(const QString &key) override;
    Status abandonAction(const QString &key) override;
    Status recordNotice(qint64 itemId, const QString &bot, const QString &stepId, const QString &key,
                        NoticeOutcome outcome) override;
    Result<std::optional<SentAction>> sentAction(const QString &key) override;
    Status recordReply(qint64 itemId, qint64 replyItemId, const QString &key) override;

    // Leadership (sql_leadership.cpp).
    Result<bool> tryAcquireLeadership(const QString &name, const QString &owner,
                                      std::chrono::milliseconds leaseFor) override;
    Status renewLeadership(const QString &name, const QString &owner, std::chrono::milliseconds leaseFor) override;
    Status releaseLeadership(const QString &name, const QString &owner) override;
    Result<std::optional<LeaderInfo>> leader(const QString &name) override;

    // Paused bots, part of the work queue (sql_items.cpp).
    Status setBotPaused(const QString &bot, bool paused, const QString &actor) override;
    Result<QStringList> pausedBots() override;

    // People (sql_people.cpp).
    Status saveUser(const UserAccount &account, const QString &actor) override;
    Result<UserAccount> user(const QString &name) override;
    Result<QList<UserAccount>> users() override;
    Status saveSession(const WebSession &session) override;
    Result<WebSession> session(const QString &idHash) override;
    Status touchSession(const QString &idHash, QDateTime lastSeenAt) override;
    Status deleteSession(const QString &idHash) override;
    Status deleteSessionsOf(const QString &user) override;
    Status pruneSessions(QDateTime idleBefore, QDateTime openedBefore) override;
    Status saveApiToken(const ApiToken &token, const QString &actor) override;
    Result<ApiToken> apiToken(const QString &idHash) override;
    Result<QList<ApiToken>> apiTokensOf(const QString &user) override;
    Status revokeApiToken(const QString &tokenId, const QString &actor) override;
    Status recordSignIn(const QString &user, const QString &address, bool succeeded, QDateTime forgetBefore) override;
    Result<SignInFailures> signInFailures(const QString &user, const QString &address, QDateTime since) override;
    Result<SignInFailures> signInFailuresFrom(const QString &address, QDateTime since) override;

    // Figures (sql_figures.cpp).
    Result<StatusSummary> summary() override;
    Result<ItemFigures> itemFigures(const FigureWindow &window) override;
    Result<QList<BotLifetimeFigures>> lifetimeFigures(const QList<std::chrono::milliseconds> &durationBounds) override;
    Result<QList<TeamQueue>> exceptionQueues() override;
    Result<QList<ShadowAnswer>> shadowAnswers(const QString &bot, const QDateTime &since) override;
    Result<QList<LivePrecision>> livePrecision(const QString &bot, const QDateTime &since) override;
    Result<QList<StepAnswers>> answersPerStep() override;
    Result<QList<StepAnswers>> answersWithList(const QString &bot, const AnswersWithList &rule) override;
    Result<QList<ExceptionReasons>> exceptionReasons(const FigureWindow &window) override;
    Result<QList<NoticeFigures>> noticeFigures(const FigureWindow &window, bool byDay) override;

    // Retention
    Result<QList<WorkItem>> expiredItems(const QString &bot, const QDateTime &finishedBefore, int limit) override;
    Result<qint64> eraseItems(const QList<qint64> &ids, const QString &actor, Erasable which) override;
    Result<QList<StoredDefinitionRef>> latestDefinitions() override;

    // Event log (sql_events.cpp).
    Result<QList<Event>> events(qint64 itemId) override;
    Status recordBotEvent(const QString &bot, const QString &kind, const QString &actor,
                          const QJsonObject &detail) override;
    Status recordAuditEvent(const QString &kind, const QString &actor, const QJsonObject &detail) override;
    Result<QList<Event>> botEvents(const QString &bot, const QStringList &kinds, const QDateTime &since) override;
    void setAuditAddress(const QString &address) override;

private:
    SqlWorkStore(const SqlDialect &dialect, QString connectionName, QString location, const Clock &clock);

    Status initialiseSqlite(const StoreOptions &options);

    // Runs a statement on this store's connection. On PostgreSQL, a connection found dead
    // outside a transaction is opened again and the statement repeated once.
    Result<QSqlQuery> run(const QString &sql, const QList<QVariant> &binds = {});
    Result<QSqlQuery> runOnce(const QString &sql, const QList<QVariant> &binds);
    // Whether m_lastError says the session is gone (PostgreSQL).
    bool connectionLost() const;
    // Opens the PostgreSQL connection again with its session settings; false on failure.
    bool reconnect();
    Status initialisePostgresSession();
    Status begin();
    Status commit();
    void rollback();
    void giveTurn();

    // Runs `body` inside one write transaction: commits when it succeeds, rolls back when
    // it fails (or when the commit itself fails).
    template <typename Body>
    auto inWriteTransaction(Body &&body) -> decltype(body());

    Status appendEvent(qint64 itemId, const QString &bot, const QString &kind, const QString &actor,
                       const QJsonObject &detail);
    // An event's detail as stored: `detail` with the audit address when one is set.
    QString eventDetail(const QJsonObject &detail) const;

    // The hot path as single statements (SqlDialect::singleStatementHotPath).
    Result<QList<WorkItem>> leaseInOneStatement(const QString &owner, std::chrono::milliseconds leaseFor,
                                                const QString &runnableSql, QList<QVariant> runnableBinds);
    // A row the lease query found runnable.
    struct LeaseCandidate {
        qint64 id = 0;
        bool takeover = false;  // leased, its lease expired
        QString previousOwner{};
        QString bot{};
    };
    // Leases `candidate` as of `now`: nullopt when the row is no longer runnable.
    // REQUIRES: inside a write transaction.
    Result<std::optional<WorkItem>> leaseCandidate(const LeaseCandidate &candidate, const QString &owner,
                                                   std::chrono::milliseconds leaseFor, qint64 now);
    // completeSteps as one statement, for distinct items whose outputs are known.
    Result<QList<Status>> completeStepsInOneStatement(const QString &owner, const QList<CompletedStep> &steps);
    // Stores one step's outputs as completeStep does. A lost lease is the returned error
    // and leaves the transaction usable. REQUIRES: inside a write transaction, unless the
    // item's outputs are known (m_leasedOutputs) on the single-statement hot path.
    Status storeCompletion(const QString &owner, const CompletedStep &step);
    Status completeStepInOneStatement(qint64 itemId, const QString &owner, int stepIndex, const QString &stepId,
                                      const QJsonObject &stepOutputs, int outputCount, bool last);

    // The item's bot when `itemId` is leased by `owner`; Conflict when the lease was lost,
    // NotFound when there is no such item. REQUIRES: inside a write transaction.
    Result<QString> leasedItemBot(qint64 itemId, const QString &owner);
    struct LeasedItem {
        QString bot{};
        QJsonObject stepOutputs{};
    };
    // The item as `owner` holds it; Conflict when the lease was lost or the item's step
    // cursor is not at `stepIndex` (that step was already dealt with).
    Result<LeasedItem> leasedItemAtStep(qint64 itemId, const QString &owner, int stepIndex);
    // Ends `owner`'s lease on a leased item in one transaction: applies `assignments`
    // ("col = ?, ..." with `values` bound in order), clears the lease and appends the event.
    // Conflict when the lease was lost.
    Status endLease(qint64 itemId, const QString &owner, const QString &assignments, QList<QVariant> values,
                    const QString &eventKind, const QJsonObject &detail);
    // Conflict, or NotFound when the item does not exist. REQUIRES: inside a transaction.
    Error lostLease(qint64 itemId, const QString &owner);
    // `forUpdate`: inside a write transaction that then changes the row (locks it on
    // PostgreSQL).
    Result<ExceptionItem> loadException(qint64 exceptionId, bool forUpdate = false);
    // The WHERE clause (without "WHERE") and its binds for an exception filter.
    QString exceptionWhere(const ExceptionFilter &filter, qint64 now, QList<QVariant> &binds) const;
    // Retention (sql_retention.cpp): what an erased item's exception items keep, and its
    // events' typed reasons blanked; each returns how many it changed. REQUIRES: inside
    // a write transaction, after the item's erased_at is set.
    Result<int> eraseQuestions(qint64 itemId);
    Result<int> eraseTypedReasons(qint64 itemId);
    // " FOR UPDATE" on dialects that lock rows, else "".
    QString rowLock() const;

    const SqlDialect &m_dialect;
    const QString m_connectionName;
    const QString m_location;  // the file or URL, for messages
    const Clock &m_clock;
    QSqlDatabase m_db;
    QHash<QString, QSqlQuery> m_statements;  // prepared once, by SQL text (reusePreparedStatements)
    QSqlError m_lastError;                    // of the last statement that failed
    bool m_inTransaction = false;             // between begin() and commit() / rollback()
    std::chrono::milliseconds m_busyTimeout{5000};
    // SQLite: this process's writers to the file take turns (sqlite_writers_p.h); held
    // from begin() to commit() or rollback().
    std::shared_ptr<WriterTurns> m_turns;
    bool m_hasTurn = false;
    QString m_auditAddress;                   // stamped into every event's detail when set
    // The step outputs of items leased through this connection, as last stored, with the
    // step cursor they belong to; lets completeStep write without reading the row first.
    // An entry is only used when the update's own conditions (still leased by the owner,
    // at that step) hold, so a stale one can never be written.
    struct LeasedOutputs {
        int stepCursor = 0;
        QJsonObject outputs{};
    };
    QHash<qint64, LeasedOutputs> m_leasedOutputs;
    int m_enqueuedSinceAnalyze = 0;  // new items since this connection last ran ANALYZE (PostgreSQL)
};

// The file of a SQLite location: a path or "sqlite:PATH". InvalidArgument for an unknown
// scheme or no file.
Result<QString> sqliteFileOf(const QString &location);

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

} // namespace clerk::store
