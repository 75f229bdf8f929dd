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

HttpResponse HttpResponse::text(const QByteArray &body, int status, const QByteArray &contentType)
{
    return {status, contentType, body, {}};
}

} // namespace clerk::server
