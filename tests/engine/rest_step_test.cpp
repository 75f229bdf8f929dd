// The rest step end to end: the engine runs items through a bot whose step acts in a
// small case system served over loopback, with real SQLite underneath. The case system
// misbehaves on cue (acts and then times out, refuses, rejects credentials), and the
// tests count what landed there: nothing may land twice.
#include "engine/step_registry.h"
#include "engine_test_support.h"
#include "rest_test_support.h"
#include "test_http_server.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QMutex>
#include <QFile>
#include <QRegularExpression>
#include <QTemporaryDir>

#include <atomic>

using namespace clerk;
using namespace std::chrono_literals;
using clerk::testing::TestHttpServer;
using clerk::testing::TestRequest;
using clerk::testing::TestResponse;

namespace {

// Cases with notes. POST /cases/N/notes adds a note (no idempotency support);
// POST /cases creates a case and honours Idempotency-Key.
class CaseSystem {
public:
    std::atomic<int> actThenTimeOut = 0;  // the next N writes land, then answer too late
    std::atomic<int> refuseWith = 0;      // answer writes with this status instead
    std::atomic<int> outageCalls = 0;     // answer the next N calls with 503 Retry-After: 120

    TestHttpServer server{[this](const TestRequest &request) { return answer(request); }};

    QStringList notes(int caseId)
    {
        QMutexLocker lock(&m_mutex);
        return m_notes.value(caseId);
    }
    int casesCreated()
    {
        QMutexLocker lock(&m_mutex);
        return m_created;
    }
    int writes()
    {
        int count = 0;
        for (const TestRequest &request : server.requests())
            count += request.method == "POST" ? 1 : 0;
        return count;
    }

private:
    TestResponse answer(const TestRequest &request)
    {
        QMutexLocker lock(&m_mutex);
        if (outageCalls > 0) {
            --outageCalls;
            TestResponse down = TestResponse::json(503, R"({"error": "maintenance"})");
            down.headers.emplaceBack("Retry-After", "120");
            return down;
        }
        if (request.header("x-api-key") != "k-1")
            return TestResponse::json(401, R"({"error": "who are you"})");
        static const QRegularExpression notePath(QStringLiteral("^/cases/(\\d+)/notes$"));
        static const QRegularExpression casePath(QStringLiteral("^/cases/(\\d+)\\.json$"));
        const QString path = QString::fromLatin1(request.path());
        if (request.method == "POST" && refuseWith > 0)
            return TestResponse::json(refuseWith, R"({"errors": ["Case is closed"]})");
        TestResponse response;
        if (const auto match = notePath.match(path); match.hasMatch() && request.method == "POST") {
            const int id = match.captured(1).toInt();
            m_notes[id].append(QJsonDocument::fromJson(request.body).object().value("note").toString());
            response = TestResponse::json(201, QByteArray(R"({"note": {"id": )") +
                                                   QByteArray::number(m_notes[id].size()) + "}}");
        } else if (const auto get = casePath.match(path); get.hasMatch() && request.method == "GET") {
            QJsonArray notes;
            for (const QString &note : m_notes.value(get.captured(1).toInt()))
                notes.append(QJsonObject{{"text", note}});
            response = TestResponse::json(200, QJsonDocument(QJsonObject{{"case", QJsonObject{{"id", get.captured(1).toInt()},
                                                                                               {"notes", notes}}}})
                                                   .toJson(QJsonDocument::Compact));
        } else if (path == "/cases" && request.method == "POST") {
            const QByteArray key = request.header("idempotency-key");
            if (!key.isEmpty() && m_byKey.contains(key)) {
                response = TestResponse::json(201, m_byKey.value(key));  // a replay: same answer, no new case
            } else {
                ++m_created;
                const QByteArray body = R"({"case": {"id": )" + QByteArray::number(100 + m_created) + "}}";
                if (!key.isEmpty())
                    m_byKey.insert(key, body);
                response = TestResponse::json(201, body);
            }
        } else {
            return TestResponse::json(404, "{}");
        }
        if (request.method == "POST" && actThenTimeOut > 0) {
            --actThenTimeOut;
            response.delayMs = 1500;  // longer than the connector's 1 s timeout
        }
        return response;
    }

    QMutex m_mutex;
    QHash<int, QStringList> m_notes;
    QHash<QByteArray, QByteArray> m_byKey;
    int m_created = 0;
};

QByteArray connectorYaml(const QString &url, const char *keyEnv = "CLERK_TEST_CASES_KEY")
{
    return "name: cases\nkind: rest\nbase_url: " + url.toUtf8() +
           "\nauth:\n  type: api_key\n  header: X-Api-Key\n  key: ${env:" + keyEnv +
           "}\n"
           "retry:\n  max_attempts: 2\n  initial_delay: 10ms\n  max_delay: 100ms\n"
           "timeouts:\n  read: 1s\n"
           "operations:\n"
           "  add_note:\n    method: POST\n    path: cases/{{ params.id }}/notes\n    idempotency: none\n"
           "    body:\n      note: \"{{ params.text }} (clerk {{ key }})\"\n"
           "    response:\n      note_id: /note/id\n"
           "  get_case:\n    method: GET\n    path: cases/{{ params.id }}.json\n"
           "  create_case:\n    method: POST\n    path: cases\n"
           "    body:\n      surname: \"{{ params.surname }}\"\n"
           "    response:\n      case_id: /case/id\n";
}

const char *kNoteBot = R"(name: noter
version: 1
owner_team: adult-social-care
retry:
  max_attempts: 5
  initial_delay: 1s
  max_delay: 1m
connectors: [cases]
steps:
  - id: note
    type: rest
    params:
      connector: cases
      operation: add_note
      params:
        id: "{{ input.case_id }}"
        text: "Contact form received"
%1)";

const char *kCheck = R"(      check:
        operation: get_case
        params:
          id: "{{ input.case_id }}"
)";

class RestStepTest : public clerk::testing::EngineFixture {
protected:
    void SetUp() override
    {
        EngineFixture::SetUp();
        qputenv("CLERK_TEST_CASES_KEY", "k-1");
    }

    bot::BotDefinition load(const QString &botYaml, const QByteArray &connector)
    {
        return clerk::testing::loadBotWithConnector(botYaml, connector, m_registry.catalog());
    }

    // Runs every item that is due, then moves the clock past any retry delay, until idle.
    void runAll(engine::Engine &engine, int rounds = 4)
    {
        for (int i = 0; i < rounds; ++i) {
            ASSERT_TRUE(engine.runUntilIdle().has_value());
            m_clock.advance(1h);
        }
    }

    // Makes the bot known to the engine and enqueues one form; 0 when that failed.
    qint64 submit(engine::Engine &engine, const bot::BotDefinition &bot, const QJsonObject &payload)
    {
        EXPECT_TRUE(engine.addBot(bot).has_value());
        const auto submitted = engine.submit(bot, QStringLiteral("form-1"), payload);
        EXPECT_TRUE(submitted.has_value());
        return submitted ? submitted->id : 0;
    }

    WorkItem item(qint64 id)
    {
        auto found = m_store->item(id);
        EXPECT_TRUE(found.has_value());
        return found.value_or(WorkItem{});
    }

    engine::StepRegistry m_registry = engine::StepRegistry::builtIn();
};

TEST_F(RestStepTest, AddsANoteAndReturnsTheSystemsFields)
{
    CaseSystem cases;
    const bot::BotDefinition bot = load(QString::fromLatin1(kNoteBot).arg(QString()), connectorYaml(cases.server.url()));
    engine::Engine engine(*m_store, m_registry, {}, m_clock);
    const qint64 id = submit(engine, bot, {{"case_id", 7}});
    ASSERT_NE(id, 0);
    runAll(engine, 1);

    const WorkItem done = item(id);
    EXPECT_EQ(done.state, ItemState::Done);
    const QJsonObject outputs = done.stepOutputs.value("note").toObject();
    EXPECT_EQ(outputs.value("note_id").toInt(), 1);
    EXPECT_EQ(outputs.value("status").toInt(), 201);
    ASSERT_EQ(cases.notes(7).size(), 1);
    EXPECT_TRUE(cases.notes(7).first().startsWith("Contact form received (clerk clerk-"));
}

TEST_F(RestStepTest, ATimeoutAfterTheNoteLandedDoesNotAddItTwice)
{
    CaseSystem cases;
    cases.actThenTimeOut = 1;
    const bot::BotDefinition bot = load(QString::fromLatin1(kNoteBot).arg(QLatin1String(kCheck)), connectorYaml(cases.server.url()));
    engine::Engine engine(*m_store, m_registry, {}, m_clock);
    const qint64 id = submit(engine, bot, {{"case_id", 7}});
    ASSERT_NE(id, 0);

    ASSERT_TRUE(engine.runUntilIdle().has_value());
    EXPECT_EQ(item(id).state, ItemState::Queued);  // waiting to retry
    EXPECT_EQ(cases.notes(7).size(), 1);                      // but the note landed

    runAll(engine);
    const WorkItem done = item(id);
    EXPECT_EQ(done.state, ItemState::Done);
    EXPECT_TRUE(done.stepOutputs.value("note").toObject().value("already_done").toBool());
    EXPECT_EQ(cases.notes(7).size(), 1);  // found by its key, not written again
    EXPECT_EQ(cases.writes(), 1);
}

TEST_F(RestStepTest, WithoutACheckAPersonDecidesInsteadOfWritingAgain)
{
    CaseSystem cases;
    cases.actThenTimeOut = 1;
    const bot::BotDefinition bot = load(QString::fromLatin1(kNoteBot).arg(QString()), connectorYaml(cases.server.url()));
    engine::Engine engine(*m_store, m_registry, {}, m_clock);
    const qint64 id = submit(engine, bot, {{"case_id", 7}});
    ASSERT_NE(id, 0);
    runAll(engine);

    EXPECT_EQ(item(id).state, ItemState::WaitingForHuman);
    EXPECT_EQ(cases.writes(), 1);
    const auto open = m_store->exceptions({});
    ASSERT_TRUE(open.has_value());
    ASSERT_EQ(open->size(), 1);
    EXPECT_TRUE(open->first().reason.contains("may have landed"));
    EXPECT_EQ(open->first().choices.size(), 2);
}

TEST_F(RestStepTest, AnIdempotencyKeyMakesAResentCreateSafe)
{
    CaseSystem cases;
    cases.actThenTimeOut = 1;
    const QString botYaml = QStringLiteral(R"(name: creator
version: 1
owner_team: children
connectors: [cases]
steps:
  - id: create
    type: rest
    params:
      connector: cases
      operation: create_case
      params:
        surname: "{{ input.surname }}"
)");
    const bot::BotDefinition bot = load(botYaml, connectorYaml(cases.server.url()));
    engine::Engine engine(*m_store, m_registry, {}, m_clock);
    const qint64 id = submit(engine, bot, {{"surname", "Ng"}});
    ASSERT_NE(id, 0);
    runAll(engine);

    const WorkItem done = item(id);
    EXPECT_EQ(done.state, ItemState::Done);
    EXPECT_EQ(done.stepOutputs.value("create").toObject().value("case_id").toInt(), 101);
    EXPECT_EQ(cases.writes(), 2);         // sent again with the same key...
    EXPECT_EQ(cases.casesCreated(), 1);   // ...and created once
}

TEST_F(RestStepTest, AnOutageMakesTheItemWaitAsLongAsTheSystemAsks)
{
    CaseSystem cases;
    cases.outageCalls = 1;
    const bot::BotDefinition bot = load(QString::fromLatin1(kNoteBot).arg(QString()), connectorYaml(cases.server.url()));
    engine::Engine engine(*m_store, m_registry, {}, m_clock);
    const qint64 id = submit(engine, bot, {{"case_id", 3}});
    ASSERT_NE(id, 0);
    const QDateTime before = m_clock.now();
    ASSERT_TRUE(engine.runUntilIdle().has_value());

    const WorkItem waiting = item(id);
    EXPECT_EQ(waiting.state, ItemState::Queued);
    EXPECT_TRUE(waiting.lastError.contains("503"));
    EXPECT_GE(before.secsTo(waiting.notBefore), 120);  // Retry-After: 120 beats the bot's 1 s backoff
    EXPECT_TRUE(cases.notes(3).isEmpty());

    runAll(engine);
    EXPECT_EQ(item(id).state, ItemState::Done);
    EXPECT_EQ(cases.notes(3).size(), 1);
}

TEST_F(RestStepTest, ARefusedRequestGoesToAPersonWithTheSystemsAnswer)
{
    CaseSystem cases;
    cases.refuseWith = 422;
    const bot::BotDefinition bot = load(QString::fromLatin1(kNoteBot).arg(QString()), connectorYaml(cases.server.url()));
    engine::Engine engine(*m_store, m_registry, {}, m_clock);
    const qint64 id = submit(engine, bot, {{"case_id", 7}});
    ASSERT_NE(id, 0);
    runAll(engine, 1);

    EXPECT_EQ(item(id).state, ItemState::WaitingForHuman);
    const auto open = m_store->exceptions({});
    ASSERT_TRUE(open.has_value());
    ASSERT_EQ(open->size(), 1);
    const store::ExceptionItem &question = open->first();
    EXPECT_TRUE(question.reason.contains("422"));
    EXPECT_FALSE(question.reason.contains("closed"));  // the answer is evidence, not the reason
    EXPECT_TRUE(question.evidence.value("answer").toString().contains("Case is closed"));
    EXPECT_EQ(cases.writes(), 1);  // not retried
}

TEST_F(RestStepTest, RefusedCredentialsFailTheItemClearly)
{
    CaseSystem cases;
    qputenv("CLERK_TEST_WRONG_KEY", "wrong");
    const bot::BotDefinition bot = load(QString::fromLatin1(kNoteBot).arg(QString()),
                                        connectorYaml(cases.server.url(), "CLERK_TEST_WRONG_KEY"));
    engine::Engine engine(*m_store, m_registry, {}, m_clock);
    const qint64 id = submit(engine, bot, {{"case_id", 7}});
    ASSERT_NE(id, 0);
    runAll(engine, 1);

    const WorkItem failed = item(id);
    EXPECT_EQ(failed.state, ItemState::Failed);
    EXPECT_TRUE(failed.lastError.contains("credentials")) << failed.lastError.toStdString();
    EXPECT_EQ(cases.writes(), 1);
}

TEST_F(RestStepTest, DryRunDescribesTheCallWithoutMakingIt)
{
    CaseSystem cases;
    const bot::BotDefinition bot = load(QString::fromLatin1(kNoteBot).arg(QString()), connectorYaml(cases.server.url()));
    engine::EngineOptions options;
    options.dryRun = true;
    engine::Engine engine(*m_store, m_registry, options, m_clock);
    const qint64 id = submit(engine, bot, {{"case_id", 7}});
    ASSERT_NE(id, 0);
    runAll(engine, 1);

    EXPECT_EQ(item(id).stepOutputs.value("note").toObject().value("dry_run").toString(),
              "POST add_note through connector cases");
    EXPECT_TRUE(cases.server.requests().isEmpty());
}

TEST_F(RestStepTest, AnUnknownOperationIsRefusedWhenTheStepIsCreated)
{
    CaseSystem cases;
    QString yaml = QString::fromLatin1(kNoteBot).arg(QString());
    yaml.replace(QStringLiteral("operation: add_note"), QStringLiteral("operation: add_notes"));
    const bot::BotDefinition bot = load(yaml, connectorYaml(cases.server.url()));
    const engine::StepType *type = m_registry.find(QStringLiteral("rest"));
    ASSERT_NE(type, nullptr);
    const auto created = type->create(bot, bot.steps.first());
    ASSERT_FALSE(created.has_value());
    EXPECT_TRUE(created.error().message().contains("no operation 'add_notes'"));
    EXPECT_TRUE(created.error().message().contains("add_note, create_case, get_case"));
}

// Letters to the case system: a document step writes the PDF, a rest step uploads it
// (Redmine's uploads.json: the bytes as they are, a token back).
class UploadTest : public RestStepTest {
protected:
    QByteArray uploadConnector(const QString &url)
    {
        return connectorYaml(url) +
               "  upload_file:\n    method: POST\n    path: uploads.json\n"
               "    query:\n      filename: \"{{ params.filename }}\"\n"
               "    upload: true\n    idempotency: repeatable\n"
               "    response:\n      token: /upload/token\n";
    }

    bot::BotDefinition loadIn(const QString &botYaml, const QByteArray &connectorText)
    {
        const bot::ConnectorLoad connector = bot::loadConnectorText(connectorText, QStringLiteral("cases.yaml"), engine::connectorKinds());
        bot::BotLoad load = bot::loadBotText(botYaml.toUtf8(), m_dir.filePath(QStringLiteral("bot.yaml")), m_registry.catalog(),
                                             {connector.connector.value_or(bot::ConnectorDefinition{})}, m_dir.path());
        for (const bot::Diagnostic &d : load.diagnostics)
            ADD_FAILURE() << d.toString().toStdString();
        return load.bot.value_or(bot::BotDefinition{});
    }

    QString letterBot(const QString &upload)
    {
        return QStringLiteral("name: letters\nversion: 1\nowner_team: revenues\n"
                              "retry:\n  max_attempts: 5\n  initial_delay: 1s\n  max_delay: 1m\n"
                              "connectors: [cases]\nsteps:\n"
                              "  - id: letter\n    type: document\n    params:\n"
                              "      title: Your assessment\n      file: \"letters/assessment-{{ input.case_id }}.pdf\"\n"
                              "      template: \"Dear {{ input.name }}, we have your request.\"\n"
                              "  - id: upload\n    type: rest\n    params:\n      connector: cases\n"
                              "      operation: upload_file\n      params:\n        filename: \"assessment-{{ input.case_id }}.pdf\"\n"
                              "      upload: \"%1\"\n").arg(upload);
    }

    QTemporaryDir m_dir;
    std::atomic<int> m_outage = 0;
    TestHttpServer m_server{[this](const TestRequest &request) {
        if (m_outage > 0) {
            --m_outage;
            TestResponse down = TestResponse::json(503, R"({"error": "maintenance"})");
            down.headers.emplaceBack("Retry-After", "60");
            return down;
        }
        if (request.path() != "/uploads.json" || request.method != "POST")
            return TestResponse::json(404, "{}");
        return TestResponse::json(201, R"({"upload": {"token": "12.7a4c"}})");
    }};
};

TEST_F(UploadTest, TheLetterADocumentStepWroteIsSentAsItIs)
{
    const bot::BotDefinition bot = loadIn(letterBot(QStringLiteral("{{ letter.file }}")), uploadConnector(m_server.url()));
    engine::Engine engine(*m_store, m_registry, {}, m_clock);
    const qint64 id = submit(engine, bot, {{"case_id", 31}, {"name", "Ada Okafor"}});
    ASSERT_NE(id, 0);
    runAll(engine, 1);

    const WorkItem done = item(id);
    ASSERT_EQ(done.state, ItemState::Done) << done.lastError.toStdString();
    EXPECT_EQ(done.stepOutputs.value("upload").toObject().value("token").toString(), "12.7a4c");
    ASSERT_EQ(m_server.requests().size(), 1);
    const TestRequest request = m_server.requests().first();
    EXPECT_EQ(request.header("content-type"), "application/octet-stream");
    EXPECT_EQ(request.query("filename"), "assessment-31.pdf");
    QFile letter(m_dir.filePath(QStringLiteral("letters/assessment-31.pdf")));
    ASSERT_TRUE(letter.open(QIODevice::ReadOnly));
    EXPECT_TRUE(request.body.startsWith("%PDF"));
    EXPECT_EQ(request.body, letter.readAll());
}

TEST_F(UploadTest, AFileTheItemMayNotNameIsNeverSent)
{
    const bot::BotDefinition bot = loadIn(letterBot(QStringLiteral("{{ input.file }}")), uploadConnector(m_server.url()));
    engine::Engine engine(*m_store, m_registry, {}, m_clock);
    const qint64 id = submit(engine, bot, {{"case_id", 32}, {"name", "Ada Okafor"}, {"file", "/etc/passwd"}});
    ASSERT_NE(id, 0);
    runAll(engine, 1);

    const WorkItem failed = item(id);
    EXPECT_EQ(failed.state, ItemState::Failed);
    EXPECT_TRUE(failed.lastError.contains("upload_file")) << failed.lastError.toStdString();
    EXPECT_TRUE(m_server.requests().isEmpty());
}

TEST_F(UploadTest, ALetterChangedSinceItWasWrittenIsNeverSent)
{
    m_outage = 1;  // the first attempt finds the case system down; the letter is changed meanwhile
    const bot::BotDefinition bot = loadIn(letterBot(QStringLiteral("{{ letter.file }}")), uploadConnector(m_server.url()));
    engine::Engine engine(*m_store, m_registry, {}, m_clock);
    const qint64 id = submit(engine, bot, {{"case_id", 33}, {"name", "Ada Okafor"}});
    ASSERT_NE(id, 0);
    ASSERT_TRUE(engine.runUntilIdle().has_value());
    ASSERT_EQ(item(id).state, ItemState::Queued);
    QFile letter(m_dir.filePath(QStringLiteral("letters/assessment-33.pdf")));
    ASSERT_TRUE(letter.open(QIODevice::Append));
    letter.write("\n% not what the step wrote\n");
    letter.close();
    m_clock.advance(1h);
    ASSERT_TRUE(engine.runUntilIdle().has_value());

    const WorkItem failed = item(id);
    EXPECT_EQ(failed.state, ItemState::Failed);
    EXPECT_TRUE(failed.lastError.contains("no longer holds what step letter wrote")) << failed.lastError.toStdString();
    EXPECT_EQ(m_server.requests().size(), 1);  // only the first attempt's, which the outage refused
}

TEST_F(UploadTest, AnUploadOperationNeedsAFileAndOnlyAnUploadTakesOne)
{
    QString without = letterBot(QStringLiteral("{{ letter.file }}"));
    without.remove(QStringLiteral("      upload: \"{{ letter.file }}\"\n"));
    const bot::BotDefinition bot = loadIn(without, uploadConnector(m_server.url()));
    const auto created = m_registry.find(QStringLiteral("rest"))->create(bot, bot.steps.last());
    ASSERT_FALSE(created.has_value());
    EXPECT_TRUE(created.error().message().contains("sends a file: name it with upload")) << created.error().toString().toStdString();

    QString stray = letterBot(QStringLiteral("{{ letter.file }}"));
    stray.replace(QStringLiteral("operation: upload_file"), QStringLiteral("operation: get_case"));
    const bot::BotDefinition other = loadIn(stray, uploadConnector(m_server.url()));
    const auto refused = m_registry.find(QStringLiteral("rest"))->create(other, other.steps.last());
    ASSERT_FALSE(refused.has_value());
    EXPECT_TRUE(refused.error().message().contains("sends no file")) << refused.error().toString().toStdString();
}

} // namespace
