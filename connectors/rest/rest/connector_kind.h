// The `rest` connector kind: every key of a rest connector file, declared once.
//
// The loader validates connector files with restConnectorKind() (registered in the
// engine's list, engine::connectorKinds()), the JSON Schema is generated from it, and
// RestConnector reads its settings through restKeys(), so a key's name and default are
// written only here.
//
// Thread-safety: both return immutable objects built on first use.
#pragma once

#include "bot/param_spec.h"

namespace clerk::rest {

// The kind name in connector files.
inline constexpr const char *kRestKind = "rest";

// The keys of a rest connector file, by what they hold. Nested keys are members too
// (authType is auth.type, pageSize is operations.<name>.paginate.size).
struct RestKeys {
    RestKeys();

    bot::ParamSpec baseUrl;
    // auth
    bot::ParamSpec authType, username, password, token, key, header, tokenUrl, clientId, clientSecret, scope;
    bot::ParamSpec issuer, secret, apiKey;  // jwt_hs256
    bot::ParamSpec auth;
    // tls
    bot::ParamSpec verify, caFile, tls;
    // timeouts
    bot::ParamSpec connectTimeout, readTimeout, timeouts;
    // retry
    bot::ParamSpec retry;
    // rate_limit
    bot::ParamSpec perSecond, burst, rateLimit;
    // circuit_breaker
    bot::ParamSpec failures, coolDown, circuitBreaker;
    // operations.<name>.paginate
    bot::ParamSpec pageStyle, pageParam, pageSizeParam, pageSize, firstPage, nextCursor, total, maxPages, paginate;
    // operations.<name>
    bot::ParamSpec method, path, query, headers, body, upload, response, records, idempotency;
    bot::ParamSpec operations;

    // The settings in file order.
    QList<bot::ParamSpec> all() const;
};

const RestKeys &restKeys();

// The kind as the loader and the schema see it.
const bot::ConnectorKindSchema &restConnectorKind();

} // namespace clerk::rest
