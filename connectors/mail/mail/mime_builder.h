// Building an outgoing message (RFC 5322 / RFC 2045-2047) for the `notify` step: one
// sender, one recipient, a plain-text body with an optional HTML alternative and file
// attachments. CRLF line endings throughout; the subject and file names are encoded
// words when they are not ASCII; text parts are quoted-printable, attachments base64.
//
// Hostile values cannot add recipients or headers: an address must be exactly one
// addr-spec (no display name, comma, angle bracket, space or control character) and a
// subject may hold no CR or LF. Errors name the field, never its value (values are
// personal data and errors reach logs).
#pragma once

#include "core/error.h"

#include <QByteArray>
#include <QDateTime>
#include <QList>
#include <QString>

namespace clerk::mail {

struct OutgoingAttachment {
    QString fileName{};       // as the recipient sees it (no folder)
    QByteArray contentType{}; // e.g. "application/pdf"
    QByteArray bytes{};
};

struct OutgoingMessage {
    QString from{};
    QString to{};
    QString replyTo{};        // optional
    QString subject{};
    QString text{};           // plain-text body
    QString html{};           // optional HTML alternative
    QList<OutgoingAttachment> attachments{};
    QString messageId{};      // without angle brackets: "KEY@clerk.host"
    QDateTime date{};         // Date: header; now when invalid
};

// True when `address` is one plain email address (local@domain, ASCII, no display
// name, comments, quoting, spaces, commas, angle brackets or control characters).
bool isPlainAddress(const QString &address);

// Checks the message's addresses, subject and message id. InvalidArgument naming the
// field (e.g. "to is not one email address") when one is refused.
Status checkHeaders(const OutgoingMessage &message);

// The message as bytes ready for SMTP DATA (CRLF line endings; curl does the dot
// stuffing). Fails as checkHeaders does.
Result<QByteArray> buildMessage(const OutgoingMessage &message);

// The value of a header field for `text`: as is when it is short printable ASCII, else an RFC
// 2047 encoded word sequence (UTF-8, base64), folded so no line exceeds 78 characters.
QByteArray encodeHeaderText(const QString &text);

// Quoted-printable (RFC 2045) with CRLF line breaks and soft breaks under 76 characters.
QByteArray quotedPrintable(const QByteArray &utf8);

} // namespace clerk::mail
