// clerk person on a real SQLite file: a subject access search finds every item holding
// all the terms, whichever way a date or NHS number is written, and none holding only
// some; the export holds the items' data and the document clerk enqueued.
#include "cli_support_test.h"

#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>

using namespace clerk::testing;

namespace {

TEST(PersonCliTest, SearchFindsEveryItemHoldingThePersonAndExportHandsItOver)
{
    QTemporaryDir dir;
    ASSERT_TRUE(dir.isValid());
    const QString bot = dir.filePath(QStringLiteral("forms.yaml"));
    writeFile(bot, "name: forms\nversion: 1\nowner_team: ict\n"
                   "steps:\n  - id: note\n    type: set\n"
                   "    params: {values: {born: \"{{ input.dob | iso_date }}\", file: \"{{ input.file }}\"}}\n");
    QDir().mkpath(dir.filePath(QStringLiteral("in")));
    writeFile(dir.filePath(QStringLiteral("in/zoe.json")),
              R"({"name": "Zoe  OKAFOR", "dob": "07/03/1984", "nhs": "943 476 5919"})");
    writeFile(dir.filePath(QStringLiteral("in/other-zoe.json")), R"({"name": "Zoe Okafor", "dob": "01/01/1990"})");
    writeFile(dir.filePath(QStringLiteral("in/someone.json")), R"({"name": "Ada Smith", "dob": "07/03/1984"})");
    writeFile(dir.filePath(QStringLiteral("in/scan-9434765919.pdf")), "%PDF-1.4 a letter");
    const QString db = dir.filePath(QStringLiteral("clerk.db"));
    const ClerkRun ran = runClerk({QStringLiteral("run"), bot, QStringLiteral("--input"), dir.filePath(QStringLiteral("in")),
                                   QStringLiteral("--db"), db});
    ASSERT_EQ(ran.exitCode, 0) << ran.err.toStdString();

    const auto search = [&](const QStringList &terms) {
        const ClerkRun run = runClerk(QStringList{QStringLiteral("person"), QStringLiteral("search")} + terms
                                      + QStringList{QStringLiteral("--json"), QStringLiteral("--db"), db});
        EXPECT_EQ(run.exitCode, 0) << run.err.toStdString();
        QStringList sources;
        for (const QJsonValue &item : QJsonDocument::fromJson(run.out.toUtf8()).object().value(QStringLiteral("items")).toArray())
            sources.append(QFileInfo(item.toObject().value(QStringLiteral("source")).toString().section(QLatin1Char('#'), 0, 0)).fileName());
        sources.sort();
        return sources;
    };
    // Every term must be in the item; dates and NHS numbers however they are written.
    EXPECT_EQ(search({QStringLiteral("zoe okafor"), QStringLiteral("1984-03-07")}), QStringList{QStringLiteral("zoe.json")});
    EXPECT_EQ(search({QStringLiteral("Zoe Okafor")}), (QStringList{QStringLiteral("other-zoe.json"), QStringLiteral("zoe.json")}));
    EXPECT_EQ(search({QStringLiteral("9434765919")}), (QStringList{QStringLiteral("scan-9434765919.pdf"), QStringLiteral("zoe.json")}));
    EXPECT_TRUE(search({QStringLiteral("Okafor"), QStringLiteral("Smith")}).isEmpty());

    const QString out = dir.filePath(QStringLiteral("request-1"));
    const ClerkRun exported = runClerk({QStringLiteral("person"), QStringLiteral("export"), QStringLiteral("943-476-5919"),
                                        QStringLiteral("--to"), out, QStringLiteral("--db"), db});
    ASSERT_EQ(exported.exitCode, 0) << exported.err.toStdString();
    EXPECT_EQ(exported.out, QStringLiteral("exported 2 items and 1 documents to %1\n").arg(out));
    QFile file(QDir(out).filePath(QStringLiteral("person.json")));
    ASSERT_TRUE(file.open(QIODevice::ReadOnly));
    const QJsonArray items = QJsonDocument::fromJson(file.readAll()).object().value(QStringLiteral("items")).toArray();
    ASSERT_EQ(items.size(), 2);
    bool sawPayload = false;
    int documents = 0;
    for (const QJsonValue &item : items) {
        sawPayload = sawPayload || item.toObject().value(QStringLiteral("payload")).toObject().value(QStringLiteral("name"))
                                           .toString() == QStringLiteral("Zoe  OKAFOR");
        for (const QJsonValue &document : item.toObject().value(QStringLiteral("documents")).toArray()) {
            ++documents;
            EXPECT_EQ(readFile(QDir(out).filePath(document.toString())), QByteArray("%PDF-1.4 a letter"));
        }
        EXPECT_FALSE(item.toObject().value(QStringLiteral("events")).toArray().isEmpty());
    }
    EXPECT_TRUE(sawPayload);
    EXPECT_EQ(documents, 1);
    // Not over an earlier request's folder.
    const ClerkRun again = runClerk({QStringLiteral("person"), QStringLiteral("export"), QStringLiteral("Okafor"),
                                     QStringLiteral("--to"), out, QStringLiteral("--db"), db});
    EXPECT_EQ(again.exitCode, 1);
    EXPECT_TRUE(again.err.contains(QStringLiteral("is not empty"))) << again.err.toStdString();
}

} // namespace
