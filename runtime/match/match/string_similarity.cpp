#include "match/string_similarity.h"

#include <algorithm>
#include <vector>

namespace clerk::match {

int levenshteinDistance(QStringView a, QStringView b)
{
    if (a.size() < b.size())
        std::swap(a, b);
    const qsizetype n = b.size();
    // One row of the dynamic-programming table, over the shorter string.
    std::vector<int> row(static_cast<size_t>(n) + 1);
    for (qsizetype j = 0; j <= n; ++j)
        row[static_cast<size_t>(j)] = static_cast<int>(j);
    for (qsizetype i = 1; i <= a.size(); ++i) {
        int diagonal = row[0];
        row[0] = static_cast<int>(i);
        for (qsizetype j = 1; j <= n; ++j) {
            const size_t k = static_cast<size_t>(j);
            const int above = row[k];
            const int cost = a[i - 1] == b[j - 1] ? 0 : 1;
            row[k] = std::min({above + 1, row[k - 1] + 1, diagonal + cost});
            diagonal = above;
        }
    }
    return row[static_cast<size_t>(n)];
}

bool isOneEditApart(QStringView a, QStringView b)
{
    if (a == b)
        return false;
    if (a.size() == b.size()) {
        qsizetype first = -1;
        int differences = 0;
        for (qsizetype i = 0; i < a.size(); ++i) {
            if (a[i] != b[i]) {
                if (differences++ == 0)
                    first = i;
            }
        }
        if (differences == 1)
            return true;
        // An adjacent transposition: "1965" / "1956".
        return differences == 2 && first + 1 < a.size() && a[first] == b[first + 1] && a[first + 1] == b[first];
    }
    if (a.size() < b.size())
        std::swap(a, b);
    if (a.size() != b.size() + 1)
        return false;
    qsizetype i = 0;
    while (i < b.size() && a[i] == b[i])
        ++i;
    return a.mid(i + 1) == b.mid(i);
}

double normalisedLevenshtein(QStringView a, QStringView b)
{
    const qsizetype longer = std::max(a.size(), b.size());
    if (longer == 0)
        return 1.0;
    return 1.0 - static_cast<double>(levenshteinDistance(a, b)) / static_cast<double>(longer);
}

double jaroWinkler(QStringView a, QStringView b)
{
    if (a.isEmpty() && b.isEmpty())
        return 1.0;
    if (a.isEmpty() || b.isEmpty())
        return 0.0;
    const qsizetype window = std::max<qsizetype>(0, std::max(a.size(), b.size()) / 2 - 1);
    // Names are short: fixed buffers avoid allocating on the hot path.
    constexpr qsizetype kStack = 64;
    unsigned char aMatchedStack[kStack] = {};
    unsigned char bMatchedStack[kStack] = {};
    std::vector<unsigned char> aHeap, bHeap;
    unsigned char *aMatched = aMatchedStack;
    unsigned char *bMatched = bMatchedStack;
    if (a.size() > kStack || b.size() > kStack) {
        aHeap.assign(static_cast<size_t>(a.size()), 0);
        bHeap.assign(static_cast<size_t>(b.size()), 0);
        aMatched = aHeap.data();
        bMatched = bHeap.data();
    }
    int matches = 0;
    for (qsizetype i = 0; i < a.size(); ++i) {
        const qsizetype from = std::max<qsizetype>(0, i - window);
        const qsizetype to = std::min(b.size() - 1, i + window);
        for (qsizetype j = from; j <= to; ++j) {
            if (!bMatched[j] && a[i] == b[j]) {
                aMatched[i] = bMatched[j] = 1;
                ++matches;
                break;
            }
        }
    }
    if (matches == 0)
        return 0.0;
    int transpositions = 0;
    qsizetype k = 0;
    for (qsizetype i = 0; i < a.size(); ++i) {
        if (!aMatched[i])
            continue;
        while (!bMatched[k])
            ++k;
        if (a[i] != b[k])
            ++transpositions;
        ++k;
    }
    const double m = matches;
    const double jaro = (m / static_cast<double>(a.size()) + m / static_cast<double>(b.size()) + (m - transpositions / 2.0) / m) / 3.0;
    int prefix = 0;
    while (prefix < 4 && prefix < a.size() && prefix < b.size() && a[prefix] == b[prefix])
        ++prefix;
    return jaro + prefix * 0.1 * (1.0 - jaro);
}

namespace {

bool isVowel(QChar c)
{
    return c == u'A' || c == u'E' || c == u'I' || c == u'O' || c == u'U';
}

} // namespace

QString nysiis(QStringView name, int maxLength)
{
    QString s;
    s.reserve(name.size());
    for (QChar c : name) {
        const QChar upper = c.toUpper();
        if (upper >= u'A' && upper <= u'Z')
            s.append(upper);
    }
    if (s.isEmpty())
        return s;

    // Opening and closing letter groups.
    if (s.startsWith(u"MAC"))
        s.replace(0, 3, QStringLiteral("MCC"));
    else if (s.startsWith(u"KN"))
        s.replace(0, 2, QStringLiteral("NN"));
    else if (s.startsWith(u'K'))
        s[0] = u'C';
    else if (s.startsWith(u"PH") || s.startsWith(u"PF"))
        s.replace(0, 2, QStringLiteral("FF"));
    else if (s.startsWith(u"SCH"))
        s.replace(0, 3, QStringLiteral("SSS"));
    if (s.endsWith(u"EE") || s.endsWith(u"IE"))
        s.replace(s.size() - 2, 2, QStringLiteral("Y"));
    else if (s.endsWith(u"DT") || s.endsWith(u"RT") || s.endsWith(u"RD") || s.endsWith(u"NT") || s.endsWith(u"ND"))
        s.replace(s.size() - 2, 2, QStringLiteral("D"));

    QString key(s[0]);
    for (qsizetype i = 1; i < s.size(); ++i) {
        const QChar c = s[i];
        const QChar next = i + 1 < s.size() ? s[i + 1] : QChar();
        if (c == u'E' && next == u'V') {
            s[i] = u'A';
            s[i + 1] = u'F';
        } else if (isVowel(c) || c == u'Y') {
            // Y inside a name sounds as a vowel ("Smyth", "Kathryn"): a common extension.
            s[i] = u'A';
        } else if (c == u'Q') {
            s[i] = u'G';
        } else if (c == u'Z') {
            s[i] = u'S';
        } else if (c == u'M') {
            s[i] = u'N';
        } else if (c == u'K') {
            s[i] = next == u'N' ? u'N' : u'C';
        } else if (c == u'S' && next == u'C' && i + 2 < s.size() && s[i + 2] == u'H') {
            s[i + 1] = s[i + 2] = u'S';
        } else if (c == u'P' && next == u'H') {
            s[i] = s[i + 1] = u'F';
        } else if (c == u'H' && (!isVowel(s[i - 1]) || (!next.isNull() && !isVowel(next)))) {
            s[i] = s[i - 1];
        } else if (c == u'W' && isVowel(s[i - 1])) {
            s[i] = s[i - 1];
        }
        if (s[i] != key.back())
            key.append(s[i]);
    }
    if (key.size() > 1 && key.endsWith(u'S'))
        key.chop(1);
    if (key.size() > 1 && key.endsWith(u"AY"))
        key.replace(key.size() - 2, 2, QStringLiteral("Y"));
    if (key.size() > 1 && key.endsWith(u'A'))
        key.chop(1);
    if (key.size() > maxLength)
        key.truncate(maxLength);
    return key;
}

} // namespace clerk::match
