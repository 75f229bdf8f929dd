// GOV.UK Notify through connectors/govuk-notify.yaml, loaded by the real loader, against
// a loopback stand-in that signs in as Notify does: every request's JWT is decoded, its
// HS256 signature checked with the service's secret key, iss must be the service id, iat
// within 30 s of now, alg HS256 and typ JWT; anything else is answered 403 with Notify's
// error JSON. Sends are stored, and the list endpoint repeats its query in
// links.current as Notify does. Also: the jwt_hs256 sign-in's keys as `clerk validate`
// checks them, and the rest step's check finding an email that landed.
#include "../engine/engine_test_support.h"
#include "bot/bot_loader.h"
#include "engine/step_registry.h"
#include "log_capture.h"
#include "rest/rest_connector.h"
#include "test_http_server.h"
#include "test_support.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QMessageAuthenticationCode>
#include <QMutex>
#include <QRegularExpression>
#include <QUuid>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>

using namespace clerk;
using namespace std::chrono_literals;
using clerk::testing::TestHttpServer, clerk::testing::TestRequest, clerk::testing::TestResponse;

namespace {

const QByteArray kServiceId = "26785a09-ab16-4eb0-8407-a37497a57506";
const QByteArray kSecretKey = "3d844edf-8d35-48ac-975b-e847b4f122b0";
const QByteArray kTemplateId = "f33517ff-2a88-4f6e-b855-c550268ce08a";

// An API key as Notify shows it: {key_name}-{service_id}-{secret_key}.
QByteArray apiKey(const QByteArray &secretKey = kSecretKey, const QByteArray &serviceId = kServiceId)
{
    return "clerk_test-" + serviceId + '-' + secretKey;
}

TestResponse notifyError(int status, const char *error, const QString &message)
{
    const QJsonObject body{{"status_code", status},
                           {"errors", QJsonArray{QJsonObject{{"error", QLatin1String(error)}, {"message", message}}}}};
    return TestResponse::json(status, QJsonDocument(body).toJson(QJsonDocument::Compact));
}

std::optional<QJsonObject> base64UrlJson(const QByteArray &part)
{
    if (part.contains('='))
        return std::nullopt;  // a JWT's parts carry no padding
    const auto decoded =
        QByteArray::fromBase64Encoding(part, QByteArray::Base64UrlEncoding | QByteArray::AbortOnBase64DecodingErrors);
    if (!decoded)
        return std::nullopt;
    QJsonParseError error;
    const QJsonDocument document = QJsonDocument::fromJson(*decoded, &error);
    if (error.error != QJsonParseError::NoError || !document.isObject())
        return std::nullopt;
    return document.object();
}

// What GOV.UK Notify (app/authentication/auth.py) would answer to this Authorization
// header, or nullopt when it signs in.
std::optional<TestResponse> tokenRefusal(const QByteArray &authorization)
{
    if (authorization.isEmpty())
        return notifyError(401, "AuthError", QStringLiteral("Unauthorized: authentication token must be provided"));
    if (!authorization.startsWith("Bearer "))
        return notifyError(401, "AuthError", QStringLiteral("Unauthorized: authentication bearer scheme must be used"));
    const QList<QByteArray> parts = authorization.mid(7).split('.');
    const auto invalid = notifyError(403, "AuthError", QStringLiteral("Invalid token: signature, api token is not valid"));
    if (parts.size() != 3)
        return invalid;
    const auto header = base64UrlJson(parts.at(0));
    const auto claims = base64UrlJson(parts.at(1));
    if (!header || !claims || header->value("alg").toString() != "HS256" || header->value("typ").toString() != "JWT")
        return invalid;
    if (claims->value("iss").toString().toUtf8() != kServiceId)
        return notifyError(403, "AuthError", QStringLiteral("Invalid token: service not found"));
    const QByteArray signature = QMessageAuthenticationCode::hash(parts.at(0) + '.' + parts.at(1), kSecretKey,
                                                                  QCryptographicHash::Sha256)
                                     .toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
    if (parts.at(2) != signature)
        return invalid;
    if (!claims->value("iat").isDouble() ||
        std::abs(QDateTime::currentSecsSinceEpoch() - claims->value("iat").toInteger()) > 30)
        return notifyError(403, "AuthError", QStringLiteral("Error: Your system clock must be accurate to within 30 seconds"));
    return std::nullopt;
}

// Why Notify's request schema would refuse a send, or empty. Every key it knows refuses null.
QString sendRefusal(const QString &type, const QJsonObject &body)
{
    static const QRegularExpression uuid(QStringLiteral("^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"));
    const bool precompiled = type == "letter" && body.contains("content");
    const QStringList needed = type == "email" ? QStringList{"email_address", "template_id"}
                               : type == "sms" ? QStringList{"phone_number", "template_id"}
                               : precompiled   ? QStringList{"reference", "content"}
                                               : QStringList{"template_id", "personalisation"};
    for (const QString &key : needed) {
        if (!body.contains(key))
            return key + " is a required property";
    }
    for (auto it = body.begin(); it != body.end(); ++it) {
        const bool isObject = it.key() == "personalisation";
        if (isObject ? !it.value().isObject() : !it.value().isString())
            return QStringLiteral("%1 %2 is not of type %3")
                .arg(it.key(), it.value().isNull() ? QStringLiteral("None") : QStringLiteral("value"),
                     isObject ? QStringLiteral("object") : QStringLiteral("string"));
    }
    for (const char *key : {"template_id", "email_reply_to_id"}) {
        if (body.contains(key) && !uuid.match(body.value(key).toString()).hasMatch())
            return QStringLiteral("%1 is not a valid UUID").arg(QLatin1String(key));
    }
    return {};
}

// GOV.UK Notify on loopback: sends are stored; GET /v2/notifications lists them newest
// first (filtered by reference and template_type), /v2/notifications/<id> shows one.
class FakeNotify {
public:
    std::atomic<int> landThenDrop = 0;  // the next N sends are stored, then the connection drops unanswered
    std::atomic<int> dropUnsent = 0;    // the next N sends are dropped before they are stored

    TestHttpServer server{[this](const TestRequest &request) { return answer(request); }};

    QList<QJsonObject> notifications()
    {
        QMutexLocker lock(&m_mutex);
        return m_notifications;
    }
    QList<QByteArray> tokens()
    {
        QList<QByteArray> out;
        for (const TestRequest &request : server.requests())
            out.append(request.header("authorization").mid(7));
        return out;
    }
    qsizetype sends()
    {
        return std::ranges::count_if(server.requests(), [](const TestRequest &request) { return request.method == "POST"; });
    }

private:
    TestResponse answer(const TestRequest &request)
    {
        if (auto refused = tokenRefusal(request.header("authorization")))
            return *refused;
        QMutexLocker lock(&m_mutex);
        const QString path = QString::fromLatin1(request.path());
        static const QRegularExpression send(QStringLiteral("^/v2/notifications/(email|sms|letter)$"));
        if (const auto match = send.match(path); match.hasMatch() && request.method == "POST")
            return stored(match.captured(1), QJsonDocument::fromJson(request.body).object());
        if (path == "/v2/notifications" && request.method == "GET")
            return listed(request);
        if (path.startsWith("/v2/notifications/") && request.method == "GET") {
            for (const QJsonObject &notification : m_notifications) {
                if (path.endsWith(notification.value("id").toString()))
                    return TestResponse::json(200, QJsonDocument(notification).toJson(QJsonDocument::Compact));
            }
            return notifyError(404, "NoResultFound", QStringLiteral("No result found"));
        }
        return notifyError(404, "NotFound", QStringLiteral("Not Found"));
    }

    TestResponse stored(const QString &type, const QJsonObject &body)
    {
        TestResponse dropped;
        dropped.drop = true;
        if (dropUnsent > 0) {
            --dropUnsent;
            return dropped;
        }
        if (const QString problem = sendRefusal(type, body); !problem.isEmpty())
            return notifyError(400, "ValidationError", problem);
        const QString id = QUuid::createUuid().toString(QUuid::WithoutBraces);
        QJsonObject notification = body;
        notification.insert("id", id);
        notification.insert("type", type);
        notification.insert("status", "created");
        notification.insert("template", QJsonObject{{"id", body.value("template_id")}, {"version", 1}});
        notification.insert("created_at", QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs));
        m_notifications.append(notification);
        if (landThenDrop > 0) {
            --landThenDrop;
            return dropped;
        }
        const QJsonObject answer{{"id", id},
                                 {"reference", body.value("reference")},
                                 {"uri", QString("/v2/notifications/" + id)},
                                 {"template", notification.value("template")}};
        return TestResponse::json(201, QJsonDocument(answer).toJson(QJsonDocument::Compact));
    }

    TestResponse listed(const TestRequest &request)
    {
        const QString reference = QString::fromUtf8(request.query("reference"));
        const QString type = QString::fromUtf8(request.query("template_type"));
        QJsonArray found;
        for (auto it = m_notifications.crbegin(); it != m_notifications.crend() && found.size() < 250; ++it) {
            if ((reference.isEmpty() || it->value("reference").toString() == reference) &&
                (type.isEmpty() || it->value("type").toString() == type))
                found.append(*it);
        }
        // As Notify: links.current is the request's own address, query included.
        const QJsonObject links{{"current", QString(server.url().chopped(1) + QString::fromUtf8(request.target))}};
        return TestResponse::json(200, QJsonDocument(QJsonObject{{"notifications", found}, {"links", links}})
                                           .toJson(QJsonDocument::Compact));
    }

    QMutex m_mutex;
    QList<QJsonObject> m_notifications;
};

const QByteArray kShippedAddress = "base_url: https://api.notifications.service.gov.uk/\n";
const QByteArray kShippedAuth = "auth:\n  type: jwt_hs256\n  api_key: ${env:NOTIFY_API_KEY}\n";

QByteArray shippedFile()
{
    QFile file(QStringLiteral(CLERK_SOURCE_DIR "/connectors/govuk-notify.yaml"));
    EXPECT_TRUE(file.open(QIODevice::ReadOnly)) << file.fileName().toStdString();
    return file.readAll();
}

// connectors/govuk-notify.yaml as shipped, pointed at `url` (and signing in with `auth`
// instead of its own block, when given), through the real loader.
bot::ConnectorDefinition notifyConnector(const QString &url, const QByteArray &auth = {})
{
    QByteArray text = shippedFile();
    EXPECT_TRUE(text.contains(kShippedAddress));
    EXPECT_TRUE(text.contains(kShippedAuth));
    text.replace(kShippedAddress, QByteArray("base_url: " + url.toUtf8() + "\n"));
    if (!auth.isEmpty())
        text.replace(kShippedAuth, auth);
    const bot::ConnectorLoad load = bot::loadConnectorText(text, QStringLiteral("govuk-notify.yaml"), engine::connectorKinds());
    for (const bot::Diagnostic &diagnostic : load.diagnostics)
        ADD_FAILURE() << diagnostic.toString().toStdString();
    return load.connector.value_or(bot::ConnectorDefinition{});
}

std::shared_ptr<rest::RestConnector> makeConnector(const bot::ConnectorDefinition &definition, const Clock *clock = nullptr)
{
    auto created = rest::RestConnector::create(definition, {clock, [](std::chrono::milliseconds) {}});
    EXPECT_OK(created);
    return created ? *created : nullptr;
}

const QJsonObject kEmail{{"email_address", "ada@example.org"},
                         {"template_id", QString::fromLatin1(kTemplateId)},
                         {"personalisation", QJsonObject{{"first_name", "Ada"}, {"case_reference", "ASC-1042"}}}};

rest::CallOptions withKey(const char *key)
{
    rest::CallOptions options;
    options.idempotencyKey = QString::fromLatin1(key);
    return options;
}

qint64 issuedAt(const QByteArray &token)
{
    return base64UrlJson(token.split('.').value(1)).value_or(QJsonObject{}).value("iat").toInteger();
}

TEST(GovukNotifyTest, TheShippedFileIsValid)
{
    const bot::ConnectorLoad load = bot::loadConnectorFile(QStringLiteral(CLERK_SOURCE_DIR "/connectors/govuk-notify.yaml"),
                                                           engine::connectorKinds());
    for (const bot::Diagnostic &diagnostic : load.diagnostics)
        ADD_FAILURE() << diagnostic.toString().toStdString();
    ASSERT_TRUE(load.connector.has_value());
    qunsetenv("NOTIFY_API_KEY");  // read when used, so a connector is made without it
    const auto connector = makeConnector(*load.connector);
    ASSERT_TRUE(connector);
    for (const char *operation : {"send_email", "send_email_reply_to", "send_sms", "send_letter", "send_precompiled_letter"}) {
        EXPECT_EQ(connector->method(QLatin1String(operation)), "POST") << operation;
        EXPECT_FALSE(connector->honoursIdempotencyKey(QLatin1String(operation))) << operation;  // so steps check
    }
    for (const char *operation : {"get_notification", "find_sent", "recent_notifications", "find_by_reference"})
        EXPECT_EQ(connector->method(QLatin1String(operation)), "GET") << operation;
}

TEST(GovukNotifyTest, SendsAnEmailNotifyAccepts)
{
    FakeNotify notify;
    qputenv("NOTIFY_API_KEY", apiKey());
    const auto connector = makeConnector(notifyConnector(notify.server.url()));
    ASSERT_TRUE(connector);
    const auto sent = connector->call(QStringLiteral("send_email"), kEmail, withKey("clerk-0a1b2c3d4e5f6071-1-acknowledge"));
    ASSERT_TRUE(sent.has_value()) << sent.error().error.toString().toStdString() << sent.error().body.toStdString();
    EXPECT_EQ(sent->status, 201);

    const QList<QJsonObject> stored = notify.notifications();
    ASSERT_EQ(stored.size(), 1);
    EXPECT_EQ(sent->fields.value("id"), stored.first().value("id"));
    EXPECT_EQ(sent->fields.value("reference").toString(), "clerk-0a1b2c3d4e5f6071-1-acknowledge");
    EXPECT_EQ(stored.first().value("email_address").toString(), "ada@example.org");
    EXPECT_EQ(stored.first().value("template_id").toString(), kTemplateId);
    EXPECT_EQ(stored.first().value("personalisation"), kEmail.value("personalisation"));  // an object, as Notify needs
    const TestRequest request = notify.server.requests().first();
    EXPECT_EQ(request.path(), "/v2/notifications/email");
    EXPECT_TRUE(request.header("idempotency-key").isEmpty());  // Notify knows none: steps check instead

    // Issuer and secret written separately sign the same way.
    qputenv("CLERK_TEST_NOTIFY_SECRET", kSecretKey);
    const auto separate = makeConnector(notifyConnector(
        notify.server.url(), "auth:\n  type: jwt_hs256\n  issuer: " + kServiceId + "\n  secret: ${env:CLERK_TEST_NOTIFY_SECRET}\n"));
    ASSERT_TRUE(separate);
    const auto read = separate->call(QStringLiteral("get_notification"), {{"id", stored.first().value("id")}});
    ASSERT_TRUE(read.has_value()) << read.error().error.toString().toStdString() << read.error().body.toStdString();
    EXPECT_EQ(read->fields.value("status").toString(), "created");
    EXPECT_EQ(read->fields.value("reference").toString(), "clerk-0a1b2c3d4e5f6071-1-acknowledge");
}

TEST(GovukNotifyTest, ARefusedTokenIsARefusalNotARetry)
{
    const QByteArray otherUuid = "9f2c4c1e-0d4b-4f7a-a4b9-2d8f2c0b7e11";
    for (const QByteArray &key : {apiKey(otherUuid), apiKey(kSecretKey, otherUuid)}) {
        FakeNotify notify;
        qputenv("NOTIFY_API_KEY", key);
        const auto connector = makeConnector(notifyConnector(notify.server.url()));
        ASSERT_TRUE(connector);
        const auto sent = connector->call(QStringLiteral("send_email"), kEmail, withKey("clerk-1-1-ack"));
        ASSERT_FALSE(sent.has_value());
        EXPECT_EQ(sent.error().error.code(), ErrorCode::PermissionDenied);
        EXPECT_EQ(sent.error().httpStatus, 403);
        EXPECT_FALSE(sent.error().retryable);
        EXPECT_FALSE(sent.error().maybeActed);
        EXPECT_TRUE(sent.error().body.contains("Invalid token")) << sent.error().body.toStdString();
        EXPECT_EQ(notify.server.requests().size(), 1);  // not sent again
        EXPECT_TRUE(notify.notifications().isEmpty());
    }
}

TEST(GovukNotifyTest, EachRequestCarriesATokenSignedAtItsTimeByTheConnectorsClock)
{
    FakeNotify notify;
    qputenv("NOTIFY_API_KEY", apiKey());
    ManualClock clock(QDateTime::currentDateTimeUtc().addSecs(-20));  // 20 s slow: Notify allows 30
    const auto connector = makeConnector(notifyConnector(notify.server.url()), &clock);
    ASSERT_TRUE(connector);
    const auto sent = connector->call(QStringLiteral("send_email"), kEmail, withKey("clerk-1-1-ack"));
    ASSERT_TRUE(sent.has_value()) << sent.error().body.toStdString();
    clock.advance(15s);
    const auto read = connector->call(QStringLiteral("get_notification"), {{"id", sent->fields.value("id")}});
    ASSERT_TRUE(read.has_value()) << read.error().body.toStdString();

    const QList<QByteArray> tokens = notify.tokens();
    ASSERT_EQ(tokens.size(), 2);
    EXPECT_NE(tokens.at(0), tokens.at(1));
    EXPECT_EQ(issuedAt(tokens.at(0)), clock.now().toSecsSinceEpoch() - 15);
    EXPECT_EQ(issuedAt(tokens.at(1)), clock.now().toSecsSinceEpoch());

    // A clock Notify finds too far out: refused, and not retried.
    clock.advance(-60s);
    const auto late = connector->call(QStringLiteral("get_notification"), {{"id", sent->fields.value("id")}});
    ASSERT_FALSE(late.has_value());
    EXPECT_EQ(late.error().httpStatus, 403);
    EXPECT_FALSE(late.error().retryable);
    EXPECT_TRUE(late.error().body.contains("system clock")) << late.error().body.toStdString();
    EXPECT_EQ(notify.server.requests().size(), 3);
}

TEST(GovukNotifyTest, TheTokenMatchesOneMadeOutsideClerk)
{
    // Made for these inputs outside clerk (Python's hmac and base64), so a mistake shared by
    // the connector and this file's stand-in still fails here.
    const QByteArray expected = "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9."
                                "eyJpYXQiOjE3NzI0NDIwMDAsImlzcyI6IjI2Nzg1YTA5LWFiMTYtNGViMC04NDA3LWEzNzQ5N2E1NzUwNiJ9."
                                "bK_4hgnEMpJuQqSF1FQq2Pw9DUehePdmN05xYiqDP1g";
    FakeNotify notify;
    qputenv("NOTIFY_API_KEY", apiKey());
    ManualClock clock(QDateTime(QDate(2026, 3, 2), QTime(9, 0), Qt::UTC));  // iat 1772442000
    const auto connector = makeConnector(notifyConnector(notify.server.url()), &clock);
    ASSERT_TRUE(connector);
    [[maybe_unused]] const auto answer =  // refused unless run at that time: only the token matters here
        connector->call(QStringLiteral("get_notification"), {{"id", QString::fromLatin1(kTemplateId)}});
    ASSERT_EQ(notify.tokens().size(), 1);
    EXPECT_EQ(notify.tokens().first(), expected);
}

TEST(GovukNotifyTest, AMalformedApiKeyIsAClearErrorThatNeverShowsTheKey)
{
    const QByteArray badSecret = "zzzzzzzz-8d35-48ac-975b-e847b4f122b0";
    const struct {
        QByteArray key;
        const char *why;
    } cases[] = {
        {"clerk_test-" + kServiceId, "too short"},
        {kServiceId + '-' + kSecretKey, "too short"},  // no key name
        {"clerk_test-" + kServiceId + '_' + kSecretKey, "not separated by '-'"},
        {"clerk_test_" + kServiceId + '-' + kSecretKey, "not separated by '-'"},
        {"clerk_test-" + QByteArray("26785a09ab16-4eb0-8407-a37497a57506x") + '-' + kSecretKey, "service id"},
        {apiKey(badSecret), "secret key"},
    };
    FakeNotify notify;
    const bot::ConnectorDefinition definition = notifyConnector(notify.server.url());
    const auto showsAny = [&](const QString &message, const QByteArray &key) {
        for (const QByteArray &part : {key, kServiceId, kSecretKey, badSecret, QByteArray("clerk_test"), key.right(12)}) {
            if (message.contains(QString::fromLatin1(part)))
                return true;
        }
        return false;
    };
    for (const auto &c : cases) {
        qputenv("NOTIFY_API_KEY", c.key);
        const auto created = rest::RestConnector::create(definition);
        ASSERT_FALSE(created.has_value()) << c.key.toStdString();
        const QString message = created.error().message();
        EXPECT_EQ(created.error().code(), ErrorCode::InvalidArgument);
        EXPECT_TRUE(message.contains("api_key ${env:NOTIFY_API_KEY}: not a GOV.UK Notify API key")) << message.toStdString();
        EXPECT_TRUE(message.contains(QLatin1String(c.why))) << message.toStdString();
        EXPECT_FALSE(showsAny(message, c.key)) << message.toStdString();

        // Set only after the connector was made: the call says so, and sends nothing.
        qunsetenv("NOTIFY_API_KEY");
        const auto connector = makeConnector(definition);
        ASSERT_TRUE(connector);
        qputenv("NOTIFY_API_KEY", c.key);
        const auto sent = connector->call(QStringLiteral("send_email"), kEmail, withKey("clerk-1-1-ack"));
        ASSERT_FALSE(sent.has_value());
        EXPECT_EQ(sent.error().error.code(), ErrorCode::InvalidArgument);
        EXPECT_FALSE(sent.error().retryable);
        EXPECT_TRUE(sent.error().error.message().contains(QLatin1String(c.why)));
        EXPECT_FALSE(showsAny(sent.error().error.message(), c.key)) << sent.error().error.message().toStdString();
    }
    EXPECT_TRUE(notify.server.requests().isEmpty());
}

TEST(GovukNotifyTest, JwtSignInWithoutItsKeysFailsValidationWhereTheBlockStarts)
{
    const QByteArray head = "name: n\nkind: rest\nbase_url: https://api.notifications.service.gov.uk/\nauth:\n"
                            "  type: jwt_hs256\n";
    const struct {
        QByteArray keys;
        const char *diagnostics;
    } cases[] = {
        {"", "n.yaml:5:3: error: auth type 'jwt_hs256' needs 'issuer' and 'secret', or 'api_key'"},
        {"  issuer: " + kServiceId + "\n",
         "n.yaml:5:3: error: auth type 'jwt_hs256' needs 'secret' with 'issuer' (or 'api_key' alone)"},
        {"  secret: ${env:S}\n", "n.yaml:5:3: error: auth type 'jwt_hs256' needs 'issuer' with 'secret' (or 'api_key' alone)"},
        {"  api_key: ${env:K}\n  issuer: x\n",
         "n.yaml:5:3: error: auth type 'jwt_hs256' takes 'api_key' alone, or 'issuer' and 'secret', not both"},
        {"  api_key: ${env:K}\n  token: ${env:T}\n", "n.yaml:7:3: error: 'token' does not apply to auth type 'jwt_hs256'"},
        // A key written in the file is refused where it is; the block, left without a
        // usable key, also says what it needs.
        {"  api_key: " + apiKey() + "\n",
         "n.yaml:5:3: error: auth type 'jwt_hs256' needs 'issuer' and 'secret', or 'api_key'\n"
         "n.yaml:6:12: error: secrets must be references such as ${env:REDMINE_API_KEY} or ${file:/etc/clerk/redmine.key}, "
         "not written in the file"},
        {"  api_key: ${env:K}\n", ""},
        {"  issuer: " + kServiceId + "\n  secret: ${file:/etc/clerk/notify.secret}\n", ""},
    };
    for (const auto &c : cases) {
        const bot::ConnectorLoad load =
            bot::loadConnectorText(head + c.keys, QStringLiteral("n.yaml"), engine::connectorKinds());
        QStringList shown;
        for (const bot::Diagnostic &diagnostic : load.diagnostics)
            shown.append(diagnostic.toString());
        EXPECT_EQ(shown.join('\n').toStdString(), std::string(c.diagnostics)) << c.keys.toStdString();
        EXPECT_EQ(load.connector.has_value(), std::string(c.diagnostics).empty()) << c.keys.toStdString();
    }
}

TEST(GovukNotifyTest, NeitherTheKeyNorATokenReachesTheLogs)
{
    FakeNotify notify;
    QStringList logged;
    {
        const clerk::testing::LogCapture capture;
        qputenv("NOTIFY_API_KEY", apiKey());
        const auto connector = makeConnector(notifyConnector(notify.server.url()));
        EXPECT_TRUE(connector->call(QStringLiteral("send_email"), kEmail, withKey("clerk-1-1-ack")).has_value());
        qputenv("NOTIFY_API_KEY", apiKey("9f2c4c1e-0d4b-4f7a-a4b9-2d8f2c0b7e11"));
        EXPECT_FALSE(connector->call(QStringLiteral("send_email"), kEmail, withKey("clerk-1-1-ack")).has_value());
        logged = capture.lines();
    }
    EXPECT_FALSE(logged.isEmpty());  // debug lines were written...
    QList<QByteArray> secrets{kSecretKey, "9f2c4c1e-0d4b-4f7a-a4b9-2d8f2c0b7e11", "eyJ"};  // "eyJ": any JWT's start
    for (const QByteArray &token : notify.tokens())
        secrets.append(token.split('.').value(2));
    for (const QString &line : logged) {
        for (const QByteArray &secret : secrets)
            EXPECT_FALSE(line.contains(QString::fromLatin1(secret))) << line.toStdString();  // ...without them
    }
}

// Notify repeats the query in its answer, so the reference is in the answer even when no
// notification has it: which is why a check of a listing operation looks in the records.
TEST(GovukNotifyTest, FindByReferenceListsOnlyTheNotificationsWithThatReference)
{
    FakeNotify notify;
    qputenv("NOTIFY_API_KEY", apiKey());
    const auto connector = makeConnector(notifyConnector(notify.server.url()));
    ASSERT_TRUE(connector);
    const QJsonObject params{{"reference", "clerk-77-1-ack"}};
    const auto none = connector->call(QStringLiteral("find_by_reference"), params);
    ASSERT_TRUE(none.has_value());
    EXPECT_TRUE(none->records.isEmpty());
    // Nothing was sent, yet the answer holds the reference (links.current repeats the query).
    EXPECT_TRUE(none->rawBody.contains("clerk-77-1-ack"));
    EXPECT_TRUE(none->listed);
    EXPECT_TRUE(none->rawRecords.isEmpty());

    ASSERT_TRUE(connector->call(QStringLiteral("send_email"), kEmail, withKey("clerk-77-1-ack")).has_value());
    ASSERT_TRUE(connector->call(QStringLiteral("send_email"), kEmail, withKey("clerk-78-1-ack")).has_value());
    const auto found = connector->call(QStringLiteral("find_by_reference"), params);
    ASSERT_TRUE(found.has_value());
    ASSERT_EQ(found->records.size(), 1);
    EXPECT_EQ(found->records.first().toObject().value("reference").toString(), "clerk-77-1-ack");
    EXPECT_EQ(found->records.first().toObject().value("status").toString(), "created");
    EXPECT_EQ(found->records.first().toObject().value("type").toString(), "email");
}

// connectors/README.md's example: an acknowledgement email whose step checks, after an
// attempt that may have landed, before it sends again.
const char *kAcknowledger = R"(name: contact-acknowledger
version: 1
owner_team: customer-services
retry:
  max_attempts: 5
  initial_delay: 1s
  max_delay: 1m
connectors: [govuk-notify]
steps:
  - id: ack_fields
    type: set
    params:
      values:
        first_name: "{{ input.first_name }}"
        case_reference: "{{ input.case_reference }}"
  - id: acknowledge
    type: rest
    params:
      connector: govuk-notify
      operation: send_email
      params:
        email_address: "{{ input.email }}"
        template_id: f33517ff-2a88-4f6e-b855-c550268ce08a
        personalisation: "{{ ack_fields }}"
      check:
        operation: find_sent
        params: {}
)";

class GovukNotifyStepTest : public clerk::testing::EngineFixture {
protected:
    void SetUp() override
    {
        EngineFixture::SetUp();
        qputenv("NOTIFY_API_KEY", apiKey());
    }

    // Runs the example for one form, moving the clock past retry delays, and checks that
    // it ended done with one email in Notify, carrying the form's values and its key.
    WorkItem acknowledge(FakeNotify &notify, const QString &form)
    {
        const bot::BotLoad load = bot::loadBotText(kAcknowledger, QStringLiteral("bot.yaml"), m_registry.catalog(),
                                                   {notifyConnector(notify.server.url())});
        for (const bot::Diagnostic &diagnostic : load.diagnostics)
            ADD_FAILURE() << diagnostic.toString().toStdString();
        engine::Engine engine(*m_store, m_registry, {}, m_clock);
        EXPECT_TRUE(load.bot && engine.addBot(*load.bot).has_value());
        const auto submitted = engine.submit(*load.bot, form,
                                             {{"email", "ada@example.org"}, {"first_name", "Ada"}, {"case_reference", "ASC-1042"}});
        EXPECT_TRUE(submitted.has_value());
        for (int round = 0; round < 4; ++round) {
            EXPECT_TRUE(engine.runUntilIdle().has_value());
            m_clock.advance(1h);
        }
        const WorkItem item = m_store->item(submitted ? submitted->id : 0).value_or(WorkItem{});
        EXPECT_EQ(item.state, ItemState::Done) << item.lastError.toStdString();
        const QList<QJsonObject> stored = notify.notifications();
        EXPECT_EQ(stored.size(), 1);
        if (!stored.isEmpty()) {
            EXPECT_TRUE(stored.first().value("reference").toString().startsWith("clerk-"));
            EXPECT_EQ(stored.first().value("personalisation").toObject(),
                      (QJsonObject{{"first_name", "Ada"}, {"case_reference", "ASC-1042"}}));
        }
        return item;
    }

    engine::StepRegistry m_registry = engine::StepRegistry::builtIn();
};

TEST_F(GovukNotifyStepTest, AnEmailIsSentOnceWhetherOrNotTheLostAttemptLanded)
{
    const struct {
        const char *form;
        std::atomic<int> FakeNotify::*fault;
        bool landed;  // the attempt whose answer was lost reached Notify
    } cases[] = {
        {"form-1", &FakeNotify::landThenDrop, true},
        {"form-2", &FakeNotify::dropUnsent, false},
    };
    for (const auto &c : cases) {
        FakeNotify notify;
        notify.*c.fault = 1;
        const WorkItem item = acknowledge(notify, QLatin1String(c.form));
        const QJsonObject outputs = item.stepOutputs.value("acknowledge").toObject();
        EXPECT_EQ(outputs.value("already_done").toBool(), c.landed) << c.form;
        EXPECT_EQ(notify.sends(), c.landed ? 1 : 2) << c.form;  // sent again only when it had not landed
        EXPECT_TRUE(std::ranges::any_of(notify.server.requests(), [](const TestRequest &request) {
            return request.path() == "/v2/notifications" && request.query("reference").startsWith("clerk-");
        })) << c.form;  // the retry asked Notify for its key first
        if (!c.landed && !notify.notifications().isEmpty()) {
            EXPECT_EQ(outputs.value("id"), notify.notifications().first().value("id"));
        }
    }
}

} // namespace
