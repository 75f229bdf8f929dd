// The dashboard's figures on a real SQLite store: hours and cost saved from the bots'
// manual minutes, every day of the window, the queues, the shadow trials, and the JSON
// shape of docs/api.md.
#include "report/dashboard.h"

#include "report_test_support.h"

#include "classify/model_files.h"
#include "engine/match_learning_loop.h"
#include "match/match_evidence.h"

#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>

using namespace std::chrono_literals;

namespace clerk::report {
namespace {

using testing::botNamed;
using testing::ReportStoreTest;

const QString kPost = QStringLiteral("inbound-post");
const QString kForms = QStringLiteral("contact-form-matcher");

QStringList keys(const QJsonObject &object)
{
    QStringList names = object.keys();
    names.sort();
    return names;
}

class DashboardTest : public ReportStoreTest {};

TEST(DashboardQueryTest, ReadsTheBotAndDaysOfThePageAndRefusesDaysThatAreNotANumber)
{
    auto query = dashboardQueryFrom(QUrlQuery(QStringLiteral("bot=inbound%20post&days=7")));
    ASSERT_TRUE(query.has_value());
    EXPECT_EQ(query->bot, QStringLiteral("inbound post"));
    EXPECT_EQ(query->days, 7);
    auto defaults = dashboardQueryFrom(QUrlQuery());
    ASSERT_TRUE(defaults.has_value());
    EXPECT_EQ(defaults->days, 14);
    EXPECT_TRUE(defaults->bot.isEmpty());
    auto refused = dashboardQueryFrom(QUrlQuery(QStringLiteral("days=fortnight")));
    ASSERT_FALSE(refused.has_value());
    EXPECT_EQ(refused.error().code(), ErrorCode::InvalidArgument);
}

TEST_F(DashboardTest, FiguresPerBotAndDayWithHoursAndCostSaved)
{
    // Monday: three straight through (4, 6 and 8 minutes), one after a person, one failed.
    doneStraight(QStringLiteral("p1"), kPost, 4min);
    doneStraight(QStringLiteral("p2"), kPost, 6min);
    doneStraight(QStringLiteral("p3"), kPost, 8min);
    doneAfterPerson(QStringLiteral("p4"), kPost);
    failed(QStringLiteral("p5"), kPost);
    // Wednesday: one more.
    m_clock.advance(48h);
    doneStraight(QStringLiteral("p6"), kPost, 10min);

    const QList<bot::BotDefinition> bots = {botNamed(kPost, 5), botNamed(QStringLiteral("idle"), 3)};
    auto figures = dashboard(*m_store, bots, {.days = 7, .costPerHour = 24.0, .now = m_clock.now()});
    ASSERT_OK(figures);

    // Seven London days ending today (Wednesday 25 November), from midnight.
    EXPECT_EQ(figures->since, QDateTime(QDate(2026, 11, 19), QTime(0, 0), Qt::UTC));
    ASSERT_EQ(figures->bots.size(), 2);
    EXPECT_EQ(figures->bots.at(0).counts.bot, QStringLiteral("idle"));
    EXPECT_EQ(figures->bots.at(0).counts.arrived, 0);
    const BotFigures &post = figures->bots.at(1);
    EXPECT_EQ(post.counts.arrived, 6);
    EXPECT_EQ(post.counts.done, 5);
    EXPECT_EQ(post.counts.straightThrough, 4);
    EXPECT_EQ(post.counts.toPerson, 1);
    EXPECT_EQ(post.counts.failed, 1);
    EXPECT_DOUBLE_EQ(post.straightThroughRate.value_or(-1), 0.8);
    EXPECT_DOUBLE_EQ(post.hoursSaved, 5.0 * 4 / 60);  // straight through only: a person did the fifth
    EXPECT_DOUBLE_EQ(post.costSaved.value_or(-1), 5.0 * 4 / 60 * 24.0);

    // Every day of the window for every bot, quiet days as zeros.
    ASSERT_EQ(figures->days.size(), 14);
    const BotFigures &monday = figures->days.at(7 + 4);
    EXPECT_EQ(monday.counts.day, QDate(2026, 11, 23));
    EXPECT_EQ(monday.counts.done, 4);
    EXPECT_DOUBLE_EQ(monday.hoursSaved, 5.0 * 3 / 60);
    EXPECT_EQ(figures->days.at(7 + 5).counts.arrived, 0);
    EXPECT_FALSE(figures->days.at(7 + 5).straightThroughRate.has_value());
    EXPECT_EQ(figures->days.at(7 + 6).counts.day, QDate(2026, 11, 25));
    EXPECT_EQ(figures->days.at(7 + 6).counts.straightThrough, 1);

    // One bot only.
    auto one = dashboard(*m_store, bots, {.days = 7, .bot = kPost, .now = m_clock.now()});
    ASSERT_TRUE(one.has_value());
    ASSERT_EQ(one->bots.size(), 1);
    EXPECT_FALSE(one->bots.first().costSaved.has_value());

    EXPECT_FALSE(dashboard(*m_store, bots, {.days = 0}).has_value());
}

TEST_F(DashboardTest, JsonHasTheShapeOfTheApiDocument)
{
    doneStraight(QStringLiteral("p1"), kPost, 3min);
    doneStraight(QStringLiteral("p2"), kPost, 4min);
    doneAfterPerson(QStringLiteral("p3"), kPost);
    const QDateTime opened = m_clock.now();
    askPerson(start(QStringLiteral("p4"), kPost), QStringLiteral("post-room"), {}, opened.addSecs(60));
    m_clock.advance(1h);
    const QJsonObject suggestion{{QStringLiteral("suggestion"),
                                  QJsonObject{{QStringLiteral("choice"), QStringLiteral("a")},
                                              {QStringLiteral("confidence"), 0.92}}}};
    doneAfterPerson(QStringLiteral("f1"), kForms, QStringLiteral("a"), suggestion);

    const QList<bot::BotDefinition> bots = {botNamed(kPost, 5), botNamed(kForms, 2, true)};
    auto figures = dashboard(*m_store, bots, {.days = 14, .costPerHour = 20.0, .now = m_clock.now()});
    ASSERT_TRUE(figures.has_value());
    const QJsonObject json = toJson(*figures);

    EXPECT_EQ(keys(json), (QStringList{QStringLiteral("bots"), QStringLiteral("days"), QStringLiteral("learning"),
                                       QStringLiteral("live_precision"), QStringLiteral("notices"), QStringLiteral("queues"),
                                       QStringLiteral("reasons"), QStringLiteral("shadow"), QStringLiteral("since")}));
    EXPECT_EQ(json.value(QStringLiteral("since")).toString(), QStringLiteral("2026-11-10T00:00:00.000Z"));

    // Why items went to people: the three asked in the window, by bot, most first.
    const QJsonArray reasons = json.value(QStringLiteral("reasons")).toArray();
    ASSERT_EQ(reasons.size(), 2);
    EXPECT_EQ(reasons.at(1).toObject(), (QJsonObject{{QStringLiteral("bot"), kPost},
                                                     {QStringLiteral("step"), QStringLiteral("ask")},
                                                     {QStringLiteral("reason"), QStringLiteral("other")},
                                                     {QStringLiteral("label"), QStringLiteral("other")},
                                                     {QStringLiteral("category"), QJsonValue(QJsonValue::Null)},
                                                     {QStringLiteral("opened"), 2},
                                                     {QStringLiteral("open"), 1}}));
    EXPECT_EQ(reasons.at(0).toObject().value(QStringLiteral("bot")).toString(), kForms);

    const QJsonArray days = json.value(QStringLiteral("days")).toArray();
    ASSERT_EQ(days.size(), 28);
    const QJsonObject today = days.at(27).toObject();
    EXPECT_EQ(keys(today),
              (QStringList{QStringLiteral("arrived"), QStringLiteral("bot"), QStringLiteral("day"),
                           QStringLiteral("done"), QStringLiteral("failed"), QStringLiteral("hours_saved"),
                           QStringLiteral("median_minutes_to_done"), QStringLiteral("straight_through"),
                           QStringLiteral("straight_through_rate"), QStringLiteral("to_person")}));
    EXPECT_EQ(today.value(QStringLiteral("day")).toString(), QStringLiteral("2026-11-23"));
    EXPECT_EQ(today.value(QStringLiteral("bot")).toString(), kPost);
    EXPECT_EQ(today.value(QStringLiteral("arrived")).toInt(), 4);
    EXPECT_EQ(today.value(QStringLiteral("done")).toInt(), 3);
    EXPECT_EQ(today.value(QStringLiteral("straight_through")).toInt(), 2);
    EXPECT_EQ(today.value(QStringLiteral("to_person")).toInt(), 2);
    EXPECT_DOUBLE_EQ(today.value(QStringLiteral("straight_through_rate")).toDouble(), 0.667);
    EXPECT_DOUBLE_EQ(today.value(QStringLiteral("median_minutes_to_done")).toDouble(), 3.0);  // of 3, 4 and 0
    EXPECT_DOUBLE_EQ(today.value(QStringLiteral("hours_saved")).toDouble(), 0.2);            // 10 minutes
    EXPECT_TRUE(days.at(26).toObject().value(QStringLiteral("straight_through_rate")).isNull());
    EXPECT_TRUE(days.at(26).toObject().value(QStringLiteral("median_minutes_to_done")).isNull());

    const QJsonArray botsJson = json.value(QStringLiteral("bots")).toArray();
    ASSERT_EQ(botsJson.size(), 2);
    const QJsonObject post = botsJson.at(1).toObject();
    EXPECT_EQ(keys(post),
              (QStringList{QStringLiteral("arrived"), QStringLiteral("bot"), QStringLiteral("cost_saved"),
                           QStringLiteral("done"), QStringLiteral("failed"), QStringLiteral("hours_saved"),
                           QStringLiteral("manual_minutes"), QStringLiteral("straight_through"),
                           QStringLiteral("straight_through_rate"), QStringLiteral("to_person")}));
    EXPECT_DOUBLE_EQ(post.value(QStringLiteral("manual_minutes")).toDouble(), 5);
    EXPECT_DOUBLE_EQ(post.value(QStringLiteral("cost_saved")).toDouble(), 3.33);  // 1/6 hour at 20

    const QJsonArray queues = json.value(QStringLiteral("queues")).toArray();
    ASSERT_EQ(queues.size(), 1);
    EXPECT_EQ(queues.at(0).toObject(), (QJsonObject{{QStringLiteral("team"), QStringLiteral("post-room")},
                                                    {QStringLiteral("open"), 1},
                                                    {QStringLiteral("breached"), 1},
                                                    {QStringLiteral("oldest_age_seconds"), 3600}}));

    const QJsonArray shadow = json.value(QStringLiteral("shadow")).toArray();
    ASSERT_EQ(shadow.size(), 1);
    const QJsonObject trial = shadow.at(0).toObject();
    EXPECT_EQ(trial.value(QStringLiteral("bot")).toString(), kForms);
    EXPECT_EQ(trial.value(QStringLiteral("answered")).toInt(), 1);
    const QJsonArray points = trial.value(QStringLiteral("points")).toArray();
    ASSERT_EQ(points.size(), 11);
    EXPECT_EQ(points.at(8).toObject(), (QJsonObject{{QStringLiteral("threshold"), 0.9},
                                                    {QStringLiteral("straight_through_rate"), 1.0},
                                                    {QStringLiteral("precision"), 1.0}}));
    EXPECT_TRUE(points.at(9).toObject().value(QStringLiteral("precision")).isNull());

    // Without a cost per hour there is no cost_saved at all.
    auto free = dashboard(*m_store, bots, {.now = m_clock.now()});
    ASSERT_TRUE(free.has_value());
    EXPECT_FALSE(toJson(*free).value(QStringLiteral("bots")).toArray().at(0).toObject().contains(
        QStringLiteral("cost_saved")));
}

TEST_F(DashboardTest, LivePrecisionOfLearningBotsAndTheAnswersTheyStillNeed)
{
    using testing::learningBot;
    using testing::qualityCheck;
    // Three quality checks of inbound-post, two right; one plain answer to the same step.
    doneAfterPerson(QStringLiteral("c1"), kPost, QStringLiteral("a"), qualityCheck(QStringLiteral("a")));
    doneAfterPerson(QStringLiteral("c2"), kPost, QStringLiteral("b"), qualityCheck(QStringLiteral("a")));
    doneAfterPerson(QStringLiteral("c3"), kPost, QStringLiteral("b"), qualityCheck(QStringLiteral("b")));
    doneAfterPerson(QStringLiteral("p1"), kPost, QStringLiteral("a"));

    // inbound-post proves 0.9 at 0.9 (22 answers, all right); contact-form 0.99 (230).
    const QList<bot::BotDefinition> bots = {learningBot(kPost, 0.9), learningBot(kForms, 0.99, 0.9, 0.0)};
    auto figures = dashboard(*m_store, bots, {.now = m_clock.now()});
    ASSERT_OK(figures);
    const QJsonObject json = toJson(*figures);

    const QJsonArray live = json.value(QStringLiteral("live_precision")).toArray();
    ASSERT_EQ(live.size(), 1);
    const QJsonObject post = live.at(0).toObject();
    EXPECT_EQ(keys(post), (QStringList{QStringLiteral("below_target"), QStringLiteral("bot"), QStringLiteral("categories"),
                                       QStringLiteral("checks"), QStringLiteral("lower_bound"), QStringLiteral("precision"),
                                       QStringLiteral("right"), QStringLiteral("target_precision"),
                                       QStringLiteral("upper_bound")}));
    EXPECT_EQ(post.value(QStringLiteral("bot")).toString(), kPost);
    EXPECT_EQ(post.value(QStringLiteral("checks")).toInt(), 3);
    EXPECT_EQ(post.value(QStringLiteral("right")).toInt(), 2);
    EXPECT_DOUBLE_EQ(post.value(QStringLiteral("precision")).toDouble(), 0.6667);
    EXPECT_DOUBLE_EQ(post.value(QStringLiteral("lower_bound")).toDouble(), 0.1958);
    EXPECT_DOUBLE_EQ(post.value(QStringLiteral("upper_bound")).toDouble(), 0.9655);  // 1 - the lower bound of 1 wrong of 3
    EXPECT_DOUBLE_EQ(post.value(QStringLiteral("target_precision")).toDouble(), 0.9);
    EXPECT_TRUE(post.value(QStringLiteral("below_target")).toBool());
    const QJsonArray categories = post.value(QStringLiteral("categories")).toArray();
    ASSERT_EQ(categories.size(), 2);
    EXPECT_EQ(categories.at(0).toObject(), (QJsonObject{{QStringLiteral("category"), QStringLiteral("a")},
                                                        {QStringLiteral("checks"), 2},
                                                        {QStringLiteral("right"), 1},
                                                        {QStringLiteral("precision"), 0.5},
                                                        {QStringLiteral("lower_bound"), 0.0513},
                                                        {QStringLiteral("upper_bound"), 0.9487}}));
    EXPECT_EQ(categories.at(1).toObject().value(QStringLiteral("category")).toString(), QStringLiteral("b"));
    EXPECT_DOUBLE_EQ(categories.at(1).toObject().value(QStringLiteral("lower_bound")).toDouble(), 0.1);

    const QJsonArray learning = json.value(QStringLiteral("learning")).toArray();
    ASSERT_EQ(learning.size(), 2);
    EXPECT_EQ(learning.at(0).toObject(), (QJsonObject{{QStringLiteral("bot"), kForms},
                                                      {QStringLiteral("step"), QStringLiteral("ask")},
                                                      {QStringLiteral("answered"), 0},
                                                      {QStringLiteral("answers_needed"), 230},
                                                      {QStringLiteral("more_needed"), 230},
                                                      {QStringLiteral("target_precision"), 0.99},
                                                      {QStringLiteral("confidence"), 0.9}}));
    EXPECT_EQ(learning.at(1).toObject().value(QStringLiteral("answered")).toInt(), 4);
    EXPECT_EQ(learning.at(1).toObject().value(QStringLiteral("answers_needed")).toInt(), 22);
    EXPECT_EQ(learning.at(1).toObject().value(QStringLiteral("more_needed")).toInt(), 18);
}

// A match step with `learning:`, as the loader leaves it (min_answers given, every not).
bot::BotDefinition matchLearningBot(const QString &name, const QString &folder)
{
    bot::BotDefinition definition = botNamed(name, 4);
    definition.baseDir = folder;
    bot::StepDefinition step;
    step.id = QStringLiteral("person");
    step.type = QStringLiteral("match");
    const QJsonObject field{{QStringLiteral("value"), QStringLiteral("{{ input.surname }}")},
                            {QStringLiteral("m"), QJsonObject{{QStringLiteral("exact"), 0.5}, {QStringLiteral("different"), 0.1}}},
                            {QStringLiteral("u"), QJsonObject{{QStringLiteral("exact"), 0.1}, {QStringLiteral("different"), 0.6}}}};
    step.params = {{QStringLiteral("index"), QJsonObject{{QStringLiteral("path"), QStringLiteral("people.csv")},
                                                         {QStringLiteral("id_column"), QStringLiteral("person_id")}}},
                   {QStringLiteral("fields"), QJsonObject{{QStringLiteral("surname"), field}}},
                   {QStringLiteral("blocking"), QJsonArray{QStringLiteral("value(surname)")}},
                   {QStringLiteral("prior"), 0.01},
                   {QStringLiteral("learning"), QJsonObject{{QStringLiteral("min_answers"), 5}}}};
    definition.steps.append(step);
    return definition;
}

const QString kVoters = QStringLiteral("voters");

class MatchLearningDashboardTest : public ReportStoreTest {
protected:
    // A match step's question as the step asks it: the ranked candidates in the evidence,
    // "none" and each candidate as choices, record_id to type. No candidates: the question
    // of a form with nothing to match on.
    qint64 askMatch(const QString &ref, const QString &bot, const QStringList &candidates)
    {
        const qint64 id = start(ref, bot);
        QJsonArray shown;
        HumanRequest request{.reason = QStringLiteral("not sure which record this is"), .kind = ReasonKind::LowConfidence};
        request.choices.append({QStringLiteral("none"), QStringLiteral("No existing record"), {}});
        for (const QString &candidate : candidates) {
            match::CandidateEvidence evidence{.recordId = candidate, .score = 3.2, .probability = 0.7};
            evidence.fields.append({.field = QStringLiteral("surname"), .query = QStringLiteral("okafor"),
                                    .candidate = QStringLiteral("okafor"), .level = match::ComparisonLevel::Exact, .weight = 2.32});
            shown.append(match::toJson(evidence));
            request.choices.append({candidate, candidate, {}});
        }
        if (!candidates.isEmpty())
            request.evidence = {{match::candidatesKey(), shown}};
        request.fields = {QStringLiteral("record_id")};
        auto opened = m_store->handToPerson(id, QStringLiteral("w"), 0, QStringLiteral("person"), request,
                                            QStringLiteral("front-door"), {});
        EXPECT_TRUE(opened.has_value());
        return opened.value_or(0);
    }
    // Answered, then the item resumes and finishes, so the next start() leases a new one.
    void answer(qint64 exceptionId, const QString &choice, const QJsonObject &fields = {})
    {
        auto itemId = m_store->resolve(exceptionId, {.actor = QStringLiteral("zoe"), .choice = choice, .fields = fields});
        ASSERT_OK(itemId);
        auto leased = m_store->leaseNext(QStringLiteral("w"), std::chrono::seconds(30), {kVoters});
        ASSERT_TRUE(leased.has_value() && leased->has_value());
        ASSERT_OK(m_store->completeStep(*itemId, QStringLiteral("w"), 1, QStringLiteral("last"), {}, true));
    }
};

TEST_F(MatchLearningDashboardTest, AMatchStepShowsTheAnswersItLearnsFromTheWeightsInUseAndItsLastChallenger)
{
    const bot::BotDefinition voters = matchLearningBot(kVoters, m_dir.path());
    // Answers the loop learns from: a candidate picked, "none" picked, a record id typed.
    answer(askMatch(QStringLiteral("v1"), kVoters, {QStringLiteral("p1"), QStringLiteral("p2")}), QStringLiteral("p1"));
    answer(askMatch(QStringLiteral("v2"), kVoters, {QStringLiteral("p3")}), QStringLiteral("none"));
    answer(askMatch(QStringLiteral("v3"), kVoters, {QStringLiteral("p4")}), {},
           {{QStringLiteral("record_id"), QStringLiteral("p9")}});
    // Not learnt from: a question that showed no candidates, one rejected, one still open.
    answer(askMatch(QStringLiteral("v4"), kVoters, {}), {}, {{QStringLiteral("record_id"), QStringLiteral("p5")}});
    ASSERT_OK(m_store->reject(askMatch(QStringLiteral("v5"), kVoters, {QStringLiteral("p6")}), QStringLiteral("zoe"),
                              QStringLiteral("junk")));
    askMatch(QStringLiteral("v6"), kVoters, {QStringLiteral("p7")});

    const QString kWaste = QStringLiteral("waste");
    const QList<bot::BotDefinition> bots = {testing::learningBot(kWaste, 0.9), voters, testing::learningBot(kPost, 0.9)};
    auto before = dashboard(*m_store, bots, {.now = m_clock.now()});
    ASSERT_OK(before);
    const QJsonArray learning = toJson(*before).value(QStringLiteral("learning")).toArray();
    ASSERT_EQ(learning.size(), 3) << QJsonDocument(learning).toJson().toStdString();
    // By bot, the classify rows as they always were around the match row.
    EXPECT_EQ(learning.at(0).toObject().value(QStringLiteral("bot")).toString(), kPost);
    EXPECT_FALSE(learning.at(0).toObject().contains(QStringLiteral("kind")));
    EXPECT_EQ(learning.at(2).toObject().value(QStringLiteral("bot")).toString(), kWaste);
    EXPECT_FALSE(learning.at(2).toObject().contains(QStringLiteral("kind")));
    EXPECT_EQ(learning.at(1).toObject(), (QJsonObject{{QStringLiteral("kind"), QStringLiteral("match")},
                                                      {QStringLiteral("bot"), kVoters},
                                                      {QStringLiteral("step"), QStringLiteral("person")},
                                                      {QStringLiteral("answered"), 3},
                                                      {QStringLiteral("min_answers"), 5},
                                                      {QStringLiteral("more_needed"), 2},
                                                      // `every` left out: 20, so the first challenger
                                                      // waits for 20 answers, not min_answers' 5.
                                                      {QStringLiteral("every"), 20},
                                                      {QStringLiteral("next_challenger_at"), 20},
                                                      {QStringLiteral("model"), QJsonValue()},
                                                      {QStringLiteral("version"), QJsonValue()},
                                                      {QStringLiteral("last_challenger"), QJsonValue()}}));
    // The count is the learning loop's own.
    auto loopCount = engine::answeredMatchCount(*m_store, voters, QStringLiteral("person"));
    ASSERT_OK(loopCount);
    EXPECT_EQ(*loopCount, 3);

    // The loop refused a challenger; later someone promoted version 2 by hand.
    const QString v2 = path(QStringLiteral("voters.person.model.v2"));
    QFile file(v2);
    ASSERT_TRUE(file.open(QIODevice::WriteOnly));
    file.close();
    ASSERT_OK(classify::writeLatestPointer(m_dir.path(), kVoters, QStringLiteral("person"), v2));
    m_clock.advance(std::chrono::hours(1));
    const QDateTime refusedAt = m_clock.now();
    ASSERT_OK(m_store->recordBotEvent(kVoters, QStringLiteral("model_refused"), QStringLiteral("w1/learning"),
                                      {{QStringLiteral("step"), QStringLiteral("person")},
                                       {QStringLiteral("model"), QStringLiteral("voters.person.model.v3")},
                                       {QStringLiteral("answers"), 3},
                                       {QStringLiteral("reason"), QStringLiteral("no more decided right")},
                                       {QStringLiteral("verdict"), QJsonObject{{QStringLiteral("promote"), false}}}}));
    m_clock.advance(std::chrono::minutes(5));
    ASSERT_OK(m_store->recordBotEvent(kVoters, QStringLiteral("model_promoted"), QStringLiteral("zoe"),
                                      {{QStringLiteral("step"), QStringLiteral("person")},
                                       {QStringLiteral("model"), QStringLiteral("voters.person.model.v2")},
                                       {QStringLiteral("answers"), 3},
                                       {QStringLiteral("reason"), QStringLiteral("by hand")}}));
    auto after = dashboard(*m_store, bots, {.now = m_clock.now()});
    ASSERT_OK(after);
    const QJsonObject row = toJson(*after).value(QStringLiteral("learning")).toArray().at(1).toObject();
    EXPECT_EQ(row.value(QStringLiteral("model")).toString(), QStringLiteral("voters.person.model.v2"));
    EXPECT_EQ(row.value(QStringLiteral("version")).toInt(), 2);
    // The next challenger: `every` (20) more than the last one learnt from (3).
    EXPECT_EQ(row.value(QStringLiteral("next_challenger_at")).toInt(), 23);
    EXPECT_EQ(row.value(QStringLiteral("last_challenger")).toObject(),
              (QJsonObject{{QStringLiteral("at"), refusedAt.toUTC().toString(Qt::ISODateWithMs)},
                           {QStringLiteral("promoted"), false},
                           {QStringLiteral("model"), QStringLiteral("voters.person.model.v3")},
                           {QStringLiteral("answers"), 3},
                           {QStringLiteral("reason"), QStringLiteral("no more decided right")}}));

    // Only the bot asked for; a bot without `learning:` on its match step has no row.
    auto one = dashboard(*m_store, bots, {.bot = kPost, .now = m_clock.now()});
    ASSERT_OK(one);
    EXPECT_TRUE(one->learning.matches.isEmpty());
    bot::BotDefinition plain = voters;
    plain.steps.first().params.remove(QStringLiteral("learning"));
    EXPECT_TRUE(matchLearningSteps(plain).isEmpty());
    // `learning: {}` needs as many answers as the loop waits for by default.
    bot::BotDefinition defaults = voters;
    defaults.steps.first().params.insert(QStringLiteral("learning"), QJsonObject());
    const auto loop = engine::MatchLearningSettings::of(defaults.steps.first());
    ASSERT_TRUE(loop.has_value());
    ASSERT_EQ(matchLearningSteps(defaults).size(), 1);
    EXPECT_EQ(matchLearningSteps(defaults).first().minAnswers, loop->minAnswers);
    EXPECT_EQ(matchLearningSteps(defaults).first().every, loop->every);
}

// What the learning loop itself leaves behind (a version file, `.latest` on a promotion,
// its verdict event) is what the row shows.
TEST_F(MatchLearningDashboardTest, TheRowShowsWhatTheLearningLoopTrainedAndDecided)
{
    bot::BotDefinition voters = matchLearningBot(kVoters, m_dir.path());
    voters.steps.first().params.insert(QStringLiteral("learning"), QJsonObject{{QStringLiteral("min_answers"), 3}});
    answer(askMatch(QStringLiteral("v1"), kVoters, {QStringLiteral("p1"), QStringLiteral("p2")}), QStringLiteral("p1"));
    answer(askMatch(QStringLiteral("v2"), kVoters, {QStringLiteral("p3")}), QStringLiteral("none"));
    answer(askMatch(QStringLiteral("v3"), kVoters, {QStringLiteral("p4"), QStringLiteral("p5")}), QStringLiteral("p5"));
    m_clock.advance(std::chrono::minutes(10));
    auto learned = engine::learnMatchOnce(*m_store, *m_store, voters, QStringLiteral("person"), QStringLiteral("w1/learning"), true);
    ASSERT_OK(learned);
    ASSERT_TRUE(learned->trained) << learned->reason.toStdString();
    // On these answers the challenger has the lower log-loss, so it is promoted.
    ASSERT_TRUE(learned->promoted) << learned->reason.toStdString();

    auto figures = dashboard(*m_store, {voters}, {.now = m_clock.now()});
    ASSERT_OK(figures);
    const QJsonObject row = toJson(*figures).value(QStringLiteral("learning")).toArray().at(0).toObject();
    EXPECT_EQ(row.value(QStringLiteral("answered")).toInt(), 3);
    EXPECT_EQ(row.value(QStringLiteral("more_needed")).toInt(), 0);
    const QString challenger = QFileInfo(learned->modelPath).fileName();
    const QJsonObject last = row.value(QStringLiteral("last_challenger")).toObject();
    EXPECT_EQ(last.value(QStringLiteral("model")).toString(), challenger);
    EXPECT_TRUE(last.value(QStringLiteral("promoted")).toBool());
    EXPECT_EQ(last.value(QStringLiteral("answers")).toInt(), 3);
    EXPECT_EQ(last.value(QStringLiteral("reason")).toString(), learned->reason);
    EXPECT_FALSE(last.value(QStringLiteral("at")).toString().isEmpty());
    EXPECT_EQ(row.value(QStringLiteral("model")).toString(), challenger);
    EXPECT_EQ(row.value(QStringLiteral("version")).toInt(), 1);
    // The loop agrees that no challenger is due before the row says.
    EXPECT_EQ(row.value(QStringLiteral("next_challenger_at")).toInt(), 23);
    auto early = engine::learnMatchOnce(*m_store, *m_store, voters, QStringLiteral("person"), QStringLiteral("w1/learning"), false);
    ASSERT_OK(early);
    EXPECT_FALSE(early->trained) << early->reason.toStdString();
}

// A `.latest` pointer that names a missing file does not hide the bot's other figures.
TEST_F(MatchLearningDashboardTest, ABrokenPointerIsSaidOnTheRow)
{
    const bot::BotDefinition voters = matchLearningBot(kVoters, m_dir.path());
    QFile pointer(path(QStringLiteral("voters.person.model.latest")));
    ASSERT_TRUE(pointer.open(QIODevice::WriteOnly));
    pointer.write("voters.person.model.v7\n");
    pointer.close();
    auto figures = dashboard(*m_store, {voters}, {.now = m_clock.now()});
    ASSERT_OK(figures);
    const QJsonObject row = toJson(*figures).value(QStringLiteral("learning")).toArray().at(0).toObject();
    EXPECT_TRUE(row.value(QStringLiteral("model")).isNull());
    EXPECT_FALSE(row.value(QStringLiteral("model_problem")).toString().isEmpty());
}

// Acknowledgements sent and failed, per bot and London day: a message re-sent after a
// crash counts once, each failed attempt counts by what went wrong.
TEST_F(DashboardTest, NoticesSentAndFailedPerBotAndDay)
{
    const auto notice = [&](const QString &ref, const QString &bot, NoticeOutcome outcome) {
        const qint64 id = start(ref, bot);
        ASSERT_OK(m_store->recordNotice(id, bot, QStringLiteral("acknowledge"), QStringLiteral("key-") + ref, outcome));
        ASSERT_OK(m_store->completeStep(id, QStringLiteral("w"), 0, QStringLiteral("acknowledge"), {}, true));
    };
    // Monday 23 November 2026, 10:00 London.
    notice(QStringLiteral("f1"), kForms, NoticeOutcome::Sent);
    notice(QStringLiteral("f2"), kForms, NoticeOutcome::Refused);
    notice(QStringLiteral("f3"), kForms, NoticeOutcome::ServerError);
    // The re-send of f1 after clerk stopped before recording it: still one sent.
    auto f1 = m_store->items({.bot = kForms});
    ASSERT_OK(f1);
    ASSERT_OK(m_store->recordNotice(f1->first().id, kForms, QStringLiteral("acknowledge"), QStringLiteral("key-f1"),
                                    NoticeOutcome::Sent));
    m_clock.advance(24h);
    notice(QStringLiteral("f4"), kForms, NoticeOutcome::Sent);
    notice(QStringLiteral("p1"), kPost, NoticeOutcome::Unsendable);

    auto figures = dashboard(*m_store, {}, {.days = 7, .now = m_clock.now()});
    ASSERT_OK(figures);
    const QJsonArray notices = toJson(*figures).value(QStringLiteral("notices")).toArray();
    ASSERT_EQ(notices.size(), 3) << QJsonDocument(notices).toJson().toStdString();
    EXPECT_EQ(notices.at(0).toObject(), (QJsonObject{{QStringLiteral("bot"), kForms},
                                                     {QStringLiteral("day"), QStringLiteral("2026-11-23")},
                                                     {QStringLiteral("sent"), 1},
                                                     {QStringLiteral("refused"), 1},
                                                     {QStringLiteral("bounced"), 0},
                                                     {QStringLiteral("server_error"), 1},
                                                     {QStringLiteral("unsendable"), 0},
                                                     {QStringLiteral("failed"), 2}}));
    EXPECT_EQ(notices.at(1).toObject().value(QStringLiteral("day")).toString(), QStringLiteral("2026-11-24"));
    EXPECT_EQ(notices.at(1).toObject().value(QStringLiteral("sent")).toInt(), 1);
    EXPECT_EQ(notices.at(2).toObject().value(QStringLiteral("bot")).toString(), kPost);
    EXPECT_EQ(notices.at(2).toObject().value(QStringLiteral("unsendable")).toInt(), 1);

    auto one = dashboard(*m_store, {}, {.days = 7, .bot = kPost, .now = m_clock.now()});
    ASSERT_OK(one);
    ASSERT_EQ(one->notices.size(), 1);
    EXPECT_EQ(one->notices.first().failedTotal(), 1);
}

TEST_F(DashboardTest, WindowStartsAtLondonMidnight)
{
    const QTimeZone london(QByteArrayLiteral("Europe/London"));
    // 23:30 UTC on 30 June is 00:30 BST on 1 July: today is 1 July there.
    const QDateTime summer(QDate(2026, 6, 30), QTime(23, 30), Qt::UTC);
    EXPECT_EQ(startOfDays(1, summer, london), QDateTime(QDate(2026, 6, 30), QTime(23, 0), Qt::UTC));
    EXPECT_EQ(startOfDays(2, summer, london), QDateTime(QDate(2026, 6, 29), QTime(23, 0), Qt::UTC));
    EXPECT_EQ(startOfDays(1, testing::startTime(), london), QDateTime(QDate(2026, 11, 23), QTime(0, 0), Qt::UTC));
}

} // namespace
} // namespace clerk::report
