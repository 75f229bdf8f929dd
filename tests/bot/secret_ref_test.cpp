#include "test_support.h"
#include "bot/secret_ref.h"

#include <QFile>
#include <QTemporaryDir>
#include <gtest/gtest.h>

using clerk::ErrorCode;
using clerk::bot::isSecretRef;
using clerk::bot::resolveSecret;

TEST(SecretRefTest, RecognisesOnlyWholeReferences)
{
    for (const char *text : {"${env:REDMINE_API_KEY}", "${env:_x1}", "${file:/etc/clerk/redmine.key}", "${file:relative.key}"})
        EXPECT_TRUE(isSecretRef(QString::fromUtf8(text))) << text;
    for (const char *text : {"", "hunter2", "${env:}", "${file:}", "${env:1ABC}", "${env:A B}", "${vault:x}",
                             " ${env:A}", "${env:A} ", "${env:A}${env:B}", "$env:A", "{env:A}", "${env:A"})
        EXPECT_FALSE(isSecretRef(QString::fromUtf8(text))) << text;
}

TEST(SecretRefTest, ResolvesEnvironmentVariables)
{
    qputenv("CLERK_TEST_SECRET", "s3cret-value");
    const auto value = resolveSecret(QStringLiteral("${env:CLERK_TEST_SECRET}"));
    ASSERT_TRUE(value.has_value());
    EXPECT_EQ(*value, QStringLiteral("s3cret-value"));
    qunsetenv("CLERK_TEST_SECRET");

    const auto missing = resolveSecret(QStringLiteral("${env:CLERK_TEST_SECRET}"));
    ASSERT_FALSE(missing.has_value());
    EXPECT_EQ(missing.error().code(), ErrorCode::NotFound);
    EXPECT_TRUE(missing.error().message().contains(QStringLiteral("CLERK_TEST_SECRET")));
}

TEST(SecretRefTest, ResolvesFilesWithoutTrailingNewline)
{
    QTemporaryDir dir;
    ASSERT_TRUE(dir.isValid());
    const struct {
        const char *name;
        QByteArray content;
        const char *expected;
    } cases[] = {
        {"plain.key", "abc", "abc"},
        {"newline.key", "abc\n", "abc"},
        {"crlf.key", "abc\r\n", "abc"},
        {"two.key", "abc\n\n", "abc\n"},
        {"inner.key", "a b\tc\n", "a b\tc"},
    };
    for (const auto &c : cases) {
        const QString path = dir.filePath(QString::fromUtf8(c.name));
        QFile file(path);
        ASSERT_TRUE(file.open(QIODevice::WriteOnly));
        file.write(c.content);
        file.close();
        const auto value = resolveSecret(QStringLiteral("${file:%1}").arg(path));
        ASSERT_TRUE(value.has_value()) << c.name;
        EXPECT_EQ(*value, QString::fromUtf8(c.expected)) << c.name;
    }
}

TEST(SecretRefTest, ReportsMissingAndUnreadableFilesWithoutTheSecret)
{
    QTemporaryDir dir;
    ASSERT_TRUE(dir.isValid());
    const auto missing = resolveSecret(QStringLiteral("${file:%1}").arg(dir.filePath(QStringLiteral("nope.key"))));
    ASSERT_FALSE(missing.has_value());
    EXPECT_EQ(missing.error().code(), ErrorCode::NotFound);
    EXPECT_TRUE(missing.error().message().contains(QStringLiteral("nope.key")));

    const QString locked = dir.filePath(QStringLiteral("locked.key"));
    QFile file(locked);
    ASSERT_TRUE(file.open(QIODevice::WriteOnly));
    file.write("top-secret");
    file.close();
    ASSERT_TRUE(file.setPermissions(QFileDevice::WriteOwner));
    const auto denied = resolveSecret(QStringLiteral("${file:%1}").arg(locked));
    if (denied.has_value()) {
        GTEST_SKIP() << "running as root: permissions are not enforced";
    }
    EXPECT_EQ(denied.error().code(), ErrorCode::PermissionDenied);
    EXPECT_FALSE(denied.error().message().contains(QStringLiteral("top-secret")));
}

TEST(SecretRefTest, NeverEchoesALiteralSecret)
{
    const auto result = resolveSecret(QStringLiteral("correct-horse-battery-staple"));
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error().code(), ErrorCode::InvalidArgument);
    EXPECT_FALSE(result.error().message().contains(QStringLiteral("horse")));
}
