#include "rest/connector_kind.h"

namespace clerk::rest {

using bot::ParamSpec;
using T = bot::ValueType;

namespace {

QString checkJsonPointer(const QJsonValue &value)
{
    const QString text = value.toString();
    if (!text.isEmpty() && !text.startsWith(QLatin1Char('/')))
        return QStringLiteral("'%1' is not a JSON pointer: write /field/0/name, or an empty "
                              "string for the whole response")
            .arg(text);
    return {};
}

ParamSpec secret(const char *name, const QString &description)
{
    return ParamSpec::of(QLatin1String(name), T::SecretRef, description);
}

// jwt_hs256 signs with issuer and secret, or with api_key alone (a GOV.UK Notify key holds
// both): a choice between two sets of keys, which a variant (the keys it needs, the keys
// it allows) cannot state. So the auth block checks it, and the loader reports it where
// the block starts, as it does a variant's missing key.
std::function<QString(const QJsonValue &)> jwtKeysCheck(const RestKeys &keys)
{
    return [type = keys.authType.name, issuer = keys.issuer.name, secret = keys.secret.name,
            apiKey = keys.apiKey.name](const QJsonValue &value) -> QString {
        const QJsonObject auth = value.toObject();
        if (auth.value(type).toString() != QLatin1String("jwt_hs256"))
            return {};
        const bool hasIssuer = auth.contains(issuer);
        const bool hasSecret = auth.contains(secret);
        const QString named = QStringLiteral("auth %1 'jwt_hs256'").arg(type);
        if (auth.contains(apiKey))
            return hasIssuer || hasSecret
                       ? QStringLiteral("%1 takes '%2' alone, or '%3' and '%4', not both").arg(named, apiKey, issuer, secret)
                       : QString();
        if (hasIssuer && hasSecret)
            return {};
        if (hasIssuer || hasSecret)
            return QStringLiteral("%1 needs '%2' with '%3' (or '%4' alone)")
                .arg(named, hasIssuer ? secret : issuer, hasIssuer ? issuer : secret, apiKey);
        return QStringLiteral("%1 needs '%2' and '%3', or '%4'").arg(named, issuer, secret, apiKey);
    };
}

// auth: how clerk signs in, and which keys each way of signing in needs.
void declareSignIn(RestKeys &keys)
{
    keys.authType = ParamSpec::oneOf(QStringLiteral("type"),
                                     {QStringLiteral("none"), QStringLiteral("basic"), QStringLiteral("bearer"),
                                      QStringLiteral("api_key"), QStringLiteral("oauth2_client_credentials"),
                                      QStringLiteral("jwt_hs256")},
                                     QStringLiteral("How clerk proves who it is: none, basic (username and password), "
                                                    "bearer (token), api_key (key sent in a header), "
                                                    "oauth2_client_credentials, or jwt_hs256 (a token clerk signs "
                                                    "afresh for each request, as GOV.UK Notify asks)."))
                        .withDefault(QStringLiteral("none"));
    keys.username = ParamSpec::of(QStringLiteral("username"), T::String, QStringLiteral("The user name, for basic."));
    keys.password = secret("password", QStringLiteral("The password, for basic: a reference such as "
                                                      "${env:REDMINE_PASSWORD}."));
    keys.token = secret("token", QStringLiteral("The token, for bearer: a reference such as ${env:API_TOKEN}."));
    keys.key = secret("key", QStringLiteral("The API key, for api_key: a reference such as "
                                            "${file:/etc/clerk/redmine.key}."));
    keys.header = ParamSpec::of(QStringLiteral("header"), T::String,
                                QStringLiteral("The header the API key is sent in, for api_key, e.g. "
                                               "X-Redmine-API-Key."));
    keys.tokenUrl = ParamSpec::of(QStringLiteral("token_url"), T::String,
                                  QStringLiteral("Where tokens are requested, for oauth2_client_credentials."));
    keys.clientId = ParamSpec::of(QStringLiteral("client_id"), T::String,
                                  QStringLiteral("The client id, for oauth2_client_credentials."));
    keys.clientSecret = secret("client_secret", QStringLiteral("The client secret, for oauth2_client_credentials: a "
                                                               "reference such as ${env:GRAPH_CLIENT_SECRET}."));
    keys.scope = ParamSpec::of(QStringLiteral("scope"), T::String,
                               QStringLiteral("The scope to ask for, for oauth2_client_credentials."));
    keys.issuer = ParamSpec::of(QStringLiteral("issuer"), T::String,
                                QStringLiteral("Who the tokens say they are from (their iss claim), for jwt_hs256 with "
                                               "secret, e.g. GOV.UK Notify's service id."));
    keys.secret = secret("secret", QStringLiteral("The key tokens are signed with (HMAC-SHA256), for jwt_hs256 with "
                                                  "issuer: a reference such as ${env:NOTIFY_SECRET_KEY}."));
    keys.apiKey = secret("api_key", QStringLiteral("For jwt_hs256, instead of issuer and secret: a GOV.UK Notify API key "
                                                   "({key_name}-{service_id}-{secret_key}), from which both are taken; a "
                                                   "reference such as ${env:NOTIFY_API_KEY}."));
    keys.auth = ParamSpec::object(QStringLiteral("auth"),
                                  {keys.authType, keys.username, keys.password, keys.token, keys.key, keys.header,
                                   keys.tokenUrl, keys.clientId, keys.clientSecret, keys.scope, keys.issuer,
                                   keys.secret, keys.apiKey},
                                  QStringLiteral("How clerk signs in. Secrets are references to environment variables "
                                                 "or files, never written in the file."))
                    .withCheck(jwtKeysCheck(keys))
                    .withVariants(keys.authType.name,
                                  {
                                      {QStringLiteral("none"), {}, {}},
                                      {QStringLiteral("basic"), {keys.username.name, keys.password.name}, {}},
                                      {QStringLiteral("bearer"), {keys.token.name}, {}},
                                      {QStringLiteral("api_key"), {keys.key.name, keys.header.name}, {}},
                                      {QStringLiteral("oauth2_client_credentials"),
                                       {keys.tokenUrl.name, keys.clientId.name, keys.clientSecret.name},
                                       {keys.scope.name}},
                                      // Which of its keys it needs is the auth block's check (jwtKeysCheck).
                                      {QStringLiteral("jwt_hs256"), {}, {keys.issuer.name, keys.secret.name, keys.apiKey.name}},
                                  });
}

// tls, timeouts, retry, rate_limit and circuit_breaker: how calls are made and repeated.
void declareCalls(RestKeys &keys)
{
    keys.verify = ParamSpec::of(QStringLiteral("verify"), T::Boolean,
                                QStringLiteral("Check the server's certificate. Turn off only for a test server."))
                      .withDefault(true);
    keys.caFile = ParamSpec::of(QStringLiteral("ca_file"), T::Path,
                                QStringLiteral("A PEM file of extra certificate authorities to trust, e.g. the "
                                               "council's own."));
    keys.tls = ParamSpec::object(QStringLiteral("tls"), {keys.verify, keys.caFile}, QStringLiteral("Secure connection settings."));
    keys.connectTimeout = ParamSpec::of(QStringLiteral("connect"), T::Duration, QStringLiteral("How long to wait for a connection."))
                              .withDefault(QStringLiteral("5s"));
    keys.readTimeout = ParamSpec::of(QStringLiteral("read"), T::Duration,
                                     QStringLiteral("How long a whole call may take, connecting included."))
                           .withDefault(QStringLiteral("30s"));
    keys.timeouts = ParamSpec::object(QStringLiteral("timeouts"), {keys.connectTimeout, keys.readTimeout},
                                      QStringLiteral("How long to wait before a call counts as failed (and is retried)."));
    keys.retry = bot::retrySpec(3, "1s", "30s", QStringLiteral("a call"));
    keys.perSecond = ParamSpec::of(QStringLiteral("per_second"), T::Number, QStringLiteral("The most calls per second, on average."))
                         .withCheck([](const QJsonValue &value) {
                             return value.toDouble() > 0 ? QString() : QStringLiteral("per_second must be more than 0");
                         });
    keys.burst = ParamSpec::of(QStringLiteral("burst"), T::Integer,
                               QStringLiteral("How many calls may go at once before the limit applies."))
                     .withMinimum(1);
    keys.rateLimit = ParamSpec::object(QStringLiteral("rate_limit"), {keys.perSecond, keys.burst},
                                       QStringLiteral("Limits how fast clerk calls the system, so it is not overloaded."));
    keys.failures = ParamSpec::of(QStringLiteral("failures"), T::Integer,
                                  QStringLiteral("How many failed calls in a row (server errors, timeouts, no "
                                                 "connection) open the breaker."))
                        .withRange(1, 1000)
                        .withDefault(5);
    keys.coolDown = ParamSpec::of(QStringLiteral("cool_down"), T::Duration,
                                  QStringLiteral("How long an open breaker refuses calls at once (items wait and "
                                                 "retry) before one trial call is let through."))
                        .withDefault(QStringLiteral("30s"));
    keys.circuitBreaker = ParamSpec::object(QStringLiteral("circuit_breaker"), {keys.failures, keys.coolDown},
                                            QStringLiteral("Stops calling a system that keeps failing, so items wait "
                                                           "instead of piling up timeouts."));
}

// operations.<name>.paginate: how to read every page of a list.
void declarePagination(RestKeys &keys)
{
    keys.pageStyle = ParamSpec::oneOf(QStringLiteral("style"),
                                      {QStringLiteral("page"), QStringLiteral("offset"), QStringLiteral("cursor"),
                                       QStringLiteral("link")},
                                      QStringLiteral("page: a page number; offset: a record offset; cursor: "
                                                     "a token from each response; link: the Link header's "
                                                     "rel=next address."),
                                      true);
    keys.pageParam = ParamSpec::of(QStringLiteral("param"), T::String,
                                   QStringLiteral("The query parameter carrying the page number, offset or "
                                                  "cursor (default page, offset or cursor)."));
    keys.pageSizeParam = ParamSpec::of(QStringLiteral("size_param"), T::String,
                                       QStringLiteral("The query parameter carrying the page size, e.g. limit."));
    keys.pageSize = ParamSpec::of(QStringLiteral("size"), T::Integer, QStringLiteral("Records per page."))
                        .withRange(1, 10000)
                        .withDefault(100);
    keys.firstPage = ParamSpec::of(QStringLiteral("first"), T::Integer, QStringLiteral("The first page number, for style page."))
                         .withMinimum(0)
                         .withDefault(1);
    keys.nextCursor = ParamSpec::of(QStringLiteral("next"), T::String,
                                    QStringLiteral("For style cursor: a JSON pointer to the next cursor in "
                                                   "the response; no cursor means the last page."))
                          .withCheck(checkJsonPointer);
    keys.total = ParamSpec::of(QStringLiteral("total"), T::String,
                               QStringLiteral("A JSON pointer to the total number of records, when the "
                                              "system gives one, e.g. /total_count."))
                     .withCheck(checkJsonPointer);
    keys.maxPages = ParamSpec::of(QStringLiteral("max_pages"), T::Integer, QStringLiteral("The most pages read in one call."))
                        .withRange(1, 100000)
                        .withDefault(50);
    keys.paginate = ParamSpec::object(QStringLiteral("paginate"),
                                      {keys.pageStyle, keys.pageParam, keys.pageSizeParam, keys.pageSize, keys.firstPage,
                                       keys.nextCursor, keys.total, keys.maxPages},
                                      QStringLiteral("How to read every page of a list; needs `records`."));
}

// operations: the named calls.
void declareOperations(RestKeys &keys)
{
    keys.method = ParamSpec::oneOf(QStringLiteral("method"),
                                   {QStringLiteral("GET"), QStringLiteral("POST"), QStringLiteral("PUT"),
                                    QStringLiteral("PATCH"), QStringLiteral("DELETE")},
                                   QStringLiteral("The HTTP method."), true);
    keys.path = ParamSpec::templ(QStringLiteral("path"),
                                 QStringLiteral("The path after base_url, e.g. issues/{{ params.id }}.json. Templates in "
                                                "operations see `params` (the values the step passes) and "
                                                "`key` (the step's idempotency key)."),
                                 true);
    keys.query = ParamSpec::mapOf(QStringLiteral("query"), ParamSpec::templ(QStringLiteral("value"), QStringLiteral("A query value.")),
                                  QStringLiteral("Query string parameters; values may hold {{ references }}."));
    keys.headers = ParamSpec::mapOf(QStringLiteral("headers"),
                                    ParamSpec::of(QStringLiteral("value"), T::String, QStringLiteral("A header value.")),
                                    QStringLiteral("Extra request headers."));
    keys.body = ParamSpec::of(QStringLiteral("body"), T::Any,
                              QStringLiteral("The request body, sent as JSON; text may hold {{ references }}."));
    keys.upload = ParamSpec::of(QStringLiteral("upload"), T::Boolean,
                                QStringLiteral("true: the request body is the file the step names in its `upload` "
                                               "param, sent as it is (application/octet-stream), e.g. a letter to "
                                               "Redmine's uploads.json; the operation then has no `body`."))
                      .withDefault(false);
    keys.response = ParamSpec::mapOf(QStringLiteral("response"),
                                     ParamSpec::of(QStringLiteral("pointer"), T::String,
                                                   QStringLiteral("A JSON pointer into the response."))
                                         .withCheck(checkJsonPointer),
                                     QStringLiteral("The fields the operation returns, each a JSON pointer into "
                                                    "the response (into each record when `records` is set), e.g. "
                                                    "id: /issue/id."));
    keys.records = ParamSpec::of(QStringLiteral("records"), T::String,
                                 QStringLiteral("For calls that return a list: a JSON pointer to the array of "
                                                "records, e.g. /issues. Each element becomes one record with the "
                                                "`response` fields."))
                       .withCheck(checkJsonPointer);
    keys.idempotency = ParamSpec::oneOf(QStringLiteral("idempotency"),
                                        {QStringLiteral("header"), QStringLiteral("none"), QStringLiteral("repeatable")},
                                        QStringLiteral("header: the system honours an Idempotency-Key header, so a "
                                                       "call that may have landed is safely sent again with the same "
                                                       "key; none: it does not, and a step that acts through this "
                                                       "call needs a `check` to find its own earlier action; "
                                                       "repeatable: sending it twice changes nothing that matters "
                                                       "(an upload that only counts once a later call attaches it), "
                                                       "so it is sent again without a check."))
                           .withDefault(QStringLiteral("header"));
    keys.operations = ParamSpec::mapOf(
        QStringLiteral("operations"),
        ParamSpec::object(QStringLiteral("operation"),
                          {keys.method, keys.path, keys.query, keys.headers, keys.body, keys.upload, keys.response, keys.records,
                           keys.idempotency, keys.paginate},
                          QStringLiteral("One call the connector offers.")),
        QStringLiteral("The calls bots may make, by name, e.g. create_issue."));
}

} // namespace

RestKeys::RestKeys()
{
    baseUrl = ParamSpec::of(QStringLiteral("base_url"), T::String,
                            QStringLiteral("The address every operation's path is added to, e.g. "
                                           "https://redmine.example.gov.uk/, or a reference such as ${env:REDMINE_URL} "
                                           "read when the connector is used."),
                            true);
    declareSignIn(*this);
    declareCalls(*this);
    declarePagination(*this);
    declareOperations(*this);
}

QList<ParamSpec> RestKeys::all() const
{
    return {baseUrl, auth, tls, timeouts, retry, rateLimit, circuitBreaker, operations};
}

const RestKeys &restKeys()
{
    static const RestKeys keys;
    return keys;
}

const bot::ConnectorKindSchema &restConnectorKind()
{
    static const bot::ConnectorKindSchema kind{
        .name = QLatin1String(kRestKind),
        .summary = QStringLiteral("rest for a web API"),
        .settings = restKeys().all(),
    };
    return kind;
}

} // namespace clerk::rest
