#include "match/em_estimation.h"

#include <QHash>

#include <cmath>

namespace clerk::match {

namespace {

// Identical comparison vectors are counted once: real data has a few thousand patterns
// even for millions of pairs.
struct Pattern {
    ComparisonVector levels;
    double count = 0;
};

QList<Pattern> countPatterns(const QList<ComparisonVector> &pairs)
{
    QHash<QByteArray, qsizetype> index;
    QList<Pattern> patterns;
    for (const ComparisonVector &levels : pairs) {
        const QByteArray key(reinterpret_cast<const char *>(levels.data()), static_cast<qsizetype>(levels.size()));
        auto it = index.find(key);
        if (it == index.end()) {
            index.insert(key, patterns.size());
            patterns.append({levels, 1.0});
        } else {
            patterns[*it].count += 1.0;
        }
    }
    return patterns;
}

} // namespace

Result<EmResult> estimateByEm(const MatchModel &start, const QList<ComparisonVector> &pairs, const EmOptions &options)
{
    if (pairs.isEmpty())
        return fail(Error::invalidArgument(QStringLiteral("EM needs candidate pairs; none were given")));
    const QList<Pattern> patterns = countPatterns(pairs);
    QList<FieldModel> fields = start.fields();
    const size_t fieldCount = static_cast<size_t>(fields.size());
    double prior = start.prior();

    EmResult result;
    for (int iteration = 1; iteration <= options.maxIterations; ++iteration) {
        std::vector<LevelProbabilities> mCounts(fieldCount, LevelProbabilities{});
        std::vector<LevelProbabilities> uCounts(fieldCount, LevelProbabilities{});
        double matchTotal = 0, total = 0;
        // E step: the probability that each pattern is a match, under the current guess.
        for (const Pattern &pattern : patterns) {
            double logM = std::log(prior), logU = std::log(1.0 - prior);
            for (size_t f = 0; f < fieldCount && f < pattern.levels.size(); ++f) {
                const ComparisonLevel level = pattern.levels[f];
                if (level == ComparisonLevel::Missing)
                    continue;
                logM += std::log(std::max(fields[static_cast<qsizetype>(f)].m[static_cast<size_t>(level)], 1e-12));
                logU += std::log(std::max(fields[static_cast<qsizetype>(f)].u[static_cast<size_t>(level)], 1e-12));
            }
            const double p = 1.0 / (1.0 + std::exp(logU - logM));
            matchTotal += p * pattern.count;
            total += pattern.count;
            for (size_t f = 0; f < fieldCount && f < pattern.levels.size(); ++f) {
                const ComparisonLevel level = pattern.levels[f];
                if (level == ComparisonLevel::Missing)
                    continue;
                mCounts[f][static_cast<size_t>(level)] += p * pattern.count;
                uCounts[f][static_cast<size_t>(level)] += (1.0 - p) * pattern.count;
            }
        }
        // M step: new m, u and prior from the expected counts (a small pseudo-count keeps
        // levels never seen from becoming certain impossibilities).
        double change = 0;
        for (size_t f = 0; f < fieldCount; ++f) {
            FieldModel &field = fields[static_cast<qsizetype>(f)];
            auto update = [&](LevelProbabilities &probabilities, const LevelProbabilities &counts) {
                double sum = 0;
                LevelProbabilities next{};
                for (int l = 0; l < kLevelCount; ++l) {
                    if (!comparatorUsesLevel(field.comparator, static_cast<ComparisonLevel>(l)))
                        continue;
                    next[static_cast<size_t>(l)] = counts[static_cast<size_t>(l)] + 1e-3;
                    sum += next[static_cast<size_t>(l)];
                }
                for (int l = 0; l < kLevelCount; ++l) {
                    const size_t i = static_cast<size_t>(l);
                    next[i] = sum > 0 ? next[i] / sum : probabilities[i];
                    change = std::max(change, std::abs(next[i] - probabilities[i]));
                }
                probabilities = next;
            };
            update(field.m, mCounts[f]);
            if (options.estimateU)
                update(field.u, uCounts[f]);
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

} // namespace clerk::match
