// Private: a thin wrapper around yaml-cpp. It turns a YAML text into a plain tree of
// Nodes with 1-based line/column marks, and turns every yaml-cpp exception and every
// structural problem (duplicate keys, tabs used for indentation, several documents,
// nesting too deep, aliases that expand too much) into Diagnostics.
//
// yaml-cpp is included only by yaml_document.cpp, so no yaml-cpp type or exception
// leaves it.
#pragma once

#include "bot/diagnostic.h"

#include <QByteArray>
#include <QString>
#include <optional>
#include <vector>

namespace clerk::bot::yaml {

struct Node {
    enum class Kind { Null, Scalar, Sequence, Mapping };

    Kind kind = Kind::Null;
    QString scalar;        // Kind::Scalar: the text
    bool quoted = false;   // Kind::Scalar: quoted, a block scalar, or tagged (never a number or bool)
    int line = 0;          // 1-based position of the value
    int column = 0;
    // Sequence items, or mapping values in file order; duplicate keys are kept.
    std::vector<Node> children;
    // For a mapping value: its key and the key's position.
    QString key;
    int keyLine = 0;
    int keyColumn = 0;

    bool isMapping() const { return kind == Kind::Mapping; }
    bool isSequence() const { return kind == Kind::Sequence; }
    bool isScalar() const { return kind == Kind::Scalar; }
    bool isNull() const { return kind == Kind::Null; }

    // The first value under `name` in a mapping, or nullptr.
    const Node *find(const QString &name) const;
    // "a mapping", "a list", "nothing", "text"
    QString kindName() const;
};

struct Document {
    std::optional<Node> root;  // set when the text parsed (it may still have diagnostics)
    Diagnostics diagnostics;
};

// Parses `text` as one YAML document. Problems are reported against `displayName`.
// Duplicate keys are reported as errors but the tree still holds them, first one first.
// An empty document gives a Null root.
// REQUIRES: `text` is valid UTF-8 (the loader checks that first).
Document parseDocument(const QByteArray &text, const QString &displayName);

} // namespace clerk::bot::yaml
