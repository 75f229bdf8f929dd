#include "engine/engine.h"

#include "engine/escalation.h"

#include "core/duration.h"
#include "core/human_answer.h"
#include "core/logging.h"

#include <QCoreApplication>
#include <QDeadlineTimer>
#include <QJsonArray>
#include <QSysInfo>
#include <QRandomGenerator>
#include <QRegularExpression>

#include <algorithm>
#include <cmath>
#include <exception>
#include <optional>

namespace clerk::engine {

using namespace std::chrono;

QString defaultWorkerId()
{
    return QStringLiteral("%1:%2:%3")
        .arg(QSysInfo::machineHostName())
        .arg(QCoreApplication::applicationPid())
        .arg(QRandomGenerator::global()->generate() % 100000);
}

milliseconds retryDelay(const bot::RetryPolicy &policy, int attempt, milliseconds floor)
{
    const double base = static_cast<double>(policy.initialDelay.count()) * std::pow(2.0, std::min(attempt, 40));
    const double capped = std::min(base, static_cast<double>(policy.maxDelay.count()));
    const double jittered = capped / 2.0 + QRandomGenerator::global()->generateDouble() * capped / 2.0;
    return std::max(milliseconds(static_cast<qint64>(jittered)), floor);
}

Engine::Engine(EngineStore store, const StepRegistry &registry, EngineOptions options, const Clock &clock)
    : m_store(store), m_registry(registry), m_options(std::move(options)), m_clock(clock)
{
    if (m_options.workerId.isEmpty())
        m_options.workerId = defaultWorkerId();
}

Engine::~Engine() = default;

Result<Engine::LoadedBot> Engine::instantiate(const bot::BotDefinition &definition) const
{
    LoadedBot loaded{definition, {}};
    for (const bot::StepDefinition &step : definition.steps) {
        const StepType *type = m_registry.find(step.type);
        if (!type)
            return fail(Error::notFound(QStringLiteral("bot %1 uses step type '%2', which this clerk does not have")
                                            .arg(definition.name, step.type)));
        auto created = type->create(definition, step);
        if (!created)
            return fail(created.error().withContext(QStringLiteral("bot %1: step %2").arg(definition.name, step.id)));
        loaded.steps.push_back(std::move(*created));
    }
    return loaded;
}

Status Engine::addBot(const bot::BotDefinition &bot)
{
    if (m_bots.contains(bot.digest))
        return {};
    auto loaded = instantiate(bot);
    if (!loaded)
        return fail(loaded.error());
    if (auto saved = m_store.work.saveDefinition(bot.name, bot.version, bot.digest, bot.sourceText, bot.baseDir); !saved)
        return saved;
    m_bots.insert(bot.digest, std::make_shared<LoadedBot>(std::move(*loaded)));
    return {};
}

Result<const Engine::LoadedBot *> Engine::loadedBot(const QString &digest)
{
    if (auto it = m_bots.constFind(digest); it != m_bots.constEnd())
        return it->get();
    auto stored = m_store.work.definition(digest);
    if (!stored)
        return fail(stored.error());
    const bot::BotLoad load = bot::loadBotText(stored->source, QStringLiteral("stored bot %1").arg(digest.left(12)),
                                               m_registry.catalog(), m_options.connectors, stored->baseDir);
    if (!load.bot) {
        QString first = load.diagnostics.isEmpty() ? QString() : load.diagnostics.first().toString();
        return fail(Error::invalidArgument(QStringLiteral("the stored bot definition no longer loads: %1").arg(first)));
    }
    if (load.bot->digest != digest)
        return fail(Error::corrupt(QStringLiteral("the stored bot definition %1 does not match its digest").arg(digest.left(12))));
    auto loaded = instantiate(*load.bot);
    if (!loaded)
        return fail(loaded.error());
    auto shared = std::make_shared<LoadedBot>(std::move(*loaded));
    m_bots.insert(digest, shared);
    return shared.get();
}

Result<store::Decision> Engine::checkAnswer(const store::ExceptionItem &question, store::Decision answer)
{
    auto item = m_store.work.item(question.itemId);
    if (!item)
        return fail(item.error());
    auto loaded = loadedBot(item->definitionDigest);
    if (!loaded)
        return fail(loaded.error());
    const LoadedBot &bot = **loaded;
    const auto index = static_cast<size_t>(question.stepIndex);
    if (question.stepIndex < 0 || index >= bot.steps.size() || bot.definition.steps.at(question.stepIndex).id != question.stepId)
        return fail(Error::corrupt(QStringLiteral("exception %1 names step %2, which bot %3 does not have at %4")
                                       .arg(question.id)
                                       .arg(question.stepId, bot.definition.name)
                                       .arg(question.stepIndex)));
    try {
        return bot.steps.at(index)->checkAnswer(question, std::move(answer));
    } catch (const std::exception &e) {
        return fail(Error::internal(QStringLiteral("checking the answer to step %1 failed: %2")
                                        .arg(question.stepId, QString::fromUtf8(e.what()))));
    }
}

Result<store::EnqueueResult> Engine::submit(const bot::BotDefinition &bot, const QString &sourceRef,
                                            const QJsonObject &payload, std::optional<int> priority)
{
    if (auto added = addBot(bot); !added)
        return fail(added.error());
    store::NewItem item{bot.name, bot.version, bot.digest, sourceRef, payload, priority.value_or(bot.priority)};
    return m_store.work.enqueue(item);
}

namespace {

// The next batch's size after `count` items took `elapsed`: what fits in `target` at
// that pace, at most twice the last size and `max`, at least one.
int nextBatchSize(qsizetype count, std::chrono::steady_clock::duration elapsed, std::chrono::milliseconds target, int max)
{
    const auto perItem = elapsed / std::max<qsizetype>(count, 1);
    const qint64 fits = perItem.count() > 0 ? target / perItem : max;
    return static_cast<int>(std::clamp<qint64>(fits, 1, std::min<qint64>(max, 2 * count)));
}

} // namespace

Result<int> Engine::runUntilIdle(const QStringList &bots)
{
    int taken = 0;
    for (;;) {
        const auto leasedAt = steady_clock::now();
        auto leased = m_store.work.leaseBatch(m_options.workerId, m_options.leaseFor, m_batchSize, bots);
        if (!leased)
            return fail(leased.error());
        if (leased->isEmpty())
            return taken;
        taken += static_cast<int>(leased->size());
        if (auto ran = runBatch(std::move(*leased), leasedAt); !ran)
            return fail(ran.error());
    }
}

Status Engine::runBatch(QList<WorkItem> items, steady_clock::time_point leasedAt)
{
    QList<Finishing> finishing;
    qsizetype started = 0;
    for (; started < items.size(); ++started) {
        // A batch that has taken a third of its leases (its items turned out slower than
        // the last batch's) stores what finished and hands back the items it has not
        // started, without counting an attempt, rather than let their leases run out.
        if (started > 0 && steady_clock::now() - leasedAt > m_options.leaseFor / 3)
            break;
        auto ran = runLeased(std::move(items[started]), leasedAt, &finishing);
        // Conflict: the lease was lost to another worker mid-item; that worker carries on.
        if (!ran && ran.error().code() != ErrorCode::Conflict)
            return fail(ran.error());
    }
    if (auto stored = storeFinished(finishing); !stored)
        return stored;
    for (qsizetype rest = started; rest < items.size(); ++rest) {
        auto released = m_store.work.releaseLease(items.at(rest).id, m_options.workerId);
        if (!released && released.error().code() != ErrorCode::Conflict)
            return fail(released.error());
    }
    m_batchSize = nextBatchSize(started, steady_clock::now() - leasedAt, m_options.batchTime,
                                std::max(1, m_options.maxBatch));
    return {};
}

Status Engine::storeFinished(QList<Finishing> &finishing)
{
    if (finishing.isEmpty())
        return {};
    QList<store::CompletedStep> steps;
    steps.reserve(finishing.size());
    for (const Finishing &done : std::as_const(finishing))
        steps.append(done.step);
    auto stored = m_store.work.completeSteps(m_options.workerId, steps);
    if (!stored)
        return fail(stored.error());
    for (qsizetype n = 0; n < finishing.size(); ++n) {
        // A lease lost meanwhile: the item's new worker carries on, as in runLeased.
        if (!stored->at(n))
            continue;
        const WorkItem &item = finishing.at(n).item;
        qCInfo(lcEngine).noquote() << "item" << item.id << "bot" << item.bot << "done";
        if (auto reported = stop(item, ItemState::Done, {}); !reported)
            return fail(reported.error());
    }
    finishing.clear();
    return {};
}

namespace {

// What a person already decided for step `stepId` when an earlier step asked on its behalf
// (ocr, for an unreadable letter, asks for the category and fields the later steps would
// have found): that step's outputs list them under `answered`. Empty values are left out.
std::optional<store::Decision> givenByPerson(const WorkItem &item, const QString &stepId)
{
    for (auto it = item.stepOutputs.begin(); it != item.stepOutputs.end(); ++it) {
        const QJsonObject outputs = it.value().toObject();
        const QJsonArray names = outputs.value(QStringLiteral("answered")).toObject().value(stepId).toArray();
        if (names.isEmpty())
            continue;
        store::Decision given;
        given.actor = outputs.value(QStringLiteral("decided_by")).toString();
        for (const QJsonValue &name : names) {
            const QJsonValue value = outputs.value(name.toString());
            if (!value.isUndefined() && !value.isNull() && !value.toString().trimmed().isEmpty())
                given.fields.insert(name.toString(), value);
        }
        return given;
    }
    return std::nullopt;
}

} // namespace

Result<std::optional<qint64>> Engine::itemOfSentMessage(const QString &messageId)
{
    // As notify_step.cpp makes it: the key, "@", the bot's name with _ as -, ".clerk".
    static const QRegularExpression pattern(QStringLiteral("^(clerk-[0-9a-f]{16}-[0-9]{1,4}-[A-Za-z0-9_-]{1,100})@([A-Za-z0-9-]{1,100})\\.clerk$"));
    const QRegularExpressionMatch match = pattern.match(messageId);
    if (!match.hasMatch())
        return std::optional<qint64>();
    auto sent = m_store.outbox.sentAction(match.captured(1));
    if (!sent)
        return fail(sent.error());
    if (!*sent)
        return std::optional<qint64>();
    QString domain = (*sent)->bot;
    domain.replace(QLatin1Char('_'), QLatin1Char('-'));
    if (domain.compare(match.captured(2), Qt::CaseInsensitive) != 0)
        return std::optional<qint64>();
    return std::optional<qint64>((*sent)->itemId);
}

Status Engine::recordReply(qint64 itemId, qint64 replyItemId, const QString &messageId)
{
    return m_store.outbox.recordReply(itemId, replyItemId, messageId.section(QLatin1Char('@'), 0, 0));
}

Status Engine::recordBounce(qint64 itemId, const QString &messageId)
{
    auto item = m_store.work.item(itemId);
    if (!item)
        return fail(item.error());
    // The key is "clerk-<digest>-<step index>-<step id>".
    const QString key = messageId.section(QLatin1Char('@'), 0, 0);
    return m_store.outbox.recordNotice(itemId, item->bot, key.section(QLatin1Char('-'), 3), key, NoticeOutcome::Bounced);
}

StepOutcome Engine::runStep(const LoadedBot &bot, int index, StepContext &ctx) const
{
    const bot::StepDefinition &definition = bot.definition.steps.at(index);
    if (!definition.when.isEmpty() && !conditionHolds(definition.when, ctx))
        return StepOutcome::continueWith({{QStringLiteral("skipped"), true}});
    const StepType *type = m_registry.find(definition.type);
    if (m_options.dryRun && type && type->schema.sideEffects) {
        return StepOutcome::continueWith({{QStringLiteral("dry_run"), bot.steps.at(static_cast<size_t>(index))->describeAction(ctx)}});
    }
    try {
        return bot.steps.at(static_cast<size_t>(index))->run(ctx);
    } catch (const std::exception &e) {
        return StepOutcome::fail(QStringLiteral("internal error in step %1: %2").arg(definition.id, QString::fromUtf8(e.what())));
    } catch (...) {
        return StepOutcome::fail(QStringLiteral("internal error in step %1").arg(definition.id));
    }
}

// A person who already answered for this step is not asked again: their values answer
// the step's question as if given to it (checked by the step), or go over what the step
// worked out. A value the step refuses leaves its outcome as it was.
StepOutcome Engine::withGivenAnswer(const LoadedBot &bot, int index, const WorkItem &item, StepOutcome outcome) const
{
    const bool asks = outcome.kind() == StepOutcome::Kind::NeedsHuman;
    if (!asks && outcome.kind() != StepOutcome::Kind::Continue)
        return outcome;
    const bot::StepDefinition &step = bot.definition.steps.at(index);
    const std::optional<store::Decision> given = givenByPerson(item, step.id);
    if (!given || given->fields.isEmpty())
        return outcome;
    HumanRequest asked;
    if (asks)
        asked = outcome.humanRequest();
    else
        asked.outputs = outcome.outputs();
    for (auto it = given->fields.begin(); it != given->fields.end(); ++it) {
        if (!asked.fields.contains(it.key()))
            asked.fields.append(it.key());
    }
    store::ExceptionItem question;
    question.itemId = item.id;
    question.bot = bot.definition.name;
    question.stepIndex = index;
    question.stepId = step.id;
    question.choices = asked.choices;
    question.fields = asked.fields;
    question.partialOutputs = asked.outputs;
    question.createdAt = item.createdAt;
    Result<store::Decision> checked = fail(Error::internal(QStringLiteral("not checked")));
    try {
        checked = bot.steps.at(static_cast<size_t>(index))->checkAnswer(question, *given);
    } catch (const std::exception &e) {
        checked = fail(Error::internal(QString::fromUtf8(e.what())));
    }
    if (!checked) {
        qCInfo(lcEngine).noquote() << "item" << item.id << "step" << step.id
                                   << "does not take the value a person gave earlier:" << checked.error().message();
        return outcome;
    }
    const HumanAnswer answer{checked->choice, checked->fields, checked->outputs, checked->actor};
    return StepOutcome::continueWith(answerOutputs(asked, answer));
}

Result<ItemState> Engine::stop(const WorkItem &item, ItemState state, const QString &reason)
{
    if (m_observer)
        m_observer->onItemStopped(item, state, reason);
    return state;
}

Result<ItemState> Engine::runLeased(WorkItem item)
{
    return runLeased(std::move(item), steady_clock::now(), nullptr);
}

Result<ItemState> Engine::runLeased(WorkItem item, steady_clock::time_point leasedAt, QList<Finishing> *finishing)
{
    const QString &owner = m_options.workerId;
    auto loaded = loadedBot(item.definitionDigest);
    if (!loaded) {
        const QString reason = QStringLiteral("cannot load the bot definition: %1").arg(loaded.error().toString());
        if (auto failed = m_store.work.failItem(item.id, owner, reason); !failed)
            return fail(failed.error());
        return stop(item, ItemState::Failed, reason);
    }
    const LoadedBot &bot = **loaded;
    const bot::BotDefinition &definition = bot.definition;

    // An item whose worker died repeatedly mid-step (each takeover counts an attempt)
    // is stopped here, so one poisonous document cannot block a worker forever.
    if (item.attempts > definition.retry.maxAttempts) {
        const QString reason = QStringLiteral("gave up after %1 attempts; last: %2").arg(item.attempts).arg(item.lastError);
        if (auto failed = m_store.work.failItem(item.id, owner, reason); !failed)
            return fail(failed.error());
        return stop(item, ItemState::Failed, reason);
    }

    if (m_observer)
        m_observer->onItemStarted(item);
    qCDebug(lcEngine) << "item" << item.id << "bot" << definition.name << "from step" << item.stepCursor;

    auto lastRenewal = leasedAt;
    const auto renewEvery = m_options.leaseFor / 3;
    const int stepCount = static_cast<int>(definition.steps.size());

    for (int index = item.stepCursor; index < stepCount; ++index) {
        const bot::StepDefinition &step = definition.steps.at(index);
        if (steady_clock::now() - lastRenewal > renewEvery) {
            if (auto renewed = m_store.work.renewLease(item.id, owner, m_options.leaseFor); !renewed)
                return fail(renewed.error());
            lastRenewal = steady_clock::now();
        }

        StepContext ctx(item, definition, index, m_options.dryRun,
                        [this, &item, index](const QString &key) { return m_store.outbox.beginAction(key, item.id, index); },
                        [this](const QString &key) { return m_store.outbox.finishAction(key); },
                        [this](const QString &key) { return m_store.outbox.abandonAction(key); });
        ctx.setExtraIntakeRoots(m_options.intakeRoots);
        const milliseconds timeLimit = step.timeLimit > 0ms ? step.timeLimit : definition.stepTimeLimit;
        if (timeLimit > 0ms)
            ctx.setDeadline(QDeadlineTimer(timeLimit.count()));
        StepOutcome outcome = runStep(bot, index, ctx);
        outcome = withGivenAnswer(bot, index, item, std::move(outcome));
        // A step stopped by its time limit (OCR cancelled, a call cut short) tried and
        // failed for lack of time, not because the item is bad: it is retried later, and
        // fails after the bot's retry limit as other temporary failures do. A step that
        // finished its work, or asked a person, late keeps its answer.
        bool overTime = false;
        if (timeLimit > 0ms && ctx.deadline().hasExpired() &&
            (outcome.kind() == StepOutcome::Kind::RetryLater || outcome.kind() == StepOutcome::Kind::Fail)) {
            overTime = true;
            outcome = StepOutcome::retryLater(0ms, QStringLiteral("took longer than its time limit of %1")
                                                       .arg(formatDuration(timeLimit)));
        }
        if (m_observer)
            m_observer->onStepFinished(item, step, outcome);
        if (const auto notice = outcome.notice(); notice && !m_options.dryRun)
            if (auto noted = m_store.outbox.recordNotice(item.id, definition.name, step.id, ctx.idempotencyKey(), *notice); !noted)
                return fail(noted.error());

        switch (outcome.kind()) {
        case StepOutcome::Kind::Continue: {
            const bool last = index + 1 == stepCount;
            if (last && finishing) {
                finishing->append({item, {item.id, index, step.id, outcome.outputs(), true}});
                return ItemState::Done;
            }
            if (auto done = m_store.work.completeStep(item.id, owner, index, step.id, outcome.outputs(), last); !done)
                return fail(done.error());
            item.stepOutputs.insert(step.id, outcome.outputs());
            item.stepCursor = index + 1;
            if (last) {
                qCInfo(lcEngine).noquote() << "item" << item.id << "bot" << definition.name << "done";
                return stop(item, ItemState::Done, {});
            }
            break;
        }
        case StepOutcome::Kind::NeedsHuman: {
            HumanRequest request = outcome.humanRequest();
            // The bot's escalate rules may make it urgent: another team, a shorter SLA, first in the queue.
            const Escalation escalation = escalationFor(definition, item, index, request, m_clock.now());
            request.priority = escalation.priority;
            request.urgency = escalation.urgency;
            QString team = escalation.team;
            if (team.isEmpty())
                team = request.team;
            if (team.isEmpty())
                team = step.team;
            if (team.isEmpty())
                team = definition.exceptionTeam.isEmpty() ? definition.ownerTeam : definition.exceptionTeam;
            const auto sla = escalation.sla.count() > 0 ? escalation.sla : definition.exceptionSla;
            const QDateTime due = m_clock.now().addMSecs(sla.count());
            auto handed = m_store.work.handToPerson(item.id, owner, index, step.id, request, team, due);
            if (!handed)
                return fail(handed.error());
            qCInfo(lcEngine).noquote() << "item" << item.id << "bot" << definition.name << "step" << step.id
                                       << "needs a person: exception" << *handed << "for team" << team
                                       << (escalation.urgency.isEmpty() ? QString()
                                                                        : QStringLiteral("(urgent: %1)").arg(escalation.urgency));
            return stop(item, ItemState::WaitingForHuman, request.reason);
        }
        case StepOutcome::Kind::RetryLater: {
            const QString reason = overTime ? QStringLiteral("step %1 %2").arg(step.id, outcome.reason())
                                            : QStringLiteral("step %1: %2").arg(step.id, outcome.reason());
            if (item.attempts >= definition.retry.maxAttempts) {
                const QString final = QStringLiteral("gave up after %1 retries; %2").arg(item.attempts).arg(reason);
                if (auto failed = m_store.work.failItem(item.id, owner, final); !failed)
                    return fail(failed.error());
                qCWarning(lcEngine).noquote() << "item" << item.id << "bot" << definition.name << "failed:" << final;
                return stop(item, ItemState::Failed, final);
            }
            const milliseconds delay = retryDelay(definition.retry, item.attempts, outcome.delay());
            if (auto retry = m_store.work.scheduleRetry(item.id, owner, m_clock.now().addMSecs(delay.count()), reason); !retry)
                return fail(retry.error());
            qCInfo(lcEngine).noquote() << "item" << item.id << "bot" << definition.name << "will retry in"
                                       << delay.count() << "ms:" << reason;
            return stop(item, ItemState::Queued, reason);
        }
        case StepOutcome::Kind::Fail: {
            const QString reason = QStringLiteral("step %1: %2").arg(step.id, outcome.reason());
            if (auto failed = m_store.work.failItem(item.id, owner, reason); !failed)
                return fail(failed.error());
            qCWarning(lcEngine).noquote() << "item" << item.id << "bot" << definition.name << "failed:" << reason;
            return stop(item, ItemState::Failed, reason);
        }
        }
    }
    // The cursor was already past the last step (e.g. a person answered the last step).
    if (auto done = m_store.work.finishItem(item.id, owner); !done)
        return fail(done.error());
    return stop(item, ItemState::Done, {});
}

} // namespace clerk::engine
