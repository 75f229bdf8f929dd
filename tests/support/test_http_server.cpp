#include "test_http_server.h"

#include <QHostAddress>
#include <QMetaObject>
#include <QPointer>
#include <QTcpServer>
#include <QTcpSocket>
#include <QThread>
#include <QTimer>
#include <QUrl>
#include <QUrlQuery>

#include <future>

namespace clerk::testing {

QByteArray TestRequest::header(const QByteArray &name) const
{
    for (const auto &[key, value] : headers) {
        if (key == name.toLower())
            return value;
    }
    return {};
}

QByteArray TestRequest::path() const
{
    const qsizetype mark = target.indexOf('?');
    return mark < 0 ? target : target.left(mark);
}

QByteArray TestRequest::query(const QByteArray &name) const
{
    const qsizetype mark = target.indexOf('?');
    if (mark < 0)
        return {};
    const QUrlQuery query(QString::fromLatin1(target.mid(mark + 1)));
    return query.queryItemValue(QString::fromLatin1(name), QUrl::FullyDecoded).toUtf8();
}

TestResponse TestResponse::json(int status, const QByteArray &body)
{
    TestResponse response;
    response.status = status;
    response.headers = {{"Content-Type", "application/json"}};
    response.body = body;
    return response;
}

class TestHttpServer::Worker : public QObject {
public:
    explicit Worker(Handler handler) : m_handler(std::move(handler)) {}

    quint16 start()
    {
        m_server = new QTcpServer(this);
        QObject::connect(m_server, &QTcpServer::newConnection, this, [this] { accept(); });
        m_server->listen(QHostAddress::LocalHost, 0);
        return m_server->serverPort();
    }

    QList<TestRequest> requests() const
    {
        QMutexLocker lock(&m_mutex);
        return m_requests;
    }
    int connections() const
    {
        QMutexLocker lock(&m_mutex);
        return m_connections;
    }

private:
    void accept()
    {
        while (QTcpSocket *socket = m_server->nextPendingConnection()) {
            int number = 0;
            {
                QMutexLocker lock(&m_mutex);
                number = ++m_connections;
            }
            socket->setParent(this);
            auto buffer = std::make_shared<QByteArray>();
            QObject::connect(socket, &QTcpSocket::readyRead, this, [this, socket, buffer, number] {
                buffer->append(socket->readAll());
                serve(socket, *buffer, number);
            });
            QObject::connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
        }
    }

    void serve(QTcpSocket *socket, QByteArray &buffer, int number)
    {
        for (;;) {
            const qsizetype end = buffer.indexOf("\r\n\r\n");
            if (end < 0)
                return;
            const QList<QByteArray> lines = buffer.left(end).split('\n');
            TestRequest request;
            request.connection = number;
            const QList<QByteArray> first = lines.value(0).trimmed().split(' ');
            request.method = first.value(0);
            request.target = first.value(1);
            qsizetype length = 0;
            for (qsizetype i = 1; i < lines.size(); ++i) {
                const QByteArray line = lines.at(i).trimmed();
                const qsizetype colon = line.indexOf(':');
                if (colon <= 0)
                    continue;
                const QByteArray name = line.left(colon).trimmed().toLower();
                const QByteArray value = line.mid(colon + 1).trimmed();
                request.headers.emplaceBack(name, value);
                if (name == "content-length")
                    length = value.toLongLong();
            }
            if (buffer.size() < end + 4 + length)
                return;
            request.body = buffer.mid(end + 4, length);
            buffer.remove(0, end + 4 + length);
            {
                QMutexLocker lock(&m_mutex);
                m_requests.append(request);
            }
            const TestResponse response = m_handler(request);
            if (response.delayMs > 0) {
                QPointer<QTcpSocket> guard(socket);
                QTimer::singleShot(response.delayMs, this, [this, guard, response] {
                    if (guard)
                        answer(guard, response);
                });
            } else {
                answer(socket, response);
            }
        }
    }

    void answer(QTcpSocket *socket, const TestResponse &response)
    {
        if (response.drop) {
            socket->abort();
            return;
        }
        QByteArray head = "HTTP/1.1 " + QByteArray::number(response.status) + " Status\r\n";
        for (const auto &[name, value] : response.headers)
            head += name + ": " + value + "\r\n";
        head += "Content-Length: " + QByteArray::number(response.body.size()) + "\r\n\r\n";
        socket->write(head);
        const int pieces = std::max(1, response.bodyPieces);
        if (pieces == 1 || response.body.isEmpty()) {
            socket->write(response.body);
            socket->flush();
            return;
        }
        const qsizetype size = (response.body.size() + pieces - 1) / pieces;
        QPointer<QTcpSocket> guard(socket);
        for (int i = 0; i < pieces; ++i) {
            const QByteArray piece = response.body.mid(i * size, size);
            QTimer::singleShot(i * response.pieceDelayMs, this, [guard, piece] {
                if (guard) {
                    guard->write(piece);
                    guard->flush();
                }
            });
        }
    }

    Handler m_handler;
    QTcpServer *m_server = nullptr;
    mutable QMutex m_mutex;
    QList<TestRequest> m_requests;  // GUARDED_BY(m_mutex)
    int m_connections = 0;          // GUARDED_BY(m_mutex)
};

TestHttpServer::TestHttpServer(Handler handler) : m_thread(std::make_unique<QThread>())
{
    m_worker = new Worker(std::move(handler));
    m_worker->moveToThread(m_thread.get());
    m_thread->start();
    std::promise<quint16> started;
    QMetaObject::invokeMethod(m_worker, [this, &started] { started.set_value(m_worker->start()); });
    m_port = started.get_future().get();
}

TestHttpServer::~TestHttpServer()
{
    QMetaObject::invokeMethod(m_worker, [this] { delete m_worker; }, Qt::BlockingQueuedConnection);
    m_thread->quit();
    m_thread->wait();
}

QString TestHttpServer::url() const
{
    return QStringLiteral("http://127.0.0.1:%1/").arg(m_port);
}

QList<TestRequest> TestHttpServer::requests() const
{
    return m_worker->requests();
}

int TestHttpServer::connections() const
{
    return m_worker->connections();
}

} // namespace clerk::testing
