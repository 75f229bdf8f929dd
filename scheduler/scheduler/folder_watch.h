// FolderWatch: turns files dropped into a bot's watched folder into work items, and files
// whose items have finished into files in the done or failed folder.
//
// The folder is scanned on each call (the caller scans at least every `poll`; file system
// notifications, when the caller has them, only make it scan sooner). A file (matching
// `pattern`, not hidden, not a folder) is ready once its size and modification time have
// stayed the same for `settle`, measured on the scheduler's clock from the first scan
// that saw them, so a file still being copied is left alone. A ready file is read with
// engine::readInputFile(), exactly as `clerk run --input` reads it (.json, .jsonl, .csv:
// one item per record; anything else: one item for the document), and each usable record
// is submitted. When every item of the file is final, the file is moved to `done_folder`
// (all done) or `failed_folder` (any failed or cancelled; also a file that cannot be read
// or holds no usable record). Files are never deleted; a name already taken in the
// target folder gets a suffix ("form-1.json").
//
// Restarts: nothing is kept outside the store and the folder. After a restart a file is
// read again and its records submitted again; submission is deduplicated by source
// reference, so existing items are found, not repeated, and the file moves once they are
// final. A moved file is no longer in the folder, so it is never read again.
//
// Thread-safety: used from the scheduler's thread only.
#pragma once

#include "bot/bot_definition.h"
#include "core/error.h"
#include "engine/engine.h"
#include "core/business_hours.h"
#include "store/work_queue.h"

#include <QDateTime>
#include <QHash>
#include <QList>
#include <QString>
#include <QStringList>
#include <chrono>
#include <optional>

namespace clerk::scheduler {

struct WatchSettings {
    QString folder{};          // absolute
    QString pattern{};         // wildcard, e.g. "*.pdf"
    QString doneFolder{};      // absolute
    QString failedFolder{};    // absolute
    std::chrono::milliseconds settle{5000};
    std::chrono::milliseconds poll{30000};

    // The settings of a watch trigger; relative folders start at the bot file's folder
    // (done/failed: at the watched folder). InvalidArgument for a bad duration or no folder.
    static Result<WatchSettings> forBot(const bot::BotDefinition &bot);
};

struct WatchScan {
    int enqueued = 0;        // new items
    int filed = 0;           // files moved to done or failed
    QStringList problems{};  // names files and reasons, never their contents
};

class FolderWatch {
public:
    explicit FolderWatch(WatchSettings settings) : m_settings(std::move(settings)) {}

    const WatchSettings &settings() const { return m_settings; }

    // One scan at `now`. `window`: when set, ready files outside it wait (they are not
    // lost). Never fails as a whole: problems with one file are reported and the others
    // go on.
    WatchScan scan(engine::Engine &engine, store::WorkQueue &store, const bot::BotDefinition &bot,
                   const QDateTime &now, const BusinessHours *window);

    // When the next scan is worth doing: a waiting file settles, or the poll interval
    // after the last scan.
    QDateTime nextScan() const;

private:
    struct FileState {
        qint64 size = 0;
        QDateTime modified{};
        QDateTime stableSince{};    // scheduler clock: first scan that saw this size and time
        bool submitted = false;
        QList<qint64> items{};
    };
    // Moves `path` into `folder` under a free name; returns the new path.
    Result<QString> file(const QString &path, const QString &folder) const;

    WatchSettings m_settings;
    QHash<QString, FileState> m_files;  // by file name
    QDateTime m_lastScan{};
};

} // namespace clerk::scheduler
