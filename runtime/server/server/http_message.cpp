#include "server/http_message.h"

#include <QJsonDocument>

namespace clerk::server {

QString HttpRequest::cookie(const QString &name) const
{
    const QString all = QString::fromLatin1(header("cookie"));
    for (const QString &part : all.split(QLatin1Char(';'))) {
        const qsizetype equals = part.indexOf(QLatin1Char('='));
        if (equals > 0 && part.left(equals).trimmed() == name)
            return part.mid(equals + 1).trimmed();
    }
    return {};
}

HttpResponse HttpResponse::json(const QJsonObject &object, int status)
{
    return {status, QByteArrayLiteral("application/json"), QJsonDocument(object).toJson(QJsonDocument::Compact), {}};
}

HttpResponse HttpResponse::json(const QJsonArray &array, int status)
{
    return {status, QByteArrayLiteral("application/json"), QJsonDocument(array).toJson(QJsonDocument::Compact), {}};
}

HttpResponse HttpResponse::error(int status, const QString &code, const QString &message)
{
    return json(QJsonObject{{QStringLiteral("error"), message}, {QStringLiteral("code"), code}}, status);
}

HttpResponse HttpResponse::noContent()
{
    return {204, {}, {}, {}};
}

HttpResponse HttpResponse::later(DeferredAnswer answer)
{
    HttpResponse response;
    response.deferred = std::make_shared<const DeferredAnswer>(std::move(answer));
    return response;
}

HttpResponse HttpResponse::text(const QByteArray &body, int status, const QByteArray &contentType)
{
    return {status, contentType, body, {}};
}

namespace {

QByteArray reasonPhrase(int status)
{
    switch (status) {
    case 200: return "OK";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 413: return "Payload Too Large";
    case 422: return "Unprocessable Entity";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "Status";
    }
}

} // namespace

QByteArray serializeResponse(const HttpResponse &response, bool closing)
{
    QByteArray bytes = "HTTP/1.1 " + QByteArray::number(response.status) + ' ' + reasonPhrase(response.status) + "\r\n";
    if (!response.contentType.isEmpty())
        bytes += "Content-Type: " + response.contentType + "\r\n";
    bytes += "Content-Length: " + QByteArray::number(response.body.size()) + "\r\n";
    for (const auto &[name, value] : response.headers)
        bytes += name + ": " + value + "\r\n";
    if (closing)
        bytes += "Connection: close\r\n";
    bytes += "\r\n";
    bytes += response.body;
    return bytes;
}

} // namespace clerk::server
