// clerk person on a real SQLite file: a subject access search finds every item holding
// all the terms, whichever way a date or NHS number is written, and none holding only
// some; the export holds the items' data and the document clerk enqueued. An erasure
// request says what it would erase until --yes, then erases it as retention does (the
// document too), keeps an item still waiting for a person, and is audited by counts only.
#include "cli_support_test.h"
#include "store_test_support.h"

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
    {
        clerk::store::testing::RawConnection raw(db);
        const QJsonObject audit = QJsonDocument::fromJson(
            raw.scalar(QStringLiteral("SELECT detail FROM events WHERE kind = 'subject_access_export'")).toString().toUtf8()).object();
        EXPECT_EQ(audit, (QJsonObject{{QStringLiteral("items"), 2}, {QStringLiteral("documents"), 1}}));
    }
    // Not over an earlier request's folder.
    const ClerkRun again = runClerk({QStringLiteral("person"), QStringLiteral("export"), QStringLiteral("Okafor"),
                                     QStringLiteral("--to"), out, QStringLiteral("--db"), db});
    EXPECT_EQ(again.exitCode, 1);
    EXPECT_TRUE(again.err.contains(QStringLiteral("is not empty"))) << again.err.toStdString();
}

QStringList sourcesFound(const QString &db, const QStringList &terms)
{
    const ClerkRun run = runClerk(QStringList{QStringLiteral("person"), QStringLiteral("search")} + terms
                                  + QStringList{QStringLiteral("--json"), QStringLiteral("--db"), db});
    EXPECT_EQ(run.exitCode, 0) << run.err.toStdString();
    QStringList sources;
    for (const QJsonValue &item : QJsonDocument::fromJson(run.out.toUtf8()).object().value(QStringLiteral("items")).toArray())
        sources.append(QFileInfo(item.toObject().value(QStringLiteral("source")).toString().section(QLatin1Char('#'), 0, 0)).fileName());
    sources.sort();
    return sources;
}

TEST(PersonCliTest, EraseSaysWhatItWouldEraseThenErasesItAndAuditsCountsOnly)
{
    QTemporaryDir dir;
    ASSERT_TRUE(dir.isValid());
    const QString bot = dir.filePath(QStringLiteral("forms.yaml"));
    writeFile(bot, "name: forms\nversion: 1\nowner_team: ict\n"
                   "steps:\n  - id: note\n    type: set\n"
                   "    params: {values: {nhs: \"{{ input.nhs }}\", file: \"{{ input.file }}\"}}\n"
                   "  - id: postcode\n    type: require\n"
                   "    params: {value: \"{{ input.postcode }}{{ input.file }}\", field: postcode}\n");
    QDir().mkpath(dir.filePath(QStringLiteral("in")));
    writeFile(dir.filePath(QStringLiteral("in/zoe.json")),
              R"({"name": "Zoe Okafor", "nhs": "943 476 5919", "postcode": "LS6 1RT"})");
    writeFile(dir.filePath(QStringLiteral("in/zoe-again.json")), R"({"name": "Zoe Okafor", "nhs": "9434765919"})");
    writeFile(dir.filePath(QStringLiteral("in/someone.json")), R"({"name": "Ada Smith", "postcode": "LS6 2AB"})");
    const QString scan = dir.filePath(QStringLiteral("in/scan-9434765919.pdf"));
    writeFile(scan, "%PDF-1.4 a letter");
    const QString db = dir.filePath(QStringLiteral("clerk.db"));
    (void)runClerk({QStringLiteral("run"), bot, QStringLiteral("--input"), dir.filePath(QStringLiteral("in")),
                    QStringLiteral("--db"), db});
    const QStringList zoe{QStringLiteral("scan-9434765919.pdf"), QStringLiteral("zoe-again.json"), QStringLiteral("zoe.json")};
    ASSERT_EQ(sourcesFound(db, {QStringLiteral("9434765919")}), zoe);

    // Without --yes: what would go, and nothing changes.
    const ClerkRun dry = runClerk({QStringLiteral("person"), QStringLiteral("erase"), QStringLiteral("943 476 5919"),
                                   QStringLiteral("--db"), db});
    ASSERT_EQ(dry.exitCode, 0) << dry.err.toStdString();
    EXPECT_TRUE(dry.out.startsWith(QStringLiteral("would erase 2 items and delete 1 documents"))) << dry.out.toStdString();
    EXPECT_TRUE(dry.out.contains(QStringLiteral("kept: item"))) << dry.out.toStdString();  // zoe-again waits for a person
    EXPECT_TRUE(QFileInfo::exists(scan));
    EXPECT_EQ(sourcesFound(db, {QStringLiteral("9434765919")}), zoe);

    const ClerkRun erased = runClerk({QStringLiteral("person"), QStringLiteral("erase"), QStringLiteral("943 476 5919"),
                                      QStringLiteral("--yes"), QStringLiteral("--as"), QStringLiteral("dpo-7"),
                                      QStringLiteral("--db"), db});
    ASSERT_EQ(erased.exitCode, 0) << erased.err.toStdString();
    EXPECT_TRUE(erased.out.startsWith(QStringLiteral("erased 2 items and deleted 1 documents\n"))) << erased.out.toStdString();
    EXPECT_FALSE(QFileInfo::exists(scan));
    // Only the item still waiting for a person holds the NHS number now; others are untouched.
    EXPECT_EQ(sourcesFound(db, {QStringLiteral("9434765919")}), QStringList{QStringLiteral("zoe-again.json")});
    EXPECT_EQ(sourcesFound(db, {QStringLiteral("Ada Smith")}), QStringList{QStringLiteral("someone.json")});

    clerk::store::testing::RawConnection raw(db);
    ASSERT_TRUE(raw.isOpen());
    EXPECT_EQ(raw.scalar(QStringLiteral("SELECT COUNT(*) FROM work_items WHERE erased_at IS NOT NULL AND payload = '{}'")).toInt(), 2);
    EXPECT_EQ(raw.scalar(QStringLiteral("SELECT COUNT(*) FROM events WHERE kind = 'erased' AND actor = 'dpo-7'")).toInt(), 2);
    EXPECT_EQ(raw.scalar(QStringLiteral("SELECT COUNT(*) FROM events WHERE kind = 'subject_erasure'")).toInt(), 1);
    EXPECT_EQ(raw.scalar(QStringLiteral("SELECT actor FROM events WHERE kind = 'subject_erasure'")).toString(), QStringLiteral("dpo-7"));
    const QJsonObject audit = QJsonDocument::fromJson(
        raw.scalar(QStringLiteral("SELECT detail FROM events WHERE kind = 'subject_erasure'")).toString().toUtf8()).object();
    EXPECT_EQ(audit, (QJsonObject{{QStringLiteral("items"), 2}, {QStringLiteral("documents"), 1}, {QStringLiteral("kept"), 1}}));
    // Nothing the person is known by reaches any event.
    EXPECT_EQ(raw.scalar(QStringLiteral("SELECT COUNT(*) FROM events WHERE detail LIKE '%9434765919%'"
                                        " OR detail LIKE '%476 5919%' OR detail LIKE '%Okafor%'")).toInt(), 0);

    // Erasing again finds only the waiting item, and erases nothing.
    const ClerkRun again = runClerk({QStringLiteral("person"), QStringLiteral("erase"), QStringLiteral("9434765919"),
                                     QStringLiteral("--yes"), QStringLiteral("--json"), QStringLiteral("--db"), db});
    ASSERT_EQ(again.exitCode, 0) << again.err.toStdString();
    const QJsonObject result = QJsonDocument::fromJson(again.out.toUtf8()).object();
    EXPECT_EQ(result.value(QStringLiteral("erased")).toInt(), 0) << again.out.toStdString();
    EXPECT_EQ(result.value(QStringLiteral("kept")).toArray().size(), 1);
}

} // namespace
