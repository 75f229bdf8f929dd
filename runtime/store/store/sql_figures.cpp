// The figures operations staff watch, aggregated in SQL that runs unchanged on SQLite and
// PostgreSQL (see figures.h for what each figure means).
//
// Portability notes, learnt the hard way:
//  - Numbers computed here (day boundaries, time-zone offsets) are written into the SQL
//    as integer literals, not bound: PostgreSQL types an unbound parameter standing alone
//    in a CASE branch as text, and `at + text` fails.
//  - Groups are named by position (GROUP BY 1, 2): the per-bot totals put a constant in
//    the day's place, and a constant written in GROUP BY itself would be read as a position.
//  - A median needs no percentile function (SQLite has none): window functions number
//    the rows of each group in order, and the middle one or two are averaged.
//  - Day buckets are (at + offset) / 86400000 with integer division on both backends; the
//    offset is the zone's UTC offset at `at`, a CASE over the zone's transitions in the
//    window (two a year for Europe/London).
#include "store/sql_work_store_p.h"

#include "core/binomial.h"
#include "core/shadow_suggestion.h"
#include "store/sql_rows_p.h"

#include <QJsonDocument>
#include <QRegularExpression>

#include <algorithm>

namespace clerk::store {

namespace {

constexpr qint64 kDayMs = 86400000;

// The local day number (days since 1970-01-01 in `zone`) of the time in `column`, for
// times between `since` and `until`.
QString dayExpression(const QString &column, const QTimeZone &zone, const QDateTime &since, const QDateTime &until)
{
    QString offset = QString::number(qint64(zone.offsetFromUtc(since)) * 1000);
    const QTimeZone::OffsetDataList transitions = zone.transitions(since, until);
    if (!transitions.isEmpty()) {
        QString cases = QStringLiteral("CASE");
        for (const QTimeZone::OffsetData &transition : transitions) {
            cases += QStringLiteral(" WHEN %1 < %2 THEN %3")
                         .arg(column)
                         .arg(transition.atUtc.toMSecsSinceEpoch())
                         .arg(offset);
            offset = QString::number(qint64(transition.offsetFromUtc) * 1000);
        }
        offset = cases + QStringLiteral(" ELSE %1 END").arg(offset);
    }
    return QStringLiteral("((%1 + %2) / %3)").arg(column, offset).arg(kDayMs);
}

QDate dayFromNumber(qint64 number)
{
    return QDate(1970, 1, 1).addDays(number);
}

// " AND e.bot = ?" with its bind when a bot is asked for.
QString botCondition(const QString &bot, QList<QVariant> &binds)
{
    if (bot.isEmpty())
        return {};
    binds.append(bot);
    return QStringLiteral(" AND e.bot = ?");
}

const QString kNoExceptionItem =
    QStringLiteral("NOT EXISTS (SELECT 1 FROM exception_items x WHERE x.item_id = e.item_id)");

// Adds one row of per-kind counts to `figures`.
void addCount(DayFigures &figures, const QString &kind, qint64 count, qint64 distinctItems, qint64 straightThrough)
{
    if (kind == QLatin1String("enqueued")) {
        figures.arrived += count;
    } else if (kind == QLatin1String("needs_human")) {
        figures.toPerson += distinctItems;
    } else if (kind == QLatin1String("done")) {
        figures.done += count;
        figures.straightThrough += straightThrough;
        figures.afterPerson += count - straightThrough;
    } else if (kind == QLatin1String("failed")) {
        figures.failed += count;
    } else if (kind == QLatin1String("rejected")) {
        figures.cancelled += count;
    }
}

} // namespace

Result<StatusSummary> SqlWorkStore::summary()
{
    StatusSummary result;

    auto counts = run(QStringLiteral("SELECT bot, state, COUNT(*) FROM work_items GROUP BY bot, state ORDER BY bot"));
    if (!counts)
        return fail(counts.error());
    while (counts->next()) {
        const QString bot = counts->value(0).toString();
        if (result.bots.isEmpty() || result.bots.last().bot != bot)
            result.bots.append(BotCounts{.bot = bot});
        BotCounts &row = result.bots.last();
        const qint64 n = counts->value(2).toLongLong();
        switch (itemStateFromString(counts->value(1).toString()).value_or(ItemState::Failed)) {
        case ItemState::Queued: row.queued += n; break;
        case ItemState::Leased: row.leased += n; break;
        case ItemState::WaitingForHuman: row.waitingForHuman += n; break;
        case ItemState::Done: row.done += n; break;
        case ItemState::Failed: row.failed += n; break;
        case ItemState::Cancelled: row.cancelled += n; break;
        }
    }

    auto teams = run(QStringLiteral("SELECT team, COUNT(*), SUM(CASE WHEN sla_due_at < ? THEN 1 ELSE 0 END),"
                                    " MIN(created_at) FROM exception_items WHERE state IN ('open', 'claimed')"
                                    " GROUP BY team ORDER BY team"),
                     {m_clock.nowMs()});
    if (!teams)
        return fail(teams.error());
    while (teams->next()) {
        result.teams.append(TeamQueue{teams->value(0).toString(), teams->value(1).toLongLong(),
                                      teams->value(2).toLongLong(), timeFrom(teams->value(3))});
    }
    return result;
}

Result<ItemFigures> SqlWorkStore::itemFigures(const FigureWindow &window)
{
    if (!window.since.isValid())
        return fail(Error::invalidArgument(QStringLiteral("figures need the start of their window")));
    if (!window.zone.isValid())
        return fail(Error::invalidArgument(QStringLiteral("figures need a valid time zone")));
    // Up to now includes what happened this very millisecond.
    const QDateTime until = window.until.isValid() ? window.until : m_clock.now().addMSecs(1);
    const qint64 sinceMs = window.since.toMSecsSinceEpoch();
    const qint64 untilMs = until.toMSecsSinceEpoch();
    const QString day = dayExpression(QStringLiteral("e.at"), window.zone, window.since, until);

    ItemFigures figures;
    // Rows by bot then day; `byDay` false: one row per bot, day left invalid.
    const auto rowFor = [](QList<DayFigures> &rows, const QString &bot, const QDate &date) -> DayFigures & {
        for (DayFigures &row : rows) {
            if (row.bot == bot && row.day == date)
                return row;
        }
        rows.append(DayFigures{.day = date, .bot = bot});
        return rows.last();
    };

    for (const bool byDay : {true, false}) {
        QList<DayFigures> &rows = byDay ? figures.days : figures.totals;
        const QString dayColumn = byDay ? day : QStringLiteral("0");

        // The window's totals are the days' sums, but for the items sent to a person: one
        // sent on two days is one item of the window. Only that is counted again.
        QList<QVariant> binds{sinceMs, untilMs};
        const QString counts =
            QStringLiteral("SELECT e.bot, %1, e.kind, COUNT(*), COUNT(DISTINCT e.item_id),"
                           " SUM(CASE WHEN e.kind = 'done' AND %2 THEN 1 ELSE 0 END)"
                           " FROM events e"
                           " WHERE e.kind IN (%4)"
                           " AND e.at >= ? AND e.at < ?%3"
                           " GROUP BY 1, 2, 3")
                .arg(dayColumn, kNoExceptionItem, botCondition(window.bot, binds),
                     byDay ? QStringLiteral("'enqueued', 'needs_human', 'done', 'failed', 'rejected'")
                           : QStringLiteral("'needs_human'"));
        auto counted = run(counts, binds);
        if (!counted)
            return fail(counted.error());
        while (counted->next()) {
            const QDate date = byDay ? dayFromNumber(counted->value(1).toLongLong()) : QDate();
            addCount(rowFor(rows, counted->value(0).toString(), date), counted->value(2).toString(),
                     counted->value(3).toLongLong(), counted->value(4).toLongLong(), counted->value(5).toLongLong());
        }
        counted->finish();
        if (!byDay) {
            for (const DayFigures &dayRow : figures.days) {
                DayFigures &total = rowFor(rows, dayRow.bot, QDate());
                total.arrived += dayRow.arrived;
                total.done += dayRow.done;
                total.straightThrough += dayRow.straightThrough;
                total.afterPerson += dayRow.afterPerson;
                total.failed += dayRow.failed;
                total.cancelled += dayRow.cancelled;
            }
        }

        // The middle one or two of each group's arrival-to-done times, averaged.
        binds = {sinceMs, untilMs};
        const QString partition = byDay ? QStringLiteral("e.bot, ") + day : QStringLiteral("e.bot");
        const QString medians =
            QStringLiteral("SELECT bot, day, AVG(ms) FROM ("
                           " SELECT e.bot AS bot, %1 AS day, e.at - w.created_at AS ms,"
                           " ROW_NUMBER() OVER (PARTITION BY %2 ORDER BY e.at - w.created_at) AS rn,"
                           " COUNT(*) OVER (PARTITION BY %2) AS n"
                           " FROM events e JOIN work_items w ON w.id = e.item_id"
                           " WHERE e.kind = 'done' AND e.at >= ? AND e.at < ?%3) ranked"
                           " WHERE rn * 2 >= n AND rn * 2 <= n + 2"
                           " GROUP BY bot, day")
                .arg(dayColumn, partition, botCondition(window.bot, binds));
        auto middle = run(medians, binds);
        if (!middle)
            return fail(middle.error());
        while (middle->next()) {
            const QDate date = byDay ? dayFromNumber(middle->value(1).toLongLong()) : QDate();
            rowFor(rows, middle->value(0).toString(), date).medianMinutesToDone = middle->value(2).toDouble() / 60000.0;
        }
        middle->finish();

        std::sort(rows.begin(), rows.end(), [](const DayFigures &a, const DayFigures &b) {
            return a.bot != b.bot ? a.bot < b.bot : a.day < b.day;
        });
    }
    return figures;
}

Result<QList<BotLifetimeFigures>> SqlWorkStore::lifetimeFigures(const QList<std::chrono::milliseconds> &durationBounds)
{
    QList<BotLifetimeFigures> figures;
    const auto rowFor = [&figures](const QString &bot) -> BotLifetimeFigures & {
        for (BotLifetimeFigures &row : figures) {
            if (row.bot == bot)
                return row;
        }
        figures.append(BotLifetimeFigures{.bot = bot});
        return figures.last();
    };

    auto arrived = run(QStringLiteral("SELECT bot, COUNT(*) FROM work_items GROUP BY bot"));
    if (!arrived)
        return fail(arrived.error());
    while (arrived->next())
        rowFor(arrived->value(0).toString()).arrived = arrived->value(1).toLongLong();
    arrived->finish();

    auto opened = run(QStringLiteral("SELECT bot, COUNT(*) FROM exception_items GROUP BY bot"));
    if (!opened)
        return fail(opened.error());
    while (opened->next())
        rowFor(opened->value(0).toString()).exceptionsOpened = opened->value(1).toLongLong();
    opened->finish();

    auto ended = run(QStringLiteral("SELECT e.bot, e.kind, COUNT(*), SUM(CASE WHEN e.kind = 'done' AND %1"
                                    " THEN 1 ELSE 0 END) FROM events e"
                                    " WHERE e.kind IN ('done', 'failed', 'rejected') GROUP BY e.bot, e.kind")
                         .arg(kNoExceptionItem));
    if (!ended)
        return fail(ended.error());
    while (ended->next()) {
        BotLifetimeFigures &row = rowFor(ended->value(0).toString());
        const QString kind = ended->value(1).toString();
        const qint64 count = ended->value(2).toLongLong();
        if (kind == QLatin1String("done")) {
            row.straightThrough += ended->value(3).toLongLong();
            row.afterPerson += count - ended->value(3).toLongLong();
        } else if (kind == QLatin1String("failed")) {
            row.failed += count;
        } else {
            row.cancelled += count;
        }
    }
    ended->finish();

    QString buckets;
    for (const std::chrono::milliseconds bound : durationBounds)
        buckets += QStringLiteral(", SUM(CASE WHEN e.at - w.created_at <= %1 THEN 1 ELSE 0 END)").arg(bound.count());
    auto durations = run(QStringLiteral("SELECT e.bot, COUNT(*), SUM(e.at - w.created_at)%1"
                                        " FROM events e JOIN work_items w ON w.id = e.item_id"
                                        " WHERE e.kind = 'done' GROUP BY e.bot")
                             .arg(buckets));
    if (!durations)
        return fail(durations.error());
    while (durations->next()) {
        BotLifetimeFigures &row = rowFor(durations->value(0).toString());
        row.durationCount = durations->value(1).toLongLong();
        row.durationSecondsSum = durations->value(2).toDouble() / 1000.0;
        for (qsizetype i = 0; i < durationBounds.size(); ++i)
            row.durationAtMost.append(durations->value(int(3 + i)).toLongLong());
    }
    durations->finish();
    for (BotLifetimeFigures &row : figures) {
        if (row.durationAtMost.isEmpty())
            row.durationAtMost = QList<qint64>(durationBounds.size(), 0);
    }

    std::sort(figures.begin(), figures.end(),
              [](const BotLifetimeFigures &a, const BotLifetimeFigures &b) { return a.bot < b.bot; });
    return figures;
}

Result<QList<TeamQueue>> SqlWorkStore::exceptionQueues()
{
    auto query = run(QStringLiteral("SELECT team,"
                                    " SUM(CASE WHEN state IN ('open', 'claimed') THEN 1 ELSE 0 END),"
                                    " SUM(CASE WHEN state IN ('open', 'claimed') AND sla_due_at < ? THEN 1 ELSE 0 END),"
                                    " MIN(CASE WHEN state IN ('open', 'claimed') THEN created_at END)"
                                    " FROM exception_items GROUP BY team ORDER BY team"),
                     {m_clock.nowMs()});
    if (!query)
        return fail(query.error());
    QList<TeamQueue> queues;
    while (query->next()) {
        const QVariant oldest = query->value(3);
        queues.append(TeamQueue{query->value(0).toString(), query->value(1).toLongLong(), query->value(2).toLongLong(),
                                oldest.isNull() ? QDateTime() : QDateTime::fromMSecsSinceEpoch(oldest.toLongLong(), Qt::UTC)});
    }
    return queues;
}

Result<QList<ShadowAnswer>> SqlWorkStore::shadowAnswers(const QString &bot, const QDateTime &since)
{
    // The flag is set when the item is opened (schema version 8); the evidence is still
    // read through the codec, which leaves out suggestions that cannot be counted.
    QString sql = QStringLiteral("SELECT id, evidence, decision FROM exception_items"
                                 " WHERE bot = ? AND suggested = 1 AND state = 'resolved'");
    QList<QVariant> binds{bot};
    if (since.isValid()) {
        sql += QStringLiteral(" AND decided_at >= ?");
        binds.append(since.toMSecsSinceEpoch());
    }
    sql += QStringLiteral(" ORDER BY id");
    auto query = run(sql, binds);
    if (!query)
        return fail(query.error());
    QList<ShadowAnswer> answers;
    while (query->next()) {
        const auto suggestion = ShadowSuggestion::readFrom(objectFrom(query->value(1)));
        // The person's choice is always text.
        const QString answered = objectFrom(query->value(2)).value(QStringLiteral("choice")).toString();
        if (!suggestion || answered.isEmpty())
            continue;
        answers.append(ShadowAnswer{query->value(0).toLongLong(), suggestion->confidence, suggestion->choice, answered});
    }
    return answers;
}

Result<QList<LivePrecision>> SqlWorkStore::livePrecision(const QString &bot, const QDateTime &since)
{
    // Quality checks are a small sample (qa_sample of the sure decisions), so their
    // evidence is read here through the codec rather than counted in SQL.
    QString sql = QStringLiteral("SELECT bot, evidence, decision FROM exception_items"
                                 " WHERE quality_check = 1 AND state = 'resolved'");
    QList<QVariant> binds;
    if (!bot.isEmpty()) {
        sql += QStringLiteral(" AND bot = ?");
        binds.append(bot);
    }
    if (since.isValid()) {
        sql += QStringLiteral(" AND decided_at >= ?");
        binds.append(since.toMSecsSinceEpoch());
    }
    auto query = run(sql, binds);
    if (!query)
        return fail(query.error());
    QList<LivePrecision> rows;
    const auto rowFor = [&rows](const QString &rowBot, const QString &category) -> LivePrecision & {
        for (LivePrecision &row : rows) {
            if (row.bot == rowBot && row.category == category)
                return row;
        }
        rows.append(LivePrecision{.bot = rowBot, .category = category});
        return rows.last();
    };
    while (query->next()) {
        const auto suggestion = ShadowSuggestion::readFrom(objectFrom(query->value(1)));
        // A check is a sure decision, so it always has a category; one without is no check.
        if (!suggestion || suggestion->choice.isEmpty())
            continue;
        // The person's answer: the category typed, else the choice picked.
        const QString answered = RecordedDecision::fromJson(objectFrom(query->value(2)))
                                     .valueFor(QStringLiteral("category")).trimmed();
        if (answered.isEmpty())
            continue;
        const QString rowBot = query->value(0).toString();
        const bool right = suggestion->choice == answered;
        // One at a time: adding a row may move the others.
        for (const QString &category : {QString(), suggestion->choice}) {
            LivePrecision &row = rowFor(rowBot, category);
            ++row.checks;
            row.right += right ? 1 : 0;
        }
    }
    for (LivePrecision &row : rows) {
        row.lowerBound = clopperPearsonLower(row.right, row.checks, kLivePrecisionConfidence);
        row.upperBound = clopperPearsonUpper(row.right, row.checks, kLivePrecisionConfidence);
    }
    // A bot's row over every category (empty) sorts before its categories.
    std::sort(rows.begin(), rows.end(), [](const LivePrecision &a, const LivePrecision &b) {
        return a.bot != b.bot ? a.bot < b.bot : a.category < b.category;
    });
    return rows;
}

Result<QList<StepAnswers>> SqlWorkStore::answersPerStep()
{
    auto query = run(QStringLiteral("SELECT bot, step_id, COUNT(*) FROM exception_items WHERE state = 'resolved'"
                                    " GROUP BY bot, step_id ORDER BY bot, step_id"));
    if (!query)
        return fail(query.error());
    QList<StepAnswers> answers;
    while (query->next())
        answers.append(StepAnswers{query->value(0).toString(), query->value(1).toString(), query->value(2).toLongLong()});
    return answers;
}

Result<QList<StepAnswers>> SqlWorkStore::answersWithList(const QString &bot, const AnswersWithList &rule)
{
    // The keys go into SQLite's JSON paths, so they are plain names.
    static const QRegularExpression plainName(QStringLiteral("^[A-Za-z0-9_]+$"));
    for (const QString &key : {rule.field, rule.listKey, rule.entryKey}) {
        if (!plainName.match(key).hasMatch())
            return fail(Error::invalidArgument(QStringLiteral("answersWithList: \"%1\" is not a plain key").arg(key)));
    }
    auto query = run(m_dialect.answersWithListSql, {rule.field, rule.listKey, rule.entryKey, bot});
    if (!query)
        return fail(query.error());
    QList<StepAnswers> answers;
    while (query->next())
        answers.append(StepAnswers{bot, query->value(0).toString(), query->value(1).toLongLong()});
    return answers;
}

Result<QList<ExceptionReasons>> SqlWorkStore::exceptionReasons(const FigureWindow &window)
{
    QString sql = QStringLiteral("SELECT bot, step_id, reason_kind, COALESCE(category, ''), COUNT(*),"
                                 " SUM(CASE WHEN state IN ('open', 'claimed') THEN 1 ELSE 0 END)"
                                 " FROM exception_items WHERE 1 = 1");
    QList<QVariant> binds;
    if (window.since.isValid()) {
        sql += QStringLiteral(" AND created_at >= ?");
        binds.append(window.since.toMSecsSinceEpoch());
    }
    if (window.until.isValid()) {
        sql += QStringLiteral(" AND created_at < ?");
        binds.append(window.until.toMSecsSinceEpoch());
    }
    if (!window.bot.isEmpty()) {
        sql += QStringLiteral(" AND bot = ?");
        binds.append(window.bot);
    }
    sql += QStringLiteral(" GROUP BY bot, step_id, reason_kind, COALESCE(category, '')"
                          " ORDER BY bot, COUNT(*) DESC, step_id, reason_kind, COALESCE(category, '')");
    auto query = run(sql, binds);
    if (!query)
        return fail(query.error());
    QList<ExceptionReasons> rows;
    while (query->next()) {
        rows.append(ExceptionReasons{.bot = query->value(0).toString(),
                                     .stepId = query->value(1).toString(),
                                     .kind = query->value(2).toString(),
                                     .category = query->value(3).toString(),
                                     .opened = query->value(4).toLongLong(),
                                     .open = query->value(5).toLongLong()});
    }
    return rows;
}

Result<QList<NoticeFigures>> SqlWorkStore::noticeFigures(const FigureWindow &window, bool byDay)
{
    if (byDay && !window.zone.isValid())
        return fail(Error::invalidArgument(QStringLiteral("figures need a valid time zone")));
    QStringList kinds;
    for (const NoticeOutcome outcome : noticeOutcomes())
        kinds.append(QStringLiteral("'%1'").arg(noticeEventKind(outcome)));
    const QDateTime since = window.since.isValid() ? window.since : QDateTime::fromMSecsSinceEpoch(0, Qt::UTC);
    const QDateTime until = window.until.isValid() ? window.until : m_clock.now().addMSecs(1);
    QList<QVariant> binds{since.toMSecsSinceEpoch(), until.toMSecsSinceEpoch()};
    const QString day = byDay ? dayExpression(QStringLiteral("e.at"), window.zone, since, until) : QStringLiteral("0");
    const QString sql = QStringLiteral("SELECT e.bot, %1, e.kind, COUNT(*) FROM events e"
                                       " WHERE e.kind IN (%2) AND e.at >= ? AND e.at < ?%3"
                                       " GROUP BY 1, 2, 3 ORDER BY 1, 2")
                            .arg(day, kinds.join(QStringLiteral(", ")), botCondition(window.bot, binds));
    auto query = run(sql, binds);
    if (!query)
        return fail(query.error());
    QList<NoticeFigures> rows;
    while (query->next()) {
        const QString bot = query->value(0).toString();
        const QDate date = byDay ? dayFromNumber(query->value(1).toLongLong()) : QDate();
        if (rows.isEmpty() || rows.last().bot != bot || rows.last().day != date)
            rows.append(NoticeFigures{.bot = bot, .day = date});
        NoticeFigures &row = rows.last();
        const qint64 count = query->value(3).toLongLong();
        switch (noticeOutcomeFromEventKind(query->value(2).toString()).value_or(NoticeOutcome::ServerError)) {
        case NoticeOutcome::Sent: row.sent += count; break;
        case NoticeOutcome::Refused: row.refused += count; break;
        case NoticeOutcome::Bounced: row.bounced += count; break;
        case NoticeOutcome::ServerError: row.serverError += count; break;
        case NoticeOutcome::Unsendable: row.unsendable += count; break;
        }
    }
    return rows;
}

Result<QList<StoredDefinitionRef>> SqlWorkStore::latestDefinitions()
{
    // Ties on the time (two files stored in one millisecond) go to the larger digest, so
    // the answer is the same every time.
    auto query = run(QStringLiteral("SELECT d.bot, d.version, d.digest, d.stored_at FROM bot_definitions d"
                                    " WHERE NOT EXISTS (SELECT 1 FROM bot_definitions n WHERE n.bot = d.bot"
                                    " AND (n.stored_at > d.stored_at OR (n.stored_at = d.stored_at AND n.digest > d.digest)))"
                                    " ORDER BY d.bot"));
    if (!query)
        return fail(query.error());
    QList<StoredDefinitionRef> found;
    while (query->next()) {
        found.append(StoredDefinitionRef{query->value(0).toString(), query->value(1).toString(),
                                         query->value(2).toString(),
                                         QDateTime::fromMSecsSinceEpoch(query->value(3).toLongLong(), Qt::UTC)});
    }
    return found;
}

} // namespace clerk::store
