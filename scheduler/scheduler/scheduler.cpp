#include "scheduler/scheduler.h"

#include "engine/record_source.h"

#include <QJsonObject>
#include <array>

namespace clerk::scheduler {

namespace {

const QString kLeadership = QStringLiteral("scheduler");
constexpr int kMaxSlotsPerTick = 200000;  // a bound on the walk to the newest due slot

} // namespace

Scheduler::Scheduler(SchedulerStore store, engine::Engine &submitter, const Clock &clock, SchedulerOptions options)
    : m_store(store), m_engine(submitter), m_clock(clock), m_options(std::move(options))
{
    if (m_options.owner.isEmpty())
        m_options.owner = m_engine.workerId();
}

Scheduler::~Scheduler() = default;

Status Scheduler::addBot(const bot::BotDefinition &bot)
{
    auto entry = std::make_shared<BotEntry>();
    entry->definition = bot;
    if (bot.trigger) {
        const bot::TriggerDefinition &trigger = *bot.trigger;
        const auto context = QStringLiteral("bot %1: trigger").arg(bot.name);
        using Kind = bot::TriggerDefinition::Kind;
        if (trigger.kind == Kind::Cron || trigger.kind == Kind::Interval) {
            auto schedule = FireSchedule::forTrigger(trigger, bot.name);
            if (!schedule)
                return fail(Error(schedule.error()).withContext(context));
            entry->schedule = std::move(*schedule);
            entry->misfire = trigger.misfire;
            entry->pollsSource = bot.source.has_value();
        } else if (trigger.kind == Kind::Mailbox) {
            auto settings = MailboxSettings::forBot(bot);
            if (!settings)
                return fail(Error(settings.error()).withContext(context));
            bot::TriggerDefinition every = trigger;
            every.kind = Kind::Interval;
            every.jitter = {};
            auto schedule = FireSchedule::forTrigger(every, bot.name);
            if (!schedule)
                return fail(Error(schedule.error()).withContext(context));
            entry->schedule = std::move(*schedule);
            entry->mailbox = std::make_unique<MailboxWatch>(std::move(*settings));
        } else if (trigger.kind == Kind::Watch) {
            auto settings = WatchSettings::forBot(bot);
            if (!settings)
                return fail(Error(settings.error()).withContext(context));
            entry->watch = std::make_unique<FolderWatch>(std::move(*settings));
        }
        const QString hours = trigger.options.value(QStringLiteral("business_hours")).toString();
        if (!hours.isEmpty() && (entry->schedule || entry->watch)) {
            auto window = BusinessHours::parse(hours, QTimeZone(trigger.timeZone.toUtf8()));
            if (!window)
                return fail(Error(window.error()).withContext(context));
            entry->window = *window;
        }
    }
    if (auto added = m_engine.addBot(bot); !added)
        return added;
    m_bots.insert(bot.name, std::move(entry));
    return {};
}

void Scheduler::removeBot(const QString &name)
{
    m_bots.remove(name);
}

std::chrono::milliseconds Scheduler::grace() const
{
    if (m_options.misfireGrace.count() > 0)
        return m_options.misfireGrace;
    return std::max<std::chrono::milliseconds>(std::chrono::minutes(1), 2 * m_options.leadershipLease);
}

Result<TickResult> Scheduler::tick()
{
    TickResult result;
    const QDateTime now = m_clock.now();
    auto leading = m_store.leadership.tryAcquireLeadership(kLeadership, m_options.owner, m_options.leadershipLease);
    if (!leading) {
        m_leader = false;
        return fail(Error(leading.error()).withContext(QStringLiteral("scheduler leadership")));
    }
    const bool wasLeader = m_leader;
    m_leader = *leading;
    result.leader = m_leader;

    // A paused bot's time slots do not fire; when it is resumed, the slots it missed are
    // handled by its misfire policy.
    QStringList paused;
    if (m_leader) {
        if (auto listed = m_store.work.pausedBots(); listed)
            paused = *listed;
        else
            result.problems.append(QStringLiteral("cannot read the paused bots: %1").arg(listed.error().toString()));
    }

    // Copy the list: a bot's entry stays alive for this tick even if replaced meanwhile.
    const QList<std::shared_ptr<BotEntry>> entries = m_bots.values();
    for (const std::shared_ptr<BotEntry> &entry : entries) {
        if (!entry->schedule)
            continue;
        // Another process may have fired slots while this one did not lead: read the last
        // slot handled back from the store when leadership begins.
        if (!m_leader || !wasLeader)
            entry->cursor.reset();
        if (m_leader && !paused.contains(entry->definition.name))
            fireDue(*entry, now, result);
    }
    for (const std::shared_ptr<BotEntry> &entry : entries) {
        if (!entry->watch)
            continue;
        const WatchScan scan = entry->watch->scan(m_engine, m_store.work, entry->definition, now,
                                                  entry->window ? &*entry->window : nullptr);
        result.enqueued += scan.enqueued;
        result.filed += scan.filed;
        result.problems += scan.problems;
    }
    return result;
}

Result<QDateTime> Scheduler::lastHandled(const BotEntry &entry, const QDateTime &now)
{
    // The newest items of the bot: counts from the summary give the offset of the last page.
    auto summary = m_store.figures.summary();
    if (!summary)
        return fail(summary.error());
    qint64 total = 0;
    for (const store::BotCounts &counts : summary->bots) {
        if (counts.bot == entry.definition.name)
            total = counts.queued + counts.leased + counts.waitingForHuman + counts.done + counts.failed
                + counts.cancelled;
    }
    constexpr int kPage = 200;
    store::ItemFilter filter;
    filter.bot = entry.definition.name;
    filter.limit = kPage;
    filter.offset = static_cast<int>(std::max<qint64>(0, total - kPage));
    auto items = m_store.work.items(filter);
    if (!items)
        return fail(items.error());
    std::optional<QDateTime> newest;
    for (const WorkItem &item : *items) {
        if (const auto nominal = entry.schedule->nominalFromSourceRef(item.sourceRef)) {
            const QDateTime due = entry.schedule->slotAt(*nominal).due;
            if (!newest || due > *newest)
                newest = due;
        }
    }
    return newest.value_or(now);
}

void Scheduler::fireDue(BotEntry &entry, const QDateTime &now, TickResult &result)
{
    const FireSchedule &schedule = *entry.schedule;
    if (!entry.cursor && (entry.pollsSource || entry.mailbox)) {
        // Polls leave no item naming their slot (see the header): start within the grace.
        entry.cursor = now.addMSecs(-grace().count());
    } else if (!entry.cursor) {
        auto last = lastHandled(entry, now);
        if (!last) {
            result.problems.append(
                QStringLiteral("bot %1: cannot read its last fire: %2").arg(entry.definition.name, last.error().toString()));
            return;
        }
        entry.cursor = *last;
    }
    const std::optional<FireSlot> first = schedule.nextAfter(*entry.cursor);
    if (!first || first->due > now)
        return;

    // The newest slot due by now. Walk from a recent start first, so a long downtime with a
    // frequent schedule does not walk every missed slot; widen only when nothing is found.
    FireSlot newest = *first;
    static constexpr std::array<qint64, 5> kLookbackDays{0, 1, 35, 400, 0};
    for (std::size_t i = 0; i < kLookbackDays.size(); ++i) {
        QDateTime start = *entry.cursor;
        if (i == 0)
            start = std::max(start, now.addSecs(-3600));
        else if (i + 1 < kLookbackDays.size())
            start = std::max(start, now.addDays(-kLookbackDays[i]));
        std::optional<FireSlot> slot = schedule.nextAfter(start);
        if (!slot || slot->due > now)
            continue;
        int walked = 0;
        while (slot && slot->due <= now && walked++ < kMaxSlotsPerTick) {
            newest = *slot;
            slot = schedule.nextAfter(slot->due);
        }
        break;
    }

    const bool onTime = newest.due.msecsTo(now) <= grace().count();
    Status fired;
    if (onTime) {
        if (!entry.window || entry.window->contains(newest.nominal))
            fired = fire(entry, newest, false, result);
    } else if (entry.misfire == QLatin1String("run_once")) {
        if (!entry.window || entry.window->contains(newest.nominal))
            fired = fire(entry, newest, true, result);
    }
    if (!fired) {
        // Not handled: keep the cursor so the next tick tries again.
        result.problems.append(
            QStringLiteral("bot %1: fire not enqueued: %2").arg(entry.definition.name, fired.error().toString()));
        return;
    }
    entry.cursor = newest.due;
}

Status Scheduler::fire(BotEntry &entry, const FireSlot &slot, bool catchUp, TickResult &result)
{
    if (entry.pollsSource || entry.mailbox) {
        // A failed poll is retried on the next slot, not on the next tick: the other system
        // may be down for a while, and nothing is lost meanwhile.
        poll(entry, result);
        return {};
    }
    QJsonObject payload{{QStringLiteral("fired_at"), slot.nominal.toUTC().toString(Qt::ISODate)},
                        {QStringLiteral("trigger"), entry.schedule->kind()}};
    if (catchUp)
        payload.insert(QStringLiteral("catch_up"), true);
    auto submitted = m_engine.submit(entry.definition, entry.schedule->sourceRef(slot), payload);
    if (!submitted)
        return fail(submitted.error());
    if (submitted->created)
        ++result.enqueued;
    return {};
}

void Scheduler::poll(BotEntry &entry, TickResult &result)
{
    ++result.polls;
    const QString &name = entry.definition.name;
    if (entry.mailbox) {
        const MailboxPoll read = entry.mailbox->poll(m_engine, entry.definition);
        result.enqueued += read.enqueued;
        for (const QString &problem : read.problems)
            result.problems.append(QStringLiteral("bot %1: mailbox: %2").arg(name, problem));
        return;
    }
    auto polled = engine::pollSource(m_engine, entry.definition);
    if (!polled) {
        // The error names the connector, the operation and the HTTP status, never records.
        result.problems.append(QStringLiteral("bot %1: source not read, tried again at the next slot: %2")
                                   .arg(name, polled.error().toString()));
        return;
    }
    result.enqueued += polled->created;
    for (const QString &problem : polled->problems)
        result.problems.append(QStringLiteral("bot %1: source: %2").arg(name, problem));
    if (polled->truncated)
        result.problems.append(QStringLiteral("bot %1: source: more records than paginate.max_pages allows; the "
                                              "rest come with the next poll")
                                   .arg(name));
}

QDateTime Scheduler::nextWakeUp() const
{
    const QDateTime now = m_clock.now();
    QDateTime next = now.addMSecs(std::max<qint64>(1, m_options.leadershipLease.count() / 3));
    for (const std::shared_ptr<BotEntry> &entry : m_bots) {
        if (entry->schedule && m_leader) {
            if (!entry->cursor)
                return now;
            if (const auto slot = entry->schedule->nextAfter(*entry->cursor); slot && slot->due < next)
                next = slot->due;
        }
        if (entry->watch) {
            const QDateTime scan = entry->watch->nextScan();
            if (!scan.isValid())
                return now;
            next = std::min(next, scan);
        }
    }
    return next;
}

} // namespace clerk::scheduler
