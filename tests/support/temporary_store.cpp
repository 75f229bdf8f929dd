#include "temporary_store.h"

namespace clerk::testing {

TemporaryStoreTest::TemporaryStoreTest(QDateTime start) : m_clock(std::move(start)) {}

void TemporaryStoreTest::SetUp()
{
    ASSERT_TRUE(m_dir.isValid());
    auto opened = store::openWorkStore(storeLocation(), m_clock);
    ASSERT_OK(opened);
    m_store = std::move(*opened);
}

} // namespace clerk::testing
