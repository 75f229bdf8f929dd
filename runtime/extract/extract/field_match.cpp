#include "extract/field_match.h"

#include <array>
#include <utility>

namespace clerk::extract {

namespace {

constexpr std::array<std::pair<FieldType, const char *>, 8> kNames{{
    {FieldType::UkPostcode, "uk_postcode"},
    {FieldType::NhsNumber, "nhs_number"},
    {FieldType::NiNumber, "ni_number"},
    {FieldType::Date, "date"},
    {FieldType::Email, "email"},
    {FieldType::UkPhone, "uk_phone"},
    {FieldType::Reference, "reference"},
    {FieldType::Name, "name"},
}};

} // namespace

QString toString(FieldType type)
{
    for (const auto &[t, name] : kNames) {
        if (t == type)
            return QString::fromLatin1(name);
    }
    return {};
}

std::optional<FieldType> fieldTypeFromString(const QString &name)
{
    for (const auto &[t, n] : kNames) {
        if (name == QLatin1String(n))
            return t;
    }
    return std::nullopt;
}

QStringList fieldTypeNames()
{
    QStringList names;
    for (const auto &entry : kNames)
        names.append(QString::fromLatin1(entry.second));
    return names;
}

} // namespace clerk::extract
