#include "classify/classifier_model.h"

#include <QCryptographicHash>
#include <QDateTime>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QMap>
#include <QSaveFile>
#include <QtEndian>

#include <linear.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <numeric>
#include <random>
#include <vector>

namespace clerk::classify {

namespace {

constexpr int kFormatVersion = 1;
const QByteArray kMagic = QByteArrayLiteral("clerk-classifier");

void silent(const char *) {}

// One liblinear problem over vectorised examples; owns the node arrays.
struct LinearProblem {
    std::vector<std::vector<feature_node>> rows;
    std::vector<feature_node *> x;
    std::vector<double> y;
    problem prob{};

    LinearProblem(const QList<FeatureVector> &vectors, const QList<int> &labels, const QList<qsizetype> &use, int features)
    {
        rows.reserve(static_cast<size_t>(use.size()));
        for (qsizetype i : use) {
            std::vector<feature_node> row;
            row.reserve(static_cast<size_t>(vectors[i].size()) + 2);
            for (const FeatureValue &f : vectors[i])
                row.push_back({f.index + 1, f.value});
            row.push_back({features + 1, 1.0});  // the bias feature
            row.push_back({-1, 0.0});
            rows.push_back(std::move(row));
            y.push_back(labels[i]);
        }
        for (auto &row : rows)
            x.push_back(row.data());
        prob.l = static_cast<int>(rows.size());
        prob.n = features + 1;
        prob.y = y.data();
        prob.x = x.data();
        prob.bias = 1.0;
    }
};

// Trains one liblinear model and copies out per-category weights (vocabulary size + 1,
// bias last). Categories absent from the subset get no weights (an empty list).
Result<QList<QList<float>>> trainWeights(const QList<FeatureVector> &vectors, const QList<int> &labels,
                                         const QList<qsizetype> &use, int features, int categories, double c,
                                         bool balance)
{
    LinearProblem data(vectors, labels, use, features);
    parameter param{};
    param.solver_type = L2R_LR;
    param.eps = 0.01;
    param.C = c;
    param.p = 0.1;
    std::vector<int> weightLabels;
    std::vector<double> classWeights;
    if (balance) {
        std::vector<int> counts(static_cast<size_t>(categories), 0);
        for (qsizetype i : use)
            ++counts[static_cast<size_t>(labels[i])];
        for (int category = 0; category < categories; ++category) {
            if (counts[static_cast<size_t>(category)] == 0)
                continue;
            weightLabels.push_back(category);
            classWeights.push_back(static_cast<double>(use.size())
                                   / (static_cast<double>(categories) * counts[static_cast<size_t>(category)]));
        }
        param.nr_weight = static_cast<int>(weightLabels.size());
        param.weight_label = weightLabels.data();
        param.weight = classWeights.data();
    }
    if (const char *problem = check_parameter(&data.prob, &param))
        return fail(Error::invalidArgument(QStringLiteral("liblinear refused the settings: %1").arg(QString::fromUtf8(problem))));
    set_print_string_function(&silent);
    model *trained = train(&data.prob, &param);
    if (!trained)
        return fail(Error::internal(QStringLiteral("liblinear could not train a model")));
    const std::unique_ptr<model, void (*)(model *)> owner(trained, [](model *m) { free_and_destroy_model(&m); });

    QList<QList<float>> weights(categories);
    const int present = get_nr_class(trained);
    std::vector<int> labelOf(static_cast<size_t>(present));
    get_labels(trained, labelOf.data());
    for (int labelIndex = 0; labelIndex < present; ++labelIndex) {
        QList<float> w(features + 1);
        for (int j = 0; j < features; ++j)
            w[j] = static_cast<float>(get_decfun_coef(trained, j + 1, labelIndex));
        // get_decfun_coef() answers 0 past nr_feature: the bias weight (times
        // prob.bias, which is 1) comes from get_decfun_bias().
        w[features] = static_cast<float>(get_decfun_bias(trained, labelIndex));
        weights[labelOf[static_cast<size_t>(labelIndex)]] = std::move(w);
    }
    return weights;
}

QList<double> probabilitiesFor(const FeatureVector &vector, const QList<QList<float>> &weights, int features)
{
    QList<double> probabilities(weights.size(), 0.0);
    double sum = 0;
    for (qsizetype c = 0; c < weights.size(); ++c) {
        const QList<float> &w = weights[c];
        if (w.isEmpty())
            continue;
        double decision = w[features];
        for (const FeatureValue &f : vector)
            decision += static_cast<double>(w[f.index]) * f.value;
        probabilities[c] = 1.0 / (1.0 + std::exp(-decision));
        sum += probabilities[c];
    }
    if (sum > 0) {
        for (double &p : probabilities)
            p /= sum;
    }
    return probabilities;
}

qsizetype argMax(const QList<double> &values)
{
    return std::max_element(values.begin(), values.end()) - values.begin();
}

} // namespace

Result<ClassifierModel> ClassifierModel::train(const QList<LabelledText> &examples, const TrainingOptions &options)
{
    if (examples.isEmpty())
        return fail(Error::invalidArgument(QStringLiteral("no training examples")));
    ClassifierModel model;
    QMap<QString, int> perCategory;
    for (const LabelledText &example : examples)
        ++perCategory[example.category];
    if (perCategory.size() < 2)
        return fail(Error::invalidArgument(QStringLiteral("training needs examples of at least two categories")));
    model.m_categories = perCategory.keys();

    QList<QString> texts;
    QList<int> labels;
    for (const LabelledText &example : examples) {
        texts.append(example.text);
        labels.append(static_cast<int>(model.m_categories.indexOf(example.category)));
    }
    model.m_vocabulary = TermVocabulary::build(texts, options.features);
    const int features = model.m_vocabulary.size();
    if (features == 0)
        return fail(Error::invalidArgument(QStringLiteral("no term occurs often enough in the examples to learn from")));
    QList<FeatureVector> vectors;
    vectors.reserve(texts.size());
    for (const QString &text : texts)
        vectors.append(model.m_vocabulary.vectorize(text));

    // Out-of-fold predictions for calibration: examples are shuffled within each
    // category and dealt round-robin to the folds, so every fold holds every category.
    // An example counts `weight` times in the rows a model trains on.
    auto rowsOf = [&](auto keep) {
        QList<qsizetype> rows;
        for (qsizetype i = 0; i < examples.size(); ++i) {
            if (keep(i)) {
                for (int w = 0; w < std::max(1, examples[i].weight); ++w)
                    rows.append(i);
            }
        }
        return rows;
    };
    const int categoryCount = static_cast<int>(model.m_categories.size());
    QList<int> oofBest(examples.size(), -1);
    QList<double> oofProbability(examples.size(), 0.0);
    const int folds = options.folds;
    if (folds >= 2 && examples.size() >= 2 * folds) {
        std::mt19937 rng(options.seed);
        QList<int> foldOf(examples.size(), 0);
        for (int category = 0; category < categoryCount; ++category) {
            QList<qsizetype> members;
            for (qsizetype i = 0; i < labels.size(); ++i) {
                if (labels[i] == category)
                    members.append(i);
            }
            for (qsizetype i = members.size() - 1; i > 0; --i) {
                std::uniform_int_distribution<qsizetype> pick(0, i);
                std::swap(members[i], members[pick(rng)]);
            }
            for (qsizetype k = 0; k < members.size(); ++k)
                foldOf[members[k]] = static_cast<int>((k + category) % folds);
        }
        for (int fold = 0; fold < folds; ++fold) {
            auto weights = trainWeights(vectors, labels, rowsOf([&](qsizetype i) { return foldOf[i] != fold; }), features,
                                        categoryCount, options.c, options.balanceCategories);
            if (!weights)
                return fail(weights.error());
            for (qsizetype i = 0; i < examples.size(); ++i) {
                if (foldOf[i] != fold)
                    continue;
                const QList<double> p = probabilitiesFor(vectors[i], *weights, features);
                oofBest[i] = static_cast<int>(argMax(p));
                oofProbability[i] = p[oofBest[i]];
            }
        }
    }
    // Calibrate on people's answers when there are enough of them, else on everything.
    const qsizetype answered = std::count_if(examples.begin(), examples.end(), [](const LabelledText &e) { return e.fromPeople; });
    const bool onAnswers = answered >= kMinAnswersToCalibrate;
    QList<double> oofScores;
    QList<bool> oofCorrect;
    for (qsizetype i = 0; i < examples.size(); ++i) {
        if (oofBest[i] >= 0 && (!onAnswers || examples[i].fromPeople)) {
            oofScores.append(oofProbability[i]);
            oofCorrect.append(oofBest[i] == labels[i]);
        }
    }
    if (!oofScores.isEmpty()) {
        model.m_calibration = ConfidenceCalibration::fitIsotonic(oofScores, oofCorrect);
        for (qsizetype i = 0; i < examples.size(); ++i) {
            if (oofBest[i] >= 0)
                model.m_outOfFold.append({i, model.m_categories[oofBest[i]], model.m_calibration.apply(oofProbability[i]),
                                          oofBest[i] == labels[i]});
        }
    }

    auto weights = trainWeights(vectors, labels, rowsOf([](qsizetype) { return true; }), features, categoryCount, options.c,
                                options.balanceCategories);
    if (!weights)
        return fail(weights.error());
    model.m_weights = std::move(*weights);

    QJsonObject counts;
    for (auto it = perCategory.cbegin(); it != perCategory.cend(); ++it)
        counts.insert(it.key(), it.value());
    const qsizetype right = std::count(oofCorrect.begin(), oofCorrect.end(), true);
    model.m_info = {
        {QStringLiteral("format_version"), kFormatVersion},
        {QStringLiteral("categories"), QJsonArray::fromStringList(model.m_categories)},
        {QStringLiteral("features"), options.features.toJson()},
        {QStringLiteral("solver"), QStringLiteral("liblinear L2R_LR (one-vs-rest logistic regression)")},
        {QStringLiteral("c"), options.c},
        {QStringLiteral("balanced_categories"), options.balanceCategories},
        {QStringLiteral("trained_at"), QDateTime::currentDateTimeUtc().toString(Qt::ISODate)},
        {QStringLiteral("example_count"), static_cast<int>(examples.size())},
        {QStringLiteral("examples_per_category"), counts},
        {QStringLiteral("calibration"), model.m_calibration.toJson()},
        {QStringLiteral("folds"), oofScores.isEmpty() ? 0 : folds},
        {QStringLiteral("calibrated_on"), onAnswers ? QStringLiteral("answers") : QStringLiteral("examples")},
        {QStringLiteral("answers_from_people"), static_cast<int>(answered)},
        {QStringLiteral("out_of_fold_accuracy"),
         oofScores.isEmpty() ? QJsonValue() : QJsonValue(static_cast<double>(right) / static_cast<double>(oofScores.size()))},
        {QStringLiteral("vocabulary_size"), features},
    };
    return model;
}

QList<double> ClassifierModel::probabilities(const FeatureVector &vector) const
{
    return probabilitiesFor(vector, m_weights, m_vocabulary.size());
}

QList<double> ClassifierModel::probabilities(const QString &text) const
{
    return probabilities(m_vocabulary.vectorize(text));
}

ModelPrediction ClassifierModel::predict(const QString &text, int reasonCount) const
{
    const FeatureVector vector = m_vocabulary.vectorize(text);
    const QList<double> p = probabilities(vector);
    ModelPrediction prediction;
    for (qsizetype c = 0; c < m_categories.size(); ++c)
        prediction.ranking.append({m_categories[c], p[c], p[c]});
    std::stable_sort(prediction.ranking.begin(), prediction.ranking.end(),
                     [](const ScoredCategory &a, const ScoredCategory &b) { return a.probability > b.probability; });
    const double top = prediction.ranking.first().probability;
    const double calibrated = m_calibration.apply(top);
    const double scale = top > 0 ? calibrated / top : 0.0;
    for (ScoredCategory &scored : prediction.ranking)
        scored.confidence = std::clamp(scored.probability * scale, 0.0, calibrated);

    const qsizetype best = m_categories.indexOf(prediction.ranking.first().category);
    const QList<float> &w = m_weights[best];
    QList<std::pair<double, int>> contributions;
    for (const FeatureValue &f : vector) {
        const double contribution = static_cast<double>(w[f.index]) * f.value;
        if (contribution > 0)
            contributions.append({contribution, f.index});
    }
    std::sort(contributions.begin(), contributions.end(), [](const auto &a, const auto &b) { return a.first > b.first; });
    // Reasons are words a person recognises; character fragments stand in only when no
    // word drove the decision (a text of one unusual word, or OCR residue).
    QStringList fragments;
    for (const auto &[contribution, index] : contributions) {
        if (prediction.reasons.size() >= reasonCount)
            break;
        const QString &term = m_vocabulary.term(index);
        const QString readable = readableTerm(term);
        QStringList &list = isWordTerm(term) ? prediction.reasons : fragments;
        if (!readable.isEmpty() && list.size() < reasonCount && !list.contains(readable))
            list.append(readable);
    }
    if (prediction.reasons.isEmpty())
        prediction.reasons = fragments;
    return prediction;
}

Status ClassifierModel::save(const QString &path) const
{
    QByteArray payload;
    const int features = m_vocabulary.size();
    for (int i = 0; i < features; ++i) {
        payload += QByteArray::number(m_vocabulary.idf(i), 'g', 17);
        payload += '\t';
        payload += m_vocabulary.term(i).toUtf8();
        payload += '\n';
    }
    for (const QList<float> &w : m_weights) {
        for (int j = 0; j <= features; ++j) {
            const float value = w.isEmpty() ? 0.0f : w[j];
            quint32 bits = 0;
            std::memcpy(&bits, &value, sizeof bits);
            char bytes[4];
            qToLittleEndian(bits, bytes);
            payload.append(bytes, 4);
        }
    }
    QJsonObject header = m_info;
    header.insert(QStringLiteral("payload_bytes"), static_cast<double>(payload.size()));
    header.insert(QStringLiteral("payload_sha256"),
                  QString::fromLatin1(QCryptographicHash::hash(payload, QCryptographicHash::Sha256).toHex()));

    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return fail(Error::permissionDenied(QStringLiteral("cannot write the model %1: %2").arg(path, file.errorString())));
    file.write(kMagic + '\n');
    file.write(QJsonDocument(header).toJson(QJsonDocument::Compact) + '\n');
    file.write(payload);
    if (!file.commit())
        return fail(Error::unavailable(QStringLiteral("cannot write the model %1: %2").arg(path, file.errorString())));
    return {};
}

Result<ClassifierModel> ClassifierModel::load(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return fail(Error::unreadable(QStringLiteral("cannot read the model %1: %2").arg(path, file.errorString())));
    const QByteArray bytes = file.readAll();
    auto corrupt = [&](const QString &why) {
        return fail(Error::corrupt(QStringLiteral("the model %1 is damaged or not a clerk classifier model: %2").arg(path, why)));
    };
    const qsizetype firstEnd = bytes.indexOf('\n');
    if (firstEnd < 0 || bytes.left(firstEnd) != kMagic)
        return corrupt(QStringLiteral("it does not start with \"clerk-classifier\""));
    const qsizetype headerEnd = bytes.indexOf('\n', firstEnd + 1);
    if (headerEnd < 0)
        return corrupt(QStringLiteral("no header"));
    QJsonParseError parseError;
    const QJsonDocument document = QJsonDocument::fromJson(bytes.mid(firstEnd + 1, headerEnd - firstEnd - 1), &parseError);
    if (!document.isObject())
        return corrupt(QStringLiteral("the header is not JSON (%1)").arg(parseError.errorString()));
    QJsonObject header = document.object();
    const int version = header.value(QStringLiteral("format_version")).toInt(-1);
    if (version != kFormatVersion)
        return corrupt(QStringLiteral("format version %1, this clerk reads version %2").arg(version).arg(kFormatVersion));
    const QByteArray payload = bytes.mid(headerEnd + 1);
    if (payload.size() != header.value(QStringLiteral("payload_bytes")).toInteger(-1)
        || QString::fromLatin1(QCryptographicHash::hash(payload, QCryptographicHash::Sha256).toHex())
               != header.value(QStringLiteral("payload_sha256")).toString())
        return corrupt(QStringLiteral("its contents do not match the digest in its header (truncated or changed)"));

    ClassifierModel model;
    for (const QJsonValue &c : header.value(QStringLiteral("categories")).toArray())
        model.m_categories.append(c.toString());
    const int features = header.value(QStringLiteral("vocabulary_size")).toInt(-1);
    if (model.m_categories.size() < 2 || features < 1)
        return corrupt(QStringLiteral("the header lists no categories or vocabulary"));
    if (!ConfidenceCalibration::fromJson(header.value(QStringLiteral("calibration")).toObject(), model.m_calibration))
        return corrupt(QStringLiteral("the calibration map is invalid"));

    QStringList terms;
    QList<double> idf;
    terms.reserve(features);
    idf.reserve(features);
    qsizetype at = 0;
    for (int i = 0; i < features; ++i) {
        const qsizetype end = payload.indexOf('\n', at);
        const qsizetype tab = payload.indexOf('\t', at);
        if (end < 0 || tab < 0 || tab > end)
            return corrupt(QStringLiteral("the vocabulary is cut short"));
        bool ok = false;
        idf.append(payload.mid(at, tab - at).toDouble(&ok));
        if (!ok)
            return corrupt(QStringLiteral("a vocabulary weight is not a number"));
        terms.append(QString::fromUtf8(payload.mid(tab + 1, end - tab - 1)));
        at = end + 1;
    }
    const qsizetype weightBytes = static_cast<qsizetype>(model.m_categories.size()) * (features + 1) * 4;
    if (payload.size() - at != weightBytes)
        return corrupt(QStringLiteral("the weights have the wrong size"));
    for (qsizetype c = 0; c < model.m_categories.size(); ++c) {
        QList<float> w(features + 1);
        for (int j = 0; j <= features; ++j) {
            const quint32 bits = qFromLittleEndian<quint32>(payload.constData() + at);
            std::memcpy(&w[j], &bits, sizeof bits);
            at += 4;
        }
        model.m_weights.append(std::move(w));
    }
    model.m_vocabulary = TermVocabulary::fromTerms(std::move(terms), std::move(idf),
                                                   FeatureSettings::fromJson(header.value(QStringLiteral("features")).toObject()));
    header.remove(QStringLiteral("payload_bytes"));
    header.remove(QStringLiteral("payload_sha256"));
    model.m_info = header;
    return model;
}

} // namespace clerk::classify
