// Text features for the classifier: normalisation and the terms a text is made of.
//
// A text is normalised (lower case, every digit becomes 0, anything that is not a
// letter or digit becomes a space, runs of spaces collapsed) and cut into terms:
//   "w:<word>"           word unigrams
//   "w:<word> <word>"    word bigrams (when wordNgrams >= 2)
//   "c:<n-gram>"         character n-grams of " word " (charMin..charMax, 0 disables)
// A TermVocabulary, learnt from training texts, maps terms to feature indices with an
// IDF weight; vectorize() turns a text into a sparse, sublinear-TF-IDF, L2-normalised
// vector over that vocabulary (unknown terms are dropped).
//
// Thread-safety: all functions are pure; a TermVocabulary is read-only after build().
#pragma once

#include <QHash>
#include <QJsonObject>
#include <QList>
#include <QString>
#include <QStringList>

namespace clerk::classify {

struct FeatureSettings {
    int wordNgrams = 2;        // 1: unigrams only; 2: unigrams and bigrams
    int charMin = 3;           // shortest character n-gram; 0 disables character n-grams
    int charMax = 5;           // longest character n-gram
    int minCount = 2;          // a term must occur in at least this many training texts
    int maxFeatures = 131072;  // keep at most this many terms (the most frequent)
    // Read a letter as a letter: only its body counts (letter_body.h). Models trained
    // before this setting existed read the whole text (false when the key is absent).
    bool letterBody = true;

    QJsonObject toJson() const;
    static FeatureSettings fromJson(const QJsonObject &json);
};

// Lower case, digits -> '0', other characters -> space, spaces collapsed, trimmed.
QString normaliseText(const QString &text);

// The terms of a text, with repeats, in text order (see the header comment).
QStringList extractTerms(const QString &text, const FeatureSettings &settings);

// A readable form of a term for reasons: "w:blue badge" -> "blue badge", "c: pot" -> "pot…".
// Empty for a term a person would not recognise as a reason: a word or word pair with a
// stop word ("we", "the road"), a number ("0000") or a single letter in it, and a fragment
// without letters.
QString readableTerm(const QString &term);
// True for word terms (readable as they are).
inline bool isWordTerm(const QString &term) { return term.startsWith(QLatin1String("w:")); }

// One non-zero entry of a feature vector; index is 0-based into the vocabulary.
struct FeatureValue {
    int index = 0;
    double value = 0;
};
using FeatureVector = QList<FeatureValue>;  // sorted by index

class TermVocabulary {
public:
    // Learns terms and IDF weights from training texts (document frequency >= minCount,
    // at most maxFeatures terms, most frequent first; ties in term order).
    static TermVocabulary build(const QList<QString> &texts, const FeatureSettings &settings);
    // Rebuilds a vocabulary from stored terms and IDF weights (same length).
    static TermVocabulary fromTerms(QStringList terms, QList<double> idf, const FeatureSettings &settings);

    FeatureVector vectorize(const QString &text) const;

    int size() const { return static_cast<int>(m_terms.size()); }
    const QString &term(int index) const { return m_terms.at(index); }
    double idf(int index) const { return m_idf.at(index); }
    const FeatureSettings &settings() const { return m_settings; }

private:
    FeatureSettings m_settings;
    QStringList m_terms;
    QList<double> m_idf;
    QHash<QString, int> m_index;
};

} // namespace clerk::classify
