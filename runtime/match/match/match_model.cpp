#include "match/match_model.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonValue>

#include <algorithm>
#include <cmath>

namespace clerk::match {

namespace {

constexpr double kFloor = 1e-6;  // no probability is taken as exactly zero

LevelProbabilities normalisedFor(ComparatorKind kind, LevelProbabilities p)
{
    double sum = 0;
    for (int l = 0; l < kLevelCount; ++l) {
        if (!comparatorUsesLevel(kind, static_cast<ComparisonLevel>(l)))
            p[static_cast<size_t>(l)] = 0;
        else
            p[static_cast<size_t>(l)] = std::max(p[static_cast<size_t>(l)], kFloor);
        sum += p[static_cast<size_t>(l)];
    }
    for (double &v : p)
        v /= sum;
    return p;
}

QString formatProbability(double value)
{
    return QString::number(value, 'g', 4);
}

} // namespace

MatchRecord MatchRecord::fromRaw(const QString &id, const QList<FieldSpec> &fields, const QStringList &raw)
{
    MatchRecord record;
    record.id = id;
    record.values.reserve(fields.size());
    for (qsizetype i = 0; i < fields.size(); ++i)
        record.values.append(i < raw.size() ? normaliseValue(fields[i].comparator, raw[i]) : QString());
    return record;
}

bool defaultTermFrequency(ComparatorKind kind)
{
    Q_UNUSED(kind);
    return false;
}

FieldModel defaultFieldModel(const QString &name, ComparatorKind comparator)
{
    FieldModel field;
    field.termFrequency = defaultTermFrequency(comparator);
    field.name = name;
    field.comparator = comparator;
    field.m = {0.88, 0.06, 0.03, 0.02, 0.01};
    switch (comparator) {
    case ComparatorKind::Exact: field.u = {0.01, 0, 0, 0, 0.99}; break;
    case ComparatorKind::Identifier: field.u = {1e-4, 1e-3, 0, 0, 0.9989}; break;
    case ComparatorKind::NhsNumber: field.u = {1e-6, 1e-5, 0, 0, 0.99999}; break;
    case ComparatorKind::Name: field.u = {0.01, 0.01, 0.02, 0.05, 0.91}; break;
    case ComparatorKind::Date: field.u = {0.002, 0.003, 0.02, 0.05, 0.925}; break;
    case ComparatorKind::Postcode: field.u = {0.005, 0.01, 0.03, 0.1, 0.855}; break;
    case ComparatorKind::Levenshtein:
    case ComparatorKind::JaroWinkler: field.u = {0.02, 0.03, 0.05, 0.08, 0.82}; break;
    }
    return field;
}

MatchModel::MatchModel(QList<FieldModel> fields, double prior) : m_fields(std::move(fields)), m_prior(prior)
{
    Q_ASSERT_X(prior > 0 && prior < 1, "MatchModel", "the prior must be strictly between 0 and 1");
    for (FieldModel &field : m_fields) {
        field.m = normalisedFor(field.comparator, field.m);
        field.u = normalisedFor(field.comparator, field.u);
    }
    rebuildWeights();
}

void MatchModel::rebuildWeights()
{
    m_weights.assign(static_cast<size_t>(m_fields.size()), {});
    for (qsizetype f = 0; f < m_fields.size(); ++f) {
        const FieldModel &field = m_fields[f];
        auto &row = m_weights[static_cast<size_t>(f)];
        for (int l = 0; l < kLevelCount; ++l) {
            const size_t i = static_cast<size_t>(l);
            row[i] = field.m[i] > 0 && field.u[i] > 0 ? std::log2(field.m[i] / field.u[i]) : 0.0;
        }
        row[kLevelCount] = 0.0;  // Missing
    }
}

QList<FieldSpec> MatchModel::fieldSpecs() const
{
    QList<FieldSpec> specs;
    for (const FieldModel &field : m_fields)
        specs.append({field.name, field.comparator});
    return specs;
}

int MatchModel::fieldIndex(const QString &name) const
{
    for (qsizetype i = 0; i < m_fields.size(); ++i) {
        if (m_fields[i].name == name)
            return static_cast<int>(i);
    }
    return -1;
}

double MatchModel::weight(int field, ComparisonLevel level) const
{
    return m_weights[static_cast<size_t>(field)][static_cast<size_t>(level)];
}

double MatchModel::weight(int field, ComparisonLevel level, const QString &value) const
{
    if (level != ComparisonLevel::Exact || !m_frequencies || static_cast<size_t>(field) >= m_frequencies->byField.size())
        return weight(field, level);
    const QHash<QString, double> &table = m_frequencies->byField[static_cast<size_t>(field)];
    const auto it = table.constFind(value);
    if (it == table.constEnd())
        return weight(field, level);
    const double m = m_fields[field].m[static_cast<size_t>(ComparisonLevel::Exact)];
    return std::log2(m / std::max(*it, kTermFrequencyFloor));
}

bool MatchModel::usesTermFrequencies() const
{
    return std::any_of(m_fields.begin(), m_fields.end(), [](const FieldModel &f) { return f.termFrequency; });
}

TermFrequencies countTermFrequencies(const QList<FieldModel> &fields, const std::vector<MatchRecord> &records)
{
    TermFrequencies frequencies;
    frequencies.byField.resize(static_cast<size_t>(fields.size()));
    for (qsizetype f = 0; f < fields.size(); ++f) {
        if (!fields[f].termFrequency)
            continue;
        QHash<QString, double> &table = frequencies.byField[static_cast<size_t>(f)];
        double held = 0;
        for (const MatchRecord &record : records) {
            const QString &value = record.values.value(f);
            if (value.isEmpty())
                continue;
            table[value] += 1;
            held += 1;
        }
        for (double &count : table)
            count /= held;
    }
    return frequencies;
}

ComparisonVector MatchModel::compare(const MatchRecord &query, const MatchRecord &candidate) const
{
    ComparisonVector levels(static_cast<size_t>(m_fields.size()), ComparisonLevel::Missing);
    for (qsizetype f = 0; f < m_fields.size(); ++f) {
        if (f < query.values.size() && f < candidate.values.size())
            levels[static_cast<size_t>(f)] =
                match::compare(m_fields[f].comparator, query.values[f], candidate.values[f], m_fields[f].shortForms);
    }
    // Forename and surname the other way round: each two name fields, crosswise.
    for (qsizetype a = 0; a < m_fields.size(); ++a) {
        for (qsizetype b = a + 1; b < m_fields.size(); ++b) {
            if (m_fields[a].comparator != ComparatorKind::Name || m_fields[b].comparator != ComparatorKind::Name)
                continue;
            compareSwappedNames(query.values.value(a), query.values.value(b), candidate.values.value(a),
                                candidate.values.value(b), levels[static_cast<size_t>(a)], levels[static_cast<size_t>(b)],
                                m_fields[a].shortForms || m_fields[b].shortForms);
        }
    }
    return levels;
}

double MatchModel::score(const ComparisonVector &levels) const
{
    double total = 0;
    for (size_t f = 0; f < levels.size() && f < m_weights.size(); ++f)
        total += m_weights[f][static_cast<size_t>(levels[f])];
    return total;
}

double MatchModel::score(const ComparisonVector &levels, const MatchRecord &candidate) const
{
    if (!m_frequencies)
        return score(levels);
    double total = 0;
    for (size_t f = 0; f < levels.size() && f < m_weights.size(); ++f)
        total += weight(static_cast<int>(f), levels[f], candidate.values.value(static_cast<qsizetype>(f)));
    return total;
}

double MatchModel::posterior(double score) const
{
    // λ·2^s / (λ·2^s + 1 - λ), written to stay finite for large |s|.
    const double logOdds = score + std::log2(m_prior / (1.0 - m_prior));
    return 1.0 / (1.0 + std::exp2(-logOdds));
}

QJsonObject MatchModel::toJson() const
{
    QJsonObject fields;
    for (const FieldModel &field : m_fields) {
        QJsonObject m, u;
        for (int l = 0; l < kLevelCount; ++l) {
            const auto level = static_cast<ComparisonLevel>(l);
            if (!comparatorUsesLevel(field.comparator, level))
                continue;
            m.insert(toString(level), field.m[static_cast<size_t>(l)]);
            u.insert(toString(level), field.u[static_cast<size_t>(l)]);
        }
        QJsonObject object{{QStringLiteral("comparator"), toString(field.comparator)},
                           {QStringLiteral("m"), m},
                           {QStringLiteral("u"), u}};
        if (field.termFrequency)
            object.insert(QStringLiteral("term_frequency"), true);
        if (field.shortForms)
            object.insert(QStringLiteral("short_forms"), true);
        fields.insert(field.name, object);
    }
    return {{QStringLiteral("prior"), m_prior}, {QStringLiteral("fields"), fields}};
}

QString MatchModel::toYaml(const QStringList &valueTemplates, const QStringList &columns) const
{
    // A YAML double-quoted scalar is a JSON string: quotes, backslashes and controls escaped.
    const auto quoted = [](const QString &text) {
        const QByteArray json = QJsonDocument(QJsonArray{text}).toJson(QJsonDocument::Compact);
        return QString::fromUtf8(json.mid(1, json.size() - 2));
    };
    QString yaml = QStringLiteral("prior: %1\nfields:\n").arg(formatProbability(m_prior));
    for (qsizetype f = 0; f < m_fields.size(); ++f) {
        const FieldModel &field = m_fields[f];
        QStringList m, u;
        for (int l = 0; l < kLevelCount; ++l) {
            const auto level = static_cast<ComparisonLevel>(l);
            if (!comparatorUsesLevel(field.comparator, level))
                continue;
            m.append(toString(level) + QStringLiteral(": ") + formatProbability(field.m[static_cast<size_t>(l)]));
            u.append(toString(level) + QStringLiteral(": ") + formatProbability(field.u[static_cast<size_t>(l)]));
        }
        yaml += QStringLiteral("  %1:\n").arg(field.name);
        if (!valueTemplates.value(f).isEmpty())
            yaml += QStringLiteral("    value: %1\n").arg(quoted(valueTemplates.value(f)));
        if (!columns.value(f).isEmpty() && columns.value(f) != field.name)
            yaml += QStringLiteral("    column: %1\n").arg(quoted(columns.value(f)));
        yaml += QStringLiteral("    comparator: %1\n    m: {%2}\n    u: {%3}\n")
                    .arg(toString(field.comparator), m.join(QStringLiteral(", ")), u.join(QStringLiteral(", ")));
        if (field.termFrequency || defaultTermFrequency(field.comparator))
            yaml += QStringLiteral("    term_frequency: %1\n").arg(field.termFrequency ? u"true" : u"false");
        if (field.shortForms)
            yaml += QStringLiteral("    short_forms: true\n");
    }
    return yaml;
}

Result<LevelProbabilities> levelProbabilitiesFromJson(const QJsonValue &value)
{
    LevelProbabilities p{};
    if (value.isArray()) {
        const QJsonArray array = value.toArray();
        if (array.size() != kLevelCount)
            return fail(Error::invalidArgument(
                QStringLiteral("give %1 probabilities (exact, close, partial, weak, different)").arg(kLevelCount)));
        for (int l = 0; l < kLevelCount; ++l)
            p[static_cast<size_t>(l)] = array.at(l).toDouble(-1);
    } else if (value.isObject()) {
        const QJsonObject object = value.toObject();
        for (auto it = object.begin(); it != object.end(); ++it) {
            int found = -1;
            for (int l = 0; l < kLevelCount; ++l) {
                if (toString(static_cast<ComparisonLevel>(l)) == it.key())
                    found = l;
            }
            if (found < 0)
                return fail(Error::invalidArgument(
                    QStringLiteral("unknown level \"%1\" (levels: exact, close, partial, weak, different)").arg(it.key())));
            p[static_cast<size_t>(found)] = it.value().toDouble(-1);
        }
    } else {
        return fail(Error::invalidArgument(QStringLiteral("probabilities must be a list or a map of level to number")));
    }
    double sum = 0;
    for (double v : p) {
        if (v < 0 || v > 1)
            return fail(Error::invalidArgument(QStringLiteral("probabilities must be numbers from 0 to 1")));
        sum += v;
    }
    if (sum <= 0)
        return fail(Error::invalidArgument(QStringLiteral("at least one probability must be above 0")));
    return p;
}

Result<MatchModel> learnFromLabelledPairs(const MatchModel &start, const QList<LabelledPair> &pairs)
{
    const int fieldCount = start.fieldCount();
    std::vector<LevelProbabilities> matchCounts(static_cast<size_t>(fieldCount), LevelProbabilities{});
    std::vector<LevelProbabilities> otherCounts(static_cast<size_t>(fieldCount), LevelProbabilities{});
    int matches = 0, others = 0;
    for (const LabelledPair &pair : pairs) {
        (pair.isMatch ? matches : others) += 1;
        auto &counts = pair.isMatch ? matchCounts : otherCounts;
        for (size_t f = 0; f < pair.levels.size() && f < static_cast<size_t>(fieldCount); ++f) {
            if (pair.levels[f] != ComparisonLevel::Missing)
                counts[f][static_cast<size_t>(pair.levels[f])] += 1;
        }
    }
    if (matches == 0 || others == 0)
        return fail(Error::invalidArgument(
            QStringLiteral("learning needs both matching and non-matching pairs (got %1 and %2)").arg(matches).arg(others)));

    auto smoothed = [](const FieldModel &field, const LevelProbabilities &counts, const LevelProbabilities &fallback) {
        double total = 0;
        for (double c : counts)
            total += c;
        if (total == 0)
            return fallback;
        LevelProbabilities p{};
        for (int l = 0; l < kLevelCount; ++l) {
            if (comparatorUsesLevel(field.comparator, static_cast<ComparisonLevel>(l)))
                p[static_cast<size_t>(l)] = counts[static_cast<size_t>(l)] + 0.5;
        }
        return p;
    };
    QList<FieldModel> fields = start.fields();
    for (qsizetype f = 0; f < fields.size(); ++f) {
        fields[f].m = smoothed(fields[f], matchCounts[static_cast<size_t>(f)], fields[f].m);
        fields[f].u = smoothed(fields[f], otherCounts[static_cast<size_t>(f)], fields[f].u);
    }
    const double prior = static_cast<double>(matches) / static_cast<double>(matches + others);
    return MatchModel(std::move(fields), std::clamp(prior, 1e-6, 1.0 - 1e-6));
}

} // namespace clerk::match
