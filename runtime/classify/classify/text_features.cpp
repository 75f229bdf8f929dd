#include "classify/text_features.h"

#include "classify/letter_body.h"

#include <QSet>

#include <algorithm>
#include <cmath>

namespace clerk::classify {

QJsonObject FeatureSettings::toJson() const
{
    return {{QStringLiteral("word_ngrams"), wordNgrams},
            {QStringLiteral("char_min"), charMin},
            {QStringLiteral("char_max"), charMax},
            {QStringLiteral("min_count"), minCount},
            {QStringLiteral("max_features"), maxFeatures},
            {QStringLiteral("letter_body"), letterBody},
            {QStringLiteral("weighting"), QStringLiteral("sublinear tf-idf, l2")}};
}

FeatureSettings FeatureSettings::fromJson(const QJsonObject &json)
{
    FeatureSettings s;
    s.wordNgrams = json.value(QStringLiteral("word_ngrams")).toInt(s.wordNgrams);
    s.charMin = json.value(QStringLiteral("char_min")).toInt(s.charMin);
    s.charMax = json.value(QStringLiteral("char_max")).toInt(s.charMax);
    s.minCount = json.value(QStringLiteral("min_count")).toInt(s.minCount);
    s.maxFeatures = json.value(QStringLiteral("max_features")).toInt(s.maxFeatures);
    s.letterBody = json.value(QStringLiteral("letter_body")).toBool(false);
    return s;
}

QString normaliseText(const QString &text)
{
    QString out;
    out.reserve(text.size());
    bool space = true;  // drops leading spaces
    for (const QChar c : text.toLower()) {
        if (c.isDigit()) {
            out.append(QLatin1Char('0'));
            space = false;
        } else if (c.isLetter()) {
            out.append(c);
            space = false;
        } else if (!space) {
            out.append(QLatin1Char(' '));
            space = true;
        }
    }
    if (out.endsWith(QLatin1Char(' ')))
        out.chop(1);
    return out;
}

QStringList extractTerms(const QString &text, const FeatureSettings &settings)
{
    const QStringList words = normaliseText(settings.letterBody ? letterBody(text) : text).split(QLatin1Char(' '), Qt::SkipEmptyParts);
    QStringList terms;
    for (qsizetype i = 0; i < words.size(); ++i) {
        terms.append(QStringLiteral("w:") + words[i]);
        if (settings.wordNgrams >= 2 && i + 1 < words.size())
            terms.append(QStringLiteral("w:") + words[i] + QLatin1Char(' ') + words[i + 1]);
        if (settings.charMin > 0) {
            const QString padded = QLatin1Char(' ') + words[i] + QLatin1Char(' ');
            for (int n = settings.charMin; n <= settings.charMax; ++n) {
                for (qsizetype at = 0; at + n <= padded.size(); ++at)
                    terms.append(QStringLiteral("c:") + padded.mid(at, n));
            }
        }
    }
    return terms;
}

namespace {

// Words that carry no meaning a person could check a decision by: they are in nearly
// every letter, whatever it is about.
bool isStopWord(const QString &word)
{
    static const QSet<QString> stopWords{
        QStringLiteral("a"),      QStringLiteral("about"),  QStringLiteral("am"),     QStringLiteral("an"),
        QStringLiteral("and"),    QStringLiteral("are"),    QStringLiteral("as"),     QStringLiteral("at"),
        QStringLiteral("be"),     QStringLiteral("been"),   QStringLiteral("but"),    QStringLiteral("by"),
        QStringLiteral("can"),    QStringLiteral("could"),  QStringLiteral("dear"),   QStringLiteral("do"),
        QStringLiteral("for"),    QStringLiteral("from"),   QStringLiteral("had"),    QStringLiteral("has"),
        QStringLiteral("have"),   QStringLiteral("he"),     QStringLiteral("her"),    QStringLiteral("his"),
        QStringLiteral("i"),      QStringLiteral("if"),     QStringLiteral("in"),     QStringLiteral("is"),
        QStringLiteral("it"),     QStringLiteral("its"),    QStringLiteral("madam"),  QStringLiteral("many"),
        QStringLiteral("me"),     QStringLiteral("my"),     QStringLiteral("no"),     QStringLiteral("not"),
        QStringLiteral("of"),     QStringLiteral("on"),     QStringLiteral("or"),     QStringLiteral("our"),
        QStringLiteral("please"), QStringLiteral("regards"), QStringLiteral("she"),   QStringLiteral("sincerely"),
        QStringLiteral("sir"),    QStringLiteral("so"),     QStringLiteral("thank"),  QStringLiteral("thanks"),
        QStringLiteral("that"),   QStringLiteral("the"),    QStringLiteral("their"),  QStringLiteral("them"),
        QStringLiteral("there"),  QStringLiteral("they"),   QStringLiteral("this"),   QStringLiteral("to"),
        QStringLiteral("us"),     QStringLiteral("was"),    QStringLiteral("we"),     QStringLiteral("were"),
        QStringLiteral("what"),   QStringLiteral("when"),   QStringLiteral("which"),  QStringLiteral("who"),
        QStringLiteral("will"),   QStringLiteral("with"),   QStringLiteral("would"),  QStringLiteral("you"),
        QStringLiteral("your"),   QStringLiteral("yours"),
    };
    return stopWords.contains(word);
}

// True for a word a person would recognise as saying something: letters only (digits are
// all '0' after normalisation, so "a00" no longer reads as the letter's "A12"), longer
// than one letter, and not a stop word.
bool isTellingWord(const QString &word)
{
    if (word.size() < 2 || isStopWord(word))
        return false;
    return std::all_of(word.cbegin(), word.cend(), [](QChar c) { return c.isLetter(); });
}

}  // namespace

QString readableTerm(const QString &term)
{
    if (isWordTerm(term)) {
        const QString words = term.mid(2);
        const QStringList parts = words.split(QLatin1Char(' '), Qt::SkipEmptyParts);
        return !parts.isEmpty() && std::all_of(parts.cbegin(), parts.cend(), isTellingWord) ? words : QString();
    }
    QString gram = term.mid(2);
    const bool starts = gram.startsWith(QLatin1Char(' '));
    const bool ends = gram.endsWith(QLatin1Char(' '));
    gram = gram.trimmed();
    // A fragment that is a whole word is read as that word; one without letters says nothing.
    if ((starts && ends && !isTellingWord(gram)) || std::none_of(gram.cbegin(), gram.cend(), [](QChar c) { return c.isLetter(); }))
        return QString();
    return (starts ? QString() : QStringLiteral("…")) + gram + (ends ? QString() : QStringLiteral("…"));
}

TermVocabulary TermVocabulary::build(const QList<QString> &texts, const FeatureSettings &settings)
{
    QHash<QString, int> documentFrequency;
    for (const QString &text : texts) {
        const QStringList terms = extractTerms(text, settings);
        const QSet<QString> unique(terms.begin(), terms.end());
        for (const QString &term : unique)
            ++documentFrequency[term];
    }
    QList<std::pair<QString, int>> kept;
    for (auto it = documentFrequency.cbegin(); it != documentFrequency.cend(); ++it) {
        if (it.value() >= settings.minCount)
            kept.append({it.key(), it.value()});
    }
    std::sort(kept.begin(), kept.end(), [](const auto &a, const auto &b) {
        return a.second != b.second ? a.second > b.second : a.first < b.first;
    });
    if (kept.size() > settings.maxFeatures)
        kept.resize(settings.maxFeatures);
    // Index order is term order, so a model file lists its vocabulary sorted.
    std::sort(kept.begin(), kept.end(), [](const auto &a, const auto &b) { return a.first < b.first; });

    QStringList terms;
    QList<double> idf;
    const double n = static_cast<double>(texts.size());
    for (const auto &[term, df] : kept) {
        terms.append(term);
        idf.append(std::log((1.0 + n) / (1.0 + df)) + 1.0);
    }
    return fromTerms(std::move(terms), std::move(idf), settings);
}

TermVocabulary TermVocabulary::fromTerms(QStringList terms, QList<double> idf, const FeatureSettings &settings)
{
    TermVocabulary vocabulary;
    vocabulary.m_settings = settings;
    vocabulary.m_terms = std::move(terms);
    vocabulary.m_idf = std::move(idf);
    vocabulary.m_index.reserve(vocabulary.m_terms.size());
    for (int i = 0; i < vocabulary.m_terms.size(); ++i)
        vocabulary.m_index.insert(vocabulary.m_terms[i], i);
    return vocabulary;
}

FeatureVector TermVocabulary::vectorize(const QString &text) const
{
    QHash<int, int> counts;
    for (const QString &term : extractTerms(text, m_settings)) {
        const auto it = m_index.constFind(term);
        if (it != m_index.cend())
            ++counts[it.value()];
    }
    FeatureVector vector;
    vector.reserve(counts.size());
    double norm = 0;
    for (auto it = counts.cbegin(); it != counts.cend(); ++it) {
        const double value = (1.0 + std::log(static_cast<double>(it.value()))) * m_idf[it.key()];
        vector.append({it.key(), value});
        norm += value * value;
    }
    norm = std::sqrt(norm);
    if (norm > 0) {
        for (FeatureValue &f : vector)
            f.value /= norm;
    }
    std::sort(vector.begin(), vector.end(), [](const FeatureValue &a, const FeatureValue &b) { return a.index < b.index; });
    return vector;
}

} // namespace clerk::classify
