// The `rest` step: acts in an outside system through one of a connector's named
// operations (add a case note, create a case, assign it to a team, send a notice).
//
// Nothing is done twice. Before calling, the step records its action key (item + step)
// in the outbox; the key goes out as an Idempotency-Key header when the operation says
// the system honours one, and operation templates can write it into what they create
// ({{ key }}, e.g. at the end of a note). When an earlier attempt of the same item may
// already have acted (the key was recorded before), the step first asks: with `check`,
// it calls a read operation and counts the action as done when the answer holds the
// key (for an operation that lists records, when one of the records holds it: a system
// may repeat the query, and so the key, beside an empty list); with an operation that honours the header it simply sends the same key again;
// with neither, a person checks, since sending again could act twice.
//
// Temporary failures (system down, 5xx, 429, timeouts, circuit open) make the item
// wait and retry, as long as the system asks; a refused request (4xx) goes to a person
// with the system's answer as evidence (or fails, with on_refused: fail); refused
// credentials fail the item with a clear reason. Reasons name the connector, operation
// and status only; what was sent and the system's answer go into the evidence.
#include "engine/builtin_steps_p.h"

#include "bot/template.h"
#include "core/logging.h"
#include "rest/connector_kind.h"
#include "rest/rest_connector.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>

namespace clerk::engine {

using bot::ParamSpec;
using bot::ValueType;
using namespace std::chrono_literals;

namespace {

// The keys of the rest step's params block, declared once: the schema lists them and
// the factory reads them. `check` holds an operation and params of its own.
struct RestParams {
    ParamSpec connector = ParamSpec::of(QStringLiteral("connector"), ValueType::ConnectorName,
                                        QStringLiteral("The connector to act through."), true);
    ParamSpec operation = ParamSpec::of(QStringLiteral("operation"), ValueType::String,
                                        QStringLiteral("The connector's operation to call, e.g. add_note."), true);
    ParamSpec params = ParamSpec::mapOf(QStringLiteral("params"),
                                        ParamSpec::templ(QStringLiteral("value"), QStringLiteral("A value.")),
                                        QStringLiteral("The values the operation's templates see as {{ params.NAME }}; they may "
                                                       "hold {{ references }} to the item and earlier steps."));
    ParamSpec checkOperation = ParamSpec::of(QStringLiteral("operation"), ValueType::String,
                                             QStringLiteral("A read operation, e.g. get_case with its notes."), true);
    ParamSpec check = ParamSpec::object(QStringLiteral("check"), {checkOperation, params},
                                        QStringLiteral("For systems without Idempotency-Key support: how to look for this step's own "
                                                       "earlier action before acting again. The action counts as done when the "
                                                       "answer holds the step's key, so write {{ key }} into what the operation "
                                                       "creates."));
    ParamSpec onRefused = ParamSpec::oneOf(QStringLiteral("on_refused"), {QStringLiteral("needs_human"), QStringLiteral("fail")},
                                           QStringLiteral("What happens when the system refuses the request (e.g. 404 or 422): a person "
                                                          "looks at it, or the item fails."))
                              .withDefault(QStringLiteral("needs_human"));
    ParamSpec upload = ParamSpec::templ(QStringLiteral("upload"),
                                        QStringLiteral("For an operation that sends a file (`upload: true` in the connector): "
                                                       "the file, e.g. {{ letter.file }}. It must be one an earlier document "
                                                       "step of the item wrote (and still hold what it wrote), or a document "
                                                       "the item may name (under the bot's intake roots); at most 20 MiB."));
    QList<ParamSpec> all() const { return {connector, operation, params, check, upload, onRefused}; }
};

// The most an upload reads into memory and sends.
constexpr qint64 MaxUploadBytes = 20 * 1024 * 1024;

const RestParams &restParams()
{
    static const RestParams keys;
    return keys;
}

struct Call {
    QString operation;
    QList<QPair<QString, bot::Template>> params;
};

Result<Call> parseCall(const QJsonObject &object, const rest::RestConnector &connector, const QString &what)
{
    Call call;
    call.operation = restParams().operation.stringIn(object);
    if (!connector.hasOperation(call.operation)) {
        const QStringList known = connector.operations();
        return fail(Error::invalidArgument(QStringLiteral("%1: connector %2 has no operation '%3' (it has: %4)")
                                               .arg(what, connector.name(), call.operation,
                                                    known.isEmpty() ? QStringLiteral("none") : known.join(QStringLiteral(", ")))));
    }
    const QJsonObject params = restParams().params.objectIn(object);
    for (auto it = params.begin(); it != params.end(); ++it) {
        const QJsonValue value = it.value();
        auto parsed = bot::Template::parse(value.isString() ? value.toString() : value.toVariant().toString());
        if (!parsed)
            return fail(Error::invalidArgument(QStringLiteral("%1: params.%2: %3").arg(what, it.key(), parsed.error().message())));
        call.params.append({it.key(), *parsed});
    }
    return call;
}

// Whether a check's answer shows the action landed: a record holding the key, for an
// operation that lists records; else the key anywhere in the answer.
bool holdsKey(const rest::CallResult &answer, const QString &key)
{
    if (!answer.listed)
        return answer.rawBody.contains(key.toUtf8());
    for (const QJsonValue &record : answer.rawRecords) {
        const QByteArray text = record.isObject() ? QJsonDocument(record.toObject()).toJson(QJsonDocument::Compact)
                              : record.isArray()  ? QJsonDocument(record.toArray()).toJson(QJsonDocument::Compact)
                                                  : record.toVariant().toString().toUtf8();
        if (text.contains(key.toUtf8()))
            return true;
    }
    return false;
}

// The bytes an upload sends: the file `value` names (StepContext::outgoingFile), bounded.
Result<QByteArray> uploadBytes(const StepContext &ctx, const bot::Template &value)
{
    auto path = ctx.outgoingFile(value);
    if (!path)
        return fail(path.error().withContext(QStringLiteral("upload")));
    QFile file(*path);
    if (!file.open(QIODevice::ReadOnly))
        return fail(Error::unreadable(QStringLiteral("upload: the file cannot be read (%1)").arg(file.errorString())));
    QByteArray bytes = file.read(MaxUploadBytes + 1);
    if (bytes.size() > MaxUploadBytes)
        return fail(Error::invalidArgument(QStringLiteral("upload: the file is over the limit of %1 bytes").arg(MaxUploadBytes)));
    return bytes;
}

class RestStep final : public Step {
public:
    RestStep(std::shared_ptr<rest::RestConnector> connector, Call action, std::optional<Call> check,
             std::optional<bot::Template> upload, bool refusedToPerson)
        : m_connector(std::move(connector)), m_action(std::move(action)), m_check(std::move(check)),
          m_upload(std::move(upload)), m_refusedToPerson(refusedToPerson)
    {
    }

    StepOutcome run(StepContext &ctx) const override
    {
        const QString key = ctx.idempotencyKey();
        auto first = ctx.beginAction();
        if (!first)
            return StepOutcome::retryLater(1s, first.error().toString());

        bool cleanSlate = *first;  // nothing of this action can have landed before this call
        if (!*first) {
            // An earlier attempt began this action and may have landed.
            if (m_check) {
                const auto checked = m_connector->call(m_check->operation, render(ctx, *m_check), callOptions(ctx, key));
                if (!checked)
                    return failed(ctx, checked.error(), m_check->operation);
                if (holdsKey(*checked, key)) {
                    qCDebug(lcEngine, "item %lld: rest %s.%s had already landed; not sent again",
                            static_cast<long long>(ctx.item().id), qUtf8Printable(m_connector->name()),
                            qUtf8Printable(m_action.operation));
                    return finish(ctx, {{QStringLiteral("already_done"), true},
                                        {QStringLiteral("status"), checked->status}});
                }
                cleanSlate = true;
            } else if (!m_connector->honoursIdempotencyKey(m_action.operation) &&
                       !m_connector->isRepeatable(m_action.operation) &&
                       m_connector->method(m_action.operation) != QLatin1String("GET")) {
                HumanRequest request;
                request.kind = ReasonKind::Refused;
                request.reason = QStringLiteral("An earlier attempt to %1 in %2 may have landed, and the system cannot "
                                                "say so itself (no check is set): look there before it is done again")
                                     .arg(m_action.operation, m_connector->name());
                request.evidence = {{QStringLiteral("connector"), m_connector->name()},
                                    {QStringLiteral("operation"), m_action.operation},
                                    {QStringLiteral("key"), key},
                                    {QStringLiteral("params"), render(ctx, m_action)}};
                request.choices = {
                    HumanChoice{QStringLiteral("landed"), QStringLiteral("It is there: carry on"),
                                {{QStringLiteral("outputs"), QJsonObject{{QStringLiteral("already_done"), true}}}}},
                    HumanChoice{QStringLiteral("done_by_hand"), QStringLiteral("It was missing: I have done it by hand"),
                                {{QStringLiteral("outputs"), QJsonObject{{QStringLiteral("already_done"), false}}}}},
                };
                return StepOutcome::needsHuman(request);
            }
        }

        const QJsonObject params = render(ctx, m_action);
        rest::CallOptions options = callOptions(ctx, key);
        if (m_upload) {
            auto bytes = uploadBytes(ctx, *m_upload);
            if (!bytes) {
                if (auto abandoned = ctx.abandonAction(); !abandoned)
                    return StepOutcome::retryLater(1s, abandoned.error().toString());
                return StepOutcome::fail(QStringLiteral("%1 through %2: %3")
                                             .arg(m_action.operation, m_connector->name(), bytes.error().message()));
            }
            options.upload = std::move(*bytes);
        }
        const auto result = m_connector->call(m_action.operation, params, options);
        if (!result) {
            if (cleanSlate && !result.error().maybeActed) {
                // Known not to have acted (e.g. 503, 422, no connection): the next attempt
                // need not check for it.
                if (auto abandoned = ctx.abandonAction(); !abandoned)
                    return StepOutcome::retryLater(1s, abandoned.error().toString());
            }
            return failed(ctx, result.error(), m_action.operation, params);
        }
        QJsonObject outputs = result->fields;
        outputs.insert(QStringLiteral("status"), result->status);
        outputs.insert(QStringLiteral("already_done"), false);
        if (!result->records.isEmpty() || result->pages > 1)
            outputs.insert(QStringLiteral("records"), result->records);
        return finish(ctx, outputs);
    }

    QString describeAction(const StepContext &ctx) const override
    {
        Q_UNUSED(ctx);
        return QStringLiteral("%1 %2 through connector %3")
            .arg(m_connector->method(m_action.operation), m_action.operation, m_connector->name());
    }

private:
    static QJsonObject render(const StepContext &ctx, const Call &call)
    {
        QJsonObject params;
        for (const auto &[name, value] : call.params)
            params.insert(name, ctx.renderValue(value));
        return params;
    }

    static StepOutcome finish(StepContext &ctx, const QJsonObject &outputs)
    {
        if (auto finished = ctx.finishAction(); !finished)
            return StepOutcome::retryLater(1s, finished.error().toString());
        return StepOutcome::continueWith(outputs);
    }

    StepOutcome failed(const StepContext &ctx, const rest::CallError &error, const QString &operation,
                       const QJsonObject &params = {}) const
    {
        const QString reason = error.error.message();  // connector, operation and status; no values
        if (error.retryable)
            return StepOutcome::retryLater(error.retryAfter, reason);
        if (error.error.code() == ErrorCode::PermissionDenied || error.httpStatus == 0 || !m_refusedToPerson)
            return StepOutcome::fail(reason);
        HumanRequest request;
        request.kind = ReasonKind::Refused;
        request.reason = reason;
        request.evidence = {{QStringLiteral("connector"), m_connector->name()},
                            {QStringLiteral("operation"), operation},
                            {QStringLiteral("status"), error.httpStatus},
                            {QStringLiteral("answer"), QString::fromUtf8(error.body)},
                            {QStringLiteral("params"), params},
                            {QStringLiteral("key"), ctx.idempotencyKey()}};
        request.choices = {HumanChoice{QStringLiteral("done_by_hand"),
                                       QStringLiteral("I have made the change in %1 by hand").arg(m_connector->name()),
                                       {{QStringLiteral("outputs"), QJsonObject{{QStringLiteral("already_done"), true}}}}}};
        return StepOutcome::needsHuman(request);
    }

    // The action key, and the step's time limit for the call's timeouts.
    static rest::CallOptions callOptions(const StepContext &ctx, const QString &key)
    {
        rest::CallOptions options;
        options.idempotencyKey = key;
        options.deadline = steadyDeadline(ctx.deadline());
        return options;
    }

    std::shared_ptr<rest::RestConnector> m_connector;
    Call m_action;
    std::optional<Call> m_check;
    std::optional<bot::Template> m_upload;
    bool m_refusedToPerson = true;
};

} // namespace

StepType restStepType()
{
    bot::StepTypeSchema schema;
    schema.name = QStringLiteral("rest");
    schema.summary = QStringLiteral(
        "Acts in an outside system (a case system) through one of a connector's operations: add a case note, create a "
        "case, assign it to a team. Never acts twice: the action's key goes out as an Idempotency-Key header, or "
        "`check` finds the step's own earlier action (write {{ key }} into what the operation creates). A system "
        "that is down or busy makes the item wait and retry; a refused request goes to a person with the system's "
        "answer.");
    schema.sideEffects = true;
    schema.params = restParams().all();
    schema.outputs = [](const QJsonObject &) {
        // The operation's `response` fields, plus these; the connector file is not known here.
        return QStringList{QStringLiteral("*"), QStringLiteral("status"), QStringLiteral("already_done"),
                           QStringLiteral("records")};
    };
    schema.example = QStringLiteral(
        "- id: note\n"
        "  type: rest\n"
        "  params:\n"
        "    connector: redmine\n"
        "    operation: add_note\n"
        "    params:\n"
        "      id: \"{{ match.record_id }}\"\n"
        "      notes: \"Contact form received {{ input.received }}; matched by clerk.\"\n"
        "    check:\n"
        "      operation: get_case_notes\n"
        "      params:\n"
        "        id: \"{{ match.record_id }}\"\n");

    StepType type;
    type.schema = schema;
    type.create = [](const bot::BotDefinition &bot, const bot::StepDefinition &step) -> Result<std::unique_ptr<Step>> {
        const RestParams &keys = restParams();
        const QString name = keys.connector.stringIn(step.params);
        const bot::ConnectorDefinition *definition = bot.connector(name);
        if (!definition)
            return fail(Error::notFound(QStringLiteral("connector '%1' is not known").arg(name)));
        if (definition->kind != QLatin1String(rest::kRestKind))
            return fail(Error::invalidArgument(QStringLiteral("connector '%1' is not a rest connector").arg(name)));
        auto connector = rest::sharedConnector(*definition);
        if (!connector)
            return fail(connector.error());
        auto action = parseCall(step.params, **connector, QStringLiteral("operation"));
        if (!action)
            return fail(action.error());
        std::optional<Call> check;
        if (keys.check.isIn(step.params)) {
            auto parsed = parseCall(keys.check.objectIn(step.params), **connector, keys.check.name);
            if (!parsed)
                return fail(parsed.error());
            check = *parsed;
        }
        std::optional<bot::Template> upload;
        if (keys.upload.isIn(step.params)) {
            auto parsed = bot::Template::parse(keys.upload.stringIn(step.params));
            if (!parsed)
                return fail(Error::invalidArgument(QStringLiteral("upload: %1").arg(parsed.error().message())));
            upload = *parsed;
        }
        if ((*connector)->isUpload(action->operation) != upload.has_value())
            return fail(Error::invalidArgument(
                upload ? QStringLiteral("upload: operation %1 of connector %2 sends no file").arg(action->operation, name)
                       : QStringLiteral("operation %1 of connector %2 sends a file: name it with upload, e.g. "
                                        "upload: \"{{ letter.file }}\"").arg(action->operation, name)));
        const bool toPerson = keys.onRefused.stringIn(step.params) != QLatin1String("fail");
        return std::unique_ptr<Step>(
            new RestStep(*connector, std::move(*action), std::move(check), std::move(upload), toPerson));
    };
    return type;
}

} // namespace clerk::engine
