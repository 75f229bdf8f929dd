// Where items come from: record files (CSV, JSON lines, JSON arrays) and a case
// system's list of new work over loopback. Each record becomes one item, once.
#include "engine/record_source.h"
#include "engine/step_registry.h"
#include "engine_test_support.h"
#include "test_http_server.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QMutex>

#include <atomic>

using namespace clerk;
using clerk::testing::TestHttpServer;
using clerk::testing::TestRequest;
using clerk::testing::TestResponse;

namespace {

class RecordSourceTest : public clerk::testing::EngineFixture {
protected:
    QString write(const QString &name, const QByteArray &bytes)
    {
        QFile file(path(name));
        EXPECT_TRUE(file.open(QIODevice::WriteOnly));
        file.write(bytes);
        return file.fileName();
    }

    QList<engine::SourceRecord> read(const QString &file, const QString &idField = {})
    {
        auto records = engine::readInputFile(file, idField);
        EXPECT_TRUE(records.has_value()) << (records ? "" : records.error().toString().toStdString());
        return records.value_or(QList<engine::SourceRecord>{});
    }

    engine::StepRegistry m_registry = engine::StepRegistry::builtIn();
};

TEST_F(RecordSourceTest, ReadsCsvRowsAsRecordsKnownByTheirId)
{
    const QString file = write(QStringLiteral("forms.csv"),
                               "form_id,name,message\r\n"
                               "F-1,\"Okafor, Ada\",\"Please call\nafter 5\"\r\n"
                               "F-2,Ng,Bins\r\n"
                               ",Smith,No reference\r\n");
    const QList<engine::SourceRecord> records = read(file, QStringLiteral("form_id"));
    ASSERT_EQ(records.size(), 3);
    EXPECT_EQ(records.at(0).sourceRef, "record:F-1");
    EXPECT_EQ(records.at(0).payload.value("name").toString(), "Okafor, Ada");
    EXPECT_EQ(records.at(0).payload.value("message").toString(), "Please call\nafter 5");
    EXPECT_EQ(records.at(1).sourceRef, "record:F-2");
    EXPECT_TRUE(records.at(2).sourceRef.startsWith("record-sha256:"));  // no id: known by content
    EXPECT_TRUE(records.at(2).origin.endsWith("forms.csv:4"));
}

TEST_F(RecordSourceTest, ReadsJsonLinesAndReportsABadLineWithoutLosingTheOthers)
{
    const QString file = write(QStringLiteral("reports.jsonl"),
                               "{\"ref\": 17, \"text\": \"pothole\"}\n"
                               "{\"ref\": 18, \"text\": \n"
                               "\n"
                               "[1, 2]\n"
                               "{\"ref\": 19, \"text\": \"fly-tipping\"}\n");
    const QList<engine::SourceRecord> records = read(file, QStringLiteral("ref"));
    ASSERT_EQ(records.size(), 4);
    EXPECT_EQ(records.at(0).sourceRef, "record:17");
    EXPECT_TRUE(records.at(1).problem.contains("not valid JSON"));
    EXPECT_TRUE(records.at(1).origin.endsWith("reports.jsonl:2"));
    EXPECT_TRUE(records.at(2).problem.contains("one JSON object"));
    EXPECT_TRUE(records.at(2).origin.endsWith("reports.jsonl:4"));
    EXPECT_EQ(records.at(3).sourceRef, "record:19");
}

TEST_F(RecordSourceTest, AJsonArrayIsOneRecordAnElementAndTheSameContentIsTheSameRecord)
{
    const QString array = write(QStringLiteral("batch.json"), R"([{"name": "Ng", "dob": "1990-01-02"}, {"name": "Li"}])");
    const QString single = write(QStringLiteral("one.json"), R"({"dob": "1990-01-02", "name": "Ng"})");
    const QList<engine::SourceRecord> batch = read(array);
    ASSERT_EQ(batch.size(), 2);
    EXPECT_NE(batch.at(0).sourceRef, batch.at(1).sourceRef);
    // A whole-file record without an id keeps the file's reference; with an id it is the id.
    EXPECT_TRUE(read(single).first().sourceRef.startsWith("file:"));
    EXPECT_EQ(read(array, QStringLiteral("name")).first().sourceRef, "record:Ng");
    EXPECT_EQ(read(single, QStringLiteral("name")).first().sourceRef, "record:Ng");
    // Key order does not change a content reference.
    EXPECT_EQ(engine::recordSourceRef(QJsonDocument::fromJson(R"({"a": 1, "b": 2})").object(), {}),
              engine::recordSourceRef(QJsonDocument::fromJson(R"({"b": 2, "a": 1})").object(), {}));
}

TEST_F(RecordSourceTest, AnUnreadableFileIsAClearError)
{
    const auto missing = engine::readInputFile(path(QStringLiteral("nope.csv")), {});
    ASSERT_FALSE(missing.has_value());
    EXPECT_EQ(missing.error().code(), ErrorCode::NotFound);
    const auto noHeader = engine::readInputFile(write(QStringLiteral("empty.csv"), ""), {});
    ASSERT_FALSE(noHeader.has_value());
}

// A list of new contact forms; PUT /forms/N with {"status": "taken"} takes one.
class FormSystem {
public:
    std::atomic<bool> markFails = false;
    TestHttpServer server{[this](const TestRequest &request) { return answer(request); }};

    int takenCount()
    {
        QMutexLocker lock(&m_mutex);
        return m_taken.size();
    }

private:
    TestResponse answer(const TestRequest &request)
    {
        QMutexLocker lock(&m_mutex);
        if (request.method == "GET" && request.path() == "/forms") {
            QJsonArray forms;
            for (int id : {1, 2, 3}) {
                if (!m_taken.contains(id))
                    forms.append(QJsonObject{{"id", id}, {"surname", QStringLiteral("Person%1").arg(id)}});
            }
            forms.append(QJsonObject{{"surname", "No id"}});
            return TestResponse::json(200, QJsonDocument(QJsonObject{{"forms", forms}}).toJson());
        }
        if (request.method == "PUT" && request.path().startsWith("/forms/")) {
            if (markFails)
                return TestResponse::json(500, "{}");
            m_taken.insert(request.path().mid(7).toInt());
            return TestResponse::json(200, "{}");
        }
        return TestResponse::json(404, "{}");
    }

    QMutex m_mutex;
    QSet<int> m_taken;
};

TEST_F(RecordSourceTest, PollingEnqueuesEachNewRecordOnceAndMarksItTaken)
{
    FormSystem forms;
    const QByteArray connectorYaml = "name: forms\nkind: rest\nbase_url: " + forms.server.url().toUtf8() +
                                     "\nretry:\n  max_attempts: 0\noperations:\n"
                                     "  new_forms:\n    method: GET\n    path: forms\n    records: /forms\n"
                                     "    response:\n      id: /id\n      surname: /surname\n"
                                     "  take:\n    method: PUT\n    path: forms/{{ params.id }}\n"
                                     "    body:\n      status: taken\n";
    const QByteArray botYaml = "name: intake\nversion: 1\nowner_team: customer-services\n"
                               "input:\n  id: id\n"
                               "source:\n  connector: forms\n  operation: new_forms\n"
                               "  mark:\n    operation: take\n    params:\n      id: \"{{ input.id }}\"\n"
                               "connectors: [forms]\n"
                               "steps:\n  - id: s\n    type: set\n    params:\n      values:\n        who: \"{{ input.surname }}\"\n";
    const bot::ConnectorLoad connector = bot::loadConnectorText(connectorYaml, QStringLiteral("forms.yaml"), engine::connectorKinds());
    ASSERT_TRUE(connector.connector.has_value());
    const bot::BotLoad load = bot::loadBotText(botYaml, QStringLiteral("intake.yaml"), m_registry.catalog(),
                                               {*connector.connector});
    for (const bot::Diagnostic &d : load.diagnostics)
        ADD_FAILURE() << d.toString().toStdString();
    ASSERT_TRUE(load.bot.has_value());
    engine::Engine engine(*m_store, m_registry, {}, m_clock);
    ASSERT_TRUE(engine.addBot(*load.bot).has_value());

    forms.markFails = true;  // first poll: stored, but the system will not take them
    auto first = engine::pollSource(engine, *load.bot);
    ASSERT_OK(first);
    EXPECT_EQ(first->seen, 4);
    EXPECT_EQ(first->created, 3);
    EXPECT_EQ(first->marked, 0);
    EXPECT_EQ(first->problems.size(), 4);  // the record without an id, and three not marked
    EXPECT_EQ(forms.takenCount(), 0);

    forms.markFails = false;  // second poll: the same three come back; no new items, now marked
    auto second = engine::pollSource(engine, *load.bot);
    ASSERT_TRUE(second.has_value());
    EXPECT_EQ(second->created, 0);
    EXPECT_EQ(second->marked, 3);
    EXPECT_EQ(forms.takenCount(), 3);

    auto third = engine::pollSource(engine, *load.bot);  // nothing new is listed any more
    ASSERT_TRUE(third.has_value());
    EXPECT_EQ(third->seen, 1);
    EXPECT_EQ(third->created, 0);

    auto items = m_store->items({});
    ASSERT_TRUE(items.has_value());
    ASSERT_EQ(items->size(), 3);
    QStringList refs;
    for (const WorkItem &item : *items)
        refs.append(item.sourceRef);
    refs.sort();
    EXPECT_EQ(refs, (QStringList{"record:1", "record:2", "record:3"}));
}

} // namespace
