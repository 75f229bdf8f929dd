// Passwords and tokens for the web queue's sign-in.
//
// Passwords are stored as Argon2id hashes in the PHC string format ("$argon2id$v=19$m=...,
// t=...,p=...$salt$hash"), with a random 16-byte salt and OWASP's parameters (19 MiB,
// 2 passes, 1 lane): about 30 ms a check on one core, slow enough to make guessing
// expensive and fast enough for a sign-in page. Tokens (session cookies, CSRF tokens,
// API tokens) are 32 random bytes from the system's generator, base64url; the store
// keeps only their SHA-256 digest, so a copy of the database signs nobody in.
//
// Thread-safety: free functions; any thread.
#pragma once

#include "core/error.h"

#include <QString>

namespace clerk::server {

// InvalidArgument when the password is too short (minimum: kMinPasswordLength) or too
// long (maximum: kMaxPasswordLength; sign-in refuses longer ones before hashing them).
inline constexpr int kMinPasswordLength = 10;
inline constexpr int kMaxPasswordLength = 1024;
Result<QString> hashPassword(const QString &password);

// Whether `password` matches `encodedHash`. False for an empty or malformed hash.
bool verifyPassword(const QString &encodedHash, const QString &password);

// A fresh random token (`bytes` random bytes, base64url without padding).
QString randomToken(int bytes = 32);

// The hex SHA-256 of a token, as the store keeps it.
QString tokenDigest(const QString &token);

// Compares two strings in time that does not depend on where they differ.
bool constantTimeEquals(const QByteArray &a, const QByteArray &b);

} // namespace clerk::server
