#include "match/comparators.h"
#include "match/match_settings.h"
#include "match/name_variants.h"

#include "match_test_support.h"

#include <gtest/gtest.h>

#include <QJsonObject>

using namespace clerk::match;

namespace {

struct Case {
    ComparatorKind kind;
    const char16_t *a;
    const char16_t *b;
    ComparisonLevel level;
};

} // namespace

TEST(ComparatorsTest, LevelsFollowTheTable)
{
    using K = ComparatorKind;
    using L = ComparisonLevel;
    const Case cases[] = {
        {K::Exact, u"NSW", u"nsw", L::Exact},
        {K::Exact, u"nsw", u"vic", L::Different},
        {K::Exact, u"", u"vic", L::Missing},
        {K::Levenshtein, u"stanley street", u"stanley streat", L::Close},
        {K::Levenshtein, u"pinkerton", u"pinkertonxxx", L::Partial},
        {K::Levenshtein, u"pinkerton", u"abc", L::Different},
        {K::JaroWinkler, u"martha", u"marhta", L::Close},
        {K::JaroWinkler, u"dwayne", u"duane", L::Weak},
        {K::Name, u"O'Neill", u"oneill", L::Exact},
        {K::Name, u"José", u"Jose", L::Exact},
        {K::Name, u"michaela", u"micheala", L::Close},
        {K::Name, u"smith", u"smyth", L::Partial},
        {K::Name, u"catherine", u"kathryn", L::Different},
        {K::Name, u"smith", u"jones", L::Different},
        {K::Name, u"Smith-Jones", u"jones smith", L::Close},       // a double surname the other way round
        {K::Name, u"Tweedie", u"Alec-Tweedie", L::Partial},        // one part of a hyphenated surname
        {K::Name, u"Lloyd George", u"george", L::Partial},
        {K::Name, u"Ann", u"Mary Ann Li", L::Partial},
        {K::Name, u"li", u"mary ann li", L::Different},           // too short a word to count
        {K::Name, u"mary ann", u"ann smith", L::Different},       // sharing one word of two is not enough
        {K::Date, u"1965-10-13", u"19651013", L::Exact},
        {K::Date, u"13/10/1965", u"1965-10-13", L::Exact},
        {K::Date, u"19650210", u"19651002", L::Close},  // day/month swapped
        {K::Date, u"19651013", u"19651018", L::Close},  // one digit
        {K::Date, u"19651013", u"19561013", L::Close},  // adjacent digits swapped
        {K::Date, u"19651013", u"19651125", L::Weak},
        {K::Date, u"19651013", u"19650525", L::Weak},
        {K::Date, u"19651013", u"19650313", L::Partial},
        {K::Date, u"19651013", u"19650113", L::Close},  // "10" and "01": adjacent swap
        {K::Date, u"19651013", u"19720301", L::Different},
        {K::Postcode, u"SW1A 1AA", u"sw1a1aa", L::Exact},
        {K::Postcode, u"SW1A 1AA", u"SW1A 1BB", L::Close},
        {K::Postcode, u"SW1A 1AA", u"SW1A 2AA", L::Partial},
        {K::Postcode, u"SW1A 1AA", u"SW3 4QQ", L::Weak},
        {K::Postcode, u"SW1A 1AA", u"M1 1AE", L::Different},
        {K::Postcode, u"4223", u"4224", L::Close},   // not UK: one edit
        {K::Postcode, u"4223", u"4299", L::Weak},    // same first two
        {K::Postcode, u"4223", u"2000", L::Different},
        {K::NhsNumber, u"943 476 5919", u"9434765919", L::Exact},
        {K::NhsNumber, u"9434765919", u"9434765870", L::Different},  // both valid, different people
        {K::NhsNumber, u"9434765919", u"9434765918", L::Close},      // a typo fails the check digit
        {K::NhsNumber, u"9434765919", u"1234567890", L::Missing},    // invalid and far: no evidence
        {K::Identifier, u"5304218", u"5304218", L::Exact},
        {K::Identifier, u"5304218", u"5304219", L::Close},
        {K::Identifier, u"5304218", u"1111111", L::Different},
    };
    for (const Case &c : cases) {
        const QString a = normaliseValue(c.kind, QStringView(c.a));
        const QString b = normaliseValue(c.kind, QStringView(c.b));
        EXPECT_EQ(toString(compare(c.kind, a, b)), toString(c.level))
            << toString(c.kind).toStdString() << ": " << QString::fromUtf16(c.a).toStdString() << " / "
            << QString::fromUtf16(c.b).toStdString();
        EXPECT_TRUE(comparatorUsesLevel(c.kind, c.level) || c.level == ComparisonLevel::Missing);
    }
}

TEST(ComparatorsTest, NormalisesDatesNamesAndPostcodes)
{
    EXPECT_EQ(normaliseValue(ComparatorKind::Date, u"3/7/1980"), QStringLiteral("19800703"));
    EXPECT_EQ(normaliseValue(ComparatorKind::Date, u"1980-07-03"), QStringLiteral("19800703"));
    EXPECT_EQ(normaliseValue(ComparatorKind::Date, u" "), QString());
    EXPECT_EQ(normaliseValue(ComparatorKind::Name, u"  Mary-Jane  O'Brien "), QStringLiteral("mary jane obrien"));
    EXPECT_EQ(normaliseValue(ComparatorKind::Postcode, u"sw1a 1aa"), QStringLiteral("SW1A1AA"));
    EXPECT_TRUE(isCompleteDate(u"20000229"));
    EXPECT_FALSE(isCompleteDate(u"19000229"));
    EXPECT_EQ(dateYear(u"19800703").toString(), QStringLiteral("1980"));
}

TEST(ComparatorsTest, ParsesUkPostcodeParts)
{
    const struct {
        const char16_t *text;
        const char *area, *district, *sector;
    } good[] = {
        {u"SW1A1AA", "SW", "SW1A", "SW1A 1"}, {u"M11AE", "M", "M1", "M1 1"},
        {u"B338TH", "B", "B33", "B33 8"},     {u"CR26XH", "CR", "CR2", "CR2 6"},
        {u"DN551PT", "DN", "DN55", "DN55 1"},
    };
    for (const auto &c : good) {
        const UkPostcode p = parseUkPostcode(c.text);
        ASSERT_TRUE(p.isValid()) << QString::fromUtf16(c.text).toStdString();
        EXPECT_EQ(p.area, QLatin1String(c.area));
        EXPECT_EQ(p.district, QLatin1String(c.district));
        EXPECT_EQ(p.sector, QLatin1String(c.sector));
    }
    for (const char16_t *bad : {u"4223", u"SW1A1A", u"1SW1AA", u"SWXA1AA", u"ABC12DEF"})
        EXPECT_FALSE(parseUkPostcode(bad).isValid()) << QString::fromUtf16(bad).toStdString();
}

TEST(ComparatorsTest, ChecksNhsNumbersByModulusEleven)
{
    EXPECT_TRUE(isValidNhsNumber(u"9434765919"));
    EXPECT_TRUE(isValidNhsNumber(u"9434765870"));
    EXPECT_FALSE(isValidNhsNumber(u"9434765918"));
    EXPECT_FALSE(isValidNhsNumber(u"943476591"));
    EXPECT_FALSE(isValidNhsNumber(u"94347659A9"));
}

TEST(ComparatorsTest, KnowsItsNamesAndRejectsOthers)
{
    for (const QString &name : comparatorKindNames()) {
        auto kind = parseComparatorKind(name);
        ASSERT_TRUE(kind.has_value());
        EXPECT_EQ(toString(*kind), name);
    }
    auto bad = parseComparatorKind(QStringLiteral("soundex"));
    ASSERT_FALSE(bad.has_value());
    EXPECT_TRUE(bad.error().message().contains(QStringLiteral("jaro_winkler")));
}

// With short_forms, usual short forms of English forenames are the same name written
// another way; without, they stay different names.
TEST(ComparatorsTest, ShortFormsOfAForenameAreClose)
{
    const auto name = [](const char *a, const char *b, bool shortForms = true) {
        return compare(ComparatorKind::Name, normaliseValue(ComparatorKind::Name, QString::fromLatin1(a)),
                       normaliseValue(ComparatorKind::Name, QString::fromLatin1(b)), shortForms);
    };
    EXPECT_EQ(name("Harry", "Henry"), ComparisonLevel::Close);
    EXPECT_EQ(name("Bill", "William"), ComparisonLevel::Close);
    EXPECT_EQ(name("margaret", "Peggy"), ComparisonLevel::Close);
    EXPECT_EQ(name("Bert", "Herbert"), ComparisonLevel::Close);
    EXPECT_EQ(name("Bert", "Albert"), ComparisonLevel::Close);
    // Two full names sharing a short form are not one name.
    EXPECT_EQ(name("Albert", "Herbert"), ComparisonLevel::Different);
    EXPECT_EQ(name("Alfred", "Frederick"), ComparisonLevel::Different);
    EXPECT_EQ(name("Harry", "Hugh"), ComparisonLevel::Different);
    EXPECT_EQ(name("Harry", "Henry", false), ComparisonLevel::Different);
    EXPECT_EQ(name("Bill", "William", false), ComparisonLevel::Different);
    EXPECT_TRUE(areNameVariants(u"ned", u"edward"));
    EXPECT_FALSE(areNameVariants(u"edward", u"edward"));
    EXPECT_FALSE(areNameVariants(u"smith", u"edward"));
    // Other comparators do not use it.
    EXPECT_EQ(compare(ComparatorKind::JaroWinkler, u"harry", u"henry"), ComparisonLevel::Different);
}

// A step's `short_forms: true` on a name field reaches the model's comparison.
TEST(ComparatorsTest, ShortFormsAreSwitchedPerFieldByTheStep)
{
    const auto settingsWith = [](bool shortForms) {
        QJsonObject forename{{QStringLiteral("comparator"), QStringLiteral("name")}};
        if (shortForms)
            forename.insert(QStringLiteral("short_forms"), true);
        const QJsonObject params{{QStringLiteral("fields"),
                                  QJsonObject{{QStringLiteral("forename"), forename},
                                              {QStringLiteral("surname"), QJsonObject{{QStringLiteral("comparator"), QStringLiteral("name")}}}}}};
        return MatchSettings::fromParams(params, {});
    };
    for (bool on : {false, true}) {
        auto settings = settingsWith(on);
        ASSERT_TRUE(settings.has_value());
        const MatchModel &model = settings->model;
        const int forename = model.fieldIndex(QStringLiteral("forename"));
        EXPECT_EQ(model.fields()[forename].shortForms, on);
        const auto record = [&](const char *first) {
            QStringList values(model.fieldCount());
            values[forename] = QString::fromLatin1(first);
            values[model.fieldIndex(QStringLiteral("surname"))] = QStringLiteral("Smith");
            return MatchRecord::fromRaw(QStringLiteral("r"), model.fieldSpecs(), values);
        };
        const ComparisonVector levels = model.compare(record("Harry"), record("Henry"));
        EXPECT_EQ(levels[static_cast<size_t>(forename)], on ? ComparisonLevel::Close : ComparisonLevel::Different);
        EXPECT_EQ(model.toJson().value(QStringLiteral("fields")).toObject().value(QStringLiteral("forename")).toObject().contains(QStringLiteral("short_forms")), on);
    }
}
