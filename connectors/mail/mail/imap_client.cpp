#include "mail/imap_client.h"

#include "mail/loopback.h"

#include <QRegularExpression>
#include <QUrl>

#include <curl/curl.h>

#include <algorithm>
#include <mutex>

namespace clerk::mail {

namespace {

std::once_flag globalInit;

struct Buffer {
    QByteArray bytes;
    qint64 limit = 0;
    bool overflowed = false;
};

size_t collect(char *data, size_t size, size_t count, void *user)
{
    auto *buffer = static_cast<Buffer *>(user);
    const qint64 bytes = static_cast<qint64>(size * count);
    if (buffer->bytes.size() + bytes > buffer->limit) {
        buffer->overflowed = true;
        return 0;  // libcurl stops the transfer with CURLE_WRITE_ERROR
    }
    buffer->bytes.append(data, static_cast<qsizetype>(bytes));
    return size * count;
}

// A quoted IMAP string (RFC 3501 section 4.3).
QString quoted(const QString &text)
{
    QString out = text;
    out.replace(QLatin1Char('\\'), QLatin1String("\\\\"));
    out.replace(QLatin1Char('"'), QLatin1String("\\\""));
    return QLatin1Char('"') + out + QLatin1Char('"');
}

// A mailbox name as IMAP spells it (RFC 3501 5.1.3, "modified UTF-7"): printable ASCII
// as it is except '&' (written "&-"), anything else as '&' + base64 of UTF-16BE with ','
// for '/', without padding, + '-'.
QByteArray encodeMailboxName(const QString &name)
{
    QByteArray out;
    QByteArray pending;  // UTF-16BE bytes waiting to be written
    const auto flush = [&] {
        if (pending.isEmpty())
            return;
        QByteArray encoded = pending.toBase64(QByteArray::OmitTrailingEquals);
        encoded.replace('/', ',');
        out += '&';
        out += encoded;
        out += '-';
        pending.clear();
    };
    for (const QChar c : name) {
        const char16_t unit = c.unicode();
        if (unit >= 0x20 && unit <= 0x7e) {
            flush();
            out += unit == u'&' ? QByteArray("&-") : QByteArray(1, static_cast<char>(unit));
        } else {
            pending += static_cast<char>(unit >> 8);
            pending += static_cast<char>(unit & 0xff);
        }
    }
    flush();
    return out;
}

bool hasControlCharacters(const QString &text)
{
    return std::any_of(text.begin(), text.end(), [](QChar c) { return c.unicode() < 0x20 || c.unicode() == 0x7f; });
}

// The untagged lines of a response ("* SEARCH 1 2"), without the "* ".
QList<QByteArray> untagged(const QByteArray &response)
{
    QList<QByteArray> lines;
    for (QByteArray line : response.split('\n')) {
        line = line.trimmed();
        if (line.startsWith("* "))
            lines.append(line.mid(2));
    }
    return lines;
}

} // namespace

class ImapSession::Private {
public:
    ImapSettings settings;
    QString folderUrl;  // without a trailing slash
    QString folder;
    QString host;
    CURL *curl = nullptr;
    char errorText[CURL_ERROR_SIZE]{};
    std::optional<QStringList> capabilities;

    ~Private()
    {
        if (curl)
            curl_easy_cleanup(curl);
    }

    Error failure(CURLcode code, const Buffer &buffer, const QString &what) const
    {
        const QString where = QStringLiteral("mail server %1, folder %2: %3").arg(host, folder, what);
        const QString detail = errorText[0] ? QString::fromUtf8(errorText) : QString::fromUtf8(curl_easy_strerror(code));
        switch (code) {
        case CURLE_LOGIN_DENIED:
            return Error::permissionDenied(QStringLiteral("%1: the server refused the sign-in of %2")
                                               .arg(where, settings.username));
        case CURLE_OPERATION_TIMEDOUT:
            return Error::timeout(QStringLiteral("%1: no answer within %2 s").arg(where).arg(settings.timeout.count() / 1000));
        case CURLE_USE_SSL_FAILED:
            return Error::unavailable(QStringLiteral("%1: the server offers no STARTTLS; use imaps:// or a server "
                                                     "that does")
                                          .arg(where));
        case CURLE_WRITE_ERROR:
            if (buffer.overflowed)
                return Error::unreadable(QStringLiteral("%1: the message is larger than %2 MB").arg(where).arg(
                    settings.maxMessageBytes / (1024 * 1024)));
            break;
        default:
            break;
        }
        return Error::unavailable(QStringLiteral("%1: %2").arg(where, detail));
    }

    // Runs one request: a custom command when `command` is set, else a fetch of `url`.
    Result<QByteArray> perform(const QString &url, const QString &command, qint64 limit, const QString &what)
    {
        if (!curl) {
            std::call_once(globalInit, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
            curl = curl_easy_init();
            if (!curl)
                return fail(Error::internal(QStringLiteral("cannot start libcurl")));
            curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "imap,imaps");
            curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
            curl_easy_setopt(curl, CURLOPT_USERNAME, settings.username.toUtf8().constData());
            curl_easy_setopt(curl, CURLOPT_PASSWORD, settings.password.toUtf8().constData());
            curl_easy_setopt(curl, CURLOPT_USE_SSL, isLoopbackHost(host) ? static_cast<long>(CURLUSESSL_TRY)
                                                                         : static_cast<long>(CURLUSESSL_ALL));
            curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errorText);
            curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
            const long timeout = static_cast<long>(settings.timeout.count());
            curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout);
            curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, std::min(timeout, 30000L));
        }
        Buffer buffer;
        buffer.limit = limit;
        errorText[0] = '\0';
        const QByteArray urlBytes = url.toUtf8();
        // libcurl percent-decodes a custom command: keep a '%' in it literal.
        QByteArray commandBytes = command.toUtf8();
        commandBytes.replace("%", "%25");
        curl_easy_setopt(curl, CURLOPT_URL, urlBytes.constData());
        curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, command.isEmpty() ? nullptr : commandBytes.constData());
        curl_easy_setopt(curl, CURLOPT_WRITEDATA, &buffer);
        const CURLcode code = curl_easy_perform(curl);
        curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, nullptr);
        if (code != CURLE_OK)
            return fail(failure(code, buffer, what));
        return buffer.bytes;
    }

    Result<QByteArray> command(const QString &text, const QString &what)
    {
        return perform(folderUrl, text, 16LL * 1024 * 1024, what);
    }
};

ImapSession::ImapSession(std::unique_ptr<Private> p) : d(std::move(p)) {}
ImapSession::~ImapSession() = default;

Result<std::unique_ptr<ImapSession>> ImapSession::open(const ImapSettings &settings)
{
    const QUrl url(settings.url, QUrl::StrictMode);
    const QString scheme = url.scheme().toLower();
    QString folder = url.path();
    while (folder.startsWith(QLatin1Char('/')))
        folder.remove(0, 1);
    while (folder.endsWith(QLatin1Char('/')))
        folder.chop(1);
    if (!url.isValid() || (scheme != QLatin1String("imap") && scheme != QLatin1String("imaps")) || url.host().isEmpty()
        || folder.isEmpty())
        return fail(Error::invalidArgument(
            QStringLiteral("'%1' is not a mail folder address such as imaps://mail.example.gov.uk/INBOX").arg(settings.url)));
    if (hasControlCharacters(folder))
        return fail(Error::invalidArgument(QStringLiteral("the folder name in '%1' holds control characters").arg(settings.url)));
    auto p = std::make_unique<Private>();
    p->settings = settings;
    p->folder = folder;
    p->host = url.host();
    // libcurl sends the folder as given: give it the server's spelling of the name.
    QUrl base = url;
    base.setPath(QLatin1Char('/') + QString::fromLatin1(encodeMailboxName(folder)));
    base.setUserInfo({});
    p->folderUrl = base.toString(QUrl::FullyEncoded);
    return std::unique_ptr<ImapSession>(new ImapSession(std::move(p)));
}

const QString &ImapSession::folder() const
{
    return d->folder;
}

Result<QStringList> ImapSession::capabilities()
{
    if (d->capabilities)
        return *d->capabilities;
    auto response = d->command(QStringLiteral("CAPABILITY"), QStringLiteral("CAPABILITY"));
    if (!response)
        return fail(response.error());
    QStringList list;
    for (const QByteArray &line : untagged(*response)) {
        if (line.startsWith("CAPABILITY "))
            list += QString::fromLatin1(line.mid(11)).toUpper().split(QLatin1Char(' '), Qt::SkipEmptyParts);
    }
    d->capabilities = list;
    return list;
}

Result<QList<quint32>> ImapSession::search(const QString &criteria)
{
    auto response = d->command(QStringLiteral("UID SEARCH %1").arg(criteria), QStringLiteral("UID SEARCH"));
    if (!response)
        return fail(response.error());
    QList<quint32> uids;
    for (const QByteArray &line : untagged(*response)) {
        if (!line.startsWith("SEARCH"))
            continue;
        for (const QByteArray &word : line.mid(6).split(' ')) {
            bool ok = false;
            const quint32 uid = word.toUInt(&ok);
            if (ok && uid > 0)
                uids.append(uid);
        }
    }
    std::sort(uids.begin(), uids.end());
    return uids;
}

Result<MessageInfo> ImapSession::info(quint32 uid)
{
    auto response = d->command(QStringLiteral("UID FETCH %1 (UID FLAGS RFC822.SIZE)").arg(uid), QStringLiteral("UID FETCH"));
    if (!response)
        return fail(response.error());
    static const QRegularExpression uidPattern(QStringLiteral("\\bUID (\\d+)"));
    static const QRegularExpression flagsPattern(QStringLiteral("\\bFLAGS \\(([^)]*)\\)"));
    static const QRegularExpression sizePattern(QStringLiteral("\\bRFC822\\.SIZE (\\d+)"));
    for (const QByteArray &line : untagged(*response)) {
        const QString text = QString::fromLatin1(line);
        const auto uidMatch = uidPattern.match(text);
        if (!text.contains(QLatin1String(" FETCH ")) || !uidMatch.hasMatch() || uidMatch.captured(1).toUInt() != uid)
            continue;
        MessageInfo info;
        info.uid = uid;
        info.flags = flagsPattern.match(text).captured(1).split(QLatin1Char(' '), Qt::SkipEmptyParts);
        info.size = sizePattern.match(text).captured(1).toLongLong();
        return info;
    }
    return fail(Error::notFound(QStringLiteral("mail server %1, folder %2: no message with UID %3")
                                    .arg(d->host, d->folder)
                                    .arg(uid)));
}

Result<QByteArray> ImapSession::fetch(quint32 uid)
{
    return d->perform(QStringLiteral("%1/;UID=%2").arg(d->folderUrl).arg(uid), {}, d->settings.maxMessageBytes,
                      QStringLiteral("fetching UID %1").arg(uid));
}

Status ImapSession::addFlag(quint32 uid, const QString &flag)
{
    auto response = d->command(QStringLiteral("UID STORE %1 +FLAGS.SILENT (%2)").arg(uid).arg(flag),
                               QStringLiteral("flagging UID %1").arg(uid));
    if (!response)
        return fail(response.error());
    return {};
}

Status ImapSession::removeFlag(quint32 uid, const QString &flag)
{
    auto response = d->command(QStringLiteral("UID STORE %1 -FLAGS.SILENT (%2)").arg(uid).arg(flag),
                               QStringLiteral("unflagging UID %1").arg(uid));
    if (!response)
        return fail(response.error());
    return {};
}

Status ImapSession::move(quint32 uid, const QString &target)
{
    auto capabilities = this->capabilities();
    if (!capabilities)
        return fail(capabilities.error());
    if (target.trimmed().isEmpty() || hasControlCharacters(target))
        return fail(Error::invalidArgument(QStringLiteral("'%1' is not a folder name").arg(target)));
    const QString what = QStringLiteral("moving UID %1 to %2").arg(uid).arg(target);
    const QString encodedTarget = quoted(QString::fromLatin1(encodeMailboxName(target)));
    if (capabilities->contains(QLatin1String("MOVE"))) {
        auto moved = d->command(QStringLiteral("UID MOVE %1 %2").arg(uid).arg(encodedTarget), what);
        if (!moved)
            return fail(moved.error());
        return {};
    }
    if (auto copied = d->command(QStringLiteral("UID COPY %1 %2").arg(uid).arg(encodedTarget), what); !copied)
        return fail(copied.error());
    if (auto deleted = addFlag(uid, QStringLiteral("\\Deleted")); !deleted)
        return deleted;
    const QString expunge = capabilities->contains(QLatin1String("UIDPLUS")) ? QStringLiteral("UID EXPUNGE %1").arg(uid)
                                                                             : QStringLiteral("EXPUNGE");
    if (auto expunged = d->command(expunge, what); !expunged)
        return fail(expunged.error());
    return {};
}

} // namespace clerk::mail
