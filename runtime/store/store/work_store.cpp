#include "store/work_store.h"

#include "store/sql_work_store_p.h"

#include <QRegularExpression>

namespace clerk::store {

QString RecordedDecision::valueFor(const QString &field) const
{
    const QString typed = fields.value(field).toString();
    return typed.isEmpty() ? choice : typed;
}

QJsonObject RecordedDecision::toJson() const
{
    if (!rejected.isEmpty())
        return {{QStringLiteral("rejected"), rejected}};
    if (isEmpty())
        return {};
    return {{QStringLiteral("choice"), choice}, {QStringLiteral("fields"), fields}, {QStringLiteral("note"), note}};
}

RecordedDecision RecordedDecision::fromJson(const QJsonObject &json)
{
    return {.choice = json.value(QStringLiteral("choice")).toString(),
            .fields = json.value(QStringLiteral("fields")).toObject(),
            .note = json.value(QStringLiteral("note")).toString(),
            .rejected = json.value(QStringLiteral("rejected")).toString(),
            .answered = json.contains(QStringLiteral("choice")) || json.contains(QStringLiteral("fields"))};
}

Status forEachException(ExceptionQueue &queue, ExceptionFilter filter,
                        const std::function<Status(const ExceptionItem &)> &visit)
{
    filter.limit = 500;
    filter.offset = 0;
    for (;;) {
        auto page = queue.exceptions(filter);
        if (!page)
            return fail(page.error());
        for (const ExceptionItem &item : std::as_const(*page)) {
            if (Status visited = visit(item); !visited)
                return visited;
        }
        if (page->size() < filter.limit)
            return {};
        filter.offset += filter.limit;
    }
}

QString toString(ExceptionState state)
{
    switch (state) {
    case ExceptionState::Open: return QStringLiteral("open");
    case ExceptionState::Claimed: return QStringLiteral("claimed");
    case ExceptionState::Resolved: return QStringLiteral("resolved");
    case ExceptionState::Rejected: return QStringLiteral("rejected");
    }
    return QStringLiteral("open");
}

std::optional<ExceptionState> exceptionStateFromString(const QString &name)
{
    for (ExceptionState state :
         {ExceptionState::Open, ExceptionState::Claimed, ExceptionState::Resolved, ExceptionState::Rejected}) {
        if (toString(state) == name)
            return state;
    }
    return std::nullopt;
}

QString toString(Role role)
{
    switch (role) {
    case Role::Operator: return QStringLiteral("operator");
    case Role::Lead: return QStringLiteral("lead");
    case Role::Admin: return QStringLiteral("admin");
    }
    return QStringLiteral("operator");
}

std::optional<Role> roleFromString(const QString &name)
{
    for (Role role : {Role::Operator, Role::Lead, Role::Admin}) {
        if (toString(role) == name)
            return role;
    }
    return std::nullopt;
}

QString redactLocation(const QString &location)
{
    // Everything between the user name and the '@' goes, whatever it holds (a reference
    // may contain '/' or ':'); the '@' is the last one before the host.
    static const QRegularExpression password(QStringLiteral("^(postgres(?:ql)?://[^:@/]*):.*@([^@]*)$"));
    QString shown = location;
    shown.replace(password, QStringLiteral("\\1@\\2"));
    return shown;
}

bool isPostgresLocation(const QString &location)
{
    return location.startsWith(QLatin1String("postgresql://")) || location.startsWith(QLatin1String("postgres://"));
}

Result<QString> sqliteFileOf(const QString &location)
{
    const QString sqliteScheme = QStringLiteral("sqlite:");
    QString path = location;
    if (path.startsWith(sqliteScheme)) {
        path = path.mid(sqliteScheme.size());
    } else if (const qsizetype colon = path.indexOf(QLatin1Char(':')); colon > 1) {
        // "scheme:..." (a one-letter prefix would be a Windows drive). Anything with a
        // slash before the colon is a path that happens to contain one.
        const QString scheme = path.left(colon);
        if (!scheme.contains(QLatin1Char('/')) && !scheme.contains(QLatin1Char('.'))) {
            bool word = true;
            for (QChar c : scheme)
                word = word && (c.isLetterOrNumber() || c == QLatin1Char('+') || c == QLatin1Char('-'));
            if (word) {
                return fail(Error::invalidArgument(
                    QStringLiteral("unknown store location scheme \"%1:\"; use a file path, sqlite:PATH "
                                   "or postgresql://...")
                        .arg(scheme)));
            }
        }
    }
    if (path.isEmpty())
        return fail(Error::invalidArgument(QStringLiteral("no database file given in \"%1\"").arg(location)));
    return path;
}

Result<std::unique_ptr<WorkStore>> openWorkStore(const QString &location, const Clock &clock, StoreOptions options)
{
    if (isPostgresLocation(location)) {
        auto store = SqlWorkStore::openPostgres(location, clock, options);
        if (!store)
            return fail(store.error());
        return std::unique_ptr<WorkStore>(std::move(*store));
    }

    auto path = sqliteFileOf(location);
    if (!path)
        return fail(path.error());
    auto store = SqlWorkStore::openSqlite(*path, clock, options);
    if (!store)
        return fail(store.error());
    return std::unique_ptr<WorkStore>(std::move(*store));
}

} // namespace clerk::store
