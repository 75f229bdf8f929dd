// A step's time limit reaches connector calls: against a loopback server that answers
// slowly, a call is cut short at the caller's deadline (not the connector's 30 s read
// timeout), without counting against the circuit breaker; through the engine the item
// is retried later with the time limit as its reason.
#include "../engine/engine_test_support.h"
#include "../engine/rest_test_support.h"
#include "engine/step_registry.h"
#include "rest/rest_connector.h"
#include "test_http_server.h"

#include <QElapsedTimer>

using namespace clerk;
using namespace std::chrono_literals;
using clerk::testing::TestHttpServer;
using clerk::testing::TestRequest;
using clerk::testing::TestResponse;

namespace {

// /slow answers after 3 s; anything else at once.
TestResponse slowOrFast(const TestRequest &request)
{
    TestResponse response = TestResponse::json(200, R"({"case": {"id": 7}})");
    if (request.path() == "/slow")
        response.delayMs = 3000;
    return response;
}

QByteArray connectorYaml(const QString &url)
{
    return "name: cases\nkind: rest\nbase_url: " + url.toUtf8() +
           "\nretry:\n  max_attempts: 3\n  initial_delay: 10ms\n  max_delay: 100ms\n"
           "timeouts:\n  read: 30s\n"
           "circuit_breaker:\n  failures: 2\n"
           "operations:\n"
           "  slow:\n    method: GET\n    path: slow\n    response:\n      id: /case/id\n"
           "  fast:\n    method: GET\n    path: fast\n    response:\n      id: /case/id\n";
}

} // namespace

TEST(RestTimeLimitTest, ACallIsCutShortAtTheDeadlineWithoutTrippingTheBreaker)
{
    TestHttpServer server(slowOrFast);
    const bot::ConnectorLoad load = bot::loadConnectorText(connectorYaml(server.url()), QStringLiteral("cases.yaml"), engine::connectorKinds());
    ASSERT_TRUE(load.connector.has_value());
    auto connector = rest::RestConnector::create(*load.connector);
    ASSERT_OK(connector);

    for (int i = 0; i < 3; ++i) {
        rest::CallOptions options;
        options.deadline = std::chrono::steady_clock::now() + 200ms;
        QElapsedTimer timer;
        timer.start();
        const auto answer = (*connector)->call(QStringLiteral("slow"), {}, options);
        const qint64 took = timer.elapsed();
        ASSERT_FALSE(answer.has_value());
        EXPECT_EQ(answer.error().error.code(), ErrorCode::Timeout) << answer.error().error.toString().toStdString();
        EXPECT_TRUE(answer.error().retryable);
        EXPECT_TRUE(answer.error().error.message().contains(QStringLiteral("time limit")));
        EXPECT_GE(took, 150);
        EXPECT_LT(took, 2000);  // not the 3 s answer, nor the 30 s read timeout, nor retries
    }
    // Three cut calls, two failures open this breaker: they were clerk's limit, not an outage.
    const auto fast = (*connector)->call(QStringLiteral("fast"), {});
    ASSERT_TRUE(fast.has_value()) << fast.error().error.toString().toStdString();
    EXPECT_EQ(fast->fields.value(QStringLiteral("id")).toInt(), 7);

    // A deadline already past sends nothing.
    const int before = int(server.requests().size());
    rest::CallOptions past;
    past.deadline = std::chrono::steady_clock::now() - 1ms;
    const auto none = (*connector)->call(QStringLiteral("fast"), {}, past);
    ASSERT_FALSE(none.has_value());
    EXPECT_EQ(none.error().error.code(), ErrorCode::Timeout);
    EXPECT_EQ(server.requests().size(), before);
}

class RestTimeLimitEngineTest : public clerk::testing::EngineFixture {
protected:
    engine::StepRegistry m_registry = engine::StepRegistry::builtIn();
};

TEST_F(RestTimeLimitEngineTest, ARestStepPastItsTimeLimitIsRetriedLater)
{
    TestHttpServer server(slowOrFast);
    const bot::BotDefinition bot = clerk::testing::loadBotWithConnector(
        QStringLiteral("name: looker\nversion: 1\nowner_team: t\nconnectors: [cases]\n"
                       "steps:\n  - id: lookup\n    type: rest\n    time_limit: 300ms\n    params:\n"
                       "      connector: cases\n      operation: slow\n"),
        connectorYaml(server.url()), m_registry.catalog());
    engine::Engine engine(*m_store, m_registry, {}, m_clock);
    auto submitted = engine.submit(bot, QStringLiteral("form-1"), {});
    ASSERT_TRUE(submitted.has_value());
    QElapsedTimer timer;
    timer.start();
    ASSERT_TRUE(engine.runUntilIdle().has_value());
    EXPECT_LT(timer.elapsed(), 2000);
    auto item = m_store->item(submitted->id);
    ASSERT_TRUE(item.has_value());
    EXPECT_EQ(item->state, ItemState::Queued);
    EXPECT_EQ(item->lastError, QStringLiteral("step lookup took longer than its time limit of 300ms"));
}
