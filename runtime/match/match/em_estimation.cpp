#include "match/em_estimation.h"

#include "match/em_patterns_p.h"
#include "match/one_to_one_em.h"

#include <QHash>

#include <algorithm>
#include <cmath>

namespace clerk::match {

PatternIndex indexPatterns(const QList<ComparisonVector> &pairs)
{
    PatternIndex patterns;
    QHash<QByteArray, int> ids;
    patterns.ofPair.reserve(static_cast<size_t>(pairs.size()));
    for (const ComparisonVector &levels : pairs) {
        const QByteArray key(reinterpret_cast<const char *>(levels.data()), static_cast<qsizetype>(levels.size()));
        auto it = ids.find(key);
        if (it == ids.end()) {
            it = ids.insert(key, static_cast<int>(patterns.levels.size()));
            patterns.levels.append(levels);
            patterns.counts.push_back(0.0);
        }
        patterns.counts[static_cast<size_t>(*it)] += 1.0;
        patterns.ofPair.push_back(*it);
    }
    return patterns;
}

double refitLevels(ComparatorKind comparator, LevelProbabilities &probabilities, const LevelProbabilities &counts)
{
    double sum = 0;
    LevelProbabilities next{};
    for (int l = 0; l < kLevelCount; ++l) {
        if (!comparatorUsesLevel(comparator, static_cast<ComparisonLevel>(l)))
            continue;
        next[static_cast<size_t>(l)] = counts[static_cast<size_t>(l)] + 1e-3;
        sum += next[static_cast<size_t>(l)];
    }
    double change = 0;
    for (int l = 0; l < kLevelCount; ++l) {
        const size_t i = static_cast<size_t>(l);
        next[i] = sum > 0 ? next[i] / sum : probabilities[i];
        change = std::max(change, std::abs(next[i] - probabilities[i]));
    }
    probabilities = next;
    return change;
}

Result<MatchModel> withUFromRandomPairs(const MatchModel &start, const QList<ComparisonVector> &randomPairs)
{
    if (randomPairs.isEmpty())
        return fail(Error::invalidArgument(QStringLiteral("estimating u needs random pairs; none were given")));
    QList<FieldModel> fields = start.fields();
    for (qsizetype f = 0; f < fields.size(); ++f) {
        LevelProbabilities counts{};
        double total = 0;
        for (const ComparisonVector &levels : randomPairs) {
            const ComparisonLevel level = static_cast<size_t>(f) < levels.size() ? levels[static_cast<size_t>(f)]
                                                                                : ComparisonLevel::Missing;
            if (level == ComparisonLevel::Missing)
                continue;
            counts[static_cast<size_t>(level)] += 1;
            total += 1;
        }
        if (total == 0)
            continue;
        for (int l = 0; l < kLevelCount; ++l) {
            const size_t i = static_cast<size_t>(l);
            fields[f].u[i] = comparatorUsesLevel(fields[f].comparator, static_cast<ComparisonLevel>(l)) ? counts[i] + 0.5 : 0;
        }
    }
    return MatchModel(std::move(fields), start.prior());
}

Result<EmResult> estimateByEm(const MatchModel &start, const QList<ComparisonVector> &pairs, const EmOptions &options)
{
    if (pairs.isEmpty())
        return fail(Error::invalidArgument(QStringLiteral("EM needs candidate pairs; none were given")));
    const PatternIndex patterns = indexPatterns(pairs);
    QList<FieldModel> fields = start.fields();
    const size_t fieldCount = static_cast<size_t>(fields.size());
    double prior = start.prior();

    EmResult result;
    for (int iteration = 1; iteration <= options.maxIterations; ++iteration) {
        std::vector<LevelProbabilities> mCounts(fieldCount, LevelProbabilities{});
        std::vector<LevelProbabilities> uCounts(fieldCount, LevelProbabilities{});
        double matchTotal = 0, total = 0;
        // E step: the probability that each pattern is a match, under the current guess.
        for (qsizetype n = 0; n < patterns.levels.size(); ++n) {
            const ComparisonVector &levels = patterns.levels[n];
            const double count = patterns.counts[static_cast<size_t>(n)];
            double logM = std::log(prior), logU = std::log(1.0 - prior);
            for (size_t f = 0; f < fieldCount && f < levels.size(); ++f) {
                const ComparisonLevel level = levels[f];
                if (level == ComparisonLevel::Missing)
                    continue;
                logM += std::log(std::max(fields[static_cast<qsizetype>(f)].m[static_cast<size_t>(level)], 1e-12));
                logU += std::log(std::max(fields[static_cast<qsizetype>(f)].u[static_cast<size_t>(level)], 1e-12));
            }
            const double p = 1.0 / (1.0 + std::exp(logU - logM));
            matchTotal += p * count;
            total += count;
            for (size_t f = 0; f < fieldCount && f < levels.size(); ++f) {
                const ComparisonLevel level = levels[f];
                if (level == ComparisonLevel::Missing)
                    continue;
                mCounts[f][static_cast<size_t>(level)] += p * count;
                uCounts[f][static_cast<size_t>(level)] += (1.0 - p) * count;
            }
        }
        // M step: new m, u and prior from the expected counts.
        double change = 0;
        for (size_t f = 0; f < fieldCount; ++f) {
            FieldModel &field = fields[static_cast<qsizetype>(f)];
            if (options.estimateM)
                change = std::max(change, refitLevels(field.comparator, field.m, mCounts[f]));
            if (options.estimateU)
                change = std::max(change, refitLevels(field.comparator, field.u, uCounts[f]));
        }
        const double nextPrior = std::clamp(matchTotal / total, 1e-9, 1.0 - 1e-9);
        change = std::max(change, std::abs(nextPrior - prior));
        prior = nextPrior;
        result.iterations = iteration;
        if (change < options.tolerance) {
            result.converged = true;
            break;
        }
    }
    result.model = MatchModel(std::move(fields), prior);
    return result;
}

Result<EmResult> estimateByBlockedEm(const MatchModel &start, const QList<BlockedPairs> &perKey,
                                     const QList<ComparisonVector> &allPairs, const EmOptions &options,
                                     const QList<int> &allPerQuery)
{
    if (allPairs.isEmpty())
        return fail(Error::invalidArgument(QStringLiteral("EM needs candidate pairs; none were given")));
    const qsizetype fieldCount = start.fields().size();
    std::vector<LevelProbabilities> mSum(static_cast<size_t>(fieldCount), LevelProbabilities{});
    std::vector<double> weightSum(static_cast<size_t>(fieldCount), 0.0);
    int iterations = 0;
    for (const BlockedPairs &block : perKey) {
        if (block.pairs.isEmpty())
            continue;
        QList<ComparisonVector> pairs = block.pairs;
        for (ComparisonVector &levels : pairs) {
            for (int f : block.blockedFields) {
                if (static_cast<size_t>(f) < levels.size())
                    levels[static_cast<size_t>(f)] = ComparisonLevel::Missing;
            }
        }
        EmOptions keyOptions = options;
        keyOptions.estimateU = false;
        keyOptions.estimateM = true;
        auto fitted = block.perQuery.isEmpty() ? estimateByEm(start, pairs, keyOptions)
                                               : estimateOneToOne(start, pairs, block.perQuery, keyOptions);
        if (!fitted)
            return fail(fitted.error());
        iterations += fitted->iterations;
        const double weight = static_cast<double>(block.pairs.size());
        for (qsizetype f = 0; f < fieldCount; ++f) {
            if (block.blockedFields.contains(static_cast<int>(f)))
                continue;
            for (int l = 0; l < kLevelCount; ++l)
                mSum[static_cast<size_t>(f)][static_cast<size_t>(l)] += weight * fitted->model.fields()[f].m[static_cast<size_t>(l)];
            weightSum[static_cast<size_t>(f)] += weight;
        }
    }
    QList<FieldModel> fields = start.fields();
    for (qsizetype f = 0; f < fieldCount; ++f) {
        if (weightSum[static_cast<size_t>(f)] <= 0)
            continue;  // blocked on by every key: keep the given m
        for (int l = 0; l < kLevelCount; ++l)
            fields[f].m[static_cast<size_t>(l)] = mSum[static_cast<size_t>(f)][static_cast<size_t>(l)] / weightSum[static_cast<size_t>(f)];
    }
    EmOptions priorOnly = options;
    priorOnly.estimateM = false;
    priorOnly.estimateU = false;
    const MatchModel fitted(fields, start.prior());
    auto final = allPerQuery.isEmpty() ? estimateByEm(fitted, allPairs, priorOnly)
                                       : estimateOneToOne(fitted, allPairs, allPerQuery, priorOnly);
    if (!final)
        return fail(final.error());
    final->iterations += iterations;
    return final;
}

} // namespace clerk::match
