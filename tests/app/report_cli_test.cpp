// clerk report end to end: the real binary on a real SQLite file, prepared by `clerk run`
// of the contact-form example or through the store on chosen days.
#include "cli_support_test.h"

#include "core/clock.h"
#include "store/work_store.h"

#include <QDir>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTimeZone>

using namespace clerk::testing;
using namespace std::chrono_literals;

namespace {

const QString kSource = QStringLiteral(CLERK_SOURCE_DIR);
const QString kBot = QStringLiteral("contact-form-triage");

QJsonObject jsonObject(const QString &text)
{
    return QJsonDocument::fromJson(text.toUtf8()).object();
}

QDate londonToday()
{
    return QDateTime::currentDateTimeUtc().toTimeZone(QTimeZone(QByteArrayLiteral("Europe/London"))).date();
}

// The contact-form example (manual_minutes: 6) copied to a temporary folder and run there:
// three forms go straight through, two wait for a person.
class ReportCliTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        ASSERT_TRUE(m_dir.isValid());
        const QString example = kSource + QStringLiteral("/examples/contact-form-triage");
        QDir().mkpath(m_dir.filePath(QStringLiteral("forms")));
        ASSERT_TRUE(QFile::copy(example + QStringLiteral("/bot.yaml"), m_dir.filePath(QStringLiteral("bot.yaml"))));
        for (const QString &form : QDir(example + QStringLiteral("/forms")).entryList(QDir::Files))
            ASSERT_TRUE(QFile::copy(example + QStringLiteral("/forms/") + form, m_dir.filePath(QStringLiteral("forms/") + form)));
        const ClerkRun run = clerk({QStringLiteral("run"), QStringLiteral("bot.yaml"), QStringLiteral("--input"),
                                    QStringLiteral("forms")});
        ASSERT_EQ(run.exitCode, 0) << run.err.toStdString();
    }

    ClerkRun clerk(QStringList arguments)
    {
        arguments << QStringLiteral("--db") << m_dir.filePath(QStringLiteral("work.db"));
        return runClerk(arguments, m_dir.path());
    }

    QJsonObject reportJson(const QStringList &extra = {})
    {
        const ClerkRun report = clerk(QStringList{QStringLiteral("report"), QStringLiteral("--format"),
                                                  QStringLiteral("json")} + extra);
        EXPECT_EQ(report.exitCode, 0) << report.err.toStdString();
        return jsonObject(report.out);
    }

    QTemporaryDir m_dir;
};

TEST_F(ReportCliTest, CountsTheRunAndTakesManualMinutesFromTheStoredBotFile)
{
    const QJsonObject report = reportJson();
    const QJsonArray bots = report.value(QStringLiteral("bots")).toArray();
    ASSERT_EQ(bots.size(), 1) << QJsonDocument(report).toJson().toStdString();
    const QJsonObject bot = bots.at(0).toObject();
    EXPECT_EQ(bot.value(QStringLiteral("bot")).toString(), kBot);
    EXPECT_EQ(bot.value(QStringLiteral("manual_minutes")).toDouble(), 6.0);
    EXPECT_EQ(bot.value(QStringLiteral("arrived")).toInt(), 5);
    EXPECT_EQ(bot.value(QStringLiteral("done")).toInt(), 3);
    EXPECT_EQ(bot.value(QStringLiteral("straight_through")).toInt(), 3);
    EXPECT_EQ(bot.value(QStringLiteral("to_person")).toInt(), 2);
    EXPECT_DOUBLE_EQ(bot.value(QStringLiteral("hours_saved")).toDouble(), 0.3);  // 6 minutes x 3
    EXPECT_FALSE(bot.contains(QStringLiteral("cost_saved")));

    // Seven days, today last.
    const QJsonArray days = report.value(QStringLiteral("days")).toArray();
    ASSERT_EQ(days.size(), 7);
    EXPECT_EQ(days.at(6).toObject().value(QStringLiteral("day")).toString(), londonToday().toString(Qt::ISODate));
    EXPECT_EQ(days.at(6).toObject().value(QStringLiteral("arrived")).toInt(), 5);
    EXPECT_EQ(report.value(QStringLiteral("queues")).toArray().at(0).toObject().value(QStringLiteral("open")).toInt(), 2);

    // A person answers one; it is done, but not straight through.
    const ClerkRun list = clerk({QStringLiteral("queue"), QStringLiteral("list"), QStringLiteral("--json")});
    QString postcodeId;
    for (const QJsonValue &value : QJsonDocument::fromJson(list.out.toUtf8()).array()) {
        if (value.toObject().value(QStringLiteral("step")).toString() == QLatin1String("postcode"))
            postcodeId = QString::number(value.toObject().value(QStringLiteral("id")).toInteger());
    }
    ASSERT_FALSE(postcodeId.isEmpty()) << list.out.toStdString();
    const ClerkRun answer = clerk({QStringLiteral("queue"), QStringLiteral("resolve"), postcodeId, QStringLiteral("--field"),
                                   QStringLiteral("postcode=LS2 8BH"), QStringLiteral("--as"), QStringLiteral("alice")});
    ASSERT_EQ(answer.exitCode, 0) << answer.err.toStdString();
    const QJsonObject after = reportJson().value(QStringLiteral("bots")).toArray().at(0).toObject();
    EXPECT_EQ(after.value(QStringLiteral("done")).toInt(), 4);
    EXPECT_EQ(after.value(QStringLiteral("straight_through")).toInt(), 3);
    EXPECT_DOUBLE_EQ(after.value(QStringLiteral("straight_through_rate")).toDouble(), 0.75);
    EXPECT_DOUBLE_EQ(after.value(QStringLiteral("hours_saved")).toDouble(), 0.3);
}

TEST_F(ReportCliTest, BotFilesGivenOverrideTheStoredOnesAndCostIsShownWhenPriced)
{
    QByteArray text = readFile(m_dir.filePath(QStringLiteral("bot.yaml")));
    text.replace("manual_minutes: 6", "manual_minutes: 12");
    QDir().mkpath(m_dir.filePath(QStringLiteral("edited")));
    writeFile(m_dir.filePath(QStringLiteral("edited/bot.yaml")), text);

    const QJsonObject bot = reportJson({QStringLiteral("--bots"), QStringLiteral("edited"), QStringLiteral("--cost-per-hour"),
                                        QStringLiteral("30")})
                                .value(QStringLiteral("bots"))
                                .toArray()
                                .at(0)
                                .toObject();
    EXPECT_EQ(bot.value(QStringLiteral("manual_minutes")).toDouble(), 12.0);
    EXPECT_DOUBLE_EQ(bot.value(QStringLiteral("hours_saved")).toDouble(), 0.6);
    EXPECT_DOUBLE_EQ(bot.value(QStringLiteral("cost_saved")).toDouble(), 18.0);

    const ClerkRun table = clerk({QStringLiteral("report"), QStringLiteral("--bots"), QStringLiteral("edited/bot.yaml"),
                                  QStringLiteral("--cost-per-hour"), QStringLiteral("30")});
    ASSERT_EQ(table.exitCode, 0) << table.err.toStdString();
    const QStringList lines = table.out.split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    // Since, header, days, total; then why items went to people: a heading, a header and
    // a row per step (a postcode missing, a topic with no route).
    ASSERT_EQ(lines.size(), 1 + 1 + 7 + 1 + 2 + 2) << table.out.toStdString();
    EXPECT_EQ(lines.at(10), QStringLiteral("Why items went to people")) << table.out.toStdString();
    EXPECT_EQ(lines.at(11).simplified(), QStringLiteral("BOT STEP REASON CATEGORY OPENED STILL OPEN"));
    EXPECT_EQ(lines.at(12).simplified(), kBot + QStringLiteral(" postcode missing value - 1 1"));
    EXPECT_EQ(lines.at(13).simplified(), kBot + QStringLiteral(" route no match - 1 1"));
    EXPECT_TRUE(lines.at(0).startsWith(QStringLiteral("Since "))) << table.out.toStdString();
    EXPECT_EQ(lines.at(1).simplified(), QStringLiteral("BOT DAY ARRIVED DONE STRAIGHT TO PERSON FAILED CANCELLED STRAIGHT % "
                                                       "MEDIAN MIN HOURS SAVED COST SAVED"));
    EXPECT_TRUE(lines.at(8).simplified().startsWith(kBot + QLatin1Char(' ') + londonToday().toString(Qt::ISODate)
                                                    + QStringLiteral(" 5 3 3 2 0 0 100.0% ")))
        << lines.at(8).toStdString();
    EXPECT_TRUE(lines.at(8).simplified().endsWith(QStringLiteral(" 0.6 18.00"))) << lines.at(8).toStdString();
    EXPECT_TRUE(lines.at(9).simplified().startsWith(kBot + QStringLiteral(" total 5 3 3 2 0 0 100.0% ")))
        << lines.at(9).toStdString();
}

TEST_F(ReportCliTest, CsvHasOneRowPerDayAndATotal)
{
    const ClerkRun csv = clerk({QStringLiteral("report"), QStringLiteral("--format"), QStringLiteral("csv"),
                                QStringLiteral("--since"), QStringLiteral("3d")});
    ASSERT_EQ(csv.exitCode, 0) << csv.err.toStdString();
    const QStringList lines = csv.out.split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    ASSERT_EQ(lines.size(), 1 + 3 + 1) << csv.out.toStdString();
    EXPECT_EQ(lines.at(0), QStringLiteral("bot,day,arrived,done,straight_through,to_person,failed,cancelled,straight_through_rate,"
                                          "median_minutes_to_done,hours_saved"));
    EXPECT_EQ(lines.at(1), kBot + QLatin1Char(',') + londonToday().addDays(-2).toString(Qt::ISODate)
                               + QStringLiteral(",0,0,0,0,0,0,,,0.0"));
    EXPECT_TRUE(lines.at(3).startsWith(kBot + QLatin1Char(',') + londonToday().toString(Qt::ISODate)
                                       + QStringLiteral(",5,3,3,2,0,0,1.000,")))
        << lines.at(3).toStdString();
    EXPECT_TRUE(lines.at(4).startsWith(kBot + QStringLiteral(",total,5,3,3,2,0,0,1.000,"))) << lines.at(4).toStdString();
}

TEST_F(ReportCliTest, ARejectedItemIsCountedAsCancelled)
{
    const ClerkRun list = clerk({QStringLiteral("queue"), QStringLiteral("list"), QStringLiteral("--json")});
    const QJsonArray open = QJsonDocument::fromJson(list.out.toUtf8()).array();
    ASSERT_FALSE(open.isEmpty()) << list.out.toStdString();
    const ClerkRun rejected = clerk({QStringLiteral("queue"), QStringLiteral("reject"),
                                     QString::number(open.at(0).toObject().value(QStringLiteral("id")).toInteger()),
                                     QStringLiteral("--reason"), QStringLiteral("spam"), QStringLiteral("--as"),
                                     QStringLiteral("dave")});
    ASSERT_EQ(rejected.exitCode, 0) << rejected.err.toStdString();
    const ClerkRun csv = clerk({QStringLiteral("report"), QStringLiteral("--format"), QStringLiteral("csv"),
                                QStringLiteral("--since"), QStringLiteral("1d")});
    ASSERT_EQ(csv.exitCode, 0) << csv.err.toStdString();
    const QStringList lines = csv.out.split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    ASSERT_EQ(lines.size(), 1 + 1 + 1) << csv.out.toStdString();
    // arrived 5, done 3, straight through 3, to a person 2, failed 0, cancelled 1
    EXPECT_TRUE(lines.at(2).startsWith(kBot + QStringLiteral(",total,5,3,3,2,0,1,"))) << lines.at(2).toStdString();
    const ClerkRun table = clerk({QStringLiteral("report"), QStringLiteral("--since"), QStringLiteral("1d")});
    EXPECT_TRUE(table.out.contains(QStringLiteral("CANCELLED"))) << table.out.toStdString();
}

TEST_F(ReportCliTest, ItemShowLaysOutTheInputAndOutputsAndForgetsAnOldRejection)
{
    const ClerkRun list = clerk({QStringLiteral("queue"), QStringLiteral("list"), QStringLiteral("--json")});
    const QJsonArray open = QJsonDocument::fromJson(list.out.toUtf8()).array();
    ASSERT_FALSE(open.isEmpty()) << list.out.toStdString();
    const QJsonObject waiting = open.at(0).toObject();
    const QString exceptionId = QString::number(waiting.value(QStringLiteral("id")).toInteger());
    const QString itemId = QString::number(waiting.value(QStringLiteral("item_id")).toInteger());

    const ClerkRun shown = clerk({QStringLiteral("item"), QStringLiteral("show"), itemId});
    ASSERT_EQ(shown.exitCode, 0) << shown.err.toStdString();
    // The form's fields, one per line, under Input; no JSON on one long line.
    EXPECT_TRUE(shown.out.contains(QStringLiteral("Input:\n"))) << shown.out.toStdString();
    EXPECT_TRUE(shown.out.contains(QStringLiteral("\n  topic: "))) << shown.out.toStdString();
    EXPECT_TRUE(shown.out.contains(QStringLiteral("\n  postcode: "))) << shown.out.toStdString();
    EXPECT_FALSE(shown.out.contains(QStringLiteral("{\""))) << shown.out.toStdString();

    ASSERT_EQ(clerk({QStringLiteral("queue"), QStringLiteral("reject"), exceptionId, QStringLiteral("--reason"),
                     QStringLiteral("not ours"), QStringLiteral("--as"), QStringLiteral("dave")})
                  .exitCode,
              0);
    EXPECT_TRUE(clerk({QStringLiteral("item"), QStringLiteral("show"), itemId}).out.contains(QStringLiteral("not ours")));
    const ClerkRun retried = clerk({QStringLiteral("item"), QStringLiteral("retry"), itemId, QStringLiteral("--no-continue")});
    ASSERT_EQ(retried.exitCode, 0) << retried.err.toStdString();
    const ClerkRun after = clerk({QStringLiteral("item"), QStringLiteral("show"), itemId});
    // The reason stays in the history; it is no longer the item's reason.
    EXPECT_FALSE(after.out.contains(QStringLiteral("reason:   "))) << after.out.toStdString();
    EXPECT_TRUE(after.out.contains(QStringLiteral("queued"))) << after.out.toStdString();
}

TEST_F(ReportCliTest, RefusesWhatItCannotRead)
{
    struct Case {
        QStringList arguments;
        const char *message;
    };
    const Case cases[] = {
        {{QStringLiteral("--format"), QStringLiteral("xml")}, "--format is table, csv or json"},
        {{QStringLiteral("--since"), QStringLiteral("last week")}, "--since takes days"},
        {{QStringLiteral("--cost-per-hour"), QStringLiteral("lots")}, "--cost-per-hour takes an amount"},
        {{QStringLiteral("--bots"), QStringLiteral("nowhere.yaml")}, "nowhere.yaml"},
        {{QStringLiteral("stray.yaml")}, "bot files follow --bots"},
    };
    for (const Case &c : cases) {
        const ClerkRun run = clerk(QStringList{QStringLiteral("report")} + c.arguments);
        EXPECT_EQ(run.exitCode, 1) << c.message;
        EXPECT_TRUE(run.err.contains(QString::fromLatin1(c.message))) << c.message << ": " << run.err.toStdString();
    }
    const ClerkRun none = clerk({QStringLiteral("report"), QStringLiteral("--bot"), QStringLiteral("no-such-bot")});
    EXPECT_EQ(none.exitCode, 0);
    EXPECT_TRUE(none.out.startsWith(QStringLiteral("Nothing to report since "))) << none.out.toStdString();

    const ClerkRun help = clerk({QStringLiteral("report"), QStringLiteral("--help")});
    EXPECT_EQ(help.exitCode, 0);
    EXPECT_TRUE(help.out.contains(QStringLiteral("manual_minutes"))) << help.out.toStdString();
    EXPECT_TRUE(help.out.contains(QStringLiteral("--bots"))) << help.out.toStdString();
}

// Items put on chosen London days through the store: each day's row counts its own.
TEST(ReportCliDaysTest, EachDayCountsWhatHappenedOnIt)
{
    QTemporaryDir dir;
    ASSERT_TRUE(dir.isValid());
    const QString db = dir.filePath(QStringLiteral("work.db"));
    const QTimeZone london(QByteArrayLiteral("Europe/London"));
    const QDate today = londonToday();
    clerk::ManualClock clock(QDateTime(today.addDays(-3), QTime(12, 0), london).toUTC());
    {
        auto opened = clerk::store::openWorkStore(db, clock);
        ASSERT_TRUE(opened.has_value()) << opened.error().toString().toStdString();
        clerk::store::WorkStore &store = **opened;
        int ref = 0;
        const auto straight = [&](std::chrono::minutes took) {
            auto queued = store.enqueue({.bot = QStringLiteral("inbound-post"), .sourceRef = QString::number(++ref)});
            ASSERT_TRUE(queued.has_value());
            ASSERT_TRUE(store.leaseNext(QStringLiteral("w"), 30s).has_value());
            clock.advance(took);
            ASSERT_TRUE(store.completeStep(queued->id, QStringLiteral("w"), 0, QStringLiteral("s"), {}, true).has_value());
        };
        straight(2min);
        straight(4min);
        straight(9min);
        clock.set(QDateTime(today.addDays(-1), QTime(12, 0), london).toUTC());
        straight(10min);
        auto failing = store.enqueue({.bot = QStringLiteral("inbound-post"), .sourceRef = QStringLiteral("bad")});
        ASSERT_TRUE(failing.has_value());
        ASSERT_TRUE(store.leaseNext(QStringLiteral("w"), 30s).has_value());
        ASSERT_TRUE(store.failItem(failing->id, QStringLiteral("w"), QStringLiteral("unreadable")).has_value());
    }
    writeFile(dir.filePath(QStringLiteral("post.yaml")),
              "name: inbound-post\nversion: 1\nowner_team: post-room\nmanual_minutes: 6\n"
              "steps:\n  - id: s\n    type: require\n    params:\n      value: \"{{ input.x }}\"\n      field: x\n");

    const ClerkRun run = runClerk({QStringLiteral("report"), QStringLiteral("--db"), db, QStringLiteral("--bots"),
                                   dir.filePath(QStringLiteral("post.yaml")), QStringLiteral("--format"),
                                   QStringLiteral("csv")});
    ASSERT_EQ(run.exitCode, 0) << run.err.toStdString();
    const QStringList lines = run.out.split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    ASSERT_EQ(lines.size(), 1 + 7 + 1) << run.out.toStdString();
    const QString bot = QStringLiteral("inbound-post,");
    EXPECT_EQ(lines.at(4), bot + today.addDays(-3).toString(Qt::ISODate) + QStringLiteral(",3,3,3,0,0,0,1.000,4.0,0.3"));
    EXPECT_EQ(lines.at(5), bot + today.addDays(-2).toString(Qt::ISODate) + QStringLiteral(",0,0,0,0,0,0,,,0.0"));
    EXPECT_EQ(lines.at(6), bot + today.addDays(-1).toString(Qt::ISODate) + QStringLiteral(",2,1,1,0,1,0,1.000,10.0,0.1"));
    EXPECT_EQ(lines.at(8), bot + QStringLiteral("total,5,4,4,0,1,0,1.000,6.5,0.4"));

    // --since 2d leaves out the first day.
    const ClerkRun recent = runClerk({QStringLiteral("report"), QStringLiteral("--db"), db, QStringLiteral("--bots"),
                                      dir.filePath(QStringLiteral("post.yaml")), QStringLiteral("--format"),
                                      QStringLiteral("csv"), QStringLiteral("--since"), QStringLiteral("2d")});
    ASSERT_EQ(recent.exitCode, 0) << recent.err.toStdString();
    EXPECT_TRUE(recent.out.contains(bot + QStringLiteral("total,2,1,1,0,1,0,1.000,10.0,0.1"))) << recent.out.toStdString();
}

} // namespace
