// Synthetic people for matching tests: a deterministic generator of person records
// (forename, surname, date of birth, UK postcode, NHS number) and of corrupted copies
// with the errors forms carry (typos, swapped day and month, missing values).
#pragma once

#include "test_support.h"

#include <QString>
#include <QStringList>
#include <random>

namespace clerk::testing {

struct Person {
    QString id;
    QString forename;
    QString surname;
    QString dob;       // YYYY-MM-DD
    QString postcode;  // "AB12 3CD"
    QString nhs;       // 10 valid digits
    QStringList values() const { return {forename, surname, dob, postcode, nhs}; }
};

class PeopleGenerator {
public:
    explicit PeopleGenerator(unsigned seed) : m_rng(seed) {}

    Person person(const QString &id)
    {
        static const QStringList forenames{
            QStringLiteral("oliver"), QStringLiteral("amelia"), QStringLiteral("george"), QStringLiteral("isla"),
            QStringLiteral("harry"),  QStringLiteral("ava"),    QStringLiteral("jack"),   QStringLiteral("mia"),
            QStringLiteral("charlie"), QStringLiteral("grace"), QStringLiteral("thomas"), QStringLiteral("sophie"),
            QStringLiteral("james"),  QStringLiteral("emily"),  QStringLiteral("william"), QStringLiteral("lily")};
        static const QStringList surnames{
            QStringLiteral("smith"),  QStringLiteral("jones"),   QStringLiteral("taylor"),   QStringLiteral("brown"),
            QStringLiteral("williams"), QStringLiteral("wilson"), QStringLiteral("johnson"), QStringLiteral("davies"),
            QStringLiteral("robinson"), QStringLiteral("wright"), QStringLiteral("thompson"), QStringLiteral("evans"),
            QStringLiteral("walker"), QStringLiteral("white"),   QStringLiteral("roberts"),  QStringLiteral("green"),
            QStringLiteral("hall"),   QStringLiteral("wood"),    QStringLiteral("jackson"),  QStringLiteral("clarke")};
        static const QStringList areas{QStringLiteral("M"), QStringLiteral("LS"), QStringLiteral("B"), QStringLiteral("SW"),
                                       QStringLiteral("NE"), QStringLiteral("CR")};
        Person p;
        p.id = id;
        p.forename = pick(forenames);
        p.surname = pick(surnames);
        p.dob = QStringLiteral("%1-%2-%3")
                    .arg(uniform(1930, 2005))
                    .arg(uniform(1, 12), 2, 10, QChar(u'0'))
                    .arg(uniform(1, 28), 2, 10, QChar(u'0'));
        p.postcode = QStringLiteral("%1%2 %3%4%5")
                         .arg(pick(areas))
                         .arg(uniform(1, 20))
                         .arg(uniform(1, 9))
                         .arg(QChar(u'A' + uniform(0, 25)))
                         .arg(QChar(u'A' + uniform(0, 25)));
        p.nhs = nhsNumber();
        return p;
    }

    // A copy with one or two errors, never touching the id.
    Person corrupt(const Person &original)
    {
        Person p = original;
        const int errors = uniform(1, 2);
        for (int e = 0; e < errors; ++e) {
            switch (uniform(0, 5)) {
            case 0: p.forename = typo(p.forename); break;
            case 1: p.surname = typo(p.surname); break;
            case 2: // day and month swapped
                p.dob = p.dob.left(5) + p.dob.mid(8, 2) + u'-' + p.dob.mid(5, 2);
                break;
            case 3: p.postcode.clear(); break;
            case 4: p.nhs.clear(); break;
            default: p.forename = p.forename.left(1).toUpper() + p.forename.mid(1); break;
            }
        }
        return p;
    }

    int uniform(int low, int high) { return std::uniform_int_distribution<int>(low, high)(m_rng); }

private:
    QString pick(const QStringList &list) { return list[uniform(0, static_cast<int>(list.size()) - 1)]; }

    QString typo(const QString &word)
    {
        if (word.size() < 3)
            return word;
        QString out = word;
        const int at = uniform(1, static_cast<int>(word.size()) - 2);
        std::swap(out[at], out[at + 1]);
        return out == word ? out + u'e' : out;
    }

    QString nhsNumber()
    {
        for (;;) {
            QString digits;
            int sum = 0;
            for (int i = 0; i < 9; ++i) {
                const int d = uniform(i == 0 ? 1 : 0, 9);
                digits.append(QChar(u'0' + d));
                sum += d * (10 - i);
            }
            int check = 11 - sum % 11;
            if (check == 11)
                check = 0;
            if (check == 10)
                continue;
            return digits + QChar(u'0' + check);
        }
    }

    std::mt19937 m_rng;
};

} // namespace clerk::testing
