"""French demo data for Optim'Relance: a Lyon building company, its customers
(promoteurs, syndics, collectivités, entreprises générales...), 18 months of
invoices, payments and reminders, so every screen of the addon has something
to show.

Deterministic (fixed seed, every date relative to today) and chart-agnostic:
the accounts, journals and taxes are the company's own, whether the chart is
the French one or the generic one of test databases.

Plain Python, no model: ``load(env)`` is called once by the addon's
``post_init_hook``. The reminders go through the main addon's recording path
(``account.move.line._relance_record``), as a user's would.
"""

import base64
import logging
import random
import time
from datetime import timedelta

from odoo import Command, fields
from odoo.tools import file_open

from . import accounting

_logger = logging.getLogger(__name__)

MODULE = "optim_relance_demo"  # the XML ids of the demo records, the logo's addon

SEED = 20240611
NB_INVOICES = 124
HISTORY_DAYS = 540  # about 18 months

DEFAULT_COMPANY_NAMES = ("YourCompany", "My Company")

# --------------------------------------------------------------------------
# Identifiers: SIREN / SIRET / VAT / IBAN with valid check digits
# --------------------------------------------------------------------------


def _luhn_digit(digits):
    """The digit that makes ``digits + digit`` pass the Luhn check."""
    total = 0
    for i, char in enumerate(reversed(digits)):
        n = int(char)
        if i % 2 == 0:  # doubled: the check digit will shift it to an odd place
            n *= 2
            if n > 9:
                n -= 9
        total += n
    return str((10 - total % 10) % 10)


def _siren(base8):
    return base8 + _luhn_digit(base8)


def _siret(siren, nic4):
    head = siren + nic4
    return head + _luhn_digit(head)


def _fr_vat(siren):
    return f"FR{(12 + 3 * (int(siren) % 97)) % 97:02d}{siren}"


def _fr_iban(bank, branch, account):
    """French IBAN from a numeric bank code (5), branch code (5) and
    account number (11), with the RIB key and the IBAN check digits."""
    rib_key = 97 - (89 * int(bank) + 15 * int(branch) + 3 * int(account)) % 97
    bban = f"{bank}{branch}{account}{rib_key:02d}"
    check = 98 - int(bban + "152700") % 97  # F=15, R=27, then "00"
    iban = f"FR{check:02d}{bban}"
    return " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))


# --------------------------------------------------------------------------
# Who
# --------------------------------------------------------------------------

COMPANY_SIREN = _siren("82345678")

# Third-party payers (tiers payeurs): syndics, a bank financing works, the
# public accountant of a commune.
PAYERS = [
    {
        "key": "syndic_bellecour",
        "name": "Régie Bellecour Syndic SAS",
        "street": "8 place Bellecour",
        "zip": "69002",
        "city": "Lyon",
        "phone": "+33 4 72 40 12 30",
        "email": "contact@regie-bellecour.fr",
        "reminder_email": "copropriete.compta@regie-bellecour.fr",
        "siren": "51234567",
    },
    {
        "key": "syndic_gil",
        "name": "GIL Syndic – Gestion Immobilière Lyonnaise",
        "street": "47 cours Vitton",
        "zip": "69006",
        "city": "Lyon",
        "phone": "+33 4 78 24 55 10",
        "email": "accueil@gil-syndic.fr",
        "reminder_email": "syndic.compta@gil-syndic.fr, gestionnaire@gil-syndic.fr",
        "siren": "43987654",
        "comment": "Gestionnaire : M. Perrin. Les appels de fonds travaux sont votés en AG "
        "de juin : paiement souvent groupé en juillet.",
    },
    {
        "key": "bank_financement",
        "name": "Banque Rhône-Alpes Crédit – Service Financement",
        "street": "25 rue de la République",
        "zip": "69002",
        "city": "Lyon",
        "phone": "+33 4 72 10 80 00",
        "email": "agence.republique@banque-rhone-alpes.fr",
        "reminder_email": "financement.travaux@banque-rhone-alpes.fr",
        "siren": "30212345",
        "comment": "Déblocage des fonds sur présentation de la situation visée par le "
        "maître d'ouvrage. Rappeler la référence du prêt dans chaque relance.",
    },
    {
        "key": "sgc_villeurbanne",
        "name": "Service de Gestion Comptable de Villeurbanne (DGFiP)",
        "street": "31 rue Racine",
        "zip": "69100",
        "city": "Villeurbanne",
        "phone": "+33 4 78 85 40 00",
        "email": False,
        "reminder_email": False,
        "siren": "13000123",
        "comment": "Comptable public : relances par courrier uniquement, en rappelant le "
        "numéro de mandat et la référence Chorus Pro.",
    },
]

# profile: how the customer pays (good / average / slow / bad)
CUSTOMERS = [
    {
        "key": "rhone_promotion",
        "name": "Rhône Promotion Immobilière SAS",
        "street": "54 rue Servient",
        "zip": "69003",
        "city": "Lyon",
        "phone": "+33 4 78 62 14 00",
        "domain": "rhone-promotion.fr",
        "reminder_email": "comptabilite@rhone-promotion.fr",
        "term": "45eom",
        "kind": "promoteur",
        "profile": "good",
        "weight": 9,
        "siren": "79123456",
    },
    {
        "key": "demeures_beaujolais",
        "name": "Les Demeures du Beaujolais SARL",
        "street": "15 rue Nationale",
        "zip": "69400",
        "city": "Villefranche-sur-Saône",
        "phone": "+33 4 74 65 21 90",
        "domain": "demeures-beaujolais.fr",
        "reminder_email": "compta@demeures-beaujolais.fr",
        "term": "45eom",
        "kind": "promoteur",
        "profile": "bad",
        "weight": 6,
        "siren": "81234987",
        "comment": "Trésorerie tendue depuis l'arrêt du programme de Gleizé. Demander un "
        "échéancier écrit avant toute mise en demeure.",
    },
    {
        "key": "sccv_confluence",
        "name": "SCCV Confluence Rive Gauche",
        "street": "3 quai Rambaud",
        "zip": "69002",
        "city": "Lyon",
        "phone": "+33 4 26 73 40 15",
        "domain": "sccv-confluence.fr",
        "reminder_email": "gestion@sccv-confluence.fr",
        "term": "2x",
        "kind": "promoteur",
        "profile": "average",
        "weight": 7,
        "siren": "85267341",
        "comment": "Paiement à réception de l'état d'avancement signé par le maître "
        "d'œuvre (cabinet Arcature).",
    },
    {
        "key": "sci_saxe",
        "name": "SCI Les Jardins de Saxe",
        "street": "118 avenue Maréchal de Saxe",
        "zip": "69003",
        "city": "Lyon",
        "phone": "+33 6 71 20 45 18",
        "domain": "jardins-de-saxe.fr",
        "reminder_email": "contact@jardins-de-saxe.fr",
        "term": "30",
        "kind": "prive",
        "profile": "average",
        "weight": 4,
        "siren": "82971234",
        "payer": "bank_financement",
    },
    {
        "key": "copro_tete_or",
        "name": "Syndicat des copropriétaires – Le Parc de la Tête d'Or",
        "street": "22 boulevard des Belges",
        "zip": "69006",
        "city": "Lyon",
        "phone": False,
        "domain": False,
        "reminder_email": False,
        "term": "30",
        "kind": "copro",
        "profile": "slow",
        "weight": 5,
        "siren": False,
        "payer": "syndic_bellecour",
    },
    {
        "key": "copro_fourviere",
        "name": "Syndicat des copropriétaires – Les Terrasses de Fourvière",
        "street": "9 montée Saint-Barthélemy",
        "zip": "69005",
        "city": "Lyon",
        "phone": False,
        "domain": False,
        "reminder_email": False,
        "term": "30",
        "kind": "copro",
        "profile": "average",
        "weight": 4,
        "siren": False,
        "payer": "syndic_bellecour",
    },
    {
        "key": "copro_saint_just",
        "name": "Syndicat des copropriétaires – Le Clos Saint-Just",
        "street": "31 rue des Farges",
        "zip": "69005",
        "city": "Lyon",
        "phone": False,
        "domain": False,
        "reminder_email": False,
        "term": "30",
        "kind": "copro",
        "profile": "bad",
        "weight": 4,
        "siren": False,
        "payer": "syndic_gil",
    },
    {
        "key": "copro_jardin_plantes",
        "name": "Syndicat des copropriétaires – Résidence Le Jardin des Plantes",
        "street": "14 rue du Jardin des Plantes",
        "zip": "69001",
        "city": "Lyon",
        "phone": False,
        "domain": False,
        "reminder_email": False,
        "term": "30",
        "kind": "copro",
        "profile": "average",
        "weight": 3,
        "siren": False,
        "payer": "syndic_gil",
    },
    {
        "key": "commune_villeurbanne",
        "name": "Commune de Villeurbanne – Direction du patrimoine bâti",
        "street": "Place Lazare Goujon",
        "zip": "69100",
        "city": "Villeurbanne",
        "phone": "+33 4 78 03 67 67",
        "domain": False,
        "reminder_email": False,
        "term": "30",
        "kind": "public",
        "profile": "slow",
        "weight": 5,
        "siren": "21690266",
        "payer": "sgc_villeurbanne",
    },
    {
        "key": "commune_ecully",
        "name": "Commune d'Écully – Services techniques",
        "street": "Place de la Libération",
        "zip": "69130",
        "city": "Écully",
        "phone": "+33 4 72 18 10 00",
        "domain": False,
        "reminder_email": False,
        "term": "30",
        "kind": "public",
        "profile": "slow",
        "weight": 3,
        "siren": "21690081",
        "comment": "Facturation via Chorus Pro obligatoire (rappeler le n° d'engagement "
        "juridique). Délai global de paiement : 30 jours.",
    },
    {
        "key": "oph_rhodanien",
        "name": "Office Rhodanien de l'Habitat (OPH)",
        "street": "194 rue Garibaldi",
        "zip": "69003",
        "city": "Lyon",
        "phone": "+33 4 72 74 68 00",
        "domain": "rhodanien-habitat.fr",
        "reminder_email": "factures.fournisseurs@rhodanien-habitat.fr",
        "term": "30",
        "kind": "bailleur",
        "profile": "good",
        "weight": 6,
        "siren": "27690012",
    },
    {
        "key": "isr_hlm",
        "name": "Immobilière Saône-Rhône SA d'HLM",
        "street": "36 rue de la Villette",
        "zip": "69003",
        "city": "Lyon",
        "phone": "+33 4 72 61 22 00",
        "domain": "isr-hlm.fr",
        "reminder_email": "factures@isr-hlm.fr",
        "term": "45eom",
        "kind": "bailleur",
        "profile": "average",
        "weight": 5,
        "siren": "95780123",
    },
    {
        "key": "martin_construction",
        "name": "Martin Construction – Entreprise Générale SAS",
        "street": "27 avenue Jean Jaurès",
        "zip": "69007",
        "city": "Lyon",
        "phone": "+33 4 78 72 30 30",
        "domain": "martin-construction.fr",
        "reminder_email": "compta.fournisseurs@martin-construction.fr",
        "term": "45eom",
        "kind": "entreprise",
        "profile": "average",
        "weight": 7,
        "siren": "40512398",
        "comment": "Sous-traitance : joindre le PV de réception du lot et l'attestation "
        "d'assurance décennale à chaque facture.",
    },
    {
        "key": "girard_eg",
        "name": "Girard & Associés Entreprise Générale",
        "street": "12 chemin de la Sauvegarde",
        "zip": "69130",
        "city": "Écully",
        "phone": "+33 4 78 33 12 12",
        "domain": "girard-eg.fr",
        "reminder_email": "comptabilite@girard-eg.fr",
        "term": "2x",
        "kind": "entreprise",
        "profile": "good",
        "weight": 6,
        "siren": "49876512",
    },
    {
        "key": "clinique_val_saone",
        "name": "Clinique du Val de Saône SAS",
        "street": "45 quai Jean-Jacques Rousseau",
        "zip": "69350",
        "city": "La Mulatière",
        "phone": "+33 4 78 50 90 00",
        "domain": "clinique-valdesaone.fr",
        "reminder_email": "fournisseurs@clinique-valdesaone.fr",
        "term": "30",
        "kind": "prive",
        "profile": "good",
        "weight": 4,
        "siren": "38845612",
    },
    {
        "key": "ogec_saint_exupery",
        "name": "OGEC Groupe Scolaire Saint-Exupéry",
        "street": "10 rue Pierre Baizet",
        "zip": "69009",
        "city": "Lyon",
        "phone": "+33 4 78 83 20 41",
        "domain": "ogec-saint-exupery.fr",
        "reminder_email": "econome@ogec-saint-exupery.fr",
        "term": "30",
        "kind": "prive",
        "profile": "good",
        "weight": 3,
        "siren": "77912345",
    },
    {
        "key": "boulangerie_fayolle",
        "name": "Boulangerie Fayolle SARL",
        "street": "63 Grande Rue de la Croix-Rousse",
        "zip": "69004",
        "city": "Lyon",
        "phone": "+33 4 78 28 14 52",
        "domain": False,
        "reminder_email": False,
        "term": "immediate",
        "kind": "commerce",
        "profile": "bad",
        "weight": 2,
        "siren": "84412378",
        "comment": "Pas d'adresse email : M. Fayolle est joignable le matin avant 11 h "
        "au 06 12 34 56 78.",
    },
    {
        "key": "hotel_celestins",
        "name": "Hôtel des Célestins SAS",
        "street": "4 rue des Archers",
        "zip": "69002",
        "city": "Lyon",
        "phone": "+33 4 72 56 08 98",
        "domain": "hotel-celestins-lyon.fr",
        "reminder_email": "direction@hotel-celestins-lyon.fr",
        "term": "30",
        "kind": "commerce",
        "profile": "average",
        "weight": 3,
        "siren": "43278901",
    },
    {
        "key": "sci_pasteur",
        "name": "SCI Pasteur Investissement",
        "street": "16 rue Pasteur",
        "zip": "69007",
        "city": "Lyon",
        "phone": "+33 6 62 45 78 12",
        "domain": "sci-pasteur.fr",
        "reminder_email": "gerance@sci-pasteur.fr",
        "term": "immediate",
        "kind": "prive",
        "profile": "average",
        "weight": 3,
        "siren": "88123987",
    },
    {
        "key": "rhone_logistique",
        "name": "Rhône Logistique Entrepôts SAS",
        "street": "5 rue de l'Industrie, ZI Lyon Sud-Est",
        "zip": "69800",
        "city": "Saint-Priest",
        "phone": "+33 4 72 23 45 60",
        "domain": "rhone-logistique.fr",
        "reminder_email": "ap@rhone-logistique.fr",
        "term": "45eom",
        "kind": "entreprise",
        "profile": "slow",
        "weight": 4,
        "siren": "52398741",
    },
    {
        "key": "sem_lyon_rives",
        "name": "SEM Lyon Rives Aménagement",
        "street": "1 place de la Bourse",
        "zip": "69002",
        "city": "Lyon",
        "phone": "+33 4 72 41 30 00",
        "domain": "sem-lyonrives.fr",
        "reminder_email": "marches@sem-lyonrives.fr",
        "term": "2x",
        "kind": "public",
        "profile": "average",
        "weight": 5,
        "siren": "39412876",
    },
    {
        "key": "creche_ptits_loups",
        "name": "Association Les P'tits Loups (crèche parentale)",
        "street": "5 rue Chazière",
        "zip": "69004",
        "city": "Lyon",
        "phone": "+33 4 78 29 61 07",
        "domain": "ptits-loups-lyon.fr",
        "reminder_email": "tresorier@ptits-loups-lyon.fr",
        "term": "30",
        "kind": "prive",
        "profile": "slow",
        "weight": 2,
        "siren": "45123789",
    },
    {
        "key": "auberge_mont_dor",
        "name": "Auberge du Mont d'Or SAS",
        "street": "2 route de Limonest",
        "zip": "69450",
        "city": "Saint-Cyr-au-Mont-d'Or",
        "phone": "+33 4 78 47 20 11",
        "domain": "auberge-montdor.fr",
        "reminder_email": "contact@auberge-montdor.fr",
        "term": "immediate",
        "kind": "commerce",
        "profile": "good",
        "weight": 2,
        "siren": "53412098",
    },
    {
        "key": "snc_balcons_ouest",
        "name": "SNC Les Balcons de l'Ouest",
        "street": "140 avenue de Lanessan",
        "zip": "69410",
        "city": "Champagne-au-Mont-d'Or",
        "phone": "+33 4 78 35 02 44",
        "domain": "balcons-ouest.fr",
        "reminder_email": "comptabilite@balcons-ouest.fr",
        "term": "2x",
        "kind": "promoteur",
        "profile": "bad",
        "weight": 5,
        "siren": "87654012",
    },
    {
        "key": "pharmacie_caluire",
        "name": "Pharmacie Centrale de Caluire",
        "street": "1 place Jules Ferry",
        "zip": "69300",
        "city": "Caluire-et-Cuire",
        "phone": "+33 4 78 23 11 09",
        "domain": False,
        "reminder_email": False,
        "term": "immediate",
        "kind": "commerce",
        "profile": "average",
        "weight": 2,
        "siren": "34509871",
    },
    {
        "key": "chabert_freres",
        "name": "Établissements Chabert Frères",
        "street": "19 rue Paul Bert",
        "zip": "69003",
        "city": "Lyon",
        "phone": "+33 4 78 60 44 21",
        "domain": "chabert-freres.fr",
        "reminder_email": "compta@chabert-freres.fr",
        "term": "30",
        "kind": "entreprise",
        "profile": "bad",
        "weight": 3,
        "siren": "31298765",
        "comment": "Litige sur la reprise d'enduit du bâtiment B (réserve au PV de "
        "réception) : voir le conducteur de travaux avant toute mise en demeure.",
    },
]

# --------------------------------------------------------------------------
# What
# --------------------------------------------------------------------------

# key: (name, internal reference, sales price)
PRODUCTS = {
    "maconnerie": ("Travaux de maçonnerie", "BTP-MAC", 4500.0),
    "gros_oeuvre": ("Gros œuvre – situation de travaux", "BTP-GO", 25000.0),
    "plomberie": ("Plomberie", "BTP-PLB", 3200.0),
    "electricite": ("Électricité", "BTP-ELEC", 3800.0),
    "menuiseries": ("Menuiseries extérieures", "BTP-MEN", 6500.0),
    "ravalement": ("Ravalement de façade", "BTP-RAV", 12000.0),
    "etancheite": ("Étanchéité toiture-terrasse", "BTP-ETA", 8500.0),
    "carrelage": ("Carrelage et faïence", "BTP-CAR", 2800.0),
    "echafaudage": ("Location et montage d'échafaudage", "BTP-ECH", 1800.0),
    "retenue": ("Retenue de garantie", "BTP-RG", 0.0),
}

SITES = {
    "promoteur": [
        "Résidence « Les Tilleuls » – 42 logements",
        "Programme « Villa Garibaldi » – bâtiment A",
        "Résidence « Le Carré Saxe » – 28 logements",
        "Programme « Les Hauts de Gerland »",
        "Résidence « Cœur Confluence » – îlot B",
    ],
    "copro": [
        "Ravalement et isolation des façades",
        "Réfection de la toiture-terrasse",
        "Mise en conformité des colonnes d'eau",
        "Réfection des halls et cages d'escalier",
    ],
    "public": [
        "Groupe scolaire Jules Ferry – extension",
        "Gymnase municipal – réhabilitation",
        "Médiathèque – accessibilité PMR",
        "Centre technique municipal – vestiaires",
    ],
    "bailleur": [
        "Résidence Les Lilas – réhabilitation thermique",
        "Cité Berliet – remplacement des menuiseries",
        "Résidence Mermoz – réfection des pieds d'immeuble",
    ],
    "entreprise": [
        "Plateforme logistique – dallage et quais",
        "Immeuble de bureaux « Le Sextant » – lot gros œuvre",
        "Extension d'atelier – fondations",
    ],
    "prive": [
        "Extension du bâtiment principal",
        "Réaménagement du rez-de-chaussée",
        "Surélévation – maison de ville",
    ],
    "commerce": [
        "Rénovation de la boutique",
        "Mise aux normes de la cuisine",
        "Réfection de la façade commerciale",
    ],
}

# which products each kind of customer buys
KIND_PRODUCTS = {
    "promoteur": ["gros_oeuvre", "gros_oeuvre", "maconnerie", "menuiseries", "etancheite"],
    "copro": ["ravalement", "etancheite", "plomberie", "maconnerie", "echafaudage"],
    "public": ["gros_oeuvre", "maconnerie", "electricite", "menuiseries", "carrelage"],
    "bailleur": ["menuiseries", "ravalement", "plomberie", "electricite", "maconnerie"],
    "entreprise": ["gros_oeuvre", "maconnerie", "etancheite", "echafaudage"],
    "prive": ["maconnerie", "electricite", "plomberie", "carrelage", "menuiseries"],
    "commerce": ["carrelage", "electricite", "plomberie", "maconnerie"],
}

# total (tax excluded) range of an invoice per kind of customer
KIND_AMOUNTS = {
    "promoteur": (6000, 49000),
    "copro": (2500, 30000),
    "public": (3000, 38000),
    "bailleur": (4000, 35000),
    "entreprise": (5000, 45000),
    "prive": (1500, 18000),
    "commerce": (700, 9000),
}

# how a customer pays: factor on the probability that an invoice is paid,
# probability of a partial payment, usual delay of payment after the due date
PROFILES = {
    "good": {"factor": 1.3, "partial": 0.12, "delay": (-8, 12)},
    "average": {"factor": 1.0, "partial": 0.20, "delay": (0, 35)},
    "slow": {"factor": 0.9, "partial": 0.18, "delay": (20, 75)},
    "bad": {"factor": 0.55, "partial": 0.25, "delay": (40, 130)},
}

# probability that an invoice is fully paid, by days since its (last) due date
PAID_BY_DAYS_DUE = [(0, 0.08), (30, 0.2), (60, 0.32), (90, 0.42), (200, 0.55), (None, 0.78)]

# delay of each level (days after the due date, then after the previous level)
DELAYS = {1: 10, 2: 15, 3: 15}
# disputes: note, end in days from today (None: no end; negative: ended)
DISPUTES = [
    ("Réserve au PV de réception : reprise des joints du carrelage du hall", 45),
    ("Contestation du décompte général définitif (DGD), lot gros œuvre", None),
    ("Attente du rapport de l'expert sur l'infiltration en toiture", -3),
]
EXCLUDED_COMMENT = (
    "Procédure de sauvegarde ouverte : créances déclarées au mandataire judiciaire, "
    "ne plus relancer."
)

REMINDER_NOTES = {
    1: [
        "Relance téléphonique auprès du service comptable : facture bien reçue, "
        "mise en paiement annoncée.",
        "Lettre de relance envoyée par courrier simple.",
        "Appel au secrétariat : demande de duplicata de la facture, renvoyé par email.",
        False,
    ],
    2: [
        "Deuxième relance écrite, copie au gérant.",
        "Relance téléphonique : la situation n'a pas été validée par le maître d'œuvre.",
        "Courrier de relance avec relevé de compte joint.",
    ],
    3: [
        "Mise en demeure envoyée en recommandé avec accusé de réception.",
        "Mise en demeure avant injonction de payer (LRAR).",
    ],
}


def load(env):
    """Create the demo data in the main company, once: the addon's
    ``post_init_hook``. As the administrator with superuser rights, mail
    tracking off. Skipped (a warning) when the company has no chart of
    accounts yet: install ``l10n_fr_account`` in an earlier run (Odoo loads
    a chart once all the modules of a run are installed).

    :return: whether the data was created
    """
    if env.ref(f"{MODULE}.demo_payer_syndic_bellecour", raise_if_not_found=False):
        return False
    company = env.ref("base.main_company")
    if not company.chart_template:
        _logger.warning(
            "Optim'Relance demo data skipped: %s has no chart of accounts "
            "(install l10n_fr_account first, then %s)",
            company.name,
            MODULE,
        )
        return False
    start = time.monotonic()
    admin = env.ref("base.user_admin")
    demo_env = env(
        user=admin.id,
        su=True,
        context=dict(
            env.context,
            tracking_disable=True,
            mail_create_nolog=True,
            mail_notrack=True,
            mail_create_nosubscribe=True,
            allowed_company_ids=[company.id],
        ),
    )
    DemoData(demo_env).run(company.with_env(demo_env))
    _logger.info("Optim'Relance demo data loaded in %.1f s", time.monotonic() - start)
    return True


class DemoData:
    """The steps of the demo data, in ``env`` (the administrator, sudo)."""

    def __init__(self, env):
        self.env = env

    def run(self, company):
        rng = random.Random(SEED)
        today = fields.Date.context_today(self.env.user)
        lang = "fr_FR" if self.env["res.lang"]._lang_get("fr_FR") else False
        ctx = self.accounting_context(company)
        self.company(company, lang)
        terms = self.payment_terms()
        products = self.products(ctx)
        customers = self.partners(lang, terms)
        invoices, plans = self.invoices(rng, today, ctx, customers, terms, products)
        self.credit_notes(today, ctx, customers, products)
        self.reminders_before_payment(rng, today, plans)
        self.payments(ctx, plans)
        self.open_reminders(rng, today, invoices)
        self.collection(rng, today, company, lang)

    # ------------------------------------------------------------------
    # Accounting context: the company's own journals, accounts and taxes
    # ------------------------------------------------------------------
    def accounting_context(self, company):
        """The company's journals and income account (``accounting``), and the
        building trade's taxes: works are services (French chart: "20% S",
        VAT due on payment), 10 % for the renovation of housing when the
        chart has it; the default sale tax otherwise."""
        ctx = accounting.company_accounts(company)
        default_tax = ctx["tax"]
        tax = reduced_tax = default_tax
        if default_tax:
            Tax = self.env["account.tax"].with_context(active_test=False)
            tax_domain = [
                *Tax._check_company_domain(company),
                ("type_tax_use", "=", "sale"),
                ("amount_type", "=", "percent"),
                ("price_include", "=", False),
                ("country_id", "=", default_tax.country_id.id),
            ]
            tax = (
                Tax.search(
                    [
                        *tax_domain,
                        ("tax_scope", "=", "service"),
                        ("amount", "=", default_tax.amount),
                        ("active", "=", True),
                    ],
                    limit=1,
                )
                or default_tax
            )
            reduced_tax = Tax.search(
                [*tax_domain, ("tax_scope", "=", tax.tax_scope or False), ("amount", "=", 10.0)],
                limit=1,
            )
            if reduced_tax and not reduced_tax.active:
                reduced_tax.active = True
        return {**ctx, "tax": tax, "reduced_tax": reduced_tax or tax}

    # ------------------------------------------------------------------
    # The company
    # ------------------------------------------------------------------
    def company(self, company, lang):
        france = self.env.ref("base.fr")
        with file_open(f"{MODULE}/static/description/company_logo.png", "rb") as logo:
            logo_data = base64.b64encode(logo.read())
        vals = {
            "street": "12 rue des Artisans",
            "street2": False,
            "zip": "69007",
            "city": "Lyon",
            "country_id": france.id,
            "phone": "+33 4 78 12 34 56",
            "email": "compta@durand-batiment.fr",
            "website": "https://www.durand-batiment.fr",
            "vat": _fr_vat(COMPANY_SIREN),
            "company_registry": f"RCS Lyon {COMPANY_SIREN[:3]} {COMPANY_SIREN[3:6]} "
            f"{COMPANY_SIREN[6:]}",
            "logo": logo_data,
            "report_header": "Maçonnerie · Gros œuvre · Rénovation – Qualibat 2112",
            "primary_color": "#18345c",
            "secondary_color": "#e87620",
            # The rate of its terms of sale: the demo claims penalties today
            # without waiting for the next half-year's official rates.
            "reminder_penalty_mode": "fixed",
            "reminder_penalty_rate": 12.0,
        }
        if company.name in DEFAULT_COMPANY_NAMES:
            vals["name"] = "Bâtiments Durand & Fils SAS"
        if "siret" in company._fields:
            vals["siret"] = _siret(COMPANY_SIREN, "0001")
        if "ape" in company._fields:
            vals["ape"] = "4399C"
        layout = self.env.ref("web.external_layout_standard", raise_if_not_found=False)
        if layout and not company.external_report_layout_id:
            vals["external_report_layout_id"] = layout.id
        company.write(vals)
        # the company's "today" for the automatic reminders
        company.partner_id.tz = "Europe/Paris"
        if lang:
            company.partner_id.lang = lang
            users = self.env["res.users"].browse(
                user.id
                for xmlid in ("base.user_admin", "base.user_demo")
                if (user := self.env.ref(xmlid, raise_if_not_found=False))
            )
            users.filtered(lambda user: user.lang != lang).write({"lang": lang})

        bank = self.env["res.bank"].create(
            {
                "name": "Banque Populaire Auvergne Rhône Alpes",
                "bic": "CCBPFRPPLYO",
                "street": "4 boulevard Eugène Deruelle",
                "zip": "69003",
                "city": "Lyon",
                "country": france.id,
            }
        )
        account = self.env["res.partner.bank"].create(
            {
                "acc_number": _fr_iban("16807", "00123", "31245678901"),
                "bank_id": bank.id,
                "partner_id": company.partner_id.id,
            }
        )
        self.xmlid("demo_company_bank_account", account)
        journal = self.env["account.journal"].search(
            [
                *self.env["account.journal"]._check_company_domain(company),
                ("type", "=", "bank"),
                ("bank_account_id", "=", False),
            ],
            limit=1,
        )
        if journal:
            journal.bank_account_id = account

    # ------------------------------------------------------------------
    # Payment terms, products, partners
    # ------------------------------------------------------------------
    def payment_terms(self):
        Term = self.env["account.payment.term"]
        terms = {
            "immediate": self.env.ref("account.account_payment_term_immediate"),
            "30": self.env.ref("account.account_payment_term_30days"),
        }
        definitions = {
            "45eom": (
                "demo_payment_term_45_days_eom",
                {
                    "name": "45 jours fin de mois",
                    "note": "Paiement à 45 jours fin de mois à compter de la date "
                    "d'émission de la facture (art. L441-10 du Code de commerce).",
                    "line_ids": [
                        Command.create(
                            {
                                "value": "percent",
                                "value_amount": 100.0,
                                "delay_type": "days_end_of_month_on_the",
                                "nb_days": 45,
                                "days_next_month": "0",
                            }
                        )
                    ],
                },
            ),
            # 50 % at 30 days, 50 % at 60 days: the benchmark's two installments
            "2x": (
                "demo_payment_term_2_installments",
                accounting.installment_term_vals(
                    2,
                    "2 échéances : 50 % à 30 jours, 50 % à 60 jours",
                    note="Paiement en deux échéances : 50 % à 30 jours, "
                    "50 % à 60 jours date de facture.",
                ),
            ),
        }
        for key, (xmlid, vals) in definitions.items():
            term = self.env.ref(f"{MODULE}.{xmlid}", raise_if_not_found=False)
            if not term:
                term = Term.create(vals)
                self.xmlid(xmlid, term)
            terms[key] = term
        return terms

    def products(self, ctx):
        products = {}
        vals_list = []
        for name, code, price in PRODUCTS.values():
            vals_list.append(
                {
                    "name": name,
                    "default_code": code,
                    "type": "service",
                    "list_price": price,
                    "sale_ok": True,
                    "purchase_ok": False,
                    "taxes_id": [Command.set(ctx["tax"].ids)],
                }
            )
        records = self.env["product.product"].create(vals_list)
        for key, product in zip(PRODUCTS, records, strict=True):
            products[key] = product
            self.xmlid(f"demo_product_{key}", product)
        return products

    def partner_vals(self, data, lang, is_payer=False):
        france = self.env.ref("base.fr")
        domain = data.get("domain")
        vals = {
            "name": data["name"],
            "is_company": True,
            "street": data["street"],
            "zip": data["zip"],
            "city": data["city"],
            "country_id": france.id,
            "phone": data.get("phone") or False,
            "email": data.get("email", domain and f"contact@{domain}") or False,
            "website": f"https://www.{domain}" if domain else False,
            "reminder_email": data.get("reminder_email") or False,
            "reminder_comment": data.get("comment") or False,
        }
        if lang:
            vals["lang"] = lang
        if data.get("siren"):
            siren = _siren(data["siren"])
            if data.get("kind") not in ("public", "copro") and not is_payer:
                vals["vat"] = _fr_vat(siren)
            vals["company_registry"] = f"{siren[:3]} {siren[3:6]} {siren[6:]}"
            if "siret" in self.env["res.partner"]._fields:
                vals["siret"] = _siret(siren, "0001" if is_payer else "0002")
        return vals

    def partners(self, lang, terms):
        Partner = self.env["res.partner"]
        payer_records = Partner.create(
            [self.partner_vals(data, lang, is_payer=True) for data in PAYERS]
        )
        payers = {}
        for data, partner in zip(PAYERS, payer_records, strict=True):
            payers[data["key"]] = partner
            self.xmlid(f"demo_payer_{data['key']}", partner)
        vals_list = []
        for data in CUSTOMERS:
            vals = self.partner_vals(data, lang)
            # company-dependent: set in the current company (the demo's one)
            vals["property_payment_term_id"] = terms[data["term"]].id
            if data.get("payer"):
                vals["reminder_default_payer_id"] = payers[data["payer"]].id
            vals_list.append(vals)
        customer_records = Partner.create(vals_list)
        customers = {}
        for data, partner in zip(CUSTOMERS, customer_records, strict=True):
            customers[data["key"]] = partner
            self.xmlid(f"demo_customer_{data['key']}", partner)
        # two contacts; one is the invoice address of its company
        invoice_address, _contact = self.env["res.partner"].create(
            [
                {
                    "name": "Service comptabilité fournisseurs",
                    "type": "invoice",
                    "parent_id": customers["martin_construction"].id,
                    "email": "compta.fournisseurs@martin-construction.fr",
                    "lang": lang or False,
                },
                {
                    "name": "Nathalie Bertrand (assistante de programmes)",
                    "type": "contact",
                    "function": "Assistante de programmes",
                    "parent_id": customers["rhone_promotion"].id,
                    "email": "n.bertrand@rhone-promotion.fr",
                    "lang": lang or False,
                },
            ]
        )
        self.xmlid("demo_customer_martin_construction_invoice", invoice_address)
        return customers

    # ------------------------------------------------------------------
    # Invoices
    # ------------------------------------------------------------------
    def invoice_line(self, ctx, product, name, price, kind):
        tax = ctx["reduced_tax"] if kind in ("copro", "bailleur") else ctx["tax"]
        return Command.create(
            {
                "product_id": product.id,
                "name": name,
                "quantity": 1.0,
                "price_unit": price,
                "account_id": ctx["income"].id,
                "tax_ids": [Command.set(tax.ids)],
            }
        )

    def invoice_lines(self, rng, ctx, data, products, situation):
        """1 to 3 lines whose total (tax excluded) is in the customer's range."""
        kind = data["kind"]
        low, high = KIND_AMOUNTS[kind]
        total = round(low * (high / low) ** rng.random(), -1)
        site = rng.choice(SITES[kind])
        if kind in ("promoteur", "entreprise", "public") and rng.random() < 0.12:
            # release of the 5 % guarantee retention one year after acceptance
            return (
                f"Levée de la retenue de garantie – {site}",
                [
                    self.invoice_line(
                        ctx,
                        products["retenue"],
                        f"Libération de la retenue de garantie (5 %) – {site} – "
                        "réception sans réserve",
                        round(total * 0.3, -1),
                        kind,
                    )
                ],
            )
        keys = rng.sample(KIND_PRODUCTS[kind], k=min(len(KIND_PRODUCTS[kind]), rng.randint(1, 3)))
        shares = [rng.uniform(1, 3) for _k in keys]
        lines = []
        for key, share in zip(keys, shares, strict=True):
            product = products[key]
            price = round(total * share / sum(shares), -1) or 10.0
            if key == "gros_oeuvre":
                label = f"Situation de travaux n° {situation} – lot gros œuvre – {site}"
            else:
                label = f"{product.name} – {site}"
            lines.append(self.invoice_line(ctx, product, label, price, kind))
        ref = f"Chantier : {site}"
        if "gros_oeuvre" in keys:
            ref = f"Situation n° {situation} – {site}"
        return ref, lines

    def invoices(self, rng, today, ctx, customers, terms, products):
        weights = [data["weight"] for data in CUSTOMERS]
        # invoice dates: spread over 18 months, more in recent months (where the
        # open installments are)
        ages = sorted(
            (int(HISTORY_DAYS * rng.random() ** 1.8) + 2 for _i in range(NB_INVOICES)),
            reverse=True,
        )
        situations = {}
        vals_list = []
        plans = []
        admin = self.env.ref("base.user_admin")
        for age in ages:
            data = rng.choices(CUSTOMERS, weights=weights)[0]
            situations[data["key"]] = situations.get(data["key"], 0) + 1
            ref, lines = self.invoice_lines(rng, ctx, data, products, situations[data["key"]])
            term = terms[data["term"]]
            big_site = data["term"] != "2x" and data["kind"] in ("promoteur", "entreprise")
            if big_site and rng.random() < 0.2:
                term = terms["2x"]
            invoice_date = today - timedelta(days=age)
            vals_list.append(
                {
                    "move_type": "out_invoice",
                    "partner_id": customers[data["key"]].address_get(["invoice"])["invoice"],
                    "invoice_date": invoice_date,
                    "date": invoice_date,
                    "journal_id": ctx["sale_journal"].id,
                    "invoice_payment_term_id": term.id,
                    "invoice_user_id": admin.id,
                    "ref": ref,
                    "invoice_line_ids": lines,
                }
            )
            plans.append(
                {
                    "profile": PROFILES[data["profile"]],
                    "roll": rng.random(),
                    "delay": rng.randint(*PROFILES[data["profile"]]["delay"]),
                    "share": rng.choice((0.3, 0.4, 0.5, 0.6)),
                    "pre_reminder": rng.random(),
                }
            )
        invoices = accounting.create_invoices(self.env, vals_list)[0]
        for invoice, plan in zip(invoices, plans, strict=True):
            plan["invoice"] = invoice
            self.plan_payment(today, plan)
        return invoices, plans

    def plan_payment(self, today, plan):
        """Decide whether and when the invoice was paid: fully, partly (one
        installment of a two-installment invoice, or a down payment) or not."""
        invoice = plan["invoice"]
        profile = plan["profile"]
        installments = invoice.line_ids.filtered(
            lambda line: line.display_type == "payment_term"
        ).sorted("date_maturity")
        last_due = installments[-1].date_maturity
        first_due = installments[0].date_maturity
        days_due = (today - last_due).days
        p_paid = next(p for limit, p in PAID_BY_DAYS_DUE if limit is None or days_due < limit)
        p_paid = min(p_paid * profile["factor"], 0.95)
        roll = plan["roll"]
        plan["mode"] = None
        if roll < p_paid:
            plan["mode"] = "full"
            pay_date = last_due + timedelta(days=plan["delay"])
            plan["amount"] = invoice.amount_residual
        elif roll < p_paid + profile["partial"] and (today - first_due).days >= -10:
            plan["mode"] = "partial"
            if len(installments) > 1 and first_due < today:
                pay_date = first_due + timedelta(days=max(plan["delay"] // 2, -5))
                plan["amount"] = installments[0].amount_residual
            else:
                pay_date = invoice.invoice_date + timedelta(days=max(plan["delay"], 0) + 20)
                plan["amount"] = round(invoice.amount_residual * plan["share"], -2)
        if plan["mode"]:
            plan["date"] = min(max(pay_date, invoice.invoice_date), today)

    def credit_notes(self, today, ctx, customers, products):
        specs = [
            (
                "hotel_celestins",
                75,
                "Avoir – remise commerciale sur la rénovation de la boutique",
                "maconnerie",
                450.0,
            ),
            (
                "martin_construction",
                40,
                "Avoir – moins-value : enduit de façade non réalisé",
                "maconnerie",
                2380.0,
            ),
            (
                "oph_rhodanien",
                12,
                "Avoir – erreur de quantité sur la facture de menuiseries",
                "menuiseries",
                1260.0,
            ),
        ]
        admin = self.env.ref("base.user_admin")
        vals_list = []
        for key, age, label, product, price in specs:
            kind = next(c["kind"] for c in CUSTOMERS if c["key"] == key)
            vals_list.append(
                {
                    "move_type": "out_refund",
                    "partner_id": customers[key].id,
                    "invoice_date": today - timedelta(days=age),
                    "date": today - timedelta(days=age),
                    "journal_id": ctx["sale_journal"].id,
                    "invoice_user_id": admin.id,
                    "ref": label,
                    "invoice_line_ids": [
                        self.invoice_line(ctx, products[product], label, price, kind)
                    ],
                }
            )
        accounting.create_invoices(self.env, vals_list)

    # ------------------------------------------------------------------
    # Payments
    # ------------------------------------------------------------------
    def payments(self, ctx, plans):
        Register = self.env["account.payment.register"]
        for plan in plans:
            if not plan["mode"]:
                continue
            invoice = plan["invoice"]
            wizard = Register.with_context(
                active_model="account.move", active_ids=invoice.ids
            ).create(
                {
                    "payment_date": plan["date"],
                    "journal_id": ctx["bank_journal"].id,
                    "amount": plan["amount"],
                    "payment_difference_handling": "open",
                    "communication": invoice.name,
                }
            )
            wizard._create_payments()

    # ------------------------------------------------------------------
    # Reminders, through the addon's recording path
    # ------------------------------------------------------------------
    def reminders_before_payment(self, rng, today, plans):
        """A first reminder on invoices paid late, before they were paid: the
        history stays on paid invoices."""
        count = 0
        for plan in plans:
            if plan["mode"] != "full" or plan["pre_reminder"] > 0.5 or count >= 10:
                continue
            for line in plan["invoice"].line_ids.filtered(
                lambda aml: aml.display_type == "payment_term"
            ):
                date = line.date_maturity + timedelta(days=rng.randint(6, 12))
                if date < plan["date"] and date <= today:
                    line._relance_record(
                        1, date, rng.choice(("manual", "pdf")), note=rng.choice(REMINDER_NOTES[1])
                    )
                    count += 1

    def open_reminders(self, rng, today, invoices):
        """Reminders on open installments: about 25 at level 1, 10 at level 2
        and 4 at level 3, each level dated after the previous one, after the
        due date and never in the future."""
        Line = self.env["account.move.line"]
        open_lines = Line.search(
            [
                *Line._relance_open_domain(),
                ("move_id", "in", invoices.ids),
                ("reminder_level", "=", 0),
            ],
            order="date_maturity, id",
        )
        late = [(line, (today - line.date_maturity).days) for line in open_lines]
        # level reached -> minimum days late, wanted count
        targets = [(3, 60, 4), (2, 35, 10), (1, 12, 25)]
        taken = set()
        for level, min_days, wanted in targets:
            candidates = [(aml, d) for aml, d in late if d >= min_days and aml.id not in taken]
            for line, days in rng.sample(candidates, k=min(wanted, len(candidates))):
                taken.add(line.id)
                self.remind(rng, today, line, days, level)

    def remind(self, rng, today, line, days, level):
        gaps = [rng.randint(7, 15), rng.randint(15, 25), rng.randint(8, 15)][:level]
        # spread the reminders of an old installment over its lateness
        slack = max(days - sum(gaps), 0)
        gaps[0] += rng.randint(0, slack // 2)
        date = line.date_maturity
        for lvl, gap in enumerate(gaps, start=1):
            date = min(date + timedelta(days=gap), today)
            channel = "manual" if lvl == 1 and rng.random() < 0.5 else "pdf"
            line._relance_record(lvl, date, channel, note=rng.choice(REMINDER_NOTES[lvl]))

    # ------------------------------------------------------------------
    # Today's worklist: delays, collectors, holds, promises, an exclusion
    # ------------------------------------------------------------------
    def collection(self, rng, today, company, lang):
        """What the credit controller finds on the worklist: the delays of
        each level, a collector besides the administrator, disputes (one
        ended), a pending and a broken payment promise and an excluded payer.
        The data is dated from ``today``: the worklist is never empty."""
        Level = self.env["relance.level"]
        for level, days in DELAYS.items():
            Level._get_for(level, company).delay_days = days
        collector = self.env["res.users"].create(
            {
                "name": "Claire Dubois",
                "login": "recouvrement",
                "password": "recouvrement",
                "email": "c.dubois@durand-batiment.fr",
                "lang": lang or "en_US",
                "company_id": company.id,
                "company_ids": [Command.set(company.ids)],
                "groups_id": [Command.set(self.env.ref("account.group_account_invoice").ids)],
            }
        )
        self.xmlid("demo_user_collector", collector)
        Line = self.env["account.move.line"]
        open_lines = Line.search(
            [*Line._relance_open_domain(), ("company_id", "=", company.id)],
            order="date_maturity, id",
        )
        payers = open_lines.reminder_payer_id.sorted("name")
        admin = self.env.ref("base.user_admin")
        for index, payer in enumerate(payers):
            payer.reminder_collector_id = collector if index % 2 else admin
        excluded = self.env.ref(f"{MODULE}.demo_customer_boulangerie_fayolle")
        excluded.write({"reminder_excluded": True, "reminder_comment": EXCLUDED_COMMENT})
        # holds and promises on late installments of distinct other payers
        candidates = {}
        for line in open_lines:
            late = (today - line.date_maturity).days >= 15 and line.reminder_level < 3
            if late and line.reminder_payer_id != excluded:
                candidates.setdefault(line.reminder_payer_id, line)
        picked = rng.sample(list(candidates.values()), k=min(5, len(candidates)))
        for line, (note, until) in zip(picked, DISPUTES, strict=False):
            line.write(
                {
                    "reminder_block_reason": "dispute",
                    "reminder_block_note": note,
                    "reminder_block_until": until is not None and today + timedelta(days=until),
                }
            )
        promised = picked[len(DISPUTES) :]
        if promised:
            promised[0]._relance_promise(
                today + timedelta(days=12),
                promised[0].amount_residual,
                note="Promis par téléphone par le service comptable",
            )
        if len(promised) > 1:
            self.broken_promise(promised[1], today - timedelta(days=4))

    def broken_promise(self, line, date):
        """A promise made for ``date``, now passed and unpaid: the values the
        promise wizard recorded (it refuses a past date today)."""
        line.write(
            {
                "reminder_block_reason": "promise",
                "reminder_block_until": date,
                "reminder_block_note": "Virement annoncé par le gérant",
                "reminder_promise_date": date,
                "reminder_promise_amount": line.amount_residual,
            }
        )

    # ------------------------------------------------------------------
    def xmlid(self, name, record):
        self.env["ir.model.data"]._update_xmlids(
            [{"xml_id": f"{MODULE}.{name}", "record": record, "noupdate": True}]
        )
