// store_throughput: no-op items per second through the work store, for
// bench/store_throughput.sh.
//
//   store_throughput LOCATION ITEMS WORKERS
//
// Enqueues ITEMS items (as a source poll would), then WORKERS threads, each with its own
// store connection as `clerk run` and `clerk serve` workers have, lease and complete them
// (one no-op step each: leaseNext + completeStep(last)) until none is left. Prints one
// line: backend, workers, items, seconds and items/s of the draining phase, then checks
// that every item is done exactly once. LOCATION must be empty (a new SQLite file or an
// empty PostgreSQL database).
#include "core/clock.h"
#include "store/work_store.h"

#include <QCoreApplication>
#include <QElapsedTimer>

#include <atomic>
#include <barrier>
#include <cstdio>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using namespace clerk;

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const QStringList args = app.arguments();
    if (args.size() != 4) {
        std::fprintf(stderr, "usage: store_throughput LOCATION ITEMS WORKERS\n");
        return 2;
    }
    const QString location = args.at(1);
    const int items = args.at(2).toInt();
    const int workers = args.at(3).toInt();
    if (items < 1 || workers < 1) {
        std::fprintf(stderr, "store_throughput: ITEMS and WORKERS must be positive\n");
        return 2;
    }

    {
        auto store = store::openWorkStore(location);
        if (!store) {
            std::fprintf(stderr, "store_throughput: %s\n", qPrintable(store.error().toString()));
            return 1;
        }
        for (int i = 0; i < items; ++i) {
            auto queued = (*store)->enqueue({.bot = QStringLiteral("noop"), .sourceRef = QStringLiteral("item-%1").arg(i)});
            if (!queued) {
                std::fprintf(stderr, "store_throughput: %s\n", qPrintable(queued.error().toString()));
                return 1;
            }
        }
    }

    std::atomic<int> done{0};
    std::atomic<int> errors{0};
    std::barrier ready(workers + 1);
    QElapsedTimer timer;
    {
        std::vector<std::jthread> threads;
        for (int w = 0; w < workers; ++w) {
            threads.emplace_back([&, w] {
                auto store = store::openWorkStore(location, SystemClock::instance(), {.busyTimeout = 60s});
                ready.arrive_and_wait();
                if (!store) {
                    ++errors;
                    return;
                }
                const QString owner = QStringLiteral("bench/w%1").arg(w);
                for (;;) {
                    auto leased = (*store)->leaseNext(owner, 30s);
                    if (!leased) {
                        std::fprintf(stderr, "store_throughput: %s\n", qPrintable(leased.error().toString()));
                        ++errors;
                        return;
                    }
                    if (!leased->has_value())
                        return;
                    auto completed = (*store)->completeStep((*leased)->id, owner, 0, QStringLiteral("noop"), {}, true);
                    if (!completed) {
                        std::fprintf(stderr, "store_throughput: %s\n", qPrintable(completed.error().toString()));
                        ++errors;
                        return;
                    }
                    ++done;
                }
            });
        }
        ready.arrive_and_wait();
        timer.start();
    }
    const double seconds = double(timer.nsecsElapsed()) / 1e9;

    auto store = store::openWorkStore(location);
    auto summary = store ? (*store)->summary() : std::unexpected(store.error());
    qint64 finished = 0;
    if (summary) {
        for (const store::BotCounts &bot : summary->bots)
            finished += bot.done;
    }
    const bool exact = errors == 0 && done == items && finished == items;
    std::printf("%s workers=%d items=%d seconds=%.2f items_per_s=%.0f%s\n",
                location.startsWith(QLatin1String("postgres")) ? "postgresql" : "sqlite", workers, items, seconds,
                double(done) / seconds, exact ? "" : " (NOT every item done exactly once)");
    return exact ? 0 : 1;
}
