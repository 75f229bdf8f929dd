#include "bot/yaml_document_p.h"

#include <QHash>
#include <QList>
#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/parser.h>

#include <map>
#include <sstream>
#include <string>

// The tree is built from yaml-cpp's parser events rather than with YAML::LoadAll:
// LoadAll in yaml-cpp 0.7 loops forever on some invalid input (a lone ",", "&a ,"),
// and building ourselves gives one place for the depth, size and duplicate-key checks.

namespace clerk::bot::yaml {

namespace {

// Deeper than any sensible bot file; keeps the validator's recursion shallow.
constexpr int kMaxDepth = 128;
// Aliases copy nodes, so a small text can expand to a huge tree ("billion laughs").
constexpr int kMaxNodes = 200'000;

int toLine(const YAML::Mark &mark)
{
    return mark.is_null() ? 0 : mark.line + 1;
}

int toColumn(const YAML::Mark &mark)
{
    return mark.is_null() ? 0 : mark.column + 1;
}

// Thrown by the builder to abandon a document; caught in parseDocument.
struct StopParsing {
    int line;
    int column;
    QString message;
};

int subtreeSize(const Node &node)
{
    int size = 1;
    for (const Node &child : node.children)
        size += subtreeSize(child);
    return size;
}

// Builds Nodes from parser events, one document per instance.
class TreeBuilder final : public YAML::EventHandler {
public:
    TreeBuilder(const QString &file, Diagnostics &diagnostics)
        : m_file(file), m_diagnostics(diagnostics)
    {
    }

    std::optional<Node> &root() { return m_root; }
    bool started() const { return m_started; }
    int startLine() const { return m_startLine; }
    int startColumn() const { return m_startColumn; }
    int startOffset() const { return m_startOffset; }

    void OnDocumentStart(const YAML::Mark &mark) override
    {
        m_started = true;
        m_startLine = toLine(mark);
        m_startColumn = toColumn(mark);
        m_startOffset = mark.pos;
    }
    void OnDocumentEnd() override {}

    void OnNull(const YAML::Mark &mark, YAML::anchor_t anchor) override
    {
        Node node = make(mark, Node::Kind::Null);
        complete(std::move(node), anchor);
    }

    void OnAlias(const YAML::Mark &mark, YAML::anchor_t anchor) override
    {
        const auto it = m_anchors.find(anchor);
        if (it == m_anchors.end())
            throw StopParsing{toLine(mark), toColumn(mark), QStringLiteral("invalid YAML: unknown alias")};
        charge(subtreeSize(it->second), mark);
        complete(Node(it->second), 0);
    }

    void OnScalar(const YAML::Mark &mark, const std::string &tag, YAML::anchor_t anchor,
                  const std::string &value) override
    {
        Node node = make(mark, Node::Kind::Scalar);
        node.scalar = QString::fromStdString(value);
        // yaml-cpp tags plain scalars "?" and quoted or block scalars "!".
        node.quoted = tag != "?";
        complete(std::move(node), anchor);
    }

    void OnSequenceStart(const YAML::Mark &mark, const std::string &, YAML::anchor_t anchor,
                         YAML::EmitterStyle::value) override
    {
        open(make(mark, Node::Kind::Sequence), anchor, mark);
    }
    void OnSequenceEnd() override { close(); }

    void OnMapStart(const YAML::Mark &mark, const std::string &, YAML::anchor_t anchor,
                    YAML::EmitterStyle::value) override
    {
        open(make(mark, Node::Kind::Mapping), anchor, mark);
    }
    void OnMapEnd() override { close(); }

private:
    struct Frame {
        Node node;
        YAML::anchor_t anchor = 0;
        std::optional<Node> pendingKey;  // mappings: the key waiting for its value
        QHash<QString, int> firstLines;  // mappings: key -> line of its first use
    };

    Node make(const YAML::Mark &mark, Node::Kind kind)
    {
        charge(1, mark);
        Node node;
        node.kind = kind;
        node.line = toLine(mark);
        node.column = toColumn(mark);
        return node;
    }

    void charge(int nodes, const YAML::Mark &mark)
    {
        m_budget -= nodes;
        if (m_budget < 0)
            throw StopParsing{toLine(mark), toColumn(mark),
                              QStringLiteral("the document is too large once its aliases (*name) are expanded")};
    }

    void open(Node node, YAML::anchor_t anchor, const YAML::Mark &mark)
    {
        if (static_cast<int>(m_stack.size()) >= kMaxDepth)
            throw StopParsing{toLine(mark), toColumn(mark),
                              QStringLiteral("the document is nested more than %1 levels deep").arg(kMaxDepth)};
        m_stack.push_back(Frame{std::move(node), anchor, std::nullopt, {}});
    }

    void close()
    {
        if (m_stack.empty())
            return;
        Frame frame = std::move(m_stack.back());
        m_stack.pop_back();
        complete(std::move(frame.node), frame.anchor);
    }

    void complete(Node node, YAML::anchor_t anchor)
    {
        if (anchor != 0)
            m_anchors[anchor] = node;
        if (m_stack.empty()) {
            m_root = std::move(node);
            return;
        }
        Frame &parent = m_stack.back();
        if (parent.node.kind == Node::Kind::Sequence) {
            parent.node.children.push_back(std::move(node));
            return;
        }
        if (!parent.pendingKey) {
            parent.pendingKey = std::move(node);
            return;
        }
        Node key = std::move(*parent.pendingKey);
        parent.pendingKey.reset();
        if (key.kind != Node::Kind::Scalar) {
            error(key.line, key.column,
                  key.isNull() ? QStringLiteral("a key is missing before ':'")
                               : QStringLiteral("keys must be plain text, not %1").arg(key.kindName()));
            return;
        }
        const auto first = parent.firstLines.constFind(key.scalar);
        if (first != parent.firstLines.constEnd())
            error(key.line, key.column,
                  QStringLiteral("duplicate key '%1' (first at line %2)").arg(key.scalar).arg(first.value()));
        else
            parent.firstLines.insert(key.scalar, key.line);
        node.key = key.scalar;
        node.keyLine = key.line;
        node.keyColumn = key.column;
        // yaml-cpp marks an empty value at the next token, often on a later line;
        // the key is where the reader should look.
        if (node.isNull() && node.line != key.line) {
            node.line = key.line;
            node.column = key.column;
        }
        parent.node.children.push_back(std::move(node));
    }

    void error(int line, int column, const QString &message)
    {
        m_diagnostics.append(Diagnostic{m_file, line, column, Diagnostic::Severity::Error, message});
    }

    const QString &m_file;
    Diagnostics &m_diagnostics;
    std::vector<Frame> m_stack;
    std::map<YAML::anchor_t, Node> m_anchors;
    std::optional<Node> m_root;
    int m_budget = kMaxNodes;
    bool m_started = false;
    int m_startLine = 0;
    int m_startColumn = 0;
    int m_startOffset = -1;
};

// A real second document starts with "---", or follows a "..." end marker. Anything
// else is yaml-cpp failing to move past a token it could not place.
bool startsRealDocument(const QByteArray &text, int offset)
{
    if (offset < 0 || offset > text.size())
        return false;
    if (text.mid(offset, 3) == "---")
        return true;
    const QByteArray before = text.left(offset).trimmed();
    return before.endsWith("\n...") || before == "...";
}

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

    std::istringstream stream(std::string(text.constData(), static_cast<std::size_t>(text.size())));
    Diagnostics treeDiagnostics;
    try {
        YAML::Parser parser(stream);
        TreeBuilder first(displayName, treeDiagnostics);
        if (!parser.HandleNextDocument(first)) {
            document.root = Node();  // no document at all: comments only
            return document;
        }
        // Look for a second document, but only once: on some invalid input yaml-cpp
        // reports the same empty document again and again without moving on.
        Diagnostics ignored;
        TreeBuilder second(displayName, ignored);
        if (parser.HandleNextDocument(second)) {
            if (!startsRealDocument(text, second.startOffset()))
                error(second.startLine(), second.startColumn(), QStringLiteral("invalid YAML: unexpected character"));
            else
                error(second.startLine(), second.startColumn(),
                      QStringLiteral("the file holds more than one YAML document (separated by '---'); "
                                     "it must hold one"));
            return document;
        }
        document.diagnostics.append(treeDiagnostics);
        document.root = first.root() ? std::move(*first.root()) : Node();
    } catch (const StopParsing &stop) {
        error(stop.line, stop.column, stop.message);
    } catch (const YAML::DeepRecursion &e) {
        error(toLine(e.mark), toColumn(e.mark), QStringLiteral("the document is nested too deeply"));
    } catch (const YAML::Exception &e) {
        if (const auto tab = findTabIndentation(text, toLine(e.mark)))
            error(tab->first, tab->second, QStringLiteral("a tab is used for indentation; YAML needs spaces"));
        else
            error(toLine(e.mark), toColumn(e.mark), QStringLiteral("invalid YAML: %1").arg(QString::fromStdString(e.msg)));
    } catch (const std::exception &e) {
        error(0, 0, QStringLiteral("cannot parse the YAML: %1").arg(QString::fromLocal8Bit(e.what())));
    } catch (...) {
        error(0, 0, QStringLiteral("cannot parse the YAML"));
    }
    return document;
}

} // namespace clerk::bot::yaml
