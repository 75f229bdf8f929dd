// The web queue's side of the store on both backends: accounts, sessions, API tokens,
// sign-in attempts, passing items to another team, the wider exception filters and the
// client address in the audit trail.
#include "store/work_store.h"

#include "store_test_support.h"

#include <QJsonDocument>

using namespace std::chrono_literals;

namespace clerk::store {
namespace {

using testing::failsWith;
using testing::isOk;
using testing::StoreTest;

using WorkStorePeopleTest = StoreTest;

HumanRequest question(const QString &reason)
{
    return {.reason = reason, .choices = {{QStringLiteral("a"), QStringLiteral("A"), {}}}, .team = QStringLiteral("post")};
}

TEST_P(WorkStorePeopleTest, AccountsAreAddedChangedAndAudited)
{
    UserAccount alice{.name = QStringLiteral("alice"), .team = QStringLiteral("post-room"), .role = Role::Operator,
                      .passwordHash = QStringLiteral("$argon2id$v=19$first")};
    ASSERT_TRUE(isOk(m_store->saveUser(alice, QStringLiteral("ict.admin"))));
    auto stored = m_store->user(QStringLiteral("alice"));
    ASSERT_TRUE(isOk(stored));
    EXPECT_EQ(stored->team, QStringLiteral("post-room"));
    EXPECT_EQ(stored->role, Role::Operator);
    EXPECT_EQ(stored->passwordHash, alice.passwordHash);
    EXPECT_EQ(stored->createdAt, m_clock.now());
    EXPECT_FALSE(stored->disabled);

    m_clock.advance(1h);
    alice.role = Role::Lead;
    alice.passwordHash = QStringLiteral("$argon2id$v=19$second");
    ASSERT_TRUE(isOk(m_store->saveUser(alice, QStringLiteral("ict.admin"))));
    stored = m_store->user(QStringLiteral("alice"));
    EXPECT_EQ(stored->role, Role::Lead);
    EXPECT_EQ(stored->passwordChangedAt, m_clock.now());
    EXPECT_EQ(stored->createdAt, m_clock.now().addSecs(-3600));

    EXPECT_TRUE(failsWith(m_store->user(QStringLiteral("bob")), ErrorCode::NotFound));
    EXPECT_TRUE(failsWith(m_store->saveUser({.name = QStringLiteral("bob")}, QStringLiteral("x")),
                          ErrorCode::InvalidArgument));
    EXPECT_TRUE(failsWith(m_store->saveUser({.name = QStringLiteral(" bob"), .team = QStringLiteral("t")},
                                            QStringLiteral("x")),
                          ErrorCode::InvalidArgument));
    ASSERT_EQ(m_store->users()->size(), 1);

    // The audit trail says who changed what, never the hash.
    auto events = m_store->events(0);
    ASSERT_TRUE(isOk(events));
    QStringList kinds;
    for (const Event &event : *events) {
        kinds.append(event.kind);
        EXPECT_FALSE(QJsonDocument(event.detail).toJson().contains("argon2id"));
    }
    EXPECT_TRUE(kinds.contains(QStringLiteral("user_added")));
    EXPECT_TRUE(kinds.contains(QStringLiteral("user_changed")));
}

TEST_P(WorkStorePeopleTest, SessionsAndTokensAreFoundByDigestAndEndTogether)
{
    const WebSession session{.idHash = QStringLiteral("h1"), .user = QStringLiteral("alice"),
                             .csrfToken = QStringLiteral("c1"), .address = QStringLiteral("10.0.0.5"),
                             .createdAt = m_clock.now(), .lastSeenAt = m_clock.now()};
    ASSERT_TRUE(isOk(m_store->saveSession(session)));
    ASSERT_TRUE(isOk(m_store->saveSession({.idHash = QStringLiteral("h2"), .user = QStringLiteral("alice"),
                                           .csrfToken = QStringLiteral("c2"), .createdAt = m_clock.now(),
                                           .lastSeenAt = m_clock.now()})));
    auto found = m_store->session(QStringLiteral("h1"));
    ASSERT_TRUE(isOk(found));
    EXPECT_EQ(found->csrfToken, QStringLiteral("c1"));
    EXPECT_EQ(found->address, QStringLiteral("10.0.0.5"));
    m_clock.advance(5min);
    ASSERT_TRUE(isOk(m_store->touchSession(QStringLiteral("h1"), m_clock.now())));
    EXPECT_EQ(m_store->session(QStringLiteral("h1"))->lastSeenAt, m_clock.now());

    ASSERT_TRUE(isOk(m_store->deleteSession(QStringLiteral("h1"))));
    EXPECT_TRUE(failsWith(m_store->session(QStringLiteral("h1")), ErrorCode::NotFound));
    EXPECT_TRUE(isOk(m_store->session(QStringLiteral("h2"))));
    ASSERT_TRUE(isOk(m_store->deleteSessionsOf(QStringLiteral("alice"))));
    EXPECT_TRUE(failsWith(m_store->session(QStringLiteral("h2")), ErrorCode::NotFound));

    ASSERT_TRUE(isOk(m_store->saveApiToken({.idHash = QStringLiteral("t1"), .name = QStringLiteral("portal"),
                                            .user = QStringLiteral("portal-bot")},
                                           QStringLiteral("ict.admin"))));
    auto token = m_store->apiToken(QStringLiteral("t1"));
    ASSERT_TRUE(isOk(token));
    EXPECT_EQ(token->user, QStringLiteral("portal-bot"));
    EXPECT_TRUE(failsWith(m_store->apiToken(QStringLiteral("t2")), ErrorCode::NotFound));
}

TEST_P(WorkStorePeopleTest, FailedSignInsAreCountedPerNameAndAddressSinceTheLastSuccess)
{
    const QString here = QStringLiteral("192.0.2.1");
    const QString there = QStringLiteral("198.51.100.7");
    const QDateTime longAgo = m_clock.now().addDays(-1);
    for (int i = 0; i < 3; ++i) {
        ASSERT_TRUE(isOk(m_store->recordSignIn(QStringLiteral("alice"), here, false, longAgo)));
        m_clock.advance(1s);
    }
    ASSERT_TRUE(isOk(m_store->recordSignIn(QStringLiteral("alice"), there, false, longAgo)));
    ASSERT_TRUE(isOk(m_store->recordSignIn(QStringLiteral("bob"), here, false, longAgo)));
    const QDateTime windowStart = m_clock.now().addSecs(-60);
    auto alice = m_store->signInFailures(QStringLiteral("alice"), here, windowStart);
    ASSERT_TRUE(isOk(alice));
    EXPECT_EQ(alice->count, 3);
    EXPECT_EQ(alice->lastAt, m_clock.now().addSecs(-1));
    // Another address's failures, or another name's, do not count against this pair.
    EXPECT_EQ(m_store->signInFailures(QStringLiteral("alice"), there, windowStart)->count, 1);
    EXPECT_EQ(m_store->signInFailures(QStringLiteral("carol"), here, windowStart)->count, 0);
    EXPECT_FALSE(m_store->signInFailures(QStringLiteral("carol"), here, windowStart)->lastAt.isValid());
    // From one address, whatever the names.
    EXPECT_EQ(m_store->signInFailuresFrom(here, windowStart)->count, 4);
    EXPECT_EQ(m_store->signInFailuresFrom(there, windowStart)->count, 1);

    // A success starts the count again; the window leaves old failures out.
    m_clock.advance(1s);
    ASSERT_TRUE(isOk(m_store->recordSignIn(QStringLiteral("alice"), here, true, longAgo)));
    EXPECT_EQ(m_store->signInFailures(QStringLiteral("alice"), here, windowStart)->count, 0);
    EXPECT_EQ(m_store->signInFailuresFrom(here, windowStart)->count, 4);
    m_clock.advance(2min);
    EXPECT_EQ(m_store->signInFailures(QStringLiteral("alice"), there, m_clock.now().addSecs(-60))->count, 0);

    // Each attempt is in the audit trail with its address.
    auto events = m_store->events(0);
    ASSERT_TRUE(isOk(events));
    int failures = 0;
    for (const Event &event : *events) {
        if (event.kind == QLatin1String("sign_in_failed") && event.actor == QLatin1String("alice")
            && event.detail.value(QStringLiteral("address")).toString() == here)
            ++failures;
    }
    EXPECT_EQ(failures, 3);
}

TEST_P(WorkStorePeopleTest, SignInAttemptsArePrunedAndLongNamesAreRefused)
{
    const QString here = QStringLiteral("192.0.2.1");
    // Attempts before `forgetBefore` go; a pair keeps its latest 50 whatever the window.
    for (int i = 0; i < 60; ++i) {
        ASSERT_TRUE(isOk(m_store->recordSignIn(QStringLiteral("alice"), here, false, m_clock.now().addDays(-1))));
        m_clock.advance(1s);
    }
    EXPECT_EQ(m_store->signInFailures(QStringLiteral("alice"), here, m_clock.now().addDays(-1))->count, 50);
    ASSERT_TRUE(isOk(m_store->recordSignIn(QStringLiteral("bob"), here, false, m_clock.now().addSecs(-5))));
    EXPECT_EQ(m_store->signInFailures(QStringLiteral("alice"), here, m_clock.now().addDays(-1))->count, 5);

    const QString tooLong(kMaxUserNameLength + 1, QLatin1Char('x'));
    const qsizetype eventsBefore = m_store->events(0)->size();
    EXPECT_TRUE(failsWith(m_store->recordSignIn(tooLong, here, false, m_clock.now().addDays(-1)),
                          ErrorCode::InvalidArgument));
    EXPECT_EQ(m_store->signInFailures(tooLong, here, m_clock.now().addDays(-1))->count, 0);
    EXPECT_EQ(m_store->events(0)->size(), eventsBefore);
    EXPECT_TRUE(failsWith(m_store->saveUser({.name = tooLong, .team = QStringLiteral("t")}, QStringLiteral("x")),
                          ErrorCode::InvalidArgument));
}

TEST_P(WorkStorePeopleTest, EndedSessionsArePruned)
{
    const QDateTime start = m_clock.now();
    ASSERT_TRUE(isOk(m_store->saveSession({.idHash = QStringLiteral("idle"), .user = QStringLiteral("alice"),
                                           .csrfToken = QStringLiteral("c"), .createdAt = start,
                                           .lastSeenAt = start})));
    ASSERT_TRUE(isOk(m_store->saveSession({.idHash = QStringLiteral("old"), .user = QStringLiteral("alice"),
                                           .csrfToken = QStringLiteral("c"), .createdAt = start.addSecs(-13 * 3600),
                                           .lastSeenAt = start.addSecs(3600)})));
    ASSERT_TRUE(isOk(m_store->saveSession({.idHash = QStringLiteral("live"), .user = QStringLiteral("alice"),
                                           .csrfToken = QStringLiteral("c"), .createdAt = start,
                                           .lastSeenAt = start.addSecs(3600)})));
    m_clock.advance(1h);
    ASSERT_TRUE(isOk(m_store->pruneSessions(m_clock.now().addSecs(-30 * 60), m_clock.now().addSecs(-12 * 3600))));
    EXPECT_TRUE(failsWith(m_store->session(QStringLiteral("idle")), ErrorCode::NotFound));
    EXPECT_TRUE(failsWith(m_store->session(QStringLiteral("old")), ErrorCode::NotFound));
    EXPECT_TRUE(isOk(m_store->session(QStringLiteral("live"))));

    // However often a person signs in, they keep their latest kMaxSessionsPerUser sessions.
    for (int i = 0; i < kMaxSessionsPerUser + 5; ++i) {
        m_clock.advance(1s);
        ASSERT_TRUE(isOk(m_store->saveSession({.idHash = QStringLiteral("s%1").arg(i), .user = QStringLiteral("bob"),
                                               .csrfToken = QStringLiteral("c"), .createdAt = m_clock.now(),
                                               .lastSeenAt = m_clock.now()})));
    }
    EXPECT_TRUE(failsWith(m_store->session(QStringLiteral("s4")), ErrorCode::NotFound));
    EXPECT_TRUE(isOk(m_store->session(QStringLiteral("s5"))));
    EXPECT_TRUE(isOk(m_store->session(QStringLiteral("s%1").arg(kMaxSessionsPerUser + 4))));
    EXPECT_TRUE(isOk(m_store->session(QStringLiteral("live"))));
}

TEST_P(WorkStorePeopleTest, TokensExpireAreListedAndRevokedById)
{
    const QString digest = QStringLiteral("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
    ASSERT_TRUE(isOk(m_store->saveApiToken({.idHash = digest, .name = QStringLiteral("portal"),
                                            .user = QStringLiteral("alice"), .expiresAt = m_clock.now().addDays(90)},
                                           QStringLiteral("ict.admin"))));
    ASSERT_TRUE(isOk(m_store->saveApiToken({.idHash = QStringLiteral("ffff") + digest.mid(4), .name = QStringLiteral("ci"),
                                            .user = QStringLiteral("alice")},
                                           QStringLiteral("ict.admin"))));
    auto token = m_store->apiToken(digest);
    ASSERT_TRUE(isOk(token));
    EXPECT_EQ(token->id(), QStringLiteral("0123456789ab"));
    EXPECT_EQ(token->expiresAt, m_clock.now().addDays(90));
    EXPECT_TRUE(token->usableAt(m_clock.now()));
    EXPECT_FALSE(token->usableAt(m_clock.now().addDays(90)));

    auto listed = m_store->apiTokensOf(QStringLiteral("alice"));
    ASSERT_TRUE(isOk(listed));
    ASSERT_EQ(listed->size(), 2);
    EXPECT_TRUE(m_store->apiTokensOf(QStringLiteral("bob"))->isEmpty());

    m_clock.advance(1min);
    ASSERT_TRUE(isOk(m_store->revokeApiToken(QStringLiteral("0123456789AB"), QStringLiteral("ict.admin"))));
    token = m_store->apiToken(digest);
    EXPECT_EQ(token->revokedAt, m_clock.now());
    EXPECT_FALSE(token->usableAt(m_clock.now()));
    EXPECT_TRUE(m_store->apiToken(QStringLiteral("ffff") + digest.mid(4))->usableAt(m_clock.now()));
    // Revoking again keeps the first time; an unknown or partial id is not found.
    m_clock.advance(1min);
    ASSERT_TRUE(isOk(m_store->revokeApiToken(QStringLiteral("0123456789ab"), QStringLiteral("ict.admin"))));
    EXPECT_EQ(m_store->apiToken(digest)->revokedAt, m_clock.now().addSecs(-60));
    EXPECT_TRUE(failsWith(m_store->revokeApiToken(QStringLiteral("012345"), QStringLiteral("x")), ErrorCode::NotFound));
    EXPECT_TRUE(failsWith(m_store->revokeApiToken(QStringLiteral("aaaaaaaaaaaa"), QStringLiteral("x")),
                          ErrorCode::NotFound));

    QStringList kinds;
    auto events = m_store->events(0);
    ASSERT_TRUE(isOk(events));
    for (const Event &event : *events) {
        kinds.append(event.kind);
        EXPECT_FALSE(QJsonDocument(event.detail).toJson().contains(digest.toUtf8()));
    }
    EXPECT_EQ(kinds.count(QStringLiteral("api_token_revoked")), 1);
}

TEST_P(WorkStorePeopleTest, ReassignMovesAnUndecidedItemAndDropsTheClaim)
{
    const qint64 id = enqueue(QStringLiteral("letter-1"));
    ASSERT_EQ(lease(QStringLiteral("w")), id);
    auto handed = m_store->handToPerson(id, QStringLiteral("w"), 0, QStringLiteral("classify"),
                                        question(QStringLiteral("low confidence")), QString(), {});
    ASSERT_TRUE(isOk(handed));
    ASSERT_TRUE(isOk(m_store->claim(*handed, QStringLiteral("alice"), 15min)));

    m_store->setAuditAddress(QStringLiteral("10.1.2.3"));
    ASSERT_TRUE(isOk(m_store->reassign(*handed, QStringLiteral("council-tax"), QStringLiteral("alice"),
                                       QStringLiteral("about a bill"))));
    m_store->setAuditAddress({});
    auto moved = m_store->exception(*handed);
    ASSERT_TRUE(isOk(moved));
    EXPECT_EQ(moved->team, QStringLiteral("council-tax"));
    EXPECT_EQ(moved->state, ExceptionState::Open);
    EXPECT_TRUE(moved->claimedBy.isEmpty());
    // Anyone in the new team may now take it.
    EXPECT_TRUE(isOk(m_store->claim(*handed, QStringLiteral("bob"), 15min)));

    auto events = m_store->events(id);
    ASSERT_TRUE(isOk(events));
    const Event *reassigned = nullptr;
    for (const Event &event : *events) {
        if (event.kind == QLatin1String("reassigned"))
            reassigned = &event;
    }
    ASSERT_NE(reassigned, nullptr);
    EXPECT_EQ(reassigned->actor, QStringLiteral("alice"));
    EXPECT_EQ(reassigned->detail.value(QStringLiteral("from_team")).toString(), QStringLiteral("post"));
    EXPECT_EQ(reassigned->detail.value(QStringLiteral("to_team")).toString(), QStringLiteral("council-tax"));
    EXPECT_EQ(reassigned->detail.value(QStringLiteral("address")).toString(), QStringLiteral("10.1.2.3"));
    EXPECT_EQ(events->last().kind, QStringLiteral("claimed"));
    EXPECT_FALSE(events->last().detail.contains(QStringLiteral("address")));  // set back to none

    ASSERT_TRUE(isOk(m_store->reject(*handed, QStringLiteral("bob"), QStringLiteral("spam"))));
    EXPECT_TRUE(failsWith(m_store->reassign(*handed, QStringLiteral("post"), QStringLiteral("bob"), {}),
                          ErrorCode::Conflict));
    EXPECT_TRUE(failsWith(m_store->reassign(*handed, QString(), QStringLiteral("bob"), {}), ErrorCode::InvalidArgument));
}

TEST_P(WorkStorePeopleTest, ExceptionFiltersByReasonClaimAgeAndCountIgnoresPaging)
{
    QList<qint64> ids;
    const QStringList reasons = {QStringLiteral("low confidence 0.41"), QStringLiteral("no unique match"),
                                 QStringLiteral("100% wrong'; DROP TABLE exception_items; --")};
    for (int i = 0; i < reasons.size(); ++i) {
        const qint64 id = enqueue(QStringLiteral("f-%1").arg(i));
        ASSERT_EQ(lease(QStringLiteral("w")), id);
        auto handed = m_store->handToPerson(id, QStringLiteral("w"), 0, QStringLiteral("s"), question(reasons[i]),
                                            QString(), m_clock.now().addSecs(3600));
        ASSERT_TRUE(isOk(handed));
        ids.append(*handed);
        m_clock.advance(10min);
    }
    ASSERT_TRUE(isOk(m_store->claim(ids[1], QStringLiteral("alice"), 15min)));

    const auto idsOf = [](const Result<QList<ExceptionItem>> &found) {
        QList<qint64> result;
        for (const ExceptionItem &item : *found)
            result.append(item.id);
        return result;
    };
    EXPECT_EQ(idsOf(m_store->exceptions({.reason = QStringLiteral("match")})), QList<qint64>{ids[1]});
    // Metacharacters are plain text: '%' and '_' match only themselves, quotes do nothing.
    EXPECT_EQ(idsOf(m_store->exceptions({.reason = QStringLiteral("100%")})), QList<qint64>{ids[2]});
    EXPECT_TRUE(m_store->exceptions({.reason = QStringLiteral("%")})->size() == 1);
    EXPECT_TRUE(m_store->exceptions({.reason = QStringLiteral("0_4")})->isEmpty());
    EXPECT_EQ(idsOf(m_store->exceptions({.reason = QStringLiteral("'; DROP TABLE exception_items; --")})),
              QList<qint64>{ids[2]});
    EXPECT_EQ(idsOf(m_store->exceptions({.claimed = true})), QList<qint64>{ids[1]});
    EXPECT_EQ(idsOf(m_store->exceptions({.claimed = false})), (QList<qint64>{ids[0], ids[2]}));
    EXPECT_EQ(idsOf(m_store->exceptions({.claimedBy = QStringLiteral("alice")})), QList<qint64>{ids[1]});
    // Opened more than 15 minutes ago: the first two.
    EXPECT_EQ(idsOf(m_store->exceptions({.createdBefore = m_clock.now().addSecs(-15 * 60)})), (QList<qint64>{ids[0], ids[1]}));

    EXPECT_EQ(*m_store->countExceptions({.limit = 1}), 3);
    EXPECT_EQ(*m_store->countExceptions({.claimed = false, .limit = 1, .offset = 1}), 2);
    EXPECT_EQ(m_store->exceptions({.limit = 1, .offset = 1})->size(), 1);
}

TEST_P(WorkStorePeopleTest, ItemsWithoutAnSlaComeLastInEveryListing)
{
    QList<qint64> ids;
    const QList<int> dueInHours = {0, 5, 2};  // 0: no SLA
    for (int i = 0; i < dueInHours.size(); ++i) {
        const qint64 id = enqueue(QStringLiteral("s-%1").arg(i));
        ASSERT_EQ(lease(QStringLiteral("w")), id);
        auto handed = m_store->handToPerson(id, QStringLiteral("w"), 0, QStringLiteral("s"), question(QStringLiteral("r")),
                                            QString(),
                                            dueInHours[i] ? m_clock.now().addSecs(3600 * dueInHours[i]) : QDateTime());
        ASSERT_TRUE(isOk(handed));
        ids.append(*handed);
    }
    const QList<qint64> expected = {ids[2], ids[1], ids[0]};
    for (const ExceptionFilter &filter : {ExceptionFilter{}, ExceptionFilter{.team = QStringLiteral("post")},
                                          ExceptionFilter{.state = ExceptionState::Open}}) {
        auto found = m_store->exceptions(filter);
        ASSERT_TRUE(isOk(found));
        QList<qint64> order;
        for (const ExceptionItem &item : *found)
            order.append(item.id);
        EXPECT_EQ(order, expected);
    }
}

// Alerts keep their firings as the bot's own events: found by bot, kind and time, never
// mixed with another bot's or with events about one item.
TEST_P(WorkStorePeopleTest, BotEventsAreFoundByBotKindAndTimeOldestFirst)
{
    const QDateTime start = m_clock.now();
    ASSERT_TRUE(isOk(m_store->recordBotEvent(QStringLiteral("post"), QStringLiteral("alert_fired"), QStringLiteral("clerk"),
                                             {{QStringLiteral("rule"), QStringLiteral("slow")}, {QStringLiteral("value"), 0.5}})));
    m_clock.advance(1min);
    const QDateTime later = m_clock.now();
    ASSERT_TRUE(isOk(m_store->recordBotEvent(QStringLiteral("post"), QStringLiteral("alert_sent"), QStringLiteral("clerk"),
                                             {{QStringLiteral("rule"), QStringLiteral("slow")}})));
    ASSERT_TRUE(isOk(m_store->recordBotEvent(QStringLiteral("forms"), QStringLiteral("alert_fired"), QStringLiteral("clerk"),
                                             {{QStringLiteral("rule"), QStringLiteral("failing")}})));
    enqueue(QStringLiteral("letter-1"), 0, QStringLiteral("post"));  // an item's own event
    EXPECT_TRUE(failsWith(m_store->recordBotEvent(QString(), QStringLiteral("alert_fired"), {}, {}),
                          ErrorCode::InvalidArgument));

    auto both = m_store->botEvents(QStringLiteral("post"), {QStringLiteral("alert_fired"), QStringLiteral("alert_sent"),
                                                            QStringLiteral("enqueued")}, start);
    ASSERT_TRUE(isOk(both));
    ASSERT_EQ(both->size(), 2);
    EXPECT_EQ(both->at(0).kind, QStringLiteral("alert_fired"));
    EXPECT_EQ(both->at(0).at, start);
    EXPECT_EQ(both->at(0).itemId, 0);
    EXPECT_EQ(both->at(0).detail.value(QStringLiteral("value")).toDouble(), 0.5);
    EXPECT_EQ(both->at(1).kind, QStringLiteral("alert_sent"));

    auto recent = m_store->botEvents(QStringLiteral("post"), {QStringLiteral("alert_fired"), QStringLiteral("alert_sent")}, later);
    ASSERT_TRUE(isOk(recent));
    ASSERT_EQ(recent->size(), 1);
    EXPECT_EQ(recent->at(0).kind, QStringLiteral("alert_sent"));

    auto none = m_store->botEvents(QStringLiteral("post"), {}, start);
    ASSERT_TRUE(isOk(none));
    EXPECT_TRUE(none->isEmpty());
}

CLERK_INSTANTIATE_FOR_BACKENDS(WorkStorePeopleTest);

} // namespace
} // namespace clerk::store
