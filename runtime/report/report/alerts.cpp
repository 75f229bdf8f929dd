#include "report/alerts.h"

#include "core/binomial.h"
#include "core/duration.h"
#include "rest/rest_connector.h"

#include <QHash>
#include <QJsonObject>
#include <QLoggingCategory>

#include <cmath>

Q_LOGGING_CATEGORY(lcAlerts, "clerk.alerts", QtInfoMsg)

namespace clerk::report {

namespace {

const QString kFired = QStringLiteral("alert_fired");
const QString kSent = QStringLiteral("alert_sent");
const QString kActor = QStringLiteral("clerk");
// One call, its retries included, may take this long, so a webhook that hangs does not
// hold up the other bots' alerts for the connector's full timeouts and backoff.
constexpr std::chrono::seconds kCallTimeLimit{20};

double rounded(double value, int decimals)
{
    const double scale = std::pow(10.0, decimals);
    return std::round(value * scale) / scale;
}

QJsonObject firingParams(const AlertFiring &firing)
{
    return QJsonObject{{QStringLiteral("bot"), firing.bot},
                       {QStringLiteral("rule"), firing.rule},
                       {QStringLiteral("value"), firing.value},
                       {QStringLiteral("threshold"), firing.threshold},
                       {QStringLiteral("message"), firing.message}};
}

// What one rule is judged on, read from the store. Item figures are read once per window.
class FigureReader {
public:
    FigureReader(AlertStore store, const QString &bot, const QDateTime &now)
        : m_store(store), m_bot(bot), m_now(now)
    {
    }

    Result<RuleFigures> read(const bot::AlertRule &rule)
    {
        RuleFigures figures;
        if (rule.kind == bot::AlertRule::Kind::OldestExceptionOverSla) {
            // Ordered by SLA due time: the first undecided item is the most overdue.
            auto oldest = m_store.exceptions.exceptions(store::ExceptionFilter{.bot = m_bot, .limit = 1});
            if (!oldest)
                return fail(oldest.error());
            if (!oldest->isEmpty()) {
                const QDateTime due = oldest->first().slaDueAt;
                if (due.isValid() && due < m_now)
                    figures.oldestOverdueBy = std::chrono::milliseconds(due.msecsTo(m_now));
            }
            return figures;
        }
        const qint64 windowMs = rule.window.count();
        if (!m_totals.contains(windowMs)) {
            store::FigureWindow window{.since = m_now.addMSecs(-windowMs), .until = {}, .bot = m_bot};
            auto counted = m_store.figures.itemFigures(window);
            if (!counted)
                return fail(counted.error());
            store::DayFigures totals;
            for (const store::DayFigures &row : counted->totals) {
                if (row.bot == m_bot)
                    totals = row;
            }
            m_totals.insert(windowMs, totals);
        }
        const store::DayFigures &totals = m_totals[windowMs];
        figures.done = totals.done;
        figures.straightThrough = totals.straightThrough;
        figures.failed = totals.failed;
        return figures;
    }

private:
    AlertStore m_store;
    QString m_bot;
    QDateTime m_now;
    QHash<qint64, store::DayFigures> m_totals;
};

} // namespace

QString alertMessage(const QString &bot, const bot::AlertRule &rule, double value, double threshold)
{
    switch (rule.kind) {
    case bot::AlertRule::Kind::StraightThroughBelow:
        return QStringLiteral("%1: straight-through rate %2 over %3 is below %4")
            .arg(bot, QString::number(value, 'f', 3), formatDuration(rule.window), QString::number(threshold, 'f', 3));
    case bot::AlertRule::Kind::FailuresAbove:
        return QStringLiteral("%1: %2 items failed in the last %3 (more than %4)")
            .arg(bot, QString::number(value, 'f', 0), formatDuration(rule.window), QString::number(threshold, 'f', 0));
    case bot::AlertRule::Kind::OldestExceptionOverSla:
        return QStringLiteral("%1: the oldest open exception item is %2h past its SLA")
            .arg(bot, QString::number(value, 'f', 2));
    }
    return bot;
}

std::optional<AlertFiring> judge(const QString &bot, const bot::AlertRule &rule, const RuleFigures &figures)
{
    AlertFiring firing{.bot = bot, .rule = rule.name, .threshold = rule.threshold};
    switch (rule.kind) {
    case bot::AlertRule::Kind::StraightThroughBelow: {
        if (figures.done <= 0 || figures.done < rule.minItems)
            return std::nullopt;
        const double rate = double(figures.straightThrough) / double(figures.done);
        if (!(rate < rule.threshold))
            return std::nullopt;
        firing.value = rounded(rate, 3);
        break;
    }
    case bot::AlertRule::Kind::FailuresAbove:
        if (!(double(figures.failed) > rule.threshold))
            return std::nullopt;
        firing.value = double(figures.failed);
        break;
    case bot::AlertRule::Kind::OldestExceptionOverSla:
        if (!figures.oldestOverdueBy || figures.oldestOverdueBy->count() <= 0)
            return std::nullopt;
        firing.value = rounded(double(figures.oldestOverdueBy->count()) / 3600000.0, 2);
        firing.threshold = 0;
        break;
    }
    firing.message = alertMessage(bot, rule, firing.value, firing.threshold);
    return firing;
}

QString livePrecisionMessage(const QString &bot, const QString &stepId, double bound, double target, qint64 checks,
                             qint64 right)
{
    return QStringLiteral("%1: step %2's quality checks found %3 of %4 right; their lower bound %5 is below the "
                          "target %6")
        .arg(bot, stepId)
        .arg(right)
        .arg(checks)
        .arg(QString::number(bound, 'f', 3), QString::number(target, 'f', 3));
}

std::optional<AlertFiring> judgeLivePrecision(const LearningStep &step, qint64 checks, qint64 right)
{
    const qint64 needed = answersNeeded(step.targetPrecision, step.confidence);
    if (checks <= 0 || needed < 0 || checks < needed)
        return std::nullopt;
    const double bound = clopperPearsonLower(right, checks, step.confidence);
    if (!(bound < step.targetPrecision))
        return std::nullopt;
    AlertFiring firing{.bot = step.bot,
                       .rule = kLivePrecisionRule,
                       .value = rounded(bound, 3),
                       .threshold = step.targetPrecision};
    firing.message = livePrecisionMessage(step.bot, step.stepId, firing.value, firing.threshold, checks, right);
    firing.step = step.stepId;
    return firing;
}

namespace {

// One bot's part of a check: when it is judged, its firings within repeat_after, what
// this round has recorded and what is still to be sent through its alerts connector.
struct BotCheck {
    AlertStore store;
    const bot::BotDefinition &definition;
    QDateTime now;
    QList<store::Event> earlier;
    AlertRound &round;
    QList<AlertFiring> pending{};
};

// The rule's (and for the live precision rule, the step's) last firing within
// repeat_after, and whether it was sent since.
std::pair<std::optional<store::Event>, bool> lastFiring(const BotCheck &check, const QString &rule,
                                                        const QString &step)
{
    std::optional<store::Event> lastFired;
    bool sentSince = false;
    for (const store::Event &event : check.earlier) {
        if (event.detail.value(QStringLiteral("rule")).toString() != rule
            || event.detail.value(QStringLiteral("step")).toString() != step)
            continue;
        if (event.kind == kFired) {
            lastFired = event;
            sentSince = false;
        } else if (event.kind == kSent && lastFired) {
            sentSince = true;
        }
    }
    return std::pair{lastFired, sentSince};
}

// Records `firing` as an "alert_fired" event of the bot, with `detail`, and adds it to the
// round's firings and to those to send.
Status record(BotCheck &check, AlertFiring firing, QJsonObject detail)
{
    firing.firedAt = check.now;
    detail.insert(QStringLiteral("rule"), firing.rule);
    detail.insert(QStringLiteral("value"), firing.value);
    detail.insert(QStringLiteral("threshold"), firing.threshold);
    if (Status recorded = check.store.log.recordBotEvent(check.definition.name, kFired, kActor, detail); !recorded)
        return recorded;
    qCInfo(lcAlerts).noquote() << "alert fired:" << firing.message;
    check.round.fired.append(firing);
    check.pending.append(firing);
    return {};
}

// Judges the bot's configured rules. A rule that fired within repeat_after is not judged
// again; its firing is sent again if it has not been sent yet.
Status judgeBotRules(BotCheck &check, const QList<bot::AlertRule> &rules)
{
    const QString &bot = check.definition.name;
    FigureReader reader(check.store, bot, check.now);
    for (const bot::AlertRule &rule : rules) {
        const auto [lastFired, sentSince] = lastFiring(check, rule.name, {});
        if (lastFired) {
            if (!sentSince) {
                const double value = lastFired->detail.value(QStringLiteral("value")).toDouble();
                const double threshold = lastFired->detail.value(QStringLiteral("threshold")).toDouble();
                check.pending.append(AlertFiring{.bot = bot,
                                                 .rule = rule.name,
                                                 .value = value,
                                                 .threshold = threshold,
                                                 .message = alertMessage(bot, rule, value, threshold),
                                                 .firedAt = lastFired->at});
            }
            continue;  // fired within repeat_after: not judged again yet
        }
        auto figures = reader.read(rule);
        if (!figures)
            return fail(figures.error());
        std::optional<AlertFiring> firing = judge(bot, rule, *figures);
        if (!firing)
            continue;
        if (Status recorded = record(check, *firing, {}); !recorded)
            return recorded;
    }
    return {};
}

// Judges the live precision rule of one learning step with quality checks, on the checks
// answered since the step's model in use was put in use. Like a configured rule, one that
// fired within repeat_after is not judged again but sent again while unsent.
Status judgeStepPrecision(BotCheck &check, const LearningStep &step)
{
    const QString &bot = check.definition.name;
    const auto [lastFired, sentSince] = lastFiring(check, kLivePrecisionRule, step.stepId);
    if (lastFired) {
        if (!sentSince) {
            const QJsonObject &detail = lastFired->detail;
            const double value = detail.value(QStringLiteral("value")).toDouble();
            const double threshold = detail.value(QStringLiteral("threshold")).toDouble();
            check.pending.append(AlertFiring{
                .bot = bot,
                .rule = kLivePrecisionRule,
                .value = value,
                .threshold = threshold,
                .message = livePrecisionMessage(bot, step.stepId, value, threshold,
                                                qint64(detail.value(QStringLiteral("checks")).toDouble()),
                                                qint64(detail.value(QStringLiteral("right")).toDouble())),
                .firedAt = lastFired->at,
                .step = step.stepId});
        }
        return {};
    }
    // The checks of the model in use: answered since it was put in use.
    auto changes =
        check.store.log.botEvents(bot, {QStringLiteral("model_promoted"), QStringLiteral("model_rolled_back")}, {});
    if (!changes)
        return fail(changes.error());
    QDateTime inUseSince;
    for (const store::Event &event : *changes) {
        if (event.detail.value(QStringLiteral("step")).toString() == step.stepId)
            inUseSince = event.at;
    }
    auto live = check.store.figures.livePrecision(bot, inUseSince);
    if (!live)
        return fail(live.error());
    const auto all = std::find_if(live->begin(), live->end(),
                                  [](const store::LivePrecision &row) { return row.category.isEmpty(); });
    if (all == live->end())
        return {};
    std::optional<AlertFiring> firing = judgeLivePrecision(step, all->checks, all->right);
    if (!firing)
        return {};
    return record(check, *firing,
                  {{QStringLiteral("step"), step.stepId},
                   {QStringLiteral("checks"), double(all->checks)},
                   {QStringLiteral("right"), double(all->right)}});
}

// The connector the bot's alerts are sent through, or why it cannot be used.
std::shared_ptr<rest::RestConnector> alertsConnector(const bot::BotDefinition &definition, QString &problem)
{
    const bot::AlertDefinition &alerts = *definition.alerts;
    const bot::ConnectorDefinition *connectorDefinition = definition.connector(alerts.connector);
    if (!connectorDefinition) {
        problem = QStringLiteral("connector '%1' is not known").arg(alerts.connector);
        return nullptr;
    }
    auto shared = rest::sharedConnector(*connectorDefinition);
    if (!shared) {
        problem = shared.error().toString();
        return nullptr;
    }
    if (!(*shared)->hasOperation(alerts.operation)) {
        problem = QStringLiteral("connector '%1' has no operation '%2'").arg(alerts.connector, alerts.operation);
        return nullptr;
    }
    return *shared;
}

// Sends the bot's pending firings through its alerts connector, recording an
// "alert_sent" event for each one delivered. One that cannot be sent stays unsent.
Status sendPending(BotCheck &check)
{
    const bot::BotDefinition &definition = check.definition;
    const bot::AlertDefinition &alerts = *definition.alerts;
    QString problem;
    const std::shared_ptr<rest::RestConnector> connector = alertsConnector(definition, problem);
    if (!connector) {
        qCWarning(lcAlerts).noquote() << definition.name << "alerts cannot be sent:" << problem;
        check.round.problems.append(QStringLiteral("%1: %2").arg(definition.name, problem));
        check.round.unsent.append(check.pending);
        return {};
    }
    for (const AlertFiring &firing : check.pending) {
        rest::CallOptions options;
        options.deadline = std::chrono::steady_clock::now() + kCallTimeLimit;
        options.idempotencyKey = QStringLiteral("clerk-alert-%1-%2-%3")
                                     .arg(firing.bot, firing.rule)
                                     .arg(firing.firedAt.toMSecsSinceEpoch());
        const rest::CallOutcome outcome = connector->call(alerts.operation, firingParams(firing), options);
        if (!outcome) {
            qCWarning(lcAlerts).noquote() << firing.bot << "alert" << firing.rule
                                          << "not sent, trying again at the next check:"
                                          << outcome.error().error.toString();
            check.round.unsent.append(firing);
            continue;
        }
        // The sent event names the step as the firing did, so a step's firing is seen as sent.
        QJsonObject sent{{QStringLiteral("rule"), firing.rule},
                         {QStringLiteral("fired_at"), firing.firedAt.toUTC().toString(Qt::ISODateWithMs)}};
        if (!firing.step.isEmpty())
            sent.insert(QStringLiteral("step"), firing.step);
        auto noted = check.store.log.recordBotEvent(firing.bot, kSent, kActor, sent);
        if (!noted)
            return fail(noted.error());
        check.round.sent.append(firing);
    }
    return {};
}

} // namespace

AlertMonitor::AlertMonitor(AlertStore store, const Clock &clock) : m_store(store), m_clock(clock) {}

Result<AlertRound> AlertMonitor::check(const QList<bot::BotDefinition> &bots)
{
    AlertRound round;
    for (const bot::BotDefinition &definition : bots) {
        const QList<bot::AlertRule> rules = definition.alerts ? definition.alerts->rules : QList<bot::AlertRule>();
        QList<LearningStep> checked = learningSteps(definition);
        checked.removeIf([](const LearningStep &step) { return step.qaSample <= 0; });
        if (rules.isEmpty() && checked.isEmpty())
            continue;
        const std::chrono::milliseconds repeatAfter =
            definition.alerts ? definition.alerts->repeatAfter : std::chrono::milliseconds(kLivePrecisionRepeatAfter);
        const QDateTime now = m_clock.now();
        // Firings older than repeat_after neither hold a rule back nor are sent again.
        const QDateTime since = now.addMSecs(-repeatAfter.count() + 1);
        auto earlier = m_store.log.botEvents(definition.name, {kFired, kSent}, since);
        if (!earlier)
            return fail(earlier.error());

        BotCheck botCheck{
            .store = m_store, .definition = definition, .now = now, .earlier = std::move(*earlier), .round = round};
        if (Status judged = judgeBotRules(botCheck, rules); !judged)
            return fail(judged.error());
        for (const LearningStep &step : checked) {
            if (Status judged = judgeStepPrecision(botCheck, step); !judged)
                return fail(judged.error());
        }
        // A bot without `alerts` has nowhere to send them: the events are the record.
        if (botCheck.pending.isEmpty() || !definition.alerts)
            continue;
        if (Status sent = sendPending(botCheck); !sent)
            return fail(sent.error());
    }
    return round;
}

} // namespace clerk::report
