#include "mail/mime_message.h"

#include <QMap>
#include <QRegularExpression>
#include <QStringDecoder>

#include <algorithm>
#include <optional>

namespace clerk::mail {

namespace {

constexpr int kMaxDepth = 20;  // nested multiparts deeper than this are not walked

struct Headers {
    QList<std::pair<QByteArray, QByteArray>> fields;  // lower-case name, unfolded value

    QByteArray value(const QByteArray &name) const
    {
        for (const auto &[key, text] : fields) {
            if (key == name)
                return text;
        }
        return {};
    }
};

// Splits a part into its headers and body at the first empty line.
std::pair<Headers, QByteArray> splitPart(const QByteArray &raw)
{
    Headers headers;
    qsizetype position = 0;
    QByteArray current;
    const auto flush = [&] {
        const qsizetype colon = current.indexOf(':');
        if (colon > 0)
            headers.fields.append({current.left(colon).trimmed().toLower(), current.mid(colon + 1).trimmed()});
        current.clear();
    };
    while (position < raw.size()) {
        qsizetype end = raw.indexOf('\n', position);
        if (end < 0)
            end = raw.size();
        QByteArray line = raw.mid(position, end - position);
        if (line.endsWith('\r'))
            line.chop(1);
        position = end + 1;
        if (line.isEmpty()) {
            flush();
            return {headers, position <= raw.size() ? raw.mid(position) : QByteArray()};
        }
        if ((line.at(0) == ' ' || line.at(0) == '\t') && !current.isEmpty()) {
            current += ' ';
            current += line.trimmed();
        } else {
            flush();
            current = line;
        }
    }
    flush();
    return {headers, {}};
}

QString decodeCharset(const QByteArray &bytes, const QByteArray &charset)
{
    const QByteArray name = charset.trimmed().toLower();
    if (name.isEmpty() || name == "us-ascii" || name == "utf-8" || name == "utf8")
        return QString::fromUtf8(bytes);
    if (name == "iso-8859-1" || name == "latin1")
        return QString::fromLatin1(bytes);
    QStringDecoder decoder(name.constData());
    if (decoder.isValid())
        return decoder.decode(bytes);
    return QString::fromLatin1(bytes);
}

int hexValue(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

QByteArray percentDecode(const QByteArray &text)
{
    QByteArray out;
    for (qsizetype i = 0; i < text.size(); ++i) {
        if (text.at(i) == '%' && i + 2 < text.size() && hexValue(text.at(i + 1)) >= 0 && hexValue(text.at(i + 2)) >= 0) {
            out += static_cast<char>(hexValue(text.at(i + 1)) * 16 + hexValue(text.at(i + 2)));
            i += 2;
        } else {
            out += text.at(i);
        }
    }
    return out;
}

// "text/plain; charset=utf-8; name=\"a;b.pdf\"" -> value and raw parameters (names lower case).
struct HeaderValue {
    QByteArray value;
    QList<std::pair<QByteArray, QByteArray>> params;
};

HeaderValue parseHeaderValue(const QByteArray &text)
{
    HeaderValue result;
    QList<QByteArray> pieces;
    QByteArray piece;
    bool quoted = false;
    for (qsizetype i = 0; i < text.size(); ++i) {
        const char c = text.at(i);
        if (quoted && c == '\\' && i + 1 < text.size()) {
            piece += text.at(++i);
            continue;
        }
        if (c == '"') {
            quoted = !quoted;
            continue;
        }
        if (c == ';' && !quoted) {
            pieces.append(piece);
            piece.clear();
            continue;
        }
        piece += c;
    }
    pieces.append(piece);
    result.value = pieces.takeFirst().trimmed().toLower();
    for (const QByteArray &param : pieces) {
        const qsizetype equals = param.indexOf('=');
        if (equals <= 0)
            continue;
        result.params.append({param.left(equals).trimmed().toLower(), param.mid(equals + 1).trimmed()});
    }
    return result;
}

// The value of parameter `name`, with RFC 2231 (name*=, name*0=, name*1*=) and RFC 2047
// encodings decoded; nullopt when absent.
std::optional<QString> parameter(const HeaderValue &header, const QByteArray &name)
{
    QMap<int, std::pair<QByteArray, bool>> sections;  // section -> value, percent-encoded
    const QByteArray starred = QByteArray(name).append('*');
    for (const auto &[key, value] : header.params) {
        if (key == starred) {
            sections.insert(0, {value, true});
            continue;
        }
        if (!key.startsWith(starred))
            continue;
        QByteArray rest = key.mid(name.size() + 1);
        const bool encoded = rest.endsWith('*');
        if (encoded)
            rest.chop(1);
        bool ok = false;
        const int number = rest.toInt(&ok);
        if (ok && number >= 0 && number < 1000)
            sections.insert(number, {value, encoded});
    }
    if (!sections.isEmpty()) {
        QByteArray charset;
        QByteArray bytes;
        bool first = true;
        for (auto it = sections.begin(); it != sections.end(); ++it) {
            QByteArray value = it->first;
            if (it->second) {
                if (first) {
                    // charset'language'value
                    const qsizetype one = value.indexOf('\'');
                    const qsizetype two = one < 0 ? -1 : value.indexOf('\'', one + 1);
                    if (two > 0) {
                        charset = value.left(one);
                        value = value.mid(two + 1);
                    }
                }
                bytes += percentDecode(value);
            } else {
                bytes += value;
            }
            first = false;
        }
        return decodeCharset(bytes, charset);
    }
    for (const auto &[key, value] : header.params) {
        if (key == name)
            return decodeHeaderText(value);
    }
    return std::nullopt;
}

QString extensionFor(const QByteArray &type)
{
    static const QMap<QByteArray, QString> extensions{
        {"application/pdf", QStringLiteral(".pdf")}, {"image/tiff", QStringLiteral(".tif")},
        {"image/png", QStringLiteral(".png")},       {"image/jpeg", QStringLiteral(".jpg")},
        {"text/plain", QStringLiteral(".txt")},      {"text/html", QStringLiteral(".html")},
    };
    return extensions.value(type, QStringLiteral(".bin"));
}

QByteArray decodeBody(const QByteArray &body, const QByteArray &encoding)
{
    if (encoding == "base64")
        return QByteArray::fromBase64(body);
    if (encoding == "quoted-printable")
        return decodeQuotedPrintable(body);
    return body;
}

// The parts of a multipart body, between its boundary lines.
QList<QByteArray> splitMultipart(const QByteArray &body, const QByteArray &boundary)
{
    QList<QByteArray> parts;
    const QByteArray delimiter = "--" + boundary;
    qsizetype partStart = -1;
    qsizetype search = 0;
    while (search <= body.size()) {
        const qsizetype found = body.indexOf(delimiter, search);
        if (found < 0)
            break;
        search = found + delimiter.size();
        if (found > 0 && body.at(found - 1) != '\n')
            continue;  // not at the start of a line
        const bool closing = body.mid(found + delimiter.size(), 2) == "--";
        qsizetype lineEnd = body.indexOf('\n', found);
        if (lineEnd < 0)
            lineEnd = body.size();
        const QByteArray after = body.mid(found + delimiter.size() + (closing ? 2 : 0),
                                          lineEnd - found - delimiter.size() - (closing ? 2 : 0));
        if (!after.trimmed().isEmpty())
            continue;  // a longer boundary that starts with this one
        if (partStart >= 0) {
            // The line break before the delimiter belongs to the delimiter.
            qsizetype end = found;
            if (end > partStart && body.at(end - 1) == '\n')
                --end;
            if (end > partStart && body.at(end - 1) == '\r')
                --end;
            parts.append(body.mid(partStart, end - partStart));
        }
        if (closing)
            return parts;
        partStart = lineEnd + 1;
    }
    if (partStart >= 0 && partStart < body.size())
        parts.append(body.mid(partStart));  // no closing delimiter: the part runs to the end
    return parts;
}

void walk(const QByteArray &raw, int depth, QList<MailAttachment> &attachments)
{
    if (depth > kMaxDepth)
        return;
    const auto [headers, body] = splitPart(raw);
    const HeaderValue type = parseHeaderValue(headers.value("content-type"));
    const QByteArray mimeType = type.value.isEmpty() ? QByteArray("text/plain") : type.value;
    if (mimeType.startsWith("multipart/")) {
        const std::optional<QString> boundary = parameter(type, "boundary");
        if (!boundary || boundary->isEmpty())
            return;
        for (const QByteArray &part : splitMultipart(body, boundary->toUtf8()))
            walk(part, depth + 1, attachments);
        return;
    }
    const HeaderValue disposition = parseHeaderValue(headers.value("content-disposition"));
    const QByteArray encoding = headers.value("content-transfer-encoding").trimmed().toLower();
    std::optional<QString> name = parameter(disposition, "filename");
    if (!name || name->trimmed().isEmpty())
        name = parameter(type, "name");
    if (mimeType == "message/rfc822" && (!name || name->trimmed().isEmpty())) {
        walk(decodeBody(body, encoding), depth + 1, attachments);  // a forwarded message
        return;
    }
    const bool attached = disposition.value == "attachment";
    if ((!name || name->trimmed().isEmpty()) && !attached)
        return;  // the text of the message, not an attachment
    MailAttachment attachment;
    attachment.index = static_cast<int>(attachments.size());
    attachment.contentType = QString::fromLatin1(mimeType);
    attachment.fileName = name && !name->trimmed().isEmpty()
                              ? name->trimmed()
                              : QStringLiteral("attachment-%1%2").arg(attachment.index + 1).arg(extensionFor(mimeType));
    attachment.content = decodeBody(body, encoding);
    attachments.append(attachment);
}

} // namespace

QByteArray decodeQuotedPrintable(const QByteArray &text)
{
    QByteArray out;
    out.reserve(text.size());
    for (qsizetype i = 0; i < text.size(); ++i) {
        const char c = text.at(i);
        if (c != '=') {
            out += c;
            continue;
        }
        if (i + 2 < text.size() && hexValue(text.at(i + 1)) >= 0 && hexValue(text.at(i + 2)) >= 0) {
            out += static_cast<char>(hexValue(text.at(i + 1)) * 16 + hexValue(text.at(i + 2)));
            i += 2;
            continue;
        }
        // A soft line break: '=' then optional whitespace then the end of the line.
        qsizetype j = i + 1;
        while (j < text.size() && (text.at(j) == ' ' || text.at(j) == '\t'))
            ++j;
        if (j < text.size() && text.at(j) == '\r')
            ++j;
        if (j >= text.size() || text.at(j) == '\n') {
            i = j;
            continue;
        }
        out += c;  // a lone '=': kept as it is
    }
    return out;
}

QString decodeHeaderText(const QByteArray &text)
{
    static const QRegularExpression word(QStringLiteral("=\\?([^?\\s]+)\\?([BbQq])\\?([^?\\s]*)\\?="));
    const QString input = QString::fromLatin1(text);
    QString out;
    qsizetype position = 0;
    QByteArray pendingBytes;  // adjacent words in one charset are joined before decoding
    QByteArray pendingCharset;
    const auto flush = [&] {
        if (!pendingBytes.isEmpty())
            out += decodeCharset(pendingBytes, pendingCharset);
        pendingBytes.clear();
    };
    auto it = word.globalMatch(input);
    while (it.hasNext()) {
        const QRegularExpressionMatch match = it.next();
        const QString between = input.mid(position, match.capturedStart() - position);
        const bool adjacent = position > 0 && between.trimmed().isEmpty() && !pendingBytes.isEmpty();
        if (!adjacent) {
            flush();
            out += between.isEmpty() ? QString() : decodeCharset(text.mid(position, match.capturedStart() - position), {});
        }
        QByteArray charset = match.captured(1).toLatin1();
        if (const qsizetype star = charset.indexOf('*'); star >= 0)
            charset.truncate(star);  // RFC 2231 language suffix
        const QByteArray payload = match.captured(3).toLatin1();
        QByteArray bytes;
        if (match.captured(2).compare(QLatin1String("b"), Qt::CaseInsensitive) == 0) {
            bytes = QByteArray::fromBase64(payload);
        } else {
            QByteArray underscores = payload;
            underscores.replace('_', ' ');
            bytes = decodeQuotedPrintable(underscores);
        }
        if (!pendingBytes.isEmpty() && charset.toLower() != pendingCharset.toLower())
            flush();
        pendingCharset = charset;
        pendingBytes += bytes;
        position = match.capturedEnd();
    }
    flush();
    if (position < input.size())
        out += decodeCharset(text.mid(position), {});
    return out;
}

MailMessage parseMessage(const QByteArray &raw)
{
    MailMessage message;
    const auto [headers, body] = splitPart(raw);
    Q_UNUSED(body);
    QByteArray id = headers.value("message-id").trimmed();
    if (id.startsWith('<') && id.contains('>'))
        id = id.mid(1, id.indexOf('>') - 1);
    message.messageId = QString::fromUtf8(id).trimmed();
    message.from = decodeHeaderText(headers.value("from"));
    message.subject = decodeHeaderText(headers.value("subject"));
    message.date = QString::fromLatin1(headers.value("date"));
    walk(raw, 0, message.attachments);
    return message;
}

} // namespace clerk::mail
