#!/usr/bin/env python3
"""Writes the made-up council letters the classify tests train and evaluate on.

Every letter is invented: a neutral opening, two or three sentences built from phrases
typical of one category (with a few words shared between categories so the task is not
trivial), and a neutral closing. No real person, address or text is used.

    python3 tests/data/classify/make_letters.py   # rewrites train.csv and test.csv here
"""
import csv
import pathlib
import random

HERE = pathlib.Path(__file__).resolve().parent
SEED = 20240611

OPENINGS = [
    "Dear Sir or Madam,", "To whom it may concern,", "Dear Council,", "Hello,",
    "I am writing to the council about the following.", "Good morning,",
]
CLOSINGS = [
    "Thank you for your help.", "I look forward to hearing from you.", "Yours faithfully, A. Resident",
    "Please reply by letter.", "Kind regards", "Many thanks for your time.",
]
SHARED = [
    "I live at {n} Elm Road.", "My reference is {n}.", "I have written before about this.",
    "Please can someone call me on 01632 960{n}.", "This has been going on for {n} weeks.",
]
CATEGORIES = {
    "blue_badge": [
        "I would like to apply for a blue badge for my mother.",
        "My disabled parking badge expires next month and I need to renew it.",
        "Can I use my blue badge in the council car park?",
        "My husband has limited mobility and cannot walk far from the car.",
        "The badge was stolen from my car and I need a replacement.",
        "Please send me the form for a parking permit for disabled drivers.",
        "The assessment for my badge application has not happened yet.",
    ],
    "school_admissions": [
        "We have moved into the area and need a school place for our son.",
        "I want to appeal the decision on my daughter's secondary school place.",
        "Our application for a reception place was not received.",
        "Is there a waiting list for the primary school on the hill?",
        "My child has been offered a place at a school too far from home.",
        "We would like an in-year transfer to a different school.",
        "The admissions team has not answered about our school preferences.",
    ],
    "adult_social_care": [
        "My father needs help with washing and dressing at home.",
        "I am worried about my elderly neighbour who lives alone and is not eating.",
        "Please assess my mother for a care home placement.",
        "The carers who visit my aunt have stopped coming in the mornings.",
        "I care for my wife who has dementia and I need respite support.",
        "Can the council arrange a care needs assessment for my brother?",
        "My mum fell at home and now needs daily support from carers.",
    ],
    "highways": [
        "There is a deep pothole in the road outside my house.",
        "The street light on the corner has been out for a month.",
        "The pavement is cracked and an old man tripped on a loose slab.",
        "A drain on the road is blocked and floods the junction when it rains.",
        "Overgrown hedges are blocking the footpath by the school.",
        "The road markings at the crossing have worn away.",
        "Cars swerve to avoid the broken surface of the road near the bridge.",
    ],
    "complaint": [
        "I wish to make a formal complaint about how I was treated.",
        "Nobody from the council has replied to my emails and I am very unhappy.",
        "The officer I spoke to was rude and refused to give his name.",
        "I am dissatisfied with the service and want my complaint escalated.",
        "This is my second complaint and I expect an apology.",
        "I was promised a call back three times and nobody called.",
        "I want to complain about the delay in dealing with my case.",
    ],
}


def letter(rng, category):
    n = rng.randint(1, 99)
    parts = [rng.choice(OPENINGS)]
    parts += rng.sample(CATEGORIES[category], rng.choice([2, 2, 3]))
    if rng.random() < 0.6:
        parts.append(rng.choice(SHARED).format(n=n))
    # Now and then a sentence of another category: real post is not tidy.
    if rng.random() < 0.15:
        other = rng.choice([c for c in CATEGORIES if c != category])
        parts.append(rng.choice(CATEGORIES[other]))
    parts.append(rng.choice(CLOSINGS))
    return " ".join(parts)


def write(path, rows):
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["category", "text"])
        writer.writerows(rows)


def main():
    rng = random.Random(SEED)
    train, test = [], []
    for category in sorted(CATEGORIES):
        for _ in range(30):
            train.append((category, letter(rng, category)))
        for _ in range(10):
            test.append((category, letter(rng, category)))
    write(HERE / "train.csv", train)
    write(HERE / "test.csv", test)


if __name__ == "__main__":
    main()
