// LogCapture: while one lives, every clerk.* log line (debug included) is kept instead of
// printed, so a test can check that no line holds a secret.
//
// Thread-safety: lines may be logged from any thread; one capture at a time.
#pragma once

#include <QLoggingCategory>
#include <QMutex>
#include <QStringList>

namespace clerk::testing {

class LogCapture {
public:
    LogCapture()
    {
        {
            QMutexLocker lock(&mutex());
            kept().clear();
        }
        QLoggingCategory::setFilterRules(QStringLiteral("clerk.*=true"));
        m_previous = qInstallMessageHandler(&LogCapture::keep);
    }
    ~LogCapture()
    {
        qInstallMessageHandler(m_previous);
        QLoggingCategory::setFilterRules(QString());
    }

    QStringList lines() const
    {
        QMutexLocker lock(&mutex());
        return kept();
    }

    LogCapture(const LogCapture &) = delete;
    LogCapture &operator=(const LogCapture &) = delete;

private:
    // A message handler is a plain function, so what it keeps lives outside the object.
    static QMutex &mutex()
    {
        static QMutex instance;
        return instance;
    }
    static QStringList &kept()
    {
        static QStringList instance;
        return instance;
    }
    static void keep(QtMsgType, const QMessageLogContext &, const QString &message)
    {
        QMutexLocker lock(&mutex());
        kept().append(message);
    }

    QtMessageHandler m_previous = nullptr;
};

} // namespace clerk::testing
