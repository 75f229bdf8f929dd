// The dashboard's figures: per bot and day, per bot over the window, each team's exception
// queue, the shadow trials, and learning bots' live precision and answers so far, in the shape GET /api/v1/dashboard answers (docs/api.md)
// and `clerk report` prints.
//
// Hours saved = the bot's manual_minutes (a person's minutes per item, from its bot file)
// x the items it did straight through (no person involved) / 60. Items a person had to
// answer are not counted as saved: the person did the work. Cost saved = hours saved x
// the cost of a person-hour, when one is given.
//
// Days are calendar days in Europe/London by default (see store::FigureWindow).
//
// Thread-safety: the functions use the store given, which belongs to the calling thread.
//
// @code
//   report::DashboardQuery query{.days = 14, .costPerHour = 20.0};
//   auto figures = report::dashboard(store, bots, query);
//   if (figures)
//       reply(report::toJson(*figures));
// @endcode
#pragma once

#include "bot/bot_definition.h"
#include "core/error.h"
#include "report/live_quality.h"
#include "report/shadow_trial.h"
#include "store/figures.h"

#include <QDateTime>
#include <QJsonObject>
#include <QList>
#include <QTimeZone>
#include <QUrlQuery>
#include <optional>

namespace clerk::report {

struct DashboardQuery {
    int days = 14;                  // calendar days, today included (1..3660)
    QDateTime since{};              // set: start here instead (then `days` is not used)
    QString bot{};                  // empty: every bot
    double costPerHour = 0;         // a person-hour's cost; 0: no cost saved is shown
    QDateTime now{};                // invalid: the current time
    QTimeZone zone{QByteArrayLiteral("Europe/London")};
};

// One row of the reasons breakdown: {"bot", "step", "reason" (a ReasonKind's name),
// "label" (how people read it), "category" (or null), "opened", "open"}.
QJsonObject reasonJson(const store::ExceptionReasons &row);
// One bot's notices on one day: {"bot", "day", "sent", "refused", "bounced",
// "server_error", "unsendable", "failed" (all but sent)}.
QJsonObject noticeJson(const store::NoticeFigures &row);

// The dashboard page's query string (bot=NAME, days=N); InvalidArgument for a days value
// that is not a number. costPerHour, now and zone keep their defaults.
Result<DashboardQuery> dashboardQueryFrom(const QUrlQuery &query);

// One bot on one day (day valid), or over the whole window (day invalid).
struct BotFigures {
    store::DayFigures counts{};
    double manualMinutes = 0;
    std::optional<double> straightThroughRate{};  // straight through / done; none when nothing was done
    double hoursSaved = 0;
    std::optional<double> costSaved{};            // set when DashboardQuery::costPerHour > 0
};

struct Dashboard {
    QDateTime since{};
    QDateTime now{};
    QTimeZone zone{};
    QList<BotFigures> days{};        // by bot, then day; every day of the window for every bot listed
    QList<BotFigures> bots{};        // by bot: the bots with items in the window and the bots given
    QList<store::TeamQueue> queues{};
    QList<ShadowTrial> shadow{};     // bots given with `mode: shadow`, over all their answers
    LearningQuality learning{};      // live precision from quality checks; learning steps' answers so far (classify and match)
    QList<store::ExceptionReasons> reasons{};  // why items went to people in the window, per bot most first
    QList<store::NoticeFigures> notices{};     // notices sent and failed, per bot and day with any
};

// One learning match step's row of "learning": {"kind": "match", "bot", "step", "answered",
// "min_answers", "more_needed", "every", "next_challenger_at" (the answers at which the
// next challenger is trained), "model" (file name or null), "version" (N or null),
// "last_challenger" ({"at", "promoted", "model", "answers", "reason"} or null)}, and
// "model_problem" when the `.latest` pointer could not be read.
QJsonObject matchLearningJson(const MatchLearningProgress &progress);

// The roles dashboard() reads: figures, and for learning match steps their answered
// questions and bot events (live_quality.h). A WorkStore converts.
using DashboardStore = LearningStore;

// Figures over the window of `query` for the bots in the store and in `bots` (their
// manual_minutes and shadow mode; a bot with items but no definition given counts 0
// minutes). Errors: the store's; InvalidArgument for days outside 1..3660 or an invalid
// zone.
Result<Dashboard> dashboard(DashboardStore store, const QList<bot::BotDefinition> &bots,
                            const DashboardQuery &query);

// The start of the window of `days` calendar days ending today (midnight in `zone`, days-1
// days before `now`'s day).
QDateTime startOfDays(int days, const QDateTime &now, const QTimeZone &zone);

// As in docs/api.md: {"since", "days": [...], "bots": [...], "queues": [...], "shadow": [...],
// "live_precision": [...], "learning": [...], "reasons": [...], "notices": [...]}. Precision and its bounds are rounded to 4
// decimals.
// Rates are rounded to 3 decimals, minutes and hours to 1, money to 2; a rate or median
// with nothing to count is null; cost_saved is left out when no cost per hour was given;
// a queue's oldest_age_seconds is 0 when it is empty.
QJsonObject toJson(const Dashboard &dashboard);

} // namespace clerk::report
