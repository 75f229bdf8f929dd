// Table-driven accept/reject tests for each field extractor.
#include "extract/extractors.h"

#include <gtest/gtest.h>

using namespace clerk::extract;

namespace {

struct Accept {
    const char *text;
    const char *value;      // the normalised value of the first valid candidate
    bool corrected = false; // confidence lowered by an OCR correction
};

// The first valid candidate, or an empty match.
FieldMatch firstValid(const QList<FieldMatch> &matches)
{
    for (const FieldMatch &m : matches) {
        if (m.valid)
            return m;
    }
    return {};
}

bool anyValid(const QList<FieldMatch> &matches)
{
    return std::any_of(matches.begin(), matches.end(), [](const FieldMatch &m) { return m.valid; });
}

template <typename Find>
void expectAccepted(const std::initializer_list<Accept> &cases, Find find)
{
    for (const Accept &c : cases) {
        const QString text = QString::fromUtf8(c.text);
        const FieldMatch match = firstValid(find(text));
        EXPECT_TRUE(match.valid) << c.text;
        EXPECT_EQ(match.value.toStdString(), std::string(c.value)) << c.text;
        if (!match.valid)
            continue;
        EXPECT_EQ(match.raw, text.mid(match.offset, match.raw.size())) << c.text;
        if (c.corrected) {
            EXPECT_LT(match.confidence, 0.8) << c.text;
            EXPECT_TRUE(match.reasons.join(QLatin1Char(' ')).contains(QStringLiteral("OCR"))) << c.text;
        } else {
            EXPECT_GE(match.confidence, 0.8) << c.text;
        }
    }
}

template <typename Find>
void expectRejected(const std::initializer_list<const char *> &cases, Find find)
{
    for (const char *c : cases) {
        const QList<FieldMatch> matches = find(QString::fromUtf8(c));
        EXPECT_FALSE(anyValid(matches)) << c << " -> " << firstValid(matches).value.toStdString();
    }
}

} // namespace

TEST(UkPostcodeTest, AcceptsEveryFormatAndNormalises)
{
    expectAccepted({{"M1 1AE", "M1 1AE"},
                    {"B33 8TH", "B33 8TH"},
                    {"W1A 0AX", "W1A 0AX"},
                    {"CR2 6XH", "CR2 6XH"},
                    {"DN55 1PT", "DN55 1PT"},
                    {"EC1A 1BB", "EC1A 1BB"},
                    {"GIR 0AA", "GIR 0AA"},
                    {"Leeds LS1 4AP", "LS1 4AP"},
                    {"LS14AP", "LS1 4AP"},
                    {"ls1 4ap", "LS1 4AP"},
                    {"Postcode: SW1A 2AA.", "SW1A 2AA"},
                    {"to LS1 4AP today", "LS1 4AP"}},
                   findUkPostcodes);
}

TEST(UkPostcodeTest, CorrectsOcrConfusionsAtALowerConfidence)
{
    expectAccepted({{"LSl 4AP", "LS1 4AP", true},
                    {"B33 BTH", "B33 8TH", true},
                    {"SWlA 2AA", "SW1A 2AA", true},
                    {"M1 lAE", "M1 1AE", true},
                    {"L5 1AA", "L5 1AA"}},  // L5 is a real district: read as written, no correction
                   findUkPostcodes);
}

TEST(UkPostcodeTest, RejectsWhatIsNotAPostcode)
{
    expectRejected({"QQ1 4AP",      // no such area
                    "XY12 3AB",     // no such area
                    "LS1 4CP",      // C is not used in the inward code
                    "LSl l5P",      // three OCR corrections are too many
                    "LS1 4A",       // too short
                    "the cat sat",  // ordinary words
                    "so 1st class", // lower-case words are not read through OCR corrections
                    "ISSUE 3 ABOUT"},
                   findUkPostcodes);
}

TEST(NhsNumberTest, AcceptsValidCheckDigits)
{
    expectAccepted({{"943 476 5919", "9434765919"},
                    {"9434765919", "9434765919"},
                    {"NHS No: 401 023 2137.", "4010232137"},
                    {"485-777-3457", "4857773457"},
                    {"(738 291 0466)", "7382910466"},
                    {"450 557 71O4", "4505577104", true},
                    {"94347 65919", "9434765919"}},
                   findNhsNumbers);
}

TEST(NhsNumberTest, ComputesTheModulus11CheckDigit)
{
    EXPECT_TRUE(isValidNhsNumber(QStringLiteral("9434765919")));
    EXPECT_TRUE(isValidNhsNumber(QStringLiteral("6000000006")));
    EXPECT_FALSE(isValidNhsNumber(QStringLiteral("9434765918")));
    EXPECT_FALSE(isValidNhsNumber(QStringLiteral("1234567890")));  // check digit would be 10
    EXPECT_FALSE(isValidNhsNumber(QStringLiteral("943476591")));
}

TEST(NhsNumberTest, RejectsBadCheckDigitsButKeepsThemAsCandidates)
{
    expectRejected({"943 476 5918", "123 456 7890", "111 111 1111", "0113 496 0000", "94347659191", "943 476 591",
                    "+44 113 496 0000", "+44 (0)7700 900456", "(0113) 496 0000"},
                   findNhsNumbers);
    const QList<FieldMatch> found = findNhsNumbers(QStringLiteral("NHS number 943 476 5918"));
    ASSERT_EQ(found.size(), 1);
    EXPECT_FALSE(found[0].valid);
    EXPECT_EQ(found[0].confidence, 0.0);
    EXPECT_EQ(found[0].value, QStringLiteral("9434765918"));
    EXPECT_EQ(found[0].raw, QStringLiteral("943 476 5918"));
    EXPECT_EQ(found[0].reasons, QStringList{QStringLiteral("check digit does not match")});
}

TEST(NiNumberTest, AcceptsIssuedPrefixesAndNormalises)
{
    expectAccepted({{"AB123456C", "AB 12 34 56 C"},
                    {"ab 12 34 56 c", "AB 12 34 56 C"},
                    {"NI No: JG 10 37 59 A", "JG 10 37 59 A"},
                    {"CE 12 34 56 D", "CE 12 34 56 D"},
                    {"AB 12 34 5B C", "AB 12 34 58 C", true},
                    {"0A 12 34 56 B", "OA 12 34 56 B", true}},
                   findNiNumbers);
}

TEST(NiNumberTest, RejectsPrefixesThatAreNotIssued)
{
    expectRejected({"DA 12 34 56 A", "FA123456A", "AI 12 34 56 A", "QQ 12 34 56 C", "AU 12 34 56 A", "AV 12 34 56 B",
                    "AO 12 34 56 A", "BG 12 34 56 A", "GB 12 34 56 A", "NK 12 34 56 A", "KN 12 34 56 A",
                    "TN 12 34 56 A", "NT 12 34 56 A", "ZZ 12 34 56 A", "AB 12 34 56 E", "AB 12 34 5 A",
                    "12 34 56 78"},
                   findNiNumbers);
    const QList<FieldMatch> found = findNiNumbers(QStringLiteral("NINO: GB 12 34 56 A"));
    ASSERT_EQ(found.size(), 1);
    EXPECT_EQ(found[0].reasons, QStringList{QStringLiteral("the prefix is not issued")});
}

TEST(NiNumberTest, AMissingSuffixIsBelowTheDefaultThreshold)
{
    const FieldMatch match = firstValid(findNiNumbers(QStringLiteral("AB 12 34 56")));
    EXPECT_EQ(match.value, QStringLiteral("AB 12 34 56"));
    EXPECT_LT(match.confidence, 0.8);
}

TEST(DateTest, ReadsUkDayFirstFormats)
{
    const DateOptions options{QDate(2026, 3, 2), false};
    expectAccepted({{"03/03/1952", "1952-03-03"},
                    {"3/3/1952", "1952-03-03"},
                    {"03-03-1952", "1952-03-03"},
                    {"03.03.1952", "1952-03-03"},
                    {"04/03/1952", "1952-03-04"},
                    {"3rd March 1952", "1952-03-03"},
                    {"3 Mar 1952", "1952-03-03"},
                    {"3 Mar. 1952", "1952-03-03"},
                    {"21st of September, 2025", "2025-09-21"},
                    {"March 3, 1952", "1952-03-03"},
                    {"Sept 21st 2025", "2025-09-21"},
                    {"1952-03-03", "1952-03-03"},
                    {"29/02/2024", "2024-02-29"},
                    {"29/02/2000", "2000-02-29"},
                    {"O3/03/1952", "1952-03-03", true},
                    {"Date of birth: 03 / 03 / 1952", "1952-03-03"}},
                   [&](const QString &t) { return findDates(t, options); });
}

TEST(DateTest, ResolvesTwoDigitYearsAroundTheReferenceDate)
{
    const struct {
        const char *text;
        bool pastOnly;
        const char *value;
    } cases[] = {
        {"3/3/52", false, "1952-03-03"},
        {"3/3/26", false, "2026-03-03"},
        {"3/3/36", false, "2036-03-03"},  // up to ten years ahead stays in this century
        {"3/3/37", false, "1937-03-03"},
        {"3/3/52", true, "1952-03-03"},
        {"1/3/26", true, "2026-03-01"},   // a baby born yesterday
        {"3/3/26", true, "1926-03-03"},   // tomorrow in 2026 cannot be a date of birth
        {"3/3/05", true, "2005-03-03"},
    };
    for (const auto &c : cases) {
        const FieldMatch match = firstValid(findDates(QString::fromLatin1(c.text), {QDate(2026, 3, 2), c.pastOnly}));
        EXPECT_EQ(match.value.toStdString(), std::string(c.value)) << c.text << " pastOnly=" << c.pastOnly;
        EXPECT_TRUE(match.reasons.contains(QStringLiteral("two-digit year"))) << c.text;
    }
}

TEST(DateTest, RejectsImpossibleAndFutureDates)
{
    const DateOptions options{QDate(2026, 3, 2), true};
    expectRejected({"31/02/1952", "29/02/2023", "29/02/1900", "00/03/1952", "03/13/1952", "32/01/1990",
                    "12/25/1990", "03/03/2027", "22/03/1870", "1952-02-30", "31 April 1990", "3/3-1952", "v1.2.3",
                    "12345678"},
                   [&](const QString &t) { return findDates(t, options); });
    EXPECT_FALSE(anyValid(findDates(QStringLiteral("22/03/2078"), {QDate(2026, 3, 2), false})))
        << "an OCR slip (2018 read as 2078) is out of range";
    const QList<FieldMatch> found = findDates(QStringLiteral("31/02/1952"), options);
    ASSERT_EQ(found.size(), 1);
    EXPECT_EQ(found[0].reasons, QStringList{QStringLiteral("no such day in that month")});
    EXPECT_EQ(findDates(QStringLiteral("03/03/2027"), options).value(0).reasons,
              QStringList{QStringLiteral("date is in the future")});
}

TEST(EmailTest, AcceptsAddressesAndLowersTheDomain)
{
    expectAccepted({{"jane.smith@example.org", "jane.smith@example.org"},
                    {"Email: Jane.Smith+post@Example.CO.UK.", "Jane.Smith+post@example.co.uk"},
                    {"<a_b-c@mail.leeds.gov.uk>", "a_b-c@mail.leeds.gov.uk"}},
                   findEmails);
    const FieldMatch spaced = firstValid(findEmails(QStringLiteral("jane.smith @ example.org")));
    EXPECT_EQ(spaced.value, QStringLiteral("jane.smith@example.org"));
    EXPECT_LT(spaced.confidence, 0.9);
}

TEST(EmailTest, RejectsMalformedAddresses)
{
    expectRejected({"jane..smith@example.org", ".jane@example.org", "jane@example", "jane@-example.org",
                    "jane@example.c0m", "@example.org", "jane at example dot org"},
                   findEmails);
}

TEST(UkPhoneTest, NormalisesToE164)
{
    expectAccepted({{"0113 496 0000", "+441134960000"},
                    {"(0113) 496 0000", "+441134960000"},
                    {"+44 113 496 0000", "+441134960000"},
                    {"+44 (0)7700 900123", "+447700900123"},
                    {"0044 7700 900123", "+447700900123"},
                    {"07700-900-123", "+447700900123"},
                    {"Tel: 020 7946 0018.", "+442079460018"},
                    {"0300 123 4567", "+443001234567"},
                    {"01632 960001", "+441632960001"}},
                   findUkPhones);
}

TEST(UkPhoneTest, RejectsWhatIsNotAUkNumber)
{
    expectRejected({"0113 496 000", "0113 496 00000", "0613 496 0000", "+33 1 23 45 67 89", "943 476 5919",
                    "03/03/1952", "10113 496 0000", "0113\n496 0000"},
                   findUkPhones);
}

TEST(ReferenceTest, FindsEveryMatchOfThePattern)
{
    const QRegularExpression pattern(QStringLiteral("[A-Z]{2}-\\d{6}"));
    const QList<FieldMatch> found = findReferences(QStringLiteral("Your ref: HB-123456, our ref CT-000042"), pattern);
    ASSERT_EQ(found.size(), 2);
    EXPECT_EQ(found[0].value, QStringLiteral("HB-123456"));
    EXPECT_EQ(found[1].value, QStringLiteral("CT-000042"));
    EXPECT_EQ(found[1].offset, 29);
    EXPECT_TRUE(findReferences(QStringLiteral("HB-12345"), pattern).isEmpty());
}

TEST(NameTest, ReadsNamesAfterLabels)
{
    expectAccepted({{"Name: Jane Smith\n", "Jane Smith"},
                    {"Full name:   Mary-Ann O'Neill  DOB: 03/03/1952", "Mary-Ann O'Neill"},
                    {"Full name    Jane Smith", "Jane Smith"},
                    {"Name:\nJane Smith\nAddress: 1 High St", "Jane Smith"},
                    {"Name: Jane Smith Date of birth: 03/03/1952", "Jane Smith"},
                    {"Name: Jane Smith Ward: 4", "Jane Smith"},
                    {"Surname: Smith\nForename(s): Jane Anne\n", "Jane Anne Smith"},
                    {"Name: JANE SMITH.", "JANE SMITH"}},
                   [](const QString &t) { return findNames(t); });
}

TEST(NameTest, UsesTheGivenLabelsAndRejectsWhatIsNotAName)
{
    const FieldMatch match = firstValid(findNames(QStringLiteral("Applicant: Joe Bloggs\nName: Other"),
                                                  {QStringLiteral("Applicant")}));
    EXPECT_EQ(match.value, QStringLiteral("Joe Bloggs"));
    expectRejected({"my name is Jane Smith", "Name: 12 High Street", "Name: ", "Surname: Sm1th",
                    "Name: <unknown> (see file)"},
                   [](const QString &t) { return findNames(t); });
}
