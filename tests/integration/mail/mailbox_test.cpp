// The mailbox trigger against a real Dovecot (tests/integration/mail/dovecot.sh, fixture
// clerk_dovecot): attachments of new messages become items once, messages are flagged or
// moved only after that, restarts repeat nothing, and no secret or personal header
// reaches a log line or a problem.
#include "bot/bot_loader.h"
#include "core/clock.h"
#include "engine/engine.h"
#include "engine/step_registry.h"
#include "mail/imap_client.h"
#include "scheduler/mailbox_watch.h"
#include "scheduler/scheduler.h"
#include "store/work_store.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QLoggingCategory>
#include <QTimeZone>
#include <QMutex>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QUuid>
#include <gtest/gtest.h>

#include <cstdlib>

namespace clerk::scheduler {
namespace {

struct Imap {
    QString port, user, passwordFile, maildir;
};

std::optional<Imap> imapFromEnvironment()
{
    const QString state = qEnvironmentVariable("CLERK_IMAP_STATE");
    QFile file(state + QStringLiteral("/imap.env"));
    if (state.isEmpty() || !file.open(QIODevice::ReadOnly))
        return std::nullopt;
    Imap imap;
    for (const QByteArray &line : file.readAll().split('\n')) {
        const QString text = QString::fromUtf8(line);
        const QString value = text.section(QLatin1Char('='), 1);
        if (text.startsWith(QLatin1String("IMAP_PORT=")))
            imap.port = value;
        else if (text.startsWith(QLatin1String("IMAP_USER=")))
            imap.user = value;
        else if (text.startsWith(QLatin1String("IMAP_PASSWORD_FILE=")))
            imap.passwordFile = value;
        else if (text.startsWith(QLatin1String("IMAP_MAILDIR=")))
            imap.maildir = value;
    }
    return imap;
}

// Every log line written while it lives.
class LogCapture {
public:
    LogCapture()
    {
        QLoggingCategory::setFilterRules(QStringLiteral("clerk.*=true"));
        s_lines.clear();
        m_previous = qInstallMessageHandler(&LogCapture::handle);
    }
    ~LogCapture() { qInstallMessageHandler(m_previous); }
    static QString all()
    {
        QMutexLocker lock(&s_mutex);
        return s_lines.join(QLatin1Char('\n'));
    }

private:
    static void handle(QtMsgType, const QMessageLogContext &, const QString &message)
    {
        QMutexLocker lock(&s_mutex);
        s_lines.append(message);
    }
    QtMessageHandler m_previous = nullptr;
    static inline QMutex s_mutex;
    static inline QStringList s_lines;
};

const QByteArray kPdf("%PDF-1.4\n% clerk mailbox test\n1 0 obj\n<<>>\nendobj\n%%EOF\n");
const QByteArray kTiff("II*\0\x08\0\0\0", 8);

class MailboxTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        auto imap = imapFromEnvironment();
        if (!imap)
            GTEST_SKIP() << "no Dovecot: run through ctest (fixture clerk_dovecot)";
        m_imap = *imap;
        ASSERT_TRUE(m_dir.isValid());
        auto opened = store::openWorkStore(m_dir.filePath(QStringLiteral("work.db")), m_clock);
        ASSERT_TRUE(opened.has_value());
        m_store = std::move(*opened);
        engine::EngineOptions options;
        options.workerId = QStringLiteral("worker-1");
        m_engine = std::make_unique<engine::Engine>(*m_store, m_registry, options, m_clock);
        // Each test has its own folder, so tests do not see each other's messages.
        m_folder = QStringLiteral("T%1").arg(QUuid::createUuid().toString(QUuid::Id128).left(12));
        // Made by this test (perhaps as root), used by the server (as its own user): open to both.
        const auto everyone = QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner
                              | QFileDevice::ReadGroup | QFileDevice::WriteGroup | QFileDevice::ExeGroup
                              | QFileDevice::ReadOther | QFileDevice::WriteOther | QFileDevice::ExeOther;
        // "Prüfung" as the server spells it on disk (modified UTF-7).
        for (const QString &folder : QStringList{m_folder, m_folder + QStringLiteral("Done"),
                                                 m_folder + QStringLiteral("Pr&APw-fung")}) {
            const QString top = QStringLiteral("%1/.%2").arg(m_imap.maildir, folder);
            for (const char *sub : {"cur", "new", "tmp"}) {
                const QString path = QStringLiteral("%1/%2").arg(top, QLatin1String(sub));
                ASSERT_TRUE(QDir().mkpath(path));
                QFile::setPermissions(path, everyone);
            }
            QFile::setPermissions(top, everyone);
        }
        QFile password(m_imap.passwordFile);
        ASSERT_TRUE(password.open(QIODevice::ReadOnly));
        m_password = QString::fromUtf8(password.readAll()).trimmed();
    }

    QString url(const QString &folder) const
    {
        return QStringLiteral("imap://%1:%2/%3").arg(m_host, m_imap.port, folder);
    }

    // Delivers a message into `folder` as the local delivery agent would.
    void deliver(const QString &folder, const QByteArray &raw)
    {
        static int counter = 0;
        const QString name = QStringLiteral("%1/.%2/new/%3.M%4.clerk-test")
                                 .arg(m_imap.maildir, folder)
                                 .arg(QDateTime::currentSecsSinceEpoch())
                                 .arg(++counter);
        QFile file(name);
        ASSERT_TRUE(file.open(QIODevice::WriteOnly));
        file.write(raw);
        file.close();
        file.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ReadGroup
                            | QFileDevice::WriteGroup | QFileDevice::ReadOther | QFileDevice::WriteOther);
    }

    static QByteArray mail(const QByteArray &id, const QList<std::pair<QByteArray, QByteArray>> &attachments,
                           const QByteArray &subject = "=?utf-8?Q?Missed_bin_collection_=E2=80=93_Flat_2?=")
    {
        QByteArray raw = "From: Ada Resident <ada.resident@example.org>\r\nTo: intake@council.example\r\n"
                         "Subject: " + subject + "\r\nDate: Mon, 2 Mar 2026 09:15:00 +0000\r\n";
        if (!id.isEmpty())
            raw += "Message-ID: <" + id + ">\r\n";
        raw += "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"=_b\"\r\n\r\n"
               "--=_b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nPlease find attached.\r\n";
        for (const auto &[header, body] : attachments)
            raw += "--=_b\r\n" + header + "\r\nContent-Transfer-Encoding: base64\r\n\r\n" + body.toBase64() + "\r\n";
        return raw + "--=_b--\r\n";
    }

    bot::BotDefinition loadBot(const QString &mailbox)
    {
        qputenv("CLERK_TEST_IMAP_PASSWORD_FILE", m_imap.passwordFile.toUtf8());
        const QString yaml = QStringLiteral("name: post-intake\nversion: 1\nowner_team: post-room\n"
                                            "trigger:\n  mailbox:\n    url: %1\n    username: %2\n"
                                            "    password: ${file:%3}\n    every: 1m\n%4"
                                            "steps:\n  - type: set\n    params:\n      values:\n        seen: \"yes\"\n")
                                 .arg(url(m_folder), m_imap.user, m_imap.passwordFile, mailbox);
        bot::BotLoad load = bot::loadBotText(yaml.toUtf8(), QStringLiteral("post-intake.yaml"), m_registry.catalog(), {},
                                             m_dir.path());
        for (const bot::Diagnostic &d : load.diagnostics)
            ADD_FAILURE() << d.toString().toStdString();
        EXPECT_TRUE(load.bot.has_value());
        return load.bot.value_or(bot::BotDefinition{});
    }

    std::unique_ptr<Scheduler> makeScheduler()
    {
        SchedulerOptions options;
        options.owner = QStringLiteral("host-a");
        return std::make_unique<Scheduler>(*m_store, *m_engine, m_clock, options);
    }

    // Moves to the next minute and ticks once.
    TickResult nextPoll(Scheduler &scheduler)
    {
        const qint64 minute = 60 * 1000;
        m_clock.set(QDateTime::fromMSecsSinceEpoch((m_clock.nowMs() / minute + 1) * minute, Qt::UTC));
        auto result = scheduler.tick();
        EXPECT_TRUE(result.has_value());
        return result.value_or(TickResult{});
    }

    std::unique_ptr<mail::ImapSession> session(const QString &folder)
    {
        mail::ImapSettings settings;
        settings.url = url(folder);
        settings.username = m_imap.user;
        settings.password = m_password;
        auto opened = mail::ImapSession::open(settings);
        EXPECT_TRUE(opened.has_value());
        return opened ? std::move(*opened) : nullptr;
    }

    QList<quint32> search(const QString &folder, const QString &criteria)
    {
        auto s = session(folder);
        auto found = s->search(criteria);
        EXPECT_TRUE(found.has_value()) << (found ? "" : found.error().toString().toStdString());
        return found.value_or(QList<quint32>{});
    }

    QList<WorkItem> items()
    {
        store::ItemFilter filter;
        filter.limit = 1000;
        return m_store->items(filter).value_or(QList<WorkItem>{});
    }

    Imap m_imap;
    QString m_host = QStringLiteral("127.0.0.1");  // 127.0.0.2: the same server without MOVE and UIDPLUS
    QString m_folder;
    QString m_password;
    QTemporaryDir m_dir;
    ManualClock m_clock{QDateTime::fromString(QStringLiteral("2026-03-02T09:00:30Z"), Qt::ISODate)};
    engine::StepRegistry m_registry = engine::StepRegistry::builtIn();
    std::unique_ptr<store::WorkStore> m_store;
    std::unique_ptr<engine::Engine> m_engine;
};

TEST_F(MailboxTest, EachSuitableAttachmentBecomesOneItemAndTheMessageIsFlaggedAfterwards)
{
    deliver(m_folder, mail("one@example.org", {{"Content-Type: application/pdf; name=\"claim form.pdf\"", kPdf},
                                               {"Content-Type: image/tiff\r\nContent-Disposition: attachment;\r\n"
                                                " filename*=utf-8''Stra%C3%9Fe%20scan.tif",
                                                kTiff},
                                               {"Content-Type: application/msword; name=\"letter.doc\"", "DOC"}}));
    deliver(m_folder, mail("two@example.org", {}));  // no attachment at all
    LogCapture logs;
    auto scheduler = makeScheduler();
    ASSERT_TRUE(scheduler->addBot(loadBot({})));
    const TickResult first = nextPoll(*scheduler);
    EXPECT_TRUE(first.problems.isEmpty()) << first.problems.join(QLatin1Char('\n')).toStdString();
    EXPECT_EQ(first.polls, 1);
    EXPECT_EQ(first.enqueued, 2);  // the PDF and the TIFF; not the .doc

    QList<WorkItem> list = items();
    ASSERT_EQ(list.size(), 2);
    std::sort(list.begin(), list.end(), [](const WorkItem &a, const WorkItem &b) { return a.sourceRef < b.sourceRef; });
    const QRegularExpression ref(QStringLiteral("^mail:one@example\\.org/[0-9a-f]{16}#([01])$"));
    EXPECT_EQ(ref.match(list.at(0).sourceRef).captured(1), QStringLiteral("0")) << list.at(0).sourceRef.toStdString();
    EXPECT_EQ(ref.match(list.at(1).sourceRef).captured(1), QStringLiteral("1")) << list.at(1).sourceRef.toStdString();
    const QJsonObject pdf = list.at(0).payload;
    EXPECT_EQ(pdf.value("name").toString(), QStringLiteral("claim form.pdf"));
    EXPECT_EQ(pdf.value("mail").toObject().value("message_id").toString(), QStringLiteral("one@example.org"));
    EXPECT_EQ(pdf.value("mail").toObject().value("subject").toString(), QStringLiteral(u"Missed bin collection – Flat 2"));
    EXPECT_EQ(list.at(1).payload.value("name").toString(), QStringLiteral(u"Straße scan.tif"));
    QFile saved(pdf.value("file").toString());
    ASSERT_TRUE(saved.open(QIODevice::ReadOnly)) << pdf.value("file").toString().toStdString();
    EXPECT_EQ(saved.readAll(), kPdf);
    EXPECT_TRUE(saved.fileName().startsWith(m_dir.filePath(QStringLiteral("mail/"))));
    QFile tiff(list.at(1).payload.value("file").toString());
    ASSERT_TRUE(tiff.open(QIODevice::ReadOnly));
    EXPECT_EQ(tiff.readAll(), kTiff);

    // Both messages are marked, and still unread for the people sharing the mailbox.
    EXPECT_EQ(search(m_folder, QStringLiteral("KEYWORD $ClerkDone")).size(), 2);
    EXPECT_EQ(search(m_folder, QStringLiteral("UNSEEN")).size(), 2);

    // Nothing new: the next poll reads nothing and makes nothing.
    const TickResult second = nextPoll(*scheduler);
    EXPECT_EQ(second.enqueued, 0);
    EXPECT_TRUE(second.problems.isEmpty());

    deliver(m_folder, mail("three@example.org", {{"Content-Type: image/png; name=\"photo.PNG\"", "\x89PNG"}}));
    EXPECT_EQ(nextPoll(*scheduler).enqueued, 1);
    EXPECT_EQ(items().size(), 3);

    // Personal headers and the password never reach the logs.
    const QString logged = logs.all();
    EXPECT_TRUE(logged.contains(QStringLiteral("made no item (no attachment matching"))) << logged.toStdString();
    for (const QString &secret : QStringList{m_password, QStringLiteral("Ada Resident"), QStringLiteral("ada.resident"),
                                  QStringLiteral("Missed bin"), QStringLiteral("claim form")})
        EXPECT_FALSE(logged.contains(secret)) << secret.toStdString();
}

// items: body: every message is one item with its text (an HTML-only one reduced to
// text), sender, subject and date, and its attachments saved and listed; read again, it
// makes no second item. items: both adds the attachments' own items. The text, like the
// headers, never reaches the logs.
TEST_F(MailboxTest, WithItemsBodyEachMessageIsOneItemWithItsText)
{
    deliver(m_folder, "From: Duty Social Worker <duty@example.nhs.uk>\r\nSubject: Referral: Mrs Okafor\r\n"
                      "Message-ID: <ref-1@example.nhs.uk>\r\nDate: Mon, 2 Mar 2026 09:20:00 +0000\r\n"
                      "Content-Type: text/plain; charset=utf-8\r\n\r\n"
                      "Referral for Mrs Zoe Okafor, NHS number 943 476 5919, LS6 1RT.\r\nFalls at home.\r\n");
    deliver(m_folder, "From: gp@example.nhs.uk\r\nSubject: Concern\r\nMessage-ID: <ref-2@example.nhs.uk>\r\n"
                      "Content-Type: text/html; charset=utf-8\r\n\r\n"
                      "<html><body><p>Patient&nbsp;not coping.</p><p>Please call.</p></body></html>\r\n");
    deliver(m_folder, mail("ref-3@example.org", {{"Content-Type: application/pdf; name=\"care plan.pdf\"", kPdf}}));
    LogCapture logs;
    auto scheduler = makeScheduler();
    ASSERT_TRUE(scheduler->addBot(loadBot(QStringLiteral("    items: body\n"))));
    const TickResult first = nextPoll(*scheduler);
    EXPECT_TRUE(first.problems.isEmpty()) << first.problems.join(QLatin1Char('\n')).toStdString();
    EXPECT_EQ(first.enqueued, 3);

    QList<WorkItem> list = items();
    ASSERT_EQ(list.size(), 3);
    std::sort(list.begin(), list.end(), [](const WorkItem &a, const WorkItem &b) { return a.sourceRef < b.sourceRef; });
    const QJsonObject referral = list.at(0).payload;
    EXPECT_TRUE(list.at(0).sourceRef.startsWith(QStringLiteral("mail:ref-1@example.nhs.uk/")));
    EXPECT_TRUE(list.at(0).sourceRef.endsWith(QStringLiteral("#body")));
    EXPECT_EQ(referral.value("text").toString(),
              QStringLiteral("Referral for Mrs Zoe Okafor, NHS number 943 476 5919, LS6 1RT.\nFalls at home."));
    EXPECT_EQ(referral.value("mail").toObject().value("from").toString(),
              QStringLiteral("Duty Social Worker <duty@example.nhs.uk>"));
    EXPECT_EQ(referral.value("mail").toObject().value("subject").toString(), QStringLiteral("Referral: Mrs Okafor"));
    EXPECT_TRUE(referral.value("attachments").toArray().isEmpty());
    EXPECT_EQ(list.at(1).payload.value("text").toString(), QStringLiteral("Patient not coping.\n\nPlease call."));
    const QJsonObject withPlan = list.at(2).payload;
    EXPECT_EQ(withPlan.value("text").toString(), QStringLiteral("Please find attached."));
    const QJsonArray attached = withPlan.value("attachments").toArray();
    ASSERT_EQ(attached.size(), 1);
    EXPECT_EQ(attached.at(0).toObject().value("name").toString(), QStringLiteral("care plan.pdf"));
    QFile plan(attached.at(0).toObject().value("file").toString());
    ASSERT_TRUE(plan.open(QIODevice::ReadOnly));
    EXPECT_EQ(plan.readAll(), kPdf);

    // Read again (as after a crash before marking): no second item.
    auto s = session(m_folder);
    for (const quint32 uid : search(m_folder, QStringLiteral("ALL")))
        ASSERT_TRUE(s->removeFlag(uid, QStringLiteral("$ClerkDone")).has_value());
    EXPECT_EQ(nextPoll(*scheduler).enqueued, 0);
    EXPECT_EQ(items().size(), 3);

    const QString logged = logs.all();
    for (const QString &secret : QStringList{QStringLiteral("Okafor"), QStringLiteral("943 476"),
                                             QStringLiteral("not coping"), QStringLiteral("duty@example")})
        EXPECT_FALSE(logged.contains(secret)) << secret.toStdString();
}

TEST_F(MailboxTest, WithItemsBothAMessageGivesItsAttachmentsAndItsText)
{
    deliver(m_folder, mail("both@example.org", {{"Content-Type: application/pdf; name=form.pdf", kPdf}}));
    auto scheduler = makeScheduler();
    ASSERT_TRUE(scheduler->addBot(loadBot(QStringLiteral("    items: both\n"))));
    EXPECT_EQ(nextPoll(*scheduler).enqueued, 2);
    QList<WorkItem> list = items();
    ASSERT_EQ(list.size(), 2);
    std::sort(list.begin(), list.end(), [](const WorkItem &a, const WorkItem &b) { return a.sourceRef < b.sourceRef; });
    EXPECT_TRUE(list.at(0).sourceRef.endsWith(QStringLiteral("#0")));
    EXPECT_EQ(list.at(0).payload.value("name").toString(), QStringLiteral("form.pdf"));
    EXPECT_TRUE(list.at(1).sourceRef.endsWith(QStringLiteral("#body")));
    EXPECT_EQ(list.at(1).payload.value("text").toString(), QStringLiteral("Please find attached."));
}

TEST_F(MailboxTest, AMessageStoredButNotMarkedIsReadAgainWithoutASecondItem)
{
    deliver(m_folder, mail("again@example.org", {{"Content-Type: application/pdf; name=a.pdf", kPdf}}));
    deliver(m_folder, mail({}, {{"Content-Type: application/pdf; name=b.pdf", kPdf}}));  // no Message-ID
    auto scheduler = makeScheduler();
    ASSERT_TRUE(scheduler->addBot(loadBot({})));
    EXPECT_EQ(nextPoll(*scheduler).enqueued, 2);
    // As if clerk had stopped between storing the items and flagging the messages.
    auto s = session(m_folder);
    for (const quint32 uid : search(m_folder, QStringLiteral("ALL")))
        ASSERT_TRUE(s->removeFlag(uid, QStringLiteral("$ClerkDone")).has_value());
    auto restarted = makeScheduler();
    ASSERT_TRUE(restarted->addBot(loadBot({})));
    const TickResult again = nextPoll(*restarted);
    EXPECT_TRUE(again.problems.isEmpty()) << again.problems.join(QLatin1Char('\n')).toStdString();
    EXPECT_EQ(again.enqueued, 0);
    EXPECT_EQ(items().size(), 2);
    EXPECT_EQ(search(m_folder, QStringLiteral("KEYWORD $ClerkDone")).size(), 2);
}

TEST_F(MailboxTest, AfterMoveTheMessageGoesToTheOtherFolder)
{
    deliver(m_folder, mail("moved@example.org", {{"Content-Type: application/pdf; name=a.pdf", kPdf}}));
    deliver(m_folder, mail("plain@example.org", {}));
    auto scheduler = makeScheduler();
    ASSERT_TRUE(scheduler->addBot(loadBot(QStringLiteral(u"    after: move\n    move_to: %1Prüfung\n").arg(m_folder))));
    const TickResult moved = nextPoll(*scheduler);
    EXPECT_TRUE(moved.problems.isEmpty()) << moved.problems.join(QLatin1Char('\n')).toStdString();
    EXPECT_EQ(moved.enqueued, 1);
    EXPECT_TRUE(search(m_folder, QStringLiteral("ALL")).isEmpty());
    const QString target = m_folder + QStringLiteral(u"Prüfung");
    EXPECT_EQ(search(target, QStringLiteral("ALL")).size(), 2);
    EXPECT_EQ(search(target, QStringLiteral("UNSEEN")).size(), 2);
}

TEST_F(MailboxTest, WithoutMoveOnTheServerTheMessageIsCopiedThenExpunged)
{
    m_host = QStringLiteral("127.0.0.2");
    auto s = session(m_folder);
    auto capabilities = s->capabilities();
    ASSERT_TRUE(capabilities.has_value());
    ASSERT_FALSE(capabilities->contains(QStringLiteral("MOVE")));
    ASSERT_FALSE(capabilities->contains(QStringLiteral("UIDPLUS")));
    deliver(m_folder, mail("copied@example.org", {{"Content-Type: application/pdf; name=a.pdf", kPdf}}));
    deliver(m_folder, mail("other@example.org", {{"Content-Type: application/pdf; name=b.pdf", kPdf}}));
    auto scheduler = makeScheduler();
    ASSERT_TRUE(scheduler->addBot(loadBot(QStringLiteral("    after: move\n    move_to: %1Done\n").arg(m_folder))));
    const TickResult moved = nextPoll(*scheduler);
    EXPECT_TRUE(moved.problems.isEmpty()) << moved.problems.join(QLatin1Char('\n')).toStdString();
    EXPECT_EQ(moved.enqueued, 2);
    EXPECT_TRUE(search(m_folder, QStringLiteral("ALL")).isEmpty());  // expunged, not just marked \Deleted
    EXPECT_EQ(search(m_folder + QStringLiteral("Done"), QStringLiteral("ALL")).size(), 2);
    EXPECT_EQ(search(m_folder + QStringLiteral("Done"), QStringLiteral("DELETED")).size(), 0);
}

TEST_F(MailboxTest, AMessageTooLargeToReadIsMarkedAndReportedWithoutHoldingUpTheOthers)
{
    deliver(m_folder, mail("huge@example.org", {{"Content-Type: application/pdf; name=huge.pdf", QByteArray(4000, 'x')}}));
    deliver(m_folder, mail("small@example.org", {{"Content-Type: application/pdf; name=small.pdf", kPdf}}));
    const bot::BotDefinition definition = loadBot({});
    auto settings = MailboxSettings::forBot(definition);
    ASSERT_TRUE(settings.has_value());
    settings->maxMessageBytes = 2000;
    MailboxWatch watch(*settings);
    ASSERT_TRUE(m_engine->addBot(definition).has_value());
    const MailboxPoll poll = watch.poll(*m_engine, definition);
    EXPECT_EQ(poll.messages, 2);
    EXPECT_EQ(poll.enqueued, 1);
    ASSERT_EQ(poll.problems.size(), 1);
    EXPECT_TRUE(poll.problems.first().contains(QStringLiteral("larger than"))) << poll.problems.first().toStdString();
    ASSERT_EQ(items().size(), 1);
    EXPECT_TRUE(items().first().sourceRef.startsWith(QStringLiteral("mail:small@example.org/")));
    EXPECT_EQ(search(m_folder, QStringLiteral("KEYWORD $ClerkDone")).size(), 2);
}

TEST_F(MailboxTest, ARefusedSignInIsAProblemThatNamesNoSecret)
{
    deliver(m_folder, mail("wait@example.org", {{"Content-Type: application/pdf; name=a.pdf", kPdf}}));
    QTemporaryDir secrets;
    QFile wrong(secrets.filePath(QStringLiteral("wrong")));
    ASSERT_TRUE(wrong.open(QIODevice::WriteOnly));
    wrong.write("not-the-password-4711");
    wrong.close();
    bot::BotDefinition definition = loadBot({});
    QJsonObject options = definition.trigger->options;
    options.insert(QStringLiteral("password"), QStringLiteral("${file:%1}").arg(wrong.fileName()));
    definition.trigger->options = options;
    auto scheduler = makeScheduler();
    ASSERT_TRUE(scheduler->addBot(definition));
    const TickResult refused = nextPoll(*scheduler);
    ASSERT_EQ(refused.problems.size(), 1);
    EXPECT_TRUE(refused.problems.first().contains(QStringLiteral("refused the sign-in")))
        << refused.problems.first().toStdString();
    EXPECT_FALSE(refused.problems.first().contains(QStringLiteral("not-the-password")));
    EXPECT_TRUE(items().isEmpty());
    EXPECT_EQ(search(m_folder, QStringLiteral("UNSEEN")).size(), 1);  // untouched, read at a later poll
}

TEST_F(MailboxTest, AMessageOverTheMimeLimitsMakesNoItemAndIsMarkedAndReported)
{
    QList<std::pair<QByteArray, QByteArray>> many;
    for (int i = 0; i < 51; ++i)
        many.append({"Content-Type: application/pdf; name=\"claim form " + QByteArray::number(i) + ".pdf\"", kPdf});
    deliver(m_folder, mail("many@example.org", many));
    deliver(m_folder, mail("fine@example.org", {{"Content-Type: application/pdf; name=a.pdf", kPdf}}));
    LogCapture logs;
    auto scheduler = makeScheduler();
    ASSERT_TRUE(scheduler->addBot(loadBot({})));
    const TickResult poll = nextPoll(*scheduler);
    EXPECT_EQ(poll.enqueued, 1);
    ASSERT_EQ(poll.problems.size(), 1);
    EXPECT_TRUE(poll.problems.first().contains(QStringLiteral("more than 50 attachments")))
        << poll.problems.first().toStdString();
    EXPECT_TRUE(poll.problems.first().contains(QStringLiteral("UID")));
    ASSERT_EQ(items().size(), 1);  // none of the 51, not even the first 50
    EXPECT_EQ(items().first().payload.value("mail").toObject().value("message_id").toString(),
              QStringLiteral("fine@example.org"));
    // Marked, so it is not read on every poll; the problem is for a person to follow up.
    EXPECT_EQ(search(m_folder, QStringLiteral("KEYWORD $ClerkDone")).size(), 2);
    EXPECT_EQ(nextPoll(*scheduler).problems.size(), 0);

    const QString logged = logs.all();
    EXPECT_TRUE(logged.contains(QStringLiteral("more than 50 attachments"))) << logged.toStdString();
    for (const QString &personal : QStringList{QStringLiteral("Ada Resident"), QStringLiteral("ada.resident"),
                                    QStringLiteral("Missed bin"), QStringLiteral("claim form"),
                                    QStringLiteral("many@example.org")})
        EXPECT_FALSE(logged.contains(personal)) << personal.toStdString();
    for (const QString &problem : poll.problems)
        EXPECT_FALSE(problem.contains(QStringLiteral("Ada Resident")) || problem.contains(QStringLiteral("claim form")));
}

TEST_F(MailboxTest, TheAttachmentLimitIsTheBotsToSet)
{
    deliver(m_folder, mail("three@example.org", {{"Content-Type: application/pdf; name=a.pdf", kPdf},
                                                 {"Content-Type: application/pdf; name=b.pdf", kPdf},
                                                 {"Content-Type: application/pdf; name=c.pdf", kPdf}}));
    const bot::BotDefinition definition = loadBot({});
    auto settings = MailboxSettings::forBot(definition);
    ASSERT_TRUE(settings.has_value());
    EXPECT_EQ(settings->maxAttachments, 50);
    settings->maxAttachments = 2;
    MailboxWatch watch(*settings);
    ASSERT_TRUE(m_engine->addBot(definition).has_value());
    const MailboxPoll poll = watch.poll(*m_engine, definition);
    EXPECT_EQ(poll.messages, 1);
    EXPECT_EQ(poll.enqueued, 0);
    ASSERT_EQ(poll.problems.size(), 1);
    EXPECT_TRUE(poll.problems.first().contains(QStringLiteral("more than 2 attachments")));
    EXPECT_TRUE(items().isEmpty());
}

TEST_F(MailboxTest, AMessageReusingAKnownMessageIdIsStillTakenButTheSameMessageTwiceIsNot)
{
    const QByteArray first = mail("reused@example.org", {{"Content-Type: application/pdf; name=a.pdf", kPdf}});
    deliver(m_folder, first);
    auto scheduler = makeScheduler();
    ASSERT_TRUE(scheduler->addBot(loadBot({})));
    EXPECT_EQ(nextPoll(*scheduler).enqueued, 1);

    // Another message under the same Message-ID (a careless or hostile sender), and the
    // first one delivered a second time.
    const QByteArray otherPdf = "%PDF-1.4\n% another claim\n%%EOF\n";
    deliver(m_folder, mail("reused@example.org", {{"Content-Type: application/pdf; name=a.pdf", otherPdf}}));
    deliver(m_folder, first);
    const TickResult second = nextPoll(*scheduler);
    EXPECT_TRUE(second.problems.isEmpty()) << second.problems.join(QLatin1Char('\n')).toStdString();
    EXPECT_EQ(second.enqueued, 1);
    EXPECT_EQ(search(m_folder, QStringLiteral("KEYWORD $ClerkDone")).size(), 3);

    QList<WorkItem> list = items();
    ASSERT_EQ(list.size(), 2);
    EXPECT_NE(list.at(0).sourceRef, list.at(1).sourceRef);
    // Each item keeps its own file: the second message did not overwrite the first's.
    QSet<QByteArray> contents;
    for (const WorkItem &item : list) {
        QFile file(item.payload.value("file").toString());
        ASSERT_TRUE(file.open(QIODevice::ReadOnly));
        contents.insert(file.readAll());
    }
    EXPECT_EQ(contents, (QSet<QByteArray>{kPdf, otherPdf}));
}

} // namespace
} // namespace clerk::scheduler
