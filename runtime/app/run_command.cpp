// clerk run BOT --input PATH...: enqueues each input as a work item, processes the bot's
// runnable items to completion with N workers, and prints what happened to each input.
#include "cli_support.h"
#include "commands.h"

#include "core/duration.h"
#include "engine/engine.h"
#include "engine/record_source.h"

#include <QCryptographicHash>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QMutex>
#include <QSet>
#include <QTemporaryDir>
#include <QThread>

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
        QMutexLocker lock(&m_mutex);
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
        QMutexLocker lock(&m_mutex);
        return m_trace.value(itemId);
    }

private:
    mutable QMutex m_mutex;
    QHash<qint64, QStringList> m_trace;  // GUARDED_BY(m_mutex)
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
    QCommandLineOption input({QStringLiteral("i"), QStringLiteral("input")},
                             QStringLiteral("A file or folder to process (repeatable)."), QStringLiteral("path"));
    QCommandLineOption dryRun(QStringLiteral("dry-run"),
                              QStringLiteral("Show what would happen: run the steps on a throwaway database, without "
                                             "outbound actions (steps with side effects only say what they would do)."));
    QCommandLineOption workers({QStringLiteral("w"), QStringLiteral("workers")},
                               QStringLiteral("Worker threads (default: the number of cores)."), QStringLiteral("n"));
    QCommandLineOption wait(QStringLiteral("wait"),
                            QStringLiteral("Wait for retries due within this time before printing the summary "
                                           "(default 30s; 0s to not wait)."),
                            QStringLiteral("duration"), QStringLiteral("30s"));
    QCommandLineOption lease(QStringLiteral("lease"),
                             QStringLiteral("How long a worker holds an item before another may take it over if the "
                                            "worker died (default 30s)."),
                             QStringLiteral("duration"), QStringLiteral("30s"));
    QCommandLineOption fromSource(QStringLiteral("from-source"),
                                  QStringLiteral("Also read new records from the bot's source (a case system's list of "
                                                 "new work) once, and mark each as taken."));
    parser.addOptions({input, fromSource, dryRun, workers, wait, lease});
    parser.addPositionalArgument(QStringLiteral("bot"), QStringLiteral("The bot file."), QStringLiteral("BOT"));
    int exitCode = ExitOk;
    if (!parseCommand(parser, arguments, exitCode))
        return exitCode;
    if (parser.positionalArguments().size() != 1) {
        err() << "clerk run: name exactly one bot file, e.g. clerk run bots/inbound-post.yaml --input scans/\n";
        err().flush();
        return ExitInvalid;
    }
    int workerCount = QThread::idealThreadCount();
    if (parser.isSet(workers)) {
        bool ok = false;
        workerCount = parser.value(workers).toInt(&ok);
        if (!ok || workerCount < 1 || workerCount > 64) {
            err() << "clerk run: --workers takes a number from 1 to 64\n";
            err().flush();
            return ExitInvalid;
        }
    }
    const auto waitFor = parseDuration(parser.value(wait));
    if (!waitFor) {
        err() << "clerk run: --wait: " << waitFor.error().message() << "\n";
        err().flush();
        return ExitInvalid;
    }
    const auto leaseFor = parseDuration(parser.value(lease));
    if (!leaseFor || leaseFor->count() < 1000) {
        err() << "clerk run: --lease takes a duration of at least 1s, e.g. 30s\n";
        err().flush();
        return ExitInvalid;
    }
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
    if (!store) {
        err() << "clerk run: " << store.error().toString() << "\n";
        err().flush();
        return ExitInvalid;
    }

    engine::EngineOptions engineOptions;
    engineOptions.dryRun = isDryRun;
    engineOptions.leaseFor = *leaseFor;
    engineOptions.connectors = connectors;
    // The inputs named here are the operator's: documents under them may be read and
    // moved, as may those under the bot's own intake folders. A record's file elsewhere
    // is refused.
    for (const QString &path : parser.values(input))
        engineOptions.intakeRoots.append(QFileInfo(path).absoluteFilePath());
    engine::Engine submitter(**store, registry, engineOptions);

    // Enqueue every input before processing any, so a crash mid-batch loses none.
    QList<Input> rejected;
    QList<std::pair<Input, store::EnqueueResult>> accepted;
    QSet<qint64> acceptedIds;
    int passedOver = 0;
    const QStringList inputFiles = expandInputs(parser.values(input), *definition, passedOver);
    if (passedOver > 0) {
        err() << "clerk run: " << passedOver << (passedOver == 1 ? " file" : " files")
              << " in the folders given are not inputs of this bot (input.files: "
              << definition->inputFilePatterns().join(QStringLiteral(", ")) << "): left alone\n";
        err().flush();
    }
    for (const QString &path : inputFiles) {
        const auto records = engine::readInputFile(path, definition->inputIdField);
        if (!records) {
            rejected.append(Input{QFileInfo(path).absoluteFilePath(), {}, {}, records.error().message()});
            continue;
        }
        for (const engine::SourceRecord &record : *records) {
            Input item{record.origin, record.sourceRef, record.payload, record.problem};
            if (item.problem.isEmpty())
                item.problem = engine::recordMisfit(item.payload, *definition);
            if (!item.problem.isEmpty()) {
                rejected.append(item);
                continue;
            }
            auto enqueued = submitter.submit(*definition, item.sourceRef, item.payload);
            if (!enqueued) {
                err() << "clerk run: " << enqueued.error().toString() << "\n";
                err().flush();
                return ExitInvalid;
            }
            if (!acceptedIds.contains(enqueued->id)) {  // the same record twice in this run: one item
                acceptedIds.insert(enqueued->id);
                accepted.append({item, *enqueued});
            }
        }
    }
    if (parser.isSet(fromSource)) {
        if (!definition->source) {
            err() << "clerk run: " << botPath << " has no source: add a source block, or give --input\n";
            err().flush();
            return ExitInvalid;
        }
        auto polled = engine::pollSource(submitter, *definition);
        if (!polled) {
            err() << "clerk run: source: " << polled.error().toString() << "\n";
            err().flush();
            return ExitInvalid;
        }
        for (const QString &problem : polled->problems)
            err() << "clerk run: source: " << problem << "\n";
        if (polled->truncated)
            err() << "clerk run: source: more records than paginate.max_pages allows; the rest come with the next poll\n";
        err().flush();
        for (const auto &[record, enqueued] : polled->items) {
            if (!acceptedIds.contains(enqueued.id)) {
                acceptedIds.insert(enqueued.id);
                accepted.append({Input{record.sourceRef, record.sourceRef, record.payload, {}}, enqueued});
            }
        }
    }

    QElapsedTimer timer;
    timer.start();
    RunObserver observer;
    const bool showProgress = !json && ::isatty(STDOUT_FILENO);
    const int total = static_cast<int>(std::count_if(accepted.begin(), accepted.end(), [](const auto &a) {
        return !isFinal(a.second.state) && a.second.state != ItemState::WaitingForHuman;
    }));

    QString workerError;
    QMutex workerErrorMutex;
    // A paused bot's items are stored and wait: nothing is run for it.
    bool paused = false;
    if (auto listed = (*store)->pausedBots(); listed && listed->contains(definition->name)) {
        paused = true;
        err() << "clerk run: bot " << definition->name << " is paused: its items wait (clerk bot resume "
              << definition->name << ")\n";
        err().flush();
    }
    qint64 processingMs = 0;  // until the workers last stopped, without the summary's reads
    for (; !paused;) {
        std::atomic<int> running{workerCount};
        std::vector<std::thread> threads;
        for (int w = 0; w < workerCount; ++w) {
            threads.emplace_back([&, w] {
                auto workerStore = openStore(location);
                QString problem;
                if (!workerStore) {
                    problem = workerStore.error().toString();
                } else {
                    engine::EngineOptions options = engineOptions;
                    options.workerId = submitter.workerId() + QStringLiteral("/w%1").arg(w);
                    engine::Engine engine(**workerStore, registry, options);
                    engine.setObserver(&observer);
                    if (auto added = engine.addBot(*definition); !added)
                        problem = added.error().toString();
                    else if (auto ran = engine.runUntilIdle({definition->name}); !ran)
                        problem = ran.error().toString();
                }
                if (!problem.isEmpty()) {
                    QMutexLocker lock(&workerErrorMutex);
                    workerError = problem;
                }
                --running;
            });
        }
        for (int tick = 0; running > 0; ++tick) {
            if (showProgress && tick % 10 == 0 && timer.elapsed() > 1000)
                drawProgress(std::min<int>(observer.stopped, total), total, timer);
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        for (std::thread &thread : threads)
            thread.join();
        processingMs = timer.elapsed();
        if (!workerError.isEmpty())
            break;

        // Retries due soon, and items held by a worker that died (their lease runs out),
        // are worth waiting for; later ones are reported as pending.
        QDateTime nextDue;
        for (const auto &[in, result] : accepted) {
            auto current = (*store)->item(result.id);
            if (!current)
                continue;
            QDateTime due;
            if (current->state == ItemState::Queued)
                due = current->notBefore;
            else if (current->state == ItemState::Leased)
                due = current->leaseExpiresAt;
            if (due.isValid() && (!nextDue.isValid() || due < nextDue))
                nextDue = due;
        }
        const QDateTime now = QDateTime::currentDateTimeUtc();
        if (!nextDue.isValid() || now.msecsTo(nextDue) > waitFor->count())
            break;
        while (QDateTime::currentDateTimeUtc() < nextDue) {
            if (showProgress)
                drawProgress(std::min<int>(observer.stopped, total), total, timer);
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
    }
    if (showProgress && timer.elapsed() > 1000) {
        out() << "\r\033[K";
        out().flush();
    }
    if (!workerError.isEmpty()) {
        err() << "clerk run: " << workerError << "\n";
        err().flush();
        return ExitInvalid;
    }

    // Summary of this run's inputs.
    QHash<qint64, store::ExceptionItem> openExceptions;
    store::ExceptionFilter openForBot;
    openForBot.bot = definition->name;
    openForBot.limit = 100000;
    if (auto list = (*store)->exceptions(openForBot); list) {
        for (const store::ExceptionItem &e : *list)
            openExceptions.insert(e.itemId, e);
    }
    int done = 0, waiting = 0, failed = 0, cancelled = 0, pending = 0, alreadyKnown = 0;
    QJsonArray itemsJson;
    QStringList waitingLines, failedLines, cancelledLines, pendingLines, dryRunLines;
    for (const auto &[in, result] : accepted) {
        if (!result.created)
            ++alreadyKnown;
        auto current = (*store)->item(result.id);
        if (!current)
            continue;
        QJsonObject itemJson{{QStringLiteral("id"), current->id},
                             {QStringLiteral("input"), in.path},
                             {QStringLiteral("state"), toString(current->state)},
                             {QStringLiteral("new"), result.created}};
        switch (current->state) {
        case ItemState::Done:
            ++done;
            break;
        case ItemState::WaitingForHuman: {
            ++waiting;
            const store::ExceptionItem e = openExceptions.value(current->id);
            itemJson.insert(QStringLiteral("exception_id"), e.id);
            itemJson.insert(QStringLiteral("team"), e.team);
            itemJson.insert(QStringLiteral("reason"), e.reason);
            waitingLines.append(QStringLiteral("  item %1  exception %2  team %3  step %4: %5")
                                    .arg(current->id).arg(e.id).arg(e.team, e.stepId, e.reason));
            break;
        }
        case ItemState::Failed:
            ++failed;
            itemJson.insert(QStringLiteral("reason"), current->lastError);
            failedLines.append(QStringLiteral("  item %1  %2: %3").arg(current->id).arg(QFileInfo(in.path).fileName(), current->lastError));
            break;
        case ItemState::Cancelled:
            // A person decided the item should not go on: a normal outcome, not a fault.
            ++cancelled;
            itemJson.insert(QStringLiteral("reason"), current->lastError);
            cancelledLines.append(QStringLiteral("  item %1  %2: %3").arg(current->id).arg(QFileInfo(in.path).fileName(), current->lastError));
            break;
        case ItemState::Queued:
        case ItemState::Leased:
            ++pending;
            itemJson.insert(QStringLiteral("reason"), current->lastError);
            itemJson.insert(QStringLiteral("not_before"), current->notBefore.toString(Qt::ISODate));
            pendingLines.append(QStringLiteral("  item %1  retry %2: %3")
                                    .arg(current->id)
                                    .arg(relativeTime(current->notBefore, QDateTime::currentDateTimeUtc()), current->lastError));
            break;
        }
        if (isDryRun) {
            const QStringList trace = observer.trace(current->id);
            itemJson.insert(QStringLiteral("steps"), QJsonArray::fromStringList(trace));
            dryRunLines.append(QStringLiteral("  item %1 (%2): %3")
                                   .arg(current->id).arg(QFileInfo(in.path).fileName(), trace.join(QStringLiteral("; "))));
        }
        itemsJson.append(itemJson);
    }
    QJsonArray rejectedJson;
    for (const Input &in : rejected)
        rejectedJson.append(QJsonObject{{QStringLiteral("input"), in.path}, {QStringLiteral("problem"), in.problem}});

    const double seconds = static_cast<double>(processingMs) / 1000.0;
    if (json) {
        printJson(QJsonObject{{QStringLiteral("bot"), definition->name},
                              {QStringLiteral("version"), definition->version},
                              {QStringLiteral("dry_run"), isDryRun},
                              {QStringLiteral("database"), isDryRun ? QString() : store::redactLocation(location)},
                              {QStringLiteral("seconds"), seconds},
                              {QStringLiteral("done"), done},
                              {QStringLiteral("waiting_for_human"), waiting},
                              {QStringLiteral("failed"), failed},
                              {QStringLiteral("cancelled"), cancelled},
                              {QStringLiteral("pending"), pending},
                              {QStringLiteral("items"), itemsJson},
                              {QStringLiteral("not_enqueued"), rejectedJson}});
    } else {
        QTextStream &o = out();
        o << definition->name << (isDryRun ? " (dry run)" : "") << ": " << accepted.size() << " inputs";
        if (alreadyKnown > 0)
            o << " (" << alreadyKnown << " seen before)";
        o << ", " << QString::number(seconds, 'f', 1) << " s\n";
        o << "  done                  " << done << "\n";
        o << "  waiting for a person  " << waiting << "\n";
        o << "  failed                " << failed << "\n";
        if (cancelled > 0)
            o << "  cancelled             " << cancelled << "\n";
        if (pending > 0)
            o << "  retrying later        " << pending << "\n";
        if (!rejected.isEmpty())
            o << "  not enqueued          " << rejected.size() << "\n";
        if (!waitingLines.isEmpty()) {
            // A dry run's items and questions are in a throwaway database: there is nothing to answer.
            o << (isDryRun ? "\nWould wait for a person (a dry run stores nothing; run without --dry-run to answer):\n"
                           : "\nWaiting for a person (answer with: clerk queue show ID):\n")
              << waitingLines.join(QLatin1Char('\n')) << "\n";
        }
        if (!failedLines.isEmpty())
            o << "\nFailed:\n" << failedLines.join(QLatin1Char('\n')) << "\n";
        if (!cancelledLines.isEmpty())
            o << "\nCancelled (rejected by a person):\n" << cancelledLines.join(QLatin1Char('\n')) << "\n";
        if (!pendingLines.isEmpty())
            o << "\nRetrying later:\n" << pendingLines.join(QLatin1Char('\n')) << "\n";
        if (!rejected.isEmpty()) {
            o << "\nNot enqueued:\n";
            for (const Input &in : rejected)
                o << "  " << in.path << ": " << in.problem << "\n";
        }
        if (isDryRun)
            o << "\nWhat would happen:\n" << dryRunLines.join(QLatin1Char('\n')) << "\n";
        o.flush();
    }
    printDiagnostics(connectorProblems, err());
    if (failed > 0 || !rejected.isEmpty())
        return ExitItemsFailed;
    return ExitOk;
}

} // namespace clerk::app
