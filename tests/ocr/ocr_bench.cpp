// Reads documents with clerk's OcrEngine on N threads, for bench/ocr_bench.sh and
// bench/inbound_post_bench.sh.
//
//   ocr_bench --threads 2 --out DIR FILE...
//   ocr_bench --raw --threads 2 --out DIR FILE...
//
// Writes DIR/<file name>.txt (the text, pages joined by form feeds) and DIR/summary.tsv
// (file, pages, blank pages, mean confidence, readability, milliseconds or the error),
// and prints one line: files, pages, seconds, pages per second. Run it with
// OMP_THREAD_LIMIT=1 in the environment, as clerk itself runs.
//
// --raw is the practical limit for recognition alone: one TessBaseAPI per thread,
// initialised once, reading each file exactly as the `tesseract FILE out` command does
// (ProcessPages: multi-page TIFF, or a .txt list of page images; no PDFs), with no
// preprocessing. DIR/<name>.txt holds its text (for a list file, <name> without .list).
#include "ocr/ocr_engine.h"

#include <tesseract/baseapi.h>
#include <tesseract/renderer.h>

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
    bool raw = false;
    QString out;
    QStringList files;
    for (qsizetype i = 0; i < args.size(); ++i) {
        if (args[i] == QLatin1String("--threads") && i + 1 < args.size())
            threads = args[++i].toInt();
        else if (args[i] == QLatin1String("--out") && i + 1 < args.size())
            out = args[++i];
        else if (args[i] == QLatin1String("--raw"))
            raw = true;
        else
            files.append(args[i]);
    }
    if (out.isEmpty() || files.isEmpty() || threads < 1) {
        std::fprintf(stderr, "usage: ocr_bench [--raw] --threads N --out DIR FILE...\n");
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
    for (int t = 0; t < threads && raw; ++t) {
        workers.emplace_back([&] {
            tesseract::TessBaseAPI api;
            if (api.Init(nullptr, "eng", tesseract::OEM_DEFAULT) != 0) {
                std::fprintf(stderr, "ocr_bench: cannot load Tesseract's eng data\n");
                return;
            }
            api.SetVariable("debug_file", "/dev/null");
            api.SetPageSegMode(tesseract::PSM_AUTO);
            for (qsizetype i = next++; i < files.size(); i = next++) {
                QElapsedTimer one;
                one.start();
                QString name = QFileInfo(files[i]).fileName();
                if (name.endsWith(QStringLiteral(".txt.list")))
                    name.chop(int(qstrlen(".txt.list")));
                const QByteArray base = QDir(out).filePath(name).toUtf8();
                tesseract::TessTextRenderer renderer(base.constData());
                const bool ok = api.ProcessPages(files[i].toUtf8().constData(), nullptr, 0, &renderer);
                const int read = std::max(0, renderer.imagenum() + 1);
                pages += read;
                const std::lock_guard lock(summaryMutex);
                summary.append(ok ? QStringLiteral("%1\t%2\t\t\t\t%3").arg(name).arg(read).arg(one.elapsed())
                                  : name + QStringLiteral("\terror\tTesseract could not read it"));
            }
        });
    }
    for (int t = 0; t < threads && !raw; ++t) {
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
