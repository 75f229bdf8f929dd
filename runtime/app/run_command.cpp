// clerk run BOT --input PATH...: enqueues each input as a work item, processes the bot's
// runnable items to completion with N workers, and prints what happened to each input.
#include "cli_support.h"
#include "commands.h"

#include "core/duration.h"
#include "core/mutex.h"
#include "engine/engine.h"
#include "engine/record_source.h"
#include "engine/worker_pool.h"

#include <QCryptographicHash>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSet>
#include <QTemporaryDir>

#include <atomic>
#include <thread>
#include <unistd.h>

namespace clerk::app {

namespace {

struct Input {
    QString path;
    QString sourceRef;
    QJsonObject payload;
    QString problem;  // non-empty: not enqueued, and why
};

// The files to read: each file given, and each file of a folder given that is one of the
// bot's input kinds (input.files; `passedOver` counts the others, which are left alone).
QStringList expandInputs(const QStringList &given, const bot::BotDefinition &bot, int &passedOver)
{
    QStringList files;
    passedOver = 0;
    for (const QString &path : given) {
        const QFileInfo info(path);
        if (info.isDir()) {
            for (const QFileInfo &entry : QDir(path).entryInfoList(QDir::Files | QDir::Readable, QDir::Name)) {
                if (engine::isInputFileOf(entry.fileName(), bot))
                    files.append(entry.filePath());
                else
                    ++passedOver;
            }
        } else {
            files.append(path);
        }
    }
    return files;
}

// A step's decision in words: "matched CT1004 (97.5%)", "no match".
QString decisionText(const QJsonObject &outputs)
{
    const QString decision = outputs.value(QStringLiteral("decision")).toString();
    const QString record = outputs.value(QStringLiteral("record_id")).toString();
    QString text = decision == QLatin1String("no_match") ? QStringLiteral("no match") : decision;
    if (!record.isEmpty())
        text += u' ' + record;
    if (outputs.contains(QStringLiteral("probability")) && !record.isEmpty())
        text += QStringLiteral(" (%1%)").arg(outputs.value(QStringLiteral("probability")).toDouble() * 100.0, 0, 'f', 1);
    return text;
}

class RunObserver final : public engine::EngineObserver {
public:
    std::atomic<int> stopped{0};

    void onStepFinished(const WorkItem &item, const bot::StepDefinition &step, const StepOutcome &outcome) override
    {
        MutexLock lock(m_mutex);
        QString line = QStringLiteral("%1: %2").arg(step.id, toString(outcome.kind()));
        // A step whose `when` did not hold continues with {"skipped": true}: say so.
        if (outcome.kind() == StepOutcome::Kind::Continue && outcome.outputs().value(QStringLiteral("skipped")).toBool())
            line = QStringLiteral("%1: skipped").arg(step.id);
        else if (outcome.kind() == StepOutcome::Kind::Continue && outcome.outputs().contains(QStringLiteral("dry_run")))
            line = QStringLiteral("%1: would %2").arg(step.id, outcome.outputs().value(QStringLiteral("dry_run")).toString());
        else if (outcome.kind() == StepOutcome::Kind::Continue && outcome.outputs().contains(QStringLiteral("decision")))
            line = QStringLiteral("%1: %2").arg(step.id, decisionText(outcome.outputs()));
        else if (!outcome.reason().isEmpty())
            line += QStringLiteral(" (%1)").arg(outcome.reason());
        m_trace[item.id].append(line);
    }

    void onItemStopped(const WorkItem &, ItemState, const QString &) override { ++stopped; }

    QStringList trace(qint64 itemId) const
    {
        MutexLock lock(m_mutex);
        return m_trace.value(itemId);
    }

private:
    mutable Mutex m_mutex;
    QHash<qint64, QStringList> m_trace CLERK_GUARDED_BY(m_mutex);
};

void drawProgress(int finished, int total, const QElapsedTimer &timer)
{
    constexpr int width = 30;
    const int filled = total > 0 ? finished * width / total : width;
    const double seconds = static_cast<double>(timer.elapsed()) / 1000.0;
    out() << "\r[" << QString(filled, QLatin1Char('#')) << QString(width - filled, QLatin1Char('.')) << "] "
          << finished << "/" << total << " items  " << QString::number(seconds, 'f', 1) << " s";
    out().flush();
}


// The inputs of one clerk run: those stored as items (with what the store said), and
// those refused with the reason.
struct RunBatch {
    QList<Input> rejected;
    QList<std::pair<Input, store::EnqueueResult>> accepted;
};

// Adds an item to the batch once: the same record twice in this run is one item.
void accept(RunBatch &batch, QSet<qint64> &acceptedIds, Input input, const store::EnqueueResult &enqueued)
{
    if (acceptedIds.contains(enqueued.id))
        return;
    acceptedIds.insert(enqueued.id);
    batch.accepted.append({std::move(input), enqueued});
}

// Enqueues every input, and with `fromSource` the source's new records, before any is
// processed, so a crash mid-batch loses none. Errors (their message ready to print): the
// store's, a bot without a source, a source that cannot be read.
Result<RunBatch> enqueueInputs(engine::Engine &submitter, const bot::BotDefinition &definition,
                               const QStringList &given, bool fromSource, const QString &botPath)
{
    RunBatch batch;
    QSet<qint64> acceptedIds;
    int passedOver = 0;
    const QStringList inputFiles = expandInputs(given, definition, passedOver);
    if (passedOver > 0) {
        err() << "clerk run: " << passedOver << (passedOver == 1 ? " file" : " files")
              << " in the folders given are not inputs of this bot (input.files: "
              << definition.inputFilePatterns().join(QStringLiteral(", ")) << "): left alone\n";
        err().flush();
    }
    for (const QString &path : inputFiles) {
        const auto records = engine::readInputFile(path, definition.inputIdField);
        if (!records) {
            batch.rejected.append(Input{QFileInfo(path).absoluteFilePath(), {}, {}, records.error().message()});
            continue;
        }
        for (const engine::SourceRecord &record : *records) {
            Input item{record.origin, record.sourceRef, record.payload, record.problem};
            if (item.problem.isEmpty())
                item.problem = engine::recordMisfit(item.payload, definition);
            if (!item.problem.isEmpty()) {
                batch.rejected.append(item);
                continue;
            }
            auto enqueued = submitter.submit(definition, item.sourceRef, item.payload);
            if (!enqueued)
                return fail(Error::invalidArgument(enqueued.error().toString()));
            accept(batch, acceptedIds, item, *enqueued);
        }
    }
    if (!fromSource)
        return batch;
    if (!definition.source)
        return fail(Error::invalidArgument(botPath + QStringLiteral(" has no source: add a source block, or give --input")));
    auto polled = engine::pollSource(submitter, definition);
    if (!polled)
        return fail(Error::invalidArgument(QStringLiteral("source: ") + polled.error().toString()));
    for (const QString &problem : polled->problems)
        err() << "clerk run: source: " << problem << "\n";
    if (polled->truncated)
        err() << "clerk run: source: more records than paginate.max_pages allows; the rest come with the next poll\n";
    err().flush();
    for (const auto &[record, enqueued] : polled->items)
        accept(batch, acceptedIds, Input{record.sourceRef, record.sourceRef, record.payload, {}}, enqueued);
    return batch;
}

// When the soonest of the batch's items may run again: a retry's time, or the lease of an
// item held by a worker that died. Invalid when none waits.
QDateTime nextDue(store::WorkStore &store, const RunBatch &batch)
{
    QDateTime soonest;
    for (const auto &[in, result] : batch.accepted) {
        auto current = store.item(result.id);
        if (!current)
            continue;
        QDateTime due;
        if (current->state == ItemState::Queued)
            due = current->notBefore;
        else if (current->state == ItemState::Leased)
            due = current->leaseExpiresAt;
        if (due.isValid() && (!soonest.isValid() || due < soonest))
            soonest = due;
    }
    return soonest;
}

struct Processing {
    qint64 milliseconds = 0;  // until the workers last stopped, without the summary's reads
    QString problem;          // why a worker stopped early
};

// Runs the bot's runnable items with a pool of workers until none is left, then again
// for retries due within `waitFor`, drawing progress when `showProgress`.
// REQUIRES: `observer` is the pool's (poolOptions.observer).
Processing processItems(const engine::StepRegistry &registry, const engine::WorkerPoolOptions &poolOptions,
                        const RunObserver &observer, const bot::BotDefinition &definition, store::WorkStore &store,
                        const RunBatch &batch, std::chrono::milliseconds waitFor, bool showProgress)
{
    QElapsedTimer timer;
    timer.start();
    const int total = static_cast<int>(std::count_if(batch.accepted.begin(), batch.accepted.end(), [](const auto &a) {
        return !isFinal(a.second.state) && a.second.state != ItemState::WaitingForHuman;
    }));
    Processing processing;
    // A paused bot's items are stored and wait: nothing is run for it.
    if (auto listed = store.pausedBots(); listed && listed->contains(definition.name)) {
        err() << "clerk run: bot " << definition.name << " is paused: its items wait (clerk bot resume "
              << definition.name << ")\n";
        err().flush();
        return processing;
    }
    for (;;) {
        engine::WorkerPool pool(registry, poolOptions);
        pool.setBots({definition});
        pool.start();
        for (int tick = 0; pool.runningWorkers() > 0; ++tick) {
            if (showProgress && tick % 10 == 0 && timer.elapsed() > 1000)
                drawProgress(std::min<int>(observer.stopped, total), total, timer);
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        pool.join();
        processing.milliseconds = timer.elapsed();
        processing.problem = pool.problem();
        if (!processing.problem.isEmpty())
            break;
        // Retries due soon, and items held by a worker that died (their lease runs out),
        // are worth waiting for; later ones are reported as pending.
        const QDateTime due = nextDue(store, batch);
        if (!due.isValid() || QDateTime::currentDateTimeUtc().msecsTo(due) > waitFor.count())
            break;
        while (QDateTime::currentDateTimeUtc() < due) {
            if (showProgress)
                drawProgress(std::min<int>(observer.stopped, total), total, timer);
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
    }
    if (showProgress && timer.elapsed() > 1000) {
        out() << "\r\033[K";
        out().flush();
    }
    return processing;
}

// What became of a run's items, counted and described.
struct RunSummary {
    int done = 0, waiting = 0, failed = 0, cancelled = 0, pending = 0, alreadyKnown = 0;
    QJsonArray itemsJson;
    QStringList waitingLines, failedLines, cancelledLines, pendingLines, dryRunLines;
};

RunSummary summarize(store::WorkStore &store, const bot::BotDefinition &definition, const RunBatch &batch,
                     const RunObserver &observer, bool isDryRun)
{
    QHash<qint64, store::ExceptionItem> openExceptions;
    store::ExceptionFilter openForBot;
    openForBot.bot = definition.name;
    openForBot.limit = 100000;
    if (auto list = store.exceptions(openForBot); list) {
        for (const store::ExceptionItem &e : *list)
            openExceptions.insert(e.itemId, e);
    }
    RunSummary s;
    for (const auto &[in, result] : batch.accepted) {
        if (!result.created)
            ++s.alreadyKnown;
        auto current = store.item(result.id);
        if (!current)
            continue;
        QJsonObject itemJson{{QStringLiteral("id"), current->id},
                             {QStringLiteral("input"), in.path},
                             {QStringLiteral("state"), toString(current->state)},
                             {QStringLiteral("new"), result.created}};
        switch (current->state) {
        case ItemState::Done:
            ++s.done;
            break;
        case ItemState::WaitingForHuman: {
            ++s.waiting;
            const store::ExceptionItem e = openExceptions.value(current->id);
            itemJson.insert(QStringLiteral("exception_id"), e.id);
            itemJson.insert(QStringLiteral("team"), e.team);
            itemJson.insert(QStringLiteral("reason"), e.reason);
            s.waitingLines.append(QStringLiteral("  item %1  exception %2  team %3  step %4: %5")
                                      .arg(current->id).arg(e.id).arg(e.team, e.stepId, e.reason));
            break;
        }
        case ItemState::Failed:
            ++s.failed;
            itemJson.insert(QStringLiteral("reason"), current->lastError);
            s.failedLines.append(QStringLiteral("  item %1  %2: %3").arg(current->id).arg(QFileInfo(in.path).fileName(), current->lastError));
            break;
        case ItemState::Cancelled:
            // A person decided the item should not go on: a normal outcome, not a fault.
            ++s.cancelled;
            itemJson.insert(QStringLiteral("reason"), current->lastError);
            s.cancelledLines.append(QStringLiteral("  item %1  %2: %3").arg(current->id).arg(QFileInfo(in.path).fileName(), current->lastError));
            break;
        case ItemState::Queued:
        case ItemState::Leased:
            ++s.pending;
            itemJson.insert(QStringLiteral("reason"), current->lastError);
            itemJson.insert(QStringLiteral("not_before"), current->notBefore.toString(Qt::ISODate));
            s.pendingLines.append(QStringLiteral("  item %1  retry %2: %3")
                                      .arg(current->id)
                                      .arg(relativeTime(current->notBefore, QDateTime::currentDateTimeUtc()), current->lastError));
            break;
        }
        if (isDryRun) {
            const QStringList trace = observer.trace(current->id);
            itemJson.insert(QStringLiteral("steps"), QJsonArray::fromStringList(trace));
            s.dryRunLines.append(QStringLiteral("  item %1 (%2): %3")
                                     .arg(current->id).arg(QFileInfo(in.path).fileName(), trace.join(QStringLiteral("; "))));
        }
        s.itemsJson.append(itemJson);
    }
    return s;
}

void printSummaryText(const bot::BotDefinition &definition, const RunBatch &batch, const RunSummary &s,
                      double seconds, bool isDryRun)
{
    QTextStream &o = out();
    o << definition.name << (isDryRun ? " (dry run)" : "") << ": " << batch.accepted.size() << " inputs";
    if (s.alreadyKnown > 0)
        o << " (" << s.alreadyKnown << " seen before)";
    o << ", " << QString::number(seconds, 'f', 1) << " s\n";
    o << "  done                  " << s.done << "\n";
    o << "  waiting for a person  " << s.waiting << "\n";
    o << "  failed                " << s.failed << "\n";
    if (s.cancelled > 0)
        o << "  cancelled             " << s.cancelled << "\n";
    if (s.pending > 0)
        o << "  retrying later        " << s.pending << "\n";
    if (!batch.rejected.isEmpty())
        o << "  not enqueued          " << batch.rejected.size() << "\n";
    if (!s.waitingLines.isEmpty()) {
        // A dry run's items and questions are in a throwaway database: there is nothing to answer.
        o << (isDryRun ? "\nWould wait for a person (a dry run stores nothing; run without --dry-run to answer):\n"
                       : "\nWaiting for a person (answer with: clerk queue show ID):\n")
          << s.waitingLines.join(QLatin1Char('\n')) << "\n";
    }
    if (!s.failedLines.isEmpty())
        o << "\nFailed:\n" << s.failedLines.join(QLatin1Char('\n')) << "\n";
    if (!s.cancelledLines.isEmpty())
        o << "\nCancelled (rejected by a person):\n" << s.cancelledLines.join(QLatin1Char('\n')) << "\n";
    if (!s.pendingLines.isEmpty())
        o << "\nRetrying later:\n" << s.pendingLines.join(QLatin1Char('\n')) << "\n";
    if (!batch.rejected.isEmpty()) {
        o << "\nNot enqueued:\n";
        for (const Input &in : batch.rejected)
            o << "  " << in.path << ": " << in.problem << "\n";
    }
    if (isDryRun)
        o << "\nWhat would happen:\n" << s.dryRunLines.join(QLatin1Char('\n')) << "\n";
    o.flush();
}

void printSummaryJson(const bot::BotDefinition &definition, const RunBatch &batch, const RunSummary &s,
                      double seconds, bool isDryRun, const QString &location)
{
    QJsonArray rejectedJson;
    for (const Input &in : batch.rejected)
        rejectedJson.append(QJsonObject{{QStringLiteral("input"), in.path}, {QStringLiteral("problem"), in.problem}});
    printJson(QJsonObject{{QStringLiteral("bot"), definition.name},
                          {QStringLiteral("version"), definition.version},
                          {QStringLiteral("dry_run"), isDryRun},
                          {QStringLiteral("database"), isDryRun ? QString() : store::redactLocation(location)},
                          {QStringLiteral("seconds"), seconds},
                          {QStringLiteral("done"), s.done},
                          {QStringLiteral("waiting_for_human"), s.waiting},
                          {QStringLiteral("failed"), s.failed},
                          {QStringLiteral("cancelled"), s.cancelled},
                          {QStringLiteral("pending"), s.pending},
                          {QStringLiteral("items"), s.itemsJson},
                          {QStringLiteral("not_enqueued"), rejectedJson}});
}

} // namespace

int runCommand(const QStringList &arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Enqueues each input as a work item of the bot and processes the bot's runnable items\n"
        "(these, and any left from an earlier run) until each is done, waits for a person, or\n"
        "failed. An input offered again is not processed twice. Folders are expanded to their files.\n"
        "A .json file is one form or record (or an array of them), .jsonl one record a line, .csv one\n"
        "record a row; any other file is a document. With input.id in the bot, records are known by\n"
        "that field, so a form offered again in another file is not processed twice.\n"
        "Exit status: 0 when no item failed, 3 when some failed, 1 on invalid bot or arguments. An item a\n"
        "person rejected is cancelled, not failed."));
    CommonOptions common;
    common.addTo(parser);
    WorkerOptions workerOptions;
    QCommandLineOption input({QStringLiteral("i"), QStringLiteral("input")},
                             QStringLiteral("A file or folder to process (repeatable)."), QStringLiteral("path"));
    QCommandLineOption dryRun(QStringLiteral("dry-run"),
                              QStringLiteral("Show what would happen: run the steps on a throwaway database, without "
                                             "outbound actions (steps with side effects only say what they would do)."));
    QCommandLineOption wait(QStringLiteral("wait"),
                            QStringLiteral("Wait for retries due within this time before printing the summary "
                                           "(default 30s; 0s to not wait)."),
                            QStringLiteral("duration"), QStringLiteral("30s"));
    QCommandLineOption fromSource(QStringLiteral("from-source"),
                                  QStringLiteral("Also read new records from the bot's source (a case system's list of "
                                                 "new work) once, and mark each as taken."));
    parser.addOptions({input, fromSource, dryRun, workerOptions.workers, wait, workerOptions.lease});
    parser.addPositionalArgument(QStringLiteral("bot"), QStringLiteral("The bot file."), QStringLiteral("BOT"));
    int exitCode = ExitOk;
    if (!parseCommand(parser, arguments, exitCode))
        return exitCode;
    const QString run = QStringLiteral("run");
    if (parser.positionalArguments().size() != 1)
        return commandFailed(run, QStringLiteral("name exactly one bot file, e.g. clerk run bots/inbound-post.yaml --input scans/"));
    auto poolOptions = workerOptions.read(parser);
    if (!poolOptions)
        return commandFailed(run, poolOptions.error().message());
    const auto waitFor = parseDuration(parser.value(wait));
    if (!waitFor)
        return commandFailed(run, QStringLiteral("--wait: ") + waitFor.error().message());
    const bool json = parser.isSet(common.json);
    const bool isDryRun = parser.isSet(dryRun);

    const QString botPath = parser.positionalArguments().first();
    bot::Diagnostics connectorProblems;
    const bot::ConnectorSet connectors = loadConnectors({botPath}, parser.values(common.connectors), connectorProblems);
    const engine::StepRegistry registry = engine::StepRegistry::builtIn();
    const std::optional<bot::BotDefinition> definition = loadBotOrReport(botPath, registry, connectors);
    if (!definition)
        return ExitInvalid;

    QTemporaryDir dryRunDir;
    const QString location = isDryRun ? dryRunDir.filePath(QStringLiteral("dry-run.db")) : databaseLocation(parser, common);
    auto store = openStore(location);
    if (!store)
        return commandFailed(run, store.error().toString());

    engine::EngineOptions &engineOptions = poolOptions->engine;
    engineOptions.dryRun = isDryRun;
    engineOptions.connectors = connectors;
    // The inputs named here are the operator's: documents under them may be read and
    // moved, as may those under the bot's own intake folders. A record's file elsewhere
    // is refused.
    for (const QString &path : parser.values(input))
        engineOptions.intakeRoots.append(QFileInfo(path).absoluteFilePath());
    engine::Engine submitter(**store, registry, engineOptions);

    const auto batch = enqueueInputs(submitter, *definition, parser.values(input), parser.isSet(fromSource), botPath);
    if (!batch)
        return commandFailed(run, batch.error().message());

    // Each worker is "<submitter>/w<N>", with its own store connection, until nothing is runnable.
    RunObserver observer;
    engineOptions.workerId = submitter.workerId();
    poolOptions->storeLocation = location;
    poolOptions->observer = &observer;
    poolOptions->untilIdle = true;
    const bool showProgress = !json && ::isatty(STDOUT_FILENO);
    const Processing processing =
        processItems(registry, *poolOptions, observer, *definition, **store, *batch, *waitFor, showProgress);
    if (!processing.problem.isEmpty())
        return commandFailed(run, processing.problem);

    // Summary of this run's inputs.
    const RunSummary summary = summarize(**store, *definition, *batch, observer, isDryRun);
    const double seconds = static_cast<double>(processing.milliseconds) / 1000.0;
    if (json)
        printSummaryJson(*definition, *batch, summary, seconds, isDryRun, location);
    else
        printSummaryText(*definition, *batch, summary, seconds, isDryRun);
    printDiagnostics(connectorProblems, err());
    if (summary.failed > 0 || !batch->rejected.isEmpty())
        return ExitItemsFailed;
    return ExitOk;
}

} // namespace clerk::app
