#include "mail/mime_builder.h"

#include <QCryptographicHash>
#include <QLocale>
#include <QRegularExpression>
#include <QTimeZone>

namespace clerk::mail {

namespace {

const QByteArray kCrlf("\r\n");

bool isPrintableAscii(const QString &text)
{
    for (const QChar c : text) {
        if (c.unicode() < 0x20 || c.unicode() > 0x7e)
            return false;
    }
    return true;
}

bool hasLineBreak(const QString &text)
{
    return text.contains(QLatin1Char('\r')) || text.contains(QLatin1Char('\n'));
}

// base64 in lines of 76 characters, each ended by CRLF.
QByteArray base64Lines(const QByteArray &bytes)
{
    const QByteArray encoded = bytes.toBase64();
    QByteArray out;
    out.reserve(encoded.size() + encoded.size() / 76 * 2 + 2);
    for (qsizetype at = 0; at < encoded.size(); at += 76)
        out += encoded.mid(at, 76) + kCrlf;
    return out;
}

// The text with every line break as CRLF.
QByteArray crlfText(const QString &text)
{
    QString normalised = text;
    normalised.replace(QStringLiteral("\r\n"), QStringLiteral("\n")).replace(QLatin1Char('\r'), QLatin1Char('\n'));
    return normalised.toUtf8();
}

// A boundary no encoded body can contain ("=_" never appears in quoted-printable or
// base64), the same for the same message id so a re-sent message is the same message.
QByteArray boundaryFor(const QString &messageId, const char *level)
{
    const QByteArray digest =
        QCryptographicHash::hash(QByteArray(messageId.toUtf8() + level), QCryptographicHash::Sha1).toHex().left(24);
    return QByteArray("=_clerk_") + level + '_' + digest;
}

QByteArray textPart(const QByteArray &subtype, const QString &text)
{
    return "Content-Type: text/" + subtype + "; charset=utf-8\r\n"
           "Content-Transfer-Encoding: quoted-printable\r\n\r\n" +
           quotedPrintable(crlfText(text)) + kCrlf;
}

// A file name for Content-Type/Content-Disposition: a quoted string when it is plain
// ASCII, else RFC 2231's UTF-8 percent form.
QByteArray fileNameParameter(const char *name, const QString &fileName)
{
    static const QRegularExpression plain(QRegularExpression::anchoredPattern(QStringLiteral("[A-Za-z0-9._ ()+-]+")));
    if (plain.match(fileName).hasMatch())
        return QByteArray(name) + "=\"" + fileName.toLatin1() + '"';
    return QByteArray(name) + "*=UTF-8''" + fileName.toUtf8().toPercentEncoding("", "", '%');
}

QByteArray attachmentPart(const OutgoingAttachment &attachment)
{
    QString fileName = attachment.fileName;
    fileName.remove(QRegularExpression(QStringLiteral("[\\x00-\\x1f\\x7f\"\\\\/]")));
    if (fileName.isEmpty())
        fileName = QStringLiteral("attachment");
    QByteArray type = attachment.contentType;
    if (type.isEmpty() || type.contains('\r') || type.contains('\n') || type.contains(';'))
        type = "application/octet-stream";
    return "Content-Type: " + type + "; " + fileNameParameter("name", fileName) + kCrlf +
           "Content-Disposition: attachment; " + fileNameParameter("filename", fileName) + kCrlf +
           "Content-Transfer-Encoding: base64\r\n\r\n" + base64Lines(attachment.bytes);
}

QByteArray multipart(const QByteArray &subtype, const QByteArray &boundary, const QList<QByteArray> &parts)
{
    QByteArray out = "Content-Type: multipart/" + subtype + ";\r\n boundary=\"" + boundary + "\"\r\n\r\n";
    for (const QByteArray &part : parts)
        out += "--" + boundary + kCrlf + part;
    out += "--" + boundary + "--" + kCrlf;
    return out;
}

QByteArray body(const OutgoingMessage &message)
{
    QByteArray content = textPart("plain", message.text);
    if (!message.html.isEmpty())
        content = multipart("alternative", boundaryFor(message.messageId, "alt"),
                            {content, textPart("html", message.html)});
    if (message.attachments.isEmpty())
        return content;
    QList<QByteArray> parts{content};
    for (const OutgoingAttachment &attachment : message.attachments)
        parts.append(attachmentPart(attachment));
    return multipart("mixed", boundaryFor(message.messageId, "mix"), parts);
}

} // namespace

bool isPlainAddress(const QString &address)
{
    // Anchored at the very end: "$" would also match before a final line feed.
    static const QRegularExpression pattern(QRegularExpression::anchoredPattern(QStringLiteral(
        "[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
        "@[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*")));
    return address.size() <= 254 && pattern.match(address).hasMatch();
}

Status checkHeaders(const OutgoingMessage &message)
{
    if (!isPlainAddress(message.from))
        return fail(Error::invalidArgument(QStringLiteral("from is not one email address")));
    if (!isPlainAddress(message.to))
        return fail(Error::invalidArgument(QStringLiteral("to is not one email address")));
    if (!message.replyTo.isEmpty() && !isPlainAddress(message.replyTo))
        return fail(Error::invalidArgument(QStringLiteral("reply_to is not one email address")));
    if (hasLineBreak(message.subject))
        return fail(Error::invalidArgument(QStringLiteral("subject holds a line break")));
    static const QRegularExpression messageId(
        QRegularExpression::anchoredPattern(QStringLiteral("[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9.-]+")));
    if (!messageId.match(message.messageId).hasMatch())
        return fail(Error::invalidArgument(QStringLiteral("message id is not of the form key@domain")));
    return {};
}

QByteArray encodeHeaderText(const QString &text)
{
    // Short plain ASCII goes as is; anything else as encoded words, which also fold.
    if (isPrintableAscii(text) && !text.contains(QLatin1String("=?")) && text.size() <= 64)
        return text.toLatin1();
    // Encoded words of at most 39 bytes of UTF-8 each (64 characters), split between
    // characters, never inside one; folded onto continuation lines.
    QList<QByteArray> words;
    QByteArray chunk;
    for (qsizetype at = 0; at < text.size();) {
        const qsizetype length = text.at(at).isHighSurrogate() && at + 1 < text.size() ? 2 : 1;
        const QByteArray character = text.mid(at, length).toUtf8();
        if (chunk.size() + character.size() > 39) {
            words.append("=?UTF-8?B?" + chunk.toBase64() + "?=");
            chunk.clear();
        }
        chunk += character;
        at += length;
    }
    if (!chunk.isEmpty() || words.isEmpty())
        words.append("=?UTF-8?B?" + chunk.toBase64() + "?=");
    return words.join("\r\n ");
}

QByteArray quotedPrintable(const QByteArray &utf8)
{
    static const char hex[] = "0123456789ABCDEF";
    QByteArray out;
    const QList<QByteArray> lines = utf8.split('\n');
    for (qsizetype index = 0; index < lines.size(); ++index) {
        const QByteArray &line = lines.at(index);
        int column = 0;
        for (qsizetype at = 0; at < line.size(); ++at) {
            const auto byte = static_cast<unsigned char>(line.at(at));
            const bool last = at + 1 == line.size();
            QByteArray piece;
            if ((byte >= 33 && byte <= 126 && byte != '=') || ((byte == ' ' || byte == '\t') && !last))
                piece = QByteArray(1, static_cast<char>(byte));
            else
                piece = QByteArray{"="} + hex[byte >> 4] + hex[byte & 0xf];
            if (column + piece.size() > 75) {
                out += "=\r\n";
                column = 0;
            }
            out += piece;
            column += static_cast<int>(piece.size());
        }
        if (index + 1 < lines.size())
            out += kCrlf;
    }
    return out;
}

Result<QByteArray> buildMessage(const OutgoingMessage &message)
{
    if (auto checked = checkHeaders(message); !checked)
        return fail(checked.error());
    const QDateTime date = message.date.isValid() ? message.date : QDateTime::currentDateTimeUtc();
    QByteArray out;
    out += "Date: " + QLocale::c().toString(date.toUTC(), QStringLiteral("ddd, dd MMM yyyy hh:mm:ss")).toLatin1() +
           " +0000\r\n";
    out += "From: " + message.from.toLatin1() + kCrlf;
    out += "To: " + message.to.toLatin1() + kCrlf;
    if (!message.replyTo.isEmpty())
        out += "Reply-To: " + message.replyTo.toLatin1() + kCrlf;
    out += "Subject: " + encodeHeaderText(message.subject) + kCrlf;
    out += "Message-ID: <" + message.messageId.toLatin1() + ">\r\n";
    out += "Auto-Submitted: auto-generated\r\n";
    out += "MIME-Version: 1.0\r\n";
    out += body(message);
    return out;
}

} // namespace clerk::mail
