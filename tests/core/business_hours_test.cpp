#include "core/business_hours.h"

#include "test_support.h"

#include <gtest/gtest.h>

namespace clerk {
namespace {

struct HoursCase {
    const char *window;
    const char *instant;  // ISO, UTC
    bool inside;
};

class BusinessHoursTest : public ::testing::TestWithParam<HoursCase> {};

TEST_P(BusinessHoursTest, Contains)
{
    const HoursCase &c = GetParam();
    auto hours = BusinessHours::parse(QString::fromLatin1(c.window), QTimeZone("Europe/London"));
    ASSERT_OK(hours);
    const QDateTime instant = QDateTime::fromString(QString::fromLatin1(c.instant), Qt::ISODate);
    EXPECT_EQ(hours->contains(instant), c.inside) << c.window << " at " << c.instant;
}

// 2026-03-02 is a Monday (GMT); 2026-07-06 is a Monday (BST, UTC+1).
INSTANTIATE_TEST_SUITE_P(
    Windows, BusinessHoursTest,
    ::testing::Values(HoursCase{"Mon-Fri 08:00-18:00", "2026-03-02T08:00:00Z", true},
                      HoursCase{"Mon-Fri 08:00-18:00", "2026-03-02T07:59:00Z", false},
                      HoursCase{"Mon-Fri 08:00-18:00", "2026-03-02T17:59:00Z", true},
                      HoursCase{"Mon-Fri 08:00-18:00", "2026-03-02T18:00:00Z", false},
                      HoursCase{"Mon-Fri 08:00-18:00", "2026-03-07T12:00:00Z", false},  // Saturday
                      HoursCase{"Mon-Fri 08:00-18:00", "2026-07-06T07:30:00Z", true},   // 08:30 BST
                      HoursCase{"Mon-Fri 08:00-18:00", "2026-07-06T17:30:00Z", false},  // 18:30 BST
                      HoursCase{"mon,wed 09:00-12:30", "2026-03-04T12:29:00Z", true},
                      HoursCase{"mon,wed 09:00-12:30", "2026-03-03T10:00:00Z", false},
                      HoursCase{"Fri-Mon 00:00-24:00", "2026-03-08T23:59:00Z", true},    // Sunday
                      HoursCase{"Fri-Mon 00:00-24:00", "2026-03-04T10:00:00Z", false},   // Wednesday
                      HoursCase{"Sat 09:00-24:00", "2026-03-07T23:59:00Z", true}));

TEST(BusinessHoursParseTest, RejectsMalformedWindows)
{
    for (const char *text : {"", "Mon-Fri", "Mon-Fri 18:00-08:00", "Funday 08:00-18:00", "Mon-Fri 25:00-26:00",
                             "Mon-Tue-Wed 08:00-09:00"})
        EXPECT_FALSE(BusinessHours::parse(QString::fromLatin1(text), QTimeZone("Europe/London")).has_value()) << text;
}

} // namespace
} // namespace clerk
