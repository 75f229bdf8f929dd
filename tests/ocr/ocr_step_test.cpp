// The `ocr` step run directly through a StepContext, on the generated fixtures.
#include "engine_test_support.h"
#include "ocr_test_support.h"

#include "engine/step_registry.h"

#include <QFile>
#include <QJsonArray>
#include <QTemporaryDir>

using namespace clerk;
using clerk::ocr::testing::fixture;
using clerk::testing::loadBot;

namespace {

class OcrStepTest : public ::testing::Test {
protected:
    engine::StepRegistry m_registry = engine::StepRegistry::builtIn();

    // The fixtures' folder: the bots here may read documents in it (allowed_paths).
    static QString allowFixtures() { return QStringLiteral("allowed_paths: [\"%1\"]\n").arg(fixture(QString())); }

    // Loads a bot whose only step is `stepYaml` and runs it on an item whose input file is
    // `file`. `botHeader` replaces allowed_paths, the fixtures' folder by default.
    StepOutcome runStep(const QString &stepYaml, const QString &file, const QString &botHeader = allowFixtures())
    {
        m_bot = loadBot(QStringLiteral("name: t\nversion: 1\nowner_team: post-room\n") + botHeader +
                            QStringLiteral("steps:\n") + stepYaml,
                        m_registry.catalog());
        if (m_bot.steps.isEmpty())
            return StepOutcome::fail(QStringLiteral("bot did not load"));
        const bot::StepDefinition &definition = m_bot.steps.first();
        auto step = m_registry.find(definition.type)->create(m_bot, definition);
        EXPECT_OK(step);
        if (!step)
            return StepOutcome::fail(QStringLiteral("step not created"));
        m_item.id = 7;
        m_item.payload = {{QStringLiteral("file"), file}};
        m_item.sourceRef = QStringLiteral("test");
        engine::StepContext ctx(
            m_item, m_bot, 0, false, [](const QString &) -> Result<bool> { return true; },
            [](const QString &) -> Status { return {}; });
        return (*step)->run(ctx);
    }

    static QString plainStep() { return QStringLiteral("  - type: ocr\n"); }

    bot::BotDefinition m_bot;
    WorkItem m_item;
};

} // namespace

TEST_F(OcrStepTest, AppliesTheDocumentedDefaults)
{
    runStep(plainStep(), fixture(QStringLiteral("blank_page.tif")));
    ASSERT_EQ(m_bot.steps.size(), 1);
    const QJsonObject &params = m_bot.steps.first().params;
    EXPECT_EQ(params.value(QStringLiteral("file")).toString(), QStringLiteral("{{ input.file }}"));
    EXPECT_EQ(params.value(QStringLiteral("language")).toString(), QStringLiteral("eng"));
    EXPECT_EQ(params.value(QStringLiteral("max_pages")).toInt(), 20);
    EXPECT_EQ(params.value(QStringLiteral("max_pixels")).toDouble(), 100'000'000.0);
    EXPECT_EQ(params.value(QStringLiteral("page_timeout")).toString(), QStringLiteral("60s"));
    EXPECT_TRUE(params.value(QStringLiteral("use_text_layer")).toBool());
}

TEST_F(OcrStepTest, OutputsTextAndPageSummariesWithoutWordLists)
{
    const StepOutcome outcome = runStep(plainStep(), fixture(QStringLiteral("duplex_scan.tif")));
    ASSERT_EQ(outcome.kind(), StepOutcome::Kind::Continue) << outcome.humanRequest().reason.toStdString();
    const QJsonObject &out = outcome.outputs();
    EXPECT_EQ(out.value(QStringLiteral("page_count")).toInt(), 4);
    EXPECT_EQ(out.value(QStringLiteral("pages_read")).toInt(), 4);
    EXPECT_EQ(out.value(QStringLiteral("blank_pages")).toInt(), 2);
    EXPECT_GT(out.value(QStringLiteral("mean_confidence")).toDouble(), 0.85);
    EXPECT_LE(out.value(QStringLiteral("mean_confidence")).toDouble(), 1.0);
    EXPECT_GE(out.value(QStringLiteral("readability")).toDouble(), 0.9);
    EXPECT_TRUE(out.value(QStringLiteral("text")).toString().contains(QStringLiteral("single")));
    EXPECT_EQ(out.value(QStringLiteral("text")).toString().count(QLatin1Char('\f')), 3);

    const QJsonArray pages = out.value(QStringLiteral("pages")).toArray();
    ASSERT_EQ(pages.size(), 4);
    const QJsonObject back = pages[1].toObject();
    EXPECT_EQ(back.value(QStringLiteral("number")).toInt(), 2);
    EXPECT_TRUE(back.value(QStringLiteral("blank")).toBool());
    const QStringList keys = pages[0].toObject().keys();
    EXPECT_EQ(keys, (QStringList{QStringLiteral("blank"), QStringLiteral("confidence"), QStringLiteral("from_text_layer"),
                                 QStringLiteral("number"), QStringLiteral("readability"), QStringLiteral("rotation"),
                                 QStringLiteral("skew")}));
}

TEST_F(OcrStepTest, ReportsTurnedAndTextLayerPages)
{
    const StepOutcome turned = runStep(plainStep(), fixture(QStringLiteral("upside_down.tif")));
    ASSERT_EQ(turned.kind(), StepOutcome::Kind::Continue);
    EXPECT_EQ(turned.outputs()[QStringLiteral("pages")].toArray()[0].toObject()[QStringLiteral("rotation")].toInt(), 180);

    const StepOutcome digital = runStep(plainStep(), fixture(QStringLiteral("born_digital.pdf")));
    ASSERT_EQ(digital.kind(), StepOutcome::Kind::Continue);
    EXPECT_TRUE(digital.outputs()[QStringLiteral("pages")].toArray()[0].toObject()[QStringLiteral("from_text_layer")].toBool());
}

TEST_F(OcrStepTest, AsksAPersonAboutUnreadableFiles)
{
    for (const QString &name : {QStringLiteral("truncated.tif"), QStringLiteral("text_named.pdf"), QStringLiteral("empty.png"),
                                QStringLiteral("bomb.png"), QStringLiteral("no_pages.pdf"), QStringLiteral("blank_page.tif")}) {
        const StepOutcome outcome = runStep(plainStep(), fixture(name));
        ASSERT_EQ(outcome.kind(), StepOutcome::Kind::NeedsHuman) << name.toStdString();
        EXPECT_TRUE(outcome.humanRequest().reason.startsWith(QStringLiteral("unreadable document: ")))
            << outcome.humanRequest().reason.toStdString();
        EXPECT_EQ(outcome.humanRequest().evidence.value(QStringLiteral("file")).toString(), fixture(name));
        EXPECT_EQ(outcome.humanRequest().fields, QStringList{QStringLiteral("text")});
    }
}

TEST_F(OcrStepTest, AsksAPersonWhenTooLittleOfAPageWasRead)
{
    const StepOutcome outcome = runStep(plainStep(), fixture(QStringLiteral("garbage_page.tif")));
    ASSERT_EQ(outcome.kind(), StepOutcome::Kind::NeedsHuman);
    const HumanRequest &request = outcome.humanRequest();
    EXPECT_TRUE(request.reason.startsWith(QStringLiteral("unreadable document: too little of the text was recognised on page 1")))
        << request.reason.toStdString();
    EXPECT_LT(request.evidence.value(QStringLiteral("readability")).toDouble(), 0.3);
    EXPECT_EQ(request.evidence.value(QStringLiteral("pages")).toArray().size(), 1);
}

TEST_F(OcrStepTest, TakesTheReadabilityThresholdFromTheBotWhenNotGiven)
{
    const StepOutcome lenient = runStep(plainStep(), fixture(QStringLiteral("garbage_page.tif")),
                                        allowFixtures() + QStringLiteral("thresholds:\n  ocr_readability: 0.0\n"));
    EXPECT_EQ(lenient.kind(), StepOutcome::Kind::Continue);
    const StepOutcome strict = runStep(QStringLiteral("  - type: ocr\n    params:\n      min_readability: 1.0\n"),
                                       fixture(QStringLiteral("garbage_page.tif")),
                                       allowFixtures() + QStringLiteral("thresholds:\n  ocr_readability: 0.0\n"));
    EXPECT_EQ(strict.kind(), StepOutcome::Kind::NeedsHuman);
}

TEST_F(OcrStepTest, AsksAPersonWhenAPageTakesTooLong)
{
    const StepOutcome outcome = runStep(QStringLiteral("  - type: ocr\n    params:\n      page_timeout: 1ms\n"),
                                        fixture(QStringLiteral("g4_letter.tif")));
    ASSERT_EQ(outcome.kind(), StepOutcome::Kind::NeedsHuman);
    EXPECT_TRUE(outcome.humanRequest().reason.contains(QStringLiteral("took longer than")))
        << outcome.humanRequest().reason.toStdString();
}

TEST_F(OcrStepTest, FailsWhenTheFileIsMissing)
{
    const StepOutcome outcome = runStep(plainStep(), fixture(QStringLiteral("no_such_letter.tif")));
    ASSERT_EQ(outcome.kind(), StepOutcome::Kind::Fail);
    EXPECT_TRUE(outcome.reason().contains(QStringLiteral("does not exist"))) << outcome.reason().toStdString();
}

TEST_F(OcrStepTest, FailsWhenTheLanguageIsNotInstalled)
{
    const StepOutcome outcome = runStep(QStringLiteral("  - type: ocr\n    params:\n      language: tlh\n"),
                                        fixture(QStringLiteral("g4_letter.tif")));
    ASSERT_EQ(outcome.kind(), StepOutcome::Kind::Fail);
    EXPECT_TRUE(outcome.reason().contains(QStringLiteral("tlh"))) << outcome.reason().toStdString();
}

TEST_F(OcrStepTest, RefusesADocumentOutsideTheBotsIntakeFolders)
{
    // A webhook body or a record may name any file; only the bot's folders may be read.
    QTemporaryDir elsewhere;
    const QString database = elsewhere.filePath(QStringLiteral("clerk.db"));
    QFile(fixture(QStringLiteral("g4_letter.tif"))).copy(database);
    const QString climbing = fixture(QStringLiteral("../../../../../../../../../etc/passwd"));
    for (const QString &file : {QStringLiteral("/etc/passwd"), database, climbing}) {
        const StepOutcome outcome = runStep(plainStep(), file);
        ASSERT_EQ(outcome.kind(), StepOutcome::Kind::Fail) << file.toStdString();
        EXPECT_TRUE(outcome.reason().contains(QStringLiteral("outside the folders this bot may read")))
            << outcome.reason().toStdString();
    }
    // A bot that names no folders reads no document an item names.
    const StepOutcome none = runStep(plainStep(), fixture(QStringLiteral("g4_letter.tif")), QString());
    ASSERT_EQ(none.kind(), StepOutcome::Kind::Fail);
    EXPECT_TRUE(none.reason().contains(QStringLiteral("allowed_paths"))) << none.reason().toStdString();
}

TEST_F(OcrStepTest, ResolvesSymbolicLinksBeforeCheckingTheFolder)
{
    QTemporaryDir intake;
    const QString link = intake.filePath(QStringLiteral("letter.tif"));
    ASSERT_TRUE(QFile::link(QStringLiteral("/etc/passwd"), link));
    const StepOutcome outcome =
        runStep(plainStep(), link, QStringLiteral("allowed_paths: [\"%1\"]\n").arg(intake.path()));
    ASSERT_EQ(outcome.kind(), StepOutcome::Kind::Fail);
    EXPECT_TRUE(outcome.reason().contains(QStringLiteral("outside the folders"))) << outcome.reason().toStdString();
}
