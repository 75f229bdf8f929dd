#include "rest/jwt.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QMessageAuthenticationCode>
#include <QRegularExpression>

namespace clerk::rest {

namespace {

constexpr qsizetype kUuidLength = 36;

QByteArray base64Url(const QByteArray &bytes)
{
    return bytes.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
}

bool isUuid(QStringView text)
{
    static const QRegularExpression uuid(
        QStringLiteral("^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"));
    return uuid.match(text).hasMatch();
}

} // namespace

QByteArray hs256Token(const QString &issuer, const QByteArray &secret, qint64 issuedAtSeconds)
{
    static const QByteArray header = base64Url(QByteArrayLiteral(R"({"typ":"JWT","alg":"HS256"})"));
    const QJsonObject claims{{QStringLiteral("iss"), issuer}, {QStringLiteral("iat"), issuedAtSeconds}};
    const QByteArray signingInput = header + '.' + base64Url(QJsonDocument(claims).toJson(QJsonDocument::Compact));
    return signingInput + '.' +
           base64Url(QMessageAuthenticationCode::hash(signingInput, secret, QCryptographicHash::Sha256));
}

Result<JwtCredentials> splitNotifyApiKey(const QString &apiKey)
{
    // Only the shape is described: a message may reach logs and people, the key must not.
    const auto refuse = [](const QString &why) -> Result<JwtCredentials> {
        return fail(Error::invalidArgument(
            QStringLiteral("not a GOV.UK Notify API key: %1. Notify's keys read {key_name}-{service_id}-{secret_key}, "
                           "ending in two UUIDs of 36 characters; copy the whole key as Notify showed it (the key "
                           "is not shown here)")
                .arg(why)));
    };
    const QString key = apiKey.trimmed();
    // A key name of at least one character, "-", the service id, "-", the secret key.
    if (key.size() < 2 * kUuidLength + 3)
        return refuse(QStringLiteral("it is too short to hold a key name, a service id and a secret key"));
    const QStringView serviceId = QStringView(key).right(2 * kUuidLength + 1).left(kUuidLength);
    const QStringView secretKey = QStringView(key).right(kUuidLength);
    if (key.at(key.size() - kUuidLength - 1) != QLatin1Char('-') ||
        key.at(key.size() - 2 * kUuidLength - 2) != QLatin1Char('-'))
        return refuse(QStringLiteral("its key name, service id and secret key are not separated by '-'"));
    if (!isUuid(serviceId))
        return refuse(QStringLiteral("the service id (the 36 characters before the secret key) is not a UUID"));
    if (!isUuid(secretKey))
        return refuse(QStringLiteral("the secret key (its last 36 characters) is not a UUID"));
    return JwtCredentials{serviceId.toString(), secretKey.toString()};
}

} // namespace clerk::rest
