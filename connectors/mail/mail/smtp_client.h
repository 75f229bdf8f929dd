// Sending one message over SMTP (RFC 5321) with libcurl; no curl type appears here.
//
// smtps:// is TLS from the start; smtp:// upgrades with STARTTLS and refuses to send
// without it, except to a server on this machine (127.0.0.0/8, ::1, localhost), where it
// upgrades when the server offers STARTTLS unless requireTls says it must. Certificates
// are always verified: against the system's authorities, or those of caFile. The password never reaches an error or a log line; errors
// name the server, the SMTP command that failed and the reply code, never an address.
#pragma once

#include "core/error.h"

#include <QByteArray>
#include <QString>
#include <chrono>

namespace clerk::mail {

struct SmtpSettings {
    QString url{};        // smtp[s]://host[:port]
    QString username{};   // empty: no sign-in
    QString password{};   // resolved secret
    std::chrono::milliseconds timeout{std::chrono::seconds(60)};
    bool requireTls = false;  // smtp:// on this machine: STARTTLS or nothing is sent
    QString caFile{};         // a PEM file of the authorities to trust instead of the system's
};

struct SmtpFailure {
    Error error;          // message: server, command, code; no address, no secret
    bool temporary = false;  // try again later: no connection, timeout, 4xx
    bool refused = false;    // the server refused for good (5xx on MAIL, RCPT or DATA)
    bool signIn = false;     // the sign-in was refused, or TLS could not be had or checked
    int code = 0;            // the last SMTP reply code (0: none)
    QString command{};       // the command the server answered last: "RCPT", "DATA", ...
    QString reply{};         // the server's last reply lines (may name the address: evidence only)
};

using SmtpResult = std::expected<void, SmtpFailure>;

// Sends `message` (bytes with CRLF line endings) from `from` to the one address `to`.
// InvalidArgument (not temporary) for a url that is not smtp:// or smtps:// with a host.
SmtpResult sendMail(const SmtpSettings &settings, const QString &from, const QString &to, const QByteArray &message);

} // namespace clerk::mail
