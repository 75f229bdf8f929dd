#include "scheduler/mailbox_watch.h"

#include "bot/secret_ref.h"
#include "mail/imap_client.h"
#include "mail/mime_message.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFileInfo>
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

MailboxPoll MailboxWatch::poll(engine::Engine &engine, const bot::BotDefinition &bot)
{
    MailboxPoll result;
    auto password = bot::resolveSecret(m_settings.passwordRef);
    if (!password) {
        result.problems.append(QStringLiteral("cannot read the password: %1").arg(password.error().toString()));
        return result;
    }
    mail::ImapSettings imap;
    imap.url = m_settings.url;
    imap.username = m_settings.username;
    imap.password = *password;
    imap.timeout = m_settings.timeout;
    imap.maxMessageBytes = m_settings.maxMessageBytes;
    auto opened = mail::ImapSession::open(imap);
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

    const auto markHandled = [&](quint32 uid, bool wasSeen) -> Status {
        if (m_settings.move) {
            if (!wasSeen)
                (void)session.removeFlag(uid, kSeen);
            return session.move(uid, m_settings.moveTo);
        }
        if (auto flagged = session.addFlag(uid, m_settings.flag); !flagged)
            return flagged;
        if (!wasSeen && m_settings.flag.compare(kSeen, Qt::CaseInsensitive) != 0)
            (void)session.removeFlag(uid, kSeen);
        return {};
    };

    int handled = 0;
    for (const quint32 uid : *uids) {
        if (handled++ >= m_settings.maxMessagesPerPoll)
            break;
        auto info = session.info(uid);
        if (!info) {
            if (info.error().code() != ErrorCode::NotFound)  // gone meanwhile: nothing to do
                result.problems.append(info.error().toString());
            continue;
        }
        const bool wasSeen = info->flags.contains(kSeen, Qt::CaseInsensitive);
        if (info->size > m_settings.maxMessageBytes) {
            // Never readable: marked, so it does not hold up the folder, and reported.
            result.problems.append(QStringLiteral("UID %1: the message is larger than %2 MB; marked as handled "
                                                  "without reading it")
                                       .arg(uid)
                                       .arg(m_settings.maxMessageBytes / (1024 * 1024)));
            if (auto marked = markHandled(uid, true); marked)
                ++result.messages;
            continue;
        }
        auto raw = session.fetch(uid);
        if (!raw) {
            result.problems.append(raw.error().toString());
            if (raw.error().code() == ErrorCode::Unreadable) {  // too large: never readable
                if (auto marked = markHandled(uid, wasSeen); marked)
                    ++result.messages;
            } else if (!wasSeen) {
                (void)session.removeFlag(uid, kSeen);
            }
            continue;
        }
        const auto parsed = mail::parseMessage(*raw, mail::MimeLimits{m_settings.maxAttachments, m_settings.maxMimeParts,
                                                                       m_settings.maxMimeDepth});
        if (!parsed) {
            // All of it or none of it: items for the first attachments only would pass for
            // the whole message. Marked, so it does not come back on every poll; the
            // reason names the limit and the UID, never the sender, subject or content.
            qCWarning(lcMailbox, "bot %s: message UID %u not turned into items: %s; marked as handled",
                      qUtf8Printable(bot.name), uid, qUtf8Printable(parsed.error().message()));
            result.problems.append(QStringLiteral("UID %1: %2; no item made, marked as handled for a person to "
                                                  "deal with")
                                       .arg(uid)
                                       .arg(parsed.error().message()));
            if (auto marked = markHandled(uid, wasSeen); marked)
                ++result.messages;
            else
                result.problems.append(QStringLiteral("UID %1: not marked (%2)").arg(uid).arg(marked.error().toString()));
            continue;
        }
        const mail::MailMessage &message = *parsed;
        // The sender chooses the Message-ID, so it alone does not name a message: another
        // message reusing it (by mistake or to suppress it) would be dropped as a repeat.
        // With the body's digest, the same message read again is still one message.
        const QString id = message.messageId.isEmpty()
                               ? QStringLiteral("mail-sha256:%1").arg(digestOf(*raw))
                               : QStringLiteral("mail:%1/%2").arg(message.messageId,
                                                                  QString::fromLatin1(message.bodyDigest.toHex().left(16)));
        const QString prefix = digestOf(id.toUtf8());
        bool stored = true;
        bool storeDown = false;
        int items = 0;
        for (const mail::MailAttachment &attachment : message.attachments) {
            if (!matchesAny(attachment.fileName, m_settings.patterns))
                continue;
            const QString path = QDir(m_settings.folder)
                                     .filePath(QStringLiteral("%1-%2-%3")
                                                   .arg(prefix)
                                                   .arg(attachment.index)
                                                   .arg(safeFileName(attachment.fileName)));
            QSaveFile file(path);
            if (!file.open(QIODevice::WriteOnly) || file.write(attachment.content) != attachment.content.size()
                || !file.commit()) {
                result.problems.append(QStringLiteral("UID %1: cannot save attachment %2 in %3: %4")
                                           .arg(uid)
                                           .arg(attachment.index)
                                           .arg(m_settings.folder, file.errorString()));
                stored = false;
                break;
            }
            const QJsonObject mailFields{{QStringLiteral("message_id"), message.messageId},
                                         {QStringLiteral("from"), message.from},
                                         {QStringLiteral("subject"), message.subject},
                                         {QStringLiteral("date"), message.date},
                                         {QStringLiteral("uid"), static_cast<qint64>(uid)},
                                         {QStringLiteral("attachment"), attachment.index}};
            const QJsonObject payload{{QStringLiteral("file"), path},
                                      {QStringLiteral("name"), attachment.fileName},
                                      {QStringLiteral("size"), static_cast<qint64>(attachment.content.size())},
                                      {QStringLiteral("content_type"), attachment.contentType},
                                      {QStringLiteral("mail"), mailFields}};
            auto submitted = engine.submit(bot, QStringLiteral("%1#%2").arg(id).arg(attachment.index), payload);
            if (!submitted) {
                result.problems.append(QStringLiteral("UID %1: not stored, the message is read again at the next "
                                                      "poll: %2")
                                           .arg(uid)
                                           .arg(submitted.error().toString()));
                stored = false;
                storeDown = true;
                break;
            }
            ++items;
            if (submitted->created)
                ++result.enqueued;
        }
        if (!stored) {
            if (!wasSeen)
                (void)session.removeFlag(uid, kSeen);
            if (storeDown)
                break;
            continue;
        }
        if (auto marked = markHandled(uid, wasSeen); !marked) {
            result.problems.append(QStringLiteral("UID %1: its items are stored but the message is not marked (%2); "
                                                  "the next poll marks it")
                                       .arg(uid)
                                       .arg(marked.error().toString()));
            continue;
        }
        ++result.messages;
        if (items == 0)
            qCInfo(lcMailbox, "bot %s: message UID %u has no attachment matching %s; marked as handled",
                   qUtf8Printable(bot.name), uid, qUtf8Printable(m_settings.patterns.join(QLatin1Char(','))));
    }
    if (result.messages > 0)
        qCInfo(lcMailbox, "bot %s: mailbox %s: %d messages handled, %d new items", qUtf8Printable(bot.name),
               qUtf8Printable(session.folder()), result.messages, result.enqueued);
    return result;
}

} // namespace clerk::scheduler
