// clerk person: subject access. Finds every item (and its questions and answers) that
// holds a person, exports it as a folder (JSON plus the documents) for the request, or
// erases it for an erasure request, through retention's erasure (service/retention_job.h).
#include "cli_support.h"
#include "commands.h"
#include "person_search.h"

#include "engine/document_paths.h"
#include "service/retention_job.h"

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

// The documents of `item` clerk may hand over or erase: the document it was made from
// (its input names it, and clerk enqueued the item from it), and with its stored bot
// file, a file in the bot's folders it names or a move_file step moved, and the mail
// attachments it lists (service::documentsOf). Never a file of records (a CSV or JSON
// lines file holds other people too).
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
        if (load.bot)
            files.append(service::documentsOf(item, *load.bot));
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
    if (auto audited = store.recordAuditEvent(QStringLiteral("subject_access_export"), actorName({}),
                                              {{QStringLiteral("items"), items.size()},
                                               {QStringLiteral("documents"), documents}});
        !audited)
        return commandFailed(command, QStringLiteral("exported to %1, but the audit event could not be recorded: %2")
                                          .arg(folder, audited.error().toString()));
    clerk::app::out() << "exported " << items.size() << " items and " << documents << " documents to " << folder << "\n";
    clerk::app::out().flush();
    return ExitOk;
}

// An item a person's erasure request can erase: ended (done, cancelled or failed) and not
// erased yet. Items still queued, being worked or waiting for a person are kept.
bool erasable(const WorkItem &item)
{
    return !item.erasedAt.isValid()
        && (item.state == ItemState::Done || item.state == ItemState::Cancelled || item.state == ItemState::Failed);
}

// Erases what `hits` hold about the person: each ended item's contents and documents, as
// retention does; items still being worked are kept and named. Without `confirmed`, says
// what it would do and changes nothing. Audited by counts only.
int erasePerson(store::WorkStore &store, const QList<PersonHit> &hits, bool confirmed, const QString &actor, bool json)
{
    QList<qint64> ids;
    QStringList documents;
    QList<const PersonHit *> kept;
    for (const PersonHit &hit : hits) {
        if (!erasable(hit.item)) {
            kept.append(&hit);
            continue;
        }
        ids.append(hit.item.id);
        documents.append(documentsOf(store, hit.item));
    }
    documents.removeDuplicates();
    service::RetentionRun run;
    if (auto erased = service::eraseWithDocuments(store, ids, documents, actor, store::Erasable::FinishedOrFailed,
                                                  !confirmed, run);
        !erased)
        return commandFailed(QStringLiteral("person"), erased.error().toString());
    for (const QString &problem : run.problems)
        err() << "clerk person: " << problem << "\n";
    if (confirmed) {
        // What was erased is audited, without the person's details or the items' ids.
        if (auto audited = store.recordAuditEvent(QStringLiteral("subject_erasure"), actor,
                                                {{QStringLiteral("items"), run.erased},
                                                 {QStringLiteral("documents"), run.documentsDeleted},
                                                 {QStringLiteral("kept"), kept.size()}});
            !audited)
            return commandFailed(QStringLiteral("person"),
                                 QStringLiteral("erased %1 items, but the audit event could not be recorded: %2")
                                     .arg(run.erased)
                                     .arg(audited.error().toString()));
    }
    if (json) {
        QJsonArray keptIds;
        for (const PersonHit *hit : kept)
            keptIds.append(hit->item.id);
        printJson(QJsonObject{{QStringLiteral("erased"), run.erased},
                              {QStringLiteral("documents_deleted"), run.documentsDeleted},
                              {QStringLiteral("item_ids"), QJsonArray::fromVariantList(QVariantList(ids.begin(), ids.end()))},
                              {QStringLiteral("kept"), keptIds},
                              {QStringLiteral("dry_run"), !confirmed}});
        return ExitOk;
    }
    if (confirmed) {
        out() << "erased " << run.erased << " items and deleted " << run.documentsDeleted << " documents\n";
    } else {
        out() << "would erase " << ids.size() << " items and delete " << documents.size()
              << " documents (nothing is changed without --yes):\n";
        for (const PersonHit &hit : hits) {
            if (erasable(hit.item))
                out() << "  item " << hit.item.id << "  " << hit.item.bot << "  " << toString(hit.item.state) << "  in "
                      << hit.foundIn.join(QStringLiteral(", ")) << "\n";
        }
    }
    for (const PersonHit *hit : kept)
        out() << "  kept: item " << hit->item.id << "  " << hit->item.bot << " is " << toString(hit->item.state)
              << "; let it finish (or reject it), then erase again\n";
    out().flush();
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
        "  erase TERM... [--yes]       erases those items as retention does (input, what steps found, what\n"
        "                              people typed, the reasons they gave, the documents) leaving ids,\n"
        "                              states, times and who decided; items still being worked are kept.\n"
        "                              Without --yes it only says what it would erase\n"
        "Terms are matched ignoring case and spaces; dates in either form (07/03/1984, 1984-03-07)."));
    CommonOptions common;
    common.addTo(parser);
    QCommandLineOption botOption(QStringLiteral("bot"), QStringLiteral("Only this bot's items."), QStringLiteral("name"));
    QCommandLineOption toOption(QStringLiteral("to"), QStringLiteral("export: the new folder to write."), QStringLiteral("folder"));
    QCommandLineOption yesOption(QStringLiteral("yes"), QStringLiteral("erase: erase; without it, only say what would be."));
    QCommandLineOption asOption(QStringList{QStringLiteral("as"), QStringLiteral("actor")},
                                QStringLiteral("The person acting, for the audit trail (default: $USER)."),
                                QStringLiteral("name"));
    parser.addOptions({botOption, toOption, yesOption, asOption});
    parser.addPositionalArgument(QStringLiteral("action"), QStringLiteral("search, export or erase."));
    parser.addPositionalArgument(QStringLiteral("terms"), QStringLiteral("What the person is known by."), QStringLiteral("TERM..."));
    int exitCode = ExitOk;
    if (!parseCommand(parser, arguments, exitCode))
        return exitCode;
    const QString command = QStringLiteral("person");
    const QStringList positional = parser.positionalArguments();
    const QString action = positional.value(0);
    if (action != QLatin1String("search") && action != QLatin1String("export") && action != QLatin1String("erase"))
        return commandFailed(command, QStringLiteral("the action is search, export or erase (clerk person --help)"));
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
    if (action == QLatin1String("erase"))
        return erasePerson(**store, *hits, parser.isSet(yesOption), actorName(parser.value(asOption)),
                           parser.isSet(common.json));
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
