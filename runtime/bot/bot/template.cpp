#include "bot/template.h"

#include <QJsonArray>
#include <QDate>
#include <QJsonDocument>
#include <QRegularExpression>
#include <cmath>

namespace clerk::bot {

namespace {

const QStringList &knownFilters()
{
    static const QStringList filters{QStringLiteral("upper"), QStringLiteral("lower"), QStringLiteral("trim"),
                                     QStringLiteral("digits"), QStringLiteral("iso_date"),
                                     QStringLiteral("first_word"), QStringLiteral("last_word")};
    return filters;
}

// A UK date as written on forms (day first: 07/03/1984, 7-3-84, 7 March 1984, 1984-03-07)
// as YYYY-MM-DD, for systems that search by date; text that is no date stays as it is.
QString isoDate(const QString &text)
{
    const QString trimmed = text.trimmed();
    static const QRegularExpression iso(QStringLiteral(R"(^(\d{4})-(\d{1,2})-(\d{1,2})$)"));
    static const QRegularExpression numeric(QStringLiteral(R"(^(\d{1,2})[/.\- ](\d{1,2})[/.\- ](\d{2}|\d{4})$)"));
    static const QRegularExpression written(
        QStringLiteral(R"(^(\d{1,2})(?:st|nd|rd|th)?\s+([A-Za-z]{3,9})\.?,?\s+(\d{4})$)"));
    int day = 0;
    int month = 0;
    int year = 0;
    if (const auto m = iso.match(trimmed); m.hasMatch()) {
        year = m.captured(1).toInt();
        month = m.captured(2).toInt();
        day = m.captured(3).toInt();
    } else if (const auto n = numeric.match(trimmed); n.hasMatch()) {
        day = n.captured(1).toInt();
        month = n.captured(2).toInt();
        year = n.captured(3).toInt();
        if (n.captured(3).size() == 2) {
            // Two-digit years: not in the future.
            const int now = QDate::currentDate().year();
            year += (2000 + year <= now) ? 2000 : 1900;
        }
    } else if (const auto w = written.match(trimmed); w.hasMatch()) {
        static const QStringList months{QStringLiteral("jan"), QStringLiteral("feb"), QStringLiteral("mar"),
                                        QStringLiteral("apr"), QStringLiteral("may"), QStringLiteral("jun"),
                                        QStringLiteral("jul"), QStringLiteral("aug"), QStringLiteral("sep"),
                                        QStringLiteral("oct"), QStringLiteral("nov"), QStringLiteral("dec")};
        day = w.captured(1).toInt();
        month = static_cast<int>(months.indexOf(w.captured(2).left(3).toLower())) + 1;
        year = w.captured(3).toInt();
    }
    const QDate date(year, month, day);
    return date.isValid() ? date.toString(Qt::ISODate) : text;
}

bool isPathSegment(const QString &segment)
{
    if (segment.isEmpty())
        return false;
    for (const QChar c : segment) {
        const char16_t u = c.unicode();
        const bool ok = (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') || u == '_'
            || u == '-';
        if (!ok)
            return false;
    }
    return true;
}

Error templateError(const QString &what, qsizetype offset)
{
    return Error::invalidArgument(QStringLiteral("%1 at offset %2").arg(what).arg(offset));
}

QJsonValue lookup(const QJsonObject &scope, const QStringList &path)
{
    QJsonValue current = scope;
    for (const QString &segment : path) {
        if (current.isObject()) {
            const QJsonObject object = current.toObject();
            const auto it = object.constFind(segment);
            if (it == object.constEnd())
                return QJsonValue(QJsonValue::Undefined);
            current = it.value();
        } else if (current.isArray()) {
            bool ok = false;
            const int index = segment.toInt(&ok);
            const QJsonArray array = current.toArray();
            if (!ok || index < 0 || index >= array.size())
                return QJsonValue(QJsonValue::Undefined);
            current = array.at(index);
        } else {
            return QJsonValue(QJsonValue::Undefined);
        }
    }
    return current;
}

QString toText(const QJsonValue &value)
{
    switch (value.type()) {
    case QJsonValue::String:
        return value.toString();
    case QJsonValue::Bool:
        return value.toBool() ? QStringLiteral("true") : QStringLiteral("false");
    case QJsonValue::Double: {
        const double d = value.toDouble();
        // Whole numbers print without ".0" so that ids and counts read naturally.
        if (std::isfinite(d) && std::floor(d) == d && std::fabs(d) < 9.0e15)
            return QString::number(static_cast<qint64>(d));
        return QString::number(d, 'g', 15);
    }
    case QJsonValue::Array:
        return QString::fromUtf8(QJsonDocument(value.toArray()).toJson(QJsonDocument::Compact));
    case QJsonValue::Object:
        return QString::fromUtf8(QJsonDocument(value.toObject()).toJson(QJsonDocument::Compact));
    case QJsonValue::Null:
    case QJsonValue::Undefined:
        break;
    }
    return {};
}

} // namespace

Result<Template> Template::parse(const QString &text)
{
    Template result;
    result.m_source = text;
    qsizetype position = 0;
    while (position < text.size()) {
        const qsizetype open = text.indexOf(QLatin1String("{{"), position);
        if (open < 0) {
            result.m_parts.append(Part{text.mid(position), -1});
            break;
        }
        if (open > position)
            result.m_parts.append(Part{text.mid(position, open - position), -1});
        const qsizetype close = text.indexOf(QLatin1String("}}"), open + 2);
        if (close < 0)
            return fail(templateError(QStringLiteral("unclosed '{{'"), open));

        const QString inner = text.mid(open + 2, close - open - 2);
        QStringList pieces = inner.split(QLatin1Char('|'));
        const QString pathText = pieces.takeFirst().trimmed();
        if (pathText.isEmpty())
            return fail(templateError(QStringLiteral("empty reference '{{%1}}'").arg(inner), open));
        Reference reference;
        reference.offset = static_cast<int>(open);
        reference.path = pathText.split(QLatin1Char('.'));
        for (const QString &segment : std::as_const(reference.path)) {
            if (!isPathSegment(segment))
                return fail(templateError(
                    QStringLiteral("malformed reference '%1': write a dotted path such as input.name")
                        .arg(pathText),
                    open));
        }
        for (const QString &piece : std::as_const(pieces)) {
            const QString filter = piece.trimmed();
            if (filter.isEmpty())
                return fail(templateError(QStringLiteral("empty filter after '|'"), open));
            if (!knownFilters().contains(filter))
                return fail(templateError(QStringLiteral("unknown filter '%1' (filters: %2)")
                                              .arg(filter, knownFilters().join(QStringLiteral(", "))),
                                          open));
            reference.filters.append(filter);
        }
        result.m_parts.append(Part{QString(), static_cast<int>(result.m_references.size())});
        result.m_references.append(reference);
        position = close + 2;
    }
    return result;
}

QString Template::render(const QJsonObject &scope) const
{
    return render(scope, Substitute());
}

QString Template::render(const QJsonObject &scope, const Substitute &substitute) const
{
    QString out;
    for (const Part &part : m_parts) {
        if (part.reference < 0) {
            out += part.literal;
            continue;
        }
        const Reference &reference = m_references.at(part.reference);
        QString text = toText(lookup(scope, reference.path));
        for (const QString &filter : reference.filters) {
            if (filter == QLatin1String("upper"))
                text = text.toUpper();
            else if (filter == QLatin1String("lower"))
                text = text.toLower();
            else if (filter == QLatin1String("trim"))
                text = text.trimmed();
            else if (filter == QLatin1String("digits"))
                text.removeIf([](QChar c) { return !c.isDigit(); });
            else if (filter == QLatin1String("iso_date"))
                text = isoDate(text);
            else if (filter == QLatin1String("first_word"))
                text = text.simplified().section(QLatin1Char(' '), 0, 0);
            else if (filter == QLatin1String("last_word"))
                text = text.simplified().section(QLatin1Char(' '), -1, -1);
        }
        out += substitute ? substitute(reference, text) : text;
    }
    return out;
}

QJsonValue Template::renderValue(const QJsonObject &scope) const
{
    if (m_parts.size() == 1 && m_parts.first().reference >= 0) {
        const Reference &reference = m_references.at(m_parts.first().reference);
        if (reference.filters.isEmpty()) {
            const QJsonValue value = lookup(scope, reference.path);
            return value.isUndefined() ? QJsonValue(QJsonValue::Null) : value;
        }
    }
    return render(scope);
}

} // namespace clerk::bot
