// Helpers shared by the store tests: a temporary database with a manual clock, a raw Qt
// SQL connection for looking behind the store's back, and re-running this test binary
// as another process (or as an unprivileged user when the tests run as root).
#pragma once

#include "core/clock.h"
#include "core/error.h"
#include "store/work_store.h"

#include <QCoreApplication>
#include <QProcess>
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

// A raw connection to a store's file, bypassing the store.
class RawConnection {
public:
    explicit RawConnection(const QString &path)
        : m_name(QStringLiteral("raw-test-connection-%1").arg(++counter()))
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), m_name);
        db.setDatabaseName(path);
        db.setConnectOptions(QStringLiteral("QSQLITE_BUSY_TIMEOUT=5000"));
        m_open = db.open();
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

private:
    static std::atomic<int> &counter()
    {
        static std::atomic<int> value{0};
        return value;
    }
    QString m_name;
    bool m_open = false;
};

// A store on a fresh file in a temporary folder, on a manual clock.
class StoreTest : public ::testing::Test {
protected:
    QString path() const { return m_dir.filePath(QStringLiteral("clerk.db")); }

    std::unique_ptr<WorkStore> open()
    {
        auto opened = openWorkStore(path(), m_clock);
        EXPECT_TRUE(isOk(opened));
        return opened ? std::move(*opened) : nullptr;
    }

    void SetUp() override
    {
        ASSERT_TRUE(m_dir.isValid());
        m_store = open();
        ASSERT_NE(m_store, nullptr);
    }

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
    ManualClock m_clock{startTime()};
    std::unique_ptr<WorkStore> m_store;
};

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
