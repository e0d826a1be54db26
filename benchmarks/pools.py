"""The real codes and values synthetic cases are drawn from (benchmarks/generate.py).

HPO terms by the role they play around the dermatomyositis phenotypes (their labels are read from
the pinned release when the generator starts, so a stale term stops it), LOINC-coded labs with UCUM
units and reference ranges, antibodies, treatments and the words of the synthetic timeline.
"""

from __future__ import annotations

# HPO pools, by the role a term plays. Labels are read from the pinned release at start-up.
WEAKNESS = ("HP:0003701", "HP:0008997", "HP:0008994", "HP:0003391", "HP:0009073")
TYPICAL_RASH = ("HP:0040324", "HP:0030845", "HP:0025508", "HP:0430033")
ENZYME_FINDINGS = (
    "HP:0003236",
    "HP:0008180",
    "HP:0030234",
    "HP:0031964",
    "HP:0031956",
    "HP:0012544",
    "HP:0025435",
)
MYOPATHIC_EMG = "HP:0003458"
BIOPSY_FINDINGS = ("HP:0003713", "HP:0100296", "HP:0009071")
OTHER_SKIN = (
    "HP:0025535",
    "HP:0025536",
    "HP:0100539",
    "HP:0033425",
    "HP:0010783",
    "HP:0001041",
    "HP:0000992",
    "HP:0001029",
    "HP:6001013",
    "HP:0025520",
    "HP:0000989",
    "HP:0200042",
)
SYSTEMIC = (
    "HP:0002015",
    "HP:0002094",
    "HP:0003326",
    "HP:0001945",
    "HP:0001824",
    "HP:0012378",
    "HP:0002829",
    "HP:0000467",
    "HP:0003722",
    "HP:0030880",
    "HP:0006515",
    "HP:0002206",
    "HP:0001618",
    "HP:0001369",
    "HP:0001649",
)
EARLY_RASH = ("HP:0040186", "HP:0010783", "HP:0001041", "HP:0000992")
PRESENTING = ("HP:0030839", "HP:0012378", "HP:0001824", "HP:0001945", "HP:0002829")
# Findings papers typically state as absent; exclusions never cover a finding observed at the same
# event, so the generated cases are consistent for the reasoner.
EXCLUDABLE = (
    "HP:0002015",
    "HP:0002094",
    "HP:0000467",
    "HP:0003327",
    "HP:0006515",
    "HP:0030880",
    "HP:0003326",
    "HP:0001369",
    "HP:6001013",
    "HP:0025520",
    "HP:0001324",
    "HP:0003701",
    "HP:0040324",
    "HP:0025508",
    "HP:0025555",
)
MRI_MYOSITIS = "HP:0100614"

# (key, LOINC, unit, (low, high), normal value range, raised value range, digits)
LABS = (
    ("creatine kinase", "2157-6", "U/L", (25, 200), (40, 180), (250, 15000), 0),
    ("alanine aminotransferase", "1742-6", "U/L", (10, 49), (12, 45), (55, 400), 0),
    ("aspartate aminotransferase", "1920-8", "U/L", (10, 40), (12, 38), (45, 500), 0),
    ("lactate dehydrogenase", "2532-0", "U/L", (120, 246), (130, 240), (260, 1500), 0),
    ("aldolase", "1761-6", "U/L", (0, 7.6), (1.0, 7.0), (8.0, 40.0), 1),
    ("erythrocyte sedimentation rate", "30341-2", "mm/h", (0, 27), (2, 25), (30, 110), 0),
    ("C-reactive protein", "1988-5", "mg/L", (0, 5), (0.5, 4.5), (6, 180), 1),
    ("white cell count", "6690-2", "10*9/L", (4, 11), (4.5, 10.5), (11.2, 19.0), 1),
    ("haemoglobin", "718-7", "g/dL", (12, 16), (12.2, 15.5), (16.2, 17.5), 1),
)
MUSCLE_ENZYMES = frozenset({"2157-6", "1742-6", "1920-8", "2532-0", "1761-6"})
MYOSITIS_ANTIBODIES = ("TIF1-gamma", "NXP2", "Mi-2", "Jo-1", "MDA5", "SAE", "SRP", "HMGCR")
OTHER_ANTIBODIES = ("ENA", "dsDNA", "CCP")
ONCONEURAL = ("Hu", "Yo", "CV2", "Ri", "Ma2", "amphiphysin")
CHEMOTHERAPY = (
    "doxorubicin",
    "ifosfamide",
    "trabectedin",
    "gemcitabine and docetaxel",
    "eribulin",
    "pazopanib",
    "dacarbazine",
    "carboplatin and paclitaxel",
    "cisplatin and etoposide",
    "vincristine, doxorubicin and cyclophosphamide",
)
IMMUNOSUPPRESSION = (
    "prednisolone",
    "methylprednisolone",
    "intravenous immunoglobulin",
    "methotrexate",
    "azathioprine",
    "mycophenolate mofetil",
    "rituximab",
)
METASTATIC_SITES = (
    ("lung", "UBERON:0002048"),
    ("liver", "UBERON:0002107"),
    ("bone", "UBERON:0001474"),
    ("brain", "UBERON:0000955"),
    ("lymph node", "UBERON:0000029"),
    ("peritoneum", "UBERON:0002358"),
    ("adrenal gland", "UBERON:0002369"),
    ("pleura", "UBERON:0000977"),
    ("skin", "UBERON:0002097"),
    ("soft tissue", None),
)
MARKERS = (
    "desmin",
    "smooth muscle actin",
    "h-caldesmon",
    "S100",
    "CD34",
    "MDM2",
    "SOX10",
    "cytokeratin",
    "TLE1",
    "myogenin",
    "CD99",
    "INI1",
)
JOURNALS = (
    "Clinical Sarcoma Research",
    "Journal of Dermatology",
    "BMJ Case Reports",
    "Rheumatology International",
    "Cureus",
    "Journal of Medical Case Reports",
    "Annals of Oncology",
    "Dermatology Online Journal",
)
SURNAMES = (
    "Smith",
    "Garcia",
    "Tanaka",
    "Muller",
    "Rossi",
    "Kowalski",
    "Nguyen",
    "Okafor",
    "Silva",
    "Jensen",
    "Haddad",
    "Ivanova",
    "Chen",
    "Patel",
    "Dubois",
    "Kim",
)
ETHNICITIES = ("Caucasian", "Asian", "Black", "Hispanic", "Middle Eastern")
CARCINOMA_TISSUES = frozenset(
    {
        "Ovary/Fallopian Tube",
        "Breast",
        "Lung",
        "Esophagus/Stomach",
        "Head and Neck",
        "Bowel",
        "Pancreas",
        "Bladder/Urinary Tract",
    }
)

EVENT_LABELS = {
    "presentation": "Presentation with the first symptoms",
    "symptom-onset": "Onset of the first symptoms",
    "tumour-diagnosis": "Histological diagnosis of the tumour",
    "staging": "Staging imaging",
    "dm-presentation": "Presentation with rash and weakness",
    "rash-onset": "Onset of the rash",
    "dm-diagnosis": "Diagnosis of dermatomyositis",
    "surgery": "Resection of the tumour",
    "chemotherapy-start": "Start of first-line chemotherapy",
    "dose-reduction": "Dose reduction for toxicity",
    "chemotherapy-end": "End of first-line chemotherapy",
    "response-assessment": "Response assessment imaging",
    "steroid-start": "Start of immunosuppression",
    "dm-improvement": "Improvement of dermatomyositis",
    "progression": "Disease progression on imaging",
    "second-line-start": "Start of second-line therapy",
    "dm-flare": "Flare of dermatomyositis",
    "radiotherapy": "Adjuvant radiotherapy",
    "admission": "Admission with dysphagia",
    "last-follow-up": "Last follow-up",
}
