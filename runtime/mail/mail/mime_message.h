// MIME messages: the attachments of a mail message as it came from the mail server
// (RFC 5322 headers, RFC 2045-2049 bodies).
//
// parseMessage() walks multipart bodies (any depth, forwarded messages included) and
// returns every leaf part that is an attachment: one with a file name (Content-Disposition
// filename or Content-Type name, RFC 2231 parameters and continuations and RFC 2047
// encoded words decoded), or marked Content-Disposition: attachment (then named
// "attachment-<n>" with an extension from its type). Bodies are decoded from base64 and
// quoted-printable. Malformed input never fails: what cannot be understood is left out
// (a part with no closing boundary ends at the end of the message).
//
// Subject and sender are personal data: callers must not log them at info level.
//
// Thread-safety: pure functions.
#pragma once

#include <QByteArray>
#include <QList>
#include <QString>

namespace clerk::mail {

struct MailAttachment {
    int index = 0;          // 0-based among the message's attachments, in the order they appear
    QString fileName{};     // decoded; as the sender named it (may hold any character)
    QString contentType{};  // lower case, e.g. "application/pdf"
    QByteArray content{};   // decoded bytes
};

struct MailMessage {
    QString messageId{};  // without the angle brackets; empty when the message has none
    QString from{};       // decoded header text
    QString subject{};    // decoded header text
    QString date{};       // the Date header as sent
    QList<MailAttachment> attachments{};
};

MailMessage parseMessage(const QByteArray &raw);

// Header text with RFC 2047 encoded words (=?utf-8?B?...?= / ?Q?) decoded; unknown
// character sets are read as Latin-1.
QString decodeHeaderText(const QByteArray &text);

// Quoted-printable (RFC 2045 6.7) to bytes.
QByteArray decodeQuotedPrintable(const QByteArray &text);

} // namespace clerk::mail
