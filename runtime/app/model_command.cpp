// clerk model list|promote|rollback, clerk learn: the model versions of a classify step,
// or the learnt weights of a match step, that learns from people's answers
// (engine/learning_loop.h, engine/match_learning_loop.h), and one round of learning by
// hand.
//
//   clerk model list BOT [--step ID] [--json]
//       every <bot>.<step>.model.v<N> beside the bot file, oldest first: when it was
//       trained, on how many answers, how it did on them, the threshold it proved, whether
//       it was promoted, and which one `.latest` points at (the one in use).
//   clerk model promote BOT vN [--step ID] [--db DB] [--as NAME]
//       points `.latest` at version N (it must load) and records "model_promoted".
//   clerk model rollback BOT [--step ID] [--db DB] [--as NAME]
//       points `.latest` back at the version in use before the current one, and records
//       "model_rolled_back".
//   clerk learn BOT [--step ID] [--db DB] [--force] [--json]
//       trains a challenger when enough answers arrived (or always with --force), judges
//       it and promotes it when it is better.
//
// The events are bot events of the database (--db, else $CLERK_DB): `promote` and
// `rollback` record them only when one of the two names a database, so a model folder
// can be handled without one.
#include "cli_support.h"
#include "commands.h"

#include "classify/classifier_model.h"
#include "classify/model_files.h"
#include "engine/learning_loop.h"
#include "match/match_learning.h"
#include "match/match_settings.h"

#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QRegularExpression>

#include <algorithm>
#include <limits>

namespace clerk::app {

namespace {

const QString kPromoted = QStringLiteral("model_promoted");
const QString kRolledBack = QStringLiteral("model_rolled_back");

struct StepOption {
    QCommandLineOption step{QStringLiteral("step"),
                            QStringLiteral("The id of the classify or match step (needed when the bot has several)."),
                            QStringLiteral("id")};
};

// The bot and its classify or match step (`learning` requires one with `learning:`), or
// a message on stderr and nullopt.
struct ModelTarget {
    bot::BotDefinition bot;
    bot::StepDefinition step;
};

std::optional<ModelTarget> loadModelTarget(const QString &command, const QString &botPath, const QCommandLineParser &parser,
                                           const CommonOptions &common, const StepOption &options, bool learning)
{
    bot::Diagnostics connectorProblems;
    const bot::ConnectorSet connectors = loadConnectors({botPath}, parser.values(common.connectors), connectorProblems);
    const engine::StepRegistry registry = engine::StepRegistry::builtIn();
    std::optional<bot::BotDefinition> definition = loadBotOrReport(botPath, registry, connectors);
    if (!definition)
        return std::nullopt;
    QList<bot::StepDefinition> candidates;
    for (const bot::StepDefinition &step : definition->steps) {
        const bool versioned = step.type == QLatin1String("classify") || step.type == QLatin1String("match");
        if (!versioned || (parser.isSet(options.step) && step.id != parser.value(options.step)))
            continue;
        // Without --step: the classify steps, and the match steps that learn (one without
        // `learning:` has no versions).
        if (!parser.isSet(options.step) && (learning || step.type == QLatin1String("match"))
            && !engine::learnsFromAnswers(*definition, step))
            continue;
        candidates.append(step);
    }
    const QString which = parser.isSet(options.step) ? QStringLiteral(" with id ") + parser.value(options.step) : QString();
    if (candidates.size() != 1) {
        if (candidates.isEmpty())
            err() << "clerk " << command << ": " << botPath << " has no classify step" << which
                  << (learning ? QStringLiteral(" that learns (`learning:` in its params)") : QString()) << "\n";
        else
            err() << "clerk " << command << ": " << botPath
                  << " has several classify or learning match steps: name one with --step\n";
        err().flush();
        return std::nullopt;
    }
    if (learning && !engine::learnsFromAnswers(*definition, candidates.first())) {
        err() << "clerk " << command << ": step " << candidates.first().id << " of " << botPath
              << " does not learn: give it `learning:` params (docs/bot-reference.md)\n";
        err().flush();
        return std::nullopt;
    }
    return ModelTarget{std::move(*definition), candidates.first()};
}

// One model version file, as read.
struct ModelVersion {
    int number = 0;
    QString path{};
    QJsonObject info{};  // the header; empty when it does not load
    QString problem{};   // why it does not load
    bool match = false;  // a match step's learnt weights (match/match_learning.h)

    QJsonObject learned() const { return info.value(QStringLiteral("learned")).toObject(); }
    // Promoted by the learning loop or by hand; a model `clerk train` wrote (without
    // `learned`) was put in use when it was trained.
    bool promoted() const
    {
        const QJsonObject l = learned();
        return problem.isEmpty() && (!l.contains(QStringLiteral("promoted")) || l.value(QStringLiteral("promoted")).toBool());
    }
};

// Every "<bot>.<step>.model.v<N>" in the bot's folder, oldest first. A file whose name
// only starts so (a save in progress: QSaveFile's temporary) is not a version.
QList<ModelVersion> modelVersions(const ModelTarget &target)
{
    const QString base = classify::modelBaseName(target.bot.name, target.step.id);
    const QRegularExpression pattern(QStringLiteral("^%1\\.v(\\d+)$").arg(QRegularExpression::escape(base)));
    const QDir dir(target.bot.baseDir);
    QList<ModelVersion> versions;
    for (const QString &name : dir.entryList({base + QStringLiteral(".v*")}, QDir::Files)) {
        const QRegularExpressionMatch match = pattern.match(name);
        if (!match.hasMatch())
            continue;
        ModelVersion version;
        version.number = match.captured(1).toInt();
        version.path = dir.filePath(name);
        version.match = target.step.type == QLatin1String("match");
        if (version.match) {
            if (auto header = match::readLearnedModelHeader(version.path)) {
                version.info = header->info;
                version.info.insert(QStringLiteral("learned"), header->learned);
            } else {
                version.problem = header.error().message();
            }
        } else if (auto model = classify::ClassifierModel::load(version.path)) {
            version.info = model->info();
        } else {
            version.problem = model.error().message();
        }
        versions.append(std::move(version));
    }
    std::sort(versions.begin(), versions.end(), [](const ModelVersion &a, const ModelVersion &b) { return a.number < b.number; });
    return versions;
}

QString percentText(const QJsonValue &value)
{
    return value.isDouble() ? QString::number(value.toDouble() * 100, 'f', 1) + QLatin1Char('%') : QStringLiteral("-");
}

QString thresholdText(const QJsonObject &learned)
{
    const QJsonObject perCategory = learned.value(QStringLiteral("per_category")).toObject();
    if (!perCategory.isEmpty()) {
        QStringList parts;
        for (auto it = perCategory.begin(); it != perCategory.end(); ++it)
            parts.append(QStringLiteral("%1 %2").arg(it.key(), QString::number(it.value().toDouble(), 'f', 3)));
        return parts.join(QStringLiteral(", "));
    }
    if (learned.value(QStringLiteral("threshold")).isDouble())
        return QString::number(learned.value(QStringLiteral("threshold")).toDouble(), 'f', 3);
    return learned.isEmpty() ? QStringLiteral("-") : QStringLiteral("none proven");
}

QJsonObject versionJson(const ModelVersion &version, const QString &inUse)
{
    const QJsonObject learned = version.learned();
    QJsonObject json{{QStringLiteral("version"), version.number},
                     {QStringLiteral("file"), QFileInfo(version.path).fileName()},
                     {QStringLiteral("in_use"), version.path == inUse},
                     {QStringLiteral("promoted"), version.promoted()}};
    if (!version.problem.isEmpty()) {
        json.insert(QStringLiteral("problem"), version.problem);
        return json;
    }
    json.insert(QStringLiteral("trained_at"), version.info.value(QStringLiteral("trained_at")));
    json.insert(QStringLiteral("answers"), version.info.value(QStringLiteral("answers_from_people")).toInt());
    if (version.match) {
        const QJsonObject verdict = learned.value(QStringLiteral("verdict")).toObject();
        json.insert(QStringLiteral("compared"), verdict.value(QStringLiteral("compared")));
        json.insert(QStringLiteral("challenger"), verdict.value(QStringLiteral("challenger")));
        json.insert(QStringLiteral("champion"), verdict.value(QStringLiteral("champion")));
        json.insert(QStringLiteral("reason"), verdict.value(QStringLiteral("reason")));
        json.insert(QStringLiteral("pairs"), learned.value(QStringLiteral("pairs")));
        return json;
    }
    json.insert(QStringLiteral("examples"), version.info.value(QStringLiteral("example_count")));
    json.insert(QStringLiteral("answers_accuracy"), learned.value(QStringLiteral("answers_accuracy")));
    json.insert(QStringLiteral("threshold"), learned.value(QStringLiteral("threshold")));
    if (learned.contains(QStringLiteral("per_category")))
        json.insert(QStringLiteral("per_category"), learned.value(QStringLiteral("per_category")));
    json.insert(QStringLiteral("lower_bound"), learned.value(QStringLiteral("lower_bound")));
    json.insert(QStringLiteral("target_precision"), learned.value(QStringLiteral("target_precision")));
    json.insert(QStringLiteral("learned"), !learned.isEmpty());
    return json;
}

// The model ".latest" points at; an empty string when there is none or it is broken
// (`problem` says why).
QString modelInUse(const ModelTarget &target, QString *problem = nullptr)
{
    auto latest = classify::latestModelPath(target.bot.baseDir, target.bot.name, target.step.id);
    if (!latest) {
        if (problem)
            *problem = latest.error().message();
        return {};
    }
    return *latest;
}

// Whether the command names a database for the audit trail: --db or $CLERK_DB.
bool databaseNamed(const QCommandLineParser &parser, const CommonOptions &common)
{
    return parser.isSet(common.db) || !qEnvironmentVariable("CLERK_DB").isEmpty();
}

// A match step's versions: how each challenger and the weights in use then decided the
// answers compared on (out of fold), without a person.
void printMatchVersions(const QList<ModelVersion> &versions, const QString &inUse)
{
    const auto decided = [](const QJsonObject &standing) {
        return standing.isEmpty() ? QStringLiteral("-")
                                  : QStringLiteral("%1 right, %2 wrong")
                                        .arg(standing.value(QStringLiteral("right")).toInt())
                                        .arg(standing.value(QStringLiteral("wrong")).toInt());
    };
    TextTable table({QStringLiteral("version"), QStringLiteral("trained at"), QStringLiteral("answers"),
                     QStringLiteral("compared on"), QStringLiteral("alone (challenger)"),
                     QStringLiteral("alone (in use then)"), QStringLiteral("promoted"), QStringLiteral("in use")});
    for (const ModelVersion &version : versions) {
        const QString name = QStringLiteral("v%1").arg(version.number);
        const QString inUseMark = version.path == inUse ? QStringLiteral("*") : QString();
        if (!version.problem.isEmpty()) {
            table.addRow({name, QStringLiteral("does not load: ") + version.problem, {}, {}, {}, {}, {}, inUseMark});
            continue;
        }
        const QJsonObject verdict = version.learned().value(QStringLiteral("verdict")).toObject();
        table.addRow({name, version.info.value(QStringLiteral("trained_at")).toString(),
                      QString::number(version.info.value(QStringLiteral("answers_from_people")).toInt()),
                      QString::number(verdict.value(QStringLiteral("compared")).toInt()),
                      decided(verdict.value(QStringLiteral("challenger")).toObject()),
                      decided(verdict.value(QStringLiteral("champion")).toObject()),
                      version.promoted() ? QStringLiteral("yes") : QStringLiteral("no"), inUseMark});
    }
    table.print(out());
}

int listVersions(const ModelTarget &target, bool json)
{
    const QList<ModelVersion> versions = modelVersions(target);
    QString pointerProblem;
    const QString inUse = modelInUse(target, &pointerProblem);
    if (json) {
        QJsonArray rows;
        for (const ModelVersion &version : versions)
            rows.append(versionJson(version, inUse));
        QJsonObject result{{QStringLiteral("bot"), target.bot.name},
                           {QStringLiteral("step"), target.step.id},
                           {QStringLiteral("in_use"), inUse.isEmpty() ? QJsonValue() : QJsonValue(QFileInfo(inUse).fileName())},
                           {QStringLiteral("versions"), rows}};
        if (!pointerProblem.isEmpty())
            result.insert(QStringLiteral("problem"), pointerProblem);
        printJson(result);
        return ExitOk;
    }
    if (versions.isEmpty()) {
        out() << "no model versions of " << target.bot.name << "." << target.step.id << " in " << target.bot.baseDir
              << " (clerk learn or clerk train makes one)\n";
    } else if (target.step.type == QLatin1String("match")) {
        printMatchVersions(versions, inUse);
    } else {
        TextTable table({QStringLiteral("version"), QStringLiteral("trained at"), QStringLiteral("answers"),
                         QStringLiteral("accuracy on answers"), QStringLiteral("threshold"), QStringLiteral("lower bound"),
                         QStringLiteral("promoted"), QStringLiteral("in use")});
        for (const ModelVersion &version : versions) {
            const QString name = QStringLiteral("v%1").arg(version.number);
            const QString inUseMark = version.path == inUse ? QStringLiteral("*") : QString();
            if (!version.problem.isEmpty()) {
                table.addRow({name, QStringLiteral("does not load: ") + version.problem, {}, {}, {}, {}, {}, inUseMark});
                continue;
            }
            const QJsonObject learned = version.learned();
            table.addRow({name, version.info.value(QStringLiteral("trained_at")).toString(),
                          QString::number(version.info.value(QStringLiteral("answers_from_people")).toInt()),
                          percentText(learned.value(QStringLiteral("answers_accuracy"))), thresholdText(learned),
                          learned.isEmpty() ? QStringLiteral("-") : percentText(learned.value(QStringLiteral("lower_bound"))),
                          learned.isEmpty() ? QStringLiteral("by clerk train")
                                            : (version.promoted() ? QStringLiteral("yes") : QStringLiteral("no")),
                          inUseMark});
        }
        table.print(out());
    }
    if (!pointerProblem.isEmpty())
        out() << "the model pointer is broken: " << pointerProblem << "\n";
    else if (inUse.isEmpty() && target.step.type == QLatin1String("match"))
        out() << "the bot file's weights are in use (no .latest pointer)\n";
    else if (inUse.isEmpty())
        out() << "no model is in use (no .latest pointer)\n";
    out().flush();
    return ExitOk;
}

// Why a match step's `version` does not fit the step as its bot file is now (other
// fields or comparators): the step would not use it. Empty when it fits, or for a
// classify step.
QString matchVersionMisfit(const ModelTarget &target, const ModelVersion &version)
{
    if (!version.match)
        return {};
    auto settings = match::MatchSettings::fromParams(target.step.params, target.bot.thresholds);
    if (!settings)
        return settings.error().message();
    auto loaded = match::loadLearnedModel(version.path, settings->model);
    return loaded ? QString() : loaded.error().message();
}

// The version a person named: "v3" or "3".
std::optional<int> versionNumber(const QString &given)
{
    QString digits = given;
    if (digits.startsWith(QLatin1Char('v')) || digits.startsWith(QLatin1Char('V')))
        digits.remove(0, 1);
    bool ok = false;
    const int number = digits.toInt(&ok);
    if (!ok || number < 1)
        return std::nullopt;
    return number;
}

// The number of answers known now: the learning loop waits for `every` more after a
// promotion, so a model promoted or rolled back by hand is not overturned at once.
Result<qsizetype> answersNow(store::WorkStore &store, const ModelTarget &target)
{
    return engine::answerCount(store, store, target.bot, target.step);
}

// Points ".latest" at `version` and records `kind` when a database is named.
int moveLatest(const QString &command, const ModelTarget &target, const ModelVersion &version, const QString &kind,
               const QString &reason, const QString &actor, const QString &previous, std::unique_ptr<store::WorkStore> store)
{
    if (Status pointed = classify::writeLatestPointer(target.bot.baseDir, target.bot.name, target.step.id, version.path);
        !pointed)
        return commandFailed(command, pointed.error().toString());
    const QString file = QFileInfo(version.path).fileName();
    if (store) {
        QJsonObject detail{{QStringLiteral("step"), target.step.id},
                           {QStringLiteral("model"), file},
                           {QStringLiteral("reason"), reason}};
        if (!previous.isEmpty())
            detail.insert(QStringLiteral("previous"), QFileInfo(previous).fileName());
        auto answers = answersNow(*store, target);
        if (!answers)
            return commandFailed(command, QStringLiteral("%1 is in use, but the event was not recorded: %2")
                                              .arg(file, answers.error().toString()));
        detail.insert(QStringLiteral("answers"), static_cast<double>(*answers));
        if (Status recorded = store->recordBotEvent(target.bot.name, kind, actor, detail); !recorded)
            return commandFailed(command, QStringLiteral("%1 is in use, but the event was not recorded: %2")
                                              .arg(file, recorded.error().toString()));
    }
    out() << target.bot.name << "." << target.step.id << ": " << file << " is in use"
          << (previous.isEmpty() ? QString() : QStringLiteral(" (was %1)").arg(QFileInfo(previous).fileName())) << "\n";
    out().flush();
    return ExitOk;
}

// The version in use before the current one: from the "model_promoted" events when the
// database has them (hand promotions included), else the newest older version whose
// header says it was promoted.
std::optional<ModelVersion> previousVersion(const ModelTarget &target, const QList<ModelVersion> &versions,
                                            const QString &inUse, store::WorkStore *store, QString &problem)
{
    const auto loadable = [&](const QString &file) -> std::optional<ModelVersion> {
        for (const ModelVersion &version : versions) {
            if (QFileInfo(version.path).fileName() == file && version.problem.isEmpty())
                return version;
        }
        return std::nullopt;
    };
    const QString current = QFileInfo(inUse).fileName();
    if (store) {
        auto events = store->botEvents(target.bot.name, {kPromoted}, {});
        if (!events) {
            problem = events.error().toString();
            return std::nullopt;
        }
        QStringList promoted;
        for (const store::Event &event : *events) {
            if (event.detail.value(QStringLiteral("step")).toString() == target.step.id)
                promoted.append(event.detail.value(QStringLiteral("model")).toString());
        }
        const qsizetype at = promoted.lastIndexOf(current);
        if (at >= 0) {
            for (qsizetype i = at - 1; i >= 0; --i) {
                if (promoted.at(i) == current)
                    continue;
                if (auto version = loadable(promoted.at(i)))
                    return version;
            }
            return std::nullopt;
        }
    }
    int currentNumber = std::numeric_limits<int>::max();
    for (const ModelVersion &version : versions) {
        if (version.path == inUse)
            currentNumber = version.number;
    }
    for (auto it = versions.crbegin(); it != versions.crend(); ++it) {
        if (it->number < currentNumber && it->promoted())
            return *it;
    }
    return std::nullopt;
}

} // namespace

int modelCommand(const QStringList &arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "The model versions of a bot's classify step, or the learnt weights of its match step with\n"
        "`learning:` (<bot>.<step>.model.v<N> beside the bot file).\n"
        "\n"
        "list BOT          every version, oldest first: when it was trained, on how many of people's\n"
        "                  answers, its accuracy on them (out of fold), the threshold it proved and\n"
        "                  the precision's lower bound, whether it was promoted, and the one in use (*)\n"
        "promote BOT vN    use version N from now on (it must load); workers follow without a restart\n"
        "rollback BOT      go back to the version in use before the current one\n"
        "\n"
        "promote and rollback record the events model_promoted and model_rolled_back when a\n"
        "database is named (--db or $CLERK_DB)."));
    CommonOptions common;
    common.addTo(parser);
    StepOption options;
    parser.addOption(options.step);
    QCommandLineOption as(QStringList{QStringLiteral("as"), QStringLiteral("actor")},
                          QStringLiteral("The person acting, for the audit trail (default: $USER)."), QStringLiteral("name"));
    parser.addOption(as);
    parser.addPositionalArgument(QStringLiteral("action"), QStringLiteral("list, promote or rollback."));
    parser.addPositionalArgument(QStringLiteral("bot"), QStringLiteral("The bot file."), QStringLiteral("BOT"));
    parser.addPositionalArgument(QStringLiteral("version"), QStringLiteral("promote: the version, e.g. v3."),
                                 QStringLiteral("[vN]"));
    int exitCode = ExitOk;
    if (!parseCommand(parser, arguments, exitCode))
        return exitCode;
    const QString command = QStringLiteral("model");
    const QStringList positional = parser.positionalArguments();
    const QString action = positional.value(0);
    if (action != QLatin1String("list") && action != QLatin1String("promote") && action != QLatin1String("rollback"))
        return commandFailed(command, QStringLiteral("say list BOT, promote BOT vN or rollback BOT"));
    const qsizetype expected = action == QLatin1String("promote") ? 3 : 2;
    if (positional.size() != expected)
        return commandFailed(command, action == QLatin1String("promote")
                                          ? QStringLiteral("promote takes a bot file and a version, e.g. clerk model promote bot.yaml v2")
                                          : QStringLiteral("%1 takes one bot file").arg(action));
    const std::optional<ModelTarget> target =
        loadModelTarget(command, positional.at(1), parser, common, options, false);
    if (!target)
        return ExitInvalid;
    if (action == QLatin1String("list"))
        return listVersions(*target, parser.isSet(common.json));

    std::unique_ptr<store::WorkStore> store;
    if (databaseNamed(parser, common)) {
        auto opened = openStore(databaseLocation(parser, common));
        if (!opened)
            return commandFailed(command, opened.error().toString());
        store = std::move(*opened);
    }
    const QString actor = actorName(parser.value(as));
    const QList<ModelVersion> versions = modelVersions(*target);
    QString pointerProblem;
    const QString inUse = modelInUse(*target, &pointerProblem);

    if (action == QLatin1String("promote")) {
        const std::optional<int> number = versionNumber(positional.at(2));
        if (!number)
            return commandFailed(command, QStringLiteral("'%1' is not a version: say v1, v2, ...").arg(positional.at(2)));
        const auto found = std::find_if(versions.cbegin(), versions.cend(),
                                        [&](const ModelVersion &v) { return v.number == *number; });
        if (found == versions.cend()) {
            QStringList known;
            for (const ModelVersion &version : versions)
                known.append(QStringLiteral("v%1").arg(version.number));
            return commandFailed(command, QStringLiteral("%1.%2 has no version v%3 (it has: %4)")
                                              .arg(target->bot.name, target->step.id)
                                              .arg(*number)
                                              .arg(known.isEmpty() ? QStringLiteral("none") : known.join(QStringLiteral(", "))));
        }
        if (!found->problem.isEmpty())
            return commandFailed(command, QStringLiteral("v%1 does not load, so it cannot be used: %2").arg(*number).arg(found->problem));
        if (const QString misfit = matchVersionMisfit(*target, *found); !misfit.isEmpty())
            return commandFailed(command, QStringLiteral("v%1 cannot be used: %2").arg(*number).arg(misfit));
        return moveLatest(command, *target, *found, kPromoted, QStringLiteral("promoted by hand"), actor, inUse,
                          std::move(store));
    }

    // rollback
    if (inUse.isEmpty())
        return commandFailed(command, pointerProblem.isEmpty()
                                          ? QStringLiteral("no model is in use, so there is nothing to roll back")
                                          : QStringLiteral("the model pointer is broken (%1): name a version with clerk model promote")
                                                .arg(pointerProblem));
    QString problem;
    const std::optional<ModelVersion> previous = previousVersion(*target, versions, inUse, store.get(), problem);
    if (!problem.isEmpty())
        return commandFailed(command, problem);
    if (!previous)
        return commandFailed(command, QStringLiteral("no model was in use before %1: nothing to roll back to")
                                          .arg(QFileInfo(inUse).fileName()));
    return moveLatest(command, *target, *previous, kRolledBack, QStringLiteral("rolled back by hand"), actor, inUse,
                      std::move(store));
}

int learnCommand(const QStringList &arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "One round of learning for a classify or match step with `learning:` params: when enough of people's\n"
        "answers arrived since the last challenger (learning.every; or always with --force), trains a\n"
        "challenger on the original examples plus the answers, proves its threshold on the answers,\n"
        "compares it with the model in use and promotes it when it is better. The challenger is kept\n"
        "as the next version either way (clerk model list). A match step re-estimates m, u and the\n"
        "prior from the candidates people picked or turned down, starting from the bot file's, and\n"
        "compares the two on answers the challenger did not learn from. clerk serve does this by itself."));
    CommonOptions common;
    common.addTo(parser);
    StepOption options;
    parser.addOption(options.step);
    QCommandLineOption force(QStringLiteral("force"), QStringLiteral("Train a challenger however few answers are new."));
    QCommandLineOption as(QStringList{QStringLiteral("as"), QStringLiteral("actor")},
                          QStringLiteral("The person acting, for the audit trail (default: $USER)."), QStringLiteral("name"));
    parser.addOption(force);
    parser.addOption(as);
    parser.addPositionalArgument(QStringLiteral("bot"), QStringLiteral("The bot file."), QStringLiteral("BOT"));
    int exitCode = ExitOk;
    if (!parseCommand(parser, arguments, exitCode))
        return exitCode;
    const QString command = QStringLiteral("learn");
    if (parser.positionalArguments().size() != 1)
        return commandFailed(command, QStringLiteral("name one bot file"));
    const std::optional<ModelTarget> target =
        loadModelTarget(command, parser.positionalArguments().first(), parser, common, options, true);
    if (!target)
        return ExitInvalid;
    auto store = openStore(databaseLocation(parser, common));
    if (!store)
        return commandFailed(command, store.error().toString());
    auto outcome = engine::learnOnce(**store, **store, **store, target->bot, target->step.id, actorName(parser.value(as)),
                                     parser.isSet(force));
    if (!outcome)
        return commandFailed(command, outcome.error().toString());

    if (parser.isSet(common.json)) {
        QJsonObject result{{QStringLiteral("bot"), target->bot.name},
                           {QStringLiteral("step"), target->step.id},
                           {QStringLiteral("trained"), outcome->trained},
                           {QStringLiteral("promoted"), outcome->promoted},
                           {QStringLiteral("answers"), static_cast<double>(outcome->answers)},
                           {QStringLiteral("new_answers"), static_cast<double>(outcome->newAnswers)},
                           {QStringLiteral("reason"), outcome->reason}};
        if (outcome->trained) {
            result.insert(QStringLiteral("model"), QFileInfo(outcome->modelPath).fileName());
            result.insert(QStringLiteral("verdict"), outcome->verdict);
            result.insert(QStringLiteral("learned"), outcome->learned);
        }
        printJson(result);
        return ExitOk;
    }
    const QString name = target->bot.name + QLatin1Char('.') + target->step.id;
    out() << name << ": " << outcome->answers << " answers from people, " << outcome->newAnswers
          << " new to the model in use\n";
    if (!outcome->trained) {
        out() << "not trained: " << outcome->reason << "\n";
        out().flush();
        return ExitOk;
    }
    const QString file = QFileInfo(outcome->modelPath).fileName();
    if (target->step.type == QLatin1String("match")) {
        out() << (outcome->promoted ? "promoted " : "trained, not promoted: ") << file << "\n"
              << "  reason: " << outcome->reason << "\n"
              << "  learnt from " << outcome->learned.value(QStringLiteral("pairs")).toInt() << " candidate pairs, "
              << outcome->learned.value(QStringLiteral("matching_pairs")).toInt() << " of them the record picked\n";
        out().flush();
        return ExitOk;
    }
    out() << (outcome->promoted ? "promoted " : "trained, not promoted: ") << file << "\n"
          << "  reason: " << outcome->reason << "\n"
          << "  accuracy on answers (out of fold): " << percentText(outcome->learned.value(QStringLiteral("answers_accuracy")))
          << "\n"
          << "  threshold: " << thresholdText(outcome->learned) << " (precision lower bound "
          << percentText(outcome->learned.value(QStringLiteral("lower_bound"))) << ", target "
          << percentText(outcome->learned.value(QStringLiteral("target_precision"))) << ")\n";
    const QJsonObject verdict = outcome->verdict;
    if (verdict.value(QStringLiteral("compared")).toInt() > 0) {
        out() << "  compared on " << verdict.value(QStringLiteral("compared")).toInt() << " new answers:\n";
        for (const QString &side : {QStringLiteral("champion"), QStringLiteral("challenger")}) {
            const QJsonObject standing = verdict.value(side).toObject();
            if (standing.isEmpty())
                continue;
            out() << "    " << side << ": accuracy " << percentText(standing.value(QStringLiteral("accuracy")))
                  << ", straight through " << standing.value(QStringLiteral("straight_through")).toInt() << " ("
                  << percentText(standing.value(QStringLiteral("straight_through_share"))) << "), "
                  << percentText(standing.value(QStringLiteral("straight_through_precision"))) << " of them right\n";
        }
    }
    out().flush();
    return ExitOk;
}

} // namespace clerk::app
