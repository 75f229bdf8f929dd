// PageCache: rendered document pages (PNG) kept for the web queue's scan viewer, so a
// person paging back and forth does not make the server parse and render the file again.
//
// Least recently used pages go first once the cache holds more than its byte budget. A
// page is keyed by what makes it: the file's path, size and modification time, the page
// and the width it was rendered at; a file changed in place gets new keys, and its old
// pages age out.
//
// Thread-safety: lives on one thread (the server's).
#pragma once

#include <QByteArray>
#include <QString>

#include <list>
#include <optional>
#include <unordered_map>

namespace clerk::server {

class PageCache {
public:
    explicit PageCache(qint64 budgetBytes) : m_budget(budgetBytes) {}

    // The key of page `index` (0-based) of `path` rendered `width` pixels wide; empty when
    // the file cannot be read (nothing is cached for it).
    static QByteArray keyOf(const QString &path, int index, int width);

    // The page under `key`, now the most recently used; nullopt when not cached.
    std::optional<QByteArray> find(const QByteArray &key);
    // Keeps `png` under `key`, dropping the least recently used pages beyond the budget. A
    // page larger than the whole budget is not kept.
    void insert(const QByteArray &key, const QByteArray &png);

    qint64 bytes() const { return m_bytes; }
    qsizetype pages() const { return static_cast<qsizetype>(m_index.size()); }

private:
    struct Entry {
        QByteArray key;
        QByteArray png;
    };
    qint64 m_budget;
    qint64 m_bytes = 0;
    std::list<Entry> m_entries;  // most recently used first
    std::unordered_map<std::string, std::list<Entry>::iterator> m_index;
};

} // namespace clerk::server
