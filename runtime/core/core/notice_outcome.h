// NoticeOutcome: what became of one attempt to tell someone something (an acknowledgement
// or notice sent by a notify step), as operations staff count it. The step says which
// outcome its attempt had (StepOutcome::notice); the engine appends it to the event log
// as an event of its own kind ("notice_sent", "notice_refused", ...), and the dashboard,
// `clerk report` and /metrics (clerk_notifications_total) count them per bot and day.
//
// Thread-safety: values and pure functions.
#pragma once

#include <QString>
#include <QStringList>
#include <optional>

namespace clerk {

enum class NoticeOutcome {
    Sent,         // the mail server took the message
    Refused,      // the server refused the recipient or the message for good (5xx)
    Bounced,      // the message was taken, and a delivery failure report came back later
    ServerError,  // no server, a 4xx, a refused sign-in or TLS: nothing was sent this time
    Unsendable,   // the rendered message could not be sent (not one address, a broken subject)
};

// "sent", "refused", "bounced", "server_error", "unsendable".
QString toString(NoticeOutcome outcome);
std::optional<NoticeOutcome> noticeOutcomeFromString(const QString &name);
// How people read it: "sent", "refused by the mail server", "bounced", "mail server
// error", "could not be sent".
QString label(NoticeOutcome outcome);
// Every outcome, in the order above.
QList<NoticeOutcome> noticeOutcomes();
// The event kind the engine logs an attempt with: "notice_" + toString(outcome).
QString noticeEventKind(NoticeOutcome outcome);
std::optional<NoticeOutcome> noticeOutcomeFromEventKind(const QString &kind);

} // namespace clerk
