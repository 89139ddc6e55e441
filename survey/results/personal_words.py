"""Word lists for finding personal data in comments (survey/results/personal.py): Welsh and
common short first names and surnames that the name lists of the Faker package lack, titles,
words for people and workplaces, and capitalised words that are not names."""

from __future__ import annotations

# Welsh first names (and the Welsh forms of common ones), written for this project.
WELSH_FIRST = """
Aled Alun Alwyn Aneirin Aneurin Angharad Anwen Arwel Arwyn Awen Bethan Berwyn Bleddyn Bronwen Bryn
Brynmor Cadi Cai Caradog Carwyn Cati Cerys Ceri Ceinwen Cledwyn Dafydd Delyth Dewi Dilys Dwynwen
Dylan Efa Eifion Eirian Eirlys Eirwen Eleri Elen Elfed Elin Elis Eluned Emlyn Emrys Enfys Eryl
Esyllt Ffion Ffraid Gareth Geraint Glenys Glesni Glyn Gruffudd Gruffydd Guto Gwenllian Gwen Gwenan
Gwenda Gwendolen Gwenno Gwern Gwilym Gwion Gwyn Gwyneth Heddwyn Heledd Heulwen Hywel Huw Idris Ieuan
Ifan Ifor Iolo Iona Iorwerth Ioan Islwyn Llinos Llio Lowri Luned Mabli Mabon Macsen Madog Mared
Mari Meinir Meirion Meleri Menna Meredydd Meilyr Morfudd Myfanwy Nerys Nest Nia Non Nye Owain Owena
Osian Pedr Peredur Rhian Rhiannon Rhodri Rhun Rhydian Rhys Seren Sian Siân Siôn Sioned Siwan Steffan
Sulwen Tegan Tegwen Teleri Tomos Trefor Tudur Tirion Wyn Ynyr Ffion Gethin Gwawr Manon Mererid
"""
# Short forms and spellings common in Britain that the Faker lists lack.
SHORT_FIRST = """
Abdul Ali Andy Babs Baz Becky Bev Bob Chris Col Dai Dave Debs Del Di Dom Ed Fran Gaz Ger Gill Jay
Jen Jim Jo Jon Jonny Kaz Kev Les Liz Mal Mo Nat Nic Nick Ollie Phil Ray Rob Ron Sal Sam Shaz Si Steph
Steve Stu Tez Tom Tony Viv Wil
"""
# Welsh surnames and common British Asian, African and Irish ones, written for this project.
MORE_SURNAMES = """
Bevan Bowen Cadwaladr Griffiths Gwyn Harries Howells Huws Jenkins Llewellyn Llewelyn Lloyd Meredith
Morgan Owen Parry Powell Price Prichard Pritchard Probert Prosser Pugh Rees Rowlands Vaughan Watkins
Wyn Adeyemi Ahmed Akhtar Ali Begum Bhatt Chowdhury Hussain Iqbal Khan Mahmood Okafor Okonkwo Patel
Rahman Shah Singh O'Brien O'Neill O'Connor Kowalski Nowak
"""

# First names that are also everyday words, months, products or places: a name only beside a
# surname, a title or a word that says it is a person.
AMBIGUOUS_FIRST = """
Alexa Amber April Art August Aurora Autumn Bill Blessing Bonnie Brook Brooke Carol Chance Charity
Chase Chelsea Claude Crystal Daisy Dawn Dean Destiny Devon Dewi Eira Faith Florence Frank Gemini Gene
Glen Grace Guy Haf Harmony Hazel Heather Holly Honey Hope Hunter Iris Ivy Jack Jade Jasmine Jewel
Jordan Joy June Justice Kent King Lily Lincoln Mae Mai Major March Mark May Melody Miles Misty Olive
Paris Pat Patience Pearl Penny Ray Reading Rich Rob Robin Rose Ruby Rusty Sandy Santa Sky Skye Star
Sterling Summer Sunny Sydney Victoria Violet Wade Will Winter Wyn Gwyn Nest Non Bryn Cai Seren Enfys
Dylan Glyn Mari Nia Mo Sal Di Del Jo Si Angel Drew Dale Mason Carter Parker Max Earl Grant Lucky Sue
Austin Madison Brooklyn India Georgia Virginia Dakota Chad Asia China Israel Jersey Florida Chester
"""

# Capitalised words that are not part of a person's name where one could be expected.
NOT_NAMES = """
AI NHS GIG IT HR TG AD A&E GP GDPR Band Ward Council Team Teams Manager Director Service Services
Office Board Trust Health Hospital Centre Center Unit Station Street Road The A An And Or But If In
On At Of To For From By With Our My Your Their His Her We I It This That These Those There Here
Copilot ChatGPT Microsoft Google Apple Amazon Oracle Palantir Viva Power BI Alexa Gemini Siri Teams
Wales England Cymru Lloegr Welsh English Cymraeg Monday Tuesday Wednesday Thursday Friday Saturday
Sunday January February March April May June July August September October November December
Mae Yn Y Yr Fy Ein Eich Dydd Gŵyl Sant Saint St Day Christmas Easter Bank Holiday Government
Llywodraeth Bwrdd Iechyd Gwasanaeth Tîm Rheolwr Adran Swyddfa Ysgol Ysbyty Nurse Sister Doctor
Nyrs Chief Head Deputy Senior Junior Clinical Lead Support Worker Workers Staff Union UNISON Unsain
Canolfan Contact Customer Operations Practice General Area Regional District Services
"""
# Welsh words that are also first names in English ("Pam?" is "Why?"), in Welsh comments.
NOT_NAMES_CY = """
Pam Mae Dan Bod Dim Ond Hefyd Rhy Mor Tan Wedi Heb Gan Efo Nawr Hon Hwn Yma Yno Dyma Dyna Felly Cyn
Heddiw Eto Ar Am Sut Pwy Beth Oes Ydy Roedd Bydd Byddai Pan Tra Os Nes Hyd Dros Drwy Trwy Gyda Wrth
"""

# Organisations named after people (Welsh health boards and the like): never a person here.
NAMED_ORGANISATIONS = ("Aneurin Bevan", "Hywel Dda", "Betsi Cadwaladr", "Florence Nightingale", "Cwm Taf")

# Words before a name that say it is a person (English and Welsh).
TITLES = """
Dr Dr. Doctor Mr Mr. Mrs Mrs. Ms Ms. Miss Mx Prof Prof. Professor Sir Dame Lord Lady Rev Rev. Revd
Councillor Cllr Cllr. Sister Nurse Matron Father Cynghorydd Nyrs Athro Parch Parchedig Meddyg
"""
# Titles that are also job words ("Nurse Band 5"): a name only if a known name follows.
WEAK_TITLES = frozenset({"Sister", "Nurse", "Matron", "Father", "Nyrs", "Meddyg", "Doctor", "Athro"})

# Roles whose holder may be named next ("my manager Gareth", "fy rheolwr, Huw").
ROLES = r"""manager|line manager|supervisor|team leader|boss|colleague|deputy|matron|director|
rep|steward|secretary|coordinator|rheolwr|rheolwraig|goruchwyliwr|cydweithiwr|cydweithwraig|
pennaeth|arweinydd tîm"""

# Singular nouns (and Welsh mutated forms) for a person: "the only <...> man in".
PERSON_NOUNS_EN = r"""woman|man|person|one|nurse|midwife|member|speaker|user|worker|officer|
coordinator|manager|employee|colleague|driver|carer|cleaner|porter|doctor|student|apprentice|
trainee|volunteer|rep|steward|handler|assistant|guy|girl|lad|lady|mum|dad|mother|father|parent|
wheelchair user|black|asian|muslim|jewish|sikh|hindu|receptionist|administrator|clerk|technician|
therapist|pharmacist|paramedic|firefighter|teacher|lecturer|librarian|cook|chef|caretaker|gardener|
engineer|analyst|planner|adviser|advisor|dispatcher|controller|inspector|researcher|secretary|
interpreter|translator|supervisor|porter|coach|social worker|sister|brother|son|daughter|wife|husband"""
PERSON_NOUNS_CY = r"""menyw|fenyw|dyn|ddyn|person|berson|un|nyrs|aelod|siaradwr|siaradwraig|
gweithiwr|weithiwr|gweithwraig|weithwraig|swyddog|rheolwr|reolwr|bydwraig|fydwraig|gofalwr|
ofalwr|gyrrwr|yrrwr|merch|ferch|bachgen|fachgen|mam|fam|tad|dad|meddyg|feddyg|myfyriwr|fyfyriwr|
derbynnydd|athro|athrawes|glanhawr|lanhawr|glanhawraig|lanhawraig|technegydd|dechnegydd|cynorthwyydd|
gynorthwyydd|clerc|glerc|gweinyddwr|weinyddwr|cyfieithydd|gyfieithydd|peiriannydd|beiriannydd"""

# Workplace nouns after a place's name ("the Wakefield control room") and capitalised words before
# them that are departments, not places.
WORKPLACES_EN = r"""office|depot|control room|call centre|contact centre|hub|team|branch|library|
surgery|clinic|school|warehouse|store|site|station|yard|ward|unit|practice|centre|custody suite"""
NOT_PLACES = """
The A An Our My Their Your This That Every Each Housing Finance Payroll Contact Customer Job Bus
Health Head Main Central Regional Local Area National County District City Council IT HR Social
Support Admin Digital Data Training Care Night Day Community Children's Adult Mental Benefits
Revenue Customer Services Service Call Control Emergency Sales Post Print Mail Records Legal
Planning Parking Leisure Education Waste Transport Highways Estates Facilities Catering Domestic
Security Reception Ward Clinical Medical Surgical Maternity Outpatients Theatre Theatres Team Pilot
Wales England Welsh English UK British Victoria Job The
"""
WORKPLACES_CY = r"""swyddfa|depo|ganolfan alwadau|canolfan alwadau|ganolfan gyswllt|canolfan gyswllt|
ystafell reoli|tîm|dîm|llyfrgell|ysgol|meddygfa|feddygfa|ysbyty|gorsaf|ward|uned"""


def words(block: str) -> frozenset[str]:
    """Return the words of a block of text as a set."""
    return frozenset(block.split())


def alternatives(block: str) -> str:
    """Return a block of |-separated alternatives as one line for a regular expression."""
    return "".join(block.split("\n"))
