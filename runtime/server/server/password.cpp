#include "server/password.h"

#include <QCryptographicHash>
#include <QRandomGenerator>

#include <argon2.h>

#include <vector>

namespace clerk::server {

namespace {

constexpr uint32_t kTimeCost = 2;
constexpr uint32_t kMemoryKiB = 19 * 1024;
constexpr uint32_t kLanes = 1;
constexpr uint32_t kSaltBytes = 16;
constexpr uint32_t kHashBytes = 32;

QByteArray randomBytes(int count)
{
    QByteArray bytes(count, Qt::Uninitialized);
    QRandomGenerator::system()->generate(reinterpret_cast<quint32 *>(bytes.data()),
                                         reinterpret_cast<quint32 *>(bytes.data()) + count / 4);
    for (int i = count - count % 4; i < count; ++i)
        bytes[i] = static_cast<char>(QRandomGenerator::system()->bounded(256));
    return bytes;
}

} // namespace

Result<QString> hashPassword(const QString &password)
{
    if (password.size() < kMinPasswordLength) {
        return fail(Error::invalidArgument(
            QStringLiteral("a password needs at least %1 characters").arg(kMinPasswordLength)));
    }
    if (password.size() > kMaxPasswordLength) {
        return fail(Error::invalidArgument(
            QStringLiteral("a password has at most %1 characters").arg(kMaxPasswordLength)));
    }
    const QByteArray utf8 = password.toUtf8();
    const QByteArray salt = randomBytes(kSaltBytes);
    const size_t length =
        argon2_encodedlen(kTimeCost, kMemoryKiB, kLanes, kSaltBytes, kHashBytes, Argon2_id);
    std::vector<char> encoded(length);
    const int result = argon2id_hash_encoded(kTimeCost, kMemoryKiB, kLanes, utf8.constData(),
                                             static_cast<size_t>(utf8.size()), salt.constData(), kSaltBytes,
                                             kHashBytes, encoded.data(), length);
    if (result != ARGON2_OK)
        return fail(Error::internal(QStringLiteral("hashing the password failed: %1")
                                        .arg(QString::fromLatin1(argon2_error_message(result)))));
    return QString::fromLatin1(encoded.data());
}

bool verifyPassword(const QString &encodedHash, const QString &password)
{
    if (!encodedHash.startsWith(QLatin1String("$argon2id$")))
        return false;
    const QByteArray hash = encodedHash.toLatin1();
    const QByteArray utf8 = password.toUtf8();
    return argon2id_verify(hash.constData(), utf8.constData(), static_cast<size_t>(utf8.size())) == ARGON2_OK;
}

QString randomToken(int bytes)
{
    return QString::fromLatin1(
        randomBytes(bytes).toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals));
}

QString tokenDigest(const QString &token)
{
    return QString::fromLatin1(QCryptographicHash::hash(token.toUtf8(), QCryptographicHash::Sha256).toHex());
}

bool constantTimeEquals(const QByteArray &a, const QByteArray &b)
{
    if (a.size() != b.size())
        return false;
    unsigned char difference = 0;
    for (qsizetype i = 0; i < a.size(); ++i)
        difference |= static_cast<unsigned char>(a[i] ^ b[i]);
    return difference == 0;
}

} // namespace clerk::server
