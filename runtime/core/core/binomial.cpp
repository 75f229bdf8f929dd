#include "core/binomial.h"

#include <algorithm>
#include <cmath>

namespace clerk {

namespace {

// P(X >= k) for X ~ Binomial(n, p), summed in log space.
double upperTail(qsizetype k, qsizetype n, double p)
{
    if (k <= 0)
        return 1.0;
    if (p <= 0)
        return 0.0;
    if (p >= 1)
        return 1.0;
    const double lp = std::log(p);
    const double lq = std::log1p(-p);
    const double lgn = std::lgamma(static_cast<double>(n) + 1);
    double total = 0;
    for (qsizetype j = k; j <= n; ++j) {
        const double term = lgn - std::lgamma(static_cast<double>(j) + 1) - std::lgamma(static_cast<double>(n - j) + 1)
                            + static_cast<double>(j) * lp + static_cast<double>(n - j) * lq;
        total += std::exp(term);
    }
    return std::min(total, 1.0);
}

} // namespace

double clopperPearsonLower(qsizetype right, qsizetype n, double confidence)
{
    if (right <= 0 || n <= 0)
        return 0.0;
    const double alpha = 1.0 - confidence;
    if (right >= n)
        return std::pow(alpha, 1.0 / static_cast<double>(n));
    // upperTail(right, n, p) rises with p; find where it equals alpha.
    double lo = 0.0;
    double hi = static_cast<double>(right) / static_cast<double>(n);
    for (int i = 0; i < 60; ++i) {
        const double mid = (lo + hi) / 2;
        (upperTail(right, n, mid) < alpha ? lo : hi) = mid;
    }
    return lo;
}

double clopperPearsonUpper(qsizetype right, qsizetype n, double confidence)
{
    // The wrong answers' lower bound, seen from the other side.
    if (n <= 0)
        return 1.0;
    return 1.0 - clopperPearsonLower(n - std::clamp<qsizetype>(right, 0, n), n, confidence);
}

qsizetype answersNeeded(double target, double confidence)
{
    if (target <= 0)
        return 1;
    if (target >= 1)
        return -1;
    return static_cast<qsizetype>(std::ceil(std::log(1.0 - confidence) / std::log(target)));
}

} // namespace clerk
