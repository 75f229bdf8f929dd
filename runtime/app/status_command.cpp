// clerk status: items per bot and state, and each team's exception queue.
// clerk item show|retry ID: one work item's history; re-run a failed or cancelled item.
#include "cli_support.h"
#include "commands.h"

#include "engine/engine.h"

#include <QJsonArray>

namespace clerk::app {

int statusCommand(const QStringList &arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Items per bot and state, and the exception queue of each team."));
    CommonOptions common;
    common.addTo(parser);
    int exitCode = ExitOk;
    if (!parseCommand(parser, arguments, exitCode))
        return exitCode;
    auto store = openStore(databaseLocation(parser, common));
    if (!store) {
        err() << "clerk status: " << store.error().toString() << "\n";
        err().flush();
        return ExitInvalid;
    }
    auto summary = (*store)->summary();
    if (!summary) {
        err() << "clerk status: " << summary.error().toString() << "\n";
        err().flush();
        return ExitInvalid;
    }
    const QDateTime now = QDateTime::currentDateTimeUtc();
    if (parser.isSet(common.json)) {
        QJsonArray bots, teams;
        for (const store::BotCounts &b : summary->bots)
            bots.append(QJsonObject{{QStringLiteral("bot"), b.bot}, {QStringLiteral("queued"), b.queued},
                                    {QStringLiteral("leased"), b.leased}, {QStringLiteral("waiting_for_human"), b.waitingForHuman},
                                    {QStringLiteral("done"), b.done}, {QStringLiteral("failed"), b.failed},
                                    {QStringLiteral("cancelled"), b.cancelled}});
        for (const store::TeamQueue &t : summary->teams)
            teams.append(QJsonObject{{QStringLiteral("team"), t.team}, {QStringLiteral("open"), t.open},
                                     {QStringLiteral("breached"), t.breached},
                                     {QStringLiteral("oldest_created_at"), t.oldestCreatedAt.toString(Qt::ISODate)}});
        printJson(QJsonObject{{QStringLiteral("bots"), bots}, {QStringLiteral("teams"), teams}});
        return ExitOk;
    }
    if (summary->bots.isEmpty()) {
        out() << "No work items yet. Run a bot with: clerk run BOT.yaml --input PATH\n";
        out().flush();
        return ExitOk;
    }
    TextTable bots({QStringLiteral("BOT"), QStringLiteral("QUEUED"), QStringLiteral("RUNNING"), QStringLiteral("WAITING"),
                    QStringLiteral("DONE"), QStringLiteral("FAILED"), QStringLiteral("CANCELLED")});
    for (const store::BotCounts &b : summary->bots)
        bots.addRow({b.bot, QString::number(b.queued), QString::number(b.leased), QString::number(b.waitingForHuman),
                     QString::number(b.done), QString::number(b.failed), QString::number(b.cancelled)});
    bots.print(out());
    if (!summary->teams.isEmpty()) {
        out() << "\n";
        TextTable teams({QStringLiteral("TEAM"), QStringLiteral("OPEN"), QStringLiteral("PAST SLA"), QStringLiteral("OLDEST")});
        for (const store::TeamQueue &t : summary->teams)
            teams.addRow({t.team, QString::number(t.open), QString::number(t.breached), relativeTime(t.oldestCreatedAt, now)});
        teams.print(out());
    }
    return ExitOk;
}

namespace {

// An event's detail as "key=value, ..." for the history table; nested values as JSON.
QString detailText(const QJsonObject &detail)
{
    QStringList parts;
    for (auto it = detail.begin(); it != detail.end(); ++it) {
        const QJsonValue &value = it.value();
        QString text;
        if (value.isString())
            text = value.toString();
        else if (value.isDouble())
            text = QString::number(value.toDouble(), 'g', 12);
        else if (value.isBool())
            text = value.toBool() ? QStringLiteral("true") : QStringLiteral("false");
        else if (value.isObject())
            text = QString::fromUtf8(QJsonDocument(value.toObject()).toJson(QJsonDocument::Compact));
        else if (value.isArray())
            text = QString::fromUtf8(QJsonDocument(value.toArray()).toJson(QJsonDocument::Compact));
        parts.append(it.key() + u'=' + text.simplified());
    }
    return parts.join(QStringLiteral(", "));
}

} // namespace

int itemCommand(const QStringList &arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "clerk item show ID     the item's state, step outputs and history\n"
        "clerk item retry ID    put a failed or cancelled item back in the queue at the step where it\n"
        "                       stopped, and run it (with --no-continue: only requeue it)"));
    CommonOptions common;
    common.addTo(parser);
    QCommandLineOption as(QStringLiteral("as"), QStringLiteral("The person acting (default: $USER)."), QStringLiteral("name"));
    QCommandLineOption noContinue(QStringLiteral("no-continue"), QStringLiteral("Only requeue the item."));
    parser.addOptions({as, noContinue});
    parser.addPositionalArgument(QStringLiteral("action"), QStringLiteral("show or retry."));
    parser.addPositionalArgument(QStringLiteral("id"), QStringLiteral("The work item's id."));
    int exitCode = ExitOk;
    if (!parseCommand(parser, arguments, exitCode))
        return exitCode;
    const QStringList positional = parser.positionalArguments();
    bool ok = false;
    const qint64 id = positional.value(1).toLongLong(&ok);
    if (positional.size() != 2 || !ok || (positional[0] != QLatin1String("show") && positional[0] != QLatin1String("retry"))) {
        err() << "Usage: clerk item show|retry ID\n";
        err().flush();
        return ExitInvalid;
    }
    auto store = openStore(databaseLocation(parser, common));
    if (!store) {
        err() << "clerk item: " << store.error().toString() << "\n";
        err().flush();
        return ExitInvalid;
    }
    auto report = [](const Error &error) {
        err() << "clerk item: " << error.toString() << "\n";
        err().flush();
        return int(ExitInvalid);
    };

    if (positional[0] == QLatin1String("retry")) {
        if (auto requeued = (*store)->requeue(id, actorName(parser.value(as))); !requeued)
            return report(requeued.error());
        out() << "item " << id << " requeued\n";
        out().flush();
        if (parser.isSet(noContinue))
            return ExitOk;
        if (auto ran = continueBot(**store, id, parser.values(common.connectors)); !ran)
            return report(ran.error());
    }

    auto item = (*store)->item(id);
    if (!item)
        return report(item.error());
    auto events = (*store)->events(id);
    if (!events)
        return report(events.error());
    if (parser.isSet(common.json)) {
        QJsonObject object = toJson(*item, true);
        QJsonArray history;
        for (const store::Event &e : *events)
            history.append(QJsonObject{{QStringLiteral("at"), e.at.toString(Qt::ISODateWithMs)}, {QStringLiteral("kind"), e.kind},
                                       {QStringLiteral("actor"), e.actor}, {QStringLiteral("detail"), e.detail}});
        object.insert(QStringLiteral("events"), history);
        printJson(object);
        return ExitOk;
    }
    QTextStream &o = out();
    o << "Item " << item->id << "  " << item->bot << " v" << item->botVersion << "  " << toString(item->state) << "\n";
    o << "  source:   " << item->sourceRef << "\n";
    o << "  step:     " << item->stepCursor << "  attempts: " << item->attempts << "\n";
    if (!item->lastError.isEmpty())
        o << "  reason:   " << item->lastError << "\n";
    o << "Input:\n" << indentedText(item->payload, 2);
    o << "Step outputs:\n" << indentedText(item->stepOutputs, 2);
    o << "History:\n";
    TextTable table({QStringLiteral("AT"), QStringLiteral("EVENT"), QStringLiteral("BY"), QStringLiteral("DETAIL")});
    for (const store::Event &e : *events)
        table.addRow({e.at.toLocalTime().toString(QStringLiteral("yyyy-MM-dd HH:mm:ss.zzz")), e.kind, e.actor,
                      detailText(e.detail)});
    table.print(o);
    return item->state == ItemState::Failed ? ExitItemsFailed : ExitOk;
}

} // namespace clerk::app
