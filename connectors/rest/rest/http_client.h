// HttpClient: one HTTP exchange at a time over libcurl, with connections kept open.
//
// Each thread gets its own libcurl handle the first time it calls perform(), and keeps
// it: the handle's connection cache means calls to the same server reuse one
// connection (keep-alive), so a worker does not pay a TCP and TLS handshake per call.
// libcurl types never appear outside this module.
//
// perform() does no retrying and no interpretation of status codes: every answer the
// server gives, 500 included, is a response; only "no answer" (no connection, timeout,
// a broken TLS handshake, a dropped connection) is an error, classified so callers can
// tell whether the request may have reached the server.
//
// Thread-safety: perform() may be called from any thread at once.
#pragma once

#include "core/error.h"

#include <QByteArray>
#include <QList>
#include <QPair>
#include <QString>
#include <chrono>

namespace clerk::rest {

struct HttpRequest {
    QByteArray method = "GET";
    QString url;
    QList<QPair<QByteArray, QByteArray>> headers;
    QByteArray body;
    std::chrono::milliseconds connectTimeout{5000};
    std::chrono::milliseconds timeout{30000};   // the whole exchange, connecting included
    bool verifyTls = true;
    QString caFile;                              // extra trusted authorities (PEM); empty: the system's
};

struct HttpResponse {
    int status = 0;
    QList<QPair<QByteArray, QByteArray>> headers;  // names lower-cased, in order received
    QByteArray body;
    long newConnections = 0;                       // connections opened for this exchange (0: reused)

    // The first header with this (lower-case) name; empty when absent.
    QByteArray header(const QByteArray &name) const;
};

// Why an exchange gave no response.
enum class TransportFailure {
    NotSent,     // no connection was made (refused, DNS, TLS handshake): the server saw nothing
    MaybeSent,   // the connection broke or timed out after the request went out: it may have landed
};

struct TransportError {
    Error error;
    TransportFailure failure = TransportFailure::NotSent;
};

class HttpClient {
public:
    // Performs one exchange. Response bodies over `maxBodyBytes` are cut off with an error.
    // Redirects are not followed: a 3xx is returned as the response. A header name or
    // value holding CR, LF or NUL is refused (InvalidArgument, NotSent) before anything
    // is sent.
    static std::expected<HttpResponse, TransportError> perform(const HttpRequest &request,
                                                               qint64 maxBodyBytes = 64 * 1024 * 1024);
};

// "Basic base64(user:password)".
QByteArray basicAuthorization(const QString &user, const QString &password);

} // namespace clerk::rest
