// A step's time limit reaches Tesseract: OCR of a generated four-page scan
// (duplex_scan.tif) stops mid-document when the deadline passes, and through the
// engine, on a real SQLite store, the item is retried later and then fails.
#include "engine_test_support.h"
#include "ocr_test_support.h"

#include "ocr/ocr_engine.h"

#include <QElapsedTimer>
#include <iostream>

using namespace clerk;
using namespace std::chrono_literals;
using clerk::ocr::testing::fixture;
using clerk::testing::EngineFixture;
using clerk::testing::loadBot;

TEST(OcrTimeLimitTest, ReadingStopsWhenTheDeadlinePasses)
{
    const QString scan = fixture(QStringLiteral("duplex_scan.tif"));
    ocr::OcrEngine engine;
    QElapsedTimer timer;
    timer.start();
    auto whole = engine.readDocument(scan, ocr::OcrOptions{});
    const qint64 wholeMs = timer.elapsed();
    ASSERT_OK(whole);
    ASSERT_EQ(whole->pageCount, 4);

    // A quarter of the time the whole document takes: the reading is cut short mid-page.
    ocr::OcrOptions limited;
    const auto limit = std::chrono::milliseconds(std::max<qint64>(wholeMs / 4, 20));
    limited.deadline = std::chrono::steady_clock::now() + limit;
    timer.restart();
    auto cut = engine.readDocument(scan, limited);
    const qint64 cutMs = timer.elapsed();
    ASSERT_FALSE(cut.has_value());
    EXPECT_EQ(cut.error().code(), ErrorCode::Timeout);
    EXPECT_TRUE(cut.error().message().contains(QStringLiteral("time limit"))) << cut.error().toString().toStdString();
    std::cout << "[ figure ] whole document " << wholeMs << " ms; limit " << limit.count() << " ms stopped after "
              << cutMs << " ms\n";
    EXPECT_LT(cutMs, wholeMs * 3 / 4);

    // A deadline already past reads nothing.
    limited.deadline = std::chrono::steady_clock::now() - 1ms;
    auto none = engine.readDocument(scan, limited);
    ASSERT_FALSE(none.has_value());
    EXPECT_EQ(none.error().code(), ErrorCode::Timeout);
}

class OcrTimeLimitEngineTest : public EngineFixture {
protected:
    engine::StepRegistry m_registry = engine::StepRegistry::builtIn();
};

TEST_F(OcrTimeLimitEngineTest, AnOcrStepPastItsTimeLimitIsRetriedThenFails)
{
    const bot::BotDefinition definition =
        loadBot(QStringLiteral("name: post\nversion: 1\nowner_team: post-room\n"
                               "retry: {max_attempts: 1, initial_delay: 1s}\n"
                               "steps:\n  - id: read\n    type: ocr\n    time_limit: 150ms\n") +
                    QStringLiteral("allowed_paths: [\"%1\"]\n").arg(fixture(QString())),
                m_registry.catalog());
    engine::EngineOptions options;
    options.workerId = QStringLiteral("w1");
    engine::Engine engine(*m_store, m_registry, options, m_clock);
    auto submitted = engine.submit(definition, QStringLiteral("scan-1"),
                                   {{QStringLiteral("file"), fixture(QStringLiteral("duplex_scan.tif"))}});
    ASSERT_TRUE(submitted.has_value());

    ASSERT_TRUE(engine.runUntilIdle().has_value());
    auto item = m_store->item(submitted->id);
    ASSERT_TRUE(item.has_value());
    EXPECT_EQ(item->state, ItemState::Queued);
    EXPECT_EQ(item->lastError, QStringLiteral("step read took longer than its time limit of 150ms"));

    m_clock.advance(std::chrono::hours(1));
    ASSERT_TRUE(engine.runUntilIdle().has_value());
    item = m_store->item(submitted->id);
    ASSERT_TRUE(item.has_value());
    EXPECT_EQ(item->state, ItemState::Failed);
    EXPECT_EQ(item->lastError,
              QStringLiteral("gave up after 1 retries; step read took longer than its time limit of 150ms"));
}
