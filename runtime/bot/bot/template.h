// Templates: values in bot files that refer to data, e.g.
//   "Contact form from {{ input.name }} about {{ classify.category | upper }}"
//
// A reference is a dotted path from one of these roots:
//   input.<field>...          the item's payload
//   item.id, item.source      the work item
//   bot.name, bot.version     the bot
//   <step id>.<field>...      the outputs of an earlier step
// Filters after `|`: upper, lower, trim, digits (keeps only digits: "943 476 5870" -> "9434765870")
// and iso_date (a UK day-first date -> YYYY-MM-DD; other text unchanged). Text outside
// {{ }} is copied as it is.
//
// Thread-safety: a parsed Template is immutable and may be shared between threads.
#pragma once

#include "core/error.h"

#include <QJsonObject>
#include <QJsonValue>
#include <QList>
#include <QString>
#include <QStringList>
#include <functional>

namespace clerk::bot {

class Template {
public:
    struct Reference {
        QStringList path;     // e.g. {"classify", "category"}
        QStringList filters;  // e.g. {"upper"}
        int offset = 0;       // 0-based position of the "{{" in the source text
    };

    // Parses `text`. Fails with InvalidArgument for an unclosed "{{", an empty
    // reference, a malformed path or an unknown filter; the message names the offset.
    static Result<Template> parse(const QString &text);

    const QList<Reference> &references() const { return m_references; }
    bool isLiteral() const { return m_references.isEmpty(); }

    // Renders with `scope`, a JSON object whose top-level keys are the roots above.
    // A missing field renders as empty text. When the template is exactly one reference
    // with no surrounding text and no filters, renderValue returns the JSON value itself
    // (a number stays a number, an object stays an object); a missing field then gives
    // null. Otherwise renderValue returns render() as a JSON string.
    QString render(const QJsonObject &scope) const;
    QJsonValue renderValue(const QJsonObject &scope) const;

    // As render(), with each reference's text (after its filters) passed through
    // `substitute` and its result inserted instead: to check or escape the values that
    // come from data, while the template's own text is copied as it is.
    using Substitute = std::function<QString(const Reference &reference, const QString &text)>;
    QString render(const QJsonObject &scope, const Substitute &substitute) const;

    const QString &source() const { return m_source; }

private:
    struct Part {
        QString literal;       // used when reference < 0
        int reference = -1;    // index into m_references
    };
    QString m_source;
    QList<Part> m_parts;
    QList<Reference> m_references;
};

} // namespace clerk::bot
