"""A fault-injection HTTP server for crawler tests: a news site that misbehaves on purpose.

:class:`HostileSite` starts three origins on ``127.0.0.1`` (free ports), each a plain
listening socket with one thread per connection, writing HTTP/1.1 by hand so that it
can send malformed responses::

    with HostileSite() as site:
        site.url                # main origin, "http://127.0.0.1:PORT/"
        site.other_url          # second origin: robots.txt that is HTML
        site.offsite_url        # the second origin as http://localhost:PORT/ (another site by host name)
        site.broken_robots_url  # third origin: /robots.txt answers 500
        site.refused_url        # a port on 127.0.0.1 that refuses connections (bound, not listening)
        site.case_url("gzip_bomb")
        site.url + "timing/busy.html"  # unlinked pages for timing tests (see HostileSite._timing)
        site.requests           # [(origin_label, method, raw_target, headers), ...]
        site.timeline           # [(time.monotonic() on arrival, origin_label, raw_target), ...]
        site.count("/case/with space/article one.html")

Normal responses carry ``Content-Length`` and honour keep-alive; the broken ones
(truncated, wrong length, oversize, drip, ...) send ``Connection: close`` and close.
``__exit__`` sets a stop event that the hanging and dripping handlers wait on, shuts
every socket down and joins the threads, so it returns promptly.

:data:`CASES` lists every fault with a short snake_case ``name`` (usable as a
stats-key suffix), its ``path`` (as written in links, on the origin ``origin``),
its ``kind`` and a description; :func:`case` looks one up by name.

Large bodies (bombs, the huge feed, the link farm) are built lazily on first request
and cached on the class (the feed per instance, since it holds absolute links).
"""

from __future__ import annotations

import html
import random
import socket
import struct
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from email.utils import formatdate
from http import HTTPStatus
from types import TracebackType
from typing import ClassVar
from urllib.parse import parse_qs, quote, unquote, urlsplit

try:
    import brotli as _brotli  # type: ignore[import-untyped]
except ImportError:  # pragma: no cover - depends on the environment
    try:
        import brotlicffi as _brotli  # type: ignore[import-untyped,no-redef]
    except ImportError:
        _brotli = None

__all__ = [
    "BROTLI_AVAILABLE",
    "CASES",
    "Case",
    "HostileSite",
    "RequestRecord",
    "TRACKING_DUPLICATES",
    "case",
]

BROTLI_AVAILABLE = _brotli is not None

RequestRecord = tuple[str, str, str, dict[str, str]]
"""``(origin_label, method, raw_target, headers)``; header names are lower-cased."""

MAIN, OTHER, BROKEN_ROBOTS = "main", "other", "broken_robots"
"""Origin labels used in :attr:`HostileSite.requests` and :attr:`Case.origin`."""

ARTICLE_DATETIME = "2026-11-01T10:00:00Z"
GZIP_BOMB_SIZE = 1 << 30  # 1 GiB of zeros behind Content-Encoding: gzip / br
SITEMAP_BOMB_SIZE = 200 << 20  # 200 MiB of whitespace in /sitemaps/bomb.xml.gz
OVERSIZE_LENGTH = 80 << 20  # above the crawler's DOWNLOAD_MAXSIZE (64 MiB)
FEED_ITEMS = 50_000
MANY_LINKS = 200_000
NESTING_DEPTH = 100_000
LONG_QUERY = "q=" + "x" * 5000 + "&a=1"
TRACKING_DUPLICATES = ("/ok/1.html?utm_source=x&utm_medium=y", "/ok/2.html?fbclid=abc123")


@dataclass(frozen=True)
class Case:
    """One hostile behaviour; ``path`` is as written in links (unescaped) on ``origin``."""

    name: str
    path: str
    kind: str  # "page", "sitemap", "feed", "redirect", "robots" or "url"
    description: str
    origin: str = MAIN


def _page(name: str, description: str) -> Case:
    return Case(name, "/case/" + name.replace("_", "-") + ".html", "page", description)


CASES: list[Case] = [
    _page("gzip_bomb", "200 text/html, Content-Encoding: gzip, decompresses to 1 GiB of zeros (~1 MB sent)"),
    _page("brotli_bomb", "200 text/html, Content-Encoding: br, decompresses to 1 GiB of zeros"),
    _page("oversize", "200 text/html, Content-Length 80 MiB streamed (above DOWNLOAD_MAXSIZE 64 MiB)"),
    _page("truncated", "Content-Length 20000 but only 5000 bytes of HTML, then the connection closes"),
    _page(
        "gzip_truncated",
        "Content-Encoding: gzip, Content-Length of the whole gzip body, half of it sent, then the connection closes",
    ),
    _page("wrong_length", "Content-Length 100 but a full ~3000-byte article follows, then close"),
    _page(
        "cp1256_undeclared", "Arabic article in windows-1256, Content-Type text/html with no charset anywhere"
    ),
    _page("cp1256_mislabelled", "the same windows-1256 bytes labelled text/html; charset=utf-8"),
    _page("utf8_bom", "UTF-8 Arabic article with a BOM, header says charset=windows-1256 (BOM wins)"),
    _page("pdf_as_html", "a PDF (%PDF-1.4 with binary sections) served as text/html"),
    _page("png_as_html", "a 1x1 PNG followed by random bytes, served as text/html"),
    _page("empty", "200 text/html with Content-Length 0"),
    _page("no_text", "valid HTML with only navigation, scripts and an image; no paragraph text"),
    _page("deep_nesting", f"{NESTING_DEPTH:,} nested <div> levels around one paragraph (~1 MB, streamed)"),
    _page("many_links", f"{MANY_LINKS:,} distinct links to /many/N.html (~6 MB)"),
    _page("slow_drip", "headers at once, then 10 bytes every second, never completing"),
    _page("hang", "reads the request and never answers"),
    _page("status_429", "429 with Retry-After: 2 for the first 2 requests, then 200 with an article"),
    _page("burst_5xx", "503 for the first 3 requests, then 200 with an article"),
    _page("always_500", "always 500"),
    Case("redirect_loop", "/case/loop-a", "redirect", "302 /case/loop-a -> /case/loop-b -> /case/loop-a ..."),
    Case("redirect_offsite", "/case/offsite", "redirect", "301 to {offsite_url}landing.html (host localhost: another site)"),
    Case("redirect_scheme", "/case/redirect-javascript", "redirect", "302 to javascript:alert(1)"),
    Case("redirect_ftp", "/case/redirect-ftp", "redirect", "302 to ftp://127.0.0.1/file.html"),
    Case("redirect_data", "/case/redirect-data", "redirect", "302 to data:text/html,hi"),
    Case(
        "url_spaces",
        "/case/with space/article one.html",
        "url",
        "literal spaces in the href; %20 on the wire",
    ),
    Case("url_unicode", "/case/مقال/خبر.html", "url", "Arabic path; percent-encoded UTF-8 on the wire"),
    Case(
        "url_long_query",
        "/case/long.html?" + LONG_QUERY,
        "url",
        "5000-character query; 200 only if q and a arrive intact, else 404",
    ),
    Case(
        "tracking_duplicate",
        TRACKING_DUPLICATES[0],
        "url",
        "tracking-parameter duplicates of /ok/1.html and /ok/2.html (also " + TRACKING_DUPLICATES[1] + ")",
    ),
    Case(
        "sitemap_malformed", "/sitemaps/malformed.xml", "sitemap", "broken XML with one <loc> to /ok/4.html"
    ),
    Case(
        "sitemap_entity_bomb",
        "/sitemaps/entity-bomb.xml",
        "sitemap",
        "billion-laughs DOCTYPE, &lol9; in a <loc>",
    ),
    Case(
        "sitemap_gzip_bomb",
        "/sitemaps/bomb.xml.gz",
        "sitemap",
        "application/gzip sitemap inflating to 200 MiB",
    ),
    Case(
        "feed_huge",
        "/feed.xml",
        "feed",
        f"RSS 2.0 with {FEED_ITEMS:,} items (10+ MB) linking to /feed-items/N.html",
    ),
    Case(
        "robots_html", "/robots.txt", "robots", "robots.txt answered 200 text/html with an HTML page", OTHER
    ),
    Case("robots_500", "/robots.txt", "robots", "robots.txt answered 500", BROKEN_ROBOTS),
]

_CASES_BY_NAME = {c.name: c for c in CASES}


def case(name: str) -> Case:
    """The :class:`Case` called ``name`` (KeyError if unknown)."""
    return _CASES_BY_NAME[name]


# --------------------------------------------------------------------------- content

_EN_ARTICLES: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "ok1": (
        "City council approves record budget for river flood defences",
        "Margaret Ellison",
        (
            "The city council voted on Tuesday evening to approve a record 48 million pound package for flood "
            "defences along the lower river, ending more than two years of argument over who should pay for "
            "walls, pumps and new drainage beneath the old market district.",
            "The plan, passed by 31 votes to 9, raises the embankment along Quay Street by almost a metre and "
            "adds two pumping stations capable of moving four thousand litres a second. Engineers say the works "
            "would have kept water out of roughly 600 homes that flooded in the storms of last winter.",
            "Opposition councillors argued that the cost should be shared with the regional water authority, "
            "which owns most of the culverts under the district. Their amendment to delay the vote until a "
            "funding agreement was signed failed after a heated debate that ran past eleven o'clock.",
            "Residents who packed the public gallery applauded when the result was announced. Several described "
            "spending months in rented flats while their ground floors were stripped back to brick, and said "
            "insurers had warned them that cover would not be renewed without visible progress on defences.",
            "Construction is due to begin in the spring and last about three years. The council said traffic "
            "on Quay Street would be reduced to a single lane for most of that period, and that a dedicated "
            "liaison office would open near the bridge to answer questions from businesses and households.",
        ),
    ),
    "ok2": (
        "Port authority unveils plan for deep-water container terminal",
        "Daniel Okafor",
        (
            "The port authority on Wednesday unveiled plans for a deep-water container terminal on reclaimed "
            "land at the northern breakwater, a project it says could double the harbour's cargo capacity "
            "within a decade and bring the largest modern ships into the estuary for the first time.",
            "Dredging the approach channel to a depth of sixteen metres would remove about nine million cubic "
            "metres of silt. Environmental groups immediately raised concerns about the seagrass meadows near "
            "the channel, which shelter juvenile fish and are protected under national conservation rules.",
            "Chief executive Sandra Holm told reporters that the authority had commissioned a two-year survey "
            "of the seabed and would relocate or replant any grass disturbed by the work. She said shipping "
            "lines had already signalled interest in weekly calls if the berths were ready by the early 2030s.",
            "Union representatives welcomed the prospect of several hundred permanent jobs but warned that the "
            "terminal was designed around automated cranes and driverless straddle carriers. They asked for "
            "guarantees that existing dock workers would be retrained rather than replaced.",
            "A public consultation opens next month, with exhibitions planned in the harbour office and the "
            "central library. The authority expects to submit a formal planning application in the autumn, "
            "after which the national infrastructure inspectorate will hold hearings lasting up to six months.",
        ),
    ),
    "ok3": (
        "Regional rail strike halts commuter services for second day",
        "Priya Raman",
        (
            "Commuter trains across the region stood idle for a second day on Thursday as signal workers "
            "continued a walkout over pay and rostering, leaving tens of thousands of people to find other "
            "ways into the city and filling park-and-ride sites before seven in the morning.",
            "The operator ran a skeleton service of one train an hour on the main line, staffed by managers "
            "who hold signalling qualifications. Branch lines to the coast and the valley towns were closed "
            "entirely, and replacement buses struggled to cope with queues that stretched around stations.",
            "The union says its members have been offered a rise of three per cent, well below inflation over "
            "the past two years, alongside changes to shift patterns that would require more weekend working. "
            "The company says the offer is the most it can afford without raising fares again in January.",
            "Businesses in the city centre reported a sharp fall in footfall, with several cafes near the "
            "station closing early. Hospitals asked staff who could not travel to contact their managers, and "
            "schools in outlying towns allowed older pupils to study from home for the rest of the week.",
            "Talks between the two sides are due to resume on Monday under the chairmanship of an independent "
            "conciliation service. The union has announced three further strike days later in the month if "
            "no agreement is reached, including the Friday before the long holiday weekend.",
        ),
    ),
    "ok4": (
        "University team breeds wheat that survives weeks without rain",
        "Helena Brandt",
        (
            "Researchers at the state university say they have bred a wheat variety that keeps growing through "
            "six weeks without rain, a result that could help farmers in the dry interior cope with the longer "
            "droughts that climate scientists expect over the coming decades.",
            "The team crossed a commercial bread wheat with a hardy landrace collected from mountain villages "
            "in the 1970s and stored in the national seed bank. After eight generations of selection, the best "
            "lines lost only a fifth of their yield in field trials where irrigation was stopped at flowering.",
            "Professor Tomas Lindqvist, who led the work, said the plants appear to send their roots deeper "
            "early in the season and to close the pores on their leaves more quickly when soil moisture falls. "
            "The findings were published this week in a peer-reviewed journal of crop science.",
            "Farmers' associations welcomed the results but cautioned that a new variety must also resist rust "
            "and other fungal diseases, and produce flour that millers and bakers are willing to buy. Previous "
            "drought-tolerant lines, they noted, were abandoned because their bread came out dense and grey.",
            "The university plans larger trials on commercial farms next year with support from the ministry "
            "of agriculture. If those succeed, seed could be available to growers in about five years, after "
            "registration tests that check yield, quality and resistance to disease across several regions.",
        ),
    ),
    "ok5": (
        "Natural history museum reopens after four-year renovation",
        "Samuel Achebe",
        (
            "The natural history museum reopened its doors on Saturday after a four-year renovation that "
            "restored the Victorian iron roof, replaced the heating and brought thousands of specimens out of "
            "storage for the first time in a generation.",
            "Visitors queued along the park railings from early morning to see the restored whale skeleton, "
            "which now hangs in a diving pose beneath the central skylight. Conservators spent eighteen months "
            "cleaning and reinforcing the bones, some of which had been damaged by damp in the old basement.",
            "New galleries on insects and minerals use drawers that visitors can open themselves, a design the "
            "director said was inspired by the cabinets of the museum's nineteenth-century founders. Labels "
            "are written in plain language and translated into four languages spoken widely in the city.",
            "The project cost 62 million, about a third more than first estimated, after builders found rot "
            "in the timber beneath the roof and asbestos in the boiler house. A national heritage fund and "
            "private donors covered most of the overrun, the museum's board said in its annual report.",
            "Entry remains free, although the museum will charge for special exhibitions. The first, on "
            "extinct birds of the islands, opens in the spring, and the education team says school bookings "
            "for the coming year are already higher than in any year before the building closed.",
        ),
    ),
    "ok6": (
        "Harbour Athletic clinch promotion with late winner",
        "Lucy Marsh",
        (
            "Harbour Athletic secured promotion to the second division on Saturday with a dramatic late winner "
            "against their nearest rivals, sending more than eleven thousand supporters into celebrations that "
            "spilled from the stadium onto the seafront long after the final whistle.",
            "Substitute Kofi Mensah scored in the ninety-third minute, turning sharply inside the penalty area "
            "and firing low past the goalkeeper after a corner was only half cleared. It was his first goal "
            "since returning from a knee injury that kept him out for most of the winter.",
            "Manager Ruth Calloway said the result rewarded a squad assembled on one of the smallest budgets in "
            "the league. She praised the club's academy, which supplied five of the starting eleven, and said "
            "the players had earned a week off before preparations for the new season begin.",
            "The club now faces the cost of upgrading its ground to meet second-division rules, including more "
            "seating and improved floodlights. The chairman said talks with the council over a long lease of "
            "the stadium land were at an advanced stage and that work could begin during the summer break.",
            "Supporters' groups have organised an open-top bus parade along the promenade on Sunday afternoon. "
            "Police advised fans to use public transport and warned that roads around the harbour would be "
            "closed from midday, with diversions in place until the early evening.",
        ),
    ),
    "landing": (
        "Market hall restoration wins national architecture prize",
        "Ingrid Solberg",
        (
            "The restored market hall in the neighbouring town has won this year's national prize for the "
            "reuse of historic buildings, beating a converted power station and a former naval dockyard in "
            "a shortlist the judges described as the strongest in the award's history.",
            "The hall, built in 1887 with a cast-iron frame and glass roof, stood empty for almost twenty "
            "years after the last traders left. Architects kept the original columns and stalls and added a "
            "timber mezzanine that now houses a bakery school and a small community radio studio.",
            "The judges praised the way the design let daylight reach every stall and the decision to keep "
            "rents low for local producers. More than forty traders now sell there six days a week, and the "
            "town council says visitor numbers on market days have tripled since the reopening.",
            "Not everyone was pleased with the project at first. Some residents objected to the closure of "
            "the car park beside the hall, which was turned into a square with trees and seating, and a "
            "petition against the change gathered several hundred signatures during the planning stage.",
            "The prize comes with a grant that the council intends to spend on repairs to the clock tower, "
            "whose mechanism has been stopped since the 1990s. A local clockmaker has offered to restore it "
            "at cost, and the council hopes the bells will ring again before the end of next year.",
        ),
    ),
    "broken_ok": (
        "Hospitals prepare for summer heatwave as temperatures climb",
        "Ahmed Rahimi",
        (
            "Hospitals across the region moved to their summer emergency plans on Monday as forecasters "
            "warned that temperatures could exceed forty degrees by the weekend, the earliest such heatwave "
            "since records began more than a century ago.",
            "Emergency departments are adding beds in cooled rooms and calling in extra nurses for night "
            "shifts, when elderly patients who live alone are most at risk. Health officials said admissions "
            "for heat exhaustion and dehydration had already risen by a quarter compared with last week.",
            "Public health advice urges people to keep curtains closed during the day, drink water regularly "
            "and check on neighbours who might struggle. Libraries and community centres will stay open late "
            "as cool rooms, and several supermarkets have offered space near their entrances for the same use.",
            "Farmers have been asked to water livestock more often and to avoid moving animals during the "
            "hottest hours. The fire service warned that dry grass along railway lines and motorway verges "
            "could ignite easily and asked drivers not to throw cigarettes from their windows.",
            "Forecasters expect the heat to ease by the middle of next week, when a band of thunderstorms is "
            "likely to cross from the west. They warned that sudden heavy rain on baked ground could cause "
            "flash flooding in towns with narrow streets and old drains.",
        ),
    ),
    "status_429": (
        "Central bank holds interest rates steady for third month",
        "Victor Lemaire",
        (
            "The central bank held its main interest rate at four and a quarter per cent on Thursday, the third "
            "month in a row without a change, as policymakers weighed slowing inflation against signs that "
            "household spending was beginning to weaken.",
            "Seven of the nine members of the monetary committee voted to keep rates on hold, while two argued "
            "for a cut of a quarter point. Minutes released alongside the decision showed that the majority "
            "wanted more evidence that price rises in services were easing before lowering borrowing costs.",
            "Inflation fell to 2.8 per cent last month, its lowest level in almost three years, helped by "
            "cheaper energy and food. But wages are still growing at more than five per cent a year, which "
            "the bank fears could keep prices in restaurants, hotels and repair shops rising quickly.",
            "Mortgage lenders said the decision would bring little relief to households coming to the end of "
            "fixed-rate deals, many of whom face monthly payments several hundred higher than before. Estate "
            "agents reported that buyers were waiting for clearer signals before committing to purchases.",
            "Economists now expect the first cut in early spring, although several warned that a renewed rise "
            "in oil prices could delay it. The bank will publish new forecasts for growth and inflation at "
            "its next meeting, along with an assessment of risks in the commercial property market.",
        ),
    ),
    "burst_5xx": (
        "Forest service doubles firefighting crews ahead of dry season",
        "Carmen Velasco",
        (
            "The national forest service will double the number of seasonal firefighting crews this year and "
            "station two water-bombing aircraft at the regional airport, officials announced on Friday, after "
            "a winter with less than half the usual rainfall left hillsides unusually dry.",
            "The new crews, each of eight people, will be based in villages along the wooded valleys where "
            "most of last year's fires started. Recruits began a three-week training course this month that "
            "covers cutting firebreaks, operating pumps and working safely on steep, rocky ground.",
            "Landowners have been told to clear brush within fifty metres of houses and barns by the end of "
            "May. Inspectors will visit properties in high-risk areas and can issue fines to owners who fail "
            "to comply, although officials said they would prefer to offer help rather than penalties.",
            "Scientists at the forestry institute say fire seasons in the region now start about three weeks "
            "earlier than in the 1980s and burn larger areas on average. They recommend replanting some "
            "slopes with oak and chestnut, which burn less fiercely than the pine plantations that dominate.",
            "The service also launched a mobile alert system that sends warnings to phones in areas threatened "
            "by fire. Residents are urged to register their addresses and to prepare a bag with documents, "
            "medicine and water in case they are asked to leave their homes at short notice.",
        ),
    ),
    "url_spaces": (
        "Old stone bridge reopens to traffic after repairs",
        "George Whitfield",
        (
            "The old stone bridge over the canal reopened to cars and buses on Monday morning after nine months "
            "of repairs, ending long detours for drivers and restoring the quickest route between the east "
            "side of town and the hospital.",
            "Engineers closed the bridge last winter after divers found that the foundations of the central "
            "pier had been scoured away by fast currents during a series of storms. Steel sheets were driven "
            "into the riverbed around the pier and the cavity was filled with concrete pumped from barges.",
            "The masonry above the waterline was also repointed with lime mortar, and several carved stones on "
            "the parapet were replaced by a local mason using sandstone from the same quarry as the originals. "
            "Heritage officers said the work had been carried out with great care for the listed structure.",
            "Shopkeepers on the east bank said trade had fallen sharply during the closure as customers from "
            "the town centre stopped making the trip. A temporary footbridge kept pedestrians moving, but "
            "delivery vans had to take a twelve-kilometre detour through the industrial estate.",
            "A weight limit of eighteen tonnes will remain in place, meaning heavy lorries must still use the "
            "bypass. The council said it would install cameras to enforce the limit and that monitoring "
            "sensors fitted to the pier would warn engineers of any new movement in the foundations.",
        ),
    ),
    "url_unicode": (
        "Translation festival brings poets from twelve countries",
        "Nadia Haddad",
        (
            "Poets and translators from twelve countries gathered at the city library this weekend for the "
            "first international translation festival, reading work in Arabic, Persian, Portuguese and a "
            "dozen other languages to audiences that filled the main hall on both evenings.",
            "Each session paired a poet with the person who had translated their work, and the two read "
            "alternate lines in the original and the new language. Organisers said the format was meant to "
            "show how much of a poem's sound and rhythm survives the move from one language to another.",
            "Workshops during the day invited members of the public to try translating short texts themselves. "
            "Many participants were students, but the organisers said they were delighted to see retired "
            "teachers, nurses and shopkeepers among those who signed up for the afternoon classes.",
            "The festival was funded by the library, two publishers and a cultural foundation. Its director "
            "said she hoped to make it an annual event and to add a prize for first translations by writers "
            "under thirty, who often struggle to find publishers willing to take a risk on their work.",
            "Several of the poems read at the festival will appear in a bilingual anthology next spring. "
            "The library also recorded every session, and the recordings will be made available online "
            "for schools and reading groups that were unable to attend in person.",
        ),
    ),
    "url_long_query": (
        "School meals programme extended to all primary pupils",
        "Oliver Grant",
        (
            "Every primary school pupil in the region will receive a free hot lunch from September, the "
            "education department announced on Tuesday, extending a programme that until now covered only "
            "children from families receiving income support.",
            "The scheme will cost about 90 million a year and is funded by a new levy on large commercial "
            "property owners. Officials say it will benefit around 140,000 children and save families with "
            "two children in primary school more than 800 a year in packed lunches.",
            "Head teachers welcomed the announcement but warned that many schools lack kitchens big enough "
            "to cook for every pupil. The department said it would provide grants for new equipment and that "
            "schools could share central kitchens where building work was not possible in time.",
            "Nutritionists said the quality of the food would matter as much as the quantity. They urged the "
            "department to set strict limits on sugar and processed meat, and to buy vegetables from local "
            "farms wherever possible to support growers and cut transport costs.",
            "Parents' associations said the change would remove the stigma some children felt when they were "
            "the only ones receiving free meals. A review of the programme will be published after its first "
            "year, looking at attendance, concentration in class and the health of pupils.",
        ),
    ),
    "wrong_length": (
        "Solar farm on former airfield begins supplying power",
        "Rebecca Stone",
        (
            "A solar farm built on a former military airfield began supplying electricity to the grid this "
            "week, with enough capacity to power about twenty thousand homes on a sunny day, its developers "
            "said at an opening ceremony attended by the energy minister.",
            "The site's 110,000 panels are mounted on frames that tilt to follow the sun across the sky. The "
            "old concrete runway was left in place and now serves as an access road for maintenance crews, "
            "while sheep graze the grass between the rows to keep it short without mowers.",
            "A battery store beside the substation can hold four hours of output, allowing the farm to supply "
            "power into the evening when demand peaks. Grid operators say such storage is becoming essential "
            "as solar and wind make up a growing share of the country's electricity.",
            "Some residents of nearby villages had opposed the scheme, saying it would spoil views across "
            "the open countryside. The developers planted hedges along the boundary and agreed to pay into "
            "a community fund that will support local clubs and energy-saving work on homes.",
            "The airfield's control tower has been restored as a visitor centre explaining the site's wartime "
            "history and its new role. School groups can book tours, and the centre will open to the public "
            "on weekends from the spring.",
        ),
    ),
    "truncated": (
        "Hospital waiting lists fall for first time in five years",
        "Fiona McLeod",
        (
            "Waiting lists for planned hospital treatment in the region fell last month for the first time in "
            "five years, according to figures published on Thursday, as extra evening and weekend operating "
            "sessions began to reduce the backlog built up during the pandemic.",
            "About 212,000 people were waiting for treatment at the end of the month, some four thousand fewer "
            "than a month earlier. The longest waits, for hip and knee replacements and cataract surgery, "
            "fell most sharply after two new surgical centres opened in converted outpatient buildings.",
            "Health managers cautioned that the improvement was fragile and could be reversed by a difficult "
            "winter. Emergency departments remain under heavy pressure, and beds occupied by patients who are "
            "well enough to leave but lack care at home continue to limit the number of operations.",
            "Patient groups welcomed the figures but said many people were still waiting in pain for more "
            "than a year. They called for clearer information about expected waiting times so that patients "
            "could plan work and family life around their treatment.",
            "The health minister said the trend showed that investment in surgical capacity was paying off. "
            "She announced funding for a third surgical centre in the north of the region, due to open "
            "within eighteen months, and a recruitment drive for anaesthetists and theatre nurses.",
        ),
    ),
    "slow_drip": (
        "Lighthouse keeper's cottage becomes seabird observatory",
        "Thomas Penrose",
        (
            "The keeper's cottage beside the headland lighthouse has been turned into a seabird observatory, "
            "giving visitors a sheltered place to watch the thousands of gannets and guillemots that nest on "
            "the cliffs each summer.",
            "Volunteers spent two years renovating the building, which had been empty since the light was "
            "automated in the 1980s. Large windows now face the cliffs, and telescopes are mounted on the "
            "sills so that visitors can follow individual birds as they return to their ledges with fish.",
            "Wardens count the colonies every June and say numbers have recovered after an outbreak of bird "
            "flu three years ago. Data from the observatory will be shared with national monitoring schemes "
            "that track the health of seabird populations along the whole coast.",
            "The observatory is open every day from April to September and on weekends in winter. Entry is "
            "free, although donations are welcome to help pay for heating and the upkeep of the telescopes.",
            "Walkers are reminded to stay on the marked path along the cliff top, which can be slippery after "
            "rain, and to keep dogs on a lead during the nesting season.",
        ),
    ),
}

_AR_CP1256 = (
    "مجلس المدينة يقر خطة لتجديد السوق القديم",
    (
        "وافق مجلس المدينة مساء الثلاثاء على خطة شاملة لتجديد السوق القديم في وسط المدينة، بعد نقاش استمر "
        "عدة أشهر حول كلفة المشروع وطريقة تمويله، وقال رئيس المجلس إن الأعمال ستبدأ مطلع الربيع المقبل.",
        "وتشمل الخطة ترميم الأقواس الحجرية وإصلاح الأسقف الخشبية التي تضررت بفعل الأمطار خلال السنوات "
        "الماضية، إضافة إلى تمديد شبكات جديدة للكهرباء والمياه وتحسين الإنارة في الممرات الضيقة.",
        "وأعرب عدد من التجار عن قلقهم من إغلاق محلاتهم خلال فترة الأشغال، فيما أكد المجلس أنه سيخصص "
        "مساحات مؤقتة في الساحة المجاورة لاستقبال الباعة، وأن العمل سيجري على مراحل لتقليل الأضرار.",
        "ويقدر المهندسون أن المشروع سيستغرق نحو عامين، وأن كلفته ستبلغ قرابة ثلاثين مليونا، تسهم فيها "
        "وزارة الثقافة وصندوق التراث الوطني إلى جانب ميزانية البلدية، بحسب بيان صدر عقب الجلسة.",
        "ورحب سكان الحي بالقرار، وقالوا إن السوق يمثل ذاكرة المدينة وملتقى أهلها منذ قرون، وطالبوا "
        "بالحفاظ على طابعه التقليدي وعدم تحويله إلى مركز تجاري حديث يفقده روحه وهويته.",
        "وأوضح مدير التخطيط في البلدية أن الدراسات الهندسية كشفت عن تصدعات في بعض الجدران الخارجية، "
        "وأن فريقا من الخبراء سيعمل على تدعيمها باستخدام مواد تقليدية تنسجم مع طبيعة البناء الأصلي.",
        "ومن المقرر أن تعقد البلدية لقاءات دورية مع التجار والسكان لإطلاعهم على سير الأعمال والاستماع إلى "
        "ملاحظاتهم، كما ستنشر جدولا زمنيا مفصلا لمراحل المشروع على لوحات الإعلان في مداخل السوق.",
    ),
)

_AR_UTF8_BOM = (
    "افتتاح مكتبة عامة جديدة في الحي الشمالي",
    (
        "افتتحت البلدية يوم السبت مكتبة عامة جديدة في الحي الشمالي، تضم أكثر من أربعين ألف كتاب وقاعة "
        "للمطالعة تتسع لمئتي قارئ، إلى جانب ركن خاص بالأطفال ومختبر صغير للحاسوب.",
        "وقالت مديرة المكتبة إن المبنى صمم ليكون مكانا مفتوحا لجميع السكان، وإن أبوابه ستبقى مفتوحة حتى "
        "العاشرة مساء طوال أيام الأسبوع، لتمكين الطلاب والعاملين من الاستفادة من خدماتها بعد الدوام.",
        "وشهد حفل الافتتاح حضور عدد كبير من الأهالي والكتاب المحليين، وقدمت فرقة موسيقية من مدرسة الحي "
        "عرضا قصيرا، فيما وزعت المكتبة بطاقات عضوية مجانية على أول خمسمئة زائر.",
        "وتخطط المكتبة لتنظيم ورش أسبوعية في الكتابة والترجمة والقراءة للأطفال، بالتعاون مع الجامعة "
        "ودور النشر في المدينة، إضافة إلى نادي قراءة شهري يناقش أحدث الروايات العربية.",
        "ويأتي افتتاح المكتبة ضمن برنامج أوسع لتطوير المرافق الثقافية في الأحياء الطرفية، يتضمن إنشاء "
        "مراكز شبابية وملاعب رياضية، ومن المتوقع استكمال المرحلة الأولى منه قبل نهاية العام المقبل.",
        "وأشار مسؤولو البلدية إلى أن تكلفة المبنى بلغت نحو ثمانية ملايين، وأن جزءا منها جاء من تبرعات "
        "رجال أعمال من أبناء الحي، الذين طالبوا منذ سنوات بإنشاء مرفق ثقافي يخدم الشباب والطلاب.",
        "وأكدت إدارة المكتبة أنها ستطلق قريبا خدمة إعارة إلكترونية تتيح للمشتركين تصفح آلاف الكتب "
        "والمجلات من منازلهم، إلى جانب أرشيف رقمي للصحف المحلية القديمة يعود إلى منتصف القرن الماضي.",
    ),
)


def _article_html(
    title: str,
    author: str,
    paragraphs: Iterable[str],
    *,
    canonical: str | None = None,
    lang: str = "en",
    meta_charset: str | None = "utf-8",
    extra_head: str = "",
) -> str:
    head = [f'<meta charset="{meta_charset}">'] if meta_charset else []
    head.append(f"<title>{html.escape(title)} | Hostile Gazette</title>")
    if canonical:
        head.append(f'<link rel="canonical" href="{html.escape(canonical)}">')
    head.append(f'<meta name="author" content="{html.escape(author)}">')
    if extra_head:
        head.append(extra_head)
    body = "\n".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    direction = ' dir="rtl"' if lang == "ar" else ""
    return (
        f'<!DOCTYPE html>\n<html lang="{lang}"{direction}>\n<head>\n'
        + "\n".join(head)
        + '\n</head>\n<body>\n<header><nav><a href="/">Hostile Gazette</a></nav></header>\n'
        f"<main><article>\n<h1>{html.escape(title)}</h1>\n"
        f'<p class="byline">{html.escape(author)}</p>\n'
        f'<time datetime="{ARTICLE_DATETIME}">1 November 2026</time>\n'
        f"{body}\n</article></main>\n<footer>Hostile Gazette test fixture</footer>\n</body>\n</html>\n"
    )


def _en_article(slug: str, canonical: str | None = None) -> bytes:
    title, author, paragraphs = _EN_ARTICLES[slug]
    return _article_html(title, author, paragraphs, canonical=canonical).encode("utf-8")


def _arabic_html(article: tuple[str, tuple[str, ...]], *, meta_charset: str | None) -> str:
    title, paragraphs = article
    return _article_html(title, "المحرر", paragraphs, lang="ar", meta_charset=meta_charset)


def _small_page(title: str, body: str) -> bytes:
    return (
        f'<!DOCTYPE html>\n<html lang="en">\n<head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f"</head>\n<body>\n<h1>{html.escape(title)}</h1>\n{body}\n</body>\n</html>\n"
    ).encode()


def _gzip_repeated(prefix: bytes, chunk: bytes, count: int, suffix: bytes) -> bytes:
    """gzip of ``prefix + chunk * count + suffix``, built without compressing every repetition.

    After ``Z_FULL_FLUSH`` the compressor forgets its history, so the deflate output for
    ``chunk`` is the same every time: compress it once, repeat it, and patch the trailer.
    """
    comp = zlib.compressobj(9, zlib.DEFLATED, 31)
    head = comp.compress(prefix) + comp.flush(zlib.Z_FULL_FLUSH)
    block = comp.compress(chunk) + comp.flush(zlib.Z_FULL_FLUSH)
    if comp.compress(chunk) + comp.flush(zlib.Z_FULL_FLUSH) != block:  # pragma: no cover - zlib oddity
        raise RuntimeError("deflate output of a repeated block is not stable")
    tail = comp.compress(suffix) + comp.flush(zlib.Z_FINISH)
    crc = zlib.crc32(prefix)
    for _ in range(count):
        crc = zlib.crc32(chunk, crc)
    crc = zlib.crc32(suffix, crc)
    size = len(prefix) + len(chunk) * count + len(suffix)
    return head + block * count + tail[:-8] + struct.pack("<II", crc, size & 0xFFFFFFFF)


def _build_brotli_bomb() -> bytes:
    assert _brotli is not None
    comp = _brotli.Compressor(quality=5)
    zeros = bytes(1 << 20)
    parts = [comp.process(zeros) for _ in range(GZIP_BOMB_SIZE >> 20)]
    parts.append(comp.finish())
    return b"".join(parts)


def _build_pdf() -> bytes:
    rng = random.Random(1256)
    stream = bytes(rng.getrandbits(8) for _ in range(1500))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Title (Quarterly report) /Producer (Hostile Gazette) >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info 5 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def _build_png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 6, 0, 0, 0)
    idat = zlib.compress(b"\x00\xff\x00\x00\xff")
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    rng = random.Random(42)
    return png + bytes(rng.getrandbits(8) for _ in range(4096))


# --------------------------------------------------------------------------- transport


class _Closed(Exception):
    """The client went away or the site is stopping: end this connection."""


@dataclass
class _Request:
    method: str
    target: str  # raw request target as received
    version: str
    headers: dict[str, str]

    @property
    def path(self) -> str:
        """Percent-decoded path without query."""
        return _decode_path(self.target)

    @property
    def query(self) -> str:
        return urlsplit(self.target).query

    @property
    def keep_alive(self) -> bool:
        conn = self.headers.get("connection", "").lower()
        if self.version == "HTTP/1.1":
            return "close" not in conn
        return "keep-alive" in conn


@dataclass
class _Response:
    status: int
    body: bytes = b""
    content_type: str | None = "text/html; charset=utf-8"
    headers: list[tuple[str, str]] = field(default_factory=list)
    close: bool = False
    stream: Callable[[], Iterator[bytes]] | None = None  # body chunks; ``body`` then gives only the length
    length: int | None = None


_RawHandler = Callable[["_Connection", _Request], None]
_Reply = _Response | _RawHandler


def _decode_path(target: str) -> str:
    if target.startswith(("http://", "https://")):
        target = urlsplit(target).path or "/"
    path = target.split("?", 1)[0].split("#", 1)[0]
    return unquote(path, encoding="utf-8", errors="replace")


def _status_line(status: int) -> bytes:
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = "Unknown"
    return f"HTTP/1.1 {status} {reason}\r\n".encode("latin-1")


def _head(status: int, headers: Iterable[tuple[str, str]]) -> bytes:
    lines = [("Date", formatdate(usegmt=True)), ("Server", "HostileSite/1.0"), *headers]
    return _status_line(status) + "".join(f"{k}: {v}\r\n" for k, v in lines).encode("latin-1") + b"\r\n"


class _Connection:
    """One accepted client socket, served by one thread."""

    POLL = 0.2
    IDLE_LIMIT = 60.0
    MAX_HEAD = 256 * 1024

    def __init__(self, site: HostileSite, sock: socket.socket, label: str) -> None:
        self.site = site
        self.sock = sock
        self.label = label
        self.buf = b""
        sock.settimeout(self.POLL)

    # -- reading
    def read_request(self) -> _Request | None:
        started = time.monotonic()
        while b"\r\n\r\n" not in self.buf:
            if len(self.buf) > self.MAX_HEAD:
                self.send(_head(431, [("Content-Length", "0"), ("Connection", "close")]))
                return None
            if self.site.stopping or time.monotonic() - started > self.IDLE_LIMIT:
                return None
            try:
                data = self.sock.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                return None
            if not data:
                return None
            self.buf += data
        raw_head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = raw_head.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ")
        if len(parts) < 3 or not parts[-1].startswith("HTTP/"):
            self.send(_head(400, [("Content-Length", "0"), ("Connection", "close")]))
            return None
        # a target with literal spaces arrives split: rejoin the middle
        method, target, version = parts[0], " ".join(parts[1:-1]), parts[-1]
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, sep, value = line.partition(":")
            if sep:
                headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0") or 0)
        while len(self.buf) < length:  # discard a request body
            if self.site.stopping:
                return None
            try:
                data = self.sock.recv(65536)
            except TimeoutError:
                continue
            if not data:
                return None
            self.buf += data
        self.buf = self.buf[length:]
        return _Request(method, target, version, headers)

    def wait_until_gone(self, limit: float | None = None) -> None:
        """Block until the client disconnects, the site stops, or ``limit`` seconds pass."""
        deadline = None if limit is None else time.monotonic() + limit
        while not self.site.stopping and (deadline is None or time.monotonic() < deadline):
            try:
                if not self.sock.recv(65536):
                    return
            except TimeoutError:
                continue
            except OSError:
                return

    # -- writing
    def send(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            if self.site.stopping:
                raise _Closed
            try:
                sent = self.sock.send(view[:65536])
            except TimeoutError:
                continue
            except OSError as exc:
                raise _Closed from exc
            view = view[sent:]

    def finish(self) -> None:
        """Graceful close: FIN first, then drain briefly so unread input does not turn into an RST."""
        try:
            self.sock.shutdown(socket.SHUT_WR)
        except OSError:
            return
        self.wait_until_gone(limit=2.0)

    # -- serving
    def serve(self) -> None:
        try:
            while True:
                req = self.read_request()
                if req is None:
                    return
                self.site._record(self.label, req)
                reply = self.site._route(self.label, req)
                if isinstance(reply, _Response):
                    if not self._write(req, reply):
                        self.finish()
                        return
                else:
                    reply(self, req)
                    self.finish()
                    return
        except _Closed:
            pass
        except Exception as exc:  # a bug in the fixture: keep it visible, never kill the server
            self.site.errors.append(f"{self.label}: {exc!r}")
        finally:
            try:
                self.sock.close()
            except OSError:
                pass

    def _write(self, req: _Request, resp: _Response) -> bool:
        """Send ``resp``; whether the connection may be reused."""
        keep = req.keep_alive and not resp.close
        length = resp.length if resp.length is not None else len(resp.body)
        headers = list(resp.headers)
        if resp.content_type:
            headers.insert(0, ("Content-Type", resp.content_type))
        headers += [("Content-Length", str(length)), ("Connection", "keep-alive" if keep else "close")]
        self.send(_head(resp.status, headers))
        if req.method != "HEAD":
            if resp.stream is not None:
                for piece in resp.stream():
                    self.send(piece)
            else:
                self.send(resp.body)
        return keep


# --------------------------------------------------------------------------- the site


class HostileSite:
    """Three misbehaving origins on 127.0.0.1; use as a context manager.

    Attributes: ``url``, ``other_url``, ``broken_robots_url``, ``refused_url`` (each ending in ``/``),
    ``requests`` (list of :data:`RequestRecord`, appended under a lock), ``timeline``
    (``(time.monotonic(), origin_label, raw_target)`` of each request as it arrived), ``errors``
    (exceptions raised inside handlers -- fixture bugs, expected to stay empty).
    """

    _cache: ClassVar[dict[str, bytes]] = {}
    _cache_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self) -> None:
        self.url = self.other_url = self.broken_robots_url = self.offsite_url = self.refused_url = ""
        self.requests: list[RequestRecord] = []
        self.timeline: list[tuple[float, str, str]] = []
        self._refusing: socket.socket | None = None
        self.errors: list[str] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._listeners: list[socket.socket] = []
        self._threads: set[threading.Thread] = set()
        self._conns: set[socket.socket] = set()
        self._hits: dict[str, int] = {}
        self._feed: bytes | None = None

    # -- lifecycle
    def __enter__(self) -> HostileSite:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def start(self) -> None:
        urls = {}
        for label in (MAIN, OTHER, BROKEN_ROBOTS):
            listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind(("127.0.0.1", 0))
            listener.listen(128)
            listener.settimeout(_Connection.POLL)
            self._listeners.append(listener)
            urls[label] = f"http://127.0.0.1:{listener.getsockname()[1]}/"
            self._spawn(self._accept_loop, listener, label, name=f"hostile-accept-{label}")
        self.url, self.other_url, self.broken_robots_url = urls[MAIN], urls[OTHER], urls[BROKEN_ROBOTS]
        self.offsite_url = self.other_url.replace("127.0.0.1", "localhost")
        # Bound but never listening: connections are refused, and no other process can take the port.
        self._refusing = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._refusing.bind(("127.0.0.1", 0))
        self.refused_url = f"http://127.0.0.1:{self._refusing.getsockname()[1]}/"

    def stop(self, timeout: float = 2.0) -> None:
        self._stop.set()
        with self._lock:
            conns = list(self._conns)
            threads = list(self._threads)
        for sock in conns:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        deadline = time.monotonic() + timeout
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        for listener in self._listeners:
            listener.close()
        if self._refusing is not None:
            self._refusing.close()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def _spawn(self, target: Callable[..., None], *args: object, name: str) -> None:
        thread = threading.Thread(target=self._run, args=(target, *args), name=name, daemon=True)
        with self._lock:
            self._threads.add(thread)
        thread.start()

    def _run(self, target: Callable[..., None], *args: object) -> None:
        try:
            target(*args)
        finally:
            with self._lock:
                self._threads.discard(threading.current_thread())

    def _accept_loop(self, listener: socket.socket, label: str) -> None:
        while not self._stop.is_set():
            try:
                sock, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                self._conns.add(sock)
            self._spawn(self._serve, sock, label, name=f"hostile-conn-{label}")

    def _serve(self, sock: socket.socket, label: str) -> None:
        try:
            _Connection(self, sock, label).serve()
        finally:
            with self._lock:
                self._conns.discard(sock)

    # -- bookkeeping
    def _record(self, label: str, req: _Request) -> None:
        with self._lock:
            self.requests.append((label, req.method, req.target, dict(req.headers)))
            self.timeline.append((time.monotonic(), label, req.target))

    def _hit(self, key: str) -> int:
        """Increment and return how many times ``key`` has been answered (1 on the first call)."""
        with self._lock:
            self._hits[key] = self._hits.get(key, 0) + 1
            return self._hits[key]

    def count(self, path: str, origin: str = MAIN) -> int:
        """Requests for ``path`` on ``origin``, compared percent-decoded and without query."""
        wanted = _decode_path(path)
        with self._lock:
            return sum(
                1
                for label, _, target, _ in self.requests
                if label == origin and _decode_path(target) == wanted
            )

    def count_raw(self, raw: str, origin: str = MAIN) -> int:
        """Requests whose raw request target is exactly ``raw`` on ``origin``."""
        with self._lock:
            return sum(1 for label, _, target, _ in self.requests if label == origin and target == raw)

    def origin_url(self, label: str) -> str:
        return {MAIN: self.url, OTHER: self.other_url, BROKEN_ROBOTS: self.broken_robots_url}[label]

    def case_url(self, name: str) -> str:
        """Absolute, percent-encoded URL of case ``name`` on its origin."""
        c = case(name)
        return self.origin_url(c.origin) + _quote_path(c.path).lstrip("/")

    def abs_url(self, path: str) -> str:
        """Absolute percent-encoded URL of ``path`` on the main origin."""
        return self.url + _quote_path(path).lstrip("/")

    # -- cached bodies
    @classmethod
    def _cached(cls, key: str, build: Callable[[], bytes]) -> bytes:
        with cls._cache_lock:
            if key not in cls._cache:
                cls._cache[key] = build()
            return cls._cache[key]

    @classmethod
    def gzip_bomb(cls) -> bytes:
        return cls._cached(
            "gzip_bomb", lambda: _gzip_repeated(b"", bytes(1 << 20), GZIP_BOMB_SIZE >> 20, b"")
        )

    @classmethod
    def brotli_bomb(cls) -> bytes:
        return cls._cached("brotli_bomb", _build_brotli_bomb)

    @classmethod
    def sitemap_bomb(cls) -> bytes:
        prefix = (
            b'<?xml version="1.0" encoding="UTF-8"?>\n'
            b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        )
        return cls._cached(
            "sitemap_bomb",
            lambda: _gzip_repeated(prefix, b" " * (1 << 20), SITEMAP_BOMB_SIZE >> 20, b"\n</urlset>\n"),
        )

    @classmethod
    def many_links_page(cls) -> bytes:
        def build() -> bytes:
            links = "".join(f'<a href="/many/{n}.html">{n}</a>\n' for n in range(MANY_LINKS))
            return _small_page("All the links", "<nav>\n" + links + "</nav>")

        return cls._cached("many_links", build)

    def feed(self) -> bytes:
        with self._lock:
            if self._feed is None:
                items = "".join(
                    f"<item><title>Feed item number {n}</title><link>{self.url}feed-items/{n}.html</link>"
                    f'<guid isPermaLink="true">{self.url}feed-items/{n}.html</guid>'
                    f"<pubDate>Sun, 01 Nov 2026 10:00:00 GMT</pubDate>"
                    f"<description>Summary of item {n}: a short story that exists only in this feed and "
                    f"whose page answers 404.</description></item>\n"
                    for n in range(FEED_ITEMS)
                )
                self._feed = (
                    '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>\n'
                    f"<title>Hostile Gazette</title><link>{self.url}</link>"
                    "<description>Far too many items</description>\n" + items + "</channel></rss>\n"
                ).encode()
            return self._feed

    # -- routing
    def _route(self, label: str, req: _Request) -> _Reply:
        if label == OTHER:
            return self._route_other(req)
        if label == BROKEN_ROBOTS:
            return self._route_broken(req)
        return self._route_main(req)

    def _route_other(self, req: _Request) -> _Reply:
        path = req.path
        if path == "/robots.txt":
            return _Response(
                200, _small_page("Welcome", "<p>This is not a robots.txt file.</p>\n<p>Disallow: /</p>")
            )
        if path == "/landing.html":
            return _Response(200, _en_article("landing"))
        if path == "/":
            return _Response(
                200, _small_page("Another site", '<p><a href="/landing.html">Market hall</a></p>')
            )
        return _not_found()

    def _route_broken(self, req: _Request) -> _Reply:
        path = req.path
        if path == "/robots.txt":
            return _Response(500, _small_page("Internal Server Error", "<p>robots.txt is broken.</p>"))
        if path == "/":
            return _Response(200, _small_page("Broken robots", '<p><a href="/ok.html">Heatwave</a></p>'))
        if path == "/ok.html":
            return _Response(200, _en_article("broken_ok"))
        return _not_found()

    def _route_main(self, req: _Request) -> _Reply:
        path = req.path
        static = self._main_static(path)
        if static is not None:
            return static
        if path.startswith("/ok/") and path.endswith(".html"):
            number = path[len("/ok/") : -len(".html")]
            if number in {"1", "2", "3", "4", "5", "6"}:
                return _Response(200, _en_article("ok" + number, canonical=f"{self.url}ok/{number}.html"))
        if path == case("url_spaces").path:
            return _Response(200, _en_article("url_spaces"))
        if path == case("url_unicode").path:
            return _Response(200, _en_article("url_unicode"))
        if path == "/case/long.html":
            query = parse_qs(req.query)
            if query.get("q") == ["x" * 5000] and query.get("a") == ["1"]:
                return _Response(200, _en_article("url_long_query"))
            return _not_found()
        if path.startswith("/timing/"):
            return self._timing(path) or _not_found()
        handler = self._case_handlers().get(path)
        if handler is not None:
            return handler(req)
        return _not_found()

    def _timing(self, path: str) -> _Response | None:
        """Unlinked pages for timing tests; :attr:`timeline` says when each was asked for.

        ``/timing/busy.html``: 503 with ``Retry-After: 2`` the first time, then 200.
        ``/timing/closed.html``: 429 with ``Retry-After: 3600``, always.
        ``/timing/slow.html``: answers after 0.5 s.  ``/timing/ok-<anything>.html``: 200 at once.
        """
        if path == "/timing/busy.html":
            if self._hit("timing_busy") == 1:
                return _Response(
                    503, _small_page("Service Unavailable", "<p>Busy.</p>"), headers=[("Retry-After", "2")]
                )
            return _Response(200, _small_page("Busy no more", "<p>Back.</p>"))
        if path == "/timing/closed.html":
            return _Response(
                429, _small_page("Too Many Requests", "<p>Come back tomorrow.</p>"), headers=[("Retry-After", "3600")]
            )
        if path == "/timing/slow.html":
            self._stop.wait(0.5)
            return _Response(200, _small_page("Slow", "<p>Slow.</p>"))
        if path.startswith("/timing/ok-") and path.endswith(".html"):
            return _Response(200, _small_page("OK", "<p>OK.</p>"))
        return None

    def _main_static(self, path: str) -> _Response | None:
        base = self.url
        if path == "/":
            return _Response(200, self._home())
        if path == "/robots.txt":
            return _Response(
                200, f"User-agent: *\nAllow: /\nSitemap: {base}sitemap.xml\n".encode(), "text/plain"
            )
        xml = "application/xml"
        if path == "/sitemap.xml":
            maps = [
                "sitemaps/good.xml",
                "sitemaps/malformed.xml",
                "sitemaps/entity-bomb.xml",
                "sitemaps/bomb.xml.gz",
            ]
            body = "".join(f"<sitemap><loc>{base}{m}</loc></sitemap>\n" for m in maps)
            return _Response(
                200,
                (
                    '<?xml version="1.0" encoding="UTF-8"?>\n'
                    '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
                    f"{body}</sitemapindex>\n"
                ).encode(),
                xml,
            )
        if path == "/sitemaps/good.xml":
            return _Response(200, self._good_sitemap(), xml)
        if path == "/sitemaps/malformed.xml":
            broken = (
                b'<?xml version="1.0" encoding="UTF-8"?>\n'
                b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
                b"<url><loc>" + f"{base}ok/4.html".encode() + b"</loc><lastmod>2026-11-01\n"
                b"<url><loc><priority>0.5</url>\n"
                b"\xff\xfe\x00\x01garbage <<>> &nbsp; \x80\x81\n"
                b"<url><changefreq>daily</changefreq\n"
            )
            return _Response(200, broken, xml)
        if path == "/sitemaps/entity-bomb.xml":
            return _Response(200, self._entity_bomb(), xml)
        if path == "/sitemaps/bomb.xml.gz":
            return _Response(200, self.sitemap_bomb(), "application/gzip")
        if path == "/feed.xml":
            return _Response(200, self.feed(), "application/rss+xml")
        return None

    def _home(self) -> bytes:
        links = [c.path for c in CASES if c.kind == "page"]
        links += [f"/ok/{n}.html" for n in range(1, 5)]
        links += [c.path for c in CASES if c.kind == "url"]
        links.append(TRACKING_DUPLICATES[1])
        items = "".join(f'<li><a href="{html.escape(p)}">{html.escape(p)}</a></li>\n' for p in links)
        page = (
            '<!DOCTYPE html>\n<html lang="en">\n<head><meta charset="utf-8"><title>Hostile Gazette</title>\n'
            '<link rel="alternate" type="application/rss+xml" title="Hostile Gazette" href="/feed.xml">\n'
            "</head>\n<body>\n<h1>Hostile Gazette</h1>\n<ul>\n" + items + "</ul>\n</body>\n</html>\n"
        )
        return page.encode()

    def _good_sitemap(self) -> bytes:
        paths = [c.path for c in CASES if c.kind in ("page", "redirect", "url")]
        paths += [f"/ok/{n}.html" for n in range(1, 4)]
        paths += list(TRACKING_DUPLICATES)
        seen: set[str] = set()
        urls = []
        for p in paths:
            if p not in seen:
                seen.add(p)
                urls.append(f"<url><loc>{html.escape(self.abs_url(p))}</loc></url>\n")
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n' + "".join(urls) + "</urlset>\n"
        ).encode()

    def _entity_bomb(self) -> bytes:
        entities = ['  <!ENTITY lol "lol">']
        for level in range(1, 10):
            prev = "lol" if level == 1 else f"lol{level - 1}"
            entities.append(f'  <!ENTITY lol{level} "' + f"&{prev};" * 10 + '">')
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE urlset [\n'
            + "\n".join(entities)
            + "\n]>\n"
            + '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
            + f"<url><loc>{self.url}ok/&lol9;.html</loc></url>\n</urlset>\n"
        ).encode()

    def _case_handlers(self) -> dict[str, Callable[[_Request], _Reply]]:
        def p(name: str) -> str:
            return case(name).path

        return {
            p("gzip_bomb"): lambda r: _Response(
                200, self.gzip_bomb(), "text/html", [("Content-Encoding", "gzip")]
            ),
            p("brotli_bomb"): self._brotli_case,
            p("oversize"): lambda r: _oversize,
            p("truncated"): lambda r: _truncated,
            p("gzip_truncated"): lambda r: _gzip_truncated,
            p("wrong_length"): lambda r: _wrong_length,
            p("cp1256_undeclared"): lambda r: _Response(200, _cp1256_bytes(), "text/html"),
            p("cp1256_mislabelled"): lambda r: _Response(200, _cp1256_bytes(), "text/html; charset=utf-8"),
            p("utf8_bom"): lambda r: _Response(200, _utf8_bom_bytes(), "text/html; charset=windows-1256"),
            p("pdf_as_html"): lambda r: _Response(200, self._cached("pdf", _build_pdf), "text/html"),
            p("png_as_html"): lambda r: _Response(200, self._cached("png", _build_png), "text/html"),
            p("empty"): lambda r: _Response(200, b"", "text/html"),
            p("no_text"): lambda r: _Response(200, _NO_TEXT_PAGE),
            p("deep_nesting"): lambda r: _Response(200, stream=_deep_nesting, length=_DEEP_NESTING_LENGTH),
            p("many_links"): lambda r: _Response(200, self.many_links_page()),
            p("slow_drip"): lambda r: _slow_drip,
            p("hang"): lambda r: _hang,
            p("status_429"): self._status_429,
            p("burst_5xx"): self._burst_5xx,
            p("always_500"): lambda r: _Response(500, _small_page("Internal Server Error", "<p>Always.</p>")),
            "/case/loop-a": lambda r: _redirect(302, "/case/loop-b"),
            "/case/loop-b": lambda r: _redirect(302, "/case/loop-a"),
            # Another host name (same loopback server): outside the crawl's sites.
            p("redirect_offsite"): lambda r: _redirect(301, f"{self.offsite_url}landing.html"),
            p("redirect_scheme"): lambda r: _redirect(302, "javascript:alert(1)"),
            p("redirect_ftp"): lambda r: _redirect(302, "ftp://127.0.0.1/file.html"),
            p("redirect_data"): lambda r: _redirect(302, "data:text/html,hi"),
        }

    def _brotli_case(self, req: _Request) -> _Reply:
        if not BROTLI_AVAILABLE:
            return _Response(501, _small_page("Not Implemented", "<p>No brotli module.</p>"))
        return _Response(200, self.brotli_bomb(), "text/html", [("Content-Encoding", "br")])

    def _status_429(self, req: _Request) -> _Reply:
        if self._hit("status_429") <= 2:
            return _Response(
                429, _small_page("Too Many Requests", "<p>Slow down.</p>"), headers=[("Retry-After", "2")]
            )
        return _Response(200, _en_article("status_429"))

    def _burst_5xx(self, req: _Request) -> _Reply:
        if self._hit("burst_5xx") <= 3:
            return _Response(503, _small_page("Service Unavailable", "<p>Try again later.</p>"))
        return _Response(200, _en_article("burst_5xx"))


def _quote_path(path: str) -> str:
    return quote(path, safe="/?&=%:;,+@!$'()*~")


def _not_found() -> _Response:
    return _Response(404, _small_page("Not Found", "<p>Nothing here.</p>"))


def _redirect(status: int, location: str) -> _Response:
    body = _small_page("Moved", f'<p><a href="{html.escape(location)}">Moved</a></p>')
    return _Response(status, body, headers=[("Location", location)])


def _cp1256_bytes() -> bytes:
    return _arabic_html(_AR_CP1256, meta_charset=None).encode("cp1256")


def _utf8_bom_bytes() -> bytes:
    return b"\xef\xbb\xbf" + _arabic_html(_AR_UTF8_BOM, meta_charset=None).encode("utf-8")


_NO_TEXT_PAGE = (
    b'<!DOCTYPE html>\n<html lang="en">\n<head><meta charset="utf-8"><title>Gallery</title>\n'
    b'<script>window.dataLayer = window.dataLayer || []; dataLayer.push({"page": "gallery"});</script>\n'
    b'<script src="/static/app.js" defer></script>\n</head>\n<body>\n'
    b'<header><nav><ul><li><a href="/">Home</a></li><li><a href="/ok/1.html">News</a></li>'
    b'<li><a href="/ok/2.html">Business</a></li><li><a href="/ok/6.html">Sport</a></li></ul></nav></header>\n'
    b'<main><div class="gallery"><img src="/static/photo.jpg" alt="" width="800" height="600"></div></main>\n'
    b'<footer><nav><a href="/about">About</a> | <a href="/contact">Contact</a></nav></footer>\n'
    b"<script>document.querySelector('.gallery').classList.add('ready');</script>\n</body>\n</html>\n"
)

_DEEP_OPEN = (
    b'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>Deep</title></head><body>\n'
)
_DEEP_TEXT = b"<p>At the very bottom of a hundred thousand boxes sits one short paragraph of text.</p>"
_DEEP_CLOSE = b"\n</body></html>\n"
_DEEP_NESTING_LENGTH = len(_DEEP_OPEN) + NESTING_DEPTH * 11 + len(_DEEP_TEXT) + len(_DEEP_CLOSE)


def _deep_nesting() -> Iterator[bytes]:
    step = 10_000
    yield _DEEP_OPEN
    for _ in range(NESTING_DEPTH // step):
        yield b"<div>" * step
    yield _DEEP_TEXT
    for _ in range(NESTING_DEPTH // step):
        yield b"</div>" * step
    yield _DEEP_CLOSE


def _oversize(conn: _Connection, req: _Request) -> None:
    headers = [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(OVERSIZE_LENGTH))]
    conn.send(_head(200, [*headers, ("Connection", "close")]))
    if req.method == "HEAD":
        return
    start = b'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>Oversize</title></head><body>\n<p>'
    filler = b"filler text that goes on and on " * 2048  # 64 KiB
    conn.send(start)
    remaining = OVERSIZE_LENGTH - len(start)
    while remaining > 0:
        piece = filler[:remaining]
        conn.send(piece)
        remaining -= len(piece)


def _truncated(conn: _Connection, req: _Request) -> None:
    title, author, paragraphs = _EN_ARTICLES["truncated"]
    page = _article_html(title, author, paragraphs).encode()
    page = page.replace(
        b"</article>", b"<!-- " + b"more text was meant to follow " * 700 + b"-->\n</article>"
    )
    assert len(page) > 20000
    headers = [
        ("Content-Type", "text/html; charset=utf-8"),
        ("Content-Length", "20000"),
        ("Connection", "close"),
    ]
    conn.send(_head(200, headers) + page[:5000])


def _gzip_truncated(conn: _Connection, req: _Request) -> None:
    title, author, paragraphs = _EN_ARTICLES["truncated"]
    page = _article_html(title, author, paragraphs).encode()
    page = page.replace(b"</article>", b"".join(b"<p>Paragraph %d of the report.</p>" % i for i in range(400)) + b"</article>")
    compressor = zlib.compressobj(6, zlib.DEFLATED, zlib.MAX_WBITS + 16)
    body = compressor.compress(page) + compressor.flush()
    headers = [
        ("Content-Type", "text/html; charset=utf-8"),
        ("Content-Encoding", "gzip"),
        ("Content-Length", str(len(body))),
        ("Connection", "close"),
    ]
    conn.send(_head(200, headers) + body[: len(body) // 2])


def _wrong_length(conn: _Connection, req: _Request) -> None:
    page = _en_article("wrong_length")
    if len(page) < 3000:
        page = page.replace(b"</body>", b"<!--" + b" " * (3000 - len(page) - 7) + b"-->" + b"</body>")
    headers = [
        ("Content-Type", "text/html; charset=utf-8"),
        ("Content-Length", "100"),
        ("Connection", "close"),
    ]
    conn.send(_head(200, headers) + page)


def _slow_drip(conn: _Connection, req: _Request) -> None:
    page = _en_article("slow_drip")
    headers = [
        ("Content-Type", "text/html; charset=utf-8"),
        ("Content-Length", "10000000"),
        ("Connection", "close"),
    ]
    conn.send(_head(200, headers))
    offset = 0
    while True:
        conn.send(page[offset : offset + 10] or b"          ")
        offset += 10
        if conn.site._stop.wait(1.0):
            return


def _hang(conn: _Connection, req: _Request) -> None:
    conn.wait_until_gone()
