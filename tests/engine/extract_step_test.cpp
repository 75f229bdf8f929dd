// The extract step through a StepContext: outputs, questions to a person, loader checks,
// and golden cases (tests/data/extract/<case>.txt beside <case>.expected.json).
//
// To accept new golden outputs after a deliberate change, run with
// CLERK_UPDATE_GOLDEN=1 and review the diff of the .expected.json files.
#include "engine_test_support.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>

using namespace clerk;
using clerk::testing::loadBot;

namespace {

const QString kDataDir = QStringLiteral(CLERK_TEST_DATA_DIR "/extract");

QString readText(const QString &path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? QString::fromUtf8(file.readAll()) : QString();
}

class ExtractStepTest : public ::testing::Test {
protected:
    engine::StepRegistry m_registry = engine::StepRegistry::builtIn();

    StepOutcome runStep(const QString &stepsYaml, const QString &text)
    {
        m_bot = loadBot(QStringLiteral("name: t\nversion: 1\nowner_team: post-room\nsteps:\n") + stepsYaml,
                        m_registry.catalog());
        if (m_bot.steps.isEmpty())
            return StepOutcome::fail(QStringLiteral("bot did not load"));
        const bot::StepDefinition &definition = m_bot.steps.first();
        auto step = m_registry.find(definition.type)->create(m_bot, definition);
        if (!step)
            return StepOutcome::fail(step.error().toString());
        m_item.id = 7;
        m_item.payload = {{QStringLiteral("text"), text}};
        m_item.createdAt = QDateTime(QDate(2026, 3, 2), QTime(9, 0), Qt::UTC);
        engine::StepContext ctx(m_item, m_bot, 0, false, {}, {});
        return (*step)->run(ctx);
    }

    QStringList loadErrors(const QString &stepsYaml)
    {
        const bot::BotLoad load = bot::loadBotText(
            (QStringLiteral("name: t\nversion: 1\nowner_team: post-room\nsteps:\n") + stepsYaml).toUtf8(),
            QStringLiteral("test.yaml"), m_registry.catalog(), {});
        QStringList errors;
        for (const bot::Diagnostic &d : load.diagnostics)
            errors.append(d.message);
        return errors;
    }

    bot::BotDefinition m_bot;
    WorkItem m_item;
};

const QString kNhsStep = QStringLiteral(
    "  - id: extract\n"
    "    type: extract\n"
    "    params:\n"
    "      text: \"{{ input.text }}\"\n"
    "      fields:\n"
    "        nhs_number: {type: nhs_number, required: true, labels: [NHS No]}\n"
    "        postcode: {type: uk_postcode}\n");

// The parts of an outcome a golden file records.
QJsonObject outcomeJson(const StepOutcome &outcome)
{
    QJsonObject json{{QStringLiteral("kind"), toString(outcome.kind())}};
    if (outcome.kind() == StepOutcome::Kind::Continue) {
        json.insert(QStringLiteral("outputs"), outcome.outputs());
    } else if (outcome.kind() == StepOutcome::Kind::NeedsHuman) {
        const HumanRequest &request = outcome.humanRequest();
        json.insert(QStringLiteral("reason"), request.reason);
        json.insert(QStringLiteral("fields"), QJsonArray::fromStringList(request.fields));
        QJsonObject asked;
        const QJsonObject candidates = request.evidence.value(QStringLiteral("candidates")).toObject();
        for (const QString &field : request.fields)
            asked.insert(field, candidates.value(field));
        json.insert(QStringLiteral("candidates"), asked);
        json.insert(QStringLiteral("extracted"), request.evidence.value(QStringLiteral("extracted")));
    } else {
        json.insert(QStringLiteral("reason"), outcome.reason());
    }
    return json;
}

// A line diff (longest common subsequence), "-" expected, "+" actual.
std::string lineDiff(const QString &expected, const QString &actual)
{
    const QStringList a = expected.split(QLatin1Char('\n'));
    const QStringList b = actual.split(QLatin1Char('\n'));
    std::vector<std::vector<int>> lcs(a.size() + 1, std::vector<int>(b.size() + 1, 0));
    for (qsizetype i = a.size() - 1; i >= 0; --i)
        for (qsizetype j = b.size() - 1; j >= 0; --j)
            lcs[i][j] = a[i] == b[j] ? lcs[i + 1][j + 1] + 1 : std::max(lcs[i + 1][j], lcs[i][j + 1]);
    std::string out;
    qsizetype i = 0, j = 0;
    while (i < a.size() || j < b.size()) {
        if (i < a.size() && j < b.size() && a[i] == b[j]) {
            out += "  " + a[i].toStdString() + "\n";
            ++i;
            ++j;
        } else if (j < b.size() && (i == a.size() || lcs[i][j + 1] >= lcs[i + 1][j])) {
            out += "+ " + b[j++].toStdString() + "\n";
        } else {
            out += "- " + a[i++].toStdString() + "\n";
        }
    }
    return out;
}

} // namespace

TEST_F(ExtractStepTest, OutputsEveryFieldWithConfidenceAndFound)
{
    const StepOutcome outcome = runStep(kNhsStep, QStringLiteral("NHS No: 943 476 5919\nNo postcode given."));
    ASSERT_EQ(outcome.kind(), StepOutcome::Kind::Continue) << outcome.humanRequest().reason.toStdString();
    const QJsonObject outputs = outcome.outputs();
    EXPECT_EQ(outputs.value(QStringLiteral("nhs_number")).toString(), QStringLiteral("9434765919"));
    EXPECT_EQ(outputs.value(QStringLiteral("postcode")).toString(), QString());
    EXPECT_EQ(outputs.value(QStringLiteral("confidence")).toObject().value(QStringLiteral("nhs_number")).toDouble(), 1.0);
    EXPECT_EQ(outputs.value(QStringLiteral("confidence")).toObject().value(QStringLiteral("postcode")).toDouble(), 0.0);
    EXPECT_EQ(outputs.value(QStringLiteral("found")).toArray(), QJsonArray{QStringLiteral("nhs_number")});
}

TEST_F(ExtractStepTest, ABadCheckDigitAsksAPersonNamingTheField)
{
    const StepOutcome outcome = runStep(kNhsStep, QStringLiteral("NHS No: 943 476 5918, LS1 4AP"));
    ASSERT_EQ(outcome.kind(), StepOutcome::Kind::NeedsHuman);
    const HumanRequest &request = outcome.humanRequest();
    EXPECT_EQ(request.reason, QStringLiteral("nhs_number is not valid: check digit does not match"));
    EXPECT_FALSE(request.reason.contains(QStringLiteral("943"))) << "no values in reasons: they reach the logs";
    EXPECT_EQ(request.fields, QStringList{QStringLiteral("nhs_number")});
    const QJsonArray candidates =
        request.evidence.value(QStringLiteral("candidates")).toObject().value(QStringLiteral("nhs_number")).toArray();
    ASSERT_EQ(candidates.size(), 1);
    const QJsonObject candidate = candidates[0].toObject();
    EXPECT_EQ(candidate.value(QStringLiteral("value")).toString(), QStringLiteral("9434765918"));
    EXPECT_EQ(candidate.value(QStringLiteral("raw")).toString(), QStringLiteral("943 476 5918"));
    EXPECT_EQ(candidate.value(QStringLiteral("confidence")).toDouble(), 0.0);
    EXPECT_EQ(candidate.value(QStringLiteral("reasons")).toArray(), QJsonArray{QStringLiteral("check digit does not match")});
    // What was found is shown too.
    EXPECT_EQ(request.evidence.value(QStringLiteral("extracted")).toObject().value(QStringLiteral("postcode")).toString(),
              QStringLiteral("LS1 4AP"));
}

TEST_F(ExtractStepTest, ATypedAnswerIsReadAsTheFieldsTypeReadsTheText)
{
    // What the step itself outputs for a good number and postcode, to compare answers with.
    const StepOutcome found = runStep(kNhsStep, QStringLiteral("NHS No 943 476 5919, LS1 4AP"));
    ASSERT_EQ(found.kind(), StepOutcome::Kind::Continue);
    const QString nhs = found.outputs().value(QStringLiteral("nhs_number")).toString();
    const QString postcode = found.outputs().value(QStringLiteral("postcode")).toString();
    ASSERT_FALSE(nhs.isEmpty());
    ASSERT_FALSE(postcode.isEmpty());

    const bot::StepDefinition &definition = m_bot.steps.first();
    auto step = m_registry.find(definition.type)->create(m_bot, definition);
    ASSERT_TRUE(step.has_value());
    store::ExceptionItem question;
    question.fields = {QStringLiteral("nhs_number")};
    question.createdAt = m_item.createdAt;
    const auto check = [&](const QString &field, const QString &typed) {
        return (*step)->checkAnswer(question, store::Decision{.actor = QStringLiteral("alice"), .fields = {{field, typed}}});
    };
    const struct {
        const char *field;
        const char *typed;
        bool accepted;
    } cases[] = {
        {"nhs_number", " 9434765919 ", true},
        {"nhs_number", "943 476 5919", true},
        {"nhs_number", "943 476 5918", false},  // check digit
        {"nhs_number", "", false},              // required
        {"postcode", "ls1 4ap", true},
        {"postcode", "LS10", false},
        {"postcode", "", true},                 // optional: may be left empty
    };
    for (const auto &c : cases) {
        const QString field = QString::fromLatin1(c.field);
        auto checked = check(field, QString::fromLatin1(c.typed));
        ASSERT_EQ(checked.has_value(), c.accepted) << c.field << " '" << c.typed << "'";
        if (!c.accepted) {
            EXPECT_EQ(checked.error().code(), ErrorCode::InvalidArgument);
            EXPECT_TRUE(checked.error().message().contains(field)) << checked.error().message().toStdString();
            continue;
        }
        const QString expected = std::string_view(c.typed).empty() ? QString() : field == QLatin1String("postcode") ? postcode : nhs;
        EXPECT_EQ(checked->fields.value(field).toString(), expected) << c.field << " '" << c.typed << "'";
    }
}

TEST_F(ExtractStepTest, AllProblemFieldsGoIntoOneQuestion)
{
    const QString steps = QStringLiteral(
        "  - id: extract\n"
        "    type: extract\n"
        "    params:\n"
        "      text: \"{{ input.text }}\"\n"
        "      fields:\n"
        "        nhs_number: {type: nhs_number, required: true}\n"
        "        date_of_birth: {type: date, required: true, labels: [DOB], past_only: true}\n"
        "        postcode: {type: uk_postcode, required: true}\n"
        "        email: {type: email}\n");
    const StepOutcome outcome = runStep(steps, QStringLiteral("Received 12/01/2026. Postcode: LS1 4AP"));
    ASSERT_EQ(outcome.kind(), StepOutcome::Kind::NeedsHuman);
    EXPECT_EQ(outcome.humanRequest().fields, (QStringList{QStringLiteral("date_of_birth"), QStringLiteral("nhs_number")}));
    EXPECT_EQ(outcome.humanRequest().reason,
              QStringLiteral("date_of_birth is uncertain: confidence 75% is below 80%; nhs_number is missing"));
}

TEST_F(ExtractStepTest, AnUncertainOptionalFieldIsLeftEmpty)
{
    const QString steps = QStringLiteral(
        "  - id: extract\n"
        "    type: extract\n"
        "    params:\n"
        "      text: \"{{ input.text }}\"\n"
        "      fields:\n"
        "        postcode: {type: uk_postcode}\n"
        "        strict: {type: uk_postcode, min_confidence: 0.95}\n");
    const StepOutcome outcome = runStep(steps, QStringLiteral("Leeds LSl 4AP"));
    ASSERT_EQ(outcome.kind(), StepOutcome::Kind::Continue);
    EXPECT_EQ(outcome.outputs().value(QStringLiteral("postcode")).toString(), QString());
    EXPECT_EQ(outcome.outputs().value(QStringLiteral("confidence")).toObject().value(QStringLiteral("postcode")).toDouble(),
              0.75);
    EXPECT_TRUE(outcome.outputs().value(QStringLiteral("found")).toArray().isEmpty());
}

TEST_F(ExtractStepTest, LaterStepsMayReferToTheFields)
{
    EXPECT_TRUE(loadErrors(kNhsStep + QStringLiteral("  - type: set\n"
                                                     "    params:\n"
                                                     "      values:\n"
                                                     "        line: \"{{ extract.nhs_number }} {{ extract.confidence.nhs_number }}\"\n"))
                    .isEmpty());
    const QStringList errors = loadErrors(kNhsStep + QStringLiteral("  - type: set\n"
                                                                    "    params:\n"
                                                                    "      values:\n"
                                                                    "        line: \"{{ extract.nhs }}\"\n"));
    ASSERT_EQ(errors.size(), 1);
    EXPECT_TRUE(errors[0].contains(QStringLiteral("nhs"))) << errors[0].toStdString();
}

TEST_F(ExtractStepTest, TheLoaderRefusesFieldsItCannotRun)
{
    const auto errorsFor = [&](const char *fields) {
        return loadErrors(QStringLiteral("  - type: extract\n"
                                         "    params:\n"
                                         "      text: \"{{ input.text }}\"\n"
                                         "      fields:\n") + QString::fromLatin1(fields));
    };
    EXPECT_FALSE(errorsFor("        ref: {type: reference}\n").isEmpty());
    EXPECT_FALSE(errorsFor("        ref: {type: reference, pattern: '['}\n").isEmpty());
    EXPECT_FALSE(errorsFor("        found: {type: email}\n").isEmpty());
    EXPECT_FALSE(errorsFor("        Email: {type: email}\n").isEmpty());
    EXPECT_FALSE(errorsFor("        email: {type: e_mail}\n").isEmpty());
    EXPECT_FALSE(errorsFor("        email: {type: email, min_confidence: 1.5}\n").isEmpty());
    EXPECT_FALSE(errorsFor("        email: {type: email, past_only: true}\n").isEmpty());
    EXPECT_TRUE(errorsFor("        ref: {type: reference, pattern: '[A-Z]{2}-\\d{6}'}\n").isEmpty());
}

TEST_F(ExtractStepTest, TheDefaultTextNeedsAnOcrStepBeforeIt)
{
    const QString steps = QStringLiteral(
        "  - id: extract\n"
        "    type: extract\n"
        "    params:\n"
        "      fields:\n"
        "        nhs_number: {type: nhs_number}\n");
    m_bot = loadBot(QStringLiteral("name: t\nversion: 1\nowner_team: post-room\nsteps:\n") + steps, m_registry.catalog());
    ASSERT_EQ(m_bot.steps.size(), 1);
    const auto step = m_registry.find(QStringLiteral("extract"))->create(m_bot, m_bot.steps.first());
    ASSERT_FALSE(step.has_value());
    EXPECT_TRUE(step.error().message().contains(QStringLiteral("'ocr'"))) << step.error().message().toStdString();
}

TEST_F(ExtractStepTest, GoldenCases)
{
    const QString steps = readText(kDataDir + QStringLiteral("/golden-step.yaml"));
    const bool update = qEnvironmentVariableIsSet("CLERK_UPDATE_GOLDEN");
    const QStringList cases = QDir(kDataDir).entryList({QStringLiteral("*.txt")}, QDir::Files, QDir::Name);
    ASSERT_GE(cases.size(), 5);
    for (const QString &file : cases) {
        SCOPED_TRACE(file.toStdString());
        const QString base = kDataDir + QLatin1Char('/') + file.chopped(4);
        const StepOutcome outcome = runStep(steps, readText(kDataDir + QLatin1Char('/') + file));
        const QString actual = QString::fromUtf8(QJsonDocument(outcomeJson(outcome)).toJson(QJsonDocument::Indented));
        const QString expectedPath = base + QStringLiteral(".expected.json");
        if (update) {
            QFile out(expectedPath);
            ASSERT_TRUE(out.open(QIODevice::WriteOnly | QIODevice::Truncate));
            out.write(actual.toUtf8());
            continue;
        }
        const QString expected = readText(expectedPath);
        ASSERT_FALSE(expected.isEmpty()) << "missing " << expectedPath.toStdString()
                                         << " (run with CLERK_UPDATE_GOLDEN=1 to create it)";
        EXPECT_TRUE(expected == actual) << "golden mismatch for " << file.toStdString() << ":\n" << lineDiff(expected, actual);
    }
}
