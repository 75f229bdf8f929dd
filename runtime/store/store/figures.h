// Figures: the store's role for what operations staff watch: counts for `clerk status`,
// figures per bot and day (dashboard, `clerk report`), lifetime counters (/metrics), team
// queues, shadow-trial answers, and each bot's newest stored definition.
//
// Counted from the event log, which every state change appends to: an item arrives with
// "enqueued", goes to a person with "needs_human", ends with "done", "failed" or
// "rejected" (cancelled). "Done straight through" means no exception item was ever
// opened for the item; "done after a person" means at least one was.
//
// Thread-safety: as WorkStore (work_store.h): an object belongs to the thread that opened it.
#pragma once

#include "core/error.h"
#include "core/notice_outcome.h"

#include <QDate>
#include <QDateTime>
#include <QList>
#include <QString>
#include <QTimeZone>
#include <chrono>
#include <optional>

namespace clerk::store {

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

// Which bot file a bot last ran with (see Figures::latestDefinitions).
struct StoredDefinitionRef {
    QString bot{};
    QString version{};
    QString digest{};         // for WorkQueue::definition()
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

// Live precision, from quality checks: sure decisions of a learning step sent to a person
// blind (core/shadow_suggestion.h). A check is right when the bot's hidden answer equals
// the person's (the decision's choice, else its "category" field). Bounds are one-sided
// Clopper-Pearson bounds at kLivePrecisionConfidence (core/binomial.h).
inline constexpr double kLivePrecisionConfidence = 0.9;
struct LivePrecision {
    QString bot{};
    QString category{};       // the bot's (hidden) answer; empty: every check of the bot
    qint64 checks = 0;        // answered quality checks
    qint64 right = 0;
    double lowerBound = 0;    // 0 without checks
    double upperBound = 1;    // 1 without checks

    // right / checks; nullopt without checks.
    std::optional<double> precision() const
    {
        return checks > 0 ? std::optional<double>(double(right) / double(checks)) : std::nullopt;
    }
};

// Why items went to people: exception items opened, grouped by bot, step, kind of reason
// (core/reason_kind.h) and the category the bot had in mind (a classify step's best
// guess; empty for other steps or without one).
struct ExceptionReasons {
    QString bot{};
    QString stepId{};
    QString kind{};           // a ReasonKind's name
    QString category{};
    qint64 opened = 0;        // exception items opened in the window
    qint64 open = 0;          // ... of which still undecided (open or claimed)
};

// What became of the notices (acknowledgements, letters by email) bots' notify steps tried
// to send: attempts per bot (and day), by outcome (core/notice_outcome.h). A message
// re-sent after clerk stopped between its send and the record of it counts once.
struct NoticeFigures {
    QString bot{};
    QDate day{};              // invalid when not counted by day
    qint64 sent = 0;
    qint64 refused = 0;       // recipient or message refused for good (5xx)
    qint64 bounced = 0;       // taken, then a delivery failure report came back
    qint64 serverError = 0;   // attempts that found no server, a 4xx, a refused sign-in or no TLS
    qint64 unsendable = 0;    // messages that could not be made (not one address, a broken subject)

    qint64 count(NoticeOutcome outcome) const
    {
        switch (outcome) {
        case NoticeOutcome::Sent: return sent;
        case NoticeOutcome::Refused: return refused;
        case NoticeOutcome::Bounced: return bounced;
        case NoticeOutcome::ServerError: return serverError;
        case NoticeOutcome::Unsendable: return unsendable;
        }
        return 0;
    }
    qint64 failedTotal() const { return refused + bounced + serverError + unsendable; }
};

// How many of a step's questions people have answered (resolved exception items).
struct StepAnswers {
    QString bot{};
    QString stepId{};
    qint64 answered = 0;
};

// Which answers Figures::answersWithList() counts: the answer gives `field` (typed, even
// empty, or a choice picked), and the item's evidence holds a non-empty list under
// `listKey` whose every entry is an object with a text `entryKey`. The keys are names
// made of letters, digits and underscores.
struct AnswersWithList {
    QString field{};
    QString listKey{};
    QString entryKey{};
};

class Figures {
public:
    virtual ~Figures() = default;

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
    // Live precision of `bot` (empty: every bot) from the quality checks answered at or
    // after `since` (invalid: all): per bot, its row over every category first (category
    // empty), then one per category the bot answered, by category. Bots without an
    // answered check are left out. Found by the quality_check flag set when the exception
    // item is opened (schema version 9); a rejected check is no answer.
    virtual Result<QList<LivePrecision>> livePrecision(const QString &bot, const QDateTime &since) = 0;
    // Exception items opened in `window` (since invalid: from the start; until invalid: up
    // to now; bot empty: every bot), grouped as ExceptionReasons, by bot then most opened
    // first. The kind and category are kept from schema version 11; older items count as
    // shadow, quality_check or other.
    virtual Result<QList<ExceptionReasons>> exceptionReasons(const FigureWindow &window) = 0;
    // Notices attempted in `window` (since invalid: from the start; until invalid: up to
    // now; bot empty: every bot) by outcome, per bot and local day of `window.zone` when
    // `byDay` (by bot then day), else per bot over the window (by bot). Bots and days
    // without an attempt are left out. InvalidArgument for an invalid zone when `byDay`.
    virtual Result<QList<NoticeFigures>> noticeFigures(const FigureWindow &window, bool byDay) = 0;
    // Resolved exception items per bot and step, by bot then step: how many answers a
    // learning step has had.
    virtual Result<QList<StepAnswers>> answersPerStep() = 0;
    // The resolved exception items of `bot` that `rule` selects, per step, by step; steps
    // without one are left out. Counted in the database, so a bot with 100k answers is not
    // read item by item. InvalidArgument when a key of `rule` is not such a name.
    virtual Result<QList<StepAnswers>> answersWithList(const QString &bot, const AnswersWithList &rule) = 0;
    // Each bot's newest stored definition (the one stored last), by bot: where reports find a
    // bot's manual_minutes when no bot file is given.
    virtual Result<QList<StoredDefinitionRef>> latestDefinitions() = 0;
};

} // namespace clerk::store
