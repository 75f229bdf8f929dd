// ConfidenceCalibration: maps a classifier's raw top-class probability to a calibrated
// confidence, so that of the items given confidence c about a share c is right.
//
// Fitted by isotonic regression (pool-adjacent-violators) on out-of-fold predictions:
// pairs of (raw top-class probability, 1 if that class was right else 0). Each block's
// accuracy is Laplace-smoothed ((right + 1) / (n + 2)), so a small training set whose
// out-of-fold predictions were all right does not claim certainty. The map is
// piecewise linear between the fitted blocks' (mean score, accuracy) points, flat
// beyond the first and last point, so it is monotone non-decreasing and stays in [0, 1].
// An unfitted calibration is the identity (clamped to [0, 1]).
//
// Thread-safety: a value type; const methods may be called from any thread.
#pragma once

#include <QJsonObject>
#include <QList>

namespace clerk::classify {

class ConfidenceCalibration {
public:
    // Fits the map. `scores` and `correct` have the same length; an empty input gives
    // the identity.
    static ConfidenceCalibration fitIsotonic(const QList<double> &scores, const QList<bool> &correct);

    double apply(double score) const;
    bool isIdentity() const { return m_x.isEmpty(); }

    // {"method": "isotonic", "x": [...], "y": [...]}; fromJson returns false when the
    // object is not a valid map (lengths differ, not sorted, outside [0, 1]).
    QJsonObject toJson() const;
    static bool fromJson(const QJsonObject &json, ConfidenceCalibration &calibration);

private:
    QList<double> m_x;  // increasing
    QList<double> m_y;  // non-decreasing, in [0, 1]
};

} // namespace clerk::classify
