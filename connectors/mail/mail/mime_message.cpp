#include "mail/mime_message.h"

#include <QCryptographicHash>
#include <QHash>
#include <QMap>
#include <QRegularExpression>
#include <QStringDecoder>

#include <algorithm>
#include <optional>

namespace clerk::mail {

namespace {

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

// A part split at its first empty line: the headers, copied (they are small and
// unfolded), and the body, a view into the message's one buffer.
struct Part {
    Headers headers;
    QByteArrayView body;
};

Part splitPart(QByteArrayView raw)
{
    Part part;
    qsizetype position = 0;
    QByteArray current;
    const auto flush = [&] {
        const qsizetype colon = current.indexOf(':');
        if (colon > 0)
            part.headers.fields.append({current.left(colon).trimmed().toLower(), current.mid(colon + 1).trimmed()});
        current.clear();
    };
    while (position < raw.size()) {
        qsizetype end = raw.indexOf('\n', position);
        if (end < 0)
            end = raw.size();
        QByteArrayView line = raw.sliced(position, end - position);
        if (line.endsWith('\r'))
            line.chop(1);
        position = end + 1;
        if (line.isEmpty()) {
            flush();
            if (position < raw.size())
                part.body = raw.sliced(position);
            return part;
        }
        if ((line.at(0) == ' ' || line.at(0) == '\t') && !current.isEmpty()) {
            current += ' ';
            current += line.trimmed();
        } else {
            flush();
            current = line.toByteArray();
        }
    }
    flush();
    return part;
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

bool isIdentityEncoding(const QByteArray &encoding)
{
    return encoding.isEmpty() || encoding == "7bit" || encoding == "8bit" || encoding == "binary";
}

QByteArray decodeBody(QByteArrayView body, const QByteArray &encoding)
{
    // fromRawData: the decoders read the message's buffer in place, without a copy.
    const QByteArray view = QByteArray::fromRawData(body.data(), body.size());
    if (encoding == "base64")
        return QByteArray::fromBase64(view);
    if (encoding == "quoted-printable")
        return decodeQuotedPrintable(view);
    return body.toByteArray();
}

// Calls `onPart` with each part of a multipart body, between its boundary lines, as a
// view into `body`, until it returns false.
template<typename OnPart>
void forEachPart(QByteArrayView body, const QByteArray &boundary, OnPart onPart)
{
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
        const qsizetype afterDelimiter = found + delimiter.size();
        const bool closing = body.sliced(afterDelimiter).startsWith("--");
        qsizetype lineEnd = body.indexOf('\n', found);
        if (lineEnd < 0)
            lineEnd = body.size();
        const qsizetype restStart = std::min(afterDelimiter + (closing ? 2 : 0), lineEnd);
        if (!body.sliced(restStart, lineEnd - restStart).trimmed().isEmpty())
            continue;  // a longer boundary that starts with this one
        if (partStart >= 0) {
            // The line break before the delimiter belongs to the delimiter.
            qsizetype end = found;
            if (end > partStart && body.at(end - 1) == '\n')
                --end;
            if (end > partStart && body.at(end - 1) == '\r')
                --end;
            if (!onPart(body.sliced(partStart, std::max<qsizetype>(0, end - partStart))))
                return;
        }
        if (closing)
            return;
        partStart = lineEnd + 1;
    }
    if (partStart >= 0 && partStart < body.size())
        onPart(body.sliced(partStart));  // no closing delimiter: the part runs to the end
}

struct Walk {
    const MimeLimits &limits;
    QList<MailAttachment> attachments{};
    QStringList plain{};  // text/plain parts that are not attachments, decoded
    QStringList html{};   // text/html parts that are not attachments, decoded
    int parts = 0;
    std::optional<Error> refused{};  // set once a limit is broken; the walk then stops
};

// Walks one part (a view into the message, or into a decoded forwarded message that
// the caller keeps alive). Nested parts are views into the same buffer, never copies.
void walk(QByteArrayView raw, int depth, Walk &state)
{
    if (state.refused)
        return;
    if (depth > state.limits.maxDepth) {
        state.refused = Error::unreadable(
            QStringLiteral("the message nests parts more than %1 levels deep").arg(state.limits.maxDepth));
        return;
    }
    if (++state.parts > state.limits.maxParts) {
        state.refused = Error::unreadable(
            QStringLiteral("the message has more than %1 MIME parts").arg(state.limits.maxParts));
        return;
    }
    const Part part = splitPart(raw);
    const HeaderValue type = parseHeaderValue(part.headers.value("content-type"));
    const QByteArray mimeType = type.value.isEmpty() ? QByteArray("text/plain") : type.value;
    if (mimeType.startsWith("multipart/")) {
        const std::optional<QString> boundary = parameter(type, "boundary");
        if (!boundary || boundary->isEmpty())
            return;
        forEachPart(part.body, boundary->toUtf8(), [&](QByteArrayView child) {
            walk(child, depth + 1, state);
            return !state.refused;
        });
        return;
    }
    const HeaderValue disposition = parseHeaderValue(part.headers.value("content-disposition"));
    const QByteArray encoding = part.headers.value("content-transfer-encoding").trimmed().toLower();
    std::optional<QString> name = parameter(disposition, "filename");
    if (!name || name->trimmed().isEmpty())
        name = parameter(type, "name");
    if (mimeType == "message/rfc822" && (!name || name->trimmed().isEmpty())) {
        // A forwarded message: walked in place unless it was encoded.
        if (isIdentityEncoding(encoding)) {
            walk(part.body, depth + 1, state);
        } else {
            const QByteArray decoded = decodeBody(part.body, encoding);
            walk(decoded, depth + 1, state);
        }
        return;
    }
    const bool attached = disposition.value == "attachment";
    if ((!name || name->trimmed().isEmpty()) && !attached) {
        // The text of the message, not an attachment.
        const QByteArray charset = parameter(type, "charset").value_or(QString()).toLatin1();
        if (mimeType == "text/plain")
            state.plain.append(decodeCharset(decodeBody(part.body, encoding), charset));
        else if (mimeType == "text/html")
            state.html.append(decodeCharset(decodeBody(part.body, encoding), charset));
        return;
    }
    if (state.attachments.size() >= state.limits.maxAttachments) {
        state.refused = Error::unreadable(
            QStringLiteral("the message has more than %1 attachments").arg(state.limits.maxAttachments));
        return;
    }
    MailAttachment attachment;
    attachment.index = static_cast<int>(state.attachments.size());
    attachment.contentType = QString::fromLatin1(mimeType);
    attachment.fileName = name && !name->trimmed().isEmpty()
                              ? name->trimmed()
                              : QStringLiteral("attachment-%1%2").arg(attachment.index + 1).arg(extensionFor(mimeType));
    attachment.content = decodeBody(part.body, encoding);
    state.attachments.append(attachment);
}

} // namespace

QString htmlToText(const QString &html)
{
    static const QRegularExpression hidden(QStringLiteral("<(script|style|head|title)\\b[^>]*>.*?</\\1\\s*>"),
                                           QRegularExpression::CaseInsensitiveOption
                                               | QRegularExpression::DotMatchesEverythingOption);
    static const QRegularExpression comment(QStringLiteral("<!--.*?-->"), QRegularExpression::DotMatchesEverythingOption);
    static const QRegularExpression breaks(
        QStringLiteral("<(br|/p|/div|/li|/tr|/h[1-6]|/blockquote|/table|hr)\\b[^>]*>|<(p|div|li|tr|h[1-6])\\b[^>]*>"),
        QRegularExpression::CaseInsensitiveOption);
    static const QRegularExpression tag(QStringLiteral("<[^>]*>"));
    static const QRegularExpression entity(QStringLiteral("&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z]{2,8});"));
    static const QRegularExpression spaces(QStringLiteral("[ \\t\\x{00a0}]+"));
    static const QRegularExpression blankLines(QStringLiteral("\\n{3,}"));
    QString text = html;
    text.remove(comment);
    text.remove(hidden);
    text.replace(QRegularExpression(QStringLiteral("[\\r\\n]+")), QStringLiteral(" "));  // HTML's own line breaks are spaces
    text.replace(breaks, QStringLiteral("\n"));
    text.remove(tag);
    static const QHash<QString, QString> named{
        {QStringLiteral("amp"), QStringLiteral("&")},   {QStringLiteral("lt"), QStringLiteral("<")},
        {QStringLiteral("gt"), QStringLiteral(">")},    {QStringLiteral("quot"), QStringLiteral("\"")},
        {QStringLiteral("apos"), QStringLiteral("'")},  {QStringLiteral("nbsp"), QStringLiteral(" ")},
        {QStringLiteral("pound"), QStringLiteral("\u00a3")}, {QStringLiteral("euro"), QStringLiteral("\u20ac")},
        {QStringLiteral("ndash"), QStringLiteral("\u2013")}, {QStringLiteral("mdash"), QStringLiteral("\u2014")},
        {QStringLiteral("rsquo"), QStringLiteral("\u2019")}, {QStringLiteral("lsquo"), QStringLiteral("\u2018")},
        {QStringLiteral("hellip"), QStringLiteral("\u2026")}};
    QString decoded;
    decoded.reserve(text.size());
    qsizetype at = 0;
    for (auto it = entity.globalMatch(text); it.hasNext();) {
        const QRegularExpressionMatch match = it.next();
        decoded += QStringView(text).sliced(at, match.capturedStart() - at);
        const QString name = match.captured(1);
        QString replacement = match.captured(0);  // unknown: kept as written
        if (name.startsWith(QLatin1Char('#'))) {
            bool ok = false;
            const bool hex = name.size() > 1 && (name.at(1) == QLatin1Char('x') || name.at(1) == QLatin1Char('X'));
            const uint code = hex ? name.mid(2).toUInt(&ok, 16) : name.mid(1).toUInt(&ok, 10);
            if (ok && code > 0 && code <= 0x10FFFF && (code < 0xD800 || code > 0xDFFF)) {
                const char32_t codePoint = code;
                replacement = QString::fromUcs4(&codePoint, 1);
            }
        } else if (const auto known = named.constFind(name.toLower()); known != named.cend()) {
            replacement = *known;
        }
        decoded += replacement;
        at = match.capturedEnd();
    }
    decoded += QStringView(text).sliced(at);
    QStringList lines = decoded.split(QLatin1Char('\n'));
    for (QString &line : lines)
        line = line.replace(spaces, QStringLiteral(" ")).trimmed();
    return lines.join(QLatin1Char('\n')).replace(blankLines, QStringLiteral("\n\n")).trimmed();
}

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

namespace {

// The <id>s of In-Reply-To, then of References from the last (the message answered) back.
QStringList referencesOf(const QByteArray &inReplyTo, const QByteArray &references)
{
    static const QRegularExpression id(QStringLiteral("<([^<>\\s]{1,250})>"));
    QStringList found;
    const auto take = [&](const QByteArray &header, bool newestFirst) {
        QStringList ids;
        for (auto match = id.globalMatch(QString::fromLatin1(header.left(20000))); match.hasNext();)
            ids.append(match.next().captured(1));
        if (newestFirst)
            std::reverse(ids.begin(), ids.end());
        for (const QString &one : std::as_const(ids)) {
            if (found.size() < 50 && !found.contains(one))
                found.append(one);
        }
    };
    take(inReplyTo, false);
    take(references, true);
    return found;
}

// For a delivery status report saying delivery failed: the Message-IDs in the returned
// message's headers (message/rfc822 or text/rfc822-headers parts).
QStringList failedDeliveryOf(const QByteArray &contentType, QByteArrayView body)
{
    static const QRegularExpression report(QStringLiteral("^\\s*multipart/report\\s*;.*report-type\\s*=\\s*\"?delivery-status"),
                                           QRegularExpression::CaseInsensitiveOption | QRegularExpression::DotMatchesEverythingOption);
    static const QRegularExpression failed(QStringLiteral("^Action:\\s*failed\\b"),
                                           QRegularExpression::CaseInsensitiveOption | QRegularExpression::MultilineOption);
    static const QRegularExpression id(QStringLiteral("^Message-ID:\\s*<([^<>\\s]{1,250})>"),
                                       QRegularExpression::CaseInsensitiveOption | QRegularExpression::MultilineOption);
    QStringList found;
    if (!report.match(QString::fromLatin1(contentType)).hasMatch())
        return found;
    const QString text = QString::fromLatin1(body.first(std::min<qsizetype>(body.size(), 1'000'000)));
    if (!failed.match(text).hasMatch())
        return found;
    for (auto match = id.globalMatch(text); match.hasNext() && found.size() < 10;) {
        const QString one = match.next().captured(1);
        if (!found.contains(one))
            found.append(one);
    }
    return found;
}

} // namespace

Result<MailMessage> parseMessage(const QByteArray &raw, const MimeLimits &limits)
{
    MailMessage message;
    const Part top = splitPart(raw);
    QByteArray id = top.headers.value("message-id").trimmed();
    if (id.startsWith('<') && id.contains('>'))
        id = id.mid(1, id.indexOf('>') - 1);
    message.messageId = QString::fromUtf8(id).trimmed();
    message.from = decodeHeaderText(top.headers.value("from"));
    message.subject = decodeHeaderText(top.headers.value("subject"));
    message.date = QString::fromLatin1(top.headers.value("date"));
    message.references = referencesOf(top.headers.value("in-reply-to"), top.headers.value("references"));
    message.failedDeliveryOf = failedDeliveryOf(top.headers.value("content-type"), top.body);
    message.bodyDigest = QCryptographicHash::hash(top.body, QCryptographicHash::Sha256);
    Walk state{limits};
    walk(raw, 0, state);
    if (state.refused)
        return fail(*state.refused);
    message.attachments = std::move(state.attachments);
    QStringList texts = state.plain;
    if (texts.isEmpty()) {
        for (const QString &html : std::as_const(state.html))
            texts.append(htmlToText(html));
    }
    for (QString &text : texts) {
        text.replace(QLatin1String("\r\n"), QLatin1String("\n"));
        text.remove(QLatin1Char('\r'));
        text = text.trimmed();
    }
    texts.removeAll(QString());
    message.text = texts.join(QLatin1String("\n\n"));
    if (message.text.size() > limits.maxTextChars) {
        message.text.truncate(limits.maxTextChars);
        message.textTruncated = true;
    }
    return message;
}

} // namespace clerk::mail
