#include "server/json_views.h"

#include "core/shadow_suggestion.h"

#include <QJsonArray>

namespace clerk::server {

QString isoTime(const QDateTime &time)
{
    return time.isValid() ? time.toUTC().toString(Qt::ISODateWithMs) : QString();
}

QJsonValue timeOrNull(const QDateTime &time)
{
    return time.isValid() ? QJsonValue(isoTime(time)) : QJsonValue(QJsonValue::Null);
}

QJsonObject exceptionSummaryJson(const store::ExceptionItem &item, const QDateTime &now)
{
    const bool undecided = item.state == store::ExceptionState::Open || item.state == store::ExceptionState::Claimed;
    return {
        {QStringLiteral("id"), item.id},
        {QStringLiteral("item_id"), item.itemId},
        {QStringLiteral("bot"), item.bot},
        {QStringLiteral("step"), item.stepId},
        {QStringLiteral("team"), item.team},
        {QStringLiteral("reason"), item.reason},
        {QStringLiteral("priority"), item.priority},
        {QStringLiteral("urgency"), item.urgency.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(item.urgency)},
        {QStringLiteral("state"), store::toString(item.state)},
        {QStringLiteral("created_at"), timeOrNull(item.createdAt)},
        {QStringLiteral("sla_due_at"), timeOrNull(item.slaDueAt)},
        {QStringLiteral("age_seconds"), item.createdAt.isValid() ? item.createdAt.secsTo(now) : 0},
        {QStringLiteral("breached"), undecided && item.slaDueAt.isValid() && item.slaDueAt < now},
        {QStringLiteral("claimed_by"), item.claimedBy.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(item.claimedBy)},
        {QStringLiteral("claim_expires_at"), item.claimedBy.isEmpty() ? QJsonValue(QJsonValue::Null)
                                                                        : timeOrNull(item.claimExpiresAt)},
    };
}

QJsonObject exceptionDetailJson(const store::ExceptionItem &item, const WorkItem &work, int pages, const QDateTime &now)
{
    QJsonObject detail = exceptionSummaryJson(item, now);
    QJsonObject evidence = item.evidence;
    const std::optional<QJsonObject> suggestion = ShadowSuggestion::takeForPeople(evidence);
    detail.insert(QStringLiteral("evidence"), evidence);
    detail.insert(QStringLiteral("suggestion"), suggestion ? QJsonValue(*suggestion) : QJsonValue(QJsonValue::Null));
    QJsonArray choices;
    for (const HumanChoice &choice : item.choices) {
        choices.append(QJsonObject{{QStringLiteral("value"), choice.value},
                                   {QStringLiteral("label"), choice.label.isEmpty() ? choice.value : choice.label},
                                   {QStringLiteral("detail"), choice.detail}});
    }
    detail.insert(QStringLiteral("choices"), choices);
    detail.insert(QStringLiteral("fields"), QJsonArray::fromStringList(item.fields));
    detail.insert(QStringLiteral("outputs"), item.partialOutputs);
    detail.insert(QStringLiteral("input"), work.payload);
    detail.insert(QStringLiteral("read"), work.stepOutputs);
    detail.insert(QStringLiteral("document"),
                  pages > 0 ? QJsonValue(QJsonObject{{QStringLiteral("pages"), pages}}) : QJsonValue(QJsonValue::Null));
    detail.insert(QStringLiteral("item_state"), toString(work.state));
    detail.insert(QStringLiteral("decision"), item.decision.isEmpty() ? QJsonValue(QJsonValue::Null)
                                                                      : QJsonValue(item.decision.toJson()));
    detail.insert(QStringLiteral("decided_by"),
                  item.decidedBy.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(item.decidedBy));
    detail.insert(QStringLiteral("decided_at"), timeOrNull(item.decidedAt));
    return detail;
}

QJsonObject itemSummaryJson(const WorkItem &item)
{
    return {
        {QStringLiteral("id"), item.id},
        {QStringLiteral("bot"), item.bot},
        {QStringLiteral("bot_version"), item.botVersion},
        {QStringLiteral("state"), toString(item.state)},
        {QStringLiteral("step_cursor"), item.stepCursor},
        {QStringLiteral("attempts"), item.attempts},
        {QStringLiteral("last_error"), item.lastError.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(item.lastError)},
        {QStringLiteral("created_at"), timeOrNull(item.createdAt)},
        {QStringLiteral("updated_at"), timeOrNull(item.updatedAt)},
        {QStringLiteral("finished_at"), timeOrNull(item.finishedAt)},
    };
}

QJsonObject eventJson(const store::Event &event)
{
    return {
        {QStringLiteral("id"), event.id},
        {QStringLiteral("at"), timeOrNull(event.at)},
        {QStringLiteral("kind"), event.kind},
        {QStringLiteral("actor"), event.actor},
        {QStringLiteral("detail"), event.detail},
    };
}

} // namespace clerk::server
