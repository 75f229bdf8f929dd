// Retention (retention.h) on the SQL store: finished items' contents erased, a skeleton left.
#include "store/sql_work_store_p.h"

#include "core/shadow_suggestion.h"
#include "store/sql_rows_p.h"

#include <QJsonArray>

namespace clerk::store {

namespace {

// What stays of an exception item's evidence: the suggestion and its flags, which the
// shadow and live precision figures read; nothing about the person.
QJsonObject keptEvidence(const QJsonObject &evidence)
{
    QJsonObject kept;
    if (const auto suggestion = ShadowSuggestion::readFrom(evidence))
        ShadowSuggestion{suggestion->choice, suggestion->confidence, {}}.writeTo(kept);
    for (const QString &flag : {ShadowSuggestion::qualityCheckKey(), ShadowSuggestion::blindKey(), QStringLiteral("shadow")}) {
        if (evidence.contains(flag))
            kept.insert(flag, evidence.value(flag));
    }
    return kept;
}

// What stays of a decision: the choice picked (a category or record id), or that the
// item was rejected; not the fields typed, the note or the rejection's words.
QJsonObject keptDecision(const QJsonObject &stored)
{
    if (stored.isEmpty())
        return {};
    const RecordedDecision decision = RecordedDecision::fromJson(stored);
    if (!decision.rejected.isEmpty())
        return RecordedDecision{.rejected = QStringLiteral("(erased)")}.toJson();
    return RecordedDecision{.choice = decision.choice, .answered = decision.answered}.toJson();
}

} // namespace

Result<QList<WorkItem>> SqlWorkStore::expiredItems(const QString &bot, const QDateTime &finishedBefore, int limit)
{
    auto query = run(QStringLiteral("SELECT ") + kItemColumns
                         + QStringLiteral(" FROM work_items WHERE bot = ? AND state IN ('done', 'cancelled')"
                                          " AND erased_at IS NULL AND finished_at < ? ORDER BY finished_at, id LIMIT ?"),
                     {bot, finishedBefore.toMSecsSinceEpoch(), qMax(0, limit)});
    if (!query)
        return fail(query.error());
    QList<WorkItem> items;
    while (query->next())
        items.append(itemFrom(*query));
    return items;
}

Result<int> SqlWorkStore::eraseQuestions(qint64 itemId)
{
    auto exceptions = run(QStringLiteral("SELECT id, evidence, decision FROM exception_items WHERE item_id = ?"), {itemId});
    if (!exceptions)
        return fail(exceptions.error());
    struct Kept {
        qint64 id;
        QJsonObject evidence;
        QJsonObject decision;
    };
    QList<Kept> kept;
    while (exceptions->next()) {
        kept.append({exceptions->value(0).toLongLong(), keptEvidence(objectFrom(exceptions->value(1))),
                     keptDecision(objectFrom(exceptions->value(2)))});
    }
    exceptions->finish();
    for (const Kept &exception : kept) {
        auto cleared = run(QStringLiteral("UPDATE exception_items SET evidence = ?, choices = '[]',"
                                          " partial_outputs = '{}', decision = ? WHERE id = ?"),
                           {jsonText(exception.evidence),
                            exception.decision.isEmpty() ? QVariant(QMetaType::fromType<QString>())
                                                         : QVariant(jsonText(exception.decision)),
                            exception.id});
        if (!cleared)
            return fail(cleared.error());
    }
    return int(kept.size());
}

// The events of an erased item that carry words a person typed (why they rejected it or
// passed it on) keep every field but those words. The events table refuses every other
// change (schema version 13).
Result<int> SqlWorkStore::eraseTypedReasons(qint64 itemId)
{
    auto typed = run(QStringLiteral("SELECT id, detail FROM events WHERE item_id = ? AND kind IN ('rejected', 'reassigned')"),
                     {itemId});
    if (!typed)
        return fail(typed.error());
    QList<std::pair<qint64, QJsonObject>> blanked;
    while (typed->next()) {
        QJsonObject detail = objectFrom(typed->value(1));
        if (detail.value(QStringLiteral("reason")).toString().isEmpty()
            || detail.value(QStringLiteral("reason")).toString() == QLatin1String("(erased)"))
            continue;
        detail.insert(QStringLiteral("reason"), QStringLiteral("(erased)"));
        blanked.append({typed->value(0).toLongLong(), detail});
    }
    typed->finish();
    for (const auto &[id, detail] : blanked) {
        auto updated = run(QStringLiteral("UPDATE events SET detail = ? WHERE id = ?"), {jsonText(detail), id});
        if (!updated)
            return fail(updated.error());
    }
    return int(blanked.size());
}

Result<qint64> SqlWorkStore::eraseItems(const QList<qint64> &ids, const QString &actor, Erasable which)
{
    const QString states = which == Erasable::FinishedOrFailed ? QStringLiteral("('done', 'cancelled', 'failed')")
                                                               : QStringLiteral("('done', 'cancelled')");
    return inWriteTransaction([&]() -> Result<qint64> {
        const qint64 now = m_clock.nowMs();
        qint64 erased = 0;
        for (const qint64 id : ids) {
            // The last error goes too: a rejection's is the words the person typed.
            auto updated = run(QStringLiteral("UPDATE work_items SET payload = '{}', step_outputs = '{}', erased_at = ?,"
                                              " last_error = CASE WHEN last_error IS NULL THEN NULL ELSE '(erased)' END"
                                              " WHERE id = ? AND erased_at IS NULL AND state IN ")
                                   + states,
                               {now, id});
            if (!updated)
                return fail(updated.error());
            if (updated->numRowsAffected() != 1)
                continue;
            updated->finish();
            auto questions = eraseQuestions(id);
            if (!questions)
                return fail(questions.error());
            auto reasons = eraseTypedReasons(id);
            if (!reasons)
                return fail(reasons.error());
            auto item = run(QStringLiteral("SELECT bot FROM work_items WHERE id = ?"), {id});
            if (!item)
                return fail(item.error());
            const QString bot = item->next() ? item->value(0).toString() : QString();
            item->finish();
            if (auto logged = appendEvent(id, bot, QStringLiteral("erased"), actor,
                                          {{QStringLiteral("exception_items"), *questions},
                                           {QStringLiteral("reasons"), *reasons}});
                !logged)
                return fail(logged.error());
            ++erased;
        }
        return erased;
    });
}

} // namespace clerk::store
