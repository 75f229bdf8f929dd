// Speed of matching one form against a large in-memory index (bench/match_bench.sh).
//
//   match_bench FEBRL4A FEBRL4B [--records 1000000] [--queries 3500] [--seed 1]
//               [--write-csv PEOPLE | --csv PEOPLE]
//
// Builds an index of the FEBRL4A people plus synthetic people made from the data (each
// field drawn from a different real record, dates of birth spread over 1900-2010, a typo
// in one name in three), fits the model as `clerk eval --estimate` does, then matches each
// FEBRL4B record (a corrupted copy of a FEBRL4A person) on one thread and prints the
// latency percentiles, throughput, and how often the right person was accepted.
// Fields: the FEBRL ones without soc_sec_id. Nothing personal is printed. --write-csv
// writes the same people as a CSV export and stops; --csv reads the index from such an
// export instead of making the people (RecordIndex::loadCsv, as a match step reads its
// index), reading the file and all.
#include "match/csv_table.h"
#include "match/em_estimation.h"
#include "match/match_evaluation.h"
#include "match/matcher.h"
#include "match/record_index.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFile>
#include <QTextStream>

#include <algorithm>
#include <random>

using namespace clerk;
using namespace clerk::match;

namespace {

const QList<FieldSpec> kFields{
    {QStringLiteral("given_name"), ComparatorKind::Name},      {QStringLiteral("surname"), ComparatorKind::Name},
    {QStringLiteral("street_number"), ComparatorKind::Exact}, {QStringLiteral("address_1"), ComparatorKind::JaroWinkler},
    {QStringLiteral("address_2"), ComparatorKind::JaroWinkler}, {QStringLiteral("suburb"), ComparatorKind::JaroWinkler},
    {QStringLiteral("postcode"), ComparatorKind::Postcode},    {QStringLiteral("state"), ComparatorKind::Exact},
    {QStringLiteral("date_of_birth"), ComparatorKind::Date},
};

QTextStream &out()
{
    static QTextStream stream(stdout);
    return stream;
}

QList<QStringList> rowsOf(const CsvTable &table, QStringList &ids)
{
    QList<int> columns;
    for (const FieldSpec &f : kFields)
        columns.append(table.column(f.name));
    const int id = table.column(QStringLiteral("rec_id"));
    QList<QStringList> rows;
    for (const QStringList &row : table.rows) {
        QStringList values;
        for (int c : columns)
            values.append(c >= 0 ? row[c] : QString());
        rows.append(values);
        ids.append(row[id]);
    }
    return rows;
}

QString typo(const QString &word, std::mt19937 &rng)
{
    if (word.size() < 3)
        return word;
    QString out = word;
    const int at = std::uniform_int_distribution<int>(0, static_cast<int>(word.size()) - 1)(rng);
    out[at] = QChar(u'a' + std::uniform_int_distribution<int>(0, 25)(rng));
    return out;
}

// The process's resident memory now and at its peak (VmRSS, VmHWM in /proc/self/status), MB.
struct Memory {
    double residentMb = 0;
    double peakMb = 0;
};

Memory memory()
{
    Memory m;
    QFile status(QStringLiteral("/proc/self/status"));
    if (!status.open(QIODevice::ReadOnly))
        return m;
    for (const QByteArray &line : status.readAll().split('\n')) {
        const QList<QByteArray> parts = line.simplified().split(' ');
        if (parts.size() >= 2 && parts[0] == "VmRSS:")
            m.residentMb = parts[1].toDouble() / 1024;
        else if (parts.size() >= 2 && parts[0] == "VmHWM:")
            m.peakMb = parts[1].toDouble() / 1024;
    }
    return m;
}

QString megabytes(double mb)
{
    return QString::number(mb, 'f', 0) + QStringLiteral(" MB");
}

double percentile(std::vector<double> values, double p)
{
    if (values.empty())
        return 0;
    std::sort(values.begin(), values.end());
    const size_t at = std::min(values.size() - 1, static_cast<size_t>(p * static_cast<double>(values.size())));
    return values[at];
}

// The FEBRL bench bot's keys: Australian postcodes are about as fine as UK sectors, so the
// whole postcode stands where a UK bot would use sector(postcode).
QList<BlockingKey> benchKeys()
{
    QList<BlockingKey> keys;
    for (const char *text : {"date_of_birth", "phonetic(given_name)+year(date_of_birth)", "phonetic(surname)+year(date_of_birth)",
                             "phonetic(given_name)+phonetic(surname)", "postcode+initial(given_name)", "postcode+initial(surname)", "street_number+suburb",
                             "phonetic(surname)+suburb"})
        keys.append(*BlockingKey::parse(QString::fromLatin1(text), kFields));
    return keys;
}

// The index read from a CSV export (id column rec_id), or nullptr after saying why.
std::shared_ptr<RecordIndex> loadIndex(const QString &path)
{
    IndexColumns columns{QStringLiteral("rec_id"), {}};
    for (const FieldSpec &f : kFields)
        columns.fieldColumns.append(f.name);
    auto index = RecordIndex::loadCsv(path, columns, kFields, benchKeys());
    if (!index) {
        QTextStream(stderr) << "match_bench: " << index.error().toString() << "\n";
        return nullptr;
    }
    return *index;
}

// Where the build's time goes, in nanoseconds.
struct BuildTimes {
    qint64 adding = 0;   // RecordIndex::addRaw: normalising, sharing values, filing under the keys
    qint64 sorting = 0;  // RecordIndex::finishAdding
};

// The index of the real people and synthetic ones up to `total`; the rest of the time is
// spent making the synthetic people.
// The bench's people, each given to `take(id, raw values)`: the real ones, then synthetic
// ones up to `total`.
template <typename Take>
void forEachPerson(const QList<QStringList> &people, const QStringList &ids, qsizetype total, std::mt19937 &rng, Take take)
{
    const qsizetype real = std::min(people.size(), total);
    for (qsizetype i = 0; i < real; ++i)
        take(ids[i], people[i]);
    std::uniform_int_distribution<qsizetype> anyPerson(0, people.size() - 1);
    std::uniform_int_distribution<int> anyDay(0, 40000);
    std::uniform_int_distribution<int> oneIn3(0, 2);
    const QDate firstDay(1900, 1, 1);
    for (qsizetype i = real; i < total; ++i) {
        QStringList values;
        values.reserve(kFields.size());
        for (qsizetype f = 0; f < kFields.size(); ++f)
            values.append(people[anyPerson(rng)][f]);
        values[8] = firstDay.addDays(anyDay(rng)).toString(QStringLiteral("yyyyMMdd"));
        if (oneIn3(rng) == 0)
            values[oneIn3(rng) == 0 ? 0 : 1] = typo(values[oneIn3(rng) == 0 ? 0 : 1], rng);
        take(QStringLiteral("syn-%1").arg(i), values);
    }
}

std::shared_ptr<RecordIndex> buildIndex(const QList<QStringList> &people, const QStringList &ids, qsizetype total,
                                        std::mt19937 &rng, BuildTimes &times)
{
    auto index = std::make_shared<RecordIndex>(kFields, benchKeys());
    index->reserve(total);
    QElapsedTimer phase;
    forEachPerson(people, ids, total, rng, [&](const QString &id, const QStringList &values) {
        phase.start();
        index->addRaw(id, values);
        times.adding += phase.nsecsElapsed();
    });
    phase.start();
    index->finishAdding();
    times.sorting = phase.nsecsElapsed();
    return index;
}

// Writes the bench's people as a CSV export (rec_id and the fields, every value quoted),
// for --csv to read back; false when the file cannot be written.
bool writeCsv(const QString &path, const QList<QStringList> &people, const QStringList &ids, qsizetype total, std::mt19937 &rng)
{
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate))
        return false;
    QStringList header{QStringLiteral("rec_id")};
    for (const FieldSpec &f : kFields)
        header.append(f.name);
    file.write(header.join(u',').toUtf8() + '\n');
    auto quoted = [](QString value) {
        value.replace(u'"', QStringLiteral("\"\""));
        value.prepend(u'"');
        value.append(u'"');
        return value;
    };
    forEachPerson(people, ids, total, rng, [&](const QString &id, const QStringList &values) {
        QStringList line{quoted(id)};
        for (const QString &value : values)
            line.append(quoted(value));
        file.write(line.join(u',').toUtf8() + '\n');
    });
    return file.error() == QFileDevice::NoError;
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QStringList args = app.arguments().mid(1);
    auto option = [&](const QString &name, qsizetype fallback) {
        const qsizetype at = args.indexOf(name);
        if (at < 0 || at + 1 >= args.size())
            return fallback;
        const qsizetype value = args[at + 1].toLongLong();
        args.remove(at, 2);
        return value;
    };
    auto textOption = [&](const QString &name) {
        const qsizetype at = args.indexOf(name);
        const QString value = at >= 0 ? args.value(at + 1) : QString();
        if (at >= 0)
            args.remove(at, std::min<qsizetype>(2, args.size() - at));
        return value;
    };
    const QString csv = textOption(QStringLiteral("--csv"));
    const QString writeTo = textOption(QStringLiteral("--write-csv"));
    const qsizetype total = option(QStringLiteral("--records"), 1000000);
    const qsizetype queryLimit = option(QStringLiteral("--queries"), 3500);
    const unsigned seed = static_cast<unsigned>(option(QStringLiteral("--seed"), 1));
    if (args.size() != 2) {
        QTextStream(stderr) << "usage: match_bench FEBRL4A FEBRL4B [--records N] [--queries N] [--seed S] [--write-csv PEOPLE | --csv PEOPLE]\n";
        return 2;
    }
    auto a = CsvTable::read(args[0]);
    auto b = CsvTable::read(args[1]);
    if (!a || !b) {
        QTextStream(stderr) << "match_bench: " << (!a ? a.error().toString() : b.error().toString()) << "\n";
        return 1;
    }
    QStringList idsA, idsB;
    const QList<QStringList> people = rowsOf(*a, idsA);
    const QList<QStringList> queries = rowsOf(*b, idsB);

    if (!writeTo.isEmpty()) {
        std::mt19937 rng(seed);
        if (!writeCsv(writeTo, people, idsA, total, rng)) {
            QTextStream(stderr) << "match_bench: cannot write " << writeTo << "\n";
            return 1;
        }
        out() << "wrote " << total << " people to " << writeTo << "\n";
        return 0;
    }
    std::mt19937 rng(seed);
    if (!csv.isEmpty()) {
        // The random draws the people were made with, so the model is fitted on the same
        // random pairs as when the bench makes them.
        forEachPerson(people, idsA, total, rng, [](const QString &, const QStringList &) {});
    }
    const Memory beforeBuild = memory();
    QElapsedTimer timer;
    timer.start();
    BuildTimes times;
    const std::shared_ptr<RecordIndex> index = csv.isEmpty() ? buildIndex(people, idsA, total, rng, times) : loadIndex(csv);
    if (!index)
        return 1;
    const qint64 buildMs = timer.restart();
    const Memory afterBuild = memory();

    QList<MatchRecord> queryRecords;
    QStringList trueIds;
    for (qsizetype i = 0; i < queries.size() && i < queryLimit; ++i) {
        queryRecords.append(MatchRecord::fromRaw(idsB[i], kFields, queries[i]));
        const QStringList parts = idsB[i].split(u'-');
        trueIds.append(QStringLiteral("rec-%1-org").arg(parts.value(1)));
    }

    // The model, fitted as `clerk eval --estimate` fits it.
    QList<FieldModel> fields;
    for (const FieldSpec &f : kFields)
        fields.append(defaultFieldModel(f.name, f.comparator));
    MatchModel model(fields, 0.01);
    QList<ComparisonVector> randomPairs, allPairs;
    std::uniform_int_distribution<qsizetype> anyQuery(0, queryRecords.size() - 1);
    std::uniform_int_distribution<qsizetype> anyRecord(0, index->size() - 1);
    for (int i = 0; i < 200000; ++i)
        randomPairs.append(model.compare(queryRecords[anyQuery(rng)], index->record(anyRecord(rng))));
    QList<BlockedPairs> perKey;
    for (qsizetype k = 0; k < index->keys().size(); ++k) {
        BlockedPairs block;
        for (const BlockingKey::Part &part : index->keys()[k].parts)
            block.blockedFields.append(part.field);
        for (const MatchRecord &query : queryRecords) {
            for (std::uint32_t position : index->candidatePositions(query, k))
                block.pairs.append(model.compare(query, index->record(position)));
        }
        allPairs.append(block.pairs);
        out() << "key " << index->keys()[k].toString(kFields) << ": "
              << QString::number(static_cast<double>(block.pairs.size()) / static_cast<double>(queryRecords.size()), 'f', 1)
              << " candidates per query\n";
        perKey.append(std::move(block));
    }
    auto withU = withUFromRandomPairs(model, randomPairs);
    auto fitted = withU ? estimateByBlockedEm(*withU, perKey, allPairs) : Result<EmResult>(std::unexpected(withU.error()));
    if (!fitted) {
        QTextStream(stderr) << "match_bench: " << fitted.error().toString() << "\n";
        return 1;
    }
    const qint64 fitMs = timer.restart();

    const MatchThresholds thresholds{0.99, 0.5, 0.1};
    const Matcher matcher(fitted->model, index, thresholds, 5);
    std::vector<double> latencies;
    QList<QueryResult> results;
    qsizetype candidates = 0;
    QElapsedTimer one;
    timer.restart();
    for (qsizetype q = 0; q < queryRecords.size(); ++q) {
        one.start();
        auto decision = matcher.match(queryRecords[q]);
        latencies.push_back(static_cast<double>(one.nsecsElapsed()) / 1e6);
        if (!decision)
            continue;
        candidates += decision->candidatesSeen;
        results.append(toQueryResult(*decision, trueIds[q], true));
    }
    const double bulkMs = static_cast<double>(timer.nsecsElapsed()) / 1e6;
    const MatchMetrics metrics = evaluateMatches(results, thresholds);

    const QString built = csv.isEmpty() ? QStringLiteral("%1 real, the rest synthetic), built in %2 ms (adding: normalising and filing %3 ms, "
                                                         "sorting %4 ms, the rest making the synthetic people)")
                                              .arg(people.size())
                                              .arg(buildMs)
                                              .arg(times.adding / 1000000)
                                              .arg(times.sorting / 1000000)
                                        : QStringLiteral("read from %1 by RecordIndex::loadCsv in %2 ms)").arg(csv).arg(buildMs);
    out() << "index: " << index->size() << " records (" << built << "; model fitted in " << fitMs << " ms\n"
          << "memory: the index " << megabytes(afterBuild.residentMb - beforeBuild.residentMb) << " resident after the build ("
          << megabytes(afterBuild.peakMb - beforeBuild.residentMb) << " at its peak while building); the process "
          << megabytes(beforeBuild.residentMb) << " before the build, peak " << megabytes(memory().peakMb) << "\n"
          << "queries: " << queryRecords.size() << ", " << QString::number(static_cast<double>(candidates) / static_cast<double>(std::max<qsizetype>(1, queryRecords.size())), 'f', 1)
          << " candidates each\n"
          << "latency per query (one core): p50 " << QString::number(percentile(latencies, 0.5), 'f', 3) << " ms, p99 "
          << QString::number(percentile(latencies, 0.99), 'f', 3) << " ms, max "
          << QString::number(percentile(latencies, 1.0), 'f', 3) << " ms\n"
          << "bulk: " << QString::number(1000.0 * static_cast<double>(queryRecords.size()) / bulkMs, 'f', 0) << " queries/s\n"
          << "accepted without a person: " << QString::number(100 * metrics.autoShare, 'f', 2) << "% of true matches, precision "
          << QString::number(100 * metrics.autoPrecision, 'f', 2) << "%; F1 of the best candidate " << QString::number(metrics.f1, 'f', 4)
          << "\n";
    out().flush();
    return 0;
}
