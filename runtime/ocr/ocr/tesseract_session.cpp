#include "ocr/tesseract_session_p.h"

#include "ocr/ocr_logging_p.h"

#include <tesseract/baseapi.h>
#include <tesseract/ocrclass.h>
#include <tesseract/resultiterator.h>

#include <mutex>

namespace clerk::ocr {

namespace {

// Below this OSD confidence the answer is a guess (few characters on the page); the
// page is then left as it is.
constexpr float MinOrientationConfidence = 2.0f;

QString takeText(char *text)
{
    const QString result = QString::fromUtf8(text);
    delete[] text;
    return result;
}

} // namespace

struct TesseractSession::Apis {
    tesseract::TessBaseAPI ocr;
    QString ocrLanguage;  // empty until ocr is initialised
    tesseract::TessBaseAPI osd;
    bool osdTried = false;
    bool osdReady = false;
};

TesseractSession::TesseractSession() : m_apis(std::make_unique<Apis>())
{
    // Leptonica reports every rotation at "info" level on stderr; keep its warnings and
    // errors. (A process-wide setting: the same for every thread.)
    static std::once_flag quiet;
    std::call_once(quiet, [] { setMsgSeverity(L_SEVERITY_WARNING); });
}

TesseractSession::~TesseractSession()
{
    m_apis->ocr.End();
    m_apis->osd.End();
}

TesseractSession &TesseractSession::forThisThread()
{
    thread_local TesseractSession session;
    return session;
}

namespace {

// Tesseract's cancel hook: asked between words whether to stop. `cancel_this` carries
// the deadline.
bool pastDeadline(void *deadline, int)
{
    return std::chrono::steady_clock::now() >= *static_cast<const std::chrono::steady_clock::time_point *>(deadline);
}

} // namespace

Result<Recognition> TesseractSession::recognise(Pix *pix, int dpi, const QString &language, std::chrono::milliseconds limit,
                                                std::chrono::steady_clock::time_point deadline)
{
    tesseract::TessBaseAPI &api = m_apis->ocr;
    if (m_apis->ocrLanguage != language) {
        m_apis->ocrLanguage.clear();
        if (api.Init(nullptr, language.toUtf8().constData(), tesseract::OEM_LSTM_ONLY) != 0)
            return fail(Error::unavailable(
                QStringLiteral("Tesseract cannot load the language \"%1\": is its tesseract-ocr-* package installed?").arg(language)));
        m_apis->ocrLanguage = language;
        // Tesseract's progress chatter ("Detected 19 diacritics") would go to stderr.
        api.SetVariable("debug_file", "/dev/null");
        qCDebug(lcOcr) << "Tesseract initialised for" << language;
    }

    // Full layout analysis, as the tesseract command does: letters have address blocks
    // side by side. (The API's own default treats the page as one block of text.)
    api.SetPageSegMode(tesseract::PSM_AUTO);
    api.SetImage(pix);
    api.SetSourceResolution(dpi);
    tesseract::ETEXT_DESC monitor;
    if (limit.count() > 0)
        monitor.set_deadline_msecs(int(std::min<qint64>(limit.count(), std::numeric_limits<int>::max())));
    const bool hasDeadline = deadline != std::chrono::steady_clock::time_point::max();
    if (hasDeadline) {
        monitor.cancel = &pastDeadline;
        monitor.cancel_this = &deadline;
    }
    const int status = api.Recognize(&monitor);
    if (limit.count() > 0 && monitor.deadline_exceeded()) {
        api.Clear();
        return fail(Error::timeout(QStringLiteral("reading the page took longer than %1 ms").arg(limit.count())));
    }
    if (hasDeadline && std::chrono::steady_clock::now() >= deadline) {
        api.Clear();
        return fail(Error::timeout(QStringLiteral("the time limit passed while the page was read")));
    }
    if (status != 0) {
        api.Clear();
        return fail(Error::unreadable(QStringLiteral("Tesseract could not recognise the page")));
    }

    Recognition result;
    result.text = takeText(api.GetUTF8Text()).trimmed();
    std::unique_ptr<tesseract::ResultIterator> it(api.GetIterator());
    double confidenceSum = 0;
    if (it) {
        do {
            const char *raw = it->GetUTF8Text(tesseract::RIL_WORD);
            if (!raw)
                continue;
            OcrWord word;
            word.text = takeText(const_cast<char *>(raw)).trimmed();
            if (word.text.isEmpty())
                continue;
            int left = 0, top = 0, right = 0, bottom = 0;
            it->BoundingBox(tesseract::RIL_WORD, &left, &top, &right, &bottom);
            word.box = QRect(QPoint(left, top), QPoint(right - 1, bottom - 1));
            word.confidence = it->Confidence(tesseract::RIL_WORD);
            confidenceSum += word.confidence;
            result.words.append(std::move(word));
        } while (it->Next(tesseract::RIL_WORD));
    }
    result.meanConfidence = result.words.isEmpty() ? 0 : confidenceSum / result.words.size();
    api.Clear();
    return result;
}

int TesseractSession::uprightRotation(Pix *pix, int dpi)
{
    if (!m_apis->osdTried) {
        m_apis->osdTried = true;
        m_apis->osdReady = m_apis->osd.Init(nullptr, "osd", tesseract::OEM_DEFAULT) == 0;
        if (m_apis->osdReady)
            m_apis->osd.SetVariable("debug_file", "/dev/null");
        if (!m_apis->osdReady)
            qCWarning(lcOcr) << "Tesseract's OSD model (tesseract-ocr-osd) is missing: pages are not turned upright";
    }
    if (!m_apis->osdReady)
        return 0;
    m_apis->osd.SetPageSegMode(tesseract::PSM_OSD_ONLY);
    m_apis->osd.SetImage(pix);
    m_apis->osd.SetSourceResolution(dpi);
    int degrees = 0;
    float confidence = 0;
    const bool found = m_apis->osd.DetectOrientationScript(&degrees, &confidence, nullptr, nullptr);
    m_apis->osd.Clear();
    qCDebug(lcOcr) << "OSD" << found << degrees << confidence;
    if (!found || confidence < MinOrientationConfidence)
        return 0;
    // OSD reports how far the page is turned clockwise; turning it back is the rest of
    // the circle.
    return (360 - degrees) % 360;
}

} // namespace clerk::ocr
