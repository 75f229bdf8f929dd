#include "report/shadow_trial.h"

namespace clerk::report {

QList<double> shadowThresholds()
{
    // Hundredths, divided once: 0.9 here is the same double as a confidence written 0.9.
    QList<double> thresholds;
    for (int hundredths = 50; hundredths <= 95; hundredths += 5)
        thresholds.append(hundredths / 100.0);
    thresholds.append(99 / 100.0);
    return thresholds;
}

QList<ShadowPoint> shadowPoints(const QList<store::ShadowAnswer> &answers)
{
    QList<ShadowPoint> points;
    for (const double threshold : shadowThresholds()) {
        ShadowPoint point{.threshold = threshold};
        qint64 right = 0;
        for (const store::ShadowAnswer &answer : answers) {
            if (answer.confidence < threshold)
                continue;
            ++point.alone;
            if (answer.suggested == answer.answered)
                ++right;
        }
        if (!answers.isEmpty())
            point.straightThroughRate = double(point.alone) / double(answers.size());
        if (point.alone > 0)
            point.precision = double(right) / double(point.alone);
        points.append(point);
    }
    return points;
}

} // namespace clerk::report
