#include "match/one_to_one_em.h"

#include "match/em_patterns_p.h"

#include <algorithm>
#include <cmath>

namespace clerk::match {

namespace {

// m/u of each pattern over its fields with a value (capped so it stays finite).
std::vector<double> likelihoodRatios(const QList<FieldModel> &fields, const QList<ComparisonVector> &patterns)
{
    std::vector<double> ratios;
    ratios.reserve(static_cast<size_t>(patterns.size()));
    for (const ComparisonVector &levels : patterns) {
        double logRatio = 0;
        for (size_t f = 0; f < levels.size() && f < static_cast<size_t>(fields.size()); ++f) {
            const ComparisonLevel level = levels[f];
            if (level == ComparisonLevel::Missing)
                continue;
            const FieldModel &field = fields[static_cast<qsizetype>(f)];
            logRatio += std::log(std::max(field.m[static_cast<size_t>(level)], 1e-12))
                        - std::log(std::max(field.u[static_cast<size_t>(level)], 1e-12));
        }
        ratios.push_back(std::exp(std::clamp(logRatio, -600.0, 600.0)));
    }
    return ratios;
}

// m from the expected matches per pattern; the largest change.
double updateM(QList<FieldModel> &fields, const QList<ComparisonVector> &patterns, const std::vector<double> &matchMass)
{
    double change = 0;
    for (qsizetype f = 0; f < fields.size(); ++f) {
        LevelProbabilities counts{};
        for (qsizetype p = 0; p < patterns.size(); ++p) {
            const ComparisonLevel level = static_cast<size_t>(f) < patterns[p].size() ? patterns[p][static_cast<size_t>(f)]
                                                                                    : ComparisonLevel::Missing;
            if (level != ComparisonLevel::Missing)
                counts[static_cast<size_t>(level)] += matchMass[static_cast<size_t>(p)];
        }
        change = std::max(change, refitLevels(fields[f].comparator, fields[f].m, counts));
    }
    return change;
}

} // namespace

Result<EmResult> estimateOneToOne(const MatchModel &start, const QList<ComparisonVector> &pairs,
                                  const QList<int> &perQuery, const EmOptions &options)
{
    qsizetype grouped = 0;
    for (int n : perQuery)
        grouped += std::max(n, 0);
    if (pairs.isEmpty() || grouped != pairs.size())
        return fail(Error::invalidArgument(QStringLiteral("one-to-one EM needs pairs grouped by query (%1 pairs, %2 grouped)")
                                               .arg(pairs.size())
                                               .arg(grouped)));
    const PatternIndex patterns = indexPatterns(pairs);
    QList<FieldModel> fields = start.fields();
    double share = 0.5;  // π: queries whose true record is among their pairs
    double matches = 0;
    EmResult result;
    for (int iteration = 1; iteration <= options.maxIterations; ++iteration) {
        const std::vector<double> ratios = likelihoodRatios(fields, patterns.levels);
        std::vector<double> matchMass(ratios.size(), 0.0);
        matches = 0;
        qsizetype groups = 0, at = 0;
        for (int n : perQuery) {
            if (n <= 0)
                continue;
            ++groups;
            const double each = share / n;
            double denominator = 1.0 - share;
            for (qsizetype i = at; i < at + n; ++i)
                denominator += each * ratios[static_cast<size_t>(patterns.ofPair[static_cast<size_t>(i)])];
            for (qsizetype i = at; i < at + n; ++i) {
                const size_t p = static_cast<size_t>(patterns.ofPair[static_cast<size_t>(i)]);
                const double probability = each * ratios[p] / denominator;
                matchMass[p] += probability;
                matches += probability;
            }
            at += n;
        }
        double change = options.estimateM ? updateM(fields, patterns.levels, matchMass) : 0.0;
        const double nextShare = std::clamp(matches / static_cast<double>(std::max<qsizetype>(groups, 1)), 1e-9, 1.0 - 1e-9);
        change = std::max(change, std::abs(nextShare - share));
        share = nextShare;
        result.iterations = iteration;
        if (change < options.tolerance) {
            result.converged = true;
            break;
        }
    }
    const double prior = std::clamp(matches / static_cast<double>(pairs.size()), 1e-9, 1.0 - 1e-9);
    result.model = MatchModel(std::move(fields), prior);
    return result;
}

} // namespace clerk::match
