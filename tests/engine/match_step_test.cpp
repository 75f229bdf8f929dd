// The match step, run directly through a StepContext against a small people file
// written by the test.
#include "engine_test_support.h"

#include "engine/step_registry.h"

#include "classify/model_files.h"
#include "match/match_learning.h"
#include "match/match_settings.h"

#include <QFile>
#include <QJsonArray>

#include <cmath>

using namespace clerk;
using clerk::testing::loadBot;

namespace {

// Two Amelia Smiths born on the same day (a duplicate in the case system), and others.
const QByteArray kPeople = "person_id,first_name,last_name,date_of_birth,postcode\n"
                           "P1,George,Jones,1975-07-30,M1 1AE\n"
                           "P2,Amelia,Smith,1980-03-02,LS6 2AB\n"
                           "P3,Amelia,Smith,1980-03-02,LS6 2AB\n"
                           "P4,Oliver,Taylor,1990-11-05,B33 8TH\n"
                           "P5,Isla,Wright,1962-01-17,SW1A 1AA\n";

const QString kFields = QStringLiteral(
    "      index: {path: people.csv, id_column: person_id}\n"
    "      fields:\n"
    "        forename: {value: \"{{ input.forename }}\", comparator: name, column: first_name}\n"
    "        surname: {value: \"{{ input.surname }}\", comparator: name, column: last_name}\n"
    "        dob: {value: \"{{ input.dob }}\", comparator: date, column: date_of_birth}\n"
    "        postcode: {value: \"{{ input.postcode }}\", comparator: postcode}\n");

class MatchStepTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        ASSERT_TRUE(m_dir.isValid());
        QFile file(m_dir.filePath(QStringLiteral("people.csv")));
        ASSERT_TRUE(file.open(QIODevice::WriteOnly));
        file.write(kPeople);
    }

    Result<std::unique_ptr<engine::Step>> create(const QString &params)
    {
        m_bot = loadBot(QStringLiteral("name: forms\nversion: 1\nowner_team: front-door\nsteps:\n"
                                       "  - id: person\n    type: match\n    team: front-door\n    params:\n")
                            + params,
                        m_registry.catalog());
        m_bot.baseDir = m_dir.path();
        if (m_bot.steps.isEmpty())
            return fail(Error::internal(QStringLiteral("bot did not load")));
        return m_registry.find(QStringLiteral("match"))->create(m_bot, m_bot.steps.first());
    }

    StepOutcome run(const engine::Step &step, const QJsonObject &form)
    {
        m_item.id = 1;
        m_item.payload = form;
        engine::StepContext ctx(
            m_item, m_bot, 0, false, [](const QString &) -> Result<bool> { return true; },
            [](const QString &) -> Status { return {}; });
        return step.run(ctx);
    }

    static QJsonObject form(const QString &forename, const QString &surname, const QString &dob, const QString &postcode)
    {
        return {{QStringLiteral("forename"), forename},
                {QStringLiteral("surname"), surname},
                {QStringLiteral("dob"), dob},
                {QStringLiteral("postcode"), postcode}};
    }

    engine::StepRegistry m_registry = engine::StepRegistry::builtIn();
    QTemporaryDir m_dir;
    bot::BotDefinition m_bot;
    WorkItem m_item;
};

} // namespace

TEST_F(MatchStepTest, AcceptsAClearMatchDespiteTyposAndASwappedDate)
{
    auto step = create(kFields);
    ASSERT_OK(step);
    // A form with the date written day-first with day and month swapped, and a typo.
    const StepOutcome outcome = run(**step, form(QStringLiteral("Oliver"), QStringLiteral("Tayler"),
                                                 QStringLiteral("11/05/1990"), QStringLiteral("b33 8th")));
    ASSERT_EQ(outcome.kind(), StepOutcome::Kind::Continue) << outcome.humanRequest().reason.toStdString();
    const QJsonObject &out = outcome.outputs();
    EXPECT_EQ(out.value(QStringLiteral("record_id")).toString(), QStringLiteral("P4"));
    EXPECT_EQ(out.value(QStringLiteral("decision")).toString(), QStringLiteral("matched"));
    EXPECT_EQ(out.value(QStringLiteral("decided_by")).toString(), QStringLiteral("bot"));
    EXPECT_GE(out.value(QStringLiteral("probability")).toDouble(), 0.99);
    const QJsonArray candidates = out.value(QStringLiteral("candidates")).toArray();
    ASSERT_FALSE(candidates.isEmpty());
    EXPECT_EQ(candidates[0].toObject().value(QStringLiteral("record_id")).toString(), QStringLiteral("P4"));
}

TEST_F(MatchStepTest, AsksAPersonToPickBetweenEqualCandidates)
{
    auto step = create(kFields);
    ASSERT_OK(step);
    const StepOutcome outcome = run(**step, form(QStringLiteral("Amelia"), QStringLiteral("Smith"),
                                                 QStringLiteral("1980-03-02"), QStringLiteral("LS6 2AB")));
    ASSERT_EQ(outcome.kind(), StepOutcome::Kind::NeedsHuman);
    const HumanRequest &request = outcome.humanRequest();
    EXPECT_EQ(request.team, QStringLiteral("front-door"));
    // The reason reaches logs: numbers only, no names or dates.
    EXPECT_FALSE(request.reason.contains(QStringLiteral("Smith"), Qt::CaseInsensitive));
    EXPECT_FALSE(request.reason.contains(QStringLiteral("1980")));
    ASSERT_EQ(request.choices.size(), 3);  // P2, P3 and "none of these"
    QStringList ids{request.choices[0].value, request.choices[1].value};
    ids.sort();
    EXPECT_EQ(ids, (QStringList{QStringLiteral("P2"), QStringLiteral("P3")}));
    const QJsonObject detail = request.choices[0].detail;
    EXPECT_EQ(detail.value(QStringLiteral("outputs")).toObject().value(QStringLiteral("record_id")).toString(),
              request.choices[0].value);
    EXPECT_EQ(detail.value(QStringLiteral("outputs")).toObject().value(QStringLiteral("decided_by")).toString(),
              QStringLiteral("person"));
    const QJsonArray fields = detail.value(QStringLiteral("fields")).toArray();
    ASSERT_EQ(fields.size(), 4);
    for (const QJsonValue &f : fields)
        EXPECT_EQ(f.toObject().value(QStringLiteral("level")).toString(), QStringLiteral("exact"));
    EXPECT_TRUE(request.choices[0].label.contains(QStringLiteral("amelia")));
    EXPECT_EQ(request.choices.last().value, QStringLiteral("none"));
    EXPECT_EQ(request.choices.last().detail.value(QStringLiteral("outputs")).toObject().value(QStringLiteral("decision")).toString(),
              QStringLiteral("no_match"));
    EXPECT_EQ(request.evidence.value(QStringLiteral("query")).toObject().value(QStringLiteral("surname")).toString(),
              QStringLiteral("Smith"));
}

TEST_F(MatchStepTest, SaysNoMatchForSomeoneNew)
{
    auto step = create(kFields);
    ASSERT_TRUE(step.has_value());
    const StepOutcome outcome = run(**step, form(QStringLiteral("Harry"), QStringLiteral("Walker"),
                                                 QStringLiteral("2001-09-14"), QStringLiteral("NE1 4ST")));
    ASSERT_EQ(outcome.kind(), StepOutcome::Kind::Continue);
    EXPECT_EQ(outcome.outputs().value(QStringLiteral("decision")).toString(), QStringLiteral("no_match"));
    EXPECT_EQ(outcome.outputs().value(QStringLiteral("record_id")).toString(), QString());
}

TEST_F(MatchStepTest, GivenProbabilitiesAndThresholdsChangeTheDecision)
{
    // With a low upper threshold and no margin, even the duplicate pair is decided.
    auto step = create(kFields + QStringLiteral("      thresholds: {upper: 0.5, lower: 0.1, margin: 0}\n"));
    ASSERT_TRUE(step.has_value());
    const StepOutcome outcome = run(**step, form(QStringLiteral("Amelia"), QStringLiteral("Smith"),
                                                 QStringLiteral("1980-03-02"), QStringLiteral("LS6 2AB")));
    ASSERT_EQ(outcome.kind(), StepOutcome::Kind::Continue);
    EXPECT_EQ(outcome.outputs().value(QStringLiteral("record_id")).toString(), QStringLiteral("P2"));

    // A surname that never tells people apart (m = u) adds no weight.
    auto flat = create(QString(kFields).replace(
        QStringLiteral("comparator: name, column: last_name}"),
        QStringLiteral("comparator: name, column: last_name, m: [0.2, 0.2, 0.2, 0.2, 0.2], u: [0.2, 0.2, 0.2, 0.2, 0.2]}")));
    ASSERT_OK(flat);
    const StepOutcome flatOutcome = run(**flat, form(QStringLiteral("Oliver"), QStringLiteral("Taylor"),
                                                     QStringLiteral("1990-11-05"), QStringLiteral("B33 8TH")));
    const QJsonArray fields = flatOutcome.outputs()
                                  .value(QStringLiteral("candidates")).toArray()[0].toObject()
                                  .value(QStringLiteral("fields")).toArray();
    ASSERT_EQ(fields.size(), 4);
    for (const QJsonValue &f : fields) {
        if (f.toObject().value(QStringLiteral("field")).toString() == QLatin1String("surname")) {
            EXPECT_EQ(f.toObject().value(QStringLiteral("weight")).toDouble(), 0.0);
        }
    }
}

TEST_F(MatchStepTest, AsksAPersonWhenTheFormHasNoDetails)
{
    auto step = create(kFields);
    ASSERT_TRUE(step.has_value());
    const StepOutcome outcome = run(**step, QJsonObject{});
    ASSERT_EQ(outcome.kind(), StepOutcome::Kind::NeedsHuman);
    EXPECT_EQ(outcome.humanRequest().fields, QStringList{QStringLiteral("record_id")});
}

TEST_F(MatchStepTest, RefusesAMissingIndexOrColumnAndBadSettings)
{
    auto missing = create(QString(kFields).replace(QStringLiteral("people.csv"), QStringLiteral("nobody.csv")));
    ASSERT_FALSE(missing.has_value());
    EXPECT_EQ(missing.error().code(), ErrorCode::NotFound);

    auto column = create(QString(kFields).replace(QStringLiteral("column: first_name"), QStringLiteral("column: given")));
    ASSERT_FALSE(column.has_value());
    EXPECT_TRUE(column.error().message().contains(QStringLiteral("given")));

    auto key = create(kFields + QStringLiteral("      blocking: [\"soundex(surname)\"]\n"));
    ASSERT_FALSE(key.has_value());
    EXPECT_TRUE(key.error().message().contains(QStringLiteral("soundex")));

    auto bands = create(kFields + QStringLiteral("      thresholds: {upper: 0.4, lower: 0.6}\n"));
    ASSERT_FALSE(bands.has_value());
}

TEST_F(MatchStepTest, TheLoaderRejectsAnUnknownComparator)
{
    const bot::BotLoad load = bot::loadBotText(
        (QStringLiteral("name: forms\nversion: 1\nowner_team: front-door\nsteps:\n  - id: person\n    type: match\n    params:\n")
         + QString(kFields).replace(QStringLiteral("comparator: date"), QStringLiteral("comparator: soundex")))
            .toUtf8(),
        QStringLiteral("test.yaml"), m_registry.catalog(), {});
    EXPECT_FALSE(load.bot.has_value());
    bool mentioned = false;
    for (const bot::Diagnostic &d : load.diagnostics)
        mentioned = mentioned || d.toString().contains(QStringLiteral("soundex"));
    EXPECT_TRUE(mentioned);
}

TEST_F(MatchStepTest, TermFrequenciesFromTheIndexLowerACommonSurnamesWeight)
{
    // Two of the five records are Smiths: with term_frequency an agreeing "smith" is weighed
    // by that share (0.4) instead of the field's u for any exact agreement.
    const auto surnameWeight = [this](const QString &fields) {
        auto step = create(fields);
        EXPECT_TRUE(step.has_value());
        const StepOutcome outcome = run(**step, form(QStringLiteral("Amelia"), QStringLiteral("Smith"),
                                                     QStringLiteral("1980-03-02"), QStringLiteral("LS6 2AB")));
        EXPECT_EQ(outcome.kind(), StepOutcome::Kind::NeedsHuman);
        for (const QJsonValue &f : outcome.humanRequest().choices[0].detail.value(QStringLiteral("fields")).toArray()) {
            if (f.toObject().value(QStringLiteral("field")).toString() == QLatin1String("surname"))
                return f.toObject().value(QStringLiteral("weight")).toDouble();
        }
        ADD_FAILURE() << "no surname in the evidence";
        return 0.0;
    };
    QString byFrequency = kFields;
    byFrequency.replace(QStringLiteral("comparator: name, column: last_name}"),
                        QStringLiteral("comparator: name, column: last_name, term_frequency: true}"));
    const double plain = surnameWeight(kFields);
    const double adjusted = surnameWeight(byFrequency);
    EXPECT_NEAR(adjusted, std::log2(0.88 / 0.4), 0.01);  // the default m of an exact name agreement
    EXPECT_LT(adjusted, plain - 3);
}

TEST_F(MatchStepTest, AmongCandidatesTwoEqualPeopleShareTheProbabilityAndStillGoToAPerson)
{
    auto step = create(kFields + QStringLiteral("      thresholds: {upper: 0.99, lower: 0.5, margin: 0.1, among_candidates: true}\n"));
    ASSERT_OK(step);
    const StepOutcome outcome = run(**step, form(QStringLiteral("Amelia"), QStringLiteral("Smith"),
                                                 QStringLiteral("1980-03-02"), QStringLiteral("LS6 2AB")));
    ASSERT_EQ(outcome.kind(), StepOutcome::Kind::NeedsHuman);  // the pair's own posterior is high: not "no match"
    const HumanRequest &request = outcome.humanRequest();
    ASSERT_EQ(request.choices.size(), 3);
    for (int i = 0; i < 2; ++i) {
        const double p = request.choices[i].detail.value(QStringLiteral("outputs")).toObject()
                             .value(QStringLiteral("probability")).toDouble();
        EXPECT_GT(p, 0.45);
        EXPECT_LE(p, 0.5);
    }
    // One clear person is still accepted.
    const StepOutcome clear = run(**step, form(QStringLiteral("Oliver"), QStringLiteral("Taylor"),
                                               QStringLiteral("1990-11-05"), QStringLiteral("B33 8TH")));
    EXPECT_EQ(clear.kind(), StepOutcome::Kind::Continue);
}

TEST_F(MatchStepTest, TheLoaderChecksTheLearningKeyAndSaysWhere)
{
    const QString head =
        QStringLiteral("name: forms\nversion: 1\nowner_team: front-door\nsteps:\n  - id: person\n    type: match\n    params:\n")
        + kFields;
    const int line = static_cast<int>(head.count(QLatin1Char('\n'))) + 1;
    const auto load = [&](const QString &learning) {
        return bot::loadBotText((head + learning).toUtf8(), QStringLiteral("test.yaml"), m_registry.catalog(), {});
    };
    EXPECT_TRUE(load(QStringLiteral("      learning: {}\n")).bot.has_value());
    EXPECT_TRUE(load(QStringLiteral("      learning: {every: 10, min_answers: 30, prior_weight: 50}\n")).bot.has_value());
    // Each problem is reported at the value or key at fault.
    const struct {
        const char *learning;
        int column;
    } bad[] = {{"      learning: {every: 0}\n", 25},
               {"      learning: {evry: 10}\n", 18},
               {"      learning: {prior_weight: many}\n", 32},
               {"      learning: yes\n", 17}};
    for (const auto &c : bad) {
        const bot::BotLoad loaded = load(QString::fromLatin1(c.learning));
        EXPECT_FALSE(loaded.bot.has_value()) << c.learning;
        ASSERT_FALSE(loaded.diagnostics.isEmpty()) << c.learning;
        const bot::Diagnostic &d = loaded.diagnostics.first();
        EXPECT_EQ(d.line, line) << d.toString().toStdString();
        EXPECT_EQ(d.column, c.column) << d.toString().toStdString();
    }
    // Without the key the step does not learn.
    const bot::BotLoad plain = load({});
    ASSERT_TRUE(plain.bot.has_value());
    EXPECT_FALSE(plain.bot->steps.first().params.contains(QStringLiteral("learning")));
}

TEST_F(MatchStepTest, OneRecordPerPersonIsReadAndCheckedWhereItIsWritten)
{
    const QString head =
        QStringLiteral("name: forms\nversion: 1\nowner_team: front-door\nsteps:\n  - id: person\n    type: match\n    params:\n");
    const QString rest = kFields.mid(kFields.indexOf(QLatin1Char('\n')) + 1);
    const auto load = [&](const QString &value) {
        const QString index = QStringLiteral("      index: {path: people.csv, id_column: person_id, one_record_per_person: %1}\n").arg(value);
        return bot::loadBotText((head + index + rest).toUtf8(), QStringLiteral("test.yaml"), m_registry.catalog(), {});
    };
    const bot::BotLoad good = load(QStringLiteral("true"));
    ASSERT_TRUE(good.bot.has_value());
    auto settings = match::MatchSettings::fromParams(good.bot->steps.first().params, {});
    ASSERT_TRUE(settings.has_value());
    EXPECT_TRUE(settings->oneRecordPerPerson);
    auto plain = create(kFields);
    ASSERT_TRUE(plain.has_value());
    const bot::BotLoad bad = load(QStringLiteral("often"));
    EXPECT_FALSE(bad.bot.has_value());
    ASSERT_FALSE(bad.diagnostics.isEmpty());
    const bot::Diagnostic &d = bad.diagnostics.first();
    EXPECT_EQ(d.line, 8) << d.toString().toStdString();
    EXPECT_EQ(d.column, 78) << d.toString().toStdString();
}

TEST_F(MatchStepTest, WithLearningItDecidesWithTheWeightsLatestNamesWithoutBeingCreatedAgain)
{
    auto step = create(kFields + QStringLiteral("      learning: {every: 5}\n"));
    ASSERT_OK(step);
    const QJsonObject oliver = form(QStringLiteral("Oliver"), QStringLiteral("Tayler"), QStringLiteral("11/05/1990"),
                                    QStringLiteral("b33 8th"));
    const StepOutcome before = run(**step, oliver);
    ASSERT_EQ(before.kind(), StepOutcome::Kind::Continue);
    EXPECT_EQ(before.outputs().value(QStringLiteral("decision")).toString(), QStringLiteral("matched"));

    // Learnt weights in which no agreement counts: the same form is now no match.
    auto settings = match::MatchSettings::fromParams(m_bot.steps.first().params, {});
    ASSERT_OK(settings);
    QList<match::FieldModel> fields = settings->model.fields();
    for (match::FieldModel &field : fields)
        field.m = field.u;
    const QString v1 = m_dir.filePath(QStringLiteral("forms.person.model.v1"));
    ASSERT_OK(match::saveLearnedModel(v1, {match::MatchModel(fields, 0.01), {}, {}}));
    ASSERT_OK(classify::writeLatestPointer(m_dir.path(), QStringLiteral("forms"), QStringLiteral("person"), v1));
    const StepOutcome after = run(**step, oliver);
    ASSERT_EQ(after.kind(), StepOutcome::Kind::Continue);
    EXPECT_EQ(after.outputs().value(QStringLiteral("decision")).toString(), QStringLiteral("no_match"));
    EXPECT_LT(after.outputs().value(QStringLiteral("probability")).toDouble(), 0.5);

    // A version learnt for other fields does not fit: the weights in use stay.
    const QString v2 = m_dir.filePath(QStringLiteral("forms.person.model.v2"));
    ASSERT_OK(match::saveLearnedModel(
        v2, {match::MatchModel({match::defaultFieldModel(QStringLiteral("nhs"), match::ComparatorKind::NhsNumber)}, 0.01), {}, {}}));
    ASSERT_OK(classify::writeLatestPointer(m_dir.path(), QStringLiteral("forms"), QStringLiteral("person"), v2));
    EXPECT_EQ(run(**step, oliver).outputs().value(QStringLiteral("decision")).toString(), QStringLiteral("no_match"));

    // Without `learning:` the step keeps the bot file's weights, whatever `.latest` says.
    ASSERT_OK(classify::writeLatestPointer(m_dir.path(), QStringLiteral("forms"), QStringLiteral("person"), v1));
    auto plain = create(kFields);
    ASSERT_OK(plain);
    EXPECT_EQ(run(**plain, oliver).outputs().value(QStringLiteral("decision")).toString(), QStringLiteral("matched"));
}
