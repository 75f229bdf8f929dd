#include "core/shadow_suggestion.h"

#include <QJsonValue>
#include <QVariant>

#include <algorithm>

namespace clerk {

QString ShadowSuggestion::key()
{
    return QStringLiteral("suggestion");
}

void ShadowSuggestion::writeTo(QJsonObject &evidence) const
{
    evidence.insert(key(), QJsonObject{{QStringLiteral("choice"), choice},
                                       {QStringLiteral("confidence"), std::clamp(confidence, 0.0, 1.0)},
                                       {QStringLiteral("outputs"), outputs}});
}

std::optional<ShadowSuggestion> ShadowSuggestion::readFrom(const QJsonObject &evidence)
{
    const QJsonValue stored = evidence.value(key());
    if (!stored.isObject())
        return std::nullopt;
    const QJsonObject object = stored.toObject();
    const QJsonValue choice = object.value(QStringLiteral("choice"));
    const QJsonValue confidence = object.value(QStringLiteral("confidence"));
    if (choice.isUndefined() || choice.isNull() || !confidence.isDouble())
        return std::nullopt;
    return ShadowSuggestion{choice.isString() ? choice.toString() : choice.toVariant().toString(),
                            confidence.toDouble(), object.value(QStringLiteral("outputs")).toObject()};
}

QString ShadowSuggestion::qualityCheckKey()
{
    return QStringLiteral("quality_check");
}

bool ShadowSuggestion::isQualityCheck(const QJsonObject &evidence)
{
    return evidence.value(qualityCheckKey()).toBool(false) && readFrom(evidence).has_value();
}

QString ShadowSuggestion::blindKey()
{
    return QStringLiteral("blind");
}

std::optional<QJsonObject> ShadowSuggestion::takeForPeople(QJsonObject &evidence)
{
    const QJsonValue stored = evidence.take(key());
    if (evidence.value(blindKey()).toBool(false) || !stored.isObject())
        return std::nullopt;
    return stored.toObject();
}

} // namespace clerk
