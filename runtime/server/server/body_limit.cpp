#include "server/body_limit_p.h"

#include <cstring>
#include <limits>

namespace clerk::server {

BodyLimit::BodyLimit(QTcpSocket *socket, QObject *library, Limits limits, Refuse refuse)
    : QObject(socket), m_socket(socket), m_library(library), m_limits(limits), m_refuse(std::move(refuse))
{
    if (socket)
        connect(socket, &QTcpSocket::readyRead, this, &BodyLimit::onReadyRead);
}

void BodyLimit::onReadyRead()
{
    if (!m_socket)
        return;
    if (m_state == State::Refused) {
        // Whatever else the client sends is dropped unread.
        m_socket->skip(m_socket->bytesAvailable());
        return;
    }
    // Only what arrived since the last time: the library reads everything on each readyRead.
    const QByteArray fresh = m_socket->peek(m_socket->bytesAvailable());
    const int status = feed(fresh.constData(), fresh.size());
    if (status == 0)
        return;
    if (m_library)
        disconnect(m_socket, &QTcpSocket::readyRead, m_library, nullptr);
    // The library's transaction holds the request so far: let it go, and what is buffered.
    if (m_socket->isTransactionStarted())
        m_socket->commitTransaction();
    m_socket->skip(m_socket->bytesAvailable());
    if (m_refuse)
        m_refuse(m_socket, status, m_path);
}

bool BodyLimit::takeLine(const char *data, qsizetype size, qsizetype &at)
{
    const char *newline = static_cast<const char *>(memchr(data + at, '\n', static_cast<size_t>(size - at)));
    const qsizetype end = newline ? (newline - data) + 1 : size;
    m_line.append(data + at, end - at);
    at = end;
    return newline != nullptr;
}

void BodyLimit::startBody(const QByteArray &head)
{
    const QList<QByteArray> lines = head.split('\n');
    const QList<QByteArray> requestLine = lines.value(0).trimmed().split(' ');
    const QByteArray target = requestLine.value(1);
    m_path = QString::fromLatin1(target.left(target.indexOf('?') < 0 ? target.size() : target.indexOf('?')));
    m_limit = m_path == QLatin1String("/api/v1/session") ? m_limits.maxSignInBodyBytes : m_limits.maxBodyBytes;
    qint64 length = 0;
    bool chunked = false;
    for (qsizetype i = 1; i < lines.size(); ++i) {
        const QByteArray &line = lines.at(i);
        const qsizetype colon = line.indexOf(':');
        if (colon <= 0)
            continue;
        const QByteArray name = line.left(colon).trimmed().toLower();
        const QByteArray value = line.mid(colon + 1).trimmed();
        if (name == "content-length") {
            bool ok = false;
            const qint64 declared = value.toLongLong(&ok);
            // An unreadable length is the library's to refuse; the largest one counts.
            length = ok && declared > length ? declared : length;
            if (!ok && value.size() > 18)
                length = std::numeric_limits<qint64>::max();
        } else if (name == "transfer-encoding") {
            chunked = chunked || value.toLower().contains("chunked");
        }
    }
    if (chunked) {
        m_state = State::ChunkSize;
        m_chunked = 0;
        m_line.clear();
    } else if (length > m_limit) {
        m_state = State::Refused;
    } else if (length > 0) {
        m_remaining = length;
        m_state = State::Body;
    } else {
        m_state = State::Head;
    }
}

int BodyLimit::feed(const char *data, qsizetype size)
{
    qsizetype at = 0;
    while (at < size || m_state == State::Refused) {
        switch (m_state) {
        case State::Refused:
            return m_refusal;
        case State::Head: {
            const qsizetype before = m_head.size();
            m_head.append(data + at, size - at);
            const qsizetype end = m_head.indexOf("\r\n\r\n", std::max<qsizetype>(0, before - 3));
            if (end < 0) {
                if (m_head.size() > kMaxHeadBytes) {
                    m_refusal = 431;
                    m_state = State::Refused;
                    continue;
                }
                return 0;
            }
            if (end > kMaxHeadBytes) {
                m_refusal = 431;
                m_state = State::Refused;
                continue;
            }
            at += end + 4 - before;
            QByteArray head = m_head.left(end);
            m_head.clear();
            // Blank lines between requests are allowed before a request line.
            while (head.startsWith("\r\n"))
                head.remove(0, 2);
            startBody(head);
            break;
        }
        case State::Body:
        case State::ChunkData:
        case State::ChunkEnd: {
            const qint64 taken = std::min<qint64>(m_remaining, size - at);
            at += taken;
            m_remaining -= taken;
            if (m_remaining == 0) {
                if (m_state == State::ChunkData) {
                    m_state = State::ChunkEnd;
                    m_remaining = 2;  // the CRLF after a chunk's data
                } else {
                    m_state = m_state == State::ChunkEnd ? State::ChunkSize : State::Head;
                    m_line.clear();
                }
            }
            break;
        }
        case State::ChunkSize: {
            const bool complete = takeLine(data, size, at);
            if (m_line.size() > 1024) {
                m_refusal = 431;
                m_state = State::Refused;
                continue;
            }
            if (!complete)
                return 0;
            QByteArray sizeText = m_line.trimmed();
            m_line.clear();
            if (const qsizetype semicolon = sizeText.indexOf(';'); semicolon >= 0)
                sizeText = sizeText.left(semicolon).trimmed();
            bool ok = false;
            const qint64 chunk = sizeText.toLongLong(&ok, 16);
            if (!ok || chunk < 0 || chunk > m_limit || m_chunked + chunk > m_limit) {
                // Too large, or not a size: either way the library would not get a sane body.
                if (!ok) {
                    m_state = State::Head;
                    return 0;
                }
                m_state = State::Refused;
                continue;
            }
            m_chunked += chunk;
            if (chunk == 0) {
                m_state = State::Trailer;
                m_trailer = 0;
            } else {
                m_remaining = chunk;
                m_state = State::ChunkData;
            }
            break;
        }
        case State::Trailer: {
            const bool complete = takeLine(data, size, at);
            if (m_trailer + m_line.size() > kMaxHeadBytes) {
                m_refusal = 431;
                m_state = State::Refused;
                continue;
            }
            if (!complete)
                return 0;
            m_trailer += m_line.size();
            const bool blank = m_line.trimmed().isEmpty();
            m_line.clear();
            if (blank)
                m_state = State::Head;
            break;
        }
        }
    }
    return 0;
}

} // namespace clerk::server
