#include "classify/letter_body.h"

#include <QRegularExpression>
#include <QStringList>

namespace clerk::classify {

namespace {

const QRegularExpression &salutation()
{
    static const QRegularExpression re(QStringLiteral(R"(^\W{0,3}(dear|to whom it may concern|hello|good (morning|afternoon))\b)"),
                                       QRegularExpression::CaseInsensitiveOption);
    return re;
}

const QRegularExpression &signOff()
{
    static const QRegularExpression re(
        QStringLiteral(R"(^\W{0,3}(yours( (faithfully|sincerely|truly))?|kind regards|best regards|warm regards|regards|)"
                       R"(best wishes|many thanks|thanks again|with thanks|sincerely)\W*$)"),
        QRegularExpression::CaseInsensitiveOption);
    return re;
}

// A line that reads like part of a sentence: several words, mostly letters.
bool sentenceLike(const QString &line)
{
    const QStringList words = line.split(QLatin1Char(' '), Qt::SkipEmptyParts);
    if (words.size() < 6)
        return false;
    qsizetype letters = 0;
    for (const QChar c : line)
        letters += c.isLetter() ? 1 : 0;
    return letters * 10 >= line.size() * 7;
}

} // namespace

QString letterBody(const QString &text)
{
    const QStringList lines = text.split(QLatin1Char('\n'));
    qsizetype start = -1;
    for (qsizetype i = 0; i < lines.size() && start < 0; ++i) {
        if (salutation().match(lines[i].trimmed()).hasMatch())
            start = i + 1;
    }
    qsizetype end = -1;
    for (qsizetype i = std::max<qsizetype>(start, 0); i < lines.size() && end < 0; ++i) {
        if (signOff().match(lines[i].trimmed()).hasMatch())
            end = i;
    }
    if (start < 0 && end < 0)
        return text;
    if (start < 0) {
        start = 0;
        while (start < end && !sentenceLike(lines[start].trimmed()))
            ++start;
    }
    if (end < 0)
        end = lines.size();
    const QString body = lines.mid(start, end - start).join(QLatin1Char('\n')).trimmed();
    return body.isEmpty() ? text : body;
}

} // namespace clerk::classify
