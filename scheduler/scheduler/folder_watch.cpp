#include "scheduler/folder_watch.h"

#include "core/duration.h"
#include "engine/record_source.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>

namespace clerk::scheduler {

namespace {

QString absoluteIn(const QString &base, const QString &path)
{
    return QDir::cleanPath(QDir(base).absoluteFilePath(path));
}

Result<std::chrono::milliseconds> durationIn(const QJsonObject &options, const QString &key,
                                             std::chrono::milliseconds fallback)
{
    if (!options.contains(key))
        return fallback;
    auto parsed = parseDuration(options.value(key).toString());
    if (!parsed)
        return fail(Error::invalidArgument(QStringLiteral("watch.%1: %2").arg(key, parsed.error().message())));
    return *parsed;
}

} // namespace

Result<WatchSettings> WatchSettings::forBot(const bot::BotDefinition &bot)
{
    if (!bot.trigger || bot.trigger->kind != bot::TriggerDefinition::Kind::Watch)
        return fail(Error::invalidArgument(QStringLiteral("bot %1 has no watch trigger").arg(bot.name)));
    const QJsonObject &options = bot.trigger->options;
    const QString folder = options.value(QStringLiteral("folder")).toString();
    if (folder.isEmpty())
        return fail(Error::invalidArgument(QStringLiteral("watch needs a folder")));
    WatchSettings settings;
    settings.folder = absoluteIn(bot.baseDir.isEmpty() ? QDir::currentPath() : bot.baseDir, folder);
    settings.pattern = options.value(QStringLiteral("pattern")).toString(QStringLiteral("*"));
    settings.doneFolder =
        absoluteIn(settings.folder, options.value(QStringLiteral("done_folder")).toString(QStringLiteral("done")));
    settings.failedFolder =
        absoluteIn(settings.folder, options.value(QStringLiteral("failed_folder")).toString(QStringLiteral("failed")));
    auto settle = durationIn(options, QStringLiteral("settle"), settings.settle);
    if (!settle)
        return fail(settle.error());
    auto poll = durationIn(options, QStringLiteral("poll"), settings.poll);
    if (!poll)
        return fail(poll.error());
    settings.settle = *settle;
    settings.poll = std::max(*poll, std::chrono::milliseconds(100));
    return settings;
}

WatchScan FolderWatch::scan(engine::Engine &engine, store::WorkQueue &store, const bot::BotDefinition &bot,
                            const QDateTime &now, const BusinessHours *window)
{
    WatchScan result;
    m_lastScan = now;
    const QDir dir(m_settings.folder);
    if (!dir.exists()) {
        result.problems.append(QStringLiteral("bot %1: watched folder %2 does not exist").arg(bot.name, m_settings.folder));
        return result;
    }
    const QFileInfoList entries = dir.entryInfoList({m_settings.pattern}, QDir::Files | QDir::NoDotAndDotDot, QDir::Name);

    QHash<QString, FileState> seen;
    for (const QFileInfo &entry : entries) {
        FileState state = m_files.value(entry.fileName());
        if (!state.stableSince.isValid() || state.size != entry.size() || state.modified != entry.lastModified()) {
            state = FileState{entry.size(), entry.lastModified(), now, false, {}};
        }
        const QString path = entry.absoluteFilePath();
        const QString name = entry.fileName();

        if (!state.submitted) {
            const bool settled = state.stableSince.msecsTo(now) >= m_settings.settle.count();
            if (!settled || (window && !window->contains(now))) {
                seen.insert(name, state);
                continue;
            }
            auto records = engine::readInputFile(path, bot.inputIdField);
            if (!records) {
                if (records.error().code() == ErrorCode::NotFound)
                    continue;  // gone since the listing (moved by another process)
                result.problems.append(QStringLiteral("bot %1: %2 cannot be read (%3); moved to %4")
                                           .arg(bot.name, name, records.error().message(), m_settings.failedFolder));
                if (auto moved = file(path, m_settings.failedFolder); !moved)
                    result.problems.append(moved.error().toString());
                else
                    ++result.filed;
                continue;
            }
            bool storeFailed = false;
            for (const engine::SourceRecord &record : *records) {
                if (!record.problem.isEmpty()) {
                    result.problems.append(QStringLiteral("bot %1: %2: %3").arg(bot.name, record.origin, record.problem));
                    continue;
                }
                auto submitted = engine.submit(bot, record.sourceRef, record.payload);
                if (!submitted) {
                    result.problems.append(QStringLiteral("bot %1: %2 not enqueued: %3")
                                               .arg(bot.name, record.origin, submitted.error().toString()));
                    storeFailed = true;
                    break;
                }
                state.items.append(submitted->id);
                if (submitted->created)
                    ++result.enqueued;
            }
            if (storeFailed) {
                state.items.clear();  // try the whole file again on the next scan
                seen.insert(name, state);
                continue;
            }
            state.submitted = true;
            if (state.items.isEmpty()) {
                result.problems.append(QStringLiteral("bot %1: %2 holds no usable record; moved to %3")
                                           .arg(bot.name, name, m_settings.failedFolder));
                if (auto moved = file(path, m_settings.failedFolder); !moved)
                    result.problems.append(moved.error().toString());
                else
                    ++result.filed;
                continue;
            }
        }

        // Submitted: move the file once every item is final.
        bool allFinal = true;
        bool anyFailed = false;
        for (qint64 id : std::as_const(state.items)) {
            auto item = store.item(id);
            if (!item) {
                result.problems.append(QStringLiteral("bot %1: item %2 of %3: %4")
                                           .arg(bot.name, QString::number(id), name, item.error().toString()));
                allFinal = false;
                break;
            }
            if (!isFinal(item->state)) {
                allFinal = false;
                break;
            }
            anyFailed = anyFailed || item->state != ItemState::Done;
        }
        if (!allFinal) {
            seen.insert(name, state);
            continue;
        }
        const QString target = anyFailed ? m_settings.failedFolder : m_settings.doneFolder;
        if (auto moved = file(path, target); !moved) {
            if (QFileInfo::exists(path)) {
                result.problems.append(moved.error().toString());
                seen.insert(name, state);
            }
        } else {
            ++result.filed;
        }
    }
    m_files = std::move(seen);
    return result;
}

Result<QString> FolderWatch::file(const QString &path, const QString &folder) const
{
    if (!QDir().mkpath(folder))
        return fail(Error::permissionDenied(QStringLiteral("cannot create folder %1").arg(folder)));
    const QFileInfo info(path);
    const QString base = info.completeBaseName();
    const QString suffix = info.suffix().isEmpty() ? QString() : QLatin1Char('.') + info.suffix();
    QString target = QDir(folder).filePath(info.fileName());
    for (int n = 1; QFileInfo::exists(target); ++n) {
        if (n > 10000)
            return fail(Error::conflict(QStringLiteral("no free name for %1 in %2").arg(info.fileName(), folder)));
        target = QDir(folder).filePath(QStringLiteral("%1-%2%3").arg(base).arg(n).arg(suffix));
    }
    if (!QFile::rename(path, target))
        return fail(Error::unavailable(QStringLiteral("cannot move %1 to %2").arg(path, folder)));
    return target;
}

QDateTime FolderWatch::nextScan() const
{
    if (!m_lastScan.isValid())
        return {};
    QDateTime next = m_lastScan.addMSecs(m_settings.poll.count());
    for (const FileState &state : m_files) {
        if (!state.submitted) {
            const QDateTime settles = state.stableSince.addMSecs(m_settings.settle.count());
            if (settles > m_lastScan && settles < next)
                next = settles;  // a settled file waiting for business hours waits for the poll
        }
    }
    return next;
}

} // namespace clerk::scheduler
