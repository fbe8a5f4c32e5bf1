"""The name lists a world draws its people, companies, sites and asset names from: data, so
the same seed gives the same world, byte for byte, whatever else is installed.

Generated once from Faker 40.63.0 (locale en_US, seeded with 0; MIT-licensed data) by
`python -m simulator.payloads.locales en_US`, and sorted; `world` draws from them with its own
seeded generator. Faker does not promise the same seeded output across its versions, so the
default locale never calls it at run time (other locales do: see `locales`). Edit by hand if you
like: a changed list changes every world that draws from it.
"""

from __future__ import annotations

# fmt: off

# 200 first names
FIRST_NAMES: tuple[str, ...] = (
    "Aaron", "Abigail", "Alan", "Alexander", "Alexandra", "Alexis", "Allison", "Amanda", "Amber",
    "Amy", "Ana", "Andrea", "Andrew", "Angela", "Ann", "Anna", "Anthony", "April", "Ashley",
    "Audrey", "Barbara", "Benjamin", "Bethany", "Billy", "Blake", "Bobby", "Brandon", "Brandy",
    "Brenda", "Brian", "Briana", "Brittany", "Bruce", "Caitlyn", "Caleb", "Cameron", "Candice",
    "Carrie", "Catherine", "Chad", "Cheryl", "Chloe", "Christine", "Christopher", "Connor", "Cory",
    "Courtney", "Craig", "Crystal", "Cynthia", "Dana", "Daniel", "Danielle", "Dave", "David",
    "Deborah", "Debra", "Dennis", "Diana", "Diane", "Donna", "Dustin", "Eddie", "Edward", "Eileen",
    "Elizabeth", "Emily", "Eric", "Erica", "Erika", "Erin", "Frank", "Gabriella", "Gary",
    "Gregory", "Hayden", "Heidi", "Henry", "Holly", "Jackson", "Jacob", "Jacqueline", "Jaime",
    "James", "Janet", "Jared", "Jasmine", "Jason", "Jeffrey", "Jennifer", "Jessica", "John",
    "Jonathan", "Jonathon", "Jordan", "Jorge", "Jose", "Joshua", "Juan", "Judith", "Kara", "Karla",
    "Katelyn", "Katherine", "Keith", "Kelly", "Kevin", "Kimberly", "Kristen", "Kristine", "Kyle",
    "Larry", "Laura", "Lauren", "Leslie", "Linda", "Lisa", "Luke", "Mackenzie", "Mallory",
    "Marcus", "Mark", "Marvin", "Mary", "Mathew", "Matthew", "Megan", "Melissa", "Michael",
    "Micheal", "Michelle", "Mikayla", "Mitchell", "Monica", "Morgan", "Nancy", "Natalie", "Nathan",
    "Nicholas", "Nicole", "Patricia", "Patty", "Paul", "Peter", "Phillip", "Rachael", "Rachel",
    "Ralph", "Randy", "Raven", "Raymond", "Rebecca", "Regina", "Renee", "Richard", "Robert",
    "Robin", "Rodney", "Ronald", "Ryan", "Sabrina", "Sally", "Samantha", "Sandra", "Sarah",
    "Scott", "Sean", "Seth", "Shane", "Shannon", "Sharon", "Shawn", "Sheena", "Stacey", "Stacy",
    "Stephanie", "Steven", "Susan", "Tamara", "Tammy", "Terri", "Theresa", "Thomas", "Tiffany",
    "Timothy", "Tina", "Tom", "Tony", "Tonya", "Tracy", "Tristan", "Troy", "Tyler", "Valerie",
    "Vanessa", "Vernon", "Victor", "Wendy", "William", "Yvonne",
)

# 200 last names
LAST_NAMES: tuple[str, ...] = (
    "Aguilar", "Anderson", "Anthony", "Armstrong", "Ayala", "Bailey", "Barnes", "Barry",
    "Bautista", "Becker", "Berry", "Bishop", "Boyer", "Brennan", "Brock", "Brown", "Buck",
    "Bullock", "Burgess", "Butler", "Calhoun", "Campbell", "Carpenter", "Carr", "Carter", "Casey",
    "Chan", "Chandler", "Chang", "Chavez", "Chen", "Clark", "Clarke", "Clements", "Cooper", "Cox",
    "Davidson", "Davis", "Douglas", "Duffy", "Dunn", "Estes", "Estrada", "Evans", "Fields",
    "Fischer", "Fisher", "Fleming", "Flores", "Floyd", "Flynn", "Ford", "Foster", "Fox", "Frank",
    "Fuentes", "Fuller", "Garcia", "Gardner", "George", "Gibbs", "Gibson", "Giles", "Gill",
    "Grant", "Greer", "Gregory", "Griffin", "Hahn", "Hale", "Haley", "Hall", "Harris", "Hatfield",
    "Heath", "Henderson", "Henry", "Hernandez", "Hill", "Hogan", "Howard", "Howell", "Hughes",
    "Hunter", "Hurst", "Ibarra", "Jacobs", "Jenkins", "Johnson", "Jones", "Kaiser", "Kennedy",
    "King", "Kirby", "Knight", "Kramer", "Larson", "Levy", "Livingston", "Lloyd", "Lopez", "Love",
    "Lynch", "Mack", "Martin", "Martinez", "Mays", "Mccann", "Mccarthy", "Mcdonald", "Melton",
    "Meyer", "Meyers", "Miller", "Mitchell", "Montgomery", "Mooney", "Moore", "Mora", "Moreno",
    "Morgan", "Mueller", "Navarro", "Nichols", "Nolan", "Nunez", "Olson", "Oneal", "Ortiz",
    "Parks", "Patrick", "Perez", "Perkins", "Perry", "Petersen", "Peterson", "Pierce", "Price",
    "Ramirez", "Reed", "Reyes", "Reynolds", "Riggs", "Rivera", "Rivers", "Robbins", "Roberts",
    "Robinson", "Rodriguez", "Roman", "Ross", "Rubio", "Ruiz", "Rush", "Russell", "Sanchez",
    "Sandoval", "Santana", "Santiago", "Saunders", "Schmitt", "Scott", "Sharp", "Shaw", "Sherman",
    "Simmons", "Smith", "Soto", "Sparks", "Stark", "Stephenson", "Stewart", "Stone", "Stout",
    "Thomas", "Torres", "Trujillo", "Tucker", "Turner", "Vasquez", "Villa", "Villarreal", "Wagner",
    "Wallace", "Walls", "Walsh", "Watts", "Webb", "Weiss", "White", "Williams", "Williamson",
    "Willis", "Wilson", "Wolf", "Wood", "Wright", "Yang", "Yates", "York",
)

# 60 company names
COMPANIES: tuple[str, ...] = (
    "Allen and Sons", "Alvarez, Rogers and Williams", "Andrade, Norton and Morris", "Barry-Scott",
    "Becker-Arellano", "Bush PLC", "Byrd, Hall and Evans", "Camacho, Parks and Harmon",
    "Carter, Lester and Taylor", "Carter-Watson", "Cox Ltd", "Cruz-Rivera", "Ellis-Welch",
    "Evans, Chen and Newton", "Fitzgerald, Collins and Heath", "Flores, Pearson and Brown",
    "Foster, Ward and Wilson", "Garcia, Quinn and Wright", "Garza-Taylor", "Grant-Walker",
    "Green, Hall and Wilson", "Harmon PLC", "Henson-Lewis", "Hernandez, Stewart and Clark",
    "Hobbs-Osborn", "Johnson-Schultz", "Jones, Simmons and Fischer", "Key Ltd",
    "Kim, Stark and Jenkins", "Lewis, Kelly and Myers", "Martin Inc", "Mathis Inc",
    "Michael-Flores", "Mills, Clark and Garcia", "Morgan Inc", "Olson-Wiggins", "Palmer-Murray",
    "Pena-Taylor", "Pope Group", "Prince, Graham and West", "Reed, Hood and King",
    "Roberts, Garcia and Murray", "Robinson-Pittman", "Rodriguez-Lam", "Roman-Price",
    "Smith Group", "Stephens, Figueroa and Strong", "Stevens-Wilson",
    "Taylor, Martinez and Martinez", "Thomas-Simpson", "Villa, Carpenter and Henry",
    "Wade, Wong and Payne", "Wallace Group", "Weaver, Harris and Phillips", "Williams PLC",
    "Williams, Wood and Clark", "Williams-White", "Willis Inc", "Wise-Andrade", "Woods Ltd",
)

# 60 internet domains
DOMAINS: tuple[str, ...] = (
    "acevedo-clark.com", "baker.com", "berry-brown.com", "burgess.com", "campbell.com",
    "castillo.com", "clark-knight.com", "collins.net", "cooper-martin.com", "costa.com",
    "cunningham.biz", "cunningham.com", "delgado.info", "edwards.org", "ferguson-ballard.info",
    "fischer-baker.com", "forbes.com", "frye.net", "garrett-morris.biz", "garrett.info",
    "gill.biz", "gomez-garza.info", "guzman.biz", "hatfield.biz", "howard.com", "hubbard.org",
    "hutchinson.com", "jackson-mason.org", "jensen.net", "johnson-burton.com", "jordan.org",
    "larsen.com", "leonard.net", "madden-mejia.org", "maddox.com", "mathis-wilkins.org",
    "medina-spencer.com", "moore-thompson.com", "moreno.com", "nelson-vasquez.biz",
    "nicholson.biz", "oliver.com", "palmer.com", "parker.info", "patterson.com",
    "perkins-taylor.com", "ramos.com", "reed-williams.com", "robbins.org", "rodriguez.org",
    "salazar.com", "stafford.info", "thomas-collins.com", "thornton.com", "trevino-martinez.com",
    "wagner.com", "warner-underwood.com", "williams.com", "willis.net", "young-kelly.biz",
)

# 60 job titles
JOBS: tuple[str, ...] = (
    "Accounting technician", "Administrator, arts", "Administrator, sports",
    "Advertising account executive", "Air traffic controller", "Animator", "Arboriculturist",
    "Bookseller", "Careers adviser", "Chemical engineer", "Chiropodist", "Designer, furniture",
    "Designer, interior/spatial", "Development worker, international aid", "Electrical engineer",
    "Emergency planning/management officer", "Engineer, broadcasting (operations)",
    "Engineer, electrical", "Estate agent", "Fast food restaurant manager", "Financial controller",
    "Fisheries officer", "Fitness centre manager", "Forensic psychologist",
    "Glass blower/designer", "Haematologist", "Information systems manager", "Land",
    "Manufacturing systems engineer", "Marine scientist", "Market researcher", "Media planner",
    "Medical illustrator", "Music tutor", "Nature conservation officer", "Neurosurgeon",
    "Nutritional therapist", "Occupational therapist", "Paramedic", "Petroleum engineer",
    "Physiological scientist", "Press photographer", "Press sub", "Prison officer",
    "Product/process development scientist", "Production assistant, television",
    "Psychologist, forensic", "Psychologist, occupational", "Research officer, government",
    "Research scientist (maths)", "Sales executive", "Sales promotion account executive",
    "Seismic interpreter", "Surveyor, planning and development", "Surveyor, quantity",
    "Teacher, music", "Teacher, primary school", "Television floor manager",
    "Travel agency manager", "Visual merchandiser",
)

# 60 business phrases (program and nurture names)
PHRASES: tuple[str, ...] = (
    "aggregate back-end vortals", "benchmark virtual experiences",
    "cultivate extensible mindshare", "cultivate wireless portals", "deliver robust vortals",
    "deploy leading-edge content", "disintermediate 24/7 channels",
    "drive end-to-end web-readiness", "e-enable end-to-end networks",
    "e-enable enterprise mindshare", "empower transparent web services",
    "enable collaborative schemas", "engage virtual portals", "engineer customized schemas",
    "evolve cross-media relationships", "evolve scalable users", "expedite dot-com methodologies",
    "expedite frictionless convergence", "exploit back-end solutions",
    "facilitate clicks-and-mortar infrastructures", "facilitate dynamic paradigms",
    "facilitate synergistic platforms", "generate integrated markets", "harness proactive vortals",
    "harness vertical ROI", "implement innovative solutions",
    "incentivize ubiquitous deliverables", "incubate collaborative paradigms",
    "integrate integrated ROI", "leverage open-source experiences", "mesh ubiquitous eyeballs",
    "monetize ubiquitous e-markets", "orchestrate B2B interfaces",
    "orchestrate robust functionalities", "productize global info-mediaries",
    "redefine front-end paradigms", "redefine intuitive e-markets", "reinvent proactive bandwidth",
    "scale dot-com portals", "seize customized supply-chains", "seize strategic infrastructures",
    "seize vertical ROI", "strategize end-to-end functionalities",
    "strategize value-added vortals", "streamline granular channels",
    "streamline strategic deliverables", "streamline visionary convergence",
    "syndicate global paradigms", "syndicate robust eyeballs", "synergize innovative convergence",
    "target rich info-mediaries", "transform 24/7 web-readiness", "transform cutting-edge metrics",
    "transition intuitive solutions", "transition proactive interfaces",
    "unleash efficient vortals", "unleash one-to-one web services",
    "unleash revolutionary deliverables", "utilize mission-critical infrastructures",
    "visualize ubiquitous e-business",
)

# 300 words (web page slugs)
WORDS: tuple[str, ...] = (
    "American", "I", "Mrs", "PM", "a", "about", "accept", "action", "add", "after", "age", "agent",
    "ago", "agreement", "all", "allow", "already", "also", "amount", "analysis", "another",
    "anyone", "anything", "arm", "authority", "baby", "bag", "bank", "bed", "big", "billion",
    "book", "both", "box", "break", "bring", "brother", "budget", "business", "by", "carry",
    "cause", "center", "central", "certainly", "character", "charge", "check", "choice", "choose",
    "church", "claim", "class", "close", "cold", "college", "color", "commercial", "common",
    "community", "company", "concern", "condition", "conference", "consider", "contain", "cost",
    "deal", "democratic", "despite", "detail", "direction", "down", "draw", "drive", "drop",
    "easy", "economic", "economy", "education", "effect", "eight", "else", "end", "entire",
    "environment", "even", "everybody", "example", "exist", "fact", "father", "federal", "field",
    "film", "fine", "focus", "follow", "friend", "fund", "game", "garden", "get", "glass", "go",
    "government", "green", "grow", "guess", "hair", "half", "hand", "have", "he", "heavy", "help",
    "high", "himself", "home", "hot", "how", "however", "human", "hundred", "husband", "imagine",
    "in", "include", "including", "increase", "indicate", "industry", "information", "instead",
    "investment", "involve", "issue", "it", "item", "kid", "kitchen", "know", "large", "law",
    "lawyer", "lead", "least", "local", "magazine", "maintain", "major", "market", "material",
    "matter", "medical", "meeting", "message", "mind", "more", "most", "much", "must", "nation",
    "natural", "network", "new", "no", "none", "nor", "occur", "off", "official", "ok", "once",
    "one", "or", "other", "others", "out", "page", "part", "party", "past", "pattern",
    "performance", "physical", "pick", "player", "popular", "population", "position", "possible",
    "price", "probably", "process", "produce", "production", "professor", "protect", "prove",
    "push", "quality", "quickly", "quite", "radio", "reason", "reflect", "report", "require",
    "resource", "response", "responsibility", "rest", "result", "return", "rich", "right", "risk",
    "run", "safe", "same", "save", "sea", "second", "see", "seek", "sell", "sense", "serious",
    "seven", "several", "she", "should", "side", "sign", "simply", "sister", "six", "some",
    "sound", "space", "special", "spend", "spring", "stand", "standard", "star", "start", "state",
    "statement", "stop", "store", "student", "success", "suddenly", "suffer", "task", "tax",
    "technology", "tell", "than", "their", "thing", "this", "tonight", "top", "total", "travel",
    "treatment", "trip", "truth", "under", "understand", "unit", "up", "upon", "us", "value",
    "view", "wait", "want", "war", "way", "we", "while", "white", "who", "whom", "why", "wife",
    "win", "window", "wish", "wonder", "worker", "world", "worry", "yes", "you", "young",
)

# 60 cities
CITIES: tuple[str, ...] = (
    "Andrewberg", "Anthonystad", "Anthonyton", "Bakerbury", "Bakershire", "Christopherport",
    "Clarkton", "Cunninghamfurt", "Donaldville", "East Sarah", "Erikberg", "Hansenmouth",
    "Jeffreyfort", "Jonesburgh", "Jonesland", "Kellerstad", "Kleinville", "Lake Adambury",
    "Lake Briannamouth", "Lake Jenna", "Lake Michelle", "Lake Patrickfurt", "Lake Reginald",
    "Lake Steventown", "Longchester", "Margaretmouth", "Moorebury", "New Angelica",
    "New Kelseychester", "New Morgan", "New Robert", "New Zachary", "North Henry", "North Maria",
    "North Michelleside", "North Thomasfurt", "Palmershire", "Patrickberg", "Perezstad",
    "Piercefurt", "Port Cassandraborough", "Port Tammy", "Robersonport", "Ryanstad",
    "Saundersport", "Sierraville", "South Amandaberg", "South Christineview", "South George",
    "South Jean", "South Michaelfort", "South Rebeccaville", "Staceyhaven", "Tommymouth",
    "Valenciaberg", "Wellstown", "West Jamesmouth", "West Sharon", "West Timothyville",
    "West Victor",
)

# 40 catch phrases (webinar titles)
CATCH_PHRASES: tuple[str, ...] = (
    "Configurable non-volatile middleware", "Customer-focused system-worthy leverage",
    "Decentralized multimedia knowledge user", "Devolved homogeneous database",
    "Distributed global alliance", "Distributed scalable solution",
    "Diverse zero administration Local Area Network", "Down-sized hybrid application",
    "Exclusive intangible migration", "Focused leadingedge forecast",
    "Fully-configurable grid-enabled matrices", "Innovative multi-state product",
    "Managed discrete knowledgebase", "Managed regional workforce",
    "Multi-lateral solution-oriented matrix", "Networked systematic core",
    "Open-source modular core", "Operative eco-centric implementation",
    "Optimized disintermediate extranet", "Organic 5thgeneration encryption",
    "Organized uniform ability", "Phased context-sensitive knowledgebase",
    "Polarized methodical circuit", "Profit-focused bottom-line open architecture",
    "Programmable needs-based structure", "Re-engineered didactic policy",
    "Re-engineered stable functionalities", "Reactive global capacity",
    "Reactive impactful task-force", "Right-sized coherent model",
    "Right-sized optimal Internet solution", "Secured modular protocol",
    "Secured zero administration protocol", "Synergistic bottom-line approach",
    "Synergized background core", "Synergized multi-state core",
    "Up-sized fresh-thinking contingency", "Vision-oriented incremental algorithm",
    "Vision-oriented local definition", "Visionary global task-force",
)
# fmt: on
