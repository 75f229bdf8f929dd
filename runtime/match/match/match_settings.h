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

// The defaults of a match step's params, applied here and shown by the step's schema
// (runtime/engine), so each is written once.
inline constexpr double kDefaultUpper = 0.99;  // thresholds.upper, when the bot has no thresholds.match
inline constexpr double kDefaultLower = 0.5;
inline constexpr double kDefaultMargin = 0.1;
inline constexpr double kDefaultPrior = 0.01;
inline constexpr int kDefaultMaxCandidates = 5;
inline constexpr int kDefaultMaxBlockSize = 5000;
inline constexpr const char *kDefaultComparator = "exact";
inline constexpr const char *kDefaultIdColumn = "id";  // index.id_column and search.id_field

struct MatchSettings {
    MatchModel model;
    QList<BlockingKey> keys;
    MatchThresholds thresholds;
    int maxCandidates = kDefaultMaxCandidates;
    QStringList valueTemplates;  // per field, in model order: the item's value template
    QString indexPath;           // as written (relative to the bot file's folder)
    IndexColumns columns;        // id column and per-field columns of the index file
    int maxBlockSize = kDefaultMaxBlockSize;
    // index.one_record_per_person: the index holds each person at most once, so estimating
    // the weights (clerk eval --estimate) lets a query's candidates compete for one match.
    bool oneRecordPerPerson = false;

    // Reads params; `botThresholds` supplies thresholds.match as the default upper.
    // Fails with InvalidArgument naming the bad key.
    static Result<MatchSettings> fromParams(const QJsonObject &params, const QMap<QString, double> &botThresholds);
};

} // namespace clerk::match
