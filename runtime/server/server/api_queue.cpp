// ApiServer's exception-queue, item, bot and team routes (docs/api.md).
#include "server/api_server.h"

#include "core/duration.h"
#include "ocr/page_image.h"
#include "server/json_views.h"

#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QMap>

namespace clerk::server {

namespace {

constexpr int kDefaultPage = 50;
constexpr int kMaxPage = 200;

// limit and offset from the query; an error response when they are not numbers in range.
std::optional<HttpResponse> readPaging(const HttpRequest &request, int &limit, int &offset)
{
    limit = kDefaultPage;
    offset = 0;
    bool ok = true;
    if (const QString text = request.queryValue(QStringLiteral("limit")); !text.isEmpty()) {
        limit = text.toInt(&ok);
        if (!ok || limit < 1 || limit > kMaxPage)
            return HttpResponse::error(400, QStringLiteral("invalid"), QStringLiteral("limit takes 1 to 200"));
    }
    if (const QString text = request.queryValue(QStringLiteral("offset")); !text.isEmpty()) {
        offset = text.toInt(&ok);
        if (!ok || offset < 0)
            return HttpResponse::error(400, QStringLiteral("invalid"), QStringLiteral("offset takes a number from 0"));
    }
    return std::nullopt;
}

QJsonValue nextOffset(int offset, int limit, qsizetype returned, qint64 total = -1)
{
    const qint64 next = static_cast<qint64>(offset) + limit;
    const bool more = total >= 0 ? next < total : returned == limit;
    return more ? QJsonValue(next) : QJsonValue(QJsonValue::Null);
}

} // namespace

QString ApiServer::documentOf(const WorkItem &item) const
{
    // Which file an item may show is the engine's rule (the bot's folders, the file clerk
    // enqueued it from, where move_file put it): a path a webhook body names is not shown.
    return m_hooks.document ? m_hooks.document(item) : QString();
}

HttpResponse ApiServer::listExceptions(const Principal &principal, const HttpRequest &request)
{
    store::ExceptionFilter filter;
    filter.team = request.queryValue(QStringLiteral("team"));
    if (!principal.isAdmin()) {
        if (!filter.team.isEmpty() && filter.team != principal.user.team)
            return HttpResponse::error(403, QStringLiteral("forbidden"), QStringLiteral("that is another team's queue"));
        filter.team = principal.user.team;
    }
    filter.bot = request.queryValue(QStringLiteral("bot"));
    filter.reason = request.queryValue(QStringLiteral("reason"));
    if (const QString state = request.queryValue(QStringLiteral("state")); !state.isEmpty()) {
        filter.state = store::exceptionStateFromString(state);
        if (!filter.state)
            return HttpResponse::error(400, QStringLiteral("invalid"),
                                       QStringLiteral("state takes open, claimed, resolved or rejected"));
    }
    if (const QString claimed = request.queryValue(QStringLiteral("claimed")); !claimed.isEmpty()) {
        if (claimed != QLatin1String("true") && claimed != QLatin1String("false"))
            return HttpResponse::error(400, QStringLiteral("invalid"), QStringLiteral("claimed takes true or false"));
        filter.claimed = claimed == QLatin1String("true");
    }
    if (request.queryValue(QStringLiteral("mine")) == QLatin1String("true"))
        filter.claimedBy = principal.user.name;
    if (const QString age = request.queryValue(QStringLiteral("older_than")); !age.isEmpty()) {
        auto duration = parseDuration(age);
        if (!duration)
            return HttpResponse::error(400, QStringLiteral("invalid"), QStringLiteral("older_than takes a duration, e.g. 2h"));
        filter.createdBefore = m_clock.now().addMSecs(-duration->count());
    }
    if (auto bad = readPaging(request, filter.limit, filter.offset))
        return *bad;
    auto found = m_store.exceptions.exceptions(filter);
    if (!found)
        return errorResponse(found.error());
    auto total = m_store.exceptions.countExceptions(filter);
    if (!total)
        return errorResponse(total.error());
    const QDateTime now = m_clock.now();
    QJsonArray items;
    for (const store::ExceptionItem &item : *found)
        items.append(exceptionSummaryJson(item, now));
    return HttpResponse::json(QJsonObject{{QStringLiteral("items"), items},
                                          {QStringLiteral("total"), *total},
                                          {QStringLiteral("limit"), filter.limit},
                                          {QStringLiteral("offset"), filter.offset},
                                          {QStringLiteral("next_offset"),
                                           nextOffset(filter.offset, filter.limit, found->size(), *total)}});
}

HttpResponse ApiServer::exceptionDetail(const store::ExceptionItem &item)
{
    auto work = m_store.work.item(item.itemId);
    if (!work)
        return errorResponse(work.error());
    int pages = 0;
    if (const QString file = documentOf(*work); !file.isEmpty()) {
        auto counted = ocr::documentPageCount(file);
        pages = counted ? *counted : 0;
    }
    return HttpResponse::json(exceptionDetailJson(item, *work, pages, m_clock.now()));
}

HttpResponse ApiServer::nextException(const Principal &principal, const HttpRequest &request)
{
    QString team = QJsonDocument::fromJson(request.body).object().value(QStringLiteral("team")).toString();
    if (team.isEmpty())
        team = principal.user.team;
    if (!principal.mayActFor(team))
        return HttpResponse::error(403, QStringLiteral("forbidden"), QStringLiteral("that is another team's queue"));
    // Others may be taking items at the same moment: try the next few.
    for (int attempt = 0; attempt < 5; ++attempt) {
        auto open = m_store.exceptions.exceptions({.team = team, .state = store::ExceptionState::Open, .limit = 5});
        if (!open)
            return errorResponse(open.error());
        if (open->isEmpty())
            return HttpResponse::noContent();
        for (const store::ExceptionItem &candidate : *open) {
            auto claimed = m_store.exceptions.claim(candidate.id, principal.user.name, m_options.claimFor);
            if (!claimed) {
                if (claimed.error().code() == ErrorCode::Conflict)
                    continue;
                return errorResponse(claimed.error());
            }
            auto item = m_store.exceptions.exception(candidate.id);
            return item ? exceptionDetail(*item) : errorResponse(item.error());
        }
    }
    return HttpResponse::noContent();
}

HttpResponse ApiServer::exceptionRoute(const Principal &principal, const HttpRequest &request, qint64 id,
                                       const QString &action)
{
    auto item = m_store.exceptions.exception(id);
    // Another team's item reads as missing: its existence is not told.
    if (!item || !principal.mayActFor(item->team)) {
        return item || item.error().code() == ErrorCode::NotFound
            ? HttpResponse::error(404, QStringLiteral("not_found"), QStringLiteral("there is no exception item %1").arg(id))
            : errorResponse(item.error());
    }
    const auto methodNotAllowed = HttpResponse::error(405, QStringLiteral("method"), QStringLiteral("not allowed here"));
    if (action.isEmpty())
        return request.method == "GET" ? exceptionDetail(*item) : methodNotAllowed;
    if (action == QLatin1String("document")) {
        if (request.method != "GET")
            return methodNotAllowed;
        auto work = m_store.work.item(item->itemId);
        if (!work)
            return errorResponse(work.error());
        const QString file = documentOf(*work);
        if (file.isEmpty())
            return HttpResponse::error(404, QStringLiteral("not_found"), QStringLiteral("this item has no document"));
        bool ok = true;
        const QString pageText = request.queryValue(QStringLiteral("page"));
        const int page = pageText.isEmpty() ? 1 : pageText.toInt(&ok);
        if (!ok || page < 1)
            return HttpResponse::error(400, QStringLiteral("invalid"), QStringLiteral("page takes a number from 1"));
        return documentPage(file, page - 1);  // from the cache, or rendered on the pool
    }
    if (request.method != "POST")
        return methodNotAllowed;
    const QJsonObject body = QJsonDocument::fromJson(request.body).object();
    const QString actor = principal.user.name;
    if (action == QLatin1String("claim")) {
        if (auto claimed = m_store.exceptions.claim(id, actor, m_options.claimFor); !claimed)
            return errorResponse(claimed.error());
        auto claimedItem = m_store.exceptions.exception(id);
        return claimedItem ? exceptionDetail(*claimedItem) : errorResponse(claimedItem.error());
    }
    if (action == QLatin1String("release")) {
        if (auto released = m_store.exceptions.releaseClaim(id, actor); !released)
            return errorResponse(released.error());
        return HttpResponse::noContent();
    }
    if (action == QLatin1String("resolve")) {
        store::Decision decision;
        decision.actor = actor;
        decision.choice = body.value(QStringLiteral("choice")).toString();
        decision.fields = body.value(QStringLiteral("fields")).toObject();
        decision.note = body.value(QStringLiteral("note")).toString();
        if (decision.choice.isEmpty() && decision.fields.isEmpty())
            return HttpResponse::error(400, QStringLiteral("invalid"), QStringLiteral("give a choice or field values"));
        if (m_hooks.checkAnswer) {
            auto checked = m_hooks.checkAnswer(*item, decision);
            if (!checked)
                return errorResponse(checked.error());
            decision = *checked;
        }
        auto resolved = m_store.exceptions.resolve(id, decision);
        if (!resolved)
            return errorResponse(resolved.error());
        if (m_hooks.workArrived)
            m_hooks.workArrived();
        return HttpResponse::json(QJsonObject{{QStringLiteral("item_id"), *resolved}});
    }
    if (action == QLatin1String("reject")) {
        const QString reason = body.value(QStringLiteral("reason")).toString().trimmed();
        if (reason.isEmpty())
            return HttpResponse::error(400, QStringLiteral("invalid"), QStringLiteral("say why the item is rejected"));
        auto rejected = m_store.exceptions.reject(id, actor, reason);
        if (!rejected)
            return errorResponse(rejected.error());
        return HttpResponse::json(QJsonObject{{QStringLiteral("item_id"), *rejected}});
    }
    if (action == QLatin1String("reassign")) {
        const QString team = body.value(QStringLiteral("team")).toString().trimmed();
        if (team.isEmpty())
            return HttpResponse::error(400, QStringLiteral("invalid"), QStringLiteral("name the team to pass it to"));
        if (auto moved = m_store.exceptions.reassign(id, team, actor, body.value(QStringLiteral("reason")).toString()); !moved)
            return errorResponse(moved.error());
        return HttpResponse::noContent();
    }
    return HttpResponse::error(404, QStringLiteral("not_found"), QStringLiteral("no such action"));
}

std::optional<QStringList> ApiServer::botsOf(const Principal &principal) const
{
    if (principal.isAdmin())
        return std::nullopt;
    QStringList names;
    if (!m_hooks.bots)
        return names;
    for (const bot::BotDefinition &definition : m_hooks.bots()) {
        if (teamsOfBot(definition).contains(principal.user.team) && !names.contains(definition.name))
            names.append(definition.name);
    }
    return names;
}

HttpResponse ApiServer::rejectAll(const Principal &principal, const HttpRequest &request)
{
    const QJsonObject body = QJsonDocument::fromJson(request.body).object();
    const QString bot = body.value(QStringLiteral("bot")).toString().trimmed();
    const QString reason = body.value(QStringLiteral("reason")).toString().trimmed();
    if (bot.isEmpty())
        return HttpResponse::error(400, QStringLiteral("invalid"), QStringLiteral("name the bot whose items to reject"));
    if (reason.isEmpty())
        return HttpResponse::error(400, QStringLiteral("invalid"), QStringLiteral("say why the items are rejected"));
    store::ExceptionFilter filter;
    filter.bot = bot;
    filter.team = body.value(QStringLiteral("team")).toString().trimmed();
    if (!principal.isAdmin()) {
        if (!filter.team.isEmpty() && filter.team != principal.user.team)
            return HttpResponse::error(403, QStringLiteral("forbidden"), QStringLiteral("that is another team's queue"));
        filter.team = principal.user.team;
    }
    filter.limit = 100000;
    auto undecided = m_store.exceptions.exceptions(filter);
    if (!undecided)
        return errorResponse(undecided.error());
    QJsonArray rejected;
    QJsonArray left;
    for (const store::ExceptionItem &item : *undecided) {
        auto itemId = m_store.exceptions.reject(item.id, principal.user.name, reason);
        if (itemId) {
            rejected.append(QJsonObject{{QStringLiteral("exception_id"), item.id}, {QStringLiteral("item_id"), *itemId}});
            continue;
        }
        // Someone else holds it: theirs to decide.
        if (itemId.error().code() != ErrorCode::Conflict)
            return errorResponse(itemId.error());
        left.append(QJsonObject{{QStringLiteral("exception_id"), item.id}, {QStringLiteral("problem"), itemId.error().message()}});
    }
    return HttpResponse::json(QJsonObject{{QStringLiteral("rejected"), rejected}, {QStringLiteral("not_rejected"), left}});
}

HttpResponse ApiServer::listItems(const Principal &principal, const HttpRequest &request)
{
    if (!principal.isAdmin() && principal.user.role != store::Role::Lead && principal.via != Principal::Via::ApiToken) {
        // Operators reach items through their queue; the list of all work is for leads.
        return HttpResponse::error(403, QStringLiteral("forbidden"), QStringLiteral("listing all items needs a lead or admin"));
    }
    store::ItemFilter filter;
    filter.bots = botsOf(principal);
    filter.bot = request.queryValue(QStringLiteral("bot"));
    if (const QString state = request.queryValue(QStringLiteral("state")); !state.isEmpty()) {
        filter.state = itemStateFromString(state);
        if (!filter.state)
            return HttpResponse::error(400, QStringLiteral("invalid"), QStringLiteral("unknown item state"));
    }
    if (auto bad = readPaging(request, filter.limit, filter.offset))
        return *bad;
    auto found = m_store.work.items(filter);
    if (!found)
        return errorResponse(found.error());
    QJsonArray items;
    for (const WorkItem &item : *found)
        items.append(itemSummaryJson(item));
    return HttpResponse::json(QJsonObject{{QStringLiteral("items"), items},
                                          {QStringLiteral("limit"), filter.limit},
                                          {QStringLiteral("offset"), filter.offset},
                                          {QStringLiteral("next_offset"),
                                           nextOffset(filter.offset, filter.limit, found->size())}});
}

HttpResponse ApiServer::itemDetail(const Principal &principal, qint64 id)
{
    auto item = m_store.work.item(id);
    if (!item)
        return errorResponse(item.error());
    auto events = m_store.log.events(id);
    if (!events)
        return errorResponse(events.error());
    if (!principal.isAdmin()) {
        // Anyone may follow the items they worked on (claimed, answered, passed on); leads
        // and machines also every item of their team's bots. Others read as missing.
        const bool mayBrowse = principal.user.role == store::Role::Lead || principal.via == Principal::Via::ApiToken;
        bool visible = mayBrowse && botsOf(principal)->contains(item->bot);
        for (const store::Event &event : *events)
            visible = visible || event.actor == principal.user.name;
        if (!visible)
            return HttpResponse::error(404, QStringLiteral("not_found"), QStringLiteral("there is no work item %1").arg(id));
    }
    QJsonObject detail = itemSummaryJson(*item);
    QJsonArray trail;
    for (const store::Event &event : *events)
        trail.append(eventJson(event));
    detail.insert(QStringLiteral("events"), trail);
    return HttpResponse::json(detail);
}

HttpResponse ApiServer::listBots(const Principal &principal)
{
    const std::optional<QStringList> visible = botsOf(principal);
    auto summary = m_store.figures.summary();
    if (!summary)
        return errorResponse(summary.error());
    auto paused = m_store.work.pausedBots();
    if (!paused)
        return errorResponse(paused.error());
    QJsonArray bots;
    for (const store::BotCounts &counts : summary->bots) {
        if (visible && !visible->contains(counts.bot))
            continue;
        bots.append(QJsonObject{{QStringLiteral("name"), counts.bot},
                                {QStringLiteral("queued"), counts.queued},
                                {QStringLiteral("leased"), counts.leased},
                                {QStringLiteral("waiting_for_human"), counts.waitingForHuman},
                                {QStringLiteral("done"), counts.done},
                                {QStringLiteral("failed"), counts.failed},
                                {QStringLiteral("cancelled"), counts.cancelled},
                                {QStringLiteral("paused"), paused->contains(counts.bot)}});
    }
    return HttpResponse::json(QJsonObject{{QStringLiteral("bots"), bots}});
}

HttpResponse ApiServer::listTeams(const Principal &principal)
{
    auto summary = m_store.figures.summary();
    if (!summary)
        return errorResponse(summary.error());
    // Every team people belong to, with its queue (empty ones too, to pass items to); a
    // person sees the figures of their own team only.
    auto people = m_store.accounts.users();
    if (!people)
        return errorResponse(people.error());
    QMap<QString, store::TeamQueue> byTeam;
    for (const store::UserAccount &account : *people)
        byTeam.insert(account.team, store::TeamQueue{.team = account.team});
    for (const store::TeamQueue &queue : summary->teams)
        byTeam.insert(queue.team, queue);
    QJsonArray teams;
    for (const store::TeamQueue &queue : std::as_const(byTeam)) {
        if (!principal.mayActFor(queue.team)) {
            teams.append(QJsonObject{{QStringLiteral("team"), queue.team}});
            continue;
        }
        teams.append(QJsonObject{{QStringLiteral("team"), queue.team},
                                 {QStringLiteral("open"), queue.open},
                                 {QStringLiteral("breached"), queue.breached},
                                 {QStringLiteral("oldest_created_at"), timeOrNull(queue.oldestCreatedAt)}});
    }
    return HttpResponse::json(QJsonObject{{QStringLiteral("teams"), teams}});
}

HttpResponse ApiServer::dashboard(const Principal &principal, const HttpRequest &request)
{
    if (!m_hooks.dashboard)
        return HttpResponse::error(404, QStringLiteral("not_found"), QStringLiteral("no dashboard here"));
    auto figures = m_hooks.dashboard(request);
    if (!figures)
        return errorResponse(figures.error());
    const std::optional<QStringList> visible = botsOf(principal);
    if (!visible)
        return HttpResponse::json(*figures);
    // Another team's bots and queue are left out, as if they did not exist.
    const auto keep = [&](const QString &key, const QString &field, const QStringList &allowed) {
        QJsonArray kept;
        for (const QJsonValue &row : figures->value(key).toArray()) {
            if (allowed.contains(row.toObject().value(field).toString()))
                kept.append(row);
        }
        figures->insert(key, kept);
    };
    keep(QStringLiteral("days"), QStringLiteral("bot"), *visible);
    keep(QStringLiteral("bots"), QStringLiteral("bot"), *visible);
    keep(QStringLiteral("shadow"), QStringLiteral("bot"), *visible);
    keep(QStringLiteral("live_precision"), QStringLiteral("bot"), *visible);
    keep(QStringLiteral("learning"), QStringLiteral("bot"), *visible);
    keep(QStringLiteral("reasons"), QStringLiteral("bot"), *visible);
    keep(QStringLiteral("notices"), QStringLiteral("bot"), *visible);
    keep(QStringLiteral("queues"), QStringLiteral("team"), {principal.user.team});
    return HttpResponse::json(*figures);
}

} // namespace clerk::server
