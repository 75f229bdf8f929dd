#include "test_support.h"
#include "bot/template.h"

#include <QJsonArray>
#include <gtest/gtest.h>

using clerk::bot::Template;

namespace {

QJsonObject scope()
{
    return QJsonObject{
        {QStringLiteral("input"), QJsonObject{{QStringLiteral("name"), QStringLiteral("  Ada Lovelace ")},
                                              {QStringLiteral("count"), 3},
                                              {QStringLiteral("ratio"), 0.25},
                                              {QStringLiteral("big"), 1e12},
                                              {QStringLiteral("ok"), true},
                                              {QStringLiteral("tags"), QJsonArray{QStringLiteral("a"), QStringLiteral("b")}},
                                              {QStringLiteral("address"), QJsonObject{{QStringLiteral("postcode"), QStringLiteral("AB1 2CD")}}}}},
        {QStringLiteral("item"), QJsonObject{{QStringLiteral("id"), 42}, {QStringLiteral("source"), QStringLiteral("form-7")}}},
        {QStringLiteral("bot"), QJsonObject{{QStringLiteral("name"), QStringLiteral("contact-form")}, {QStringLiteral("version"), QStringLiteral("3")}}},
        {QStringLiteral("classify"), QJsonObject{{QStringLiteral("category"), QStringLiteral("Waste")}}},
    };
}

} // namespace

TEST(TemplateTest, RendersReferencesAndFilters)
{
    const struct {
        const char *text;
        const char *expected;
    } cases[] = {
        {"plain text", "plain text"},
        {"", ""},
        {"{{ input.name }}", "  Ada Lovelace "},
        {"{{input.name|trim}}", "Ada Lovelace"},
        {"{{ input.name | trim | upper }}!", "ADA LOVELACE!"},
        {"{{ classify.category | lower }}", "waste"},
        {"Item {{ item.id }} from {{ item.source }}", "Item 42 from form-7"},
        {"{{ bot.name }} v{{ bot.version }}", "contact-form v3"},
        {"{{ input.count }}", "3"},
        {"{{ input.ratio }}", "0.25"},
        {"{{ input.big }}", "1000000000000"},
        {"{{ input.ok }}", "true"},
        {"{{ input.tags.1 }}", "b"},
        {"{{ input.address.postcode }}", "AB1 2CD"},
        {"[{{ input.missing }}]", "[]"},
        {"[{{ nowhere.at.all }}]", "[]"},
        {"{{ input.tags }}", "[\"a\",\"b\"]"},
        {"a }} b", "a }} b"},
        {"{{ item.id }}{{ item.id }}", "4242"},
    };
    for (const auto &c : cases) {
        const auto parsed = Template::parse(QString::fromUtf8(c.text));
        ASSERT_TRUE(parsed.has_value()) << c.text << ": " << parsed.error().message().toStdString();
        EXPECT_EQ(parsed->render(scope()).toStdString(), std::string(c.expected)) << c.text;
    }
}

TEST(TemplateTest, DigitsAndIsoDateFiltersPrepareSearchValues)
{
    const struct {
        const char *value;
        const char *filter;
        const char *expected;
    } cases[] = {
        {"943 476 5870", "digits", "9434765870"},
        {"943-476-5870 ", "digits", "9434765870"},
        {"07/03/1984", "iso_date", "1984-03-07"},
        {"7-3-1984", "iso_date", "1984-03-07"},
        {"7.3.84", "iso_date", "1984-03-07"},
        {"07/03/05", "iso_date", "2005-03-07"},
        {"3rd March 1952", "iso_date", "1952-03-03"},
        {"30 Nov 1990", "iso_date", "1990-11-30"},
        {"1984-3-7", "iso_date", "1984-03-07"},
        {"31/02/1984", "iso_date", "31/02/1984"},  // no such day: left as written
        {"soon", "iso_date", "soon"},
        {"  Zoe   Adaeze Okafor ", "first_word", "Zoe"},
        {"  Zoe   Adaeze Okafor ", "last_word", "Okafor"},
        {"Okafor", "first_word", "Okafor"},
        {"", "last_word", ""},
    };
    for (const auto &c : cases) {
        const auto parsed = Template::parse(QStringLiteral("{{ input.v | %1 }}").arg(QLatin1String(c.filter)));
        ASSERT_TRUE(parsed.has_value());
        EXPECT_EQ(parsed->render({{QStringLiteral("input"), QJsonObject{{QStringLiteral("v"), QLatin1String(c.value)}}}}),
                  QLatin1String(c.expected))
            << c.value;
    }
}

TEST(TemplateTest, ListsReferencesWithOffsets)
{
    const auto parsed = Template::parse(QStringLiteral("Hi {{ input.name | upper }} re {{ classify.category }}"));
    ASSERT_TRUE(parsed.has_value());
    ASSERT_EQ(parsed->references().size(), 2);
    EXPECT_EQ(parsed->references()[0].path, (QStringList{QStringLiteral("input"), QStringLiteral("name")}));
    EXPECT_EQ(parsed->references()[0].filters, QStringList{QStringLiteral("upper")});
    EXPECT_EQ(parsed->references()[0].offset, 3);
    EXPECT_EQ(parsed->references()[1].offset, 31);
    EXPECT_FALSE(parsed->isLiteral());
    EXPECT_TRUE(Template::parse(QStringLiteral("no refs"))->isLiteral());
}

TEST(TemplateTest, RenderValueKeepsJsonTypeForLoneReference)
{
    const QJsonObject s = scope();
    EXPECT_EQ(Template::parse(QStringLiteral("{{ input.count }}"))->renderValue(s), QJsonValue(3));
    EXPECT_EQ(Template::parse(QStringLiteral("{{ input.ok }}"))->renderValue(s), QJsonValue(true));
    EXPECT_TRUE(Template::parse(QStringLiteral("{{ input.address }}"))->renderValue(s).isObject());
    EXPECT_TRUE(Template::parse(QStringLiteral("{{ input.missing }}"))->renderValue(s).isNull());
    // Filters or surrounding text make it text.
    EXPECT_EQ(Template::parse(QStringLiteral("{{ input.count | trim }}"))->renderValue(s), QJsonValue(QStringLiteral("3")));
    EXPECT_EQ(Template::parse(QStringLiteral(" {{ input.count }}"))->renderValue(s), QJsonValue(QStringLiteral(" 3")));
    EXPECT_EQ(Template::parse(QStringLiteral("text"))->renderValue(s), QJsonValue(QStringLiteral("text")));
}

TEST(TemplateTest, RejectsMalformedTemplates)
{
    const struct {
        const char *text;
        const char *messagePart;
    } cases[] = {
        {"{{ input.name", "unclosed '{{' at offset 0"},
        {"abc {{ }}", "empty reference"},
        {"{{}}", "empty reference"},
        {"{{ input..name }}", "malformed reference"},
        {"{{ input.name. }}", "malformed reference"},
        {"{{ .name }}", "malformed reference"},
        {"{{ input name }}", "malformed reference"},
        {"{{ input.name | shout }}", "unknown filter 'shout'"},
        {"{{ input.name | }}", "empty filter"},
        {"ok {{ a }} then {{ b", "unclosed '{{' at offset 16"},
    };
    for (const auto &c : cases) {
        const auto parsed = Template::parse(QString::fromUtf8(c.text));
        ASSERT_FALSE(parsed.has_value()) << c.text;
        EXPECT_EQ(parsed.error().code(), clerk::ErrorCode::InvalidArgument);
        EXPECT_TRUE(parsed.error().message().contains(QString::fromUtf8(c.messagePart)))
            << c.text << " -> " << parsed.error().message().toStdString();
    }
}
