// The main of every test executable: a QCoreApplication (Qt SQL plugins and event
// loops need one) around GoogleTest. Suites built with CLERK_TEST_GUI (clerk_add_test_suite
// ... GUI) get a QGuiApplication on the offscreen platform instead, as clerk run and clerk
// serve do, for the steps that paint text (the document step's PDFs).
#include <QCoreApplication>
#include <gtest/gtest.h>

#include <clocale>
#include <cstdlib>

#ifdef CLERK_TEST_GUI
#include <QGuiApplication>
#endif

int main(int argc, char **argv)
{
    ::testing::InitGoogleTest(&argc, argv);
#ifdef CLERK_TEST_GUI
    const char *platform = std::getenv("QT_QPA_PLATFORM");
    if (!platform || !*platform)
        ::setenv("QT_QPA_PLATFORM", "offscreen", 1);
    QGuiApplication app(argc, argv);
#else
    QCoreApplication app(argc, argv);
#endif
    std::setlocale(LC_NUMERIC, "C");
    return RUN_ALL_TESTS();
}
