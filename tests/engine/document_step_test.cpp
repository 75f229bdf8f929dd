// The document step: letters rendered as real PDFs (QPdfWriter under the suite's offscreen
// QGuiApplication), read back with Poppler's pdftotext.
#include "engine_test_support.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>

using namespace clerk;

namespace {

class DocumentStepTest : public ::testing::Test {
protected:
    engine::StepRegistry m_registry = engine::StepRegistry::builtIn();
    QTemporaryDir m_dir;

    // Loads a bot in m_dir whose last step is `stepYaml` (after two set steps that stand
    // for the case and the assessment), creates that step, or its error.
    Result<std::unique_ptr<engine::Step>> createStep(const QString &stepYaml)
    {
        const QString yaml = QStringLiteral(
            "name: letters\nversion: 1\nowner_team: revenues\nsteps:\n"
            "  - id: case\n    type: set\n    params:\n      values: {forename: x, surname: x, postcode: x}\n"
            "  - id: assessment\n    type: set\n    params:\n      values: {id: x, weekly_charge: x, savings: x}\n") + stepYaml;
        bot::BotLoad load = bot::loadBotText(yaml.toUtf8(), m_dir.filePath(QStringLiteral("bot.yaml")),
                                             m_registry.catalog(), {}, m_dir.path());
        for (const bot::Diagnostic &d : load.diagnostics)
            ADD_FAILURE() << d.toString().toStdString();
        if (!load.bot)
            return fail(Error::invalidArgument(QStringLiteral("bot did not load")));
        m_bot = std::move(*load.bot);
        return m_registry.find(QStringLiteral("document"))->create(m_bot, m_bot.steps.last());
    }

    // Runs the step on item 7 with `payload` and the earlier steps' outputs in m_outputs.
    StepOutcome runStep(const QString &stepYaml, const QJsonObject &payload, bool earlierAttempt = false)
    {
        auto step = createStep(stepYaml);
        EXPECT_OK(step);
        if (!step)
            return StepOutcome::fail(step.error().toString());
        m_item.id = 7;
        m_item.payload = payload;
        m_item.stepOutputs = m_outputs;
        m_item.sourceRef = QStringLiteral("record:7");
        engine::StepContext ctx(
            m_item, m_bot, static_cast<int>(m_bot.steps.size()) - 1, false, [&](const QString &) -> Result<bool> { return !earlierAttempt; },
            [&](const QString &) -> Status {
                ++m_finished;
                return {};
            });
        return (*step)->run(ctx);
    }

    QJsonObject m_outputs{
        {QStringLiteral("case"), QJsonObject{{QStringLiteral("forename"), QStringLiteral("Margaret")},
                                             {QStringLiteral("surname"), QStringLiteral("Okonjo-Hale")},
                                             {QStringLiteral("postcode"), QStringLiteral("LS14 6HG")}}},
        {QStringLiteral("assessment"), QJsonObject{{QStringLiteral("id"), 4312},
                                                   {QStringLiteral("weekly_charge"), QStringLiteral("£123.45")},
                                                   {QStringLiteral("savings"), QStringLiteral("£14,250.00")}}}};
    bot::BotDefinition m_bot;
    WorkItem m_item;
    int m_finished = 0;
};

// The text of a PDF (or of its page `page`), as pdftotext reads it.
QString pdfText(const QString &path, int page = 0)
{
    QStringList args{QStringLiteral("-layout")};
    if (page > 0)
        args << QStringLiteral("-f") << QString::number(page) << QStringLiteral("-l") << QString::number(page);
    args << path << QStringLiteral("-");
    QProcess pdftotext;
    pdftotext.start(QStringLiteral("pdftotext"), args);
    if (!pdftotext.waitForFinished(30000) || pdftotext.exitCode() != 0) {
        ADD_FAILURE() << "pdftotext failed on " << path.toStdString() << ": "
                      << pdftotext.readAllStandardError().toStdString();
        return {};
    }
    return QString::fromUtf8(pdftotext.readAllStandardOutput());
}

const QString kLetterStep = QStringLiteral(
    "  - id: letter\n"
    "    type: document\n"
    "    params:\n"
    "      title: Your financial assessment\n"
    "      reference: \"Our reference: FA-{{ assessment.id }}\"\n"
    "      header: \"Example Council\\nCare Finance, Civic Centre\\nEX2 2BB\"\n"
    "      to: |\n"
    "        {{ case.forename }} {{ case.surname }}\n"
    "        {{ case.postcode }}\n"
    "      template: |\n"
    "        Dear {{ case.forename }} {{ case.surname }},\n"
    "\n"
    "        We have assessed what you can pay towards your care.\n"
    "        Your savings: {{ assessment.savings }}\n"
    "        Your weekly charge: {{ assessment.weekly_charge }}\n"
    "\n"
    "        Yours sincerely,\n"
    "        Revenues team\n");

} // namespace

TEST_F(DocumentStepTest, RendersALetterWithTheNameReferenceAndAmounts)
{
    const StepOutcome outcome = runStep(kLetterStep, {});
    ASSERT_EQ(outcome.kind(), StepOutcome::Kind::Continue) << outcome.reason().toStdString();
    const QJsonObject out = outcome.outputs();
    const QString file = out.value(QStringLiteral("file")).toString();
    EXPECT_EQ(file, m_dir.filePath(QStringLiteral("letters/7-letter.pdf")));
    EXPECT_EQ(out.value(QStringLiteral("pages")).toInt(), 1);
    EXPECT_EQ(m_finished, 1);

    QFile pdf(file);
    ASSERT_TRUE(pdf.open(QIODevice::ReadOnly));
    const QByteArray bytes = pdf.readAll();
    EXPECT_TRUE(bytes.startsWith("%PDF-"));
    EXPECT_EQ(out.value(QStringLiteral("bytes")).toInteger(), bytes.size());
    EXPECT_EQ(out.value(QStringLiteral("sha256")).toString(),
              QString::fromLatin1(QCryptographicHash::hash(bytes, QCryptographicHash::Sha256).toHex()));

    const QString text = pdfText(file);
    for (const QString &expected :
         {QStringLiteral("Dear Margaret Okonjo-Hale,"), QStringLiteral("LS14 6HG"), QStringLiteral("Our reference: FA-4312"),
          QStringLiteral("Your weekly charge: £123.45"), QStringLiteral("Your savings: £14,250.00"),
          QStringLiteral("Your financial assessment"), QStringLiteral("Example Council"), QStringLiteral("Page 1 of 1")})
        EXPECT_TRUE(text.contains(expected)) << expected.toStdString() << " not in:\n" << text.toStdString();
}

TEST_F(DocumentStepTest, ALongLetterFlowsOntoPagesEachWithTheHeaderAndFooter)
{
    QString paragraphs;
    for (int i = 1; i <= 120; ++i)
        paragraphs += QStringLiteral("        Paragraph %1 of the letter, long enough to wrap across the line at least once "
                                     "when it is set in ten and a half point type on A4.\n\n").arg(i);
    const QString step = QStringLiteral(
        "  - id: letter\n"
        "    type: document\n"
        "    params:\n"
        "      header: Example Council\n"
        "      reference: \"Ref FA-{{ assessment.id }}\"\n"
        "      template: |\n") + paragraphs;
    const StepOutcome outcome = runStep(step, {});
    ASSERT_EQ(outcome.kind(), StepOutcome::Kind::Continue) << outcome.reason().toStdString();
    const int pages = outcome.outputs().value(QStringLiteral("pages")).toInt();
    ASSERT_GE(pages, 3);
    const QString file = outcome.outputs().value(QStringLiteral("file")).toString();
    EXPECT_TRUE(pdfText(file).contains(QStringLiteral("Paragraph 120 of the letter")));
    for (int page = 1; page <= pages; ++page) {
        const QString text = pdfText(file, page);
        EXPECT_TRUE(text.contains(QStringLiteral("Example Council"))) << "page " << page;
        EXPECT_TRUE(text.contains(QStringLiteral("Ref FA-4312"))) << "page " << page;
        EXPECT_TRUE(text.contains(QStringLiteral("Page %1 of %2").arg(page).arg(pages))) << "page " << page;
    }
    // The footer's M is the PDF's own page count.
    QProcess pdfinfo;
    pdfinfo.start(QStringLiteral("pdfinfo"), {file});
    ASSERT_TRUE(pdfinfo.waitForFinished(30000));
    EXPECT_TRUE(QString::fromUtf8(pdfinfo.readAllStandardOutput())
                    .contains(QRegularExpression(QStringLiteral("Pages:\\s+%1\\n").arg(pages))));
}

TEST_F(DocumentStepTest, ARenderedFileNameMayNotLeaveTheLettersFolder)
{
    const QString step = QStringLiteral(
        "  - id: letter\n"
        "    type: document\n"
        "    params:\n"
        "      template: Dear {{ input.name }}\n"
        "      file: \"letters/{{ input.name }}.pdf\"\n");
    for (const QString &name : {QStringLiteral("../escaped"), QStringLiteral("../../tmp/x"), QStringLiteral("/etc/x")}) {
        const StepOutcome outcome = runStep(step, {{QStringLiteral("name"), name}});
        ASSERT_EQ(outcome.kind(), StepOutcome::Kind::Fail) << name.toStdString();
        EXPECT_TRUE(outcome.reason().contains(QStringLiteral("the value of input.name"))) << outcome.reason().toStdString();
        EXPECT_FALSE(outcome.reason().contains(name)) << "values stay out of reasons";
    }
    EXPECT_FALSE(QFile::exists(m_dir.filePath(QStringLiteral("escaped.pdf"))));
    EXPECT_FALSE(QDir(m_dir.filePath(QStringLiteral("letters"))).exists());
    const StepOutcome ok = runStep(step, {{QStringLiteral("name"), QStringLiteral("smith")}});
    ASSERT_EQ(ok.kind(), StepOutcome::Kind::Continue) << ok.reason().toStdString();
    EXPECT_TRUE(QFile::exists(m_dir.filePath(QStringLiteral("letters/smith.pdf"))));
}

TEST_F(DocumentStepTest, ARetryWritesTheSameFileOnce)
{
    const StepOutcome first = runStep(kLetterStep, {});
    ASSERT_EQ(first.kind(), StepOutcome::Kind::Continue) << first.reason().toStdString();
    m_outputs[QStringLiteral("case")] = QJsonObject{{QStringLiteral("forename"), QStringLiteral("Peggy")},
                                                    {QStringLiteral("surname"), QStringLiteral("Okonjo-Hale")}};
    const StepOutcome retry = runStep(kLetterStep, {}, /*earlierAttempt*/ true);
    ASSERT_EQ(retry.kind(), StepOutcome::Kind::Continue) << retry.reason().toStdString();
    const QString file = retry.outputs().value(QStringLiteral("file")).toString();
    EXPECT_EQ(file, first.outputs().value(QStringLiteral("file")).toString());
    EXPECT_EQ(QDir(m_dir.filePath(QStringLiteral("letters"))).entryList(QDir::Files | QDir::Hidden),
              QStringList{QStringLiteral("7-letter.pdf")});
    // The retry replaced the letter whole: it holds the new text, not the old.
    const QString text = pdfText(file);
    EXPECT_TRUE(text.contains(QStringLiteral("Dear Peggy Okonjo-Hale"))) << text.toStdString();
    EXPECT_FALSE(text.contains(QStringLiteral("Margaret")));
}

TEST_F(DocumentStepTest, TextLongerThanALetterIsRefusedBeforeRendering)
{
    const QString step = QStringLiteral(
        "  - id: letter\n"
        "    type: document\n"
        "    params:\n"
        "      template: \"{{ input.text }}\"\n");
    const StepOutcome outcome = runStep(step, {{QStringLiteral("text"), QString(200'001, QLatin1Char('x'))}});
    ASSERT_EQ(outcome.kind(), StepOutcome::Kind::Fail);
    EXPECT_TRUE(outcome.reason().contains(QStringLiteral("more than the 200000"))) << outcome.reason().toStdString();
    EXPECT_FALSE(QDir(m_dir.filePath(QStringLiteral("letters"))).exists());
}

TEST_F(DocumentStepTest, ReadsTemplateFileBesideTheBotAndRefusesAMissingOne)
{
    const QString step = QStringLiteral(
        "  - id: letter\n"
        "    type: document\n"
        "    params:\n"
        "      template_file: templates/assessment.txt\n");
    auto missing = createStep(step);
    ASSERT_FALSE(missing.has_value());
    EXPECT_TRUE(missing.error().message().contains(QStringLiteral("cannot read template_file")))
        << missing.error().toString().toStdString();
    EXPECT_TRUE(missing.error().toString().contains(QStringLiteral("templates/assessment.txt")));
    EXPECT_TRUE(missing.error().toString().contains(QStringLiteral("step letter")));

    ASSERT_TRUE(QDir(m_dir.path()).mkpath(QStringLiteral("templates/assessment.txt")));  // a folder, not a file
    EXPECT_FALSE(createStep(step).has_value());
    ASSERT_TRUE(QDir(m_dir.path()).rmdir(QStringLiteral("templates/assessment.txt")));

    QFile file(m_dir.filePath(QStringLiteral("templates/assessment.txt")));
    ASSERT_TRUE(file.open(QIODevice::WriteOnly));
    file.write("Dear {{ case.forename }},\n\nYour weekly charge is {{ assessment.weekly_charge }}.\n");
    file.close();
    const StepOutcome outcome = runStep(step, {});
    ASSERT_EQ(outcome.kind(), StepOutcome::Kind::Continue) << outcome.reason().toStdString();
    const QString text = pdfText(outcome.outputs().value(QStringLiteral("file")).toString());
    EXPECT_TRUE(text.contains(QStringLiteral("Your weekly charge is £123.45."))) << text.toStdString();
}

TEST_F(DocumentStepTest, NeedsEitherTemplateOrTemplateFile)
{
    for (const char *params : {"      title: x\n", "      template: a\n      template_file: b.txt\n"}) {
        auto step = createStep(QStringLiteral("  - id: letter\n    type: document\n    params:\n") + QString::fromUtf8(params));
        ASSERT_FALSE(step.has_value()) << params;
        EXPECT_TRUE(step.error().message().contains(QStringLiteral("either template or template_file")))
            << step.error().toString().toStdString();
    }
}

namespace {

class DocumentThroughEngineTest : public clerk::testing::EngineFixture {
protected:
    engine::StepRegistry m_registry = engine::StepRegistry::builtIn();
};

} // namespace

TEST_F(DocumentThroughEngineTest, AnItemsLetterHoldsWhatEarlierStepsFoundAndItsOutputsAreStored)
{
    const QString yaml = QStringLiteral(
        "name: charges\nversion: 1\nowner_team: revenues\n"
        "steps:\n"
        "  - id: person\n"
        "    type: set\n"
        "    params:\n"
        "      values:\n"
        "        name: \"{{ input.forename }} {{ input.surname | upper }}\"\n"
        "  - id: charge\n"
        "    type: set\n"
        "    params:\n"
        "      values:\n"
        "        weekly: \"£{{ input.weekly }}\"\n"
        "        contribution: \"£{{ input.contribution }}\"\n"
        "  - id: letter\n"
        "    type: document\n"
        "    params:\n"
        "      reference: \"Case {{ input.case }}\"\n"
        "      to: \"{{ person.name }}\"\n"
        "      template: |\n"
        "        Dear {{ person.name }},\n"
        "\n"
        "        Weekly charge: {{ charge.weekly }}\n"
        "        Your contribution: {{ charge.contribution }}\n");
    bot::BotLoad load = bot::loadBotText(yaml.toUtf8(), path(QStringLiteral("charges.yaml")), m_registry.catalog(), {},
                                         m_dir.path());
    ASSERT_TRUE(load.bot.has_value());
    engine::EngineOptions options;
    options.workerId = QStringLiteral("w1");
    engine::Engine engine(*m_store, m_registry, options, m_clock);
    auto submitted = engine.submit(*load.bot, QStringLiteral("request-1"),
                                   {{QStringLiteral("forename"), QStringLiteral("Ade")},
                                    {QStringLiteral("surname"), QStringLiteral("Bello")},
                                    {QStringLiteral("weekly"), QStringLiteral("212.40")},
                                    {QStringLiteral("contribution"), QStringLiteral("87.15")},
                                    {QStringLiteral("case"), QStringLiteral("C-20931")}});
    ASSERT_OK(submitted);
    ASSERT_OK(engine.runUntilIdle());

    auto done = m_store->item(submitted->id);
    ASSERT_OK(done);
    ASSERT_EQ(done->state, ItemState::Done);
    const QJsonObject letter = done->stepOutputs.value(QStringLiteral("letter")).toObject();
    const QString file = letter.value(QStringLiteral("file")).toString();
    EXPECT_EQ(file, path(QStringLiteral("letters/%1-letter.pdf").arg(submitted->id)));
    EXPECT_EQ(letter.value(QStringLiteral("pages")).toInt(), 1);
    EXPECT_EQ(letter.value(QStringLiteral("bytes")).toInteger(), QFileInfo(file).size());
    EXPECT_EQ(letter.value(QStringLiteral("sha256")).toString().size(), 64);
    const QString text = pdfText(file);
    for (const QString &expected : {QStringLiteral("Dear Ade BELLO,"), QStringLiteral("Weekly charge: £212.40"),
                                    QStringLiteral("Your contribution: £87.15"), QStringLiteral("Case C-20931"),
                                    QStringLiteral("Page 1 of 1")})
        EXPECT_TRUE(text.contains(expected)) << expected.toStdString() << " not in:\n" << text.toStdString();
}
