// CategoryClassifier: the decision the `classify` step and `clerk eval` make for a text,
// from the bot's categories (with their keyword and pattern rules) and an optional
// trained model.
//
// How rules and the model combine:
//   - A category's rules are its `keywords` (words or phrases, matched on normalised
//     text at word boundaries, so "blue badge" matches "Blue-Badge") and `patterns`
//     (regular expressions, case-insensitive, on the original text). Each hit is a
//     reason: "keyword: blue badge", "pattern: <regex>".
//   - RuleMode::Decide: when the hits point at exactly one category, it is the answer
//     with the fixed `decideConfidence`; the model only orders the other categories.
//     Hits in several categories are treated as evidence (below).
//   - RuleMode::Evidence (and the case above): start from the model's calibrated
//     confidences (0 for every category without a model); each hit halves the
//     remaining doubt of its category: c <- 1 - (1 - c) / 2. Then re-rank. Rules
//     therefore raise a category but, alone, two hits are needed to pass 0.75.
//   - Without a model and without hits, every category has confidence 0 (a person picks).
// The model's categories must all be among the bot's categories (checked by create()).
//
// Thread-safety: read-only after create(); classify() may run on many threads.
#pragma once

#include "classify/classifier_model.h"
#include "core/error.h"

#include <QJsonObject>
#include <QList>
#include <QRegularExpression>
#include <QString>
#include <QStringList>
#include <memory>

namespace clerk::classify {

struct CategoryDefinition {
    QString name{};              // the value a decision carries
    QString label{};             // shown to people; defaults to name
    QString team{};              // the team that owns the category (may be empty)
    QStringList keywords{};
    QStringList patterns{};      // regular expressions
};

enum class RuleMode { Evidence, Decide };

struct RuleSettings {
    RuleMode mode = RuleMode::Evidence;
    double decideConfidence = 0.99;
};

struct RankedCategory {
    QString category{};
    double confidence = 0;
    QStringList reasons{};
};

struct CategoryDecision {
    QString category{};       // the best category
    double confidence = 0;    // its confidence, 0..1
    QStringList reasons{};    // rule hits first, then the model's terms
    QList<RankedCategory> ranking{};  // every category, best first
    bool decidedByRule = false;
};

class CategoryClassifier {
public:
    // InvalidArgument when there are no categories, a pattern is not a valid regular
    // expression, or the model knows a category the bot does not list.
    static Result<CategoryClassifier> create(QList<CategoryDefinition> categories,
                                             std::shared_ptr<const ClassifierModel> model, RuleSettings rules = {});

    // The categories and rule settings of a `classify` step's validated params
    // ({"categories": {name: {label, team, keywords, patterns}}, "rule_mode",
    // "rule_confidence"}), as the step and `clerk eval` both read them.
    static QList<CategoryDefinition> categoriesFromParams(const QJsonObject &params);
    static RuleSettings ruleSettingsFromParams(const QJsonObject &params);

    CategoryDecision classify(const QString &text, int reasonCount = 5) const;

    const QList<CategoryDefinition> &categories() const { return m_categories; }
    const CategoryDefinition *category(const QString &name) const;

private:
    struct CompiledRules {
        QList<std::pair<QString, QRegularExpression>> keywords;  // keyword -> matcher on normalised text
        QList<std::pair<QString, QRegularExpression>> patterns;
    };

    QList<CategoryDefinition> m_categories;
    QList<CompiledRules> m_rules;  // parallel to m_categories
    std::shared_ptr<const ClassifierModel> m_model;
    RuleSettings m_settings;
};

} // namespace clerk::classify
