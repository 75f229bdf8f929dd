// clerk db status|migrate, clerk backup and clerk restore end to end: the real binary on
// real SQLite files, taken back to an older schema or marked with a newer one by hand,
// and backed up while another clerk process writes to them.
#include "cli_support_test.h"

#include "store/migrations_p.h"
#include "store_test_support.h"

#include <QDir>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QThread>

#include <algorithm>

using namespace clerk::testing;
using clerk::store::testing::RawConnection;

namespace {

QJsonObject jsonObject(const QString &text)
{
    return QJsonDocument::fromJson(text.toUtf8()).object();
}

int latest()
{
    return clerk::store::latestSchemaVersion();
}

// A folder with a bot every input goes straight through, and a work database clerk makes.
class DbCliTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        ASSERT_TRUE(m_dir.isValid());
        ASSERT_TRUE(QFile::copy(QStringLiteral(CLERK_TEST_DATA_DIR "/bots/valid/intake.yaml"), path(QStringLiteral("bot.yaml"))));
    }

    QString path(const QString &name) const { return m_dir.filePath(name); }
    QString db() const { return path(QStringLiteral("work.db")); }

    ClerkRun clerk(QStringList arguments, const QString &database = {})
    {
        arguments << QStringLiteral("--db") << (database.isEmpty() ? db() : database);
        return runClerk(arguments, m_dir.path());
    }

    // Forms F<first>..F<last> as a CSV file; returns its name.
    QString writeForms(int first, int last)
    {
        QByteArray csv = "form_id,name\n";
        for (int i = first; i <= last; ++i)
            csv += QStringLiteral("F%1,Person %1\n").arg(i).toUtf8();
        const QString name = QStringLiteral("forms-%1-%2.csv").arg(first).arg(last);
        writeFile(path(name), csv);
        return name;
    }

    // Runs forms first..last through the bot into `database` (default: work.db).
    void runForms(int first, int last, const QString &database = {})
    {
        const ClerkRun run = clerk({QStringLiteral("run"), QStringLiteral("bot.yaml"), QStringLiteral("--input"),
                                    writeForms(first, last)},
                                   database);
        ASSERT_EQ(run.exitCode, 0) << run.err.toStdString();
    }

    // Items done in `database`, as `clerk status` reads them; -1 when it cannot.
    int doneItems(const QString &database)
    {
        const ClerkRun status = clerk({QStringLiteral("status"), QStringLiteral("--json")}, database);
        EXPECT_EQ(status.exitCode, 0) << status.err.toStdString();
        if (status.exitCode != 0)
            return -1;
        const QJsonArray bots = jsonObject(status.out).value(QStringLiteral("bots")).toArray();
        return bots.isEmpty() ? 0 : bots.first().toObject().value(QStringLiteral("done")).toInt();
    }

    QJsonObject dbStatus(int expectedExit, const QString &database = {})
    {
        const ClerkRun status = clerk({QStringLiteral("db"), QStringLiteral("status"), QStringLiteral("--json")}, database);
        EXPECT_EQ(status.exitCode, expectedExit) << status.err.toStdString();
        return jsonObject(status.out);
    }

    // Files in the folder whose names start with a dot: a temporary copy left behind.
    QStringList leftovers() const
    {
        return QDir(m_dir.path()).entryList({QStringLiteral(".*")}, QDir::Files | QDir::Hidden);
    }

    QTemporaryDir m_dir;
};

TEST(DbCliHelpTest, TheCommandsAreListedAndExplainThemselves)
{
    const ClerkRun help = runClerk({QStringLiteral("--help")});
    for (const char *line : {"db status|migrate", "backup --to FILE", "restore --from FILE"})
        EXPECT_TRUE(help.out.contains(QLatin1String(line))) << line;
    for (const char *command : {"db", "backup", "restore"}) {
        const ClerkRun sub = runClerk({QLatin1String(command), QStringLiteral("--help")});
        EXPECT_EQ(sub.exitCode, 0) << command;
        EXPECT_TRUE(sub.out.startsWith(QStringLiteral("Usage: clerk %1").arg(QLatin1String(command)))) << sub.out.toStdString();
        EXPECT_TRUE(sub.out.contains(QStringLiteral("--db"))) << command;
    }
    const ClerkRun wrong = runClerk({QStringLiteral("db"), QStringLiteral("upgrade")});
    EXPECT_EQ(wrong.exitCode, 1);
    EXPECT_TRUE(wrong.err.contains(QStringLiteral("say status or migrate"))) << wrong.err.toStdString();
}

TEST_F(DbCliTest, StatusOfANewDatabaseIsUpToDate)
{
    runForms(1, 3);
    const QJsonObject status = dbStatus(0);
    EXPECT_EQ(status.value(QStringLiteral("state")).toString(), QStringLiteral("up_to_date"));
    EXPECT_EQ(status.value(QStringLiteral("version")).toInt(), latest());
    EXPECT_EQ(status.value(QStringLiteral("clerk_version")).toInt(), latest());
    EXPECT_TRUE(status.value(QStringLiteral("pending")).toArray().isEmpty());

    const ClerkRun text = clerk({QStringLiteral("db"), QStringLiteral("status")});
    EXPECT_EQ(text.exitCode, 0);
    EXPECT_TRUE(text.out.contains(QStringLiteral("Up to date"))) << text.out.toStdString();
}

TEST_F(DbCliTest, StatusOfAMissingDatabaseSaysSoAndCreatesNothing)
{
    const ClerkRun status = clerk({QStringLiteral("db"), QStringLiteral("status")});
    EXPECT_EQ(status.exitCode, 1);
    EXPECT_TRUE(status.err.contains(QStringLiteral("there is no database at"))) << status.err.toStdString();
    const ClerkRun dryRun = clerk({QStringLiteral("db"), QStringLiteral("migrate"), QStringLiteral("--dry-run")});
    EXPECT_EQ(dryRun.exitCode, 0) << dryRun.err.toStdString();
    EXPECT_TRUE(dryRun.out.contains(QStringLiteral("Would create the database"))) << dryRun.out.toStdString();
    EXPECT_FALSE(QFileInfo::exists(db()));
}

TEST_F(DbCliTest, AnOlderDatabaseShowsItsMigrationsUnchangedThenMigrates)
{
    runForms(1, 3);
    {
        RawConnection raw(db());
        ASSERT_TRUE(raw.isOpen());
        ASSERT_TRUE(clerk::store::testing::undoVersion10(raw));
    }
    const QByteArray before = readFile(db());

    const QJsonObject status = dbStatus(0);
    EXPECT_EQ(status.value(QStringLiteral("state")).toString(), QStringLiteral("migrations_pending"));
    EXPECT_EQ(status.value(QStringLiteral("version")).toInt(), 9);
    const QJsonArray pending = status.value(QStringLiteral("pending")).toArray();
    ASSERT_EQ(pending.size(), latest() - 9);
    EXPECT_EQ(pending.first().toObject().value(QStringLiteral("version")).toInt(), 10);
    EXPECT_EQ(pending.first().toObject().value(QStringLiteral("description")).toString(),
              QStringLiteral("urgent exception items first"));
    const ClerkRun text = clerk({QStringLiteral("db"), QStringLiteral("status")});
    EXPECT_TRUE(text.out.contains(QStringLiteral("Schema version:       9"))) << text.out.toStdString();
    EXPECT_TRUE(text.out.contains(QStringLiteral("10  urgent exception items first"))) << text.out.toStdString();

    const ClerkRun dryRun = clerk({QStringLiteral("db"), QStringLiteral("migrate"), QStringLiteral("--dry-run")});
    EXPECT_EQ(dryRun.exitCode, 0) << dryRun.err.toStdString();
    EXPECT_TRUE(dryRun.out.contains(QStringLiteral("from schema version 9"))) << dryRun.out.toStdString();
    EXPECT_TRUE(dryRun.out.contains(QStringLiteral("Nothing was changed"))) << dryRun.out.toStdString();
    EXPECT_TRUE(readFile(db()) == before) << "db status or migrate --dry-run changed the file";

    const ClerkRun migrate = clerk({QStringLiteral("db"), QStringLiteral("migrate")});
    EXPECT_EQ(migrate.exitCode, 0) << migrate.err.toStdString();
    EXPECT_TRUE(migrate.out.contains(QStringLiteral("migrated to schema version 10: urgent exception items first")))
        << migrate.out.toStdString();
    EXPECT_FALSE(migrate.out.contains(QStringLiteral("schema version 9:"))) << migrate.out.toStdString();
    const QJsonObject after = dbStatus(0);
    EXPECT_EQ(after.value(QStringLiteral("state")).toString(), QStringLiteral("up_to_date"));
    EXPECT_EQ(after.value(QStringLiteral("version")).toInt(), latest());
    RawConnection raw(db());
    EXPECT_TRUE(raw.exec(QStringLiteral("SELECT priority, urgency FROM exception_items")));
    EXPECT_EQ(doneItems(db()), 3);
}

TEST_F(DbCliTest, ADatabaseNewerThanClerkIsRefusedAndLeftAsItWas)
{
    runForms(1, 3);
    {
        RawConnection raw(db());
        ASSERT_TRUE(raw.exec(QStringLiteral("INSERT INTO schema_version (version, applied_at) VALUES (99, 0)")));
    }
    const QByteArray before = readFile(db());

    const ClerkRun status = clerk({QStringLiteral("db"), QStringLiteral("status")});
    EXPECT_EQ(status.exitCode, 1);
    EXPECT_TRUE(status.err.contains(QStringLiteral("schema version 99, newer than this clerk (%1)").arg(latest())))
        << status.err.toStdString();
    EXPECT_TRUE(status.err.contains(QStringLiteral("Upgrade clerk"))) << status.err.toStdString();
    EXPECT_EQ(dbStatus(1).value(QStringLiteral("state")).toString(), QStringLiteral("newer_than_clerk"));
    for (const QStringList &migrate : {QStringList{QStringLiteral("db"), QStringLiteral("migrate")},
                                       QStringList{QStringLiteral("db"), QStringLiteral("migrate"), QStringLiteral("--dry-run")}}) {
        const ClerkRun refused = clerk(migrate);
        EXPECT_EQ(refused.exitCode, 1) << migrate.join(QLatin1Char(' ')).toStdString();
        EXPECT_TRUE(refused.err.contains(QStringLiteral("Upgrade clerk"))) << refused.err.toStdString();
    }
    EXPECT_TRUE(readFile(db()) == before) << "a database newer than clerk was changed";
    RawConnection raw(db());
    EXPECT_EQ(raw.scalar(QStringLiteral("SELECT COUNT(*) FROM schema_version")).toInt(), latest() + 1);
}

TEST_F(DbCliTest, BackupWhileClerkRunWritesIsAConsistentCopy)
{
    const int forms = 1500;
    QProcess writer;
    writer.setProgram(QStringLiteral(CLERK_BINARY));
    writer.setArguments({QStringLiteral("run"), QStringLiteral("bot.yaml"), QStringLiteral("--input"),
                         writeForms(1, forms), QStringLiteral("--workers"), QStringLiteral("2"), QStringLiteral("--db"), db()});
    writer.setWorkingDirectory(m_dir.path());
    writer.start();
    ASSERT_TRUE(writer.waitForStarted());
    // Back up once the writer is well under way, and again while it goes on.
    int seen = 0;
    for (int tries = 0; tries < 600 && seen < 100; ++tries) {
        QThread::msleep(50);
        if (QFileInfo::exists(db())) {
            RawConnection raw(db());
            seen = raw.scalar(QStringLiteral("SELECT COUNT(*) FROM work_items")).toInt();
        }
    }
    ASSERT_GE(seen, 100) << "clerk run did not get going";

    int whileWriting = 0;
    for (int n = 1; n <= 5 && writer.state() != QProcess::NotRunning; ++n) {
        SCOPED_TRACE(n);
        const QString copy = path(QStringLiteral("copy-%1.db").arg(n));
        const ClerkRun backup = clerk({QStringLiteral("backup"), QStringLiteral("--to"), copy});
        if (writer.state() != QProcess::NotRunning)
            ++whileWriting;
        EXPECT_EQ(backup.exitCode, 0) << backup.err.toStdString();
        EXPECT_TRUE(backup.out.contains(QStringLiteral("integrity check ok"))) << backup.out.toStdString();
        EXPECT_TRUE(backup.out.contains(QStringLiteral("schema version %1").arg(latest()))) << backup.out.toStdString();

        int copied = 0;
        {
            RawConnection raw(copy);
            EXPECT_EQ(raw.scalar(QStringLiteral("PRAGMA integrity_check")).toString(), QStringLiteral("ok"));
            copied = raw.scalar(QStringLiteral("SELECT COUNT(*) FROM work_items")).toInt();
        }
        EXPECT_GE(copied, seen);
        EXPECT_LE(copied, forms);
        // clerk opens the copy, and every item in it is in one state or another.
        const ClerkRun status = clerk({QStringLiteral("status"), QStringLiteral("--json")}, copy);
        ASSERT_EQ(status.exitCode, 0) << status.err.toStdString();
        const QJsonObject bot = jsonObject(status.out).value(QStringLiteral("bots")).toArray().first().toObject();
        int total = 0;
        for (const char *state : {"queued", "leased", "waiting_for_human", "done", "failed", "cancelled"})
            total += bot.value(QLatin1String(state)).toInt();
        EXPECT_EQ(total, copied);
    }
    EXPECT_GE(whileWriting, 1) << "clerk run finished before a backup did: nothing was written meanwhile";
    ASSERT_TRUE(writer.waitForFinished(120000));
    EXPECT_EQ(writer.exitCode(), 0) << writer.readAllStandardError().toStdString();
    EXPECT_EQ(doneItems(db()), forms);
    EXPECT_TRUE(leftovers().isEmpty()) << leftovers().join(QLatin1Char(' ')).toStdString();
}

// The promise: a backup taken while 1,000 items are being worked holds every item
// that was done when it began. The items done are read just before each backup starts;
// the backup is restored into a new database, which must pass an integrity check and
// hold each of them, done, with its input and outputs.
TEST_F(DbCliTest, ABackupTakenWhileItemsAreWorkedHoldsEveryItemDoneWhenItBegan)
{
    const int forms = 1000;
    QProcess workers;
    workers.setProgram(QStringLiteral(CLERK_BINARY));
    workers.setArguments({QStringLiteral("run"), QStringLiteral("bot.yaml"), QStringLiteral("--input"),
                          writeForms(1, forms), QStringLiteral("--workers"), QStringLiteral("2"), QStringLiteral("--db"), db()});
    workers.setWorkingDirectory(m_dir.path());
    workers.start();
    ASSERT_TRUE(workers.waitForStarted());
    const auto doneNow = [&](const QString &database) {
        QHash<qint64, QString> done;
        RawConnection raw(database);
        QSqlQuery query(raw.database());
        if (!query.exec(QStringLiteral("SELECT id, source_ref FROM work_items WHERE state = 'done'")))
            return done;
        while (query.next())
            done.insert(query.value(0).toLongLong(), query.value(1).toString());
        return done;
    };
    for (int tries = 0; tries < 600 && doneNow(db()).size() < 50; ++tries)
        QThread::msleep(50);

    int duringWork = 0;
    for (int n = 1; n <= 3 && workers.state() != QProcess::NotRunning; ++n) {
        SCOPED_TRACE(n);
        const QHash<qint64, QString> before = doneNow(db());
        ASSERT_GE(before.size(), 50) << "the workers did not get going";
        const QString copy = path(QStringLiteral("during-%1.db").arg(n));
        const ClerkRun backup = clerk({QStringLiteral("backup"), QStringLiteral("--to"), copy});
        ASSERT_EQ(backup.exitCode, 0) << backup.err.toStdString();
        const bool stillWorking = workers.state() != QProcess::NotRunning;
        const int doneAfter = doneNow(db()).size();
        if (stillWorking && doneAfter > before.size())
            ++duringWork;  // items were finished while the backup ran

        const QString restored = path(QStringLiteral("restored-%1.db").arg(n));
        const ClerkRun restore = clerk({QStringLiteral("restore"), QStringLiteral("--from"), copy}, restored);
        ASSERT_EQ(restore.exitCode, 0) << restore.err.toStdString();
        RawConnection raw(restored);
        ASSERT_TRUE(raw.isOpen());
        EXPECT_EQ(raw.scalar(QStringLiteral("PRAGMA integrity_check")).toString(), QStringLiteral("ok"));
        const QHash<qint64, QString> kept = doneNow(restored);
        int missing = 0;
        for (auto it = before.begin(); it != before.end(); ++it) {
            if (kept.value(it.key()) != it.value())
                ++missing;
        }
        EXPECT_EQ(missing, 0) << "of " << before.size() << " items done before the backup began";
        EXPECT_GE(kept.size(), before.size());
        EXPECT_EQ(raw.scalar(QStringLiteral("SELECT COUNT(*) FROM work_items WHERE state = 'done'"
                                            " AND (payload = '{}' OR step_outputs = '{}')")).toInt(), 0);
    }
    EXPECT_GE(duringWork, 1) << "no backup ran while items were being finished";
    ASSERT_TRUE(workers.waitForFinished(120000));
    EXPECT_EQ(workers.exitCode(), 0) << workers.readAllStandardError().toStdString();
    EXPECT_EQ(doneItems(db()), forms);
}

TEST_F(DbCliTest, BackupRefusesToOverwriteAFileUnlessForced)
{
    runForms(1, 3);
    const QString existing = path(QStringLiteral("existing.db"));
    writeFile(existing, "keep me");
    const ClerkRun refused = clerk({QStringLiteral("backup"), QStringLiteral("--to"), existing});
    EXPECT_EQ(refused.exitCode, 1);
    EXPECT_TRUE(refused.err.contains(QStringLiteral("already exists"))) << refused.err.toStdString();
    EXPECT_TRUE(refused.err.contains(QStringLiteral("--force"))) << refused.err.toStdString();
    EXPECT_EQ(readFile(existing), QByteArray("keep me"));

    const ClerkRun forced = clerk({QStringLiteral("backup"), QStringLiteral("--to"), existing, QStringLiteral("--force")});
    EXPECT_EQ(forced.exitCode, 0) << forced.err.toStdString();
    EXPECT_EQ(doneItems(existing), 3);
    EXPECT_TRUE(leftovers().isEmpty()) << leftovers().join(QLatin1Char(' ')).toStdString();
}

TEST_F(DbCliTest, PostgresLocationsArePointedToPgDump)
{
    const QString url = QStringLiteral("postgresql://clerk:s3cret@127.0.0.1:1/clerk");
    for (const QStringList &command :
         {QStringList{QStringLiteral("backup"), QStringLiteral("--to"), path(QStringLiteral("copy.db"))},
          QStringList{QStringLiteral("restore"), QStringLiteral("--from"), path(QStringLiteral("copy.db"))}}) {
        const ClerkRun refused = clerk(command, url);
        EXPECT_EQ(refused.exitCode, 1) << command.first().toStdString();
        EXPECT_TRUE(refused.err.contains(QStringLiteral("pg_dump"))) << refused.err.toStdString();
        EXPECT_TRUE(refused.err.contains(QStringLiteral("docs/operations.md"))) << refused.err.toStdString();
        EXPECT_FALSE(refused.err.contains(QStringLiteral("s3cret"))) << refused.err.toStdString();
    }
    EXPECT_FALSE(QFileInfo::exists(path(QStringLiteral("copy.db"))));
}

TEST_F(DbCliTest, RestorePutsABackupBackAndReplacesOnlyWhenForced)
{
    runForms(1, 5);
    const QString backup = path(QStringLiteral("backup.db"));
    ASSERT_EQ(clerk({QStringLiteral("backup"), QStringLiteral("--to"), backup}).exitCode, 0);
    runForms(6, 8);
    ASSERT_EQ(doneItems(db()), 8);

    const ClerkRun refused = clerk({QStringLiteral("restore"), QStringLiteral("--from"), backup});
    EXPECT_EQ(refused.exitCode, 1);
    EXPECT_TRUE(refused.err.contains(QStringLiteral("already exists"))) << refused.err.toStdString();
    EXPECT_TRUE(refused.err.contains(QStringLiteral("--force"))) << refused.err.toStdString();
    EXPECT_EQ(doneItems(db()), 8);

    const QString elsewhere = path(QStringLiteral("new/restored.db"));
    const ClerkRun fresh = clerk({QStringLiteral("restore"), QStringLiteral("--from"), backup}, elsewhere);
    EXPECT_EQ(fresh.exitCode, 0) << fresh.err.toStdString();
    EXPECT_EQ(doneItems(elsewhere), 5);

    const ClerkRun forced = clerk({QStringLiteral("restore"), QStringLiteral("--from"), backup, QStringLiteral("--force")});
    EXPECT_EQ(forced.exitCode, 0) << forced.err.toStdString();
    EXPECT_TRUE(forced.out.contains(QStringLiteral("replacing the database that was there"))) << forced.out.toStdString();
    EXPECT_EQ(doneItems(db()), 5);
    // The database carries on from the backup: new work is taken and done.
    runForms(9, 10);
    EXPECT_EQ(doneItems(db()), 7);
    EXPECT_TRUE(leftovers().isEmpty()) << leftovers().join(QLatin1Char(' ')).toStdString();
}

TEST_F(DbCliTest, RestoreRefusesBadBackupsAndLeavesTheDatabaseAlone)
{
    runForms(1, 3);
    const QString good = path(QStringLiteral("good.db"));
    ASSERT_EQ(clerk({QStringLiteral("backup"), QStringLiteral("--to"), good}).exitCode, 0);

    QByteArray noise(16384, '\0');
    for (qsizetype i = 0; i < noise.size(); ++i)
        noise[i] = char((i * 7919 + 13) % 251);
    writeFile(path(QStringLiteral("garbage.db")), noise);
    // A real SQLite file with its pages after the first overwritten.
    QByteArray damaged = readFile(good);
    ASSERT_GT(damaged.size(), 3 * 4096);
    const qsizetype span = std::min<qsizetype>(noise.size(), damaged.size() - 4096);
    damaged.replace(4096, span, noise.left(span));
    writeFile(path(QStringLiteral("damaged.db")), damaged);
    ASSERT_TRUE(QFile::copy(good, path(QStringLiteral("newer.db"))));
    {
        RawConnection raw(path(QStringLiteral("newer.db")));
        ASSERT_TRUE(raw.exec(QStringLiteral("INSERT INTO schema_version (version, applied_at) VALUES (99, 0)")));
    }
    {
        RawConnection raw(path(QStringLiteral("other.db")));
        ASSERT_TRUE(raw.exec(QStringLiteral("CREATE TABLE customers (name TEXT)")));
    }

    const QByteArray before = readFile(db());
    const struct {
        const char *file;
        const char *message;
    } cases[] = {
        {"garbage.db", "is not a clerk database (or is damaged)"},
        {"damaged.db", "damaged"},
        {"newer.db", "newer than this clerk"},
        {"other.db", "is not a clerk database"},
        {"missing.db", "there is no backup file"},
    };
    for (const auto &c : cases) {
        for (const QString &target : {db(), path(QStringLiteral("fresh.db"))}) {
            const ClerkRun refused = clerk({QStringLiteral("restore"), QStringLiteral("--from"), path(QLatin1String(c.file)),
                                            QStringLiteral("--force")},
                                           target);
            EXPECT_EQ(refused.exitCode, 1) << c.file;
            EXPECT_TRUE(refused.err.contains(QLatin1String(c.message))) << c.file << ": " << refused.err.toStdString();
        }
    }
    EXPECT_TRUE(readFile(db()) == before) << "a refused restore changed the database";
    EXPECT_FALSE(QFileInfo::exists(path(QStringLiteral("fresh.db"))));
    EXPECT_TRUE(leftovers().isEmpty()) << leftovers().join(QLatin1Char(' ')).toStdString();
    EXPECT_EQ(doneItems(db()), 3);
}

TEST_F(DbCliTest, RestoreRefusesADatabaseAnotherProcessHasOpen)
{
    runForms(1, 3);
    const QString backup = path(QStringLiteral("backup.db"));
    ASSERT_EQ(clerk({QStringLiteral("backup"), QStringLiteral("--to"), backup}).exitCode, 0);
    runForms(4, 5);
    {
        // This test process is the other one, as clerk serve would be: connected and idle.
        RawConnection holder(db());
        ASSERT_EQ(holder.scalar(QStringLiteral("SELECT COUNT(*) FROM work_items")).toInt(), 5);
        const ClerkRun refused = clerk({QStringLiteral("restore"), QStringLiteral("--from"), backup, QStringLiteral("--force")});
        EXPECT_EQ(refused.exitCode, 1);
        EXPECT_TRUE(refused.err.contains(QStringLiteral("in use by another process"))) << refused.err.toStdString();
        EXPECT_EQ(holder.scalar(QStringLiteral("SELECT COUNT(*) FROM work_items")).toInt(), 5);
    }
    EXPECT_EQ(doneItems(db()), 5);
    const ClerkRun restored = clerk({QStringLiteral("restore"), QStringLiteral("--from"), backup, QStringLiteral("--force")});
    EXPECT_EQ(restored.exitCode, 0) << restored.err.toStdString();
    EXPECT_EQ(doneItems(db()), 3);
}

TEST_F(DbCliTest, RestoreOfAnOlderBackupMigratesItForward)
{
    runForms(1, 4);
    const QString old = path(QStringLiteral("old.db"));
    ASSERT_EQ(clerk({QStringLiteral("backup"), QStringLiteral("--to"), old}).exitCode, 0);
    {
        RawConnection raw(old);
        ASSERT_TRUE(clerk::store::testing::undoVersion10(raw));
    }
    const QString target = path(QStringLiteral("restored.db"));
    const ClerkRun restored = clerk({QStringLiteral("restore"), QStringLiteral("--from"), old}, target);
    EXPECT_EQ(restored.exitCode, 0) << restored.err.toStdString();
    EXPECT_TRUE(restored.out.contains(QStringLiteral("(schema version 9)"))) << restored.out.toStdString();
    EXPECT_TRUE(restored.out.contains(QStringLiteral("migrated to schema version 10: urgent exception items first")))
        << restored.out.toStdString();
    EXPECT_EQ(dbStatus(0, target).value(QStringLiteral("state")).toString(), QStringLiteral("up_to_date"));
    EXPECT_EQ(doneItems(target), 4);
}

} // namespace
