// HttpRequest / HttpResponse: the server's own view of one request and its answer, free
// of the HTTP library's types, so routes and their tests deal in plain values.
//
// Thread-safety: plain value types.
#pragma once

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

struct HttpResponse {
    int status = 200;
    QByteArray contentType{};
    QByteArray body{};
    QList<QPair<QByteArray, QByteArray>> headers{};

    static HttpResponse json(const QJsonObject &object, int status = 200);
    static HttpResponse json(const QJsonArray &array, int status = 200);
    // {"error": message, "code": code}
    static HttpResponse error(int status, const QString &code, const QString &message);
    static HttpResponse noContent();
    static HttpResponse text(const QByteArray &body, int status = 200,
                             const QByteArray &contentType = QByteArrayLiteral("text/plain; charset=utf-8"));
    HttpResponse &withHeader(const QByteArray &name, const QByteArray &value)
    {
        headers.append({name, value});
        return *this;
    }
};

} // namespace clerk::server
