#include "report/prometheus_text.h"

#include <QHash>
#include <QLocale>
#include <QSet>

#include <algorithm>

using namespace std::chrono_literals;

namespace clerk::report {

namespace {

QString number(double value)
{
    return QString::number(value, 'g', QLocale::FloatingPointShortest);
}

QString escapeHelp(const QString &text)
{
    QString escaped = text;
    escaped.replace(QLatin1Char('\\'), QLatin1String("\\\\"));
    escaped.replace(QLatin1Char('\n'), QLatin1String("\\n"));
    return escaped;
}

// Writes one metric family.
class Family {
public:
    Family(QString &out, const QString &name, const QString &type, const QString &help) : m_out(out), m_name(name)
    {
        m_out += QStringLiteral("# HELP %1 %2\n# TYPE %1 %3\n").arg(name, escapeHelp(help), type);
    }
    // A sample of this family (`suffix` for a histogram's _bucket, _sum, _count).
    void sample(const QList<std::pair<QString, QString>> &labels, const QString &value, const QString &suffix = {})
    {
        m_out += m_name + suffix;
        if (!labels.isEmpty()) {
            QStringList pairs;
            for (const auto &[label, labelValue] : labels)
                pairs.append(label + QStringLiteral("=\"") + escapeLabelValue(labelValue) + QLatin1Char('"'));
            m_out += QLatin1Char('{') + pairs.join(QLatin1Char(',')) + QLatin1Char('}');
        }
        m_out += QLatin1Char(' ') + value + QLatin1Char('\n');
    }

private:
    QString &m_out;
    QString m_name;
};

} // namespace

QList<std::chrono::milliseconds> itemDurationBuckets()
{
    return {10s, 30s, 1min, 5min, 15min, 30min, 1h, 4h, 8h, 24h, 72h, 168h};
}

QString escapeLabelValue(const QString &value)
{
    QString escaped;
    escaped.reserve(value.size());
    for (const QChar c : value) {
        if (c == QLatin1Char('\\'))
            escaped += QLatin1String("\\\\");
        else if (c == QLatin1Char('"'))
            escaped += QLatin1String("\\\"");
        else if (c == QLatin1Char('\n'))
            escaped += QLatin1String("\\n");
        else
            escaped += c;
    }
    return escaped;
}

namespace {

// Quality checks: counters per bot and category (the bot's are their sum); the bounds
// per bot. Bots without an answered check have no samples.
void appendLiveQuality(QString &out, const QList<store::LivePrecision> &live)
{
    const auto category = [](const store::LivePrecision &row) {
        return QList<std::pair<QString, QString>>{{QStringLiteral("bot"), row.bot}, {QStringLiteral("category"), row.category}};
    };
    {
        Family family(out, QStringLiteral("clerk_quality_checks_total"), QStringLiteral("counter"),
                      QStringLiteral("Answered quality checks (sure decisions a person answered blind), per bot and the bot's category."));
        for (const store::LivePrecision &row : live) {
            if (!row.category.isEmpty())
                family.sample(category(row), QString::number(row.checks));
        }
    }
    {
        Family family(out, QStringLiteral("clerk_quality_checks_right_total"), QStringLiteral("counter"),
                      QStringLiteral("Answered quality checks where the person gave the bot's category, per bot and category."));
        for (const store::LivePrecision &row : live) {
            if (!row.category.isEmpty())
                family.sample(category(row), QString::number(row.right));
        }
    }
    {
        Family family(out, QStringLiteral("clerk_live_precision_lower_bound"), QStringLiteral("gauge"),
                      QStringLiteral("One-sided 90% Clopper-Pearson lower bound of the precision measured by quality checks, per bot."));
        for (const store::LivePrecision &row : live) {
            if (row.category.isEmpty())
                family.sample({{QStringLiteral("bot"), row.bot}}, number(row.lowerBound));
        }
    }
    {
        Family family(out, QStringLiteral("clerk_live_precision_upper_bound"), QStringLiteral("gauge"),
                      QStringLiteral("One-sided 90% Clopper-Pearson upper bound of the precision measured by quality checks, per bot."));
        for (const store::LivePrecision &row : live) {
            if (row.category.isEmpty())
                family.sample({{QStringLiteral("bot"), row.bot}}, number(row.upperBound));
        }
    }
}

// Why items went to people, by bot, step, kind of reason and category.
void appendReasons(QString &out, const QList<store::ExceptionReasons> &reasons)
{
    {
        Family family(out, QStringLiteral("clerk_exceptions_by_reason_total"), QStringLiteral("counter"),
                      QStringLiteral("Exception items opened (items sent to a person), by bot, step, kind of reason "
                                     "(low_confidence, unreadable, missing_value, no_match, refused, always_person, "
                                     "quality_check, shadow, other) and the category the bot had in mind."));
        for (const store::ExceptionReasons &row : reasons) {
            family.sample({{QStringLiteral("bot"), row.bot},
                           {QStringLiteral("step"), row.stepId},
                           {QStringLiteral("reason"), row.kind},
                           {QStringLiteral("category"), row.category}},
                          QString::number(row.opened));
        }
    }
}

// What became of the notices bots sent, by bot and outcome; every outcome of a bot that
// tried to send one, zeros included.
void appendNotices(QString &out, const QList<store::NoticeFigures> &notices)
{
    Family family(out, QStringLiteral("clerk_notifications_total"), QStringLiteral("counter"),
                  QStringLiteral("Attempts to send a notice (an acknowledgement or letter by email), by bot and outcome: "
                                 "sent, refused (the mail server refused the recipient or message), bounced (a "
                                 "delivery failure report came back), server_error (no server, try later, a refused "
                                 "sign-in or TLS), unsendable (not one address, a broken subject). A message re-sent "
                                 "after a crash counts once."));
    for (const store::NoticeFigures &row : notices) {
        for (const NoticeOutcome outcome : noticeOutcomes())
            family.sample({{QStringLiteral("bot"), row.bot}, {QStringLiteral("outcome"), toString(outcome)}},
                          QString::number(row.count(outcome)));
    }
}

} // namespace

QByteArray prometheusText(const QList<store::BotLifetimeFigures> &figures, const QList<store::TeamQueue> &queues,
                          const QList<bot::BotDefinition> &bots, const QDateTime &now,
                          const QList<store::LivePrecision> &live, const QList<store::ExceptionReasons> &reasons,
                          const QList<store::NoticeFigures> &notices)
{
    // Every bot given shows, with zeros until it has items, so alerts and graphs find
    // its series from the start.
    QList<store::BotLifetimeFigures> rows = figures;
    QHash<QString, double> minutes;
    for (const bot::BotDefinition &definition : bots) {
        minutes.insert(definition.name, definition.manualMinutes);
        const bool known = std::any_of(rows.begin(), rows.end(), [&](const store::BotLifetimeFigures &row) {
            return row.bot == definition.name;
        });
        if (!known && !definition.name.isEmpty()) {
            rows.append(store::BotLifetimeFigures{
                .bot = definition.name, .durationAtMost = QList<qint64>(itemDurationBuckets().size(), 0)});
        }
    }
    std::sort(rows.begin(), rows.end(),
              [](const store::BotLifetimeFigures &a, const store::BotLifetimeFigures &b) { return a.bot < b.bot; });

    QString out;
    const auto bot = [](const store::BotLifetimeFigures &row) { return std::pair{QStringLiteral("bot"), row.bot}; };

    {
        Family family(out, QStringLiteral("clerk_items_arrived_total"), QStringLiteral("counter"),
                      QStringLiteral("Work items that arrived (were enqueued), per bot."));
        for (const auto &row : rows)
            family.sample({bot(row)}, QString::number(row.arrived));
    }
    {
        Family family(out, QStringLiteral("clerk_items_total"), QStringLiteral("counter"),
                      QStringLiteral("Work items that ended, per bot and outcome: straight_through (done, no person "
                                     "involved), after_person (done after a person answered), failed, cancelled "
                                     "(rejected by a person)."));
        for (const auto &row : rows) {
            family.sample({bot(row), {QStringLiteral("outcome"), QStringLiteral("straight_through")}},
                          QString::number(row.straightThrough));
            family.sample({bot(row), {QStringLiteral("outcome"), QStringLiteral("after_person")}},
                          QString::number(row.afterPerson));
            family.sample({bot(row), {QStringLiteral("outcome"), QStringLiteral("failed")}}, QString::number(row.failed));
            family.sample({bot(row), {QStringLiteral("outcome"), QStringLiteral("cancelled")}},
                          QString::number(row.cancelled));
        }
    }
    {
        Family family(out, QStringLiteral("clerk_exceptions_opened_total"), QStringLiteral("counter"),
                      QStringLiteral("Exception items opened (questions sent to a person), per bot."));
        for (const auto &row : rows)
            family.sample({bot(row)}, QString::number(row.exceptionsOpened));
    }
    {
        Family family(out, QStringLiteral("clerk_item_duration_seconds"), QStringLiteral("histogram"),
                      QStringLiteral("Time from a work item's arrival to done, including any wait for a person, "
                                     "per bot."));
        const QList<std::chrono::milliseconds> buckets = itemDurationBuckets();
        for (const auto &row : rows) {
            for (qsizetype i = 0; i < buckets.size(); ++i) {
                family.sample({bot(row), {QStringLiteral("le"), number(double(buckets.at(i).count()) / 1000.0)}},
                              QString::number(row.durationAtMost.value(i)), QStringLiteral("_bucket"));
            }
            family.sample({bot(row), {QStringLiteral("le"), QStringLiteral("+Inf")}}, QString::number(row.durationCount),
                          QStringLiteral("_bucket"));
            family.sample({bot(row)}, number(row.durationSecondsSum), QStringLiteral("_sum"));
            family.sample({bot(row)}, QString::number(row.durationCount), QStringLiteral("_count"));
        }
    }
    {
        // Seconds, not hours: Prometheus wants base units (promtool rejects "hours"); a graph
        // divides by 3600.
        Family family(out, QStringLiteral("clerk_time_saved_seconds_total"), QStringLiteral("counter"),
                      QStringLiteral("A person's working time saved, per bot: the bot's manual_minutes times the "
                                     "items it did straight through, in seconds."));
        for (const auto &row : rows)
            family.sample({bot(row)}, number(minutes.value(row.bot) * 60.0 * double(row.straightThrough)));
    }

    const auto team = [](const store::TeamQueue &queue) { return std::pair{QStringLiteral("team"), queue.team}; };
    {
        Family family(out, QStringLiteral("clerk_exception_queue_items"), QStringLiteral("gauge"),
                      QStringLiteral("Exception items waiting for a person's decision (open or claimed), per team."));
        for (const auto &queue : queues)
            family.sample({team(queue)}, QString::number(queue.open));
    }
    {
        Family family(out, QStringLiteral("clerk_exception_queue_breached_items"), QStringLiteral("gauge"),
                      QStringLiteral("Undecided exception items past their SLA due time, per team."));
        for (const auto &queue : queues)
            family.sample({team(queue)}, QString::number(queue.breached));
    }
    {
        Family family(out, QStringLiteral("clerk_exception_queue_oldest_age_seconds"), QStringLiteral("gauge"),
                      QStringLiteral("Age of the oldest undecided exception item, per team; 0 when none waits."));
        for (const auto &queue : queues) {
            const qint64 age = queue.oldestCreatedAt.isValid() ? qMax<qint64>(0, queue.oldestCreatedAt.secsTo(now)) : 0;
            family.sample({team(queue)}, QString::number(age));
        }
    }

    appendLiveQuality(out, live);
    appendReasons(out, reasons);
    appendNotices(out, notices);
    return out.toUtf8();
}

Result<QByteArray> prometheusText(store::Figures &store, const QList<bot::BotDefinition> &bots)
{
    auto figures = store.lifetimeFigures(itemDurationBuckets());
    if (!figures)
        return fail(figures.error());
    auto queues = store.exceptionQueues();
    if (!queues)
        return fail(queues.error());
    auto live = store.livePrecision({}, {});
    if (!live)
        return fail(live.error());
    auto reasons = store.exceptionReasons({});
    if (!reasons)
        return fail(reasons.error());
    auto notices = store.noticeFigures({}, false);
    if (!notices)
        return fail(notices.error());
    return prometheusText(*figures, *queues, bots, QDateTime::currentDateTimeUtc(), *live, *reasons, *notices);
}

} // namespace clerk::report
