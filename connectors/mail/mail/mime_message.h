// MIME messages: the attachments of a mail message as it came from the mail server
// (RFC 5322 headers, RFC 2045-2049 bodies).
//
// parseMessage() walks multipart bodies (forwarded messages included) and returns the
// message's text (its text/plain parts, or when it has none its text/html parts reduced
// to text, each in its own character set) and every leaf part that is an attachment: one with a file name (Content-Disposition filename or
// Content-Type name, RFC 2231 parameters and continuations and RFC 2047 encoded words
// decoded), or marked Content-Disposition: attachment (then named "attachment-<n>" with
// an extension from its type). Bodies are decoded from base64 and quoted-printable.
// Malformed input never fails: what cannot be understood is left out (a part with no
// closing boundary ends at the end of the message). Only a message over one of its
// MimeLimits fails, as a whole, so a hostile message cannot make thousands of items or
// hold the parser for long.
//
// Nested parts are read as views into the message's one buffer: a level of nesting costs
// no copy of the body (only a base64 or quoted-printable forwarded message is decoded
// into a buffer of its own).
//
// Subject and sender are personal data: callers must not log them at info level.
//
// Thread-safety: pure functions.
#pragma once

#include "core/error.h"

#include <QByteArray>
#include <QList>
#include <QString>
#include <QStringList>

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
    // The Message-IDs (without angle brackets) the message answers: In-Reply-To's, then
    // References' from the newest back; each once, at most 50, each at most 250 characters.
    QStringList references{};
    // A delivery status report (RFC 3464: multipart/report; report-type=delivery-status)
    // saying a message could not be delivered (Action: failed): the Message-IDs of the
    // returned message's headers it carries, at most 10. Empty for any other message.
    QStringList failedDeliveryOf{};
    QList<MailAttachment> attachments{};
    // The text people wrote: the text/plain parts that are not attachments, in order and
    // separated by a blank line (a forwarded message's too); without any, the text/html
    // parts reduced to text. At most MimeLimits::maxTextChars characters.
    QString text{};
    bool textTruncated = false;  // the text was longer than maxTextChars and is cut there
    // SHA-256 of everything after the message's own headers: with messageId it tells a
    // message seen again from another that reuses its Message-ID.
    QByteArray bodyDigest{};
};

struct MimeLimits {
    int maxAttachments = 50;  // attachments of any type, forwarded messages' included
    int maxParts = 500;       // MIME parts of every kind, the message itself and containers included
    int maxDepth = 20;        // levels of multipart and forwarded-message nesting
    qsizetype maxTextChars = 1'000'000;  // the message's text is cut here (not refused)
};

// The message's headers and attachments. Unreadable, naming the limit (never any of the
// message's content), when the message breaks one of `limits`; no attachment is returned
// then.
Result<MailMessage> parseMessage(const QByteArray &raw, const MimeLimits &limits = {});

// Header text with RFC 2047 encoded words (=?utf-8?B?...?= / ?Q?) decoded; unknown
// character sets are read as Latin-1.
QString decodeHeaderText(const QByteArray &text);

// An HTML body as plain text: scripts, styles and the head left out, line breaks where
// blocks end (br, p, div, li, tr, headings), tags removed, character references decoded,
// runs of spaces joined and at most one blank line in a row.
QString htmlToText(const QString &html);

// Quoted-printable (RFC 2045 6.7) to bytes.
QByteArray decodeQuotedPrintable(const QByteArray &text);

} // namespace clerk::mail
