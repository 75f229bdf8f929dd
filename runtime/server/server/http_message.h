// HttpRequest / HttpResponse: the server's own view of one request and its answer, free
// of the HTTP library's types, so routes and their tests deal in plain values.
//
// Thread-safety: plain value types.
#pragma once

#include <functional>
#include <memory>

#include <QByteArray>
#include <QHash>
#include <QJsonArray>
#include <QJsonObject>
#include <QList>
#include <QPair>
#include <QString>
#include <QStringList>
#include <QUrlQuery>

namespace clerk::server {

struct HttpRequest {
    QByteArray method{};                    // "GET", "POST", ...
    QString path{};                         // decoded, e.g. "/api/v1/exceptions/12"
    QStringList segments{};                 // path split on '/', without empty parts
    QUrlQuery query{};
    QHash<QByteArray, QByteArray> headers{};  // names in lower case
    QByteArray body{};
    QString address{};                      // the client's address (behind a trusted proxy: from X-Forwarded-For)
    bool fromTrustedProxy = false;          // the TCP peer is one of ServerOptions::trustedProxies

    QByteArray header(const QByteArray &lowerCaseName) const { return headers.value(lowerCaseName); }
    // The value of cookie `name`, or empty.
    QString cookie(const QString &name) const;
    QString queryValue(const QString &name) const
    {
        return query.queryItemValue(name, QUrl::FullyDecoded);
    }
    bool changesState() const { return method != "GET" && method != "HEAD"; }
};

struct HttpResponse;

// An answer that needs slow work (rendering a page, checking a password): `work` runs on
// the server's worker pool, off the thread that answers everything else, and must touch
// nothing but what it captured by value; the function it returns runs back on the
// server's thread (where the store may be used) and gives the answer.
struct DeferredAnswer {
    // Requests whose answers have the same non-empty key while one is being worked out all
    // wait for that one (no duplicate work).
    QByteArray key{};
    std::function<std::function<HttpResponse()>()> work{};
    // Runs on the server's thread instead of `work` when the pool is full and the request
    // is refused (503): undoes what was prepared for the work. May be empty.
    std::function<void()> abandoned{};
};

struct HttpResponse {
    int status = 200;
    QByteArray contentType{};
    QByteArray body{};
    QList<QPair<QByteArray, QByteArray>> headers{};
    // Set: the answer is not known yet; the fields above are unused (ApiServer finishes it).
    std::shared_ptr<const DeferredAnswer> deferred{};

    static HttpResponse json(const QJsonObject &object, int status = 200);
    static HttpResponse json(const QJsonArray &array, int status = 200);
    // {"error": message, "code": code}
    static HttpResponse error(int status, const QString &code, const QString &message);
    static HttpResponse noContent();
    static HttpResponse later(DeferredAnswer answer);
    static HttpResponse text(const QByteArray &body, int status = 200,
                             const QByteArray &contentType = QByteArrayLiteral("text/plain; charset=utf-8"));
    HttpResponse &withHeader(const QByteArray &name, const QByteArray &value)
    {
        headers.append({name, value});
        return *this;
    }
};

// The response as HTTP/1.1 bytes: status line, Content-Type, Content-Length, the headers,
// "Connection: close" when `closing`, then the body.
QByteArray serializeResponse(const HttpResponse &response, bool closing);

} // namespace clerk::server
