#include "extract/field_extractor.h"

#include "extract/extractors.h"
#include "extract/text_scan_p.h"

#include <QRegularExpression>
#include <QSet>

#include <algorithm>

namespace clerk::extract {

using namespace detail;

namespace {

constexpr qsizetype kLabelReach = 80;
constexpr double kLabelBonus = 0.1;
constexpr double kAmbiguityPenalty = 0.25;
constexpr double kNoLabelPenalty = 0.15;

Result<QList<FieldMatch>> findCandidates(const QString &text, const FieldSpec &spec)
{
    switch (spec.type) {
    case FieldType::UkPostcode: return findUkPostcodes(text);
    case FieldType::NhsNumber: return findNhsNumbers(text);
    case FieldType::NiNumber: return findNiNumbers(text);
    case FieldType::Date: return findDates(text, DateOptions{spec.referenceDate, spec.pastOnly});
    case FieldType::Email: return findEmails(text);
    case FieldType::UkPhone: return findUkPhones(text);
    case FieldType::Name: return findNames(text, spec.labels);
    case FieldType::Reference: {
        if (spec.pattern.isEmpty())
            return fail(Error::invalidArgument(QStringLiteral("a reference field needs a pattern")));
        const QRegularExpression pattern(spec.pattern, QRegularExpression::UseUnicodePropertiesOption);
        if (!pattern.isValid())
            return fail(Error::invalidArgument(
                QStringLiteral("invalid reference pattern: %1").arg(pattern.errorString())));
        return findReferences(text, pattern);
    }
    }
    return QList<FieldMatch>{};
}

// Marks the first candidate after each label occurrence.
void applyLabels(const QString &text, const QStringList &labels, QList<FieldMatch> &candidates)
{
    for (const LabelHit &hit : findLabels(text, labels)) {
        for (FieldMatch &candidate : candidates) {
            if (candidate.offset < hit.end)
                continue;
            const QString gap = text.mid(hit.end, candidate.offset - hit.end);
            if (gap.size() <= kLabelReach && gap.count(QLatin1Char('\n')) <= 1 && candidate.label.isEmpty()) {
                candidate.label = hit.label;
                if (candidate.valid) {
                    candidate.confidence = std::min(1.0, candidate.confidence + kLabelBonus);
                    candidate.reasons.append(QStringLiteral("after a label"));
                }
            }
            break;
        }
    }
}

} // namespace

QStringList defaultLabels(FieldType type)
{
    switch (type) {
    case FieldType::UkPostcode: return {QStringLiteral("Postcode"), QStringLiteral("Post code")};
    case FieldType::NhsNumber: return {QStringLiteral("NHS No"), QStringLiteral("NHS No."), QStringLiteral("NHS number"),
                                       QStringLiteral("NHS")};
    case FieldType::NiNumber: return {QStringLiteral("NI No"), QStringLiteral("NI number"), QStringLiteral("NINO"),
                                      QStringLiteral("National Insurance number"), QStringLiteral("National Insurance No")};
    case FieldType::Email: return {QStringLiteral("Email"), QStringLiteral("E-mail")};
    case FieldType::UkPhone: return {QStringLiteral("Tel"), QStringLiteral("Telephone"), QStringLiteral("Phone"),
                                     QStringLiteral("Mobile")};
    case FieldType::Name: return defaultNameLabels();
    case FieldType::Date:
    case FieldType::Reference: return {};
    }
    return {};
}

Result<FieldResult> extractField(const QString &text, const FieldSpec &spec)
{
    auto found = findCandidates(text, spec);
    if (!found)
        return fail(found.error());
    FieldResult result;
    result.candidates = std::move(*found);

    const bool botLabels = !spec.labels.isEmpty();
    // Names are found through their labels already.
    if (spec.type != FieldType::Name)
        applyLabels(text, botLabels ? spec.labels : defaultLabels(spec.type), result.candidates);

    QList<qsizetype> pool;
    bool labelled = false;
    for (qsizetype i = 0; i < result.candidates.size(); ++i) {
        if (result.candidates[i].valid && !result.candidates[i].label.isEmpty())
            pool.append(i);
    }
    labelled = !pool.isEmpty();
    if (!labelled) {
        for (qsizetype i = 0; i < result.candidates.size(); ++i) {
            if (result.candidates[i].valid)
                pool.append(i);
        }
    }

    if (pool.isEmpty()) {
        const auto claimed = std::find_if(result.candidates.begin(), result.candidates.end(),
                                          [](const FieldMatch &m) { return !m.label.isEmpty(); });
        const FieldMatch *shown = claimed != result.candidates.end() ? &*claimed
                                  : result.candidates.isEmpty()      ? nullptr
                                                                     : &result.candidates.first();
        if (shown)
            result.problem = shown->reasons.isEmpty() ? QStringLiteral("not in a valid form") : shown->reasons.first();
        return result;
    }

    qsizetype bestIndex = pool.first();
    for (const qsizetype i : pool) {
        if (result.candidates[i].confidence > result.candidates[bestIndex].confidence)
            bestIndex = i;
    }
    FieldMatch best = result.candidates[bestIndex];
    // A second valid NHS or NI number means a second person is in the text: a label
    // does not settle which one the item is about, so every valid one counts.
    const bool personIdentifier = spec.type == FieldType::NhsNumber || spec.type == FieldType::NiNumber;
    QSet<QString> others;
    for (qsizetype i = 0; i < result.candidates.size(); ++i) {
        const FieldMatch &m = result.candidates[i];
        if (m.valid && m.value != best.value && (pool.contains(i) || personIdentifier))
            others.insert(m.value);
    }
    if (!others.isEmpty()) {
        best.confidence = std::max(0.0, best.confidence - kAmbiguityPenalty);
        best.reasons.append(others.size() == 1 ? QStringLiteral("1 other candidate")
                                               : QStringLiteral("%1 other candidates").arg(others.size()));
    }
    if (botLabels && !labelled && spec.type != FieldType::Name) {
        best.confidence = std::max(0.0, best.confidence - kNoLabelPenalty);
        best.reasons.append(QStringLiteral("not next to any of its labels"));
    }
    result.best = best;
    return result;
}

} // namespace clerk::extract
