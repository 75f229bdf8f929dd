// The match step finding candidates through a case system's search API (served over
// loopback): matched, a person choosing, no match, and the system being down.
#include "engine/step_registry.h"
#include "engine_test_support.h"
#include "rest_test_support.h"
#include "test_http_server.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QUrlQuery>

#include <atomic>

using namespace clerk;
using clerk::testing::TestHttpServer;
using clerk::testing::TestRequest;
using clerk::testing::TestResponse;

namespace {

struct Person {
    int id;
    const char *forename, *surname, *dob, *postcode, *nhs;
};

const Person kPeople[] = {
    {11, "Ada", "Okafor", "1984-03-07", "LS6 2AB", "9434765919"},
    {12, "Adam", "Okafor", "1984-03-07", "LS6 2AB", ""},  // a twin brother at the same address
    {13, "Ben", "Ng", "1990-11-30", "LS1 4DY", "9434765870"},
    {14, "Bea", "Ng", "1991-01-02", "LS1 4DY", ""},
};

// GET /people?nhs=... or ?dob=...: people with that NHS number or date of birth.
class PeopleSystem {
public:
    std::atomic<bool> down = false;
    TestHttpServer server{[this](const TestRequest &request) { return answer(request); }};

private:
    TestResponse answer(const TestRequest &request)
    {
        if (down)
            return TestResponse::json(503, "{}");
        const QByteArray nhs = request.query("nhs");
        const QByteArray dob = request.query("dob");
        QJsonArray people;
        for (const Person &p : kPeople) {
            if ((!nhs.isEmpty() && nhs == p.nhs) || (!dob.isEmpty() && dob == p.dob))
                people.append(QJsonObject{{"id", p.id}, {"first", p.forename}, {"last", p.surname}, {"born", p.dob},
                                          {"postcode", p.postcode}, {"nhs", p.nhs}});
        }
        return TestResponse::json(200, QJsonDocument(QJsonObject{{"people", people}}).toJson(QJsonDocument::Compact));
    }
};

class MatchSearchTest : public clerk::testing::EngineFixture {
protected:
    bot::BotDefinition load(const PeopleSystem &system, const QString &onNoMatch = QStringLiteral("continue"))
    {
        const QByteArray connector = "name: cases\nkind: rest\nbase_url: " + system.server.url().toUtf8() +
                                     "\nretry:\n  max_attempts: 0\noperations:\n"
                                     "  by_nhs:\n    method: GET\n    path: people\n    query:\n      nhs: \"{{ params.nhs }}\"\n"
                                     "    records: /people\n    response: {id: /id, forename: /first, surname: /last, "
                                     "date_of_birth: /born, postcode: /postcode, nhs_number: /nhs}\n"
                                     "  by_dob:\n    method: GET\n    path: people\n    query:\n      dob: \"{{ params.dob }}\"\n"
                                     "    records: /people\n    response: {id: /id, forename: /first, surname: /last, "
                                     "date_of_birth: /born, postcode: /postcode, nhs_number: /nhs}\n";
        const QString botYaml = QStringLiteral(R"(name: matcher
version: 1
owner_team: adult-social-care
connectors: [cases]
steps:
  - id: person
    type: match
    params:
      search:
        connector: cases
        queries:
          - operation: by_nhs
            params: {nhs: "{{ input.nhs_number | digits }}"}
          - operation: by_dob
            params: {dob: "{{ input.date_of_birth | iso_date }}"}
      fields:
        forename: {value: "{{ input.forename }}", comparator: name}
        surname: {value: "{{ input.surname }}", comparator: name}
        date_of_birth: {value: "{{ input.date_of_birth }}", comparator: date}
        postcode: {value: "{{ input.postcode }}", comparator: postcode}
        nhs_number: {value: "{{ input.nhs_number }}", comparator: nhs_number}
      on_no_match: %1
)")
                                    .arg(onNoMatch);
        return clerk::testing::loadBotWithConnector(botYaml, connector, m_registry.catalog());
    }

    WorkItem runForm(const bot::BotDefinition &bot, const QJsonObject &form)
    {
        engine::Engine engine(*m_store, m_registry, {}, m_clock);
        EXPECT_TRUE(engine.addBot(bot).has_value());
        const auto submitted = engine.submit(bot, QStringLiteral("form-%1").arg(++m_forms), form);
        EXPECT_TRUE(submitted.has_value());
        EXPECT_TRUE(engine.runUntilIdle().has_value());
        return m_store->item(submitted->id).value_or(WorkItem{});
    }

    engine::StepRegistry m_registry = engine::StepRegistry::builtIn();
    int m_forms = 0;
};

TEST_F(MatchSearchTest, MatchesThePersonTheSearchesFind)
{
    PeopleSystem system;
    const WorkItem item = runForm(load(system), {{"forename", "Ben"}, {"surname", "Ng"}, {"date_of_birth", "30/11/1990"},
                                                 {"postcode", "LS1 4DY"}, {"nhs_number", "943 476 5870"}});
    EXPECT_EQ(item.state, ItemState::Done);
    const QJsonObject person = item.stepOutputs.value("person").toObject();
    EXPECT_EQ(person.value("record_id").toString(), "13");
    EXPECT_EQ(person.value("decision").toString(), "matched");
    // The search by date of birth went out as the case system writes dates.
    bool searchedByDob = false;
    for (const TestRequest &request : system.server.requests())
        searchedByDob = searchedByDob || request.query("dob") == "1990-11-30";
    EXPECT_TRUE(searchedByDob);
}

TEST_F(MatchSearchTest, TwinsAtOneAddressGoToAPersonWithBothCandidates)
{
    PeopleSystem system;
    const WorkItem item = runForm(load(system), {{"forename", "A"}, {"surname", "Okafor"}, {"date_of_birth", "1984-03-07"},
                                                 {"postcode", "LS6 2AB"}});
    EXPECT_EQ(item.state, ItemState::WaitingForHuman);
    const auto open = m_store->exceptions({});
    ASSERT_TRUE(open.has_value());
    ASSERT_EQ(open->size(), 1);
    QStringList offered;
    for (const HumanChoice &choice : open->first().choices)
        offered.append(choice.value);
    offered.sort();
    EXPECT_EQ(offered, (QStringList{"11", "12", "none"}));
    EXPECT_FALSE(open->first().reason.contains("Okafor"));
}

TEST_F(MatchSearchTest, ARecordIdTypedByAPersonIsPickingItsCandidateOrTakenAsTheCaseSystemsOwn)
{
    PeopleSystem system;
    const bot::BotDefinition bot = load(system);
    runForm(bot, {{"forename", "A"}, {"surname", "Okafor"}, {"date_of_birth", "1984-03-07"}, {"postcode", "LS6 2AB"}});
    const auto open = m_store->exceptions({});
    ASSERT_TRUE(open.has_value());
    ASSERT_EQ(open->size(), 1);
    engine::Engine engine(*m_store, m_registry, {}, m_clock);
    ASSERT_TRUE(engine.addBot(bot).has_value());
    const auto typed = [](const QString &id) {
        return store::Decision{.actor = "alice", .fields = {{"record_id", id}}};
    };

    auto offered = engine.checkAnswer(open->first(), typed(" 12 "));
    ASSERT_OK(offered);
    EXPECT_EQ(offered->choice, "12");
    EXPECT_FALSE(offered->fields.contains("record_id"));

    // With a search API there is no index to look in: the case system's id is taken.
    auto other = engine.checkAnswer(open->first(), typed("40"));
    ASSERT_OK(other);
    EXPECT_EQ(other->fields.value("record_id").toString(), "40");
    EXPECT_EQ(other->outputs.value("decision").toString(), "matched");

    auto none = engine.checkAnswer(open->first(), typed(""));
    ASSERT_TRUE(none.has_value());
    EXPECT_EQ(none->choice, "none");

    store::Decision both = typed("11");
    both.choice = "12";
    EXPECT_FALSE(engine.checkAnswer(open->first(), both).has_value());
}

TEST_F(MatchSearchTest, NoMatchContinuesOrAsksAPersonAsTheBotSays)
{
    PeopleSystem system;
    const QJsonObject stranger{{"forename", "Cy"}, {"surname", "Zed"}, {"date_of_birth", "2001-05-05"}, {"postcode", "M1 1AA"}};
    const WorkItem carriedOn = runForm(load(system), stranger);
    EXPECT_EQ(carriedOn.state, ItemState::Done);
    EXPECT_EQ(carriedOn.stepOutputs.value("person").toObject().value("decision").toString(), "no_match");

    const WorkItem asked = runForm(load(system, QStringLiteral("needs_human")), stranger);
    EXPECT_EQ(asked.state, ItemState::WaitingForHuman);
}

TEST_F(MatchSearchTest, ACaseSystemThatIsDownMakesTheItemWait)
{
    PeopleSystem system;
    system.down = true;
    const WorkItem item = runForm(load(system), {{"surname", "Ng"}, {"date_of_birth", "1990-11-30"}});
    EXPECT_EQ(item.state, ItemState::Queued);
    EXPECT_TRUE(item.lastError.contains("unavailable")) << item.lastError.toStdString();
}

TEST_F(MatchSearchTest, IndexAndSearchTogetherAreRefused)
{
    PeopleSystem system;
    bot::BotDefinition bot = load(system);
    QJsonObject params = bot.steps.first().params;
    params.insert(QStringLiteral("index"), QJsonObject{{"path", "people.csv"}});
    bot.steps.first().params = params;
    const auto created = m_registry.find(QStringLiteral("match"))->create(bot, bot.steps.first());
    ASSERT_FALSE(created.has_value());
    EXPECT_TRUE(created.error().message().contains("not both"));
}

} // namespace
