// Helpers shared by the store tests: a temporary database with a manual clock, a raw Qt
// SQL connection for looking behind the store's back, and re-running this test binary
// as another process (or as an unprivileged user when the tests run as root).
//
// Backends: tests parameterised over Backend run on SQLite (a file in a temporary
// folder) and on PostgreSQL (a database of its own, created on the test server and
// dropped afterwards). The server is $CLERK_TEST_PG_URL, else the URL the ctest fixture
// wrote to $CLERK_TEST_PG_STATE/url (tests/store/CMakeLists.txt starts a throwaway
// server with pg_server.sh). Under ctest a PostgreSQL test without its server fails;
// run by hand with neither variable set, it is skipped.
#pragma once

#include "core/clock.h"
#include "core/error.h"
#include "store/work_store.h"

#include <QCoreApplication>
#include <QFile>
#include <QProcess>
#include <QUrl>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QVariant>
#include <gtest/gtest.h>

#include <atomic>
#include <grp.h>
#include <unistd.h>

namespace clerk::store::testing {

inline std::string text(const Error &error)
{
    return QString(toString(error.code()) + QStringLiteral(": ") + error.toString()).toStdString();
}

template <typename T>
::testing::AssertionResult isOk(const std::expected<T, Error> &result)
{
    if (result)
        return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << text(result.error());
}

template <typename T>
::testing::AssertionResult failsWith(const std::expected<T, Error> &result, ErrorCode code)
{
    if (result)
        return ::testing::AssertionFailure() << "succeeded, expected " << toString(code).toStdString();
    if (result.error().code() != code) {
        return ::testing::AssertionFailure() << "expected " << toString(code).toStdString() << ", got "
                                             << text(result.error());
    }
    return ::testing::AssertionSuccess();
}

inline QDateTime startTime()
{
    return QDateTime(QDate(2024, 3, 1), QTime(9, 0), Qt::UTC);
}

enum class Backend { Sqlite, Postgres };

inline std::string backendName(const ::testing::TestParamInfo<Backend> &info)
{
    return info.param == Backend::Sqlite ? "SQLite" : "PostgreSQL";
}

// How gtest (and so ctest's test list) shows a Backend.
inline void PrintTo(Backend backend, std::ostream *out)
{
    *out << (backend == Backend::Sqlite ? "SQLite" : "PostgreSQL");
}

// The test server's URL. Empty with `problem` empty: no server was asked for (skip);
// empty with `problem` set: one was asked for and is missing (fail).
inline QString postgresServerUrl(QString *problem)
{
    problem->clear();
    if (const QString url = qEnvironmentVariable("CLERK_TEST_PG_URL"); !url.isEmpty())
        return url;
    const QString state = qEnvironmentVariable("CLERK_TEST_PG_STATE");
    if (state.isEmpty())
        return {};
    QFile file(state + QStringLiteral("/url"));
    if (!file.open(QIODevice::ReadOnly)) {
        *problem = QStringLiteral("CLERK_TEST_PG_STATE=%1 but %1/url is missing: the store.postgres_start "
                                  "fixture did not start PostgreSQL (see its output)")
                       .arg(state);
        return {};
    }
    return QString::fromUtf8(file.readAll()).trimmed();
}

// A raw connection to a store's database (a file path or a postgresql:// URL),
// bypassing the store.
class RawConnection {
public:
    explicit RawConnection(const QString &location)
        : m_name(QStringLiteral("raw-test-connection-%1").arg(++counter()))
    {
        if (location.startsWith(QLatin1String("postgresql://"))) {
            const QUrl url(location);
            QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QPSQL"), m_name);
            db.setHostName(url.host());
            db.setPort(url.port(5432));
            db.setUserName(url.userName());
            db.setPassword(url.password());
            db.setDatabaseName(url.path().mid(1));
            m_open = db.open();
            m_postgres = true;
            if (m_open)
                exec(QStringLiteral("SET client_min_messages = warning"));
        } else {
            QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), m_name);
            db.setDatabaseName(location);
            db.setConnectOptions(QStringLiteral("QSQLITE_BUSY_TIMEOUT=5000"));
            m_open = db.open();
        }
    }
    ~RawConnection()
    {
        {
            QSqlDatabase db = database();
            db.close();
        }
        QSqlDatabase::removeDatabase(m_name);
    }
    RawConnection(const RawConnection &) = delete;
    RawConnection &operator=(const RawConnection &) = delete;

    bool isOpen() const { return m_open; }
    bool isPostgres() const { return m_postgres; }
    QString lastOpenError() const { return database().lastError().text(); }
    QSqlDatabase database() const { return QSqlDatabase::database(m_name, false); }

    // Runs one statement; on failure returns false and puts the driver's text in `error`.
    bool exec(const QString &sql, QString *error = nullptr) const
    {
        QSqlQuery query(database());
        const bool ok = query.exec(sql);
        if (!ok && error)
            *error = query.lastError().text();
        return ok;
    }
    QVariant scalar(const QString &sql) const
    {
        QSqlQuery query(database());
        if (!query.exec(sql) || !query.next())
            return {};
        return query.value(0);
    }
    bool hasTable(const QString &table) const
    {
        const QString sql = m_postgres
            ? QStringLiteral("SELECT COUNT(*) FROM pg_tables WHERE schemaname = current_schema() AND tablename = '%1'")
            : QStringLiteral("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '%1'");
        return scalar(sql.arg(table)).toInt() == 1;
    }

private:
    static std::atomic<int> &counter()
    {
        static std::atomic<int> value{0};
        return value;
    }
    QString m_name;
    bool m_open = false;
    bool m_postgres = false;
};

// Takes a database at the current schema back to version 13, as a clerk of that version
// left it: version 1's index of item states, no partial one.
inline bool undoVersion14(const RawConnection &raw)
{
    for (const char *sql : {"DROP INDEX work_items_stopped",
                            "CREATE INDEX work_items_lease ON work_items (state, not_before, priority, id)",
                            "DELETE FROM schema_version WHERE version = 14"}) {
        if (!raw.exec(QString::fromLatin1(sql)))
            return false;
    }
    return true;
}

// Takes a database at the current schema back to version 12, as a clerk of that version
// left it (undoing version 14 first): the events table refuses every change, as version 1
// made it.
inline bool undoVersion13(const RawConnection &raw)
{
    if (!undoVersion14(raw))
        return false;
    const QStringList statements = raw.isPostgres()
        ? QStringList{QStringLiteral("DROP TRIGGER events_no_update ON events"),
                      QStringLiteral("DROP TRIGGER events_no_delete ON events"),
                      QStringLiteral("DROP FUNCTION events_reason_erasure()"),
                      QStringLiteral("CREATE TRIGGER events_no_change BEFORE UPDATE OR DELETE ON events"
                                     " FOR EACH ROW EXECUTE FUNCTION events_append_only()")}
        : QStringList{QStringLiteral("DROP TRIGGER events_no_update"),
                      QStringLiteral("CREATE TRIGGER events_no_update BEFORE UPDATE ON events "
                                     "BEGIN SELECT RAISE(ABORT, 'events are append-only'); END")};
    for (const QString &sql : statements + QStringList{QStringLiteral("DELETE FROM schema_version WHERE version = 13")}) {
        if (!raw.exec(sql))
            return false;
    }
    return true;
}

// Takes a database at the current schema back to version 11, as a clerk of that version
// left it (undoing version 13 first): no erased_at on work items.
inline bool undoVersion12(const RawConnection &raw)
{
    if (!undoVersion13(raw))
        return false;
    for (const char *sql : {"DROP INDEX work_items_expiring", "ALTER TABLE work_items DROP COLUMN erased_at",
                            "DELETE FROM schema_version WHERE version = 12"}) {
        if (!raw.exec(QString::fromLatin1(sql)))
            return false;
    }
    return true;
}

// Takes a database at the current schema back to version 10 (undoing version 12 first):
// no reason kinds or categories on exception items.
inline bool undoVersion11(const RawConnection &raw)
{
    if (!undoVersion12(raw))
        return false;
    for (const char *sql : {"DROP INDEX exception_items_created", "ALTER TABLE exception_items DROP COLUMN reason_kind",
                            "ALTER TABLE exception_items DROP COLUMN category",
                            "DELETE FROM schema_version WHERE version = 11"}) {
        if (!raw.exec(QString::fromLatin1(sql)))
            return false;
    }
    return true;
}

// Takes a database at the current schema back to version 9, as a clerk of that version
// left it (undoing version 11 first): no exception priority or urgency, the queue
// indexes of version 5.
inline bool undoVersion10(const RawConnection &raw)
{
    if (!undoVersion11(raw))
        return false;
    for (const char *sql : {"DROP INDEX exception_items_team_order", "DROP INDEX exception_items_order",
                            "ALTER TABLE exception_items DROP COLUMN priority",
                            "ALTER TABLE exception_items DROP COLUMN urgency",
                            "CREATE INDEX exception_items_team_due ON exception_items"
                            " (team, COALESCE(sla_due_at, 9223372036854775807), id) WHERE state IN ('open', 'claimed')",
                            "CREATE INDEX exception_items_due ON exception_items"
                            " (COALESCE(sla_due_at, 9223372036854775807), id) WHERE state IN ('open', 'claimed')",
                            "DELETE FROM schema_version WHERE version = 10"}) {
        if (!raw.exec(QString::fromLatin1(sql)))
            return false;
    }
    return true;
}

// An empty database for one test: a file name in `folder` for SQLite (the store creates
// it), or a database of its own on the PostgreSQL test server, dropped when this object
// goes (after every connection to it is closed).
class TestDatabase {
public:
    TestDatabase() = default;
    TestDatabase(const TestDatabase &) = delete;
    TestDatabase &operator=(const TestDatabase &) = delete;
    ~TestDatabase() { drop(); }

    // Empty on success, else why the database could not be made; `*skip` is set when
    // there is no PostgreSQL server to use and none was asked for.
    QString create(Backend backend, const QString &folder, const QString &name, bool *skip)
    {
        *skip = false;
        if (backend == Backend::Sqlite) {
            m_location = folder + QLatin1Char('/') + name + QStringLiteral(".db");
            return {};
        }
        QString problem;
        const QString server = postgresServerUrl(&problem);
        if (server.isEmpty()) {
            *skip = problem.isEmpty();
            return problem.isEmpty() ? QStringLiteral("no PostgreSQL server: set CLERK_TEST_PG_URL, or run the "
                                                      "suite through ctest, which starts one")
                                     : problem;
        }
        static std::atomic<int> created{0};
        m_database = QStringLiteral("clerk_test_%1_%2_%3").arg(::getpid()).arg(++created).arg(name.toLower());
        m_server = server;
        RawConnection admin(server);
        if (!admin.isOpen())
            return QStringLiteral("cannot connect to the PostgreSQL test server: %1").arg(admin.lastOpenError());
        QString error;
        if (!admin.exec(QStringLiteral("CREATE DATABASE %1").arg(m_database), &error))
            return QStringLiteral("cannot create database %1: %2").arg(m_database, error);
        QUrl url(server);
        url.setPath(QLatin1Char('/') + m_database);
        m_location = url.toString();
        return {};
    }

    const QString &location() const { return m_location; }

    void drop()
    {
        if (m_database.isEmpty())
            return;
        RawConnection admin(m_server);
        admin.exec(QStringLiteral("DROP DATABASE IF EXISTS %1 WITH (FORCE)").arg(m_database));
        m_database.clear();
    }

private:
    QString m_location;
    QString m_server;
    QString m_database;  // PostgreSQL only
};

// Sets up `database` for the test's backend, or skips / fails the test.
#define CLERK_CREATE_TEST_DATABASE(database, backend, folder, name)                         \
    do {                                                                                    \
        bool skip_ = false;                                                                 \
        const QString problem_ = (database).create((backend), (folder), (name), &skip_);    \
        if (skip_)                                                                          \
            GTEST_SKIP() << problem_.toStdString();                                         \
        ASSERT_TRUE(problem_.isEmpty()) << problem_.toStdString();                          \
    } while (false)

// A store on a fresh database of the test's backend, on a manual clock.
class StoreTest : public ::testing::TestWithParam<Backend> {
protected:
    QString location() const { return m_database.location(); }

    std::unique_ptr<WorkStore> open()
    {
        auto opened = openWorkStore(location(), m_clock);
        EXPECT_TRUE(isOk(opened));
        return opened ? std::move(*opened) : nullptr;
    }

    void SetUp() override
    {
        ASSERT_TRUE(m_dir.isValid());
        CLERK_CREATE_TEST_DATABASE(m_database, GetParam(), m_dir.path(), QStringLiteral("clerk"));
        m_store = open();
        ASSERT_NE(m_store, nullptr);
    }

    void TearDown() override { m_store.reset(); }

    qint64 enqueue(const QString &sourceRef, int priority = 0, const QString &bot = QStringLiteral("contact-form"))
    {
        auto queued = m_store->enqueue({.bot = bot,
                                        .botVersion = QStringLiteral("1.0"),
                                        .definitionDigest = QStringLiteral("sha256:abc"),
                                        .sourceRef = sourceRef,
                                        .payload = {{QStringLiteral("file"), sourceRef}},
                                        .priority = priority});
        EXPECT_TRUE(isOk(queued));
        return queued ? queued->id : 0;
    }

    // Leases the next item for `owner` (30 s); 0 when nothing is runnable.
    qint64 lease(const QString &owner, const QStringList &bots = {})
    {
        auto leased = m_store->leaseNext(owner, std::chrono::seconds(30), bots);
        EXPECT_TRUE(isOk(leased));
        return leased && leased->has_value() ? (*leased)->id : 0;
    }

    QStringList eventKinds(qint64 itemId)
    {
        QStringList kinds;
        auto found = m_store->events(itemId);
        EXPECT_TRUE(isOk(found));
        if (found) {
            for (const Event &event : *found)
                kinds.append(event.kind);
        }
        return kinds;
    }

    QTemporaryDir m_dir;
    TestDatabase m_database;  // declared after m_dir and before m_store: dropped after the store closes
    ManualClock m_clock{startTime()};
    std::unique_ptr<WorkStore> m_store;
};

#define CLERK_INSTANTIATE_FOR_BACKENDS(suite)                                                                 \
    INSTANTIATE_TEST_SUITE_P(Backends, suite,                                                                 \
                             ::testing::Values(::clerk::store::testing::Backend::Sqlite,                      \
                                               ::clerk::store::testing::Backend::Postgres),                   \
                             ::clerk::store::testing::backendName)

// Runs only test `testName` of this binary in a child process with `environment` added.
// When `asNobody`, the child drops to uid/gid 65534 before it starts.
// Returns the exit code, or -1 when the child could not be started or crashed;
// 77 means it could not drop privileges. `output` receives its stdout and stderr.
inline int runThisTestInChild(const QString &testName, const QProcessEnvironment &environment, bool asNobody,
                              QString *output = nullptr)
{
    QProcess child;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(environment);
    child.setProcessEnvironment(env);
    child.setProcessChannelMode(QProcess::MergedChannels);
    if (asNobody) {
        child.setChildProcessModifier([] {
            const gid_t nogroup = 65534;
            if (::setgroups(1, &nogroup) != 0 || ::setgid(nogroup) != 0 || ::setuid(65534) != 0)
                ::_exit(77);
        });
    }
    child.start(QCoreApplication::applicationFilePath(), {QStringLiteral("--gtest_filter=") + testName});
    if (!child.waitForStarted(10000))
        return -1;
    child.waitForFinished(110000);
    if (output)
        *output = QString::fromLocal8Bit(child.readAll());
    if (child.exitStatus() != QProcess::NormalExit)
        return -1;
    return child.exitCode();
}

} // namespace clerk::store::testing
