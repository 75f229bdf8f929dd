#include "match/record_index.h"

#include "match/csv_table.h"
#include "match/string_similarity.h"

#include <QRegularExpression>

#include <algorithm>

namespace clerk::match {

namespace {

struct TransformName {
    KeyTransform transform;
    QLatin1StringView name;
};

constexpr TransformName kTransforms[] = {
    {KeyTransform::Value, QLatin1StringView("value")},       {KeyTransform::Phonetic, QLatin1StringView("phonetic")},
    {KeyTransform::PhoneticLast, QLatin1StringView("phonetic_last")},
    {KeyTransform::Initial, QLatin1StringView("initial")},   {KeyTransform::Year, QLatin1StringView("year")},
    {KeyTransform::MonthDay, QLatin1StringView("month_day")},
    {KeyTransform::Sector, QLatin1StringView("sector")},     {KeyTransform::District, QLatin1StringView("district")},
};

} // namespace

QString transformValue(KeyTransform transform, const QString &value)
{
    if (value.isEmpty())
        return {};
    switch (transform) {
    case KeyTransform::Value: return value;
    case KeyTransform::Phonetic: {
        // A name of several words is filed under its first word's code.
        const qsizetype space = value.indexOf(u' ');
        return nysiis(space < 0 ? QStringView(value) : QStringView(value).first(space));
    }
    case KeyTransform::PhoneticLast: {
        const qsizetype space = value.lastIndexOf(u' ');
        return nysiis(space < 0 ? QStringView(value) : QStringView(value).sliced(space + 1));
    }
    case KeyTransform::Initial: return value.left(1);
    case KeyTransform::Year: return dateYear(value).toString();
    case KeyTransform::MonthDay: return isCompleteDate(value) ? value.right(4) : QString();
    case KeyTransform::Sector: {
        const UkPostcode uk = parseUkPostcode(value);
        if (uk.isValid())
            return uk.sector;
        return value.size() > 2 ? value.left(value.size() - 1) : value;
    }
    case KeyTransform::District: {
        const UkPostcode uk = parseUkPostcode(value);
        return uk.isValid() ? uk.district : value.left(2);
    }
    }
    return {};
}

QString toString(KeyTransform transform)
{
    for (const TransformName &t : kTransforms) {
        if (t.transform == transform)
            return t.name;
    }
    return {};
}

Result<BlockingKey> BlockingKey::parse(const QString &text, const QList<FieldSpec> &fields)
{
    static const QRegularExpression partPattern(QStringLiteral("^\\s*(?:([a-z_]+)\\(\\s*([^()]+?)\\s*\\)|([^()+]+?))\\s*$"));
    BlockingKey key;
    const QStringList parts = text.split(u'+');
    for (const QString &partText : parts) {
        const QRegularExpressionMatch m = partPattern.match(partText);
        if (!m.hasMatch())
            return fail(Error::invalidArgument(QStringLiteral("blocking key \"%1\": cannot read \"%2\"").arg(text, partText)));
        const QString transformName = m.captured(1);
        const QString fieldName = transformName.isEmpty() ? m.captured(3) : m.captured(2);
        Part part;
        bool known = transformName.isEmpty();
        for (const TransformName &t : kTransforms) {
            if (transformName == t.name) {
                part.transform = t.transform;
                known = true;
            }
        }
        if (!known)
            return fail(Error::invalidArgument(
                QStringLiteral("blocking key \"%1\": unknown transform \"%2\" (known: value, phonetic, phonetic_last, "
                               "initial, year, sector, district)")
                    .arg(text, transformName)));
        part.field = -1;
        for (qsizetype i = 0; i < fields.size(); ++i) {
            if (fields[i].name == fieldName)
                part.field = static_cast<int>(i);
        }
        if (part.field < 0)
            return fail(Error::invalidArgument(
                QStringLiteral("blocking key \"%1\": no field \"%2\" among the match fields").arg(text, fieldName)));
        key.parts.append(part);
    }
    return key;
}

QString BlockingKey::toString(const QList<FieldSpec> &fields) const
{
    QStringList out;
    for (const Part &part : parts) {
        const QString name = fields.value(part.field).name;
        out.append(part.transform == KeyTransform::Value ? name
                                                         : QStringLiteral("%1(%2)").arg(match::toString(part.transform), name));
    }
    return out.join(u'+');
}

QString BlockingKey::valueFor(const MatchRecord &record) const
{
    QString key;
    for (const Part &part : parts) {
        if (!appendKeyPart(key, transformValue(part.transform, record.values.value(part.field))))
            return {};
    }
    return key;
}

bool appendKeyPart(QString &key, const QString &value)
{
    if (value.isEmpty())
        return false;
    if (!key.isEmpty())
        key.append(QChar(0x1f));
    key.append(value);
    return true;
}

QList<BlockingKey> defaultBlockingKeys(const QList<FieldSpec> &fields)
{
    QList<int> names, dates, postcodes;
    QList<BlockingKey> keys;
    for (qsizetype i = 0; i < fields.size(); ++i) {
        const int f = static_cast<int>(i);
        switch (fields[i].comparator) {
        case ComparatorKind::Identifier:
        case ComparatorKind::NhsNumber: keys.append({{{f, KeyTransform::Value}}}); break;
        case ComparatorKind::Name: names.append(f); break;
        case ComparatorKind::Date: dates.append(f); break;
        case ComparatorKind::Postcode: postcodes.append(f); break;
        default: break;
        }
    }
    for (int d : dates)
        keys.append({{{d, KeyTransform::Value}}});
    if (!dates.isEmpty()) {
        for (int n : names)
            keys.append({{{n, KeyTransform::Phonetic}, {dates.first(), KeyTransform::Year}}});
    }
    for (qsizetype a = 0; a < names.size(); ++a) {
        for (qsizetype b = a + 1; b < names.size(); ++b)
            keys.append({{{names[a], KeyTransform::Phonetic}, {names[b], KeyTransform::Phonetic}}});
    }
    for (int p : postcodes) {
        for (int n : names)
            keys.append({{{p, KeyTransform::Sector}, {n, KeyTransform::Initial}}});
    }
    // One name field has no other name to pair with: without a date of birth it would be
    // filed under nothing. Its first and last words together (forename and surname of a
    // whole name; a one-word name twice) keep the blocks small.
    if (names.size() == 1)
        keys.append({{{names.first(), KeyTransform::Phonetic}, {names.first(), KeyTransform::PhoneticLast}}});
    return keys;
}

MatchModel withTermFrequencies(MatchModel model, const RecordIndex &index)
{
    if (model.usesTermFrequencies())
        model.setTermFrequencies(std::make_shared<const TermFrequencies>(countTermFrequencies(model.fields(), index.records())));
    return model;
}

RecordIndex::RecordIndex(QList<FieldSpec> fields, QList<BlockingKey> keys, int maxBlockSize)
    : m_fields(std::move(fields)), m_keys(std::move(keys)), m_maxBlockSize(maxBlockSize)
{
}

Result<std::shared_ptr<RecordIndex>> RecordIndex::loadCsv(const QString &path, const IndexColumns &columns,
                                                          QList<FieldSpec> fields, QList<BlockingKey> keys,
                                                          int maxBlockSize)
{
    auto table = CsvTable::read(path);
    if (!table)
        return fail(table.error());
    const int idColumn = table->column(columns.idColumn);
    if (idColumn < 0)
        return fail(Error::invalidArgument(
            QStringLiteral("%1: no id column \"%2\" (columns: %3)").arg(path, columns.idColumn, table->header.join(QStringLiteral(", ")))));
    QList<int> fieldColumns;
    for (qsizetype i = 0; i < fields.size(); ++i) {
        const QString name = columns.fieldColumns.value(i, fields[i].name);
        const int column = table->column(name);
        if (column < 0)
            return fail(Error::invalidArgument(QStringLiteral("%1: no column \"%2\" for field %3 (columns: %4)")
                                                   .arg(path, name, fields[i].name, table->header.join(QStringLiteral(", ")))));
        fieldColumns.append(column);
    }
    auto index = std::make_shared<RecordIndex>(fields, std::move(keys), maxBlockSize);
    index->reserve(table->rows.size());
    for (const QStringList &row : table->rows) {
        QStringList raw;
        for (int column : fieldColumns)
            raw.append(row[column]);
        index->add(MatchRecord::fromRaw(row[idColumn], fields, raw));
    }
    return index;
}

void RecordIndex::reserve(qsizetype records)
{
    m_records.reserve(static_cast<size_t>(records));
    m_byId.reserve(records);
}

std::uint64_t RecordIndex::bucketOf(qsizetype keyIndex, const QString &value) const
{
    // 64-bit hashes: a collision only adds a candidate, which scoring then rejects.
    return static_cast<std::uint64_t>(qHash(value, static_cast<size_t>(0x9e3779b97f4a7c15ULL) * static_cast<size_t>(keyIndex + 1)));
}

void RecordIndex::add(MatchRecord record)
{
    const auto position = static_cast<std::uint32_t>(m_records.size());
    for (qsizetype k = 0; k < m_keys.size(); ++k) {
        const QString value = m_keys[k].valueFor(record);
        if (!value.isEmpty())
            m_buckets[bucketOf(k, value)].push_back(position);
    }
    m_byId.insert(record.id, position);
    m_records.push_back(std::move(record));
}

const MatchRecord *RecordIndex::find(const QString &id) const
{
    const auto it = m_byId.constFind(id);
    return it == m_byId.constEnd() ? nullptr : &m_records[*it];
}

std::vector<std::uint32_t> RecordIndex::candidatePositions(const MatchRecord &query, qsizetype onlyKey) const
{
    std::vector<std::uint32_t> positions;
    for (qsizetype k = 0; k < m_keys.size(); ++k) {
        if (onlyKey >= 0 && k != onlyKey)
            continue;
        const QString value = m_keys[k].valueFor(query);
        if (value.isEmpty())
            continue;
        const auto it = m_buckets.find(bucketOf(k, value));
        if (it == m_buckets.end() || it->second.size() > static_cast<size_t>(m_maxBlockSize))
            continue;
        positions.insert(positions.end(), it->second.begin(), it->second.end());
    }
    std::sort(positions.begin(), positions.end());
    positions.erase(std::unique(positions.begin(), positions.end()), positions.end());
    return positions;
}

Result<QList<MatchRecord>> RecordIndex::candidates(const MatchRecord &query) const
{
    QList<MatchRecord> out;
    for (std::uint32_t position : candidatePositions(query))
        out.append(m_records[position]);
    return out;
}

} // namespace clerk::match
