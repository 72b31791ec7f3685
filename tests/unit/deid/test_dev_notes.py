"""Development set: hand-written clinical notes in styles the synthetic generator does not produce.

Each identifier is marked inline as ``{TYPE|text}`` and parsed into ``SyntheticNote`` /
``PlantedSpan`` so ``meddx.deid.evaluate.score`` can score it. Everything left unmarked (drugs,
doses, lab values, eponyms, sentence-initial words, scales) must not be flagged.

Notes 1-35 (below) were written before any rule change and measured first; notes 36-63
(``dev_notes_later.txt``) were written in three batches after rule changes, each scored before the
rules were changed again (docs/deid-notes.md, "Hand-written notes", has the numbers). The rules were then
improved while looking at all of them, so the floors here say "no regression", not "recall on new notes": a separate
held-out hand-written set (``test_handwritten.py``) is scored by the lead and never used for tuning.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from meddx.deid.detect import detect
from meddx.deid.evaluate import parse_marked, score
from meddx.deid.spans import PHI_TYPES
from meddx.deid.synthetic import SyntheticNote

NOTES: list[str] = [
    # 1 admission, lower-case label value, relatives, city without state
    """ADMISSION H&P
pt name: {NAME|maria gonzalez}   MRN {MRN|00734120}   DOB {DATE|04/11/1951}
Admit date: {DATE|14 March 2022}
HPI: 70 yo F with HTN, T2DM on metformin 1000 mg BID and Parkinson disease on carbidopa-levodopa, brought in by
her son {NAME|Luis} after a fall at home. She lives in {LOCATION|Pasadena} with her husband {NAME|Ernesto}, who has
Alzheimer dementia. Denies LOC. Glasgow Coma Scale 15 on arrival.
Exam: BP 158/92, HR 88, SpO2 96% RA. Babinski sign absent bilaterally. Romberg negative.
Labs: Na 131, K 4.9, Cr 1.4, HbA1c 8.1%, INR 1.0.
Plan: admit to telemetry, PT/OT eval. Son's cell {PHONE|626 555 0187}.
Attending: {NAME|R. Castellanos}, MD""",
    # 2 progress note, Surname, Firstname header, initial + surname
    """PROGRESS NOTE   {DATE|03.04.2021}
{NAME|Whitfield, Karen}   Rm 4B-12
S: No acute events overnight. Tolerating clears. Pain 3/10 with oxycodone 5 mg q6h prn.
O: T 37.2, HR 76, BP 124/70. Incision c/d/i, Jackson-Pratt drain with 40 mL serosanguinous output.
A/P: POD 2 s/p Whipple procedure for pancreatic adenocarcinoma. Continue enoxaparin 40 mg daily. Advance diet.
Discussed with {NAME|K. Whitfield} and her sister {NAME|Joanne} at bedside; she will update the family.
{NAME|A. Mbeki}, PA-C for Dr. {NAME|Lindqvist}""",
    # 3 nursing note, all lower case
    """NURSING NOTE 0700-1900
pt {NAME|john o'neill} a&ox3, resting in bed. c/o mild nausea, zofran 4 mg iv given at 1010 with relief.
wife {NAME|ingrid} at bedside most of the day, asking about discharge plans. dtr {NAME|kirsten} called from
{LOCATION|oslo}, updated with pt permission. foley d/c'd at 1400, voided 350 ml at 1730.
fall risk: morse 55, bed alarm on. braden 17. skin intact, heels floated.
will continue to monitor. -- {NAME|dana}, rn""",
    # 4 discharge summary, nursing home, street address, ZIP
    """DISCHARGE SUMMARY
Patient: {NAME|Okafor, Amaka}        Admitted: {DATE|2 March 2023}       Discharged: {DATE|9 March 2023}
Discharging physician: {NAME|Helen Marchetti}, MD
Diagnoses: community-acquired pneumonia (J18.9); acute kidney injury, resolved.
Hospital course: Ms. {NAME|Okafor} presented from {LOCATION|Brookhaven Manor}, where she has lived since her
stroke, with fever and productive cough. Sputum Gram stain showed gram-positive diplococci; blood cultures
negative. Treated with ceftriaxone 1 g IV daily and azithromycin, then oral amoxicillin. Creatinine peaked at 2.1
and returned to 1.0 with IV fluids.
Disposition: back to {LOCATION|Brookhaven Manor}, {LOCATION|1200 Linden Road}, {LOCATION|Hamden}, CT {LOCATION|06514}.
Follow up with PCP Dr. {NAME|Osei} on {DATE|March 16}. Call the ward at {PHONE|(203) 555-0148} with questions.""",
    # 5 UK referral letter, postcode, UK phone numbers
    """{LOCATION|Ashgrove Medical Centre}
{LOCATION|14 Kingsley Road}, {LOCATION|Leeds} {LOCATION|LS6 2AB}
Tel {PHONE|+44 113 496 0321}

{DATE|7 June 2022}

Dear Dr {NAME|Farnsworth},

Re: Mr {NAME|Peter Hollis}, DOB {DATE|12.09.1947}, NHS number {HEALTH_PLAN|485 777 3456}

I would be grateful if you could see this 74-year-old retired joiner with a six-month history of progressive
dysphagia to solids and 6 kg weight loss. He has Barrett oesophagus under surveillance and atrial fibrillation on
apixaban 5 mg twice daily. He lives with his wife {NAME|Maureen} in {LOCATION|Headingley}. His daughter
{NAME|Claire} can be reached on {PHONE|07700 900461}.

Yours sincerely,

Dr {NAME|Anjali Ramaswamy}
GP Partner""",
    # 6 telehealth
    """TELEHEALTH VISIT (video)   Date of service: {DATE|Jan 3, 2024}
Patient located at home in {LOCATION|Flagstaff}, AZ; provider located at {LOCATION|Desert Vista Clinic}.
Identity verified with name and date of birth.
{NAME|Tomasz Wierzbicki} is a 58 yo man with COPD (GOLD 3) on tiotropium and budesonide-formoterol who reports
two weeks of increased sputum. No fever. Speaking full sentences on video, RR 18 by count.
His spouse {NAME|Halina} was present on camera and confirms adherence.
Plan: prednisone 40 mg x5 days, doxycycline 100 mg BID x5 days, pulmonary rehab referral.
Best callback: {PHONE|+1 928 555 0119}. Total time 25 minutes.
{NAME|Rebecca Tso}, DNP, FNP-C""",
    # 7 radiology
    """EXAM: CT HEAD WITHOUT CONTRAST
PATIENT: {NAME|HALVORSEN, ERIK}   MRN: {MRN|M-2294417}   ACC: {ID|CT23-0098812}
DATE: {DATE|2023-11-05}
CLINICAL HISTORY: {AGE|91} yo male, fall on warfarin, INR 3.4.
COMPARISON: MRI brain {DATE|08/17/2021}.
FINDINGS: No acute intracranial hemorrhage. Chronic small vessel ischemic change. Prominent Virchow-Robin spaces.
No midline shift. Mastoid air cells are clear.
IMPRESSION: No acute intracranial abnormality.
Findings discussed with Dr. {NAME|Nkemelu} in the ED at 14:32 by phone.
Electronically signed: {NAME|Yusuf Al-Rashid}, MD""",
    # 8 ED triage
    """ED TRIAGE  {DATE|5/17/23} 02:14
{AGE|93} yo F brought by EMS from {LOCATION|Sunny Acres Assisted Living}, found on floor by staff. Hx dementia, CHF,
CKD. GCS 14. Pt unable to give hx. Niece {NAME|Rosalind Achebe} is HCP, tel {PHONE|713.555.0102}.
Allergies: PCN (hives), sulfa. ESI 2.""",
    # 9 social work, widow of the late, street with unit, Medicaid with spaces
    """SOCIAL WORK ASSESSMENT
Met with pt and her daughter {NAME|Ana} and son-in-law {NAME|Marco Bellini} at bedside. Pt is the widow of the late
{NAME|Giuseppe Russo} and has lived alone in a second-floor walk-up at {LOCATION|88 Mulberry St, Apt 3} since 1974.
Income is Social Security; she has Medicare and Medicaid (ID {HEALTH_PLAN|CX 55218 Q}).
Daughter lives in {LOCATION|Hoboken} and works nights; she cannot provide 24-hour supervision.
Plan: referral to {LOCATION|Villa Marina Nursing Home} for long-term care; family agrees.
{NAME|Deborah Kline}, LCSW""",
    # 10 pharmacy consult
    """PHARMACY CONSULT - VANCOMYCIN DOSING
Pt: {NAME|Stavros Pappas}, 66 M, wt 92 kg, CrCl 48 mL/min (Cockcroft-Gault).
Vancomycin 1250 mg IV q12h, trough 14.2 on {DATE|4/22}. Estimated AUC 480. Continue current dose; next level
before the 4th dose. Avoid concurrent piperacillin-tazobactam given AKI risk.
Discussed with Dr {NAME|Ferreira-Lopes} (hospitalist).
-- {NAME|J. Thibodeaux}, PharmD, pager {PHONE|504-555-0133}""",
    # 11 labour and delivery, spelled-out ordinal date
    """L&D DELIVERY NOTE
G2P1 at 39+2 weeks, EDD {DATE|10/14/2023}. Bishop score 9 prior to AROM. Pitocin per protocol.
Delivered a viable female infant at 03:51 on the {DATE|7th of October}, Apgar 8 and 9. Birth weight 3410 g.
Father of baby {NAME|Kwame} present and cut the cord. Baby to be named {NAME|Abena}.
EBL 350 mL. Second-degree laceration repaired with 3-0 Vicryl.
Plan: routine postpartum care, lactation consult. Pediatrician: Dr. {NAME|Sorensen} at {LOCATION|Elmwood Pediatrics}.""",
    # 12 psychiatry consult, employer, relatives
    """PSYCHIATRY CONSULT
Reason for consult: suicidal ideation in the setting of alcohol use.
{NAME|Devon Marsh} is a 34-year-old man who lives in {LOCATION|Kalamazoo} with his girlfriend {NAME|Tasha} and
works as a stocker at {NAME|Meijer}. PHQ-9 22. CIWA 6. Columbia Suicide Severity Rating Scale: recent ideation
without plan. MSE: dysphoric, linear, no psychosis.
Collateral from his mother {NAME|Gwen Marsh} ({PHONE|269-555-0176}): no prior attempts.
Plan: voluntary admission, sertraline 50 mg daily, thiamine 100 mg daily, CIWA protocol.""",
    # 13 hospice admission, street without suffix, age > 89
    """HOSPICE ADMISSION VISIT - {DATE|Sept. 9, 2022}
Pt {NAME|Eleanor Vance-Whitaker}, {AGE|96}, end-stage heart failure, PPS 30%. Lives with her widowed sister
{NAME|Margaret} at {LOCATION|412 Birchwood}, {LOCATION|Duluth}.
Primary caregiver: grandson {NAME|Tyler}, cell {PHONE|218 555 0190}.
DNR/POLST on file. Morphine concentrate 5 mg SL q2h prn dyspnea; lorazepam 0.5 mg prn anxiety.
Chaplain visit requested. RN case manager: {NAME|Pat Lindgren}""",
    # 14 well-child visit
    """WELL CHILD VISIT - 4 YEARS
{NAME|Mateo Hernandez-Cruz} here with mom {NAME|Yesenia} and grandmother.
Growth: height 103 cm (55th %ile), weight 16.8 kg. Vision (Snellen 20/30 OU) and hearing passed.
Vaccines: DTaP #5, IPV #4, MMR #2, varicella #2 given. VIS provided in Spanish.
Attends {LOCATION|Little Sprouts Daycare} in {LOCATION|El Monte}. Next visit at 5 years.
Mom's number updated: {PHONE|(626)555-0131}.""",
    # 15 cardiology consult, eponym-heavy
    """CARDIOLOGY CONSULT
Requested by: Dr. {NAME|Chiara Benedetti}   Date: {DATE|02/28/2024}
68 yo man with palpitations. Holter monitor showed paroxysmal AF; Wolff-Parkinson-White pattern excluded.
Exam: no Austin Flint murmur, no Osler nodes or Janeway lesions, JVP 8 cm. Duke criteria not met.
TTE: EF 35%, moderate MR. CHA2DS2-VASc 3. Start apixaban 5 mg BID, metoprolol succinate 50 mg daily.
Social: retired machinist, lives with his partner {NAME|Glenn} in {LOCATION|Cuyahoga Falls}. Quit tobacco in 2010.""",
    # 16 orthopaedics, lower-case Surname, firstname
    """ORTHO FOLLOW-UP {DATE|12 Jan 2023}
{NAME|bakker, femke}  45F  s/p ORIF of a left Colles fracture.
Tinel and Phalen negative, Finkelstein negative. Wound healed, no erythema. XR: hardware intact.
Works as a dental hygienist at {NAME|Bright Smile Dental}; cleared for light duty.
Continue therapy at {LOCATION|Lakeshore Physical Therapy} 2x/week. Return in 6 weeks.
{NAME|Femke}'s work note faxed to {FAX|(414) 555-0177}.""",
    # 17 telephone encounter, Canadian phone
    """TELEPHONE ENCOUNTER {DATE|11/02/2023} 4:15 PM
Caller: {NAME|Louise Tremblay} (daughter) re: mother {NAME|Simone Tremblay}, DOB {DATE|6/30/1929}.
States mom has been more confused for two days and is not eating. No fever reported.
Callback {PHONE|+1 514 555 0162} (cell, {LOCATION|Montreal}).
Advised ED evaluation if worsening. Routed to Dr. {NAME|Haddad}.
-- {NAME|Kim}, MA""",
    # 18 operative report
    """OPERATIVE REPORT
Date of surgery: {DATE|21st November 2022}
Surgeon: {NAME|Olumide Adeyemi}, MD. Assistant: {NAME|S. Varga}, PA-C. Anesthesia: general, Dr. {NAME|Kaur}.
Procedure: laparoscopic cholecystectomy.
Findings: distended gallbladder, Hartmann pouch stone. Calot triangle dissected; critical view of safety obtained.
Specimen: gallbladder to pathology. EBL minimal. Counts correct x2. To PACU in stable condition.""",
    # 19 pathology
    """SURGICAL PATHOLOGY REPORT   Accession: {ID|S23-18842}
Patient: {NAME|Lindqvist, Bo}  DOB: {DATE|1950-02-17}  Collected: {DATE|09 Aug 2023}
Diagnosis: invasive ductal carcinoma, Nottingham grade 2 (Bloom-Richardson 3+2+2). ER positive (95%),
PR positive (40%), HER2 IHC 1+. Margins negative; closest 4 mm. Sentinel lymph nodes 0/2.
Pathologist: {NAME|Priya Natarajan}, MD""",
    # 20 portal message, first name only, informal
    """Portal message sent {DATE|Feb 1st}
Hi {NAME|Desmond}, your potassium came back a little low at 3.3. Please pick up potassium chloride 20 mEq at your
pharmacy and take one tablet daily for 5 days. We will recheck labs next week. Call us at {PHONE|555-0148} if you
have muscle cramps or palpitations.
- Nurse {NAME|Ruiz}""",
    # 21 ICU progress note, eponyms, husband first name
    """MICU PROGRESS NOTE  HD#4
{NAME|Sharma, Neha}  32F  septic shock from pyelonephritis, E. coli bacteremia.
Overnight: norepinephrine weaned to 0.04 mcg/kg/min. Swan-Ganz catheter removed. Foley in place.
Exam: RASS 0, CAM-ICU negative. No Kernig or Brudzinski sign. Murphy sign negative.
Labs: lactate 1.6, WBC 14.1, Cr 1.3. Cultures: pan-sensitive E. coli.
Plan: ceftriaxone 2 g daily, wean pressors, PT. Updated her husband {NAME|Raj} by phone at {PHONE|(732) 555-0159}.""",
    # 22 dermatology, French visitor: international phone and insurance number with spaces
    """DERMATOLOGY CONSULT
{NAME|Camille Lefebvre}, 41, visiting from {LOCATION|Lyon} for a conference, presents with a changing pigmented
lesion on the left calf. Dermoscopy: atypical network. Shave biopsy: superficial spreading melanoma, Breslow
depth 0.6 mm, Clark level III, no ulceration.
Plan: wide local excision with 1 cm margins; she prefers surgery at home.
French insurance (Securite sociale) no. {HEALTH_PLAN|2 84 05 75 123 456 78}. Mobile {PHONE|+33 6 12 34 56 78}.""",
    # 23 prior authorisation, several health-plan numbers
    """PRIOR AUTHORIZATION REQUEST
Patient: {NAME|Reginald Boateng}   DOB {DATE|March 3rd, 1962}
Insurance: BlueCross BlueShield PPO, member ID {HEALTH_PLAN|XYP 884 21 9034}, group {HEALTH_PLAN|00 2271}
Secondary insurance ID: {HEALTH_PLAN|W 2918 4471 03}
Requesting adalimumab 40 mg SC every 2 weeks for Crohn disease refractory to azathioprine; CDAI 310.
Submitted by {NAME|Tamara Jovanovic}, CMA; reference # {ID|PA-7781-2023}. Payer fax {FAX|1-800-555-0199}.""",
    # 24 nursing home progress note
    """LONG-TERM CARE PROGRESS NOTE - {LOCATION|Cedar Hollow Care Center}
Resident: {NAME|Agnes Whitlock}, age {AGE|97}, room 214
Stable. Eating 50% of meals; weight down 1.2 kg this month. Stage 2 sacral pressure injury healing with Mepilex.
Braden 14. MMSE 17/30.
Son {NAME|Robert} visits on Sundays; he lives in {LOCATION|Bangor}. POA is daughter-in-law {NAME|Denise Whitlock}.
Plan: nutrition consult, continue wound care.""",
    # 25 ED provider note, lower-case name as subject, cousin
    """ED PROVIDER NOTE
{NAME|jamal reed} is a 27yo man brought by ambulance after a motor vehicle collision near {LOCATION|Bridgeport}.
Restrained driver, airbag deployed. His cousin {NAME|Dre} was the passenger and went to {LOCATION|St. Vincent's}.
FAST negative. CT C-spine negative per NEXUS criteria. Tdap given.
Dispo: home with a friend. Pt's phone {PHONE|203 555 0163}.""",
    # 26 neurology clinic, eponyms, Surname, Firstname in text
    """NEUROLOGY CLINIC NOTE  {DATE|Jan 3}
Referred by Dr. {NAME|Bergstrom} for tremor. {NAME|Ng, Henry} reports a right-hand rest tremor for 1 year.
Exam: cogwheel rigidity on the right, hypomimia, no Hoffmann sign, Romberg negative, Dix-Hallpike negative.
Impression: probable Parkinson disease; no features of Lewy body dementia or Huntington disease.
Plan: DaTscan, start carbidopa-levodopa 25/100 TID. His wife {NAME|Mei Ling} will help with the diary.""",
    # 27 radiology, European date, mammography
    """BILATERAL SCREENING MAMMOGRAM   {DATE|14.03.2022}
Patient {NAME|Fatima Benali}   DOB {DATE|03.04.1971}
Comparison: {DATE|03.04.2021} and {DATE|2019-02-11}.
Scattered fibroglandular densities. No suspicious mass, calcification or architectural distortion.
BI-RADS 1. Recommend annual screening. Letter mailed to patient.""",
    # 28 discharge to home, address with suffix, spelled date
    """DISCHARGE INSTRUCTIONS
Name: {NAME|Walter P. Grissom}
Discharged {DATE|the 3rd of May} to home at {LOCATION|1520 Old Mill Rd}, {LOCATION|Frederick}, MD {LOCATION|21702}.
Home health from {LOCATION|Frederick Visiting Nurses} will start tomorrow.
Medications: furosemide 40 mg daily, spironolactone 25 mg daily, daily weights. Call if weight up 2 lb in a day.
Follow up at {LOCATION|Monocacy Valley Heart Clinic} in 1 week.""",
    # 29 psychotherapy telehealth, e-mail, nickname
    """TELEPSYCHIATRY FOLLOW-UP
Patient {NAME|Theo Nakamura-Price} joined from his parents' house in {LOCATION|Boulder}.
Mood improved on bupropion XL 300 mg; GAD-7 9, PHQ-9 7. Sleeping 7 hours.
Sent worksheet to {EMAIL|theo.np1994@protonmail.com}. His sister {NAME|Juniper} will join the next family session.
Next appointment {DATE|April 7th} at 10:00.""",
    # 30 occupational therapy, lower case relative names
    """OT TREATMENT NOTE
pt seen with wife {NAME|ingrid} for ADL training. min assist for LB dressing with reacher and sock aid.
tub transfer bench recommended; wife will purchase. pt and son {NAME|erik} educated on hip precautions.
Will continue 5x/week.""",
    # 31 work letter, date range
    """To whom it may concern:
{NAME|Samuel Adeyemi-Clarke} was under my care at {LOCATION|Mercy Ridge Hospital} from {DATE|3 May} to
{DATE|7 May 2023} and may return to work on {DATE|May 15, 2023} without restrictions.
Sincerely,
{NAME|Ruth Abernathy}, MD
Department of Medicine, {LOCATION|Mercy Ridge Hospital}, {LOCATION|300 Harbor Blvd}, {LOCATION|Norfolk}, VA""",
    # 32 genetic counselling, pedigree relatives
    """GENETIC COUNSELING NOTE
Proband: {NAME|Lucia Moreno}, 38, referred for family history of breast and ovarian cancer.
Maternal aunt {NAME|Beatriz} was diagnosed with ovarian cancer at 58; maternal grandmother {NAME|Pilar} had breast
cancer at 45. Her half-brother {NAME|Luca} is unaffected.
Ashkenazi Jewish ancestry: denied. Panel: BRCA1, BRCA2, PALB2, Lynch syndrome genes (MLH1, MSH2, MSH6, PMS2).
Results will be sent to Dr. {NAME|Oyelaran}.""",
    # 33 night-shift nursing note, lower case, relation words followed by ordinary words
    """0300 pt awake and anxious, wife present at bedside and updated on plan of care. son called x2, updated by
charge rn. pt states pain 6/10, hydromorphone 0.5 mg iv given per prn order with effect.
0600 pt resting comfortably, wife went home to sleep. daughter expected this am; pt's sister {NAME|bev} will bring
his cpap from home. husband of roommate asked about visiting hours, redirected to front desk.
family hx per pt: mother had breast ca, father died of mi at 62, brother with t2dm.""",
    # 34 H&P social and family history, capitalised ordinary words
    """FAMILY HISTORY: Mother with breast cancer at 52, alive. Father died of MI at 60. Brother with type 2 diabetes.
Sister healthy. No family history of Lynch syndrome or sudden cardiac death.
SOCIAL HISTORY: Married, lives with wife and two children in {LOCATION|Ypsilanti}. Works as an electrician.
Former smoker, 20 pack-years, quit in 2015. Drinks 2 beers on weekends. No illicit drugs. Independent in ADLs.
Wife {NAME|Sandra} is his emergency contact: {PHONE|734-555-0108}.
Reviewed with the patient. Hope to discharge tomorrow if Hgb stable. Will follow up cultures.""",
    # 35 ED note, capitalised clinical vocabulary and eponymous signs, name without title
    """ED NOTE  {DATE|Tuesday, 8/1/2023}
Chief complaint: RLQ pain. {NAME|Priscilla Oduya} is a 19 yo woman with 1 day of periumbilical pain migrating to
the RLQ. Rovsing sign positive, psoas sign positive, McBurney point tenderness. Alvarado score 8.
Beta-hCG negative. WBC 15.3. CT A/P: acute appendicitis without perforation.
Surgery consulted (Dr. {NAME|Hightower}); cefoxitin given. Mother {NAME|Grace Oduya} at bedside.""",
]

# Measured on the 63 notes after the rule changes (docs/deid-notes.md, "Hand-written notes"): recall overall .982
# (372/379), NAME .994,
# LOCATION .937, DATE .984, PHONE 1.000, HEALTH_PLAN 1.000; precision 1.000 (371/371). Before: .726 overall,
# NAME .688, LOCATION .620, DATE .921, PHONE .821, HEALTH_PLAN .500, precision .996. Floors sit just below.
RECALL_FLOOR = {"overall": 0.97, "NAME": 0.98, "LOCATION": 0.92, "DATE": 0.97, "PHONE": 0.96, "HEALTH_PLAN": 0.92}
PRECISION_FLOOR = 0.98


def parse(index: int, marked: str) -> SyntheticNote:
    """``{TYPE|text}`` marks -> plain text and planted spans."""
    return parse_marked(marked, f"dev-{index:02d}")


def later_notes() -> list[str]:
    """Notes 36-63 from ``dev_notes_later.txt`` (a note starts after a ``=== `` line)."""
    text = (Path(__file__).parent / "dev_notes_later.txt").read_text(encoding="utf-8")
    blocks = re.split(r"(?m)^=== .*\n", text)[1:]
    return [block.strip("\n") for block in blocks]


def dev_notes() -> list[SyntheticNote]:
    return [parse(i + 1, note) for i, note in enumerate(NOTES + later_notes())]


@pytest.fixture(scope="module")
def scored() -> dict:
    notes = dev_notes()
    return score(notes, [detect(n.text) for n in notes])


def test_markup_is_well_formed() -> None:
    notes = dev_notes()
    assert len(notes) == 63
    for note in notes:
        assert "{" not in note.text and "}" not in note.text and "|" not in note.text, note.id
        assert note.spans and all(s.type in PHI_TYPES for s in note.spans), note.id
        assert all(note.text[s.start:s.end].strip() == note.text[s.start:s.end] for s in note.spans), note.id


@pytest.mark.parametrize("kind", sorted(RECALL_FLOOR))
def test_dev_recall(scored, kind: str) -> None:
    stats = scored["overall"] if kind == "overall" else scored["per_type"][kind]
    assert stats["recall"] >= RECALL_FLOOR[kind], stats


def test_dev_precision(scored) -> None:
    assert scored["overall"]["precision"] >= PRECISION_FLOOR, scored["overall"]
