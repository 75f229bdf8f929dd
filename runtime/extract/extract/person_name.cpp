// Names next to labels. A name has no fixed form, so only text after a label is read:
// up to the end of the line, a column gap, or the next label.
#include "extract/extractors.h"
#include "extract/text_scan_p.h"

#include <QRegularExpression>

namespace clerk::extract {

using namespace detail;

namespace {

const QStringList kFullNameLabels = {QStringLiteral("Full name"), QStringLiteral("Name"),
                                     QStringLiteral("Name of applicant"), QStringLiteral("Applicant name"),
                                     QStringLiteral("Patient name"), QStringLiteral("Client name")};
const QStringList kSurnameLabels = {QStringLiteral("Surname"), QStringLiteral("Last name"), QStringLiteral("Family name")};
const QStringList kForenameLabels = {QStringLiteral("Forename(s)"), QStringLiteral("Forenames"), QStringLiteral("Forename"),
                                     QStringLiteral("First name(s)"), QStringLiteral("First names"),
                                     QStringLiteral("First name"), QStringLiteral("Given name(s)"),
                                     QStringLiteral("Given names"), QStringLiteral("Given name")};
// Labels of other fields: a name stops where one of them starts.
const QStringList kOtherLabels = {
    QStringLiteral("Date of birth"), QStringLiteral("DOB"), QStringLiteral("D.O.B."), QStringLiteral("NHS"),
    QStringLiteral("NI number"), QStringLiteral("National Insurance"), QStringLiteral("Address"),
    QStringLiteral("Postcode"), QStringLiteral("Post code"), QStringLiteral("Tel"), QStringLiteral("Telephone"),
    QStringLiteral("Phone"), QStringLiteral("Mobile"), QStringLiteral("Email"), QStringLiteral("E-mail"),
    QStringLiteral("Ref"), QStringLiteral("Reference"), QStringLiteral("Our ref"), QStringLiteral("Your ref"),
    QStringLiteral("Title"), QStringLiteral("Signed"), QStringLiteral("Date")};

enum class Part { Full, Surname, Forename };

Part partOf(const QString &label)
{
    if (kSurnameLabels.contains(label, Qt::CaseInsensitive))
        return Part::Surname;
    if (kForenameLabels.contains(label, Qt::CaseInsensitive))
        return Part::Forename;
    return Part::Full;
}

// The value text after a label hit: [start, end) in `text`, or an empty range.
std::pair<qsizetype, qsizetype> valueRange(const QString &text, const LabelHit &hit, const QList<LabelHit> &stops)
{
    qsizetype start = hit.end;
    while (start < text.size() && (text[start] == QLatin1Char(' ') || text[start] == QLatin1Char('\t')))
        ++start;
    const bool columnGap = start - hit.end >= 2 || text.mid(hit.end, start - hit.end).contains(QLatin1Char('\t'));
    // On a form the value may sit on the line below its label.
    if (start < text.size() && text[start] == QLatin1Char('\n')) {
        if (!hit.followedByColon && !hit.atLineStart)
            return {0, 0};
        ++start;
        while (start < text.size() && (text[start] == QLatin1Char(' ') || text[start] == QLatin1Char('\t')))
            ++start;
    } else if (!hit.followedByColon && !(hit.atLineStart && columnGap)) {
        // "my name is ..." in running text is not a label.
        return {0, 0};
    }
    qsizetype end = text.indexOf(QLatin1Char('\n'), start);
    if (end < 0)
        end = text.size();
    for (const LabelHit &stop : stops) {
        if (stop.offset >= start && stop.offset < end) {
            end = stop.offset;
            break;
        }
    }
    // A column gap ends the value too.
    static const QRegularExpression gap(QStringLiteral("  +|\\t"));
    const auto m = gap.match(text.mid(start, end - start));
    if (m.hasMatch() && m.capturedStart() > 0)
        end = start + m.capturedStart();
    return {start, end};
}

std::optional<FieldMatch> readName(const QString &text, qsizetype start, qsizetype end)
{
    QString raw = text.mid(start, end - start);
    // An unknown label ("Ward: 4") ends the name at its colon: drop the word before it.
    const qsizetype colon = raw.indexOf(QLatin1Char(':'));
    if (colon >= 0) {
        raw = raw.left(colon);
        const qsizetype lastSpace = raw.trimmed().lastIndexOf(QLatin1Char(' '));
        raw = lastSpace < 0 ? QString() : raw.trimmed().left(lastSpace);
    }
    while (!raw.isEmpty() && QStringLiteral(" \t,;.").contains(raw.back()))
        raw.chop(1);
    const QString value = raw.simplified();
    if (value.isEmpty())
        return std::nullopt;
    FieldMatch match;
    match.raw = raw;
    match.offset = start;
    match.value = value;
    static const QRegularExpression nameChars(QStringLiteral("^[\\p{L}][\\p{L} .'\\x{2019}\\-]*$"),
                                              QRegularExpression::UseUnicodePropertiesOption);
    const qsizetype words = value.count(QLatin1Char(' ')) + 1;
    if (std::any_of(value.begin(), value.end(), [](QChar c) { return c.isDigit(); })) {
        match.reasons.append(QStringLiteral("contains digits"));
    } else if (!nameChars.match(value).hasMatch()) {
        match.reasons.append(QStringLiteral("contains characters names do not have"));
    } else if (words > 6) {
        match.reasons.append(QStringLiteral("too many words for a name"));
    } else {
        match.valid = true;
        match.confidence = words >= 2 ? 0.9 : 0.75;
        if (words < 2)
            match.reasons.append(QStringLiteral("one word only"));
    }
    return match;
}

} // namespace

QStringList defaultNameLabels()
{
    return kFullNameLabels + kSurnameLabels + kForenameLabels;
}

QList<FieldMatch> findNames(const QString &text, const QStringList &labels)
{
    const bool defaults = labels.isEmpty();
    const QStringList own = defaults ? defaultNameLabels() : labels;
    const QList<LabelHit> hits = findLabels(text, own + kOtherLabels);

    QList<FieldMatch> found;
    std::optional<FieldMatch> forename;
    std::optional<FieldMatch> surname;
    for (const LabelHit &hit : hits) {
        if (!own.contains(hit.label, Qt::CaseInsensitive))
            continue;
        const auto [start, end] = valueRange(text, hit, hits);
        if (end <= start)
            continue;
        auto match = readName(text, start, end);
        if (!match)
            continue;
        match->label = hit.label;
        const Part part = defaults ? partOf(hit.label) : Part::Full;
        if (part == Part::Forename && !forename)
            forename = match;
        else if (part == Part::Surname && !surname)
            surname = match;
        else
            found.append(*match);
    }
    if (forename && surname && forename->valid && surname->valid) {
        FieldMatch joined;
        joined.value = forename->value + QLatin1Char(' ') + surname->value;
        // As found: the text from the first part to the end of the last, labels and all.
        joined.offset = std::min(forename->offset, surname->offset);
        const qsizetype end = std::max(forename->offset + forename->raw.size(), surname->offset + surname->raw.size());
        joined.raw = text.mid(joined.offset, end - joined.offset);
        joined.valid = true;
        joined.confidence = 0.9;
        joined.reasons.append(QStringLiteral("forename and surname joined"));
        joined.label = forename->label + QStringLiteral(" + ") + surname->label;
        found.append(joined);
    } else {
        if (forename)
            found.append(*forename);
        if (surname)
            found.append(*surname);
    }
    std::sort(found.begin(), found.end(), [](const FieldMatch &a, const FieldMatch &b) { return a.offset < b.offset; });
    return found;
}

} // namespace clerk::extract
