// Cluster-wide leadership on both backends: one holder at a time, takeover once the
// holder's lease runs out, renewal and release, and a race between many contenders.
#include "store/work_store.h"

#include "store_test_support.h"

#include <barrier>
#include <mutex>
#include <thread>

using namespace std::chrono_literals;

namespace clerk::store {
namespace {

using testing::failsWith;
using testing::isOk;
using testing::StoreTest;

using WorkStoreLeadershipTest = StoreTest;

const QString kCron = QStringLiteral("cron");

bool acquire(WorkStore &store, const QString &owner, std::chrono::milliseconds leaseFor = 10s)
{
    auto taken = store.tryAcquireLeadership(kCron, owner, leaseFor);
    EXPECT_TRUE(isOk(taken));
    return taken && *taken;
}

TEST_P(WorkStoreLeadershipTest, OneHolderAtATimeAndTakeoverOnlyAfterExpiry)
{
    auto other = open();  // a second process's connection
    ASSERT_NE(other, nullptr);

    EXPECT_TRUE(acquire(*m_store, QStringLiteral("node-a")));
    EXPECT_FALSE(acquire(*other, QStringLiteral("node-b")));
    auto holder = other->leader(kCron);
    ASSERT_TRUE(isOk(holder));
    ASSERT_TRUE(holder->has_value());
    EXPECT_EQ((*holder)->owner, QStringLiteral("node-a"));
    EXPECT_EQ((*holder)->term, 1);
    EXPECT_EQ((*holder)->acquiredAt, testing::startTime());
    EXPECT_EQ((*holder)->expiresAt, testing::startTime().addSecs(10));

    // The holder asking again renews; the term stays.
    m_clock.advance(6s);
    EXPECT_TRUE(acquire(*m_store, QStringLiteral("node-a")));
    m_clock.advance(6s);  // 12 s after the start, 6 s after the renewal
    EXPECT_FALSE(acquire(*other, QStringLiteral("node-b")));
    EXPECT_EQ((*m_store->leader(kCron))->term, 1);

    // node-a dies: once its lease has run out, node-b takes over in a new term.
    m_clock.advance(4001ms);
    EXPECT_TRUE(acquire(*other, QStringLiteral("node-b")));
    holder = m_store->leader(kCron);
    ASSERT_TRUE(isOk(holder));
    ASSERT_TRUE(holder->has_value());
    EXPECT_EQ((*holder)->owner, QStringLiteral("node-b"));
    EXPECT_EQ((*holder)->term, 2);
    EXPECT_EQ((*holder)->acquiredAt, m_clock.now());

    // node-a comes back: it learns that it lost, by renewal or by asking.
    EXPECT_TRUE(failsWith(m_store->renewLeadership(kCron, QStringLiteral("node-a"), 10s), ErrorCode::Conflict));
    EXPECT_FALSE(acquire(*m_store, QStringLiteral("node-a")));
    EXPECT_TRUE(isOk(other->renewLeadership(kCron, QStringLiteral("node-b"), 10s)));
}

TEST_P(WorkStoreLeadershipTest, ReleaseHandsOverAtOnceAndLeadershipsAreIndependent)
{
    EXPECT_TRUE(acquire(*m_store, QStringLiteral("node-a")));
    auto mailbox = m_store->tryAcquireLeadership(QStringLiteral("mailbox"), QStringLiteral("node-b"), 10s);
    ASSERT_TRUE(isOk(mailbox));
    EXPECT_TRUE(*mailbox);  // another name, another leadership

    EXPECT_TRUE(failsWith(m_store->releaseLeadership(kCron, QStringLiteral("node-b")), ErrorCode::Conflict));
    ASSERT_TRUE(isOk(m_store->releaseLeadership(kCron, QStringLiteral("node-a"))));
    auto none = m_store->leader(kCron);
    ASSERT_TRUE(isOk(none));
    EXPECT_FALSE(none->has_value());
    EXPECT_TRUE(failsWith(m_store->renewLeadership(kCron, QStringLiteral("node-a"), 10s), ErrorCode::Conflict));

    // No waiting for the lease to run out after a release.
    EXPECT_TRUE(acquire(*m_store, QStringLiteral("node-b")));
    EXPECT_EQ((*m_store->leader(kCron))->term, 2);
    EXPECT_TRUE(failsWith(m_store->tryAcquireLeadership(QString(), QStringLiteral("x"), 1s), ErrorCode::InvalidArgument));
}

TEST_P(WorkStoreLeadershipTest, AHolderMayRenewALapsedLeaseNobodyTook)
{
    EXPECT_TRUE(acquire(*m_store, QStringLiteral("node-a"), 1s));
    m_clock.advance(5s);
    EXPECT_FALSE(m_store->leader(kCron)->has_value());
    ASSERT_TRUE(isOk(m_store->renewLeadership(kCron, QStringLiteral("node-a"), 1s)));
    EXPECT_EQ((*m_store->leader(kCron))->owner, QStringLiteral("node-a"));
    EXPECT_EQ((*m_store->leader(kCron))->term, 1);
}

TEST_P(WorkStoreLeadershipTest, ChangesOfHolderAreInTheEventLog)
{
    EXPECT_TRUE(acquire(*m_store, QStringLiteral("node-a")));
    EXPECT_TRUE(acquire(*m_store, QStringLiteral("node-a")));  // a renewal: no event
    m_clock.advance(11s);
    EXPECT_TRUE(acquire(*m_store, QStringLiteral("node-b")));
    ASSERT_TRUE(isOk(m_store->releaseLeadership(kCron, QStringLiteral("node-b"))));
    m_store.reset();

    testing::RawConnection raw(location());
    QSqlQuery query(raw.database());
    ASSERT_TRUE(query.exec(QStringLiteral("SELECT kind, actor, detail FROM events WHERE item_id IS NULL ORDER BY id")));
    QStringList seen;
    while (query.next())
        seen.append(query.value(0).toString() + QLatin1Char(' ') + query.value(1).toString());
    EXPECT_EQ(seen, (QStringList{QStringLiteral("leader_acquired node-a"), QStringLiteral("leader_acquired node-b"),
                                 QStringLiteral("leader_released node-b")}));
}

// Eight contenders, each with its own connection (opened in its own thread, as Qt SQL
// wants), ask at the same moment, again in each round after the lease ran out: every
// round exactly one of them leads.
TEST_P(WorkStoreLeadershipTest, ExactlyOneOfManyConcurrentContendersWins)
{
    constexpr int kContenders = 8;
    constexpr int kRounds = 5;
    std::mutex mutex;
    std::vector<QStringList> winners(kRounds);
    QStringList errors;
    std::barrier sync(kContenders + 1);
    {
        std::vector<std::jthread> threads;
        for (int i = 0; i < kContenders; ++i) {
            threads.emplace_back([&, i] {
                const QString owner = QStringLiteral("node-%1").arg(i);
                auto opened = openWorkStore(location(), m_clock, {.busyTimeout = 30s});
                for (int round = 0; round < kRounds; ++round) {
                    sync.arrive_and_wait();  // start together
                    if (opened) {
                        auto taken = (*opened)->tryAcquireLeadership(kCron, owner, 1s);
                        std::lock_guard lock(mutex);
                        if (!taken)
                            errors.append(taken.error().toString());
                        else if (*taken)
                            winners[size_t(round)].append(owner);
                    } else if (round == 0) {
                        std::lock_guard lock(mutex);
                        errors.append(opened.error().toString());
                    }
                    sync.arrive_and_wait();  // the round is over: the main thread moves the clock
                    sync.arrive_and_wait();
                }
            });
        }
        for (int round = 0; round < kRounds; ++round) {
            sync.arrive_and_wait();
            sync.arrive_and_wait();
            m_clock.advance(2s);
            sync.arrive_and_wait();
        }
    }
    EXPECT_TRUE(errors.isEmpty()) << errors.join(QStringLiteral("; ")).toStdString();
    for (int round = 0; round < kRounds; ++round)
        EXPECT_EQ(winners[size_t(round)].size(), 1) << "round " << round << ": "
                                                    << winners[size_t(round)].join(QStringLiteral(", ")).toStdString();
    m_clock.advance(-2s);
    auto last = m_store->leader(kCron);
    ASSERT_TRUE(isOk(last));
    ASSERT_TRUE(last->has_value());
    // The term counts changes of holder; winning back one's own lapsed lease is none.
    qint64 changes = 1;
    for (int round = 1; round < kRounds; ++round)
        changes += winners[size_t(round)] != winners[size_t(round - 1)] ? 1 : 0;
    EXPECT_EQ((*last)->term, changes);
    EXPECT_EQ(QStringList{(*last)->owner}, winners[kRounds - 1]);
}

CLERK_INSTANTIATE_FOR_BACKENDS(WorkStoreLeadershipTest);

} // namespace
} // namespace clerk::store
