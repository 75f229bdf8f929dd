// Retention on both backends: a bot's finished items are erased once their period has
// passed, leaving a skeleton whose figures and history still count; failed and waiting
// items, other bots' items and items finished since are left alone. The reasons people
// typed when they rejected an item or passed it on are blanked in its events, which stay;
// no other change to an event is allowed. A person's erasure request erases failed items
// too, and an erased item cannot be retried.
#include "store/work_store.h"

#include "core/shadow_suggestion.h"

#include <QJsonDocument>

#include "store_test_support.h"

using namespace std::chrono_literals;

namespace clerk::store {
namespace {

using testing::isOk;
using testing::StoreTest;

class RetentionTest : public StoreTest {
protected:
    qint64 start(const QString &ref, const QString &bot = QStringLiteral("contact-form"))
    {
        NewItem item{.bot = bot, .sourceRef = ref,
                     .payload = {{QStringLiteral("name"), QStringLiteral("Zoe Okafor")},
                                 {QStringLiteral("file"), QStringLiteral("/srv/post/letter.pdf")}}};
        auto enqueued = m_store->enqueue(item);
        EXPECT_TRUE(isOk(enqueued));
        EXPECT_EQ(lease(QStringLiteral("w"), {bot}), enqueued->id);
        return enqueued->id;
    }
    void done(qint64 id, int stepIndex = 0)
    {
        EXPECT_TRUE(isOk(m_store->completeStep(id, QStringLiteral("w"), stepIndex, QStringLiteral("read"),
                                               {{QStringLiteral("text"), QStringLiteral("Dear Council, I am Zoe Okafor")}},
                                               true)));
    }
};

TEST_P(RetentionTest, FinishedItemsPastThePeriodAreErasedToASkeleton)
{
    // Answered by a person, then done: a quality check's suggestion and the choice stay.
    const qint64 answered = start(QStringLiteral("a"));
    HumanRequest asked{.reason = QStringLiteral("unsure"),
                       .kind = ReasonKind::QualityCheck,
                       .evidence = {{QStringLiteral("text"), QStringLiteral("Zoe Okafor's letter")},
                                    {ShadowSuggestion::qualityCheckKey(), true}},
                       .choices = {{QStringLiteral("housing"), QStringLiteral("Housing: Zoe"), {}}},
                       .fields = {QStringLiteral("category")}};
    ShadowSuggestion{QStringLiteral("housing"), 0.97, {}}.writeTo(asked.evidence);
    auto opened = m_store->handToPerson(answered, QStringLiteral("w"), 0, QStringLiteral("read"), asked,
                                        QStringLiteral("post-room"), {});
    ASSERT_TRUE(isOk(opened));
    ASSERT_TRUE(isOk(m_store->resolve(*opened, {.actor = QStringLiteral("alice"), .choice = QStringLiteral("housing"),
                                                .note = QStringLiteral("Zoe rang us")})));
    EXPECT_EQ(lease(QStringLiteral("w")), answered);
    EXPECT_TRUE(isOk(m_store->finishItem(answered, QStringLiteral("w"))));

    const qint64 straight = start(QStringLiteral("b"));
    done(straight);
    const qint64 failed = start(QStringLiteral("c"));
    ASSERT_TRUE(isOk(m_store->failItem(failed, QStringLiteral("w"), QStringLiteral("gave up"))));
    const qint64 waiting = start(QStringLiteral("d"));
    ASSERT_TRUE(isOk(m_store->handToPerson(waiting, QStringLiteral("w"), 0, QStringLiteral("read"), asked,
                                           QStringLiteral("post-room"), {})));
    const qint64 otherBot = start(QStringLiteral("e"), QStringLiteral("inbound-post"));
    done(otherBot);
    m_clock.advance(91 * 24h);
    const qint64 recent = start(QStringLiteral("f"));
    done(recent);

    const QDateTime cutoff = m_clock.now().addDays(-90);
    auto expired = m_store->expiredItems(QStringLiteral("contact-form"), cutoff, 100);
    ASSERT_TRUE(isOk(expired));
    QList<qint64> ids;
    for (const WorkItem &item : *expired)
        ids.append(item.id);
    EXPECT_EQ(ids, (QList<qint64>{answered, straight}));
    EXPECT_EQ(expired->first().payload.value(QStringLiteral("file")).toString(), QStringLiteral("/srv/post/letter.pdf"));

    auto erased = m_store->eraseItems(ids + QList<qint64>{failed, waiting}, QStringLiteral("retention"), Erasable::Finished);
    ASSERT_TRUE(isOk(erased));
    EXPECT_EQ(*erased, 2);  // the failed and the waiting item are not erased

    const WorkItem skeleton = m_store->item(answered).value();
    EXPECT_TRUE(skeleton.payload.isEmpty());
    EXPECT_TRUE(skeleton.stepOutputs.isEmpty());
    EXPECT_EQ(skeleton.state, ItemState::Done);
    EXPECT_TRUE(skeleton.finishedAt.isValid());
    EXPECT_EQ(skeleton.erasedAt, m_clock.now());
    EXPECT_EQ(skeleton.sourceRef, QStringLiteral("a"));
    const ExceptionItem question = m_store->exception(*opened).value();
    EXPECT_EQ(question.decidedBy, QStringLiteral("alice"));
    EXPECT_EQ(question.decision.choice, QStringLiteral("housing"));
    EXPECT_TRUE(question.decision.note.isEmpty());
    EXPECT_TRUE(question.choices.isEmpty());
    EXPECT_FALSE(question.evidence.contains(QStringLiteral("text")));
    EXPECT_TRUE(ShadowSuggestion::isQualityCheck(question.evidence));  // live precision still counts it
    auto live = m_store->livePrecision(QStringLiteral("contact-form"), {});
    ASSERT_TRUE(isOk(live));
    ASSERT_FALSE(live->isEmpty());
    EXPECT_EQ(live->first().checks, 1);
    EXPECT_EQ(live->first().right, 1);

    EXPECT_FALSE(m_store->item(failed)->payload.isEmpty());
    EXPECT_FALSE(m_store->item(waiting)->payload.isEmpty());
    EXPECT_FALSE(m_store->item(otherBot)->payload.isEmpty());
    EXPECT_FALSE(m_store->item(recent)->payload.isEmpty());
    auto history = m_store->events(straight);
    ASSERT_TRUE(isOk(history));
    EXPECT_EQ(history->last().kind, QStringLiteral("erased"));
    EXPECT_EQ(history->last().actor, QStringLiteral("retention"));

    // Erased items are not expired again, and erasing twice changes nothing.
    EXPECT_TRUE(m_store->expiredItems(QStringLiteral("contact-form"), cutoff, 100)->isEmpty());
    EXPECT_EQ(*m_store->eraseItems({answered}, QStringLiteral("retention"), Erasable::Finished), 0);
}

TEST_P(RetentionTest, TypedReasonsAreBlankedInTheEventsOfErasedItemsAndEventsStayAppendOnly)
{
    const HumanRequest asked{.reason = QStringLiteral("unsure"), .evidence = {}, .choices = {}, .fields = {}};
    const qint64 rejected = start(QStringLiteral("a"));
    auto question = m_store->handToPerson(rejected, QStringLiteral("w"), 0, QStringLiteral("read"), asked,
                                          QStringLiteral("post-room"), {});
    ASSERT_TRUE(isOk(question));
    ASSERT_TRUE(isOk(m_store->reassign(*question, QStringLiteral("housing"), QStringLiteral("alice"),
                                       QStringLiteral("Zoe Okafor of 4 Mill Lane is a tenant"))));
    ASSERT_TRUE(isOk(m_store->reject(*question, QStringLiteral("bob"), QStringLiteral("Zoe Okafor wrote twice"))));
    const qint64 kept = start(QStringLiteral("b"));
    auto keptQuestion = m_store->handToPerson(kept, QStringLiteral("w"), 0, QStringLiteral("read"), asked,
                                              QStringLiteral("post-room"), {});
    ASSERT_TRUE(isOk(keptQuestion));
    ASSERT_TRUE(isOk(m_store->reject(*keptQuestion, QStringLiteral("bob"), QStringLiteral("Ada Smith wrote twice"))));
    const qint64 failed = start(QStringLiteral("c"));
    ASSERT_TRUE(isOk(m_store->failItem(failed, QStringLiteral("w"), QStringLiteral("gave up"))));

    const QStringList kindsBefore = eventKinds(rejected);
    ASSERT_EQ(*m_store->eraseItems({rejected, failed}, QStringLiteral("retention"), Erasable::Finished), 1);

    // Every event stays, in order, with its actor and kind; only the typed words go.
    auto history = m_store->events(rejected);
    ASSERT_TRUE(isOk(history));
    EXPECT_EQ(eventKinds(rejected), kindsBefore + QStringList{QStringLiteral("erased")});
    int blanked = 0;
    for (const Event &event : *history) {
        const QByteArray text = QJsonDocument(event.detail).toJson(QJsonDocument::Compact);
        EXPECT_FALSE(text.contains("Okafor")) << event.kind.toStdString() << ": " << text.toStdString();
        if (event.kind == QLatin1String("rejected") || event.kind == QLatin1String("reassigned")) {
            EXPECT_EQ(event.detail.value(QStringLiteral("reason")).toString(), QStringLiteral("(erased)"));
            ++blanked;
        }
        if (event.kind == QLatin1String("reassigned")) {
            EXPECT_EQ(event.actor, QStringLiteral("alice"));
            EXPECT_EQ(event.detail.value(QStringLiteral("to_team")).toString(), QStringLiteral("housing"));
        }
    }
    EXPECT_EQ(blanked, 2);
    EXPECT_EQ(history->last().detail.value(QStringLiteral("reasons")).toInt(), 2);
    EXPECT_EQ(m_store->item(rejected)->lastError, QStringLiteral("(erased)"));
    EXPECT_EQ(m_store->exception(*question)->decidedBy, QStringLiteral("bob"));
    EXPECT_EQ(m_store->exception(*question)->decision.rejected, QStringLiteral("(erased)"));
    // An item not erased keeps its reasons.
    EXPECT_EQ(m_store->events(kept)->at(eventKinds(kept).indexOf(QStringLiteral("rejected"))).detail.value(QStringLiteral("reason")).toString(),
              QStringLiteral("Ada Smith wrote twice"));

    // The events table allows that change only: not to an item that is not erased, not to
    // any other column or kind, and no deletions.
    testing::RawConnection raw(location());
    ASSERT_TRUE(raw.isOpen());
    const auto refused = [&](const QString &sql) {
        QString error;
        const bool ran = raw.exec(sql, &error);
        EXPECT_FALSE(ran) << sql.toStdString();
        EXPECT_TRUE(error.contains(QStringLiteral("append-only"))) << error.toStdString();
    };
    refused(QStringLiteral("UPDATE events SET detail = '{}' WHERE item_id = %1 AND kind = 'rejected'").arg(kept));
    refused(QStringLiteral("UPDATE events SET actor = 'mallory' WHERE item_id = %1 AND kind = 'rejected'").arg(rejected));
    refused(QStringLiteral("UPDATE events SET detail = '{}' WHERE item_id = %1 AND kind = 'enqueued'").arg(rejected));
    refused(QStringLiteral("DELETE FROM events WHERE item_id = %1").arg(rejected));

    // A person's erasure request erases the failed item too; erased, it cannot be retried.
    EXPECT_FALSE(m_store->item(failed)->payload.isEmpty());
    ASSERT_EQ(*m_store->eraseItems({failed}, QStringLiteral("alice"), Erasable::FinishedOrFailed), 1);
    EXPECT_TRUE(m_store->item(failed)->payload.isEmpty());
    EXPECT_EQ(m_store->item(failed)->lastError, QStringLiteral("(erased)"));
    EXPECT_EQ(m_store->item(failed)->state, ItemState::Failed);
    const Status retried = m_store->requeue(failed, QStringLiteral("alice"));
    ASSERT_FALSE(retried);
    EXPECT_TRUE(retried.error().message().contains(QStringLiteral("erased"))) << testing::text(retried.error());
    EXPECT_EQ(m_store->item(failed)->state, ItemState::Failed);
}

CLERK_INSTANTIATE_FOR_BACKENDS(RetentionTest);

} // namespace
} // namespace clerk::store
