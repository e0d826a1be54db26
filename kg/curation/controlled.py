"""Controlled values of the case file format and the ontology class each one names.

Keys are what curators write; values are local names in the project vocabulary (kg/rdf/vocab.py).
"""

from __future__ import annotations

ANTIBODIES: dict[str, str] = {
    "TIF1-gamma": "AntiTIF1GammaAntibody",
    "NXP2": "AntiNXP2Antibody",
    "Mi-2": "AntiMi2Antibody",
    "Jo-1": "AntiJo1Antibody",
    "MDA5": "AntiMDA5Antibody",
    "SAE": "AntiSAEAntibody",
    "SRP": "AntiSRPAntibody",
    "HMGCR": "AntiHMGCRAntibody",
    "ANA": "AntinuclearAntibody",
    "ENA": "AntiENAAntibody",
    "dsDNA": "AntiDsDNAAntibody",
    "CCP": "AntiCCPAntibody",
    "Hu": "AntiHuAntibody",
    "Yo": "AntiYoAntibody",
    "CV2": "AntiCV2Antibody",
    "Ri": "AntiRiAntibody",
    "Ma2": "AntiMa2Antibody",
    "amphiphysin": "AntiAmphiphysinAntibody",
}

INVESTIGATIONS: dict[str, str] = {
    "emg": "Electromyography",
    "mri": "MagneticResonanceImaging",
    "skin-biopsy": "SkinBiopsy",
    "muscle-biopsy": "MuscleBiopsy",
    "tumour-biopsy": "TumourBiopsy",
    "ct": "ComputedTomography",
    "pet-ct": "PositronEmissionTomography",
    "ultrasound": "Ultrasound",
    "echocardiogram": "Echocardiography",
    "blood-culture": "BloodCulture",
}

TREATMENTS: dict[str, str] = {
    "chemotherapy": "Chemotherapy",
    "immunosuppression": "Immunosuppression",
    "surgery": "Surgery",
    "radiotherapy": "Radiotherapy",
    "topical": "TopicalTherapy",
    "antimicrobial": "AntimicrobialTherapy",
}

CONDITIONS: dict[str, str] = {
    "dermatomyositis": "Dermatomyositis",
    "polymyositis": "Polymyositis",
    "paraneoplastic-neurological-syndrome": "ParaneoplasticNeurologicalSyndrome",
}
