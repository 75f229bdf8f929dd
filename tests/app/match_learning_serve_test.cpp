// clerk serve learns a match step's weights by itself, as a real process on a real SQLite
// file: forms arrive in a watched folder and, with the bot file's timid weights, every one
// goes to a person; their answers re-estimate m, u and the prior, the gate compares the
// challenger with the bot file's weights on answers it did not learn from, and the running
// workers decide the next forms with the promoted weights. Answers that contradict the
// challenger get it refused, and the bot file's weights stay in use. The bot file is never
// changed.
#include "cli_support_test.h"

#include "store/work_store.h"

#include <QDeadlineTimer>
#include <QDir>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>

#include <csignal>
#include <functional>

using namespace clerk;
using namespace clerk::testing;

namespace {

// Every field compares exactly; the bot file's m and u make a candidate agreeing on all
// three only about 68% likely, so a person is asked about every form.
const QByteArray kBot = "name: people\n"
                        "version: 1\n"
                        "owner_team: front-door\n"
                        "input:\n"
                        "  id: form\n"
                        "trigger:\n"
                        "  watch:\n"
                        "    folder: inbox\n"
                        "    pattern: \"*.jsonl\"\n"
                        "    settle: 200ms\n"
                        "    poll: 200ms\n"
                        "steps:\n"
                        "  - id: person\n"
                        "    type: match\n"
                        "    params:\n"
                        "      index: {path: people.csv, id_column: person_id}\n"
                        "      fields:\n"
                        "        forename: {value: \"{{ input.forename }}\", m: {exact: 0.5, different: 0.1}, "
                        "u: {exact: 0.1, different: 0.6}}\n"
                        "        surname: {value: \"{{ input.surname }}\", m: {exact: 0.5, different: 0.1}, "
                        "u: {exact: 0.1, different: 0.6}}\n"
                        "        dob: {value: \"{{ input.dob }}\", m: {exact: 0.5, different: 0.1}, "
                        "u: {exact: 0.1, different: 0.6}}\n"
                        "      blocking: [\"value(forename)\"]\n"
                        "      prior: 0.01\n"
                        "      thresholds: {upper: 0.98, lower: 0.5, margin: 0.1}\n"
                        "      learning:\n"
                        "        every: 30\n"
                        "        min_answers: 20\n";

QString forename(int i)
{
    static const QStringList first{QStringLiteral("al"), QStringLiteral("be"), QStringLiteral("ca"), QStringLiteral("do"),
                                   QStringLiteral("el"), QStringLiteral("fi"), QStringLiteral("go"), QStringLiteral("ha")};
    static const QStringList second{QStringLiteral("ric"), QStringLiteral("na"),   QStringLiteral("mon"), QStringLiteral("lia"),
                                    QStringLiteral("bert"), QStringLiteral("sa"), QStringLiteral("dor"), QStringLiteral("vin")};
    return first.at(i % 8) + second.at(i / 8 % 8);
}

QString surname(int i)
{
    static const QStringList first{QStringLiteral("ash"),  QStringLiteral("brook"), QStringLiteral("clay"), QStringLiteral("dale"),
                                   QStringLiteral("fern"), QStringLiteral("gold"),  QStringLiteral("hill"), QStringLiteral("moss")};
    static const QStringList second{QStringLiteral("worth"), QStringLiteral("field"), QStringLiteral("ton"), QStringLiteral("by"),
                                    QStringLiteral("ley"),   QStringLiteral("wood"),  QStringLiteral("well"), QStringLiteral("more")};
    return first.at(i / 8 % 8) + second.at(i % 8);
}

QString dob(int i)
{
    return QStringLiteral("%1-%2-%3").arg(1950 + i % 40).arg(1 + i % 9, 2, 10, QChar(u'0')).arg(10 + i % 17);
}

// Person p<i> and two others with the same forename, so each form has three candidates.
QByteArray peopleCsv(int count)
{
    QByteArray csv = "person_id,forename,surname,dob\n";
    for (int i = 0; i < count; ++i) {
        csv += QStringLiteral("p%1,%2,%3,%4\n").arg(i).arg(forename(i), surname(i), dob(i)).toUtf8();
        csv += QStringLiteral("p%1a,%2,okafor,1999-12-31\n").arg(i).arg(forename(i)).toUtf8();
        csv += QStringLiteral("p%1b,%2,nakamura,2001-01-01\n").arg(i).arg(forename(i)).toUtf8();
    }
    return csv;
}

// Forms `first` to `last` - 1 as JSON lines, each for person p<i>.
QByteArray forms(int first, int last)
{
    QByteArray lines;
    for (int i = first; i < last; ++i) {
        lines += QJsonDocument(QJsonObject{{QStringLiteral("form"), QStringLiteral("form-%1").arg(i)},
                                           {QStringLiteral("truth"), QStringLiteral("p%1").arg(i)},
                                           {QStringLiteral("forename"), forename(i)},
                                           {QStringLiteral("surname"), surname(i)},
                                           {QStringLiteral("dob"), dob(i)}})
                     .toJson(QJsonDocument::Compact)
                 + '\n';
    }
    return lines;
}

class MatchLearningServeTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        ASSERT_TRUE(m_dir.isValid());
        QDir().mkpath(path(QStringLiteral("inbox")));
        writeFile(path(QStringLiteral("people.csv")), peopleCsv(64));
        writeFile(bot(), kBot);
    }

    void TearDown() override
    {
        if (m_serve.state() != QProcess::NotRunning) {
            m_serve.kill();
            m_serve.waitForFinished(5000);
        }
    }

    QString path(const QString &name) const { return m_dir.filePath(name); }
    QString db() const { return path(QStringLiteral("work.db")); }
    QString bot() const { return path(QStringLiteral("bot.yaml")); }

    void start()
    {
        m_serve.setProgram(QStringLiteral(CLERK_BINARY));
        m_serve.setArguments({QStringLiteral("serve"), bot(), QStringLiteral("--db"), db(), QStringLiteral("--workers"),
                              QStringLiteral("2"), QStringLiteral("--listen"), QStringLiteral("off"),
                              QStringLiteral("--learning-check"), QStringLiteral("1s")});
        m_serve.setWorkingDirectory(m_dir.path());
        m_serve.setProcessChannelMode(QProcess::MergedChannels);
        m_serve.start();
        ASSERT_TRUE(m_serve.waitForStarted());
    }

    void stop()
    {
        ::kill(static_cast<pid_t>(m_serve.processId()), SIGTERM);
        EXPECT_TRUE(m_serve.waitForFinished(30000)) << log().toStdString();
        EXPECT_EQ(m_serve.exitCode(), 0) << log().toStdString();
    }

    QString log() { return clerk::testing::serveLog(m_serve, m_log); }

    bool eventually(const std::function<bool()> &condition, int seconds = 60)
    {
        return clerk::testing::eventually(m_serve, m_log, condition, seconds);
    }

    int count(const QString &state)
    {
        const ClerkRun run = runClerk({QStringLiteral("status"), QStringLiteral("--db"), db(), QStringLiteral("--json")});
        for (const QJsonValue &row : QJsonDocument::fromJson(run.out.toUtf8()).object().value(QStringLiteral("bots")).toArray()) {
            if (row.toObject().value(QStringLiteral("bot")).toString() == QLatin1String("people"))
                return row.toObject().value(state).toInt();
        }
        return 0;
    }

    QString latest() const
    {
        return QString::fromUtf8(readFile(path(QStringLiteral("people.person.model.latest")))).trimmed();
    }

    QList<store::Event> events(const QString &kind)
    {
        auto store = store::openWorkStore(db());
        EXPECT_TRUE(store.has_value());
        if (!store)
            return {};
        auto list = (*store)->botEvents(QStringLiteral("people"), {kind}, {});
        EXPECT_TRUE(list.has_value());
        return list.value_or(QList<store::Event>{});
    }

    // Answers every open question with the form's true person, or "none" for the forms
    // in `saidNone`; returns how many were answered.
    int answerEveryQuestion(const QStringList &saidNone = {})
    {
        auto store = store::openWorkStore(db());
        EXPECT_TRUE(store.has_value());
        if (!store)
            return 0;
        store::ExceptionFilter filter;
        filter.bot = QStringLiteral("people");
        filter.state = store::ExceptionState::Open;
        filter.limit = 1000;
        auto open = (*store)->exceptions(filter);
        EXPECT_TRUE(open.has_value());
        int answered = 0;
        for (const store::ExceptionItem &question : open.value_or(QList<store::ExceptionItem>{})) {
            auto item = (*store)->item(question.itemId);
            EXPECT_TRUE(item.has_value());
            if (!item)
                continue;
            store::Decision answer;
            answer.actor = QStringLiteral("front-door");
            answer.choice = saidNone.contains(item->payload.value(QStringLiteral("form")).toString())
                                ? QStringLiteral("none")
                                : item->payload.value(QStringLiteral("truth")).toString();
            if ((*store)->resolve(question.id, answer))
                ++answered;
        }
        return answered;
    }

    // The match step's outputs for `form`; empty when there is no such item.
    QJsonObject outputsOf(const QString &form)
    {
        auto store = store::openWorkStore(db());
        EXPECT_TRUE(store.has_value());
        if (!store)
            return {};
        store::ItemFilter filter;
        filter.bot = QStringLiteral("people");
        filter.limit = 1000;
        auto items = (*store)->items(filter);
        EXPECT_TRUE(items.has_value());
        for (const WorkItem &item : items.value_or(QList<WorkItem>{})) {
            if (item.payload.value(QStringLiteral("form")).toString() == form)
                return item.stepOutputs.value(QStringLiteral("person")).toObject();
        }
        return {};
    }

    QTemporaryDir m_dir;
    QProcess m_serve;
    QString m_log;
};

} // namespace

TEST_F(MatchLearningServeTest, AnswersTrainWeightsThatTheRunningWorkersUseWithoutARestart)
{
    start();
    writeFile(path(QStringLiteral("inbox/monday.jsonl")), forms(0, 30));
    ASSERT_TRUE(eventually([&] { return count(QStringLiteral("waiting_for_human")) == 30; })) << log().toStdString();
    EXPECT_TRUE(latest().isEmpty());
    const ClerkRun before = runClerk({QStringLiteral("model"), QStringLiteral("list"), bot()});
    EXPECT_EQ(before.exitCode, 0) << before.err.toStdString();
    EXPECT_TRUE(before.out.contains(QStringLiteral("the bot file's weights are in use"))) << before.out.toStdString();

    // The front door answers; the service learns, judges and promotes new weights.
    EXPECT_EQ(answerEveryQuestion(), 30);
    ASSERT_TRUE(eventually([&] { return !latest().isEmpty(); })) << log().toStdString();
    EXPECT_EQ(latest(), QStringLiteral("people.person.model.v1"));
    ASSERT_TRUE(eventually([&] { return count(QStringLiteral("done")) == 30; })) << log().toStdString();
    const QList<store::Event> promoted = events(QStringLiteral("model_promoted"));
    ASSERT_EQ(promoted.size(), 1) << log().toStdString();
    EXPECT_TRUE(promoted.first().actor.endsWith(QStringLiteral("/learning"))) << promoted.first().actor.toStdString();
    EXPECT_EQ(promoted.first().detail.value(QStringLiteral("answers")).toInt(), 30);
    const QJsonObject verdict = promoted.first().detail.value(QStringLiteral("verdict")).toObject();
    EXPECT_EQ(verdict.value(QStringLiteral("compared")).toInt(), 30);
    EXPECT_EQ(verdict.value(QStringLiteral("champion")).toObject().value(QStringLiteral("straight_through")).toInt(), 0);
    EXPECT_EQ(verdict.value(QStringLiteral("challenger")).toObject().value(QStringLiteral("wrong")).toInt(), 0);
    EXPECT_GT(verdict.value(QStringLiteral("challenger")).toObject().value(QStringLiteral("right")).toInt(), 25);
    // Before the promotion a person picked the record.
    EXPECT_EQ(outputsOf(QStringLiteral("form-3")).value(QStringLiteral("decided_by")).toString(), QStringLiteral("front-door"));
    EXPECT_EQ(outputsOf(QStringLiteral("form-3")).value(QStringLiteral("record_id")).toString(), QStringLiteral("p3"));

    // The same process, the same workers: the next forms go straight through.
    writeFile(path(QStringLiteral("inbox/tuesday.jsonl")), forms(30, 40));
    ASSERT_TRUE(eventually([&] { return count(QStringLiteral("done")) == 40; })) << log().toStdString();
    EXPECT_EQ(count(QStringLiteral("waiting_for_human")), 0);
    const QJsonObject decided = outputsOf(QStringLiteral("form-35"));
    EXPECT_EQ(decided.value(QStringLiteral("decided_by")).toString(), QStringLiteral("bot"));
    EXPECT_EQ(decided.value(QStringLiteral("record_id")).toString(), QStringLiteral("p35"));
    EXPECT_GT(decided.value(QStringLiteral("probability")).toDouble(), 0.98);
    EXPECT_TRUE(eventually([&] { return log().contains(QStringLiteral("now uses the weights people.person.model.v1")); }, 10))
        << log().toStdString();

    // The bot file is as written; the weights are a version beside it.
    EXPECT_EQ(readFile(bot()), kBot);
    const ClerkRun list = runClerk({QStringLiteral("model"), QStringLiteral("list"), bot()});
    EXPECT_EQ(list.exitCode, 0) << list.err.toStdString();
    EXPECT_TRUE(list.out.contains(QStringLiteral("v1"))) << list.out.toStdString();
    EXPECT_TRUE(list.out.contains(QStringLiteral("0 right, 0 wrong"))) << list.out.toStdString();
    EXPECT_TRUE(list.out.contains(QStringLiteral("*"))) << list.out.toStdString();
    stop();
}

TEST_F(MatchLearningServeTest, AChallengerThatWouldMatchWrongIsRefusedAndTheBotFilesWeightsStay)
{
    start();
    writeFile(path(QStringLiteral("inbox/monday.jsonl")), forms(0, 30));
    ASSERT_TRUE(eventually([&] { return count(QStringLiteral("waiting_for_human")) == 30; })) << log().toStdString();

    // Twice the person says the record agreeing on everything is someone else.
    EXPECT_EQ(answerEveryQuestion({QStringLiteral("form-7"), QStringLiteral("form-21")}), 30);
    ASSERT_TRUE(eventually([&] { return !events(QStringLiteral("model_refused")).isEmpty(); })) << log().toStdString();
    const QList<store::Event> refused = events(QStringLiteral("model_refused"));
    ASSERT_EQ(refused.size(), 1);
    EXPECT_TRUE(refused.first().detail.value(QStringLiteral("reason")).toString().startsWith(QStringLiteral("more wrong")))
        << refused.first().detail.value(QStringLiteral("reason")).toString().toStdString();
    EXPECT_TRUE(events(QStringLiteral("model_promoted")).isEmpty());
    EXPECT_TRUE(latest().isEmpty());
    EXPECT_TRUE(QFileInfo::exists(path(QStringLiteral("people.person.model.v1"))));

    // The next forms still go to a person.
    ASSERT_TRUE(eventually([&] { return count(QStringLiteral("done")) == 30; })) << log().toStdString();
    writeFile(path(QStringLiteral("inbox/tuesday.jsonl")), forms(30, 35));
    ASSERT_TRUE(eventually([&] { return count(QStringLiteral("waiting_for_human")) == 5; })) << log().toStdString();
    EXPECT_EQ(count(QStringLiteral("done")), 30);
    EXPECT_EQ(readFile(bot()), kBot);
    stop();
}

TEST_F(MatchLearningServeTest, ClerkLearnAndClerkModelHandleAMatchStepsVersions)
{
    writeFile(path(QStringLiteral("forms.jsonl")), forms(0, 30));
    const ClerkRun run = runClerk({QStringLiteral("run"), bot(), QStringLiteral("--input"), path(QStringLiteral("forms.jsonl")),
                                   QStringLiteral("--db"), db()});
    ASSERT_EQ(run.exitCode, 0) << run.err.toStdString();
    EXPECT_EQ(answerEveryQuestion(), 30);

    const QStringList learn{QStringLiteral("learn"), bot(), QStringLiteral("--db"), db(), QStringLiteral("--json")};
    const ClerkRun first = runClerk(learn);
    ASSERT_EQ(first.exitCode, 0) << first.err.toStdString();
    const QJsonObject learned = QJsonDocument::fromJson(first.out.toUtf8()).object();
    EXPECT_EQ(learned.value(QStringLiteral("step")).toString(), QStringLiteral("person"));
    EXPECT_TRUE(learned.value(QStringLiteral("trained")).toBool()) << first.out.toStdString();
    EXPECT_TRUE(learned.value(QStringLiteral("promoted")).toBool()) << first.out.toStdString();
    EXPECT_EQ(learned.value(QStringLiteral("model")).toString(), QStringLiteral("people.person.model.v1"));
    EXPECT_EQ(latest(), QStringLiteral("people.person.model.v1"));
    // Nothing new since: no second challenger.
    const ClerkRun second = runClerk(learn);
    EXPECT_FALSE(QJsonDocument::fromJson(second.out.toUtf8()).object().value(QStringLiteral("trained")).toBool())
        << second.out.toStdString();
    // --force trains one; the answers are the same, so it is no better and is refused.
    const ClerkRun forced = runClerk(learn + QStringList{QStringLiteral("--force")});
    const QJsonObject refused = QJsonDocument::fromJson(forced.out.toUtf8()).object();
    EXPECT_TRUE(refused.value(QStringLiteral("trained")).toBool()) << forced.out.toStdString();
    EXPECT_FALSE(refused.value(QStringLiteral("promoted")).toBool()) << forced.out.toStdString();
    EXPECT_EQ(latest(), QStringLiteral("people.person.model.v1"));

    // Operations staff see the step's answers, the weights in use and the last verdict.
    const ClerkRun report = runClerk({QStringLiteral("report"), QStringLiteral("--db"), db(), QStringLiteral("--bots"), bot()});
    ASSERT_EQ(report.exitCode, 0) << report.err.toStdString();
    const qsizetype table = report.out.indexOf(QStringLiteral("Match steps learning their weights"));
    ASSERT_GE(table, 0) << report.out.toStdString();
    const QString row = report.out.mid(table).section(QLatin1Char('\n'), 2, 2).simplified();
    EXPECT_TRUE(row.startsWith(QStringLiteral("people person 30 60 30 version 1 refused"))) << report.out.toStdString();
    EXPECT_TRUE(row.endsWith(QStringLiteral("(30 answers)"))) << row.toStdString();

    const ClerkRun list = runClerk({QStringLiteral("model"), QStringLiteral("list"), bot(), QStringLiteral("--json")});
    ASSERT_EQ(list.exitCode, 0) << list.err.toStdString();
    const QJsonArray versions = QJsonDocument::fromJson(list.out.toUtf8()).object().value(QStringLiteral("versions")).toArray();
    ASSERT_EQ(versions.size(), 2) << list.out.toStdString();
    EXPECT_TRUE(versions[0].toObject().value(QStringLiteral("in_use")).toBool());
    EXPECT_EQ(versions[0].toObject().value(QStringLiteral("compared")).toInt(), 30);
    EXPECT_FALSE(versions[1].toObject().value(QStringLiteral("promoted")).toBool());

    // By hand: the refused version, then back.
    const ClerkRun promote = runClerk({QStringLiteral("model"), QStringLiteral("promote"), bot(), QStringLiteral("v2"),
                                       QStringLiteral("--db"), db()});
    ASSERT_EQ(promote.exitCode, 0) << promote.err.toStdString();
    EXPECT_EQ(latest(), QStringLiteral("people.person.model.v2"));
    const ClerkRun rollback = runClerk({QStringLiteral("model"), QStringLiteral("rollback"), bot(), QStringLiteral("--db"), db()});
    ASSERT_EQ(rollback.exitCode, 0) << rollback.err.toStdString();
    EXPECT_EQ(latest(), QStringLiteral("people.person.model.v1"));
    EXPECT_EQ(events(QStringLiteral("model_rolled_back")).size(), 1);

    // A version learnt for other fields would not be used: promoting it is refused.
    writeFile(path(QStringLiteral("people.person.model.v3")),
              "{\"format\": \"clerk-match-model\", \"info\": {}, \"learned\": {},"
              " \"model\": {\"prior\": 0.1, \"fields\": {\"nhs\": {\"comparator\": \"nhs_number\","
              " \"m\": {\"exact\": 0.9, \"close\": 0.05, \"different\": 0.05},"
              " \"u\": {\"exact\": 0.01, \"close\": 0.01, \"different\": 0.98}}}}}");
    const ClerkRun misfit = runClerk({QStringLiteral("model"), QStringLiteral("promote"), bot(), QStringLiteral("v3")});
    EXPECT_NE(misfit.exitCode, 0);
    EXPECT_TRUE(misfit.err.contains(QStringLiteral("v3 cannot be used"))) << misfit.err.toStdString();
    EXPECT_EQ(latest(), QStringLiteral("people.person.model.v1"));
    EXPECT_EQ(readFile(bot()), kBot);
}
