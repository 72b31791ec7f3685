"""Note templates and filler sentences for the synthetic generator (``meddx.deid.synthetic``).

A ``{key}`` in a template is filled by ``_Filler.f_key``; PHI fillers record planted spans.
CONFOUNDERS are sentences with numbers, codes and eponyms that must NOT be flagged.
"""

from __future__ import annotations

CONFOUNDERS = [
    "BP 120/80, HR 72, RR 16, Temp 98.6 F, SpO2 97% on room air.", "BP 142/88, HR 91, SpO2 94% on 2L NC.",
    "Metoprolol 25 mg PO BID, lisinopril 10 mg daily, atorvastatin 40 mg qhs.", "Pain 7/10, improved to 3/10 after 1 tab.",
    "Motor strength 5/5 in all extremities; 2/6 systolic murmur at the apex.", "A1c 7.2%, creatinine 1.1 mg/dL, WBC 11.2, Hgb 9.8.",
    "Platelets 245, INR 2.3, sodium 138, potassium 4.2, troponin < 0.01.", "History of Parkinson disease, on carbidopa-levodopa.",
    "Remote Hodgkin lymphoma treated with ABVD in 2009.", "Graves disease s/p radioactive iodine in 2015.",
    "Crohn's disease, last flare in 2018.", "No signs of Cushing syndrome. Murphy sign negative.",
    "Foley catheter removed; Glasgow Coma Scale 15.", "Family history of Alzheimer dementia and Wilson disease.",
    "Bell's palsy in 2012, resolved.", "Barrett esophagus on surveillance EGD every 3 years.",
    "Diagnoses: E11.9, I10, J18.9, N18.3, Z79.4.", "ICD-10 C81.90; CPT 99223.", "She quit smoking in 2016.",
    "EF 55% on echo; LDL 92; HbA1c 6.8%.", "Gleason 3+4=7 adenocarcinoma, PSA 6.1.", "MRI L-spine: L4-L5 disc bulge.",
    "COVID-19 PCR negative; CD4 count 350.", "Weight 82 kg, BMI 27.4, dose 0.5 mg/kg.", "Follow up in 2 weeks.",
    "Her mother had a stroke at age 70.", "The patient is 45 years old per the chart of his brother.",
    "Apgar score 8 and 9 at birth.", "Allen test normal before the radial line.", "Down syndrome was excluded.",
    "Keflex was started for cellulitis.", "Lasix 40 mg IV was given.", "Eliquis held for the procedure.",
    "Temp 99 F overnight.", "Room 412, bed 2.", "NYHA class III, CHA2DS2-VASc 4.", "Hep B vaccine series in 2010.",
    "Vitamin D 25-OH level 18 ng/mL; B12 low.", "Stage IIIA NSCLC, PD-L1 60%.", "Zofran 4 mg q6h prn nausea.",
]
COMPLAINTS = ["chest pain", "shortness of breath", "fever and cough", "abdominal pain", "syncope", "a fall at home",
              "worsening leg swelling", "confusion", "palpitations", "hematuria"]
HISTORY = ["hypertension and type 2 diabetes", "COPD", "atrial fibrillation on apixaban", "CKD stage 3",
           "coronary artery disease", "heart failure with reduced ejection fraction", "hypothyroidism"]
RELATIONS = {"F": ["daughter", "son", "husband", "sister", "niece"], "M": ["daughter", "son", "wife", "brother", "nephew"]}

TEMPLATES: dict[str, list[str]] = {
    "admission": [
        "ADMISSION HISTORY AND PHYSICAL\n{facility}\nPatient: {pt_full}    MRN: {mrn}    DOB: {dob}\n",
        "Date of admission: {date}\nAttending: Dr. {doc}\nPCP: Dr. {doc}\n\n",
        "CHIEF COMPLAINT: {complaint}\n\nHPI: {title_last} is a {age} {sexword} with {history} who presents with "
        "{complaint} since {date}. {pronoun} was seen in clinic by Dr. {doc_last} on {date}. {confounder}\n",
        "{pt_first} reports the symptoms started while visiting {city_ctx}. {pronoun} is {origin}. {confounder}\n",
        "SOCIAL HISTORY: Lives at {address} with {relative}. {employer}{confounder}\n",
        "EXAM: {confounder} {confounder}\nLABS: {confounder}\n",
        "IDENTIFIERS: {ids}\nContact: {phone}. Emergency contact: {relative_label}.\n",
        "PLAN: Admit to medicine. Discussed with {relative}. {confounder}\n",
        "Electronically signed by: {doc_sig} on {date}\n",
    ],
    "discharge": [
        "DISCHARGE SUMMARY\nName: {pt_full}\nMedical Record Number: {mrn}\nAdmitted: {date}   Discharged: {date}\n",
        "Attending physician: Dr. {doc}\nDate of birth: {dob} (age {age_short})\n\n",
        "HOSPITAL COURSE: {title_last} was admitted from {facility} with {complaint}. {confounder} {confounder}\n",
        "On {date} {pronoun_lower} underwent a procedure by Dr. {doc}. {pt_first} tolerated it well.\n",
        "DISPOSITION: Discharged home to {address_line}. Home phone {phone}; fax records to {fax}.\n",
        "FOLLOW-UP: Dr. {doc_last} on {md_date}. {confounder}\nOther identifiers: {ids}\n",
        "cc: Dr. {doc}\n",
    ],
    "radiology": [
        "RADIOLOGY REPORT\n{facility}\nPatient: {pt_full}  MRN {mrn}  Age: {age_short}\n",
        "Exam date: {date}   {ids}\nReferring physician: {doc_full}\n\n",
        "CLINICAL INDICATION: {complaint}. {confounder}\nCOMPARISON: Prior study from {date}.\n",
        "FINDINGS: {confounder} No acute abnormality.\nIMPRESSION: Stable. Results sent to {email}.\n",
        "Images available at {url} (viewer host {ip}).\nRead by: {doc_sig}\n",
    ],
    "progress": [
        "PROGRESS NOTE - {date}\n{pt_full}, MRN: {mrn}\n\n",
        "S: {pt_first} states {pronoun_lower} feels better today. {relative_cap} at bedside. {confounder}\n",
        "O: {confounder} {confounder}\n",
        "A/P: {age} {sexword} with {history}. {confounder} Call back number {phone}.\n",
        "Spoke with {relative_first} by phone. Next visit scheduled for {md_date}.\n",
        "Device/identifiers: {ids}\nSeen by {doc_full}, {cred}\n",
    ],
    "referral": [
        "{facility}\n{clinic_address}\nTel {phone}   Fax: {fax}\n\n{date}\n\n",
        "Dear Dr. {doc_last},\n\nRE: {pt_full}, DOB {dob}\n\n",
        "Thank you for seeing {title_last}, a {age} {sexword} from {county}, for {complaint}. {confounder} "
        "{pronoun} lives with {relative} in {city_ctx}. {confounder}\n",
        "{pt_first}'s insurance: {ids}\nPatient e-mail: {email}; SSN on file {ssn}.\n\n",
        "Sincerely,\n\n{doc_sig}\n{cred} Internal Medicine\n",
    ],
}
