// The figures operations staff watch, on both backends: per bot and London day, per bot
// over a window, since the database began (with the arrival-to-done histogram), each
// team's exception queue, the answers of a shadow-mode trial, and live precision from
// quality checks.
#include "store/migrations_p.h"
#include "store/work_store.h"

#include "store_test_support.h"

#include <QElapsedTimer>
#include <QJsonArray>

#include <iostream>

using namespace std::chrono_literals;

namespace clerk::store {
namespace {

using testing::isOk;
using testing::StoreTest;
using testing::startTime;

const QString kPost = QStringLiteral("inbound-post");
const QString kForms = QStringLiteral("contact-form");

class WorkStoreFiguresTest : public StoreTest {
protected:
    // Enqueues an item and leases it at once (the only runnable item), so each helper
    // below moves exactly that item.
    qint64 start(const QString &ref, const QString &bot)
    {
        const qint64 id = enqueue(ref, 0, bot);
        EXPECT_EQ(lease(QStringLiteral("w"), {bot}), id);
        return id;
    }

    // An item done straight through, `minutes` after it arrived.
    qint64 doneStraight(const QString &ref, const QString &bot, std::chrono::minutes minutes)
    {
        const qint64 id = start(ref, bot);
        m_clock.advance(minutes);
        EXPECT_TRUE(isOk(m_store->completeStep(id, QStringLiteral("w"), 0, QStringLiteral("only"), {}, true)));
        return id;
    }

    // Sends a started item to a person; returns the exception item's id.
    qint64 askPerson(qint64 itemId, const QString &team = QStringLiteral("post-room"), const QJsonObject &evidence = {},
                     QDateTime slaDueAt = {})
    {
        const HumanRequest request{.reason = QStringLiteral("unsure"),
                                   .evidence = evidence,
                                   .choices = {{QStringLiteral("a"), QStringLiteral("A"), {}},
                                               {QStringLiteral("b"), QStringLiteral("B"), {}}}};
        auto opened = m_store->handToPerson(itemId, QStringLiteral("w"), 0, QStringLiteral("ask"), request, team,
                                            slaDueAt);
        EXPECT_TRUE(isOk(opened));
        return opened ? *opened : 0;
    }

    // An item that went to a person, was answered and then done, `minutes` after arrival.
    qint64 doneAfterPerson(const QString &ref, const QString &bot, std::chrono::minutes minutes)
    {
        const qint64 id = start(ref, bot);
        const qint64 exceptionId = askPerson(id);
        m_clock.advance(minutes);
        EXPECT_TRUE(isOk(m_store->resolve(exceptionId, {.actor = QStringLiteral("alice"), .choice = QStringLiteral("a")})));
        EXPECT_EQ(lease(QStringLiteral("w"), {bot}), id);
        EXPECT_TRUE(isOk(m_store->completeStep(id, QStringLiteral("w"), 1, QStringLiteral("last"), {}, true)));
        return id;
    }

    qint64 failed(const QString &ref, const QString &bot)
    {
        const qint64 id = start(ref, bot);
        EXPECT_TRUE(isOk(m_store->failItem(id, QStringLiteral("w"), QStringLiteral("broken"))));
        return id;
    }

    qint64 rejected(const QString &ref, const QString &bot)
    {
        const qint64 id = start(ref, bot);
        EXPECT_TRUE(isOk(m_store->reject(askPerson(id), QStringLiteral("alice"), QStringLiteral("spam"))));
        return id;
    }

    static QDateTime london(int year, int month, int day, int hour = 0, int minute = 0)
    {
        return QDateTime(QDate(year, month, day), QTime(hour, minute), QTimeZone(QByteArrayLiteral("Europe/London")));
    }

    static const DayFigures *find(const QList<DayFigures> &rows, const QString &bot, const QDate &day = {})
    {
        for (const DayFigures &row : rows) {
            if (row.bot == bot && row.day == day)
                return &row;
        }
        return nullptr;
    }
};

TEST_P(WorkStoreFiguresTest, CountsEachBotsItemsPerDayAndOverTheWindow)
{
    // 1 March 2024 (GMT), from 09:00.
    doneStraight(QStringLiteral("p1"), kPost, 2min);
    doneStraight(QStringLiteral("p2"), kPost, 4min);
    doneAfterPerson(QStringLiteral("p3"), kPost, 10min);
    failed(QStringLiteral("p4"), kPost);
    rejected(QStringLiteral("f1"), kForms);

    // 2 March: one more straight through, and one waiting for a person overnight.
    m_clock.set(QDateTime(QDate(2024, 3, 2), QTime(10, 0), Qt::UTC));
    doneStraight(QStringLiteral("p5"), kPost, 6min);
    askPerson(start(QStringLiteral("p6"), kPost));

    auto figures = m_store->itemFigures({.since = london(2024, 3, 1)});
    ASSERT_TRUE(isOk(figures));
    ASSERT_EQ(figures->days.size(), 3);

    const DayFigures *first = find(figures->days, kPost, QDate(2024, 3, 1));
    ASSERT_NE(first, nullptr);
    EXPECT_EQ(first->arrived, 4);
    EXPECT_EQ(first->done, 3);
    EXPECT_EQ(first->straightThrough, 2);
    EXPECT_EQ(first->afterPerson, 1);
    EXPECT_EQ(first->toPerson, 1);
    EXPECT_EQ(first->failed, 1);
    EXPECT_EQ(first->cancelled, 0);
    ASSERT_TRUE(first->medianMinutesToDone.has_value());
    EXPECT_DOUBLE_EQ(*first->medianMinutesToDone, 4.0);  // of 2, 4 and 10

    const DayFigures *forms = find(figures->days, kForms, QDate(2024, 3, 1));
    ASSERT_NE(forms, nullptr);
    EXPECT_EQ(forms->arrived, 1);
    EXPECT_EQ(forms->toPerson, 1);
    EXPECT_EQ(forms->cancelled, 1);
    EXPECT_EQ(forms->done, 0);
    EXPECT_FALSE(forms->medianMinutesToDone.has_value());

    const DayFigures *second = find(figures->days, kPost, QDate(2024, 3, 2));
    ASSERT_NE(second, nullptr);
    EXPECT_EQ(second->arrived, 2);
    EXPECT_EQ(second->done, 1);
    EXPECT_EQ(second->straightThrough, 1);
    EXPECT_EQ(second->toPerson, 1);
    EXPECT_DOUBLE_EQ(second->medianMinutesToDone.value_or(-1), 6.0);

    // Ordered by bot, then day.
    EXPECT_EQ(figures->days.at(0).bot, kForms);
    EXPECT_EQ(figures->days.at(1).day, QDate(2024, 3, 1));
    EXPECT_EQ(figures->days.at(2).day, QDate(2024, 3, 2));

    const DayFigures *total = find(figures->totals, kPost);
    ASSERT_NE(total, nullptr);
    EXPECT_EQ(total->arrived, 6);
    EXPECT_EQ(total->done, 4);
    EXPECT_EQ(total->straightThrough, 3);
    EXPECT_EQ(total->afterPerson, 1);
    EXPECT_EQ(total->toPerson, 2);
    EXPECT_EQ(total->failed, 1);
    EXPECT_DOUBLE_EQ(total->medianMinutesToDone.value_or(-1), 5.0);  // of 2, 4, 6 and 10
    ASSERT_EQ(figures->totals.size(), 2);

    // One bot; and a window that starts on the second day.
    auto post = m_store->itemFigures({.since = london(2024, 3, 1), .bot = kPost});
    ASSERT_TRUE(isOk(post));
    EXPECT_EQ(post->days.size(), 2);
    EXPECT_EQ(post->totals.size(), 1);
    auto later = m_store->itemFigures({.since = london(2024, 3, 2)});
    ASSERT_TRUE(isOk(later));
    ASSERT_EQ(later->days.size(), 1);
    EXPECT_EQ(later->days.first().day, QDate(2024, 3, 2));
    EXPECT_EQ(later->totals.first().arrived, 2);

    // A window that ends before the second day.
    auto earlier = m_store->itemFigures({.since = london(2024, 3, 1), .until = london(2024, 3, 2)});
    ASSERT_TRUE(isOk(earlier));
    EXPECT_EQ(earlier->days.size(), 2);
    EXPECT_EQ(find(earlier->totals, kPost)->arrived, 4);
}

TEST_P(WorkStoreFiguresTest, AnItemRetriedAfterFailingCountsEachEnding)
{
    const qint64 id = failed(QStringLiteral("p1"), kPost);
    ASSERT_TRUE(isOk(m_store->requeue(id, QStringLiteral("ops"))));
    EXPECT_EQ(lease(QStringLiteral("w"), {kPost}), id);
    m_clock.advance(3min);
    ASSERT_TRUE(isOk(m_store->completeStep(id, QStringLiteral("w"), 0, QStringLiteral("only"), {}, true)));

    auto figures = m_store->itemFigures({.since = london(2024, 3, 1)});
    ASSERT_TRUE(isOk(figures));
    ASSERT_EQ(figures->totals.size(), 1);
    EXPECT_EQ(figures->totals.first().arrived, 1);
    EXPECT_EQ(figures->totals.first().failed, 1);
    EXPECT_EQ(figures->totals.first().done, 1);
    EXPECT_EQ(figures->totals.first().straightThrough, 1);
    EXPECT_DOUBLE_EQ(figures->totals.first().medianMinutesToDone.value_or(-1), 3.0);
}

TEST_P(WorkStoreFiguresTest, DaysAreLondonCalendarDaysAcrossTheClockChange)
{
    // 23:30 UTC is 23:30 GMT on 30 March 2024 and 00:30 BST on 1 April (the clocks went
    // forward on 31 March).
    m_clock.set(QDateTime(QDate(2024, 3, 30), QTime(23, 30), Qt::UTC));
    doneStraight(QStringLiteral("winter"), kPost, 1min);
    m_clock.set(QDateTime(QDate(2024, 3, 31), QTime(23, 30), Qt::UTC));
    doneStraight(QStringLiteral("summer"), kPost, 1min);
    m_clock.set(QDateTime(QDate(2024, 3, 31), QTime(22, 50), Qt::UTC).addDays(1));

    auto figures = m_store->itemFigures({.since = london(2024, 3, 30)});
    ASSERT_TRUE(isOk(figures));
    ASSERT_EQ(figures->days.size(), 2);
    EXPECT_EQ(figures->days.at(0).day, QDate(2024, 3, 30));
    EXPECT_EQ(figures->days.at(1).day, QDate(2024, 4, 1));
    EXPECT_EQ(figures->days.at(1).done, 1);

    // The same times counted in UTC days.
    auto utc = m_store->itemFigures({.since = QDateTime(QDate(2024, 3, 30), QTime(0, 0), Qt::UTC),
                                     .zone = QTimeZone::utc()});
    ASSERT_TRUE(isOk(utc));
    ASSERT_EQ(utc->days.size(), 2);
    EXPECT_EQ(utc->days.at(1).day, QDate(2024, 3, 31));

    EXPECT_FALSE(m_store->itemFigures({}).has_value());
}

TEST_P(WorkStoreFiguresTest, LifetimeCountersAndTheDurationHistogram)
{
    doneStraight(QStringLiteral("p1"), kPost, 0min);
    m_clock.advance(30s);
    doneStraight(QStringLiteral("p2"), kPost, 2min);
    doneAfterPerson(QStringLiteral("p3"), kPost, 20min);
    failed(QStringLiteral("p4"), kPost);
    rejected(QStringLiteral("f1"), kForms);
    enqueue(QStringLiteral("f2"), 0, kForms);

    auto figures = m_store->lifetimeFigures({1min, 5min, 1h});
    ASSERT_TRUE(isOk(figures));
    ASSERT_EQ(figures->size(), 2);
    const BotLifetimeFigures &forms = figures->at(0);
    EXPECT_EQ(forms.bot, kForms);
    EXPECT_EQ(forms.arrived, 2);
    EXPECT_EQ(forms.cancelled, 1);
    EXPECT_EQ(forms.exceptionsOpened, 1);
    EXPECT_EQ(forms.durationCount, 0);
    EXPECT_EQ(forms.durationAtMost, (QList<qint64>{0, 0, 0}));

    const BotLifetimeFigures &post = figures->at(1);
    EXPECT_EQ(post.arrived, 4);
    EXPECT_EQ(post.straightThrough, 2);
    EXPECT_EQ(post.afterPerson, 1);
    EXPECT_EQ(post.failed, 1);
    EXPECT_EQ(post.cancelled, 0);
    EXPECT_EQ(post.exceptionsOpened, 1);
    EXPECT_EQ(post.durationCount, 3);
    EXPECT_EQ(post.durationAtMost, (QList<qint64>{1, 2, 3}));  // 0 s, 2 min, 20 min
    EXPECT_DOUBLE_EQ(post.durationSecondsSum, 120.0 + 1200.0);
}

TEST_P(WorkStoreFiguresTest, ExceptionQueuesPerTeamWithBreachesAndTheOldest)
{
    const QDateTime opened = m_clock.now();
    askPerson(start(QStringLiteral("p1"), kPost), QStringLiteral("post-room"), {}, opened.addSecs(3600));
    m_clock.advance(30min);
    const qint64 second = askPerson(start(QStringLiteral("p2"), kPost), QStringLiteral("post-room"), {},
                                    m_clock.now().addSecs(8 * 3600));
    ASSERT_TRUE(isOk(m_store->claim(second, QStringLiteral("alice"), 15min)));
    const qint64 decided = askPerson(start(QStringLiteral("f1"), kForms), QStringLiteral("revenues"));
    ASSERT_TRUE(isOk(m_store->resolve(decided, {.actor = QStringLiteral("bob"), .choice = QStringLiteral("b")})));
    m_clock.advance(2h);

    auto queues = m_store->exceptionQueues();
    ASSERT_TRUE(isOk(queues));
    ASSERT_EQ(queues->size(), 2);
    EXPECT_EQ(queues->at(0).team, QStringLiteral("post-room"));
    EXPECT_EQ(queues->at(0).open, 2);      // a claimed item is still undecided
    EXPECT_EQ(queues->at(0).breached, 1);  // the first was due an hour after it opened
    EXPECT_EQ(queues->at(0).oldestCreatedAt, opened);
    EXPECT_EQ(queues->at(1).team, QStringLiteral("revenues"));
    EXPECT_EQ(queues->at(1).open, 0);
    EXPECT_EQ(queues->at(1).breached, 0);
    EXPECT_FALSE(queues->at(1).oldestCreatedAt.isValid());
}

TEST_P(WorkStoreFiguresTest, ShadowAnswersPairTheBotsSuggestionWithThePersonsChoice)
{
    const auto suggestion = [](const QJsonValue &choice, double confidence) {
        return QJsonObject{{QStringLiteral("reasons"), QStringLiteral("close")},
                           {QStringLiteral("suggestion"),
                            QJsonObject{{QStringLiteral("choice"), choice}, {QStringLiteral("confidence"), confidence}}}};
    };
    // Asks, answers, and lets the item finish, so the next item started is the next leased.
    const auto answer = [&](const QString &ref, const QJsonObject &evidence, const QString &choice,
                            const QString &bot = kForms) {
        const qint64 id = start(ref, bot);
        const qint64 exceptionId = askPerson(id, QStringLiteral("post-room"), evidence);
        EXPECT_TRUE(isOk(m_store->resolve(exceptionId, {.actor = QStringLiteral("alice"), .choice = choice})));
        EXPECT_EQ(lease(QStringLiteral("w"), {bot}), id);
        EXPECT_TRUE(isOk(m_store->completeStep(id, QStringLiteral("w"), 1, QStringLiteral("last"), {}, true)));
        return exceptionId;
    };
    const qint64 agreed = answer(QStringLiteral("f1"), suggestion(QStringLiteral("a"), 0.93), QStringLiteral("a"));
    const qint64 overruled = answer(QStringLiteral("f2"), suggestion(QStringLiteral("b"), 0.61), QStringLiteral("a"));
    answer(QStringLiteral("f3"), {}, QStringLiteral("a"));                                  // no suggestion
    answer(QStringLiteral("f4"), suggestion(QStringLiteral("a"), 0.9), QString());          // no choice made
    ASSERT_TRUE(isOk(m_store->reject(askPerson(start(QStringLiteral("f5"), kForms), QStringLiteral("post-room"),
                                               suggestion(QStringLiteral("a"), 0.99)),
                                     QStringLiteral("alice"), QStringLiteral("spam"))));
    askPerson(start(QStringLiteral("f6"), kForms), QStringLiteral("post-room"), suggestion(QStringLiteral("a"), 0.8));
    answer(QStringLiteral("p1"), suggestion(QStringLiteral("a"), 0.7), QStringLiteral("a"), kPost);  // another bot
    m_clock.advance(1h);
    const QDateTime later = m_clock.now();
    const qint64 numeric = answer(QStringLiteral("f7"), suggestion(2, 0.55), QStringLiteral("a"));

    auto answers = m_store->shadowAnswers(kForms, {});
    ASSERT_TRUE(isOk(answers));
    ASSERT_EQ(answers->size(), 3);
    EXPECT_EQ(answers->at(0).exceptionId, agreed);
    EXPECT_DOUBLE_EQ(answers->at(0).confidence, 0.93);
    EXPECT_EQ(answers->at(0).suggested, QStringLiteral("a"));
    EXPECT_EQ(answers->at(0).answered, QStringLiteral("a"));
    EXPECT_EQ(answers->at(1).exceptionId, overruled);
    EXPECT_EQ(answers->at(1).suggested, QStringLiteral("b"));
    EXPECT_EQ(answers->at(1).answered, QStringLiteral("a"));
    EXPECT_EQ(answers->at(2).exceptionId, numeric);
    EXPECT_EQ(answers->at(2).suggested, QStringLiteral("2"));

    auto recent = m_store->shadowAnswers(kForms, later);
    ASSERT_TRUE(isOk(recent));
    ASSERT_EQ(recent->size(), 1);
    EXPECT_EQ(recent->first().exceptionId, numeric);
}

TEST_P(WorkStoreFiguresTest, SuggestionsOfItemsOpenedBeforeVersionEightAreFlaggedByTheMigration)
{
    const QJsonObject suggested{{QStringLiteral("suggestion"),
                                 QJsonObject{{QStringLiteral("choice"), QStringLiteral("a")},
                                             {QStringLiteral("confidence"), 0.8}}}};
    // A "suggestion" key, but not the one a shadow trial writes.
    const QJsonObject mentionsOnly{{QStringLiteral("notes"),
                                    QJsonObject{{QStringLiteral("suggestion"), QStringLiteral("call back")}}}};
    const auto answer = [&](const QString &ref, const QJsonObject &evidence) {
        const qint64 id = start(ref, kForms);
        const qint64 exceptionId = askPerson(id, QStringLiteral("post-room"), evidence);
        EXPECT_TRUE(isOk(m_store->resolve(exceptionId, {.actor = QStringLiteral("alice"), .choice = QStringLiteral("a")})));
        EXPECT_EQ(lease(QStringLiteral("w"), {kForms}), id);
        EXPECT_TRUE(isOk(m_store->completeStep(id, QStringLiteral("w"), 1, QStringLiteral("last"), {}, true)));
        return exceptionId;
    };
    const qint64 flagged = answer(QStringLiteral("f1"), suggested);
    answer(QStringLiteral("f2"), {});
    answer(QStringLiteral("f3"), mentionsOnly);

    // Back to version 7: no flag columns, no version 8, 9 or 10.
    m_store.reset();
    {
        testing::RawConnection raw(location());
        ASSERT_TRUE(testing::undoVersion10(raw));
        ASSERT_TRUE(raw.exec(QStringLiteral("DROP INDEX exception_items_quality_check")));
        ASSERT_TRUE(raw.exec(QStringLiteral("ALTER TABLE exception_items DROP COLUMN quality_check")));
        ASSERT_TRUE(raw.exec(QStringLiteral("DELETE FROM schema_version WHERE version = 9")));
        ASSERT_TRUE(raw.exec(QStringLiteral("DROP INDEX exception_items_suggested")));
        ASSERT_TRUE(raw.exec(QStringLiteral("ALTER TABLE exception_items DROP COLUMN suggested")));
        ASSERT_TRUE(raw.exec(QStringLiteral("DELETE FROM schema_version WHERE version = 8")));
    }
    m_store = open();
    ASSERT_NE(m_store, nullptr);
    {
        testing::RawConnection raw(location());
        // The text search flags the item that only mentions the word too; the codec drops it.
        EXPECT_EQ(raw.scalar(QStringLiteral("SELECT COUNT(*) FROM exception_items WHERE suggested = 1")).toInt(), 2);
        EXPECT_EQ(raw.scalar(QStringLiteral("SELECT MAX(version) FROM schema_version")).toInt(), latestSchemaVersion());
    }
    auto answers = m_store->shadowAnswers(kForms, {});
    ASSERT_TRUE(isOk(answers));
    ASSERT_EQ(answers->size(), 1);
    EXPECT_EQ(answers->first().exceptionId, flagged);
    EXPECT_EQ(answers->first().suggested, QStringLiteral("a"));
}

TEST_P(WorkStoreFiguresTest, OnlyItemsOpenedWithACountableSuggestionAreFlagged)
{
    const qint64 counted = askPerson(start(QStringLiteral("f1"), kForms), QStringLiteral("post-room"),
                                     {{QStringLiteral("suggestion"),
                                       QJsonObject{{QStringLiteral("choice"), QStringLiteral("a")},
                                                   {QStringLiteral("confidence"), 0.5}}}});
    askPerson(start(QStringLiteral("f2"), kForms), QStringLiteral("post-room"),
              {{QStringLiteral("notes"), QJsonObject{{QStringLiteral("suggestion"), QStringLiteral("call back")}}}});
    askPerson(start(QStringLiteral("f3"), kForms), QStringLiteral("post-room"),
              {{QStringLiteral("suggestion"), QJsonObject{{QStringLiteral("choice"), QStringLiteral("a")}}}});
    m_store.reset();
    testing::RawConnection raw(location());
    EXPECT_EQ(raw.scalar(QStringLiteral("SELECT COUNT(*) FROM exception_items WHERE suggested = 1")).toInt(), 1);
    EXPECT_EQ(raw.scalar(QStringLiteral("SELECT id FROM exception_items WHERE suggested = 1")).toLongLong(), counted);
}

// Evidence of a quality check: the bot's hidden answer `choice`.
QJsonObject qualityCheck(const QString &choice, double confidence = 0.97)
{
    return {{QStringLiteral("quality_check"), true},
            {QStringLiteral("blind"), true},
            {QStringLiteral("suggestion"),
             QJsonObject{{QStringLiteral("choice"), choice}, {QStringLiteral("confidence"), confidence}}}};
}

TEST_P(WorkStoreFiguresTest, LivePrecisionCountsAnsweredQualityChecksPerBotAndCategory)
{
    // Asks (a category field besides the choices), answers, and lets the item finish.
    const auto answer = [&](const QString &ref, const QJsonObject &evidence, const Decision &decision,
                            const QString &bot = kForms) {
        const qint64 id = start(ref, bot);
        const HumanRequest request{.reason = QStringLiteral("quality check"),
                                   .evidence = evidence,
                                   .choices = {{QStringLiteral("a"), QStringLiteral("A"), {}},
                                               {QStringLiteral("b"), QStringLiteral("B"), {}}},
                                   .fields = {QStringLiteral("category")}};
        auto opened = m_store->handToPerson(id, QStringLiteral("w"), 0, QStringLiteral("classify"), request,
                                            QStringLiteral("post-room"), {});
        EXPECT_TRUE(isOk(opened));
        EXPECT_TRUE(isOk(m_store->resolve(*opened, decision)));
        EXPECT_EQ(lease(QStringLiteral("w"), {bot}), id);
        EXPECT_TRUE(isOk(m_store->completeStep(id, QStringLiteral("w"), 1, QStringLiteral("last"), {}, true)));
    };
    const Decision choseA{.actor = QStringLiteral("alice"), .choice = QStringLiteral("a")};
    const Decision choseB{.actor = QStringLiteral("alice"), .choice = QStringLiteral("b")};
    const Decision typedB{.actor = QStringLiteral("alice"), .fields = {{QStringLiteral("category"), QStringLiteral("b")}}};
    answer(QStringLiteral("f1"), qualityCheck(QStringLiteral("a")), choseA);
    answer(QStringLiteral("f2"), qualityCheck(QStringLiteral("a")), choseA);
    answer(QStringLiteral("f3"), qualityCheck(QStringLiteral("a")), choseB);   // the bot was wrong
    answer(QStringLiteral("f4"), qualityCheck(QStringLiteral("b")), typedB);   // typed, not picked
    // Not quality checks: a shadow trial's suggestion, and the check flag without one.
    QJsonObject shadow = qualityCheck(QStringLiteral("a"));
    shadow.remove(QStringLiteral("quality_check"));
    answer(QStringLiteral("f5"), shadow, choseB);
    answer(QStringLiteral("f6"), {{QStringLiteral("quality_check"), true}}, choseB);
    // Not answered: rejected, and still open.
    ASSERT_TRUE(isOk(m_store->reject(askPerson(start(QStringLiteral("f7"), kForms), QStringLiteral("post-room"),
                                               qualityCheck(QStringLiteral("a"))),
                                     QStringLiteral("alice"), QStringLiteral("spam"))));
    askPerson(start(QStringLiteral("f8"), kForms), QStringLiteral("post-room"), qualityCheck(QStringLiteral("b")));
    m_clock.advance(1h);
    const QDateTime later = m_clock.now();
    answer(QStringLiteral("f9"), qualityCheck(QStringLiteral("a")), choseA);
    answer(QStringLiteral("p1"), qualityCheck(QStringLiteral("b")), choseB, kPost);

    auto all = m_store->livePrecision({}, {});
    ASSERT_TRUE(isOk(all));
    ASSERT_EQ(all->size(), 5);
    const auto expectRow = [](const LivePrecision &row, const QString &bot, const QString &category, qint64 checks,
                              qint64 right) {
        EXPECT_EQ(row.bot, bot);
        EXPECT_EQ(row.category, category);
        EXPECT_EQ(row.checks, checks) << category.toStdString();
        EXPECT_EQ(row.right, right) << category.toStdString();
        ASSERT_TRUE(row.precision().has_value());
        EXPECT_DOUBLE_EQ(*row.precision(), double(right) / double(checks));
    };
    expectRow(all->at(0), kForms, QString(), 5, 4);
    expectRow(all->at(1), kForms, QStringLiteral("a"), 4, 3);
    expectRow(all->at(2), kForms, QStringLiteral("b"), 1, 1);
    expectRow(all->at(3), kPost, QString(), 1, 1);
    expectRow(all->at(4), kPost, QStringLiteral("b"), 1, 1);
    // One-sided 90% Clopper-Pearson bounds (by the binomial tail, worked out separately).
    EXPECT_NEAR(all->at(0).lowerBound, 0.4161096, 1e-6);
    EXPECT_NEAR(all->at(0).upperBound, 0.9791484, 1e-6);
    EXPECT_NEAR(all->at(1).lowerBound, 0.3204606, 1e-6);
    EXPECT_NEAR(all->at(1).upperBound, 0.9740037, 1e-6);
    EXPECT_NEAR(all->at(2).lowerBound, 0.1, 1e-12);      // 1 of 1: 0.1^(1/1)
    EXPECT_DOUBLE_EQ(all->at(2).upperBound, 1.0);

    auto forms = m_store->livePrecision(kForms, later);
    ASSERT_TRUE(isOk(forms));
    ASSERT_EQ(forms->size(), 2);
    expectRow(forms->at(0), kForms, QString(), 1, 1);
    expectRow(forms->at(1), kForms, QStringLiteral("a"), 1, 1);

    auto none = m_store->livePrecision(QStringLiteral("no-such-bot"), {});
    ASSERT_TRUE(isOk(none));
    EXPECT_TRUE(none->isEmpty());

    auto answered = m_store->answersPerStep();
    ASSERT_TRUE(isOk(answered));
    // Rejected (f7) and open (f8) questions are no answers.
    ASSERT_EQ(answered->size(), 2);
    EXPECT_EQ(answered->at(0).bot, kForms);
    EXPECT_EQ(answered->at(0).stepId, QStringLiteral("classify"));
    EXPECT_EQ(answered->at(0).answered, 7);
    EXPECT_EQ(answered->at(1).bot, kPost);
    EXPECT_EQ(answered->at(1).answered, 1);
}

// Asks a person to pick one of `candidates` (record ids; a candidate of "" has none) at
// step `stepId`, or to type record_id; returns the exception item's id.
qint64 askForRecord(WorkStore &store, qint64 itemId, const QString &stepId, const QJsonValue &candidates)
{
    QJsonObject evidence{{QStringLiteral("score"), 0.5}};
    if (!candidates.isUndefined())
        evidence.insert(QStringLiteral("candidates"), candidates);
    const HumanRequest request{.reason = QStringLiteral("unsure"),
                               .evidence = evidence,
                               .choices = {{QStringLiteral("r1"), QStringLiteral("R1"), {}},
                                           {QStringLiteral("r2"), QStringLiteral("R2"), {}}},
                               .fields = {QStringLiteral("record_id")}};
    auto opened = store.handToPerson(itemId, QStringLiteral("w"), 0, stepId, request, QStringLiteral("team"), {});
    EXPECT_TRUE(isOk(opened));
    return opened ? *opened : 0;
}

QJsonArray recordCandidates(const QStringList &ids)
{
    QJsonArray list;
    for (const QString &id : ids)
        list.append(QJsonObject{{QStringLiteral("record_id"), id}, {QStringLiteral("score"), 0.4}});
    return list;
}

TEST_P(WorkStoreFiguresTest, AnswersWithListCountsAnsweredQuestionsShowingTheirList)
{
    const QString rid = QStringLiteral("record_id");
    const QJsonArray two = recordCandidates({QStringLiteral("r1"), QStringLiteral("r2")});
    const auto ask = [&](const QString &ref, const QString &bot, const QString &step, const QJsonValue &list) {
        return askForRecord(*m_store, start(ref, bot), step, list);
    };
    // Answers the question, and finishes the item it resumes so the next start leases its own.
    const auto answer = [&](qint64 exceptionId, const QString &choice, const QJsonObject &fields) {
        auto resumed = m_store->resolve(exceptionId, {.actor = QStringLiteral("alice"), .choice = choice, .fields = fields});
        ASSERT_TRUE(isOk(resumed));
        auto item = m_store->item(*resumed);
        ASSERT_TRUE(isOk(item));
        ASSERT_EQ(lease(QStringLiteral("w"), {item->bot}), *resumed);
        EXPECT_TRUE(isOk(m_store->completeStep(*resumed, QStringLiteral("w"), 1, QStringLiteral("last"), {}, true)));
    };
    // Counted: a picked record, a typed one, and "none" (record_id typed empty).
    answer(ask(QStringLiteral("p1"), kPost, QStringLiteral("match"), two), QStringLiteral("r1"), {});
    answer(ask(QStringLiteral("p2"), kPost, QStringLiteral("match"), two), QString(), {{rid, QStringLiteral("r9")}});
    answer(ask(QStringLiteral("p3"), kPost, QStringLiteral("match"), two), QString(), {{rid, QString()}});
    answer(ask(QStringLiteral("p4"), kPost, QStringLiteral("second"), two), QStringLiteral("r2"), {});
    // Not counted: no record given, no list, an empty list, a list that is no list, an
    // entry without a text record_id, a rejection, an open question, another bot.
    answer(ask(QStringLiteral("n1"), kPost, QStringLiteral("match"), two), QString(), {});
    answer(ask(QStringLiteral("n2"), kPost, QStringLiteral("match"), QJsonValue()), QStringLiteral("r1"), {});
    answer(ask(QStringLiteral("n3"), kPost, QStringLiteral("match"), QJsonArray()), QStringLiteral("r1"), {});
    answer(ask(QStringLiteral("n4"), kPost, QStringLiteral("match"), QStringLiteral("r1")), QStringLiteral("r1"), {});
    QJsonArray noText = two;
    noText.append(QJsonObject{{rid, 7}});
    answer(ask(QStringLiteral("n5"), kPost, QStringLiteral("match"), noText), QStringLiteral("r1"), {});
    QJsonArray scalar = two;
    scalar.append(QStringLiteral("r3"));
    answer(ask(QStringLiteral("n6"), kPost, QStringLiteral("match"), scalar), QStringLiteral("r1"), {});
    ASSERT_TRUE(isOk(m_store->reject(ask(QStringLiteral("n7"), kPost, QStringLiteral("match"), two),
                                     QStringLiteral("alice"), QStringLiteral("spam"))));
    ask(QStringLiteral("n8"), kPost, QStringLiteral("match"), two);
    answer(ask(QStringLiteral("f1"), kForms, QStringLiteral("match"), two), QStringLiteral("r1"), {});

    const AnswersWithList rule{.field = rid, .listKey = QStringLiteral("candidates"), .entryKey = rid};
    auto post = m_store->answersWithList(kPost, rule);
    ASSERT_TRUE(isOk(post));
    ASSERT_EQ(post->size(), 2);
    EXPECT_EQ(post->at(0).bot, kPost);
    EXPECT_EQ(post->at(0).stepId, QStringLiteral("match"));
    EXPECT_EQ(post->at(0).answered, 3);
    EXPECT_EQ(post->at(1).stepId, QStringLiteral("second"));
    EXPECT_EQ(post->at(1).answered, 1);

    auto forms = m_store->answersWithList(kForms, rule);
    ASSERT_TRUE(isOk(forms));
    ASSERT_EQ(forms->size(), 1);
    EXPECT_EQ(forms->at(0).answered, 1);

    auto none = m_store->answersWithList(QStringLiteral("no-such-bot"), rule);
    ASSERT_TRUE(isOk(none));
    EXPECT_TRUE(none->isEmpty());

    auto spliced = m_store->answersWithList(kPost, {.field = QStringLiteral("a\".b"), .listKey = QStringLiteral("candidates"),
                                                    .entryKey = rid});
    ASSERT_FALSE(spliced);
    EXPECT_EQ(spliced.error().code(), ErrorCode::InvalidArgument);
}

TEST_P(WorkStoreFiguresTest, QualityChecksOfItemsOpenedBeforeVersionNineAreFlaggedByTheMigration)
{
    const qint64 check = askPerson(start(QStringLiteral("f1"), kForms), QStringLiteral("post-room"),
                                   qualityCheck(QStringLiteral("a")));
    askPerson(start(QStringLiteral("f2"), kForms), QStringLiteral("post-room"),
              {{QStringLiteral("suggestion"), QJsonObject{{QStringLiteral("choice"), QStringLiteral("a")},
                                                          {QStringLiteral("confidence"), 0.5}}}});
    ASSERT_TRUE(isOk(m_store->resolve(check, {.actor = QStringLiteral("alice"), .choice = QStringLiteral("b")})));

    m_store.reset();
    {
        testing::RawConnection raw(location());
        EXPECT_EQ(raw.scalar(QStringLiteral("SELECT id FROM exception_items WHERE quality_check = 1")).toLongLong(), check);
        ASSERT_TRUE(testing::undoVersion10(raw));
        ASSERT_TRUE(raw.exec(QStringLiteral("DROP INDEX exception_items_quality_check")));
        ASSERT_TRUE(raw.exec(QStringLiteral("ALTER TABLE exception_items DROP COLUMN quality_check")));
        ASSERT_TRUE(raw.exec(QStringLiteral("DELETE FROM schema_version WHERE version = 9")));
    }
    m_store = open();
    ASSERT_NE(m_store, nullptr);
    {
        testing::RawConnection raw(location());
        EXPECT_EQ(raw.scalar(QStringLiteral("SELECT COUNT(*) FROM exception_items WHERE quality_check = 1")).toInt(), 1);
        EXPECT_EQ(raw.scalar(QStringLiteral("SELECT MAX(version) FROM schema_version")).toInt(), latestSchemaVersion());
    }
    auto live = m_store->livePrecision(kForms, {});
    ASSERT_TRUE(isOk(live));
    ASSERT_EQ(live->size(), 2);
    EXPECT_EQ(live->first().checks, 1);
    EXPECT_EQ(live->first().right, 0);
    EXPECT_EQ(live->first().lowerBound, 0.0);
}

// Why items went to people: exception items counted by bot, step, kind of reason and the
// category the bot had in mind, most first, with how many are still undecided; a window
// and a bot narrow it. A database of version 10 gains the columns, its shadow items and
// quality checks known by their flags.
TEST_P(WorkStoreFiguresTest, ExceptionReasonsAreCountedByStepKindAndCategory)
{
    const auto ask = [&](const QString &ref, const QString &bot, ReasonKind kind, const QString &category,
                         const QJsonObject &evidence = {}) {
        const qint64 id = start(ref, bot);
        HumanRequest request{.reason = QStringLiteral("r"), .kind = kind, .evidence = evidence};
        if (!category.isEmpty())
            request.proposed = {{QStringLiteral("category"), category}};
        auto opened = m_store->handToPerson(id, QStringLiteral("w"), 0, QStringLiteral("topic"), request,
                                            QStringLiteral("post-room"), {});
        EXPECT_TRUE(isOk(opened));
        return opened.value_or(0);
    };
    const qint64 early = ask(QStringLiteral("p0"), kPost, ReasonKind::Unreadable, {});
    m_clock.advance(std::chrono::hours(2));
    const QDateTime since = m_clock.now();
    ask(QStringLiteral("p1"), kPost, ReasonKind::LowConfidence, QStringLiteral("housing"));
    const qint64 decided = ask(QStringLiteral("p2"), kPost, ReasonKind::LowConfidence, QStringLiteral("housing"));
    ask(QStringLiteral("p3"), kPost, ReasonKind::AlwaysPerson, QStringLiteral("safeguarding"));
    ask(QStringLiteral("f1"), kForms, ReasonKind::NoMatch, {});
    ASSERT_TRUE(isOk(m_store->resolve(decided, {.actor = QStringLiteral("alice"), .choice = QStringLiteral("a")})));

    auto rows = m_store->exceptionReasons({.since = since});
    ASSERT_TRUE(isOk(rows));
    ASSERT_EQ(rows->size(), 3);
    EXPECT_EQ(rows->at(0).bot, kForms);
    EXPECT_EQ(rows->at(0).kind, QStringLiteral("no_match"));
    EXPECT_EQ(rows->at(1).bot, kPost);
    EXPECT_EQ(rows->at(1).kind, QStringLiteral("low_confidence"));
    EXPECT_EQ(rows->at(1).category, QStringLiteral("housing"));
    EXPECT_EQ(rows->at(1).stepId, QStringLiteral("topic"));
    EXPECT_EQ(rows->at(1).opened, 2);
    EXPECT_EQ(rows->at(1).open, 1);
    EXPECT_EQ(rows->at(2).kind, QStringLiteral("always_person"));
    EXPECT_EQ(rows->at(2).category, QStringLiteral("safeguarding"));

    auto all = m_store->exceptionReasons({.bot = kPost});
    ASSERT_TRUE(isOk(all));
    ASSERT_EQ(all->size(), 3);  // the unreadable scan from before `since` too
    EXPECT_EQ(all->last().kind, QStringLiteral("unreadable"));
    EXPECT_TRUE(all->last().category.isEmpty());
    EXPECT_GT(early, 0);

    // Version 10: no kinds yet. The migration knows shadow items and quality checks by their flags.
    const qint64 shadow = ask(QStringLiteral("s1"), QStringLiteral("letters-trial"), ReasonKind::Shadow, QStringLiteral("housing"),
                              {{QStringLiteral("suggestion"), QJsonObject{{QStringLiteral("choice"), QStringLiteral("a")},
                                                                          {QStringLiteral("confidence"), 0.9}}}});
    m_store.reset();
    {
        testing::RawConnection raw(location());
        ASSERT_TRUE(testing::undoVersion11(raw));
    }
    m_store = open();
    ASSERT_NE(m_store, nullptr);
    testing::RawConnection raw(location());
    EXPECT_EQ(raw.scalar(QStringLiteral("SELECT reason_kind FROM exception_items WHERE id = %1").arg(shadow)).toString(),
              QStringLiteral("shadow"));
    EXPECT_EQ(raw.scalar(QStringLiteral("SELECT reason_kind FROM exception_items WHERE id = %1").arg(early)).toString(),
              QStringLiteral("other"));
}

TEST_P(WorkStoreFiguresTest, LatestDefinitionsAreEachBotsNewestFile)
{
    ASSERT_TRUE(isOk(m_store->saveDefinition(kPost, QStringLiteral("1"), QStringLiteral("d1"), "v1", QStringLiteral("/b"))));
    m_clock.advance(1h);
    ASSERT_TRUE(isOk(m_store->saveDefinition(kForms, QStringLiteral("1"), QStringLiteral("f1"), "f", QStringLiteral("/f"))));
    ASSERT_TRUE(isOk(m_store->saveDefinition(kPost, QStringLiteral("2"), QStringLiteral("d2"), "v2", QStringLiteral("/b"))));
    m_clock.advance(1h);
    // Storing an old file again changes nothing: it was stored first an hour ago.
    ASSERT_TRUE(isOk(m_store->saveDefinition(kPost, QStringLiteral("1"), QStringLiteral("d1"), "v1", QStringLiteral("/b"))));

    auto latest = m_store->latestDefinitions();
    ASSERT_TRUE(isOk(latest));
    ASSERT_EQ(latest->size(), 2);
    EXPECT_EQ(latest->at(0).bot, kForms);
    EXPECT_EQ(latest->at(0).digest, QStringLiteral("f1"));
    EXPECT_EQ(latest->at(1).bot, kPost);
    EXPECT_EQ(latest->at(1).digest, QStringLiteral("d2"));
    EXPECT_EQ(latest->at(1).version, QStringLiteral("2"));
    EXPECT_EQ(latest->at(1).storedAt, startTime().addSecs(3600));
}

// 100,000 items over 29 days (with 600,000 events and 20,000 exception items), written
// straight into the tables: the dashboard's queries must stay quick. The times are printed;
// the bound is loose, for a loaded CI machine.
TEST_P(WorkStoreFiguresTest, StaysQuickWithAHundredThousandItems)
{
    testing::RawConnection raw(location());
    ASSERT_TRUE(raw.isOpen()) << raw.lastOpenError().toStdString();
    const qint64 now = m_clock.nowMs();
    const QString evidence = QStringLiteral("{\"reasons\":\"%1\"}").arg(QString(400, QLatin1Char('x')));
    const QStringList fill = {
        QStringLiteral("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000)"
                       " INSERT INTO work_items (bot, source_ref, state, not_before, created_at, updated_at, finished_at)"
                       " SELECT 'bot-' || (i % 4), 'ref-' || i, 'done', %1 - CAST(i AS BIGINT) * 25000, %1 - CAST(i AS BIGINT) * 25000, %1 - CAST(i AS BIGINT) * 25000,"
                       " %1 - CAST(i AS BIGINT) * 25000 + (i % 3600) * 1000 FROM n").arg(now),
        QStringLiteral("INSERT INTO events (at, item_id, bot, kind, actor, detail)"
                       " SELECT w.created_at + k.o, w.id, w.bot, k.kind, 'w', '{}' FROM work_items w CROSS JOIN"
                       " (SELECT 'enqueued' AS kind, 0 AS o UNION ALL SELECT 'leased', 5 UNION ALL SELECT 'step_done', 8"
                       "  UNION ALL SELECT 'step_done', 9) k"),
        QStringLiteral("INSERT INTO events (at, item_id, bot, kind, actor, detail)"
                       " SELECT finished_at, id, bot, 'done', 'w', '{}' FROM work_items"),
        QStringLiteral("INSERT INTO events (at, item_id, bot, kind, actor, detail)"
                       " SELECT created_at + 7, id, bot, 'needs_human', 'w', '{}' FROM work_items WHERE id % 5 = 0"),
        QStringLiteral("INSERT INTO exception_items (item_id, bot, step_index, step_id, team, reason, evidence, state,"
                       " created_at, sla_due_at, decision, decided_by, decided_at)"
                       " SELECT id, bot, 0, 'ask', 'team-' || (id % 3), 'unsure', '%1',"
                       " CASE WHEN id % 500 = 0 THEN 'open' ELSE 'resolved' END, created_at + 7, created_at + 3600000,"
                       " '{\"choice\":\"a\"}', 'alice', finished_at - 10 FROM work_items WHERE id % 5 = 0").arg(evidence),
    };
    for (const QString &sql : fill) {
        QString error;
        ASSERT_TRUE(raw.exec(sql, &error)) << error.toStdString();
    }
    if (raw.isPostgres())
        raw.exec(QStringLiteral("ANALYZE"));

    QElapsedTimer timer;
    timer.start();
    auto figures = m_store->itemFigures({.since = m_clock.now().addDays(-14)});
    const qint64 windowMs = timer.restart();
    auto lifetime = m_store->lifetimeFigures({10s, 1min, 5min, 1h, 24h});
    const qint64 lifetimeMs = timer.restart();
    auto queues = m_store->exceptionQueues();
    const qint64 queuesMs = timer.restart();
    ASSERT_TRUE(isOk(figures));
    ASSERT_TRUE(isOk(lifetime));
    ASSERT_TRUE(isOk(queues));
    std::cout << "[ figures ] 100k items on " << (raw.isPostgres() ? "PostgreSQL" : "SQLite") << ": 14-day window "
              << windowMs << " ms, lifetime counters and histogram " << lifetimeMs << " ms, queues " << queuesMs
              << " ms\n";

    qint64 arrived = 0, done = 0, straight = 0;
    for (const DayFigures &total : figures->totals) {
        arrived += total.arrived;
        done += total.done;
        straight += total.straightThrough;
    }
    EXPECT_NEAR(double(arrived), 14 * 86400 / 25.0, 2);
    EXPECT_NEAR(double(straight), 0.8 * double(done), 60);
    ASSERT_EQ(lifetime->size(), 4);
    EXPECT_EQ(lifetime->first().arrived, 25000);
    EXPECT_EQ(lifetime->first().durationCount, 25000);
    ASSERT_EQ(queues->size(), 3);
    EXPECT_EQ(queues->at(0).open + queues->at(1).open + queues->at(2).open, 200);
    EXPECT_LT(windowMs + lifetimeMs + queuesMs, 10000);
}

// Notices: attempts by outcome per bot and local day, or per bot over the window; a second
// "sent" for the same item and step (a re-send after a crash) is not counted again, while
// another step's is.
TEST_P(WorkStoreFiguresTest, NoticesAreCountedByOutcomePerBotAndDay)
{
    const qint64 first = start(QStringLiteral("f1"), kForms);
    for (int i = 0; i < 2; ++i)
        ASSERT_TRUE(isOk(m_store->recordNotice(first, kForms, QStringLiteral("ack"), QStringLiteral("k1"), NoticeOutcome::Sent)));
    ASSERT_TRUE(isOk(m_store->recordNotice(first, kForms, QStringLiteral("letter"), QStringLiteral("k2"), NoticeOutcome::Sent)));
    ASSERT_TRUE(isOk(m_store->completeStep(first, QStringLiteral("w"), 0, QStringLiteral("ack"), {}, true)));
    const qint64 second = start(QStringLiteral("f2"), kForms);
    ASSERT_TRUE(isOk(m_store->recordNotice(second, kForms, QStringLiteral("ack"), QStringLiteral("k3"), NoticeOutcome::ServerError)));
    ASSERT_TRUE(isOk(m_store->recordNotice(second, kForms, QStringLiteral("ack"), QStringLiteral("k3"), NoticeOutcome::ServerError)));
    ASSERT_TRUE(isOk(m_store->recordNotice(second, kForms, QStringLiteral("ack"), QStringLiteral("k3"), NoticeOutcome::Refused)));
    ASSERT_TRUE(isOk(m_store->completeStep(second, QStringLiteral("w"), 0, QStringLiteral("ack"), {}, true)));
    m_clock.advance(std::chrono::hours(24));
    const qint64 third = start(QStringLiteral("p1"), kPost);
    ASSERT_TRUE(isOk(m_store->recordNotice(third, kPost, QStringLiteral("ack"), QStringLiteral("k4"), NoticeOutcome::Unsendable)));
    EXPECT_FALSE(isOk(m_store->recordNotice(0, kPost, QStringLiteral("ack"), QStringLiteral("k5"), NoticeOutcome::Sent)));

    auto totals = m_store->noticeFigures({}, false);
    ASSERT_TRUE(isOk(totals));
    ASSERT_EQ(totals->size(), 2);
    EXPECT_EQ(totals->at(0).bot, kForms);
    EXPECT_EQ(totals->at(0).sent, 2);
    EXPECT_EQ(totals->at(0).serverError, 2);
    EXPECT_EQ(totals->at(0).refused, 1);
    EXPECT_EQ(totals->at(0).failedTotal(), 3);
    EXPECT_EQ(totals->at(1).bot, kPost);
    EXPECT_EQ(totals->at(1).unsendable, 1);

    auto days = m_store->noticeFigures({.since = startTime().addDays(-1)}, true);
    ASSERT_TRUE(isOk(days));
    ASSERT_EQ(days->size(), 2);
    EXPECT_EQ(days->at(0).day.addDays(1), days->at(1).day);
    auto one = m_store->noticeFigures({.since = startTime().addDays(-1), .bot = kPost}, true);
    ASSERT_TRUE(isOk(one));
    ASSERT_EQ(one->size(), 1);
    EXPECT_EQ(one->first().unsendable, 1);
}

// A finished outbound action names its item (and bot); a begun, abandoned or unknown one
// names nothing. A reply is noted on the item it answers.
TEST_P(WorkStoreFiguresTest, AFinishedActionNamesItsItemAndAReplyIsNotedOnIt)
{
    const qint64 item = start(QStringLiteral("f1"), kForms);
    ASSERT_TRUE(isOk(m_store->beginAction(QStringLiteral("clerk-k1"), item, 0)));
    auto begun = m_store->sentAction(QStringLiteral("clerk-k1"));
    ASSERT_TRUE(isOk(begun));
    EXPECT_FALSE(begun->has_value()) << "begun is not sent";
    ASSERT_TRUE(isOk(m_store->finishAction(QStringLiteral("clerk-k1"))));
    auto sent = m_store->sentAction(QStringLiteral("clerk-k1"));
    ASSERT_TRUE(isOk(sent));
    ASSERT_TRUE(sent->has_value());
    EXPECT_EQ((*sent)->itemId, item);
    EXPECT_EQ((*sent)->bot, kForms);
    auto unknown = m_store->sentAction(QStringLiteral("clerk-k2"));
    ASSERT_TRUE(isOk(unknown));
    EXPECT_FALSE(unknown->has_value());

    ASSERT_TRUE(isOk(m_store->recordReply(item, 42, QStringLiteral("clerk-k1"))));
    EXPECT_TRUE(eventKinds(item).contains(QStringLiteral("reply_received")));
    EXPECT_FALSE(isOk(m_store->recordReply(item + 1000, 42, QStringLiteral("clerk-k1"))));
}

CLERK_INSTANTIATE_FOR_BACKENDS(WorkStoreFiguresTest);

} // namespace
} // namespace clerk::store
