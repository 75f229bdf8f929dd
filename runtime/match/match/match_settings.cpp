#include "match/match_settings.h"

#include <QJsonArray>

namespace clerk::match {


Result<MatchSettings> MatchSettings::fromParams(const QJsonObject &params, const QMap<QString, double> &botThresholds)
{
    auto invalid = [](const QString &message) { return fail(Error::invalidArgument(message)); };
    const QJsonObject fieldsParam = params.value(QStringLiteral("fields")).toObject();
    if (fieldsParam.isEmpty())
        return invalid(QStringLiteral("fields: name at least one field to compare"));

    MatchSettings settings;
    QList<FieldModel> fieldModels;
    for (auto it = fieldsParam.begin(); it != fieldsParam.end(); ++it) {
        const QJsonObject field = it.value().toObject();
        auto kind = parseComparatorKind(field.value(QStringLiteral("comparator")).toString(QLatin1String(kDefaultComparator)));
        if (!kind)
            return invalid(QStringLiteral("fields.%1: %2").arg(it.key(), kind.error().message()));
        FieldModel model = defaultFieldModel(it.key(), *kind);
        for (const char *which : {"m", "u"}) {
            const QString key = QString::fromLatin1(which);
            if (!field.contains(key))
                continue;
            auto probabilities = levelProbabilitiesFromJson(field.value(key));
            if (!probabilities)
                return invalid(QStringLiteral("fields.%1.%2: %3").arg(it.key(), key, probabilities.error().message()));
            (key == QLatin1String("m") ? model.m : model.u) = *probabilities;
        }
        model.termFrequency = field.value(QStringLiteral("term_frequency")).toBool(model.termFrequency);
        model.shortForms = field.value(QStringLiteral("short_forms")).toBool(false);
        fieldModels.append(model);
        settings.valueTemplates.append(field.value(QStringLiteral("value")).toString());
        settings.columns.fieldColumns.append(field.value(QStringLiteral("column")).toString(it.key()));
    }
    const double prior = params.value(QStringLiteral("prior")).toDouble(kDefaultPrior);
    if (prior <= 0 || prior >= 1)
        return invalid(QStringLiteral("prior: must be above 0 and below 1"));
    settings.model = MatchModel(fieldModels, prior);
    const QList<FieldSpec> specs = settings.model.fieldSpecs();

    // A `blocking` list replaces the default keys; the entry "defaults" puts them back in
    // its place, so a list can add keys to them.
    const QJsonArray blocking = params.value(QStringLiteral("blocking")).toArray();
    for (const QJsonValue &text : blocking) {
        if (text.toString().trimmed() == QLatin1String("defaults")) {
            settings.keys.append(defaultBlockingKeys(specs));
            continue;
        }
        auto key = BlockingKey::parse(text.toString(), specs);
        if (!key)
            return invalid(key.error().message());
        settings.keys.append(*key);
    }
    if (blocking.isEmpty())
        settings.keys = defaultBlockingKeys(specs);

    const QJsonObject index = params.value(QStringLiteral("index")).toObject();
    settings.indexPath = index.value(QStringLiteral("path")).toString();
    settings.columns.idColumn = index.value(QStringLiteral("id_column")).toString(QLatin1String(kDefaultIdColumn));
    settings.maxBlockSize = index.value(QStringLiteral("max_block_size")).toInt(kDefaultMaxBlockSize);
    settings.oneRecordPerPerson = index.value(QStringLiteral("one_record_per_person")).toBool(false);

    const QJsonObject thresholds = params.value(QStringLiteral("thresholds")).toObject();
    settings.thresholds.upper =
        thresholds.value(QStringLiteral("upper")).toDouble(botThresholds.value(QStringLiteral("match"), kDefaultUpper));
    settings.thresholds.lower = thresholds.value(QStringLiteral("lower")).toDouble(kDefaultLower);
    settings.thresholds.margin = thresholds.value(QStringLiteral("margin")).toDouble(kDefaultMargin);
    settings.thresholds.amongCandidates = thresholds.value(QStringLiteral("among_candidates")).toBool(false);
    if (settings.thresholds.lower > settings.thresholds.upper)
        return invalid(QStringLiteral("thresholds: lower (%1) is above upper (%2)")
                           .arg(settings.thresholds.lower)
                           .arg(settings.thresholds.upper));
    settings.maxCandidates = params.value(QStringLiteral("max_candidates")).toInt(kDefaultMaxCandidates);
    return settings;
}

} // namespace clerk::match
