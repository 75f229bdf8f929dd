// clerk queue list|show|claim|release|resolve|reject: the exception queue from the
// command line. A person's answer resumes the item at the step after the one that
// hesitated; by default the bot then carries on with it at once.
#include "cli_support.h"
#include "commands.h"

#include "core/duration.h"
#include "core/shadow_suggestion.h"
#include "match/match_evidence.h"
#include "engine/engine.h"

#include <QDir>
#include <QJsonArray>

namespace clerk::app {

namespace {

const char kQueueUsage[] =
    "Usage: clerk queue <action> [options]\n"
    "\n"
    "  list [--team T] [--bot B] [--state open|claimed|resolved|rejected] [--limit N]\n"
    "                                 exception items, soonest SLA first\n"
    "  show ID                        what the bot saw, why it hesitated, the choices\n"
    "  claim ID [--as NAME] [--for 30m]\n"
    "                                 take an item so nobody else answers it meanwhile\n"
    "  release ID [--as NAME]         give a claimed item back\n"
    "  resolve ID [--choice VALUE|N] [--field NAME=VALUE]... [--note TEXT] [--as NAME] [--no-continue]\n"
    "                                 answer: pick a choice (by value or number) and/or give field values;\n"
    "                                 the bot resumes the item at the next step\n"
    "  reject ID --reason TEXT [--as NAME]\n"
    "                                 the item should not go on: it is cancelled\n"
    "  reject --all --bot B [--team T] --reason TEXT [--as NAME]\n"
    "                                 reject every undecided item of bot B (e.g. junk inputs); items\n"
    "                                 someone else has claimed are left and listed\n"
    "\n"
    "Common options: --db PATH, --json. The person acting is --as, else $USER.\n";

int storeError(const Error &error)
{
    err() << "clerk queue: " << error.toString() << "\n";
    err().flush();
    return ExitInvalid;
}

bool parseId(const QString &text, qint64 &id)
{
    bool ok = false;
    id = text.toLongLong(&ok);
    if (!ok || id <= 0) {
        err() << "clerk queue: '" << text << "' is not an exception id (a number, see clerk queue list)\n";
        err().flush();
        return false;
    }
    return true;
}

// What a person may see of an exception item: in a blind shadow trial the bot's
// suggestion is kept for the figures but not shown.
store::ExceptionItem shownToPeople(store::ExceptionItem e)
{
    if (const std::optional<QJsonObject> suggestion = ShadowSuggestion::takeForPeople(e.evidence))
        e.evidence.insert(ShadowSuggestion::key(), *suggestion);
    return e;
}

QString percent(double probability)
{
    return QString::number(100.0 * probability, 'f', 1) + QLatin1Char('%');
}

// A value as a person reads it: numbers under a key that names a fraction of one
// (confidence, threshold, probability), also within an object or list under one such as
// extract's confidence per field or a ranking, as percentages. --json keeps the numbers.
QJsonValue withPercentages(const QJsonValue &value, bool fraction = false)
{
    static const QStringList fractionKeys{QStringLiteral("confidence"), QStringLiteral("threshold"),
                                          QStringLiteral("probability"), QStringLiteral("min_confidence")};
    if (value.isDouble()) {
        const double number = value.toDouble();
        return fraction && number >= 0.0 && number <= 1.0 ? QJsonValue(percent(number)) : value;
    }
    if (value.isArray()) {
        QJsonArray shown;
        for (const QJsonValue &element : value.toArray())
            shown.append(withPercentages(element, fraction));
        return shown;
    }
    if (value.isObject()) {
        QJsonObject shown;
        const QJsonObject object = value.toObject();
        for (auto it = object.begin(); it != object.end(); ++it)
            shown.insert(it.key(), withPercentages(it.value(), fraction || fractionKeys.contains(it.key())));
        return shown;
    }
    return value;
}

// A choice as it is listed: its label, and how sure the bot is of it when it says.
QString choiceLine(const HumanChoice &choice)
{
    QString line = choice.label.isEmpty() ? choice.value : choice.label;
    const QJsonValue confidence = choice.detail.value(QStringLiteral("confidence"));
    if (confidence.isDouble())
        line += QStringLiteral("  (confidence %1)").arg(percent(confidence.toDouble()));
    return line;
}

QString orDash(const QString &text)
{
    return text.isEmpty() ? QStringLiteral("-") : text;
}

void printException(const store::ExceptionItem &e, const WorkItem *item)
{
    QTextStream &o = out();
    const QDateTime now = QDateTime::currentDateTimeUtc();
    o << "Exception " << e.id << "  (" << toString(e.state) << ")\n";
    o << "  bot:      " << e.bot << "\n";
    o << "  item:     " << e.itemId << (item ? QStringLiteral("  from %1").arg(item->sourceRef) : QString()) << "\n";
    o << "  step:     " << e.stepId << "\n";
    o << "  team:     " << e.team << "\n";
    o << "  reason:   " << e.reason << "\n";
    if (!e.urgency.isEmpty())
        o << "  URGENT:   " << e.urgency << "  (priority " << e.priority << ")\n";
    o << "  arrived:  " << relativeTime(e.createdAt, now) << "\n";
    if (e.state == store::ExceptionState::Open || e.state == store::ExceptionState::Claimed)
        o << "  SLA due:  " << relativeTime(e.slaDueAt, now) << (e.slaDueAt < now ? "  (breached)" : "") << "\n";
    if (!e.claimedBy.isEmpty())
        o << "  claimed:  " << e.claimedBy << " until " << e.claimExpiresAt.toLocalTime().toString(Qt::ISODate) << "\n";
    if (item) {
        o << "\nInput:\n" << indentedText(item->payload, 2);
    }
    QJsonObject evidence = e.evidence;
    const QList<match::CandidateEvidence> candidates = match::takeCandidates(evidence);
    if (!evidence.isEmpty())
        o << "\nWhat the bot saw:\n" << indentedText(withPercentages(evidence), 2);
    if (!candidates.isEmpty()) {
        o << "\nCandidates, best first:\n";
        for (qsizetype c = 0; c < candidates.size(); ++c) {
            const match::CandidateEvidence &candidate = candidates[c];
            o << "  " << (c + 1) << ". " << candidate.recordId << "  "
              << (candidate.probability ? percent(*candidate.probability) : QStringLiteral("-")) << "\n";
            TextTable fields({QStringLiteral("FIELD"), QStringLiteral("FORM"), QStringLiteral("RECORD"),
                              QStringLiteral("AGREES"), QStringLiteral("WEIGHT")});
            for (const match::FieldEvidence &field : candidate.fields) {
                fields.addRow({field.field, orDash(field.query), orDash(field.candidate), match::toString(field.level),
                               (field.weight > 0 ? QStringLiteral("+") : QString()) + QString::number(field.weight, 'f', 1)});
            }
            QString table;
            QTextStream tableStream(&table);
            fields.print(tableStream);
            tableStream.flush();
            for (const QString &line : table.split(u'\n', Qt::SkipEmptyParts))
                o << "       " << line << "\n";
        }
    }
    o << "\n";
    if (!e.choices.isEmpty()) {
        o << "Choices:\n";
        for (qsizetype i = 0; i < e.choices.size(); ++i)
            o << "  " << (i + 1) << ". " << choiceLine(e.choices[i]) << "\n";
    }
    if (!e.fields.isEmpty())
        o << "Fields a person may give: " << e.fields.join(QStringLiteral(", ")) << "\n";
    if (!e.decidedBy.isEmpty())
        o << "Decided by " << e.decidedBy << " " << relativeTime(e.decidedAt, now) << ":\n"
          << indentedText(e.decision.toJson(), 2);
    if (e.state == store::ExceptionState::Open || e.state == store::ExceptionState::Claimed) {
        // A choice and typed fields are two ways to give the same answer: show them apart,
        // since a choice and a field that disagree are refused.
        QString fields;
        for (const QString &field : e.fields)
            fields += QStringLiteral(" --field %1=...").arg(field);
        QStringList ways;
        if (!e.choices.isEmpty())
            ways.append(QStringLiteral("clerk queue resolve %1 --choice N").arg(e.id));
        if (!fields.isEmpty())
            ways.append(QStringLiteral("clerk queue resolve %1%2").arg(e.id).arg(fields));
        ways.append(QStringLiteral("clerk queue reject %1 --reason \"...\"").arg(e.id));
        o << "\nAnswer with: " << ways.join(QStringLiteral("\n         or: ")) << "\n";
    }
    o.flush();
}

// `answer` checked by the step that asked (Step::checkAnswer), with the bot file the item
// runs with; connectors are looked for as when the bot was run (see continueBot).
Result<store::Decision> checkedAnswer(store::WorkStore &store, const store::ExceptionItem &question,
                                      store::Decision answer, const QStringList &connectorDirs)
{
    auto item = store.item(question.itemId);
    if (!item)
        return fail(item.error());
    const engine::StepRegistry registry = engine::StepRegistry::builtIn();
    bot::Diagnostics ignored;
    QStringList botFiles;
    if (auto stored = store.definition(item->definitionDigest); stored && !stored->baseDir.isEmpty())
        botFiles.append(QDir(stored->baseDir).absoluteFilePath(QStringLiteral("bot.yaml")));
    engine::EngineOptions options;
    options.connectors = loadConnectors(botFiles, connectorDirs, ignored);
    engine::Engine engine(store, registry, options);
    return engine.checkAnswer(question, std::move(answer));
}

// Lets the bot carry on with a resumed item.
int continueItem(store::WorkStore &store, qint64 itemId, bool json, const QStringList &connectorDirs)
{
    if (auto ran = continueBot(store, itemId, connectorDirs); !ran)
        return storeError(ran.error());
    auto after = store.item(itemId);
    if (!after)
        return storeError(after.error());
    if (json) {
        printJson(toJson(*after, false));
    } else {
        out() << "item " << after->id << " (" << after->bot << ") is now " << toString(after->state);
        if (!after->lastError.isEmpty() && after->state != ItemState::Done)
            out() << ": " << after->lastError;
        out() << "\n";
        out().flush();
    }
    return after->state == ItemState::Failed ? ExitItemsFailed : ExitOk;
}

// `reject --all`: rejects every undecided exception item of `bot` (of `team` when given).
// Items another person has claimed are left to them and listed; the exit status is then
// ExitInvalid, so a script notices.
int rejectEvery(store::WorkStore &store, const QString &bot, const QString &team, const QString &actor,
                const QString &reason, bool json)
{
    store::ExceptionFilter filter;
    filter.bot = bot;
    filter.team = team;
    filter.limit = 1000000;
    auto undecided = store.exceptions(filter);
    if (!undecided)
        return storeError(undecided.error());
    QJsonArray rejected;
    QJsonArray left;
    for (const store::ExceptionItem &e : *undecided) {
        auto itemId = store.reject(e.id, actor, reason);
        if (itemId) {
            rejected.append(QJsonObject{{QStringLiteral("exception_id"), e.id}, {QStringLiteral("item_id"), *itemId}});
            continue;
        }
        if (itemId.error().code() != ErrorCode::Conflict)
            return storeError(itemId.error());
        left.append(QJsonObject{{QStringLiteral("exception_id"), e.id}, {QStringLiteral("problem"), itemId.error().message()}});
    }
    if (json) {
        printJson(QJsonObject{{QStringLiteral("bot"), bot},
                              {QStringLiteral("rejected"), rejected},
                              {QStringLiteral("not_rejected"), left}});
    } else {
        out() << "rejected " << rejected.size() << " exception item" << (rejected.size() == 1 ? "" : "s") << " of bot "
              << bot << (team.isEmpty() ? QString() : QStringLiteral(" for team ") + team) << "; their items are cancelled\n";
        out().flush();
        for (const QJsonValue &value : left) {
            err() << "clerk queue reject: exception " << value.toObject().value(QStringLiteral("exception_id")).toInteger()
                  << " left: " << value.toObject().value(QStringLiteral("problem")).toString() << "\n";
        }
        err().flush();
    }
    return left.isEmpty() ? ExitOk : ExitInvalid;
}

} // namespace

namespace {

// The options of clerk queue, shared by its actions.
struct QueueOptions {
    QCommandLineOption team{QStringLiteral("team"), QStringLiteral("Only this team's items."), QStringLiteral("team")};
    QCommandLineOption botName{QStringLiteral("bot"), QStringLiteral("Only this bot's items."), QStringLiteral("bot")};
    QCommandLineOption state{QStringLiteral("state"), QStringLiteral("open, claimed, resolved or rejected."),
                             QStringLiteral("state")};
    QCommandLineOption limit{QStringLiteral("limit"), QStringLiteral("At most this many items (default 50)."),
                             QStringLiteral("n"), QStringLiteral("50")};
    QCommandLineOption as{QStringLiteral("as"), QStringLiteral("The person acting (default: $USER)."), QStringLiteral("name")};
    QCommandLineOption claimFor{QStringLiteral("for"), QStringLiteral("How long a claim lasts (default 30m)."),
                                QStringLiteral("duration"), QStringLiteral("30m")};
    QCommandLineOption choice{QStringLiteral("choice"), QStringLiteral("The chosen answer: its value, or its number in 'show'."),
                              QStringLiteral("value")};
    QCommandLineOption field{QStringLiteral("field"), QStringLiteral("A field value, NAME=VALUE (repeatable)."),
                             QStringLiteral("name=value")};
    QCommandLineOption note{QStringLiteral("note"), QStringLiteral("A note for the audit trail."), QStringLiteral("text")};
    QCommandLineOption reason{QStringLiteral("reason"), QStringLiteral("Why the item is rejected."), QStringLiteral("text")};
    QCommandLineOption noContinue{QStringLiteral("no-continue"),
                                  QStringLiteral("Record the answer only; the bot resumes the item on its next run.")};
    QCommandLineOption all{QStringLiteral("all"), QStringLiteral("reject: every undecided item of --bot (and --team).")};

    void addTo(QCommandLineParser &parser) const
    {
        parser.addOptions({team, botName, state, limit, as, claimFor, choice, field, note, reason, noContinue, all});
    }
};

// clerk queue list: the undecided items (or those in --state), soonest SLA first.
int listExceptions(store::WorkStore &store, const QCommandLineParser &parser, const QueueOptions &o, bool json)
{
    store::ExceptionFilter filter;
    filter.team = parser.value(o.team);
    filter.bot = parser.value(o.botName);
    filter.limit = parser.value(o.limit).toInt();
    if (parser.isSet(o.state)) {
        filter.state = store::exceptionStateFromString(parser.value(o.state));
        if (!filter.state) {
            err() << "clerk queue list: --state is one of open, claimed, resolved, rejected\n";
            err().flush();
            return ExitInvalid;
        }
    }
    auto list = store.exceptions(filter);
    if (!list)
        return storeError(list.error());
    if (json) {
        QJsonArray array;
        for (const store::ExceptionItem &e : *list)
            array.append(toJson(shownToPeople(e), false));
        printJson(array);
        return ExitOk;
    }
    if (list->isEmpty()) {
        out() << "No exception items" << (filter.team.isEmpty() ? QString() : QStringLiteral(" for team ") + filter.team) << ".\n";
        out().flush();
        return ExitOk;
    }
    const QDateTime now = QDateTime::currentDateTimeUtc();
    TextTable table({QStringLiteral("ID"), QStringLiteral("ITEM"), QStringLiteral("BOT"), QStringLiteral("TEAM"),
                     QStringLiteral("AGE"), QStringLiteral("SLA"), QStringLiteral("CLAIMED"), QStringLiteral("REASON")});
    for (const store::ExceptionItem &e : *list) {
        const bool undecided = e.state == store::ExceptionState::Open || e.state == store::ExceptionState::Claimed;
        const bool breached = undecided && e.slaDueAt < now;
        // A decided item's SLA no longer runs: it shows how it ended instead.
        const QString sla = !undecided ? toString(e.state)
                            : breached ? QStringLiteral("BREACHED ") + relativeTime(e.slaDueAt, now)
                                       : relativeTime(e.slaDueAt, now);
        table.addRow({QString::number(e.id), QString::number(e.itemId), e.bot, e.team,
                      formatDuration(std::chrono::milliseconds(std::max<qint64>(0, e.createdAt.msecsTo(now)) / 1000 * 1000)),
                      sla, e.claimedBy.isEmpty() ? QStringLiteral("-") : e.claimedBy,
                      e.urgency.isEmpty() ? e.reason : QStringLiteral("URGENT (%1): %2").arg(e.urgency, e.reason)});
    }
    table.print(out());
    return ExitOk;
}

// The answer given with --choice (a value or its number) and --field NAME=VALUE; nullopt
// (after saying why) when it cannot be read.
std::optional<store::Decision> decisionFrom(const QCommandLineParser &parser, const QueueOptions &o,
                                            const store::ExceptionItem &exception, const QString &actor)
{
    const qint64 id = exception.id;
    store::Decision decision;
    decision.actor = actor;
    decision.note = parser.value(o.note);
    if (parser.isSet(o.choice)) {
        QString value = parser.value(o.choice);
        bool isNumber = false;
        const int number = value.toInt(&isNumber);
        const bool isValue = std::any_of(exception.choices.begin(), exception.choices.end(),
                                         [&](const HumanChoice &c) { return c.value == value; });
        if (isNumber && !isValue) {
            if (number < 1 || number > exception.choices.size()) {
                err() << "clerk queue resolve: choice " << number << " does not exist; exception " << id << " offers "
                      << exception.choices.size() << " choices (see clerk queue show " << id << ")\n";
                err().flush();
                return std::nullopt;
            }
            value = exception.choices.at(number - 1).value;
        }
        decision.choice = value;
    }
    for (const QString &pair : parser.values(o.field)) {
        const qsizetype eq = pair.indexOf(QLatin1Char('='));
        if (eq <= 0) {
            err() << "clerk queue resolve: --field takes NAME=VALUE, got '" << pair << "'\n";
            err().flush();
            return std::nullopt;
        }
        decision.fields.insert(pair.left(eq).trimmed(), pair.mid(eq + 1));
    }
    if (decision.choice.isEmpty() && decision.fields.isEmpty()) {
        err() << "clerk queue resolve: give --choice and/or --field NAME=VALUE (see clerk queue show " << id << ")\n";
        err().flush();
        return std::nullopt;
    }
    return decision;
}

} // namespace

int queueCommand(const QStringList &arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QString::fromLatin1(kQueueUsage));
    CommonOptions common;
    common.addTo(parser);
    const QueueOptions o;
    o.addTo(parser);
    const QCommandLineOption &team = o.team, &botName = o.botName, &as = o.as, &claimFor = o.claimFor,
                             &reason = o.reason, &noContinue = o.noContinue, &all = o.all;
    parser.addPositionalArgument(QStringLiteral("action"), QStringLiteral("list, show, claim, release, resolve or reject."));
    parser.addPositionalArgument(QStringLiteral("id"), QStringLiteral("The exception item's id."), QStringLiteral("[ID]"));
    int exitCode = ExitOk;
    if (!parseCommand(parser, arguments, exitCode))
        return exitCode;

    const QStringList positional = parser.positionalArguments();
    const QString action = positional.value(0);
    const bool json = parser.isSet(common.json);
    static const QStringList actions{QStringLiteral("list"), QStringLiteral("show"), QStringLiteral("claim"),
                                     QStringLiteral("release"), QStringLiteral("resolve"), QStringLiteral("reject")};
    if (!actions.contains(action)) {
        err() << (action.isEmpty() ? QStringLiteral("clerk queue: name an action.\n")
                                   : QStringLiteral("clerk queue: unknown action '%1'.\n").arg(action))
              << kQueueUsage;
        err().flush();
        return ExitInvalid;
    }
    qint64 id = 0;
    const bool rejectAll = action == QLatin1String("reject") && parser.isSet(all);
    if (parser.isSet(all) && action != QLatin1String("reject")) {
        err() << "clerk queue " << action << ": --all is for reject only\n";
        err().flush();
        return ExitInvalid;
    }
    if (rejectAll) {
        if (positional.size() != 1 || parser.value(botName).trimmed().isEmpty()) {
            err() << "clerk queue reject --all: name the bot with --bot (and no exception id), e.g. clerk queue reject "
                     "--all --bot intake --reason \"not a form\"\n";
            err().flush();
            return ExitInvalid;
        }
    } else if (action != QLatin1String("list")) {
        if (positional.size() != 2) {
            err() << "clerk queue " << action << ": give one exception id, e.g. clerk queue " << action << " 12\n";
            err().flush();
            return ExitInvalid;
        }
        if (!parseId(positional.at(1), id))
            return ExitInvalid;
    }

    const QString location = databaseLocation(parser, common);
    auto opened = openStore(location);
    if (!opened)
        return storeError(opened.error());
    store::WorkStore &store = **opened;
    const QString actor = actorName(parser.value(as));

    if (rejectAll) {
        if (parser.value(reason).trimmed().isEmpty()) {
            err() << "clerk queue reject: give --reason \"...\" (it is kept in the audit trail)\n";
            err().flush();
            return ExitInvalid;
        }
        return rejectEvery(store, parser.value(botName).trimmed(), parser.value(team), actor, parser.value(reason), json);
    }

    if (action == QLatin1String("list"))
        return listExceptions(store, parser, o, json);

    auto exception = store.exception(id);
    if (!exception)
        return storeError(exception.error());

    if (action == QLatin1String("show")) {
        auto item = store.item(exception->itemId);
        if (json) {
            QJsonObject object = toJson(shownToPeople(*exception), true);
            if (item)
                object.insert(QStringLiteral("item"), toJson(*item, true));
            printJson(object);
        } else {
            printException(shownToPeople(*exception), item ? &*item : nullptr);
        }
        return ExitOk;
    }
    if (action == QLatin1String("claim")) {
        auto duration = parseDuration(parser.value(claimFor));
        if (!duration)
            return storeError(duration.error());
        if (auto claimed = store.claim(id, actor, *duration); !claimed)
            return storeError(claimed.error());
        out() << "exception " << id << " claimed by " << actor << " for " << formatDuration(*duration) << "\n";
        out().flush();
        return ExitOk;
    }
    if (action == QLatin1String("release")) {
        if (auto released = store.releaseClaim(id, actor); !released)
            return storeError(released.error());
        out() << "exception " << id << " released\n";
        out().flush();
        return ExitOk;
    }
    if (action == QLatin1String("reject")) {
        if (!parser.isSet(reason) || parser.value(reason).trimmed().isEmpty()) {
            err() << "clerk queue reject: give --reason \"...\" (it is kept in the audit trail)\n";
            err().flush();
            return ExitInvalid;
        }
        auto itemId = store.reject(id, actor, parser.value(reason));
        if (!itemId)
            return storeError(itemId.error());
        out() << "exception " << id << " rejected; item " << *itemId << " cancelled\n";
        out().flush();
        return ExitOk;
    }

    // resolve
    const auto decision = decisionFrom(parser, o, *exception, actor);
    if (!decision)
        return ExitInvalid;
    auto checked = checkedAnswer(store, *exception, *decision, parser.values(common.connectors));
    if (!checked) {
        if (checked.error().code() != ErrorCode::InvalidArgument)
            return storeError(checked.error());
        err() << "clerk queue resolve: answer refused: " << checked.error().message() << "\n";
        err().flush();
        return ExitInvalid;
    }
    auto itemId = store.resolve(id, *checked);
    if (!itemId)
        return storeError(itemId.error());
    if (!json) {
        out() << "exception " << id << " resolved by " << actor << "; item " << *itemId << " resumes\n";
        out().flush();
    }
    if (parser.isSet(noContinue))
        return ExitOk;
    return continueItem(store, *itemId, json, parser.values(common.connectors));
}

} // namespace clerk::app
