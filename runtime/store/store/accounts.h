// Accounts: the store's role for people: accounts, signed-in sessions, API tokens and
// sign-in attempts, for the web queue and its API.
//
// Thread-safety: as WorkStore (work_store.h): an object belongs to the thread that opened it.
#pragma once

#include "core/error.h"

#include <QDateTime>
#include <QList>
#include <QString>
#include <optional>

namespace clerk::store {

enum class Role { Operator, Lead, Admin };
// "operator", "lead", "admin".
QString toString(Role role);
std::optional<Role> roleFromString(const QString &name);

struct UserAccount {
    QString name{};
    QString team{};
    Role role = Role::Operator;
    QString passwordHash{};  // an encoded Argon2id hash ("$argon2id$..."); empty: cannot sign in with a password
    bool disabled = false;
    QDateTime createdAt{};
    QDateTime passwordChangedAt{};
};

// A signed-in browser. The store keeps a digest of the cookie's value, never the value.
struct WebSession {
    QString idHash{};
    QString user{};
    QString csrfToken{};
    QString address{};  // where it signed in from
    QDateTime createdAt{};
    QDateTime lastSeenAt{};
};

constexpr qsizetype kApiTokenIdLength = 12;

// A machine client's token; the store keeps its digest. It acts as `user` until it
// expires or is revoked.
struct ApiToken {
    QString idHash{};
    QString name{};
    QString user{};
    QDateTime createdAt{};
    QDateTime expiresAt{};  // invalid: never expires
    QDateTime revokedAt{};  // invalid: not revoked

    // What people call the token by (`clerk user tokens`, `clerk user revoke`): the first
    // kApiTokenIdLength hex digits of its digest, which tell nothing about the secret.
    QString id() const { return idHash.left(kApiTokenIdLength); }
    bool usableAt(const QDateTime &now) const
    {
        return !revokedAt.isValid() && (!expiresAt.isValid() || now < expiresAt);
    }
};

// The longest user name an account may have: sign-in refuses longer names before
// anything is written, so a stranger cannot fill the attempt log with long names.
constexpr qsizetype kMaxUserNameLength = 128;

// The most sessions one person keeps open (browsers, devices); signing in again ends the oldest.
constexpr int kMaxSessionsPerUser = 20;

// Failed sign-ins of one name from one address (see Accounts::signInFailures).
struct SignInFailures {
    qint64 count = 0;
    QDateTime lastAt{};  // the latest failure; invalid when count is 0
};

class Accounts {
public:
    virtual ~Accounts() = default;

    // --- people ------------------------------------------------------------------------------
    // Adds or changes an account ("user_added" / "user_changed" event; the hash is never in
    // an event). InvalidArgument for an empty name or team.
    virtual Status saveUser(const UserAccount &account, const QString &actor) = 0;
    // NotFound when there is no such account.
    virtual Result<UserAccount> user(const QString &name) = 0;
    virtual Result<QList<UserAccount>> users() = 0;
    // Saves a new session; a person keeps their latest kMaxSessionsPerUser sessions, the
    // older ones end (however often someone signs in, the table stays small).
    virtual Status saveSession(const WebSession &session) = 0;
    // NotFound when there is no such session (signed out, or never was).
    virtual Result<WebSession> session(const QString &idHash) = 0;
    virtual Status touchSession(const QString &idHash, QDateTime lastSeenAt) = 0;
    virtual Status deleteSession(const QString &idHash) = 0;
    // Signs a person out everywhere (after a password change or when disabled).
    virtual Status deleteSessionsOf(const QString &user) = 0;
    // Ends every session last used before `idleBefore` or opened before `openedBefore`, so
    // the table holds live sessions only.
    virtual Status pruneSessions(QDateTime idleBefore, QDateTime openedBefore) = 0;
    // Saves a new token ("api_token_added" event, with its id, never the digest).
    // InvalidArgument without digest or user.
    virtual Status saveApiToken(const ApiToken &token, const QString &actor) = 0;
    // The token with this digest, expired and revoked ones too (the caller judges
    // ApiToken::usableAt). NotFound when there is none.
    virtual Result<ApiToken> apiToken(const QString &idHash) = 0;
    // `user`'s tokens, oldest first, revoked and expired ones included.
    virtual Result<QList<ApiToken>> apiTokensOf(const QString &user) = 0;
    // Revokes the token whose ApiToken::id() is `tokenId` ("api_token_revoked" event).
    // NotFound when there is no such token; revoking twice keeps the first time.
    virtual Status revokeApiToken(const QString &tokenId, const QString &actor) = 0;
    // Records a sign-in attempt ("signed_in" / "sign_in_failed" event with the address) for
    // the audit trail and for slowing down guessing, and drops attempts made before
    // `forgetBefore` and all but the latest 50 of this name and address, so the table stays
    // small whatever strangers send. InvalidArgument for a name longer than
    // kMaxUserNameLength (nothing is written).
    virtual Status recordSignIn(const QString &user, const QString &address, bool succeeded,
                                QDateTime forgetBefore) = 0;
    // Failed attempts of this name from this address since `since` and since its last
    // successful sign-in, whichever is later.
    virtual Result<SignInFailures> signInFailures(const QString &user, const QString &address, QDateTime since) = 0;
    // Failed attempts from this address since `since`, whatever the name (a success does not
    // start this count again: one valid account must not let an address guess others).
    virtual Result<SignInFailures> signInFailuresFrom(const QString &address, QDateTime since) = 0;
};

} // namespace clerk::store
