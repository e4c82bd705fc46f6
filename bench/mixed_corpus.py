"""A newcomer's mixed corpus for answer benchmarks: 10 documents on three unrelated topics (a microbiology
lab, a software project "Tidewater", a company travel policy) in the formats people keep: a DOCX with a
table, a 3-page PDF with a table, meeting notes (.txt), Markdown with fenced code, a changelog, an API page,
an HTML page with a definition list, an EPUB policy and an FAQ. Written for this project (2026-12-07) by a
helper trying the tool as a newcomer would; its questions are bench/data/mixed-questions.jsonl (40) and
bench/data/mixed-probes.jsonl (66 rephrasings). Used by bench/mixed.py.

    python bench/mixed_corpus.py [DIR]     (default: bench/.cache/mixed; replaced if it exists)
"""
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.docgen import make_docx, make_epub, pdf_table  # noqa: E402

ROOT = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent / ".cache" / "mixed"
if ROOT.exists():
    shutil.rmtree(ROOT)
for sub in ("lab", "tidewater", "travel"):
    (ROOT / sub).mkdir(parents=True)

# ---------------------------------------------------------------- lab/equipment_inventory.docx
make_docx(ROOT / "lab/equipment_inventory.docx", [
    ("h1", "Hartwell Lab Equipment Inventory"),
    ("p", "This inventory lists the major instruments of the Hartwell Microbiology Lab. It is maintained by "
          "Dr. Ana Ruiz, the lab manager, and updated after every service visit."),
    ("h2", "Instruments"),
    ("table", "Instrument|Model|Room|Responsible|Last serviced|Purchase price\n"
              "-80 °C freezer|Thermo TSX60086V|B112|Priya Natarajan|2024-01-22|$14,850\n"
              "Autoclave|Tuttnauer 3870EL|B104|Tomasz Kowalczyk|2023-11-08|$21,300\n"
              "Biosafety cabinet|Labconco Logic+ A2|B110|Ana Ruiz|2024-02-05|$12,475\n"
              "Plate reader|BioTek Synergy H1|B115|Lena Fischer|2023-09-30|$38,900\n"
              "Refrigerated centrifuge|Eppendorf 5430 R|B110|Marco Bellini|2024-02-19|$9,640\n"
              "PCR thermocycler|Bio-Rad C1000 Touch|B115|Priya Natarajan|2023-12-12|$11,200"),
    ("h2", "Notes"),
    ("p", "The total insured value of the instruments above is $108,365."),
    ("p", "Equipment worth more than $5,000 must be entered in the university asset register within 30 days "
          "of delivery."),
    ("li", "Service contracts are renewed every July."),
    ("li", "Report any fault to the person responsible for the instrument before using it again."),
], title="Hartwell Lab Equipment Inventory")

# ---------------------------------------------------------------- lab/safety_manual.pdf (3 pages, a table)
from fpdf import FPDF  # noqa: E402


class Manual(FPDF):
    def header(self):
        self.set_font("helvetica", size=9)
        self.cell(0, 8, "Hartwell Lab Safety Manual", align="R")
        self.ln(12)

    def footer(self):
        self.set_y(-15)
        self.set_font("helvetica", size=9)
        self.cell(0, 10, str(self.page_no()), align="C")


pdf = Manual()
pdf.set_title("Hartwell Lab Safety Manual")


def para(text):
    pdf.set_font("helvetica", size=11)
    pdf.multi_cell(0, 6, text)
    pdf.ln(4)


def heading(text):
    pdf.set_font("helvetica", style="B", size=15)
    pdf.multi_cell(0, 8, text)
    pdf.ln(2)


pdf.add_page()
heading("1. General rules")
para("This manual applies to all personnel working in rooms B104 to B115 of the Hartwell Building. Tomasz "
     "Kowalczyk, the laboratory safety officer, reviews it every year in January and answers questions about it.")
para("Lab coats and safety glasses must be worn at all times in the laboratory. Open-toed shoes are not "
     "permitted, and long hair must be tied back. Eating and drinking are forbidden in every lab room.")
para("New members must complete the 4-hour biosafety training before they are given a key card. The training "
     "is offered on the first Monday of every month by the university's Environmental Health and Safety office.")
para("Nobody may work alone in the lab after 20:00 or at weekends without the written permission of the lab "
     "manager. Visitors must sign the visitor log at the entrance of room B104.")
para("Each lab member is responsible for keeping their bench clean. Benches are wiped down with 70% ethanol "
     "at the end of each working day. Spills of cultures are covered with paper towels soaked in 10% bleach "
     "and left for 20 minutes before they are cleaned up.")

pdf.add_page()
heading("2. Chemical storage")
para("Chemicals are stored by hazard class, never alphabetically. The quantities below are the maximum that "
     "may be kept in the lab at any time; larger stocks stay in the central chemical store.")
pdf.set_font("helvetica", size=10)
pdf_table(pdf, (("Chemical class", "Maximum quantity", "Storage location"),
                ("Flammable solvents", "25 L", "Yellow flammables cabinet, B104"),
                ("Corrosive acids", "10 L", "Blue acid cabinet, B104"),
                ("Bases", "10 L", "Grey cabinet under the sink, B110"),
                ("Oxidizers", "5 kg", "Shelf C, B112"),
                ("Toxic compounds", "2 kg", "Locked cabinet, B112"),
                ("Compressed gases", "4 cylinders", "Gas cage, loading dock")), (50, 35, 75))
pdf.ln(6)
para("Acids and bases must never share a cabinet. Every container must carry a label with its contents, "
     "the date it was opened and the owner's initials.")
para("The chemical inventory is checked twice a year, in March and September, by the safety officer.")

pdf.add_page()
heading("3. Waste and emergencies")
para("Biological waste is autoclaved at 121 °C for 30 minutes before disposal. Always check the indicator "
     "tape on every bag, because a tape that has not turned dark shows that the load did not reach "
     "sterilization temperature.")
para("Sharps containers are collected every Tuesday by Campus Environmental Services. Never fill a sharps "
     "container beyond three quarters of its volume.")
para("In case of a chemical spill larger than 1 L, evacuate the room and call the emergency line on extension "
     "4-2255. Smaller spills are absorbed with the spill kit kept next to the door of each room.")
para("The eyewash stations are tested weekly and the emergency showers are tested monthly. The results are "
     "recorded in the safety binder in room B104.")
para("First aid kits are checked every quarter. The nearest defibrillator is in the corridor outside room "
     "B120.")
pdf.output(str(ROOT / "lab/safety_manual.pdf"))

# ---------------------------------------------------------------- lab/meeting_2024-03-14.txt
(ROOT / "lab/meeting_2024-03-14.txt").write_text("""\
Hartwell Lab - group meeting notes

Date: Thursday, 14 March 2024, 10:00-11:15, room B120
Present: Dr. Samuel Okafor (principal investigator), Dr. Ana Ruiz (lab manager), Tomasz Kowalczyk (safety officer), Priya Natarajan (PhD student), Marco Bellini (research technician)
Apologies: Lena Fischer (postdoctoral researcher)
Minutes taken by Priya Natarajan.

1. Budget
Dr. Okafor reported that the consumables budget for 2024 is $46,500, of which $12,730 had been spent by the end of February. Orders above $2,000 need his signature.

2. Freezer alarm
The -80 °C freezer in B112 alarmed twice over the weekend of 9-10 March. The temperature rose to -62 °C before it recovered. Marco Bellini will replace the door gasket on Monday, 18 March 2024.

3. Plate reader training
Lena Fischer will train new users on the plate reader on Wednesday, 27 March 2024 at 14:00. Sign up with her by email.

4. Safety audit
The annual safety audit by the university is scheduled for Friday, 5 April 2024. Tomasz Kowalczyk will circulate the audit checklist by 22 March.

5. Tubes
The group decided to switch from Falcon to Corning 50 mL tubes starting in April, because Corning offered a 15% discount on orders above 2,000 tubes.

Action items
- Marco Bellini: replace freezer door gasket (18 March).
- Tomasz Kowalczyk: audit checklist (22 March).
- Dr. Ana Ruiz: place the first Corning order (2 April).

Next meeting: Thursday, 28 March 2024, same room.
""", encoding="utf-8")

# ---------------------------------------------------------------- lab/centrifuge_sop.md
(ROOT / "lab/centrifuge_sop.md").write_text("""\
# SOP-07: Pelleting bacterial cultures with the Eppendorf 5430 R

Owner: Marco Bellini, research technician. Version 3, effective 1 February 2024.

## Before you start

- Pre-cool the rotor to 4 °C for at least 20 minutes.
- Balance opposite tubes to within 0.1 g.
- Use only the FA-35-6-30 rotor for 50 mL tubes.

## Procedure

1. Load the balanced tubes in opposite positions.
2. Spin at 4,500 × g for 15 minutes at 4 °C.
3. Pour off the supernatant into the liquid waste bottle.
4. Keep the pellets on ice if they are used the same day, or freeze them at -80 °C.

The maximum speed of the FA-35-6-30 rotor is 7,830 × g. Never exceed it: the rotor is rated for
at most 15,000 cycles and must be retired after that.

## Logging runs

Every run is logged with the lab's logging script:

```bash
python log_run.py --instrument centrifuge --user $USER --minutes 15
```

To see the runs of the last week:

```bash
python log_run.py --report --days 7
```

## Troubleshooting

If the centrifuge shows error code E-12, the lid is not closed properly. Open and close the lid and
start again. If the imbalance error appears, stop the run and re-balance the tubes.
""", encoding="utf-8")

# ---------------------------------------------------------------- tidewater/README.md
(ROOT / "tidewater/README.md").write_text("""\
# Tidewater

Tidewater is a command-line tool and Python library that syncs tide-gauge water levels from NOAA
stations into a local SQLite database.

Tidewater is maintained by Jonas Lindqvist and released under the Apache-2.0 license.

## Installation

Tidewater requires Python 3.10 or later.

```bash
pip install tidewater
```

## Usage

Fetch the last seven days of readings for The Battery, New York (station 8518750):

```bash
tidewater fetch --station 8518750 --days 7
```

From Python:

```python
from tidewater import Client

client = Client(db_path="tides.db")
readings = client.fetch("8518750", days=7)
print(len(readings))
```

A year of hourly readings for one station takes about 8,760 rows and roughly 1.2 MB on disk.

## Getting help

Open an issue on the project tracker. Security problems go to security@tidewater.dev instead.
""", encoding="utf-8")

# ---------------------------------------------------------------- tidewater/CHANGELOG.md
(ROOT / "tidewater/CHANGELOG.md").write_text("""\
# Changelog

All notable changes to Tidewater are documented in this file.

## [2.4.0] - 2024-05-06

### Added
- `--resample` option for `tidewater export`, to write hourly or daily means.
- `Client.latest()` returns the most recent reading of a station.

### Changed
- The default request timeout was raised from 10 s to 30 s.

### Removed
- Support for Python 3.8 and 3.9 was dropped.

## [2.3.1] - 2024-02-12

### Fixed
- Daylight-saving gaps no longer duplicate hourly readings.

## [2.3.0] - 2023-11-20

### Added
- Export to Parquet (`tidewater export --format parquet`).

## [2.0.0] - 2023-06-01

### Changed
- New database schema (v2). Run `tidewater migrate` once after upgrading.
""", encoding="utf-8")

# ---------------------------------------------------------------- tidewater/api.md
(ROOT / "tidewater/api.md").write_text("""\
# Tidewater Python API

## Client

`Client(db_path="tides.db", timeout=30)` opens the local database and creates it if it does not exist.

`Client.fetch(station, days=1)` downloads readings for a station and stores them; it returns a list of
`Reading` objects.

`Client.latest(station)` returns the most recent stored `Reading` of a station, or `None` when there is none.

`Client.export(path, format="csv")` writes every stored reading to a file. The format is `csv`, `json` or
`parquet`.

## Reading

A `Reading` is a dataclass with four fields: `station` (the NOAA station id), `time` (UTC), `level`
(the water level, a float) and `quality` (a one-letter quality flag, `v` for verified or `p` for
preliminary).

## Example: export to Parquet

```python
from tidewater import Client

client = Client()
client.export("levels.parquet", format="parquet")
```
""", encoding="utf-8")

# ---------------------------------------------------------------- tidewater/configuration.html
(ROOT / "tidewater/configuration.html").write_text("""\
<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Tidewater configuration</title></head>
<body>
<nav><a href="index.html">Home</a> | <a href="api.html">API</a></nav>
<main>
<h1 id="configuration">Configuration</h1>
<p>Tidewater reads its settings from <code>~/.config/tidewater/tidewater.toml</code>. Environment variables
prefixed with <code>TIDEWATER_</code> override the file, for example <code>TIDEWATER_UNITS=english</code>.</p>
<h2 id="options">Options</h2>
<dl>
<dt id="db_path">db_path</dt>
<dd>Path of the SQLite database. Default: <code>tides.db</code> in the working directory.</dd>
<dt id="request_timeout">request_timeout</dt>
<dd>Seconds to wait for a NOAA response before giving up. Default: 30.</dd>
<dt id="max_retries">max_retries</dt>
<dd>How many times a failed request is retried, with exponential backoff. Default: 3.</dd>
<dt id="units">units</dt>
<dd>Either <code>metric</code> or <code>english</code>; controls whether water levels are stored in metres or feet. Default: metric.</dd>
<dt id="datum">datum</dt>
<dd>The tidal datum that water levels are referenced to, such as MLLW (mean lower low water). Default: MLLW.</dd>
</dl>
<h2 id="example">Example</h2>
<p>A configuration file for a station server that stores feet:</p>
<pre><code>[tidewater]
db_path = "/data/tides.db"
request_timeout = 45
units = "english"
</code></pre>
<h2 id="rate-limits">Rate limits</h2>
<p>NOAA allows at most 1,000 requests per hour from one IP address; Tidewater pauses automatically when
the limit is near.</p>
</main>
<footer>Copyright 2024 the Tidewater authors</footer>
</body></html>
""", encoding="utf-8")

# ---------------------------------------------------------------- travel/travel_policy.epub
chapters = [
    ("1. Scope and approval", [
        "This policy applies to all employees and contractors of Northwind Analytics who travel on company "
        "business.",
        "Every trip must be approved by your line manager at least 14 days before departure. International "
        "trips also need the approval of the Finance Director, Helen Marsh.",
    ]),
    ("2. Booking", [
        "Book flights and trains through the company travel portal, Navan.",
        "Economy class is required for flights shorter than 6 hours; premium economy is allowed for flights "
        "of 6 hours or longer. Business class is not reimbursed.",
        "Hotels may cost up to &#8364;180 per night in Europe and up to $250 per night in the United States.",
    ]),
    ("3. Meals and per diem", [
        "The daily meal allowance is &#8364;55 for domestic trips and &#8364;75 for international trips.",
        "Alcohol is not reimbursed. Meals that are included in a conference fee reduce the allowance for "
        "that day.",
    ]),
    ("4. Reimbursement", [
        "Submit your expenses in Expensify within 30 days of your return. Receipts are required for every "
        "expense over &#8364;25.",
        "Mileage for private cars is reimbursed at &#8364;0.30 per kilometre, up to 1,500 km per trip.",
        "Claims submitted late are reimbursed only with the approval of the Finance Director.",
    ]),
]
make_epub(ROOT / "travel/travel_policy.epub", chapters, title="Northwind Analytics Travel and Expense Policy",
          date="2024-01-15")

# ---------------------------------------------------------------- travel/travel_faq.txt
(ROOT / "travel/travel_faq.txt").write_text("""\
Northwind Analytics - Travel FAQ (updated 15 January 2024)

Q: Can I stay in a holiday rental instead of a hotel?
A: Yes, if the nightly rate is within the hotel limit and you get an itemised receipt.

Q: Who do I contact if my flight is cancelled?
A: Call the Navan 24-hour support line first, then tell Rachel Osei, the travel coordinator, by email.

Q: Can I take my partner along on a business trip?
A: Yes, but every extra cost for your partner is paid by you.

Q: Is travel insurance provided?
A: Yes. All employees are covered by the company policy with Allianz; the policy number is NW-88213.
""", encoding="utf-8")

print("made", sorted(str(p.relative_to(ROOT)) for p in ROOT.rglob("*") if p.is_file()))
