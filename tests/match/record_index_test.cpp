#include "match/record_index.h"

#include "match/csv_table.h"
#include "match/string_similarity.h"
#include "match_test_support.h"

#include <QFile>
#include <QTemporaryDir>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <thread>

using namespace clerk;
using namespace clerk::match;

namespace {

const QList<FieldSpec> kFields{{QStringLiteral("forename"), ComparatorKind::Name},
                               {QStringLiteral("surname"), ComparatorKind::Name},
                               {QStringLiteral("dob"), ComparatorKind::Date},
                               {QStringLiteral("postcode"), ComparatorKind::Postcode},
                               {QStringLiteral("nhs"), ComparatorKind::NhsNumber}};

bool containsId(const QList<MatchRecord> &records, const QString &id)
{
    for (const MatchRecord &r : records) {
        if (r.id == id)
            return true;
    }
    return false;
}

} // namespace

TEST(RecordIndexTest, ParsesBlockingKeys)
{
    auto key = BlockingKey::parse(QStringLiteral("phonetic(surname) + year(dob)"), kFields);
    ASSERT_TRUE(key.has_value()) << key.error().toString().toStdString();
    ASSERT_EQ(key->parts.size(), 2);
    EXPECT_EQ(key->parts[0].field, 1);
    EXPECT_EQ(key->parts[1].transform, KeyTransform::Year);
    EXPECT_EQ(key->toString(kFields), QStringLiteral("phonetic(surname)+year(dob)"));
    auto bare = BlockingKey::parse(QStringLiteral("nhs"), kFields);
    ASSERT_TRUE(bare.has_value());
    EXPECT_EQ(bare->parts[0].transform, KeyTransform::Value);

    const char *bad[] = {"soundex(surname)", "phonetic(middle_name)", "phonetic(surname", ""};
    for (const char *text : bad)
        EXPECT_FALSE(BlockingKey::parse(QString::fromLatin1(text), kFields).has_value()) << text;
}

TEST(RecordIndexTest, KeyValuesSkipRecordsWithAnEmptyPart)
{
    auto key = BlockingKey::parse(QStringLiteral("sector(postcode)+initial(forename)"), kFields);
    ASSERT_TRUE(key.has_value());
    const MatchRecord full = MatchRecord::fromRaw(QStringLiteral("1"), kFields,
                                                  {QStringLiteral("Amelia"), QStringLiteral("Smith"), QStringLiteral("1980-01-02"),
                                                   QStringLiteral("LS6 2AB"), QString()});
    EXPECT_EQ(key->valueFor(full), QStringLiteral("LS6 2") + QChar(0x1f) + QStringLiteral("a"));
    MatchRecord noPostcode = full;
    noPostcode.values[3].clear();
    EXPECT_EQ(key->valueFor(noPostcode), QString());
}

TEST(RecordIndexTest, FindsCorruptedCopiesAmongGeneratedPeople)
{
    clerk::testing::PeopleGenerator generator(7);
    RecordIndex index(kFields, defaultBlockingKeys(kFields));
    QList<clerk::testing::Person> people;
    for (int i = 0; i < 2000; ++i) {
        people.append(generator.person(QString::number(i)));
        index.add(MatchRecord::fromRaw(people.last().id, kFields, people.last().values()));
    }
    EXPECT_EQ(index.size(), 2000);
    int found = 0;
    qsizetype totalCandidates = 0;
    for (int i = 0; i < 200; ++i) {
        const clerk::testing::Person copy = generator.corrupt(people[i]);
        auto candidates = index.candidates(MatchRecord::fromRaw(QString(), kFields, copy.values()));
        ASSERT_TRUE(candidates.has_value());
        found += containsId(*candidates, people[i].id) ? 1 : 0;
        totalCandidates += candidates->size();
    }
    EXPECT_EQ(found, 200);  // every copy keeps at least one key intact
    // Blocking must cut the comparisons: far fewer candidates than records.
    EXPECT_LT(totalCandidates / 200, 200);
    ASSERT_NE(index.find(QStringLiteral("17")), nullptr);
    EXPECT_EQ(index.find(QStringLiteral("17"))->values[1], people[17].surname);
    EXPECT_EQ(index.find(QStringLiteral("nobody")), nullptr);
}

TEST(RecordIndexTest, SkipsOversizedBlocks)
{
    const QList<FieldSpec> fields{{QStringLiteral("surname"), ComparatorKind::Name}};
    RecordIndex index(fields, {*BlockingKey::parse(QStringLiteral("surname"), fields)}, 3);
    for (int i = 0; i < 4; ++i)
        index.add(MatchRecord::fromRaw(QString::number(i), fields, {QStringLiteral("smith")}));
    index.add(MatchRecord::fromRaw(QStringLiteral("j"), fields, {QStringLiteral("jones")}));
    EXPECT_TRUE(index.candidates(MatchRecord::fromRaw({}, fields, {QStringLiteral("smith")}))->isEmpty());
    EXPECT_EQ(index.candidates(MatchRecord::fromRaw({}, fields, {QStringLiteral("jones")}))->size(), 1);
}

TEST(RecordIndexTest, LoadsACsvExportWithMappedColumns)
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("people.csv"));
    QFile file(path);
    ASSERT_TRUE(file.open(QIODevice::WriteOnly));
    file.write("person_id, first, last, born, pc, nhs_no\n"
               "p1, Amelia, \"Smith, Jr\", 02/01/1980, LS6 2AB, 9434765919\n"
               "p2, George, Jones, 1975-07-30, M1 1AE,\n");
    file.close();
    IndexColumns columns{QStringLiteral("person_id"),
                         {QStringLiteral("first"), QStringLiteral("last"), QStringLiteral("born"), QStringLiteral("pc"),
                          QStringLiteral("nhs_no")}};
    auto index = RecordIndex::loadCsv(path, columns, kFields, defaultBlockingKeys(kFields));
    ASSERT_TRUE(index.has_value()) << index.error().toString().toStdString();
    ASSERT_EQ((*index)->size(), 2);
    const MatchRecord *p1 = (*index)->find(QStringLiteral("p1"));
    ASSERT_NE(p1, nullptr);
    EXPECT_EQ(p1->values, (QStringList{QStringLiteral("amelia"), QStringLiteral("smith jr"), QStringLiteral("19800102"),
                                       QStringLiteral("LS62AB"), QStringLiteral("9434765919")}));
    EXPECT_EQ((*index)->find(QStringLiteral("p2"))->values[4], QString());

    columns.fieldColumns[2] = QStringLiteral("date_of_birth");
    auto missing = RecordIndex::loadCsv(path, columns, kFields, {});
    ASSERT_FALSE(missing.has_value());
    EXPECT_TRUE(missing.error().message().contains(QStringLiteral("date_of_birth")));
    EXPECT_EQ(RecordIndex::loadCsv(dir.filePath(QStringLiteral("none.csv")), columns, kFields, {}).error().code(),
              ErrorCode::NotFound);
}

TEST(RecordIndexTest, AnswersTheSameFromSeveralThreadsAtOnce)
{
    clerk::testing::PeopleGenerator generator(21);
    RecordIndex index(kFields, defaultBlockingKeys(kFields));
    QList<MatchRecord> queries;
    for (int i = 0; i < 3000; ++i) {
        const clerk::testing::Person p = generator.person(QString::number(i));
        index.add(MatchRecord::fromRaw(p.id, kFields, p.values()));
        if (i % 10 == 0)
            queries.append(MatchRecord::fromRaw({}, kFields, generator.corrupt(p).values()));
    }
    std::vector<std::vector<std::uint32_t>> expected;
    for (const MatchRecord &q : queries)
        expected.push_back(index.candidatePositions(q));
    std::atomic<int> mismatches = 0;
    auto work = [&] {
        for (int round = 0; round < 5; ++round) {
            for (qsizetype i = 0; i < queries.size(); ++i) {
                if (index.candidatePositions(queries[i]) != expected[static_cast<size_t>(i)])
                    ++mismatches;
            }
        }
    };
    std::thread a(work), b(work);
    a.join();
    b.join();
    EXPECT_EQ(mismatches.load(), 0);
}

TEST(RecordIndexTest, AWholeNameInOneFieldFindsItsRecordWithoutADateOfBirth)
{
    // One name column, as a change-of-address form has it, and a query with no date of birth.
    const QList<FieldSpec> fields{{QStringLiteral("name"), ComparatorKind::Name},
                                  {QStringLiteral("dob"), ComparatorKind::Date}};
    RecordIndex index(fields, defaultBlockingKeys(fields));
    index.add(MatchRecord::fromRaw(QStringLiteral("CT1001"), fields, {QStringLiteral("John Smith"), QStringLiteral("1970-03-02")}));
    index.add(MatchRecord::fromRaw(QStringLiteral("CT1002"), fields, {QStringLiteral("Joan Smythe"), QStringLiteral("1981-07-09")}));
    index.add(MatchRecord::fromRaw(QStringLiteral("CT1003"), fields, {QStringLiteral("John Brown"), QStringLiteral("1970-03-02")}));
    auto found = index.candidates(MatchRecord::fromRaw({}, fields, {QStringLiteral("John Smith"), QString()}));
    ASSERT_TRUE(found.has_value());
    EXPECT_TRUE(containsId(*found, QStringLiteral("CT1001")));
    EXPECT_FALSE(containsId(*found, QStringLiteral("CT1003")));  // another surname is another block
    // The last word's code is its own transform.
    auto key = BlockingKey::parse(QStringLiteral("phonetic_last(name)"), fields);
    ASSERT_TRUE(key.has_value());
    EXPECT_EQ(key->valueFor(MatchRecord::fromRaw({}, fields, {QStringLiteral("Mary Ann Smith"), QString()})),
              key->valueFor(MatchRecord::fromRaw({}, fields, {QStringLiteral("Smith"), QString()})));
}

TEST(RecordIndexTest, TransformsCutTheValueAsDocumented)
{
    struct Case {
        KeyTransform transform;
        const char *value;
        const char *expected;
    };
    const Case cases[] = {
        {KeyTransform::Value, "smith", "smith"},         {KeyTransform::Initial, "smith", "s"},
        {KeyTransform::Year, "19800102", "1980"},        {KeyTransform::Year, "1980", ""},
        {KeyTransform::MonthDay, "19800102", "0102"},    {KeyTransform::MonthDay, "19801302", ""},
        {KeyTransform::Sector, "LS62AB", "LS6 2"},       {KeyTransform::Sector, "2000", "200"},
        {KeyTransform::Sector, "20", "20"},              {KeyTransform::District, "LS62AB", "LS6"},
        {KeyTransform::District, "2000", "20"},          {KeyTransform::District, "2", "2"},
        {KeyTransform::Initial, "", ""},
    };
    for (const Case &c : cases)
        EXPECT_EQ(transformValue(c.transform, QString::fromLatin1(c.value)), QString::fromLatin1(c.expected))
            << c.value << " " << toString(c.transform).toStdString();
    EXPECT_EQ(transformValue(KeyTransform::Phonetic, QStringLiteral("mary ann")), nysiis(u"mary"));
    EXPECT_EQ(transformValue(KeyTransform::PhoneticLast, QStringLiteral("mary ann smith")), nysiis(u"smith"));
}

namespace {

// The candidates by definition: the records whose key text equals the query's under some
// key, from blocks of at most maxBlockSize records.
std::vector<std::uint32_t> candidatesByDefinition(const RecordIndex &index, const MatchRecord &query, int maxBlockSize)
{
    std::vector<std::uint32_t> positions;
    for (const BlockingKey &key : index.keys()) {
        const QString text = key.valueFor(query);
        if (text.isEmpty())
            continue;
        std::vector<std::uint32_t> block;
        for (qsizetype i = 0; i < index.size(); ++i) {
            if (key.valueFor(index.record(i)) == text)
                block.push_back(static_cast<std::uint32_t>(i));
        }
        if (block.size() <= static_cast<size_t>(maxBlockSize))
            positions.insert(positions.end(), block.begin(), block.end());
    }
    std::sort(positions.begin(), positions.end());
    positions.erase(std::unique(positions.begin(), positions.end()), positions.end());
    return positions;
}

} // namespace

TEST(RecordIndexTest, CandidatesAreTheRecordsSharingAKeyTextAlsoAfterAddingMore)
{
    QList<BlockingKey> keys = defaultBlockingKeys(kFields);
    for (const char *text : {"month_day(dob)+initial(surname)", "district(postcode)+phonetic_last(surname)", "year(dob)"})
        keys.append(*BlockingKey::parse(QString::fromLatin1(text), kFields));
    const int maxBlockSize = 40;  // year(dob) blocks are larger: they give nothing
    clerk::testing::PeopleGenerator generator(5);
    RecordIndex index(kFields, keys, maxBlockSize);
    QList<MatchRecord> queries;
    auto addPeople = [&](int from, int to) {
        for (int i = from; i < to; ++i) {
            const clerk::testing::Person p = generator.person(QString::number(i));
            index.add(MatchRecord::fromRaw(p.id, kFields, p.values()));
            if (i % 25 == 0)
                queries.append(MatchRecord::fromRaw({}, kFields, generator.corrupt(p).values()));
        }
    };
    auto expectDefinition = [&] {
        for (const MatchRecord &q : queries) {
            EXPECT_EQ(index.candidatePositions(q), candidatesByDefinition(index, q, maxBlockSize));
            const std::vector<std::uint32_t> one = index.candidatePositions(q, 1);
            EXPECT_TRUE(std::is_sorted(one.begin(), one.end()));
        }
    };
    addPeople(0, 1500);
    expectDefinition();
    // Records added after a search are sorted in by the next one.
    addPeople(1500, 2500);
    index.finishAdding();
    expectDefinition();
    addPeople(2500, 2600);
    expectDefinition();
}

TEST(RecordIndexTest, FindsEveryIdAndTheLastRecordOfARepeatedOne)
{
    const QList<FieldSpec> fields{{QStringLiteral("surname"), ComparatorKind::Name}};
    RecordIndex index(fields, {});
    for (int i = 0; i < 5000; ++i)
        index.add(MatchRecord::fromRaw(QStringLiteral("id-%1").arg(i), fields, {QStringLiteral("smith")}));
    index.add(MatchRecord::fromRaw(QStringLiteral("id-17"), fields, {QStringLiteral("jones")}));
    for (int i = 0; i < 5000; i += 7) {
        ASSERT_NE(index.find(QStringLiteral("id-%1").arg(i)), nullptr) << i;
        EXPECT_EQ(index.find(QStringLiteral("id-%1").arg(i))->id, QStringLiteral("id-%1").arg(i));
    }
    EXPECT_EQ(index.find(QStringLiteral("id-17"))->values[0], QStringLiteral("jones"));
    EXPECT_EQ(index.find(QStringLiteral("id-5000")), nullptr);
    EXPECT_EQ(RecordIndex(fields, {}).find(QStringLiteral("id-1")), nullptr);
}

TEST(RecordIndexTest, EqualValuesShareOneString)
{
    const QList<FieldSpec> fields{{QStringLiteral("forename"), ComparatorKind::Name},
                                  {QStringLiteral("surname"), ComparatorKind::Name}};
    RecordIndex index(fields, {});
    index.add(MatchRecord::fromRaw(QStringLiteral("1"), fields, {QStringLiteral("Amelia"), QStringLiteral("Smith")}));
    index.add(MatchRecord::fromRaw(QStringLiteral("2"), fields, {QStringLiteral("George"), QStringLiteral(" SMITH ")}));
    EXPECT_EQ(index.record(1).values[1], QStringLiteral("smith"));
    EXPECT_EQ(index.record(0).values[1].constData(), index.record(1).values[1].constData());
}

TEST(RecordIndexTest, SeveralThreadsSearchingFirstSortOnce)
{
    clerk::testing::PeopleGenerator generator(9);
    RecordIndex index(kFields, defaultBlockingKeys(kFields));
    QList<MatchRecord> queries;
    for (int i = 0; i < 3000; ++i) {
        const clerk::testing::Person p = generator.person(QString::number(i));
        index.add(MatchRecord::fromRaw(p.id, kFields, p.values()));
        if (i % 30 == 0)
            queries.append(MatchRecord::fromRaw({}, kFields, generator.corrupt(p).values()));
    }
    // Neither thread has searched yet: both reach the unsorted entries at once.
    std::vector<std::vector<std::uint32_t>> first(queries.size()), second(queries.size());
    std::thread a([&] {
        for (qsizetype i = 0; i < queries.size(); ++i)
            first[static_cast<size_t>(i)] = index.candidatePositions(queries[i]);
    });
    std::thread b([&] {
        for (qsizetype i = 0; i < queries.size(); ++i)
            second[static_cast<size_t>(i)] = index.candidatePositions(queries[i]);
    });
    a.join();
    b.join();
    for (qsizetype i = 0; i < queries.size(); ++i) {
        EXPECT_EQ(first[static_cast<size_t>(i)], candidatesByDefinition(index, queries[i], 5000));
        EXPECT_EQ(second[static_cast<size_t>(i)], first[static_cast<size_t>(i)]);
    }
}

TEST(RecordIndexTest, AddingRawValuesGivesWhatNormalisingFirstGives)
{
    // More people than the 16,384 values after which a field of nearly all different
    // values (the NHS numbers here) stops being shared and remembered.
    clerk::testing::PeopleGenerator generator(13);
    RecordIndex normalisedFirst(kFields, defaultBlockingKeys(kFields));
    RecordIndex raw(kFields, defaultBlockingKeys(kFields));
    QList<MatchRecord> queries;
    for (int i = 0; i < 20000; ++i) {
        clerk::testing::Person p = generator.person(QString::number(i));
        if (i % 3 == 0)
            p.surname = QStringLiteral("  ") + p.surname.toUpper();  // the same name written otherwise
        normalisedFirst.add(MatchRecord::fromRaw(p.id, kFields, p.values()));
        raw.addRaw(p.id, p.values());
        if (i % 500 == 0)
            queries.append(MatchRecord::fromRaw({}, kFields, generator.corrupt(p).values()));
    }
    raw.addRaw(QStringLiteral("short"), {QStringLiteral("Amelia")});  // fewer values than fields
    normalisedFirst.add(MatchRecord::fromRaw(QStringLiteral("short"), kFields, {QStringLiteral("Amelia")}));
    raw.finishAdding();
    ASSERT_EQ(raw.size(), normalisedFirst.size());
    for (qsizetype i = 0; i < raw.size(); ++i) {
        EXPECT_EQ(raw.record(i).id, normalisedFirst.record(i).id);
        EXPECT_EQ(raw.record(i).values, normalisedFirst.record(i).values) << i;
    }
    for (const MatchRecord &q : queries)
        EXPECT_EQ(raw.candidatePositions(q), normalisedFirst.candidatePositions(q));
    // A surname written either way is kept once.
    qsizetype same = 1;
    while (raw.record(same).values[1] != raw.record(0).values[1])
        ++same;
    EXPECT_EQ(raw.record(same).values[1].constData(), raw.record(0).values[1].constData());
}
