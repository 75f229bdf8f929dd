// Learning a match step's weights from people's answers: the answered questions (which
// candidate a person picked, or none) become labelled pairs; m and u per field and level
// and the prior are re-estimated from them, with the step's own values as the starting
// belief; the result (a challenger) is compared with the weights in use (the champion)
// on answers the challenger did not learn from, and kept as a versioned model file.
//
// Estimation: each field's m is the mean of a Dirichlet whose pseudo-counts are the
// starting m times `priorWeight`, updated with the levels of the matching pairs
// (Missing levels add nothing); u alike from the other pairs; the prior the mean of a
// Beta with the starting prior times `priorWeight`, updated with the matching share of
// the pairs. With few answers the weights stay near the bot file's; with many, the
// answers decide.
//
// The gate: every answered question is decided again, from the levels it showed, by
// the champion and by a challenger trained without it (out of fold: the questions the
// champion never learnt from are cut into `folds` parts, each decided by a challenger
// trained on everything else). A decision made without a person (matched, or no match
// when the step goes on without one) is right when it is what the person answered.
// The challenger is promoted when it makes no more wrong decisions than the champion and
// more right ones, or as many of each and a lower log-loss on the pairs.
//
// Scores here use the plain weights of each level: a question keeps the levels it
// showed, not the index's term frequencies.
//
// Thread-safety: values and pure functions; the file functions touch only their file.
#pragma once

#include "match/match_model.h"
#include "match/matcher.h"

#include <QJsonObject>
#include <QList>
#include <QString>
#include <QStringList>

namespace clerk::match {

// One question a person answered: its candidates as compared then, and the answer.
struct AnsweredMatch {
    QList<ScoredCandidate> candidates{};  // record (id and values) and levels set
    QString chosen{};                     // the record id picked; empty: none of the candidates
};

// The question's candidates from its `evidence` (match_evidence.h) and the person's
// answer `chosen` ("none" or empty: no existing record; an id no candidate has: every
// candidate is a non-match). Fields `model` does not know are ignored.
AnsweredMatch answeredMatchFromEvidence(const MatchModel &model, const QJsonObject &evidence, const QString &chosen);

// Every candidate of every question as a labelled pair.
QList<LabelledPair> labelledPairs(const QList<AnsweredMatch> &questions);

// m, u and the prior re-estimated from `pairs`, `start`'s values counting as
// `priorWeight` pairs of each kind (see above). REQUIRES: priorWeight > 0.
MatchModel estimateFromPairs(const MatchModel &start, const QList<LabelledPair> &pairs, double priorWeight);

struct MatchLearningOptions {
    MatchThresholds thresholds{};
    int maxCandidates = 5;
    bool noMatchGoesOn = true;  // on_no_match: continue (a no-match decision needs no person)
    double priorWeight = 20;
    int folds = 5;
};

// How a model does on answered questions.
struct MatchStanding {
    int questions = 0;
    int straightThrough = 0;  // decided without a person
    int right = 0;            // ... as the person answered
    int wrong = 0;            // ... otherwise
    double logLoss = 0;       // mean over the candidate pairs, natural log

    QJsonObject toJson() const;
};

// The decision `model` makes on `question`; `right` (when given) says whether a decision
// made without a person is the person's answer.
MatchOutcome decideAnswered(const MatchModel &model, const AnsweredMatch &question, const MatchLearningOptions &options,
                            bool *right = nullptr);

MatchStanding standOn(const MatchModel &model, const QList<AnsweredMatch> &questions, const MatchLearningOptions &options);

struct MatchVerdict {
    bool promote = false;
    QString reason{};
    int compared = 0;  // questions the champion never learnt from, decided by both
    MatchStanding champion{};
    MatchStanding challenger{};  // out of fold

    QJsonObject toJson() const;
};

// The gate's rule on two standings over the same questions.
MatchVerdict compareStandings(const MatchStanding &champion, const MatchStanding &challenger);

struct MatchChallenger {
    MatchModel model;  // learnt from every question
    MatchVerdict verdict;
    int pairs = 0;
    int matchingPairs = 0;
};

// Trains a challenger from `start` (the bot file's weights) on `questions` (oldest
// first) and judges it against `champion` on the questions from `championSaw` on, out of
// fold. Nothing to compare on (championSaw >= questions.size()) refuses it.
MatchChallenger trainAndJudge(const MatchModel &start, const MatchModel &champion, const QList<AnsweredMatch> &questions,
                              qsizetype championSaw, const MatchLearningOptions &options);

// A learnt match model as a file beside the bot (classify/model_files.h names it):
//   {"format": "clerk-match-model", "info": {...}, "learned": {...}, "model": MatchModel::toJson()}
// `info` holds trained_at and answers_from_people; `learned` the verdict and whether it
// was promoted.
struct LearnedMatchModel {
    MatchModel model;
    QJsonObject info{};
    QJsonObject learned{};
};

// Written whole or not at all.
Status saveLearnedModel(const QString &path, const LearnedMatchModel &learned);
// The file's info and learned headers, without the weights. Unreadable or Corrupt.
Result<LearnedMatchModel> readLearnedModelHeader(const QString &path);
// The file's weights laid on `shape`, the step's model: every field of `shape` must be
// there with the same comparator (InvalidArgument otherwise: the bot file's fields
// changed since it was learnt); term_frequency stays the step's.
Result<LearnedMatchModel> loadLearnedModel(const QString &path, const MatchModel &shape);

} // namespace clerk::match
