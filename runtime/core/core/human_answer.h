// HumanAnswer: a person's answer to what a step asked (HumanRequest), and the rule that
// turns it into the step's outputs.
//
// The store applies the rule when it records the answer (ExceptionQueue::resolve); the
// steps that asked read what it makes (route's team, require's value, match's record_id),
// so the rule lives here, below both.
//
// Thread-safety: a value type; the functions use nothing but their arguments.
#pragma once

#include "core/error.h"
#include "core/step_outcome.h"

#include <QJsonObject>
#include <QString>

namespace clerk {

struct HumanAnswer {
    QString choice{};       // one of the offered choice values, or empty
    QJsonObject fields{};   // field values the person gave
    // Outputs the answer implies beyond what the person typed, set by the step's own
    // check of the answer (e.g. decision: matched for a record id given as a field).
    QJsonObject implied{};
    QString decidedBy{};    // who answered
};

// Whether `answer` fits what was asked: InvalidArgument when the choice is not one of
// those offered, or a field was not asked for (checked only when the step offered
// choices / fields).
Status checkAnswerFits(const HumanRequest &asked, const HumanAnswer &answer);

// The step outputs `answer` becomes: what the step already knew (asked.outputs), then the
// picked choice's outputs (its detail's "outputs"), then answer.implied, then the fields,
// each laid over the last; then "choice" (when one was picked) and "decided_by". A step
// that asked for one field reads the picked choice as that field's value, unless the
// fields, answer.implied or the choice's outputs set it themselves.
QJsonObject answerOutputs(const HumanRequest &asked, const HumanAnswer &answer);

} // namespace clerk
