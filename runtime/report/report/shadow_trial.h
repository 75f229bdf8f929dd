// Shadow-mode trials: a bot in `mode: shadow` decides every item but acts on none; a
// person answers each one. Comparing the bot's suggestion and confidence with the
// person's answer shows, for each confidence threshold, how much the bot would have done
// alone and how often it would have been right there, before anyone lets it act.
//
// Thread-safety: pure functions.
#pragma once

#include "store/figures.h"

#include <QList>
#include <optional>

namespace clerk::report {

struct ShadowPoint {
    double threshold = 0;
    qint64 alone = 0;                  // answers with confidence >= threshold
    double straightThroughRate = 0;    // alone / answered: the share the bot would have done alone
    std::optional<double> precision{}; // share of `alone` where the bot chose what the person chose;
                                       // none when nothing reaches the threshold
};

struct ShadowTrial {
    QString bot{};
    qint64 answered = 0;
    QList<ShadowPoint> points{};
};

// The thresholds reported: 0.50, 0.55, ..., 0.95 and 0.99.
QList<double> shadowThresholds();

// One point per threshold over `answers` (confidence, the bot's choice, the person's).
// With no answers every rate is 0 and every precision none.
QList<ShadowPoint> shadowPoints(const QList<store::ShadowAnswer> &answers);

} // namespace clerk::report
