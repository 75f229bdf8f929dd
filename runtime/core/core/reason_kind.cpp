#include "core/reason_kind.h"

#include <array>
#include <utility>

namespace clerk {

namespace {

struct KindNames {
    ReasonKind kind;
    const char *name;
    const char *label;
};

constexpr std::array<KindNames, 9> kKinds{{
    {ReasonKind::LowConfidence, "low_confidence", "not sure"},
    {ReasonKind::Unreadable, "unreadable", "unreadable"},
    {ReasonKind::MissingValue, "missing_value", "missing value"},
    {ReasonKind::NoMatch, "no_match", "no match"},
    {ReasonKind::Refused, "refused", "refused by the case system"},
    {ReasonKind::AlwaysPerson, "always_person", "always a person"},
    {ReasonKind::QualityCheck, "quality_check", "quality check"},
    {ReasonKind::Shadow, "shadow", "shadow trial"},
    {ReasonKind::Other, "other", "other"},
}};

const KindNames &entry(ReasonKind kind)
{
    for (const KindNames &names : kKinds) {
        if (names.kind == kind)
            return names;
    }
    return kKinds.back();
}

} // namespace

QString toString(ReasonKind kind)
{
    return QString::fromLatin1(entry(kind).name);
}

QString label(ReasonKind kind)
{
    return QString::fromLatin1(entry(kind).label);
}

std::optional<ReasonKind> reasonKindFromString(const QString &name)
{
    for (const KindNames &names : kKinds) {
        if (name == QLatin1String(names.name))
            return names.kind;
    }
    return std::nullopt;
}

QStringList reasonKindNames()
{
    QStringList names;
    for (const KindNames &kind : kKinds)
        names.append(QString::fromLatin1(kind.name));
    return names;
}

} // namespace clerk
