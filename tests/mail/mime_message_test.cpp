// MIME parsing of mail messages the tests build themselves: attachments found in nested
// multiparts and forwarded messages, bodies decoded from base64 and quoted-printable,
// file names decoded from RFC 2231 parameters and RFC 2047 encoded words.
#include "mail/mime_message.h"
#include "test_support.h"

#include <gtest/gtest.h>

#include <functional>

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

// The message parsed with the default limits, which every test message here is within.
MailMessage parseOk(const QByteArray &raw)
{
    const auto parsed = parseMessage(raw);
    EXPECT_OK(parsed);
    return parsed.value_or(MailMessage{});
}

const QByteArray kPdf = QByteArray("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n");

// The ids a reply answers: In-Reply-To's first, then References' from the newest back,
// each once, folded lines and stray text ignored, and no more than 50.
TEST(MimeMessageTest, ReadsTheIdsAReplyAnswers)
{
    const QByteArray raw = "From: a@example.org\r\nMessage-ID: <r1@example.org>\r\n"
                           "In-Reply-To: <sent@bot.clerk> (the acknowledgement)\r\n"
                           "References: <first@example.org>\r\n <second@example.org> junk <sent@bot.clerk>\r\n"
                           "\r\nThanks\r\n";
    auto message = parseMessage(raw);
    ASSERT_TRUE(message.has_value());
    EXPECT_EQ(message->references, (QStringList{QStringLiteral("sent@bot.clerk"), QStringLiteral("second@example.org"),
                                                QStringLiteral("first@example.org")}));

    QByteArray many = "References:";
    for (int i = 0; i < 80; ++i)
        many += " <id-" + QByteArray::number(i) + "@example.org>";
    auto flooded = parseMessage(many + "\r\n\r\nbody\r\n");
    ASSERT_TRUE(flooded.has_value());
    EXPECT_EQ(flooded->references.size(), 50);
    EXPECT_EQ(flooded->references.first(), QStringLiteral("id-79@example.org"));
    EXPECT_TRUE(parseMessage("Subject: none\r\n\r\nbody\r\n")->references.isEmpty());
}

// A delivery status report that says delivery failed names the returned message's ids;
// one that says it was delayed, or a message that only quotes headers, names none.
TEST(MimeMessageTest, ADeliveryFailureReportNamesTheReturnedMessage)
{
    const auto report = [](const QByteArray &action, const QByteArray &type) -> QByteArray {
        return "From: mailer-daemon@mx.example.org\r\nMessage-ID: <dsn@mx>\r\nContent-Type: " + type +
               "; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: message/delivery-status\r\n\r\n"
               "Final-Recipient: rfc822; x@example.org\r\nAction: " + action + "\r\n--b\r\n"
               "Content-Type: text/rfc822-headers\r\n\r\nMessage-ID: <sent@bot.clerk>\r\n--b--\r\n";
    };
    auto failed = parseMessage(report("failed", "multipart/report; report-type=delivery-status"));
    ASSERT_TRUE(failed.has_value());
    EXPECT_EQ(failed->failedDeliveryOf, QStringList{QStringLiteral("sent@bot.clerk")});
    EXPECT_TRUE(parseMessage(report("delayed", "multipart/report; report-type=delivery-status"))->failedDeliveryOf.isEmpty());
    EXPECT_TRUE(parseMessage(report("failed", "multipart/mixed"))->failedDeliveryOf.isEmpty());
}

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
    const MailMessage parsed = parseOk(raw);
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
        const MailMessage parsed = parseOk(raw);
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
    const MailMessage parsed = parseOk(raw);
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
    const MailMessage parsed = parseOk(raw);
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
    const MailMessage parsed = parseOk(raw);
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
        EXPECT_EQ(parseOk(c.raw).attachments.size(), c.attachments) << c.name;

    const MailMessage lf = parseOk(cases.at(5).raw);
    ASSERT_EQ(lf.attachments.size(), 1);
    EXPECT_EQ(lf.attachments.at(0).content, QByteArray("PNG"));
    const MailMessage open = parseOk(cases.at(3).raw);
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

// `count` parts, each made by `part(i)`, in one multipart/mixed message.
QByteArray multipartWith(int count, const std::function<QByteArray(int)> &part)
{
    QByteArray raw = message({"Message-ID: <many@x>", "Content-Type: multipart/mixed; boundary=b", ""});
    for (int i = 0; i < count; ++i)
        raw += attachmentPart("b", part(i), "x");
    return raw + "--b--\r\n";
}

QByteArray pdfPart(int i)
{
    return "Content-Type: application/pdf; name=p" + QByteArray::number(i) + ".pdf";
}

// `levels` multiparts, each holding the next, the innermost holding one PDF.
QByteArray nested(int levels)
{
    QByteArray inner = "Content-Type: application/pdf; name=deep.pdf\r\n\r\n%PDF-deep";
    for (int level = levels; level > 0; --level) {
        const QByteArray boundary = "level" + QByteArray::number(level);
        inner = "Content-Type: multipart/mixed; boundary=" + boundary + "\r\n\r\n--" + boundary + "\r\n" + inner +
                "\r\n--" + boundary + "--\r\n";
    }
    return "Message-ID: <deep@x>\r\n" + inner;
}

TEST(MimeMessageTest, AMessageOverALimitIsRefusedWholeNamingTheLimit)
{
    const struct {
        const char *name;
        QByteArray raw;
        MimeLimits limits;
        const char *reason;
    } refused[] = {
        {"51 attachments", multipartWith(51, pdfPart), {}, "more than 50 attachments"},
        {"100,000 tiny attachments", multipartWith(100000, pdfPart), {}, "more than 50 attachments"},
        {"attachments of a type nobody asked for count too",
         multipartWith(51, [](int i) -> QByteArray { return "Content-Disposition: attachment; filename=a" + QByteArray::number(i) + ".txt"; }),
         {},
         "more than 50 attachments"},
        {"a bot's lower limit", multipartWith(4, pdfPart), {3, 500, 20}, "more than 3 attachments"},
        {"500 text parts", multipartWith(500, [](int) -> QByteArray { return "Content-Type: text/plain"; }), {},
         "more than 500 MIME parts"},
        {"60 levels of nesting", nested(60), {}, "more than 20 levels deep"},
        {"21 levels of nesting", nested(21), {}, "more than 20 levels deep"},
    };
    for (const auto &c : refused) {
        const auto parsed = parseMessage(c.raw, c.limits);
        ASSERT_FALSE(parsed.has_value()) << c.name;
        EXPECT_EQ(parsed.error().code(), ErrorCode::Unreadable) << c.name;
        EXPECT_EQ(parsed.error().message().toStdString().find(c.reason) != std::string::npos, true)
            << c.name << ": " << parsed.error().message().toStdString();
        EXPECT_FALSE(parsed.error().message().contains("many@x")) << "no content in the reason";
    }

    const struct {
        const char *name;
        QByteArray raw;
        MimeLimits limits;
        qsizetype attachments;
    } taken[] = {
        {"50 attachments", multipartWith(50, pdfPart), {}, 50},
        {"499 text parts (and the message itself)",
         multipartWith(499, [](int) -> QByteArray { return "Content-Type: text/plain"; }), {}, 0},
        {"20 levels of nesting", nested(20), {}, 1},
        {"a bot's higher limit", multipartWith(80, pdfPart), {100, 500, 20}, 80},
    };
    for (const auto &c : taken) {
        const auto parsed = parseMessage(c.raw, c.limits);
        ASSERT_OK(parsed) << c.name;
        EXPECT_EQ(parsed->attachments.size(), c.attachments) << c.name;
    }
    EXPECT_EQ(parseOk(nested(20)).attachments.at(0).content, QByteArray("%PDF-deep"));
}

TEST(MimeMessageTest, ForwardedMessagesCountTowardsTheLimits)
{
    // Each forwarded message is a level, and its attachments are the message's.
    QByteArray inner = message({"Content-Type: multipart/mixed; boundary=in", ""});
    for (int i = 0; i < 30; ++i)
        inner += attachmentPart("in", pdfPart(i), "x");
    inner += "--in--\r\n";
    QByteArray raw = message({"Content-Type: multipart/mixed; boundary=out", ""});
    for (int i = 0; i < 30; ++i)
        raw += attachmentPart("out", pdfPart(i), "x");
    raw += attachmentPart("out", "Content-Type: message/rfc822", inner) + "--out--\r\n";
    const auto parsed = parseMessage(raw);
    ASSERT_FALSE(parsed.has_value());
    EXPECT_TRUE(parsed.error().message().contains("more than 50 attachments"));

    QByteArray deep = nested(3);
    for (int level = 0; level < 20; ++level)
        deep = message({"Content-Type: multipart/mixed; boundary=f", ""}) +
               attachmentPart("f", "Content-Type: message/rfc822\r\nContent-Transfer-Encoding: base64",
                              deep.toBase64()) +
               "--f--\r\n";
    const auto forwarded = parseMessage(deep);
    ASSERT_FALSE(forwarded.has_value());
    EXPECT_TRUE(forwarded.error().message().contains("levels deep"));
}

TEST(MimeMessageTest, TheBodyDigestTellsMessagesApartButNotTheirHeaders)
{
    const QByteArray body = "Content-Type: multipart/mixed; boundary=b\r\n\r\n" +
                            attachmentPart("b", pdfPart(1), "%PDF-one") + "--b--\r\n";
    const MailMessage first = parseOk("Message-ID: <same@x>\r\nReceived: by a\r\n" + body);
    const MailMessage again = parseOk("Message-ID: <same@x>\r\nReceived: by b\r\n" + body);
    QByteArray otherBody = body;
    otherBody.replace("%PDF-one", "%PDF-two");
    const MailMessage other = parseOk("Message-ID: <same@x>\r\nReceived: by a\r\n" + otherBody);
    EXPECT_EQ(first.bodyDigest.size(), 32);
    EXPECT_EQ(first.bodyDigest, again.bodyDigest);
    EXPECT_NE(first.bodyDigest, other.bodyDigest);
}

// The text people wrote: a plain message's body in its own character set; in a
// multipart/alternative the plain part (not the HTML); the text of a forwarded message
// after the sender's own; attachments' contents never.
TEST(MimeMessageTest, ReadsTheMessagesTextInItsCharacterSetAndLeavesAttachmentsOut)
{
    const MailMessage plain = parseOk(message({"From: social.worker@example.nhs.uk", "Subject: Referral",
                                               "Content-Type: text/plain; charset=iso-8859-1",
                                               "Content-Transfer-Encoding: quoted-printable", "",
                                               "Referral for Mr J. Smith, NHS number 943 476 5919.=0D",
                                               "Costs =A3200 a week; soft=", "wrapped."}));
    EXPECT_EQ(plain.text, QStringLiteral(u"Referral for Mr J. Smith, NHS number 943 476 5919.\n"
                                         u"Costs \u00a3200 a week; softwrapped."));
    EXPECT_FALSE(plain.textTruncated);

    const QByteArray raw = message({"Content-Type: multipart/mixed; boundary=\"m\"", ""})
                           + attachmentPart("m", "Content-Type: multipart/alternative; boundary=\"a\"",
                                            attachmentPart("a", "Content-Type: text/plain; charset=utf-8", "Plain words.")
                                                + attachmentPart("a", "Content-Type: text/html", "<p>HTML words</p>")
                                                + "--a--")
                           + attachmentPart("m", "Content-Type: message/rfc822",
                                            "Subject: original\r\nContent-Type: text/plain\r\n\r\nThe forwarded text.")
                           + attachmentPart("m", "Content-Type: text/plain; name=\"notes.txt\"", "Attached notes.")
                           + "--m--\r\n";
    const MailMessage mixed = parseOk(raw);
    EXPECT_EQ(mixed.text, QStringLiteral("Plain words.\n\nThe forwarded text."));
    ASSERT_EQ(mixed.attachments.size(), 1);
    EXPECT_EQ(mixed.attachments.first().fileName, QStringLiteral("notes.txt"));

    const MailMessage none = parseOk(message({"Subject: empty", "", ""}));
    EXPECT_TRUE(none.text.isEmpty());
}

// An HTML-only message is read as text: no markup, scripts or styles, its paragraphs and
// line breaks kept, character references decoded; and a text over the limit is cut.
TEST(MimeMessageTest, AnHtmlOnlyMessageIsReducedToTextAndALongTextIsCut)
{
    const MailMessage html = parseOk(message(
        {"Content-Type: text/html; charset=utf-8", "",
         "<html><head><title>t</title><style>p {color: red}</style></head><body>",
         "<p>Dear&nbsp;team,</p><p>Please   see <b>Ms&nbsp;O&#39;Neill</b>,<br>DOB 01/02/1950 &amp; LS6 1RT.</p>",
         "<script>alert('x')</script><!-- a comment --><div>Thanks &#x2014; Jo &unknown;</div></body></html>"}));
    EXPECT_EQ(html.text, QStringLiteral(u"Dear team,\n\nPlease see Ms O'Neill,\nDOB 01/02/1950 & LS6 1RT.\n\n"
                                        u"Thanks \u2014 Jo &unknown;"));

    MimeLimits limits;
    limits.maxTextChars = 10;
    const auto cut = parseMessage(message({"Content-Type: text/plain", "", "0123456789abcdef"}), limits);
    ASSERT_OK(cut);
    EXPECT_EQ(cut->text, QStringLiteral("0123456789"));
    EXPECT_TRUE(cut->textTruncated);
}

} // namespace
} // namespace clerk::mail
