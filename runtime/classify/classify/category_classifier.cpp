#include "classify/category_classifier.h"

#include "classify/text_features.h"

#include <QHash>
#include <QJsonArray>

#include <algorithm>

namespace clerk::classify {

Result<CategoryClassifier> CategoryClassifier::create(QList<CategoryDefinition> categories,
                                                      std::shared_ptr<const ClassifierModel> model, RuleSettings rules)
{
    if (categories.isEmpty())
        return fail(Error::invalidArgument(QStringLiteral("no categories are defined")));
    CategoryClassifier classifier;
    QStringList names;
    for (CategoryDefinition &definition : categories) {
        if (definition.label.isEmpty())
            definition.label = definition.name;
        names.append(definition.name);
        CompiledRules compiled;
        for (const QString &keyword : definition.keywords) {
            const QString normalised = normaliseText(keyword);
            if (normalised.isEmpty())
                continue;
            compiled.keywords.append(
                {keyword, QRegularExpression(QStringLiteral("(?:^| )%1(?: |$)").arg(QRegularExpression::escape(normalised)))});
        }
        for (const QString &pattern : definition.patterns) {
            QRegularExpression expression(pattern, QRegularExpression::CaseInsensitiveOption);
            if (!expression.isValid())
                return fail(Error::invalidArgument(QStringLiteral("category %1: invalid pattern '%2': %3")
                                                       .arg(definition.name, pattern, expression.errorString())));
            compiled.patterns.append({pattern, expression});
        }
        classifier.m_rules.append(compiled);
    }
    if (model) {
        QStringList unknown;
        for (const QString &category : model->categories()) {
            if (!names.contains(category))
                unknown.append(category);
        }
        if (!unknown.isEmpty())
            return fail(Error::invalidArgument(
                QStringLiteral("the model was trained on categories the bot does not list: %1 (the bot lists: %2)")
                    .arg(unknown.join(QStringLiteral(", ")), names.join(QStringLiteral(", ")))));
    }
    classifier.m_categories = std::move(categories);
    classifier.m_model = std::move(model);
    classifier.m_settings = rules;
    return classifier;
}

QList<CategoryDefinition> CategoryClassifier::categoriesFromParams(const QJsonObject &params)
{
    auto strings = [](const QJsonValue &value) {
        QStringList list;
        for (const QJsonValue &v : value.toArray())
            list.append(v.toString());
        return list;
    };
    QList<CategoryDefinition> categories;
    const QJsonObject map = params.value(QStringLiteral("categories")).toObject();
    for (auto it = map.begin(); it != map.end(); ++it) {
        const QJsonObject category = it.value().toObject();
        categories.append({it.key(), category.value(QStringLiteral("label")).toString(),
                           category.value(QStringLiteral("team")).toString(), strings(category.value(QStringLiteral("keywords"))),
                           strings(category.value(QStringLiteral("patterns")))});
    }
    return categories;
}

RuleSettings CategoryClassifier::ruleSettingsFromParams(const QJsonObject &params)
{
    RuleSettings rules;
    rules.mode = params.value(QStringLiteral("rule_mode")).toString() == QLatin1String("decide") ? RuleMode::Decide
                                                                                                   : RuleMode::Evidence;
    rules.decideConfidence = params.value(QStringLiteral("rule_confidence")).toDouble(rules.decideConfidence);
    return rules;
}

const CategoryDefinition *CategoryClassifier::category(const QString &name) const
{
    for (const CategoryDefinition &definition : m_categories) {
        if (definition.name == name)
            return &definition;
    }
    return nullptr;
}

CategoryDecision CategoryClassifier::classify(const QString &text, int reasonCount) const
{
    const QString normalised = normaliseText(text);
    QList<RankedCategory> ranking;
    QList<int> hits;
    for (qsizetype i = 0; i < m_categories.size(); ++i) {
        RankedCategory ranked{m_categories[i].name, 0.0, {}};
        for (const auto &[keyword, matcher] : m_rules[i].keywords) {
            if (matcher.match(normalised).hasMatch())
                ranked.reasons.append(QStringLiteral("keyword: ") + keyword);
        }
        for (const auto &[pattern, matcher] : m_rules[i].patterns) {
            if (matcher.match(text).hasMatch())
                ranked.reasons.append(QStringLiteral("pattern: ") + pattern);
        }
        hits.append(static_cast<int>(ranked.reasons.size()));
        ranking.append(ranked);
    }

    QStringList modelReasons;
    if (m_model) {
        const ModelPrediction prediction = m_model->predict(text, reasonCount);
        for (const ScoredCategory &scored : prediction.ranking) {
            for (RankedCategory &ranked : ranking) {
                if (ranked.category == scored.category)
                    ranked.confidence = scored.confidence;
            }
        }
        modelReasons = prediction.reasons;
        // The model's reasons belong to its own top category.
        for (RankedCategory &ranked : ranking) {
            if (ranked.category == prediction.ranking.first().category)
                ranked.reasons.append(modelReasons);
        }
    }

    const qsizetype hitCategories = std::count_if(hits.begin(), hits.end(), [](int h) { return h > 0; });
    CategoryDecision decision;
    if (m_settings.mode == RuleMode::Decide && hitCategories == 1) {
        const qsizetype winner = std::find_if(hits.begin(), hits.end(), [](int h) { return h > 0; }) - hits.begin();
        ranking[winner].confidence = m_settings.decideConfidence;
        for (qsizetype i = 0; i < ranking.size(); ++i) {
            if (i != winner)
                ranking[i].confidence = std::min(ranking[i].confidence, 1.0 - m_settings.decideConfidence);
        }
        decision.decidedByRule = true;
    } else {
        for (qsizetype i = 0; i < ranking.size(); ++i) {
            for (int h = 0; h < hits[i]; ++h)
                ranking[i].confidence = 1.0 - (1.0 - ranking[i].confidence) / 2.0;
        }
    }
    std::stable_sort(ranking.begin(), ranking.end(),
                     [](const RankedCategory &a, const RankedCategory &b) { return a.confidence > b.confidence; });
    decision.category = ranking.first().category;
    decision.confidence = ranking.first().confidence;
    decision.reasons = ranking.first().reasons;
    decision.ranking = std::move(ranking);
    return decision;
}

} // namespace clerk::classify
