// clerk::Error: the value every fallible call returns instead of throwing.
//
// Expected failures are values: functions return Result<T> (std::expected<T, Error>),
// or Status for calls with no value. An Error has a closed code, a message written for
// the person who will read it (ICT staff, an operator), and optional context (file and
// position, bot, step, item). Exceptions never cross a module boundary.
//
// Thread-safety: Error is a value type; distinct objects may be used from any thread.
#pragma once

#include <QString>
#include <expected>

namespace clerk {

enum class ErrorCode {
    InvalidArgument,  // the caller's input is wrong (bad YAML, bad flag, bad template)
    NotFound,         // the named thing does not exist
    AlreadyExists,    // creating something that is already there
    Conflict,         // state changed under us (lost lease, item already decided)
    Unavailable,      // a resource cannot be used now (database locked, server down)
    Timeout,          // gave up waiting
    Unreadable,       // a file or document cannot be read or parsed
    PermissionDenied, // the operating system or a peer refused
    Corrupt,          // stored data is damaged
    Internal,         // a bug in clerk
};

// The stable lower-case name of a code, e.g. "not_found".
QString toString(ErrorCode code);

class [[nodiscard]] Error {
public:
    Error(ErrorCode code, QString message);

    static Error invalidArgument(QString message) { return {ErrorCode::InvalidArgument, std::move(message)}; }
    static Error notFound(QString message) { return {ErrorCode::NotFound, std::move(message)}; }
    static Error alreadyExists(QString message) { return {ErrorCode::AlreadyExists, std::move(message)}; }
    static Error conflict(QString message) { return {ErrorCode::Conflict, std::move(message)}; }
    static Error unavailable(QString message) { return {ErrorCode::Unavailable, std::move(message)}; }
    static Error timeout(QString message) { return {ErrorCode::Timeout, std::move(message)}; }
    static Error unreadable(QString message) { return {ErrorCode::Unreadable, std::move(message)}; }
    static Error permissionDenied(QString message) { return {ErrorCode::PermissionDenied, std::move(message)}; }
    static Error corrupt(QString message) { return {ErrorCode::Corrupt, std::move(message)}; }
    static Error internal(QString message) { return {ErrorCode::Internal, std::move(message)}; }

    ErrorCode code() const { return m_code; }
    const QString &message() const { return m_message; }

    // Context is prepended when the error is shown: "bot contact-form: step check: message".
    Error &withContext(const QString &context);
    const QString &context() const { return m_context; }

    // "context: message", the form shown to people.
    QString toString() const;

private:
    ErrorCode m_code;
    QString m_message;
    QString m_context;
};

template <typename T>
using Result = std::expected<T, Error>;
using Status = std::expected<void, Error>;

inline std::unexpected<Error> fail(Error error) { return std::unexpected<Error>(std::move(error)); }

} // namespace clerk
