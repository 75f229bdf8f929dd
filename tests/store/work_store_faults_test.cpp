// Faults met when opening a store: files that are not databases, read-only files and
// folders, and a database another process holds locked. None may crash; each names the
// file in a message a person can act on.
//
// Read-only cases and root: the tests often run as root, for whom chmod does not stop
// writes (root really can write a 0444 file, so the store correctly opens it). Rather
// than pretending, the test re-runs itself as the unprivileged user `nobody` in a child
// process, where the permissions are real, and is skipped only when dropping privileges
// is impossible.
#include "store/work_store.h"

#include "store_test_support.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QRandomGenerator>

#include <sys/stat.h>

using namespace std::chrono_literals;

namespace clerk::store {
namespace {

using testing::failsWith;
using testing::isOk;
using testing::RawConnection;

const char *const kChildDatabase = "CLERK_STORE_TEST_DATABASE";

QString currentTestName()
{
    const ::testing::TestInfo *info = ::testing::UnitTest::GetInstance()->current_test_info();
    return QStringLiteral("%1.%2").arg(QLatin1String(info->test_suite_name()), QLatin1String(info->name()));
}

void createStore(const QString &path)
{
    ManualClock clock(testing::startTime());
    auto store = openWorkStore(path, clock);
    ASSERT_TRUE(isOk(store));
    ASSERT_TRUE(isOk((*store)->enqueue({.bot = QStringLiteral("b"), .sourceRef = QStringLiteral("r")})));
}

// Opening `path` must fail with PermissionDenied saying the database is read-only.
void expectReadOnly(const QString &path)
{
    ManualClock clock(testing::startTime());
    auto opened = openWorkStore(path, clock);
    ASSERT_TRUE(failsWith(opened, ErrorCode::PermissionDenied));
    EXPECT_TRUE(opened.error().message().contains(QStringLiteral("database %1 is read-only").arg(path)))
        << testing::text(opened.error());
}

// Expects each of `paths` (one a line) to open as read-only: directly when not root,
// else by running the current test again as `nobody` with kChildDatabase=paths. The
// folders on the way must be searchable by nobody.
void checkReadOnlyAsUnprivilegedUser(const QString &paths)
{
    if (::geteuid() != 0) {
        for (const QString &path : paths.split(QLatin1Char('\n')))
            expectReadOnly(path);
        return;
    }
    QProcessEnvironment env;
    env.insert(QLatin1String(kChildDatabase), paths);
    QString output;
    const int code = testing::runThisTestInChild(currentTestName(), env, true, &output);
    if (code == 77)
        GTEST_SKIP() << "running as root and cannot drop privileges to nobody, so chmod cannot make a file read-only";
    EXPECT_EQ(code, 0) << output.toStdString();
    EXPECT_TRUE(output.contains(QStringLiteral("[  PASSED  ] 1 test"))) << output.toStdString();
}

TEST(WorkStoreFaultTest, FileThatIsNotADatabaseIsCorrupt)
{
    QTemporaryDir dir;
    ASSERT_TRUE(dir.isValid());
    const QString text = dir.filePath(QStringLiteral("notes.db"));
    const QString noise = dir.filePath(QStringLiteral("noise.db"));
    {
        QFile file(text);
        ASSERT_TRUE(file.open(QIODevice::WriteOnly));
        file.write(QByteArray("Dear council,\nthis is a letter, not a database.\n").repeated(200));
        QFile random(noise);
        ASSERT_TRUE(random.open(QIODevice::WriteOnly));
        QByteArray bytes(64 * 1024, '\0');
        QRandomGenerator generator(42);
        for (char &byte : bytes)
            byte = char(generator.bounded(256));
        random.write(bytes);
    }
    ManualClock clock(testing::startTime());
    for (const QString &path : {text, noise}) {
        auto opened = openWorkStore(path, clock);
        ASSERT_TRUE(failsWith(opened, ErrorCode::Corrupt)) << path.toStdString();
        EXPECT_EQ(opened.error().message(), QStringLiteral("%1 is not a clerk database (or is damaged)").arg(path));
    }
}

TEST(WorkStoreFaultTest, DatabaseLockedByAnotherProcessIsUnavailable)
{
    QTemporaryDir dir;
    ASSERT_TRUE(dir.isValid());
    const QString path = dir.filePath(QStringLiteral("clerk.db"));
    ManualClock clock(testing::startTime());
    auto early = openWorkStore(path, clock, {.busyTimeout = 100ms});
    ASSERT_TRUE(isOk(early));

    RawConnection holder(path);
    ASSERT_TRUE(holder.exec(QStringLiteral("BEGIN EXCLUSIVE")));
    ASSERT_TRUE(holder.exec(QStringLiteral("INSERT INTO events (at, kind) VALUES (0, 'holding')")));

    auto opened = openWorkStore(path, clock, {.busyTimeout = 200ms});
    ASSERT_TRUE(failsWith(opened, ErrorCode::Unavailable));
    EXPECT_EQ(opened.error().message(), QStringLiteral("database %1 is locked by another process").arg(path));

    // A store opened before the lock waits, then reports the same, and leaves no
    // half-done transaction behind.
    auto queued = (*early)->enqueue({.bot = QStringLiteral("b"), .sourceRef = QStringLiteral("r")});
    ASSERT_TRUE(failsWith(queued, ErrorCode::Unavailable));
    ASSERT_TRUE(holder.exec(QStringLiteral("ROLLBACK")));
    auto retried = (*early)->enqueue({.bot = QStringLiteral("b"), .sourceRef = QStringLiteral("r")});
    ASSERT_TRUE(isOk(retried));
    EXPECT_TRUE(retried->created);
    EXPECT_TRUE(isOk(openWorkStore(path, clock, {.busyTimeout = 200ms})));
}

TEST(WorkStoreFaultTest, ReadOnlyDatabaseFileIsPermissionDenied)
{
    if (const QByteArray child = qgetenv(kChildDatabase); !child.isEmpty()) {
        expectReadOnly(QString::fromLocal8Bit(child));
        return;
    }
    QTemporaryDir dir;
    ASSERT_TRUE(dir.isValid());
    const QString path = dir.filePath(QStringLiteral("clerk.db"));
    createStore(path);
    ASSERT_EQ(::chmod(QFile::encodeName(path).constData(), 0444), 0);
    ASSERT_EQ(::chmod(QFile::encodeName(dir.path()).constData(), 0755), 0);
    checkReadOnlyAsUnprivilegedUser(path);
}

// Both a new database and an existing one the user may write: SQLite cannot create the
// write-ahead log beside it.
TEST(WorkStoreFaultTest, DatabaseInReadOnlyFolderIsPermissionDenied)
{
    if (const QByteArray child = qgetenv(kChildDatabase); !child.isEmpty()) {
        for (const QString &path : QString::fromLocal8Bit(child).split(QLatin1Char('\n')))
            expectReadOnly(path);
        return;
    }
    QTemporaryDir dir;
    ASSERT_TRUE(dir.isValid());
    const QString folder = dir.filePath(QStringLiteral("locked-folder"));
    ASSERT_TRUE(QDir().mkpath(folder));
    const QString existing = folder + QStringLiteral("/existing.db");
    createStore(existing);
    if (::geteuid() == 0) {
        ASSERT_EQ(::chown(QFile::encodeName(existing).constData(), 65534, 65534), 0);
    }
    ASSERT_EQ(::chmod(QFile::encodeName(dir.path()).constData(), 0755), 0);
    ASSERT_EQ(::chmod(QFile::encodeName(folder).constData(), 0555), 0);
    checkReadOnlyAsUnprivilegedUser(folder + QStringLiteral("/clerk.db\n") + existing);
    ::chmod(QFile::encodeName(folder).constData(), 0755);
}

TEST(WorkStoreFaultTest, FolderThatCannotBeCreatedIsPermissionDenied)
{
    QTemporaryDir dir;
    ASSERT_TRUE(dir.isValid());
    // A regular file where a folder should be stops even root.
    const QString blocker = dir.filePath(QStringLiteral("not-a-folder"));
    {
        QFile file(blocker);
        ASSERT_TRUE(file.open(QIODevice::WriteOnly));
    }
    ManualClock clock(testing::startTime());
    auto opened = openWorkStore(blocker + QStringLiteral("/queue/clerk.db"), clock);
    ASSERT_TRUE(failsWith(opened, ErrorCode::PermissionDenied));
    EXPECT_TRUE(opened.error().message().contains(blocker + QStringLiteral("/queue"))) << testing::text(opened.error());
}

} // namespace
} // namespace clerk::store
