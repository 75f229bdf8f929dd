#include "mail/loopback.h"

#include <QRegularExpression>

namespace clerk::mail {

bool isLoopbackHost(const QString &host)
{
    const QString h = host.toLower();
    if (h == QLatin1String("::1") || h == QLatin1String("[::1]") || h == QLatin1String("localhost"))
        return true;
    static const QRegularExpression ipv4(QStringLiteral("^127\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}$"));
    return ipv4.match(h).hasMatch();
}

} // namespace clerk::mail
