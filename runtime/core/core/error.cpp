#include "core/error.h"

namespace clerk {

QString toString(ErrorCode code)
{
    switch (code) {
    case ErrorCode::InvalidArgument: return QStringLiteral("invalid_argument");
    case ErrorCode::NotFound: return QStringLiteral("not_found");
    case ErrorCode::AlreadyExists: return QStringLiteral("already_exists");
    case ErrorCode::Conflict: return QStringLiteral("conflict");
    case ErrorCode::Unavailable: return QStringLiteral("unavailable");
    case ErrorCode::Timeout: return QStringLiteral("timeout");
    case ErrorCode::Unreadable: return QStringLiteral("unreadable");
    case ErrorCode::PermissionDenied: return QStringLiteral("permission_denied");
    case ErrorCode::Corrupt: return QStringLiteral("corrupt");
    case ErrorCode::Internal: return QStringLiteral("internal");
    }
    return QStringLiteral("internal");
}

Error::Error(ErrorCode code, QString message)
    : m_code(code), m_message(std::move(message))
{
}

Error &Error::withContext(const QString &context)
{
    m_context = m_context.isEmpty() ? context : context + QStringLiteral(": ") + m_context;
    return *this;
}

QString Error::toString() const
{
    return m_context.isEmpty() ? m_message : m_context + QStringLiteral(": ") + m_message;
}

} // namespace clerk
