#!/usr/bin/env python3
"""Makes the inbound-post example: made-up letters to a council, as training text
(train.csv: text,category) and as "scanned" post (post/: PNG, G4 TIFF, image-only
PDF; one upside down, one skewed, one with a blank duplex back).

Everything here is invented: names, addresses, NHS numbers (with valid check digits),
references. Run from anywhere; needs python3-pil. The output is committed, so the
example and its tests do not depend on this script having been run.

    /usr/bin/python3 examples/inbound-post/make_examples.py
"""
import csv
import pathlib
import random

from PIL import Image, ImageDraw, ImageFont

HERE = pathlib.Path(__file__).resolve().parent
RNG = random.Random(20261123)

FORENAMES = ["Margaret", "David", "Priya", "Tom", "Ann", "Joseph", "Aisha", "Kevin", "Helen", "Mohammed",
             "Sarah", "Graham", "Linda", "Oluwaseun", "Patricia", "Wei", "Colin", "Bethany", "Imran", "Jean"]
SURNAMES = ["Ellis", "Okafor", "Shah", "Hargreaves", "Whitley", "Brennan", "Khan", "Foster", "Lomax", "Ahmed",
            "Pickersgill", "Nowak", "Atkinson", "Adeyemi", "Walsh", "Chen", "Sutcliffe", "Rhodes", "Hussain", "Marsden"]
STREETS = ["Harehills Lane", "Otley Road", "Tong Road", "Kirkstall Road", "Roundhay Road", "Dewsbury Road",
           "Street Lane", "Town Street", "Chapel Hill", "Moor View", "Beckett Street", "Cardigan Road"]
POSTCODES = ["LS8 3QN", "LS6 2QN", "LS12 4LH", "LS5 3AB", "LS7 3JB", "LS11 5DR", "LS17 6DN", "LS13 1EP",
             "LS16 5NE", "LS15 8RP", "LS9 7TF", "LS4 2PR"]


def nhs_number():
    while True:
        digits = [RNG.randint(0, 9) for _ in range(9)]
        remainder = sum(d * w for d, w in zip(digits, range(10, 1, -1))) % 11
        check = 11 - remainder
        if check == 11:
            check = 0
        if check != 10:
            n = "".join(map(str, digits + [check]))
            return f"{n[:3]} {n[3:6]} {n[6:]}"


def date_of_birth():
    return f"{RNG.randint(1, 28):02d}/{RNG.randint(1, 12):02d}/{RNG.randint(1935, 2015)}"


def person():
    return f"{RNG.choice(FORENAMES)} {RNG.choice(SURNAMES)}"


# For each category: openings, bodies and asks, combined at random. Phrases overlap on
# purpose (a complaint about a blue badge decision, a care assessment that mentions money)
# so the classifier has to weigh the whole letter.
CATEGORIES = {
    "blue_badge": [
        ["I am writing to apply for a Blue Badge for my {rel}.", "I would like to renew my Blue Badge, which expires next month.",
         "Please find enclosed my application for a disabled parking permit.", "My Blue Badge was stolen from my car last week."],
        ["{Rel} has limited mobility and cannot walk more than a few metres without help.",
         "I receive the higher rate of the mobility component of Personal Independence Payment.",
         "I enclose a recent photograph and a copy of my award letter as proof of eligibility.",
         "I need to park close to the hospital entrance for my weekly treatment.",
         "The crime reference from the police is included below."],
        ["Please let me know if you need any further evidence for the Blue Badge.", "Could you tell me how long the badge application will take?",
         "Please send a replacement badge as soon as possible."],
    ],
    "school_admissions": [
        ["I am writing about a school place for my {child} for the coming September.", "We have moved into the area and need a primary school place.",
         "I wish to appeal against the decision not to offer my {child} a place at our preferred school.",
         "Please accept this late application for a secondary school place."],
        ["Our preferred schools are Allerton Grange and Roundhay School.", "My {child} currently attends Bankside Primary in year 3.",
         "Her older brother already attends the school, so we believe the sibling criterion applies.",
         "We live within the catchment area and the walk to the nearest offered school is over three miles.",
         "My {child} has an education, health and care plan that names the school."],
        ["Please confirm the admission arrangements and the in-year transfer process.", "I would be grateful for a decision on the school place before the start of term.",
         "Please tell me how to lodge an admission appeal."],
    ],
    "adult_social_care": [
        ["I am writing to ask for a care needs assessment for my {rel}.", "I am concerned about my neighbour, who is struggling to cope at home.",
         "My {rel} was discharged from hospital on Friday and needs support at home.",
         "I would like to refer my {rel} to adult social care."],
        ["Since a fall in the spring {they} cannot manage the stairs or wash without help.", "{They} lives alone and is becoming forgetful, and recently left the gas on.",
         "The carers who visit twice a day are not enough and I am worried about {their} safety.",
         "{They} has dementia and I am the main carer, but I am exhausted.", "A home care package or a place in respite care would help."],
        ["Please arrange for a social worker to visit.", "Could someone contact me about a carer's assessment as well?",
         "Please treat this referral as urgent."],
    ],
    "financial_assessment": [
        ["I enclose the completed financial assessment form for my {rel}'s care charges.", "I am writing about the charge for my {rel}'s home care.",
         "Please reassess my contribution towards the cost of my care.", "I have received an invoice for residential care that I believe is wrong."],
        ["I attach bank statements for the last three months and details of savings and pension income.",
         "{Their} only income is the state pension and Pension Credit, and {they} has savings below the threshold.",
         "The weekly contribution you have calculated does not take account of disability related expenditure.",
         "{They} owns a property jointly with {their} late husband's estate.", "I hold lasting power of attorney for {their} property and financial affairs."],
        ["Please confirm the revised weekly charge.", "Could you send a breakdown of how the contribution was worked out?",
         "Please contact me before any further invoices are issued."],
    ],
    "complaint": [
        ["I wish to make a formal complaint about the way I have been treated.", "I am writing to complain about the poor service I received from your staff.",
         "This is a stage two complaint, as I am not satisfied with your first response.", "I am very unhappy with how my enquiry was handled."],
        ["I have phoned four times and nobody has called me back as promised.", "The officer I spoke to was rude and dismissive.",
         "I was told my case would be dealt with within ten working days, but it has been two months.",
         "Your letter contained personal information about another resident.", "The decision was made without anyone looking at the evidence I sent."],
        ["I expect a full written response and an apology.", "If this is not resolved I will take my complaint to the Ombudsman.",
         "Please tell me who is responsible for the complaint and when I will hear back."],
    ],
    "highways": [
        ["I am writing to report a dangerous pothole on {street}.", "I want to report a broken street light outside my house on {street}.",
         "The pavement on {street} is badly damaged.", "I wish to claim for damage to my car caused by a pothole."],
        ["The hole is about a foot wide and deep enough to damage a tyre.", "The light has been out for three weeks and the road is very dark at night.",
         "Several paving slabs are raised and an elderly neighbour tripped last week.",
         "The drain at the junction is blocked and the road floods whenever it rains.", "My front tyre and wheel were damaged and I enclose the garage invoice."],
        ["Please inspect and repair the road as soon as possible.", "Please arrange for the street light to be fixed.",
         "Please let me know how to make a claim for the repair costs."],
    ],
}
RELATIONS = [("mother", "she", "her"), ("father", "he", "his"), ("husband", "he", "his"), ("wife", "she", "her"),
             ("aunt", "she", "her"), ("grandfather", "he", "his")]
CHILDREN = ["son", "daughter"]


def letter_body(category):
    openings, bodies, asks = CATEGORIES[category]
    rel, they, their = RNG.choice(RELATIONS)
    fill = {"rel": rel, "Rel": f"My {rel}", "child": RNG.choice(CHILDREN), "street": RNG.choice(STREETS),
            "they": they, "They": they.capitalize(), "their": their, "Their": their.capitalize()}
    parts = [RNG.choice(openings)] + RNG.sample(bodies, 2) + [RNG.choice(asks)]
    return " ".join(p.format(**fill) for p in parts)


def letter(category):
    sender = person()
    lines = [sender, f"{RNG.randint(1, 180)} {RNG.choice(STREETS)}", "Leeds", RNG.choice(POSTCODES), "",
             f"{RNG.randint(1, 28)} {RNG.choice(['January', 'March', 'June', 'September', 'November'])} 2026", "",
             "Dear Sir or Madam,", ""]
    if category in ("adult_social_care", "financial_assessment", "blue_badge"):
        lines += [f"Name: {person()}", f"Date of birth: {date_of_birth()}", f"NHS number: {nhs_number()}", ""]
    if category in ("complaint", "highways", "school_admissions"):
        lines += [f"Your reference: {RNG.choice(['CR', 'HW', 'SA'])}-{RNG.randint(100000, 999999)}", ""]
    lines += [letter_body(category), "", "Yours faithfully,", "", sender]
    return lines


def wrap(text, width):
    words, line, out = text.split(), "", []
    for word in words:
        if len(line) + len(word) + 1 > width:
            out.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    if line:
        out.append(line)
    return out


def render(lines, dpi=200):
    width, height = int(8.27 * dpi), int(11.69 * dpi)
    page = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(page)
    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf", int(11 * dpi / 72))
    y = int(1.0 * dpi)
    for raw in lines:
        for line in (wrap(raw, 72) if raw else [""]):
            draw.text((int(0.9 * dpi), y), line, font=font, fill=0)
            y += int(16 * dpi / 72)
    return page


def main():
    with open(HERE / "train.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["text", "category"])
        for category in CATEGORIES:
            for _ in range(40):
                writer.writerow(["\n".join(letter(category)), category])

    post = HERE / "post"
    post.mkdir(exist_ok=True)
    for old in post.iterdir():
        old.unlink()
    formats = ["png", "tif", "pdf"]
    index = 0
    for category in CATEGORIES:
        for copy in range(2):
            index += 1
            page = render(letter(category))
            fmt = formats[index % 3]
            name = post / f"letter-{index:02d}.{fmt}"
            if index == 4:
                page = page.rotate(180)                        # scanned upside down
            if index == 7:
                page = page.rotate(-2.5, fillcolor=255, expand=False)  # fed in crooked
            if fmt == "tif":
                pages = [page.convert("1")]
                if index == 10:
                    pages.append(Image.new("1", page.size, 1))  # blank duplex back
                pages[0].save(name, compression="group4", save_all=True, append_images=pages[1:], dpi=(200, 200))
            elif fmt == "pdf":
                page.convert("1").save(name, resolution=200)
            else:
                page.convert("1").save(name, optimize=True, dpi=(200, 200))
    print(f"wrote {HERE / 'train.csv'} and {index} letters in {post}")


if __name__ == "__main__":
    main()
