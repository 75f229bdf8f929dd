#include "match/match_learning.h"

#include "match/match_evidence.h"

#include <QFile>
#include <QJsonDocument>
#include <QSaveFile>

#include <algorithm>
#include <cmath>

namespace clerk::match {

namespace {

const QString kFormat = QStringLiteral("clerk-match-model");

// The posterior mean of a Dirichlet over the levels `kind` answers: `start` times
// `weight` as pseudo-counts, plus `counts`.
LevelProbabilities dirichletMean(ComparatorKind kind, const LevelProbabilities &start, const LevelProbabilities &counts,
                                 double weight)
{
    LevelProbabilities p{};
    for (int l = 0; l < kLevelCount; ++l) {
        const auto level = static_cast<ComparisonLevel>(l);
        if (comparatorUsesLevel(kind, level))
            p[static_cast<size_t>(l)] = counts[static_cast<size_t>(l)] + weight * start[static_cast<size_t>(l)];
    }
    return p;  // MatchModel normalises
}

double pairLoss(const MatchModel &model, const ScoredCandidate &candidate, bool isMatch)
{
    constexpr double kEdge = 1e-12;
    const double p = std::clamp(model.posterior(model.score(candidate.levels, candidate.record)), kEdge, 1.0 - kEdge);
    return isMatch ? -std::log(p) : -std::log(1.0 - p);
}

} // namespace

AnsweredMatch answeredMatchFromEvidence(const MatchModel &model, const QJsonObject &evidence, const QString &chosen)
{
    AnsweredMatch answered;
    answered.chosen = chosen == QLatin1String("none") ? QString() : chosen;
    QJsonObject question = evidence;
    for (const CandidateEvidence &shown : takeCandidates(question)) {
        ScoredCandidate candidate;
        candidate.record.id = shown.recordId;
        candidate.levels.assign(static_cast<size_t>(model.fieldCount()), ComparisonLevel::Missing);
        candidate.record.values = QStringList(model.fieldCount(), QString());
        for (const FieldEvidence &field : shown.fields) {
            const int f = model.fieldIndex(field.field);
            if (f < 0)
                continue;
            candidate.levels[static_cast<size_t>(f)] = field.level;
            candidate.record.values[f] = field.candidate;
        }
        answered.candidates.append(std::move(candidate));
    }
    return answered;
}

QList<LabelledPair> labelledPairs(const QList<AnsweredMatch> &questions)
{
    QList<LabelledPair> pairs;
    for (const AnsweredMatch &question : questions) {
        for (const ScoredCandidate &candidate : question.candidates)
            pairs.append({candidate.levels, !question.chosen.isEmpty() && candidate.record.id == question.chosen});
    }
    return pairs;
}

MatchModel estimateFromPairs(const MatchModel &start, const QList<LabelledPair> &pairs, double priorWeight)
{
    Q_ASSERT_X(priorWeight > 0, "estimateFromPairs", "the starting weights count as some pairs");
    const auto fieldCount = static_cast<size_t>(start.fieldCount());
    std::vector<LevelProbabilities> matchCounts(fieldCount, LevelProbabilities{});
    std::vector<LevelProbabilities> otherCounts(fieldCount, LevelProbabilities{});
    double matches = 0;
    for (const LabelledPair &pair : pairs) {
        matches += pair.isMatch ? 1 : 0;
        auto &counts = pair.isMatch ? matchCounts : otherCounts;
        for (size_t f = 0; f < pair.levels.size() && f < fieldCount; ++f) {
            if (pair.levels[f] != ComparisonLevel::Missing)
                counts[f][static_cast<size_t>(pair.levels[f])] += 1;
        }
    }
    QList<FieldModel> fields = start.fields();
    for (size_t f = 0; f < fieldCount; ++f) {
        FieldModel &field = fields[static_cast<qsizetype>(f)];
        field.m = dirichletMean(field.comparator, field.m, matchCounts[f], priorWeight);
        field.u = dirichletMean(field.comparator, field.u, otherCounts[f], priorWeight);
    }
    const double prior = (matches + priorWeight * start.prior()) / (static_cast<double>(pairs.size()) + priorWeight);
    return MatchModel(std::move(fields), std::clamp(prior, 1e-6, 1.0 - 1e-6));
}

QJsonObject MatchStanding::toJson() const
{
    return {{QStringLiteral("questions"), questions},
            {QStringLiteral("straight_through"), straightThrough},
            {QStringLiteral("right"), right},
            {QStringLiteral("wrong"), wrong},
            {QStringLiteral("log_loss"), logLoss}};
}

MatchOutcome decideAnswered(const MatchModel &model, const AnsweredMatch &question, const MatchLearningOptions &options,
                            bool *right)
{
    const MatchDecision decision =
        Matcher::decideCompared(model, question.candidates, options.thresholds, options.maxCandidates);
    if (right) {
        if (decision.outcome == MatchOutcome::Matched)
            *right = decision.best()->record.id == question.chosen;
        else
            *right = decision.outcome == MatchOutcome::NoMatch && question.chosen.isEmpty();
    }
    return decision.outcome;
}

MatchStanding standOn(const MatchModel &model, const QList<AnsweredMatch> &questions, const MatchLearningOptions &options)
{
    MatchStanding standing;
    double loss = 0;
    qsizetype pairs = 0;
    for (const AnsweredMatch &question : questions) {
        ++standing.questions;
        bool right = false;
        const MatchOutcome outcome = decideAnswered(model, question, options, &right);
        const bool alone = outcome == MatchOutcome::Matched || (outcome == MatchOutcome::NoMatch && options.noMatchGoesOn);
        if (alone) {
            ++standing.straightThrough;
            ++(right ? standing.right : standing.wrong);
        }
        for (const ScoredCandidate &candidate : question.candidates) {
            loss += pairLoss(model, candidate, !question.chosen.isEmpty() && candidate.record.id == question.chosen);
            ++pairs;
        }
    }
    standing.logLoss = pairs > 0 ? loss / static_cast<double>(pairs) : 0.0;
    return standing;
}

QJsonObject MatchVerdict::toJson() const
{
    return {{QStringLiteral("promote"), promote},
            {QStringLiteral("reason"), reason},
            {QStringLiteral("compared"), compared},
            {QStringLiteral("champion"), champion.toJson()},
            {QStringLiteral("challenger"), challenger.toJson()}};
}

MatchVerdict compareStandings(const MatchStanding &champion, const MatchStanding &challenger)
{
    MatchVerdict verdict;
    verdict.champion = champion;
    verdict.challenger = challenger;
    verdict.compared = challenger.questions;
    const auto figures = [&] {
        return QStringLiteral("on %1 answers the challenger decides %2 right and %3 wrong without a person, the model "
                              "in use %4 right and %5 wrong")
            .arg(verdict.compared)
            .arg(challenger.right)
            .arg(challenger.wrong)
            .arg(champion.right)
            .arg(champion.wrong);
    };
    if (verdict.compared == 0) {
        verdict.reason = QStringLiteral("no answers the model in use has not learnt from to compare on");
    } else if (challenger.wrong > champion.wrong) {
        verdict.reason = QStringLiteral("more wrong decisions: ") + figures();
    } else if (challenger.right > champion.right) {
        verdict.promote = true;
        verdict.reason = QStringLiteral("more right decisions: ") + figures();
    } else if (challenger.right < champion.right) {
        verdict.reason = QStringLiteral("fewer right decisions: ") + figures();
    } else if (challenger.wrong < champion.wrong || challenger.logLoss < champion.logLoss * 0.99) {
        verdict.promote = true;
        verdict.reason = (challenger.wrong < champion.wrong ? QStringLiteral("fewer wrong decisions: ")
                                                            : QStringLiteral("a lower log-loss (%1 against %2): ")
                                                                  .arg(challenger.logLoss, 0, 'f', 4)
                                                                  .arg(champion.logLoss, 0, 'f', 4))
                         + figures();
    } else {
        verdict.reason = QStringLiteral("no better: ") + figures();
    }
    return verdict;
}

MatchChallenger trainAndJudge(const MatchModel &start, const MatchModel &champion, const QList<AnsweredMatch> &questions,
                              qsizetype championSaw, const MatchLearningOptions &options)
{
    const QList<LabelledPair> all = labelledPairs(questions);
    MatchChallenger result{estimateFromPairs(start, all, options.priorWeight), {}, static_cast<int>(all.size()), 0};
    result.matchingPairs = static_cast<int>(std::count_if(all.begin(), all.end(), [](const LabelledPair &p) { return p.isMatch; }));

    const qsizetype first = std::clamp<qsizetype>(championSaw, 0, questions.size());
    const QList<AnsweredMatch> compared = questions.mid(first);
    const int folds = static_cast<int>(std::clamp<qsizetype>(compared.size(), 1, std::max(options.folds, 2)));
    // Question i of `compared` is in fold i % folds; its challenger learnt from every
    // other question, old ones included.
    MatchStanding outOfFold;
    double loss = 0;
    for (int fold = 0; fold < folds && !compared.isEmpty(); ++fold) {
        QList<AnsweredMatch> taught = questions.mid(0, first);
        QList<AnsweredMatch> held;
        for (qsizetype i = 0; i < compared.size(); ++i)
            (i % folds == fold ? held : taught).append(compared[i]);
        const MatchModel model = estimateFromPairs(start, labelledPairs(taught), options.priorWeight);
        const MatchStanding part = standOn(model, held, options);
        outOfFold.questions += part.questions;
        outOfFold.straightThrough += part.straightThrough;
        outOfFold.right += part.right;
        outOfFold.wrong += part.wrong;
        loss += part.logLoss * static_cast<double>(labelledPairs(held).size());
    }
    const qsizetype comparedPairs = labelledPairs(compared).size();
    outOfFold.logLoss = comparedPairs > 0 ? loss / static_cast<double>(comparedPairs) : 0.0;
    result.verdict = compareStandings(standOn(champion, compared, options), outOfFold);
    return result;
}

Status saveLearnedModel(const QString &path, const LearnedMatchModel &learned)
{
    const QJsonObject json{{QStringLiteral("format"), kFormat},
                           {QStringLiteral("info"), learned.info},
                           {QStringLiteral("learned"), learned.learned},
                           {QStringLiteral("model"), learned.model.toJson()}};
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return fail(Error::permissionDenied(QStringLiteral("cannot write %1: %2").arg(path, file.errorString())));
    file.write(QJsonDocument(json).toJson(QJsonDocument::Indented));
    if (!file.commit())
        return fail(Error::unavailable(QStringLiteral("cannot write %1: %2").arg(path, file.errorString())));
    return {};
}

namespace {

Result<QJsonObject> readModelFile(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return fail(Error::unreadable(QStringLiteral("cannot read %1: %2").arg(path, file.errorString())));
    QJsonParseError error;
    const QJsonDocument document = QJsonDocument::fromJson(file.readAll(), &error);
    if (error.error != QJsonParseError::NoError || !document.isObject()
        || document.object().value(QStringLiteral("format")).toString() != kFormat)
        return fail(Error::corrupt(QStringLiteral("%1 is not a match model file").arg(path)));
    return document.object();
}

} // namespace

Result<LearnedMatchModel> readLearnedModelHeader(const QString &path)
{
    auto json = readModelFile(path);
    if (!json)
        return fail(json.error());
    return LearnedMatchModel{MatchModel(), json->value(QStringLiteral("info")).toObject(),
                             json->value(QStringLiteral("learned")).toObject()};
}

Result<LearnedMatchModel> loadLearnedModel(const QString &path, const MatchModel &shape)
{
    auto json = readModelFile(path);
    if (!json)
        return fail(json.error());
    const QJsonObject model = json->value(QStringLiteral("model")).toObject();
    const QJsonObject stored = model.value(QStringLiteral("fields")).toObject();
    if (stored.size() != shape.fieldCount())
        return fail(Error::invalidArgument(
            QStringLiteral("%1 was learnt for %2 fields; the step has %3").arg(path).arg(stored.size()).arg(shape.fieldCount())));
    QList<FieldModel> fields = shape.fields();
    for (FieldModel &field : fields) {
        const QJsonObject learnt = stored.value(field.name).toObject();
        if (learnt.value(QStringLiteral("comparator")).toString() != toString(field.comparator))
            return fail(Error::invalidArgument(
                QStringLiteral("%1 was learnt for other fields: the step's field %2 (%3) is not in it")
                    .arg(path, field.name, toString(field.comparator))));
        auto m = levelProbabilitiesFromJson(learnt.value(QStringLiteral("m")));
        auto u = levelProbabilitiesFromJson(learnt.value(QStringLiteral("u")));
        if (!m || !u)
            return fail(Error::corrupt(QStringLiteral("%1: field %2: %3")
                                           .arg(path, field.name, (!m ? m.error() : u.error()).message())));
        field.m = *m;
        field.u = *u;
    }
    const double prior = model.value(QStringLiteral("prior")).toDouble(-1);
    if (prior <= 0 || prior >= 1)
        return fail(Error::corrupt(QStringLiteral("%1: the prior must be above 0 and below 1").arg(path)));
    return LearnedMatchModel{MatchModel(std::move(fields), prior), json->value(QStringLiteral("info")).toObject(),
                             json->value(QStringLiteral("learned")).toObject()};
}

} // namespace clerk::match
