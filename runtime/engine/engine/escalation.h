// Escalation: the bot's `escalate` rules, applied when an item goes to a person. The first
// rule that holds picks the exception's team (the out-of-hours team outside the rule's
// business hours), its SLA and its priority, and labels it (e.g. "Safeguarding"), so
// urgent work is seen first and by the right people.
//
// A rule's `when` and `text` see what the item's steps have output so far, and for the
// step that asks, what it already knows and its own best guess (HumanRequest::proposed):
// "{{ kind.category }} == child_safeguarding" holds while the classify step asks a person
// to confirm that category.
//
// Thread-safety: pure functions of their arguments.
#pragma once

#include "bot/bot_definition.h"
#include "core/step_outcome.h"
#include "core/work_item.h"

#include <QDateTime>
#include <chrono>

namespace clerk::engine {

struct Escalation {
    QString team{};                      // empty: the team the step or bot names
    std::chrono::milliseconds sla{0};    // 0: the bot's exceptions.sla
    int priority = 0;                    // 0: ordinary work
    QString urgency{};                   // the rule's label; empty: no rule held
};

// The first rule of `bot.escalate` that holds for `item`, asked about at step
// `stepIndex` with `request`, at `now`; an empty Escalation when none does.
Escalation escalationFor(const bot::BotDefinition &bot, const WorkItem &item, int stepIndex,
                         const HumanRequest &request, const QDateTime &now);

// Whether any of `keywords` is in `text` as whole words, ignoring case.
bool containsKeyword(const QString &text, const QStringList &keywords);

} // namespace clerk::engine
