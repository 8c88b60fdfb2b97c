# ruff: noqa: E501
"""Build aberllyn_assets.csv, the demo's fictional assets (run: python data/demo/build_demo.py).

Deterministic: the same file every run (fixed seed, no clock). The CSV is committed; this script
is how it was made and how to change it. Everything here is invented; see README.md.
"""

import csv
import random
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "aberllyn_assets.csv"
SOURCE = "assetmap-demo (fictional)"
# Aberllyn sits in Cardigan Bay, about 17 km off the real coast (where the legend puts the
# drowned land of Cantre'r Gwaelod), so no real place is mistaken for it.
CENTRE = (-4.42, 52.36)
COLUMNS = (
    "kind",
    "name_en",
    "name_cy",
    "description_en",
    "description_cy",
    "themes",
    "lon",
    "lat",
    "service_area",
    "address",
    "email",
    "phone",
    "website",
    "opening_hours",
    "accessibility",
    "languages",
    "status",
    "last_verified_at",
    "source",
    "source_id",
)
STREETS = (
    ("Stryd Fawr", "Stryd Fawr"),
    ("Heol y Llyn", "Heol y Llyn"),
    ("Harbour Row", "Rhes yr Harbwr"),
    ("Chapel Street", "Stryd y Capel"),
    ("Ffordd yr Orsaf", "Ffordd yr Orsaf"),
    ("Lôn Glan Môr", "Lôn Glan Môr"),
)
# (kind, English name, Welsh name, themes, what it is in English, in Welsh, hours, access, langs)
# fmt: off
ASSETS = (
    ("group", "Aberllyn Lunch Club", "Clwb Cinio Aberllyn", "food;older_people;loneliness_befriending", "a weekly hot lunch and a chat for older people", "cinio poeth wythnosol a sgwrs i bobl hŷn", "wed 12:00-14:00", "step_free_access;accessible_toilet", "cy;en"),
    ("group", "Harbour Walking Group", "Grŵp Cerdded yr Harbwr", "physical_activity_sport;mental_health", "gentle walks along the harbour wall, all paces welcome", "teithiau cerdded hamddenol ar hyd wal yr harbwr", "sat 10:00-12:00", "", "cy;en"),
    ("group", "", "Côr Meibion Aberllyn", "arts_culture;welsh_language", "a male voice choir that welcomes new singers", "côr meibion sy'n croesawu cantorion newydd", "thu 19:00-21:00", "hearing_loop", "cy"),
    ("group", "Parent and Toddler Group", "Grŵp Rhieni a Phlant Bach", "children_families", "play and song for under-fives and their carers", "chwarae a chân i blant dan bump a'u gofalwyr", "tue 09:30-11:30;fri 09:30-11:30", "step_free_access", "cy;en"),
    ("group", "Aberllyn Repair Café", "Caffi Trwsio Aberllyn", "green_space_environment;money_advice", "volunteers fix clothes, toys and small electricals", "gwirfoddolwyr yn trwsio dillad, teganau a nwyddau trydanol", "sat 13:00-16:00", "step_free_access;seating", "cy;en"),
    ("group", "Young Carers Club", "Clwb Gofalwyr Ifanc", "young_people;carers;mental_health", "time out for young people who look after someone", "amser i ffwrdd i bobl ifanc sy'n gofalu am rywun", "mon 16:00-18:00", "quiet_space", "cy;en"),
    ("group", "Men's Shed", "Sied Dynion", "loneliness_befriending;mental_health;learning_skills", "a workshop to make, mend and talk", "gweithdy i greu, trwsio a sgwrsio", "tue 10:00-15:00;thu 10:00-15:00", "accessible_toilet", "en"),
    ("group", "Welsh Conversation Circle", "Cylch Sgwrsio", "welsh_language;learning_skills", "practise Welsh over a cuppa, learners of every level", "ymarfer Cymraeg dros baned, i ddysgwyr o bob lefel", "wed 18:30-20:00", "hearing_loop;large_print", "cy;en"),
    ("group", "Beach Clean Volunteers", "Gwirfoddolwyr Glanhau'r Traeth", "green_space_environment", "monthly beach cleans, equipment provided", "glanhau'r traeth bob mis, offer ar gael", "sun 10:00-12:00", "", "cy;en"),
    ("group", "Dementia Friendly Singing", "Canu Cyfeillgar i Ddementia", "older_people;arts_culture;health_wellbeing", "singing for people living with dementia and their carers", "canu i bobl sy'n byw gyda dementia a'u gofalwyr", "fri 14:00-15:30", "step_free_access;accessible_toilet;quiet_space;seating", "cy;en"),
    ("group", "Aberllyn Youth Forum", "Fforwm Ieuenctid Aberllyn", "young_people", "young people's voice in local decisions", "llais pobl ifanc mewn penderfyniadau lleol", "thu 17:00-18:30", "step_free_access", "cy;en"),
    ("group", "Knit and Natter", "Gweu a Sgwrsio", "loneliness_befriending;arts_culture", "bring your needles, or borrow some", "dewch â'ch gweill, neu benthyg rhai", "mon 14:00-16:00", "seating", "en"),
    ("group", "Running Club", "Clwb Rhedeg", "physical_activity_sport", "beginners' couch to 5k and club runs", "o'r soffa i 5k a rhediadau'r clwb", "tue 18:30-20:00;sat 08:00-09:30", "", "cy;en"),
    ("group", "Bereavement Café", "Caffi Profedigaeth", "mental_health;loneliness_befriending", "a friendly space to talk about loss", "lle cyfeillgar i siarad am golled", "thu 10:30-12:00", "quiet_space;step_free_access", "cy;en"),
    ("space", "Aberllyn Community Hall", "Neuadd Gymunedol Aberllyn", "community_spaces", "a hall for hire with a kitchen and garden", "neuadd i'w llogi gyda chegin a gardd", "mon 09:00-22:00;tue 09:00-22:00;wed 09:00-22:00;thu 09:00-22:00;fri 09:00-22:00;sat 09:00-23:00", "step_free_access;accessible_toilet;hearing_loop;blue_badge_parking", "cy;en"),
    ("space", "Aberllyn Library", "Llyfrgell Aberllyn", "learning_skills;digital_inclusion;community_spaces", "books, free computers and wifi, and a warm place to sit", "llyfrau, cyfrifiaduron a wifi am ddim, a lle cynnes i eistedd", "mon 09:30-17:00;tue 09:30-17:00;wed 09:30-19:00;thu 09:30-17:00;fri 09:30-17:00;sat 10:00-13:00", "step_free_access;accessible_toilet;large_print;hearing_loop", "cy;en"),
    ("space", "Harbour Park", "Parc yr Harbwr", "green_space_environment;physical_activity_sport;children_families", "a park with play area, outdoor gym and sea views", "parc gydag ardal chwarae, campfa awyr agored a golygfeydd o'r môr", "", "step_free_access;seating", ""),
    ("space", "Community Orchard", "Perllan Gymunedol", "green_space_environment;food", "pick apples in autumn; volunteer days monthly", "casglu afalau yn yr hydref; diwrnodau gwirfoddoli bob mis", "", "", ""),
    ("space", "Capel Bethel Vestry", "Festri Capel Bethel", "community_spaces;faith_belief", "a small meeting room behind the chapel", "ystafell gyfarfod fach y tu ôl i'r capel", "tue 10:00-16:00;thu 10:00-16:00", "step_free_access", "cy"),
    ("space", "Allotments at Cae'r Llyn", "Rhandiroedd Cae'r Llyn", "green_space_environment;food;physical_activity_sport", "allotment plots and a shared polytunnel", "lleiniau rhandir a thwnnel plastig ar y cyd", "", "", ""),
    ("space", "Skate Park", "Parc Sglefrio", "young_people;physical_activity_sport", "an open-air skate park by the lake", "parc sglefrio awyr agored wrth y llyn", "", "", ""),
    ("space", "Sensory Garden", "Gardd Synhwyraidd", "disability_access;green_space_environment;mental_health", "a quiet garden planted for scent, sound and touch", "gardd dawel wedi'i phlannu ar gyfer arogl, sŵn a chyffyrddiad", "", "step_free_access;seating;quiet_space", ""),
    ("space", "Old School Rooms", "Hen Ysgol", "community_spaces;learning_skills", "rooms for classes and clubs in the old village school", "ystafelloedd i ddosbarthiadau a chlybiau yn yr hen ysgol", "mon 09:00-21:00;wed 09:00-21:00;fri 09:00-21:00", "accessible_toilet", "cy;en"),
    ("space", "Lakeside Path", "Llwybr Glan y Llyn", "green_space_environment;physical_activity_sport", "a flat, surfaced path around the lake", "llwybr gwastad, wedi'i wynebu, o amgylch y llyn", "", "step_free_access;seating", ""),
    ("space", "Warm Hub at the Institute", "Hwb Cynnes y Sefydliad", "community_spaces;money_advice;loneliness_befriending", "a warm room with free drinks in winter", "ystafell gynnes gyda diodydd am ddim yn y gaeaf", "mon 10:00-16:00;wed 10:00-16:00;fri 10:00-16:00", "step_free_access;accessible_toilet;seating", "cy;en"),
    ("space", "Pen y Bryn Playing Fields", "Caeau Chwarae Pen y Bryn", "physical_activity_sport;children_families", "football and rugby pitches with changing rooms", "caeau pêl-droed a rygbi gydag ystafelloedd newid", "", "blue_badge_parking", ""),
    ("space", "", "Ystafell y Gymdeithas", "community_spaces;welsh_language", "the Welsh society's meeting room above the bookshop", "ystafell gyfarfod y gymdeithas uwchben y siop lyfrau", "thu 18:00-21:00", "", "cy"),
    ("space", "Community Fridge", "Oergell Gymunedol", "food;green_space_environment", "surplus food free to anyone who needs it", "bwyd dros ben am ddim i unrhyw un sydd ei angen", "mon 10:00-18:00;tue 10:00-18:00;wed 10:00-18:00;thu 10:00-18:00;fri 10:00-18:00;sat 10:00-14:00", "step_free_access", "cy;en"),
    ("organisation", "Aberllyn Food Bank", "Banc Bwyd Aberllyn", "food;money_advice", "emergency food parcels and signposting", "parseli bwyd brys a chyfeirio at gymorth", "tue 10:00-13:00;fri 10:00-13:00", "step_free_access;accessible_toilet", "cy;en"),
    ("organisation", "Aberllyn Town Council", "Cyngor Tref Aberllyn", "community_safety;housing", "the town council: allotments, halls and local grants", "cyngor y dref: rhandiroedd, neuaddau a grantiau lleol", "mon 09:00-13:00;wed 09:00-13:00", "step_free_access;hearing_loop", "cy;en"),
    ("organisation", "Lakeside Housing Co-operative", "Cwmni Cydweithredol Tai Glan y Llyn", "housing", "member-run affordable homes", "cartrefi fforddiadwy a redir gan yr aelodau", "thu 10:00-14:00", "", "cy;en"),
    ("organisation", "Aberllyn Credit Union", "Undeb Credyd Aberllyn", "money_advice;employment", "savings accounts and fair loans", "cyfrifon cynilo a benthyciadau teg", "mon 10:00-15:00;fri 10:00-15:00", "step_free_access", "cy;en"),
    ("organisation", "Menter Aberllyn", "Menter Aberllyn", "welsh_language;arts_culture;children_families", "promotes the Welsh language through events and clubs", "hyrwyddo'r Gymraeg drwy ddigwyddiadau a chlybiau", "mon 09:00-17:00;tue 09:00-17:00;wed 09:00-17:00;thu 09:00-17:00", "step_free_access", "cy;en"),
    ("organisation", "Aberllyn Sea Rescue", "Achub Môr Aberllyn", "community_safety", "an independent inshore lifeboat run by volunteers", "bad achub y glannau annibynnol a redir gan wirfoddolwyr", "", "", "cy;en"),
    ("organisation", "Friends of Harbour Park", "Cyfeillion Parc yr Harbwr", "green_space_environment", "volunteers who look after the park", "gwirfoddolwyr sy'n gofalu am y parc", "", "", "cy;en"),
    ("organisation", "Aberllyn Development Trust", "Ymddiriedolaeth Datblygu Aberllyn", "employment;housing;community_spaces", "a community-owned trust running the hall and the hub", "ymddiriedolaeth sy'n eiddo i'r gymuned ac sy'n rhedeg y neuadd a'r hwb", "mon 09:00-17:00;wed 09:00-17:00", "step_free_access;accessible_toilet", "cy;en"),
    ("organisation", "Carers Aberllyn", "Gofalwyr Aberllyn", "carers;health_wellbeing", "support, breaks and advice for unpaid carers", "cymorth, seibiant a chyngor i ofalwyr di-dâl", "tue 09:30-16:30;thu 09:30-16:30", "step_free_access;quiet_space", "cy;en"),
    ("organisation", "Aberllyn Chamber of Trade", "Siambr Fasnach Aberllyn", "employment", "local businesses working together", "busnesau lleol yn cydweithio", "", "", "en"),
    ("organisation", "Tenants' Association", "Cymdeithas y Tenantiaid", "housing;community_safety", "a voice for tenants on the Pen y Bryn estate", "llais i denantiaid ystâd Pen y Bryn", "wed 18:00-20:00", "", "cy;en"),
    ("organisation", "Disability Forum", "Fforwm Anabledd", "disability_access", "disabled people campaigning for an accessible town", "pobl anabl yn ymgyrchu dros dref hygyrch", "mon 13:00-15:00", "step_free_access;accessible_toilet;hearing_loop;bsl_interpreter;changing_places_toilet", "cy;en;bfi"),
    ("organisation", "Aberllyn Mosque and Community Centre", "Mosg a Chanolfan Gymunedol Aberllyn", "faith_belief;community_spaces;food", "prayer hall, community kitchen and English classes", "neuadd weddi, cegin gymunedol a dosbarthiadau Saesneg", "fri 12:00-15:00;sat 10:00-16:00", "step_free_access", "ar;en"),
    ("service", "Aberllyn Befriending Service", "Gwasanaeth Cyfeillio Aberllyn", "loneliness_befriending;older_people", "a volunteer visits or phones you every week", "gwirfoddolwr yn ymweld â chi neu'n eich ffonio bob wythnos", "mon 09:00-17:00;tue 09:00-17:00;wed 09:00-17:00;thu 09:00-17:00;fri 09:00-17:00", "", "cy;en"),
    ("service", "Community Transport", "Trafnidiaeth Gymunedol", "transport;older_people;disability_access", "door-to-door minibus for people who cannot use the bus", "bws mini o ddrws i ddrws i bobl na allant ddefnyddio'r bws", "mon 08:00-18:00;tue 08:00-18:00;wed 08:00-18:00;thu 08:00-18:00;fri 08:00-18:00", "step_free_access", "cy;en"),
    ("service", "Money Advice Drop-in", "Sesiwn Galw Heibio Cyngor Ariannol", "money_advice;housing", "free, confidential help with debt and benefits", "help am ddim a chyfrinachol gyda dyled a budd-daliadau", "wed 10:00-15:00", "step_free_access;quiet_space", "cy;en"),
    ("service", "Aberllyn Surgery", "Meddygfa Aberllyn", "health_wellbeing", "the town's GP practice", "meddygfa'r dref", "mon 08:00-18:30;tue 08:00-18:30;wed 08:00-18:30;thu 08:00-18:30;fri 08:00-18:30", "step_free_access;accessible_toilet;hearing_loop;blue_badge_parking", "cy;en"),
    ("service", "Digital Help Sessions", "Sesiynau Help Digidol", "digital_inclusion;older_people;learning_skills", "one-to-one help with phones, tablets and online forms", "help un-i-un gyda ffonau, tabledi a ffurflenni ar-lein", "thu 14:00-16:00", "step_free_access;large_print", "cy;en"),
    ("service", "Talking Therapies Hub", "Hwb Therapïau Siarad", "mental_health", "short courses and one-to-one talking therapy", "cyrsiau byr a therapi siarad un-i-un", "tue 09:00-17:00;thu 09:00-17:00", "quiet_space;step_free_access", "cy;en"),
    ("service", "Job Club", "Clwb Swyddi", "employment;learning_skills;digital_inclusion", "CVs, applications and interview practice", "CVs, ceisiadau ac ymarfer cyfweliad", "mon 10:00-12:00;wed 10:00-12:00", "step_free_access", "cy;en"),
    ("service", "Flying Start Aberllyn", "Dechrau'n Deg Aberllyn", "children_families", "childcare, health visiting and parenting support", "gofal plant, ymwelwyr iechyd a chymorth rhianta", "mon 09:00-15:00;tue 09:00-15:00;wed 09:00-15:00;thu 09:00-15:00", "step_free_access;accessible_toilet", "cy;en"),
    ("service", "Youth Outreach", "Gwaith Ieuenctid Allgymorth", "young_people;community_safety;mental_health", "youth workers on the streets on Friday nights", "gweithwyr ieuenctid ar y strydoedd nos Wener", "fri 18:00-22:00", "", "cy;en"),
    ("service", "Home Energy Advice", "Cyngor Ynni'r Cartref", "housing;money_advice;green_space_environment", "help to keep warm for less and apply for grants", "help i gadw'n gynnes am lai ac i wneud cais am grantiau", "tue 10:00-14:00", "", "cy;en"),
    ("service", "Adult Learning Classes", "Dosbarthiadau Dysgu Oedolion", "learning_skills;welsh_language;digital_inclusion", "Welsh for adults, English, maths and computing", "Cymraeg i oedolion, Saesneg, mathemateg a chyfrifiadura", "mon 18:00-21:00;tue 18:00-21:00;wed 18:00-21:00", "step_free_access;accessible_toilet;hearing_loop", "cy;en"),
    ("service", "Pharmacy at the Square", "Fferyllfa'r Sgwâr", "health_wellbeing", "prescriptions, advice and the common ailments service", "presgripsiynau, cyngor a'r gwasanaeth anhwylderau cyffredin", "mon 09:00-18:00;tue 09:00-18:00;wed 09:00-18:00;thu 09:00-18:00;fri 09:00-18:00;sat 09:00-13:00", "step_free_access", "cy;en"),
    ("service", "Falls Prevention Classes", "Dosbarthiadau Atal Cwympo", "older_people;physical_activity_sport;health_wellbeing", "strength and balance exercise for over-65s", "ymarfer cryfder a chydbwysedd i bobl dros 65", "wed 11:00-12:00", "step_free_access;seating", "cy;en"),
    ("business", "Caffi'r Cei", "Caffi'r Cei", "food;community_spaces", "a quayside café with a pay-it-forward board", "caffi ar y cei gyda bwrdd talu ymlaen", "mon 08:00-16:00;tue 08:00-16:00;wed 08:00-16:00;thu 08:00-16:00;fri 08:00-16:00;sat 09:00-15:00", "step_free_access;accessible_toilet", "cy;en"),
    ("business", "Aberllyn Bakery", "Becws Aberllyn", "food;employment", "bread baked daily; takes on apprentices", "bara wedi'i bobi bob dydd; yn cymryd prentisiaid", "tue 07:00-15:00;wed 07:00-15:00;thu 07:00-15:00;fri 07:00-15:00;sat 07:00-13:00", "step_free_access", "cy;en"),
    ("business", "The Lakeside Bookshop", "Siop Lyfrau Glan y Llyn", "arts_culture;welsh_language;learning_skills", "new and second-hand books in Welsh and English", "llyfrau newydd ac ail-law yn Gymraeg ac yn Saesneg", "mon 09:30-17:00;tue 09:30-17:00;wed 09:30-17:00;thu 09:30-17:00;fri 09:30-17:00;sat 09:30-17:00", "", "cy;en"),
    ("business", "Harbour Bike Hire", "Llogi Beiciau'r Harbwr", "transport;physical_activity_sport", "bikes, e-bikes and adapted cycles to hire", "beiciau, e-feiciau a beiciau wedi'u haddasu i'w llogi", "sat 09:00-17:00;sun 09:00-17:00", "step_free_access", "cy;en"),
    ("business", "Siop y Pentref", "Siop y Pentref", "food;older_people", "the village shop, with home delivery for those who need it", "siop y pentref, gyda danfon i'r cartref i'r rhai sydd ei angen", "mon 07:00-20:00;tue 07:00-20:00;wed 07:00-20:00;thu 07:00-20:00;fri 07:00-20:00;sat 07:00-20:00;sun 08:00-13:00", "step_free_access", "cy;en"),
    ("business", "Aberllyn Laundrette", "Golchdy Aberllyn", "community_spaces", "service washes and a warm place to wait", "golchi dillad a lle cynnes i aros", "mon 08:00-19:00;tue 08:00-19:00;wed 08:00-19:00;thu 08:00-19:00;fri 08:00-19:00;sat 08:00-17:00", "step_free_access;seating", "en"),
    ("business", "Fish Market Co-op", "Marchnad Bysgod Gydweithredol", "food;employment", "fishers selling their catch direct", "pysgotwyr yn gwerthu eu dalfa'n uniongyrchol", "fri 07:00-12:00;sat 07:00-12:00", "", "cy;en"),
    ("business", "Social Enterprise Print Shop", "Siop Argraffu Menter Gymdeithasol", "employment;disability_access", "a print shop employing disabled people", "siop argraffu sy'n cyflogi pobl anabl", "mon 09:00-17:00;tue 09:00-17:00;wed 09:00-17:00;thu 09:00-17:00;fri 09:00-17:00", "step_free_access;accessible_toilet", "cy;en"),
    ("business", "Taxi Aberllyn", "Tacsi Aberllyn", "transport", "local taxis, including a wheelchair-accessible car", "tacsis lleol, gan gynnwys car hygyrch i gadeiriau olwyn", "", "", "cy;en"),
    ("business", "Garden Centre", "Canolfan Arddio", "green_space_environment;employment", "plants, a café and a therapeutic gardening project", "planhigion, caffi a phrosiect garddio therapiwtig", "mon 09:00-17:00;tue 09:00-17:00;wed 09:00-17:00;thu 09:00-17:00;fri 09:00-17:00;sat 09:00-17:00;sun 10:00-16:00", "step_free_access;accessible_toilet;blue_badge_parking", "en"),
    ("culture", "Aberllyn Eisteddfod", "Eisteddfod Aberllyn", "arts_culture;welsh_language;children_families", "the town's eisteddfod every May, competitions for all ages", "eisteddfod y dref bob mis Mai, cystadlaethau i bob oed", "", "step_free_access;hearing_loop", "cy"),
    ("culture", "Harbour Museum", "Amgueddfa'r Harbwr", "arts_culture;learning_skills", "the story of the town and the drowned land of the bay", "hanes y dref a'r tir a foddwyd yn y bae", "tue 10:00-16:00;wed 10:00-16:00;thu 10:00-16:00;fri 10:00-16:00;sat 10:00-16:00", "step_free_access;accessible_toilet;large_print", "cy;en"),
    ("culture", "Theatr y Llyn", "Theatr y Llyn", "arts_culture;young_people", "a small theatre with a youth theatre group", "theatr fach gyda grŵp theatr ieuenctid", "wed 18:00-22:00;thu 18:00-22:00;fri 18:00-23:00;sat 14:00-23:00", "step_free_access;accessible_toilet;hearing_loop", "cy;en"),
    ("culture", "Aberllyn Brass Band", "Band Pres Aberllyn", "arts_culture", "a brass band with a training band for beginners", "band pres gyda band hyfforddi i ddechreuwyr", "mon 19:00-21:00", "", "cy;en"),
    ("culture", "Community Radio Llyn FM", "Radio Cymunedol Llyn FM", "arts_culture;welsh_language;learning_skills", "local radio run by volunteers; training offered", "radio lleol a redir gan wirfoddolwyr; hyfforddiant ar gael", "mon 09:00-17:00;tue 09:00-17:00;wed 09:00-17:00;thu 09:00-17:00;fri 09:00-17:00", "", "cy;en"),
    ("culture", "", "Noson Lawen y Cei", "arts_culture;welsh_language;loneliness_befriending", "a monthly evening of song, poetry and stories", "noson fisol o gân, barddoniaeth a straeon", "fri 19:30-22:00", "seating", "cy"),
    ("culture", "Harbour Arts Studio", "Stiwdio Gelf yr Harbwr", "arts_culture;mental_health", "open studio sessions and arts on prescription", "sesiynau stiwdio agored a chelf ar bresgripsiwn", "tue 10:00-16:00;sat 10:00-16:00", "step_free_access", "cy;en"),
    ("culture", "Lake Festival", "Gŵyl y Llyn", "arts_culture;food;children_families", "a free weekend festival every August", "gŵyl am ddim dros benwythnos bob mis Awst", "", "step_free_access;accessible_toilet", "cy;en"),
    ("culture", "Heritage Trail", "Llwybr Treftadaeth", "arts_culture;green_space_environment;physical_activity_sport", "a waymarked trail of twelve stories about the town", "llwybr wedi'i arwyddo o ddeuddeg stori am y dref", "", "", "cy;en"),
    ("culture", "Film Club", "Clwb Ffilm", "arts_culture;loneliness_befriending", "monthly films with subtitles in the community hall", "ffilmiau misol gydag isdeitlau yn y neuadd gymunedol", "thu 19:00-21:30", "step_free_access;hearing_loop", "cy;en"),
    ("culture", "Lace and Textile Archive", "Archif Les a Thecstilau", "arts_culture;older_people", "a volunteer-run archive of local crafts", "archif o grefftau lleol a redir gan wirfoddolwyr", "wed 10:00-13:00", "", "en"),
)
# fmt: on
# A few assets that serve the whole town get a service area (a rough ring around the centre).
SERVES_TOWN = {
    "Aberllyn Befriending Service",
    "Community Transport",
    "Youth Outreach",
    "Home Energy Advice",
}
PENDING = {"Lace and Textile Archive", "Taxi Aberllyn"}


def _slug(text: str) -> str:
    keep = "".join(c.lower() if c.isalnum() else "-" for c in text)
    return "-".join(part for part in keep.split("-") if part)


def _town_area() -> str:
    lon, lat = CENTRE
    ring = [
        (lon - 0.05, lat - 0.03),
        (lon + 0.05, lat - 0.03),
        (lon + 0.05, lat + 0.03),
        (lon - 0.05, lat + 0.03),
        (lon - 0.05, lat - 0.03),
    ]
    return "MULTIPOLYGON (((" + ", ".join(f"{x:.4f} {y:.4f}" for x, y in ring) + ")))"


def rows() -> list[dict[str, str]]:
    """The demo assets as CSV rows (same every run)."""
    r = random.Random(2024)
    out = []
    for index, (kind, en, cy, themes, what_en, what_cy, hours, access, langs) in enumerate(
        ASSETS, 1
    ):
        name = en or cy
        street_en, street_cy = r.choice(STREETS)
        number = r.randint(1, 80)
        slug = _slug(name)
        out.append(
            {
                "kind": kind,
                "name_en": en,
                "name_cy": cy,
                "description_en": f"Fictional example (Aberllyn demo area): {what_en}.",
                "description_cy": f"Enghraifft ffug (ardal enghreifftiol Aberllyn): {what_cy}.",
                "themes": themes,
                "lon": f"{CENTRE[0] + r.uniform(-0.035, 0.035):.6f}",
                "lat": f"{CENTRE[1] + r.uniform(-0.02, 0.02):.6f}",
                "service_area": _town_area() if en in SERVES_TOWN else "",
                "address": f"{number} {street_en}, Aberllyn"
                if street_en == street_cy
                else f"{number} {street_en} / {street_cy}, Aberllyn",
                "email": f"{slug}@example.org" if r.random() < 0.6 else "",
                # Ofcom keeps 029 2018 0000-0999 for drama: never a real line.
                "phone": f"029 2018 0{index:03d}" if r.random() < 0.7 else "",
                "website": f"https://aberllyn.example.org/{slug}" if r.random() < 0.5 else "",
                "opening_hours": "; ".join(
                    f"{part.split()[0]} {part.split()[1]}" for part in hours.split(";") if part
                ),
                "accessibility": access,
                "languages": langs,
                "status": "pending" if en in PENDING else "published",
                "last_verified_at": f"2025-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}T10:00:00Z",
                "source": SOURCE,
                "source_id": f"aberllyn-{index:03d}",
            }
        )
    return out


def main() -> None:
    """Write the CSV."""
    with OUT.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows())
    print(f"wrote {OUT} ({len(ASSETS)} assets)")


if __name__ == "__main__":
    main()
