// The Prometheus text: every metric with HELP and TYPE, label values escaped, the
// duration histogram cumulative, and Prometheus's own promtool accepting the text.
#include "report/prometheus_text.h"

#include "report_test_support.h"

#include "core/binomial.h"

#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryFile>

using namespace std::chrono_literals;

namespace clerk::report {
namespace {

using testing::botNamed;
using testing::ReportStoreTest;

class PrometheusTextTest : public ReportStoreTest {
protected:
    // Items of two bots, one of them with a name that needs escaping, and a queue.
    void fill()
    {
        doneStraight(QStringLiteral("p1"), QStringLiteral("inbound-post"), 20s);
        doneStraight(QStringLiteral("p2"), QStringLiteral("inbound-post"), 2min);
        doneAfterPerson(QStringLiteral("p3"), QStringLiteral("inbound-post"));
        failed(QStringLiteral("p4"), QStringLiteral("inbound-post"));
        askPerson(start(QStringLiteral("q1"), QStringLiteral("odd \"bot\"\\")), QStringLiteral("post\nroom"), {},
                  m_clock.now().addSecs(-1));
    }
    // Quality checks of inbound-post: two of letters, one right; one of a complaint, right.
    void checks()
    {
        doneAfterPerson(QStringLiteral("c1"), QStringLiteral("inbound-post"), QStringLiteral("a"), testing::qualityCheck(QStringLiteral("a")));
        doneAfterPerson(QStringLiteral("c2"), QStringLiteral("inbound-post"), QStringLiteral("b"), testing::qualityCheck(QStringLiteral("a")));
        doneAfterPerson(QStringLiteral("c3"), QStringLiteral("inbound-post"), QStringLiteral("b"), testing::qualityCheck(QStringLiteral("b")));
    }
};

TEST(PrometheusEscapeTest, LabelValuesEscapeBackslashQuoteAndNewline)
{
    EXPECT_EQ(escapeLabelValue(QStringLiteral("plain-name")), QStringLiteral("plain-name"));
    EXPECT_EQ(escapeLabelValue(QStringLiteral("a\"b")), QStringLiteral("a\\\"b"));
    EXPECT_EQ(escapeLabelValue(QStringLiteral("a\\b")), QStringLiteral("a\\\\b"));
    EXPECT_EQ(escapeLabelValue(QStringLiteral("a\nb")), QStringLiteral("a\\nb"));
    EXPECT_EQ(escapeLabelValue(QStringLiteral("Ünïcode")), QStringLiteral("Ünïcode"));
}

TEST_F(PrometheusTextTest, EveryMetricWithItsSamples)
{
    fill();
    auto figures = m_store->lifetimeFigures(itemDurationBuckets());
    ASSERT_TRUE(figures.has_value());
    auto queues = m_store->exceptionQueues();
    ASSERT_TRUE(queues.has_value());
    const QString text = QString::fromUtf8(prometheusText(*figures, *queues, {botNamed(QStringLiteral("inbound-post"), 6),
                                                                              botNamed(QStringLiteral("new-bot"), 1)},
                                                          m_clock.now().addSecs(90)));
    const QStringList lines = text.split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    const auto has = [&](const QString &line) { return lines.contains(line); };

    for (const char *name : {"clerk_items_arrived_total", "clerk_items_total", "clerk_exceptions_opened_total",
                             "clerk_time_saved_seconds_total"}) {
        EXPECT_TRUE(has(QStringLiteral("# TYPE %1 counter").arg(QLatin1String(name)))) << name;
        EXPECT_TRUE(text.contains(QStringLiteral("# HELP %1 ").arg(QLatin1String(name)))) << name;
    }
    EXPECT_TRUE(has(QStringLiteral("# TYPE clerk_item_duration_seconds histogram")));
    for (const char *name : {"clerk_exception_queue_items", "clerk_exception_queue_breached_items",
                             "clerk_exception_queue_oldest_age_seconds"})
        EXPECT_TRUE(has(QStringLiteral("# TYPE %1 gauge").arg(QLatin1String(name)))) << name;

    EXPECT_TRUE(has(QStringLiteral("clerk_items_arrived_total{bot=\"inbound-post\"} 4")));
    EXPECT_TRUE(has(QStringLiteral("clerk_items_arrived_total{bot=\"odd \\\"bot\\\"\\\\\"} 1")));
    EXPECT_TRUE(has(QStringLiteral("clerk_items_arrived_total{bot=\"new-bot\"} 0")));  // given, no items yet
    EXPECT_TRUE(has(QStringLiteral("clerk_items_total{bot=\"inbound-post\",outcome=\"straight_through\"} 2")));
    EXPECT_TRUE(has(QStringLiteral("clerk_items_total{bot=\"inbound-post\",outcome=\"after_person\"} 1")));
    EXPECT_TRUE(has(QStringLiteral("clerk_items_total{bot=\"inbound-post\",outcome=\"failed\"} 1")));
    EXPECT_TRUE(has(QStringLiteral("clerk_items_total{bot=\"inbound-post\",outcome=\"cancelled\"} 0")));
    EXPECT_TRUE(has(QStringLiteral("clerk_exceptions_opened_total{bot=\"inbound-post\"} 1")));
    // 20 s, 2 min and 0 s: cumulative buckets.
    EXPECT_TRUE(has(QStringLiteral("clerk_item_duration_seconds_bucket{bot=\"inbound-post\",le=\"10\"} 1")));
    EXPECT_TRUE(has(QStringLiteral("clerk_item_duration_seconds_bucket{bot=\"inbound-post\",le=\"30\"} 2")));
    EXPECT_TRUE(has(QStringLiteral("clerk_item_duration_seconds_bucket{bot=\"inbound-post\",le=\"60\"} 2")));
    EXPECT_TRUE(has(QStringLiteral("clerk_item_duration_seconds_bucket{bot=\"inbound-post\",le=\"300\"} 3")));
    EXPECT_TRUE(has(QStringLiteral("clerk_item_duration_seconds_bucket{bot=\"inbound-post\",le=\"604800\"} 3")));
    EXPECT_TRUE(has(QStringLiteral("clerk_item_duration_seconds_bucket{bot=\"inbound-post\",le=\"+Inf\"} 3")));
    EXPECT_TRUE(has(QStringLiteral("clerk_item_duration_seconds_sum{bot=\"inbound-post\"} 140")));
    EXPECT_TRUE(has(QStringLiteral("clerk_item_duration_seconds_count{bot=\"inbound-post\"} 3")));
    EXPECT_TRUE(has(QStringLiteral("clerk_time_saved_seconds_total{bot=\"inbound-post\"} 720")));  // 6 min x 2
    EXPECT_TRUE(has(QStringLiteral("clerk_exception_queue_items{team=\"post\\nroom\"} 1")));
    EXPECT_TRUE(has(QStringLiteral("clerk_exception_queue_items{team=\"post-room\"} 0")));
    EXPECT_TRUE(has(QStringLiteral("clerk_exception_queue_breached_items{team=\"post\\nroom\"} 1")));
    EXPECT_TRUE(has(QStringLiteral("clerk_exception_queue_oldest_age_seconds{team=\"post\\nroom\"} 90")));
    EXPECT_TRUE(has(QStringLiteral("clerk_exception_queue_oldest_age_seconds{team=\"post-room\"} 0")));
    EXPECT_TRUE(text.endsWith(QLatin1Char('\n')));
    // No quality checks yet: the families, without samples.
    EXPECT_TRUE(has(QStringLiteral("# TYPE clerk_quality_checks_total counter")));
    EXPECT_FALSE(text.contains(QStringLiteral("clerk_quality_checks_total{")));
}

TEST_F(PrometheusTextTest, QualityChecksPerBotAndCategoryAndTheLivePrecisionBounds)
{
    checks();
    auto text = prometheusText(*m_store, {testing::learningBot(QStringLiteral("inbound-post"), 0.99)});
    ASSERT_TRUE(text.has_value());
    const QStringList lines = QString::fromUtf8(*text).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    const auto has = [&](const QString &line) { return lines.contains(line); };
    EXPECT_TRUE(has(QStringLiteral("# TYPE clerk_quality_checks_total counter")));
    EXPECT_TRUE(has(QStringLiteral("# TYPE clerk_quality_checks_right_total counter")));
    EXPECT_TRUE(has(QStringLiteral("# TYPE clerk_live_precision_lower_bound gauge")));
    EXPECT_TRUE(has(QStringLiteral("# TYPE clerk_live_precision_upper_bound gauge")));
    EXPECT_TRUE(has(QStringLiteral("clerk_quality_checks_total{bot=\"inbound-post\",category=\"a\"} 2")));
    EXPECT_TRUE(has(QStringLiteral("clerk_quality_checks_total{bot=\"inbound-post\",category=\"b\"} 1")));
    EXPECT_TRUE(has(QStringLiteral("clerk_quality_checks_right_total{bot=\"inbound-post\",category=\"a\"} 1")));
    EXPECT_TRUE(has(QStringLiteral("clerk_quality_checks_right_total{bot=\"inbound-post\",category=\"b\"} 1")));
    // 2 right of 3 at 90%, one-sided each way.
    const auto sample = [&](const QString &prefix) {
        for (const QString &line : lines) {
            if (line.startsWith(prefix))
                return line.mid(prefix.size()).toDouble();
        }
        return -1.0;
    };
    EXPECT_DOUBLE_EQ(sample(QStringLiteral("clerk_live_precision_lower_bound{bot=\"inbound-post\"} ")),
                     clopperPearsonLower(2, 3, 0.9));
    EXPECT_DOUBLE_EQ(sample(QStringLiteral("clerk_live_precision_upper_bound{bot=\"inbound-post\"} ")),
                     clopperPearsonUpper(2, 3, 0.9));
    EXPECT_NEAR(clopperPearsonLower(2, 3, 0.9), 0.1958001, 1e-6);
}

// Runs `promtool check metrics` on `text`; returns its exit code and output.
int promtoolCheck(const QString &promtool, const QByteArray &text, QString *output)
{
    QProcess process;
    process.setProcessChannelMode(QProcess::MergedChannels);
    process.start(promtool, {QStringLiteral("check"), QStringLiteral("metrics")});
    if (!process.waitForStarted(10000))
        return -1;
    process.write(text);
    process.closeWriteChannel();
    process.waitForFinished(60000);
    *output = QString::fromUtf8(process.readAll());
    return process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
}

// clerk_notifications_total: per bot every outcome, zeros included; a re-sent message once.
TEST_F(PrometheusTextTest, NotificationsPerBotAndOutcome)
{
    const QString bot = QStringLiteral("contact-forms");
    const qint64 first = start(QStringLiteral("n1"), bot);
    for (int i = 0; i < 2; ++i)
        ASSERT_TRUE(m_store->recordNotice(first, bot, QStringLiteral("ack"), QStringLiteral("k1"), NoticeOutcome::Sent).has_value());
    ASSERT_TRUE(m_store->completeStep(first, QStringLiteral("w"), 0, QStringLiteral("ack"), {}, true).has_value());
    const qint64 second = start(QStringLiteral("n2"), bot);
    ASSERT_TRUE(m_store->recordNotice(second, bot, QStringLiteral("ack"), QStringLiteral("k2"), NoticeOutcome::ServerError).has_value());
    ASSERT_TRUE(m_store->recordNotice(second, bot, QStringLiteral("ack"), QStringLiteral("k2"), NoticeOutcome::Refused).has_value());
    auto text = prometheusText(*m_store, {});
    ASSERT_TRUE(text.has_value());
    const QString metrics = QString::fromUtf8(*text);
    EXPECT_TRUE(metrics.contains(QStringLiteral("# TYPE clerk_notifications_total counter\n")));
    for (const auto &[outcome, count] : {std::pair{"sent", 1}, {"refused", 1}, {"bounced", 0}, {"server_error", 1}, {"unsendable", 0}})
        EXPECT_TRUE(metrics.contains(QStringLiteral("clerk_notifications_total{bot=\"contact-forms\",outcome=\"%1\"} %2\n")
                                         .arg(QLatin1String(outcome))
                                         .arg(count)))
            << outcome << "\n" << metrics.toStdString();
}

TEST_F(PrometheusTextTest, PromtoolAcceptsTheText)
{
    const QString promtool = QStandardPaths::findExecutable(QStringLiteral("promtool"));
    if (promtool.isEmpty()) {
        if (qEnvironmentVariableIsSet("CLERK_TEST_REQUIRE_PROMTOOL"))
            FAIL() << "promtool is missing: install Debian's prometheus package (scripts/install-deps.sh --test)";
        GTEST_SKIP() << "promtool is not installed";
    }

    // An empty store, then one with items: both must pass.
    const QList<bot::BotDefinition> bots = {botNamed(QStringLiteral("inbound-post"), 6)};
    auto empty = prometheusText(*m_store, {});
    ASSERT_TRUE(empty.has_value());
    QString output;
    EXPECT_EQ(promtoolCheck(promtool, *empty, &output), 0) << output.toStdString() << empty->toStdString();

    fill();
    checks();
    ASSERT_TRUE(m_store->recordNotice(start(QStringLiteral("n1"), QStringLiteral("inbound-post")), QStringLiteral("inbound-post"),
                                      QStringLiteral("acknowledge"), QStringLiteral("k1"), NoticeOutcome::Sent).has_value());
    auto full = prometheusText(*m_store, bots);
    ASSERT_TRUE(full.has_value());
    EXPECT_EQ(promtoolCheck(promtool, *full, &output), 0) << output.toStdString() << full->toStdString();
    EXPECT_TRUE(output.trimmed().isEmpty()) << "promtool's lint found: " << output.toStdString();
}

} // namespace
} // namespace clerk::report
