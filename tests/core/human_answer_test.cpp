#include "core/human_answer.h"

#include <gtest/gtest.h>

using clerk::HumanAnswer;
using clerk::HumanChoice;
using clerk::HumanRequest;

namespace {

QString text(const QJsonObject &object, const char *key)
{
    return object.value(QLatin1String(key)).toString();
}

} // namespace

TEST(HumanAnswerTest, LaysTheAnswerOverWhatTheStepKnewInOrder)
{
    const HumanRequest asked{
        .choices = {HumanChoice{QStringLiteral("r1"), {},
                                {{QStringLiteral("outputs"),
                                  QJsonObject{{QStringLiteral("record_id"), QStringLiteral("r1")},
                                              {QStringLiteral("decision"), QStringLiteral("matched")},
                                              {QStringLiteral("score"), QStringLiteral("choice")}}}}}},
        .outputs = {{QStringLiteral("score"), QStringLiteral("step")}, {QStringLiteral("kept"), QStringLiteral("yes")}},
    };
    const QJsonObject outputs = answerOutputs(asked, HumanAnswer{.choice = QStringLiteral("r1"),
                                                                 .fields = {{QStringLiteral("note"), QStringLiteral("f")}},
                                                                 .implied = {{QStringLiteral("decision"), QStringLiteral("checked")}},
                                                                 .decidedBy = QStringLiteral("alice")});
    EXPECT_EQ(text(outputs, "kept"), QStringLiteral("yes"));          // the step's own
    EXPECT_EQ(text(outputs, "score"), QStringLiteral("choice"));      // the choice's over the step's
    EXPECT_EQ(text(outputs, "decision"), QStringLiteral("checked"));  // implied over the choice's
    EXPECT_EQ(text(outputs, "note"), QStringLiteral("f"));            // the fields last
    EXPECT_EQ(text(outputs, "record_id"), QStringLiteral("r1"));
    EXPECT_EQ(text(outputs, "choice"), QStringLiteral("r1"));
    EXPECT_EQ(text(outputs, "decided_by"), QStringLiteral("alice"));
}

TEST(HumanAnswerTest, OneAskedFieldReadsThePickedChoiceUnlessSetOtherwise)
{
    const HumanRequest asked{.choices = {HumanChoice{QStringLiteral("waste"), {}, {}},
                                         HumanChoice{QStringLiteral("none"), {},
                                                     {{QStringLiteral("outputs"),
                                                       QJsonObject{{QStringLiteral("team"), QString()}}}}}},
                             .fields = {QStringLiteral("team")}};
    EXPECT_EQ(text(answerOutputs(asked, {.choice = QStringLiteral("waste")}), "team"), QStringLiteral("waste"));
    EXPECT_EQ(text(answerOutputs(asked, {.choice = QStringLiteral("none")}), "team"), QString());
    EXPECT_EQ(text(answerOutputs(asked, {.choice = QStringLiteral("waste"),
                                         .fields = {{QStringLiteral("team"), QStringLiteral("typed")}}}),
                   "team"),
              QStringLiteral("typed"));
    EXPECT_EQ(text(answerOutputs(asked, {.choice = QStringLiteral("waste"),
                                         .implied = {{QStringLiteral("team"), QStringLiteral("implied")}}}),
                   "team"),
              QStringLiteral("implied"));
    // Without a choice nothing is read into the field, and no "choice" is written.
    const QJsonObject fieldsOnly = answerOutputs(asked, {.fields = {{QStringLiteral("team"), QStringLiteral("x")}}});
    EXPECT_EQ(text(fieldsOnly, "team"), QStringLiteral("x"));
    EXPECT_FALSE(fieldsOnly.contains(QStringLiteral("choice")));
    // Two fields asked: the choice is not read into either.
    const HumanRequest two{.choices = asked.choices, .fields = {QStringLiteral("team"), QStringLiteral("other")}};
    EXPECT_FALSE(answerOutputs(two, {.choice = QStringLiteral("waste")}).contains(QStringLiteral("team")));
}

TEST(HumanAnswerTest, ChecksTheChoiceWasOfferedAndTheFieldsAsked)
{
    const HumanRequest asked{.choices = {HumanChoice{QStringLiteral("a"), {}, {}}},
                             .fields = {QStringLiteral("postcode")}};
    const struct {
        HumanAnswer answer;
        bool fits;
    } cases[] = {
        {{.choice = QStringLiteral("a")}, true},
        {{}, true},
        {{.fields = {{QStringLiteral("postcode"), QStringLiteral("SW1A 1AA")}}}, true},
        {{.choice = QStringLiteral("b")}, false},
        {{.fields = {{QStringLiteral("colour"), QStringLiteral("red")}}}, false},
    };
    for (const auto &c : cases) {
        const auto fits = checkAnswerFits(asked, c.answer);
        EXPECT_EQ(fits.has_value(), c.fits) << c.answer.choice.toStdString();
        if (!fits) {
            EXPECT_EQ(fits.error().code(), clerk::ErrorCode::InvalidArgument);
        }
    }
    // Nothing offered, nothing asked: anything fits.
    EXPECT_TRUE(checkAnswerFits(HumanRequest{}, {.choice = QStringLiteral("z"),
                                                 .fields = {{QStringLiteral("any"), 1}}})
                    .has_value());
}
