#include "rest/json_pointer.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QStringList>

namespace clerk::rest {

std::optional<QJsonValue> resolvePointer(const QJsonValue &document, const QString &pointer)
{
    if (pointer.isEmpty())
        return document;
    if (!pointer.startsWith(QLatin1Char('/')))
        return std::nullopt;
    QJsonValue current = document;
    const QStringList tokens = pointer.mid(1).split(QLatin1Char('/'));
    for (QString token : tokens) {
        token.replace(QStringLiteral("~1"), QStringLiteral("/")).replace(QStringLiteral("~0"), QStringLiteral("~"));
        if (current.isObject()) {
            const QJsonObject object = current.toObject();
            if (!object.contains(token))
                return std::nullopt;
            current = object.value(token);
        } else if (current.isArray()) {
            bool ok = false;
            const int index = token.toInt(&ok);
            const QJsonArray array = current.toArray();
            if (!ok || index < 0 || index >= array.size() || (token.size() > 1 && token.startsWith(QLatin1Char('0'))))
                return std::nullopt;
            current = array.at(index);
        } else {
            return std::nullopt;
        }
    }
    return current;
}

} // namespace clerk::rest
