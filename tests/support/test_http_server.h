// TestHttpServer: a real HTTP/1.1 server on 127.0.0.1 for tests, answering with a
// function the test gives, including faults: delays before the answer (timeouts),
// bodies sent slowly in pieces, connections dropped without an answer.
//
// It runs in its own thread with its own event loop, so blocking clients (libcurl in
// the test's thread) can talk to it. Keep-alive connections are kept; the number of
// connections accepted tells a test whether its client reused them.
//
// Thread-safety: the handler runs on the server's thread; requests() and
// connections() may be read from any thread.
#pragma once

#include <QByteArray>
#include <QList>
#include <QMutex>
#include <QPair>
#include <QString>
#include <functional>
#include <memory>

class QThread;

namespace clerk::testing {

struct TestRequest {
    QByteArray method;
    QByteArray target;   // path and query, as sent
    QList<QPair<QByteArray, QByteArray>> headers;  // names lower-cased
    QByteArray body;
    int connection = 0;  // which accepted connection it came on (1-based)

    QByteArray header(const QByteArray &name) const;
    QByteArray path() const;   // target without the query
    QByteArray query(const QByteArray &name) const;  // a query parameter, percent-decoded
};

struct TestResponse {
    int status = 200;
    QList<QPair<QByteArray, QByteArray>> headers;
    QByteArray body;
    int delayMs = 0;            // wait before answering
    int bodyPieces = 1;         // send the body in this many pieces...
    int pieceDelayMs = 0;       // ...with this wait between them
    bool drop = false;          // close the connection without answering

    static TestResponse json(int status, const QByteArray &body);
};

class TestHttpServer {
public:
    using Handler = std::function<TestResponse(const TestRequest &)>;

    explicit TestHttpServer(Handler handler);
    ~TestHttpServer();

    quint16 port() const { return m_port; }
    QString url() const;  // "http://127.0.0.1:PORT/"

    QList<TestRequest> requests() const;
    int connections() const;

private:
    class Worker;
    std::unique_ptr<QThread> m_thread;
    Worker *m_worker = nullptr;  // lives on m_thread
    quint16 m_port = 0;
};

} // namespace clerk::testing
