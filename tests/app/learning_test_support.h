// What the learning tests of the clerk binary share: a post-room bot whose classify step
// learns, the test letters as records, and a post room that answers every question with
// the letter's true category, through the real store.
#pragma once

#include "cli_support_test.h"

#include "classify/example_set.h"
#include "store/work_store.h"

#include <QDir>
#include <QJsonDocument>
#include <QJsonObject>

namespace clerk::testing {

// `every` and the extra `learning:` lines are filled in by learningBot().
inline QByteArray learningBot(int every, const QString &trigger = {})
{
    return QStringLiteral("name: post\n"
                          "version: 1\n"
                          "owner_team: post-room\n"
                          "input:\n"
                          "  id: letter\n"
                          "%2"
                          "steps:\n"
                          "  - id: topic\n"
                          "    type: classify\n"
                          "    params:\n"
                          "      text: \"{{ input.text }}\"\n"
                          "      learning:\n"
                          "        examples: train.csv\n"
                          "        every: %1\n"
                          "        target_precision: 0.9\n"
                          "        confidence: 0.8\n"
                          "      categories:\n"
                          "        blue_badge: {label: Blue Badge, team: blue-badge}\n"
                          "        school_admissions: {label: School admissions, team: admissions}\n"
                          "        adult_social_care: {label: Adult social care referral}\n"
                          "        highways: {label: Highways, team: highways}\n"
                          "        complaint: {label: Complaint, team: complaints}\n")
        .arg(every)
        .arg(trigger)
        .toUtf8();
}

// The test letters (tests/data/classify/test.csv), round and round.
inline QList<classify::LabelledText> testLetters()
{
    auto set = classify::loadExamples(QStringLiteral(CLERK_TEST_DATA_DIR "/classify/test.csv"));
    EXPECT_TRUE(set.has_value());
    return set ? set->examples : QList<classify::LabelledText>{};
}

// Letters `first` to `last` - 1 as JSON lines {letter, truth, text}.
inline QByteArray letterRecords(int first, int last)
{
    const QList<classify::LabelledText> letters = testLetters();
    QByteArray lines;
    for (int i = first; i < last; ++i) {
        const classify::LabelledText &letter = letters.at(i % letters.size());
        lines += QJsonDocument(QJsonObject{{QStringLiteral("letter"), QStringLiteral("letter-%1").arg(i)},
                                           {QStringLiteral("truth"), letter.category},
                                           {QStringLiteral("text"), letter.text}})
                     .toJson(QJsonDocument::Compact)
                 + '\n';
    }
    return lines;
}

// Answers every open question of bot "post" with the letter's true category, as the post
// room would; returns how many were answered.
inline int answerEveryQuestion(const QString &database)
{
    auto store = store::openWorkStore(database);
    EXPECT_TRUE(store.has_value());
    if (!store)
        return 0;
    store::ExceptionFilter filter;
    filter.bot = QStringLiteral("post");
    filter.state = store::ExceptionState::Open;
    filter.limit = 1000;
    auto open = (*store)->exceptions(filter);
    EXPECT_TRUE(open.has_value());
    if (!open)
        return 0;
    int answered = 0;
    for (const store::ExceptionItem &question : *open) {
        auto item = (*store)->item(question.itemId);
        EXPECT_TRUE(item.has_value());
        if (!item)
            continue;
        store::Decision answer;
        answer.actor = QStringLiteral("post-room");
        answer.choice = item->payload.value(QStringLiteral("truth")).toString();
        if ((*store)->resolve(question.id, answer))
            ++answered;
    }
    return answered;
}

} // namespace clerk::testing
