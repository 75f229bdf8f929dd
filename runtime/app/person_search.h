// Subject access: finding everything clerk holds about one person, for `clerk person`.
//
// Terms are what the council knows of the person: a name, a date of birth, an NHS
// number, an email address, a postcode, a case reference. A term is found in a text
// value ignoring case and runs of spaces; a term with at least five letters or digits
// is also found with spaces, dashes, dots and slashes left out on both sides (NHS
// 943 476 5919 is 9434765919, LS6 1RT is ls61rt); a date is also looked for in the
// other form clerk writes it (07/03/1984 and 1984-03-07). An item holds the person
// when every term is found somewhere in it: its input, its steps' outputs, or its
// exception items' evidence, choices and answers.
//
// Thread-safety: value types and pure functions.
#pragma once

#include "core/work_item.h"
#include "store/exception_queue.h"

#include <QJsonValue>
#include <QList>
#include <QString>
#include <QStringList>

namespace clerk::app {

class PersonTerms {
public:
    explicit PersonTerms(const QStringList &terms);

    // The terms (as given) found in `value`, any JSON (strings inside objects and arrays).
    QStringList foundIn(const QJsonValue &value) const;

    const QStringList &terms() const { return m_given; }

private:
    struct Term {
        QStringList plain;    // casefolded, spaces collapsed
        QStringList compact;  // letters and digits only (empty when too short to be safe)
    };
    void collect(const QJsonValue &value, QList<bool> &found) const;

    QStringList m_given;
    QList<Term> m_terms;
};

// Where one item holds the person: which terms were found where ("input", "outputs",
// "answers"); empty when not every term was found.
struct PersonHit {
    WorkItem item{};
    QList<store::ExceptionItem> exceptions{};
    QStringList foundIn{};  // "input", "outputs", "answers"
};

// `item` (with its exception items) as a hit when every term is found in it.
std::optional<PersonHit> personHit(const PersonTerms &terms, const WorkItem &item,
                                   const QList<store::ExceptionItem> &exceptions);

} // namespace clerk::app
