#include "core/human_answer.h"

#include <QStringList>

namespace clerk {

namespace {

void layOver(QJsonObject &base, const QJsonObject &top)
{
    for (auto it = top.begin(); it != top.end(); ++it)
        base.insert(it.key(), it.value());
}

} // namespace

Status checkAnswerFits(const HumanRequest &asked, const HumanAnswer &answer)
{
    if (!answer.choice.isEmpty() && !asked.choices.isEmpty()) {
        QStringList offered;
        for (const HumanChoice &choice : asked.choices)
            offered.append(choice.value);
        if (!offered.contains(answer.choice)) {
            return fail(Error::invalidArgument(QStringLiteral("\"%1\" is not one of the offered choices: %2")
                                                   .arg(answer.choice, offered.join(QStringLiteral(", ")))));
        }
    }
    if (!asked.fields.isEmpty()) {
        for (auto it = answer.fields.begin(); it != answer.fields.end(); ++it) {
            if (!asked.fields.contains(it.key())) {
                return fail(Error::invalidArgument(QStringLiteral("field \"%1\" was not asked for; the fields are: %2")
                                                       .arg(it.key(), asked.fields.join(QStringLiteral(", ")))));
            }
        }
    }
    return {};
}

QJsonObject answerOutputs(const HumanRequest &asked, const HumanAnswer &answer)
{
    QJsonObject outputs = asked.outputs;
    QJsonObject chosen;
    if (!answer.choice.isEmpty()) {
        for (const HumanChoice &offered : asked.choices) {
            if (offered.value == answer.choice)
                chosen = offered.detail.value(QStringLiteral("outputs")).toObject();
        }
    }
    layOver(outputs, chosen);
    layOver(outputs, answer.implied);
    layOver(outputs, answer.fields);
    if (!answer.choice.isEmpty()) {
        outputs.insert(QStringLiteral("choice"), answer.choice);
        // A step that asked for one field and offered choices for it (route's team,
        // require's value) reads the picked choice as that field's value, unless the
        // choice says what the field becomes (match's "none": an empty record_id).
        const QString field = asked.fields.size() == 1 ? asked.fields.first() : QString();
        if (!field.isEmpty() && !answer.fields.contains(field) && !answer.implied.contains(field)
            && !chosen.contains(field))
            outputs.insert(field, answer.choice);
    }
    outputs.insert(QStringLiteral("decided_by"), answer.decidedBy);
    return outputs;
}

} // namespace clerk
