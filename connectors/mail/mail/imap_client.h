// ImapSession: one signed-in connection to one folder of an IMAP server (RFC 3501),
// enough to read new messages and mark them handled. libcurl does the protocol; no curl
// type appears here.
//
// The folder is the path of the url ("imaps://mail.example.gov.uk/INBOX"). imaps:// is
// TLS from the start; imap:// upgrades with STARTTLS and refuses to sign in without it,
// except to a server on this machine (127.0.0.0/8, ::1, localhost), where it signs in as
// the server allows. Certificates are verified. The password is never part of an error
// or a log line; errors name the server, the folder and what failed.
//
// Errors: PermissionDenied when the server refuses the sign-in; Unavailable when it
// cannot be reached or answers a command with NO/BAD; Timeout when it does not answer in
// time; Unreadable for a message larger than maxMessageBytes (it is not fetched).
//
// Thread-safety: a session is used from one thread at a time.
#pragma once

#include "core/error.h"

#include <QByteArray>
#include <QList>
#include <QString>
#include <QStringList>
#include <chrono>
#include <memory>

namespace clerk::mail {

struct ImapSettings {
    QString url{};        // imap[s]://host[:port]/Folder
    QString username{};
    QString password{};   // resolved secret
    std::chrono::milliseconds timeout{std::chrono::seconds(60)};  // per command
    qint64 maxMessageBytes = 50LL * 1024 * 1024;
};

struct MessageInfo {
    quint32 uid = 0;
    QStringList flags{};  // as the server spells them: "\\Seen", "$ClerkDone"
    qint64 size = 0;      // RFC822.SIZE
};

class ImapSession {
public:
    // Checks the url; connects lazily, on the first command. InvalidArgument for a url
    // that is not imap:// or imaps:// with a host and a folder.
    static Result<std::unique_ptr<ImapSession>> open(const ImapSettings &settings);
    ~ImapSession();
    ImapSession(const ImapSession &) = delete;
    ImapSession &operator=(const ImapSession &) = delete;

    const QString &folder() const;

    // The server's capabilities, upper case ("MOVE", "UIDPLUS").
    Result<QStringList> capabilities();

    // UID SEARCH with `criteria` (e.g. "NOT DELETED NOT KEYWORD $ClerkDone"), ascending.
    Result<QList<quint32>> search(const QString &criteria);

    // Flags and size of one message; NotFound when the uid is gone.
    Result<MessageInfo> info(quint32 uid);

    // The whole message (RFC 5322 bytes). The server sets \Seen on it.
    Result<QByteArray> fetch(quint32 uid);

    // UID STORE +FLAGS / -FLAGS (silent).
    Status addFlag(quint32 uid, const QString &flag);
    Status removeFlag(quint32 uid, const QString &flag);

    // Moves the message to `target` (a folder on the same server): UID MOVE when the server
    // offers MOVE, else UID COPY, \Deleted and UID EXPUNGE (EXPUNGE without UIDPLUS, which
    // also removes other messages already marked \Deleted in the folder).
    Status move(quint32 uid, const QString &target);

private:
    class Private;
    explicit ImapSession(std::unique_ptr<Private> d);
    std::unique_ptr<Private> d;
};

} // namespace clerk::mail
