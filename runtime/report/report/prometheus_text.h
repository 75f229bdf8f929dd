// clerk's figures as Prometheus metrics, in the text exposition format 0.0.4, for
// GET /metrics (Content-Type: text/plain; version=0.0.4; charset=utf-8).
//
// Counters count since the database began (they come from the store, not from this
// process, so every clerk process sharing a database reports the same values: scrape one,
// or aggregate with max() rather than sum()). What each metric means: docs/operations.md.
//
// Thread-safety: the store given belongs to the calling thread; the helpers are pure.
#pragma once

#include "bot/bot_definition.h"
#include "core/error.h"
#include "store/figures.h"

#include <QByteArray>
#include <QList>
#include <chrono>

namespace clerk::report {

// The upper bounds of clerk_item_duration_seconds: 10 s to 7 days (an item that waits for
// a person overnight takes hours).
QList<std::chrono::milliseconds> itemDurationBuckets();

// Every metric, with HELP and TYPE lines. `bots` supply manual_minutes for
// clerk_hours_saved_total; a bot in the store but not given counts 0 minutes. Errors: the
// store's.
Result<QByteArray> prometheusText(store::Figures &store, const QList<bot::BotDefinition> &bots);

// The same from figures already read: `now` dates the queues' oldest ages; `live` is
// Figures::livePrecision() over every bot and all time (quality checks per bot and
// category, and each bot's live precision bounds); `reasons` is
// Figures::exceptionReasons() over all time (clerk_exceptions_by_reason_total); `notices`
// is Figures::noticeFigures() per bot over all time (clerk_notifications_total).
QByteArray prometheusText(const QList<store::BotLifetimeFigures> &figures, const QList<store::TeamQueue> &queues,
                          const QList<bot::BotDefinition> &bots, const QDateTime &now,
                          const QList<store::LivePrecision> &live = {},
                          const QList<store::ExceptionReasons> &reasons = {},
                          const QList<store::NoticeFigures> &notices = {});

// A label value as the text format writes it between quotes: \ " and newline escaped.
QString escapeLabelValue(const QString &value);

} // namespace clerk::report
