// ClassifierModel: a trained text classifier over a fixed list of categories.
//
// Training (train()) learns a TermVocabulary (text_features.h) and one L2-regularised
// logistic-regression weight vector per category with liblinear (solver L2R_LR,
// one-vs-rest, bias term). The top-class probability is calibrated with isotonic
// regression fitted on k-fold out-of-fold predictions of the training set
// (calibration.h), so `confidence` means what it says. Prediction evaluates liblinear's
// own probability formula (sigmoid of each class's decision value, normalised to sum 1)
// on the stored weights; a test checks it against liblinear's predict_probability.
//
// Model file (save()/load(), format version 1), one file:
//   line 1   "clerk-classifier"
//   line 2   a JSON header: format_version, categories, features (settings), solver, C,
//            trained_at, example_count, examples_per_category, calibration, folds,
//            out_of_fold_accuracy, vocabulary_size, payload_bytes, payload_sha256
//   payload  vocabulary_size lines "<idf>\t<term>\n", then for each category in header
//            order vocabulary_size + 1 little-endian float32 weights (the last is the bias)
// A file that does not follow this, or whose payload digest differs, is refused with
// ErrorCode::Corrupt (Unreadable when it cannot be read at all).
//
// Thread-safety: read-only after train()/load(); predict() may run on many threads.
#pragma once

#include "classify/calibration.h"
#include "classify/text_features.h"
#include "core/error.h"

#include <QJsonObject>
#include <QList>
#include <QString>
#include <QStringList>

namespace clerk::classify {

struct LabelledText {
    QString text{};
    QString category{};
    QString source{};  // where the example came from (file name, CSV line), for messages
    // How many times the example counts in training: people's answers on real letters
    // can count more than the original examples, which are not letters.
    int weight = 1;
    // A person's answer to the bot's own work. When there are at least
    // kMinAnswersToCalibrate of them, the calibration is fitted on their out-of-fold
    // predictions only, so a confidence means the chance of being right on real work.
    bool fromPeople = false;
};

inline constexpr int kMinAnswersToCalibrate = 50;

// An example's prediction by the fold model that did not train on it.
struct OutOfFoldPrediction {
    qsizetype example = 0;  // index into the training examples
    QString predicted{};
    double confidence = 0;  // calibrated with the final model's calibration
    bool correct = false;
};

struct TrainingOptions {
    FeatureSettings features{};
    double c = 4.0;             // liblinear's C: higher fits the training set more closely
    int folds = 5;              // cross-validation folds for calibration; < 2 disables it
    unsigned int seed = 20240611;  // fold assignment
    // Weigh each category's examples by n / (categories x n_category), so a rare
    // category counts as much as a common one (liblinear's per-class C). Without it the
    // model learns the examples' category frequencies as its prior.
    bool balanceCategories = false;
};

struct ScoredCategory {
    QString category{};
    double confidence = 0;   // calibrated (see ModelPrediction)
    double probability = 0;  // the model's raw probability
};

struct ModelPrediction {
    // Every category, best first. The top entry's confidence is the calibrated top-class
    // probability; the others are their raw probabilities scaled by the same factor, so
    // the order is kept and they stay below the top.
    QList<ScoredCategory> ranking{};
    // The terms that pushed the text towards the top category most (weight x value),
    // words and word pairs first, then character fragments ("…pot…").
    QStringList reasons{};
};

class ClassifierModel {
public:
    // Trains on `examples`. InvalidArgument with fewer than two categories, an empty
    // text set, or no term kept in the vocabulary.
    static Result<ClassifierModel> train(const QList<LabelledText> &examples, const TrainingOptions &options = {});
    static Result<ClassifierModel> load(const QString &path);
    // Writes the file atomically (a temporary file renamed into place).
    Status save(const QString &path) const;

    ModelPrediction predict(const QString &text, int reasonCount = 5) const;
    // The raw probabilities, in categories() order.
    QList<double> probabilities(const QString &text) const;

    const QStringList &categories() const { return m_categories; }
    const ConfidenceCalibration &calibration() const { return m_calibration; }
    // The JSON header as written to the file (without payload fields).
    const QJsonObject &info() const { return m_info; }
    int vocabularySize() const { return m_vocabulary.size(); }
    // After train() with folds: every example's out-of-fold prediction, in example
    // order (empty after load(), or when too few examples for folds).
    const QList<OutOfFoldPrediction> &outOfFold() const { return m_outOfFold; }
    // The decision rule learned from people's answers (selective_threshold.h's
    // ThresholdSet as JSON, written by the learning loop); empty when none.
    QJsonObject learned() const { return m_info.value(QStringLiteral("learned")).toObject(); }
    void setLearned(const QJsonObject &learned) { m_info.insert(QStringLiteral("learned"), learned); }

private:
    QList<double> probabilities(const FeatureVector &vector) const;

    TermVocabulary m_vocabulary;
    QStringList m_categories;
    QList<QList<float>> m_weights;  // per category: vocabulary size + 1 (bias last)
    ConfidenceCalibration m_calibration;
    QJsonObject m_info;
    QList<OutOfFoldPrediction> m_outOfFold;
};

} // namespace clerk::classify
