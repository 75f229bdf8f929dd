// letterBody: what is left of invented letters laid out the way scanned post is.
#include "classify_test_support.h"

#include "classify/letter_body.h"
#include "classify/text_features.h"

using namespace clerk::classify;

TEST(LetterBodyTest, KeepsWhatIsBetweenTheSalutationAndTheSignOff)
{
    const QString letter = QStringLiteral(
        "Mrs A Example\n12 Birch Road\nTowncaster\nTC1 2AB\nTel: 01234 567890\n\n3 March 2025\n\n"
        "Customer Services\nPO Box 100\nTowncaster\n\nDear Sir or Madam,\n\nRe: Request for action\n\n"
        "The street light outside number 12 has been flickering for a week.\nPlease send someone.\n\n"
        "Yours faithfully\n\nA Example\n");
    const QString body = letterBody(letter);
    EXPECT_TRUE(body.startsWith(QStringLiteral("Re: Request for action"))) << body.toStdString();
    EXPECT_TRUE(body.contains(QStringLiteral("street light outside number 12")));
    EXPECT_TRUE(body.endsWith(QStringLiteral("Please send someone.")));
    EXPECT_FALSE(body.contains(QStringLiteral("Birch")));
    EXPECT_FALSE(body.contains(QStringLiteral("Example")));
    EXPECT_FALSE(body.contains(QStringLiteral("PO Box")));
}

TEST(LetterBodyTest, WithoutASalutationTheAddressLinesBeforeTheFirstSentenceGo)
{
    const QString letter = QStringLiteral(
        "7 Elm Close\nTowncaster\nTC3 9ZZ\n12/04/2025\n"
        "There is rubbish dumped in the lane behind the shops again this week.\nIt is blocking the path.\n"
        "Kind regards,\nJ Smith\n");
    const QString body = letterBody(letter);
    EXPECT_TRUE(body.startsWith(QStringLiteral("There is rubbish dumped"))) << body.toStdString();
    EXPECT_TRUE(body.endsWith(QStringLiteral("It is blocking the path.")));
}

TEST(LetterBodyTest, TextThatIsNotALetterComesBackUnchanged)
{
    const QString report = QStringLiteral("Pothole\nOn the pavement\nLess than 30cm wide & deeper than 4cm");
    EXPECT_EQ(letterBody(report), report);
    EXPECT_EQ(letterBody(QString()), QString());
    // A salutation with nothing after it keeps the whole text rather than nothing.
    const QString bare = QStringLiteral("Some text\nDear Sir,\nYours faithfully");
    EXPECT_EQ(letterBody(bare), bare);
}

TEST(LetterBodyTest, FeaturesOfALetterAreTheFeaturesOfItsBody)
{
    FeatureSettings settings;
    const QString letter = QStringLiteral("Zed Street\nDear Council,\nThe bins were not collected.\nYours sincerely\nQuentin");
    const QStringList terms = extractTerms(letter, settings);
    EXPECT_TRUE(terms.contains(QStringLiteral("w:bins")));
    EXPECT_FALSE(terms.contains(QStringLiteral("w:zed")));
    EXPECT_FALSE(terms.contains(QStringLiteral("w:quentin")));
    settings.letterBody = false;
    EXPECT_TRUE(extractTerms(letter, settings).contains(QStringLiteral("w:quentin")));
    // Models written before the setting existed read whole texts.
    EXPECT_FALSE(FeatureSettings::fromJson(QJsonObject{}).letterBody);
    EXPECT_TRUE(FeatureSettings::fromJson(FeatureSettings{}.toJson()).letterBody);
}
