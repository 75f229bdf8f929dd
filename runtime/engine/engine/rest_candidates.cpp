#include "engine/rest_candidates.h"

#include "rest/rest_connector.h"

#include <QJsonArray>
#include <QSet>

namespace clerk::engine {

Result<std::shared_ptr<const RestCandidates>> RestCandidates::create(const bot::BotDefinition &bot,
                                                                     const QJsonObject &search, QString idField,
                                                                     QList<match::FieldSpec> fields, QStringList columns)
{
    const QString name = search.value(QStringLiteral("connector")).toString();
    const bot::ConnectorDefinition *definition = bot.connector(name);
    if (!definition)
        return fail(Error::invalidArgument(QStringLiteral("search: connector '%1' is not known").arg(name)));
    auto connector = rest::sharedConnector(*definition);
    if (!connector)
        return fail(connector.error());
    auto candidates = std::make_shared<RestCandidates>();
    candidates->m_connector = *connector;
    candidates->m_idField = std::move(idField);
    candidates->m_fields = std::move(fields);
    candidates->m_columns = std::move(columns);
    for (const QJsonValue &value : search.value(QStringLiteral("queries")).toArray()) {
        const QJsonObject queryJson = value.toObject();
        Query query;
        query.operation = queryJson.value(QStringLiteral("operation")).toString();
        if (!(*connector)->hasOperation(query.operation))
            return fail(Error::invalidArgument(QStringLiteral("search: connector %1 has no operation '%2' (it has: %3)")
                                                   .arg(name, query.operation,
                                                        (*connector)->operations().join(QStringLiteral(", ")))));
        const QJsonObject params = queryJson.value(QStringLiteral("params")).toObject();
        for (auto it = params.begin(); it != params.end(); ++it) {
            auto parsed = bot::Template::parse(it.value().toString());
            if (!parsed)
                return fail(Error::invalidArgument(
                    QStringLiteral("search: %1: params.%2: %3").arg(query.operation, it.key(), parsed.error().message())));
            query.params.append({it.key(), *parsed});
        }
        candidates->m_queries.append(query);
    }
    if (candidates->m_queries.isEmpty())
        return fail(Error::invalidArgument(QStringLiteral("search: give at least one query")));
    return std::shared_ptr<const RestCandidates>(std::move(candidates));
}

Result<QList<match::MatchRecord>> RestCandidates::fetch(const QJsonObject &scope,
                                                       std::chrono::steady_clock::time_point deadline) const
{
    QList<match::MatchRecord> records;
    QSet<QString> seen;
    for (const Query &query : m_queries) {
        QJsonObject params;
        bool complete = true;
        for (const auto &[name, value] : query.params) {
            const QJsonValue rendered = value.renderValue(scope);
            if (rendered.isNull() || rendered.isUndefined() || (rendered.isString() && rendered.toString().trimmed().isEmpty()))
                complete = false;
            params.insert(name, rendered);
        }
        if (!complete)
            continue;  // the item lacks what this search needs
        rest::CallOptions options;
        options.deadline = deadline;
        const auto answer = m_connector->call(query.operation, params, options);
        if (!answer) {
            const rest::CallError &error = answer.error();
            if (error.retryable)
                return fail(error.error.code() == ErrorCode::Timeout ? Error::timeout(error.error.message())
                                                                     : Error::unavailable(error.error.message()));
            return fail(error.error);
        }
        for (const QJsonValue &value : answer->records) {
            const QJsonObject record = value.toObject();
            const QJsonValue idValue = record.value(m_idField);
            const QString id = idValue.isDouble() ? QString::number(idValue.toDouble(), 'g', 17) : idValue.toString();
            if (id.isEmpty() || seen.contains(id))
                continue;
            seen.insert(id);
            QStringList raw;
            for (const QString &column : m_columns) {
                const QJsonValue field = record.value(column);
                raw.append(field.isDouble() ? QString::number(field.toDouble(), 'g', 17) : field.toString());
            }
            records.append(match::MatchRecord::fromRaw(id, m_fields, raw));
        }
    }
    return records;
}

} // namespace clerk::engine
