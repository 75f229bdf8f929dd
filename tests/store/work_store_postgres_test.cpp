// The PostgreSQL backend's own cases: locations taken apart (table-driven, no server),
// where the password may come from, and the errors a person sees for a bad URL, a wrong
// password, a missing database and a server that is down, none holding the password.
// Everything else the backend does is covered by the suites parameterised over backends.
#include "store/postgres_location_p.h"
#include "store/work_store.h"

#include "store_test_support.h"

#include <QFile>
#include <QUrl>

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>

using namespace std::chrono_literals;

namespace clerk::store {
namespace {

using testing::Backend;
using testing::failsWith;
using testing::isOk;

// --- locations ---------------------------------------------------------------------------------

struct LocationCase {
    const char *url;
    const char *host;
    int port;
    const char *user;
    const char *password;  // nullptr: none in the URL
    const char *database;
    const char *redacted;
    const char *option;    // one expected conninfo pair, or nullptr
};

TEST(PostgresLocationTest, ParsesWellFormedLocations)
{
    const LocationCase cases[] = {
        {"postgresql://clerk:s3cret@db.example:6543/clerk", "db.example", 6543, "clerk", "s3cret", "clerk",
         "postgresql://clerk@db.example:6543/clerk", "connect_timeout=10"},
        {"postgres://clerk@10.0.0.5/work", "10.0.0.5", 5432, "clerk", nullptr, "work",
         "postgresql://clerk@10.0.0.5:5432/work", "application_name=clerk"},
        {"postgresql://us%40er:p%2Fss%3Aw%40rd@db/clerk", "db", 5432, "us@er", "p/ss:w@rd", "clerk",
         "postgresql://us@er@db:5432/clerk", nullptr},
        {"postgresql://clerk@db/clerk?sslmode=verify-full&connect_timeout=3", "db", 5432, "clerk", nullptr, "clerk",
         "postgresql://clerk@db:5432/clerk", "sslmode='verify-full'"},
        {"postgresql://clerk@db/clerk?passfile=/etc/clerk/pgpass", "db", 5432, "clerk", nullptr, "clerk",
         "postgresql://clerk@db:5432/clerk", "passfile='/etc/clerk/pgpass'"},
        {"postgresql://clerk@[::1]:5433/clerk", "::1", 5433, "clerk", nullptr, "clerk",
         "postgresql://clerk@[::1]:5433/clerk", nullptr},
    };
    for (const LocationCase &c : cases) {
        SCOPED_TRACE(c.url);
        auto parsed = parsePostgresLocation(QString::fromUtf8(c.url));
        ASSERT_TRUE(isOk(parsed));
        EXPECT_EQ(parsed->host, QLatin1String(c.host));
        EXPECT_EQ(parsed->port, c.port);
        EXPECT_EQ(parsed->user, QLatin1String(c.user));
        EXPECT_EQ(parsed->password.has_value(), c.password != nullptr);
        if (c.password) {
            EXPECT_EQ(parsed->password.value_or(QString()), QLatin1String(c.password));
        }
        EXPECT_EQ(parsed->database, QLatin1String(c.database));
        EXPECT_EQ(parsed->redacted, QLatin1String(c.redacted));
        if (c.option) {
            EXPECT_TRUE(parsed->connectOptions.contains(QLatin1String(c.option)))
                << parsed->connectOptions.join(QLatin1Char(' ')).toStdString();
        }
    }
}

TEST(PostgresLocationTest, RefusesMalformedLocationsWithoutRepeatingThePassword)
{
    const char *const cases[] = {
        "postgresql://clerk:hunter2@/clerk",                  // no host
        "postgresql://:hunter2@db/clerk",                     // no user
        "postgresql://clerk:hunter2@db",                      // no database
        "postgresql://clerk:hunter2@db/",                     // no database
        "postgresql://clerk:hunter2@db/a/b",                  // not a database name
        "postgresql://clerk:hunter2@db:99999/clerk",          // bad port
        "postgresql://clerk:hunter2@db/clerk?sslmod=require", // unknown parameter
        "postgresql://clerk:hunter2@db/clerk?connect_timeout=soon",
        "postgresql://clerk:hunter2@db/clerk#frag",
    };
    for (const char *url : cases) {
        SCOPED_TRACE(url);
        auto parsed = parsePostgresLocation(QString::fromUtf8(url));
        ASSERT_TRUE(failsWith(parsed, ErrorCode::InvalidArgument));
        EXPECT_FALSE(parsed.error().toString().contains(QLatin1String("hunter2"))) << testing::text(parsed.error());
        auto opened = openWorkStore(QString::fromUtf8(url));
        ASSERT_TRUE(failsWith(opened, ErrorCode::InvalidArgument));
    }
}

TEST(PostgresLocationTest, ReadsAPasswordReferenceInPlaceOfThePassword)
{
    QTemporaryDir dir;
    ASSERT_TRUE(dir.isValid());
    const QString secret = dir.filePath(QStringLiteral("pg-password"));
    QFile file(secret);
    ASSERT_TRUE(file.open(QIODevice::WriteOnly));
    file.write("from/the:file@\n");
    file.close();

    auto fromFile = parsePostgresLocation(QStringLiteral("postgresql://clerk:${file:%1}@db:5433/clerk").arg(secret));
    ASSERT_TRUE(isOk(fromFile));
    EXPECT_EQ(fromFile->password.value_or(QString()), QStringLiteral("from/the:file@"));
    EXPECT_EQ(fromFile->redacted, QStringLiteral("postgresql://clerk@db:5433/clerk"));

    qputenv("CLERK_TEST_PG_SECRET", "from-env");
    auto fromEnv = parsePostgresLocation(QStringLiteral("postgresql://clerk:${env:CLERK_TEST_PG_SECRET}@db/clerk"));
    qunsetenv("CLERK_TEST_PG_SECRET");
    ASSERT_TRUE(isOk(fromEnv));
    EXPECT_EQ(fromEnv->password.value_or(QString()), QStringLiteral("from-env"));

    EXPECT_TRUE(failsWith(parsePostgresLocation(QStringLiteral("postgresql://clerk:${file:%1/missing}@db/clerk")
                                                    .arg(dir.path())),
                          ErrorCode::NotFound));
    EXPECT_TRUE(failsWith(parsePostgresLocation(QStringLiteral("postgresql://clerk:${env:CLERK_TEST_PG_UNSET}@db/clerk")),
                          ErrorCode::NotFound));
}

TEST(PostgresLocationTest, RedactedLocationsHoldNoPassword)
{
    const std::pair<const char *, const char *> cases[] = {
        {"postgresql://clerk:s3cret@db:5432/clerk", "postgresql://clerk@db:5432/clerk"},
        {"postgres://clerk:p@ss:w/rd@db/clerk?sslmode=require", "postgres://clerk@db/clerk?sslmode=require"},
        {"postgresql://clerk:${file:/run/secrets/pg}@db/clerk", "postgresql://clerk@db/clerk"},
        {"postgresql://clerk@db/clerk?passfile=/etc/clerk/pgpass", "postgresql://clerk@db/clerk?passfile=/etc/clerk/pgpass"},
        {"/var/lib/clerk/clerk.db", "/var/lib/clerk/clerk.db"},
        {"sqlite:/var/lib/clerk/clerk.db", "sqlite:/var/lib/clerk/clerk.db"},
    };
    for (const auto &[location, shown] : cases)
        EXPECT_EQ(redactLocation(QString::fromUtf8(location)), QLatin1String(shown)) << location;
}

// A TCP port on 127.0.0.1 that nothing listens on (bound, then closed again).
int closedPort()
{
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0;
    socklen_t size = sizeof address;
    int port = 0;
    if (::bind(fd, reinterpret_cast<sockaddr *>(&address), sizeof address) == 0
        && ::getsockname(fd, reinterpret_cast<sockaddr *>(&address), &size) == 0)
        port = ntohs(address.sin_port);
    ::close(fd);
    return port;
}

TEST(PostgresLocationTest, AServerThatIsDownIsUnavailable)
{
    const int port = closedPort();
    ASSERT_GT(port, 0);
    const QString url = QStringLiteral("postgresql://clerk:hunter2@127.0.0.1:%1/clerk").arg(port);
    auto opened = openWorkStore(url);
    ASSERT_TRUE(failsWith(opened, ErrorCode::Unavailable));
    const QString message = opened.error().toString();
    EXPECT_TRUE(message.contains(QStringLiteral("postgresql://clerk@127.0.0.1:%1/clerk").arg(port))) << message.toStdString();
    EXPECT_TRUE(message.contains(QStringLiteral("refused"))) << message.toStdString();
    EXPECT_FALSE(message.contains(QLatin1String("hunter2"))) << message.toStdString();
}

// --- against the test server --------------------------------------------------------------------

class PostgresStoreTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        ASSERT_TRUE(m_dir.isValid());
        CLERK_CREATE_TEST_DATABASE(m_database, Backend::Postgres, m_dir.path(), QStringLiteral("pg"));
        m_url = QUrl(m_database.location());
    }
    // The test database's URL with `password` (empty: none) and `query`.
    QString urlWith(const QString &password, const QString &query = {}) const
    {
        QUrl url = m_url;
        url.setPassword(password.isEmpty() ? QString() : password);
        url.setQuery(query);
        return url.toString();
    }

    QTemporaryDir m_dir;
    testing::TestDatabase m_database;
    QUrl m_url;
};

TEST_F(PostgresStoreTest, AWrongPasswordIsPermissionDeniedAndNeverShown)
{
    auto opened = openWorkStore(urlWith(QStringLiteral("Wr0ngPassw0rd")));
    ASSERT_TRUE(failsWith(opened, ErrorCode::PermissionDenied));
    const QString message = opened.error().toString();
    EXPECT_TRUE(message.contains(QStringLiteral("refused the sign-in"))) << message.toStdString();
    EXPECT_TRUE(message.contains(QStringLiteral("postgresql://%1@127.0.0.1:%2/").arg(m_url.userName()).arg(m_url.port())))
        << message.toStdString();
    EXPECT_FALSE(message.contains(QLatin1String("Wr0ngPassw0rd"))) << message.toStdString();
    EXPECT_FALSE(message.contains(m_url.password())) << message.toStdString();
}

TEST_F(PostgresStoreTest, AMissingDatabaseIsNotFound)
{
    QUrl url(urlWith(m_url.password()));
    url.setPath(QStringLiteral("/clerk_no_such_database"));
    auto opened = openWorkStore(url.toString());
    ASSERT_TRUE(failsWith(opened, ErrorCode::NotFound));
    EXPECT_TRUE(opened.error().toString().contains(QStringLiteral("clerk_no_such_database")));
    EXPECT_FALSE(opened.error().toString().contains(m_url.password()));
}

TEST_F(PostgresStoreTest, ThePasswordMayComeFromPgpasswordAFileOrAPassfile)
{
    const QString password = m_url.password();
    ASSERT_FALSE(password.isEmpty());

    // Without any password the server refuses: the cases below are not passing by luck.
    ASSERT_TRUE(failsWith(openWorkStore(urlWith(QString())), ErrorCode::PermissionDenied));

    qputenv("PGPASSWORD", password.toUtf8());
    auto fromEnvironment = openWorkStore(urlWith(QString()));
    qunsetenv("PGPASSWORD");
    EXPECT_TRUE(isOk(fromEnvironment));

    const QString secret = m_dir.filePath(QStringLiteral("secret"));
    QFile file(secret);
    ASSERT_TRUE(file.open(QIODevice::WriteOnly));
    file.write(password.toUtf8() + "\n");
    file.close();
    QString withReference = urlWith(QString());
    withReference.replace(QStringLiteral("postgresql://%1@").arg(m_url.userName()),
                          QStringLiteral("postgresql://%1:${file:%2}@").arg(m_url.userName(), secret));
    EXPECT_TRUE(isOk(openWorkStore(withReference)));

    // libpq's passfile: host:port:database:user:password, readable by its owner only.
    const QString passfile = m_dir.filePath(QStringLiteral("pgpass"));
    QFile pass(passfile);
    ASSERT_TRUE(pass.open(QIODevice::WriteOnly));
    pass.write(QStringLiteral("%1:%2:*:%3:%4\n").arg(m_url.host()).arg(m_url.port()).arg(m_url.userName(), password).toUtf8());
    pass.close();
    ASSERT_EQ(::chmod(QFile::encodeName(passfile).constData(), 0600), 0);
    EXPECT_TRUE(isOk(openWorkStore(urlWith(QString(), QStringLiteral("passfile=") + passfile))));
}

TEST_F(PostgresStoreTest, AStoreSurvivesOtherConnectionsHoldingRowLocks)
{
    // A worker holding a row lock (a long transaction elsewhere) must not stop another
    // worker from leasing a different item: SKIP LOCKED passes over it.
    auto opened = openWorkStore(m_database.location());
    ASSERT_TRUE(isOk(opened));
    WorkStore &store = **opened;
    auto first = store.enqueue({.bot = QStringLiteral("b"), .sourceRef = QStringLiteral("one"), .priority = 5});
    auto second = store.enqueue({.bot = QStringLiteral("b"), .sourceRef = QStringLiteral("two")});
    ASSERT_TRUE(isOk(first));
    ASSERT_TRUE(isOk(second));

    testing::RawConnection other(m_database.location());
    ASSERT_TRUE(other.isOpen());
    ASSERT_TRUE(other.exec(QStringLiteral("BEGIN")));
    ASSERT_TRUE(other.exec(QStringLiteral("SELECT id FROM work_items WHERE id = %1 FOR UPDATE").arg(first->id)));
    auto leased = store.leaseNext(QStringLiteral("w"), 30s);
    ASSERT_TRUE(isOk(leased));
    ASSERT_TRUE(leased->has_value());
    EXPECT_EQ((*leased)->id, second->id);  // the higher-priority item is locked: skipped, not waited for
    ASSERT_TRUE(other.exec(QStringLiteral("ROLLBACK")));

    auto next = store.leaseNext(QStringLiteral("w"), 30s);
    ASSERT_TRUE(isOk(next));
    ASSERT_TRUE(next->has_value());
    EXPECT_EQ((*next)->id, first->id);
}

TEST_F(PostgresStoreTest, AStoreConnectsAgainAfterItsSessionIsKilled)
{
    auto opened = openWorkStore(m_database.location());
    ASSERT_TRUE(isOk(opened));
    WorkStore &store = **opened;
    auto first = store.enqueue({.bot = QStringLiteral("b"), .sourceRef = QStringLiteral("one")});
    ASSERT_TRUE(isOk(first));

    // What a server restart or a cut network connection does to the store's session.
    const auto killStoreSessions = [this] {
        testing::RawConnection admin(m_database.location());
        ASSERT_TRUE(admin.isOpen());
        EXPECT_GE(admin.scalar(QStringLiteral("SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity"
                                              " WHERE datname = current_database() AND pid <> pg_backend_pid()"))
                      .toInt(),
                  1);
    };
    killStoreSessions();
    auto read = store.item(first->id);  // a read outside a transaction
    ASSERT_TRUE(isOk(read));
    EXPECT_EQ(read->sourceRef, QStringLiteral("one"));

    killStoreSessions();
    auto second = store.enqueue({.bot = QStringLiteral("b"), .sourceRef = QStringLiteral("two")});  // BEGIN first
    ASSERT_TRUE(isOk(second));
    auto leased = store.leaseNext(QStringLiteral("w"), 30s);
    ASSERT_TRUE(isOk(leased));
    ASSERT_TRUE(leased->has_value());
    EXPECT_EQ((*leased)->id, first->id);
}

} // namespace
} // namespace clerk::store
