"""Words that name a kind of thing, never an unlisted person (de-id round 23).

Round 22's heading rule took two unknown capitalised words after a heading or a letter's "I saw" as a name; a
probe of title-case products there flagged 24 of 148 ("Depo Provera", "Gamma Knife", "Tai Chi", "Accu Chek"), and
round 23's rebuilt probe 49 of 171 after ``Clinic letter --``. A product written in two capitalised words is a
maker's or a made-up word and an English word for what the thing is or does ("Kinesio Tape", "Cyber Knife",
"Apple Watch", "Neti Pot", "Omron Connect", "Chair Yoga"), or a combining form with a word ("Accu Chek", "Hydro
Mousse", "Medi Derma", "Depo Provera"). No offline dictionary is installed, so here are, written by hand from the
kinds of products, devices, apps, activities and services a note names (not from the probe's list):

- ``KIND_WORDS``: English nouns, verbs and adjectives of such kinds (what the thing is, what it does, how it is
  sold); a word of the name lists is never one ("Hope", "Grace", "Fox" stay names);
- ``COMBINING_FORMS``: combining forms written alone as a brand's first word ("Accu", "Aero", "Hydro", "Medi").
"""

from __future__ import annotations

from meddx.deid import lexicon

KIND_WORDS = frozenset("""
Knife Blade Beam Ray Rays Laser Light Lamp Scope Probe Needle Pen Pens Stick Strip Strips Lancet Meter Monitor
Sensor Reader Link Connect Sync Cloud App Apps Online Web Net Phone Watch Band Ring Clip Tag Alarm Pendant Button
Mat Mats Pad Pads Pillow Cushion Wedge Mattress Bed Chair Stool Seat Frame Rail Rails Stand Stedy Hoist Sling
Lift Mover Turner Slide Sheet Board Trolley Walker Stick Crutch Splint Brace Boot Sock Socks Stocking Sleeve Glove
Tape Plaster Patch Bandage Wrap Grip Gauze Foam Mousse Wash Rinse Soap Scrub Wipe Wipes Rub Balm Heat Cool Freeze
Ice Mist Spray Drops Paste Powder Tabs Chews Melts Mix Shake Drink Juice Water Milk Bar Bites Pot Jar Tub Cup Bottle
Spoon Bowl Plate Mug Chamber Mask Valve Tube Pump Coil Implant Cap Seal Bag Pouch Pack Kit Box Case Set Chek Check
Care Safe Sure Easy Clear Clean Fresh Pure Fit Well Smart Plus Extra Max Mini Lite Gold Silver Blue Green Red
Yoga Pilates Chi Gong Tai Aerobics Zumba Dance Swim Run Walk Walking Cycle Spin Row Gym Club Class Classes Circuit
Remedy Tonic Balm Elixir Thicken Thick Feed Feeds Formula Boost Energy Power Vital Relief Ease Calm Sleep Rest
Potato Owl Lark Buddy Pal Mate Friend Lady Man Men Kids Baby Junior Senior Home Life Living Line Lines Start
Charge Adapt Assist Aid Aids Guard Shield Flex Move Motion Step Steps Stride Track Trac Tracker Coach Toolkit
Derma Gel Cream Oil Soft Sense Touch Comfort Support Hold Grip Loc Lock Lok Fix
Mouthwash Spacer Spacers Compress Dressing Dressings Exercises Exercise Grips Flowers Cramps Tablets Capsules Lozenges
Inhaler Haler Nebuliser Diffuser Humidifier Concentrator Cylinder Bottles Brush Comb Shampoo Lotion Wand Roller
""".split())

COMBINING_FORMS = frozenset("""
Accu Aero Aqua Bio Cardio Cyber Depo Derma Dermo Eco Gluco Hydro Medi Micro Multi Nano Neuro Nutri Omni Opti Ortho
Pharma Physio Sono Tele Thermo Uni Vapo Vita Hemo Haemo Pulmo Oxy Dento Cerebro Endo Lipo Myo Osteo Tubi
""".split())


def kind_word(word: str) -> bool:
    """``word`` names a kind of thing or is a brand's combining form, and no listed name."""
    if word in lexicon.first_names() or word in lexicon.surnames():
        return False
    return word in KIND_WORDS or word in COMBINING_FORMS
