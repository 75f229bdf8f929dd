// A real SQLite store on a manual clock, and the few moves the report tests make with
// its items.
#pragma once

#include "bot/bot_definition.h"
#include "temporary_store.h"
#include "test_support.h"

#include <gtest/gtest.h>

namespace clerk::report::testing {

inline QDateTime startTime()
{
    // A Monday, 09:00 in London (GMT).
    return QDateTime(QDate(2026, 11, 23), QTime(9, 0), Qt::UTC);
}

class ReportStoreTest : public clerk::testing::TemporaryStoreTest {
protected:
    ReportStoreTest() : TemporaryStoreTest(startTime()) {}

    // Enqueues an item and leases it (the only runnable one).
    qint64 start(const QString &ref, const QString &bot)
    {
        auto queued = m_store->enqueue({.bot = bot, .sourceRef = ref});
        EXPECT_TRUE(queued.has_value());
        auto leased = m_store->leaseNext(QStringLiteral("w"), std::chrono::seconds(30), {bot});
        EXPECT_TRUE(leased.has_value() && leased->has_value());
        EXPECT_EQ((*leased)->id, queued->id);
        return queued->id;
    }
    void doneStraight(const QString &ref, const QString &bot, std::chrono::milliseconds after)
    {
        const qint64 id = start(ref, bot);
        m_clock.advance(after);
        EXPECT_TRUE(m_store->completeStep(id, QStringLiteral("w"), 0, QStringLiteral("only"), {}, true).has_value());
    }
    qint64 askPerson(qint64 itemId, const QString &team, const QJsonObject &evidence = {}, QDateTime due = {})
    {
        const HumanRequest request{.reason = QStringLiteral("unsure"), .evidence = evidence,
                                   .choices = {{QStringLiteral("a"), {}, {}}, {QStringLiteral("b"), {}, {}}}};
        auto opened = m_store->handToPerson(itemId, QStringLiteral("w"), 0, QStringLiteral("ask"), request, team, due);
        EXPECT_TRUE(opened.has_value());
        return opened.value_or(0);
    }
    // Asked, answered with `choice`, then done.
    void doneAfterPerson(const QString &ref, const QString &bot, const QString &choice = QStringLiteral("a"),
                         const QJsonObject &evidence = {})
    {
        const qint64 id = start(ref, bot);
        const qint64 exceptionId = askPerson(id, QStringLiteral("post-room"), evidence);
        EXPECT_TRUE(m_store->resolve(exceptionId, {.actor = QStringLiteral("alice"), .choice = choice}).has_value());
        auto leased = m_store->leaseNext(QStringLiteral("w"), std::chrono::seconds(30), {bot});
        EXPECT_TRUE(leased.has_value() && leased->has_value());
        EXPECT_TRUE(m_store->completeStep(id, QStringLiteral("w"), 1, QStringLiteral("last"), {}, true).has_value());
    }
    void failed(const QString &ref, const QString &bot)
    {
        EXPECT_TRUE(m_store->failItem(start(ref, bot), QStringLiteral("w"), QStringLiteral("broken")).has_value());
    }
};

inline bot::BotDefinition botNamed(const QString &name, double manualMinutes, bool shadow = false)
{
    bot::BotDefinition definition;
    definition.name = name;
    definition.manualMinutes = manualMinutes;
    definition.shadow = shadow;
    return definition;
}

// Evidence of a quality check whose hidden answer is `choice`.
inline QJsonObject qualityCheck(const QString &choice)
{
    return {{QStringLiteral("quality_check"), true},
            {QStringLiteral("blind"), true},
            {QStringLiteral("suggestion"),
             QJsonObject{{QStringLiteral("choice"), choice}, {QStringLiteral("confidence"), 0.97}}}};
}

// A bot whose step "ask" learns, with its learning params as the loader leaves them.
inline bot::BotDefinition learningBot(const QString &name, double targetPrecision, double confidence = 0.9,
                                      double qaSample = 0.03)
{
    bot::BotDefinition definition = botNamed(name, 5);
    bot::StepDefinition step;
    step.id = QStringLiteral("ask");
    step.type = QStringLiteral("classify");
    step.params = {{QStringLiteral("learning"), QJsonObject{{QStringLiteral("examples"), QStringLiteral("train.csv")},
                                                            {QStringLiteral("every"), 50},
                                                            {QStringLiteral("answer_weight"), 3},
                                                            {QStringLiteral("target_precision"), targetPrecision},
                                                            {QStringLiteral("confidence"), confidence},
                                                            {QStringLiteral("qa_sample"), qaSample}}}};
    definition.steps.append(step);
    return definition;
}

} // namespace clerk::report::testing
