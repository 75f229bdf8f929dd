// Alerts: a bot's `alerts` rules (docs/bot-reference.md, "Alerts") judged on its figures,
// recorded in the audit trail and sent through a connector operation (a chat or paging
// webhook).
//
// A rule that fails fires: one "alert_fired" event for the bot, with detail {rule, value,
// threshold} (figures only, no personal data), then one call of the alerts operation with
// params {bot, rule, value, threshold, message}. While the rule keeps failing it does not
// fire again until `repeat_after` has passed since it last fired (the state is the event
// log itself, so a restarted or another process sees it too). A firing whose call failed
// is sent again on each check until it is delivered (then an "alert_sent" event is
// appended) or `repeat_after` has passed; it stays recorded once.
//
// check() blocks while it calls the webhooks: each call, with the connector's retries,
// is cut off after 20 seconds. Run it where blocking is fine (not the HTTP server's thread).
//
// judge() is the decision alone, from figures; AlertMonitor reads the figures from the
// store, decides, records and sends.
//
// Thread-safety: judge() is pure. An AlertMonitor uses the store given, which belongs to
// the calling thread; across a cluster call check() only while holding the store's
// "alerts" leadership, so one process checks at a time.
//
// @code
//   report::AlertMonitor monitor(store, clock);
//   auto leading = store.tryAcquireLeadership(QStringLiteral("alerts"), workerId, 3min);
//   if (leading && *leading)
//       if (auto round = monitor.check(bots); !round)
//           qCWarning(lcApp) << round.error().toString();
// @endcode
#pragma once

#include "bot/bot_definition.h"
#include "core/clock.h"
#include "core/error.h"
#include "report/live_quality.h"
#include "store/event_log.h"
#include "store/exception_queue.h"
#include "store/figures.h"

#include <QList>
#include <QString>
#include <chrono>
#include <concepts>
#include <optional>

namespace clerk::report {

// The figures one rule is judged on (over the rule's window where it has one).
struct RuleFigures {
    qint64 done = 0;             // items that ended done in the window
    qint64 straightThrough = 0;  // ... with no person involved
    qint64 failed = 0;           // times an item ended failed in the window
    // How long past its SLA due time the most overdue undecided exception item of the bot
    // is; none when none is overdue.
    std::optional<std::chrono::milliseconds> oldestOverdueBy{};
};

struct AlertFiring {
    QString bot{};
    QString rule{};          // bot::AlertRule::name
    double value = 0;        // the rate (0..1, 3 decimals), the failures, or the hours past the SLA (2 decimals)
    double threshold = 0;    // the rule's; 0 for oldest_exception_over_sla
    QString message{};       // one line for people, e.g. "contact-form: straight-through rate 0.650 over 1d is below 0.800"
    QDateTime firedAt{};     // when it was recorded
    QString step{};          // the step a step's rule is about (live precision); empty for a bot's rules
};

// Whether `rule` fails on `figures`; the firing (without firedAt) when it does. A
// straight-through rule is not judged on fewer than rule.minItems done items; a failure
// rule fires on more failures than its threshold; the SLA rule on any overdue item.
std::optional<AlertFiring> judge(const QString &bot, const bot::AlertRule &rule, const RuleFigures &figures);

// The message of a firing (also for one sent again from its event).
QString alertMessage(const QString &bot, const bot::AlertRule &rule, double value, double threshold);

// The built-in rule of every learning step that sends quality checks (learning.qa_sample
// > 0; report/live_quality.h), whether or not the bot has `alerts`: it fails when the
// one-sided Clopper-Pearson lower bound, at the step's learning.confidence, of the
// precision the quality checks measured is below the step's learning.target_precision.
// The checks counted are those answered since the model in use was put in use (the
// step's latest "model_promoted" or "model_rolled_back" bot event). It is not judged on
// fewer checks than answersNeeded(target, confidence): below that not even checks that
// are all right could reach the target, so the bound says nothing yet.
//
// A firing is recorded as an "alert_fired" bot event with detail {rule:
// kLivePrecisionRule, step, value (the bound, 3 decimals), threshold (the target),
// checks, right}: the learning loop reads it to tighten the step's threshold. It is sent
// through the bot's alerts connector when the bot has one, and repeats after its
// repeat_after (kLivePrecisionRepeatAfter without `alerts`).
inline const QString kLivePrecisionRule = QStringLiteral("live_precision_below_target");
inline constexpr std::chrono::hours kLivePrecisionRepeatAfter{24};

// Whether a learning step's quality checks (`right` of `checks`) fail the rule above; the
// firing (without firedAt) when they do.
std::optional<AlertFiring> judgeLivePrecision(const LearningStep &step, qint64 checks, qint64 right);

// The message of a live precision firing.
QString livePrecisionMessage(const QString &bot, const QString &stepId, double bound, double target, qint64 checks,
                             qint64 right);

struct AlertRound {
    QList<AlertFiring> fired{};      // recorded in this round
    QList<AlertFiring> sent{};       // delivered in this round (new firings and earlier unsent ones)
    QList<AlertFiring> unsent{};     // whose call failed; sent again on the next check
    QStringList problems{};          // bots whose alerts could not be sent at all (no such connector, ...)
};

// The roles of the store an AlertMonitor uses: the figures rules are judged on, the
// exception queue (how overdue its oldest item is), and the event log alerts are recorded
// in. Made from any store that plays them all (a store::WorkStore does).
struct AlertStore {
    template <typename Store>
        requires std::derived_from<Store, store::Figures> && std::derived_from<Store, store::ExceptionQueue>
                 && std::derived_from<Store, store::EventLog>
    AlertStore(Store &store)  // NOLINT(google-explicit-constructor): a store is an AlertStore
        : figures(store), exceptions(store), log(store)
    {
    }

    store::Figures &figures;
    store::ExceptionQueue &exceptions;
    store::EventLog &log;
};

class AlertMonitor {
public:
    // `store` and `clock` must outlive the monitor.
    AlertMonitor(AlertStore store, const Clock &clock);

    // Judges the rules of every bot in `bots` that has `alerts`, and the live precision
    // rule of every learning step with quality checks, records what fires and
    // sends it and whatever earlier firing is still unsent. A connector that cannot be
    // used or a call that fails is logged (warning) and reported in the round, not an
    // error. Errors: the store's.
    Result<AlertRound> check(const QList<bot::BotDefinition> &bots);

private:
    AlertStore m_store;
    const Clock &m_clock;
};

} // namespace clerk::report
