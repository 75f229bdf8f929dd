// The main of every test executable: a QCoreApplication (Qt SQL plugins and event
// loops need one) around GoogleTest.
#include <QCoreApplication>
#include <gtest/gtest.h>

#include <clocale>

int main(int argc, char **argv)
{
    ::testing::InitGoogleTest(&argc, argv);
    QCoreApplication app(argc, argv);
    std::setlocale(LC_NUMERIC, "C");
    return RUN_ALL_TESTS();
}
