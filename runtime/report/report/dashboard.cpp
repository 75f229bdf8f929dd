#include "report/dashboard.h"

#include "core/reason_kind.h"

#include <QJsonArray>
#include <QSet>

#include <algorithm>
#include <cmath>

namespace clerk::report {

namespace {

double rounded(double value, int decimals)
{
    const double scale = std::pow(10.0, decimals);
    return std::round(value * scale) / scale;
}

QJsonValue orNull(const std::optional<double> &value, int decimals)
{
    return value ? QJsonValue(rounded(*value, decimals)) : QJsonValue(QJsonValue::Null);
}

BotFigures figuresOf(const store::DayFigures &counts, double manualMinutes, double costPerHour)
{
    BotFigures figures{.counts = counts, .manualMinutes = manualMinutes};
    if (counts.done > 0)
        figures.straightThroughRate = double(counts.straightThrough) / double(counts.done);
    figures.hoursSaved = manualMinutes * double(counts.straightThrough) / 60.0;
    if (costPerHour > 0)
        figures.costSaved = figures.hoursSaved * costPerHour;
    return figures;
}

QJsonObject countsJson(const BotFigures &figures)
{
    const store::DayFigures &c = figures.counts;
    QJsonObject object;
    object.insert(QStringLiteral("bot"), c.bot);
    object.insert(QStringLiteral("arrived"), c.arrived);
    object.insert(QStringLiteral("done"), c.done);
    object.insert(QStringLiteral("straight_through"), c.straightThrough);
    object.insert(QStringLiteral("to_person"), c.toPerson);
    object.insert(QStringLiteral("failed"), c.failed);
    object.insert(QStringLiteral("straight_through_rate"), orNull(figures.straightThroughRate, 3));
    object.insert(QStringLiteral("hours_saved"), rounded(figures.hoursSaved, 1));
    return object;
}

QJsonObject precisionJson(const store::LivePrecision &row)
{
    return QJsonObject{{QStringLiteral("checks"), row.checks},
                       {QStringLiteral("right"), row.right},
                       {QStringLiteral("precision"), orNull(row.precision(), 4)},
                       {QStringLiteral("lower_bound"), rounded(row.lowerBound, 4)},
                       {QStringLiteral("upper_bound"), rounded(row.upperBound, 4)}};
}

} // namespace

QDateTime startOfDays(int days, const QDateTime &now, const QTimeZone &zone)
{
    const QDate today = now.toTimeZone(zone).date();
    return today.addDays(-(qint64(days) - 1)).startOfDay(zone).toUTC();
}

QJsonObject reasonJson(const store::ExceptionReasons &row)
{
    const std::optional<ReasonKind> kind = reasonKindFromString(row.kind);
    return {{QStringLiteral("bot"), row.bot},
            {QStringLiteral("step"), row.stepId},
            {QStringLiteral("reason"), row.kind},
            {QStringLiteral("label"), label(kind.value_or(ReasonKind::Other))},
            {QStringLiteral("category"), row.category.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(row.category)},
            {QStringLiteral("opened"), row.opened},
            {QStringLiteral("open"), row.open}};
}

QJsonObject noticeJson(const store::NoticeFigures &row)
{
    QJsonObject object{{QStringLiteral("bot"), row.bot},
                       {QStringLiteral("day"), row.day.isValid() ? QJsonValue(row.day.toString(Qt::ISODate)) : QJsonValue()},
                       {QStringLiteral("failed"), row.failedTotal()}};
    for (const NoticeOutcome outcome : noticeOutcomes())
        object.insert(toString(outcome), row.count(outcome));
    return object;
}

QJsonObject matchLearningJson(const MatchLearningProgress &progress)
{
    QJsonObject row{{QStringLiteral("kind"), QStringLiteral("match")},
                    {QStringLiteral("bot"), progress.bot},
                    {QStringLiteral("step"), progress.stepId},
                    {QStringLiteral("answered"), progress.answered},
                    {QStringLiteral("min_answers"), progress.minAnswers},
                    {QStringLiteral("more_needed"), progress.moreNeeded()},
                    {QStringLiteral("every"), progress.every},
                    {QStringLiteral("next_challenger_at"), progress.nextChallengerAt()},
                    {QStringLiteral("model"), progress.model.isEmpty() ? QJsonValue() : QJsonValue(progress.model)},
                    {QStringLiteral("version"), progress.version > 0 ? QJsonValue(progress.version) : QJsonValue()},
                    {QStringLiteral("last_challenger"), QJsonValue()}};
    if (!progress.modelProblem.isEmpty())
        row.insert(QStringLiteral("model_problem"), progress.modelProblem);
    if (const auto &last = progress.lastChallenger) {
        row.insert(QStringLiteral("last_challenger"),
                   QJsonObject{{QStringLiteral("at"), last->at.toUTC().toString(Qt::ISODateWithMs)},
                               {QStringLiteral("promoted"), last->promoted},
                               {QStringLiteral("model"), last->model},
                               {QStringLiteral("answers"), last->answers},
                               {QStringLiteral("reason"), last->reason}});
    }
    return row;
}

Result<DashboardQuery> dashboardQueryFrom(const QUrlQuery &query)
{
    DashboardQuery parsed;
    parsed.bot = query.queryItemValue(QStringLiteral("bot"), QUrl::FullyDecoded);
    if (const QString days = query.queryItemValue(QStringLiteral("days"), QUrl::FullyDecoded); !days.isEmpty()) {
        bool ok = false;
        parsed.days = days.toInt(&ok);
        if (!ok)
            return fail(Error::invalidArgument(QStringLiteral("days takes a number of days, e.g. 14")));
    }
    return parsed;
}

Result<Dashboard> dashboard(DashboardStore roles, const QList<bot::BotDefinition> &bots, const DashboardQuery &query)
{
    store::Figures &store = roles.figures;
    if (!query.zone.isValid())
        return fail(Error::invalidArgument(QStringLiteral("the dashboard needs a valid time zone")));
    if (!query.since.isValid() && (query.days < 1 || query.days > 3660))
        return fail(Error::invalidArgument(QStringLiteral("days must be between 1 and 3660, not %1").arg(query.days)));

    Dashboard result;
    result.now = (query.now.isValid() ? query.now : QDateTime::currentDateTimeUtc()).toUTC();
    result.zone = query.zone;
    result.since = query.since.isValid() ? query.since.toUTC() : startOfDays(query.days, result.now, query.zone);

    auto figures = store.itemFigures({.since = result.since,
                                      .until = result.now.addMSecs(1),
                                      .bot = query.bot,
                                      .zone = query.zone});
    if (!figures)
        return fail(figures.error());

    QHash<QString, double> minutes;
    for (const bot::BotDefinition &definition : bots)
        minutes.insert(definition.name, definition.manualMinutes);

    // The bots listed: those with items in the window, and those given.
    QStringList names;
    for (const store::DayFigures &total : figures->totals)
        names.append(total.bot);
    for (const bot::BotDefinition &definition : bots) {
        if (query.bot.isEmpty() || definition.name == query.bot)
            names.append(definition.name);
    }
    names.removeDuplicates();
    names.sort();

    for (const QString &name : names) {
        store::DayFigures total{.bot = name};
        for (const store::DayFigures &found : figures->totals) {
            if (found.bot == name)
                total = found;
        }
        result.bots.append(figuresOf(total, minutes.value(name), query.costPerHour));

        // Every day of the window, so a chart shows a quiet day as a zero, not a gap.
        const QDate first = result.since.toTimeZone(query.zone).date();
        const QDate last = result.now.toTimeZone(query.zone).date();
        for (QDate day = first; day <= last; day = day.addDays(1)) {
            store::DayFigures counts{.day = day, .bot = name};
            for (const store::DayFigures &found : figures->days) {
                if (found.bot == name && found.day == day)
                    counts = found;
            }
            result.days.append(figuresOf(counts, minutes.value(name), query.costPerHour));
        }
    }

    auto queues = store.exceptionQueues();
    if (!queues)
        return fail(queues.error());
    result.queues = *queues;

    for (const bot::BotDefinition &definition : bots) {
        if (!definition.shadow || (!query.bot.isEmpty() && definition.name != query.bot))
            continue;
        auto answers = store.shadowAnswers(definition.name, {});
        if (!answers)
            return fail(answers.error());
        result.shadow.append(ShadowTrial{.bot = definition.name,
                                         .answered = qint64(answers->size()),
                                         .points = shadowPoints(*answers)});
    }
    std::sort(result.shadow.begin(), result.shadow.end(),
              [](const ShadowTrial &a, const ShadowTrial &b) { return a.bot < b.bot; });

    auto learning = learningQuality(roles, bots, query.bot);
    if (!learning)
        return fail(learning.error());
    result.learning = std::move(*learning);

    auto reasons = store.exceptionReasons({.since = result.since, .until = result.now.addMSecs(1), .bot = query.bot});
    if (!reasons)
        return fail(reasons.error());
    result.reasons = std::move(*reasons);

    auto notices = store.noticeFigures(
        {.since = result.since, .until = result.now.addMSecs(1), .bot = query.bot, .zone = query.zone}, true);
    if (!notices)
        return fail(notices.error());
    result.notices = std::move(*notices);
    return result;
}

QJsonObject toJson(const Dashboard &dashboard)
{
    QJsonArray days;
    for (const BotFigures &figures : dashboard.days) {
        QJsonObject row = countsJson(figures);
        row.insert(QStringLiteral("day"), figures.counts.day.toString(Qt::ISODate));
        row.insert(QStringLiteral("median_minutes_to_done"), orNull(figures.counts.medianMinutesToDone, 1));
        days.append(row);
    }

    QJsonArray bots;
    for (const BotFigures &figures : dashboard.bots) {
        QJsonObject row = countsJson(figures);
        row.insert(QStringLiteral("manual_minutes"), figures.manualMinutes);
        if (figures.costSaved)
            row.insert(QStringLiteral("cost_saved"), rounded(*figures.costSaved, 2));
        bots.append(row);
    }

    QJsonArray queues;
    for (const store::TeamQueue &queue : dashboard.queues) {
        const qint64 age = queue.oldestCreatedAt.isValid() ? qMax<qint64>(0, queue.oldestCreatedAt.secsTo(dashboard.now)) : 0;
        queues.append(QJsonObject{{QStringLiteral("team"), queue.team},
                                  {QStringLiteral("open"), queue.open},
                                  {QStringLiteral("breached"), queue.breached},
                                  {QStringLiteral("oldest_age_seconds"), age}});
    }

    QJsonArray shadow;
    for (const ShadowTrial &trial : dashboard.shadow) {
        QJsonArray points;
        for (const ShadowPoint &point : trial.points) {
            points.append(QJsonObject{{QStringLiteral("threshold"), point.threshold},
                                      {QStringLiteral("straight_through_rate"), rounded(point.straightThroughRate, 3)},
                                      {QStringLiteral("precision"), orNull(point.precision, 3)}});
        }
        shadow.append(QJsonObject{{QStringLiteral("bot"), trial.bot},
                                  {QStringLiteral("answered"), trial.answered},
                                  {QStringLiteral("points"), points}});
    }

    QJsonArray live;
    for (const LiveQuality &quality : dashboard.learning.live) {
        QJsonObject row = precisionJson(quality.all);
        row.insert(QStringLiteral("bot"), quality.all.bot);
        row.insert(QStringLiteral("target_precision"), orNull(quality.targetPrecision, 4));
        row.insert(QStringLiteral("below_target"), quality.belowTarget());
        QJsonArray categories;
        for (const store::LivePrecision &category : quality.categories) {
            QJsonObject entry = precisionJson(category);
            entry.insert(QStringLiteral("category"), category.category);
            categories.append(entry);
        }
        row.insert(QStringLiteral("categories"), categories);
        live.append(row);
    }

    // Classify and match rows in one list by bot (both lists are by bot already); a
    // classify row keeps the shape it had before match rows (with "kind") joined it.
    QJsonArray learning;
    const QList<LearningProgress> &classifying = dashboard.learning.progress;
    const QList<MatchLearningProgress> &matching = dashboard.learning.matches;
    for (qsizetype c = 0, m = 0; c < classifying.size() || m < matching.size();) {
        if (m < matching.size() && (c == classifying.size() || matching.at(m).bot < classifying.at(c).bot)) {
            learning.append(matchLearningJson(matching.at(m++)));
            continue;
        }
        const LearningProgress &progress = classifying.at(c++);
        learning.append(QJsonObject{{QStringLiteral("bot"), progress.bot},
                                    {QStringLiteral("step"), progress.stepId},
                                    {QStringLiteral("answered"), progress.answered},
                                    {QStringLiteral("answers_needed"), progress.needed},
                                    {QStringLiteral("more_needed"), progress.moreNeeded()},
                                    {QStringLiteral("target_precision"), progress.targetPrecision},
                                    {QStringLiteral("confidence"), progress.confidence}});
    }

    QJsonArray reasons;
    for (const store::ExceptionReasons &row : dashboard.reasons)
        reasons.append(reasonJson(row));

    QJsonArray notices;
    for (const store::NoticeFigures &row : dashboard.notices)
        notices.append(noticeJson(row));

    return QJsonObject{{QStringLiteral("since"), dashboard.since.toUTC().toString(Qt::ISODateWithMs)},
                       {QStringLiteral("days"), days},
                       {QStringLiteral("bots"), bots},
                       {QStringLiteral("queues"), queues},
                       {QStringLiteral("shadow"), shadow},
                       {QStringLiteral("live_precision"), live},
                       {QStringLiteral("learning"), learning},
                       {QStringLiteral("reasons"), reasons},
                       {QStringLiteral("notices"), notices}};
}

} // namespace clerk::report
