#include "match/record_index.h"

#include "match/csv_table.h"
#include "match/string_similarity.h"

#include <QFile>
#include <QRegularExpression>
#include <QVarLengthArray>

#include <algorithm>
#include <utility>

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

// One part's text for a normalised value: a view into the value where the part is a cut of
// it, else into scratch. Empty when the value gives none.
QStringView partText(KeyTransform transform, const QString &value, QString &scratch)
{
    if (value.isEmpty())
        return {};
    const QStringView view(value);
    switch (transform) {
    case KeyTransform::Value: return view;
    case KeyTransform::Phonetic: {
        // A name of several words is filed under its first word's code.
        const qsizetype space = value.indexOf(u' ');
        scratch = nysiis(space < 0 ? view : view.first(space));
        return scratch;
    }
    case KeyTransform::PhoneticLast: {
        const qsizetype space = value.lastIndexOf(u' ');
        scratch = nysiis(space < 0 ? view : view.sliced(space + 1));
        return scratch;
    }
    case KeyTransform::Initial: return view.left(1);
    case KeyTransform::Year: return dateYear(view);
    case KeyTransform::MonthDay: return isCompleteDate(view) ? view.right(4) : QStringView();
    case KeyTransform::Sector: {
        UkPostcode uk = parseUkPostcode(view);
        if (uk.isValid()) {
            scratch = std::move(uk.sector);
            return scratch;
        }
        return view.size() > 2 ? view.left(view.size() - 1) : view;
    }
    case KeyTransform::District: {
        UkPostcode uk = parseUkPostcode(view);
        if (!uk.isValid())
            return view.left(2);
        scratch = std::move(uk.district);
        return scratch;
    }
    }
    return {};
}

// A record's key parts, each worked out once however many keys use it (a name's code
// serves three keys).
class RecordParts {
public:
    explicit RecordParts(const MatchRecord &record) : m_record(record) {}

    QStringView text(const BlockingKey::Part &part)
    {
        for (const Worked &worked : m_worked) {
            if (worked.part.field == part.field && worked.part.transform == part.transform)
                return worked.text;
        }
        Worked &worked = m_worked.emplace_back();
        worked.part = part;
        // The view points into the record's value or into the scratch string's characters,
        // which stay where they are when `worked` is moved. A field the record lacks is empty.
        if (part.field >= 0 && part.field < m_record.values.size())
            worked.text = partText(part.transform, m_record.values.at(part.field), worked.scratch);
        return worked.text;
    }

private:
    struct Worked {
        BlockingKey::Part part{};
        QString scratch{};
        QStringView text{};
    };
    const MatchRecord &m_record;
    QVarLengthArray<Worked, 8> m_worked;
};

// The key's text for a record in `key` (reusing its capacity); false when a part is empty.
bool keyText(const BlockingKey &blockingKey, RecordParts &parts, QString &key)
{
    key.resize(0);
    for (const BlockingKey::Part &part : blockingKey.parts) {
        if (!appendKeyPart(key, parts.text(part)))
            return false;
    }
    return true;
}

// The line ends in a file: about its rows, to reserve for (a quoted field may hold more).
qsizetype lineEnds(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return 0;
    qsizetype count = 0;
    while (!file.atEnd())
        count += file.read(1 << 20).count('\n');
    return count;
}

std::uint64_t bucketOf(qsizetype keyIndex, QStringView keyText)
{
    return static_cast<std::uint64_t>(qHash(keyText, static_cast<size_t>(0x9e3779b97f4a7c15ULL) * static_cast<size_t>(keyIndex + 1)));
}

} // namespace

QString transformValue(KeyTransform transform, const QString &value)
{
    if (transform == KeyTransform::Value)
        return value;
    QString scratch;
    const QStringView text = partText(transform, value, scratch);
    return text.data() == scratch.constData() && text.size() == scratch.size() ? scratch : text.toString();
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
    RecordParts recordParts(record);
    QString key;
    return keyText(*this, recordParts, key) ? key : QString();
}

bool appendKeyPart(QString &key, QStringView value)
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
    // Read a row at a time: a million people's file held whole would take more memory
    // than their index.
    auto reader = CsvReader::open(path);
    if (!reader)
        return fail(reader.error());
    CsvReader &csv = **reader;
    const QString columnList = csv.header().join(QStringLiteral(", "));
    const int idColumn = csv.column(columns.idColumn);
    if (idColumn < 0)
        return fail(Error::invalidArgument(QStringLiteral("%1: no id column \"%2\" (columns: %3)").arg(path, columns.idColumn, columnList)));
    QList<int> fieldColumns;
    for (qsizetype i = 0; i < fields.size(); ++i) {
        const QString name = columns.fieldColumns.value(i, fields[i].name);
        const int column = csv.column(name);
        if (column < 0)
            return fail(Error::invalidArgument(
                QStringLiteral("%1: no column \"%2\" for field %3 (columns: %4)").arg(path, name, fields[i].name, columnList)));
        fieldColumns.append(column);
    }
    auto index = std::make_shared<RecordIndex>(fields, std::move(keys), maxBlockSize);
    index->reserve(lineEnds(path));
    QStringList row, raw;
    while (csv.next(row)) {
        raw.resize(0);
        for (int column : fieldColumns)
            raw.append(row[column]);
        index->addRaw(row[idColumn], raw);
    }
    index->finishAdding();
    return index;
}

void RecordIndex::reserve(qsizetype records)
{
    m_records.reserve(static_cast<size_t>(records));
    m_entries.reserve(static_cast<size_t>(records) * static_cast<size_t>(m_keys.size()));
    size_t slots = 16;
    while (slots < 2 * static_cast<size_t>(records))
        slots *= 2;
    if (slots > m_idSlots.size())
        growIdTable(slots);
}

void RecordIndex::add(MatchRecord record)
{
    for (qsizetype f = 0; f < record.values.size(); ++f) {
        const QString &value = record.values.at(f);
        if (!value.isEmpty())
            record.values[f] = shared(valuesOf(f), value);
    }
    file(std::move(record));
}

void RecordIndex::addRaw(const QString &id, const QStringList &raw)
{
    MatchRecord record;
    record.id = id;
    record.values.reserve(m_fields.size());
    for (qsizetype f = 0; f < m_fields.size(); ++f)
        record.values.append(f < raw.size() ? normalised(f, raw[f]) : QString());
    file(std::move(record));
}

RecordIndex::FieldValues &RecordIndex::valuesOf(qsizetype field)
{
    if (m_values.size() <= static_cast<size_t>(field))
        m_values.resize(static_cast<size_t>(field) + 1);
    return m_values[static_cast<size_t>(field)];
}

void RecordIndex::FieldValues::count()
{
    // An identifier's values are nearly all different: after the first values of a field,
    // one where more than 15 in 16 were new stops sharing or remembering. Dates of birth
    // and names repeat far more often, even in a small sample.
    constexpr qsizetype kJudgedAfter = 16384;
    if (++seen != kJudgedAfter)
        return;
    if (distinct.size() > kJudgedAfter / 16 * 15) {
        sharing = false;
        distinct = {};
    }
    if (rememberingRaw && rawRepeats < kJudgedAfter / 16) {
        rememberingRaw = false;
        normalisedByRaw = {};
    }
}

QString RecordIndex::shared(FieldValues &values, const QString &value)
{
    values.count();
    if (!values.sharing)
        return value;
    const auto held = values.distinct.constFind(value);
    if (held != values.distinct.constEnd())
        return *held;
    values.distinct.insert(value);
    return value;
}

QString RecordIndex::normalised(qsizetype field, const QString &raw)
{
    if (raw.isEmpty())
        return {};
    FieldValues &values = valuesOf(field);
    if (values.rememberingRaw) {
        const auto known = values.normalisedByRaw.constFind(raw);
        if (known != values.normalisedByRaw.constEnd()) {
            ++values.rawRepeats;
            values.count();
            return *known;
        }
    }
    const QString value = normaliseValue(m_fields[field].comparator, raw);
    if (value.isEmpty())
        return value;
    const QString held = shared(values, value);
    if (values.rememberingRaw)
        values.normalisedByRaw.insert(raw, held);
    return held;
}

void RecordIndex::file(MatchRecord record)
{
    const auto position = static_cast<std::uint32_t>(m_records.size());
    fileUnderKeys(record, position);
    remember(record.id, position);
    m_records.push_back(std::move(record));
}

void RecordIndex::fileUnderKeys(const MatchRecord &record, std::uint32_t position)
{
    RecordParts parts(record);
    QString key;
    for (qsizetype k = 0; k < m_keys.size(); ++k) {
        if (keyText(m_keys[k], parts, key))
            m_entries.push_back({bucketOf(k, key), position});
    }
    if (m_entries.size() > m_sortedCount)
        m_sorted.store(false, std::memory_order_relaxed);
}

void RecordIndex::remember(const QString &id, std::uint32_t position)
{
    if (2 * (m_records.size() + 1) > m_idSlots.size())
        growIdTable(std::max<size_t>(16, 2 * m_idSlots.size()));
    const size_t hash = qHash(id);
    const size_t mask = m_idSlots.size() - 1;
    for (size_t slot = hash & mask;; slot = (slot + 1) & mask) {
        IdSlot &s = m_idSlots[slot];
        // A second record with the same id takes the first one's place, as before.
        if (s.positionPlusOne == 0 || (s.hash == static_cast<std::uint32_t>(hash) && m_records[s.positionPlusOne - 1].id == id)) {
            s = {position + 1, static_cast<std::uint32_t>(hash)};
            return;
        }
    }
}

void RecordIndex::growIdTable(size_t slots)
{
    std::vector<IdSlot> old = std::exchange(m_idSlots, std::vector<IdSlot>(slots));
    const size_t mask = slots - 1;
    for (const IdSlot &s : old) {
        if (s.positionPlusOne == 0)
            continue;
        // Only 32 bits of the hash are kept: the full one is worked out again.
        size_t slot = qHash(m_records[s.positionPlusOne - 1].id) & mask;
        while (m_idSlots[slot].positionPlusOne != 0)
            slot = (slot + 1) & mask;
        m_idSlots[slot] = s;
    }
}

const MatchRecord *RecordIndex::find(const QString &id) const
{
    if (m_idSlots.empty())
        return nullptr;
    const size_t hash = qHash(id);
    const size_t mask = m_idSlots.size() - 1;
    for (size_t slot = hash & mask; m_idSlots[slot].positionPlusOne != 0; slot = (slot + 1) & mask) {
        const IdSlot &s = m_idSlots[slot];
        if (s.hash == static_cast<std::uint32_t>(hash) && m_records[s.positionPlusOne - 1].id == id)
            return &m_records[s.positionPlusOne - 1];
    }
    return nullptr;
}

void RecordIndex::finishAdding()
{
    sortedEntries();
    for (FieldValues &values : m_values)
        values.normalisedByRaw = {};
}

const std::vector<RecordIndex::Entry> &RecordIndex::sortedEntries() const
{
    if (m_sorted.load(std::memory_order_acquire))
        return m_entries;
    std::lock_guard lock(m_sortMutex);
    if (!m_sorted.load(std::memory_order_relaxed)) {
        const auto unsorted = m_entries.begin() + static_cast<std::ptrdiff_t>(m_sortedCount);
        std::sort(unsorted, m_entries.end());
        std::inplace_merge(m_entries.begin(), unsorted, m_entries.end());
        m_sortedCount = m_entries.size();
        m_sorted.store(true, std::memory_order_release);
    }
    return m_entries;
}

std::vector<std::uint32_t> RecordIndex::candidatePositions(const MatchRecord &query, qsizetype onlyKey) const
{
    const std::vector<Entry> &entries = sortedEntries();
    const auto sameBucket = [](const Entry &a, const Entry &b) { return a.bucket() < b.bucket(); };
    std::vector<std::uint32_t> positions;
    RecordParts parts(query);
    QString key;
    for (qsizetype k = 0; k < m_keys.size(); ++k) {
        if ((onlyKey >= 0 && k != onlyKey) || !keyText(m_keys[k], parts, key))
            continue;
        const auto [first, last] = std::equal_range(entries.begin(), entries.end(), Entry{bucketOf(k, key), 0}, sameBucket);
        if (last - first > m_maxBlockSize)
            continue;
        for (auto it = first; it != last; ++it)
            positions.push_back(it->position);
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
