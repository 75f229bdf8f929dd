// WorkStore: the durable home of work items, exception items, outbound-action keys and
// the append-only event log.
//
// Every state change is one transaction that also appends its event row, so the audit
// trail and the metrics come from the same rows as the state. Calls that change a leased
// item take the lease owner and fail with Conflict when the lease was lost (expired and
// taken over by another worker), so a slow worker can never overwrite another's work.
//
// Backends: SQLite (WAL mode) for one machine, and PostgreSQL for several clerk
// processes on different machines sharing one database. Both are the same SQL store
// (see sql_work_store_p.h), behave the same and pass the same tests. Open one with
// openWorkStore().
//
// Thread-safety: a WorkStore object belongs to the thread that opened it (Qt SQL
// connections are per thread). Each worker thread opens its own; they share the database.
#pragma once

#include "core/clock.h"
#include "core/error.h"
#include "core/step_outcome.h"
#include "core/work_item.h"

#include <QDateTime>
#include <QJsonObject>
#include <QList>
#include <QString>
#include <QTimeZone>
#include <chrono>
#include <memory>
#include <optional>

namespace clerk::store {

// A bot file as stored for the items that run with it.
struct StoredDefinition {
    QByteArray source{};
    QString baseDir{};  // the bot file's folder: relative paths in its steps start there
};

struct NewItem {
    QString bot{};
    QString botVersion{};
    QString definitionDigest{};
    QString sourceRef{};     // unique per bot: enqueueing the same ref again returns the existing item
    QJsonObject payload{};
    int priority = 0;
};

struct EnqueueResult {
    qint64 id = 0;
    bool created = false;   // false: an item with this bot + sourceRef already existed
    ItemState state = ItemState::Queued;
};

enum class ExceptionState { Open, Claimed, Resolved, Rejected };
QString toString(ExceptionState state);
std::optional<ExceptionState> exceptionStateFromString(const QString &name);

struct ExceptionItem {
    qint64 id = 0;
    qint64 itemId = 0;
    QString bot{};
    int stepIndex = 0;
    QString stepId{};
    QString team{};
    QString reason{};
    QJsonObject evidence{};
    QList<HumanChoice> choices{};
    QStringList fields{};
    QJsonObject partialOutputs{};  // HumanRequest::outputs: the answer is laid over them
    ExceptionState state = ExceptionState::Open;
    QDateTime createdAt{};
    QDateTime slaDueAt{};
    QString claimedBy{};
    QDateTime claimExpiresAt{};
    QJsonObject decision{};  // {"choice": ..., "fields": {...}, "note": ...} or {"rejected": reason}
    QString decidedBy{};
    QDateTime decidedAt{};
};

struct ExceptionFilter {
    QString team{};                         // empty: all teams
    QString bot{};                          // empty: all bots
    std::optional<ExceptionState> state{};  // empty: open and claimed
    QString reason{};                       // empty: any; else reasons containing this text
    std::optional<bool> claimed{};          // true: only items with an unexpired claim; false: only unclaimed
    QDateTime createdBefore{};              // invalid: any age; else only items opened before this time
    QString claimedBy{};                    // empty: anyone's; else only items this person holds
    int limit = 100;
    int offset = 0;
};

struct ItemFilter {
    QString bot{};
    std::optional<ItemState> state{};
    int limit = 100;
    int offset = 0;
    std::optional<QStringList> bots{};  // set: only these bots' items (an empty list: none)
};

// A person's answer to an exception item.
struct Decision {
    QString actor{};         // who decided (user name)
    QString choice{};        // one of the offered choice values, or empty
    QJsonObject fields{};    // field values given by the person
    QString note{};
    // Outputs the answer implies beyond what the person typed, set by the step's own
    // check of the answer (engine::Step::checkAnswer), e.g. decision: matched for a
    // record id given as a field. Laid over the picked choice's outputs, under the fields.
    QJsonObject outputs{};
};

// --- people: accounts, sessions and API tokens for the web queue and its API ---------------
enum class Role { Operator, Lead, Admin };
// "operator", "lead", "admin".
QString toString(Role role);
std::optional<Role> roleFromString(const QString &name);

struct UserAccount {
    QString name{};
    QString team{};
    Role role = Role::Operator;
    QString passwordHash{};  // an encoded Argon2id hash ("$argon2id$..."); empty: cannot sign in with a password
    bool disabled = false;
    QDateTime createdAt{};
    QDateTime passwordChangedAt{};
};

// A signed-in browser. The store keeps a digest of the cookie's value, never the value.
struct WebSession {
    QString idHash{};
    QString user{};
    QString csrfToken{};
    QString address{};  // where it signed in from
    QDateTime createdAt{};
    QDateTime lastSeenAt{};
};

constexpr qsizetype kApiTokenIdLength = 12;

// A machine client's token; the store keeps its digest. It acts as `user` until it
// expires or is revoked.
struct ApiToken {
    QString idHash{};
    QString name{};
    QString user{};
    QDateTime createdAt{};
    QDateTime expiresAt{};  // invalid: never expires
    QDateTime revokedAt{};  // invalid: not revoked

    // What people call the token by (`clerk user tokens`, `clerk user revoke`): the first
    // kApiTokenIdLength hex digits of its digest, which tell nothing about the secret.
    QString id() const { return idHash.left(kApiTokenIdLength); }
    bool usableAt(const QDateTime &now) const
    {
        return !revokedAt.isValid() && (!expiresAt.isValid() || now < expiresAt);
    }
};

// The longest user name an account may have: sign-in refuses longer names before
// anything is written, so a stranger cannot fill the attempt log with long names.
constexpr qsizetype kMaxUserNameLength = 128;

// The most sessions one person keeps open (browsers, devices); signing in again ends the oldest.
constexpr int kMaxSessionsPerUser = 20;

// Failed sign-ins of one name from one address (see WorkStore::signInFailures).
struct SignInFailures {
    qint64 count = 0;
    QDateTime lastAt{};  // the latest failure; invalid when count is 0
};

struct Event {
    qint64 id = 0;
    QDateTime at{};
    qint64 itemId = 0;      // 0 for events not about one item
    QString bot{};
    QString kind{};          // "enqueued", "leased", "step_done", "needs_human", "retry", "failed",
                             // "done", "claimed", "released", "resolved", "rejected", "resumed", "lease_expired",
                             // "lease_released" (releaseLease), "requeued" (requeue); "released" is a claim's
    QString actor{};         // worker id or person
    QJsonObject detail{};    // no document text or personal fields
};

// Who holds a leadership (see WorkStore::tryAcquireLeadership).
struct LeaderInfo {
    QString name{};
    QString owner{};
    qint64 term = 0;         // grows by one each time the leadership changes hands
    QDateTime acquiredAt{};  // when `owner` took it
    QDateTime expiresAt{};   // when another may take it unless `owner` renews first
};

// Counts for `clerk status`.
struct BotCounts {
    QString bot{};
    qint64 queued = 0, leased = 0, waitingForHuman = 0, done = 0, failed = 0, cancelled = 0;
};
struct TeamQueue {
    QString team{};
    qint64 open = 0;
    qint64 breached = 0;     // open or claimed items past their SLA due time
    QDateTime oldestCreatedAt{};
};
struct StatusSummary {
    QList<BotCounts> bots{};
    QList<TeamQueue> teams{};
};

// --- figures: what operations staff watch (dashboard, `clerk report`, /metrics) ------------
// Counted from the event log, which every state change appends to: an item arrives with
// "enqueued", goes to a person with "needs_human", ends with "done", "failed" or
// "rejected" (cancelled). "Done straight through" means no exception item was ever
// opened for the item; "done after a person" means at least one was.
//
// Days are calendar days in FigureWindow::zone, Europe/London by default: councils work
// and read their figures by the local day, and in summer UTC days would put work done
// between midnight and 01:00 into the day before.
struct FigureWindow {
    QDateTime since{};                              // first instant counted (inclusive)
    QDateTime until{};                              // end (exclusive); invalid: up to and including now
    QString bot{};                                  // empty: every bot
    QTimeZone zone{QByteArrayLiteral("Europe/London")};  // whose calendar days
};

// One bot's figures for one day (or, in ItemFigures::totals, for the whole window).
struct DayFigures {
    QDate day{};                  // invalid in totals
    QString bot{};
    qint64 arrived = 0;           // items enqueued
    qint64 done = 0;              // items that ended done
    qint64 straightThrough = 0;   // ... with no exception item ever opened for them
    qint64 afterPerson = 0;       // ... after at least one person's answer
    qint64 toPerson = 0;          // items sent to a person (each counted once a day / window)
    qint64 failed = 0;            // times an item ended failed
    qint64 cancelled = 0;         // times an item was rejected by a person and so cancelled
    std::optional<double> medianMinutesToDone{};  // from arrival to done, of the items done
};

struct ItemFigures {
    QList<DayFigures> days{};     // by bot, then day; only days with something to count
    QList<DayFigures> totals{};   // one per bot over the whole window, by bot
};

// Counters since the database began, per bot, for Prometheus.
struct BotLifetimeFigures {
    QString bot{};
    qint64 arrived = 0;
    qint64 straightThrough = 0;
    qint64 afterPerson = 0;
    qint64 failed = 0;
    qint64 cancelled = 0;
    qint64 exceptionsOpened = 0;
    // Arrival-to-done times of done items: how many took at most each of the bounds asked
    // for (cumulative, as a Prometheus histogram counts), their sum and their count.
    QList<qint64> durationAtMost{};
    double durationSecondsSum = 0;
    qint64 durationCount = 0;
};

// Which bot file a bot last ran with (see WorkStore::latestDefinitions).
struct StoredDefinitionRef {
    QString bot{};
    QString version{};
    QString digest{};         // for WorkStore::definition()
    QDateTime storedAt{};
};

// A shadow-mode trial's answered question: what the bot would have done and what the
// person did.
struct ShadowAnswer {
    qint64 exceptionId = 0;
    double confidence = 0;        // the bot's, 0..1
    QString suggested{};          // the choice the bot would have made
    QString answered{};           // the choice the person made
};

class WorkStore {
public:
    virtual ~WorkStore() = default;

    // --- bot definitions: the exact file each item runs with -------------------------
    // Stores a bot file's text and folder under its digest (no-op when already stored).
    virtual Status saveDefinition(const QString &bot, const QString &version, const QString &digest,
                                  const QByteArray &source, const QString &baseDir) = 0;
    // NotFound when the digest was never stored.
    virtual Result<StoredDefinition> definition(const QString &digest) = 0;

    // --- work items --------------------------------------------------------------------
    virtual Result<EnqueueResult> enqueue(const NewItem &item) = 0;

    // Leases the next runnable item: queued and due (not_before <= now), or leased with an
    // expired lease (its worker died). Higher priority first, then oldest. Returns nullopt
    // when nothing is runnable. `bots` empty: any bot.
    virtual Result<std::optional<WorkItem>> leaseNext(const QString &owner, std::chrono::milliseconds leaseFor,
                                                      const QStringList &bots = {}) = 0;
    // Every call that takes an `owner` changes the item only while `owner` holds its lease:
    // Conflict ("item N is no longer leased by W") when the lease was lost, NotFound when
    // there is no such item.
    //
    // Extends a lease still held by `owner`.
    virtual Status renewLease(qint64 itemId, const QString &owner, std::chrono::milliseconds leaseFor) = 0;
    // Puts a leased item back to queued without counting an attempt (graceful shutdown).
    virtual Status releaseLease(qint64 itemId, const QString &owner) = 0;

    // Stores the outputs of step `stepIndex` under `stepId` and moves the cursor past it.
    // When `last`, the item becomes done and its lease ends. Conflict when the cursor is not
    // at `stepIndex`: a step's outputs land exactly once.
    virtual Status completeStep(qint64 itemId, const QString &owner, int stepIndex, const QString &stepId,
                                const QJsonObject &outputs, bool last) = 0;
    // Opens an exception item for `team` (empty: request.team) and parks the work item in
    // waiting_for_human. Returns the exception item's id. Conflict also when the item's
    // cursor is not `stepIndex`.
    virtual Result<qint64> handToPerson(qint64 itemId, const QString &owner, int stepIndex, const QString &stepId,
                                        const HumanRequest &request, const QString &team, QDateTime slaDueAt) = 0;
    // Counts an attempt and requeues the item, not to run before `notBefore`.
    virtual Status scheduleRetry(qint64 itemId, const QString &owner, QDateTime notBefore, const QString &reason) = 0;
    // Ends a leased item whose cursor is already past its last step (a person answered
    // the last step) as done.
    virtual Status finishItem(qint64 itemId, const QString &owner) = 0;
    // Ends the item as failed with `reason`.
    virtual Status failItem(qint64 itemId, const QString &owner, const QString &reason) = 0;
    // Puts a failed or cancelled item back to queued at its step cursor, attempts reset
    // (`clerk item retry`). Conflict when the item is not failed or cancelled.
    virtual Status requeue(qint64 itemId, const QString &actor) = 0;

    virtual Result<WorkItem> item(qint64 itemId) = 0;
    virtual Result<QList<WorkItem>> items(const ItemFilter &filter) = 0;

    // --- exception queue -----------------------------------------------------------------
    // Ordered by SLA due time (items without one last), then id. A claim that has run out
    // reads as open, with no claimer: anyone may take the item.
    virtual Result<QList<ExceptionItem>> exceptions(const ExceptionFilter &filter) = 0;
    virtual Result<ExceptionItem> exception(qint64 exceptionId) = 0;
    // Claims an open item (or one whose claim expired). Conflict when another person holds it.
    virtual Status claim(qint64 exceptionId, const QString &actor, std::chrono::milliseconds claimFor) = 0;
    virtual Status releaseClaim(qint64 exceptionId, const QString &actor) = 0;
    // Records the decision, stores the answer as the step's outputs
    // ({"choice": ..., "decided_by": actor, <field>: <value>...}), moves the cursor past the
    // step and requeues the work item (attempts reset). The picked choice's outputs, then
    // `decision.outputs`, then the fields are laid over what the step already knew; a step
    // that asked for one field reads the picked choice as its value unless the choice's
    // outputs set that field themselves. Conflict when already decided, or
    // claimed by someone else (an unexpired claim). InvalidArgument when the choice is not
    // one of those offered, or a field was not asked for (checked only when the step
    // offered choices / fields). Returns the work item's id.
    virtual Result<qint64> resolve(qint64 exceptionId, const Decision &decision) = 0;
    // Records the rejection and cancels the work item. Returns the work item's id.
    virtual Result<qint64> reject(qint64 exceptionId, const QString &actor, const QString &reason) = 0;
    // Moves an undecided item to `team` and drops any claim on it ("reassigned" event with
    // the teams and the reason). Conflict when already decided.
    virtual Status reassign(qint64 exceptionId, const QString &team, const QString &actor, const QString &reason) = 0;
    // How many items `filter` selects, ignoring its limit and offset.
    virtual Result<qint64> countExceptions(const ExceptionFilter &filter) = 0;

    // --- outbound actions (idempotency) -------------------------------------------------
    // Records that an action with `key` is about to be attempted. Returns true the first
    // time, false when an earlier attempt already began it (it may have landed: the step
    // must check before acting again). Durable when it returns.
    virtual Result<bool> beginAction(const QString &key, qint64 itemId, int stepIndex) = 0;
    virtual Status finishAction(const QString &key) = 0;
    // Forgets a begun action that is known not to have acted (the system refused it
    // before acting, or nothing was sent), so the next attempt starts afresh. An action
    // already finished is kept.
    virtual Status abandonAction(const QString &key) = 0;

    // --- cluster-wide leadership -----------------------------------------------------------
    // A named lease that at most one owner holds at a time across every process sharing
    // the database, for work that must happen once per cluster (firing a time trigger,
    // polling a mailbox). `owner` names one process or thread uniquely (host/pid/worker).
    //
    // Why a row with an expiry and not a PostgreSQL advisory lock: a session lock lives as
    // long as the connection, so a holder that hangs (stopped, swapping, cut off behind a
    // half-open TCP connection) keeps it until the server notices the dead session, which
    // can take minutes, and a holder whose connection broke learns it lost the lock only
    // on its next query. A row with an expiry gives takeover in `leaseFor` whatever state
    // the holder is in, tells the holder on every renewal whether it still leads, carries
    // a term number to fence stale leaders with, works the same on SQLite, and reads the
    // same Clock as item leases (tests move it). The price: the machines' clocks must
    // agree to well within `leaseFor` (run NTP), as they must for item leases already.
    //
    // Usage (a scheduler tick, every leaseFor / 3):
    // @code
    //   auto leading = store.tryAcquireLeadership(QStringLiteral("cron"), workerId, 15s);
    //   if (leading && *leading)
    //       fireDueTriggers();
    // @endcode
    //
    // Takes the leadership when nobody holds it, its holder's lease has run out, or
    // `owner` holds it already (then it is renewed). Returns whether `owner` now holds it.
    // A change of holder appends a "leader_acquired" event.
    virtual Result<bool> tryAcquireLeadership(const QString &name, const QString &owner,
                                              std::chrono::milliseconds leaseFor) = 0;
    // Extends `owner`'s lease, also when it ran out but nobody took it over. Conflict when
    // another owner holds it now or it was released.
    virtual Status renewLeadership(const QString &name, const QString &owner, std::chrono::milliseconds leaseFor) = 0;
    // Gives the leadership up at once (graceful shutdown), so another may take it without
    // waiting for the lease to run out. Conflict when `owner` does not hold it.
    virtual Status releaseLeadership(const QString &name, const QString &owner) = 0;
    // The current holder, or nullopt when nobody holds it (never taken, released, or the
    // lease ran out).
    virtual Result<std::optional<LeaderInfo>> leader(const QString &name) = 0;

    // --- pausing bots ----------------------------------------------------------------------
    // Pauses or resumes a bot, for every process sharing the store: a paused bot's items
    // are not leased (items already running finish) and its time triggers do not fire.
    // Recorded in the audit trail ("bot_paused" / "bot_resumed", with the actor).
    virtual Status setBotPaused(const QString &bot, bool paused, const QString &actor) = 0;
    virtual Result<QStringList> pausedBots() = 0;

    // --- people ------------------------------------------------------------------------------
    // Adds or changes an account ("user_added" / "user_changed" event; the hash is never in
    // an event). InvalidArgument for an empty name or team.
    virtual Status saveUser(const UserAccount &account, const QString &actor) = 0;
    // NotFound when there is no such account.
    virtual Result<UserAccount> user(const QString &name) = 0;
    virtual Result<QList<UserAccount>> users() = 0;
    // Saves a new session; a person keeps their latest kMaxSessionsPerUser sessions, the
    // older ones end (however often someone signs in, the table stays small).
    virtual Status saveSession(const WebSession &session) = 0;
    // NotFound when there is no such session (signed out, or never was).
    virtual Result<WebSession> session(const QString &idHash) = 0;
    virtual Status touchSession(const QString &idHash, QDateTime lastSeenAt) = 0;
    virtual Status deleteSession(const QString &idHash) = 0;
    // Signs a person out everywhere (after a password change or when disabled).
    virtual Status deleteSessionsOf(const QString &user) = 0;
    // Ends every session last used before `idleBefore` or opened before `openedBefore`, so
    // the table holds live sessions only.
    virtual Status pruneSessions(QDateTime idleBefore, QDateTime openedBefore) = 0;
    // Saves a new token ("api_token_added" event, with its id, never the digest).
    // InvalidArgument without digest or user.
    virtual Status saveApiToken(const ApiToken &token, const QString &actor) = 0;
    // The token with this digest, expired and revoked ones too (the caller judges
    // ApiToken::usableAt). NotFound when there is none.
    virtual Result<ApiToken> apiToken(const QString &idHash) = 0;
    // `user`'s tokens, oldest first, revoked and expired ones included.
    virtual Result<QList<ApiToken>> apiTokensOf(const QString &user) = 0;
    // Revokes the token whose ApiToken::id() is `tokenId` ("api_token_revoked" event).
    // NotFound when there is no such token; revoking twice keeps the first time.
    virtual Status revokeApiToken(const QString &tokenId, const QString &actor) = 0;
    // Records a sign-in attempt ("signed_in" / "sign_in_failed" event with the address) for
    // the audit trail and for slowing down guessing, and drops attempts made before
    // `forgetBefore` and all but the latest 50 of this name and address, so the table stays
    // small whatever strangers send. InvalidArgument for a name longer than
    // kMaxUserNameLength (nothing is written).
    virtual Status recordSignIn(const QString &user, const QString &address, bool succeeded,
                                QDateTime forgetBefore) = 0;
    // Failed attempts of this name from this address since `since` and since its last
    // successful sign-in, whichever is later.
    virtual Result<SignInFailures> signInFailures(const QString &user, const QString &address, QDateTime since) = 0;
    // Failed attempts from this address since `since`, whatever the name (a success does not
    // start this count again: one valid account must not let an address guess others).
    virtual Result<SignInFailures> signInFailuresFrom(const QString &address, QDateTime since) = 0;
    // Every event this object appends from now on carries "address": `address` in its
    // detail (a web request's client); empty stops it. For one request at a time.
    virtual void setAuditAddress(const QString &address) = 0;

    // --- events and summaries --------------------------------------------------------------
    // The item's events in order; itemId 0: the events not about one item (sign-ins,
    // accounts, paused bots).
    virtual Result<QList<Event>> events(qint64 itemId) = 0;
    virtual Result<StatusSummary> summary() = 0;

    // --- figures ------------------------------------------------------------------------------
    // Aggregated in the database (an index on events (kind, at) finds a window's rows), so a
    // dashboard over 100k items answers without loading them.
    //
    // Per bot and day of `window`, and per bot over the whole window. A day counts what
    // happened on it: items arriving, ending, going to a person. InvalidArgument when
    // `window.since` is invalid or the zone is not valid.
    virtual Result<ItemFigures> itemFigures(const FigureWindow &window) = 0;
    // Counters per bot since the database began; `durationBounds` are the histogram's
    // upper bounds, ascending.
    virtual Result<QList<BotLifetimeFigures>> lifetimeFigures(const QList<std::chrono::milliseconds> &durationBounds) = 0;
    // Every team that ever had an exception item, with its undecided items (open or
    // claimed; 0 when none), how many of those are past their SLA, and the oldest's
    // creation time (invalid when none). By team.
    virtual Result<QList<TeamQueue>> exceptionQueues() = 0;
    // The resolved exception items of `bot` decided at or after `since` (invalid: all) whose
    // evidence holds "suggestion": {"choice": ..., "confidence": 0..1} and whose decision
    // has a choice; others are left out. By exception id.
    virtual Result<QList<ShadowAnswer>> shadowAnswers(const QString &bot, const QDateTime &since) = 0;
    // Each bot's newest stored definition (the one stored last), by bot: where reports find a
    // bot's manual_minutes when no bot file is given.
    virtual Result<QList<StoredDefinitionRef>> latestDefinitions() = 0;

    // --- alerts: a bot's own events, not about one item -----------------------------------------
    // Appends an event about `bot` as a whole (e.g. "alert_fired" with {rule, value,
    // threshold}). `detail` holds no personal data.
    virtual Status recordBotEvent(const QString &bot, const QString &kind, const QString &actor,
                                  const QJsonObject &detail) = 0;
    // The events of `bot` not about one item whose kind is one of `kinds`, at or after
    // `since`, oldest first.
    virtual Result<QList<Event>> botEvents(const QString &bot, const QStringList &kinds, const QDateTime &since) = 0;
};

// Opens (creating and migrating when needed) the store at `location`:
//  - a file path or "sqlite:PATH": SQLite;
//  - "postgresql://USER[:PASSWORD]@HOST[:PORT]/DBNAME[?PARAMS]" (or "postgres://"):
//    PostgreSQL through Qt's QPSQL driver. The database must exist; clerk creates its
//    tables in it. The password comes from the URL (percent-encoded), or is a reference
//    in its place ("${file:/run/secrets/pg}" or "${env:NAME}"), or comes from libpq's
//    own sources: PGPASSWORD, ?passfile=PATH, PGPASSFILE or ~/.pgpass. PARAMS:
//    passfile, sslmode, sslrootcert, connect_timeout (seconds, default 10),
//    application_name. Messages name the database as postgresql://USER@HOST:PORT/DBNAME
//    and never hold the password.
// Errors: Unavailable (locked, cannot create; server down or unreachable),
// PermissionDenied (read-only file or folder; the server refused the user or password),
// NotFound (no such PostgreSQL database), Corrupt (not a clerk database / damaged file),
// InvalidArgument (unknown scheme, malformed URL, unknown parameter).
// `location` as it may be shown or logged: a PostgreSQL URL without its password (and
// without a password reference); other locations unchanged.
QString redactLocation(const QString &location);

struct StoreOptions {
    std::chrono::milliseconds busyTimeout{5000};  // how long to wait for another writer's lock
};
Result<std::unique_ptr<WorkStore>> openWorkStore(const QString &location, const Clock &clock = SystemClock::instance(),
                                                 StoreOptions options = {});

} // namespace clerk::store
