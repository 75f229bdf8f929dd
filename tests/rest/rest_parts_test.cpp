// The REST connector's parts: JSON pointers, retry rules, the rate limiter and the
// circuit breaker, each on its own with a controlled clock.
#include "rest/circuit_breaker.h"
#include "rest/json_pointer.h"
#include "rest/rate_limiter.h"
#include "rest/retry_rules.h"
#include "test_support.h"

#include <QJsonDocument>
#include <QJsonObject>

#include <gtest/gtest.h>

using namespace clerk;
using namespace std::chrono_literals;

namespace {

const QDateTime kStart = QDateTime::fromString(QStringLiteral("2026-11-23T10:00:00Z"), Qt::ISODate);

TEST(JsonPointerTest, ResolvesObjectsArraysAndEscapes)
{
    const QJsonObject document = QJsonDocument::fromJson(
        R"({"issue": {"id": 7, "tags": ["a", "b"]}, "a/b": 1, "m~n": 2, "": 3})").object();
    const struct {
        const char *pointer;
        std::optional<QJsonValue> expected;
    } cases[] = {
        {"/issue/id", QJsonValue(7)},
        {"/issue/tags/1", QJsonValue("b")},
        {"/a~1b", QJsonValue(1)},
        {"/m~0n", QJsonValue(2)},
        {"/", QJsonValue(3)},
        {"/issue/tags/2", std::nullopt},
        {"/issue/tags/01", std::nullopt},
        {"/issue/missing", std::nullopt},
        {"/issue/id/deeper", std::nullopt},
        {"issue", std::nullopt},
    };
    for (const auto &c : cases)
        EXPECT_EQ(rest::resolvePointer(document, QLatin1String(c.pointer)), c.expected) << c.pointer;
    EXPECT_EQ(rest::resolvePointer(document, QString()), QJsonValue(document));
}

TEST(RetryRulesTest, RetriesOnlyTemporaryStatuses)
{
    for (int status : {408, 429, 500, 502, 503, 504})
        EXPECT_TRUE(rest::isRetryableStatus(status)) << status;
    for (int status : {200, 201, 400, 401, 403, 404, 409, 422, 501})
        EXPECT_FALSE(rest::isRetryableStatus(status)) << status;
    EXPECT_TRUE(rest::statusMeansNotProcessed(429));
    EXPECT_TRUE(rest::statusMeansNotProcessed(503));
    EXPECT_FALSE(rest::statusMeansNotProcessed(500));
    EXPECT_FALSE(rest::statusMeansNotProcessed(504));
}

TEST(RetryRulesTest, ParsesRetryAfterSecondsAndDates)
{
    const ManualClock clock(kStart);
    EXPECT_EQ(rest::parseRetryAfter("120", clock), std::optional(120000ms));
    EXPECT_EQ(rest::parseRetryAfter(" 0 ", clock), std::optional(0ms));
    EXPECT_EQ(rest::parseRetryAfter("Mon, 23 Nov 2026 10:00:30 GMT", clock), std::optional(30000ms));
    EXPECT_EQ(rest::parseRetryAfter("Mon, 23 Nov 2026 09:00:00 GMT", clock), std::optional(0ms));
    EXPECT_EQ(rest::parseRetryAfter("soon", clock), std::nullopt);
    EXPECT_EQ(rest::parseRetryAfter("", clock), std::nullopt);
    EXPECT_EQ(rest::parseRetryAfter("-5", clock), std::nullopt);
}

TEST(RetryRulesTest, BackoffDoublesWithJitterAndStaysUnderTheCap)
{
    for (int attempt = 0; attempt < 12; ++attempt) {
        const auto delay = rest::backoffDelay(100ms, 5000ms, attempt);
        const qint64 full = std::min<qint64>(100LL << attempt, 5000);
        EXPECT_GE(delay.count(), full / 2) << attempt;
        EXPECT_LE(delay.count(), full) << attempt;
    }
}

TEST(RateLimiterTest, LetsABurstThroughThenSpacesCalls)
{
    ManualClock clock(kStart);
    rest::RateLimiter limiter(10.0, 3, clock);  // 10 a second, 3 at once
    EXPECT_EQ(limiter.reserve(), 0ms);
    EXPECT_EQ(limiter.reserve(), 0ms);
    EXPECT_EQ(limiter.reserve(), 0ms);
    EXPECT_EQ(limiter.reserve(), 100ms);
    EXPECT_EQ(limiter.reserve(), 200ms);
    clock.advance(1000ms);  // refills, but never beyond the burst
    EXPECT_EQ(limiter.reserve(), 0ms);
    EXPECT_EQ(limiter.reserve(), 0ms);
    EXPECT_EQ(limiter.reserve(), 0ms);
    EXPECT_EQ(limiter.reserve(), 100ms);
}

TEST(CircuitBreakerTest, OpensAfterFailuresInARowAndTriesAgainAfterTheCoolDown)
{
    ManualClock clock(kStart);
    rest::CircuitBreaker breaker(3, 30s, clock);
    EXPECT_EQ(breaker.admit(), std::nullopt);
    breaker.recordFailure();
    breaker.recordFailure();
    breaker.recordSuccess();  // a success resets the count
    breaker.recordFailure();
    breaker.recordFailure();
    EXPECT_EQ(breaker.state(), rest::CircuitBreaker::State::Closed);
    breaker.recordFailure();
    EXPECT_EQ(breaker.state(), rest::CircuitBreaker::State::Open);
    EXPECT_EQ(breaker.admit(), std::optional(30000ms));
    clock.advance(10s);
    EXPECT_EQ(breaker.admit(), std::optional(20000ms));
    clock.advance(20s);
    EXPECT_EQ(breaker.admit(), std::nullopt);  // the one trial call
    EXPECT_EQ(breaker.state(), rest::CircuitBreaker::State::HalfOpen);
    EXPECT_NE(breaker.admit(), std::nullopt);  // others wait while it is out
    breaker.releaseTrial();                    // the trial said nothing of the system's health...
    EXPECT_EQ(breaker.state(), rest::CircuitBreaker::State::HalfOpen);  // ...so it is not closed
    EXPECT_EQ(breaker.admit(), std::nullopt);  // and another trial may go
    breaker.recordFailure();                   // the trial failed: open again
    EXPECT_EQ(breaker.state(), rest::CircuitBreaker::State::Open);
    clock.advance(30s);
    EXPECT_EQ(breaker.admit(), std::nullopt);
    breaker.recordSuccess();
    EXPECT_EQ(breaker.state(), rest::CircuitBreaker::State::Closed);
    EXPECT_EQ(breaker.admit(), std::nullopt);
}

} // namespace
