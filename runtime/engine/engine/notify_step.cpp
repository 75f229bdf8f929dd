// The `notify` step: tells a citizen (or a team) by email over SMTP that their request
// arrived or what happened to it: one recipient, a plain-text body, an optional HTML
// alternative and attachments (e.g. a generated PDF) from the folders the bot may read
// documents from.
//
// Sent once, as far as SMTP allows. The Message-ID is derived from the step's action key
// (<KEY@BOT.clerk>), so every attempt of the same item sends the byte-same id. Before
// sending, the step records its key in the outbox. When an earlier attempt began and
// may have landed (clerk stopped between the server's 250 and the record of it, or the
// answer was lost), the step sends again with the SAME Message-ID: SMTP has no way to
// ask whether a message arrived, so the receiving side is what drops the duplicate (a
// mail store deduplicating on Message-ID, e.g. Dovecot's Sieve `duplicate`); a plain
// mailbox shows it twice. A finished send is never repeated.
//
// A server that is down, busy or answers 4xx makes the item wait and retry; a refusal
// (5xx, e.g. 550 no such user) goes to a person with the server's reply as evidence. A
// refused sign-in or missing TLS goes to a person too, with the server's answer. Reasons name the server, the command
// and the code, never an address (reasons reach logs; addresses are personal data).
#include "engine/builtin_steps_p.h"

#include "bot/secret_ref.h"
#include "bot/template.h"
#include "core/logging.h"
#include "mail/mime_builder.h"
#include "mail/smtp_client.h"

#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QMimeDatabase>
#include <QUrl>

namespace clerk::engine {

using bot::ParamSpec;
using bot::ValueType;
using namespace std::chrono_literals;

namespace {

constexpr qint64 kMaxMessageBytes = 10LL * 1024 * 1024;  // text, html and attachments together

QString checkServerUrl(const QJsonValue &value)
{
    const QUrl url(value.toString(), QUrl::StrictMode);
    const QString scheme = url.scheme().toLower();
    if (!url.isValid() || url.host().isEmpty() || (scheme != QLatin1String("smtp") && scheme != QLatin1String("smtps")))
        return QStringLiteral("must be an smtp:// or smtps:// address with a host, e.g. smtps://smtp.example.gov.uk");
    if (!url.userInfo().isEmpty())
        return QStringLiteral("must not hold a user name or password: use username and password");
    return {};
}

// The keys of the notify step's params block, declared once.
struct NotifyParams {
    ParamSpec server = ParamSpec::of(QStringLiteral("server"), ValueType::String,
                                     QStringLiteral("The mail server: smtps://host[:port], or smtp://host[:port] (STARTTLS is "
                                                    "required unless the server is on this machine)."),
                                     true)
                           .withCheck(checkServerUrl);
    ParamSpec username = ParamSpec::of(QStringLiteral("username"), ValueType::String,
                                       QStringLiteral("The sign-in name, or a secret reference to it; no sign-in when absent."));
    ParamSpec password = ParamSpec::of(QStringLiteral("password"), ValueType::SecretRef,
                                       QStringLiteral("The sign-in password: ${env:NAME} or ${file:/path}."));
    ParamSpec starttls = ParamSpec::oneOf(QStringLiteral("starttls"), {QStringLiteral("required"), QStringLiteral("if_offered")},
                                          QStringLiteral("For smtp://: `required` sends nothing unless the server upgrades "
                                                         "to TLS with STARTTLS; `if_offered` upgrades when the server offers "
                                                         "it, and applies only to a server on this machine (elsewhere TLS is "
                                                         "always required). Default: required, but if_offered on this machine."));
    ParamSpec caFile = ParamSpec::of(QStringLiteral("ca_file"), ValueType::Path,
                                     QStringLiteral("A PEM file of the certificate authorities to trust instead of the "
                                                    "system's, e.g. the council's own; relative to the bot file. The "
                                                    "server's certificate is always checked."));
    ParamSpec tls = ParamSpec::object(QStringLiteral("tls"), {starttls, caFile}, QStringLiteral("Secure connection settings."));
    ParamSpec from = ParamSpec::of(QStringLiteral("from"), ValueType::String,
                                   QStringLiteral("The sender's address, e.g. no-reply@example.gov.uk."), true)
                         .withCheck([](const QJsonValue &value) {
                             return mail::isPlainAddress(value.toString()) ? QString()
                                                                           : QStringLiteral("must be one email address");
                         });
    ParamSpec to = ParamSpec::templ(QStringLiteral("to"),
                                    QStringLiteral("The one recipient, e.g. {{ input.email }}. After rendering it must be one "
                                                   "plain email address; otherwise a person is asked."),
                                    true);
    ParamSpec replyTo = ParamSpec::templ(QStringLiteral("reply_to"), QStringLiteral("Where replies go, when not to `from`."));
    ParamSpec subject = ParamSpec::templ(QStringLiteral("subject"), QStringLiteral("The subject line (no line breaks)."), true);
    ParamSpec text = ParamSpec::templ(QStringLiteral("text"), QStringLiteral("The plain-text body."), true);
    ParamSpec html = ParamSpec::templ(QStringLiteral("html"),
                                      QStringLiteral("An HTML version of the body, sent as an alternative to `text`."));
    ParamSpec attachments = ParamSpec::listOf(
        QStringLiteral("attachments"), ParamSpec::templ(QStringLiteral("file"), QStringLiteral("A file to attach.")),
        QStringLiteral("Files to attach, e.g. a generated PDF: one an earlier document step of the item wrote (still "
                       "holding what it wrote), or a file in a folder the bot reads documents from (as ocr's file). Text "
                       "and attachments together may be at most 10 MB."));
    QList<ParamSpec> all() const
    {
        return {server, username, password, tls, from, to, replyTo, subject, text, html, attachments};
    }
};

const NotifyParams &notifyParams()
{
    static const NotifyParams keys;
    return keys;
}

struct NotifyTemplates {
    bot::Template to, replyTo, subject, text, html;
    QList<bot::Template> attachments;
    bool hasReplyTo = false, hasHtml = false;
};

struct Server {
    QString url, username, password, from;
    bool requireTls = false;
    QString caFile{};  // as written: relative to the bot file
};

// The message id for this step's action key: the same on every attempt of the item.
QString messageIdFor(const StepContext &ctx)
{
    QString domain = ctx.bot().name;
    domain.replace(QLatin1Char('_'), QLatin1Char('-'));
    return QStringLiteral("%1@%2.clerk").arg(ctx.idempotencyKey(), domain.isEmpty() ? QStringLiteral("bot") : domain);
}

class NotifyStep final : public Step {
public:
    NotifyStep(Server server, NotifyTemplates templates) : m_server(std::move(server)), m_templates(std::move(templates)) {}

    StepOutcome run(StepContext &ctx) const override
    {
        auto message = compose(ctx);
        if (!message)
            return *message.error();
        auto bytes = mail::buildMessage(*message);
        if (!bytes)
            return badValue(ctx, bytes.error().message(), *message);
        // Encoding grows the parts compose() bounded: base64 by a third, quoted-printable
        // up to three times for text that is not ASCII.
        if (bytes->size() > 3 * kMaxMessageBytes)
            return StepOutcome::fail(QStringLiteral("notify: the encoded message is larger than %1 MB").arg(3 * kMaxMessageBytes >> 20));

        auto first = ctx.beginAction();
        if (!first)
            return StepOutcome::retryLater(1s, first.error().toString());
        if (!*first)
            qCInfo(lcEngine, "item %lld: notify %s: an earlier attempt may have sent the message; sending again with "
                             "the same Message-ID",
                   static_cast<long long>(ctx.item().id), qUtf8Printable(ctx.step().id));
        mail::SmtpSettings settings;
        settings.url = m_server.url;
        const auto user = resolved(m_server.username);
        const auto password = resolved(m_server.password);
        if (!user || !password)
            return StepOutcome::fail(QStringLiteral("notify: %1").arg((!user ? user.error() : password.error()).message()));
        settings.username = *user;
        settings.password = *password;
        settings.requireTls = m_server.requireTls;
        if (!m_server.caFile.isEmpty())
            settings.caFile = ctx.resolvePath(m_server.caFile);
        if (!ctx.deadline().isForever())
            settings.timeout = std::clamp(std::chrono::milliseconds(ctx.deadline().remainingTime()), 1000ms,
                                          std::chrono::milliseconds(settings.timeout));
        const auto sent = mail::sendMail(settings, message->from, message->to, *bytes);
        if (!sent)
            return failed(ctx, sent.error(), *message);
        if (auto finished = ctx.finishAction(); !finished)
            return StepOutcome::retryLater(1s, finished.error().toString());
        return StepOutcome::continueWith({{QStringLiteral("message_id"), QStringLiteral("<%1>").arg(message->messageId)},
                                          {QStringLiteral("to"), message->to},
                                          {QStringLiteral("status"), QStringLiteral("sent")}})
            .withNotice(NoticeOutcome::Sent);
    }

    QString describeAction(const StepContext &ctx) const override
    {
        return QStringLiteral("send an email through %1 with Message-ID <%2>").arg(QUrl(m_server.url).host(), messageIdFor(ctx));
    }

private:
    static Result<QString> resolved(const QString &value)
    {
        if (value.isEmpty() || !bot::isSecretRef(value))
            return value;
        return bot::resolveSecret(value);
    }

    // The message for this item, or the outcome when a value or a file is refused.
    std::expected<mail::OutgoingMessage, std::optional<StepOutcome>> compose(const StepContext &ctx) const
    {
        mail::OutgoingMessage message;
        message.from = m_server.from;
        message.to = ctx.render(m_templates.to).trimmed();
        if (m_templates.hasReplyTo)
            message.replyTo = ctx.render(m_templates.replyTo).trimmed();
        message.subject = ctx.render(m_templates.subject);
        message.text = ctx.render(m_templates.text);
        if (m_templates.hasHtml)
            message.html = ctx.render(m_templates.html);
        message.messageId = messageIdFor(ctx);
        qint64 total = message.text.size() + message.html.size();
        static const QMimeDatabase types;
        for (const bot::Template &file : m_templates.attachments) {
            const auto path = ctx.outgoingFile(file);
            if (!path)
                return std::unexpected(StepOutcome::fail(QStringLiteral("notify: %1").arg(path.error().message())));
            QFile handle(*path);
            const qint64 size = QFileInfo(*path).size();
            if (total + size > kMaxMessageBytes)
                return std::unexpected(
                    StepOutcome::fail(QStringLiteral("notify: text and attachments are larger than %1 MB").arg(kMaxMessageBytes >> 20)));
            if (!handle.open(QIODevice::ReadOnly))
                return std::unexpected(StepOutcome::fail(QStringLiteral("notify: cannot read attachment %1").arg(*path)));
            const QByteArray bytes = handle.read(kMaxMessageBytes - total + 1);
            total += bytes.size();
            message.attachments.append({QFileInfo(*path).fileName(),
                                        types.mimeTypeForFile(*path, QMimeDatabase::MatchExtension).name().toLatin1(), bytes});
        }
        return message;
    }

    // A rendered value the message may not carry (not one address, a line break in the
    // subject): a person looks at it. The reason names the field, never the value.
    static StepOutcome badValue(const StepContext &ctx, const QString &problem, const mail::OutgoingMessage &message)
    {
        HumanRequest request;
        request.kind = ReasonKind::MissingValue;
        request.reason = QStringLiteral("The email cannot be sent: %1").arg(problem);
        request.evidence = {{QStringLiteral("to"), message.to},
                            {QStringLiteral("subject"), message.subject},
                            {QStringLiteral("key"), ctx.idempotencyKey()}};
        request.choices = {HumanChoice{QStringLiteral("done_by_hand"), QStringLiteral("I have told them another way"),
                                       {{QStringLiteral("outputs"), QJsonObject{{QStringLiteral("status"),
                                                                                 QStringLiteral("done_by_hand")}}}}}};
        return StepOutcome::needsHuman(request).withNotice(NoticeOutcome::Unsendable);
    }

    StepOutcome failed(StepContext &ctx, const mail::SmtpFailure &failure, const mail::OutgoingMessage &message) const
    {
        const QString reason = QStringLiteral("notify: %1").arg(failure.error.message());
        if (failure.temporary) {
            // Refused before the message went (no connection, 4xx): the next attempt
            // starts afresh.
            if (failure.command != QLatin1String("DATA"))
                if (auto abandoned = ctx.abandonAction(); !abandoned)
                    return StepOutcome::retryLater(1s, abandoned.error().toString());
            return StepOutcome::retryLater(60s, reason).withNotice(NoticeOutcome::ServerError);
        }
        if (!failure.refused && !failure.signIn)
            return StepOutcome::fail(reason).withNotice(NoticeOutcome::ServerError);
        // Refused for good (5xx), or the sign-in or TLS was refused: nothing was sent, and
        // a person sees what the server said.
        if (auto abandoned = ctx.abandonAction(); !abandoned)
            return StepOutcome::retryLater(1s, abandoned.error().toString());
        HumanRequest request;
        request.kind = ReasonKind::Refused;
        request.reason = reason;
        request.evidence = {{QStringLiteral("server"), QUrl(m_server.url).host()},
                            {QStringLiteral("command"), failure.command},
                            {QStringLiteral("code"), failure.code},
                            {QStringLiteral("reply"), failure.reply},
                            {QStringLiteral("to"), message.to},
                            {QStringLiteral("message_id"), QStringLiteral("<%1>").arg(message.messageId)}};
        request.choices = {HumanChoice{QStringLiteral("done_by_hand"), QStringLiteral("I have told them another way"),
                                       {{QStringLiteral("outputs"), QJsonObject{{QStringLiteral("status"),
                                                                                 QStringLiteral("done_by_hand")}}}}}};
        return StepOutcome::needsHuman(request).withNotice(failure.signIn ? NoticeOutcome::ServerError
                                                                          : NoticeOutcome::Refused);
    }

    Server m_server;
    NotifyTemplates m_templates;
};

Result<bot::Template> parsed(const ParamSpec &key, const QJsonValue &value)
{
    auto parsed = bot::Template::parse(value.toString());
    if (!parsed)
        return fail(Error::invalidArgument(QStringLiteral("%1: %2").arg(key.name, parsed.error().message())));
    return *parsed;
}

Result<std::unique_ptr<Step>> createNotifyStep(const bot::BotDefinition &, const bot::StepDefinition &definition)
{
    const QJsonObject &params = definition.params;
    const NotifyParams &keys = notifyParams();
    const QString where = QStringLiteral("step %1").arg(definition.id);
    NotifyTemplates templates;
    for (auto [key, target] : {std::pair{&keys.to, &templates.to}, {&keys.replyTo, &templates.replyTo},
                               {&keys.subject, &templates.subject}, {&keys.text, &templates.text}, {&keys.html, &templates.html}}) {
        auto value = parsed(*key, key->valueIn(params));
        if (!value)
            return fail(value.error().withContext(where));
        *target = std::move(*value);
    }
    templates.hasReplyTo = keys.replyTo.isIn(params);
    templates.hasHtml = keys.html.isIn(params);
    for (const QJsonValue &file : keys.attachments.listIn(params)) {
        auto value = parsed(keys.attachments, file);
        if (!value)
            return fail(value.error().withContext(where));
        templates.attachments.append(std::move(*value));
    }
    const QJsonObject tls = keys.tls.objectIn(params);
    Server server{keys.server.stringIn(params), keys.username.stringIn(params), keys.password.stringIn(params),
                  keys.from.stringIn(params), keys.starttls.stringIn(tls) == QLatin1String("required"),
                  keys.caFile.stringIn(tls)};
    return std::make_unique<NotifyStep>(std::move(server), std::move(templates));
}

} // namespace

StepType notifyStepType()
{
    bot::StepTypeSchema schema;
    schema.name = QStringLiteral("notify");
    schema.summary = QStringLiteral(
        "Sends one email over SMTP, e.g. an acknowledgement to the citizen: a plain-text body, an optional HTML "
        "alternative and attachments from the bot's document folders. The Message-ID is derived from the step's "
        "action key, so a re-sent message (after an attempt that may have landed) carries the same id and the "
        "receiving side can drop the duplicate. A server that is down or answers 4xx makes the item wait and retry; "
        "a refused recipient goes to a person with the server's reply. Outputs `message_id`, `to` and `status`.");
    schema.sideEffects = true;
    schema.params = notifyParams().all();
    schema.outputs = [](const QJsonObject &) {
        return QStringList{QStringLiteral("message_id"), QStringLiteral("to"), QStringLiteral("status")};
    };
    schema.example = QStringLiteral(
        "- id: acknowledge\n"
        "  type: notify\n"
        "  params:\n"
        "    server: smtps://smtp.example.gov.uk\n"
        "    username: clerk\n"
        "    password: ${env:SMTP_PASSWORD}\n"
        "    from: no-reply@example.gov.uk\n"
        "    to: \"{{ input.email }}\"\n"
        "    subject: \"We have your request {{ input.reference }}\"\n"
        "    text: \"Thank you. We will reply within 10 working days.\"\n");
    return {schema, createNotifyStep};
}

} // namespace clerk::engine
