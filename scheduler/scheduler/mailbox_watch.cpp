#include "scheduler/mailbox_watch.h"

#include "bot/secret_ref.h"
#include "mail/imap_client.h"
#include "mail/mime_message.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonObject>
#include <QLoggingCategory>
#include <QRegularExpression>
#include <QSaveFile>

namespace clerk::scheduler {

Q_LOGGING_CATEGORY(lcMailbox, "clerk.scheduler.mailbox")

namespace {

const QString kSeen = QStringLiteral("\\Seen");

QString digestOf(const QByteArray &bytes)
{
    return QString::fromLatin1(QCryptographicHash::hash(bytes, QCryptographicHash::Sha256).toHex().left(16));
}

// A file name that is safe in any folder: no separators, no leading dot, at most 100
// characters (the extension kept).
QString safeFileName(const QString &name)
{
    QString out;
    for (const QChar c : name) {
        if (c.isLetterOrNumber() || c == QLatin1Char('.') || c == QLatin1Char('-') || c == QLatin1Char('_'))
            out += c;
        else
            out += QLatin1Char('_');
    }
    while (out.startsWith(QLatin1Char('.')))
        out.remove(0, 1);
    if (out.size() > 100) {
        const qsizetype dot = out.lastIndexOf(QLatin1Char('.'));
        const QString extension = dot > 0 && out.size() - dot <= 10 ? out.mid(dot) : QString();
        out = out.left(100 - extension.size()) + extension;
    }
    return out.isEmpty() ? QStringLiteral("attachment") : out;
}

bool matchesAny(const QString &name, const QStringList &patterns)
{
    for (const QString &pattern : patterns) {
        const QRegularExpression re(QRegularExpression::wildcardToRegularExpression(pattern.trimmed()),
                                    QRegularExpression::CaseInsensitiveOption);
        if (re.match(name).hasMatch())
            return true;
    }
    return false;
}

QString searchCriteria(const MailboxSettings &settings)
{
    if (settings.move)
        return QStringLiteral("NOT DELETED");
    if (settings.flag.compare(kSeen, Qt::CaseInsensitive) == 0)
        return QStringLiteral("NOT DELETED UNSEEN");
    if (settings.flag.compare(QLatin1String("\\Flagged"), Qt::CaseInsensitive) == 0)
        return QStringLiteral("NOT DELETED UNFLAGGED");
    return QStringLiteral("NOT DELETED NOT KEYWORD %1").arg(settings.flag);
}

} // namespace

Result<MailboxSettings> MailboxSettings::forBot(const bot::BotDefinition &bot)
{
    if (!bot.trigger || bot.trigger->kind != bot::TriggerDefinition::Kind::Mailbox)
        return fail(Error::invalidArgument(QStringLiteral("not a mailbox trigger")));
    const QJsonObject options = bot.trigger->options;
    MailboxSettings settings;
    settings.url = options.value(QStringLiteral("url")).toString();
    settings.username = options.value(QStringLiteral("username")).toString();
    settings.passwordRef = options.value(QStringLiteral("password")).toString();
    settings.move = options.value(QStringLiteral("after")).toString() == QLatin1String("move");
    settings.flag = options.value(QStringLiteral("flag")).toString(QStringLiteral("$ClerkDone"));
    settings.moveTo = options.value(QStringLiteral("move_to")).toString().trimmed();
    settings.patterns = options.value(QStringLiteral("attachments"))
                            .toString(QStringLiteral("*.pdf,*.tif,*.tiff,*.png,*.jpg,*.jpeg"))
                            .split(QLatin1Char(','), Qt::SkipEmptyParts);
    settings.maxAttachments = options.value(QStringLiteral("max_attachments")).toInt(settings.maxAttachments);
    const QString items = options.value(QStringLiteral("items")).toString(QStringLiteral("attachments"));
    settings.items = items == QLatin1String("body") ? MailItems::Body
                     : items == QLatin1String("both") ? MailItems::Both
                                                      : MailItems::Attachments;
    const QString folder = options.value(QStringLiteral("folder")).toString(QStringLiteral("mail"));
    settings.folder = QDir::cleanPath(QDir(bot.baseDir).absoluteFilePath(folder));
    mail::ImapSettings imap;
    imap.url = settings.url;
    if (auto checked = mail::ImapSession::open(imap); !checked)
        return fail(checked.error());
    if (settings.move && settings.moveTo.isEmpty())
        return fail(Error::invalidArgument(QStringLiteral("mailbox: after: move needs move_to")));
    if (settings.maxAttachments < 1)
        return fail(Error::invalidArgument(QStringLiteral("mailbox: max_attachments must be at least 1")));
    if (settings.username.isEmpty() || !bot::isSecretRef(settings.passwordRef))
        return fail(Error::invalidArgument(QStringLiteral("mailbox: needs username and a password reference")));
    return settings;
}

namespace {

// One poll's connection and what it has found so far.
struct PollContext {
    engine::Engine &engine;
    const bot::BotDefinition &bot;
    const MailboxSettings &settings;
    mail::ImapSession &session;
    MailboxPoll &result;
};

Result<std::unique_ptr<mail::ImapSession>> signIn(const MailboxSettings &settings, const QString &password)
{
    mail::ImapSettings imap;
    imap.url = settings.url;
    imap.username = settings.username;
    imap.password = password;
    imap.timeout = settings.timeout;
    imap.maxMessageBytes = settings.maxMessageBytes;
    return mail::ImapSession::open(imap);
}

// Flags the message or moves it, and puts back its unread state where clerk's fetch
// changed it.
Status markHandled(const PollContext &poll, quint32 uid, bool wasSeen)
{
    const MailboxSettings &settings = poll.settings;
    if (settings.move) {
        if (!wasSeen)
            (void)poll.session.removeFlag(uid, kSeen);
        return poll.session.move(uid, settings.moveTo);
    }
    if (auto flagged = poll.session.addFlag(uid, settings.flag); !flagged)
        return flagged;
    if (!wasSeen && settings.flag.compare(kSeen, Qt::CaseInsensitive) != 0)
        (void)poll.session.removeFlag(uid, kSeen);
    return {};
}

// The message's source reference. The sender chooses the Message-ID, so it alone does not
// name a message: another message reusing it (by mistake or to suppress it) would be
// dropped as a repeat. With the body's digest, the same message read again is still one
// message.
QString sourceIdOf(const mail::MailMessage &message, const QByteArray &raw)
{
    return message.messageId.isEmpty()
               ? QStringLiteral("mail-sha256:%1").arg(digestOf(raw))
               : QStringLiteral("mail:%1/%2").arg(message.messageId, QString::fromLatin1(message.bodyDigest.toHex().left(16)));
}

QJsonObject mailFieldsOf(const mail::MailMessage &message, quint32 uid)
{
    return {{QStringLiteral("message_id"), message.messageId},
            {QStringLiteral("from"), message.from},
            {QStringLiteral("subject"), message.subject},
            {QStringLiteral("date"), message.date},
            {QStringLiteral("uid"), static_cast<qint64>(uid)}};
}

// A saved attachment as an item's input describes it.
QJsonObject savedFile(const mail::MailAttachment &attachment, const QString &path)
{
    return {{QStringLiteral("file"), path},
            {QStringLiteral("name"), attachment.fileName},
            {QStringLiteral("size"), static_cast<qint64>(attachment.content.size())},
            {QStringLiteral("content_type"), attachment.contentType}};
}

enum class Submission { Stored, NotSaved, StoreDown };

// Saves each attachment matching the patterns into the folder (the same name on every
// fetch); their descriptions (savedFile), indexed by attachment, or NotSaved.
Submission saveAttachments(const PollContext &poll, const mail::MailMessage &message, const QString &id, quint32 uid,
                           QList<std::pair<int, QJsonObject>> &saved)
{
    const MailboxSettings &settings = poll.settings;
    const QString prefix = digestOf(id.toUtf8());
    for (const mail::MailAttachment &attachment : message.attachments) {
        if (!matchesAny(attachment.fileName, settings.patterns))
            continue;
        const QString path = QDir(settings.folder)
                                 .filePath(QStringLiteral("%1-%2-%3")
                                               .arg(prefix)
                                               .arg(attachment.index)
                                               .arg(safeFileName(attachment.fileName)));
        QSaveFile file(path);
        if (!file.open(QIODevice::WriteOnly) || file.write(attachment.content) != attachment.content.size()
            || !file.commit()) {
            poll.result.problems.append(QStringLiteral("UID %1: cannot save attachment %2 in %3: %4")
                                            .arg(uid)
                                            .arg(attachment.index)
                                            .arg(settings.folder, file.errorString()));
            return Submission::NotSaved;
        }
        saved.append({attachment.index, savedFile(attachment, path)});
    }
    return Submission::Stored;
}

// A message clerk sent that this message is about, checked against the outbox: the
// item it was sent for (0: none), its Message-ID, and whether this message reports that
// it bounced (a delivery failure report) rather than answers it (In-Reply-To, References).
struct Answered {
    qint64 itemId = 0;
    QString messageId{};
    bool bounce = false;
};

Result<Answered> answeredItem(const PollContext &poll, const mail::MailMessage &message)
{
    for (const bool bounce : {true, false}) {
        for (const QString &reference : bounce ? message.failedDeliveryOf : message.references) {
            auto item = poll.engine.itemOfSentMessage(reference);
            if (!item)
                return fail(item.error());
            if (*item)
                return Answered{**item, reference, bounce};
        }
    }
    return Answered{};
}

Submission submitOne(const PollContext &poll, const QString &sourceRef, QJsonObject payload, quint32 uid,
                     int &items, const Answered &answered)
{
    if (answered.itemId > 0)
        payload.insert(answered.bounce ? QStringLiteral("bounce_of_item") : QStringLiteral("reply_to_item"), answered.itemId);
    auto submitted = poll.engine.submit(poll.bot, sourceRef, payload);
    if (!submitted) {
        poll.result.problems.append(QStringLiteral("UID %1: not stored, the message is read again at the next "
                                                   "poll: %2")
                                        .arg(uid)
                                        .arg(submitted.error().toString()));
        return Submission::StoreDown;
    }
    ++items;
    if (submitted->created)
        ++poll.result.enqueued;
    if (submitted->created && answered.itemId > 0) {
        const Status noted = answered.bounce ? poll.engine.recordBounce(answered.itemId, answered.messageId)
                                             : poll.engine.recordReply(answered.itemId, submitted->id, answered.messageId);
        if (!noted) {
            poll.result.problems.append(QStringLiteral("UID %1: the %2 item %3 was not noted on it: %4")
                                            .arg(uid)
                                            .arg(answered.bounce ? QStringLiteral("bounce of") : QStringLiteral("reply to"))
                                            .arg(answered.itemId)
                                            .arg(noted.error().toString()));
        }
    }
    return Submission::Stored;
}

// Saves the matching attachments and submits the message's items as `items:` says: one
// per attachment, one for the message's text (with its attachments listed), or both;
// `items` counts them.
Submission submitMessage(const PollContext &poll, const mail::MailMessage &message, const QByteArray &raw,
                         quint32 uid, int &items)
{
    const MailboxSettings &settings = poll.settings;
    const QString id = sourceIdOf(message, raw);
    QList<std::pair<int, QJsonObject>> saved;
    if (const Submission stored = saveAttachments(poll, message, id, uid, saved); stored != Submission::Stored)
        return stored;
    const auto answered = answeredItem(poll, message);
    if (!answered) {
        poll.result.problems.append(QStringLiteral("UID %1: not stored, the message is read again at the next poll: %2")
                                        .arg(uid)
                                        .arg(answered.error().toString()));
        return Submission::StoreDown;
    }
    if (settings.items != MailItems::Body) {
        for (const auto &[index, file] : std::as_const(saved)) {
            QJsonObject payload = file;
            QJsonObject mailFields = mailFieldsOf(message, uid);
            mailFields.insert(QStringLiteral("attachment"), index);
            payload.insert(QStringLiteral("mail"), mailFields);
            if (auto one = submitOne(poll, QStringLiteral("%1#%2").arg(id).arg(index), payload, uid, items, *answered);
                one != Submission::Stored)
                return one;
        }
    }
    const bool bodyItem = settings.items == MailItems::Body
                          || (settings.items == MailItems::Both && !message.text.isEmpty());
    if (!bodyItem)
        return Submission::Stored;
    QJsonArray attachments;
    for (const auto &entry : std::as_const(saved))
        attachments.append(entry.second);
    QJsonObject payload{{QStringLiteral("text"), message.text},
                        {QStringLiteral("mail"), mailFieldsOf(message, uid)},
                        {QStringLiteral("attachments"), attachments}};
    if (message.textTruncated)
        payload.insert(QStringLiteral("text_truncated"), true);
    return submitOne(poll, id + QStringLiteral("#body"), payload, uid, items, *answered);
}

// Marks a message that will never make items (too large, or over the MIME limits) so it
// does not hold up the folder.
void markUnreadable(const PollContext &poll, quint32 uid, bool wasSeen, bool reportUnmarked)
{
    if (auto marked = markHandled(poll, uid, wasSeen); marked)
        ++poll.result.messages;
    else if (reportUnmarked)
        poll.result.problems.append(QStringLiteral("UID %1: not marked (%2)").arg(uid).arg(marked.error().toString()));
}

// The fetched message parsed, or nullopt when it was over the MIME limits (marked and
// reported).
std::optional<mail::MailMessage> parseFetched(const PollContext &poll, const QByteArray &raw, quint32 uid, bool wasSeen)
{
    const MailboxSettings &settings = poll.settings;
    auto parsed = mail::parseMessage(raw, mail::MimeLimits{settings.maxAttachments, settings.maxMimeParts,
                                                           settings.maxMimeDepth});
    if (parsed)
        return std::move(*parsed);
    // All of it or none of it: items for the first attachments only would pass for the
    // whole message. Marked, so it does not come back on every poll; the reason names the
    // limit and the UID, never the sender, subject or content.
    qCWarning(lcMailbox, "bot %s: message UID %u not turned into items: %s; marked as handled",
              qUtf8Printable(poll.bot.name), uid, qUtf8Printable(parsed.error().message()));
    poll.result.problems.append(QStringLiteral("UID %1: %2; no item made, marked as handled for a person to "
                                               "deal with")
                                    .arg(uid)
                                    .arg(parsed.error().message()));
    markUnreadable(poll, uid, wasSeen, true);
    return std::nullopt;
}

enum class NextMessage { GoOn, StopPoll };

// Reads one message, submits its items and marks it. Stops the poll when the store is
// down.
NextMessage handleMessage(const PollContext &poll, quint32 uid)
{
    const MailboxSettings &settings = poll.settings;
    MailboxPoll &result = poll.result;
    auto info = poll.session.info(uid);
    if (!info) {
        if (info.error().code() != ErrorCode::NotFound)  // gone meanwhile: nothing to do
            result.problems.append(info.error().toString());
        return NextMessage::GoOn;
    }
    const bool wasSeen = info->flags.contains(kSeen, Qt::CaseInsensitive);
    if (info->size > settings.maxMessageBytes) {
        // Never readable: marked, so it does not hold up the folder, and reported.
        result.problems.append(QStringLiteral("UID %1: the message is larger than %2 MB; marked as handled "
                                              "without reading it")
                                   .arg(uid)
                                   .arg(settings.maxMessageBytes / (1024 * 1024)));
        markUnreadable(poll, uid, true, false);
        return NextMessage::GoOn;
    }
    auto raw = poll.session.fetch(uid);
    if (!raw) {
        result.problems.append(raw.error().toString());
        if (raw.error().code() == ErrorCode::Unreadable)  // too large: never readable
            markUnreadable(poll, uid, wasSeen, false);
        else if (!wasSeen)
            (void)poll.session.removeFlag(uid, kSeen);
        return NextMessage::GoOn;
    }
    const auto message = parseFetched(poll, *raw, uid, wasSeen);
    if (!message)
        return NextMessage::GoOn;
    int items = 0;
    const Submission submission = submitMessage(poll, *message, *raw, uid, items);
    if (submission != Submission::Stored) {
        if (!wasSeen)
            (void)poll.session.removeFlag(uid, kSeen);
        return submission == Submission::StoreDown ? NextMessage::StopPoll : NextMessage::GoOn;
    }
    if (auto marked = markHandled(poll, uid, wasSeen); !marked) {
        result.problems.append(QStringLiteral("UID %1: its items are stored but the message is not marked (%2); "
                                              "the next poll marks it")
                                   .arg(uid)
                                   .arg(marked.error().toString()));
        return NextMessage::GoOn;
    }
    ++result.messages;
    if (items == 0)
        qCInfo(lcMailbox, "bot %s: message UID %u made no item (no attachment matching %s); marked as handled",
               qUtf8Printable(poll.bot.name), uid, qUtf8Printable(settings.patterns.join(QLatin1Char(','))));
    return NextMessage::GoOn;
}

} // namespace

MailboxPoll MailboxWatch::poll(engine::Engine &engine, const bot::BotDefinition &bot)
{
    MailboxPoll result;
    // Resolved on each poll, so a changed secret is picked up.
    auto password = bot::resolveSecret(m_settings.passwordRef);
    if (!password) {
        result.problems.append(QStringLiteral("cannot read the password: %1").arg(password.error().toString()));
        return result;
    }
    auto opened = signIn(m_settings, *password);
    if (!opened) {
        result.problems.append(opened.error().toString());
        return result;
    }
    mail::ImapSession &session = **opened;
    auto uids = session.search(searchCriteria(m_settings));
    if (!uids) {
        result.problems.append(QStringLiteral("not read, tried again at the next poll: %1").arg(uids.error().toString()));
        return result;
    }
    if (!QDir().mkpath(m_settings.folder)) {
        result.problems.append(QStringLiteral("cannot create the attachment folder %1").arg(m_settings.folder));
        return result;
    }

    const PollContext context{engine, bot, m_settings, session, result};
    int handled = 0;
    for (const quint32 uid : *uids) {
        if (handled++ >= m_settings.maxMessagesPerPoll)
            break;
        if (handleMessage(context, uid) == NextMessage::StopPoll)
            break;
    }
    if (result.messages > 0)
        qCInfo(lcMailbox, "bot %s: mailbox %s: %d messages handled, %d new items", qUtf8Printable(bot.name),
               qUtf8Printable(session.folder()), result.messages, result.enqueued);
    return result;
}

} // namespace clerk::scheduler
