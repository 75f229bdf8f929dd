#include "test_support.h"
#include "bot/bot_loader.h"
#include "bot/param_spec.h"
#include "test_catalog.h"

#include <QJsonArray>
#include <QSet>
#include <gtest/gtest.h>

using namespace clerk::bot;

namespace {

// A one-step catalog whose single param has the given spec.
StepCatalog catalogWith(ParamSpec param)
{
    StepTypeSchema probe{
        .name = QStringLiteral("probe"),
        .summary = QStringLiteral("Checks one param."),
        .params = {std::move(param)},
        .sideEffects = false,
        .outputs = [](const QJsonObject &) { return QStringList{}; },
        .example = QString(),
    };
    return StepCatalog({probe});
}

BotLoad loadProbe(const ParamSpec &spec, const QByteArray &value)
{
    const QByteArray text = "name: p\nversion: 1\nowner_team: ict\nsteps:\n  - type: probe\n    params:\n      x: " + value + "\n";
    return loadBotText(text, QStringLiteral("p.yaml"), catalogWith(spec), {});
}

void collectNames(const QList<ParamSpec> &specs, QSet<QString> &names)
{
    for (const ParamSpec &spec : specs) {
        names.insert(spec.name);
        collectNames(spec.fields, names);
        if (spec.element)
            collectNames({*spec.element}, names);
    }
}

} // namespace

TEST(ParamSpecTest, ValueTypesAcceptAndReject)
{
    using T = ValueType;
    const struct {
        ParamSpec spec;
        const char *yaml;
        bool ok;
        QJsonValue expected;  // the stored value when ok
    } cases[] = {
        {ParamSpec::of(QStringLiteral("x"), T::Duration, QString()), "30s", true, QStringLiteral("30s")},
        {ParamSpec::of(QStringLiteral("x"), T::Duration, QString()), "1h30m", true, QStringLiteral("1h30m")},
        {ParamSpec::of(QStringLiteral("x"), T::Duration, QString()), "500ms", true, QStringLiteral("500ms")},
        {ParamSpec::of(QStringLiteral("x"), T::Duration, QString()), "30", false, {}},
        {ParamSpec::of(QStringLiteral("x"), T::Duration, QString()), "1.5h", false, {}},
        {ParamSpec::of(QStringLiteral("x"), T::Duration, QString()), "[1s]", false, {}},
        {ParamSpec::of(QStringLiteral("x"), T::Integer, QString()), "42", true, 42},
        {ParamSpec::of(QStringLiteral("x"), T::Integer, QString()), "'42'", true, 42},
        {ParamSpec::of(QStringLiteral("x"), T::Integer, QString()).withRange(1, 10), "11", false, {}},
        {ParamSpec::of(QStringLiteral("x"), T::Number, QString()), "-2.5e1", true, -25},
        {ParamSpec::of(QStringLiteral("x"), T::Number, QString()), ".nan", false, {}},
        {ParamSpec::of(QStringLiteral("x"), T::Boolean, QString()), "false", true, false},
        {ParamSpec::of(QStringLiteral("x"), T::Boolean, QString()), "yes", false, {}},
        {ParamSpec::of(QStringLiteral("x"), T::Threshold, QString()), "1", true, 1},
        {ParamSpec::of(QStringLiteral("x"), T::Threshold, QString()), "1.01", false, {}},
        {ParamSpec::of(QStringLiteral("x"), T::String, QString()), "12", true, QStringLiteral("12")},
        {ParamSpec::of(QStringLiteral("x"), T::String, QString()), "true", true, QStringLiteral("true")},
        {ParamSpec::of(QStringLiteral("x"), T::String, QString()), "{a: 1}", false, {}},
        {ParamSpec::of(QStringLiteral("x"), T::String, QString()), "'{{ not checked'", true, QStringLiteral("{{ not checked")},
        {ParamSpec::of(QStringLiteral("x"), T::String, QString()).withTemplates(), "'{{ not checked'", false, {}},
        {ParamSpec::of(QStringLiteral("x"), T::Path, QString()), "/srv/{{ input.dept }}", true, QStringLiteral("/srv/{{ input.dept }}")},
        {ParamSpec::of(QStringLiteral("x"), T::Regex, QString()), "'^a+$'", true, QStringLiteral("^a+$")},
        {ParamSpec::of(QStringLiteral("x"), T::Regex, QString()), "'a{2,1}'", false, {}},
        {ParamSpec::of(QStringLiteral("x"), T::Cron, QString()), "'*/5 * * * *'", true, QStringLiteral("*/5 * * * *")},
        {ParamSpec::of(QStringLiteral("x"), T::Cron, QString()), "'* * *'", false, {}},
        {ParamSpec::of(QStringLiteral("x"), T::TimeZone, QString()), "America/New_York", true, QStringLiteral("America/New_York")},
        {ParamSpec::of(QStringLiteral("x"), T::TimeZone, QString()), "Mars/Olympus", false, {}},
        {ParamSpec::oneOf(QStringLiteral("x"), {QStringLiteral("a"), QStringLiteral("b")}, QString()), "b", true, QStringLiteral("b")},
        {ParamSpec::oneOf(QStringLiteral("x"), {QStringLiteral("a"), QStringLiteral("b")}, QString()), "c", false, {}},
        {ParamSpec::of(QStringLiteral("x"), T::Identifier, QString()), "ok-name_2", true, QStringLiteral("ok-name_2")},
        {ParamSpec::of(QStringLiteral("x"), T::Identifier, QString()), "2fast", false, {}},
        {ParamSpec::of(QStringLiteral("x"), T::SecretRef, QString()), "${env:KEY}", true, QStringLiteral("${env:KEY}")},
        {ParamSpec::of(QStringLiteral("x"), T::SecretRef, QString()), "password1", false, {}},
        {ParamSpec::listOf(QStringLiteral("x"), ParamSpec::of(QString(), T::Integer, QString()), QString()), "[1, 2]", true, QJsonValue(QJsonArray{QJsonValue(1), QJsonValue(2)})},
        {ParamSpec::listOf(QStringLiteral("x"), ParamSpec::of(QString(), T::Integer, QString()), QString()), "[1, b]", false, {}},
        {ParamSpec::mapOf(QStringLiteral("x"), ParamSpec::of(QString(), T::Duration, QString()), QString()), "{a: 1s}", true, QJsonValue(QJsonObject{{QStringLiteral("a"), QStringLiteral("1s")}})},
        {ParamSpec::of(QStringLiteral("x"), T::Any, QString()), "[1, '2', true, ~, x]", true, QJsonValue(QJsonArray{QJsonValue(1), QJsonValue(QStringLiteral("2")), QJsonValue(true), QJsonValue(), QJsonValue(QStringLiteral("x"))})},
        {ParamSpec::object(QStringLiteral("x"), {ParamSpec::of(QStringLiteral("n"), T::Integer, QString()).withDefault(7)}, QString()), "{}", true, QJsonValue(QJsonObject{{QStringLiteral("n"), 7}})},
        {ParamSpec::object(QStringLiteral("x"), {ParamSpec::of(QStringLiteral("n"), T::Integer, QString(), true)}, QString()), "{}", false, {}},
    };
    for (const auto &c : cases) {
        const BotLoad load = loadProbe(c.spec, c.yaml);
        EXPECT_EQ(load.bot.has_value(), c.ok) << c.yaml << (load.diagnostics.isEmpty() ? std::string() : load.diagnostics[0].toString().toStdString());
        if (c.ok && load.bot) {
            EXPECT_EQ(load.bot->steps[0].params.value(QStringLiteral("x")), c.expected) << c.yaml;
        }
        if (!c.ok && !load.diagnostics.isEmpty()) {
            EXPECT_EQ(load.diagnostics[0].line, 7) << c.yaml;
        }
    }
}

TEST(ParamSpecTest, DefaultsAreAppliedToStepParams)
{
    const ParamSpec spec = ParamSpec::of(QStringLiteral("x"), ValueType::Duration, QString()).withDefault(QStringLiteral("5m"));
    const BotLoad load = loadBotText("name: p\nversion: 1\nowner_team: ict\nsteps: [{type: probe}]\n", QStringLiteral("p.yaml"),
                                     catalogWith(spec), {});
    ASSERT_TRUE(load.bot.has_value());
    EXPECT_EQ(load.bot->steps[0].params.value(QStringLiteral("x")).toString(), QStringLiteral("5m"));
}

TEST(ParamSpecTest, BotFileSpecDescribesEveryKey)
{
    QSet<QString> names;
    collectNames(botFileSpec(), names);
    for (const char *key : {"name", "description", "version", "owner_team", "manual_minutes", "trigger", "cron", "every",
                            "watch", "folder", "pattern", "settle", "done_folder", "failed_folder", "poll", "webhook",
                            "token", "timezone", "misfire", "jitter", "business_hours", "input", "fields", "thresholds",
                            "exceptions", "team", "sla", "retry", "max_attempts", "initial_delay", "max_delay",
                            "connectors", "steps", "id", "type", "params"})
        EXPECT_TRUE(names.contains(QString::fromLatin1(key))) << key;

    // Every key a person can write has a description.
    std::function<void(const QList<ParamSpec> &)> check = [&](const QList<ParamSpec> &specs) {
        for (const ParamSpec &spec : specs) {
            EXPECT_FALSE(spec.description.isEmpty()) << spec.name.toStdString();
            check(spec.fields);
        }
    };
    check(botFileSpec());
    check(connectorFileSpec(clerk::bot::testing::connectorKinds()));
}

TEST(ParamSpecTest, StepCatalogFindsTypesByName)
{
    const StepCatalog catalog = clerk::bot::testing::testCatalog();
    EXPECT_EQ(catalog.names(), (QStringList{QStringLiteral("set"), QStringLiteral("require"), QStringLiteral("wait"), QStringLiteral("fetch")}));
    ASSERT_NE(catalog.find(QStringLiteral("require")), nullptr);
    EXPECT_EQ(catalog.find(QStringLiteral("require"))->params.size(), 3);
    EXPECT_EQ(catalog.find(QStringLiteral("nope")), nullptr);
    EXPECT_EQ(describe(ValueType::Duration), QStringLiteral("a duration such as 30s"));
}

TEST(ParamSpecTest, ReadersGiveTheValueOrTheSpecsDefault)
{
    const ParamSpec field = ParamSpec::of(QStringLiteral("field"), ValueType::Identifier, QStringLiteral("A name."))
                                .withDefault(QStringLiteral("value"));
    const ParamSpec top = ParamSpec::of(QStringLiteral("top"), ValueType::Integer, QStringLiteral("How many.")).withDefault(5);
    const ParamSpec strict = ParamSpec::of(QStringLiteral("strict"), ValueType::Boolean, QStringLiteral("Strict.")).withDefault(true);
    const ParamSpec reason = ParamSpec::of(QStringLiteral("reason"), ValueType::String, QStringLiteral("Why."));

    const QJsonObject empty;
    EXPECT_EQ(field.stringIn(empty), QStringLiteral("value"));
    EXPECT_EQ(top.intIn(empty), 5);
    EXPECT_DOUBLE_EQ(top.numberIn(empty), 5.0);
    EXPECT_TRUE(strict.boolIn(empty));
    EXPECT_TRUE(reason.stringIn(empty).isEmpty());  // no default: null
    EXPECT_FALSE(field.isIn(empty));

    const QJsonObject given{{QStringLiteral("field"), QStringLiteral("postcode")},
                            {QStringLiteral("top"), 3},
                            {QStringLiteral("strict"), false}};
    EXPECT_EQ(field.stringIn(given), QStringLiteral("postcode"));
    EXPECT_EQ(top.intIn(given), 3);
    EXPECT_FALSE(strict.boolIn(given));
    EXPECT_TRUE(field.isIn(given));
}

TEST(ParamSpecTest, FieldFindsTheKeysOfAnObjectAndOfAMapsElements)
{
    const ParamSpec size = ParamSpec::of(QStringLiteral("size"), ValueType::Integer, QStringLiteral("Size.")).withDefault(100);
    const ParamSpec paginate = ParamSpec::object(QStringLiteral("paginate"), {size}, QStringLiteral("Pages."));
    const ParamSpec operations = ParamSpec::mapOf(
        QStringLiteral("operations"), ParamSpec::object(QStringLiteral("operation"), {paginate}, QStringLiteral("One.")),
        QStringLiteral("All."));
    EXPECT_EQ(paginate.field(QStringLiteral("size")).intIn({}), 100);
    EXPECT_EQ(operations.field(QStringLiteral("paginate")).field(QStringLiteral("size")).name, QStringLiteral("size"));
}
