#include "core/notice_outcome.h"

#include <array>

namespace clerk {

namespace {

struct OutcomeNames {
    NoticeOutcome outcome;
    const char *name;
    const char *label;
};

constexpr std::array<OutcomeNames, 5> kOutcomes{{
    {NoticeOutcome::Sent, "sent", "sent"},
    {NoticeOutcome::Refused, "refused", "refused by the mail server"},
    {NoticeOutcome::Bounced, "bounced", "bounced"},
    {NoticeOutcome::ServerError, "server_error", "mail server error"},
    {NoticeOutcome::Unsendable, "unsendable", "could not be sent"},
}};

const OutcomeNames &entry(NoticeOutcome outcome)
{
    for (const OutcomeNames &names : kOutcomes) {
        if (names.outcome == outcome)
            return names;
    }
    return kOutcomes.back();
}

constexpr QLatin1StringView kEventPrefix("notice_");

} // namespace

QString toString(NoticeOutcome outcome)
{
    return QString::fromLatin1(entry(outcome).name);
}

std::optional<NoticeOutcome> noticeOutcomeFromString(const QString &name)
{
    for (const OutcomeNames &names : kOutcomes) {
        if (name == QLatin1String(names.name))
            return names.outcome;
    }
    return std::nullopt;
}

QString label(NoticeOutcome outcome)
{
    return QString::fromLatin1(entry(outcome).label);
}

QList<NoticeOutcome> noticeOutcomes()
{
    QList<NoticeOutcome> all;
    for (const OutcomeNames &names : kOutcomes)
        all.append(names.outcome);
    return all;
}

QString noticeEventKind(NoticeOutcome outcome)
{
    return kEventPrefix + toString(outcome);
}

std::optional<NoticeOutcome> noticeOutcomeFromEventKind(const QString &kind)
{
    if (!kind.startsWith(kEventPrefix))
        return std::nullopt;
    return noticeOutcomeFromString(kind.mid(kEventPrefix.size()));
}

} // namespace clerk
