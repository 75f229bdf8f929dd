// English forenames and their usual short forms ("william", "will", "bill", "billy"):
// the `name` comparator takes two names of one group as the same name written another way
// (comparators.h). The groups are the common English diminutives, not learnt from data;
// a short form may belong to several names ("bert": albert, herbert, robert, ...).
//
// Thread-safety: pure; the table is built once on first use.
#pragma once

#include <QStringView>

namespace clerk::match {

// True when the two cleaned names (lower case, comparators' normaliseValue) differ and are
// in one group, e.g. "harry" and "henry", "peggy" and "margaret".
bool areNameVariants(QStringView a, QStringView b);

} // namespace clerk::match
