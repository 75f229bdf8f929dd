// Runs the clerk binary in tests.
#pragma once

#include <QDeadlineTimer>
#include <QFile>
#include <QProcess>
#include <QProcessEnvironment>
#include <QString>
#include <QStringList>
#include <gtest/gtest.h>

#include <functional>

namespace clerk::testing {

struct ClerkRun {
    int exitCode = -1;
    QString out;
    QString err;
};

inline ClerkRun runClerk(const QStringList &arguments, const QString &workingDirectory = {}, int timeoutMs = 60000)
{
    QProcess process;
    process.setProgram(QStringLiteral(CLERK_BINARY));
    process.setArguments(arguments);
    if (!workingDirectory.isEmpty())
        process.setWorkingDirectory(workingDirectory);
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("USER"), QStringLiteral("test-runner"));
    env.remove(QStringLiteral("CLERK_DB"));
    // Hermetic: no operator's /etc/clerk/clerk.conf (an empty file instead).
    env.insert(QStringLiteral("CLERK_CONFIG"), QStringLiteral("/dev/null"));
    process.setProcessEnvironment(env);
    process.start();
    EXPECT_TRUE(process.waitForStarted());
    EXPECT_TRUE(process.waitForFinished(timeoutMs)) << "clerk " << arguments.join(QLatin1Char(' ')).toStdString();
    ClerkRun run;
    run.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
    run.out = QString::fromUtf8(process.readAllStandardOutput());
    run.err = QString::fromUtf8(process.readAllStandardError());
    return run;
}

inline void writeFile(const QString &path, const QByteArray &content)
{
    QFile file(path);
    ASSERT_TRUE(file.open(QIODevice::WriteOnly | QIODevice::Truncate)) << path.toStdString();
    file.write(content);
}

inline QByteArray readFile(const QString &path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

// What a test's `clerk serve` process printed: `log` with the output read since the last call added.
inline QString serveLog(QProcess &serve, QString &log)
{
    log += QString::fromUtf8(serve.readAll());
    return log;
}

// Polls `condition` until it holds or `seconds` pass, reading the process's output into
// `log` meanwhile; true when it held.
inline bool eventually(QProcess &serve, QString &log, const std::function<bool()> &condition, int seconds)
{
    QDeadlineTimer deadline(seconds * 1000);
    while (!deadline.hasExpired()) {
        if (condition())
            return true;
        serve.waitForReadyRead(200);
        serveLog(serve, log);
    }
    return condition();
}

} // namespace clerk::testing
