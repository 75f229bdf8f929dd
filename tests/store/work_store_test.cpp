#include "store/work_store.h"

#include "store/migrations_p.h"
#include "store_test_support.h"

#include <QDir>
#include <QJsonArray>
#include <QJsonDocument>

using namespace std::chrono_literals;

namespace clerk::store {
namespace {

using testing::failsWith;
using testing::isOk;
using testing::RawConnection;
using testing::StoreTest;

using WorkStoreTest = StoreTest;

HumanRequest postcodeQuestion()
{
    return {.reason = QStringLiteral("No unique match for the person"),
            .evidence = {{QStringLiteral("candidates"), 2}},
            .choices = {{QStringLiteral("case-17"), QStringLiteral("Case 17"), {}},
                        {QStringLiteral("case-42"), QString(), {{QStringLiteral("score"), 0.81}}}},
            .fields = {QStringLiteral("postcode")},
            .team = QStringLiteral("adult-social-care")};
}

// --- opening and migrations ----------------------------------------------------------------

TEST_P(WorkStoreTest, MigrationsCreateTablesAndReopeningIsANoOp)
{
    const int latest = latestSchemaVersion();
    ASSERT_EQ(latest, 14);
    m_store.reset();
    {
        RawConnection raw(location());
        ASSERT_TRUE(raw.isOpen());
        for (const char *table :
             {"schema_version", "bot_definitions", "work_items", "exception_items", "outbox", "events", "leader_leases",
              "bot_controls", "users", "web_sessions", "api_tokens", "sign_in_attempts"})
            EXPECT_TRUE(raw.hasTable(QLatin1String(table))) << table;
        EXPECT_EQ(raw.scalar(QStringLiteral("SELECT COUNT(*) FROM schema_version")).toInt(), latest);
        if (GetParam() == testing::Backend::Sqlite) {
            EXPECT_EQ(raw.scalar(QStringLiteral("PRAGMA journal_mode")).toString(), QStringLiteral("wal"));
        }
    }
    m_store = open();
    ASSERT_NE(m_store, nullptr);
    m_store.reset();
    RawConnection raw(location());
    EXPECT_EQ(raw.scalar(QStringLiteral("SELECT COUNT(*) FROM schema_version")).toInt(), latest);
    EXPECT_EQ(raw.scalar(QStringLiteral("SELECT MAX(version) FROM schema_version")).toInt(), latest);
}

TEST_P(WorkStoreTest, TimesAndIdsHoldSixtyFourBits)
{
    // Milliseconds since 1970 overflow 32 bits; PostgreSQL's INTEGER is 32-bit.
    const QDateTime later(QDate(2091, 6, 30), QTime(23, 59, 59, 999), Qt::UTC);
    m_clock.set(later);
    const qint64 id = enqueue(QStringLiteral("form-1"));
    auto stored = m_store->item(id);
    ASSERT_TRUE(isOk(stored));
    EXPECT_EQ(stored->createdAt, later);
    EXPECT_EQ(stored->notBefore, later);
}

TEST_P(WorkStoreTest, NewerSchemaVersionIsRefused)
{
    m_store.reset();
    {
        RawConnection raw(location());
        ASSERT_TRUE(raw.exec(QStringLiteral("INSERT INTO schema_version (version, applied_at) VALUES (99, 0)")));
    }
    auto opened = openWorkStore(location(), m_clock);
    ASSERT_TRUE(failsWith(opened, ErrorCode::InvalidArgument));
    EXPECT_TRUE(opened.error().message().contains(QStringLiteral("database schema version 99 is newer than this clerk (14)")))
        << testing::text(opened.error());
    EXPECT_TRUE(opened.error().message().contains(QStringLiteral("upgrade clerk")));
}

TEST_P(WorkStoreTest, ForeignDatabaseIsRefused)
{
    testing::TestDatabase other;
    CLERK_CREATE_TEST_DATABASE(other, GetParam(), m_dir.path(), QStringLiteral("other"));
    {
        RawConnection raw(other.location());
        ASSERT_TRUE(raw.isOpen());
        ASSERT_TRUE(raw.exec(QStringLiteral("CREATE TABLE customers (name TEXT)")));
    }
    auto opened = openWorkStore(other.location(), m_clock);
    ASSERT_TRUE(failsWith(opened, ErrorCode::Corrupt));
    EXPECT_TRUE(opened.error().message().contains(QStringLiteral("is not a clerk database")));
    RawConnection raw(other.location());
    EXPECT_FALSE(raw.hasTable(QStringLiteral("work_items")));
}

TEST(WorkStoreLocationTest, OpensLocationsBySchemeAndCreatesMissingFolders)
{
    QTemporaryDir dir;
    ASSERT_TRUE(dir.isValid());
    ManualClock clock(testing::startTime());
    const QString nested = dir.filePath(QStringLiteral("a/b/c/clerk.db"));
    auto withScheme = openWorkStore(QStringLiteral("sqlite:") + nested, clock);
    ASSERT_TRUE(isOk(withScheme));
    EXPECT_TRUE(QFileInfo::exists(nested));

    EXPECT_TRUE(failsWith(openWorkStore(QStringLiteral("mysql:clerk"), clock), ErrorCode::InvalidArgument));
    EXPECT_TRUE(failsWith(openWorkStore(QStringLiteral("sqlite:"), clock), ErrorCode::InvalidArgument));
    EXPECT_TRUE(failsWith(openWorkStore(dir.path(), clock), ErrorCode::InvalidArgument));
    // postgresql:// locations: tests/store/work_store_postgres_test.cpp.
}

TEST(WorkStoreLocationTest, ExceptionStateNamesRoundTrip)
{
    for (ExceptionState state :
         {ExceptionState::Open, ExceptionState::Claimed, ExceptionState::Resolved, ExceptionState::Rejected})
        EXPECT_EQ(exceptionStateFromString(toString(state)), state);
    EXPECT_EQ(toString(ExceptionState::Claimed), QStringLiteral("claimed"));
    EXPECT_FALSE(exceptionStateFromString(QStringLiteral("closed")).has_value());
}

// --- definitions ---------------------------------------------------------------------------

TEST_P(WorkStoreTest, DefinitionsAreStoredOncePerDigest)
{
    const QByteArray source("name: contact-form\nsteps: []\n");
    ASSERT_TRUE(isOk(m_store->saveDefinition(QStringLiteral("contact-form"), QStringLiteral("1.0"),
                                             QStringLiteral("sha256:abc"), source, QStringLiteral("/srv/bots"))));
    ASSERT_TRUE(isOk(m_store->saveDefinition(QStringLiteral("contact-form"), QStringLiteral("1.0"),
                                             QStringLiteral("sha256:abc"), QByteArray("ignored"),
                                             QStringLiteral("/elsewhere"))));
    auto stored = m_store->definition(QStringLiteral("sha256:abc"));
    ASSERT_TRUE(isOk(stored));
    EXPECT_EQ(stored->source, source);
    EXPECT_EQ(stored->baseDir, QStringLiteral("/srv/bots"));
    EXPECT_TRUE(failsWith(m_store->definition(QStringLiteral("sha256:missing")), ErrorCode::NotFound));
}

// --- enqueue and lease ---------------------------------------------------------------------

TEST_P(WorkStoreTest, EnqueueDeduplicatesBySourceRef)
{
    NewItem item{.bot = QStringLiteral("contact-form"),
                 .botVersion = QStringLiteral("1.0"),
                 .definitionDigest = QStringLiteral("sha256:abc"),
                 .sourceRef = QStringLiteral("forms/2024/0001.json"),
                 .payload = {{QStringLiteral("name"), QStringLiteral("Jane Example")}},
                 .priority = 3};
    auto first = m_store->enqueue(item);
    ASSERT_TRUE(isOk(first));
    EXPECT_TRUE(first->created);
    EXPECT_EQ(first->state, ItemState::Queued);

    auto again = m_store->enqueue(item);
    ASSERT_TRUE(isOk(again));
    EXPECT_FALSE(again->created);
    EXPECT_EQ(again->id, first->id);

    item.bot = QStringLiteral("incident-allocator");
    auto otherBot = m_store->enqueue(item);
    ASSERT_TRUE(isOk(otherBot));
    EXPECT_TRUE(otherBot->created);
    EXPECT_NE(otherBot->id, first->id);

    auto stored = m_store->item(first->id);
    ASSERT_TRUE(isOk(stored));
    EXPECT_EQ(stored->bot, QStringLiteral("contact-form"));
    EXPECT_EQ(stored->botVersion, QStringLiteral("1.0"));
    EXPECT_EQ(stored->definitionDigest, QStringLiteral("sha256:abc"));
    EXPECT_EQ(stored->sourceRef, QStringLiteral("forms/2024/0001.json"));
    EXPECT_EQ(stored->payload.value(QStringLiteral("name")).toString(), QStringLiteral("Jane Example"));
    EXPECT_EQ(stored->priority, 3);
    EXPECT_EQ(stored->state, ItemState::Queued);
    EXPECT_EQ(stored->createdAt, testing::startTime());
    EXPECT_EQ(stored->notBefore, testing::startTime());
    EXPECT_FALSE(stored->finishedAt.isValid());
    EXPECT_EQ(eventKinds(first->id), QStringList{QStringLiteral("enqueued")});

    EXPECT_TRUE(failsWith(m_store->item(9999), ErrorCode::NotFound));
    EXPECT_TRUE(failsWith(m_store->enqueue({.bot = QStringLiteral("contact-form")}), ErrorCode::InvalidArgument));
}

TEST_P(WorkStoreTest, LeasesHighestPriorityFirstThenOldest)
{
    const qint64 low1 = enqueue(QStringLiteral("low-1"), 0);
    const qint64 high1 = enqueue(QStringLiteral("high-1"), 5);
    const qint64 low2 = enqueue(QStringLiteral("low-2"), 0);
    const qint64 high2 = enqueue(QStringLiteral("high-2"), 5);
    const qint64 middle = enqueue(QStringLiteral("middle"), 2);

    EXPECT_EQ(lease(QStringLiteral("w1")), high1);
    EXPECT_EQ(lease(QStringLiteral("w1")), high2);
    EXPECT_EQ(lease(QStringLiteral("w1")), middle);
    EXPECT_EQ(lease(QStringLiteral("w1")), low1);
    EXPECT_EQ(lease(QStringLiteral("w1")), low2);
    EXPECT_EQ(lease(QStringLiteral("w1")), 0);
}

TEST_P(WorkStoreTest, LeaseReturnsTheWholeItem)
{
    const qint64 id = enqueue(QStringLiteral("scan-1.pdf"), 1);
    auto leased = m_store->leaseNext(QStringLiteral("worker-a"), 45s);
    ASSERT_TRUE(isOk(leased));
    ASSERT_TRUE(leased->has_value());
    const WorkItem &item = **leased;
    EXPECT_EQ(item.id, id);
    EXPECT_EQ(item.state, ItemState::Leased);
    EXPECT_EQ(item.leaseOwner, QStringLiteral("worker-a"));
    EXPECT_EQ(item.leaseExpiresAt, testing::startTime().addSecs(45));
    EXPECT_EQ(item.attempts, 0);
    EXPECT_EQ(item.payload.value(QStringLiteral("file")).toString(), QStringLiteral("scan-1.pdf"));
    EXPECT_EQ(eventKinds(id), (QStringList{QStringLiteral("enqueued"), QStringLiteral("leased")}));
}

TEST_P(WorkStoreTest, LeaseFiltersByBot)
{
    enqueue(QStringLiteral("a"), 9, QStringLiteral("inbound-post"));
    const qint64 wanted = enqueue(QStringLiteral("b"), 0, QStringLiteral("contact-form"));
    EXPECT_EQ(lease(QStringLiteral("w"), {QStringLiteral("contact-form"), QStringLiteral("financial")}), wanted);
    EXPECT_EQ(lease(QStringLiteral("w"), {QStringLiteral("contact-form")}), 0);
}

TEST_P(WorkStoreTest, LeaseRespectsNotBefore)
{
    const qint64 id = enqueue(QStringLiteral("form-1"));
    ASSERT_EQ(lease(QStringLiteral("w1")), id);
    ASSERT_TRUE(isOk(m_store->scheduleRetry(id, QStringLiteral("w1"), m_clock.now().addSecs(60),
                                            QStringLiteral("case system unavailable"))));
    auto waiting = m_store->item(id);
    ASSERT_TRUE(isOk(waiting));
    EXPECT_EQ(waiting->state, ItemState::Queued);
    EXPECT_EQ(waiting->attempts, 1);
    EXPECT_EQ(waiting->lastError, QStringLiteral("case system unavailable"));
    EXPECT_TRUE(waiting->leaseOwner.isEmpty());

    EXPECT_EQ(lease(QStringLiteral("w2")), 0);
    m_clock.advance(59s);
    EXPECT_EQ(lease(QStringLiteral("w2")), 0);
    m_clock.advance(1s);
    EXPECT_EQ(lease(QStringLiteral("w2")), id);
    auto events = m_store->events(id);
    ASSERT_TRUE(isOk(events));
    ASSERT_EQ(events->size(), 4);
    EXPECT_EQ(events->at(2).kind, QStringLiteral("retry"));
    EXPECT_EQ(events->at(2).detail.value(QStringLiteral("reason")).toString(), QStringLiteral("case system unavailable"));
    EXPECT_EQ(events->at(2).detail.value(QStringLiteral("attempts")).toInt(), 1);
}

TEST_P(WorkStoreTest, ExpiredLeaseIsTakenOverWithAnAttemptCounted)
{
    const qint64 id = enqueue(QStringLiteral("form-1"));
    ASSERT_EQ(lease(QStringLiteral("w1")), id);
    m_clock.advance(30s);  // expires at exactly now: still held
    EXPECT_EQ(lease(QStringLiteral("w2")), 0);
    m_clock.advance(1ms);

    auto taken = m_store->leaseNext(QStringLiteral("w2"), 30s);
    ASSERT_TRUE(isOk(taken));
    ASSERT_TRUE(taken->has_value());
    EXPECT_EQ((*taken)->id, id);
    EXPECT_EQ((*taken)->leaseOwner, QStringLiteral("w2"));
    EXPECT_EQ((*taken)->attempts, 1);

    auto events = m_store->events(id);
    ASSERT_TRUE(isOk(events));
    ASSERT_EQ(events->size(), 3);
    const Event &takeover = events->at(2);
    EXPECT_EQ(takeover.kind, QStringLiteral("lease_expired"));
    EXPECT_EQ(takeover.actor, QStringLiteral("w2"));
    EXPECT_EQ(takeover.detail.value(QStringLiteral("previous_owner")).toString(), QStringLiteral("w1"));
    EXPECT_EQ(takeover.at, m_clock.now());
}

TEST_P(WorkStoreTest, EveryLeaseHolderCallFailsWithConflictOnceTheLeaseIsLost)
{
    const qint64 id = enqueue(QStringLiteral("form-1"));
    ASSERT_EQ(lease(QStringLiteral("w1")), id);
    m_clock.advance(31s);
    ASSERT_EQ(lease(QStringLiteral("w2")), id);

    const QString w1 = QStringLiteral("w1");
    EXPECT_TRUE(failsWith(m_store->renewLease(id, w1, 30s), ErrorCode::Conflict));
    EXPECT_TRUE(failsWith(m_store->releaseLease(id, w1), ErrorCode::Conflict));
    EXPECT_TRUE(failsWith(m_store->completeStep(id, w1, 0, QStringLiteral("read"), {}, false), ErrorCode::Conflict));
    EXPECT_TRUE(failsWith(m_store->handToPerson(id, w1, 0, QStringLiteral("read"), postcodeQuestion(), QString(), {}),
                          ErrorCode::Conflict));
    EXPECT_TRUE(failsWith(m_store->scheduleRetry(id, w1, m_clock.now(), QStringLiteral("x")), ErrorCode::Conflict));
    auto failed = m_store->failItem(id, w1, QStringLiteral("x"));
    ASSERT_TRUE(failsWith(failed, ErrorCode::Conflict));
    EXPECT_EQ(failed.error().message(), QStringLiteral("item %1 is no longer leased by w1").arg(id));

    // Nothing the old owner tried left a trace.
    auto item = m_store->item(id);
    ASSERT_TRUE(isOk(item));
    EXPECT_EQ(item->state, ItemState::Leased);
    EXPECT_EQ(item->leaseOwner, QStringLiteral("w2"));
    EXPECT_EQ(item->stepCursor, 0);
    EXPECT_EQ(item->attempts, 1);
    auto open = m_store->exceptions({});
    ASSERT_TRUE(isOk(open));
    EXPECT_TRUE(open->isEmpty());
    EXPECT_EQ(eventKinds(id).size(), 3);

    // The new owner is unaffected; an unknown item is NotFound.
    EXPECT_TRUE(isOk(m_store->renewLease(id, QStringLiteral("w2"), 60s)));
    EXPECT_EQ(m_store->item(id)->leaseExpiresAt, m_clock.now().addSecs(60));
    EXPECT_TRUE(failsWith(m_store->renewLease(4242, QStringLiteral("w2"), 60s), ErrorCode::NotFound));
}

TEST_P(WorkStoreTest, ReleasedLeaseIsRunnableAgainWithoutAnAttempt)
{
    const qint64 id = enqueue(QStringLiteral("form-1"));
    ASSERT_EQ(lease(QStringLiteral("w1")), id);
    ASSERT_TRUE(isOk(m_store->releaseLease(id, QStringLiteral("w1"))));
    auto item = m_store->item(id);
    ASSERT_TRUE(isOk(item));
    EXPECT_EQ(item->state, ItemState::Queued);
    EXPECT_EQ(item->attempts, 0);
    EXPECT_TRUE(item->leaseOwner.isEmpty());
    EXPECT_FALSE(item->leaseExpiresAt.isValid());
    EXPECT_EQ(lease(QStringLiteral("w2")), id);
    EXPECT_EQ(m_store->item(id)->attempts, 0);
}

TEST_P(WorkStoreTest, ABatchLeaseTakesUpToItsSizeBestFirstEachWithItsEvent)
{
    const qint64 low1 = enqueue(QStringLiteral("low-1"), 0);
    const qint64 high1 = enqueue(QStringLiteral("high-1"), 5);
    const qint64 low2 = enqueue(QStringLiteral("low-2"), 0);
    const qint64 high2 = enqueue(QStringLiteral("high-2"), 5);
    const qint64 middle = enqueue(QStringLiteral("middle"), 2);
    auto ids = [](const Result<QList<WorkItem>> &leased) {
        QList<qint64> found;
        if (leased) {
            for (const WorkItem &item : *leased)
                found.append(item.id);
        }
        return found;
    };

    auto first = m_store->leaseBatch(QStringLiteral("w1"), 30s, 3);
    ASSERT_TRUE(isOk(first));
    EXPECT_EQ(ids(first), (QList<qint64>{high1, high2, middle}));
    for (const WorkItem &item : *first) {
        EXPECT_EQ(item.state, ItemState::Leased);
        EXPECT_EQ(item.leaseOwner, QStringLiteral("w1"));
        EXPECT_EQ(item.leaseExpiresAt, m_clock.now().addSecs(30));
        EXPECT_EQ(eventKinds(item.id), (QStringList{QStringLiteral("enqueued"), QStringLiteral("leased")}));
    }
    // Another worker gets the rest, never an item already held.
    EXPECT_EQ(ids(m_store->leaseBatch(QStringLiteral("w2"), 30s, 10)), (QList<qint64>{low1, low2}));
    EXPECT_TRUE(ids(m_store->leaseBatch(QStringLiteral("w2"), 30s, 10)).isEmpty());
    EXPECT_TRUE(failsWith(m_store->leaseBatch(QStringLiteral("w2"), 30s, 0), ErrorCode::InvalidArgument));

    // Expired leases are taken over in a batch too, each attempt counted.
    m_clock.advance(31s);
    auto takenOver = m_store->leaseBatch(QStringLiteral("w3"), 30s, 10);
    ASSERT_TRUE(isOk(takenOver));
    EXPECT_EQ(ids(takenOver), (QList<qint64>{high1, high2, middle, low1, low2}));
    for (const WorkItem &item : *takenOver) {
        EXPECT_EQ(item.attempts, 1);
        EXPECT_EQ(eventKinds(item.id).last(), QStringLiteral("lease_expired"));
    }
}

TEST_P(WorkStoreTest, StepsCompletedTogetherLandEachOnlyWhereTheLeaseIsStillHeld)
{
    const qint64 lost = enqueue(QStringLiteral("form-1"));
    const qint64 finished = enqueue(QStringLiteral("form-2"));
    const qint64 midway = enqueue(QStringLiteral("form-3"));
    const QString w1 = QStringLiteral("w1");
    ASSERT_EQ(m_store->leaseBatch(w1, 30s, 3)->size(), 3);
    // w1 keeps two of its leases; the first runs out and another worker takes it.
    m_clock.advance(20s);
    ASSERT_TRUE(isOk(m_store->renewLease(finished, w1, 30s)));
    ASSERT_TRUE(isOk(m_store->renewLease(midway, w1, 30s)));
    m_clock.advance(11s);
    ASSERT_EQ(lease(QStringLiteral("w2")), lost);

    const QJsonObject outputs{{QStringLiteral("category"), QStringLiteral("housing")}};
    auto stored = m_store->completeSteps(w1, {{lost, 0, QStringLiteral("read"), outputs, true},
                                              {finished, 0, QStringLiteral("read"), outputs, true},
                                              {midway, 0, QStringLiteral("read"), outputs, false}});
    ASSERT_TRUE(isOk(stored));
    ASSERT_EQ(stored->size(), 3);
    EXPECT_TRUE(failsWith(stored->at(0), ErrorCode::Conflict));
    EXPECT_TRUE(isOk(stored->at(1)));
    EXPECT_TRUE(isOk(stored->at(2)));

    EXPECT_EQ(m_store->item(lost)->state, ItemState::Leased);
    EXPECT_EQ(m_store->item(lost)->leaseOwner, QStringLiteral("w2"));
    EXPECT_EQ(m_store->item(lost)->stepCursor, 0);
    const WorkItem done = *m_store->item(finished);
    EXPECT_EQ(done.state, ItemState::Done);
    EXPECT_EQ(done.stepOutputs.value(QStringLiteral("read")).toObject(), outputs);
    EXPECT_EQ(eventKinds(finished).mid(2), (QStringList{QStringLiteral("step_done"), QStringLiteral("done")}));
    const WorkItem next = *m_store->item(midway);
    EXPECT_EQ(next.state, ItemState::Leased);
    EXPECT_EQ(next.stepCursor, 1);
    EXPECT_EQ(next.stepOutputs.value(QStringLiteral("read")).toObject(), outputs);

    // A step lands once: storing the same completions again changes nothing.
    auto again = m_store->completeSteps(w1, {{finished, 0, QStringLiteral("read"), {}, true},
                                             {midway, 0, QStringLiteral("read"), {}, false}});
    ASSERT_TRUE(isOk(again));
    EXPECT_TRUE(failsWith(again->at(0), ErrorCode::Conflict));
    EXPECT_TRUE(failsWith(again->at(1), ErrorCode::Conflict));
    EXPECT_EQ(m_store->item(midway)->stepOutputs.value(QStringLiteral("read")).toObject(), outputs);
    EXPECT_EQ(eventKinds(finished).size(), 4);
    // An unknown item is NotFound, and does not keep the others from landing.
    auto unknown = m_store->completeSteps(w1, {{4242, 0, QStringLiteral("read"), {}, true},
                                               {midway, 1, QStringLiteral("route"), {}, true}});
    ASSERT_TRUE(isOk(unknown));
    EXPECT_TRUE(failsWith(unknown->at(0), ErrorCode::NotFound));
    EXPECT_TRUE(isOk(unknown->at(1)));
    EXPECT_EQ(m_store->item(midway)->state, ItemState::Done);
}

// --- steps ---------------------------------------------------------------------------------

TEST_P(WorkStoreTest, CompleteStepStoresOutputsExactlyOnce)
{
    const qint64 id = enqueue(QStringLiteral("form-1"));
    const QString w = QStringLiteral("w1");
    ASSERT_EQ(lease(w), id);

    ASSERT_TRUE(isOk(m_store->completeStep(id, w, 0, QStringLiteral("read"), {{QStringLiteral("pages"), 2}}, false)));
    auto again = m_store->completeStep(id, w, 0, QStringLiteral("read"), {{QStringLiteral("pages"), 3}}, false);
    EXPECT_TRUE(failsWith(again, ErrorCode::Conflict));
    EXPECT_TRUE(failsWith(m_store->completeStep(id, w, 2, QStringLiteral("act"), {}, true), ErrorCode::Conflict));

    auto middle = m_store->item(id);
    ASSERT_TRUE(isOk(middle));
    EXPECT_EQ(middle->state, ItemState::Leased);
    EXPECT_EQ(middle->stepCursor, 1);
    EXPECT_EQ(middle->stepOutputs.value(QStringLiteral("read")).toObject().value(QStringLiteral("pages")).toInt(), 2);

    ASSERT_TRUE(isOk(m_store->completeStep(id, w, 1, QStringLiteral("classify"),
                                           {{QStringLiteral("category"), QStringLiteral("blue-badge")}}, true)));
    auto done = m_store->item(id);
    ASSERT_TRUE(isOk(done));
    EXPECT_EQ(done->state, ItemState::Done);
    EXPECT_EQ(done->stepCursor, 2);
    EXPECT_TRUE(done->leaseOwner.isEmpty());
    EXPECT_FALSE(done->leaseExpiresAt.isValid());
    EXPECT_EQ(done->finishedAt, m_clock.now());
    EXPECT_EQ(done->stepOutputs.keys(), (QStringList{QStringLiteral("classify"), QStringLiteral("read")}));
    EXPECT_EQ(done->stepOutputs.value(QStringLiteral("classify")).toObject().value(QStringLiteral("category")).toString(),
              QStringLiteral("blue-badge"));
    EXPECT_EQ(eventKinds(id), (QStringList{QStringLiteral("enqueued"), QStringLiteral("leased"), QStringLiteral("step_done"),
                                           QStringLiteral("step_done"), QStringLiteral("done")}));
    // Done: the lease is gone, so nothing more can be written.
    EXPECT_TRUE(failsWith(m_store->completeStep(id, w, 2, QStringLiteral("x"), {}, true), ErrorCode::Conflict));
    EXPECT_EQ(lease(QStringLiteral("w2")), 0);
}

// A worker's connection remembers what it stored for an item it leased; another
// connection of the same owner (a worker that reconnected) may have moved the item on
// since. What the first one remembers must then never be written over the newer row.
TEST_P(WorkStoreTest, AStepStoredThroughAnotherConnectionIsNeverOverwrittenByAStaleOne)
{
    const qint64 id = enqueue(QStringLiteral("form-1"));
    const QString w = QStringLiteral("w1");
    ASSERT_EQ(lease(w), id);
    auto other = openWorkStore(location(), m_clock);
    ASSERT_TRUE(isOk(other));

    // The other connection, which did not lease the item, stores step 0.
    ASSERT_TRUE(isOk((*other)->completeStep(id, w, 0, QStringLiteral("read"), {{QStringLiteral("pages"), 2}}, false)));
    // The leasing connection, which still thinks the item is at step 0, cannot store it again.
    EXPECT_TRUE(failsWith(m_store->completeStep(id, w, 0, QStringLiteral("read"), {{QStringLiteral("pages"), 9}}, false),
                          ErrorCode::Conflict));
    // It can store the next step, on top of what the other stored.
    ASSERT_TRUE(isOk(m_store->completeStep(id, w, 1, QStringLiteral("classify"),
                                           {{QStringLiteral("category"), QStringLiteral("blue-badge")}}, true)));
    auto done = m_store->item(id);
    ASSERT_TRUE(isOk(done));
    EXPECT_EQ(done->state, ItemState::Done);
    EXPECT_EQ(done->stepOutputs.value(QStringLiteral("read")).toObject().value(QStringLiteral("pages")).toInt(), 2);
    EXPECT_EQ(done->stepOutputs.value(QStringLiteral("classify")).toObject().value(QStringLiteral("category")).toString(),
              QStringLiteral("blue-badge"));
    EXPECT_EQ(eventKinds(id), (QStringList{QStringLiteral("enqueued"), QStringLiteral("leased"), QStringLiteral("step_done"),
                                           QStringLiteral("step_done"), QStringLiteral("done")}));
}

// A lease is taken in lease order however many items wait: priority first, then age,
// past items that are leased or not yet due.
TEST_P(WorkStoreTest, LeaseOrderHoldsInALongQueueWithLeasedAndDeferredItems)
{
    QList<qint64> ids;
    for (int i = 0; i < 300; ++i)
        ids.append(enqueue(QStringLiteral("form-%1").arg(i)));
    // The five oldest are leased by another worker; the next one is deferred.
    for (int i = 0; i < 5; ++i)
        ASSERT_EQ(lease(QStringLiteral("other")), ids.at(i));
    ASSERT_EQ(lease(QStringLiteral("w1")), ids.at(5));
    ASSERT_TRUE(isOk(m_store->scheduleRetry(ids.at(5), QStringLiteral("w1"), m_clock.now().addSecs(60), QStringLiteral("later"))));
    EXPECT_EQ(lease(QStringLiteral("w1")), ids.at(6));
    const qint64 urgent = enqueue(QStringLiteral("urgent"), 5);
    EXPECT_EQ(lease(QStringLiteral("w1")), urgent);
    EXPECT_EQ(lease(QStringLiteral("w1")), ids.at(7));
}

TEST_P(WorkStoreTest, FailItemEndsItAndRequeueBringsItBack)
{
    const qint64 id = enqueue(QStringLiteral("form-1"));
    ASSERT_EQ(lease(QStringLiteral("w1")), id);
    ASSERT_TRUE(isOk(m_store->completeStep(id, QStringLiteral("w1"), 0, QStringLiteral("read"), {}, false)));
    ASSERT_TRUE(isOk(m_store->scheduleRetry(id, QStringLiteral("w1"), m_clock.now(), QStringLiteral("timeout"))));
    ASSERT_EQ(lease(QStringLiteral("w1")), id);
    ASSERT_TRUE(isOk(m_store->failItem(id, QStringLiteral("w1"), QStringLiteral("case system says 400"))));

    auto failed = m_store->item(id);
    ASSERT_TRUE(isOk(failed));
    EXPECT_EQ(failed->state, ItemState::Failed);
    EXPECT_EQ(failed->lastError, QStringLiteral("case system says 400"));
    EXPECT_EQ(failed->finishedAt, m_clock.now());
    EXPECT_EQ(failed->attempts, 1);
    EXPECT_EQ(lease(QStringLiteral("w1")), 0);

    m_clock.advance(1h);
    ASSERT_TRUE(isOk(m_store->requeue(id, QStringLiteral("ict.admin"))));
    auto requeued = m_store->item(id);
    ASSERT_TRUE(isOk(requeued));
    EXPECT_EQ(requeued->state, ItemState::Queued);
    EXPECT_EQ(requeued->attempts, 0);
    EXPECT_EQ(requeued->stepCursor, 1);
    EXPECT_EQ(requeued->notBefore, m_clock.now());
    EXPECT_FALSE(requeued->finishedAt.isValid());
    EXPECT_EQ(eventKinds(id).last(), QStringLiteral("requeued"));
    EXPECT_EQ(m_store->events(id)->last().actor, QStringLiteral("ict.admin"));

    EXPECT_TRUE(failsWith(m_store->requeue(id, QStringLiteral("ict.admin")), ErrorCode::Conflict));
    EXPECT_TRUE(failsWith(m_store->requeue(777, QStringLiteral("ict.admin")), ErrorCode::NotFound));
    EXPECT_EQ(lease(QStringLiteral("w1")), id);
}

// --- people --------------------------------------------------------------------------------

TEST_P(WorkStoreTest, HumanDecisionResumesTheItemAtTheNextStep)
{
    const qint64 id = enqueue(QStringLiteral("form-1"));
    const QString w = QStringLiteral("w1");
    ASSERT_EQ(lease(w), id);
    ASSERT_TRUE(isOk(m_store->completeStep(id, w, 0, QStringLiteral("read"), {{QStringLiteral("pages"), 1}}, false)));

    const QDateTime due = m_clock.now().addSecs(4 * 3600);
    auto handed = m_store->handToPerson(id, w, 1, QStringLiteral("match"), postcodeQuestion(),
                                        QStringLiteral("adult-social-care"), due);
    ASSERT_TRUE(isOk(handed));
    const qint64 exceptionId = *handed;

    auto waiting = m_store->item(id);
    ASSERT_TRUE(isOk(waiting));
    EXPECT_EQ(waiting->state, ItemState::WaitingForHuman);
    EXPECT_TRUE(waiting->leaseOwner.isEmpty());
    EXPECT_EQ(lease(QStringLiteral("w2")), 0);

    auto opened = m_store->exception(exceptionId);
    ASSERT_TRUE(isOk(opened));
    EXPECT_EQ(opened->itemId, id);
    EXPECT_EQ(opened->bot, QStringLiteral("contact-form"));
    EXPECT_EQ(opened->stepIndex, 1);
    EXPECT_EQ(opened->stepId, QStringLiteral("match"));
    EXPECT_EQ(opened->team, QStringLiteral("adult-social-care"));
    EXPECT_EQ(opened->reason, QStringLiteral("No unique match for the person"));
    EXPECT_EQ(opened->evidence.value(QStringLiteral("candidates")).toInt(), 2);
    ASSERT_EQ(opened->choices.size(), 2);
    EXPECT_EQ(opened->choices[0].value, QStringLiteral("case-17"));
    EXPECT_EQ(opened->choices[0].label, QStringLiteral("Case 17"));
    EXPECT_EQ(opened->choices[1].label, QStringLiteral("case-42"));
    EXPECT_DOUBLE_EQ(opened->choices[1].detail.value(QStringLiteral("score")).toDouble(), 0.81);
    EXPECT_EQ(opened->fields, QStringList{QStringLiteral("postcode")});
    EXPECT_EQ(opened->state, ExceptionState::Open);
    EXPECT_EQ(opened->createdAt, m_clock.now());
    EXPECT_EQ(opened->slaDueAt, due);

    // Two people: the second cannot take or decide an item the first holds.
    ASSERT_TRUE(isOk(m_store->claim(exceptionId, QStringLiteral("alice"), 15min)));
    auto stolen = m_store->claim(exceptionId, QStringLiteral("bob"), 15min);
    ASSERT_TRUE(failsWith(stolen, ErrorCode::Conflict));
    EXPECT_TRUE(stolen.error().message().contains(QStringLiteral("claimed by alice until"))) << testing::text(stolen.error());
    EXPECT_TRUE(failsWith(m_store->resolve(exceptionId, {.actor = QStringLiteral("bob"), .choice = QStringLiteral("case-17")}),
                          ErrorCode::Conflict));
    EXPECT_TRUE(failsWith(m_store->releaseClaim(exceptionId, QStringLiteral("bob")), ErrorCode::Conflict));
    EXPECT_TRUE(isOk(m_store->claim(exceptionId, QStringLiteral("alice"), 15min)));  // renewing is fine
    EXPECT_EQ(m_store->exception(exceptionId)->state, ExceptionState::Claimed);
    EXPECT_EQ(m_store->exception(exceptionId)->claimedBy, QStringLiteral("alice"));

    // Answers must be among those offered.
    auto wrongChoice = m_store->resolve(exceptionId, {.actor = QStringLiteral("alice"), .choice = QStringLiteral("case-99")});
    ASSERT_TRUE(failsWith(wrongChoice, ErrorCode::InvalidArgument));
    EXPECT_TRUE(wrongChoice.error().message().contains(QStringLiteral("case-17, case-42")));
    auto wrongField = m_store->resolve(exceptionId, {.actor = QStringLiteral("alice"),
                                                     .fields = {{QStringLiteral("nhs_number"), QStringLiteral("1")}}});
    EXPECT_TRUE(failsWith(wrongField, ErrorCode::InvalidArgument));
    EXPECT_EQ(m_store->item(id)->state, ItemState::WaitingForHuman);

    m_clock.advance(10min);
    auto resolved = m_store->resolve(exceptionId, {.actor = QStringLiteral("alice"),
                                                   .choice = QStringLiteral("case-42"),
                                                   .fields = {{QStringLiteral("postcode"), QStringLiteral("LS1 4AB")}},
                                                   .note = QStringLiteral("matched on date of birth")});
    ASSERT_TRUE(isOk(resolved));
    EXPECT_EQ(*resolved, id);

    auto decided = m_store->exception(exceptionId);
    ASSERT_TRUE(isOk(decided));
    EXPECT_EQ(decided->state, ExceptionState::Resolved);
    EXPECT_EQ(decided->decidedBy, QStringLiteral("alice"));
    EXPECT_EQ(decided->decidedAt, m_clock.now());
    EXPECT_EQ(decided->decision.choice, QStringLiteral("case-42"));
    EXPECT_EQ(decided->decision.fields.value(QStringLiteral("postcode")).toString(),
              QStringLiteral("LS1 4AB"));
    EXPECT_EQ(decided->decision.note, QStringLiteral("matched on date of birth"));

    auto resumed = m_store->item(id);
    ASSERT_TRUE(isOk(resumed));
    EXPECT_EQ(resumed->state, ItemState::Queued);
    EXPECT_EQ(resumed->stepCursor, 2);
    EXPECT_EQ(resumed->attempts, 0);
    EXPECT_EQ(resumed->notBefore, m_clock.now());
    const QJsonObject answer = resumed->stepOutputs.value(QStringLiteral("match")).toObject();
    EXPECT_EQ(answer, (QJsonObject{{QStringLiteral("choice"), QStringLiteral("case-42")},
                                   {QStringLiteral("decided_by"), QStringLiteral("alice")},
                                   {QStringLiteral("postcode"), QStringLiteral("LS1 4AB")}}));
    EXPECT_EQ(resumed->stepOutputs.value(QStringLiteral("read")).toObject().value(QStringLiteral("pages")).toInt(), 1);

    EXPECT_EQ(eventKinds(id), (QStringList{QStringLiteral("enqueued"), QStringLiteral("leased"), QStringLiteral("step_done"),
                                           QStringLiteral("needs_human"), QStringLiteral("claimed"),
                                           QStringLiteral("resolved"), QStringLiteral("resumed")}));

    // Decided once only; the item goes on from the step after the question.
    EXPECT_TRUE(failsWith(m_store->resolve(exceptionId, {.actor = QStringLiteral("alice")}), ErrorCode::Conflict));
    EXPECT_TRUE(failsWith(m_store->reject(exceptionId, QStringLiteral("alice"), QStringLiteral("no")), ErrorCode::Conflict));
    auto next = m_store->leaseNext(QStringLiteral("w3"), 30s);
    ASSERT_TRUE(isOk(next));
    ASSERT_TRUE(next->has_value());
    EXPECT_EQ((*next)->stepCursor, 2);
    EXPECT_TRUE(isOk(m_store->completeStep(id, QStringLiteral("w3"), 2, QStringLiteral("note"), {}, true)));
}

TEST_P(WorkStoreTest, ExpiredClaimCanBeTakenByAnotherPerson)
{
    const qint64 id = enqueue(QStringLiteral("form-1"));
    ASSERT_EQ(lease(QStringLiteral("w")), id);
    auto handed = m_store->handToPerson(id, QStringLiteral("w"), 0, QStringLiteral("match"), postcodeQuestion(),
                                        QString(), m_clock.now().addSecs(3600));
    ASSERT_TRUE(isOk(handed));
    EXPECT_EQ(m_store->exception(*handed)->team, QStringLiteral("adult-social-care"));  // from the request

    ASSERT_TRUE(isOk(m_store->claim(*handed, QStringLiteral("alice"), 5min)));
    m_clock.advance(5min + 1ms);
    auto expired = m_store->exception(*handed);
    ASSERT_TRUE(isOk(expired));
    EXPECT_EQ(expired->state, ExceptionState::Open);
    EXPECT_TRUE(expired->claimedBy.isEmpty());
    ASSERT_TRUE(isOk(m_store->claim(*handed, QStringLiteral("bob"), 5min)));
    EXPECT_TRUE(failsWith(m_store->releaseClaim(*handed, QStringLiteral("alice")), ErrorCode::Conflict));
    ASSERT_TRUE(isOk(m_store->releaseClaim(*handed, QStringLiteral("bob"))));
    EXPECT_EQ(m_store->exception(*handed)->state, ExceptionState::Open);
    EXPECT_TRUE(failsWith(m_store->claim(12345, QStringLiteral("bob"), 5min), ErrorCode::NotFound));

    // An open item may be decided by anyone, without a claim; with no choices given
    // the answer holds only who decided.
    ASSERT_TRUE(isOk(m_store->resolve(*handed, {.actor = QStringLiteral("carol")})));
    EXPECT_EQ(m_store->item(id)->stepOutputs.value(QStringLiteral("match")).toObject(),
              (QJsonObject{{QStringLiteral("decided_by"), QStringLiteral("carol")}}));
}

TEST_P(WorkStoreTest, RejectCancelsTheItem)
{
    const qint64 id = enqueue(QStringLiteral("form-1"));
    ASSERT_EQ(lease(QStringLiteral("w")), id);
    auto handed = m_store->handToPerson(id, QStringLiteral("w"), 0, QStringLiteral("classify"), postcodeQuestion(),
                                        QStringLiteral("post-room"), {});
    ASSERT_TRUE(isOk(handed));
    ASSERT_TRUE(isOk(m_store->claim(*handed, QStringLiteral("alice"), 15min)));
    EXPECT_TRUE(failsWith(m_store->reject(*handed, QStringLiteral("bob"), QStringLiteral("spam")), ErrorCode::Conflict));

    auto rejected = m_store->reject(*handed, QStringLiteral("alice"), QStringLiteral("not a council matter"));
    ASSERT_TRUE(isOk(rejected));
    EXPECT_EQ(*rejected, id);
    auto exceptionItem = m_store->exception(*handed);
    ASSERT_TRUE(isOk(exceptionItem));
    EXPECT_EQ(exceptionItem->state, ExceptionState::Rejected);
    EXPECT_EQ(exceptionItem->decision.rejected, QStringLiteral("not a council matter"));
    EXPECT_EQ(exceptionItem->decidedBy, QStringLiteral("alice"));

    auto cancelled = m_store->item(id);
    ASSERT_TRUE(isOk(cancelled));
    EXPECT_EQ(cancelled->state, ItemState::Cancelled);
    EXPECT_EQ(cancelled->lastError, QStringLiteral("rejected by alice: not a council matter"));
    EXPECT_EQ(cancelled->finishedAt, m_clock.now());
    EXPECT_EQ(eventKinds(id).last(), QStringLiteral("rejected"));
    EXPECT_TRUE(failsWith(m_store->resolve(*handed, {.actor = QStringLiteral("alice")}), ErrorCode::Conflict));

    ASSERT_TRUE(isOk(m_store->requeue(id, QStringLiteral("ict.admin"))));
    EXPECT_EQ(m_store->item(id)->state, ItemState::Queued);
    EXPECT_EQ(m_store->item(id)->stepCursor, 0);
}

TEST_P(WorkStoreTest, ExceptionsAreListedByDueTimeWithFilters)
{
    QList<qint64> exceptionIds;
    const QList<std::pair<QString, int>> asks = {{QStringLiteral("team-a"), 3}, {QStringLiteral("team-b"), 1},
                                                 {QStringLiteral("team-a"), 2}};
    for (int i = 0; i < asks.size(); ++i) {
        const qint64 id = enqueue(QStringLiteral("form-%1").arg(i));
        ASSERT_EQ(lease(QStringLiteral("w")), id);
        auto handed = m_store->handToPerson(id, QStringLiteral("w"), 0, QStringLiteral("match"), postcodeQuestion(),
                                            asks[i].first, m_clock.now().addSecs(3600 * asks[i].second));
        ASSERT_TRUE(isOk(handed));
        exceptionIds.append(*handed);
    }
    const auto ids = [](const Result<QList<ExceptionItem>> &found) {
        QList<qint64> result;
        for (const ExceptionItem &item : *found)
            result.append(item.id);
        return result;
    };

    auto all = m_store->exceptions({});
    ASSERT_TRUE(isOk(all));
    EXPECT_EQ(ids(all), (QList<qint64>{exceptionIds[1], exceptionIds[2], exceptionIds[0]}));
    auto teamA = m_store->exceptions({.team = QStringLiteral("team-a")});
    EXPECT_EQ(ids(teamA), (QList<qint64>{exceptionIds[2], exceptionIds[0]}));
    auto paged = m_store->exceptions({.limit = 1, .offset = 1});
    EXPECT_EQ(ids(paged), QList<qint64>{exceptionIds[2]});
    EXPECT_TRUE(m_store->exceptions({.bot = QStringLiteral("inbound-post")})->isEmpty());

    ASSERT_TRUE(isOk(m_store->claim(exceptionIds[0], QStringLiteral("alice"), 10min)));
    EXPECT_EQ(ids(m_store->exceptions({.state = ExceptionState::Claimed})), QList<qint64>{exceptionIds[0]});
    EXPECT_EQ(ids(m_store->exceptions({.state = ExceptionState::Open})), (QList<qint64>{exceptionIds[1], exceptionIds[2]}));
    ASSERT_TRUE(isOk(m_store->reject(exceptionIds[1], QStringLiteral("bob"), QStringLiteral("duplicate"))));
    EXPECT_EQ(ids(m_store->exceptions({.state = ExceptionState::Rejected})), QList<qint64>{exceptionIds[1]});
    EXPECT_EQ(ids(m_store->exceptions({})), (QList<qint64>{exceptionIds[2], exceptionIds[0]}));

    m_clock.advance(11min);  // alice's claim ran out: the item is open again
    EXPECT_TRUE(m_store->exceptions({.state = ExceptionState::Claimed})->isEmpty());
    EXPECT_EQ(ids(m_store->exceptions({.state = ExceptionState::Open})), (QList<qint64>{exceptionIds[2], exceptionIds[0]}));
}

// Urgent items (a priority from the bot's escalate rules) come before ordinary ones
// whatever their SLA, and keep their label; ordinary items keep the SLA order. A database
// of version 9 gains the columns, and its items read as ordinary work.
TEST_P(WorkStoreTest, UrgentExceptionsComeFirstWithTheirLabel)
{
    const auto ask = [&](const QString &ref, int hours, int priority, const QString &urgency) {
        const qint64 id = enqueue(ref);
        EXPECT_EQ(lease(QStringLiteral("w")), id);
        HumanRequest request = postcodeQuestion();
        request.priority = priority;
        request.urgency = urgency;
        auto handed = m_store->handToPerson(id, QStringLiteral("w"), 0, QStringLiteral("match"), request,
                                            QStringLiteral("team-a"), m_clock.now().addSecs(3600 * hours));
        EXPECT_TRUE(isOk(handed));
        return handed.value_or(0);
    };
    const qint64 soon = ask(QStringLiteral("soon"), 1, 0, {});
    const qint64 later = ask(QStringLiteral("later"), 8, 0, {});
    const qint64 urgent = ask(QStringLiteral("urgent"), 2, 100, QStringLiteral("Safeguarding"));
    const qint64 mostUrgent = ask(QStringLiteral("most-urgent"), 4, 200, QStringLiteral("Danger to life"));

    const auto order = [&](const ExceptionFilter &filter) {
        QList<qint64> ids;
        for (const ExceptionItem &item : m_store->exceptions(filter).value_or(QList<ExceptionItem>{}))
            ids.append(item.id);
        return ids;
    };
    EXPECT_EQ(order({}), (QList<qint64>{mostUrgent, urgent, soon, later}));
    EXPECT_EQ(order({.team = QStringLiteral("team-a")}), (QList<qint64>{mostUrgent, urgent, soon, later}));
    auto read = m_store->exception(urgent);
    ASSERT_TRUE(isOk(read));
    EXPECT_EQ(read->priority, 100);
    EXPECT_EQ(read->urgency, QStringLiteral("Safeguarding"));
    EXPECT_TRUE(m_store->exception(soon)->urgency.isEmpty());

    // An older database: the columns and indexes come with version 10.
    m_store.reset();
    {
        testing::RawConnection raw(location());
        ASSERT_TRUE(testing::undoVersion10(raw));
    }
    m_store = open();
    ASSERT_NE(m_store, nullptr);
    EXPECT_EQ(order({}), (QList<qint64>{soon, urgent, mostUrgent, later}));  // by SLA: nothing was urgent then
    EXPECT_EQ(m_store->exception(urgent)->priority, 0);
}

// --- outbox, events, summary -----------------------------------------------------------------

TEST_P(WorkStoreTest, APausedBotsItemsWaitUntilItIsResumed)
{
    const qint64 form = enqueue(QStringLiteral("form-1"));
    const qint64 letter = enqueue(QStringLiteral("letter-1"), 0, QStringLiteral("inbound-post"));
    ASSERT_TRUE(isOk(m_store->setBotPaused(QStringLiteral("contact-form"), true, QStringLiteral("ops-lead"))));
    auto paused = m_store->pausedBots();
    ASSERT_TRUE(isOk(paused));
    EXPECT_EQ(*paused, QStringList{QStringLiteral("contact-form")});

    EXPECT_EQ(lease(QStringLiteral("w")), letter);  // other bots carry on
    EXPECT_EQ(lease(QStringLiteral("w")), 0);       // the paused bot's item waits
    EXPECT_EQ(lease(QStringLiteral("w"), {QStringLiteral("contact-form")}), 0);

    ASSERT_TRUE(isOk(m_store->setBotPaused(QStringLiteral("contact-form"), false, QStringLiteral("ops-lead"))));
    EXPECT_TRUE(m_store->pausedBots()->isEmpty());
    EXPECT_EQ(lease(QStringLiteral("w")), form);

    m_store.reset();
    RawConnection raw(location());
    EXPECT_EQ(raw.scalar(QStringLiteral("SELECT count(*) FROM events WHERE kind IN ('bot_paused', 'bot_resumed')"
                                        " AND actor = 'ops-lead' AND bot = 'contact-form'"))
                  .toInt(),
              2);
}

TEST_P(WorkStoreTest, OutboxBeginsAnActionOnlyOnce)
{
    const qint64 id = enqueue(QStringLiteral("form-1"));
    auto first = m_store->beginAction(QStringLiteral("item-1-step-3"), id, 3);
    ASSERT_TRUE(isOk(first));
    EXPECT_TRUE(*first);
    auto second = m_store->beginAction(QStringLiteral("item-1-step-3"), id, 3);
    ASSERT_TRUE(isOk(second));
    EXPECT_FALSE(*second);
    ASSERT_TRUE(isOk(m_store->finishAction(QStringLiteral("item-1-step-3"))));
    EXPECT_TRUE(failsWith(m_store->finishAction(QStringLiteral("never-begun")), ErrorCode::NotFound));

    m_store.reset();
    RawConnection raw(location());
    EXPECT_EQ(raw.scalar(QStringLiteral("SELECT state FROM outbox WHERE key = 'item-1-step-3'")).toString(),
              QStringLiteral("done"));
}

TEST_P(WorkStoreTest, AnAbandonedActionCanBeBegunAfreshButAFinishedOneCannot)
{
    const qint64 id = enqueue(QStringLiteral("form-1"));
    ASSERT_TRUE(isOk(m_store->beginAction(QStringLiteral("refused"), id, 1)));
    ASSERT_TRUE(isOk(m_store->abandonAction(QStringLiteral("refused"))));
    auto again = m_store->beginAction(QStringLiteral("refused"), id, 1);
    ASSERT_TRUE(isOk(again));
    EXPECT_TRUE(*again);  // nothing landed: this attempt starts afresh

    ASSERT_TRUE(isOk(m_store->beginAction(QStringLiteral("landed"), id, 2)));
    ASSERT_TRUE(isOk(m_store->finishAction(QStringLiteral("landed"))));
    ASSERT_TRUE(isOk(m_store->abandonAction(QStringLiteral("landed"))));
    auto landed = m_store->beginAction(QStringLiteral("landed"), id, 2);
    ASSERT_TRUE(isOk(landed));
    EXPECT_FALSE(*landed);  // a finished action is never forgotten
}

TEST_P(WorkStoreTest, EventsAreAppendOnly)
{
    const qint64 id = enqueue(QStringLiteral("form-1"));
    ASSERT_EQ(lease(QStringLiteral("w")), id);

    RawConnection raw(location());
    ASSERT_TRUE(raw.isOpen());
    QString error;
    EXPECT_FALSE(raw.exec(QStringLiteral("UPDATE events SET kind = 'done'"), &error));
    EXPECT_TRUE(error.contains(QStringLiteral("append-only"))) << error.toStdString();
    EXPECT_FALSE(raw.exec(QStringLiteral("DELETE FROM events"), &error));
    EXPECT_TRUE(error.contains(QStringLiteral("append-only"))) << error.toStdString();
    if (raw.isPostgres()) {
        EXPECT_FALSE(raw.exec(QStringLiteral("TRUNCATE events"), &error));
        EXPECT_TRUE(error.contains(QStringLiteral("append-only"))) << error.toStdString();
    }
    EXPECT_EQ(raw.scalar(QStringLiteral("SELECT COUNT(*) FROM events")).toInt(), 2);
    EXPECT_TRUE(raw.exec(QStringLiteral("INSERT INTO events (at, kind) VALUES (0, 'note')")));
}

TEST_P(WorkStoreTest, EventsHoldNoPayloadOrDocumentText)
{
    auto queued = m_store->enqueue({.bot = QStringLiteral("contact-form"),
                                    .sourceRef = QStringLiteral("forms/jane-example.json"),
                                    .payload = {{QStringLiteral("name"), QStringLiteral("Jane Example")},
                                                {QStringLiteral("dob"), QStringLiteral("1970-01-01")}}});
    ASSERT_TRUE(isOk(queued));
    const qint64 id = queued->id;
    ASSERT_EQ(lease(QStringLiteral("w")), id);
    ASSERT_TRUE(isOk(m_store->completeStep(id, QStringLiteral("w"), 0, QStringLiteral("read"),
                                           {{QStringLiteral("text"), QStringLiteral("Dear council, Jane Example")}}, false)));
    auto handed = m_store->handToPerson(id, QStringLiteral("w"), 1, QStringLiteral("match"), postcodeQuestion(),
                                        QString(), {});
    ASSERT_TRUE(isOk(handed));
    ASSERT_TRUE(isOk(m_store->resolve(*handed, {.actor = QStringLiteral("alice"),
                                                .choice = QStringLiteral("case-17"),
                                                .fields = {{QStringLiteral("postcode"), QStringLiteral("LS1 4AB")}}})));

    m_store.reset();
    RawConnection raw(location());
    QSqlQuery query(raw.database());
    ASSERT_TRUE(query.exec(QStringLiteral("SELECT kind, COALESCE(actor, ''), detail FROM events")));
    int rows = 0;
    while (query.next()) {
        ++rows;
        const QString row = query.value(0).toString() + query.value(1).toString() + query.value(2).toString();
        for (const char *secret : {"Jane", "1970-01-01", "Dear council", "LS1 4AB", "jane-example"})
            EXPECT_FALSE(row.contains(QLatin1String(secret))) << row.toStdString();
    }
    EXPECT_EQ(rows, 6);
}

TEST_P(WorkStoreTest, SummaryCountsItemsPerBotAndExceptionsPerTeam)
{
    for (int i = 0; i < 3; ++i)
        enqueue(QStringLiteral("queued-%1").arg(i), 0, QStringLiteral("inbound-post"));

    const QDateTime firstAsked = m_clock.now();
    for (int i = 0; i < 3; ++i) {
        const qint64 id = enqueue(QStringLiteral("h-%1").arg(i), 0, QStringLiteral("contact-form"));
        ASSERT_EQ(lease(QStringLiteral("w"), {QStringLiteral("contact-form")}), id);
        // Due in 1h, 2h and 3h; the last one goes to another team.
        auto handed = m_store->handToPerson(id, QStringLiteral("w"), 0, QStringLiteral("match"), postcodeQuestion(),
                                            i < 2 ? QStringLiteral("team-a") : QStringLiteral("team-b"),
                                            m_clock.now().addSecs(3600 * (i + 1)));
        ASSERT_TRUE(isOk(handed));
        m_clock.advance(1min);
    }
    m_clock.advance(90min);  // team-a's first item is past its SLA
    const qint64 leased = enqueue(QStringLiteral("l"), 9, QStringLiteral("contact-form"));
    ASSERT_EQ(lease(QStringLiteral("w"), {QStringLiteral("contact-form")}), leased);
    const qint64 done = enqueue(QStringLiteral("d"), 0, QStringLiteral("contact-form"));
    ASSERT_EQ(lease(QStringLiteral("w"), {QStringLiteral("contact-form")}), done);
    ASSERT_TRUE(isOk(m_store->completeStep(done, QStringLiteral("w"), 0, QStringLiteral("s"), {}, true)));

    auto summary = m_store->summary();
    ASSERT_TRUE(isOk(summary));
    ASSERT_EQ(summary->bots.size(), 2);
    const BotCounts &contact = summary->bots[0];
    EXPECT_EQ(contact.bot, QStringLiteral("contact-form"));
    EXPECT_EQ(contact.queued, 0);
    EXPECT_EQ(contact.leased, 1);
    EXPECT_EQ(contact.waitingForHuman, 3);
    EXPECT_EQ(contact.done, 1);
    const BotCounts &post = summary->bots[1];
    EXPECT_EQ(post.bot, QStringLiteral("inbound-post"));
    EXPECT_EQ(post.queued, 3);
    EXPECT_EQ(post.done + post.leased + post.failed + post.cancelled + post.waitingForHuman, 0);

    ASSERT_EQ(summary->teams.size(), 2);
    EXPECT_EQ(summary->teams[0].team, QStringLiteral("team-a"));
    EXPECT_EQ(summary->teams[0].open, 2);
    EXPECT_EQ(summary->teams[0].breached, 1);
    EXPECT_EQ(summary->teams[0].oldestCreatedAt, firstAsked);
    EXPECT_EQ(summary->teams[1].team, QStringLiteral("team-b"));
    EXPECT_EQ(summary->teams[1].open, 1);
    EXPECT_EQ(summary->teams[1].breached, 0);
}

TEST_P(WorkStoreTest, ItemsAreListedByIdWithFilters)
{
    const qint64 a = enqueue(QStringLiteral("a"), 0, QStringLiteral("inbound-post"));
    const qint64 b = enqueue(QStringLiteral("b"), 5, QStringLiteral("contact-form"));
    const qint64 c = enqueue(QStringLiteral("c"), 0, QStringLiteral("inbound-post"));
    ASSERT_EQ(lease(QStringLiteral("w")), b);
    const auto ids = [](const Result<QList<WorkItem>> &found) {
        QList<qint64> result;
        for (const WorkItem &item : *found)
            result.append(item.id);
        return result;
    };
    EXPECT_EQ(ids(m_store->items({})), (QList<qint64>{a, b, c}));
    EXPECT_EQ(ids(m_store->items({.bot = QStringLiteral("inbound-post")})), (QList<qint64>{a, c}));
    EXPECT_EQ(ids(m_store->items({.state = ItemState::Leased})), QList<qint64>{b});
    EXPECT_EQ(ids(m_store->items({.limit = 2, .offset = 1})), (QList<qint64>{b, c}));
}

TEST_P(WorkStoreTest, APickedChoiceFillsTheOneFieldTheStepAskedFor)
{
    const qint64 id = enqueue(QStringLiteral("route-1"));
    const QString w = QStringLiteral("w1");
    ASSERT_EQ(lease(w), id);
    HumanRequest question{.reason = QStringLiteral("no route for this value"),
                          .choices = {{QStringLiteral("waste"), {}, {}}, {QStringLiteral("highways"), {}, {}}},
                          .fields = {QStringLiteral("team")}};
    auto handed = m_store->handToPerson(id, w, 0, QStringLiteral("route"), question, QStringLiteral("triage"),
                                        m_clock.now().addSecs(3600));
    ASSERT_TRUE(isOk(handed));
    ASSERT_TRUE(isOk(m_store->resolve(*handed, {.actor = QStringLiteral("bob"), .choice = QStringLiteral("highways")})));
    const QJsonObject answer = m_store->item(id)->stepOutputs.value(QStringLiteral("route")).toObject();
    EXPECT_EQ(answer.value(QStringLiteral("team")).toString(), QStringLiteral("highways"));
    EXPECT_EQ(answer.value(QStringLiteral("choice")).toString(), QStringLiteral("highways"));
}

TEST_P(WorkStoreTest, FinishItemEndsAnItemWhoseLastStepAPersonAnswered)
{
    const qint64 id = enqueue(QStringLiteral("last-1"));
    ASSERT_EQ(lease(QStringLiteral("w1")), id);
    EXPECT_TRUE(failsWith(m_store->finishItem(id, QStringLiteral("someone-else")), ErrorCode::Conflict));
    ASSERT_TRUE(isOk(m_store->finishItem(id, QStringLiteral("w1"))));
    auto done = m_store->item(id);
    ASSERT_TRUE(isOk(done));
    EXPECT_EQ(done->state, ItemState::Done);
    EXPECT_TRUE(done->leaseOwner.isEmpty());
    EXPECT_TRUE(done->finishedAt.isValid());
    EXPECT_EQ(eventKinds(id).last(), QStringLiteral("done"));
}

TEST_P(WorkStoreTest, TheAnswerIsLaidOverWhatTheStepKnewAndWhatTheChoiceImplies)
{
    const qint64 id = enqueue(QStringLiteral("extract-1"));
    ASSERT_EQ(lease(QStringLiteral("w1")), id);
    HumanRequest question{.reason = QStringLiteral("nhs_number is missing"),
                          .choices = {{QStringLiteral("blue_badge"), QStringLiteral("Blue Badge"),
                                       {{QStringLiteral("outputs"), QJsonObject{{QStringLiteral("team"), QStringLiteral("blue-badge")}}}}}},
                          .fields = {QStringLiteral("nhs_number")},
                          .outputs = {{QStringLiteral("postcode"), QStringLiteral("LS1 4AP")},
                                      {QStringLiteral("nhs_number"), QString()}}};
    auto handed = m_store->handToPerson(id, QStringLiteral("w1"), 0, QStringLiteral("fields"), question,
                                        QStringLiteral("triage"), m_clock.now().addSecs(3600));
    ASSERT_TRUE(isOk(handed));
    EXPECT_EQ(m_store->exception(*handed)->partialOutputs.value(QStringLiteral("postcode")).toString(), QStringLiteral("LS1 4AP"));
    ASSERT_TRUE(isOk(m_store->resolve(*handed, {.actor = QStringLiteral("bob"), .choice = QStringLiteral("blue_badge"),
                                               .fields = {{QStringLiteral("nhs_number"), QStringLiteral("943 476 5919")}}})));
    const QJsonObject answer = m_store->item(id)->stepOutputs.value(QStringLiteral("fields")).toObject();
    EXPECT_EQ(answer.value(QStringLiteral("postcode")).toString(), QStringLiteral("LS1 4AP"));
    EXPECT_EQ(answer.value(QStringLiteral("nhs_number")).toString(), QStringLiteral("943 476 5919"));
    EXPECT_EQ(answer.value(QStringLiteral("team")).toString(), QStringLiteral("blue-badge"));
    EXPECT_EQ(answer.value(QStringLiteral("decided_by")).toString(), QStringLiteral("bob"));
}

TEST_P(WorkStoreTest, AChoiceThatSetsTheAskedFieldItselfIsNotReadAsItsValue)
{
    // match's "treat as new": the choice is "none", the field record_id stays empty.
    const qint64 id = enqueue(QStringLiteral("match-1"));
    ASSERT_EQ(lease(QStringLiteral("w1")), id);
    HumanRequest question{
        .reason = QStringLiteral("no existing record matches"),
        .choices = {{QStringLiteral("none"), QStringLiteral("No existing record: treat as new"),
                     {{QStringLiteral("outputs"), QJsonObject{{QStringLiteral("record_id"), QString()},
                                                              {QStringLiteral("decision"), QStringLiteral("no_match")}}}}}},
        .fields = {QStringLiteral("record_id")},
        .outputs = {{QStringLiteral("decision"), QStringLiteral("matched")}}};
    auto handed = m_store->handToPerson(id, QStringLiteral("w1"), 0, QStringLiteral("account"), question,
                                        QStringLiteral("revenues"), m_clock.now().addSecs(3600));
    ASSERT_TRUE(isOk(handed));
    ASSERT_TRUE(isOk(m_store->resolve(*handed, {.actor = QStringLiteral("bob"), .choice = QStringLiteral("none")})));
    const QJsonObject answer = m_store->item(id)->stepOutputs.value(QStringLiteral("account")).toObject();
    EXPECT_EQ(answer.value(QStringLiteral("record_id")).toString(), QString());
    EXPECT_EQ(answer.value(QStringLiteral("decision")).toString(), QStringLiteral("no_match"));
}

TEST_P(WorkStoreTest, OutputsTheAnswerImpliesLieBetweenTheChoiceAndTheFields)
{
    const qint64 id = enqueue(QStringLiteral("match-2"));
    ASSERT_EQ(lease(QStringLiteral("w1")), id);
    HumanRequest question{.reason = QStringLiteral("no details to match on"), .fields = {QStringLiteral("record_id")}};
    auto handed = m_store->handToPerson(id, QStringLiteral("w1"), 0, QStringLiteral("account"), question,
                                        QStringLiteral("revenues"), m_clock.now().addSecs(3600));
    ASSERT_TRUE(isOk(handed));
    ASSERT_TRUE(isOk(m_store->resolve(
        *handed, {.actor = QStringLiteral("bob"),
                  .fields = {{QStringLiteral("record_id"), QStringLiteral("CT1006")}},
                  .outputs = {{QStringLiteral("decision"), QStringLiteral("matched")},
                              {QStringLiteral("record_id"), QStringLiteral("overridden by the field")}}})));
    const QJsonObject answer = m_store->item(id)->stepOutputs.value(QStringLiteral("account")).toObject();
    EXPECT_EQ(answer.value(QStringLiteral("record_id")).toString(), QStringLiteral("CT1006"));
    EXPECT_EQ(answer.value(QStringLiteral("decision")).toString(), QStringLiteral("matched"));
}

CLERK_INSTANTIATE_FOR_BACKENDS(WorkStoreTest);

// The recorded decision is read back as it was written, and a typed field wins over the
// picked choice, as it does when the answer becomes the step's outputs.
TEST(RecordedDecisionTest, RoundTripsAndReadsATypedFieldBeforeTheChoice)
{
    const RecordedDecision answer{.choice = QStringLiteral("CT1006"),
                                  .fields = {{QStringLiteral("record_id"), QStringLiteral("CT2001")}},
                                  .note = QStringLiteral("same date of birth"),
                                  .answered = true};
    const RecordedDecision read = RecordedDecision::fromJson(answer.toJson());
    EXPECT_EQ(read.choice, QStringLiteral("CT1006"));
    EXPECT_EQ(read.note, QStringLiteral("same date of birth"));
    EXPECT_EQ(read.valueFor(QStringLiteral("record_id")), QStringLiteral("CT2001"));
    EXPECT_EQ(read.valueFor(QStringLiteral("category")), QStringLiteral("CT1006"));
    EXPECT_FALSE(read.isEmpty());

    // An answer that picked and typed nothing is still an answer; a rejection is its reason.
    const RecordedDecision blank = RecordedDecision::fromJson(RecordedDecision{.answered = true}.toJson());
    EXPECT_FALSE(blank.isEmpty());
    EXPECT_TRUE(blank.valueFor(QStringLiteral("record_id")).isEmpty());
    const RecordedDecision rejected = RecordedDecision::fromJson(RecordedDecision{.rejected = QStringLiteral("spam")}.toJson());
    EXPECT_EQ(rejected.rejected, QStringLiteral("spam"));
    EXPECT_FALSE(rejected.answered);
    EXPECT_TRUE(RecordedDecision::fromJson({}).isEmpty());
}

} // namespace
} // namespace clerk::store
