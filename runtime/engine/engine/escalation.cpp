#include "engine/escalation.h"

#include "core/business_hours.h"
#include "engine/step.h"

#include <QRegularExpression>
#include <QTimeZone>

namespace clerk::engine {

namespace {

bool ruleHolds(const bot::EscalationRule &rule, const StepContext &ctx)
{
    if (!rule.when.isEmpty() && !conditionHolds(rule.when, ctx))
        return false;
    if (rule.keywords.isEmpty())
        return true;
    auto text = bot::Template::parse(rule.text);
    return text && containsKeyword(ctx.render(*text), rule.keywords);
}

// Outside the rule's business hours its out-of-hours team takes the item.
QString teamFor(const bot::EscalationRule &rule, const bot::BotDefinition &bot, const QDateTime &now)
{
    if (rule.outOfHoursTeam.isEmpty() || rule.businessHours.isEmpty())
        return rule.team;
    const QTimeZone zone(bot.trigger ? bot.trigger->timeZone.toUtf8() : QByteArrayLiteral("Europe/London"));
    auto hours = BusinessHours::parse(rule.businessHours, zone.isValid() ? zone : QTimeZone(QByteArrayLiteral("UTC")));
    if (!hours || hours->contains(now))
        return rule.team;
    return rule.outOfHoursTeam;
}

} // namespace

bool containsKeyword(const QString &text, const QStringList &keywords)
{
    for (const QString &keyword : keywords) {
        const QString trimmed = keyword.trimmed();
        if (trimmed.isEmpty())
            continue;
        // Whole words: "carer" is not found in "careers"; spaces in a phrase match any run of them.
        QString pattern = QRegularExpression::escape(trimmed);
        pattern.replace(QStringLiteral("\\ "), QStringLiteral("\\s+"));
        const QRegularExpression found(QStringLiteral("(?<!\\w)%1(?!\\w)").arg(pattern),
                                       QRegularExpression::CaseInsensitiveOption
                                           | QRegularExpression::UseUnicodePropertiesOption);
        if (found.match(text).hasMatch())
            return true;
    }
    return false;
}

Escalation escalationFor(const bot::BotDefinition &bot, const WorkItem &item, int stepIndex,
                         const HumanRequest &request, const QDateTime &now)
{
    if (bot.escalate.isEmpty() || stepIndex < 0 || stepIndex >= bot.steps.size())
        return {};
    // The asking step's outputs as the rules see them: its guess, under what it knows.
    WorkItem seen = item;
    QJsonObject asking = request.proposed;
    for (auto it = request.outputs.begin(); it != request.outputs.end(); ++it)
        asking.insert(it.key(), it.value());
    seen.stepOutputs.insert(bot.steps.at(stepIndex).id, asking);
    const StepContext ctx(seen, bot, stepIndex, true, {}, {});
    for (const bot::EscalationRule &rule : bot.escalate) {
        if (!ruleHolds(rule, ctx))
            continue;
        return {.team = teamFor(rule, bot, now), .sla = rule.sla, .priority = rule.priority, .urgency = rule.label};
    }
    return {};
}

} // namespace clerk::engine
