// StepOutcome: what one step tells the engine after it ran.
//
// "Not finished yet" is an outcome, not an error. A step answers exactly one of:
//   continueWith(outputs)   done; outputs are stored under the step's id and the next step runs
//   needsHuman(request)     not sure; a person answers, and the answer becomes this step's outputs
//   retryLater(delay, why)  transient trouble (a server is down); the item is tried again later
//   fail(why)               permanent; the item stops and stays visible as failed
//
// @code
//   StepOutcome run(StepContext &ctx) const override {
//       if (postcode.isEmpty())
//           return StepOutcome::needsHuman({.reason = "No postcode on the form",
//                                           .fields = {"postcode"}});
//       return StepOutcome::continueWith({{"postcode", postcode}});
//   }
// @endcode
#pragma once

#include "core/notice_outcome.h"
#include "core/reason_kind.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QString>
#include <QStringList>
#include <chrono>
#include <optional>

namespace clerk {

// One answer a person may pick. `value` is what the step receives.
struct HumanChoice {
    QString value{};
    QString label{};       // shown to the person; defaults to value
    QJsonObject detail{};  // e.g. a candidate record with per-field scores; its "outputs" object,
                           // if any, is what picking this choice means for the step's outputs
};

// What a step asks of a person.
struct HumanRequest {
    QString reason{};              // why the bot hesitated, for the person ("No postcode on the form")
    ReasonKind kind = ReasonKind::Other;  // the reason as operations staff count it
    QJsonObject evidence{};        // what the bot saw: values, confidences, reasons
    QList<HumanChoice> choices{};  // offered answers (may be empty)
    QStringList fields{};          // field values the person may give instead of, or with, a choice
    QString team{};                // empty: the bot's exception team
    QJsonObject outputs{};         // what the step already knows; the answer is laid over it
                                   // and the result becomes the step's outputs
    QJsonObject proposed{};        // what the step would output on its own (its best guess), for
                                   // the bot's escalate rules; never shown or stored
    // Set by the engine from the bot's escalate rules: the queue shows higher priorities
    // first, marked with the urgency (e.g. "Safeguarding"); 0 and empty: ordinary work.
    int priority = 0;
    QString urgency{};

    QJsonArray choicesJson() const;
    static QList<HumanChoice> choicesFromJson(const QJsonArray &array);
};

class StepOutcome {
public:
    enum class Kind { Continue, NeedsHuman, RetryLater, Fail };

    static StepOutcome continueWith(QJsonObject outputs = {});
    static StepOutcome needsHuman(HumanRequest request);
    static StepOutcome retryLater(std::chrono::milliseconds delay, QString reason);
    static StepOutcome fail(QString reason);

    Kind kind() const { return m_kind; }
    const QJsonObject &outputs() const { return m_outputs; }
    const HumanRequest &humanRequest() const { return m_human; }
    std::chrono::milliseconds delay() const { return m_delay; }
    const QString &reason() const { return m_reason; }

    // What became of the step's attempt to tell someone something (a notify step's
    // email), for the figures; the engine logs it with the item. None for other steps.
    std::optional<NoticeOutcome> notice() const { return m_notice; }
    StepOutcome &&withNotice(NoticeOutcome outcome) &&
    {
        m_notice = outcome;
        return std::move(*this);
    }

private:
    explicit StepOutcome(Kind kind) : m_kind(kind) {}

    Kind m_kind;
    QJsonObject m_outputs;
    HumanRequest m_human;
    std::chrono::milliseconds m_delay{0};
    QString m_reason;
    std::optional<NoticeOutcome> m_notice;
};

QString toString(StepOutcome::Kind kind);

} // namespace clerk
