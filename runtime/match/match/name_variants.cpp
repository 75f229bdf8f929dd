#include "match/name_variants.h"

#include <QHash>
#include <QList>
#include <QString>

namespace clerk::match {

namespace {

// Each line a group: a full name (or several spellings) and its short forms.
constexpr const char *kGroups[] = {
    "william will willie willy bill billy billie wm",
    "thomas tom tommy thos",
    "henry harry hal hank",
    "john jack johnny jon jno",
    "james jim jimmy jamie jem jas",
    "robert rob robbie bob bobby bert robin",
    "richard dick dickie rich richie rick ricky",
    "edward ed eddie eddy ned ted teddy",
    "edmund ed eddie ned",
    "edwin ed eddie ned",
    "charles charlie charley chas chuck",
    "alfred alf alfie fred freddie freddy",
    "frederick frederic fred freddie freddy",
    "albert bert bertie al",
    "herbert bert bertie herbie herb",
    "hubert bert",
    "gilbert bert gil",
    "walter walt wally wat",
    "joseph joe joey jos",
    "samuel sam sammy",
    "benjamin ben benny benjy",
    "daniel dan danny",
    "david dave davy davie",
    "arthur art artie arty",
    "archibald archie archy",
    "francis frank frankie fran",
    "frances fanny fran frankie",
    "george georgie geordie",
    "peter pete",
    "andrew andy drew",
    "anthony antony tony",
    "michael mike mick mickey",
    "nicholas nick nicky",
    "patrick pat paddy",
    "philip phillip phil pip",
    "stephen steven steve stevie",
    "timothy tim timmy",
    "matthew matt mat",
    "nathaniel nathan nat",
    "isaac ike ikey",
    "jacob jake",
    "abraham abe",
    "alexander alex alec alick sandy",
    "ernest ernie",
    "lawrence laurence larry laurie",
    "leonard len lenny",
    "percival percy",
    "reginald reg reggie",
    "ronald ron ronnie",
    "donald don donnie",
    "gerald gerry jerry",
    "bernard bernie barney",
    "augustus gus gussie",
    "christopher chris kit",
    "theodore theo ted teddy",
    "elizabeth eliza liza lizzie lizzy beth bess bessie betsy betty bettie elsie libby",
    "margaret maggie meg peggy madge marge margie maisie greta",
    "mary polly molly mamie mae may",
    "catherine katherine kathleen kate katie kitty cathy kathy kay",
    "ann anne anna annie nan nancy",
    "helen ellen eleanor nell nellie nelly ellie",
    "sarah sally sadie",
    "susan susanna susannah sue susie sukey",
    "dorothy dorothea dot dolly dottie dora",
    "jane janet jenny jennie janey",
    "martha patty mattie",
    "harriet hattie hatty",
    "caroline carrie",
    "charlotte lottie lotty",
    "florence flo flossie florrie",
    "isabella isabel bella belle",
    "louisa louise lou",
    "penelope penny",
    "rebecca becky",
    "victoria vicky",
    "wilhelmina mina minnie",
    "henrietta etta hetty",
    "agnes aggie nessie",
    "christina christine chrissie tina",
    "jessica jess jessie",
    "virginia ginny",
};

const QHash<QString, QList<int>> &groupsByName()
{
    static const QHash<QString, QList<int>> table = [] {
        QHash<QString, QList<int>> byName;
        int group = 0;
        for (const char *line : kGroups) {
            for (const QString &name : QString::fromLatin1(line).split(u' ', Qt::SkipEmptyParts))
                byName[name].append(group);
            ++group;
        }
        return byName;
    }();
    return table;
}

} // namespace

bool areNameVariants(QStringView a, QStringView b)
{
    if (a == b)
        return false;
    const QHash<QString, QList<int>> &table = groupsByName();
    const auto groupsA = table.constFind(a.toString());
    const auto groupsB = table.constFind(b.toString());
    if (groupsA == table.constEnd() || groupsB == table.constEnd())
        return false;
    for (int group : *groupsA) {
        if (groupsB->contains(group))
            return true;
    }
    return false;
}

} // namespace clerk::match
