// BodyLimit's reading of request bytes as they arrive (every case fed whole and one byte
// at a time, as a slow client would send it), and the PageCache's byte-bounded LRU.
#include "server/body_limit_p.h"
#include "server/page_cache.h"
#include "test_support.h"

#include <QTemporaryDir>
#include <gtest/gtest.h>

namespace clerk::server {
namespace {

constexpr BodyLimit::Limits kLimits{.maxBodyBytes = 100, .maxSignInBodyBytes = 10};

int feedWhole(const QByteArray &bytes)
{
    BodyLimit limit(nullptr, nullptr, kLimits, {});
    return limit.feed(bytes.constData(), bytes.size());
}

int feedByteByByte(const QByteArray &bytes)
{
    BodyLimit limit(nullptr, nullptr, kLimits, {});
    for (qsizetype i = 0; i < bytes.size(); ++i) {
        if (const int status = limit.feed(bytes.constData() + i, 1))
            return status;
    }
    return 0;
}

TEST(BodyLimitTest, RefusesOversizedBodiesAsTheyArrive)
{
    const QByteArray get = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
    const QByteArray body90 = "POST /hooks/a HTTP/1.1\r\nContent-Length: 90\r\n\r\n" + QByteArray(90, 'x');
    struct Case {
        const char *what;
        QByteArray bytes;
        int status;
    };
    const Case cases[] = {
        {"a GET", get, 0},
        {"pipelined GETs", get + get + get, 0},
        {"a body at the limit", "POST /hooks/a HTTP/1.1\r\ncontent-length: 100\r\n\r\n" + QByteArray(100, 'x'), 0},
        {"a body over the limit, declared", "POST /hooks/a HTTP/1.1\r\nContent-Length: 101\r\n\r\n", 413},
        {"a huge declared length", "POST /hooks/a HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n", 413},
        {"a body then a GET on the same connection", body90 + get, 0},
        {"two bodies each within the limit", body90 + body90, 0},
        {"the body's bytes are not read as a request", "POST /hooks/a HTTP/1.1\r\nContent-Length: 60\r\n\r\n"
                                                       "POST /x HTTP/1.1\r\nContent-Length: 500\r\n\r\n123456789012",
         0},
        {"a sign-in within its limit", "POST /api/v1/session HTTP/1.1\r\nContent-Length: 10\r\n\r\n0123456789", 0},
        {"a sign-in over its limit", "POST /api/v1/session HTTP/1.1\r\nContent-Length: 11\r\n\r\n", 413},
        {"a sign-in with a query", "POST /api/v1/session?x=1 HTTP/1.1\r\nContent-Length: 11\r\n\r\n", 413},
        {"chunked within the limit", "POST /hooks/a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                                     "32\r\n" + QByteArray(50, 'x') + "\r\n32;ext=1\r\n" + QByteArray(50, 'y')
                                     + "\r\n0\r\nTrailer: t\r\n\r\n" + get,
         0},
        {"chunked over the limit", "POST /hooks/a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                                   "32\r\n" + QByteArray(50, 'x') + "\r\n33\r\n",
         413},
        {"one huge chunk", "POST /hooks/a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffff\r\n", 413},
        {"header lines over 64 KiB", "GET / HTTP/1.1\r\nX-Big: " + QByteArray(70 * 1024, 'a') + "\r\n\r\n", 431},
        {"header lines without an end", "GET / HTTP/1.1\r\nX-Big: " + QByteArray(70 * 1024, 'a'), 431},
    };
    for (const Case &c : cases) {
        EXPECT_EQ(feedWhole(c.bytes), c.status) << c.what;
        EXPECT_EQ(feedByteByByte(c.bytes), c.status) << c.what << " (byte by byte)";
    }
}

TEST(PageCacheTest, KeepsTheMostRecentlyUsedPagesWithinItsBudget)
{
    PageCache cache(100);
    cache.insert("a", QByteArray(40, 'a'));
    cache.insert("b", QByteArray(40, 'b'));
    ASSERT_TRUE(cache.find("a").has_value());  // a is now the most recent
    cache.insert("c", QByteArray(40, 'c'));    // 120 bytes: b, the least recent, goes
    EXPECT_FALSE(cache.find("b").has_value());
    EXPECT_EQ(cache.find("a"), QByteArray(40, 'a'));
    EXPECT_EQ(cache.find("c"), QByteArray(40, 'c'));
    EXPECT_EQ(cache.bytes(), 80);
    cache.insert("huge", QByteArray(101, 'h'));  // larger than the budget: not kept
    EXPECT_FALSE(cache.find("huge").has_value());
    EXPECT_EQ(cache.pages(), 2);
    cache.insert("a", QByteArray(10, 'A'));  // replaced, not counted twice
    EXPECT_EQ(cache.bytes(), 50);
}

TEST(PageCacheTest, KeysChangeWithTheFile)
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("scan.pdf"));
    EXPECT_TRUE(PageCache::keyOf(path, 0, 1654).isEmpty());  // no file: nothing to cache
    QFile file(path);
    ASSERT_TRUE(file.open(QIODevice::WriteOnly));
    file.write("one");
    file.close();
    const QByteArray key = PageCache::keyOf(path, 0, 1654);
    EXPECT_FALSE(key.isEmpty());
    EXPECT_NE(PageCache::keyOf(path, 1, 1654), key);
    EXPECT_NE(PageCache::keyOf(path, 0, 800), key);
    ASSERT_TRUE(file.open(QIODevice::Append));
    file.write("two");
    file.close();
    EXPECT_NE(PageCache::keyOf(path, 0, 1654), key);  // a different size
}

} // namespace
} // namespace clerk::server
