#include "core/step_outcome.h"

namespace clerk {

QJsonArray HumanRequest::choicesJson() const
{
    QJsonArray array;
    for (const HumanChoice &choice : choices) {
        QJsonObject object{{QStringLiteral("value"), choice.value},
                           {QStringLiteral("label"), choice.label.isEmpty() ? choice.value : choice.label}};
        if (!choice.detail.isEmpty())
            object.insert(QStringLiteral("detail"), choice.detail);
        array.append(object);
    }
    return array;
}

QList<HumanChoice> HumanRequest::choicesFromJson(const QJsonArray &array)
{
    QList<HumanChoice> choices;
    for (const QJsonValue &value : array) {
        const QJsonObject object = value.toObject();
        choices.append({object.value(QStringLiteral("value")).toString(),
                        object.value(QStringLiteral("label")).toString(),
                        object.value(QStringLiteral("detail")).toObject()});
    }
    return choices;
}

StepOutcome StepOutcome::continueWith(QJsonObject outputs)
{
    StepOutcome outcome(Kind::Continue);
    outcome.m_outputs = std::move(outputs);
    return outcome;
}

StepOutcome StepOutcome::needsHuman(HumanRequest request)
{
    StepOutcome outcome(Kind::NeedsHuman);
    outcome.m_reason = request.reason;
    outcome.m_human = std::move(request);
    return outcome;
}

StepOutcome StepOutcome::retryLater(std::chrono::milliseconds delay, QString reason)
{
    StepOutcome outcome(Kind::RetryLater);
    outcome.m_delay = delay;
    outcome.m_reason = std::move(reason);
    return outcome;
}

StepOutcome StepOutcome::fail(QString reason)
{
    StepOutcome outcome(Kind::Fail);
    outcome.m_reason = std::move(reason);
    return outcome;
}

QString toString(StepOutcome::Kind kind)
{
    switch (kind) {
    case StepOutcome::Kind::Continue: return QStringLiteral("continue");
    case StepOutcome::Kind::NeedsHuman: return QStringLiteral("needs_human");
    case StepOutcome::Kind::RetryLater: return QStringLiteral("retry_later");
    case StepOutcome::Kind::Fail: return QStringLiteral("fail");
    }
    return QStringLiteral("fail");
}

} // namespace clerk
