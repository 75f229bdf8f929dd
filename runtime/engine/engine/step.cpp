#include "engine/step.h"

#include "engine/document_paths.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>

namespace clerk::engine {

StepContext::StepContext(const WorkItem &item, const bot::BotDefinition &bot, int stepIndex, bool dryRun,
                         ActionRecorder begin, ActionFinisher finish, ActionFinisher abandon)
    : m_item(item), m_bot(bot), m_stepIndex(stepIndex), m_dryRun(dryRun),
      m_begin(std::move(begin)), m_finish(std::move(finish)), m_abandon(std::move(abandon))
{
    m_scope = item.stepOutputs;
    m_scope.insert(QStringLiteral("input"), item.payload);
    m_scope.insert(QStringLiteral("item"), QJsonObject{{QStringLiteral("id"), item.id},
                                                      {QStringLiteral("source"), item.sourceRef}});
    m_scope.insert(QStringLiteral("bot"), QJsonObject{{QStringLiteral("name"), bot.name},
                                                     {QStringLiteral("version"), bot.version}});
}

const bot::StepDefinition &StepContext::step() const
{
    return m_bot.steps.at(m_stepIndex);
}

QString StepContext::resolvePath(const QString &path) const
{
    if (path.isEmpty())
        return path;
    return QDir::cleanPath(QDir(m_bot.baseDir).absoluteFilePath(path));
}

Result<QString> StepContext::documentPath(const bot::Template &value) const
{
    const QString path = resolvePath(render(value).trimmed());
    if (value.isLiteral() || path.isEmpty())
        return path;
    // The item's own document, enqueued by clerk from a file the operator named, stays
    // readable when the item is resumed by a process that was not given that file.
    if (const QString own = enqueuedDocumentOf(m_item.sourceRef); !own.isEmpty() && own == path)
        return canonicalPath(path);
    return confineDocument(path, m_bot.intakeRoots() + m_extraRoots);
}

Result<QString> StepContext::outgoingFile(const bot::Template &value) const
{
    const QString rendered = render(value).trimmed();
    if (rendered.isEmpty())
        return fail(Error::invalidArgument(QStringLiteral("no file is named")));
    const QString path = canonicalPath(resolvePath(rendered));
    for (int i = 0; i < m_stepIndex && i < m_bot.steps.size(); ++i) {
        const bot::StepDefinition &earlier = m_bot.steps.at(i);
        if (earlier.type != QLatin1String("document"))
            continue;
        const QJsonObject outputs = m_item.stepOutputs.value(earlier.id).toObject();
        const QString written = outputs.value(QStringLiteral("file")).toString();
        if (written.isEmpty() || !QDir::isAbsolutePath(written) || canonicalPath(written) != path)
            continue;
        const QString digest = outputs.value(QStringLiteral("sha256")).toString();
        QFile file(path);
        if (!file.open(QIODevice::ReadOnly))
            return fail(Error::unreadable(QStringLiteral("the file step %1 wrote cannot be read (%2)").arg(earlier.id, file.errorString())));
        QCryptographicHash hash(QCryptographicHash::Sha256);
        if (!digest.isEmpty() && (!hash.addData(&file) || QString::fromLatin1(hash.result().toHex()) != digest))
            return fail(Error::corrupt(QStringLiteral("the file no longer holds what step %1 wrote").arg(earlier.id)));
        return path;
    }
    return documentPath(value);
}

Result<QString> StepContext::targetPath(const bot::Template &value) const
{
    if (value.isLiteral())
        return resolvePath(render(value));
    QString problem;
    const QString rendered = value.render(m_scope, [&problem](const bot::Template::Reference &reference, const QString &text) {
        if (problem.isEmpty()) {
            if (const QString why = pathValueProblem(text); !why.isEmpty())
                problem = QStringLiteral("the value of %1 %2").arg(reference.path.join(QLatin1Char('.')), why);
        }
        return text;
    });
    if (!problem.isEmpty())
        return fail(Error::permissionDenied(QStringLiteral("%1, so it cannot be part of a path").arg(problem)));
    if (rendered.isEmpty())
        return rendered;

    // The text before the first {{ is the author's: a folder ("sorted/") the path must
    // stay in, or the start of a name ("exports/contacts-") it must keep.
    const QString prefix = value.source().left(value.references().first().offset);
    const QString path = resolvePath(rendered);
    const QString canonical = canonicalPath(path);
    const bool folderPrefix = prefix.isEmpty() || prefix.endsWith(QLatin1Char('/'));
    const QString bound = canonicalPath(prefix.isEmpty() ? QDir(m_bot.baseDir).absolutePath() : resolvePath(prefix));
    const bool inside = folderPrefix ? liesUnder(canonical, bound) : canonical.startsWith(bound);
    if (!inside)
        return fail(Error::permissionDenied(
            QStringLiteral("the path leaves %1, where the bot file says it must stay").arg(prefix.isEmpty() ? m_bot.baseDir : prefix)));
    return path;
}

QString StepContext::idempotencyKey() const
{
    // Named by the bot and the item's source, not the item's number: another clerk
    // database doing the same work for the same record gets the same key, and one doing
    // other work (whose item numbers start at 1 too) never does.
    QCryptographicHash hash(QCryptographicHash::Sha256);
    hash.addData(m_bot.name.toUtf8());
    hash.addData(QByteArrayView("\0", 1));
    hash.addData(m_item.sourceRef.toUtf8());
    return QStringLiteral("clerk-%1-%2-%3")
        .arg(QString::fromLatin1(hash.result().toHex().left(16)))
        .arg(m_stepIndex)
        .arg(step().id);
}

Result<bool> StepContext::beginAction() const
{
    if (!m_begin)
        return true;
    return m_begin(idempotencyKey());
}

Status StepContext::finishAction() const
{
    if (!m_finish)
        return {};
    return m_finish(idempotencyKey());
}

Status StepContext::abandonAction() const
{
    if (!m_abandon)
        return {};
    return m_abandon(idempotencyKey());
}

QString Step::describeAction(const StepContext &ctx) const
{
    return ctx.step().type;
}

Result<store::Decision> Step::checkAnswer(const store::ExceptionItem &question, store::Decision answer) const
{
    Q_UNUSED(question);
    return answer;
}

QString applyValueFilters(const bot::Template &value, const QString &typed)
{
    const QString source = value.source().trimmed();
    if (value.references().size() != 1 || !source.startsWith(QLatin1String("{{")) || !source.endsWith(QLatin1String("}}")))
        return typed.trimmed();
    const bot::Template::Reference &reference = value.references().first();
    if (reference.path.isEmpty())
        return typed.trimmed();
    // Render the template over a scope in which its one reference is the typed value, so
    // the filters run exactly as they do on the step's own data.
    QJsonValue nested(typed);
    for (qsizetype i = reference.path.size() - 1; i >= 1; --i)
        nested = QJsonObject{{reference.path.at(i), nested}};
    return value.render(QJsonObject{{reference.path.first(), nested}}).trimmed();
}

std::chrono::steady_clock::time_point steadyDeadline(const QDeadlineTimer &deadline)
{
    if (deadline.isForever())
        return std::chrono::steady_clock::time_point::max();
    return std::chrono::steady_clock::now() +
           std::chrono::duration_cast<std::chrono::steady_clock::duration>(deadline.remainingTimeAsDuration());
}

bool conditionHolds(const QString &condition, const StepContext &ctx)
{
    const auto rendered = [&ctx](const QString &text) {
        const auto parsed = bot::Template::parse(text);
        return (parsed ? ctx.render(*parsed) : text).trimmed();
    };
    for (const QString &op : {QStringLiteral(" == "), QStringLiteral(" != ")}) {
        const qsizetype at = condition.indexOf(op);
        if (at < 0)
            continue;
        const bool equal = QString::compare(rendered(condition.left(at)), rendered(condition.mid(at + op.size())),
                                            Qt::CaseInsensitive) == 0;
        return op == QLatin1String(" == ") ? equal : !equal;
    }
    const QString value = rendered(condition).toLower();
    return !value.isEmpty() && value != QLatin1String("false") && value != QLatin1String("no") &&
           value != QLatin1String("0") && value != QLatin1String("null");
}


} // namespace clerk::engine
