#include "core/work_item.h"

namespace clerk {

QString toString(ItemState state)
{
    switch (state) {
    case ItemState::Queued: return QStringLiteral("queued");
    case ItemState::Leased: return QStringLiteral("leased");
    case ItemState::WaitingForHuman: return QStringLiteral("waiting_for_human");
    case ItemState::Done: return QStringLiteral("done");
    case ItemState::Failed: return QStringLiteral("failed");
    case ItemState::Cancelled: return QStringLiteral("cancelled");
    }
    return QStringLiteral("failed");
}

std::optional<ItemState> itemStateFromString(const QString &name)
{
    for (ItemState s : {ItemState::Queued, ItemState::Leased, ItemState::WaitingForHuman,
                        ItemState::Done, ItemState::Failed, ItemState::Cancelled}) {
        if (toString(s) == name)
            return s;
    }
    return std::nullopt;
}

bool isFinal(ItemState state)
{
    return state == ItemState::Done || state == ItemState::Failed || state == ItemState::Cancelled;
}

} // namespace clerk
