#include "mail/smtp_client.h"

#include "mail/loopback.h"

#include <QUrl>

#include <curl/curl.h>

#include <algorithm>
#include <memory>
#include <mutex>

namespace clerk::mail {

namespace {

std::once_flag globalInit;

// What the server said, and the command it last answered: the first word of each
// command clerk sent (never the rest of the line: AUTH carries the password).
struct Transcript {
    QByteArray outgoing;   // the message, read by libcurl
    qsizetype sent = 0;
    QString command;
    QStringList reply;
    int refusal = 0;  // the first 4xx/5xx reply's code: command and reply stay those (curl's QUIT follows)
    int lastCode = 0; // the code of the last reply line
};

size_t readMessage(char *buffer, size_t size, size_t count, void *user)
{
    auto *transcript = static_cast<Transcript *>(user);
    const qsizetype room = static_cast<qsizetype>(size * count);
    const qsizetype take = std::min(room, transcript->outgoing.size() - transcript->sent);
    std::copy_n(transcript->outgoing.constData() + transcript->sent, take, buffer);
    transcript->sent += take;
    return static_cast<size_t>(take);
}

int onDebug(CURL *, curl_infotype type, char *data, size_t size, void *user)
{
    auto *transcript = static_cast<Transcript *>(user);
    if (transcript->refusal != 0)
        return 0;
    const QString line = QString::fromUtf8(data, static_cast<qsizetype>(size)).trimmed();
    if (type == CURLINFO_HEADER_OUT) {
        // A line answering the server's 334 is the sign-in's own (a name or a password,
        // base64): still AUTH, and never kept.
        if (!(transcript->command == QLatin1String("AUTH") && transcript->lastCode == 334))
            transcript->command = line.section(QLatin1Char(' '), 0, 0).section(QLatin1Char(':'), 0, 0).toUpper();
        transcript->reply.clear();
    } else if (type == CURLINFO_HEADER_IN) {
        if (transcript->reply.size() < 20)
            transcript->reply.append(line.left(500));
        // The last line of a reply is "NNN text"; earlier ones are "NNN-text".
        const int code = line.left(3).toInt();
        transcript->lastCode = code;
        if (code >= 400 && (line.size() == 3 || line.at(3) == QLatin1Char(' ')))
            transcript->refusal = code;
    }
    return 0;
}

SmtpFailure failure(CURL *curl, CURLcode code, const Transcript &transcript, const QString &host,
                    const char *errorText)
{
    long reply = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &reply);
    SmtpFailure out{Error::unavailable({})};
    if (transcript.refusal != 0)
        reply = transcript.refusal;
    out.code = static_cast<int>(reply);
    out.command = transcript.command;
    out.reply = transcript.reply.join(QLatin1Char('\n'));
    const QString where = QStringLiteral("mail server %1").arg(host);
    const QString detail = errorText[0] ? QString::fromUtf8(errorText) : QString::fromUtf8(curl_easy_strerror(code));
    if (code == CURLE_LOGIN_DENIED || (out.command == QLatin1String("AUTH") && reply >= 500)) {
        out.signIn = true;
        out.error = Error::permissionDenied(QStringLiteral("%1 refused the sign-in (%2)").arg(where).arg(reply));
    } else if (code == CURLE_USE_SSL_FAILED) {
        out.signIn = true;
        out.error = Error::permissionDenied(
            QStringLiteral("%1 offers no STARTTLS; use smtps:// or a server that does").arg(where));
    } else if (reply >= 500 && reply < 600) {
        out.refused = true;
        out.error = Error::permissionDenied(
            QStringLiteral("%1 refused the message: %2 %3").arg(where, out.command.isEmpty() ? QStringLiteral("reply") : out.command).arg(reply));
    } else if (reply >= 400 && reply < 500) {
        out.temporary = true;
        out.error = Error::unavailable(QStringLiteral("%1 asked to try later: %2 %3").arg(where, out.command).arg(reply));
    } else if (code == CURLE_OPERATION_TIMEDOUT) {
        out.temporary = true;
        out.error = Error::timeout(QStringLiteral("%1 did not answer in time").arg(where));
    } else if (code == CURLE_PEER_FAILED_VERIFICATION || code == CURLE_SSL_CONNECT_ERROR || code == CURLE_SSL_CERTPROBLEM
               || code == CURLE_SSL_CACERT_BADFILE) {
        out.signIn = true;
        out.reply = out.reply.isEmpty() ? detail : out.reply + QLatin1Char('\n') + detail;
        out.error = Error::permissionDenied(QStringLiteral("%1: TLS failed: %2").arg(where, detail));
    } else {
        // No connection, a dropped one, a name that does not resolve: try again later.
        out.temporary = true;
        out.error = Error::unavailable(QStringLiteral("%1: %2").arg(where, detail));
    }
    return out;
}

} // namespace

SmtpResult sendMail(const SmtpSettings &settings, const QString &from, const QString &to, const QByteArray &message)
{
    const QUrl url(settings.url, QUrl::StrictMode);
    const QString scheme = url.scheme().toLower();
    if (!url.isValid() || (scheme != QLatin1String("smtp") && scheme != QLatin1String("smtps")) || url.host().isEmpty()
        || !url.userInfo().isEmpty())
        return std::unexpected(SmtpFailure{Error::invalidArgument(
            QStringLiteral("'%1' is not a mail server address such as smtps://smtp.example.gov.uk").arg(settings.url))});
    std::call_once(globalInit, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
    std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
    if (!curl)
        return std::unexpected(SmtpFailure{Error::internal(QStringLiteral("libcurl could not start")), true});

    Transcript transcript;
    transcript.outgoing = message;
    char errorText[CURL_ERROR_SIZE]{};
    const QByteArray urlBytes = url.toString(QUrl::FullyEncoded).toUtf8();
    const QByteArray fromBytes = '<' + from.toUtf8() + '>';
    const QByteArray toBytes = '<' + to.toUtf8() + '>';
    const QByteArray user = settings.username.toUtf8();
    const QByteArray password = settings.password.toUtf8();
    std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> recipients(
        curl_slist_append(nullptr, toBytes.constData()), curl_slist_free_all);
    CURL *handle = curl.get();
    curl_easy_setopt(handle, CURLOPT_URL, urlBytes.constData());
    curl_easy_setopt(handle, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    curl_easy_setopt(handle, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(handle, CURLOPT_USE_SSL,
                     isLoopbackHost(url.host()) && !settings.requireTls ? static_cast<long>(CURLUSESSL_TRY)
                                                                        : static_cast<long>(CURLUSESSL_ALL));
    const QByteArray caFile = settings.caFile.toUtf8();
    if (!caFile.isEmpty())
        curl_easy_setopt(handle, CURLOPT_CAINFO, caFile.constData());
    if (!user.isEmpty()) {
        curl_easy_setopt(handle, CURLOPT_USERNAME, user.constData());
        curl_easy_setopt(handle, CURLOPT_PASSWORD, password.constData());
    }
    curl_easy_setopt(handle, CURLOPT_MAIL_FROM, fromBytes.constData());
    curl_easy_setopt(handle, CURLOPT_MAIL_RCPT, recipients.get());
    curl_easy_setopt(handle, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(handle, CURLOPT_READFUNCTION, readMessage);
    curl_easy_setopt(handle, CURLOPT_READDATA, &transcript);
    curl_easy_setopt(handle, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(message.size()));
    curl_easy_setopt(handle, CURLOPT_VERBOSE, 1L);  // to the debug function only: server replies, command names
    curl_easy_setopt(handle, CURLOPT_DEBUGFUNCTION, onDebug);
    curl_easy_setopt(handle, CURLOPT_DEBUGDATA, &transcript);
    curl_easy_setopt(handle, CURLOPT_ERRORBUFFER, errorText);
    const long timeout = static_cast<long>(settings.timeout.count());
    curl_easy_setopt(handle, CURLOPT_TIMEOUT_MS, timeout);
    curl_easy_setopt(handle, CURLOPT_CONNECTTIMEOUT_MS, std::min(timeout, 30000L));
    const CURLcode code = curl_easy_perform(handle);
    if (code == CURLE_OK)
        return {};
    return std::unexpected(failure(handle, code, transcript, url.host(), errorText));
}

} // namespace clerk::mail
