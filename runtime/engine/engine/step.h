// Steps: the units of work a bot's pipeline is made of, and what they see while running.
//
// A step type is registered once in the StepRegistry (step_registry.h) with its
// parameter schema and a factory. For each bot step the engine creates a Step from the
// validated StepDefinition and calls run() with a StepContext. Steps are pure with
// respect to the store: they return a StepOutcome and the engine persists it.
//
// Steps that act outside clerk (files, case systems) set `sideEffects` in their schema.
// They must be idempotent: the engine records an action key before they run
// (StepContext::beginAction) so a retried or resumed item can tell that an earlier
// attempt may already have acted, and check before acting again.
//
// @code
//   class UppercaseStep final : public Step {
//   public:
//       explicit UppercaseStep(bot::Template value) : m_value(std::move(value)) {}
//       StepOutcome run(StepContext &ctx) const override {
//           return StepOutcome::continueWith({{"text", ctx.render(m_value).toUpper()}});
//       }
//   private:
//       bot::Template m_value;
//   };
// @endcode
//
// Thread-safety: a Step is created once per bot step and may be run from several
// worker threads at once: run() must be const and keep no per-item state.
#pragma once

#include "bot/bot_definition.h"
#include "bot/template.h"
#include "core/error.h"
#include "core/step_outcome.h"
#include "core/work_item.h"
#include "store/exception_queue.h"

#include <QDeadlineTimer>
#include <QJsonObject>
#include <QString>
#include <QStringList>
#include <chrono>
#include <functional>

namespace clerk::engine {

class StepContext {
public:
    // Records durably that this step's outbound action is about to happen.
    using ActionRecorder = std::function<Result<bool>(const QString &key)>;
    using ActionFinisher = std::function<Status(const QString &key)>;

    StepContext(const WorkItem &item, const bot::BotDefinition &bot, int stepIndex, bool dryRun,
                ActionRecorder begin, ActionFinisher finish, ActionFinisher abandon = {});

    const WorkItem &item() const { return m_item; }
    const bot::BotDefinition &bot() const { return m_bot; }
    const bot::StepDefinition &step() const;
    int stepIndex() const { return m_stepIndex; }
    bool dryRun() const { return m_dryRun; }

    // When the step's time limit (key time_limit) runs out; forever when it has none.
    // Steps that wait (OCR, calls to other systems) stop early when it passes; the engine
    // then retries the item later.
    const QDeadlineTimer &deadline() const { return m_deadline; }
    void setDeadline(QDeadlineTimer deadline) { m_deadline = deadline; }

    // The data templates see: {"input": payload, "item": {"id", "source"},
    // "bot": {"name", "version"}, "<step id>": outputs, ...}.
    const QJsonObject &scope() const { return m_scope; }
    QString render(const bot::Template &value) const { return value.render(m_scope); }
    // A path from the bot file, absolute: relative paths start at the bot file's folder.
    QString resolvePath(const QString &path) const;
    QJsonValue renderValue(const bot::Template &value) const { return value.renderValue(m_scope); }

    // Places the item's documents may lie in besides the bot's own intake roots
    // (BotDefinition::intakeRoots): the engine passes EngineOptions::intakeRoots here.
    void setExtraIntakeRoots(QStringList roots) { m_extraRoots = std::move(roots); }
    // A document the item names (ocr's file, move_file's source), rendered from `value`
    // and trimmed: its canonical path (symbolic links, `.` and `..` resolved) when it lies
    // under one of the bot's intake roots or the extra roots (document_paths.h), or when
    // it is the file clerk itself enqueued the item from (enqueuedDocumentOf). A
    // template-free value is the bot author's own path and is only made absolute.
    // Fails with PermissionDenied, the message saying why, for a path outside them.
    Result<QString> documentPath(const bot::Template &value) const;
    // A file the step sends out (an upload, an attachment), rendered from `value`: one an
    // earlier `document` step of this item wrote (its `file` output; the engine confined it
    // when writing) and that still holds what it wrote (its `sha256` output), or else a
    // document the item may name (documentPath). Corrupt when the letter changed since it
    // was written; PermissionDenied for a path outside both.
    Result<QString> outgoingFile(const bot::Template &value) const;
    // A file or folder the step writes to (move_file's to, append_line's file), rendered
    // from `value`, absolute. Each value the template inserts must be one plain name (no
    // separator, `.`, `..` or control character: pathValueProblem), and the path must stay
    // under the text written before the template's first {{ (under the bot's folder when
    // there is none). Fails with PermissionDenied naming the offending reference, never
    // its value. A template-free value is the bot author's own path and is only made
    // absolute.
    Result<QString> targetPath(const bot::Template &value) const;

    // The key of this step's outbound action: "clerk-<digest>-<step index>-<step id>", the
    // digest of the bot's name and the item's source reference. Stable across retries and
    // resumes of the same item, distinct between items and between bots, and the same in
    // another clerk database only for the same bot working on the same record.
    QString idempotencyKey() const;
    // Records the key before acting. Returns true the first time; false when an earlier
    // attempt of this item already began the action (it may have landed: check first).
    Result<bool> beginAction() const;
    // Marks the action as landed.
    Status finishAction() const;
    // Forgets the begun action when it is known not to have acted (refused before acting,
    // never sent), so the next attempt does not have to check for it.
    Status abandonAction() const;

private:
    const WorkItem &m_item;
    const bot::BotDefinition &m_bot;
    int m_stepIndex;
    bool m_dryRun;
    QJsonObject m_scope;
    ActionRecorder m_begin;
    ActionFinisher m_finish;
    ActionFinisher m_abandon;
    QStringList m_extraRoots;
    QDeadlineTimer m_deadline{QDeadlineTimer::Forever};
};

// A step's deadline as a steady-clock time point, for libraries that take one (OCR,
// connectors); time_point::max() when the step has no time limit.
std::chrono::steady_clock::time_point steadyDeadline(const QDeadlineTimer &deadline);

class Step {
public:
    virtual ~Step() = default;
    // Runs the step for one item. Must not throw; a thrown exception is caught by the
    // engine and fails the item as an internal error.
    virtual StepOutcome run(StepContext &ctx) const = 0;
    // For steps with side effects: one line saying what run() would do for this item,
    // shown by `clerk run --dry-run` instead of running it. Default: the step's type.
    virtual QString describeAction(const StepContext &ctx) const;
    // A person's answer to the question this step asked (`question`, the exception item
    // it opened), checked by the step's own rules before the store records it, so an
    // answer passes the checks and filters the step's own result does. Returns the answer
    // as it is to be recorded: typed values normalised as the step normalises its own,
    // what the answer implies in Decision::outputs, a record id given as a field turned
    // into the choice that offers it. InvalidArgument, its message written for the person
    // answering, when the answer is refused. Called by Engine::checkAnswer (the CLI and
    // the web API call that). Default: the answer as given.
    //
    // @code
    //   Result<store::Decision> checkAnswer(const store::ExceptionItem &, store::Decision answer) const override {
    //       const QString code = answer.fields.value(QStringLiteral("code")).toString().trimmed().toUpper();
    //       if (!code.isEmpty() && !m_codes.contains(code))
    //           return fail(Error::invalidArgument(QStringLiteral("code is not one of: %1").arg(m_codes.join(", "))));
    //       answer.fields.insert(QStringLiteral("code"), code);
    //       return answer;
    //   }
    // @endcode
    virtual Result<store::Decision> checkAnswer(const store::ExceptionItem &question, store::Decision answer) const;
};

// A value a person typed, passed through the filters of `value` (a step's value
// template) when that template is one reference with nothing around it, e.g.
// "{{ input.postcode | upper | trim }}" turns " ls14 6hg" into "LS14 6HG"; trimmed in
// any case. Other templates (literal text, several references) leave the value trimmed.
QString applyValueFilters(const bot::Template &value, const QString &typed);

// A step's `when` (and an escalate rule's): "A == B", "A != B" (ignoring case), or one
// value that holds unless empty, false, no, 0 or null; rendered in `ctx`.
bool conditionHolds(const QString &condition, const StepContext &ctx);

} // namespace clerk::engine
