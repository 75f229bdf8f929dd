// Upgrades from every earlier schema version, on both backends: a database built as a
// clerk of version N left it (migrations 1..N, and work of that time in it) is opened by
// this clerk, migrated to the latest version, and its work is still there and workable.
#include "store/work_store.h"

#include "store/migrations_p.h"
#include "store/sql_dialect_p.h"
#include "store_test_support.h"

using namespace std::chrono_literals;

namespace clerk::store {
namespace {

using testing::Backend;
using testing::isOk;
using testing::RawConnection;
using testing::TestDatabase;

class UpgradeTest : public ::testing::TestWithParam<Backend> {
protected:
    // A database at schema version `version`, as a clerk of that version made it, with
    // one item waiting for a person (the columns of version 1 are enough: later versions
    // only add columns with defaults). Returns its location, or empty (a failure is added).
    QString databaseAt(int version, TestDatabase &database)
    {
        bool skip = false;
        const QString problem = database.create(GetParam(), m_dir.path(), QStringLiteral("v%1").arg(version), &skip);
        if (skip || !problem.isEmpty()) {
            m_skip = skip;
            if (!skip)
                ADD_FAILURE() << problem.toStdString();
            return {};
        }
        const SqlDialect &dialect = GetParam() == Backend::Sqlite ? SqlDialect::sqlite() : SqlDialect::postgresql();
        RawConnection raw(database.location());
        EXPECT_TRUE(raw.isOpen()) << raw.lastOpenError().toStdString();
        QString error;
        const QString bigint = GetParam() == Backend::Sqlite ? QStringLiteral("INTEGER") : QStringLiteral("BIGINT");
        EXPECT_TRUE(raw.exec(QStringLiteral("CREATE TABLE schema_version (version INTEGER NOT NULL, applied_at %1 NOT NULL)")
                                 .arg(bigint), &error)) << error.toStdString();
        const QList<Migration> steps = migrationsFor(dialect);
        for (int n = 1; n <= version; ++n) {
            for (const QString &statement : steps.at(n - 1).statements)
                EXPECT_TRUE(raw.exec(statement, &error)) << "version " << n << ": " << error.toStdString();
            EXPECT_TRUE(raw.exec(QStringLiteral("INSERT INTO schema_version (version, applied_at) VALUES (%1, 0)").arg(n)));
        }
        const qint64 t = 1764000000000;
        EXPECT_TRUE(raw.exec(QStringLiteral(
            "INSERT INTO work_items (id, bot, bot_version, source_ref, payload, state, attempts, step_cursor,"
            " step_outputs, not_before, priority, created_at, updated_at)"
            " VALUES (1, 'post', '3', 'letter-1', '{\"name\": \"Ada\"}', 'waiting_for_human', 0, 1,"
            " '{\"read\": {\"text\": \"Dear council\"}}', %1, 0, %1, %1)").arg(t), &error)) << error.toStdString();
        EXPECT_TRUE(raw.exec(QStringLiteral(
            "INSERT INTO exception_items (id, item_id, bot, step_index, step_id, team, reason, evidence, choices,"
            " fields, partial_outputs, state, created_at, sla_due_at)"
            " VALUES (1, 1, 'post', 1, 'topic', 'post-room', 'not sure', '{}',"
            " '[{\"value\": \"housing\", \"label\": \"Housing\"}]', '[]', '{}', 'open', %1, %2)").arg(t).arg(t + 3600000),
                             &error)) << error.toStdString();
        EXPECT_TRUE(raw.exec(QStringLiteral("INSERT INTO events (at, item_id, bot, kind, actor, detail)"
                                            " VALUES (%1, 1, 'post', 'needs_human', 'w1', '{}')").arg(t), &error))
            << error.toStdString();
        if (GetParam() == Backend::Postgres) {
            // Ids given by hand: move the sequences past them, as the rows' own inserts would.
            for (const char *table : {"work_items", "exception_items"})
                raw.exec(QStringLiteral("SELECT setval(pg_get_serial_sequence('%1', 'id'), 1)").arg(QLatin1String(table)));
        }
        return database.location();
    }

    QTemporaryDir m_dir;
    ManualClock m_clock{QDateTime::fromMSecsSinceEpoch(1764000000000 + 7200000, Qt::UTC)};
    bool m_skip = false;
};

TEST_P(UpgradeTest, EveryEarlierVersionMigratesAndItsWorkCarriesOn)
{
    ASSERT_TRUE(m_dir.isValid());
    const int latest = latestSchemaVersion();
    for (int version = 1; version < latest; ++version) {
        SCOPED_TRACE(::testing::Message() << "from version " << version);
        TestDatabase database;
        const QString location = databaseAt(version, database);
        if (m_skip)
            GTEST_SKIP() << "no PostgreSQL server";
        ASSERT_FALSE(location.isEmpty());

        auto opened = openWorkStore(location, m_clock);
        ASSERT_TRUE(isOk(opened));
        std::unique_ptr<WorkStore> store = std::move(*opened);
        {
            RawConnection raw(location);
            EXPECT_EQ(raw.scalar(QStringLiteral("SELECT MAX(version) FROM schema_version")).toInt(), latest);
        }
        auto item = store->item(1);
        ASSERT_TRUE(isOk(item));
        EXPECT_EQ(item->payload.value(QStringLiteral("name")).toString(), QStringLiteral("Ada"));
        EXPECT_EQ(item->state, ItemState::WaitingForHuman);
        EXPECT_FALSE(item->erasedAt.isValid());
        auto queue = store->exceptions({});
        ASSERT_TRUE(isOk(queue));
        ASSERT_EQ(queue->size(), 1);
        EXPECT_EQ(queue->first().priority, 0);
        EXPECT_EQ(queue->first().choices.size(), 1);

        // The old question is answered and the item goes on; new work arrives beside it.
        auto resumed = store->resolve(1, {.actor = QStringLiteral("alice"), .choice = QStringLiteral("housing")});
        ASSERT_TRUE(isOk(resumed));
        auto enqueued = store->enqueue({.bot = QStringLiteral("post"), .sourceRef = QStringLiteral("letter-2")});
        ASSERT_TRUE(isOk(enqueued));
        EXPECT_GT(enqueued->id, 1);
        auto leased = store->leaseNext(QStringLiteral("w2"), 30s, {});
        ASSERT_TRUE(isOk(leased));
        ASSERT_TRUE(leased->has_value());
        EXPECT_TRUE(isOk(store->completeStep((*leased)->id, QStringLiteral("w2"), (*leased)->stepCursor,
                                             QStringLiteral("read"), {}, true)));
        auto history = store->events(1);
        ASSERT_TRUE(isOk(history));
        EXPECT_EQ(history->first().kind, QStringLiteral("needs_human"));
        store.reset();
    }
}

CLERK_INSTANTIATE_FOR_BACKENDS(UpgradeTest);

} // namespace
} // namespace clerk::store
