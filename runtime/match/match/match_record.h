// One record to match: its id and its field values, normalised (comparators.h) and in
// the order of the model's fields. A query is a MatchRecord without an id.
#pragma once

#include "match/comparators.h"

#include <QList>
#include <QString>
#include <QStringList>

namespace clerk::match {

struct FieldSpec {
    QString name{};
    ComparatorKind comparator = ComparatorKind::Exact;
};

struct MatchRecord {
    QString id{};
    QStringList values{};  // normalised; "" = missing

    // Normalises raw values (one per spec, in order) with each field's comparator.
    static MatchRecord fromRaw(const QString &id, const QList<FieldSpec> &fields, const QStringList &raw);
};

} // namespace clerk::match
