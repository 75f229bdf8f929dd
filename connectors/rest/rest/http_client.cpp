#include "rest/http_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <memory>
#include <mutex>

namespace clerk::rest {

namespace {

struct CurlHandleDeleter {
    void operator()(CURL *handle) const { curl_easy_cleanup(handle); }
};

CURL *threadHandle()
{
    static std::once_flag globalInit;
    std::call_once(globalInit, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
    thread_local std::unique_ptr<CURL, CurlHandleDeleter> handle(curl_easy_init());
    return handle.get();
}

struct Exchange {
    HttpResponse *response = nullptr;
    qint64 maxBodyBytes = 0;
    bool tooLarge = false;
};

size_t onBody(char *data, size_t size, size_t count, void *user)
{
    auto *exchange = static_cast<Exchange *>(user);
    const size_t bytes = size * count;
    if (exchange->response->body.size() + static_cast<qint64>(bytes) > exchange->maxBodyBytes) {
        exchange->tooLarge = true;
        return 0;  // makes libcurl stop with CURLE_WRITE_ERROR
    }
    exchange->response->body.append(data, static_cast<qsizetype>(bytes));
    return bytes;
}

size_t onHeader(char *data, size_t size, size_t count, void *user)
{
    auto *exchange = static_cast<Exchange *>(user);
    const size_t bytes = size * count;
    const QByteArray line = QByteArray(data, static_cast<qsizetype>(bytes)).trimmed();
    if (line.startsWith("HTTP/")) {
        // A new response (after 100 Continue or a redirect): keep only the last one's headers.
        exchange->response->headers.clear();
        return bytes;
    }
    const qsizetype colon = line.indexOf(':');
    if (colon > 0)
        exchange->response->headers.append({line.left(colon).trimmed().toLower(), line.mid(colon + 1).trimmed()});
    return bytes;
}

TransportError transportError(CURLcode code, const char *detail)
{
    const QString text = detail && *detail ? QString::fromUtf8(detail) : QString::fromUtf8(curl_easy_strerror(code));
    switch (code) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
        return {Error::unavailable(QStringLiteral("cannot connect: %1").arg(text)), TransportFailure::NotSent};
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CACERT_BADFILE:
        return {Error::permissionDenied(QStringLiteral("secure connection failed: %1").arg(text)),
                TransportFailure::NotSent};
    case CURLE_OPERATION_TIMEDOUT:
        return {Error::timeout(QStringLiteral("no answer in time: %1").arg(text)), TransportFailure::MaybeSent};
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
        return {Error::invalidArgument(QStringLiteral("bad address: %1").arg(text)), TransportFailure::NotSent};
    default:
        return {Error::unavailable(QStringLiteral("the exchange failed: %1").arg(text)), TransportFailure::MaybeSent};
    }
}

} // namespace

QByteArray HttpResponse::header(const QByteArray &name) const
{
    for (const auto &[key, value] : headers) {
        if (key == name)
            return value;
    }
    return {};
}

std::expected<HttpResponse, TransportError> HttpClient::perform(const HttpRequest &request, qint64 maxBodyBytes)
{
    // A CR or LF would end the header line early and let the rest become headers (or a
    // body) of its own; a NUL would cut it short. Callers check first and name the
    // header; this is the last line of defence.
    for (const auto &[name, value] : request.headers) {
        const auto breaks = [](const QByteArray &text) {
            return text.contains('\r') || text.contains('\n') || text.contains('\0');
        };
        if (breaks(name) || breaks(value))
            return std::unexpected(TransportError{
                Error::invalidArgument(QStringLiteral("header %1 holds a line break or NUL; not sent")
                                           .arg(QString::fromUtf8(name.left(64)).simplified())),
                TransportFailure::NotSent});
    }
    CURL *curl = threadHandle();
    if (!curl)
        return std::unexpected(TransportError{Error::internal(QStringLiteral("libcurl could not start")), {}});
    curl_easy_reset(curl);  // keeps the connection cache

    HttpResponse response;
    Exchange exchange{&response, maxBodyBytes, false};
    char errorText[CURL_ERROR_SIZE] = {};
    const QByteArray url = request.url.toUtf8();
    const QByteArray caFile = request.caFile.toUtf8();

    curl_easy_setopt(curl, CURLOPT_URL, url.constData());
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errorText);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(std::min(request.connectTimeout, request.timeout).count()));
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(request.timeout.count()));
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, request.verifyTls ? 1L : 0L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, request.verifyTls ? 2L : 0L);
    if (!caFile.isEmpty())
        curl_easy_setopt(curl, CURLOPT_CAINFO, caFile.constData());
    // Redirects are answers, never followed: following one could carry the connector's
    // credentials to another origin or down from https to http. Should a caller ever turn
    // following on, libcurl still keeps auth to the first host and https only.
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(curl, CURLOPT_UNRESTRICTED_AUTH, 0L);
    curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "https");
    curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "");  // whatever libcurl can decode
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, onBody);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &exchange);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, onHeader);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &exchange);

    const QByteArray method = request.method.toUpper();
    if (method == "GET") {
        curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
    } else if (method == "HEAD") {
        curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
    } else {
        curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.constData());
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.constData());
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
    }

    curl_slist *headers = nullptr;
    QList<QByteArray> lines;
    for (const auto &[name, value] : request.headers)
        lines.append(name + ": " + value);
    lines.append(QByteArrayLiteral("Expect:"));  // no 100-continue round trip
    for (const QByteArray &line : lines)
        headers = curl_slist_append(headers, line.constData());
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);

    const CURLcode code = curl_easy_perform(curl);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, nullptr);
    curl_slist_free_all(headers);

    if (exchange.tooLarge)
        return std::unexpected(TransportError{
            Error::unreadable(QStringLiteral("the answer is larger than %1 bytes").arg(maxBodyBytes)),
            TransportFailure::MaybeSent});
    if (code != CURLE_OK) {
        TransportError error = transportError(code, errorText);
        long sent = 0;
        curl_easy_getinfo(curl, CURLINFO_REQUEST_SIZE, &sent);
        if (sent == 0)
            error.failure = TransportFailure::NotSent;  // e.g. a connect timeout
        return std::unexpected(error);
    }

    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    long connects = 0;
    curl_easy_getinfo(curl, CURLINFO_NUM_CONNECTS, &connects);
    response.status = static_cast<int>(status);
    response.newConnections = connects;
    return response;
}

QByteArray basicAuthorization(const QString &user, const QString &password)
{
    return "Basic " + (user + QLatin1Char(':') + password).toUtf8().toBase64();
}

} // namespace clerk::rest
