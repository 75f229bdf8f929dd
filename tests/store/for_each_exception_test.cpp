// forEachException: every item a filter selects, a page at a time, whatever the filter's
// own limit and offset; the first error (the store's or the visitor's) stops it. A queue
// of one class's unit test: it serves pages of a list as the store would.
#include "store/exception_queue.h"

#include <gtest/gtest.h>

namespace clerk::store {
namespace {

class ListedQueue : public ExceptionQueue {
public:
    explicit ListedQueue(int count)
    {
        for (int i = 1; i <= count; ++i)
            m_items.append(ExceptionItem{.id = i});
    }

    Result<QList<ExceptionItem>> exceptions(const ExceptionFilter &filter) override
    {
        filters.append(filter);
        if (failAtOffset >= 0 && filter.offset >= failAtOffset)
            return fail(Error::unavailable(QStringLiteral("database went away")));
        return m_items.mid(filter.offset, filter.limit);
    }
    Result<ExceptionItem> exception(qint64) override { return fail(Error::internal(QStringLiteral("unused"))); }
    Status claim(qint64, const QString &, std::chrono::milliseconds) override { return {}; }
    Status releaseClaim(qint64, const QString &) override { return {}; }
    Result<qint64> resolve(qint64, const Decision &) override { return qint64(0); }
    Result<qint64> reject(qint64, const QString &, const QString &) override { return qint64(0); }
    Status reassign(qint64, const QString &, const QString &, const QString &) override { return {}; }
    Result<qint64> countExceptions(const ExceptionFilter &) override { return qint64(m_items.size()); }

    QList<ExceptionFilter> filters;
    int failAtOffset = -1;

private:
    QList<ExceptionItem> m_items;
};

TEST(ForEachExceptionTest, VisitsEveryItemInOrderAcrossPagesWhateverTheFiltersOwnLimit)
{
    ListedQueue queue(1203);
    ExceptionFilter filter;
    filter.bot = QStringLiteral("post");
    filter.limit = 10;
    filter.offset = 40;
    QList<qint64> seen;
    ASSERT_TRUE(forEachException(queue, filter, [&](const ExceptionItem &item) -> Status {
        seen.append(item.id);
        return {};
    }));
    ASSERT_EQ(seen.size(), 1203);
    for (qsizetype i = 0; i < seen.size(); ++i)
        ASSERT_EQ(seen[i], i + 1);
    ASSERT_EQ(queue.filters.size(), 3);
    EXPECT_EQ(queue.filters[0].offset, 0);
    EXPECT_EQ(queue.filters[2].offset, 2 * queue.filters[0].limit);
    EXPECT_EQ(queue.filters[1].bot, QStringLiteral("post"));
}

TEST(ForEachExceptionTest, TheFirstErrorStopsIt)
{
    ListedQueue queue(1203);
    int visited = 0;
    const Status stopped = forEachException(queue, {}, [&](const ExceptionItem &item) -> Status {
        ++visited;
        if (item.id == 7)
            return fail(Error::invalidArgument(QStringLiteral("item 7 is bad")));
        return {};
    });
    ASSERT_FALSE(stopped);
    EXPECT_EQ(stopped.error().message(), QStringLiteral("item 7 is bad"));
    EXPECT_EQ(visited, 7);

    queue.failAtOffset = 500;
    visited = 0;
    const Status lost = forEachException(queue, {}, [&](const ExceptionItem &) -> Status {
        ++visited;
        return {};
    });
    ASSERT_FALSE(lost);
    EXPECT_EQ(lost.error().code(), ErrorCode::Unavailable);
    EXPECT_EQ(visited, 500);
}

} // namespace
} // namespace clerk::store
