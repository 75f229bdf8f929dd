// HS256 JSON Web Tokens, for APIs that take a token the client signs itself for each
// request (GOV.UK Notify), and the split of a Notify API key into what signs them.
//
// A token is header {"typ":"JWT","alg":"HS256"} and claims {"iss": <issuer>, "iat":
// <seconds since the epoch>}, each base64url without padding, then the HMAC-SHA256 of
// the two with the secret. Notify refuses a token whose iat is more than 30 s from its
// own clock, so the connector makes one for every request and never keeps it.
//
// Thread-safety: pure functions.
#pragma once

#include "core/error.h"

#include <QByteArray>
#include <QString>

namespace clerk::rest {

// "header.claims.signature", ready to follow "Bearer ".
QByteArray hs256Token(const QString &issuer, const QByteArray &secret, qint64 issuedAtSeconds);

struct JwtCredentials {
    QString issuer;  // Notify's service id
    QString secret;  // Notify's secret key
};

// The service id and secret key in a GOV.UK Notify API key, which Notify writes as
// {key_name}-{service_id}-{secret_key}: its last 73 characters are two 36-character UUIDs
// joined by "-", after a key name and a "-". Spaces around the key are ignored.
// InvalidArgument for any other shape, saying which part is wrong and never showing
// any of the key.
Result<JwtCredentials> splitNotifyApiKey(const QString &apiKey);

} // namespace clerk::rest
