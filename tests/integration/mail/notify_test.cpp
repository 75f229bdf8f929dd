// The notify step against a real mail server (tests/integration/mail/smtp.sh, fixture
// clerk_smtp: Exim on 127.0.0.1 delivering over LMTP into the Dovecot fixture's Maildir,
// with Sieve's `duplicate` dropping a Message-ID delivered before). The message is read
// back over IMAP: headers, text, HTML alternative, attachment bytes and the Message-ID
// made from the action key; a repeated item sends nothing, a re-send after an attempt
// that may have landed is delivered once, a refused recipient goes to a person with the
// server's reply, and a server that is down or says "try later" makes the item wait.
#include "bot/bot_loader.h"
#include "core/clock.h"
#include "engine/engine.h"
#include "engine/step_registry.h"
#include "mail/imap_client.h"
#include "mail/mime_message.h"
#include "scheduler/mailbox_watch.h"
#include "store/work_store.h"

#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QTemporaryDir>
#include <QThread>
#include <QUuid>
#include <gtest/gtest.h>

namespace clerk {
namespace {

// KEY=VALUE lines of a fixture's env file.
QHash<QString, QString> readEnv(const QString &variable, const QString &file)
{
    QHash<QString, QString> values;
    const QString state = qEnvironmentVariable(variable.toUtf8().constData());
    QFile env(state + QLatin1Char('/') + file);
    if (state.isEmpty() || !env.open(QIODevice::ReadOnly))
        return values;
    for (const QByteArray &line : env.readAll().split('\n')) {
        const QString text = QString::fromUtf8(line);
        if (text.contains(QLatin1Char('=')))
            values.insert(text.section(QLatin1Char('='), 0, 0), text.section(QLatin1Char('='), 1));
    }
    values.insert(QStringLiteral("STATE"), state);
    return values;
}

class NotifyTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        m_imap = readEnv(QStringLiteral("CLERK_IMAP_STATE"), QStringLiteral("imap.env"));
        m_smtp = readEnv(QStringLiteral("CLERK_SMTP_STATE"), QStringLiteral("smtp.env"));
        if (m_imap.isEmpty() || m_smtp.isEmpty())
            GTEST_SKIP() << "no mail servers: run through ctest (fixtures clerk_dovecot and clerk_smtp)";
        ASSERT_TRUE(m_dir.isValid());
        auto opened = store::openWorkStore(m_dir.filePath(QStringLiteral("work.db")), m_clock);
        ASSERT_TRUE(opened.has_value());
        m_store = std::move(*opened);
        m_engine = std::make_unique<engine::Engine>(*m_store, m_registry, engine::EngineOptions{}, m_clock);
        ASSERT_TRUE(QDir().mkpath(m_dir.filePath(QStringLiteral("letters"))));
        m_attachment = m_dir.filePath(QStringLiteral("letters/receipt.pdf"));
        QFile pdf(m_attachment);
        ASSERT_TRUE(pdf.open(QIODevice::WriteOnly));
        m_pdfBytes = QByteArray("%PDF-1.4\n") + QByteArray(3000, '\x01') + QByteArray("\xff\x00\r\n.\r\nend", 10);
        pdf.write(m_pdfBytes);
    }

    QString server(const QString &port = {}) const
    {
        return QStringLiteral("smtp://127.0.0.1:%1").arg(port.isEmpty() ? m_smtp.value(QStringLiteral("SMTP_PORT")) : port);
    }

    // `signIn`: more lines of the step's params (username, password, tls), each indented by six.
    bot::BotDefinition loadBot(const QString &serverUrl, const QString &signIn = {})
    {
        const QString yaml = QStringLiteral(
            "name: acknowledger\nversion: 1\nowner_team: contact-centre\nallowed_paths: [letters]\n"
            "retry:\n  max_attempts: 5\nsteps:\n"
            "  - id: acknowledge\n    type: notify\n    params:\n"
            "      server: %1\n%2      from: no-reply@council.example\n      reply_to: help@council.example\n"
            "      to: \"{{ input.email }}\"\n"
            "      subject: \"Wir haben Ihre Anfrage {{ input.ref }} erhalten — Grüße\"\n"
            "      text: \"Dear resident,\\nwe have your request {{ input.ref }}. Cost: £0.\\n\"\n"
            "      html: \"<p>Dear resident, we have your request <b>{{ input.ref }}</b>.</p>\"\n"
            "      attachments: [\"{{ input.file }}\"]\n")
                                 .arg(serverUrl, signIn);
        bot::BotLoad load = bot::loadBotText(yaml.toUtf8(), m_dir.filePath(QStringLiteral("ack.yaml")), m_registry.catalog(),
                                             {}, m_dir.path());
        for (const bot::Diagnostic &d : load.diagnostics)
            ADD_FAILURE() << d.toString().toStdString();
        EXPECT_TRUE(load.bot.has_value());
        return load.bot.value_or(bot::BotDefinition{});
    }

    // Submits one item and runs the engine; the item as it then is.
    WorkItem runItem(const bot::BotDefinition &bot, const QString &ref, const QString &email)
    {
        EXPECT_TRUE(m_engine->addBot(bot).has_value());
        const auto submitted = m_engine->submit(bot, ref, {{QStringLiteral("email"), email}, {QStringLiteral("ref"), ref},
                                                          {QStringLiteral("file"), m_attachment}});
        EXPECT_TRUE(submitted.has_value());
        EXPECT_TRUE(m_engine->runUntilIdle().has_value());
        return m_store->item(submitted.value_or(store::EnqueueResult{}).id).value_or(WorkItem{});
    }

    // The raw messages in the user's folder Notify (smtp.sh files them there) whose Message-ID is `id` (without brackets).
    QList<QByteArray> delivered(const QString &id)
    {
        mail::ImapSettings settings;
        settings.url = QStringLiteral("imap://127.0.0.1:%1/Notify").arg(m_imap.value(QStringLiteral("IMAP_PORT")));
        settings.username = m_imap.value(QStringLiteral("IMAP_USER"));
        QFile password(m_imap.value(QStringLiteral("IMAP_PASSWORD_FILE")));
        EXPECT_TRUE(password.open(QIODevice::ReadOnly));
        settings.password = QString::fromUtf8(password.readAll()).trimmed();
        auto session = mail::ImapSession::open(settings);
        EXPECT_TRUE(session.has_value());
        QList<QByteArray> found;
        if (!session)
            return found;
        auto uids = (*session)->search(QStringLiteral("HEADER Message-ID \"%1\"").arg(id));
        EXPECT_TRUE(uids.has_value()) << (uids ? "" : uids.error().toString().toStdString());
        for (quint32 uid : uids.value_or(QList<quint32>{})) {
            auto raw = (*session)->fetch(uid);
            if (raw)
                found.append(*raw);
        }
        return found;
    }

    // Waits (delivery runs after the SMTP answer) until `count` messages with `id` are there.
    QList<QByteArray> waitForDelivery(const QString &id, int count = 1)
    {
        QList<QByteArray> found;
        for (int i = 0; i < 100 && found.size() < count; ++i) {
            found = delivered(id);
            if (found.size() < count)
                QThread::msleep(100);
        }
        return found;
    }

    // The lines of Exim's main log (`tls`: the STARTTLS and sign-in server's) that took a message with `id` in.
    QList<QByteArray> receptionLines(const QString &id, bool tls = false) const
    {
        QFile log(m_smtp.value(QStringLiteral("STATE")) + (tls ? QStringLiteral("/log-tls/mainlog") : QStringLiteral("/log/mainlog")));
        QList<QByteArray> lines;
        if (!log.open(QIODevice::ReadOnly))
            return lines;
        for (const QByteArray &line : log.readAll().split('\n')) {
            if (line.contains(" <= ") && line.contains(QByteArray(QByteArray(" id=") + id.toUtf8())))
                lines.append(line);
        }
        return lines;
    }
    int receptions(const QString &id, bool tls = false) const { return int(receptionLines(id, tls).size()); }
    // How many messages the STARTTLS and sign-in server took in, from anyone.
    int tlsReceptions() const
    {
        QFile log(m_smtp.value(QStringLiteral("STATE")) + QStringLiteral("/log-tls/mainlog"));
        return log.open(QIODevice::ReadOnly) ? int(log.readAll().count(" <= ")) : 0;
    }

    // The server that offers STARTTLS and sign-in, with `password` (a file's content)
    // behind a secret reference and `tls` lines; the CA file when `trusted`.
    bot::BotDefinition tlsBot(const QString &password, bool trusted, const QString &starttls = QStringLiteral("required"),
                              const QString &port = {})
    {
        const QString file = m_dir.filePath(QStringLiteral("smtp-password"));
        QFile secret(file);
        EXPECT_TRUE(secret.open(QIODevice::WriteOnly | QIODevice::Truncate));
        secret.write(password.toUtf8() + '\n');
        secret.close();
        QString lines = QStringLiteral("      username: %1\n      password: ${file:%2}\n      tls:\n        starttls: %3\n")
                            .arg(m_smtp.value(QStringLiteral("SMTP_TLS_USER")), file, starttls);
        if (trusted)
            lines += QStringLiteral("        ca_file: %1\n").arg(m_smtp.value(QStringLiteral("SMTP_TLS_CA")));
        return loadBot(server(port.isEmpty() ? m_smtp.value(QStringLiteral("SMTP_TLS_PORT")) : port), lines);
    }
    QString tlsPassword() const
    {
        QFile file(m_smtp.value(QStringLiteral("SMTP_TLS_PASSWORD_FILE")));
        return file.open(QIODevice::ReadOnly) ? QString::fromUtf8(file.readAll()).trimmed() : QString();
    }
    // The one question the item asked.
    store::ExceptionItem question(const WorkItem &item)
    {
        const auto questions = m_store->exceptions(store::ExceptionFilter{});
        EXPECT_TRUE(questions.has_value());
        for (const store::ExceptionItem &found : questions.value_or(QList<store::ExceptionItem>{})) {
            if (found.itemId == item.id)
                return found;
        }
        ADD_FAILURE() << "item " << item.id << " asked nothing";
        return {};
    }
    // The Message-ID the step makes for the item `ref` of the acknowledger (without brackets).
    static QString messageIdOf(const WorkItem &item)
    {
        const QString id = item.stepOutputs.value(QStringLiteral("acknowledge")).toObject().value(QStringLiteral("message_id")).toString();
        return id.mid(1, id.size() - 2);
    }

    // The acknowledger's notices by outcome, as the dashboard, clerk report and /metrics read them.
    store::NoticeFigures notices()
    {
        auto rows = m_store->noticeFigures({.bot = QStringLiteral("acknowledger")}, false);
        EXPECT_TRUE(rows.has_value());
        return rows && !rows->isEmpty() ? rows->first() : store::NoticeFigures{};
    }

    QString user() const { return m_smtp.value(QStringLiteral("SMTP_USER")); }
    static QString uniqueRef() { return QStringLiteral("REF-%1").arg(QUuid::createUuid().toString(QUuid::Id128).left(10)); }

    QHash<QString, QString> m_imap, m_smtp;
    QTemporaryDir m_dir;
    ManualClock m_clock{QDateTime::currentDateTimeUtc()};
    engine::StepRegistry m_registry = engine::StepRegistry::builtIn();
    std::unique_ptr<store::WorkStore> m_store;
    std::unique_ptr<engine::Engine> m_engine;
    QString m_attachment;
    QByteArray m_pdfBytes;
};

TEST_F(NotifyTest, SendsTheAcknowledgementOnceAndItReadsBackOverImap)
{
    const bot::BotDefinition bot = loadBot(server());
    const QString ref = uniqueRef();
    const WorkItem item = runItem(bot, ref, user());
    ASSERT_EQ(item.state, ItemState::Done) << item.lastError.toStdString();
    const QJsonObject outputs = item.stepOutputs.value(QStringLiteral("acknowledge")).toObject();
    EXPECT_EQ(outputs.value(QStringLiteral("status")).toString(), QStringLiteral("sent"));
    EXPECT_EQ(outputs.value(QStringLiteral("to")).toString(), user());
    const QString messageId = outputs.value(QStringLiteral("message_id")).toString();
    ASSERT_TRUE(messageId.startsWith(QLatin1String("<clerk-")) && messageId.endsWith(QLatin1String("-0-acknowledge@acknowledger.clerk>")))
        << messageId.toStdString();
    const QString id = messageId.mid(1, messageId.size() - 2);

    const QList<QByteArray> found = waitForDelivery(id);
    ASSERT_EQ(found.size(), 1);
    const QByteArray &raw = found.first();
    auto parsed = mail::parseMessage(raw);
    ASSERT_TRUE(parsed.has_value());
    EXPECT_EQ(parsed->messageId, id);
    EXPECT_EQ(parsed->from, QStringLiteral("no-reply@council.example"));
    EXPECT_EQ(parsed->subject, QStringLiteral("Wir haben Ihre Anfrage %1 erhalten — Grüße").arg(ref));
    EXPECT_TRUE(raw.contains(QStringLiteral("\r\nTo: %1\r\n").arg(user()).toUtf8()));
    EXPECT_TRUE(raw.contains("\r\nReply-To: help@council.example\r\n"));
    EXPECT_TRUE(parsed->text.contains(QStringLiteral("we have your request %1. Cost: £0.").arg(ref))) << parsed->text.toStdString();
    EXPECT_TRUE(raw.contains("multipart/alternative"));
    EXPECT_TRUE(raw.contains(QStringLiteral("<p>Dear resident, we have your request <b>%1</b>.</p>").arg(ref).toUtf8()));
    ASSERT_EQ(parsed->attachments.size(), 1);
    EXPECT_EQ(parsed->attachments.first().fileName, QStringLiteral("receipt.pdf"));
    EXPECT_EQ(parsed->attachments.first().contentType, QStringLiteral("application/pdf"));
    EXPECT_EQ(parsed->attachments.first().content, m_pdfBytes);

    // The same input again: the item exists, nothing runs, nothing is sent.
    const auto again = m_engine->submit(bot, ref, {{QStringLiteral("email"), user()}, {QStringLiteral("ref"), ref}});
    ASSERT_TRUE(again.has_value());
    EXPECT_FALSE(again->created);
    EXPECT_EQ(m_engine->runUntilIdle().value_or(-1), 0);
    EXPECT_EQ(receptions(id), 1);
    EXPECT_EQ(delivered(id).size(), 1);
    EXPECT_EQ(notices().sent, 1);
    EXPECT_EQ(notices().failedTotal(), 0);
}

// clerk stopped between the server's 250 and recording it: the outbox says the attempt
// began but did not finish, so the step sends again, with the same Message-ID, and the
// mail store (Sieve `duplicate`) delivers it once.
TEST_F(NotifyTest, AResendAfterAnAttemptThatMayHaveLandedIsDeliveredOnce)
{
    const bot::BotDefinition bot = loadBot(server());
    auto step = m_registry.find(QStringLiteral("notify"))->create(bot, bot.steps.first());
    ASSERT_TRUE(step.has_value());
    WorkItem item;
    item.id = 1;
    item.bot = bot.name;
    item.sourceRef = uniqueRef();
    item.payload = {{QStringLiteral("email"), user()}, {QStringLiteral("ref"), item.sourceRef},
                    {QStringLiteral("file"), m_attachment}};
    bool begun = false;
    int finished = 0;
    const auto attempt = [&] {
        engine::StepContext ctx(
            item, bot, 0, false,
            [&](const QString &) -> Result<bool> {
                const bool first = !begun;
                begun = true;
                return first;
            },
            [&](const QString &) -> Status {
                ++finished;
                return {};
            });
        return (*step)->run(ctx);
    };
    const StepOutcome first = attempt();
    ASSERT_EQ(first.kind(), StepOutcome::Kind::Continue) << first.reason().toStdString();
    const QString messageId = first.outputs().value(QStringLiteral("message_id")).toString();
    const QString id = messageId.mid(1, messageId.size() - 2);
    ASSERT_EQ(waitForDelivery(id).size(), 1);

    const StepOutcome second = attempt();  // the record of the first was lost
    ASSERT_EQ(second.kind(), StepOutcome::Kind::Continue) << second.reason().toStdString();
    EXPECT_EQ(second.outputs().value(QStringLiteral("message_id")).toString(), messageId);
    for (int i = 0; i < 100 && receptions(id) < 2; ++i)
        QThread::msleep(100);
    EXPECT_EQ(receptions(id), 2) << "the message was sent twice";
    QThread::msleep(1000);  // give the second a chance to land, if it were going to
    EXPECT_EQ(delivered(id).size(), 1) << "and delivered once";
    EXPECT_EQ(finished, 2);
}

TEST_F(NotifyTest, ARefusedRecipientGoesToAPersonWithTheServersReply)
{
    const QString nobody = QStringLiteral("no-such-resident@localhost");
    const WorkItem item = runItem(loadBot(server()), uniqueRef(), nobody);
    ASSERT_EQ(item.state, ItemState::WaitingForHuman) << item.lastError.toStdString();
    const auto questions = m_store->exceptions(store::ExceptionFilter{});
    ASSERT_TRUE(questions.has_value());
    ASSERT_EQ(questions->size(), 1);
    const store::ExceptionItem &question = questions->first();
    EXPECT_TRUE(question.reason.contains(QStringLiteral("127.0.0.1"))) << question.reason.toStdString();
    EXPECT_TRUE(question.reason.contains(QStringLiteral("RCPT 550"))) << question.reason.toStdString();
    EXPECT_FALSE(question.reason.contains(QStringLiteral("no-such-resident")));
    EXPECT_TRUE(question.evidence.value(QStringLiteral("reply")).toString().contains(QStringLiteral("no such user here")))
        << question.evidence.value(QStringLiteral("reply")).toString().toStdString();
    EXPECT_EQ(question.evidence.value(QStringLiteral("code")).toInt(), 550);
    EXPECT_EQ(question.evidence.value(QStringLiteral("to")).toString(), nobody);
    EXPECT_EQ(notices().refused, 1);
    EXPECT_EQ(notices().sent, 0);
}

TEST_F(NotifyTest, AServerThatIsDownOrSaysTryLaterMakesTheItemWait)
{
    // A port nothing listens on: the server is down.
    int closed = 1;
    for (int port = 11999; port > 11900; --port) {
        if (port != m_smtp.value(QStringLiteral("SMTP_PORT")).toInt() && port != m_imap.value(QStringLiteral("IMAP_PORT")).toInt()) {
            closed = port;
            break;
        }
    }
    const WorkItem down = runItem(loadBot(server(QString::number(closed))), uniqueRef(), user());
    EXPECT_EQ(down.state, ItemState::Queued) << toString(down.state).toStdString();
    EXPECT_TRUE(down.notBefore > m_clock.now()) << "it waits before trying again";
    EXPECT_TRUE(down.lastError.contains(QStringLiteral("127.0.0.1"))) << down.lastError.toStdString();

    const WorkItem later = runItem(loadBot(server()), uniqueRef(), QStringLiteral("try-later@localhost"));
    EXPECT_EQ(later.state, ItemState::Queued) << toString(later.state).toStdString();
    EXPECT_TRUE(later.lastError.contains(QStringLiteral("451"))) << later.lastError.toStdString();
    EXPECT_FALSE(later.lastError.contains(QStringLiteral("try-later@")));
    EXPECT_EQ(notices().serverError, 2);  // one attempt each so far
    EXPECT_EQ(notices().sent, 0);
}

// The server offers STARTTLS with a certificate of the test's own authority, and sign-in
// over TLS only: with the authority's file trusted and the password behind a secret
// reference, the message goes over TLS, signed in, and lands once.
TEST_F(NotifyTest, SignsInOverStartTlsWithAPasswordFromASecretReference)
{
    const WorkItem item = runItem(tlsBot(tlsPassword(), true), uniqueRef(), user());
    ASSERT_EQ(item.state, ItemState::Done) << item.lastError.toStdString();
    const QString id = messageIdOf(item);
    ASSERT_EQ(waitForDelivery(id).size(), 1);
    const QList<QByteArray> lines = receptionLines(id, true);
    ASSERT_EQ(lines.size(), 1);
    EXPECT_TRUE(lines.first().contains(" P=esmtpsa ")) << lines.first().toStdString();  // ESMTP, TLS, signed in
    EXPECT_TRUE(lines.first().contains(" X=TLS")) << lines.first().toStdString();
    EXPECT_TRUE(lines.first().contains(":clerk-sender ")) << lines.first().toStdString();
    EXPECT_EQ(notices().sent, 1);
}

// A wrong password: nothing is sent, and a person sees the server's answer; the password
// appears nowhere.
TEST_F(NotifyTest, AWrongPasswordSendsNothingAndAPersonSeesTheServersAnswer)
{
    const QString wrong = QStringLiteral("not-the-password-%1").arg(uniqueRef());
    const int taken = tlsReceptions();
    const WorkItem item = runItem(tlsBot(wrong, true), uniqueRef(), user());
    ASSERT_EQ(item.state, ItemState::WaitingForHuman) << item.lastError.toStdString();
    const store::ExceptionItem asked = question(item);
    EXPECT_TRUE(asked.reason.contains(QStringLiteral("refused the sign-in"))) << asked.reason.toStdString();
    EXPECT_EQ(asked.evidence.value(QStringLiteral("code")).toInt(), 535);
    EXPECT_EQ(asked.evidence.value(QStringLiteral("command")).toString(), QStringLiteral("AUTH"));
    EXPECT_TRUE(asked.evidence.value(QStringLiteral("reply")).toString().contains(QStringLiteral("535")))
        << asked.evidence.value(QStringLiteral("reply")).toString().toStdString();
    const QByteArray everything = QJsonDocument(asked.evidence).toJson() + asked.reason.toUtf8() + item.lastError.toUtf8();
    EXPECT_FALSE(everything.contains(wrong.toUtf8()));
    EXPECT_FALSE(everything.contains(wrong.toUtf8().toBase64().left(12))) << "nor its sign-in line";
    EXPECT_EQ(tlsReceptions(), taken) << "nothing was taken in";
    EXPECT_EQ(notices().serverError, 1);
    EXPECT_EQ(notices().sent, 0);
}

// The certificate is checked: without the test authority's file it is refused and nothing
// is sent; and `starttls: required` sends nothing to a server that offers no STARTTLS,
// even on this machine.
TEST_F(NotifyTest, TheServersCertificateIsCheckedAndStartTlsCanBeRequired)
{
    const int taken = tlsReceptions();
    const WorkItem untrusted = runItem(tlsBot(tlsPassword(), false), uniqueRef(), user());
    ASSERT_EQ(untrusted.state, ItemState::WaitingForHuman) << untrusted.lastError.toStdString();
    const store::ExceptionItem asked = question(untrusted);
    EXPECT_TRUE(asked.reason.contains(QStringLiteral("TLS failed"))) << asked.reason.toStdString();
    EXPECT_FALSE(asked.evidence.value(QStringLiteral("reply")).toString().isEmpty());

    const WorkItem plain = runItem(tlsBot(tlsPassword(), true, QStringLiteral("required"), m_smtp.value(QStringLiteral("SMTP_PORT"))),
                                   uniqueRef(), user());
    ASSERT_EQ(plain.state, ItemState::WaitingForHuman) << plain.lastError.toStdString();
    EXPECT_TRUE(question(plain).reason.contains(QStringLiteral("offers no STARTTLS"))) << question(plain).reason.toStdString();

    EXPECT_EQ(tlsReceptions(), taken) << "nothing was taken in";
    EXPECT_EQ(notices().serverError, 2);
}

// A citizen answers the acknowledgement: the mailbox trigger finds clerk's Message-ID in
// In-Reply-To / References, checks it against the outbox, and ties the new item to the
// one the acknowledgement was sent for (input reply_to_item, and an event on the
// original). A made-up key, or a real key under another bot's name, names nothing. A
// delivery failure report returning the acknowledgement's headers counts it bounced
// (input bounce_of_item); one returning a made-up id counts nothing.
TEST_F(NotifyTest, AReplyOrABounceIsTiedToTheItemItAnswersAndAForgedReferenceToNone)
{
    const WorkItem original = runItem(loadBot(server()), uniqueRef(), user());
    ASSERT_EQ(original.state, ItemState::Done) << original.lastError.toStdString();
    const QString id = messageIdOf(original);
    ASSERT_EQ(waitForDelivery(id).size(), 1);

    // The replies land in a folder of their own in the Dovecot user's Maildir.
    const QString folder = QStringLiteral("R%1").arg(QUuid::createUuid().toString(QUuid::Id128).left(12));
    const QString top = QStringLiteral("%1/.%2").arg(m_imap.value(QStringLiteral("IMAP_MAILDIR")), folder);
    const auto everyone = QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner | QFileDevice::ReadGroup
                          | QFileDevice::WriteGroup | QFileDevice::ExeGroup | QFileDevice::ReadOther
                          | QFileDevice::WriteOther | QFileDevice::ExeOther;
    for (const char *sub : {"cur", "new", "tmp"}) {
        ASSERT_TRUE(QDir().mkpath(QStringLiteral("%1/%2").arg(top, QLatin1String(sub))));
        QFile::setPermissions(QStringLiteral("%1/%2").arg(top, QLatin1String(sub)), everyone);
    }
    QFile::setPermissions(top, everyone);
    int counter = 0;
    const auto deliverRaw = [&](const QByteArray &raw) {
        QFile file(QStringLiteral("%1/new/%2.M%3.clerk-test").arg(top).arg(QDateTime::currentSecsSinceEpoch()).arg(++counter));
        ASSERT_TRUE(file.open(QIODevice::WriteOnly));
        file.write(raw);
        file.close();
        file.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ReadGroup | QFileDevice::WriteGroup
                            | QFileDevice::ReadOther | QFileDevice::WriteOther);
    };
    const auto deliver = [&](const QString &messageId, const QString &inReplyTo, const QString &references) {
        deliverRaw(QStringLiteral("From: Ada Resident <%1>\r\nTo: no-reply@council.example\r\nSubject: Re: your request\r\n"
                                  "Message-ID: <%2>\r\nIn-Reply-To: %3\r\nReferences: %4\r\n"
                                  "Content-Type: text/plain; charset=utf-8\r\n\r\nThank you. One more thing: the bin is blue.\r\n")
                       .arg(user(), messageId, inReplyTo, references)
                       .toUtf8());
    };
    // A delivery failure report (RFC 3464) returning the headers of the message `returned`.
    const auto deliverBounce = [&](const QString &messageId, const QString &returned) {
        deliverRaw(QStringLiteral("From: Mail Delivery System <mailer-daemon@mx.example.org>\r\nTo: no-reply@council.example\r\n"
                                  "Subject: Undelivered Mail Returned to Sender\r\nMessage-ID: <%1>\r\nMIME-Version: 1.0\r\n"
                                  "Content-Type: multipart/report; report-type=delivery-status; boundary=\"=_r\"\r\n\r\n"
                                  "--=_r\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"
                                  "--=_r\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.org\r\n\r\n"
                                  "Final-Recipient: rfc822; gone@example.org\r\nAction: failed\r\nStatus: 5.1.1\r\n"
                                  "--=_r\r\nContent-Type: text/rfc822-headers\r\n\r\nFrom: no-reply@council.example\r\n"
                                  "To: gone@example.org\r\nMessage-ID: <%2>\r\nSubject: We have your request\r\n--=_r--\r\n")
                       .arg(messageId, returned)
                       .toUtf8());
    };
    const QString key = id.section(QLatin1Char('@'), 0, 0);
    deliverBounce(QStringLiteral("dsn-1@mx.example.org"), id);
    deliverBounce(QStringLiteral("dsn-2@mx.example.org"), QStringLiteral("clerk-0123456789abcdef-0-acknowledge@acknowledger.clerk"));
    deliver(QStringLiteral("reply-1@example.org"), QStringLiteral("<%1>").arg(id), QStringLiteral("<older@example.org>\r\n <%1>").arg(id));
    deliver(QStringLiteral("forged-1@example.org"), QStringLiteral("<clerk-0123456789abcdef-0-acknowledge@acknowledger.clerk>"),
            QStringLiteral("<nothing@example.org>"));
    deliver(QStringLiteral("forged-2@example.org"), QStringLiteral("<%1@another-bot.clerk>").arg(key), QStringLiteral("<%1>").arg(id.toUpper()));

    const bot::BotLoad load = bot::loadBotText("name: replies\nversion: 1\nowner_team: contact-centre\nsteps:\n"
                                               "  - type: set\n    params:\n      values:\n        seen: \"yes\"\n",
                                               m_dir.filePath(QStringLiteral("replies.yaml")), m_registry.catalog(), {}, m_dir.path());
    ASSERT_TRUE(load.bot.has_value());
    ASSERT_TRUE(m_engine->addBot(*load.bot).has_value());
    scheduler::MailboxSettings settings;
    settings.url = QStringLiteral("imap://127.0.0.1:%1/%2").arg(m_imap.value(QStringLiteral("IMAP_PORT")), folder);
    settings.username = m_imap.value(QStringLiteral("IMAP_USER"));
    settings.passwordRef = QStringLiteral("${file:%1}").arg(m_imap.value(QStringLiteral("IMAP_PASSWORD_FILE")));
    settings.flag = QStringLiteral("clerk-replies");
    settings.items = scheduler::MailItems::Body;
    settings.folder = m_dir.filePath(QStringLiteral("replies"));
    ASSERT_TRUE(QDir().mkpath(settings.folder));
    scheduler::MailboxWatch watch(settings);
    const scheduler::MailboxPoll poll = watch.poll(*m_engine, *load.bot);
    EXPECT_TRUE(poll.problems.isEmpty()) << poll.problems.join(QLatin1Char('\n')).toStdString();
    ASSERT_EQ(poll.enqueued, 5);

    auto items = m_store->items({.bot = QStringLiteral("replies")});
    ASSERT_TRUE(items.has_value());
    ASSERT_EQ(items->size(), 5);
    qint64 replyItem = 0;
    for (const WorkItem &item : *items) {
        const QString from = item.payload.value(QStringLiteral("mail")).toObject().value(QStringLiteral("message_id")).toString();
        if (from == QLatin1String("reply-1@example.org")) {
            replyItem = item.id;
            EXPECT_EQ(item.payload.value(QStringLiteral("reply_to_item")).toInteger(), original.id);
        } else {
            EXPECT_FALSE(item.payload.contains(QStringLiteral("reply_to_item"))) << from.toStdString();
        }
        if (from == QLatin1String("dsn-1@mx.example.org"))
            EXPECT_EQ(item.payload.value(QStringLiteral("bounce_of_item")).toInteger(), original.id);
        else
            EXPECT_FALSE(item.payload.contains(QStringLiteral("bounce_of_item"))) << from.toStdString();
    }
    // The bounce is counted against the acknowledgement, once; the forged one is not.
    EXPECT_EQ(notices().bounced, 1);
    EXPECT_EQ(notices().sent, 1);
    ASSERT_GT(replyItem, 0);
    auto events = m_store->events(original.id);
    ASSERT_TRUE(events.has_value());
    int replies = 0;
    for (const store::Event &event : *events) {
        if (event.kind == QLatin1String("reply_received")) {
            ++replies;
            EXPECT_EQ(event.detail.value(QStringLiteral("reply_item")).toInteger(), replyItem);
            EXPECT_EQ(event.detail.value(QStringLiteral("key")).toString(), key);
        }
    }
    EXPECT_EQ(replies, 1);

    // A second poll: nothing new.
    EXPECT_EQ(scheduler::MailboxWatch(settings).poll(*m_engine, *load.bot).enqueued, 0);
}

} // namespace
} // namespace clerk
