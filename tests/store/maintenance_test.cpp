// The schema as an operator sees it (store/maintenance.h), on both backends: the status
// read without changing anything, the migrations still to run named from the one list,
// migrateStore running them through the store's own runner, and a database newer than
// this clerk refused untouched. Copying SQLite files out and back is tested end to end
// through the CLI (tests/app/db_cli_test.cpp).
#include "store/maintenance.h"
#include "store/migrations_p.h"

#include "store_test_support.h"

namespace clerk::store {
namespace {

using testing::failsWith;
using testing::isOk;
using testing::RawConnection;
using testing::StoreTest;

using MaintenanceTest = StoreTest;

int recordedRows(const QString &location)
{
    RawConnection raw(location);
    return raw.scalar(QStringLiteral("SELECT COUNT(*) FROM schema_version")).toInt();
}

TEST_P(MaintenanceTest, StatusNamesTheStepsStillToRunAndMigrateRunsThem)
{
    m_store.reset();
    auto current = schemaStatus(location());
    ASSERT_TRUE(isOk(current));
    EXPECT_TRUE(current->exists);
    EXPECT_EQ(current->version, latestSchemaVersion());
    EXPECT_EQ(current->latest, latestSchemaVersion());
    EXPECT_TRUE(current->pending.isEmpty());
    EXPECT_FALSE(current->location.contains(QStringLiteral("clerk-test")))
        << "the password is shown: " << current->location.toStdString();

    {
        RawConnection raw(location());
        ASSERT_TRUE(testing::undoVersion10(raw));
    }
    const int rows = recordedRows(location());
    auto older = schemaStatus(location());
    ASSERT_TRUE(isOk(older));
    EXPECT_EQ(older->version, 9);
    ASSERT_EQ(older->pending.size(), latestSchemaVersion() - 9);
    EXPECT_EQ(older->pending.first().version, 10);
    EXPECT_EQ(older->pending.first().description, QStringLiteral("urgent exception items first"));
    EXPECT_EQ(recordedRows(location()), rows) << "reading the status recorded a migration";
    {
        RawConnection raw(location());
        EXPECT_FALSE(raw.exec(QStringLiteral("SELECT priority FROM exception_items"))) << "reading the status migrated";
    }

    QList<int> applied;
    auto migrated = migrateStore(location(), [&](const SchemaStep &step) { applied.append(step.version); }, m_clock);
    ASSERT_TRUE(isOk(migrated));
    EXPECT_EQ(migrated->version, latestSchemaVersion());
    EXPECT_TRUE(migrated->pending.isEmpty());
    QList<int> expected;
    for (const SchemaStep &step : older->pending)
        expected.append(step.version);
    EXPECT_EQ(applied, expected);
    RawConnection raw(location());
    EXPECT_TRUE(raw.exec(QStringLiteral("SELECT priority FROM exception_items")));
    EXPECT_EQ(raw.scalar(QStringLiteral("SELECT MAX(version) FROM schema_version")).toInt(), latestSchemaVersion());
}

TEST_P(MaintenanceTest, ADatabaseNewerThanClerkIsAStatusAndIsNotMigrated)
{
    m_store.reset();
    {
        RawConnection raw(location());
        ASSERT_TRUE(raw.exec(QStringLiteral("INSERT INTO schema_version (version, applied_at) VALUES (99, 0)")));
    }
    const int rows = recordedRows(location());
    auto status = schemaStatus(location());
    ASSERT_TRUE(isOk(status));
    EXPECT_TRUE(status->newerThanClerk());
    EXPECT_EQ(status->version, 99);
    EXPECT_TRUE(status->pending.isEmpty());

    bool called = false;
    auto migrated = migrateStore(location(), [&](const SchemaStep &) { called = true; }, m_clock);
    ASSERT_TRUE(failsWith(migrated, ErrorCode::InvalidArgument));
    EXPECT_TRUE(migrated.error().message().contains(QStringLiteral("upgrade clerk"))) << testing::text(migrated.error());
    EXPECT_FALSE(called);
    EXPECT_EQ(recordedRows(location()), rows);
}

TEST_P(MaintenanceTest, ADatabaseOfSomethingElseIsNotAClerkDatabase)
{
    testing::TestDatabase other;
    CLERK_CREATE_TEST_DATABASE(other, GetParam(), m_dir.path(), QStringLiteral("other"));
    {
        RawConnection raw(other.location());
        ASSERT_TRUE(raw.exec(QStringLiteral("CREATE TABLE customers (name TEXT)")));
    }
    EXPECT_TRUE(failsWith(schemaStatus(other.location()), ErrorCode::Corrupt));
    EXPECT_TRUE(failsWith(migrateStore(other.location(), {}, m_clock), ErrorCode::Corrupt));
    RawConnection raw(other.location());
    EXPECT_FALSE(raw.hasTable(QStringLiteral("schema_version")));
}

TEST_P(MaintenanceTest, BackupAndRestoreAreForSqliteFiles)
{
    const QString copy = m_dir.filePath(QStringLiteral("copy.db"));
    if (GetParam() == testing::Backend::Postgres) {
        EXPECT_TRUE(failsWith(backupSqlite(location(), copy, false), ErrorCode::InvalidArgument));
        EXPECT_TRUE(failsWith(restoreSqlite(copy, location(), true), ErrorCode::InvalidArgument));
        EXPECT_FALSE(QFileInfo::exists(copy));
        return;
    }
    enqueue(QStringLiteral("form-1"));
    auto backup = backupSqlite(location(), copy, false);
    ASSERT_TRUE(isOk(backup));
    EXPECT_EQ(backup->schemaVersion, latestSchemaVersion());
    EXPECT_GT(backup->bytes, 0);
    EXPECT_TRUE(failsWith(backupSqlite(location(), copy, false), ErrorCode::AlreadyExists));
    EXPECT_TRUE(failsWith(backupSqlite(location(), location(), true), ErrorCode::InvalidArgument));
    // This test's own store has the database open.
    EXPECT_TRUE(failsWith(restoreSqlite(copy, location(), true), ErrorCode::Unavailable));
    m_store.reset();
    auto restored = restoreSqlite(copy, location(), true, {}, m_clock);
    ASSERT_TRUE(isOk(restored));
    EXPECT_TRUE(restored->replaced);
    EXPECT_EQ(restored->after.version, latestSchemaVersion());
}

TEST(MaintenanceLocationTest, AMissingSqliteFileIsReportedAndNotMade)
{
    QTemporaryDir dir;
    ASSERT_TRUE(dir.isValid());
    const QString missing = dir.filePath(QStringLiteral("none/clerk.db"));
    auto status = schemaStatus(missing);
    ASSERT_TRUE(isOk(status));
    EXPECT_FALSE(status->exists);
    EXPECT_EQ(status->version, 0);
    EXPECT_EQ(status->pending.size(), latestSchemaVersion());
    EXPECT_FALSE(QFileInfo::exists(missing));
    EXPECT_FALSE(QFileInfo::exists(dir.filePath(QStringLiteral("none"))));
    EXPECT_TRUE(failsWith(schemaStatus(dir.path()), ErrorCode::InvalidArgument));
    EXPECT_TRUE(failsWith(schemaStatus(QStringLiteral("mysql:clerk")), ErrorCode::InvalidArgument));
}

CLERK_INSTANTIATE_FOR_BACKENDS(MaintenanceTest);

} // namespace
} // namespace clerk::store
