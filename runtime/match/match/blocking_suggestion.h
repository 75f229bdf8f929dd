// Choosing blocking keys from data: for queries whose true record is known (an
// evaluation set), how many true pairs each candidate key brings together (its recall)
// and how many record comparisons it costs, and a greedy union of keys that reaches a
// recall target within a bound on comparisons. `clerk eval --suggest-blocking` prints it
// in the bot's blocking syntax.
//
// Candidate keys come from the fields' comparators: each transform a field's kind allows
// (names: value, phonetic, phonetic_last, initial; dates: value, year, month_day;
// postcodes: value, sector, district; free text: value, phonetic; identifiers: value),
// alone and paired with a transform of another field.
//
// Comparisons are counted as the index would make them: a query's bucket larger than the
// index's max_block_size brings nothing, so it neither costs nor finds.
//
// Thread-safety: pure functions over values.
#pragma once

#include "match/evaluation_run.h"

#include <QJsonObject>

namespace clerk::match {

struct KeyRecall {
    BlockingKey key{};
    QString text{};            // in the bot's blocking syntax
    qsizetype found = 0;       // true pairs the key brings together
    double recall = 0;         // found / true pairs
    qint64 comparisons = 0;    // record comparisons over all queries
    double perQuery = 0;       // comparisons / queries
};

struct BlockingSuggestionOptions {
    double recallTarget = 0.99;
    double maxComparisonsPerQuery = 500;  // the bound on the chosen union (and on each key)
    int maxKeys = 24;
    // What one more key costs, in comparisons per query (each key is another lookup and
    // another copy of the index's positions): the greedy step takes the key with the most
    // new true pairs per comparison, counting this cost too, so it neither piles up many
    // tiny keys nor jumps to one huge one.
    double keyCostPerQuery = 5.0;
};

struct BlockingSuggestion {
    qsizetype queries = 0;
    qsizetype truePairs = 0;          // queries whose true record is in the index
    QList<KeyRecall> keys;            // every candidate key, best recall first
    QList<KeyRecall> chosen;          // the greedy union in the order chosen; found/recall are cumulative
    KeyRecall current;                // the step's own keys together (text: "current")
    KeyRecall suggested;              // the chosen keys together, measured as an index would block
    bool targetReached = false;

    QJsonObject toJson() const;
    // The chosen keys as a bot's `blocking:` value: ["dob", "phonetic(surname)+year(dob)", ...].
    QString blockingYaml() const;
};

// Candidate keys for these fields (see above), singles first.
QList<BlockingKey> candidateBlockingKeys(const QList<FieldSpec> &fields);

// Measures every candidate key on `set` and greedily picks, each time, the key adding the
// most true pairs not yet found among those whose comparisons still fit the bound (ties:
// fewer comparisons), until the target is reached, nothing adds, or maxKeys are chosen.
BlockingSuggestion suggestBlocking(const EvaluationSet &set, int maxBlockSize,
                                   const BlockingSuggestionOptions &options = {});

} // namespace clerk::match
