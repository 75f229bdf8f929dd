#include "bot/param_spec.h"

#include "core/duration.h"

#include <QJsonArray>
#include <QRegularExpression>
#include <QUrl>
#include <QTime>

#include <algorithm>

namespace clerk::bot {

QString describe(ValueType type)
{
    switch (type) {
    case ValueType::String: return QStringLiteral("text");
    case ValueType::Template: return QStringLiteral("text, which may hold {{ references }}");
    case ValueType::Integer: return QStringLiteral("a whole number");
    case ValueType::Number: return QStringLiteral("a number");
    case ValueType::Boolean: return QStringLiteral("true or false");
    case ValueType::Threshold: return QStringLiteral("a number from 0 to 1");
    case ValueType::Duration: return QStringLiteral("a duration such as 30s");
    case ValueType::Regex: return QStringLiteral("a regular expression");
    case ValueType::Cron: return QStringLiteral("a cron expression such as '0 7 * * MON-FRI'");
    case ValueType::TimeZone: return QStringLiteral("a time zone such as Europe/London");
    case ValueType::Enum: return QStringLiteral("one of a fixed set of words");
    case ValueType::Identifier: return QStringLiteral("a lower-case name such as contact-form");
    case ValueType::SecretRef: return QStringLiteral("a secret reference such as ${env:NAME}");
    case ValueType::ConnectorName: return QStringLiteral("the name of a connector");
    case ValueType::Path: return QStringLiteral("a file or folder path");
    case ValueType::List: return QStringLiteral("a list");
    case ValueType::Map: return QStringLiteral("a mapping");
    case ValueType::Object: return QStringLiteral("a mapping");
    case ValueType::Any: return QStringLiteral("any value");
    }
    return QStringLiteral("a value");
}

ParamSpec ParamSpec::of(QString name, ValueType type, QString description, bool required)
{
    ParamSpec spec;
    spec.name = std::move(name);
    spec.type = type;
    spec.description = std::move(description);
    spec.required = required;
    return spec;
}

ParamSpec ParamSpec::listOf(QString name, ParamSpec element, QString description, bool required)
{
    ParamSpec spec = of(std::move(name), ValueType::List, std::move(description), required);
    spec.element = std::make_shared<ParamSpec>(std::move(element));
    return spec;
}

ParamSpec ParamSpec::mapOf(QString name, ParamSpec element, QString description, bool required)
{
    ParamSpec spec = of(std::move(name), ValueType::Map, std::move(description), required);
    spec.element = std::make_shared<ParamSpec>(std::move(element));
    return spec;
}

ParamSpec ParamSpec::object(QString name, QList<ParamSpec> fields, QString description, bool required)
{
    ParamSpec spec = of(std::move(name), ValueType::Object, std::move(description), required);
    spec.fields = std::move(fields);
    return spec;
}

ParamSpec ParamSpec::oneOf(QString name, QStringList values, QString description, bool required)
{
    ParamSpec spec = of(std::move(name), ValueType::Enum, std::move(description), required);
    spec.enumValues = std::move(values);
    return spec;
}

ParamSpec ParamSpec::templ(QString name, QString description, bool required)
{
    return of(std::move(name), ValueType::Template, std::move(description), required);
}

ParamSpec ParamSpec::regex(QString name, QString description, bool required)
{
    return of(std::move(name), ValueType::Regex, std::move(description), required);
}

QJsonValue ParamSpec::valueIn(const QJsonObject &block) const
{
    const auto found = block.constFind(name);
    return found != block.constEnd() ? *found : defaultValue;
}

const ParamSpec &ParamSpec::field(const QString &key) const
{
    const QList<ParamSpec> &own = (type == ValueType::List || type == ValueType::Map) && element ? element->fields : fields;
    for (const ParamSpec &candidate : own) {
        if (candidate.name == key)
            return candidate;
    }
    Q_ASSERT_X(false, "ParamSpec::field", "the spec declares no such field");
    static const ParamSpec none;
    return none;
}

StepCatalog::StepCatalog(QList<StepTypeSchema> types)
    : m_types(std::move(types))
{
}

const StepTypeSchema *StepCatalog::find(const QString &name) const
{
    for (const StepTypeSchema &type : m_types) {
        if (type.name == name)
            return &type;
    }
    return nullptr;
}

QStringList StepCatalog::names() const
{
    QStringList names;
    names.reserve(m_types.size());
    for (const StepTypeSchema &type : m_types)
        names.append(type.name);
    return names;
}

namespace {

using T = ValueType;

// "Mon-Fri 08:00-18:00", "Mon,Wed,Fri 09:00-17:00", "Sat 09:00-12:00".
QString checkMailboxUrl(const QJsonValue &value)
{
    const QString text = value.toString();
    const QUrl url(text, QUrl::StrictMode);
    const QString scheme = url.scheme().toLower();
    if (!url.isValid() || (scheme != QLatin1String("imap") && scheme != QLatin1String("imaps")) || url.host().isEmpty())
        return QStringLiteral("'%1' is not a mailbox address such as imaps://mail.example.gov.uk/INBOX").arg(text);
    if (!url.userInfo().isEmpty())
        return QStringLiteral("put the user name in username and the password in password, not in the url");
    if (url.path().size() < 2)
        return QStringLiteral("'%1' names no folder; add one, e.g. %1/INBOX").arg(text);
    if (url.hasQuery() || url.path().contains(QLatin1Char(';')))
        return QStringLiteral("'%1': give only the server and the folder").arg(text);
    return {};
}

QString checkMailFolder(const QJsonValue &value)
{
    const QString text = value.toString();
    if (text.trimmed().isEmpty())
        return QStringLiteral("a folder name is needed, e.g. Processed");
    for (const QChar c : text) {
        if (c.unicode() < 0x20 || c.unicode() == 0x7f)
            return QStringLiteral("a folder name cannot hold control characters (line breaks, tabs)");
    }
    return {};
}

QString checkMailFlag(const QJsonValue &value)
{
    static const QRegularExpression keyword(QStringLiteral("^(\\\\Seen|\\\\Flagged|[A-Za-z$][A-Za-z0-9$_.-]*)$"));
    if (!keyword.match(value.toString()).hasMatch())
        return QStringLiteral("'%1' is not a flag: use \\Seen, \\Flagged or a keyword such as $ClerkDone")
            .arg(value.toString());
    return {};
}

QString checkBusinessHours(const QJsonValue &value)
{
    static const QRegularExpression pattern(QStringLiteral(
        "^\\s*((?:mon|tue|wed|thu|fri|sat|sun)(?:-(?:mon|tue|wed|thu|fri|sat|sun))?"
        "(?:\\s*,\\s*(?:mon|tue|wed|thu|fri|sat|sun)(?:-(?:mon|tue|wed|thu|fri|sat|sun))?)*)"
        "\\s+(\\d\\d:\\d\\d)\\s*-\\s*(\\d\\d:\\d\\d)\\s*$"),
        QRegularExpression::CaseInsensitiveOption);
    const QString text = value.toString();
    const auto match = pattern.match(text);
    const QString usage = QStringLiteral(
        "business hours are days then times, such as 'Mon-Fri 08:00-18:00' or 'Mon,Wed 09:00-12:30'");
    if (!match.hasMatch())
        return QStringLiteral("'%1' is not valid: %2").arg(text, usage);
    const QTime start = QTime::fromString(match.captured(2), QStringLiteral("HH:mm"));
    const bool endOfDay = match.captured(3) == QLatin1String("24:00");
    const QTime end = QTime::fromString(match.captured(3), QStringLiteral("HH:mm"));
    if (!start.isValid() || (!end.isValid() && !endOfDay))
        return QStringLiteral("'%1' has a time that does not exist: %2").arg(text, usage);
    if (!endOfDay && end <= start)
        return QStringLiteral("'%1' ends before it starts").arg(text);
    return {};
}

// trigger: what starts the bot.
ParamSpec triggerSpec()
{
    return ParamSpec::object(
        QStringLiteral("trigger"),
        {
            ParamSpec::of(QStringLiteral("cron"), T::Cron,
                          QStringLiteral("Run on a schedule: five fields (minute hour day-of-month month "
                                         "day-of-week), e.g. '0 7 * * MON-FRI' for 7am on weekdays, or "
                                         "@hourly, @daily, @weekly, @monthly.")),
            ParamSpec::of(QStringLiteral("every"), T::Duration,
                          QStringLiteral("Run at a fixed interval, e.g. 15m.")),
            ParamSpec::object(
                QStringLiteral("watch"),
                {
                    ParamSpec::of(QStringLiteral("folder"), T::Path,
                                  QStringLiteral("The folder to watch; each new file becomes one work item."),
                                  true),
                    ParamSpec::of(QStringLiteral("pattern"), T::String,
                                  QStringLiteral("Only files whose names match this wildcard, e.g. *.pdf."))
                        .withDefault(QStringLiteral("*")),
                    ParamSpec::of(QStringLiteral("settle"), T::Duration,
                                  QStringLiteral("How long a file must stay unchanged before it is picked up, "
                                                 "so half-copied files are left alone."))
                        .withDefault(QStringLiteral("5s")),
                    ParamSpec::of(QStringLiteral("done_folder"), T::Path,
                                  QStringLiteral("Where finished files are moved, relative to the watched "
                                                 "folder."))
                        .withDefault(QStringLiteral("done")),
                    ParamSpec::of(QStringLiteral("failed_folder"), T::Path,
                                  QStringLiteral("Where files whose item failed are moved, relative to the "
                                                 "watched folder."))
                        .withDefault(QStringLiteral("failed")),
                    ParamSpec::of(QStringLiteral("poll"), T::Duration,
                                  QStringLiteral("How often the folder is scanned, in case file system "
                                                 "notifications are missed (network shares)."))
                        .withDefault(QStringLiteral("30s")),
                },
                QStringLiteral("Run once for each file that appears in a folder.")),
            ParamSpec::object(
                QStringLiteral("webhook"),
                {
                    ParamSpec::of(QStringLiteral("token"), T::SecretRef,
                                  QStringLiteral("The shared secret callers must send; a reference such as "
                                                 "${env:CONTACT_FORM_TOKEN}, never the token itself."),
                                  true),
                },
                QStringLiteral("Run once for each request posted to the bot's web address.")),
            ParamSpec::object(
                QStringLiteral("mailbox"),
                {
                    ParamSpec::of(QStringLiteral("url"), T::String,
                                  QStringLiteral("The mail folder to read, e.g. imaps://mail.example.gov.uk/INBOX "
                                                 "(TLS). imap:// needs STARTTLS unless the server is on this "
                                                 "machine."),
                                  true)
                        .withCheck(checkMailboxUrl),
                    ParamSpec::of(QStringLiteral("username"), T::String,
                                  QStringLiteral("The account clerk signs in as."), true),
                    ParamSpec::of(QStringLiteral("password"), T::SecretRef,
                                  QStringLiteral("Its password: a reference such as ${env:INTAKE_MAIL_PASSWORD} or "
                                                 "${file:/etc/clerk/mail-password}, never the password itself."),
                                  true),
                    ParamSpec::of(QStringLiteral("every"), T::Duration,
                                  QStringLiteral("How often the folder is read."))
                        .withDefault(QStringLiteral("1m")),
                    ParamSpec::oneOf(QStringLiteral("after"), {QStringLiteral("flag"), QStringLiteral("move")},
                                     QStringLiteral("What happens to a message once its attachments are stored "
                                                    "as items: flag it (it stays in the folder and is not read "
                                                    "again), or move it to move_to."))
                        .withDefault(QStringLiteral("flag")),
                    ParamSpec::of(QStringLiteral("flag"), T::String,
                                  QStringLiteral("With after: flag, the flag set on handled messages: a keyword "
                                                 "such as $ClerkDone, or \\Seen (then a message someone has "
                                                 "already opened is not read either)."))
                        .withDefault(QStringLiteral("$ClerkDone"))
                        .withCheck(checkMailFlag),
                    ParamSpec::of(QStringLiteral("move_to"), T::String,
                                  QStringLiteral("With after: move, the folder handled messages are moved to, "
                                                 "e.g. Processed; it must exist."))
                        .withCheck(checkMailFolder),
                    ParamSpec::oneOf(QStringLiteral("items"),
                                     {QStringLiteral("attachments"), QStringLiteral("body"), QStringLiteral("both")},
                                     QStringLiteral("What a message becomes: attachments, one item per attachment "
                                                    "(input.file); body, one item per message with its text "
                                                    "(input.text, HTML reduced to text), sender, subject and date "
                                                    "(input.mail) and its attachments saved and listed "
                                                    "(input.attachments), e.g. referrals sent by email; both, the "
                                                    "attachments' items and one for the text when there is any."))
                        .withDefault(QStringLiteral("attachments")),
                    ParamSpec::of(QStringLiteral("attachments"), T::String,
                                  QStringLiteral("Which attachments become items (or, with items: body, are saved "
                                                 "and listed): wildcards separated by commas, "
                                                 "matched against the file name ignoring case."))
                        .withDefault(QStringLiteral("*.pdf,*.tif,*.tiff,*.png,*.jpg,*.jpeg")),
                    ParamSpec::of(QStringLiteral("folder"), T::Path,
                                  QStringLiteral("Where attachments are saved, relative to the bot file's folder; "
                                                 "each item's input.file points there."))
                        .withDefault(QStringLiteral("mail")),
                    ParamSpec::of(QStringLiteral("max_attachments"), T::Integer,
                                  QStringLiteral("A message with more attachments than this (of any type) makes no "
                                                 "item at all: it is marked as handled and reported for a person."))
                        .withDefault(50)
                        .withRange(1, 10000),
                },
                QStringLiteral("Run once for each new message in a mail folder (IMAP), or for each of its "
                               "attachments (items).")),
            ParamSpec::of(QStringLiteral("timezone"), T::TimeZone,
                          QStringLiteral("The time zone cron schedules and business hours are read in."))
                .withDefault(QStringLiteral("Europe/London")),
            ParamSpec::oneOf(QStringLiteral("misfire"), {QStringLiteral("skip"), QStringLiteral("run_once")},
                             QStringLiteral("What to do about runs missed while clerk was stopped: skip them, "
                                            "or run once to catch up."))
                .withDefault(QStringLiteral("skip")),
            ParamSpec::of(QStringLiteral("jitter"), T::Duration,
                          QStringLiteral("With every: start up to this much later, at random, so bots with "
                                         "the same interval do not all hit a system at once.")),
            ParamSpec::of(QStringLiteral("business_hours"), T::String,
                          QStringLiteral("Only start runs within these hours, e.g. 'Mon-Fri 08:00-18:00'."))
                .withCheck(checkBusinessHours),
        },
        QStringLiteral("When the bot runs. Give exactly one of cron, every, watch, webhook or mailbox. "
                       "A bot with a source and cron or every reads its source's new work on each run. "
                       "Leave trigger out for a bot that is only started by hand."));
}

// One entry of steps: the keys every step has; params are the step type's.
ParamSpec stepSpec()
{
    return ParamSpec::object(
        QStringLiteral("step"),
        {
            ParamSpec::of(QStringLiteral("id"), T::Identifier,
                          QStringLiteral("A name for the step, unique in the bot; later steps use it to refer "
                                         "to this step's outputs. Defaults to the step type.")),
            ParamSpec::of(QStringLiteral("type"), T::String,
                          QStringLiteral("What the step does: one of the step types listed below."), true),
            ParamSpec::of(QStringLiteral("team"), T::Identifier,
                          QStringLiteral("The team that answers this step's questions, if not the bot's "
                                         "exception team.")),
            ParamSpec::object(QStringLiteral("params"), {},
                              QStringLiteral("The step's settings; the keys depend on the step type.")),
            ParamSpec::templ(QStringLiteral("when"),
                             QStringLiteral("Run the step only when this holds, e.g. \"{{ person.decision }} == "
                                            "no_match\" (also !=; compared ignoring case), or \"{{ form.urgent }}\" "
                                            "(true unless empty, false, no or 0). A skipped step's output is "
                                            "skipped: true.")),
            ParamSpec::of(QStringLiteral("time_limit"), T::Duration,
                          QStringLiteral("How long the step may take, e.g. 2m; past it the step stops (OCR and "
                                         "calls to other systems stop early) and the item is retried later. "
                                         "Default: the bot's time_limit.")),
        },
        QStringLiteral("One step of the bot."));
}

// input: what each item holds.
ParamSpec inputSpec()
{
    return ParamSpec::object(
        QStringLiteral("input"),
        {
            ParamSpec::listOf(QStringLiteral("fields"),
                              ParamSpec::of(QStringLiteral("field"), T::Identifier,
                                            QStringLiteral("A field name.")),
                              QStringLiteral("The fields each item's input has. When given, templates may "
                                             "only use these input fields, and a record (a form, a CSV row, a "
                                             "webhook body) with other fields is refused at the door.")),
            ParamSpec::of(QStringLiteral("id"), T::Identifier,
                          QStringLiteral("The field that identifies a record in the system it comes from (a "
                                         "form's reference, a report's number). A record offered again with "
                                         "the same id, from any file or poll, becomes no second item. Without "
                                         "it, a record is known by its content. With it, a record without its "
                                         "id is refused at the door.")),
            ParamSpec::of(QStringLiteral("files"), T::String,
                          QStringLiteral("Which files of a folder given to clerk run --input are inputs: "
                                         "wildcards separated by commas, e.g. \"*.csv\". Default: the watch "
                                         "trigger's pattern; else record files (.csv, .json, .jsonl, .ndjson) "
                                         "for a bot with input.id or input.fields; else those and scans (.pdf, "
                                         ".tif, .tiff, .png, .jpg, .jpeg). A file named on its own is always "
                                         "taken.")),
        },
        QStringLiteral("What each item's input holds."));
}

// source: a case system list that new work is read from.
ParamSpec sourceSpec()
{
    return ParamSpec::object(
        QStringLiteral("source"),
        {
            ParamSpec::of(QStringLiteral("connector"), T::ConnectorName,
                          QStringLiteral("The connector of the system new work is read from."), true),
            ParamSpec::of(QStringLiteral("operation"), T::String,
                          QStringLiteral("A list operation of that connector (with `records`), e.g. new "
                                         "contact forms filtered by status."),
                          true),
            ParamSpec::mapOf(QStringLiteral("params"),
                             ParamSpec::of(QStringLiteral("value"), T::String, QStringLiteral("A value.")),
                             QStringLiteral("Values the operation's templates see as {{ params.NAME }}.")),
            ParamSpec::object(
                QStringLiteral("mark"),
                {
                    ParamSpec::of(QStringLiteral("operation"), T::String,
                                  QStringLiteral("The operation that marks a record as taken, e.g. sets its "
                                                 "status to in progress."),
                                  true),
                    ParamSpec::mapOf(QStringLiteral("params"),
                                     ParamSpec::templ(QStringLiteral("value"),
                                                      QStringLiteral("A value; {{ input.FIELD }} is the record's "
                                                                     "field.")),
                                     QStringLiteral("Values for the operation, from the record.")),
                },
                QStringLiteral("Marks each record as taken once it is stored as an item, so the list "
                               "operation stops returning it.")),
        },
        QStringLiteral("Where `clerk run --from-source` (and the scheduler) read new work: each record the "
                       "operation returns becomes one item, once (input.id names its identifying field)."));
}

// alerts: rules about the bot's figures and where they are sent.
// retention: how long finished items keep what they hold about people.
ParamSpec retentionSpec()
{
    return ParamSpec::object(
        QStringLiteral("retention"),
        {
            ParamSpec::of(QStringLiteral("after"), T::Duration,
                          QStringLiteral("How long after an item finishes (done, or cancelled by a person) its contents "
                                         "are erased, e.g. 90d: its input, what each step read and found (OCR text, "
                                         "fields, matched records) and what people typed. Its id, states, times, bot "
                                         "version and who decided are kept, so figures and the audit trail stay. Failed "
                                         "and waiting items are kept."),
                          true),
            ParamSpec::of(QStringLiteral("documents"), T::Boolean,
                          QStringLiteral("Also delete the documents the items came with (scans and attachments the "
                                         "item names, and files the watched folder filed in its done folder), when "
                                         "they lie in the bot's intake folders."))
                .withDefault(true),
        },
        QStringLiteral("How long finished items keep personal data. clerk serve erases what has passed it every hour "
                       "(once per cluster); clerk retention does it now."));
}

// escalate: rules that make work urgent when it goes to a person.
ParamSpec escalateSpec()
{
    return ParamSpec::listOf(
        QStringLiteral("escalate"),
        ParamSpec::object(
            QStringLiteral("rule"),
            {
                ParamSpec::of(QStringLiteral("label"), T::String,
                              QStringLiteral("What people see beside the item, e.g. Safeguarding."))
                    .withDefault(QStringLiteral("Urgent")),
                ParamSpec::of(QStringLiteral("when"), T::Template,
                              QStringLiteral("The rule holds when this does, written as a step's when, e.g. "
                                             "\"{{ kind.category }} == child_safeguarding\". It sees the outputs of the "
                                             "steps so far and the asking step's own best guess.")),
                ParamSpec::of(QStringLiteral("text"), T::Template,
                              QStringLiteral("The text the keywords are looked for in, e.g. \"{{ input.description }}\".")),
                ParamSpec::listOf(QStringLiteral("keywords"),
                                  ParamSpec::of(QStringLiteral("keyword"), T::String, QStringLiteral("A word or phrase.")),
                                  QStringLiteral("The rule holds (with when, if given) when any of these is in text, "
                                                 "as whole words, ignoring case.")),
                ParamSpec::of(QStringLiteral("team"), T::Identifier,
                              QStringLiteral("The team that gets the item. Default: the team the step or bot names.")),
                ParamSpec::of(QStringLiteral("sla"), T::Duration,
                              QStringLiteral("How soon a person should deal with it, e.g. 1h. Default: exceptions.sla.")),
                ParamSpec::of(QStringLiteral("priority"), T::Integer,
                              QStringLiteral("Items with a higher priority come first in the queue; ordinary work is 0."))
                    .withDefault(100)
                    .withRange(1, 1000),
                ParamSpec::of(QStringLiteral("business_hours"), T::String,
                              QStringLiteral("The team's hours, e.g. 'Mon-Fri 08:30-17:00' (the trigger's time zone, "
                                             "else Europe/London); outside them the item goes to out_of_hours_team."))
                    .withCheck(checkBusinessHours),
                ParamSpec::of(QStringLiteral("out_of_hours_team"), T::Identifier,
                              QStringLiteral("The team that gets the item outside business_hours, e.g. an "
                                             "emergency duty team.")),
            },
            QStringLiteral("A rule.")),
        QStringLiteral("Rules that make work urgent. When an item goes to a person, the first rule that holds "
                       "picks its team, SLA and priority; the queue shows it first, marked with its label."));
}

ParamSpec alertsSpec()
{
    return ParamSpec::object(
        QStringLiteral("alerts"),
        {
            ParamSpec::of(QStringLiteral("connector"), T::ConnectorName,
                          QStringLiteral("The rest connector alerts are sent through, e.g. ops-alerts."), true),
            ParamSpec::of(QStringLiteral("operation"), T::String,
                          QStringLiteral("Its operation that sends one alert. Its templates see "
                                         "{{ params.bot }}, {{ params.rule }}, {{ params.value }}, "
                                         "{{ params.threshold }} and {{ params.message }}."),
                          true),
            ParamSpec::of(QStringLiteral("repeat_after"), T::Duration,
                          QStringLiteral("A rule that keeps failing fires again after this long."))
                .withDefault(QStringLiteral("4h"))
                .withCheck([](const QJsonValue &value) {
                    const auto parsed = parseDuration(value.toString());
                    return !parsed || parsed->count() >= 60 * 1000
                               ? QString()
                               : QStringLiteral("repeat_after must be at least 1m");
                }),
            ParamSpec::listOf(
                QStringLiteral("rules"),
                ParamSpec::object(
                    QStringLiteral("rule"),
                    {
                        ParamSpec::of(QStringLiteral("straight_through_below"), T::Threshold,
                                      QStringLiteral("Fires when the share of the window's done items done "
                                                     "straight through (no person involved) is below this, "
                                                     "e.g. 0.80.")),
                        ParamSpec::of(QStringLiteral("oldest_exception_over_sla"), T::Boolean,
                                      QStringLiteral("true: fires when an undecided exception item of the "
                                                     "bot is past its SLA due time.")),
                        ParamSpec::of(QStringLiteral("failures_above"), T::Integer,
                                      QStringLiteral("Fires when more items than this failed in the window."))
                            .withMinimum(0),
                        ParamSpec::of(QStringLiteral("window"), T::Duration,
                                      QStringLiteral("How far back straight_through_below and failures_above "
                                                     "look, e.g. 1h. Default: 1d.")),
                        ParamSpec::of(QStringLiteral("min_items"), T::Integer,
                                      QStringLiteral("straight_through_below is not judged on fewer done items "
                                                     "than this. Default: 20."))
                            .withMinimum(1),
                    },
                    QStringLiteral("One rule: exactly one of straight_through_below, "
                                   "oldest_exception_over_sla and failures_above; each at most once.")),
                QStringLiteral("The rules, each judged once a minute by clerk serve."), true),
        },
        QStringLiteral("Alerts about the bot's figures, sent to a connector operation (a chat or paging "
                       "webhook) and recorded in the audit trail as alert_fired events."));
}

QList<ParamSpec> buildBotFileSpec()
{
    return {
        ParamSpec::of(QStringLiteral("name"), T::Identifier,
                      QStringLiteral("The bot's name, unique in this clerk installation, e.g. contact-form."),
                      true),
        ParamSpec::of(QStringLiteral("description"), T::String,
                      QStringLiteral("What the bot does, in a sentence or two, for the people who look after it.")),
        ParamSpec::of(QStringLiteral("version"), T::String,
                      QStringLiteral("The bot's version, e.g. 3 or \"1.2\". Change it whenever you change the "
                                     "file; each item records the version it ran with."),
                      true),
        ParamSpec::of(QStringLiteral("owner_team"), T::Identifier,
                      QStringLiteral("The team responsible for the bot, e.g. revenues."), true),
        ParamSpec::of(QStringLiteral("manual_minutes"), T::Number,
                      QStringLiteral("How many minutes a person takes to do one item by hand; used to report "
                                     "the hours the bot saves."))
            .withMinimum(0)
            .withDefault(0),
        ParamSpec::oneOf(QStringLiteral("mode"), {QStringLiteral("live"), QStringLiteral("shadow")},
                         QStringLiteral("live: the bot acts. shadow: it decides but does not act; every item goes to a "
                                        "person with the bot's suggestion, and the dashboard shows from their answers "
                                        "what the bot would have achieved at each threshold."))
            .withDefault(QStringLiteral("live")),
        ParamSpec::object(
            QStringLiteral("shadow"),
            {
                ParamSpec::of(QStringLiteral("show_suggestion"), T::Boolean,
                              QStringLiteral("Whether people see the bot's suggestion (false: a blind trial)."))
                    .withDefault(true),
            },
            QStringLiteral("How a shadow-mode trial is run.")),
        ParamSpec::of(QStringLiteral("concurrency"), T::Integer,
                      QStringLiteral("At most this many of the bot's items run at once in one clerk serve process "
                                     "(per process: three processes may run three times as many). Default: no "
                                     "limit beyond the process's workers."))
            .withRange(1, 1000),
        ParamSpec::of(QStringLiteral("priority"), T::Integer,
                      QStringLiteral("Items of bots with a higher priority are taken from the queue first."))
            .withDefault(0)
            .withRange(-1000, 1000),
        ParamSpec::of(QStringLiteral("time_limit"), T::Duration,
                      QStringLiteral("How long each step may take unless the step gives its own time_limit, e.g. "
                                     "5m. Default: no limit.")),
        triggerSpec(),
        inputSpec(),
        sourceSpec(),
        ParamSpec::mapOf(QStringLiteral("thresholds"),
                         ParamSpec::of(QStringLiteral("threshold"), T::Threshold,
                                       QStringLiteral("A confidence from 0 to 1.")),
                         QStringLiteral("Named confidence levels from 0 to 1 that steps compare against, e.g. "
                                        "match: 0.9; below them a person decides.")),
        ParamSpec::object(
            QStringLiteral("exceptions"),
            {
                ParamSpec::of(QStringLiteral("team"), T::Identifier,
                              QStringLiteral("The team that handles items the bot cannot finish. Defaults to "
                                             "owner_team.")),
                ParamSpec::of(QStringLiteral("sla"), T::Duration,
                              QStringLiteral("How soon a person should deal with such an item, e.g. 8h."))
                    .withDefault(QStringLiteral("8h")),
            },
            QStringLiteral("Who deals with items that need a person, and how quickly.")),
        retrySpec(5, "2s", "10m", QStringLiteral("an item")),
        escalateSpec(),
        retentionSpec(),
        alertsSpec(),
        ParamSpec::listOf(QStringLiteral("allowed_paths"),
                          ParamSpec::of(QStringLiteral("path"), T::Path,
                                        QStringLiteral("A folder (or file), relative to the bot file's folder.")),
                          QStringLiteral("Folders whose documents items may name (input.file from a webhook, a "
                                         "source record or a CSV row), besides the watched folder, the mailbox's "
                                         "attachment folder and clerk run's --input paths. A document anywhere "
                                         "else is refused and the item fails.")),
        ParamSpec::listOf(QStringLiteral("connectors"),
                          ParamSpec::of(QStringLiteral("connector"), T::ConnectorName,
                                        QStringLiteral("A connector name.")),
                          QStringLiteral("The connectors (outside systems) the bot uses, by the name in their "
                                         "connector files.")),
        ParamSpec::listOf(QStringLiteral("steps"), stepSpec(),
                          QStringLiteral("What the bot does to each item, in order."), true),
    };
}

} // namespace

const QList<ParamSpec> &botFileSpec()
{
    static const QList<ParamSpec> spec = buildBotFileSpec();
    return spec;
}

ParamSpec retrySpec(int attempts, const char *initialDelay, const char *maxDelay, const QString &what)
{
    return ParamSpec::object(
        QStringLiteral("retry"),
        {
            ParamSpec::of(QStringLiteral("max_attempts"), ValueType::Integer,
                          QStringLiteral("How many times %1 is tried again after a temporary failure "
                                         "(a server down, a file locked) before it is marked failed.")
                              .arg(what))
                .withRange(0, 100)
                .withDefault(attempts),
            ParamSpec::of(QStringLiteral("initial_delay"), ValueType::Duration,
                          QStringLiteral("How long to wait before the first retry; each further wait is twice "
                                         "as long."))
                .withDefault(QLatin1String(initialDelay)),
            ParamSpec::of(QStringLiteral("max_delay"), ValueType::Duration,
                          QStringLiteral("The longest wait between two retries."))
                .withDefault(QLatin1String(maxDelay)),
        },
        QStringLiteral("How temporary failures are retried."));
}

ConnectorCatalog::ConnectorCatalog(QList<ConnectorKindSchema> kinds)
    : m_kinds(std::move(kinds))
{
}

const ConnectorKindSchema *ConnectorCatalog::find(const QString &name) const
{
    for (const ConnectorKindSchema &kind : m_kinds) {
        if (kind.name == name)
            return &kind;
    }
    return nullptr;
}

QStringList ConnectorCatalog::names() const
{
    QStringList names;
    for (const ConnectorKindSchema &kind : m_kinds)
        names.append(kind.name);
    return names;
}

QList<ParamSpec> connectorFileSpec(const ConnectorCatalog &kinds, const QString &kind)
{
    QStringList summaries;
    for (const ConnectorKindSchema &each : kinds.kinds())
        summaries.append(each.summary);
    QList<ParamSpec> spec{
        ParamSpec::of(QStringLiteral("name"), ValueType::Identifier,
                      QStringLiteral("The connector's name, which bots list under connectors."), true),
        ParamSpec::oneOf(QStringLiteral("kind"), kinds.names(),
                         QStringLiteral("What sort of system it is: %1.").arg(summaries.join(QStringLiteral("; "))), true),
        ParamSpec::of(QStringLiteral("description"), ValueType::String,
                      QStringLiteral("Which system this is and who looks after it.")),
    };
    const qsizetype common = spec.size();
    const ConnectorKindSchema *named = kinds.find(kind);
    for (const ConnectorKindSchema &each : kinds.kinds()) {
        if (named && &each != named)
            continue;
        for (const ParamSpec &setting : each.settings) {
            const bool listed = std::any_of(spec.begin() + common, spec.end(),
                                            [&setting](const ParamSpec &known) { return known.name == setting.name; });
            if (!listed)
                spec.append(setting);
        }
    }
    return spec;
}

} // namespace clerk::bot
