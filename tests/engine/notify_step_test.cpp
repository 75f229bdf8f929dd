// Unit tests of the notify step's message builder (connectors/mail/mail/mime_builder.h),
// read back with the mailbox trigger's own parser, and of the step's refusals that need
// no mail server (tests/integration/mail/notify_test.cpp sends through a real one).
#include "engine_test_support.h"

#include "mail/mime_builder.h"
#include "mail/mime_message.h"

#include <QDir>
#include <QFile>
#include <QRegularExpression>

using namespace clerk;
using clerk::testing::loadBot;

namespace {

mail::OutgoingMessage sample()
{
    mail::OutgoingMessage message;
    message.from = QStringLiteral("no-reply@council.example");
    message.to = QStringLiteral("resident@example.org");
    message.replyTo = QStringLiteral("help@council.example");
    message.subject = QStringLiteral("Your request about the café on Müller Street — received, reference 2026/0042");
    message.text = QStringLiteral("Dear resident,\nwe have your request.\nCost = £0; a very long line follows: ") +
                   QString(120, QLatin1Char('x')) + QStringLiteral("\ntrailing space \n.\nEnd");
    message.html = QStringLiteral("<p>Dear resident, we have your request.</p>");
    message.attachments = {{QStringLiteral("receipt.pdf"), "application/pdf", QByteArray("%PDF-1.4\x00\x01\xff bytes", 20)},
                           {QStringLiteral("Bestätigung.txt"), "text/plain", QByteArray("hello")}};
    message.messageId = QStringLiteral("clerk-abc123-4-acknowledge@intake.clerk");
    return message;
}

TEST(MimeBuilderTest, BuildsAMessageTheMailParserReadsBack)
{
    const mail::OutgoingMessage message = sample();
    auto built = mail::buildMessage(message);
    ASSERT_OK(built);
    auto parsed = mail::parseMessage(*built);
    ASSERT_OK(parsed);
    EXPECT_EQ(parsed->messageId, message.messageId);
    EXPECT_EQ(parsed->subject, message.subject);
    EXPECT_EQ(parsed->from, message.from);
    EXPECT_TRUE(parsed->text.contains(QStringLiteral("Cost = £0")));
    EXPECT_TRUE(parsed->text.contains(QString(120, QLatin1Char('x'))));
    ASSERT_EQ(parsed->attachments.size(), 2);
    EXPECT_EQ(parsed->attachments.at(0).fileName, QStringLiteral("receipt.pdf"));
    EXPECT_EQ(parsed->attachments.at(0).content, message.attachments.at(0).bytes);
    EXPECT_EQ(parsed->attachments.at(1).fileName, QStringLiteral("Bestätigung.txt"));
    EXPECT_TRUE(built->contains("Content-Type: multipart/alternative;\r\n boundary="));
    EXPECT_TRUE(built->contains("Content-Type: text/html; charset=utf-8"));
    EXPECT_TRUE(built->contains("Reply-To: help@council.example\r\n"));
}

TEST(MimeBuilderTest, EveryLineEndsInCrlfAndIsShort)
{
    auto built = mail::buildMessage(sample());
    ASSERT_OK(built);
    const QList<QByteArray> lines = built->split('\n');
    for (qsizetype i = 0; i + 1 < lines.size(); ++i) {
        EXPECT_TRUE(lines.at(i).endsWith('\r')) << "line " << i << " has a bare LF";
        EXPECT_LE(lines.at(i).size(), 79) << "line " << i << " is longer than 78 characters";
    }
    for (const char byte : *built)
        EXPECT_LT(static_cast<unsigned char>(byte), 0x80) << "a byte outside ASCII";
}

TEST(MimeBuilderTest, SameMessageIdGivesTheSameBody)
{
    mail::OutgoingMessage message = sample();
    message.date = QDateTime(QDate(2026, 3, 2), QTime(9, 0), Qt::UTC);
    EXPECT_EQ(mail::buildMessage(message).value(), mail::buildMessage(message).value());
    EXPECT_TRUE(mail::buildMessage(message)->contains("Date: Mon, 02 Mar 2026 09:00:00 +0000\r\n"));
}

TEST(MimeBuilderTest, QuotedPrintableEscapesAndSoftBreaks)
{
    EXPECT_EQ(mail::quotedPrintable("a=b"), QByteArray("a=3Db"));
    EXPECT_EQ(mail::quotedPrintable("end \nx"), QByteArray("end=20\r\nx"));
    EXPECT_EQ(mail::quotedPrintable("\xc2\xa3"), QByteArray("=C2=A3"));
    const QByteArray encoded = mail::quotedPrintable(QByteArray(200, 'y'));
    EXPECT_TRUE(encoded.contains("=\r\n"));
    for (const QByteArray &line : encoded.split('\n'))
        EXPECT_LE(line.size(), 77);
}

TEST(MimeBuilderTest, EncodedWordsOnlyForNonAscii)
{
    EXPECT_EQ(mail::encodeHeaderText(QStringLiteral("Plain subject")), QByteArray("Plain subject"));
    const QByteArray encoded = mail::encodeHeaderText(QStringLiteral("Café"));
    EXPECT_EQ(encoded, QByteArray("=?UTF-8?B?") + QStringLiteral("Café").toUtf8().toBase64() + "?=");
    EXPECT_EQ(mail::decodeHeaderText(mail::encodeHeaderText(QStringLiteral("=?x?Q?y?= looks encoded"))),
              QStringLiteral("=?x?Q?y?= looks encoded"));
}

TEST(MimeBuilderTest, RefusesAddressesThatCouldAddRecipientsOrHeaders)
{
    EXPECT_TRUE(mail::isPlainAddress(QStringLiteral("a.b+c@council.example")));
    EXPECT_TRUE(mail::isPlainAddress(QStringLiteral("clerk-intake@localhost")));
    for (const QString &bad : {QStringLiteral("a@b.example\r\nBcc: x@evil.example"), QStringLiteral("a@b.example, c@d.example"),
                               QStringLiteral("Name <a@b.example>"), QStringLiteral("a@b.example\n"),
                               QStringLiteral("a b@c.example"), QStringLiteral("a@b.example>"), QStringLiteral("@b.example"),
                               QStringLiteral("a@"), QStringLiteral("a@-b.example"), QStringLiteral("ä@b.example"),
                               QString()}) {
        EXPECT_FALSE(mail::isPlainAddress(bad)) << bad.toStdString();
        mail::OutgoingMessage message = sample();
        message.to = bad;
        auto built = mail::buildMessage(message);
        ASSERT_FALSE(built.has_value()) << bad.toStdString();
        EXPECT_EQ(built.error().message(), QStringLiteral("to is not one email address"));
    }
    mail::OutgoingMessage message = sample();
    message.subject = QStringLiteral("Hello\r\nBcc: x@evil.example");
    EXPECT_FALSE(mail::buildMessage(message).has_value());
    message = sample();
    message.replyTo = QStringLiteral("a@b.example,c@d.example");
    EXPECT_FALSE(mail::buildMessage(message).has_value());
}

// The step, run without a mail server.
class NotifyStepTest : public ::testing::Test {
protected:
    engine::StepRegistry m_registry = engine::StepRegistry::builtIn();
    QTemporaryDir m_dir;
    WorkItem m_item;
    QStringList m_begun;
    int m_abandoned = 0;

    StepOutcome run(const QString &params, const QJsonObject &payload)
    {
        const bot::BotDefinition bot = loadBot(
            QStringLiteral("name: intake\nversion: 1\nowner_team: post-room\nallowed_paths: [%1]\nsteps:\n"
                           "  - id: acknowledge\n    type: notify\n    params:\n"
                           "      server: smtp://127.0.0.1:1\n      from: no-reply@council.example\n")
                    .arg(m_dir.filePath(QStringLiteral("letters"))) + params,
            m_registry.catalog());
        if (bot.steps.isEmpty())
            return StepOutcome::fail(QStringLiteral("bot did not load"));
        auto step = m_registry.find(QStringLiteral("notify"))->create(bot, bot.steps.first());
        EXPECT_OK(step);
        if (!step)
            return StepOutcome::fail(step.error().toString());
        m_item.id = 3;
        m_item.sourceRef = QStringLiteral("form-1");
        m_item.payload = payload;
        engine::StepContext ctx(
            m_item, bot, 0, false,
            [&](const QString &key) -> Result<bool> {
                m_begun.append(key);
                return true;
            },
            [](const QString &) -> Status { return {}; },
            [&](const QString &) -> Status {
                ++m_abandoned;
                return {};
            });
        return (*step)->run(ctx);
    }

    // Runs the step with one attachment, `path`.
    StepOutcome runAttaching(const QString &path)
    {
        return run(kParams + QStringLiteral("      attachments: [\"{{ input.file }}\"]\n"),
                   {{QStringLiteral("email"), QStringLiteral("resident@example.org")},
                    {QStringLiteral("ref"), QStringLiteral("R1")},
                    {QStringLiteral("file"), path}});
    }

    static inline const QString kParams = QStringLiteral(
        "      to: \"{{ input.email }}\"\n      subject: \"Received {{ input.ref }}\"\n      text: \"Thank you.\"\n");
};

TEST_F(NotifyStepTest, HostileRecipientGoesToAPersonUnsentAndUnnamed)
{
    const QString hostile = QStringLiteral("resident@example.org\r\nBcc: everyone@example.org");
    const StepOutcome outcome = run(kParams, {{QStringLiteral("email"), hostile}, {QStringLiteral("ref"), QStringLiteral("R1")}});
    ASSERT_EQ(outcome.kind(), StepOutcome::Kind::NeedsHuman);
    EXPECT_EQ(outcome.humanRequest().kind, ReasonKind::MissingValue);
    EXPECT_FALSE(outcome.humanRequest().reason.contains(QStringLiteral("example.org")));
    EXPECT_TRUE(m_begun.isEmpty()) << "nothing may be sent";
}

TEST_F(NotifyStepTest, LineBreakInSubjectGoesToAPerson)
{
    const StepOutcome outcome = run(kParams, {{QStringLiteral("email"), QStringLiteral("resident@example.org")},
                                              {QStringLiteral("ref"), QStringLiteral("R1\nBcc: x@example.org")}});
    ASSERT_EQ(outcome.kind(), StepOutcome::Kind::NeedsHuman);
    EXPECT_TRUE(outcome.humanRequest().reason.contains(QStringLiteral("subject")));
    EXPECT_TRUE(m_begun.isEmpty());
}

TEST_F(NotifyStepTest, ServerDownMakesTheItemWaitAndForgetsTheAttempt)
{
    const StepOutcome outcome = run(kParams, {{QStringLiteral("email"), QStringLiteral("resident@example.org")},
                                              {QStringLiteral("ref"), QStringLiteral("R1")}});
    ASSERT_EQ(outcome.kind(), StepOutcome::Kind::RetryLater) << outcome.reason().toStdString();
    EXPECT_TRUE(outcome.reason().contains(QStringLiteral("127.0.0.1")));
    EXPECT_FALSE(outcome.reason().contains(QStringLiteral("resident")));
    EXPECT_EQ(m_begun.size(), 1);
    EXPECT_EQ(m_abandoned, 1);
}

TEST_F(NotifyStepTest, AttachmentOutsideTheDocumentFoldersFailsUnsent)
{
    QFile secret(m_dir.filePath(QStringLiteral("secret.txt")));
    ASSERT_TRUE(secret.open(QIODevice::WriteOnly));
    secret.write("private");
    secret.close();
    const StepOutcome outcome = runAttaching(secret.fileName());
    EXPECT_EQ(outcome.kind(), StepOutcome::Kind::Fail);
    EXPECT_TRUE(m_begun.isEmpty());
}

TEST_F(NotifyStepTest, AnAttachmentUnderTheLimitIsNotRefusedForItsEncoding)
{
    ASSERT_TRUE(QDir().mkpath(m_dir.filePath(QStringLiteral("letters"))));
    QFile pdf(m_dir.filePath(QStringLiteral("letters/nine.pdf")));
    ASSERT_TRUE(pdf.open(QIODevice::WriteOnly));
    pdf.write(QByteArray(9 * 1024 * 1024, 'p'));  // 12 MB in base64
    pdf.close();
    const StepOutcome outcome = runAttaching(pdf.fileName());
    EXPECT_EQ(outcome.kind(), StepOutcome::Kind::RetryLater) << outcome.reason().toStdString();  // no server at port 1
    EXPECT_EQ(m_begun.size(), 1);
}

TEST_F(NotifyStepTest, OversizedAttachmentFailsUnsent)
{
    ASSERT_TRUE(QDir().mkpath(m_dir.filePath(QStringLiteral("letters"))));
    QFile big(m_dir.filePath(QStringLiteral("letters/big.pdf")));
    ASSERT_TRUE(big.open(QIODevice::WriteOnly));
    big.write(QByteArray(11 * 1024 * 1024, 'p'));
    big.close();
    const StepOutcome outcome = runAttaching(big.fileName());
    ASSERT_EQ(outcome.kind(), StepOutcome::Kind::Fail);
    EXPECT_TRUE(outcome.reason().contains(QStringLiteral("10 MB")));
    EXPECT_TRUE(m_begun.isEmpty());
}

TEST(NotifyStepSchemaTest, RefusesAServerThatIsNotSmtp)
{
    const engine::StepRegistry registry = engine::StepRegistry::builtIn();
    const bot::BotLoad load = bot::loadBotText(
        "name: t\nversion: 1\nowner_team: p\nsteps:\n  - type: notify\n    params:\n      server: https://mail.example\n"
        "      from: a@b.example\n      to: x@y.example\n      subject: s\n      text: t\n",
        QStringLiteral("t.yaml"), registry.catalog(), {});
    EXPECT_FALSE(load.bot.has_value());
}

} // namespace
