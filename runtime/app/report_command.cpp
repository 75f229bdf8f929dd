// clerk report: per bot and day, items arrived, done, straight through, sent to a person,
// failed and cancelled, the straight-through rate, the median minutes to done and the hours saved,
// then each bot's totals (and all bots' together). The figures are the dashboard's
// (runtime/report), so the two never disagree.
#include "cli_support.h"
#include "commands.h"

#include "core/reason_kind.h"
#include "core/duration.h"
#include "report/dashboard.h"

#include <QDir>
#include <QFileInfo>

#include <algorithm>
#include <cmath>

namespace clerk::app {

namespace {

const QTimeZone &london()
{
    static const QTimeZone zone(QByteArrayLiteral("Europe/London"));
    return zone;
}

// --since: "7d" is the last seven London calendar days, today included; a date is that
// day's midnight; other durations ("36h", "90m") count back from now.
Result<QDateTime> windowStart(const QString &since, const QDateTime &now)
{
    const QDate date = QDate::fromString(since, Qt::ISODate);
    if (date.isValid())
        return date.startOfDay(london()).toUTC();
    auto duration = parseDuration(since);
    if (!duration) {
        return fail(Error::invalidArgument(
            QStringLiteral("--since takes days (7d), another duration (12h) or a date (2026-11-01), not \"%1\"").arg(since)));
    }
    constexpr qint64 dayMs = 24LL * 3600 * 1000;
    if (duration->count() <= 0)
        return fail(Error::invalidArgument(QStringLiteral("--since must be longer than nothing")));
    if (duration->count() % dayMs == 0)
        return report::startOfDays(int(qMin<qint64>(duration->count() / dayMs, 3660)), now, london());
    return now.addMSecs(-duration->count());
}


// The bots' definitions: from the files given, else each bot's file as last stored in the
// database (what its items ran with). A stored file that no longer loads (a connector it
// names is missing here) counts 0 minutes, with a warning.
Result<QList<bot::BotDefinition>> loadDefinitions(store::WorkStore &store, const QStringList &given,
                                                  const QStringList &connectorDirs)
{
    const engine::StepRegistry registry = engine::StepRegistry::builtIn();
    QList<bot::BotDefinition> bots;
    if (!given.isEmpty()) {
        const QStringList files = botFilesIn(given);
        if (files.isEmpty())
            return fail(Error::invalidArgument(QStringLiteral("no bot files in %1").arg(given.join(QStringLiteral(", ")))));
        bot::Diagnostics connectorDiagnostics;
        const bot::ConnectorSet connectors = loadConnectors(files, connectorDirs, connectorDiagnostics);
        for (const QString &file : files) {
            auto loaded = loadBotOrReport(file, registry, connectors);
            if (!loaded)
                return fail(Error::invalidArgument(QStringLiteral("bot file %1 does not load (see above)").arg(file)));
            bots.append(*loaded);
        }
        return bots;
    }

    auto latest = store.latestDefinitions();
    if (!latest)
        return fail(latest.error());
    for (const store::StoredDefinitionRef &ref : *latest) {
        auto stored = store.definition(ref.digest);
        if (!stored)
            return fail(stored.error());
        bot::Diagnostics ignored;
        const QStringList beside = stored->baseDir.isEmpty()
            ? QStringList()
            : QStringList{QDir(stored->baseDir).absoluteFilePath(QStringLiteral("bot.yaml"))};
        const bot::ConnectorSet connectors = loadConnectors(beside, connectorDirs, ignored);
        bot::BotLoad load = bot::loadBotText(stored->source, QStringLiteral("%1 (stored)").arg(ref.bot), registry.catalog(),
                                             connectors, stored->baseDir);
        if (!load.bot) {
            err() << "clerk report: warning: the stored file of bot " << ref.bot
                  << " does not load here, so its hours saved show as 0; give its file with --bots\n";
            err().flush();
            continue;
        }
        bots.append(*load.bot);
    }
    return bots;
}

QString rate(const std::optional<double> &value)
{
    return value ? QString::number(*value * 100.0, 'f', 1) + QLatin1Char('%') : QStringLiteral("-");
}

QString decimal(const std::optional<double> &value, int decimals)
{
    return value ? QString::number(*value, 'f', decimals) : QStringLiteral("-");
}

struct Row {
    QString bot;
    QString day;
    report::BotFigures figures;
};

// Every bot's days then its total, and a total of all bots when there are several.
QList<Row> rowsOf(const report::Dashboard &dashboard, double costPerHour)
{
    QList<Row> rows;
    store::DayFigures all{.bot = QStringLiteral("all bots")};
    double hours = 0;
    for (const report::BotFigures &total : dashboard.bots) {
        for (const report::BotFigures &day : dashboard.days) {
            if (day.counts.bot == total.counts.bot)
                rows.append({day.counts.bot, day.counts.day.toString(Qt::ISODate), day});
        }
        rows.append({total.counts.bot, QStringLiteral("total"), total});
        all.arrived += total.counts.arrived;
        all.done += total.counts.done;
        all.straightThrough += total.counts.straightThrough;
        all.afterPerson += total.counts.afterPerson;
        all.toPerson += total.counts.toPerson;
        all.failed += total.counts.failed;
        all.cancelled += total.counts.cancelled;
        hours += total.hoursSaved;
    }
    if (dashboard.bots.size() > 1) {
        // No median across bots: their items are not alike.
        report::BotFigures figures{.counts = all, .hoursSaved = hours};
        if (all.done > 0)
            figures.straightThroughRate = double(all.straightThrough) / double(all.done);
        if (costPerHour > 0)
            figures.costSaved = hours * costPerHour;
        rows.append({all.bot, QStringLiteral("total"), figures});
    }
    return rows;
}

QStringList cells(const Row &row, bool withCost, bool forCsv)
{
    const store::DayFigures &c = row.figures.counts;
    QStringList values{row.bot,
                       row.day,
                       QString::number(c.arrived),
                       QString::number(c.done),
                       QString::number(c.straightThrough),
                       QString::number(c.toPerson),
                       QString::number(c.failed),
                       QString::number(c.cancelled),
                       forCsv ? decimal(row.figures.straightThroughRate, 3) : rate(row.figures.straightThroughRate),
                       decimal(c.medianMinutesToDone, 1),
                       QString::number(row.figures.hoursSaved, 'f', 1)};
    if (withCost)
        values.append(decimal(row.figures.costSaved, 2));
    if (forCsv) {
        for (QString &value : values) {
            if (value == QLatin1String("-"))
                value.clear();
        }
    }
    return values;
}

// A CSV field, quoted when it holds a comma, a quote or a line break.
QString csvField(const QString &value)
{
    if (!value.contains(QLatin1Char(',')) && !value.contains(QLatin1Char('"')) && !value.contains(QLatin1Char('\n')))
        return value;
    QString quoted = value;
    quoted.replace(QLatin1Char('"'), QLatin1String("\"\""));
    return QLatin1Char('"') + quoted + QLatin1Char('"');
}


// Why items went to people: per bot, step, kind of reason and the bot's category, most first.
void printReasons(const QList<store::ExceptionReasons> &reasons)
{
    if (reasons.isEmpty())
        return;
    out() << "\nWhy items went to people\n";
    TextTable table({QStringLiteral("BOT"), QStringLiteral("STEP"), QStringLiteral("REASON"), QStringLiteral("CATEGORY"),
                     QStringLiteral("OPENED"), QStringLiteral("STILL OPEN")});
    for (const store::ExceptionReasons &row : reasons) {
        table.addRow({row.bot, row.stepId, label(reasonKindFromString(row.kind).value_or(ReasonKind::Other)),
                      row.category.isEmpty() ? QStringLiteral("-") : row.category, QString::number(row.opened),
                      QString::number(row.open)});
    }
    table.print(out());
}

// Acknowledgements and other notices: per bot and day, sent and failed by outcome.
void printNotices(const QList<store::NoticeFigures> &notices)
{
    if (notices.isEmpty())
        return;
    out() << "\nAcknowledgements and notices\n";
    QStringList header{QStringLiteral("BOT"), QStringLiteral("DAY")};
    for (const NoticeOutcome outcome : noticeOutcomes())
        header.append(label(outcome).toUpper());
    TextTable table(header);
    for (const store::NoticeFigures &row : notices) {
        QStringList cells{row.bot, row.day.toString(Qt::ISODate)};
        for (const NoticeOutcome outcome : noticeOutcomes())
            cells.append(QString::number(row.count(outcome)));
        table.addRow(cells);
    }
    table.print(out());
}

// Match steps that learn their weights: answers against those at which the next
// challenger is trained, the weights in use, and the last challenger's verdict.
void printMatchLearning(const QList<report::MatchLearningProgress> &matches)
{
    if (matches.isEmpty())
        return;
    out() << "\nMatch steps learning their weights\n";
    TextTable table({QStringLiteral("BOT"), QStringLiteral("STEP"), QStringLiteral("ANSWERS"),
                     QStringLiteral("NEXT CHALLENGER AT"), QStringLiteral("MORE NEEDED"), QStringLiteral("WEIGHTS"),
                     QStringLiteral("LAST CHALLENGER")});
    for (const report::MatchLearningProgress &progress : matches) {
        QString weights = progress.version > 0 ? QStringLiteral("version %1").arg(progress.version)
                                               : QStringLiteral("the bot file's");
        if (!progress.modelProblem.isEmpty())
            weights = QStringLiteral("unreadable");
        QString last = QStringLiteral("none trained yet");
        if (progress.lastChallenger) {
            last = QStringLiteral("%1 %2 (%3 answers)")
                       .arg(progress.lastChallenger->promoted ? QStringLiteral("promoted") : QStringLiteral("refused"),
                            progress.lastChallenger->at.toUTC().toString(QStringLiteral("yyyy-MM-dd HH:mm")))
                       .arg(progress.lastChallenger->answers);
        }
        table.addRow({progress.bot, progress.stepId, QString::number(progress.answered),
                      QString::number(progress.nextChallengerAt()),
                      QString::number(std::max<qint64>(0, progress.nextChallengerAt() - progress.answered)), weights, last});
    }
    table.print(out());
}

// Learning bots: live precision from quality checks, and answers still needed.
void printLearning(const report::LearningQuality &learning)
{
    const auto percent = [](double value) -> QString { return QString::number(100.0 * value, 'f', 1) + QLatin1Char('%'); };
    if (!learning.live.isEmpty()) {
        out() << "\nLive precision from quality checks (90% bounds)\n";
        TextTable table({QStringLiteral("BOT"), QStringLiteral("CATEGORY"), QStringLiteral("CHECKS"), QStringLiteral("RIGHT"),
                         QStringLiteral("PRECISION"), QStringLiteral("LOWER"), QStringLiteral("UPPER"), QStringLiteral("TARGET")});
        for (const report::LiveQuality &quality : learning.live) {
            QList<store::LivePrecision> rows{quality.all};
            rows.append(quality.categories);
            for (const store::LivePrecision &row : rows) {
                const bool all = row.category.isEmpty();
                QString target = all && quality.targetPrecision ? percent(*quality.targetPrecision) : QString();
                if (all && quality.belowTarget())
                    target += QStringLiteral(" (below)");
                table.addRow({row.bot, all ? QStringLiteral("(all)") : row.category, QString::number(row.checks),
                              QString::number(row.right), row.precision() ? percent(*row.precision()) : QStringLiteral("-"),
                              percent(row.lowerBound), percent(row.upperBound), target});
            }
        }
        table.print(out());
    }
    if (!learning.progress.isEmpty()) {
        out() << "\nLearning steps: answers so far and the fewest that can prove the target\n";
        TextTable table({QStringLiteral("BOT"), QStringLiteral("STEP"), QStringLiteral("ANSWERS"), QStringLiteral("NEEDED"),
                         QStringLiteral("MORE NEEDED"), QStringLiteral("TARGET")});
        for (const report::LearningProgress &progress : learning.progress) {
            table.addRow({progress.bot, progress.stepId, QString::number(progress.answered),
                          progress.needed < 0 ? QStringLiteral("never") : QString::number(progress.needed),
                          progress.needed < 0 ? QStringLiteral("-") : QString::number(progress.moreNeeded()),
                          QStringLiteral("%1 at %2").arg(percent(progress.targetPrecision), percent(progress.confidence))});
        }
        table.print(out());
    }
    printMatchLearning(learning.matches);
}

} // namespace

int reportCommand(const QStringList &arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Per bot and day: items arrived, done, done straight through (no person involved), sent to a\n"
        "person, failed and cancelled (rejected by a person); the straight-through rate (straight\n"
        "through / done), the median minutes from arrival to done, and the hours saved; then each\n"
        "bot's totals. Days are London days.\n"
        "\n"
        "Hours saved = the bot's manual_minutes (a person's minutes per item, from its bot file) x the\n"
        "items it did straight through / 60. manual_minutes comes from the bot files given with\n"
        "--bots; without --bots, from each bot's file as its items last stored it in the database.\n"
        "See docs/operations.md."));
    CommonOptions common;
    common.addTo(parser);
    QCommandLineOption since(QStringLiteral("since"),
                             QStringLiteral("The window: 7d is the last 7 days, today included (from midnight); 12h "
                                            "counts back from now; or a date such as 2026-11-01. Default: 7d."),
                             QStringLiteral("when"), QStringLiteral("7d"));
    QCommandLineOption botOption(QStringLiteral("bot"), QStringLiteral("Only this bot."), QStringLiteral("name"));
    QCommandLineOption format(QStringLiteral("format"), QStringLiteral("table (default), csv or json (as the web "
                                                                       "dashboard's API)."),
                              QStringLiteral("format"), QStringLiteral("table"));
    QCommandLineOption bots(QStringLiteral("bots"),
                            QStringLiteral("Bot files, or folders of them, to read manual_minutes from (repeatable; "
                                           "further file arguments count too)."),
                            QStringLiteral("path"));
    QCommandLineOption costPerHour(QStringLiteral("cost-per-hour"),
                                   QStringLiteral("What an hour of a person's time costs: adds the cost saved. "
                                                  "Default: 0, not shown."),
                                   QStringLiteral("amount"), QStringLiteral("0"));
    parser.addOptions({since, botOption, format, bots, costPerHour});
    parser.addPositionalArgument(QStringLiteral("files"), QStringLiteral("More bot files for --bots."),
                                 QStringLiteral("[FILE...]"));
    int exitCode = ExitOk;
    if (!parseCommand(parser, arguments, exitCode))
        return exitCode;
    const auto complain = [](const QString &message) {
        err() << "clerk report: " << message << "\n";
        err().flush();
        return int(ExitInvalid);
    };

    const QString style = parser.isSet(common.json) ? QStringLiteral("json") : parser.value(format);
    if (style != QLatin1String("table") && style != QLatin1String("csv") && style != QLatin1String("json"))
        return complain(QStringLiteral("--format is table, csv or json, not \"%1\"").arg(style));
    bool costOk = false;
    const double cost = parser.value(costPerHour).toDouble(&costOk);
    if (!costOk || cost < 0 || !std::isfinite(cost))
        return complain(QStringLiteral("--cost-per-hour takes an amount such as 25.50, not \"%1\"")
                            .arg(parser.value(costPerHour)));
    const QStringList botPaths = parser.values(bots) + parser.positionalArguments();
    if (!parser.positionalArguments().isEmpty() && !parser.isSet(bots))
        return complain(QStringLiteral("bot files follow --bots: clerk report --bots FILE..."));

    const QDateTime now = QDateTime::currentDateTimeUtc();
    auto start = windowStart(parser.value(since), now);
    if (!start)
        return complain(start.error().toString());

    auto store = openStore(databaseLocation(parser, common));
    if (!store)
        return complain(store.error().toString());
    auto definitions = loadDefinitions(**store, botPaths, parser.values(common.connectors));
    if (!definitions)
        return complain(definitions.error().toString());
    auto figures = report::dashboard(**store, *definitions,
                                     {.since = *start, .bot = parser.value(botOption), .costPerHour = cost, .now = now});
    if (!figures)
        return complain(figures.error().toString());

    if (style == QLatin1String("json")) {
        printJson(report::toJson(*figures));
        return ExitOk;
    }
    const bool withCost = cost > 0;
    const QList<Row> rows = rowsOf(*figures, cost);
    if (style == QLatin1String("csv")) {
        QStringList header{QStringLiteral("bot"), QStringLiteral("day"), QStringLiteral("arrived"), QStringLiteral("done"),
                           QStringLiteral("straight_through"), QStringLiteral("to_person"), QStringLiteral("failed"),
                           QStringLiteral("cancelled"), QStringLiteral("straight_through_rate"), QStringLiteral("median_minutes_to_done"),
                           QStringLiteral("hours_saved")};
        if (withCost)
            header.append(QStringLiteral("cost_saved"));
        out() << header.join(QLatin1Char(',')) << "\n";
        for (const Row &row : rows) {
            QStringList fields;
            for (const QString &value : cells(row, withCost, true))
                fields.append(csvField(value));
            out() << fields.join(QLatin1Char(',')) << "\n";
        }
        out().flush();
        return ExitOk;
    }

    if (rows.isEmpty()) {
        out() << "Nothing to report since " << figures->since.toTimeZone(london()).toString(QStringLiteral("yyyy-MM-dd HH:mm"))
              << " (London time). Run a bot with: clerk run BOT.yaml --input PATH\n";
        out().flush();
        return ExitOk;
    }
    out() << "Since " << figures->since.toTimeZone(london()).toString(QStringLiteral("yyyy-MM-dd HH:mm"))
          << " London time\n";
    QStringList header{QStringLiteral("BOT"), QStringLiteral("DAY"), QStringLiteral("ARRIVED"), QStringLiteral("DONE"),
                       QStringLiteral("STRAIGHT"), QStringLiteral("TO PERSON"), QStringLiteral("FAILED"),
                       QStringLiteral("CANCELLED"), QStringLiteral("STRAIGHT %"), QStringLiteral("MEDIAN MIN"), QStringLiteral("HOURS SAVED")};
    if (withCost)
        header.append(QStringLiteral("COST SAVED"));
    TextTable table(header);
    for (const Row &row : rows)
        table.addRow(cells(row, withCost, false));
    table.print(out());
    printReasons(figures->reasons);
    printNotices(figures->notices);
    printLearning(figures->learning);
    out().flush();
    return ExitOk;
}

} // namespace clerk::app
