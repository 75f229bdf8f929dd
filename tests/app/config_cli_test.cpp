// clerk.conf: settings read by every command from --config FILE or $CLERK_CONFIG, the
// command line winning; clerk config check reports each problem at file:line.
#include "cli_support_test.h"

#include <QFileInfo>
#include <QProcess>
#include <QTemporaryDir>

using namespace clerk::testing;

namespace {

ClerkRun runWithEnvironment(const QStringList &arguments, const QString &name, const QString &value)
{
    QProcess process;
    process.setProgram(QStringLiteral(CLERK_BINARY));
    process.setArguments(arguments);
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.remove(QStringLiteral("CLERK_DB"));
    env.insert(name, value);
    process.setProcessEnvironment(env);
    process.start();
    EXPECT_TRUE(process.waitForFinished(60000));
    return {process.exitCode(), QString::fromUtf8(process.readAllStandardOutput()),
            QString::fromUtf8(process.readAllStandardError())};
}

TEST(ConfigCliTest, CommandsTakeTheFilesSettingsAndTheCommandLineWins)
{
    QTemporaryDir dir;
    ASSERT_TRUE(dir.isValid());
    const QString conf = dir.filePath(QStringLiteral("clerk.conf"));
    writeFile(conf, QStringLiteral("# settings\ndb = %1   # the work database\n[report]\nsince = 2d\n[serve]\nworkers = 2\n")
                        .arg(dir.filePath(QStringLiteral("from-file.db"))).toUtf8());

    const ClerkRun status = runClerk({QStringLiteral("status"), QStringLiteral("--config"), conf});
    EXPECT_EQ(status.exitCode, 0) << status.err.toStdString();
    EXPECT_TRUE(QFileInfo::exists(dir.filePath(QStringLiteral("from-file.db"))));  // the file's db

    const ClerkRun overridden = runClerk({QStringLiteral("status"), QStringLiteral("--config"), conf, QStringLiteral("--db"),
                                          dir.filePath(QStringLiteral("given.db"))});
    EXPECT_EQ(overridden.exitCode, 0) << overridden.err.toStdString();
    EXPECT_TRUE(QFileInfo::exists(dir.filePath(QStringLiteral("given.db"))));  // the command line's

    // From the environment too; [report]'s since applies to report only.
    const ClerkRun report = runWithEnvironment({QStringLiteral("report")}, QStringLiteral("CLERK_CONFIG"), conf);
    EXPECT_EQ(report.exitCode, 0) << report.err.toStdString();
    const QString twoDaysAgo = QDate::currentDate().addDays(-1).toString(Qt::ISODate);
    EXPECT_TRUE(report.out.contains(twoDaysAgo)) << report.out.toStdString();

    const ClerkRun check = runClerk({QStringLiteral("config"), QStringLiteral("check"), QStringLiteral("--config"), conf});
    EXPECT_EQ(check.exitCode, 0) << check.err.toStdString();
    EXPECT_EQ(check.out, QStringLiteral("ok: %1 (3 settings)\n").arg(conf));
}

TEST(ConfigCliTest, CheckReportsEveryProblemAtItsLineAndCommandsRefuseABrokenFile)
{
    QTemporaryDir dir;
    ASSERT_TRUE(dir.isValid());
    const QString conf = dir.filePath(QStringLiteral("clerk.conf"));
    writeFile(conf, "db = /tmp/x.db\ncolour = blue\n[serve]\nlistn = 127.0.0.1:8080\n[sevre]\nworkers = 2\n");
    const ClerkRun check = runClerk({QStringLiteral("config"), QStringLiteral("check"), QStringLiteral("--config"), conf});
    EXPECT_EQ(check.exitCode, 1);
    EXPECT_EQ(check.err, QStringLiteral("%1:2: no clerk command has --colour\n"
                                        "%1:4: clerk serve has no option --listn (see clerk serve --help)\n"
                                        "%1:6: [sevre] is not a clerk command\n")
                             .arg(conf));

    writeFile(conf, "db = /tmp/x.db\nnot a setting\n");
    const ClerkRun broken = runClerk({QStringLiteral("status"), QStringLiteral("--config"), conf});
    EXPECT_EQ(broken.exitCode, 1);
    EXPECT_TRUE(broken.err.contains(QStringLiteral("%1:2: expected key = value or [command]").arg(conf))) << broken.err.toStdString();

    const ClerkRun missing = runClerk({QStringLiteral("status"), QStringLiteral("--config"), dir.filePath(QStringLiteral("none.conf"))});
    EXPECT_EQ(missing.exitCode, 1);
    EXPECT_TRUE(missing.err.contains(QStringLiteral("cannot read the configuration file"))) << missing.err.toStdString();
}

} // namespace
