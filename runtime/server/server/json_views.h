// The JSON the API answers with (docs/api.md): exception items, work items, events.
//
// Everything from documents and forms goes out as JSON strings; the page shows them as
// text. Thread-safety: free functions.
#pragma once

#include "core/work_item.h"
#include "store/event_log.h"
#include "store/exception_queue.h"

#include <QJsonObject>

namespace clerk::server {

QString isoTime(const QDateTime &time);  // "" -> JSON null is the caller's choice
QJsonValue timeOrNull(const QDateTime &time);

// The list entry of an exception item.
QJsonObject exceptionSummaryJson(const store::ExceptionItem &item, const QDateTime &now);
// One exception item with what a person needs to decide. `work` is its work item;
// `pages` the scan's page count (0: no scan). A blind shadow trial's suggestion is left out.
QJsonObject exceptionDetailJson(const store::ExceptionItem &item, const WorkItem &work, int pages,
                                const QDateTime &now);
QJsonObject itemSummaryJson(const WorkItem &item);
QJsonObject eventJson(const store::Event &event);

} // namespace clerk::server
