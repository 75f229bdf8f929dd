// Whether a mail server is on this machine: there, IMAP and SMTP may go without TLS.
#pragma once

#include <QString>

namespace clerk::mail {

// True for 127.0.0.0/8, ::1 and localhost: traffic that never leaves the machine.
bool isLoopbackHost(const QString &host);

} // namespace clerk::mail
