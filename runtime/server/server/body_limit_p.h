// BodyLimit: refuses a request whose body is too large while it arrives, before the HTTP
// library has buffered it. Qt's HTTP server (6.4) reads a whole request, body included,
// into memory before the server sees it; BodyLimit watches the bytes of one connection
// first, as they arrive, and stops the library from reading once a request's declared or
// received body passes the limit (or its header lines pass kMaxHeadBytes).
//
// It sees each byte once: it is connected to the socket's readyRead before the library's
// reader, peeks at what arrived, and the library then reads all of it. On refusal it
// disconnects the library's reader, drops what is buffered and what still comes, and hands
// the answer's status to its owner, which writes it and closes the connection.
//
// Private to clerk_server. Thread-safety: lives on its socket's thread.
#pragma once

#include <QObject>
#include <QPointer>
#include <QSslServer>
#include <QTcpServer>
#include <QTcpSocket>

#include <functional>

namespace clerk::server {

class BodyLimit final : public QObject {
public:
    static constexpr qint64 kMaxHeadBytes = 64 * 1024;

    struct Limits {
        qint64 maxBodyBytes = 1024 * 1024;
        qint64 maxSignInBodyBytes = 8 * 1024;  // POST /api/v1/session
    };
    // Called once when a request is refused: 413 (body) or 431 (header lines), and its path.
    using Refuse = std::function<void(QTcpSocket *socket, int status, const QString &path)>;

    // Watches `socket` (and is owned by it; null: only feed() is used). `library` is the
    // receiver of the HTTP library's readyRead connection, disconnected on refusal.
    // REQUIRES: made before the library connects to the socket's readyRead.
    BodyLimit(QTcpSocket *socket, QObject *library, Limits limits, Refuse refuse);

    // The status a stream of request bytes earns so far: 0 while within the limits. Public
    // for tests; `onReadyRead` feeds it what arrives.
    int feed(const char *data, qsizetype size);
    QString path() const { return m_path; }

private:
    enum class State { Head, Body, ChunkSize, ChunkData, ChunkEnd, Trailer, Refused };
    void onReadyRead();
    // Reads a line ending in '\n' into m_line; true once complete.
    bool takeLine(const char *data, qsizetype size, qsizetype &at);
    void startBody(const QByteArray &head);

    QPointer<QTcpSocket> m_socket;
    QPointer<QObject> m_library;
    Limits m_limits;
    Refuse m_refuse;
    State m_state = State::Head;
    QByteArray m_head{};
    QByteArray m_line{};
    QString m_path{};
    qint64 m_limit = 0;
    qint64 m_remaining = 0;  // Body, ChunkData, ChunkEnd: bytes left
    qint64 m_chunked = 0;    // the chunked body's bytes so far
    qint64 m_trailer = 0;    // the trailer's bytes so far
    int m_refusal = 413;     // the status once Refused
};

// A listening server whose connections get a BodyLimit before the HTTP library sees them
// (`Base`: QTcpServer, or QSslServer for HTTPS, whose sockets are handed out encrypted).
template <typename Base>
class LimitedServer final : public Base {
public:
    using Base::Base;
    std::function<void(QTcpSocket *)> onConnection{};

    QTcpSocket *nextPendingConnection() override
    {
        QTcpSocket *socket = Base::nextPendingConnection();
        if (socket && onConnection)
            onConnection(socket);
        return socket;
    }
};

} // namespace clerk::server
