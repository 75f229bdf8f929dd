// Which of the scheduler's problems are logged: a problem that lasts is logged when it
// appears and then every ten minutes, not on every tick; one that clears and comes back
// is logged again at once.
#include "service/repeated_problems.h"

#include <gtest/gtest.h>

using clerk::service::RepeatedProblems;

TEST(RepeatedProblemsTest, ALastingProblemIsLoggedOncePerIntervalAndAgainWhenItReturns)
{
    using namespace std::chrono_literals;
    RepeatedProblems problems(10min);
    const QString folder = QStringLiteral("bot post: watched folder /srv/post does not exist");
    const QString password = QStringLiteral("bot mail: cannot read the password");
    const qint64 minute = 60 * 1000;

    EXPECT_EQ(problems.toLog({folder}, 0), QStringList{folder});
    EXPECT_TRUE(problems.toLog({folder}, 1000).isEmpty());
    EXPECT_EQ(problems.toLog({folder, password}, 2 * minute), QStringList{password});  // only the new one
    EXPECT_TRUE(problems.toLog({folder, password}, 9 * minute).isEmpty());
    EXPECT_EQ(problems.toLog({folder, password}, 10 * minute), QStringList{folder});  // ten minutes on
    EXPECT_TRUE(problems.toLog({}, 11 * minute).isEmpty());                         // both cleared
    EXPECT_EQ(problems.toLog({password}, 11 * minute + 1), QStringList{password});   // back: logged at once
}
