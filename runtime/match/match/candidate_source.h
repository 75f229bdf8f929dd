// Where a match step's candidates come from: the extension point between matching and
// the systems that hold the records.
//
// The in-memory RecordIndex (record_index.h) is one source; a case system's search API
// is another: it renders its search request from the query, maps the response to
// records, and normalises each value with the field's comparator
// (MatchRecord::fromRaw), in the order of fields().
//
// @code
//   class CaseSystemSearch final : public CandidateSource {
//   public:
//       CaseSystemSearch(QList<FieldSpec> fields, Client client) : ... {}
//       const QList<FieldSpec> &fields() const override { return m_fields; }
//       Result<QList<MatchRecord>> candidates(const MatchRecord &query) const override {
//           auto rows = m_client.search(query.values[surnameIndex], ...);  // raw records
//           if (!rows) return fail(rows.error());   // Unavailable/Timeout: the step retries later
//           QList<MatchRecord> out;
//           for (const auto &row : *rows)
//               out.append(MatchRecord::fromRaw(row.id, m_fields, row.valuesInFieldOrder));
//           return out;
//       }
//   };
// @endcode
//
// Thread-safety: candidates() is const and is called from several worker threads at once.
#pragma once

#include "core/error.h"
#include "match/match_record.h"

#include <QList>

namespace clerk::match {

class CandidateSource {
public:
    virtual ~CandidateSource() = default;

    // The fields every returned record carries, in order. A Matcher requires them to be
    // the model's fields.
    virtual const QList<FieldSpec> &fields() const = 0;

    // Records that might be the query's person (values normalised, in fields() order),
    // in any order; duplicates by id are allowed (the matcher keeps one). An empty list
    // means no candidate. Errors: Unavailable or Timeout when the source cannot be asked
    // now (the step retries later), others fail the item.
    virtual Result<QList<MatchRecord>> candidates(const MatchRecord &query) const = 0;
};

} // namespace clerk::match
