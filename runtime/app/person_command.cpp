// clerk person: subject access. Finds every item (and its questions and answers) that
// holds a person, and exports it as a folder (JSON plus the documents) for the request.
#include "cli_support.h"
#include "commands.h"
#include "person_search.h"

#include "engine/document_paths.h"

#include <QCommandLineParser>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonObject>

namespace clerk::app {

namespace {

// Every item of `bot` (empty: every bot) that holds the person, oldest first.
Result<QList<PersonHit>> searchPerson(store::WorkStore &store, const PersonTerms &terms, const QString &bot)
{
    QHash<qint64, QList<store::ExceptionItem>> questions;
    for (const auto state : {store::ExceptionState::Open, store::ExceptionState::Claimed, store::ExceptionState::Resolved,
                             store::ExceptionState::Rejected}) {
        for (int offset = 0;; offset += 1000) {
            auto page = store.exceptions({.bot = bot, .state = state, .limit = 1000, .offset = offset});
            if (!page)
                return fail(page.error());
            for (const store::ExceptionItem &exception : *page)
                questions[exception.itemId].append(exception);
            if (page->size() < 1000)
                break;
        }
    }
    QList<PersonHit> hits;
    for (int offset = 0;; offset += 1000) {
        auto page = store.items({.bot = bot, .limit = 1000, .offset = offset});
        if (!page)
            return fail(page.error());
        for (const WorkItem &item : *page) {
            if (auto hit = personHit(terms, item, questions.value(item.id)))
                hits.append(*hit);
        }
        if (page->size() < 1000)
            break;
    }
    return hits;
}

// The documents of `item` clerk may hand over: the document it was made from (its input
// names it, and clerk enqueued the item from it), and with its stored bot file, a file
// in the bot's folders it names or a move_file step moved. Never a file of records (a
// CSV or JSON lines file holds other people too).
QStringList documentsOf(store::WorkStore &store, const WorkItem &item)
{
    QStringList files;
    const QString named = item.payload.value(QStringLiteral("file")).toString();
    if (!named.isEmpty() && named == engine::enqueuedDocumentOf(item.sourceRef) && QFileInfo(named).isFile())
        files.append(named);
    if (auto stored = store.definition(item.definitionDigest)) {
        const engine::StepRegistry registry = engine::StepRegistry::builtIn();
        const bot::BotLoad load = bot::loadBotText(stored->source, QStringLiteral("stored"), registry.catalog(), {},
                                                   stored->baseDir);
        if (load.bot) {
            if (const QString document = engine::documentForPeople(item, *load.bot); !document.isEmpty())
                files.append(document);
        }
    }
    files.removeDuplicates();
    return files;
}

QJsonObject hitJson(const PersonHit &hit, bool withData)
{
    QJsonObject object = toJson(hit.item, withData);
    object.insert(QStringLiteral("found_in"), QJsonArray::fromStringList(hit.foundIn));
    QJsonArray exceptions;
    for (const store::ExceptionItem &exception : hit.exceptions)
        exceptions.append(toJson(exception, withData));
    object.insert(QStringLiteral("exception_items"), exceptions);
    return object;
}

int exportPerson(store::WorkStore &store, const QList<PersonHit> &hits, const PersonTerms &terms, const QString &folder)
{
    const QString command = QStringLiteral("person");
    QDir dir(folder);
    if (dir.exists() && !dir.isEmpty())
        return commandFailed(command, QStringLiteral("%1 is not empty: export into a new folder").arg(folder));
    if (!QDir().mkpath(dir.filePath(QStringLiteral("documents"))))
        return commandFailed(command, QStringLiteral("cannot create %1").arg(folder));
    QJsonArray items;
    int documents = 0;
    for (const PersonHit &hit : hits) {
        QJsonObject object = hitJson(hit, true);
        QJsonArray copied;
        for (const QString &file : documentsOf(store, hit.item)) {
            const QString name = QStringLiteral("%1-%2").arg(hit.item.id).arg(QFileInfo(file).fileName());
            if (QFile::copy(file, dir.filePath(QStringLiteral("documents/") + name))) {
                copied.append(QString(QStringLiteral("documents/") + name));
                ++documents;
            }
        }
        object.insert(QStringLiteral("documents"), copied);
        if (auto history = store.events(hit.item.id)) {
            QJsonArray events;
            for (const store::Event &event : *history)
                events.append(QJsonObject{{QStringLiteral("at"), event.at.toString(Qt::ISODateWithMs)},
                                          {QStringLiteral("kind"), event.kind},
                                          {QStringLiteral("actor"), event.actor},
                                          {QStringLiteral("detail"), event.detail}});
            object.insert(QStringLiteral("events"), events);
        }
        items.append(object);
    }
    QFile out(dir.filePath(QStringLiteral("person.json")));
    if (!out.open(QIODevice::WriteOnly))
        return commandFailed(command, QStringLiteral("cannot write %1").arg(out.fileName()));
    out.write(QJsonDocument(QJsonObject{{QStringLiteral("terms"), QJsonArray::fromStringList(terms.terms())},
                                        {QStringLiteral("exported_at"), QDateTime::currentDateTimeUtc().toString(Qt::ISODate)},
                                        {QStringLiteral("items"), items}})
                  .toJson(QJsonDocument::Indented));
    out.close();
    // What was handed over is audited, without the person's details.
    (void)store.recordBotEvent(QString(), QStringLiteral("subject_access_export"), actorName({}),
                               {{QStringLiteral("items"), items.size()}, {QStringLiteral("documents"), documents}});
    clerk::app::out() << "exported " << items.size() << " items and " << documents << " documents to " << folder << "\n";
    clerk::app::out().flush();
    return ExitOk;
}

} // namespace

int personCommand(const QStringList &arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Subject access: what clerk holds about one person.\n"
        "  search TERM...              every item holding all the terms (a name, date of birth, NHS number,\n"
        "                              email, postcode or reference): in its input, what its steps found,\n"
        "                              or the questions and answers about it\n"
        "  export TERM... --to FOLDER  those items as FOLDER/person.json (input, outputs, questions, answers,\n"
        "                              history) with their documents in FOLDER/documents\n"
        "Terms are matched ignoring case and spaces; dates in either form (07/03/1984, 1984-03-07)."));
    CommonOptions common;
    common.addTo(parser);
    QCommandLineOption botOption(QStringLiteral("bot"), QStringLiteral("Only this bot's items."), QStringLiteral("name"));
    QCommandLineOption toOption(QStringLiteral("to"), QStringLiteral("export: the new folder to write."), QStringLiteral("folder"));
    parser.addOptions({botOption, toOption});
    parser.addPositionalArgument(QStringLiteral("action"), QStringLiteral("search or export."));
    parser.addPositionalArgument(QStringLiteral("terms"), QStringLiteral("What the person is known by."), QStringLiteral("TERM..."));
    int exitCode = ExitOk;
    if (!parseCommand(parser, arguments, exitCode))
        return exitCode;
    const QString command = QStringLiteral("person");
    const QStringList positional = parser.positionalArguments();
    const QString action = positional.value(0);
    if (action != QLatin1String("search") && action != QLatin1String("export"))
        return commandFailed(command, QStringLiteral("the action is search or export (clerk person --help)"));
    const PersonTerms terms(positional.mid(1));
    if (terms.terms().isEmpty())
        return commandFailed(command, QStringLiteral("give what the person is known by, e.g. \"Zoe Okafor\" 07/03/1984"));
    if (action == QLatin1String("export") && !parser.isSet(toOption))
        return commandFailed(command, QStringLiteral("export needs --to FOLDER"));
    auto store = openStore(databaseLocation(parser, common));
    if (!store)
        return commandFailed(command, store.error().toString());
    auto hits = searchPerson(**store, terms, parser.value(botOption));
    if (!hits)
        return commandFailed(command, hits.error().toString());
    if (action == QLatin1String("export"))
        return exportPerson(**store, *hits, terms, parser.value(toOption));
    if (parser.isSet(common.json)) {
        QJsonArray items;
        for (const PersonHit &hit : *hits)
            items.append(hitJson(hit, false));
        printJson(QJsonObject{{QStringLiteral("items"), items}});
        return ExitOk;
    }
    out() << hits->size() << (hits->size() == 1 ? " item holds" : " items hold") << " all of the terms\n";
    for (const PersonHit &hit : *hits) {
        out() << "  item " << hit.item.id << "  " << hit.item.bot << "  " << toString(hit.item.state) << "  from "
              << hit.item.createdAt.toString(Qt::ISODate) << "  in " << hit.foundIn.join(QStringLiteral(", "));
        if (!hit.exceptions.isEmpty())
            out() << "  (" << hit.exceptions.size() << " questions)";
        out() << "\n";
    }
    out().flush();
    return ExitOk;
}

} // namespace clerk::app
