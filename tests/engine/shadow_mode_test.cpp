// Shadow mode (mode: shadow): the bot decides, a person acts. Run through the engine on
// a real SQLite store, with a classify step whose keyword rules decide (no model), and
// a match step on a small people file; `clerk queue show` is run as a process.
#include "engine_test_support.h"

#include <QFile>
#include <QJsonArray>
#include <QProcess>

using namespace clerk;
using namespace std::chrono_literals;
using clerk::testing::EngineFixture;
using clerk::testing::loadBot;

namespace {

// A rule hit decides with confidence 0.99 (rule_mode: decide), above the 0.9 threshold.
const QString kClassifyBot = QStringLiteral(
    "name: post\n"
    "version: 1\n"
    "owner_team: post-room\n"
    "%1"
    "steps:\n"
    "  - id: topic\n"
    "    type: classify\n"
    "    params:\n"
    "      text: \"{{ input.text }}\"\n"
    "      threshold: 0.9\n"
    "      rule_mode: decide\n"
    "      categories:\n"
    "        highways: {label: Highways, team: highways, keywords: [pothole]}\n"
    "        blue_badge: {label: Blue Badge, team: blue-badge, keywords: [blue badge]}\n"
    "        complaint: {label: Complaint, team: complaints, keywords: [complain]}\n"
    "  - id: route\n"
    "    type: set\n"
    "    params:\n"
    "      values:\n"
    "        line: \"to {{ topic.team }} as {{ topic.category }}\"\n");

const QString kShadow = QStringLiteral("mode: shadow\n");
const QString kBlind = QStringLiteral("mode: shadow\nshadow: {show_suggestion: false}\n");

QStringList choiceValues(const QList<HumanChoice> &choices)
{
    QStringList values;
    for (const HumanChoice &choice : choices)
        values.append(choice.value);
    return values;
}

class ShadowModeTest : public EngineFixture {
protected:
    engine::EngineOptions options()
    {
        engine::EngineOptions o;
        o.workerId = QStringLiteral("w1");
        o.leaseFor = 10s;
        return o;
    }

    bot::BotDefinition classifyBot(const QString &mode)
    {
        bot::BotDefinition definition = loadBot(kClassifyBot.arg(mode), m_registry.catalog());
        definition.baseDir = m_dir.path();  // no trained model there: the rules decide
        return definition;
    }

    // Submits one letter and runs it until it stops; returns the item id.
    qint64 runLetter(engine::Engine &engine, const bot::BotDefinition &definition, const QString &text)
    {
        auto submitted = engine.submit(definition, QStringLiteral("letter-%1").arg(++m_letters),
                                       {{QStringLiteral("text"), text}});
        EXPECT_TRUE(submitted.has_value());
        EXPECT_TRUE(engine.runUntilIdle().has_value());
        return submitted ? submitted->id : 0;
    }

    store::ExceptionItem onlyException()
    {
        auto open = m_store->exceptions({});
        EXPECT_TRUE(open.has_value());
        EXPECT_EQ(open.value_or(QList<store::ExceptionItem>{}).size(), 1);
        return open && !open->isEmpty() ? open->first() : store::ExceptionItem{};
    }

    WorkItem item(qint64 id)
    {
        auto found = m_store->item(id);
        EXPECT_TRUE(found.has_value());
        return found.value_or(WorkItem{});
    }

    engine::StepRegistry m_registry = engine::StepRegistry::builtIn();
    int m_letters = 0;
};

} // namespace

TEST_F(ShadowModeTest, LiveBotDecidesAboveItsThresholdWithoutAPerson)
{
    engine::Engine engine(*m_store, m_registry, options(), m_clock);
    const qint64 id = runLetter(engine, classifyBot({}), QStringLiteral("There is a pothole on Mill Lane."));
    const WorkItem done = item(id);
    EXPECT_EQ(done.state, ItemState::Done);
    EXPECT_EQ(done.stepOutputs.value(QStringLiteral("route")).toObject().value(QStringLiteral("line")).toString(),
              QStringLiteral("to highways as highways"));
    auto open = m_store->exceptions({});
    ASSERT_TRUE(open.has_value());
    EXPECT_TRUE(open->isEmpty());
}

TEST_F(ShadowModeTest, ShadowBotAboveItsThresholdAsksAPersonWithItsSuggestion)
{
    engine::Engine engine(*m_store, m_registry, options(), m_clock);
    const qint64 id = runLetter(engine, classifyBot(kShadow), QStringLiteral("There is a pothole on Mill Lane."));
    EXPECT_EQ(item(id).state, ItemState::WaitingForHuman);

    const store::ExceptionItem e = onlyException();
    EXPECT_EQ(e.stepId, QStringLiteral("topic"));
    EXPECT_TRUE(e.evidence.value(QStringLiteral("shadow")).toBool());
    EXPECT_FALSE(e.evidence.contains(QStringLiteral("blind")));
    const QJsonObject suggestion = e.evidence.value(QStringLiteral("suggestion")).toObject();
    EXPECT_EQ(suggestion.value(QStringLiteral("choice")).toString(), QStringLiteral("highways"));
    EXPECT_DOUBLE_EQ(suggestion.value(QStringLiteral("confidence")).toDouble(), 0.99);
    const QJsonObject outputs = suggestion.value(QStringLiteral("outputs")).toObject();
    EXPECT_EQ(outputs.value(QStringLiteral("category")).toString(), QStringLiteral("highways"));
    EXPECT_EQ(outputs.value(QStringLiteral("team")).toString(), QStringLiteral("highways"));
    EXPECT_EQ(outputs.value(QStringLiteral("decided_by")).toString(), QStringLiteral("rule"));
    // The person can agree with the bot: its answer is among the choices.
    EXPECT_TRUE(choiceValues(e.choices).contains(QStringLiteral("highways")));
    EXPECT_TRUE(e.reason.startsWith(QStringLiteral("shadow mode"))) << e.reason.toStdString();
}

TEST_F(ShadowModeTest, ThePersonsAnswerDrivesTheRestOfTheItem)
{
    engine::Engine engine(*m_store, m_registry, options(), m_clock);
    const qint64 id = runLetter(engine, classifyBot(kShadow), QStringLiteral("There is a pothole on Mill Lane."));
    const store::ExceptionItem e = onlyException();

    // The person disagrees with the bot: their answer, not the suggestion, goes on.
    store::Decision decision;
    decision.actor = QStringLiteral("alice");
    decision.choice = QStringLiteral("complaint");
    auto resolved = m_store->resolve(e.id, decision);
    ASSERT_OK(resolved);
    ASSERT_TRUE(engine.runUntilIdle().has_value());

    const WorkItem done = item(id);
    EXPECT_EQ(done.state, ItemState::Done);
    EXPECT_EQ(done.stepOutputs.value(QStringLiteral("topic")).toObject().value(QStringLiteral("category")).toString(),
              QStringLiteral("complaint"));
    EXPECT_EQ(done.stepOutputs.value(QStringLiteral("route")).toObject().value(QStringLiteral("line")).toString(),
              QStringLiteral("to complaints as complaint"));
    // The suggestion stays on the answered item, for the shadow figures.
    auto answered = m_store->exception(e.id);
    ASSERT_TRUE(answered.has_value());
    EXPECT_EQ(answered->evidence.value(QStringLiteral("suggestion")).toObject().value(QStringLiteral("choice")).toString(),
              QStringLiteral("highways"));
}

TEST_F(ShadowModeTest, BelowItsThresholdAShadowBotRecordsItsBestGuess)
{
    engine::Engine engine(*m_store, m_registry, options(), m_clock);
    runLetter(engine, classifyBot(kShadow), QStringLiteral("I am writing about my council tax bill."));
    const store::ExceptionItem e = onlyException();
    EXPECT_TRUE(e.reason.startsWith(QStringLiteral("not sure"))) << e.reason.toStdString();
    EXPECT_TRUE(e.evidence.value(QStringLiteral("shadow")).toBool());
    const QJsonObject suggestion = e.evidence.value(QStringLiteral("suggestion")).toObject();
    const QString guess = suggestion.value(QStringLiteral("choice")).toString();
    EXPECT_FALSE(guess.isEmpty());
    EXPECT_TRUE(choiceValues(e.choices).contains(guess));
    EXPECT_LT(suggestion.value(QStringLiteral("confidence")).toDouble(), 0.9);
    EXPECT_EQ(suggestion.value(QStringLiteral("outputs")).toObject().value(QStringLiteral("category")).toString(), guess);
}

TEST_F(ShadowModeTest, ALiveBotBelowItsThresholdRecordsNoSuggestion)
{
    engine::Engine engine(*m_store, m_registry, options(), m_clock);
    runLetter(engine, classifyBot({}), QStringLiteral("I am writing about my council tax bill."));
    const store::ExceptionItem e = onlyException();
    EXPECT_FALSE(e.evidence.contains(QStringLiteral("shadow")));
    EXPECT_FALSE(e.evidence.contains(QStringLiteral("suggestion")));
    EXPECT_TRUE(e.evidence.contains(QStringLiteral("ranking")));
}

TEST_F(ShadowModeTest, ABlindTrialStoresTheSuggestionButShowsNothingThatPointsToIt)
{
    engine::Engine engine(*m_store, m_registry, options(), m_clock);
    runLetter(engine, classifyBot(kBlind), QStringLiteral("There is a pothole on Mill Lane."));
    const store::ExceptionItem e = onlyException();
    EXPECT_TRUE(e.evidence.value(QStringLiteral("blind")).toBool());
    EXPECT_EQ(e.evidence.value(QStringLiteral("suggestion")).toObject().value(QStringLiteral("choice")).toString(),
              QStringLiteral("highways"));
    // Every category, in its own order, without the bot's ranking or confidences.
    EXPECT_EQ(choiceValues(e.choices),
              (QStringList{QStringLiteral("blue_badge"), QStringLiteral("complaint"), QStringLiteral("highways")}));
    for (const HumanChoice &choice : e.choices)
        EXPECT_FALSE(choice.detail.contains(QStringLiteral("confidence")));
    for (const char *key : {"best", "confidence", "ranking", "reasons"})
        EXPECT_FALSE(e.evidence.contains(QLatin1String(key))) << key;
    EXPECT_FALSE(e.reason.contains(QStringLiteral("0.99")));
}

TEST_F(ShadowModeTest, ClerkQueueShowHidesTheSuggestionOfABlindTrial)
{
    engine::Engine engine(*m_store, m_registry, options(), m_clock);
    runLetter(engine, classifyBot(kBlind), QStringLiteral("There is a pothole on Mill Lane."));
    runLetter(engine, classifyBot(kShadow), QStringLiteral("A pothole again."));
    auto open = m_store->exceptions({});
    ASSERT_TRUE(open.has_value());
    ASSERT_EQ(open->size(), 2);
    qint64 blindId = 0;
    qint64 shownId = 0;
    for (const store::ExceptionItem &e : *open)
        (e.evidence.value(QStringLiteral("blind")).toBool() ? blindId : shownId) = e.id;
    ASSERT_NE(blindId, 0);
    ASSERT_NE(shownId, 0);

    const auto show = [this](qint64 id, bool json) {
        QProcess clerk;
        QStringList arguments{QStringLiteral("queue"), QStringLiteral("show"), QString::number(id),
                              QStringLiteral("--db"), path(QStringLiteral("work.db"))};
        if (json)
            arguments.append(QStringLiteral("--json"));
        clerk.start(QStringLiteral(CLERK_BINARY), arguments);
        EXPECT_TRUE(clerk.waitForFinished(30000));
        EXPECT_EQ(clerk.exitCode(), 0) << clerk.readAllStandardError().toStdString();
        return QString::fromUtf8(clerk.readAllStandardOutput());
    };
    for (const bool json : {false, true}) {
        const QString blind = show(blindId, json);
        EXPECT_TRUE(blind.contains(QStringLiteral("blind"))) << blind.toStdString();
        EXPECT_FALSE(blind.contains(QStringLiteral("suggestion"))) << blind.toStdString();
        const QString shown = show(shownId, json);
        EXPECT_TRUE(shown.contains(QStringLiteral("suggestion"))) << shown.toStdString();
    }
}

// --- match ---------------------------------------------------------------------------

namespace {

const QByteArray kPeople = "person_id,first_name,last_name,date_of_birth,postcode\n"
                           "P1,George,Jones,1975-07-30,M1 1AE\n"
                           "P2,Amelia,Smith,1980-03-02,LS6 2AB\n"
                           "P4,Oliver,Taylor,1990-11-05,B33 8TH\n";

const QString kMatchBot = QStringLiteral(
    "name: forms\n"
    "version: 1\n"
    "owner_team: front-door\n"
    "%1"
    "steps:\n"
    "  - id: person\n"
    "    type: match\n"
    "    params:\n"
    "      index: {path: people.csv, id_column: person_id}\n"
    "      fields:\n"
    "        forename: {value: \"{{ input.forename }}\", comparator: name, column: first_name}\n"
    "        surname: {value: \"{{ input.surname }}\", comparator: name, column: last_name}\n"
    "        dob: {value: \"{{ input.dob }}\", comparator: date, column: date_of_birth}\n"
    "        postcode: {value: \"{{ input.postcode }}\", comparator: postcode}\n"
    "  - id: note\n"
    "    type: set\n"
    "    params:\n"
    "      values:\n"
    "        line: \"record {{ person.record_id }} by {{ person.decided_by }}\"\n");

} // namespace

TEST_F(ShadowModeTest, AShadowMatchOffersTheCandidatesWithTheBotsPickAndGoesOnWithThePersons)
{
    QFile people(path(QStringLiteral("people.csv")));
    ASSERT_TRUE(people.open(QIODevice::WriteOnly));
    people.write(kPeople);
    people.close();
    for (const QString &mode : {QString(), kShadow}) {
        bot::BotDefinition definition = loadBot(kMatchBot.arg(mode), m_registry.catalog());
        definition.baseDir = m_dir.path();
        engine::Engine engine(*m_store, m_registry, options(), m_clock);
        auto submitted = engine.submit(definition, QStringLiteral("form-%1").arg(mode.isEmpty()),
                                       {{QStringLiteral("forename"), QStringLiteral("Amelia")},
                                        {QStringLiteral("surname"), QStringLiteral("Smith")},
                                        {QStringLiteral("dob"), QStringLiteral("1980-03-02")},
                                        {QStringLiteral("postcode"), QStringLiteral("LS6 2AB")}});
        ASSERT_TRUE(submitted.has_value());
        ASSERT_TRUE(engine.runUntilIdle().has_value());
        if (mode.isEmpty()) {
            // Live: a clear match needs nobody.
            const WorkItem done = item(submitted->id);
            ASSERT_EQ(done.state, ItemState::Done);
            EXPECT_EQ(done.stepOutputs.value(QStringLiteral("note")).toObject().value(QStringLiteral("line")).toString(),
                      QStringLiteral("record P2 by bot"));
            continue;
        }
        EXPECT_EQ(item(submitted->id).state, ItemState::WaitingForHuman);
        const store::ExceptionItem e = onlyException();
        const QJsonObject suggestion = e.evidence.value(QStringLiteral("suggestion")).toObject();
        EXPECT_EQ(suggestion.value(QStringLiteral("choice")).toString(), QStringLiteral("P2"));
        EXPECT_GE(suggestion.value(QStringLiteral("confidence")).toDouble(), 0.99);
        EXPECT_EQ(suggestion.value(QStringLiteral("outputs")).toObject().value(QStringLiteral("decided_by")).toString(),
                  QStringLiteral("bot"));
        EXPECT_TRUE(choiceValues(e.choices).contains(QStringLiteral("P2")));
        EXPECT_TRUE(choiceValues(e.choices).contains(QStringLiteral("none")));

        store::Decision decision;
        decision.actor = QStringLiteral("bob");
        decision.choice = QStringLiteral("P2");
        ASSERT_TRUE(m_store->resolve(e.id, decision).has_value());
        ASSERT_TRUE(engine.runUntilIdle().has_value());
        const WorkItem done = item(submitted->id);
        ASSERT_EQ(done.state, ItemState::Done);
        EXPECT_EQ(done.stepOutputs.value(QStringLiteral("note")).toObject().value(QStringLiteral("line")).toString(),
                  QStringLiteral("record P2 by bob"));  // the store records who answered
    }
}
