"""The answer model's tables: who answers (weights shaped like the union's membership), how their
work and hidden traits shape their answers, and the free text they write.

Each table names answer codes of the ai-at-work questionnaire; `demo.draws.vec` refuses a code
the questionnaire does not have.
"""

# --- who answers: weights shaped like the union's membership -----------------------------------

SERVICE_GROUPS = {
    "local_gov": 0.40,
    "health": 0.35,
    "higher_ed": 0.05,
    "police_justice": 0.05,
    "community": 0.06,
    "wet": 0.03,
    "energy": 0.03,
    "dk": 0.03,
}

SECTORS = {
    "health": {
        "acute_hospital": 0.42,
        "ambulance": 0.08,
        "mental_health": 0.12,
        "community_health": 0.15,
        "primary_care": 0.08,
        "nhs_national": 0.03,
        "nhs_contractor": 0.06,
        "health_other": 0.06,
    },
    "local_gov": {
        "adult_social_care": 0.16,
        "childrens_services": 0.12,
        "schools": 0.28,
        "fe_college": 0.04,
        "housing": 0.06,
        "revenues_contact": 0.07,
        "environment_highways": 0.06,
        "libraries_leisure": 0.04,
        "corporate": 0.10,
        "lg_other": 0.05,
        "lg_other_body": 0.02,
    },
    "higher_ed": {"university": 0.85, "campus_contractor": 0.10, "he_other": 0.05},
    "police_justice": {
        "police_ew": 0.62,
        "police_scotland": 0.10,
        "probation": 0.18,
        "cafcass": 0.04,
        "pj_contractor": 0.03,
        "pj_other": 0.03,
    },
    "community": {"charity": 0.45, "housing_association": 0.40, "social_enterprise": 0.10, "comm_other": 0.05},
    "wet": {"water": 0.35, "environment_body": 0.30, "transport": 0.25, "wet_other": 0.10},
    "energy": {"electricity": 0.35, "gas": 0.25, "energy_retail": 0.30, "energy_other": 0.10},
}
SECTOR_OTHER = 0.005  # "Something else (please tell us)", offered to everyone

REGIONS = {
    "eastern": 0.075,
    "east_midlands": 0.07,
    "greater_london": 0.09,
    "northern": 0.07,
    "north_west": 0.12,
    "south_east": 0.09,
    "south_west": 0.08,
    "west_midlands": 0.09,
    "yorkshire_humberside": 0.09,
    "cymru_wales": 0.07,
    "scotland": 0.11,
    "northern_ireland": 0.035,
    "dk": 0.01,
}
ENGLAND = ("eastern", "east_midlands", "greater_london", "northern", "north_west", "south_east", "south_west")
ENGLAND += ("west_midlands", "yorkshire_humberside")
REGIONS_ALLOWED = {  # employers that exist only in some nations
    "police_scotland": ("scotland",),
    "police_ew": (*ENGLAND, "cymru_wales", "dk"),
    "probation": (*ENGLAND, "cymru_wales", "dk"),
    "cafcass": (*ENGLAND, "dk"),
}
WELSH_ANSWERS = {"cymru_wales": 0.22}  # share answering in Welsh; 0.2% elsewhere
WELSH_ELSEWHERE = 0.002

EMPLOYERS = {"public_body": 0.93, "private_contractor": 0.02, "voluntary": 0.01, "agency": 0.03, "other": 0.01}
EMPLOYERS_BY_SECTOR = {
    "adult_social_care": {"public_body": 0.55, "private_contractor": 0.35, "voluntary": 0.07, "agency": 0.03},
    "schools": {"public_body": 0.86, "private_contractor": 0.08, "agency": 0.05, "other": 0.01},
    "nhs_contractor": {"private_contractor": 0.92, "agency": 0.06, "other": 0.02},
    "pj_contractor": {"private_contractor": 0.95, "agency": 0.05},
    "campus_contractor": {"private_contractor": 0.92, "agency": 0.06, "other": 0.02},
    "university": {"uni_college": 0.95, "agency": 0.03, "other": 0.02},
    "he_other": {"uni_college": 0.80, "private_contractor": 0.12, "other": 0.08},
    "fe_college": {"uni_college": 0.94, "agency": 0.04, "other": 0.02},
    "charity": {"voluntary": 0.93, "other": 0.07},
    "housing_association": {"housing_assoc": 0.96, "other": 0.04},
    "social_enterprise": {"voluntary": 0.80, "other": 0.20},
    "comm_other": {"voluntary": 0.60, "housing_assoc": 0.20, "other": 0.20},
    "water": {"utility": 0.95, "agency": 0.05},
    "transport": {"utility": 0.85, "public_body": 0.10, "agency": 0.05},
    "wet_other": {"utility": 0.60, "public_body": 0.35, "other": 0.05},
    "electricity": {"utility": 0.96, "agency": 0.04},
    "gas": {"utility": 0.96, "agency": 0.04},
    "energy_retail": {"utility": 0.90, "agency": 0.10},
    "energy_other": {"utility": 0.90, "other": 0.10},
    "other": {"public_body": 0.5, "private_contractor": 0.2, "voluntary": 0.2, "other": 0.1},
}

ROLES = {
    "frontline": 0.15,
    "control_room": 0.04,
    "casework": 0.06,
    "admin": 0.25,
    "care_clinical": 0.10,
    "technical": 0.08,
    "investigation": 0.01,
    "facilities": 0.12,
    "manager": 0.08,
    "other": 0.02,
}
ROLES_BY_SECTOR = {  # multipliers on ROLES
    "acute_hospital": {"care_clinical": 3, "facilities": 1.5},
    "ambulance": {"control_room": 12, "care_clinical": 1.5},
    "mental_health": {"care_clinical": 3, "frontline": 1.5},
    "community_health": {"care_clinical": 3, "frontline": 1.5},
    "primary_care": {"admin": 2.5},
    "nhs_national": {"admin": 1.5, "technical": 3},
    "adult_social_care": {"care_clinical": 4, "frontline": 2},
    "childrens_services": {"casework": 6},
    "schools": {"frontline": 3, "facilities": 1.5},
    "revenues_contact": {"control_room": 10, "admin": 1.5},
    "energy_retail": {"control_room": 10},
    "corporate": {"admin": 2, "technical": 3},
    "housing": {"frontline": 2, "casework": 2},
    "housing_association": {"frontline": 2, "casework": 2},
    "police_ew": {"control_room": 5, "investigation": 15, "admin": 1.5},
    "police_scotland": {"control_room": 5, "investigation": 15, "admin": 1.5},
    "probation": {"casework": 8},
    "cafcass": {"casework": 8},
    "environment_highways": {"facilities": 2, "technical": 2},
    "water": {"facilities": 2, "technical": 2},
    "transport": {"facilities": 2, "technical": 1.5},
}

# AI in use at work (B1): a log-odds score from the sector and the role.
AI_BASE = -0.8
AI_BY_SECTOR = {
    "ambulance": 0.8,
    "acute_hospital": 0.3,
    "primary_care": 0.5,
    "nhs_national": 0.7,
    "revenues_contact": 0.9,
    "corporate": 0.8,
    "childrens_services": 0.4,
    "adult_social_care": 0.2,
    "police_ew": 0.6,
    "police_scotland": 0.4,
    "probation": 0.8,
    "cafcass": 0.7,
    "energy_retail": 1.0,
    "university": 0.5,
    "schools": -0.6,
    "environment_highways": -0.4,
    "libraries_leisure": -0.5,
    "charity": -0.2,
}
AI_BY_ROLE = {
    "control_room": 1.0,
    "admin": 0.4,
    "technical": 0.8,
    "casework": 0.5,
    "manager": 0.3,
    "care_clinical": -0.2,
    "facilities": -1.0,
}

# Hidden traits, drawn first so that later answers can depend on them.
AGES = {"16_24": 0.04, "25_30": 0.08, "31_39": 0.16, "40_49": 0.23, "50_59": 0.31, "60_64": 0.12, "65_plus": 0.06}
DISABLED_BY_AGE = (0.10, 0.11, 0.12, 0.14, 0.19, 0.24, 0.24)
FEMALE_BY_GROUP = {
    "health": 0.80,
    "local_gov": 0.80,
    "higher_ed": 0.62,
    "police_justice": 0.68,
    "community": 0.75,
    "wet": 0.35,
    "energy": 0.45,
    "dk": 0.78,
}
BLACK_BY_REGION = {  # UNISON's inclusive "Black members" group
    "greater_london": 0.42,
    "west_midlands": 0.20,
    "east_midlands": 0.14,
    "yorkshire_humberside": 0.12,
    "north_west": 0.12,
    "eastern": 0.12,
    "south_east": 0.10,
    "south_west": 0.05,
    "northern": 0.05,
    "cymru_wales": 0.05,
    "scotland": 0.05,
    "northern_ireland": 0.04,
    "dk": 0.12,
}
WHITE_GROUPS = {
    "white_british": 0.90,
    "white_irish": 0.02,
    "gypsy_traveller": 0.003,
    "roma": 0.002,
    "white_other": 0.075,
}
BLACK_GROUPS = {
    "mixed_white_black_caribbean": 0.06,
    "mixed_white_black_african": 0.03,
    "mixed_white_asian": 0.04,
    "mixed_other": 0.03,
    "indian": 0.16,
    "pakistani": 0.09,
    "bangladeshi": 0.04,
    "chinese": 0.03,
    "asian_other": 0.05,
    "caribbean": 0.16,
    "african": 0.22,
    "black_other": 0.02,
    "arab": 0.015,
    "other_ethnic": 0.025,
}
RELIGIONS = {
    "no_religion": 0.47,
    "christian": 0.46,
    "buddhist": 0.005,
    "hindu": 0.003,
    "jewish": 0.005,
    "muslim": 0.01,
    "sikh": 0.002,
    "other": 0.015,
}
RELIGIONS_BY_ETHNICITY = {
    "pakistani": {"muslim": 0.88, "no_religion": 0.08, "other": 0.04},
    "bangladeshi": {"muslim": 0.90, "no_religion": 0.07, "other": 0.03},
    "arab": {"muslim": 0.80, "christian": 0.12, "no_religion": 0.08},
    "indian": {"hindu": 0.45, "sikh": 0.22, "muslim": 0.12, "christian": 0.08, "no_religion": 0.10, "other": 0.03},
    "african": {"christian": 0.72, "muslim": 0.16, "no_religion": 0.10, "other": 0.02},
    "caribbean": {"christian": 0.62, "no_religion": 0.33, "other": 0.05},
    "chinese": {"no_religion": 0.60, "christian": 0.22, "buddhist": 0.15, "other": 0.03},
}

# Free text: a few plain sentences. A few (CONTACT_SHARE) carry an email address or a phone number
# (fictional: example.org and Ofcom's drama range), so the comment-moderation rule has something to
# hold back.
# The open comments (K1) are drawn from PLANTED_THEMES, so that the comment theming can be checked
# against what was planted (tests/test_themes.py measures the adjusted Rand index): each theme's
# English comments are every opening joined to every ending, its Welsh ones a few plain sentences.
PLANTED_THEMES: dict[str, dict[str, tuple[tuple[str, ...], ...]]] = {
    "monitoring": {
        "en": (
            (
                "Our call times are tracked to the second",
                "The keystroke monitoring software watches everything we type",
                "Managers now get a report of every minute we are away from the screen",
                "The new tracking dashboard logs when we go to the toilet",
                "Webcam checks on home workers",
            ),
            (
                "and it is making people ill.",
                "and it feels like we are not trusted.",
                "and it is used to discipline people rather than support them.",
                "and nobody told us what the data is kept for.",
            ),
        ),
        "cy": (
            (
                "Mae'r system yn cofnodi pob munud rydyn ni oddi wrth y sgrin.",
                "Mae'r rheolwyr yn gwylio popeth rydyn ni'n ei deipio.",
                "Mae'r meddalwedd monitro yn gwneud i ni deimlo nad oes neb yn ymddiried ynom.",
                "Mae amser pob galwad yn cael ei gofnodi i'r eiliad.",
            ),
        ),
    },
    "training": {
        "en": (
            (
                "AI could help with the paperwork",
                "The new tools might be useful",
                "I would use the transcription software",
                "Staff would welcome the chatbot",
                "We could make the case management system work",
            ),
            (
                "if we had proper training and time to learn it.",
                "but there has been no training at all.",
                "once someone shows us how to use it properly.",
                "if training happened in work time, not on our days off.",
            ),
        ),
        "cy": (
            (
                "Mae angen hyfforddiant arnon ni cyn defnyddio'r offer newydd.",
                "Does dim hyfforddiant wedi bod o gwbl ar y system.",
                "Dylai'r hyfforddiant ddigwydd yn ystod oriau gwaith.",
                "Byddai'r offer yn ddefnyddiol petai rhywun yn dangos i ni sut i'w defnyddio.",
            ),
        ),
    },
    "jobs": {
        "en": (
            (
                "I worry my job will be downgraded",
                "People in my team fear redundancy",
                "Our grades will be cut",
                "Posts are already being left empty",
                "Management say roles will be reviewed",
            ),
            (
                "once the software does half of it.",
                "now that the automation is coming in.",
                "because the council wants AI to replace staff.",
                "and savings from AI should go back into frontline staff, not into cuts.",
            ),
        ),
        "cy": (
            (
                "Rydw i'n poeni y bydd fy swydd yn cael ei hisraddio.",
                "Mae pobl yn fy nhîm yn ofni colli eu swyddi.",
                "Mae swyddi gwag yn cael eu gadael heb eu llenwi oherwydd y dechnoleg.",
                "Dylai'r arbedion fynd yn ôl i staff rheng flaen, nid i doriadau.",
            ),
        ),
    },
    "consultation": {
        "en": (
            (
                "Nobody asked us before the chatbot went live",
                "We were not consulted about the new system",
                "The union was only told after the contract was signed",
                "Frontline staff had no say in choosing the software",
            ),
            (
                "and now the public get angry with us on the phone.",
                "and it does not fit the way we actually work.",
                "so the problems we could have predicted have all happened.",
                "and our concerns were dismissed.",
            ),
        ),
        "cy": (
            (
                "Does neb wedi gofyn i ni cyn i'r system newydd ddechrau.",
                "Chawson ni ddim ein hymgynghori am y feddalwedd newydd.",
                "Dim ond ar ôl arwyddo'r contract y cafodd yr undeb wybod.",
            ),
        ),
    },
    "oversight": {
        "en": (
            (
                "Please make sure a person always checks",
                "A human must have the final say on",
                "The algorithm should never decide alone on",
                "Someone qualified needs to review",
            ),
            (
                "decisions about vulnerable people.",
                "benefit claims and sanctions.",
                "safeguarding referrals.",
                "who gets a care package.",
            ),
        ),
        "cy": (
            (
                "Dylai person wirio pob penderfyniad am bobl fregus.",
                "Rhaid i berson gael y gair olaf ar benderfyniadau gofal.",
                "Ni ddylai'r algorithm benderfynu ar ei ben ei hun.",
            ),
        ),
    },
    "workload": {
        "en": (
            (
                "The new system writes our case notes",
                "The automatic letters go out",
                "The scheduling tool books our visits",
                "The AI summaries of meetings are produced",
            ),
            (
                "but we spend ages correcting them.",
                "but they are full of mistakes that we have to fix.",
                "and our workload has gone up, not down.",
                "yet checking the errors takes longer than doing it ourselves.",
            ),
        ),
        "cy": (
            (
                "Mae'r system yn ysgrifennu nodiadau achos ond rydyn ni'n treulio oriau yn eu cywiro.",
                "Mae'r llythyrau awtomatig yn llawn camgymeriadau.",
                "Mae ein llwyth gwaith wedi cynyddu ers i'r system gyrraedd.",
            ),
        ),
    },
}


def _planted() -> tuple[dict[str, tuple[str, ...]], dict[str, str]]:
    """Return the comment pool by language and each comment's planted theme."""
    pool: dict[str, list[str]] = {"en": [], "cy": []}
    theme_of: dict[str, str] = {}
    for theme, languages in PLANTED_THEMES.items():
        for language, parts in languages.items():
            sentences = [f"{a} {b}" for a in parts[0] for b in parts[1]] if len(parts) == 2 else list(parts[0])
            pool[language] += sentences
            theme_of.update(dict.fromkeys(sentences, theme))
    return {language: tuple(sentences) for language, sentences in pool.items()}, theme_of


COMMENTS, PLANTED_THEME_OF = _planted()
INCIDENTS = {
    "en": (
        "A colleague with dyslexia was marked down by the automatic quality checker.",
        "The voice recognition could not understand my accent, so my calls were flagged for review.",
        "The rota tool kept giving night shifts to staff on reduced hours after maternity leave.",
        "Targets set by the system ignored my reasonable adjustments.",
        "The face recognition at the entrance failed for Black colleagues far more often.",
        "The absence system flagged a disabled colleague for triggers caused by their condition.",
    ),
    "cy": (
        "Cafodd fy nghydweithiwr anabl ei farcio i lawr gan y system.",
        "Doedd y system adnabod llais ddim yn deall fy acen.",
    ),
}
CONTACT = {
    "en": (
        "Happy to talk more about this: email me at sam.jones@example.org",
        "Our branch would like to help with the campaign, ring 07700 900461.",
        "I can explain more if you write to me at j.smith@example.org",
    ),
    "cy": ("Cysylltwch â fi ar 07700 900118 os oes angen mwy o wybodaeth.",),
}
CONTACT_SHARE = 0.05
WRITE_INS = {
    "A2.other": ("Prison healthcare", "A leisure trust", "Court service"),
    "A3.other": ("A trust that runs services for the council", "A joint venture company"),
    "A4.other": ("Porter", "Interpreter", "Trainer"),
    "B2.other": ("Automatic translation", "Number plate recognition"),
    "F2.other": ("Service users", "Pensions"),
    "L3.no": ("Non-binary", "Trans woman", "Trans man"),
    "L4.other": ("Asexual", "Pansexual", "Queer"),
    "L5.white_other": ("Polish", "Italian", "Romanian", "Portuguese"),
    "L5.mixed_other": ("Black and Asian", "Arab and White"),
    "L5.asian_other": ("Sri Lankan", "Filipino", "Nepali"),
    "L5.black_other": ("Black British", "Black Welsh"),
    "L5.other_ethnic": ("Turkish", "Kurdish", "Latin American"),
    "L8.other": ("Pagan", "Spiritualist", "Rastafarian"),
}
WRITE_IN_SHARE = 0.6  # of members who pick an "Other (please tell us)" option
