// Candidates for the match step from a case system's search API.
//
// A bot lists one or more searches (blocking queries), each a connector operation that
// returns records (`records` in the connector file) with `response` fields named like
// the match fields' columns, plus the record id. A search whose params render to an
// empty value is skipped (no NHS number on the form: no search by NHS number). The
// candidates are the union of all searches, each record once.
//
// Thread-safety: fetch() is const and may run on several workers at once.
#pragma once

#include "bot/bot_definition.h"
#include "bot/template.h"
#include "core/error.h"
#include "match/match_record.h"

#include <QJsonObject>
#include <chrono>
#include <memory>

namespace clerk::rest {
class RestConnector;
}

namespace clerk::engine {

class RestCandidates {
public:
    // `search` is the step's `search` block: {connector, queries: [{operation, params}]};
    // `idField` the record field holding each record's id (its id_field).
    // `fields` and `columns` are the match model's fields and, per field, the record field
    // holding it. InvalidArgument for an unknown connector or operation.
    static Result<std::shared_ptr<const RestCandidates>> create(const bot::BotDefinition &bot, const QJsonObject &search, QString idField,
                                                                QList<match::FieldSpec> fields, QStringList columns);

    // The candidates for one item, normalised for matching. Unavailable or Timeout when the
    // system cannot be asked now (the step retries later); other errors are permanent.
    // `deadline`: the step's time limit; calls are cut short at it (Timeout).
    Result<QList<match::MatchRecord>> fetch(const QJsonObject &scope,
                                            std::chrono::steady_clock::time_point deadline =
                                                std::chrono::steady_clock::time_point::max()) const;

private:
    struct Query {
        QString operation;
        QList<QPair<QString, bot::Template>> params;
    };
    std::shared_ptr<rest::RestConnector> m_connector;
    QList<Query> m_queries;
    QString m_idField;
    QList<match::FieldSpec> m_fields;
    QStringList m_columns;
};

} // namespace clerk::engine
