// An in-memory candidate index over records loaded from a CSV export (or added one by
// one): blocking keys map each record to a few buckets, and a query's candidates are the
// records sharing at least one bucket with it.
//
// A blocking key is a '+'-joined list of parts, each a transform of one field:
//   value(f)     the normalised value            phonetic(f)  NYSIIS of a name (its first word)
//   phonetic_last(f)  NYSIIS of a name's last word (a whole name's surname)
//   initial(f)   the first letter                year(f)      a date's year
//   month_day(f) a date's month and day (a wrong year still meets)
//   sector(f)    a UK postcode's sector (other postcodes: all but the last character)
//   district(f)  a UK postcode's district (other postcodes: the first two characters)
// e.g. "phonetic(surname)+year(date_of_birth)". A bare field name means value(f). A
// record whose key has an empty part is not filed under that key.
//
// Ownership and threads: build the index (add/loadCsv) on one thread, then share it
// read-only: candidates() is const and safe to call from many threads at once (the first
// search after adding sorts the new entries under a lock; no record may be added while
// searches run).
//
// Memory: equal values of a field are kept once (the records share one string), and each
// record's place under each key is one 12-byte entry (the key's 64-bit hash and the
// record's position) in one array, sorted by the first search after records were added.
#pragma once

#include "match/candidate_source.h"
#include "match/match_model.h"

#include <QHash>
#include <QSet>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <vector>

namespace clerk::match {

enum class KeyTransform : std::uint8_t { Value, Phonetic, PhoneticLast, Initial, Year, MonthDay, Sector, District };

// One part's value for a normalised field value (empty when the value gives none).
QString transformValue(KeyTransform transform, const QString &value);
// The transform's name in the blocking syntax ("phonetic").
QString toString(KeyTransform transform);

struct BlockingKey {
    struct Part {
        int field = 0;
        KeyTransform transform = KeyTransform::Value;
    };
    QList<Part> parts{};

    // Parses "phonetic(surname)+year(dob)" against the fields; InvalidArgument names the
    // unknown transform or field.
    static Result<BlockingKey> parse(const QString &text, const QList<FieldSpec> &fields);
    QString toString(const QList<FieldSpec> &fields) const;
    // The key's text for a record, or empty when a part is empty.
    QString valueFor(const MatchRecord &record) const;
};

// Keys that suit person records, from the comparators of the fields: every identifier
// and NHS number alone; every date alone; each name's phonetic code with the first
// date's year; each two names' phonetic codes together; each postcode's sector with each
// name's initial. A single name field (a whole name in one column, "John Smith") is also
// filed under its first and last words' codes together, so a query with no date of birth
// still finds its candidates.
QList<BlockingKey> defaultBlockingKeys(const QList<FieldSpec> &fields);

// Adds one part's value to a key's text (parts are separated by U+001F). False when the
// value is empty: a record with an empty part is not filed under the key. The one way a
// key's text is made, so what --suggest-blocking measures is what the index files.
bool appendKeyPart(QString &key, QStringView value);

class RecordIndex;
// The model with the index's term frequencies attached (for its fields marked
// term_frequency; the model as it is when none is).
MatchModel withTermFrequencies(MatchModel model, const RecordIndex &index);

// Which CSV columns hold the id and each field (in field order).
struct IndexColumns {
    QString idColumn{};
    QStringList fieldColumns{};
};

class RecordIndex final : public CandidateSource {
public:
    // maxBlockSize: a bucket with more records than this (a very common key) gives no
    // candidates; the other keys still do.
    RecordIndex(QList<FieldSpec> fields, QList<BlockingKey> keys, int maxBlockSize = 5000);

    // Reads the CSV and adds every row; fails with NotFound/Unreadable for the file and
    // InvalidArgument naming a missing column.
    static Result<std::shared_ptr<RecordIndex>> loadCsv(const QString &path, const IndexColumns &columns,
                                                        QList<FieldSpec> fields, QList<BlockingKey> keys,
                                                        int maxBlockSize = 5000);

    // Adds a normalised record; a value equal to one already held shares its string. Not
    // thread-safe: only while building.
    void add(MatchRecord record);
    // Normalises raw values (one per field, as MatchRecord::fromRaw does) and adds the
    // record. A raw value met before in its field is not normalised again, while the
    // field's raw values repeat often enough to make remembering them pay. Not thread-safe:
    // only while building.
    void addRaw(const QString &id, const QStringList &raw);
    void reserve(qsizetype records);
    // Ends a build: sorts the entries of the records added since the last search (which
    // that search would otherwise do first) and lets go of the raw values remembered by
    // addRaw. More records may still be added. loadCsv ends with it. Not thread-safe.
    void finishAdding();

    const QList<FieldSpec> &fields() const override { return m_fields; }
    const QList<BlockingKey> &keys() const { return m_keys; }
    qsizetype size() const { return static_cast<qsizetype>(m_records.size()); }
    const MatchRecord &record(qsizetype i) const { return m_records[static_cast<size_t>(i)]; }
    const std::vector<MatchRecord> &records() const { return m_records; }
    // The record with this id, or nullptr.
    const MatchRecord *find(const QString &id) const;

    Result<QList<MatchRecord>> candidates(const MatchRecord &query) const override;
    // The positions of the query's candidates, ascending; for bulk use without copies.
    // onlyKey >= 0: the candidates that one blocking key brings (for estimation).
    std::vector<std::uint32_t> candidatePositions(const MatchRecord &query, qsizetype onlyKey = -1) const;

private:
    // A record filed under a key: the hash of the key's text for it (64 bits: a collision
    // only adds a candidate, which scoring then rejects) and the record's position, in 12
    // bytes (the hash in two halves keeps the array free of padding).
    struct Entry {
        std::uint32_t bucketHigh = 0;
        std::uint32_t bucketLow = 0;
        std::uint32_t position = 0;

        Entry() = default;
        Entry(std::uint64_t bucket, std::uint32_t at)
            : bucketHigh(static_cast<std::uint32_t>(bucket >> 32)), bucketLow(static_cast<std::uint32_t>(bucket)), position(at)
        {
        }
        std::uint64_t bucket() const { return (std::uint64_t{bucketHigh} << 32) | bucketLow; }
        friend bool operator<(const Entry &a, const Entry &b)
        {
            return a.bucket() != b.bucket() ? a.bucket() < b.bucket() : a.position < b.position;
        }
    };
    static_assert(sizeof(Entry) == 12, "an entry is three 32-bit words");
    // One slot of the id table: a position + 1 (0 = free) and the id's hash.
    struct IdSlot {
        std::uint32_t positionPlusOne = 0;
        std::uint32_t hash = 0;
    };

    // One field's values, for sharing equal ones. Sharing and remembering raw values stop
    // for a field whose values rarely repeat (an identifier): there they would cost memory
    // and save nothing.
    struct FieldValues {
        QSet<QString> distinct{};                   // each normalised value once
        QHash<QString, QString> normalisedByRaw{};  // raw value -> its shared normalised one
        qsizetype seen = 0;                         // non-empty values met
        qsizetype rawRepeats = 0;                   // raw values found in normalisedByRaw
        bool sharing = true;
        bool rememberingRaw = true;

        // Counts one more value met, and judges the field after the first ones.
        void count();
    };

    FieldValues &valuesOf(qsizetype field);
    QString shared(FieldValues &values, const QString &value);
    QString normalised(qsizetype field, const QString &raw);
    void file(MatchRecord record);
    void fileUnderKeys(const MatchRecord &record, std::uint32_t position);
    void remember(const QString &id, std::uint32_t position);
    void growIdTable(size_t slots);
    // The entries, sorted: the ones added since the last search are sorted in first.
    const std::vector<Entry> &sortedEntries() const;

    QList<FieldSpec> m_fields;
    QList<BlockingKey> m_keys;
    int m_maxBlockSize;
    std::vector<MatchRecord> m_records;
    std::vector<FieldValues> m_values;            // per field
    std::vector<IdSlot> m_idSlots;                // open addressing, a power of two
    // Guarded by m_sortMutex once shared; m_entries[m_sortedCount..] are unsorted.
    mutable std::mutex m_sortMutex;
    mutable std::vector<Entry> m_entries;
    mutable size_t m_sortedCount = 0;
    mutable std::atomic<bool> m_sorted{true};
};

} // namespace clerk::match
