#include "person_search.h"

#include <QDate>
#include <QJsonArray>
#include <QJsonObject>
#include <QRegularExpression>

namespace clerk::app {

namespace {

QString plainOf(const QString &text)
{
    return text.simplified().toCaseFolded();
}

QString compactOf(const QString &text)
{
    QString compact;
    for (const QChar c : text) {
        if (c.isLetterOrNumber())
            compact.append(c.toCaseFolded());
    }
    return compact;
}

// The other way clerk writes a date: ISO for a UK date, UK for an ISO date.
QString otherDateForm(const QString &term)
{
    const QString trimmed = term.trimmed();
    for (const QString &format : {QStringLiteral("dd/MM/yyyy"), QStringLiteral("d/M/yyyy")}) {
        const QDate uk = QDate::fromString(trimmed, format);
        if (uk.isValid())
            return uk.toString(Qt::ISODate);
    }
    const QDate iso = QDate::fromString(trimmed, Qt::ISODate);
    return iso.isValid() ? iso.toString(QStringLiteral("dd/MM/yyyy")) : QString();
}

} // namespace

PersonTerms::PersonTerms(const QStringList &terms)
{
    for (const QString &given : terms) {
        if (given.trimmed().isEmpty())
            continue;
        m_given.append(given.trimmed());
        Term term;
        QStringList forms{given};
        if (const QString other = otherDateForm(given); !other.isEmpty())
            forms.append(other);
        for (const QString &form : forms) {
            term.plain.append(plainOf(form));
            if (const QString compact = compactOf(form); compact.size() >= 5)
                term.compact.append(compact);
        }
        m_terms.append(term);
    }
}

void PersonTerms::collect(const QJsonValue &value, QList<bool> &found) const
{
    if (value.isObject()) {
        const QJsonObject object = value.toObject();
        for (auto it = object.begin(); it != object.end(); ++it)
            collect(it.value(), found);
        return;
    }
    if (value.isArray()) {
        for (const QJsonValue &element : value.toArray())
            collect(element, found);
        return;
    }
    const QString text = value.isString() ? value.toString() : value.isDouble() ? value.toVariant().toString() : QString();
    if (text.isEmpty())
        return;
    const QString plain = plainOf(text);
    const QString compact = compactOf(text);
    for (qsizetype i = 0; i < m_terms.size(); ++i) {
        if (found[i])
            continue;
        for (const QString &form : m_terms[i].plain)
            found[i] = found[i] || plain.contains(form);
        for (const QString &form : m_terms[i].compact)
            found[i] = found[i] || compact.contains(form);
    }
}

QStringList PersonTerms::foundIn(const QJsonValue &value) const
{
    QList<bool> found(m_terms.size(), false);
    collect(value, found);
    QStringList terms;
    for (qsizetype i = 0; i < found.size(); ++i) {
        if (found[i])
            terms.append(m_given[i]);
    }
    return terms;
}

std::optional<PersonHit> personHit(const PersonTerms &terms, const WorkItem &item,
                                   const QList<store::ExceptionItem> &exceptions)
{
    if (terms.terms().isEmpty())
        return std::nullopt;
    QJsonArray answers;
    for (const store::ExceptionItem &exception : exceptions) {
        answers.append(QJsonObject{{QStringLiteral("evidence"), exception.evidence},
                                   {QStringLiteral("choices"), HumanRequest{.choices = exception.choices}.choicesJson()},
                                   {QStringLiteral("outputs"), exception.partialOutputs},
                                   {QStringLiteral("decision"), exception.decision.toJson()}});
    }
    const QList<std::pair<QString, QJsonValue>> places{{QStringLiteral("input"), item.payload},
                                                       {QStringLiteral("outputs"), item.stepOutputs},
                                                       {QStringLiteral("answers"), answers}};
    QStringList found;
    PersonHit hit{.item = item, .exceptions = exceptions};
    for (const auto &[place, value] : places) {
        const QStringList here = terms.foundIn(value);
        if (!here.isEmpty())
            hit.foundIn.append(place);
        found.append(here);
    }
    found.removeDuplicates();
    if (found.size() != terms.terms().size())
        return std::nullopt;
    return hit;
}

} // namespace clerk::app
