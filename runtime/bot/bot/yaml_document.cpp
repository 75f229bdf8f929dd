#include "bot/yaml_document_p.h"

#include <QHash>
#include <QList>

// g++ 12 reports a false "dangling pointer" in yaml-cpp 0.7's inline node code once it
// is inlined here (the temporary it points to outlives the use).
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 12
#pragma GCC diagnostic ignored "-Wdangling-pointer"
#endif

#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/yaml.h>

#include <string>

namespace clerk::bot::yaml {

namespace {

// Deeper than any sensible bot file; keeps the validator's recursion shallow.
constexpr int kMaxDepth = 128;
// Aliases share nodes, so a small text can expand to a huge tree ("billion laughs").
constexpr int kMaxNodes = 200'000;

int toLine(const YAML::Mark &mark)
{
    return mark.is_null() ? 0 : mark.line + 1;
}

int toColumn(const YAML::Mark &mark)
{
    return mark.is_null() ? 0 : mark.column + 1;
}

class Converter {
public:
    Converter(const QString &file, Diagnostics &diagnostics)
        : m_file(file), m_diagnostics(diagnostics)
    {
    }

    // Returns false when conversion had to stop (too deep, too large).
    bool convert(const YAML::Node &in, Node &out, int depth)
    {
        if (--m_budget < 0) {
            if (!m_reportedBudget)
                error(toLine(in.Mark()), toColumn(in.Mark()),
                      QStringLiteral("the document is too large once its aliases (*name) are expanded"));
            m_reportedBudget = true;
            return false;
        }
        if (depth > kMaxDepth) {
            error(toLine(in.Mark()), toColumn(in.Mark()),
                  QStringLiteral("the document is nested more than %1 levels deep").arg(kMaxDepth));
            return false;
        }
        out.line = toLine(in.Mark());
        out.column = toColumn(in.Mark());
        switch (in.Type()) {
        case YAML::NodeType::Undefined:
        case YAML::NodeType::Null:
            out.kind = Node::Kind::Null;
            return true;
        case YAML::NodeType::Scalar:
            out.kind = Node::Kind::Scalar;
            out.scalar = QString::fromStdString(in.Scalar());
            // yaml-cpp tags plain scalars "?" and quoted or block scalars "!".
            out.quoted = in.Tag() != "?";
            return true;
        case YAML::NodeType::Sequence:
            out.kind = Node::Kind::Sequence;
            out.children.reserve(in.size());
            for (const YAML::Node &item : in) {
                out.children.emplace_back();
                if (!convert(item, out.children.back(), depth + 1))
                    return false;
            }
            return true;
        case YAML::NodeType::Map:
            out.kind = Node::Kind::Mapping;
            return convertMapping(in, out, depth);
        }
        return true;
    }

private:
    bool convertMapping(const YAML::Node &in, Node &out, int depth)
    {
        QHash<QString, int> firstLines;
        out.children.reserve(in.size());
        for (auto it = in.begin(); it != in.end(); ++it) {
            const YAML::Node &key = it->first;
            const int keyLine = toLine(key.Mark());
            const int keyColumn = toColumn(key.Mark());
            if (!key.IsScalar()) {
                error(keyLine, keyColumn,
                      key.IsNull() ? QStringLiteral("a key is missing before ':'")
                                   : QStringLiteral("keys must be plain text, not %1")
                                         .arg(key.IsMap() ? QStringLiteral("a mapping") : QStringLiteral("a list")));
                continue;
            }
            const QString name = QString::fromStdString(key.Scalar());
            const auto first = firstLines.constFind(name);
            if (first != firstLines.constEnd())
                error(keyLine, keyColumn,
                      QStringLiteral("duplicate key '%1' (first at line %2)").arg(name).arg(first.value()));
            else
                firstLines.insert(name, keyLine);

            out.children.emplace_back();
            Node &value = out.children.back();
            if (!convert(it->second, value, depth + 1))
                return false;
            value.key = name;
            value.keyLine = keyLine;
            value.keyColumn = keyColumn;
            // yaml-cpp marks an empty value at the next token, often on a later line;
            // the key is where the reader should look.
            if (value.isNull() && value.line != keyLine) {
                value.line = keyLine;
                value.column = keyColumn;
            }
        }
        return true;
    }

    void error(int line, int column, const QString &message)
    {
        m_diagnostics.append(Diagnostic{m_file, line, column, Diagnostic::Severity::Error, message});
    }

    const QString &m_file;
    Diagnostics &m_diagnostics;
    int m_budget = kMaxNodes;
    bool m_reportedBudget = false;
};

// yaml-cpp's messages about tabs are hard to read; find the first line up to
// `lastLine` (1-based) whose indentation holds a tab.
std::optional<std::pair<int, int>> findTabIndentation(const QByteArray &text, int lastLine)
{
    int line = 1;
    qsizetype start = 0;
    while (start <= text.size() && (lastLine <= 0 || line <= lastLine)) {
        qsizetype end = text.indexOf('\n', start);
        if (end < 0)
            end = text.size();
        for (qsizetype i = start; i < end; ++i) {
            const char c = text.at(i);
            if (c == '\t') {
                // A tab before the first visible character of a non-blank line.
                qsizetype j = i;
                while (j < end && (text.at(j) == ' ' || text.at(j) == '\t' || text.at(j) == '\r'))
                    ++j;
                if (j < end && text.at(j) != '#')
                    return std::make_pair(line, static_cast<int>(i - start + 1));
                break;
            }
            if (c != ' ')
                break;
        }
        start = end + 1;
        ++line;
    }
    return std::nullopt;
}

} // namespace

const Node *Node::find(const QString &name) const
{
    if (kind != Kind::Mapping)
        return nullptr;
    for (const Node &child : children) {
        if (child.key == name)
            return &child;
    }
    return nullptr;
}

QString Node::kindName() const
{
    switch (kind) {
    case Kind::Null: return QStringLiteral("nothing");
    case Kind::Scalar: return QStringLiteral("'%1'").arg(scalar.size() > 40 ? scalar.left(37) + QStringLiteral("...") : scalar);
    case Kind::Sequence: return QStringLiteral("a list");
    case Kind::Mapping: return QStringLiteral("a mapping");
    }
    return QStringLiteral("a value");
}

Document parseDocument(const QByteArray &text, const QString &displayName)
{
    Document document;
    const auto error = [&](int line, int column, const QString &message) {
        document.diagnostics.append(Diagnostic{displayName, line, column, Diagnostic::Severity::Error, message});
    };

    std::vector<YAML::Node> roots;
    try {
        roots = YAML::LoadAll(std::string(text.constData(), static_cast<std::size_t>(text.size())));
    } catch (const YAML::DeepRecursion &e) {
        error(toLine(e.mark), toColumn(e.mark), QStringLiteral("the document is nested too deeply"));
        return document;
    } catch (const YAML::Exception &e) {
        if (const auto tab = findTabIndentation(text, toLine(e.mark))) {
            error(tab->first, tab->second,
                  QStringLiteral("a tab is used for indentation; YAML needs spaces"));
        } else {
            error(toLine(e.mark), toColumn(e.mark),
                  QStringLiteral("invalid YAML: %1").arg(QString::fromStdString(e.msg)));
        }
        return document;
    } catch (const std::exception &e) {
        error(0, 0, QStringLiteral("cannot parse the YAML: %1").arg(QString::fromLocal8Bit(e.what())));
        return document;
    } catch (...) {
        error(0, 0, QStringLiteral("cannot parse the YAML"));
        return document;
    }

    if (roots.size() > 1) {
        try {
            const YAML::Mark mark = roots[1].Mark();
            error(toLine(mark), toColumn(mark),
                  QStringLiteral("the file holds %1 YAML documents separated by '---'; it must hold one")
                      .arg(roots.size()));
        } catch (...) {
            error(0, 0, QStringLiteral("the file holds several YAML documents; it must hold one"));
        }
        return document;
    }

    Node root;
    if (!roots.empty()) {
        try {
            Converter converter(displayName, document.diagnostics);
            if (!converter.convert(roots.front(), root, 0))
                return document;
        } catch (const std::exception &e) {
            error(0, 0, QStringLiteral("cannot read the YAML: %1").arg(QString::fromLocal8Bit(e.what())));
            return document;
        } catch (...) {
            error(0, 0, QStringLiteral("cannot read the YAML"));
            return document;
        }
    }
    document.root = std::move(root);
    return document;
}

} // namespace clerk::bot::yaml
