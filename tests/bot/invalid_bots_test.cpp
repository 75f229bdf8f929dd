// The must-fail corpus: tests/data/bots/invalid/<case>.yaml beside <case>.expected,
// which holds the exact diagnostics, one per line, with the file shown by its name.
// Files named connector-*.yaml are loaded as connector files. A new case is two files.
#include "test_support.h"
#include "bot/bot_loader.h"
#include "test_catalog.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <gtest/gtest.h>

using namespace clerk::bot;

namespace {

QString corpusDir()
{
    return QStringLiteral(CLERK_TEST_DATA_DIR "/bots/invalid");
}

QStringList corpus()
{
    return QDir(corpusDir()).entryList({QStringLiteral("*.yaml")}, QDir::Files, QDir::Name);
}

QString actualDiagnostics(const QString &path)
{
    const QString name = QFileInfo(path).fileName();
    const Diagnostics diagnostics = name.startsWith(QLatin1String("connector-"))
        ? loadConnectorFile(path, clerk::bot::testing::connectorKinds()).diagnostics
        : loadBotFile(path, clerk::bot::testing::testCatalog(), clerk::bot::testing::testConnectors()).diagnostics;
    QStringList lines;
    for (Diagnostic d : diagnostics) {
        EXPECT_EQ(d.file, path);
        d.file = name;
        lines.append(d.toString());
    }
    return lines.join(QLatin1Char('\n'));
}

} // namespace

TEST(InvalidBotsTest, CorpusIsComplete)
{
    const QStringList cases = corpus();
    EXPECT_GE(cases.size(), 19);
    for (const QString &name : cases) {
        const QString expected = corpusDir() + QLatin1Char('/') + QFileInfo(name).completeBaseName() + QStringLiteral(".expected");
        EXPECT_TRUE(QFileInfo::exists(expected)) << "missing " << expected.toStdString();
    }
}

TEST(InvalidBotsTest, EachCaseGivesExactlyTheExpectedDiagnostics)
{
    for (const QString &name : corpus()) {
        SCOPED_TRACE(name.toStdString());
        const QString path = corpusDir() + QLatin1Char('/') + name;
        QFile expectedFile(corpusDir() + QLatin1Char('/') + QFileInfo(name).completeBaseName() + QStringLiteral(".expected"));
        if (!expectedFile.open(QIODevice::ReadOnly))
            continue;  // reported by CorpusIsComplete
        const QString expected = QString::fromUtf8(expectedFile.readAll()).trimmed();
        const QString actual = actualDiagnostics(path);
        EXPECT_FALSE(expected.isEmpty()) << "a must-fail case needs at least one diagnostic";
        EXPECT_EQ(actual.toStdString(), expected.toStdString())
            << "\n--- expected (" << name.toStdString() << ")\n" << expected.toStdString()
            << "\n--- actual\n" << actual.toStdString();
    }
}
