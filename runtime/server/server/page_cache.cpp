#include "server/page_cache.h"

#include <QFileInfo>

namespace clerk::server {

QByteArray PageCache::keyOf(const QString &path, int index, int width)
{
    const QFileInfo info(path);
    if (!info.isFile())
        return {};
    // NUL cannot occur in a path: the fields cannot run into each other.
    return info.absoluteFilePath().toUtf8() + '\0' + QByteArray::number(info.size()) + '\0'
        + QByteArray::number(info.lastModified().toMSecsSinceEpoch()) + '\0' + QByteArray::number(index) + '\0'
        + QByteArray::number(width);
}

std::optional<QByteArray> PageCache::find(const QByteArray &key)
{
    const auto found = m_index.find(key.toStdString());
    if (found == m_index.end())
        return std::nullopt;
    m_entries.splice(m_entries.begin(), m_entries, found->second);
    return found->second->png;
}

void PageCache::insert(const QByteArray &key, const QByteArray &png)
{
    if (key.isEmpty() || png.size() > m_budget)
        return;
    const std::string indexKey = key.toStdString();
    if (const auto found = m_index.find(indexKey); found != m_index.end()) {
        m_bytes -= found->second->png.size();
        m_entries.erase(found->second);
        m_index.erase(found);
    }
    m_entries.push_front({key, png});
    m_index.emplace(indexKey, m_entries.begin());
    m_bytes += png.size();
    while (m_bytes > m_budget && !m_entries.empty()) {
        m_bytes -= m_entries.back().png.size();
        m_index.erase(m_entries.back().key.toStdString());
        m_entries.pop_back();
    }
}

} // namespace clerk::server
