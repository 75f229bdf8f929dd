// The path rules behind StepContext::documentPath and targetPath.
#include "engine/document_paths.h"
#include "test_support.h"

#include <QDir>
#include <QFile>
#include <QJsonObject>
#include <QTemporaryDir>
#include <gtest/gtest.h>

using namespace clerk;
using namespace clerk::engine;

TEST(DocumentPathsTest, AValueMayBeOnePlainNameOnly)
{
    for (const char *accepted : {"highways", "blue-badge", "Smith, J. (2026).pdf", "a..b", "...", "", "2026-03-07"})
        EXPECT_EQ(pathValueProblem(QString::fromUtf8(accepted)), QString()) << accepted;
    const struct {
        QString value;
        const char *problem;
    } refused[] = {
        {QStringLiteral(".."), "is . or .."},
        {QStringLiteral("."), "is . or .."},
        {QStringLiteral("../../x"), "path separator"},
        {QStringLiteral("/etc"), "path separator"},
        {QStringLiteral("a\\b"), "path separator"},
        {QStringLiteral("07/03/2026"), "path separator"},
        {QString::fromUtf8("x\0y", 3), "control character"},
        {QStringLiteral("x\ny"), "control character"},
        {QStringLiteral("\rx"), "control character"},
        {QStringLiteral("x\ty"), "control character"},
        {QStringLiteral("x\x7fy"), "control character"},
    };
    for (const auto &c : refused)
        EXPECT_TRUE(pathValueProblem(c.value).contains(QString::fromUtf8(c.problem))) << c.value.toStdString();
}

TEST(DocumentPathsTest, LiesUnderComparesWholeFolderNames)
{
    EXPECT_TRUE(liesUnder(QStringLiteral("/srv/post"), QStringLiteral("/srv/post")));
    EXPECT_TRUE(liesUnder(QStringLiteral("/srv/post/a.pdf"), QStringLiteral("/srv/post")));
    EXPECT_TRUE(liesUnder(QStringLiteral("/srv/post/a.pdf"), QStringLiteral("/")));
    EXPECT_FALSE(liesUnder(QStringLiteral("/srv/postbox/a.pdf"), QStringLiteral("/srv/post")));
    EXPECT_FALSE(liesUnder(QStringLiteral("/srv"), QStringLiteral("/srv/post")));
    EXPECT_FALSE(liesUnder(QStringLiteral("/srv/post"), QString()));
}

TEST(DocumentPathsTest, CanonicalPathFollowsLinksAlsoToPlacesThatDoNotExistYet)
{
    QTemporaryDir dir;
    const QString root = QDir(dir.path()).canonicalPath();
    QDir().mkpath(root + QStringLiteral("/inbox"));
    QDir().mkpath(root + QStringLiteral("/elsewhere"));
    ASSERT_TRUE(QFile::link(root + QStringLiteral("/elsewhere"), root + QStringLiteral("/inbox/link")));
    ASSERT_TRUE(QFile::link(root + QStringLiteral("/nowhere/yet"), root + QStringLiteral("/inbox/dangling")));

    EXPECT_EQ(canonicalPath(root + QStringLiteral("/inbox/./new/file.csv")), root + QStringLiteral("/inbox/new/file.csv"));
    EXPECT_EQ(canonicalPath(root + QStringLiteral("/inbox/link/a.pdf")), root + QStringLiteral("/elsewhere/a.pdf"));
    EXPECT_EQ(canonicalPath(root + QStringLiteral("/inbox/dangling/a.csv")), root + QStringLiteral("/nowhere/yet/a.csv"));
    EXPECT_EQ(canonicalPath(root + QStringLiteral("/inbox/../elsewhere")), root + QStringLiteral("/elsewhere"));
}

TEST(DocumentPathsTest, ConfineDocumentAcceptsOnlyPathsUnderARoot)
{
    QTemporaryDir dir;
    const QString root = QDir(dir.path()).canonicalPath();
    QDir().mkpath(root + QStringLiteral("/inbox"));
    const QString letter = root + QStringLiteral("/inbox/letter.pdf");
    QFile file(letter);
    ASSERT_TRUE(file.open(QIODevice::WriteOnly));
    file.close();

    auto inside = confineDocument(letter, {root + QStringLiteral("/inbox/")});
    ASSERT_TRUE(inside.has_value());
    EXPECT_EQ(*inside, letter);
    EXPECT_TRUE(confineDocument(letter, {letter}).has_value()) << "a root may be one file (clerk run --input FILE)";

    auto outside = confineDocument(root + QStringLiteral("/inbox/../work.db"), {root + QStringLiteral("/inbox")});
    ASSERT_FALSE(outside.has_value());
    EXPECT_EQ(outside.error().code(), ErrorCode::PermissionDenied);
    auto none = confineDocument(letter, {});
    ASSERT_FALSE(none.has_value());
    EXPECT_TRUE(none.error().message().contains(QStringLiteral("allowed_paths")));
}

TEST(DocumentPathsTest, OnlyAFileSourceReferenceNamesTheItemsOwnDocument)
{
    const struct {
        const char *sourceRef;
        const char *document;
    } cases[] = {
        {"file:/srv/post/a.pdf#sha256:0123456789abcdef", "/srv/post/a.pdf"},
        {"file:/srv/post/a#1.pdf#sha256:0123456789abcdef", "/srv/post/a#1.pdf"},
        {"file:/srv/post/../post/a.pdf#sha256:0123456789abcdef", "/srv/post/a.pdf"},
        {"file:/etc/passwd", ""},
        {"file:etc/passwd#sha256:0123456789abcdef", ""},
        {"file:#sha256:0123456789abcdef", ""},
        {"record:file:/etc/passwd#sha256:0123456789abcdef", ""},
        {"record-sha256:0123456789abcdef", ""},
        {"mail:<id@example>/0123456789abcdef#0", ""},
        {"", ""},
    };
    for (const auto &c : cases)
        EXPECT_EQ(enqueuedDocumentOf(QString::fromUtf8(c.sourceRef)), QString::fromUtf8(c.document)) << c.sourceRef;
}

TEST(DocumentPathsTest, PeopleAreShownOnlyADocumentTheItemCouldHaveRead)
{
    QTemporaryDir dir;
    ASSERT_TRUE(dir.isValid());
    const QString base = QDir(dir.path()).canonicalPath();
    for (const char *folder : {"scans", "filed", "elsewhere"})
        ASSERT_TRUE(QDir(base).mkpath(QString::fromLatin1(folder)));
    const auto touch = [&](const QString &relative) {
        QFile file(base + u'/' + relative);
        EXPECT_TRUE(file.open(QIODevice::WriteOnly));
        file.write("x");
        return file.fileName();
    };
    const QString inScans = touch(QStringLiteral("scans/a.png"));
    const QString outside = touch(QStringLiteral("elsewhere/secret.png"));
    const QString filed = touch(QStringLiteral("filed/a.png"));

    bot::BotDefinition bot;
    bot.baseDir = base;
    bot.allowedPaths = {QStringLiteral("scans")};
    bot::StepDefinition fileIt;
    fileIt.id = QStringLiteral("file_it");
    fileIt.type = QStringLiteral("move_file");
    bot.steps = {fileIt};

    WorkItem item;
    item.sourceRef = QStringLiteral("record:F-1");
    item.payload = QJsonObject{{QStringLiteral("file"), inScans}};
    EXPECT_EQ(documentForPeople(item, bot), inScans);
    // A path the data names outside the bot's folders is not shown, nor one through "..".
    item.payload = QJsonObject{{QStringLiteral("file"), outside}};
    EXPECT_EQ(documentForPeople(item, bot), QString());
    item.payload = QJsonObject{{QStringLiteral("file"), QString(base + QStringLiteral("/scans/../elsewhere/secret.png"))}};
    EXPECT_EQ(documentForPeople(item, bot), QString());
    // The file clerk itself enqueued the item from is its own, wherever it lies.
    item.sourceRef = QStringLiteral("file:%1#sha256:0123456789abcdef").arg(outside);
    item.payload = QJsonObject{{QStringLiteral("file"), outside}};
    EXPECT_EQ(documentForPeople(item, bot), outside);
    // Where move_file put it comes first; another step's "file" output is not a document.
    item.sourceRef = QStringLiteral("record:F-1");
    item.payload = QJsonObject{{QStringLiteral("file"), inScans}};
    item.stepOutputs = QJsonObject{{QStringLiteral("export"), QJsonObject{{QStringLiteral("file"), outside}}},
                        {QStringLiteral("file_it"), QJsonObject{{QStringLiteral("file"), filed}}}};
    EXPECT_EQ(documentForPeople(item, bot), filed);
    item.stepOutputs = QJsonObject{{QStringLiteral("export"), QJsonObject{{QStringLiteral("file"), outside}}}};
    EXPECT_EQ(documentForPeople(item, bot), inScans);
}
