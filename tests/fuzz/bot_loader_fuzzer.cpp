// libFuzzer target: any bytes given to the bot and connector loaders must come back as
// diagnostics, never as a crash, a hang or a sanitizer report.
#include "bot/bot_loader.h"
#include "bot/template.h"
#include "core/cron_expression.h"
#include "rest/connector_kind.h"

#include <QJsonObject>
#include <cstddef>
#include <cstdint>

using namespace clerk::bot;

namespace {

StepCatalog fuzzCatalog()
{
    StepTypeSchema set{
        .name = QStringLiteral("set"),
        .summary = QStringLiteral("Sets named values."),
        .params = {ParamSpec::mapOf(QStringLiteral("values"), ParamSpec::templ(QStringLiteral("value"), QStringLiteral("A value.")),
                                    QStringLiteral("The values."), true)},
        .sideEffects = false,
        .outputs = [](const QJsonObject &params) { return params.value(QStringLiteral("values")).toObject().keys(); },
        .example = QString(),
    };
    StepTypeSchema require{
        .name = QStringLiteral("require"),
        .summary = QStringLiteral("Checks a value."),
        .params = {ParamSpec::templ(QStringLiteral("value"), QStringLiteral("The value."), true),
                   ParamSpec::regex(QStringLiteral("matches"), QStringLiteral("A pattern.")),
                   ParamSpec::of(QStringLiteral("field"), ValueType::Identifier, QStringLiteral("The output."))
                       .withDefault(QStringLiteral("value")),
                   ParamSpec::of(QStringLiteral("within"), ValueType::Duration, QStringLiteral("A duration.")),
                   ParamSpec::of(QStringLiteral("count"), ValueType::Integer, QStringLiteral("A count.")).withRange(0, 10),
                   ParamSpec::of(QStringLiteral("extra"), ValueType::Any, QStringLiteral("Anything."))},
        .sideEffects = false,
        .outputs = [](const QJsonObject &params) {
            return QStringList{params.value(QStringLiteral("field")).toString(QStringLiteral("value"))};
        },
        .example = QString(),
    };
    return StepCatalog({set, require});
}

ConnectorSet fuzzConnectors()
{
    ConnectorDefinition redmine;
    redmine.name = QStringLiteral("redmine");
    redmine.kind = QStringLiteral("rest");
    return {redmine};
}

void check(bool condition)
{
    if (!condition)
        __builtin_trap();
}

void checkDiagnostics(const Diagnostics &diagnostics)
{
    for (const Diagnostic &d : diagnostics) {
        check(d.line >= 0 && d.column >= 0);
        check(!d.message.isEmpty());
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const StepCatalog catalog = fuzzCatalog();
    static const ConnectorSet connectors = fuzzConnectors();
    static const ConnectorCatalog kinds({clerk::rest::restConnectorKind()});
    const QByteArray text(reinterpret_cast<const char *>(data), static_cast<qsizetype>(size));

    const BotLoad bot = loadBotText(text, QStringLiteral("fuzz.yaml"), catalog, connectors);
    checkDiagnostics(bot.diagnostics);
    check(bot.bot.has_value() == !hasErrors(bot.diagnostics));

    const ConnectorLoad connector = loadConnectorText(text, QStringLiteral("fuzz.yaml"), kinds);
    checkDiagnostics(connector.diagnostics);
    check(connector.connector.has_value() == !hasErrors(connector.diagnostics));

    (void)looksLikeConnector(text);

    // The small parsers on their own, with short inputs.
    const QString line = QString::fromUtf8(text.left(256));
    if (const auto parsed = Template::parse(line)) {
        const QJsonObject scope{{QStringLiteral("input"), QJsonObject{{QStringLiteral("a"), 1}}}};
        (void)parsed->render(scope);
        (void)parsed->renderValue(scope);
    }
    if (const auto cron = clerk::CronExpression::parse(line))
        (void)cron->matches(QDateTime(QDate(2024, 3, 4), QTime(7, 0)));
    return 0;
}
