#include "classify/calibration.h"

#include <QJsonArray>

#include <algorithm>
#include <numeric>

namespace clerk::classify {

ConfidenceCalibration ConfidenceCalibration::fitIsotonic(const QList<double> &scores, const QList<bool> &correct)
{
    ConfidenceCalibration calibration;
    const qsizetype n = std::min(scores.size(), correct.size());
    if (n == 0)
        return calibration;
    QList<qsizetype> order(n);
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](qsizetype a, qsizetype b) { return scores[a] < scores[b]; });

    // Pool adjacent violators: blocks of (sum of scores, sum of hits, count).
    struct Block {
        double scoreSum;
        double hitSum;
        double count;
    };
    QList<Block> blocks;
    for (qsizetype i : order) {
        blocks.append({scores[i], correct[i] ? 1.0 : 0.0, 1.0});
        while (blocks.size() >= 2) {
            const Block &last = blocks[blocks.size() - 1];
            const Block &prev = blocks[blocks.size() - 2];
            if (prev.hitSum / prev.count < last.hitSum / last.count)
                break;
            const Block merged{prev.scoreSum + last.scoreSum, prev.hitSum + last.hitSum, prev.count + last.count};
            blocks.removeLast();
            blocks.last() = merged;
        }
    }
    for (const Block &block : blocks) {
        const double x = block.scoreSum / block.count;
        // Laplace smoothing: a block of items that were all right claims (n+1)/(n+2),
        // never certainty; the running maximum keeps the map monotone after smoothing.
        double y = std::clamp((block.hitSum + 1.0) / (block.count + 2.0), 0.0, 1.0);
        if (!calibration.m_y.isEmpty())
            y = std::max(y, calibration.m_y.last());
        // Equal mean scores can only come from ties; keep the later (higher) value.
        if (!calibration.m_x.isEmpty() && x <= calibration.m_x.last()) {
            calibration.m_y.last() = std::max(calibration.m_y.last(), y);
            continue;
        }
        calibration.m_x.append(x);
        calibration.m_y.append(y);
    }
    return calibration;
}

double ConfidenceCalibration::apply(double score) const
{
    if (m_x.isEmpty())
        return std::clamp(score, 0.0, 1.0);
    if (score <= m_x.first())
        return m_y.first();
    if (score >= m_x.last())
        return m_y.last();
    const auto upper = std::upper_bound(m_x.begin(), m_x.end(), score);
    const qsizetype i = upper - m_x.begin();
    const double t = (score - m_x[i - 1]) / (m_x[i] - m_x[i - 1]);
    return m_y[i - 1] + t * (m_y[i] - m_y[i - 1]);
}

QJsonObject ConfidenceCalibration::toJson() const
{
    QJsonArray x;
    QJsonArray y;
    for (double v : m_x)
        x.append(v);
    for (double v : m_y)
        y.append(v);
    return {{QStringLiteral("method"), isIdentity() ? QStringLiteral("identity") : QStringLiteral("isotonic")},
            {QStringLiteral("x"), x},
            {QStringLiteral("y"), y}};
}

bool ConfidenceCalibration::fromJson(const QJsonObject &json, ConfidenceCalibration &calibration)
{
    const QJsonArray x = json.value(QStringLiteral("x")).toArray();
    const QJsonArray y = json.value(QStringLiteral("y")).toArray();
    if (x.size() != y.size())
        return false;
    ConfidenceCalibration result;
    for (qsizetype i = 0; i < x.size(); ++i) {
        if (!x[i].isDouble() || !y[i].isDouble())
            return false;
        const double xv = x[i].toDouble();
        const double yv = y[i].toDouble();
        if (yv < 0 || yv > 1 || (i > 0 && (xv <= result.m_x.last() || yv < result.m_y.last())))
            return false;
        result.m_x.append(xv);
        result.m_y.append(yv);
    }
    calibration = std::move(result);
    return true;
}

} // namespace clerk::classify
