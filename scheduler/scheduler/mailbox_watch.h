// MailboxWatch: turns new messages in an IMAP folder into work items (bot trigger
// `mailbox`): their attachments, their text, or both (`items`); then marks the messages
// as handled.
//
// A poll signs in (the password is resolved from its ${env:} / ${file:} reference on each
// poll, so a changed secret is picked up), lists the messages not yet handled (after:
// flag: those without the flag; after: move: every message in the folder not marked
// \Deleted) and, oldest first, for each one:
//   1. fetches it and saves each attachment whose file name matches `attachments` into
//      `folder` as "<message digest>-<index>-<file name>" (the same name on every fetch);
//   2. submits one item per saved attachment, with source reference
//      "mail:<Message-ID>/<digest of the body>#<index>" (a message without Message-ID:
//      "mail-sha256:<digest of the message>#<index>"; digests are the first 16 hex
//      digits of SHA-256) and input
//        {"file": saved path, "name": file name, "size": bytes, "content_type": type,
//         "mail": {"message_id", "from", "subject", "date", "uid", "attachment": index}};
//      with items: body, one item per message instead, source reference "<as above>#body"
//      and input {"text": the message's text (MailMessage::text), "mail": {"message_id",
//      "from", "subject", "date", "uid"}, "attachments": [{"file", "name", "size",
//      "content_type"}...]} ("text_truncated": true when the text was cut); with items:
//      both, the attachments' items and, when the message has text, that one;
//      a message answering one clerk sent (In-Reply-To / References holding a notify
//      step's Message-ID that the outbox holds as sent: Engine::itemOfSentMessage) gives
//      its items "reply_to_item": the item it was sent for, and notes the reply on that
//      item (Engine::recordReply); a delivery failure report returning the headers of
//      such a message gives "bounce_of_item" instead and counts that message bounced
//      (Engine::recordBounce);
//      submission is deduplicated, so a message read again (after a crash, or when
//      marking it failed, or delivered twice) makes no second item, while another
//      message reusing its Message-ID is still taken;
//   3. only then flags it or moves it to `move_to`. A message without a suitable
//      attachment is marked too, and logged at info with its UID only.
// Fetching sets \Seen on the server; when the message was unread before and the flag is
// not \Seen, clerk clears \Seen again, so people sharing the mailbox still see it unread
// (also when storing failed, so a \Seen-flagging bot finds it again on the next poll).
// A message larger than maxMessageBytes is not fetched: it is marked and reported. A
// message over the MIME limits (more than maxAttachments attachments, maxMimeParts
// parts, or nesting deeper than maxMimeDepth) makes no item at all, not even for its
// first attachments: it is marked too, logged with its UID and the limit, and reported,
// so a person can deal with it in the mail client.
//
// Sender and subject are personal data: they go into the item, never into a log line or
// a problem text; problems name the mailbox host, the folder and UIDs.
//
// Thread-safety: used from the scheduler's thread only.
#pragma once

#include "bot/bot_definition.h"
#include "core/error.h"
#include "engine/engine.h"

#include <QString>
#include <QStringList>
#include <chrono>

namespace clerk::scheduler {

// What a message becomes (trigger key items): one item per attachment; one item per
// message, its text with its attachments listed; or both (the text's item only when the
// message has text).
enum class MailItems { Attachments, Body, Both };

struct MailboxSettings {
    QString url{};            // imap[s]://host[:port]/Folder
    QString username{};
    QString passwordRef{};    // "${env:NAME}" or "${file:/path}"
    bool move = false;        // after: move (else flag)
    QString flag{};           // after: flag: "\\Seen" or a keyword
    QString moveTo{};         // after: move
    QStringList patterns{};   // wildcards, matched ignoring case
    MailItems items = MailItems::Attachments;
    QString folder{};         // absolute: where attachments are saved
    std::chrono::milliseconds timeout{std::chrono::seconds(60)};
    int maxMessagesPerPoll = 100;  // the rest wait for the next poll
    qint64 maxMessageBytes = 50LL * 1024 * 1024;  // larger ones are not read: marked, with a problem
    int maxAttachments = 50;  // per message (option max_attachments); more: no items, marked, with a problem
    int maxMimeParts = 500;   // per message, every kind of part; more: as above
    int maxMimeDepth = 20;    // multipart and forwarded-message nesting; deeper: as above

    // The settings of a mailbox trigger; `folder` relative to the bot file's folder.
    // InvalidArgument for a bad url or after: move without move_to.
    static Result<MailboxSettings> forBot(const bot::BotDefinition &bot);
};

struct MailboxPoll {
    int messages = 0;         // messages read and marked
    int enqueued = 0;         // new items
    QStringList problems{};   // never senders, subjects or contents
};

class MailboxWatch {
public:
    explicit MailboxWatch(MailboxSettings settings) : m_settings(std::move(settings)) {}

    const MailboxSettings &settings() const { return m_settings; }

    // One poll. Never fails as a whole: a server that cannot be reached is a problem, and
    // a message that fails is left for the next poll while the others go on; a store
    // failure stops the poll.
    MailboxPoll poll(engine::Engine &engine, const bot::BotDefinition &bot);

private:
    MailboxSettings m_settings;
};

} // namespace clerk::scheduler
