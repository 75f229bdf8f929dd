// The REST connector against a real HTTP server on loopback that misbehaves on cue:
// retries, Retry-After, timeouts, dropped connections, malformed JSON, sign-in,
// connection reuse, the circuit breaker and pagination; and what hostile answers and
// values cannot make it do: send credentials to another origin, inject header lines,
// walk the API's path.
#include "bot/bot_loader.h"
#include "engine/step_registry.h"
#include "log_capture.h"
#include "rest/http_client.h"
#include "rest/rest_connector.h"
#include "test_http_server.h"
#include "test_support.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QMutex>
#include <QTcpServer>

#include <gtest/gtest.h>

#include <atomic>

using namespace clerk;
using namespace std::chrono_literals;
using clerk::testing::TestHttpServer;
using clerk::testing::TestRequest;
using clerk::testing::TestResponse;

namespace {

// Records the connector's waits instead of sleeping through them.
struct Sleeps {
    QMutex mutex;
    QList<std::chrono::milliseconds> waits;
    std::function<void(std::chrono::milliseconds)> fn()
    {
        return [this](std::chrono::milliseconds wait) {
            QMutexLocker lock(&mutex);
            waits.append(wait);
        };
    }
    qint64 total()
    {
        QMutexLocker lock(&mutex);
        qint64 sum = 0;
        for (auto wait : waits)
            sum += wait.count();
        return sum;
    }
};

QByteArray connectorYaml(const QString &baseUrl, const QByteArray &extra = {})
{
    return "name: cases\nkind: rest\nbase_url: " + baseUrl.toUtf8() +
           "\n"
           "retry:\n  max_attempts: 3\n  initial_delay: 100ms\n  max_delay: 10s\n"
           "timeouts:\n  connect: 2s\n  read: 1s\n" +
           extra +
           "operations:\n"
           "  get_case:\n    method: GET\n    path: cases/{{ params.id }}.json\n"
           "    query:\n      include: journals\n"
           "    response:\n      id: /case/id\n      surname: /case/surname\n"
           "  add_note:\n    method: POST\n    path: cases/{{ params.id }}/notes\n"
           "    idempotency: none\n"
           "    body:\n      note: \"{{ params.text }} [{{ key }}]\"\n      count: \"{{ params.count }}\"\n"
           "    response:\n      note_id: /note/id\n"
           "  create_case:\n    method: POST\n    path: cases\n"
           "    body:\n      surname: \"{{ params.surname }}\"\n"
           "    response:\n      id: /case/id\n"
           "  search:\n    method: GET\n    path: cases\n"
           "    query:\n      surname: \"{{ params.surname }}\"\n"
           "    records: /cases\n"
           "    response:\n      id: /id\n";
}

bot::ConnectorDefinition definition(const QByteArray &yaml)
{
    const bot::ConnectorLoad load = bot::loadConnectorText(yaml, QStringLiteral("cases.yaml"), engine::connectorKinds());
    for (const bot::Diagnostic &diagnostic : load.diagnostics)
        ADD_FAILURE() << diagnostic.toString().toStdString();
    return load.connector.value_or(bot::ConnectorDefinition{});
}

std::shared_ptr<rest::RestConnector> makeConnector(const QByteArray &yaml, Sleeps &sleeps,
                                                    const Clock *clock = nullptr)
{
    auto created = rest::RestConnector::create(definition(yaml), {clock, sleeps.fn()});
    EXPECT_TRUE(created.has_value()) << (created ? "" : created.error().toString().toStdString());
    return created ? *created : nullptr;
}

TEST(RestConnectorTest, RendersTheRequestAndMapsTheAnswer)
{
    TestHttpServer server([](const TestRequest &) {
        return TestResponse::json(200, R"({"case": {"id": 42, "surname": "Okafor"}})");
    });
    Sleeps sleeps;
    auto connector = makeConnector(connectorYaml(server.url()), sleeps);
    const auto result = connector->call(QStringLiteral("get_case"), {{"id", "A/7 b"}});
    ASSERT_TRUE(result.has_value()) << result.error().error.toString().toStdString();
    EXPECT_EQ(result->status, 200);
    EXPECT_EQ(result->fields.value("id").toInt(), 42);
    EXPECT_EQ(result->fields.value("surname").toString(), "Okafor");
    ASSERT_EQ(server.requests().size(), 1);
    const TestRequest request = server.requests().first();
    EXPECT_EQ(request.method, "GET");
    EXPECT_EQ(request.path(), "/cases/A%2F7%20b.json");  // a value cannot escape its path segment
    EXPECT_EQ(request.query("include"), "journals");
    EXPECT_EQ(request.header("accept"), "application/json");
}

TEST(RestConnectorTest, SendsTheBodyAsJsonWithTheKey)
{
    TestHttpServer server([](const TestRequest &) { return TestResponse::json(201, R"({"note": {"id": 9}})"); });
    Sleeps sleeps;
    auto connector = makeConnector(connectorYaml(server.url()), sleeps);
    const auto result = connector->call(QStringLiteral("add_note"), {{"id", 7}, {"text", "Called back"}, {"count", 3}},
                                        {QStringLiteral("clerk-1-2-note")});
    ASSERT_TRUE(result.has_value());
    EXPECT_EQ(result->fields.value("note_id").toInt(), 9);
    const TestRequest request = server.requests().first();
    EXPECT_EQ(request.header("content-type"), "application/json");
    const QJsonObject body = QJsonDocument::fromJson(request.body).object();
    EXPECT_EQ(body.value("note").toString(), "Called back [clerk-1-2-note]");
    EXPECT_EQ(body.value("count"), QJsonValue(3));  // a lone reference keeps its JSON type
    EXPECT_TRUE(request.header("idempotency-key").isEmpty());  // idempotency: none
}

TEST(RestConnectorTest, RetriesServerErrorsWithBackoffThenSucceeds)
{
    std::atomic<int> calls = 0;
    TestHttpServer server([&calls](const TestRequest &) {
        return ++calls < 3 ? TestResponse::json(502, "{}") : TestResponse::json(200, R"({"case": {"id": 1}})");
    });
    Sleeps sleeps;
    auto connector = makeConnector(connectorYaml(server.url()), sleeps);
    const auto result = connector->call(QStringLiteral("get_case"), {{"id", 1}});
    ASSERT_TRUE(result.has_value());
    EXPECT_EQ(server.requests().size(), 3);
    ASSERT_EQ(sleeps.waits.size(), 2);
    EXPECT_GE(sleeps.waits.at(0).count(), 50);   // 100 ms with jitter in its upper half
    EXPECT_LE(sleeps.waits.at(0).count(), 100);
    EXPECT_GE(sleeps.waits.at(1).count(), 100);  // then 200 ms
    EXPECT_LE(sleeps.waits.at(1).count(), 200);
}

TEST(RestConnectorTest, GivesUpAfterTheRetryLimitWithATemporaryError)
{
    TestHttpServer server([](const TestRequest &) { return TestResponse::json(500, R"({"error": "db down"})"); });
    Sleeps sleeps;
    auto connector = makeConnector(connectorYaml(server.url(), "circuit_breaker:\n  failures: 50\n"), sleeps);
    const auto result = connector->call(QStringLiteral("get_case"), {{"id", 1}});
    ASSERT_FALSE(result.has_value());
    EXPECT_TRUE(result.error().retryable);
    EXPECT_EQ(result.error().httpStatus, 500);
    EXPECT_EQ(server.requests().size(), 4);  // the first try and 3 retries
}

TEST(RestConnectorTest, HonoursRetryAfterOn429)
{
    std::atomic<int> calls = 0;
    TestHttpServer server([&calls](const TestRequest &) {
        if (++calls == 1) {
            TestResponse slowDown = TestResponse::json(429, "{}");
            slowDown.headers.emplaceBack("Retry-After", "2");
            return slowDown;
        }
        return TestResponse::json(200, R"({"case": {"id": 1}})");
    });
    Sleeps sleeps;
    auto connector = makeConnector(connectorYaml(server.url()), sleeps);
    ASSERT_TRUE(connector->call(QStringLiteral("get_case"), {{"id", 1}}).has_value());
    ASSERT_EQ(sleeps.waits.size(), 1);
    EXPECT_EQ(sleeps.waits.first(), 2000ms);
}

TEST(RestConnectorTest, ALongRetryAfterIsHandedBackInsteadOfBlockingTheWorker)
{
    TestHttpServer server([](const TestRequest &) {
        TestResponse slowDown = TestResponse::json(503, "{}");
        slowDown.headers.emplaceBack("Retry-After", "3600");
        return slowDown;
    });
    Sleeps sleeps;
    auto connector = makeConnector(connectorYaml(server.url()), sleeps);
    const auto result = connector->call(QStringLiteral("create_case"), {{"surname", "Ng"}});
    ASSERT_FALSE(result.has_value());
    EXPECT_TRUE(result.error().retryable);
    EXPECT_FALSE(result.error().maybeActed);  // 503: the server did not act
    EXPECT_EQ(result.error().retryAfter, 3600000ms);
    EXPECT_TRUE(sleeps.waits.isEmpty());
    EXPECT_EQ(server.requests().size(), 1);
}

TEST(RestConnectorTest, DoesNotRetryClientErrors)
{
    for (int status : {400, 404, 409, 422}) {
        TestHttpServer server([status](const TestRequest &) {
            return TestResponse::json(status, R"({"errors": ["Date of birth is not a valid date"]})");
        });
        Sleeps sleeps;
        auto connector = makeConnector(connectorYaml(server.url()), sleeps);
        const auto result = connector->call(QStringLiteral("create_case"), {{"surname", "Ng"}});
        ASSERT_FALSE(result.has_value()) << status;
        EXPECT_FALSE(result.error().retryable) << status;
        EXPECT_EQ(result.error().httpStatus, status);
        EXPECT_TRUE(result.error().body.contains("not a valid date"));
        EXPECT_EQ(server.requests().size(), 1) << status;
    }
}

TEST(RestConnectorTest, ATimedOutWriteWithoutIdempotencyIsNotSentAgain)
{
    TestHttpServer server([](const TestRequest &) {
        TestResponse late = TestResponse::json(201, R"({"note": {"id": 1}})");
        late.delayMs = 1500;  // longer than the 1 s read timeout; the server did act
        return late;
    });
    Sleeps sleeps;
    auto connector = makeConnector(connectorYaml(server.url()), sleeps);
    const auto result = connector->call(QStringLiteral("add_note"), {{"id", 7}, {"text", "x"}}, {QStringLiteral("k1")});
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error().error.code(), ErrorCode::Timeout);
    EXPECT_TRUE(result.error().retryable);
    EXPECT_TRUE(result.error().maybeActed);
    EXPECT_EQ(server.requests().size(), 1);
}

TEST(RestConnectorTest, ATimedOutWriteWithAnIdempotencyKeyIsSentAgainWithTheSameKey)
{
    std::atomic<int> calls = 0;
    TestHttpServer server([&calls](const TestRequest &) {
        TestResponse answer = TestResponse::json(201, R"({"case": {"id": 5}})");
        if (++calls == 1)
            answer.delayMs = 1500;
        return answer;
    });
    Sleeps sleeps;
    auto connector = makeConnector(connectorYaml(server.url()), sleeps);
    const auto result = connector->call(QStringLiteral("create_case"), {{"surname", "Ng"}}, {QStringLiteral("clerk-9-1-c")});
    ASSERT_TRUE(result.has_value());
    const QList<TestRequest> requests = server.requests();
    ASSERT_EQ(requests.size(), 2);
    EXPECT_EQ(requests.at(0).header("idempotency-key"), "clerk-9-1-c");
    EXPECT_EQ(requests.at(1).header("idempotency-key"), "clerk-9-1-c");
}

TEST(RestConnectorTest, ADroppedConnectionOnAReadIsRetried)
{
    std::atomic<int> calls = 0;
    TestHttpServer server([&calls](const TestRequest &) {
        TestResponse answer = TestResponse::json(200, R"({"case": {"id": 3}})");
        answer.drop = ++calls == 1;
        return answer;
    });
    Sleeps sleeps;
    auto connector = makeConnector(connectorYaml(server.url()), sleeps);
    const auto result = connector->call(QStringLiteral("get_case"), {{"id", 3}});
    ASSERT_TRUE(result.has_value());
    EXPECT_EQ(result->fields.value("id").toInt(), 3);
    EXPECT_EQ(server.requests().size(), 2);
}

TEST(RestConnectorTest, ASlowBodyWithinTheTimeoutArrivesWhole)
{
    TestHttpServer server([](const TestRequest &) {
        TestResponse answer = TestResponse::json(200, R"({"case": {"id": 8, "surname": "Dlamini"}})");
        answer.bodyPieces = 4;
        answer.pieceDelayMs = 50;
        return answer;
    });
    Sleeps sleeps;
    auto connector = makeConnector(connectorYaml(server.url()), sleeps);
    const auto result = connector->call(QStringLiteral("get_case"), {{"id", 8}});
    ASSERT_TRUE(result.has_value());
    EXPECT_EQ(result->fields.value("surname").toString(), "Dlamini");
}

TEST(RestConnectorTest, MalformedJsonIsAClearTemporaryError)
{
    TestHttpServer server([](const TestRequest &) { return TestResponse::json(200, R"({"case": {"id": 8,)"); });
    Sleeps sleeps;
    auto connector = makeConnector(connectorYaml(server.url()), sleeps);
    const auto result = connector->call(QStringLiteral("get_case"), {{"id", 8}});
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error().error.code(), ErrorCode::Unreadable);
    EXPECT_TRUE(result.error().error.message().contains("not JSON"));
    EXPECT_TRUE(result.error().retryable);
}

TEST(RestConnectorTest, ReusesOneConnectionForManyCalls)
{
    TestHttpServer server([](const TestRequest &) { return TestResponse::json(200, R"({"case": {"id": 1}})"); });
    Sleeps sleeps;
    auto connector = makeConnector(connectorYaml(server.url()), sleeps);
    for (int i = 0; i < 10; ++i)
        ASSERT_TRUE(connector->call(QStringLiteral("get_case"), {{"id", i}}).has_value());
    EXPECT_EQ(server.requests().size(), 10);
    EXPECT_EQ(server.connections(), 1);
}

TEST(RestConnectorTest, SignsInWithEachKindOfCredential)
{
    qputenv("CLERK_TEST_PASSWORD", "pa:ss");
    qputenv("CLERK_TEST_TOKEN", "tok-123");
    qputenv("CLERK_TEST_KEY", "key-456");
    const struct {
        const char *auth;
        const char *header;
        QByteArray expected;
    } cases[] = {
        {"auth:\n  type: basic\n  username: clerk\n  password: ${env:CLERK_TEST_PASSWORD}\n", "authorization",
         "Basic " + QByteArray("clerk:pa:ss").toBase64()},
        {"auth:\n  type: bearer\n  token: ${env:CLERK_TEST_TOKEN}\n", "authorization", "Bearer tok-123"},
        {"auth:\n  type: api_key\n  header: X-Redmine-API-Key\n  key: ${env:CLERK_TEST_KEY}\n", "x-redmine-api-key",
         "key-456"},
    };
    for (const auto &c : cases) {
        TestHttpServer server([](const TestRequest &) { return TestResponse::json(200, R"({"case": {"id": 1}})"); });
        Sleeps sleeps;
        auto connector = makeConnector(connectorYaml(server.url(), c.auth), sleeps);
        ASSERT_TRUE(connector->call(QStringLiteral("get_case"), {{"id", 1}}).has_value()) << c.auth;
        EXPECT_EQ(server.requests().first().header(c.header), c.expected) << c.auth;
    }
}

TEST(RestConnectorTest, AMissingSecretIsAClearErrorNamingTheVariable)
{
    qunsetenv("CLERK_TEST_UNSET_TOKEN");
    TestHttpServer server([](const TestRequest &) { return TestResponse::json(200, "{}"); });
    Sleeps sleeps;
    auto connector =
        makeConnector(connectorYaml(server.url(), "auth:\n  type: bearer\n  token: ${env:CLERK_TEST_UNSET_TOKEN}\n"), sleeps);
    const auto result = connector->call(QStringLiteral("get_case"), {{"id", 1}});
    ASSERT_FALSE(result.has_value());
    EXPECT_FALSE(result.error().retryable);
    EXPECT_TRUE(result.error().error.message().contains("CLERK_TEST_UNSET_TOKEN"));
    EXPECT_TRUE(server.requests().isEmpty());
}

// An OAuth2 token server and an API that accepts only the current token.
struct OAuthSystem {
    std::atomic<int> tokensIssued = 0;
    std::atomic<bool> revokeNext = false;   // the API refuses the current token once
    std::atomic<bool> refuseAll = false;    // the API refuses every token
    QMutex mutex;
    QByteArray current;
    TestHttpServer server{[this](const TestRequest &request) { return answer(request); }};

    TestResponse answer(const TestRequest &request)
    {
        QMutexLocker lock(&mutex);
        if (request.path() == "/token") {
            if (!request.body.contains("client_secret=s3cret") || !request.body.contains("grant_type=client_credentials"))
                return TestResponse::json(401, R"({"error": "invalid_client"})");
            current = "tok" + QByteArray::number(++tokensIssued);
            return TestResponse::json(200, R"({"access_token": ")" + current + R"(", "expires_in": 3600})");
        }
        if (refuseAll || request.header("authorization") != "Bearer " + current)
            return TestResponse::json(401, "{}");
        if (revokeNext.exchange(false)) {
            current.clear();
            return TestResponse::json(401, "{}");
        }
        return TestResponse::json(200, R"({"case": {"id": 1}})");
    }

    QByteArray yaml()
    {
        return connectorYaml(server.url(), "auth:\n  type: oauth2_client_credentials\n  token_url: " +
                                               server.url().toUtf8() +
                                               "token\n  client_id: clerk\n  client_secret: ${env:CLERK_TEST_SECRET}\n");
    }
};

TEST(RestConnectorTest, OAuthTokenIsCachedAndRefreshedOnceOn401)
{
    qputenv("CLERK_TEST_SECRET", "s3cret");
    OAuthSystem system;
    Sleeps sleeps;
    auto connector = makeConnector(system.yaml(), sleeps);
    for (int i = 0; i < 3; ++i)
        ASSERT_TRUE(connector->call(QStringLiteral("get_case"), {{"id", 1}}).has_value());
    EXPECT_EQ(system.tokensIssued, 1);  // one token for three calls

    system.revokeNext = true;  // the token expired early on the server's side
    ASSERT_TRUE(connector->call(QStringLiteral("get_case"), {{"id", 1}}).has_value());
    EXPECT_EQ(system.tokensIssued, 2);

    system.refuseAll = true;  // credentials no longer accepted: one refresh, then a clear error
    const auto refused = connector->call(QStringLiteral("get_case"), {{"id", 1}});
    ASSERT_FALSE(refused.has_value());
    EXPECT_EQ(refused.error().error.code(), ErrorCode::PermissionDenied);
    EXPECT_EQ(refused.error().httpStatus, 401);
    EXPECT_FALSE(refused.error().retryable);
    EXPECT_EQ(system.tokensIssued, 3);
}

TEST(RestConnectorTest, OAuthTokenIsRenewedBeforeItExpires)
{
    qputenv("CLERK_TEST_SECRET", "s3cret");
    OAuthSystem system;
    Sleeps sleeps;
    ManualClock clock(QDateTime::currentDateTimeUtc());
    auto connector = makeConnector(system.yaml(), sleeps, &clock);
    ASSERT_TRUE(connector->call(QStringLiteral("get_case"), {{"id", 1}}).has_value());
    clock.advance(3550s);  // within a minute of expiry
    ASSERT_TRUE(connector->call(QStringLiteral("get_case"), {{"id", 1}}).has_value());
    EXPECT_EQ(system.tokensIssued, 2);
}

TEST(RestConnectorTest, SecretsNeverReachTheLogs)
{
    qputenv("CLERK_TEST_TOKEN", "tok-very-secret");
    QStringList logged;
    {
        const clerk::testing::LogCapture capture;
        std::atomic<int> calls = 0;
        TestHttpServer server([&calls](const TestRequest &) {
            return ++calls == 1 ? TestResponse::json(500, "{}") : TestResponse::json(200, R"({"case": {"id": 1}})");
        });
        Sleeps sleeps;
        auto connector = makeConnector(connectorYaml(server.url(), "auth:\n  type: bearer\n  token: ${env:CLERK_TEST_TOKEN}\n"), sleeps);
        ASSERT_TRUE(connector->call(QStringLiteral("get_case"), {{"id", "NHS-9434765919"}}).has_value());
        logged = capture.lines();
    }
    EXPECT_FALSE(logged.isEmpty());  // debug lines were written...
    for (const QString &line : logged) {
        EXPECT_FALSE(line.contains("tok-very-secret")) << line.toStdString();  // ...without the token
        EXPECT_FALSE(line.contains("9434765919")) << line.toStdString();       // or the values sent
    }
}

TEST(RestConnectorTest, CircuitBreakerStopsCallingADeadSystem)
{
    // A port that nothing listens on.
    QTcpServer probe;
    ASSERT_TRUE(probe.listen(QHostAddress::LocalHost, 0));
    const quint16 port = probe.serverPort();
    probe.close();
    Sleeps sleeps;
    auto connector = makeConnector(
        connectorYaml(QStringLiteral("http://127.0.0.1:%1/").arg(port),
                      "circuit_breaker:\n  failures: 3\n  cool_down: 1m\n"),
        sleeps);
    const auto first = connector->call(QStringLiteral("get_case"), {{"id", 1}});
    ASSERT_FALSE(first.has_value());
    EXPECT_EQ(first.error().error.code(), ErrorCode::Unavailable);
    EXPECT_TRUE(first.error().retryable);
    EXPECT_FALSE(first.error().maybeActed);  // nothing was sent
    // Three failures opened it: the next call is refused at once, with the time to wait.
    const auto second = connector->call(QStringLiteral("get_case"), {{"id", 1}});
    ASSERT_FALSE(second.has_value());
    EXPECT_TRUE(second.error().error.message().contains("circuit open"));
    EXPECT_GT(second.error().retryAfter, 50s);
}

TEST(RestConnectorTest, RateLimitSpacesCalls)
{
    TestHttpServer server([](const TestRequest &) { return TestResponse::json(200, R"({"case": {"id": 1}})"); });
    Sleeps sleeps;
    ManualClock clock(QDateTime::currentDateTimeUtc());  // time stands still: every wait is the limiter's
    auto connector = makeConnector(connectorYaml(server.url(), "rate_limit:\n  per_second: 10\n  burst: 1\n"), sleeps, &clock);
    for (int i = 0; i < 5; ++i)
        ASSERT_TRUE(connector->call(QStringLiteral("get_case"), {{"id", 1}}).has_value());
    EXPECT_EQ(sleeps.total(), 100 + 200 + 300 + 400);
}

// A list of 23 cases served in pages in each of the styles.
TestResponse pagedCases(const TestRequest &request, const QByteArray &style)
{
    const int total = 23;
    const int size = 10;
    int start = 0;
    if (style == "page")
        start = (request.query("page").toInt() - 1) * size;
    else if (style == "offset")
        start = request.query("offset").toInt();
    else
        start = request.query("cursor").toInt();  // cursor and link use the same token
    QJsonArray cases;
    for (int i = start; i < std::min(total, start + size); ++i)
        cases.append(QJsonObject{{"id", i + 1}});
    QJsonObject body{{"cases", cases}, {"total_count", total}};
    const int next = start + size;
    if (style == "cursor" && next < total)
        body.insert("next", QString::number(next));
    TestResponse answer = TestResponse::json(200, QJsonDocument(body).toJson(QJsonDocument::Compact));
    if (style == "link" && next < total)
        answer.headers.emplaceBack("Link", "</cases?cursor=" + QByteArray::number(next) + ">; rel=\"next\", </cases>; rel=\"first\"");
    return answer;
}

TEST(RestConnectorTest, ReadsEveryPageInEachStyle)
{
    const struct {
        const char *style;
        const char *paginate;
    } cases[] = {
        {"page", "      style: page\n      size_param: limit\n      size: 10\n      total: /total_count\n"},
        {"offset", "      style: offset\n      size_param: limit\n      size: 10\n"},
        {"cursor", "      style: cursor\n      next: /next\n"},
        {"link", "      style: link\n"},
    };
    for (const auto &c : cases) {
        const QByteArray style(c.style);
        TestHttpServer server([style](const TestRequest &request) { return pagedCases(request, style); });
        QByteArray yaml = connectorYaml(server.url());
        yaml += "  list:\n    method: GET\n    path: cases\n    records: /cases\n    response:\n      id: /id\n"
                "    paginate:\n" + QByteArray(c.paginate);
        Sleeps sleeps;
        auto connector = makeConnector(yaml, sleeps);
        const auto result = connector->call(QStringLiteral("list"), {});
        ASSERT_TRUE(result.has_value()) << c.style;
        EXPECT_EQ(result->records.size(), 23) << c.style;
        EXPECT_EQ(result->pages, 3) << c.style;
        EXPECT_FALSE(result->truncated);
        EXPECT_EQ(result->records.last().toObject().value("id").toInt(), 23) << c.style;
        if (style == "page" || style == "offset") {
            EXPECT_EQ(server.requests().first().query("limit"), "10") << c.style;
        }
    }
}

TEST(RestConnectorTest, StopsAtMaxPages)
{
    TestHttpServer server([](const TestRequest &request) { return pagedCases(request, "page"); });
    QByteArray yaml = connectorYaml(server.url());
    yaml += "  list:\n    method: GET\n    path: cases\n    records: /cases\n    response:\n      id: /id\n"
            "    paginate:\n      style: page\n      size: 10\n      max_pages: 2\n";
    Sleeps sleeps;
    auto connector = makeConnector(yaml, sleeps);
    const auto result = connector->call(QStringLiteral("list"), {});
    ASSERT_TRUE(result.has_value());
    EXPECT_EQ(result->records.size(), 20);
    EXPECT_TRUE(result->truncated);
}

TEST(RestConnectorTest, RefusesSettingsTheSchemaCannotCheck)
{
    Sleeps sleeps;
    QByteArray yaml = connectorYaml(QStringLiteral("http://127.0.0.1:1/"));
    yaml += "  list:\n    method: GET\n    path: cases\n    paginate:\n      style: page\n";
    const auto noRecords = rest::RestConnector::create(definition(yaml), {nullptr, sleeps.fn()});
    ASSERT_FALSE(noRecords.has_value());
    EXPECT_TRUE(noRecords.error().message().contains("paginate needs records"));

    const auto badUrl = rest::RestConnector::create(definition(connectorYaml(QStringLiteral("ftp://example.org/"))),
                                                    {nullptr, sleeps.fn()});
    ASSERT_FALSE(badUrl.has_value());
    EXPECT_TRUE(badUrl.error().message().contains("http://"));
}

TEST(RestConnectorTest, TheAddressMayComeFromTheEnvironment)
{
    TestHttpServer server([](const TestRequest &) { return TestResponse::json(200, R"({"case": {"id": 4}})"); });
    qputenv("CLERK_TEST_CASES_URL", server.url().toUtf8());
    Sleeps sleeps;
    auto connector = makeConnector(connectorYaml(QStringLiteral("${env:CLERK_TEST_CASES_URL}")), sleeps);
    ASSERT_TRUE(connector);
    const auto result = connector->call(QStringLiteral("get_case"), {{"id", 4}});
    ASSERT_TRUE(result.has_value());
    EXPECT_EQ(result->fields.value("id").toInt(), 4);

    // Read when a call is made, so a bot validates without it; the call fails clearly.
    qunsetenv("CLERK_TEST_CASES_URL_UNSET");
    auto unset = makeConnector(connectorYaml(QStringLiteral("${env:CLERK_TEST_CASES_URL_UNSET}")), sleeps);
    ASSERT_TRUE(unset);
    const auto call = unset->call(QStringLiteral("get_case"), {{"id", 4}});
    ASSERT_FALSE(call.has_value());
    EXPECT_FALSE(call.error().retryable);
    EXPECT_TRUE(call.error().error.message().contains("CLERK_TEST_CASES_URL_UNSET"));
}

TEST(RestConnectorTest, SharedConnectorIsOnePerDefinition)
{
    const bot::ConnectorDefinition first = definition(connectorYaml(QStringLiteral("http://127.0.0.1:1/")));
    const bot::ConnectorDefinition changed = definition(connectorYaml(QStringLiteral("http://127.0.0.1:2/")));
    auto a = rest::sharedConnector(first);
    auto b = rest::sharedConnector(first);
    auto c = rest::sharedConnector(changed);
    ASSERT_TRUE(a && b && c);
    EXPECT_EQ(a->get(), b->get());
    EXPECT_NE(a->get(), c->get());
}

// --- What untrusted answers and values cannot make the connector do ---------------

// The next-page address a hostile or broken system could give, and whether the call may
// follow it: only base_url's origin (scheme, host and port) is.
TEST(RestConnectorTest, LinkPaginationIsFollowedOnlyToTheBaseOrigin)
{
    qputenv("CLERK_TEST_TOKEN", "tok-never-elsewhere");
    TestHttpServer elsewhere([](const TestRequest &request) { return pagedCases(request, "link"); });
    QByteArray nextTarget;  // set per case, read by the server's thread after the call starts
    QMutex targetMutex;
    TestHttpServer server([&](const TestRequest &request) {
        TestResponse answer = TestResponse::json(200, R"({"cases": [{"id": 1}]})");
        if (request.query("cursor").isEmpty()) {
            QMutexLocker lock(&targetMutex);
            answer.headers.emplaceBack("Link", "<" + nextTarget + ">; rel=\"next\"");
        }
        return answer;
    });
    const QByteArray port = QByteArray::number(server.port());
    const struct {
        const char *name;
        QByteArray link;
        bool followed;
    } cases[] = {
        {"relative", "/cases?cursor=1", true},
        {"same origin, absolute", "http://127.0.0.1:" + port + "/other/list?cursor=1", true},
        {"another port", elsewhere.url().toUtf8() + "cases?cursor=1", false},
        {"another host name for the same machine", "http://localhost:" + port + "/cases?cursor=1", false},
        {"another scheme", "https://127.0.0.1:" + port + "/cases?cursor=1", false},
        {"scheme-relative to another host", "//127.0.0.2:" + port + "/cases?cursor=1", false},
    };
    QByteArray yaml = connectorYaml(server.url(), "auth:\n  type: bearer\n  token: ${env:CLERK_TEST_TOKEN}\n");
    yaml += "  list:\n    method: GET\n    path: cases\n    records: /cases\n    response:\n      id: /id\n"
            "    paginate:\n      style: link\n";
    Sleeps sleeps;
    auto connector = makeConnector(yaml, sleeps);
    ASSERT_TRUE(connector);
    int sent = 0;
    for (const auto &c : cases) {
        {
            QMutexLocker lock(&targetMutex);
            nextTarget = c.link;
        }
        const auto result = connector->call(QStringLiteral("list"), {});
        if (c.followed) {
            ASSERT_TRUE(result.has_value()) << c.name << ": " << result.error().error.toString().toStdString();
            EXPECT_EQ(result->pages, 2) << c.name;
            EXPECT_EQ(result->records.size(), 2) << c.name;
            sent += 2;
        } else {
            // Fails as a whole: part of a list must not pass for all of it.
            ASSERT_FALSE(result.has_value()) << c.name;
            EXPECT_EQ(result.error().error.code(), ErrorCode::PermissionDenied) << c.name;
            EXPECT_FALSE(result.error().retryable) << c.name;
            EXPECT_TRUE(result.error().error.message().contains("origin")) << c.name;
            sent += 1;
        }
        EXPECT_EQ(server.requests().size(), sent) << c.name;
    }
    EXPECT_TRUE(elsewhere.requests().isEmpty()) << "the credentials left the origin";
}

TEST(RestConnectorTest, RedirectsAreNotFollowedWithTheCredentials)
{
    qputenv("CLERK_TEST_TOKEN", "tok-never-elsewhere");
    TestHttpServer elsewhere([](const TestRequest &) { return TestResponse::json(200, R"({"case": {"id": 1}})"); });
    TestHttpServer server([&elsewhere](const TestRequest &) {
        TestResponse answer;
        answer.status = 302;
        answer.headers = {{"Location", elsewhere.url().toUtf8() + "cases/1.json"}};
        return answer;
    });
    Sleeps sleeps;
    auto connector =
        makeConnector(connectorYaml(server.url(), "auth:\n  type: bearer\n  token: ${env:CLERK_TEST_TOKEN}\n"), sleeps);
    const auto result = connector->call(QStringLiteral("get_case"), {{"id", 1}});
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error().httpStatus, 302);
    EXPECT_FALSE(result.error().retryable);
    EXPECT_EQ(server.requests().size(), 1);
    EXPECT_TRUE(elsewhere.requests().isEmpty());
}

TEST(RestConnectorTest, HeaderValuesWithLineBreaksAreRefusedNamingOnlyTheHeader)
{
    TestHttpServer server([](const TestRequest &) { return TestResponse::json(200, R"({"case": {"id": 1}})"); });
    QByteArray yaml = connectorYaml(server.url());
    yaml += "  tagged:\n    method: GET\n    path: cases/1.json\n    headers:\n      X-Case-Ref: \"ref {{ params.ref }}\"\n"
            "    response:\n      id: /case/id\n";
    Sleeps sleeps;
    auto connector = makeConnector(yaml, sleeps);
    ASSERT_TRUE(connector);

    const QString refused[] = {
        QStringLiteral("A1\r\nX-Injected: yes"),
        QStringLiteral("A1\nX-Injected: yes"),
        QStringLiteral("A1\rX-Injected: yes"),
        QString::fromUtf8("A1\0X-Injected", 13),
    };
    for (const QString &value : refused) {
        const auto result = connector->call(QStringLiteral("tagged"), {{"ref", value}});
        ASSERT_FALSE(result.has_value()) << value.toStdString();
        EXPECT_EQ(result.error().error.code(), ErrorCode::InvalidArgument);
        EXPECT_FALSE(result.error().retryable);
        EXPECT_TRUE(result.error().error.message().contains("X-Case-Ref"));
        EXPECT_FALSE(result.error().error.message().contains("Injected")) << "the value is never shown";
    }
    EXPECT_TRUE(server.requests().isEmpty());

    const auto fine = connector->call(QStringLiteral("tagged"), {{"ref", "A1 \t(urgent)"}});
    ASSERT_TRUE(fine.has_value());
    EXPECT_EQ(server.requests().last().header("x-case-ref"), "ref A1 \t(urgent)");

    // A secret is a value too: a token with a line break is not sent either.
    qputenv("CLERK_TEST_TOKEN", "tok\r\nX-Injected: yes");
    auto withToken =
        makeConnector(connectorYaml(server.url(), "auth:\n  type: bearer\n  token: ${env:CLERK_TEST_TOKEN}\n"), sleeps);
    const auto secret = withToken->call(QStringLiteral("get_case"), {{"id", 1}});
    ASSERT_FALSE(secret.has_value());
    EXPECT_TRUE(secret.error().error.message().contains("Authorization"));
    EXPECT_FALSE(secret.error().error.message().contains("Injected"));
    EXPECT_EQ(server.requests().size(), 1);
}

TEST(RestConnectorTest, PathParametersStayInsideTheirSegment)
{
    TestHttpServer server([](const TestRequest &) { return TestResponse::json(200, R"({"case": {"id": 1}})"); });
    QByteArray yaml = connectorYaml(server.url());
    yaml += "  get_notes:\n    method: GET\n    path: cases/{{ params.id }}/notes\n"
            "    query:\n      q: \"{{ params.q }}\"\n    response:\n      id: /case/id\n";
    Sleeps sleeps;
    auto connector = makeConnector(yaml, sleeps);
    ASSERT_TRUE(connector);

    const struct {
        const char *id;
        const char *path;
    } encoded[] = {
        {"A/7 b", "/cases/A%2F7%20b/notes"},
        {"x?admin=1", "/cases/x%3Fadmin%3D1/notes"},
        {"x#frag", "/cases/x%23frag/notes"},
        {"%2e%2e", "/cases/%252e%252e/notes"},
        {"...", "/cases/.../notes"},
        {".hidden", "/cases/.hidden/notes"},
    };
    for (const auto &c : encoded) {
        const auto result = connector->call(QStringLiteral("get_notes"), {{"id", c.id}});
        ASSERT_TRUE(result.has_value()) << c.id << ": " << result.error().error.toString().toStdString();
        EXPECT_EQ(server.requests().last().path(), QByteArray(c.path)) << c.id;
    }
    const int sent = static_cast<int>(server.requests().size());
    // Refused also when encoded, as servers and proxies may decode before resolving.
    for (const char *id : {"..", ".", "../..", "a/../b", "..\\x"}) {
        const auto result = connector->call(QStringLiteral("get_notes"), {{"id", id}});
        ASSERT_FALSE(result.has_value()) << id;
        EXPECT_EQ(result.error().error.code(), ErrorCode::InvalidArgument) << id;
        EXPECT_FALSE(result.error().retryable) << id;
    }
    EXPECT_EQ(server.requests().size(), sent) << "a dot segment was sent";

    // Query values are encoded whole: no parameter of their own, no fragment.
    const auto query = connector->call(QStringLiteral("get_notes"), {{"id", 7}, {"q", "a&admin=1#x +y%"}});
    ASSERT_TRUE(query.has_value());
    EXPECT_EQ(server.requests().last().query("q"), "a&admin=1#x +y%");
    EXPECT_TRUE(server.requests().last().query("admin").isEmpty());
}

TEST(HttpClientTest, RefusesHeadersWithLineBreaksBeforeConnecting)
{
    TestHttpServer server([](const TestRequest &) { return TestResponse::json(200, "{}"); });
    const QList<QPair<QByteArray, QByteArray>> refused{
        {"X-Ref", "a\r\nX-Injected: yes"},
        {"X-Ref", "a\nb"},
        {"X-Ref", QByteArray("a\0b", 3)},
        {"X-Ref\r\nX-Injected", "a"},
    };
    for (const auto &header : refused) {
        rest::HttpRequest request;
        request.url = server.url() + QStringLiteral("cases");
        request.headers = {header};
        const auto response = rest::HttpClient::perform(request);
        ASSERT_FALSE(response.has_value());
        EXPECT_EQ(response.error().error.code(), ErrorCode::InvalidArgument);
        EXPECT_EQ(response.error().failure, rest::TransportFailure::NotSent);
        if (header.first == "X-Ref") {
            EXPECT_FALSE(response.error().error.message().contains("Injected")) << "a value is never shown";
        }
    }
    EXPECT_EQ(server.connections(), 0);
}


// An upload operation (Redmine's uploads.json): the caller's bytes as they are, as
// application/octet-stream; sent again after a timeout when the file says it may be.
QByteArray uploadYaml(const QString &baseUrl)
{
    return connectorYaml(baseUrl) +
           "  upload_file:\n    method: POST\n    path: uploads.json\n"
           "    query:\n      filename: \"{{ params.filename }}\"\n"
           "    upload: true\n    idempotency: repeatable\n"
           "    response:\n      token: /upload/token\n";
}

TEST(RestConnectorTest, AnUploadSendsTheCallersBytesAsTheyAre)
{
    TestHttpServer server([](const TestRequest &) { return TestResponse::json(201, R"({"upload": {"token": "7.abc"}})"); });
    Sleeps sleeps;
    auto connector = makeConnector(uploadYaml(server.url()), sleeps);
    ASSERT_TRUE(connector->isUpload(QStringLiteral("upload_file")));
    ASSERT_FALSE(connector->isUpload(QStringLiteral("add_note")));
    rest::CallOptions options;
    options.upload = QByteArray("%PDF-1.4\n\x00\x01\xff binary", 22);
    const auto result = connector->call(QStringLiteral("upload_file"), {{"filename", "letter 1.pdf"}}, options);
    ASSERT_TRUE(result.has_value()) << result.error().error.toString().toStdString();
    EXPECT_EQ(result->fields.value("token").toString(), "7.abc");
    const TestRequest request = server.requests().first();
    EXPECT_EQ(request.header("content-type"), "application/octet-stream");
    EXPECT_EQ(request.body, options.upload);
    EXPECT_EQ(request.query("filename"), "letter 1.pdf");
}

TEST(RestConnectorTest, AnUploadWithoutBytesOrBytesForAnotherCallAreRefusedUnsent)
{
    TestHttpServer server([](const TestRequest &) { return TestResponse::json(201, R"({"upload": {"token": "t"}})"); });
    Sleeps sleeps;
    auto connector = makeConnector(uploadYaml(server.url()), sleeps);
    const auto missing = connector->call(QStringLiteral("upload_file"), {{"filename", "a.pdf"}});
    ASSERT_FALSE(missing.has_value());
    EXPECT_EQ(missing.error().error.code(), ErrorCode::InvalidArgument);
    rest::CallOptions options;
    options.upload = "bytes";
    const auto stray = connector->call(QStringLiteral("add_note"), {{"id", 1}, {"text", "x"}}, options);
    ASSERT_FALSE(stray.has_value());
    EXPECT_EQ(stray.error().error.code(), ErrorCode::InvalidArgument);
    EXPECT_TRUE(server.requests().isEmpty());
}

TEST(RestConnectorTest, ARepeatableWriteIsSentAgainAfterATimeout)
{
    std::atomic<int> calls = 0;
    TestHttpServer server([&calls](const TestRequest &) {
        TestResponse answer = TestResponse::json(201, R"({"upload": {"token": "t2"}})");
        if (++calls == 1)
            answer.delayMs = 1500;  // past the 1 s read timeout
        return answer;
    });
    Sleeps sleeps;
    auto connector = makeConnector(uploadYaml(server.url()), sleeps);
    EXPECT_TRUE(connector->isRepeatable(QStringLiteral("upload_file")));
    EXPECT_FALSE(connector->isRepeatable(QStringLiteral("add_note")));
    rest::CallOptions options;
    options.upload = "bytes";
    const auto result = connector->call(QStringLiteral("upload_file"), {{"filename", "a.pdf"}}, options);
    ASSERT_TRUE(result.has_value()) << result.error().error.toString().toStdString();
    EXPECT_EQ(result->fields.value("token").toString(), "t2");
    EXPECT_EQ(server.requests().size(), 2);
}

TEST(RestConnectorTest, AnUploadWithABodyIsRefusedWhenTheConnectorIsMade)
{
    const QByteArray yaml = connectorYaml(QStringLiteral("http://127.0.0.1:9/")) +
                            "  both:\n    method: POST\n    path: uploads.json\n    upload: true\n"
                            "    body:\n      a: b\n";
    auto created = rest::RestConnector::create(definition(yaml));
    ASSERT_FALSE(created.has_value());
    EXPECT_TRUE(created.error().message().contains("cannot have a body")) << created.error().toString().toStdString();
}

} // namespace
