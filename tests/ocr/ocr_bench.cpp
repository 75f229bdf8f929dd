// Reads documents with clerk's OcrEngine on N threads, for bench/ocr_bench.sh.
//
//   ocr_bench --threads 2 --out DIR FILE...
//
// Writes DIR/<file name>.txt (the text, pages joined by form feeds) and DIR/summary.tsv
// (file, pages, blank pages, mean confidence, readability, milliseconds or the error),
// and prints one line: files, pages, seconds, pages per second. Run it with
// OMP_THREAD_LIMIT=1 in the environment, as clerk itself runs.
#include "ocr/ocr_engine.h"

#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QStringList>

#include <atomic>
#include <clocale>
#include <cstdio>
#include <mutex>
#include <thread>
#include <vector>

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    std::setlocale(LC_NUMERIC, "C");
    QStringList args = app.arguments().mid(1);
    int threads = 2;
    QString out;
    QStringList files;
    for (qsizetype i = 0; i < args.size(); ++i) {
        if (args[i] == QLatin1String("--threads") && i + 1 < args.size())
            threads = args[++i].toInt();
        else if (args[i] == QLatin1String("--out") && i + 1 < args.size())
            out = args[++i];
        else
            files.append(args[i]);
    }
    if (out.isEmpty() || files.isEmpty() || threads < 1) {
        std::fprintf(stderr, "usage: ocr_bench --threads N --out DIR FILE...\n");
        return 2;
    }
    QDir().mkpath(out);

    std::atomic<qsizetype> next{0};
    std::atomic<int> pages{0};
    std::mutex summaryMutex;
    QStringList summary;  // guarded by summaryMutex
    QElapsedTimer timer;
    timer.start();
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) {
        workers.emplace_back([&] {
            const clerk::ocr::OcrEngine engine;
            for (qsizetype i = next++; i < files.size(); i = next++) {
                QElapsedTimer one;
                one.start();
                const auto read = engine.readDocument(files[i], clerk::ocr::OcrOptions{});
                const QString name = QFileInfo(files[i]).fileName();
                QString line;
                if (read) {
                    pages += int(read->pages.size());
                    QFile text(QDir(out).filePath(name + QStringLiteral(".txt")));
                    if (text.open(QIODevice::WriteOnly | QIODevice::Truncate))
                        text.write(read->text.toUtf8());
                    line = QStringLiteral("%1\t%2\t%3\t%4\t%5\t%6")
                               .arg(name)
                               .arg(read->pages.size())
                               .arg(read->blankPageCount())
                               .arg(read->meanConfidence, 0, 'f', 1)
                               .arg(read->readability, 0, 'f', 3)
                               .arg(one.elapsed());
                } else {
                    line = name + QStringLiteral("\terror\t") + read.error().toString();
                }
                const std::lock_guard lock(summaryMutex);
                summary.append(line);
            }
        });
    }
    for (std::thread &worker : workers)
        worker.join();
    const double seconds = double(timer.elapsed()) / 1000.0;
    summary.sort();
    QFile tsv(QDir(out).filePath(QStringLiteral("summary.tsv")));
    if (tsv.open(QIODevice::WriteOnly | QIODevice::Truncate))
        tsv.write((QStringLiteral("file\tpages\tblank\tconfidence\treadability\tms\n") + summary.join(QLatin1Char('\n')) +
                   QLatin1Char('\n'))
                      .toUtf8());
    std::printf("files %lld pages %d seconds %.2f pages/s %.3f\n", static_cast<long long>(files.size()), pages.load(),
                seconds, seconds > 0 ? pages.load() / seconds : 0.0);
    return 0;
}
