// A match step's settings read from its validated `params:` block, shared by the step
// (runtime/engine) and `clerk eval` so both decide exactly alike.
//
// Thread-safety: a value.
#pragma once

#include "match/matcher.h"
#include "match/record_index.h"

#include <QJsonObject>
#include <QMap>

namespace clerk::match {

struct MatchSettings {
    MatchModel model;
    QList<BlockingKey> keys;
    MatchThresholds thresholds;
    int maxCandidates = 5;
    QStringList valueTemplates;  // per field, in model order: the item's value template
    QString indexPath;           // as written (relative to the bot file's folder)
    IndexColumns columns;        // id column and per-field columns of the index file
    int maxBlockSize = 5000;

    // Reads params; `botThresholds` supplies thresholds.match as the default upper.
    // Fails with InvalidArgument naming the bad key.
    static Result<MatchSettings> fromParams(const QJsonObject &params, const QMap<QString, double> &botThresholds);
};

} // namespace clerk::match
