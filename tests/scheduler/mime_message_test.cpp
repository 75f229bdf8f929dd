// MIME parsing of mail messages the tests build themselves: attachments found in nested
// multiparts and forwarded messages, bodies decoded from base64 and quoted-printable,
// file names decoded from RFC 2231 parameters and RFC 2047 encoded words.
#include "mail/mime_message.h"

#include <gtest/gtest.h>

namespace clerk::mail {
namespace {

// A message with the given headers and body, lines joined with CRLF.
QByteArray message(const QList<QByteArray> &lines)
{
    QByteArray out;
    for (const QByteArray &line : lines)
        out += line + "\r\n";
    return out;
}

QByteArray attachmentPart(const QByteArray &boundary, const QByteArray &headers, const QByteArray &body)
{
    return "--" + boundary + "\r\n" + headers + "\r\n\r\n" + body + "\r\n";
}

const QByteArray kPdf = QByteArray("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n");

TEST(MimeMessageTest, FindsABase64PdfBesideTheTextAndReadsTheHeaders)
{
    const QByteArray raw = message({"From: =?utf-8?Q?Zo=C3=AB_Okafor?= <zoe@example.org>",
                                    "Subject: =?utf-8?B?QmluIG5vdCBlbXB0aWVk?=",
                                    "Message-ID: <abc.123@example.org>",
                                    "Date: Mon, 2 Mar 2026 09:15:00 +0000",
                                    "MIME-Version: 1.0",
                                    "Content-Type: multipart/mixed;",
                                    " boundary=\"outer\"",
                                    ""})
                           + attachmentPart("outer", "Content-Type: text/plain; charset=utf-8", "Please see attached.")
                           + attachmentPart("outer",
                                            "Content-Type: application/pdf; name=\"claim.pdf\"\r\n"
                                            "Content-Disposition: attachment; filename=\"claim.pdf\"\r\n"
                                            "Content-Transfer-Encoding: base64",
                                            kPdf.toBase64().insert(20, "\r\n"))
                           + "--outer--\r\n";
    const MailMessage parsed = parseMessage(raw);
    EXPECT_EQ(parsed.messageId, QStringLiteral("abc.123@example.org"));
    EXPECT_EQ(parsed.from, QStringLiteral(u"Zoë Okafor <zoe@example.org>"));
    EXPECT_EQ(parsed.subject, QStringLiteral("Bin not emptied"));
    EXPECT_EQ(parsed.date, QStringLiteral("Mon, 2 Mar 2026 09:15:00 +0000"));
    ASSERT_EQ(parsed.attachments.size(), 1);
    EXPECT_EQ(parsed.attachments.at(0).fileName, QStringLiteral("claim.pdf"));
    EXPECT_EQ(parsed.attachments.at(0).contentType, QStringLiteral("application/pdf"));
    EXPECT_EQ(parsed.attachments.at(0).content, kPdf);
    EXPECT_EQ(parsed.attachments.at(0).index, 0);
}

TEST(MimeMessageTest, DecodesFileNamesInEveryEncodingSendersUse)
{
    struct Case {
        const char *disposition;
        QString expected;
    };
    const QList<Case> cases{
        {"attachment; filename=\"plain name.pdf\"", QStringLiteral("plain name.pdf")},
        {"attachment; filename=unquoted.tif", QStringLiteral("unquoted.tif")},
        {"attachment; filename=\"semi;colon \\\"q\\\".pdf\"", QStringLiteral("semi;colon \"q\".pdf")},
        {"attachment; filename*=utf-8''Pr%C3%BCfung%20%E2%82%AC.pdf", QStringLiteral(u"Prüfung €.pdf")},
        {"attachment; filename*=iso-8859-1'en'caf%E9.png", QStringLiteral(u"café.png")},
        {"attachment;\r\n filename*0*=utf-8''Ante%CC;\r\n filename*1*=%81rag-;\r\n filename*2=\"part two.pdf\"",
         QStringLiteral(u"Ante\u0301rag-part two.pdf")},
        {"attachment; filename=\"=?utf-8?B?QsO8cmdlcmFtdC5wZGY=?=\"", QStringLiteral(u"Bürgeramt.pdf")},
        {"attachment; filename=\"=?ISO-8859-1?Q?R=E9sum=E9?= =?ISO-8859-1?Q?_2026.jpg?=\"",
         QStringLiteral(u"Résumé 2026.jpg")},
        {"attachment; filename=\"=?utf-8?B?4oKs?= =?utf-8?B?MS5wZGY=?=\"", QStringLiteral(u"€1.pdf")},
    };
    for (const Case &c : cases) {
        const QByteArray raw = message({"Message-ID: <n@x>", "Content-Type: multipart/mixed; boundary=b", ""})
                               + attachmentPart("b", "Content-Type: application/octet-stream\r\nContent-Disposition: "
                                                         + QByteArray(c.disposition),
                                                "data")
                               + "--b--\r\n";
        const MailMessage parsed = parseMessage(raw);
        ASSERT_EQ(parsed.attachments.size(), 1) << c.disposition;
        EXPECT_EQ(parsed.attachments.at(0).fileName, c.expected) << c.disposition;
    }
}

TEST(MimeMessageTest, TheContentTypeNameIsUsedWhenThereIsNoFilename)
{
    const QByteArray raw = message({"Content-Type: multipart/mixed; boundary=b", ""})
                           + attachmentPart("b", "Content-Type: image/png; name=\"=?utf-8?Q?scan=5F1.png?=\"\r\n"
                                                 "Content-Transfer-Encoding: base64",
                                            QByteArray("\x89PNG").toBase64())
                           + attachmentPart("b", "Content-Type: application/pdf\r\nContent-Disposition: attachment",
                                            "%PDF")
                           + "--b--\r\n";
    const MailMessage parsed = parseMessage(raw);
    ASSERT_EQ(parsed.attachments.size(), 2);
    EXPECT_EQ(parsed.attachments.at(0).fileName, QStringLiteral("scan_1.png"));
    EXPECT_EQ(parsed.attachments.at(0).content, QByteArray("\x89PNG"));
    EXPECT_EQ(parsed.attachments.at(1).fileName, QStringLiteral("attachment-2.pdf"));  // named after its type
    EXPECT_TRUE(parsed.messageId.isEmpty());
}

TEST(MimeMessageTest, WalksNestedMultipartsAndForwardedMessagesInOrder)
{
    const QByteArray forwarded = message({"Message-ID: <inner@x>", "Content-Type: multipart/mixed; boundary=\"in\"", ""})
                                 + attachmentPart("in", "Content-Type: text/plain", "inner text")
                                 + attachmentPart("in", "Content-Type: image/tiff; name=inner.tif\r\n"
                                                        "Content-Transfer-Encoding: base64",
                                                  QByteArray("II*\0", 4).toBase64())
                                 + "--in--\r\n";
    const QByteArray raw =
        message({"Message-ID: <outer@x>", "Content-Type: multipart/mixed; boundary=\"out\"", ""})
        + attachmentPart("out", "Content-Type: multipart/alternative; boundary=\"alt\"",
                         "--alt\r\nContent-Type: text/plain\r\n\r\nhi\r\n--alt\r\nContent-Type: text/html\r\n\r\n"
                         "<p>hi</p>\r\n--alt--")
        + attachmentPart("out", "Content-Type: application/pdf; name=first.pdf", "%PDF-first")
        + attachmentPart("out", "Content-Type: message/rfc822", forwarded)
        + attachmentPart("out", "Content-Type: application/pdf; name=last.pdf", "%PDF-last") + "--out--\r\n";
    const MailMessage parsed = parseMessage(raw);
    EXPECT_EQ(parsed.messageId, QStringLiteral("outer@x"));
    ASSERT_EQ(parsed.attachments.size(), 3);
    EXPECT_EQ(parsed.attachments.at(0).fileName, QStringLiteral("first.pdf"));
    EXPECT_EQ(parsed.attachments.at(0).content, QByteArray("%PDF-first"));
    EXPECT_EQ(parsed.attachments.at(1).fileName, QStringLiteral("inner.tif"));
    EXPECT_EQ(parsed.attachments.at(1).content, QByteArray("II*\0", 4));
    EXPECT_EQ(parsed.attachments.at(2).fileName, QStringLiteral("last.pdf"));
    EXPECT_EQ(parsed.attachments.at(2).index, 2);
}

TEST(MimeMessageTest, DecodesQuotedPrintableBodies)
{
    struct Case {
        QByteArray encoded;
        QByteArray decoded;
    };
    const QList<Case> cases{
        {"plain", "plain"},
        {"caf=C3=A9", "caf\xc3\xa9"},
        {"soft=\r\nbreak", "softbreak"},
        {"soft=  \nbreak", "softbreak"},
        {"a=3Db", "a=b"},
        {"lower=c3=a9", "lower\xc3\xa9"},
        {"lone = sign", "lone = sign"},
        {"ends=", "ends"},
    };
    for (const Case &c : cases)
        EXPECT_EQ(decodeQuotedPrintable(c.encoded), c.decoded) << c.encoded.constData();

    const QByteArray raw = message({"Content-Type: multipart/mixed; boundary=b", ""})
                           + attachmentPart("b", "Content-Type: text/csv; name=list.csv\r\n"
                                                 "Content-Transfer-Encoding: quoted-printable",
                                            "name,street=0D=0AOkafor,Stra=C3=9Fe")
                           + "--b--\r\n";
    const MailMessage parsed = parseMessage(raw);
    ASSERT_EQ(parsed.attachments.size(), 1);
    EXPECT_EQ(parsed.attachments.at(0).content, QByteArray("name,street\r\nOkafor,Stra\xc3\x9f" "e"));
}

TEST(MimeMessageTest, MalformedMessagesGiveWhatCanBeReadAndNeverFail)
{
    struct Case {
        const char *name;
        QByteArray raw;
        int attachments;
    };
    const QList<Case> cases{
        {"empty", QByteArray(), 0},
        {"headers only", "Subject: x\r\n", 0},
        {"no boundary parameter", message({"Content-Type: multipart/mixed", "", "--b", "", "x"}), 0},
        {"no closing boundary",
         message({"Content-Type: multipart/mixed; boundary=b", ""})
             + attachmentPart("b", "Content-Type: application/pdf; name=a.pdf", "%PDF-open"),
         1},
        {"a longer boundary that starts with the real one",
         message({"Content-Type: multipart/mixed; boundary=b", ""})
             + attachmentPart("b", "Content-Type: application/pdf; name=a.pdf", "--bx is text\r\nmore")
             + "--b--\r\n",
         1},
        {"LF line ends",
         QByteArray("Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: image/png; name=p.png\n\nPNG\n--b--\n"),
         1},
        {"bad base64 characters are skipped",
         message({"Content-Type: multipart/mixed; boundary=b", ""})
             + attachmentPart("b", "Content-Type: image/png; name=p.png\r\nContent-Transfer-Encoding: base64",
                              "iVBO!!Rw==")
             + "--b--\r\n",
         1},
    };
    for (const Case &c : cases)
        EXPECT_EQ(parseMessage(c.raw).attachments.size(), c.attachments) << c.name;

    const MailMessage lf = parseMessage(cases.at(5).raw);
    ASSERT_EQ(lf.attachments.size(), 1);
    EXPECT_EQ(lf.attachments.at(0).content, QByteArray("PNG"));
    const MailMessage open = parseMessage(cases.at(3).raw);
    ASSERT_EQ(open.attachments.size(), 1);
    EXPECT_EQ(open.attachments.at(0).content, QByteArray("%PDF-open\r\n"));  // runs to the end
}

TEST(MimeMessageTest, HeaderTextKeepsPlainWordsAndSpacesBetweenThem)
{
    EXPECT_EQ(decodeHeaderText("Re: =?utf-8?Q?caf=C3=A9?= order"), QStringLiteral(u"Re: café order"));
    EXPECT_EQ(decodeHeaderText("no encoding at all"), QStringLiteral("no encoding at all"));
    EXPECT_EQ(decodeHeaderText("=?unknown-8bit?Q?caf=E9?="), QStringLiteral(u"café"));  // read as Latin-1
    EXPECT_EQ(decodeHeaderText("=?utf-8?Q?broken"), QStringLiteral("=?utf-8?Q?broken"));
}

} // namespace
} // namespace clerk::mail
