// ExceptionQueue: the store's role for the items people answer: listing, claiming,
// resolving (the answer becomes the step's outputs and the work item resumes), rejecting
// and passing items to another team.
//
// Thread-safety: as WorkStore (work_store.h): an object belongs to the thread that opened it.
#pragma once

#include "core/error.h"
#include "core/step_outcome.h"

#include <QDateTime>
#include <QJsonObject>
#include <functional>
#include <QList>
#include <QString>
#include <QStringList>
#include <chrono>
#include <optional>

namespace clerk::store {

enum class ExceptionState { Open, Claimed, Resolved, Rejected };
QString toString(ExceptionState state);
std::optional<ExceptionState> exceptionStateFromString(const QString &name);

// What a person decided on an exception item, as the store records it: their answer, or
// a rejection. The store writes and reads this format; others read it through here.
struct RecordedDecision {
    QString choice{};      // the picked choice's value, or empty
    QJsonObject fields{};  // field values the person typed
    QString note{};
    QString rejected{};    // the reason, when the item was rejected
    bool answered = false; // a person answered (even with nothing picked or typed)

    // Nothing decided yet.
    bool isEmpty() const { return !answered && rejected.isEmpty(); }
    // The value the person gave for `field`: the typed field, else the picked choice (as
    // answerOutputs in core/human_answer.h reads a one-field question).
    QString valueFor(const QString &field) const;
    // {"choice", "fields", "note"} for an answer, {"rejected"} for a rejection, {} when empty.
    QJsonObject toJson() const;
    static RecordedDecision fromJson(const QJsonObject &json);
};

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
    int priority = 0;              // HumanRequest::priority: higher first in the queue
    QString urgency{};             // HumanRequest::urgency: why it is urgent; empty: ordinary
    ExceptionState state = ExceptionState::Open;
    QDateTime createdAt{};
    QDateTime slaDueAt{};
    QString claimedBy{};
    QDateTime claimExpiresAt{};
    RecordedDecision decision{};
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

class ExceptionQueue {
public:
    virtual ~ExceptionQueue() = default;

    // --- exception queue -----------------------------------------------------------------
    // Ordered by priority (highest first), then SLA due time (items without one last), then id. A claim that has run out
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
};

// Every item `filter` selects (its limit and offset are ignored), read a page at a time
// and handed to `visit` in the queue's order; stops at the first error, the store's or
// `visit`'s.
Status forEachException(ExceptionQueue &queue, ExceptionFilter filter,
                        const std::function<Status(const ExceptionItem &)> &visit);

} // namespace clerk::store
