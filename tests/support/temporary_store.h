// A work store of its own for each test: SQLite in a temporary folder, on a ManualClock,
// for the suites that test what stands on the store (engine, scheduler, reports, server).
// The store suite itself runs on both backends (tests/store/store_test_support.h).
//
// @code
//   class AlertsTest : public clerk::testing::TemporaryStoreTest {
//   protected:
//       AlertsTest() : TemporaryStoreTest(QDateTime(QDate(2026, 11, 23), QTime(9, 0), Qt::UTC)) {}
//   };
//   TEST_F(AlertsTest, ...) { m_clock.advance(1h); m_store->enqueue(...); }
// @endcode
//
// Link clerk_test_store to use it.
#pragma once

#include "core/clock.h"
#include "store/work_store.h"
#include "test_support.h"

#include <QDateTime>
#include <QString>
#include <QTemporaryDir>
#include <memory>

namespace clerk::testing {

class TemporaryStoreTest : public ::testing::Test {
protected:
    // The clock starts at `start`.
    explicit TemporaryStoreTest(QDateTime start);

    // Opens the store at storeLocation() (a fatal failure if it cannot). A derived SetUp
    // calls it first.
    void SetUp() override;

    // A file in the test's own folder.
    QString path(const QString &name) const { return m_dir.filePath(name); }
    // Where the store is: path("work.db"), for a second connection or the clerk binary.
    QString storeLocation() const { return path(QStringLiteral("work.db")); }

    QTemporaryDir m_dir;
    ManualClock m_clock;
    std::unique_ptr<store::WorkStore> m_store;  // after m_dir: closed before the folder goes
};

} // namespace clerk::testing
