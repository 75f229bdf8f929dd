// The `match` step: finds the item's person (or case) among existing records. Values
// rendered from the item are compared field by field with each candidate the index
// offers, scored with Fellegi-Sunter weights, and decided in three bands: matched
// (continue with the record id), no match, or a person picks from the ranked candidates
// with the per-field comparison of each.
//
// The matching itself is clerk::match; this file reads the params, loads the index once
// when the step is created (then shares it read-only between workers), and turns
// decisions into outcomes. Reasons reach logs: they hold numbers, never personal values,
// which go into evidence and choices only.
//
// With `learning:` (match_learning_loop.h) the step decides with the weights the
// `.latest` pointer beside the bot file names, read on every item, so weights the
// learning loop promotes reach every worker without a restart; until one is promoted,
// and whenever the version named does not fit the step's fields, the bot file's.
#include "engine/builtin_steps_p.h"

#include "classify/model_files.h"
#include "core/logging.h"
#include "core/mutex.h"
#include "engine/match_learning_loop.h"
#include "engine/rest_candidates.h"
#include "engine/shadow_trial_p.h"
#include "match/match_evidence.h"
#include "match/match_learning.h"
#include "match/matcher.h"
#include "match/match_settings.h"
#include "match/record_index.h"

#include <QDir>
#include <QFileInfo>
#include <QJsonArray>

#include <algorithm>

namespace clerk::engine {

using bot::ParamSpec;
using bot::ValueType;

namespace {


// The item's values as written, by field name: what a person answering sees.
QJsonObject queryValues(const match::MatchModel &model, const QStringList &raw)
{
    QJsonObject values;
    for (int f = 0; f < model.fieldCount(); ++f)
        values.insert(model.fields()[f].name, raw.value(f));
    return values;
}

// The weights a step decides with, and in index mode the matcher that uses them.
struct WeightsSnapshot {
    match::MatchModel model{};                        // term frequencies attached in index mode
    std::shared_ptr<const match::Matcher> matcher{};  // index mode
    QString path{};                                   // the learnt version; empty: the bot file's weights
};

// The bot file's weights, or with `learning:` the version `.latest` names (see the top).
class MatchWeights {
public:
    struct Where {
        QString folder, bot, step;
    };

    // `shape`: the bot file's model, without term frequencies; `index`: null in search mode.
    MatchWeights(match::MatchModel shape, std::shared_ptr<const match::RecordIndex> index,
                 match::MatchThresholds thresholds, int maxCandidates, std::optional<Where> learning)
        : m_shape(std::move(shape)), m_index(std::move(index)), m_thresholds(thresholds),
          m_maxCandidates(maxCandidates), m_learning(std::move(learning))
    {
        m_botFile = build(m_shape, {});
        m_snapshot = m_botFile;
    }

    // The weights to decide this item with; a newly promoted version is loaded first. One
    // that cannot be used leaves the weights in use (and says so once per file).
    WeightsSnapshot current() const
    {
        if (!m_learning)
            return m_botFile;
        MutexLock lock(m_mutex);
        auto path = classify::latestModelPath(m_learning->folder, m_learning->bot, m_learning->step);
        if (!path) {
            if (path.error().message() != m_refused)
                qCWarning(lcEngine).noquote() << "bot" << m_learning->bot << "step" << m_learning->step
                                              << "keeps its weights:" << path.error().message();
            m_refused = path.error().message();
            return m_snapshot;
        }
        if (*path == m_snapshot.path || *path == m_refused)
            return m_snapshot;
        if (path->isEmpty()) {
            m_snapshot = m_botFile;
            return m_snapshot;
        }
        auto learnt = match::loadLearnedModel(*path, m_shape);
        if (!learnt) {
            qCWarning(lcEngine).noquote() << "bot" << m_learning->bot << "step" << m_learning->step
                                          << "keeps its weights:" << learnt.error().message();
            m_refused = *path;
            return m_snapshot;
        }
        qCInfo(lcEngine).noquote() << "bot" << m_learning->bot << "step" << m_learning->step << "now uses the weights"
                                   << QFileInfo(*path).fileName();
        m_snapshot = build(learnt->model, *path);
        return m_snapshot;
    }

private:
    WeightsSnapshot build(const match::MatchModel &model, const QString &path) const
    {
        if (!m_index)
            return {model, nullptr, path};
        const match::MatchModel weighed = match::withTermFrequencies(model, *m_index);
        return {weighed, std::make_shared<const match::Matcher>(weighed, m_index, m_thresholds, m_maxCandidates), path};
    }

    match::MatchModel m_shape;
    std::shared_ptr<const match::RecordIndex> m_index;
    match::MatchThresholds m_thresholds;
    int m_maxCandidates;
    std::optional<Where> m_learning;
    WeightsSnapshot m_botFile;
    mutable Mutex m_mutex;
    mutable WeightsSnapshot m_snapshot CLERK_GUARDED_BY(m_mutex);
    mutable QString m_refused CLERK_GUARDED_BY(m_mutex);  // a version (or pointer problem) not to retry
};

class MatchStep final : public Step {
public:
    // Candidates come from the index `weights` match with, or, when `search` is given,
    // from the case system's search API for each item.
    MatchStep(QList<bot::Template> values, std::shared_ptr<const MatchWeights> weights,
              std::shared_ptr<const RestCandidates> search, match::MatchThresholds thresholds, int maxCandidates,
              bool noMatchToPerson, std::shared_ptr<const match::RecordIndex> index = nullptr, QString indexName = {})
        : m_values(std::move(values)), m_weights(std::move(weights)), m_search(std::move(search)),
          m_thresholds(thresholds), m_maxCandidates(maxCandidates), m_noMatchToPerson(noMatchToPerson),
          m_index(std::move(index)), m_indexName(std::move(indexName))
    {
    }

    // The answer is one thing, however it is given: a record id typed as a field is the
    // same as picking the candidate with that id (decision: matched), an empty one or the
    // choice "none" is a new record (empty record_id, decision: no_match). A record id no
    // candidate has must be in the index; with a search API there is no index to look
    // in, so it is taken as the person gives it.
    Result<store::Decision> checkAnswer(const store::ExceptionItem &question, store::Decision answer) const override
    {
        const QString field = QStringLiteral("record_id");
        const QString none = QStringLiteral("none");
        if (!answer.fields.contains(field))
            return answer;
        const QJsonValue typedValue = answer.fields.value(field);
        if (!typedValue.isString() && !typedValue.isNull() && !typedValue.isDouble())
            return fail(Error::invalidArgument(QStringLiteral("record_id takes a record's id as text")));
        const QString id = typedValue.isDouble() ? QString::number(typedValue.toInteger()) : typedValue.toString().trimmed();
        const auto offers = [&](const QString &value) {
            return std::any_of(question.choices.begin(), question.choices.end(),
                               [&](const HumanChoice &choice) { return choice.value == value; });
        };
        const QString picked = id.isEmpty() ? none : id;
        if (!answer.choice.isEmpty() && answer.choice != picked) {
            return fail(Error::invalidArgument(
                QStringLiteral("the choice \"%1\" and record_id \"%2\" say different things: give one of them")
                    .arg(answer.choice, id)));
        }
        if (offers(picked)) {
            // The candidate's own choice carries its outputs (score, decision, ...).
            answer.choice = picked;
            answer.fields.remove(field);
            return answer;
        }
        if (id.isEmpty()) {
            answer.fields.insert(field, QString());
            answer.outputs.insert(QStringLiteral("decision"), QStringLiteral("no_match"));
            return answer;
        }
        if (m_index && !m_index->find(id)) {
            return fail(Error::invalidArgument(
                QStringLiteral("there is no record \"%1\" in %2: give the id of an existing record, or answer "
                               "\"none\" to treat it as new")
                    .arg(id, m_indexName)));
        }
        answer.fields.insert(field, id);
        // Scores the question carried were the best candidate's, not this record's.
        answer.outputs.insert(QStringLiteral("score"), QJsonValue::Null);
        answer.outputs.insert(QStringLiteral("probability"), QJsonValue::Null);
        answer.outputs.insert(QStringLiteral("decision"), QStringLiteral("matched"));
        return answer;
    }

    StepOutcome run(StepContext &ctx) const override
    {
        const WeightsSnapshot weights = m_weights->current();
        const match::MatchModel &model = weights.model;
        QStringList raw;
        bool anyValue = false;
        for (const bot::Template &value : m_values) {
            raw.append(ctx.render(value));
            anyValue = anyValue || !raw.last().trimmed().isEmpty();
        }
        const match::MatchRecord query = match::MatchRecord::fromRaw(QString(), model.fieldSpecs(), raw);
        if (!anyValue) {
            HumanRequest request;
            request.kind = ReasonKind::MissingValue;
            request.reason = QStringLiteral("no details to match on: every match field is empty");
            request.fields = {QStringLiteral("record_id")};
            request.team = ctx.step().team;
            request.outputs = {{QStringLiteral("decision"), QStringLiteral("matched")},
                               {QStringLiteral("decided_by"), QStringLiteral("person")}};
            addSuggestion(request, ctx, {});  // no guess: it would not have decided at any threshold
            return StepOutcome::needsHuman(request);
        }

        Result<match::MatchDecision> decided = fail(Error::internal(QStringLiteral("no candidate source")));
        if (m_search) {
            auto candidates = m_search->fetch(ctx.scope(), steadyDeadline(ctx.deadline()));
            if (candidates)
                decided = match::Matcher::decide(model, query, *candidates, m_thresholds, m_maxCandidates);
            else
                decided = fail(candidates.error());
        } else {
            decided = weights.matcher->match(query);
        }
        if (!decided) {
            const Error &error = decided.error();
            if (error.code() == ErrorCode::Unavailable || error.code() == ErrorCode::Timeout)
                return StepOutcome::retryLater(std::chrono::seconds(60),
                                               QStringLiteral("candidate search unavailable: ") + error.message());
            return StepOutcome::fail(QStringLiteral("candidate search failed: ") + error.message());
        }
        const match::MatchDecision &decision = *decided;

        QJsonArray candidates;
        for (const match::ScoredCandidate &candidate : decision.ranked)
            candidates.append(match::toJson(match::candidateEvidence(model, query, candidate)));
        const match::ScoredCandidate *best = decision.best();
        qCDebug(lcEngine) << "match" << ctx.step().id << "item" << ctx.item().id << match::toString(decision.outcome)
                          << "candidates" << decision.candidatesSeen << "best" << (best ? best->probability : 0.0);

        const QJsonObject noMatchOutputs{{QStringLiteral("record_id"), QString()},
                                         {QStringLiteral("score"), best ? best->score : 0.0},
                                         {QStringLiteral("probability"), best ? best->probability : 0.0},
                                         {QStringLiteral("decision"), QStringLiteral("no_match")},
                                         {QStringLiteral("decided_by"), QStringLiteral("bot")},
                                         {QStringLiteral("candidates"), candidates}};
        // What the bot would do alone, for a shadow trial: take the best candidate, or
        // (no match) none, sure to the degree no candidate is likely.
        Suggestion suggestion;
        if (decision.outcome == match::MatchOutcome::NoMatch || !best) {
            suggestion = {QStringLiteral("none"), best ? 1.0 - best->probability : 1.0, noMatchOutputs};
        } else {
            suggestion = {best->record.id, best->probability,
                          QJsonObject{{QStringLiteral("record_id"), best->record.id},
                                      {QStringLiteral("score"), best->score},
                                      {QStringLiteral("probability"), best->probability},
                                      {QStringLiteral("decision"), QStringLiteral("matched")},
                                      {QStringLiteral("decided_by"), QStringLiteral("bot")},
                                      {QStringLiteral("candidates"), candidates}}};
        }

        if (decision.outcome == match::MatchOutcome::Matched && !isShadowTrial(ctx))
            return StepOutcome::continueWith(suggestion.outputs);
        if (decision.outcome == match::MatchOutcome::NoMatch && !m_noMatchToPerson && !isShadowTrial(ctx))
            return StepOutcome::continueWith(noMatchOutputs);
        if (decision.outcome == match::MatchOutcome::NoMatch && !isShadowTrial(ctx)) {
            HumanRequest request;
            request.kind = ReasonKind::NoMatch;
            request.reason = QStringLiteral("no existing record matches: %1 candidates, best %2%")
                                 .arg(decision.candidatesSeen)
                                 .arg(100.0 * (best ? best->probability : 0.0), 0, 'f', 1);
            request.evidence = {{QStringLiteral("query"), queryValues(model, raw)},
                                {match::candidatesKey(), candidates}};
            // The bot's answer first; then the candidates it ranked below `lower`, best
            // first, so a person who knows better can still pick one.
            request.choices.append(noneChoice(QStringLiteral("No existing record: treat as new")));
            for (qsizetype i = 0; i < decision.ranked.size(); ++i)
                request.choices.append(candidateChoice(decision.ranked[i], candidates[i].toObject(), false));
            request.fields = {QStringLiteral("record_id")};
            request.outputs = {{QStringLiteral("candidates"), candidates},
                               {QStringLiteral("decision"), QStringLiteral("matched")},
                               {QStringLiteral("decided_by"), QStringLiteral("person")}};
            request.team = ctx.step().team;
            return StepOutcome::needsHuman(request);
        }

        // A person picks among the ranked candidates: the bot was not sure, or this is a
        // shadow trial.
        HumanRequest request = candidateRequest(ctx, model, decision, raw, candidates);
        addSuggestion(request, ctx, suggestion);
        return StepOutcome::needsHuman(request);
    }

private:
    // Picking `candidate`: its record id, labelled with its values (and, unless blind, its
    // probability); `detail` is its field-by-field comparison.
    static HumanChoice candidateChoice(const match::ScoredCandidate &candidate, QJsonObject detail, bool blind)
    {
        QStringList shown;
        for (const QString &value : candidate.record.values) {
            if (!value.isEmpty())
                shown.append(value);
        }
        QJsonObject outputs{{QStringLiteral("record_id"), candidate.record.id},
                            {QStringLiteral("decision"), QStringLiteral("matched")},
                            {QStringLiteral("decided_by"), QStringLiteral("person")}};
        if (!blind) {
            outputs.insert(QStringLiteral("score"), candidate.score);
            outputs.insert(QStringLiteral("probability"), candidate.probability);
        }
        detail.insert(QStringLiteral("outputs"), outputs);
        const QString label = QStringLiteral("%1: %2").arg(candidate.record.id, shown.join(QStringLiteral(", ")));
        return {candidate.record.id,
                blind ? label : QStringLiteral("%1 (%2%)").arg(label).arg(candidate.probability * 100.0, 0, 'f', 1),
                detail};
    }

    static HumanChoice noneChoice(const QString &label)
    {
        return {QStringLiteral("none"), label,
                QJsonObject{{QStringLiteral("outputs"),
                             QJsonObject{{QStringLiteral("record_id"), QString()},
                                         {QStringLiteral("decision"), QStringLiteral("no_match")},
                                         {QStringLiteral("decided_by"), QStringLiteral("person")}}}}};
    }

    // The question for a person: which of the ranked candidates (or none) is the item's
    // record. In a blind trial the candidates come in record id order, without the
    // bot's scores, so nothing shown points to its answer.
    HumanRequest candidateRequest(const StepContext &ctx, const match::MatchModel &model,
                                  const match::MatchDecision &decision, const QStringList &raw,
                                  const QJsonArray &candidates) const
    {
        const bool blind = isBlindTrial(ctx);
        const match::ScoredCandidate *best = decision.best();
        HumanRequest request;
        request.kind = isShadowTrial(ctx) ? ReasonKind::Shadow : ReasonKind::LowConfidence;
        if (blind) {
            request.reason = QStringLiteral("shadow trial: a person decides which record this is (%1 candidates)")
                                 .arg(decision.candidatesSeen);
        } else if (decision.outcome == match::MatchOutcome::Matched) {
            request.reason = QStringLiteral("shadow mode: the bot's match waits for a person (%1 candidates, best %2%)")
                                 .arg(decision.candidatesSeen)
                                 .arg(100.0 * best->probability, 0, 'f', 1);
        } else if (decision.outcome == match::MatchOutcome::NoMatch) {
            request.reason = QStringLiteral("shadow mode: the bot found no match (%1 candidates, best %2%)")
                                 .arg(decision.candidatesSeen)
                                 .arg(100.0 * (best ? best->probability : 0.0), 0, 'f', 1);
        } else {
            const double runnerUp = decision.ranked.size() > 1 ? decision.ranked[1].probability : 0.0;
            request.reason = QStringLiteral("not sure which record this is: %1 candidates, best %2%, runner-up %3%")
                                 .arg(decision.candidatesSeen)
                                 .arg(100.0 * best->probability, 0, 'f', 1)
                                 .arg(100.0 * runnerUp, 0, 'f', 1);
        }

        QList<qsizetype> order;
        for (qsizetype i = 0; i < decision.ranked.size(); ++i)
            order.append(i);
        if (blind) {
            std::sort(order.begin(), order.end(), [&](qsizetype a, qsizetype b) {
                return decision.ranked[a].record.id < decision.ranked[b].record.id;
            });
        }
        QJsonArray shownCandidates;
        for (const qsizetype i : order) {
            const match::ScoredCandidate &candidate = decision.ranked[i];
            QJsonObject detail = candidates[i].toObject();
            if (blind) {
                detail.remove(QStringLiteral("score"));
                detail.remove(QStringLiteral("probability"));
            }
            shownCandidates.append(detail);
            request.choices.append(candidateChoice(candidate, detail, blind));
        }
        request.choices.append(noneChoice(QStringLiteral("None of these")));
        request.evidence = {{QStringLiteral("query"), queryValues(model, raw)},
                            {match::candidatesKey(), shownCandidates}};
        request.outputs = {{QStringLiteral("candidates"), shownCandidates}};
        if (!blind) {
            request.evidence.insert(QStringLiteral("upper"), m_thresholds.upper);
            request.evidence.insert(QStringLiteral("lower"), m_thresholds.lower);
            request.evidence.insert(QStringLiteral("margin"), m_thresholds.margin);
            if (best) {
                request.outputs.insert(QStringLiteral("score"), best->score);
                request.outputs.insert(QStringLiteral("probability"), best->probability);
            }
        }
        request.fields = {QStringLiteral("record_id")};
        request.team = ctx.step().team;
        return request;
    }

    QList<bot::Template> m_values;  // per model field, in field order
    std::shared_ptr<const MatchWeights> m_weights;
    std::shared_ptr<const RestCandidates> m_search;         // search mode
    match::MatchThresholds m_thresholds;
    int m_maxCandidates = 5;
    bool m_noMatchToPerson = false;
    std::shared_ptr<const match::RecordIndex> m_index;  // index mode: where answers' record ids are looked up
    QString m_indexName;                                // its file, for messages
};

QString checkProbabilities(const QJsonValue &value)
{
    auto parsed = match::levelProbabilitiesFromJson(value);
    return parsed ? QString() : parsed.error().message();
}

QString checkComparator(const QJsonValue &value)
{
    auto parsed = match::parseComparatorKind(value.toString());
    return parsed ? QString() : parsed.error().message();
}

// The keys of the match step's params block, declared once: the schema lists them and
// createMatchStep reads them. The defaults runtime/match applies too are its constants.
struct MatchParams {
    ParamSpec field = ParamSpec::object(
        QStringLiteral("field"),
        {
            ParamSpec::of(QStringLiteral("value"), ValueType::Template, QStringLiteral("The item's value for this field."), true),
            ParamSpec::of(QStringLiteral("comparator"), ValueType::String,
                          QStringLiteral("How values are compared: exact, levenshtein, jaro_winkler, name (Jaro-Winkler "
                                         "and a phonetic code), date (day/month swaps, one-digit typos, same year), "
                                         "postcode (UK unit, sector, district, area), nhs_number (mod-11 checked) or "
                                         "identifier."))
                .withDefault(QLatin1String(match::kDefaultComparator))
                .withCheck(checkComparator),
            ParamSpec::of(QStringLiteral("column"), ValueType::String,
                          QStringLiteral("The index file's column for this field; default: the field's name.")),
            ParamSpec::of(QStringLiteral("m"), ValueType::Any,
                          QStringLiteral("P(level | same person): a map from level (exact, close, partial, weak, "
                                         "different) to probability, or a list of five. Default: the comparator's "
                                         "typical values; `clerk eval --estimate` prints ones fitted to your data."))
                .withCheck(checkProbabilities),
            ParamSpec::of(QStringLiteral("u"), ValueType::Any,
                          QStringLiteral("P(level | different people), as for m."))
                .withCheck(checkProbabilities),
            ParamSpec::of(QStringLiteral("term_frequency"), ValueType::Boolean,
                          QStringLiteral("Weigh an exact agreement by how common the value is among the index's "
                                         "records: an agreeing common surname counts for less than a rare one (u of "
                                         "the value is its share of the records, at least 0.001)."))
                .withDefault(false),
            ParamSpec::of(QStringLiteral("short_forms"), ValueType::Boolean,
                          QStringLiteral("For the name comparator: take a forename and its usual English short form "
                                         "(Harry and Henry, Peggy and Margaret) as close, not different."))
                .withDefault(false),
        },
        QStringLiteral("A field to compare."));
    ParamSpec index = ParamSpec::object(QStringLiteral("index"),
                          {
                              ParamSpec::of(QStringLiteral("path"), ValueType::Path,
                                            QStringLiteral("A CSV export of the records (header row; relative to the "
                                                           "bot file's folder). Loaded once when the bot starts."),
                                            true),
                              ParamSpec::of(QStringLiteral("id_column"), ValueType::String,
                                            QStringLiteral("The column holding each record's id (output `record_id`)."))
                                  .withDefault(QLatin1String(match::kDefaultIdColumn)),
                              ParamSpec::of(QStringLiteral("max_block_size"), ValueType::Integer,
                                            QStringLiteral("A blocking key shared by more records than this gives no "
                                                           "candidates (the other keys still do)."))
                                  .withDefault(match::kDefaultMaxBlockSize)
                                  .withRange(1, 10000000),
                              ParamSpec::of(QStringLiteral("one_record_per_person"), ValueType::Boolean,
                                            QStringLiteral("The records hold each person at most once: when `clerk "
                                                           "eval --estimate` fits the weights, an item's candidates "
                                                           "compete for one match, so people of one family or one "
                                                           "town do not pass for the same person."))
                                  .withDefault(false),
                          },
                          QStringLiteral("The records to match against: a CSV export, indexed in memory. Give "
                                         "index or search."));
    ParamSpec search = ParamSpec::object(
            QStringLiteral("search"),
            {
                ParamSpec::of(QStringLiteral("connector"), ValueType::ConnectorName,
                              QStringLiteral("The case system to search."), true),
                ParamSpec::of(QStringLiteral("id_field"), ValueType::String,
                              QStringLiteral("The record field holding each record's id (output `record_id`)."))
                    .withDefault(QLatin1String(match::kDefaultIdColumn)),
                ParamSpec::listOf(
                    QStringLiteral("queries"),
                    ParamSpec::object(QStringLiteral("query"),
                                      {
                                          ParamSpec::of(QStringLiteral("operation"), ValueType::String,
                                                        QStringLiteral("A list operation of the connector whose "
                                                                       "`response` fields are named like the match "
                                                                       "fields' columns."),
                                                        true),
                                          ParamSpec::mapOf(QStringLiteral("params"),
                                                           ParamSpec::templ(QStringLiteral("value"),
                                                                            QStringLiteral("A value.")),
                                                           QStringLiteral("Values for the operation; a query whose "
                                                                          "values are empty for an item is skipped.")),
                                      },
                                      QStringLiteral("One search.")),
                    QStringLiteral("The searches that find candidates (e.g. by NHS number, by date of birth); the "
                                   "candidates are all the records they return."),
                    true),
            },
            QStringLiteral("The records to match against: found for each item through the case system's search "
                           "calls. Give index or search."));
    ParamSpec fields = ParamSpec::mapOf(QStringLiteral("fields"), field, QStringLiteral("The fields to compare, by name."), true);
    ParamSpec blocking = ParamSpec::listOf(QStringLiteral("blocking"),
                          ParamSpec::of(QStringLiteral("key"), ValueType::String,
                                        QStringLiteral("Parts joined by +, each value(f), phonetic(f), "
                                                       "phonetic_last(f), initial(f), year(f), month_day(f), sector(f) or "
                                                       "district(f); or the word defaults.")),
                          QStringLiteral("Which records become candidates: those sharing one of these keys with the "
                                         "item. Default: identifiers, dates, phonetic name + birth year, both names' "
                                         "phonetic codes, postcode sector + initial (one name field alone: its first "
                                         "and last words' codes). A list replaces the default keys; put the entry "
                                         "defaults in it to keep them and add others."));
    ParamSpec prior = ParamSpec::of(QStringLiteral("prior"), ValueType::Threshold,
                      QStringLiteral("The share of candidate pairs that are the same person, before comparing."))
            .withDefault(match::kDefaultPrior);
    ParamSpec thresholds = ParamSpec::object(QStringLiteral("thresholds"),
                          {
                              ParamSpec::of(QStringLiteral("upper"), ValueType::Threshold,
                                            QStringLiteral("Match probability to accept without a person. Default: "
                                                           "the bot's `thresholds.match`, else 0.99.")),
                              ParamSpec::of(QStringLiteral("lower"), ValueType::Threshold,
                                            QStringLiteral("Below this the item has no match."))
                                  .withDefault(match::kDefaultLower),
                              ParamSpec::of(QStringLiteral("margin"), ValueType::Threshold,
                                            QStringLiteral("How far the best candidate's probability must be above "
                                                           "the runner-up's to accept it."))
                                  .withDefault(match::kDefaultMargin),
                              ParamSpec::of(QStringLiteral("among_candidates"), ValueType::Boolean,
                                            QStringLiteral("Take each candidate's probability as its chance of being "
                                                           "the one among the candidates and none of them, instead "
                                                           "of its pair's own posterior: a strong runner-up lowers "
                                                           "the best's. `lower` still looks at the pair's own."))
                                  .withDefault(false),
                          },
                          QStringLiteral("The decision bands."));
    ParamSpec onNoMatch = ParamSpec::oneOf(QStringLiteral("on_no_match"), {QStringLiteral("continue"), QStringLiteral("needs_human")},
                         QStringLiteral("When no record matches: continue with decision no_match (a later step "
                                        "may create one, with when), or ask a person, who may name the record."))
            .withDefault(QStringLiteral("continue"));
    ParamSpec maxCandidates = ParamSpec::of(QStringLiteral("max_candidates"), ValueType::Integer,
                      QStringLiteral("How many ranked candidates to output and offer a person."))
            .withDefault(match::kDefaultMaxCandidates)
            .withRange(1, 50);
    ParamSpec learning = matchLearningParamSpec();
    QList<ParamSpec> all() const
    {
        return {index, search, fields, blocking, prior, thresholds, onNoMatch, maxCandidates, learning};
    }
};

const MatchParams &matchParams()
{
    static const MatchParams keys;
    return keys;
}

Result<std::unique_ptr<Step>> createMatchStep(const bot::BotDefinition &bot, const bot::StepDefinition &definition)
{
    const QString where = QStringLiteral("step %1").arg(definition.id);
    auto settings = match::MatchSettings::fromParams(definition.params, bot.thresholds);
    if (!settings)
        return fail(settings.error().withContext(where));
    QList<bot::Template> values;
    for (qsizetype f = 0; f < settings->valueTemplates.size(); ++f) {
        auto value = bot::Template::parse(settings->valueTemplates[f]);
        if (!value)
            return fail(value.error().withContext(
                QStringLiteral("%1: fields.%2.value").arg(where, settings->model.fields()[f].name)));
        values.append(std::move(*value));
    }
    const MatchParams &keys = matchParams();
    const bool toPerson = keys.onNoMatch.stringIn(definition.params) == QLatin1String("needs_human");
    const bool hasIndex = keys.index.isIn(definition.params);
    const bool hasSearch = keys.search.isIn(definition.params);
    std::optional<MatchWeights::Where> learning;
    if (MatchLearningSettings::of(definition))
        learning = MatchWeights::Where{bot.baseDir, bot.name, definition.id};
    if (hasIndex == hasSearch)
        return fail(Error::invalidArgument(QStringLiteral("give either index (a CSV export) or search (the case "
                                                          "system's search calls), not %1")
                                               .arg(hasIndex ? QStringLiteral("both") : QStringLiteral("neither")))
                        .withContext(where));
    if (hasSearch) {
        QStringList columns = settings->columns.fieldColumns;
        const QJsonObject searchParams = keys.search.objectIn(definition.params);
        auto search = RestCandidates::create(bot, searchParams, keys.search.field(QStringLiteral("id_field")).stringIn(searchParams),
                                             settings->model.fieldSpecs(), columns);
        if (!search)
            return fail(search.error().withContext(where));
        auto weights = std::make_shared<const MatchWeights>(settings->model, nullptr, settings->thresholds,
                                                            settings->maxCandidates, learning);
        return std::make_unique<MatchStep>(std::move(values), std::move(weights), std::move(*search),
                                           settings->thresholds, settings->maxCandidates, toPerson);
    }
    auto index = match::RecordIndex::loadCsv(QDir(bot.baseDir).absoluteFilePath(settings->indexPath), settings->columns,
                                             settings->model.fieldSpecs(), settings->keys, settings->maxBlockSize);
    if (!index)
        return fail(index.error().withContext(where));
    qCInfo(lcEngine) << "match step" << definition.id << "indexed" << (*index)->size() << "records";
    std::shared_ptr<const match::RecordIndex> records = *index;
    auto weights = std::make_shared<const MatchWeights>(settings->model, records, settings->thresholds,
                                                        settings->maxCandidates, learning);
    return std::make_unique<MatchStep>(std::move(values), std::move(weights), nullptr, settings->thresholds,
                                       settings->maxCandidates, toPerson, std::move(records), settings->indexPath);
}

} // namespace

StepType matchStepType()
{
    bot::StepTypeSchema schema;
    schema.name = QStringLiteral("match");
    schema.summary = QStringLiteral(
        "Finds the item's person or case among existing records: compares each field with every candidate (from an "
        "in-memory index of a CSV export, or from the case system's search calls), scores the candidates with Fellegi-Sunter weights, and decides in three "
        "bands: matched (continue with `record_id`), no match, or a person picks from the ranked candidates with the "
        "per-field comparison of each. Measure it with `clerk eval BOT --records ... --queries ... --truth ...`.");
    schema.params = matchParams().all();
    schema.outputs = [](const QJsonObject &) {
        return QStringList{QStringLiteral("record_id"),  QStringLiteral("score"),      QStringLiteral("probability"),
                           QStringLiteral("decision"),   QStringLiteral("decided_by"), QStringLiteral("candidates"),
                           QStringLiteral("choice")};
    };
    schema.example = QStringLiteral(
        "- id: person\n"
        "  type: match\n"
        "  params:\n"
        "    index: {path: people.csv, id_column: person_id}\n"
        "    fields:\n"
        "      forename: {value: \"{{ input.forename }}\", comparator: name}\n"
        "      surname: {value: \"{{ input.surname }}\", comparator: name}\n"
        "      dob: {value: \"{{ input.date_of_birth }}\", comparator: date, column: date_of_birth}\n"
        "      postcode: {value: \"{{ input.postcode }}\", comparator: postcode}\n"
        "    thresholds: {upper: 0.99, lower: 0.5, margin: 0.1}\n");
    return {schema, createMatchStep};
}

} // namespace clerk::engine
