"""The safety route: crisis detection, the safety responder, and the check every reply passes.

Crisis patterns are deliberately literal (first person, a concrete act) so that figures of speech
such as "this exam is killing me" or "I could die of embarrassment" do not fire.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path

from agents.catalogue import KNOWLEDGE_DIR
from vocabulary.text import normalise_text

_PARTNER = (
    r"(?:he|she|they|my (?:husband|wife|partner|boyfriend|girlfriend|dad|father|mom|mum|mother|"
    r"stepdad|stepfather|stepmom|stepmother|ex|brother|sister|uncle|aunt|grandpa|grandfather|cousin|coach))"
)
# Someone the person could harm: a pronoun or a person they name ("my stepdad", "that guy"), but not
# "shoot him a text", "hit him with the truth" or "hurt his feelings".
_PERSON = (
    r"(?:him|her|them|someone|somebody|people|everyone|everybody|(?:my|his|her|their|that|this|the) (?:\w+'s )?(?:new )?"
    r"(?:brother|sister|mom|mother|dad|father|step\w+|wife|husband|boyfriend|girlfriend|partner|son|daughter|"
    r"kids?|child|children|baby|boss|co-?worker|neighbou?r|friend|roommate|ex|teacher|cousin|family|dog|cat|guy|"
    r"man|woman|person|idiot|jerk))"
)
SOMEONE = _PERSON + r"\b(?!'s|\s+(?:feelings|a|an|with)\b)"
# The person's own intent, not someone else's ("Someone threatened to shoot up our school"), in the
# ways it is typed ("im gonna", "imma", "going 2", a sentence with no "I": "gonna shoot up the school").
_INTENT = (
    r"(?:going (?:to|2|too)|goin'? to|gonna|gunna|finna|want(?:ed)? to|wanna|about to|ready to|"
    r"planning(?: on| how)?(?: to)?|plan(?:ned)?(?: on| how)? to|thinking (?:about|of)|bringing|taking)"
)
_I_INTEND = (
    r"(?:\bi(?:'m|m| am|'ve| have|'ll|ll| will)? (?:[\w']+ ){0,3}?" + _INTENT
    + r"|\bi(?:'ll|ll| will)|\bi'?m+a|(?:^|[.!?,;]\s*)" + _INTENT + r")\s+"
)
_HARM = r"(?:kill(?:ing)?|shoot(?:ing)?|stab(?:bing)?|murder(?:ing)?|hurt(?:ing)?|attack(?:ing)?)"
_FIREARM = (  # a kitchen knife goes to a cooking class
    r"(?:guns?|rifles?|pistols?|shotguns?|handguns?|revolvers?|firearms?|glocks?|ar-?15s?|ak(?:-?47)?s?|weapons?)"
)
_WEAPON = r"(?:" + _FIREARM[3:-1] + r"|knife|knives|machetes?|blades?)"
_OWNER = r"(?:(?:a|an|my|his|her|the|their|our) )?(?:\w+'?s )?"  # "my dad's", "my dads"
_PLACE = (
    r"(?:(?:high|middle|elementary|primary|secondary|old|new|whole|entire|\w+'s|fucking|damn|stupid) ){0,2}"
    r"(?:school|highschool|class|classroom|college|uni|university|campus|office|work|job|workplace|church|mosque|"
    r"synagogue|temple|mall|store|party|building|plant|factory|hospital|concert|stadium|club|bar|restaurant|"
    r"theat(?:er|re)|cinema|parade|daycare|gym|library|festival|graduation|prom|courthouse|station|airport)"
)
_MANY = (
    r"(?:every(?:one|body)|all(?: of)? (?:them|the \w+)|(?:the )?(?:people|kids|students|teachers|staff|coworkers)|"
    r"as many (?:people )?as i can)"
)
# Getting or having a gun, not a licence, a range or a show: "I've been looking at how to get a gun".
_GUN_AT_HAND = (
    r"\bi(?:'ve|'m|m| am| have)? ?(?:just |been |already |going to |gonna )?(?:bought|buy|buying|got|get|getting|have|"
    r"own|found|grabbed|grab|hid|loaded|load|looking (?:at|into) (?:how to )?(?:get|buy)(?:ing)?) (?:a|an|my|the|his|her|"
    r"\w+'s) (?:\w+ )?" + _FIREARM + r"\b(?! (?:licen[cs]e|range|safety|course|show|game))"
)
_IN_MIND = r"(?:" + _I_INTEND + r"|\b(?:thoughts?|urges?|images?) (?:of|about|to) )"
# A gun taken in to be sold or mended, or a photographer's "shoot", is not a threat.
_NOT_AN_ERRAND = (
    r"(?! to (?:sell|get|have|trade|pawn|fix|clean|be (?:fixed|cleaned|serviced))\b|"
    r" for (?:repairs?|cleaning|service|protection|self[- ]defen[cs]e)\b)"
)
_NOT_A_PHOTO = (
    r"(?![^.!?]{0,30}\b(?:photo\w*|pics?|pictures?|headshots?|portraits?|portfolio|camera|christmas cards?|"
    r"engagement|photoshoot)\b)"
)
_NOT_FLAIR = (  # "I'm gonna kill everyone at the party with this outfit"
    r"(?! with (?:this|my|these|our|her|his) (?:outfit|look|dress|dance|moves|voice|jokes?|cooking|cookies|cake|"
    r"food|playlist|music|set|style)\b)"
)
# People a vehicle could be driven at: a crowd or many, not "run over my lines", "run over to the store"
# or "the kids schedule" (a noun after them is what they own).
_CROWD = (
    r"(?:(?:the |a |that |this )?(?:\w+ )?(?:crowds|crowd|mob)\b"
    r"(?! downtown| of (?!people|ppl|kids|children|students|protest|pedestrians|fans|shoppers))|"
    r"(?:a |the |that )?(?:bunch|group|line|lot) of (?:\w+ )?(?:people|ppl|kids|students|protest[eo]rs|pedestrians)|"
    r"(?:(?:the |those |these |all (?:the |those )?)?(?:people|ppl|pedestrians|protest[eo]rs|marchers|students|kids|"
    r"children|shoppers|fans)|every(?:one|body))(?=\s*(?:[.,!?;]|$)|\s+(?:at|in|on|outside|near|by|with|who|that|and|"
    r"tomorrow|tonight|today|walking|crossing|waiting|standing|marching|over|down|when|as|after|before|leaving|"
    r"coming|getting|i|im|i'm|so|just|like|lol|because|cause|cuz|if|until|while|this|next)\b)|"
    r"as many (?:people |ppl )?as (?:i can|we can|possible)|them all|all of them)"
)
_VEHICLE = r"(?:car|truck|van|minivan|suv|vehicle|bus|jeep|pickup|rig|semi|cruiser|lorry|tractor)"
_CROWDED = r"(?:the |a |this )?(?:\w+ )?(?:parade|protest|march|rally|festival|market)(?! grounds| campsite| booth)"
# Not a sport, a meeting or a game: "run over everyone on the field", "... in this meeting with my slides".
_NOT_A_CONTEST = (
    r"(?! (?:in|on|at) (?:the |this |my |our |a )?(?:meeting|field|tournament|game|match|court|debate|league|"
    r"bracket|class|exam|test|presentation|interview|race|track)\b| with my (?:slides|arguments|presentation|team))"
)
_AT_THE_WHEEL = re.compile(r"\b(?:(?:run|mow)\w* (?:over|down)|drive|driving|ram|plow|crash|swerv|speed)\w*", re.IGNORECASE)
_FEARED = re.compile(r"\b(?:scared|afraid|worried|terrified|nervous)\b", re.IGNORECASE)
# A gun carried for the job ("I'm a cop so I'm bringing my gun to work"), with no harm named anywhere in
# the message, is no threat.
_ARMED_JOB = re.compile(
    r"\b(?:i(?:'m|m| am) (?:a |an )?|as (?:a |an )|i work as (?:a |an )?)(?:police officer|officer|cop(?!'s)|deputy|"
    r"sheriff|(?:state )?trooper|security (?:guard|officer)|armed guard|bodyguard|correctional officer|corrections officer|"
    r"prison guard|game warden|park ranger|federal agent|soldier|marine(?! bio))\b",
    re.IGNORECASE,
)
_TO_WORK = re.compile(
    r"\b(?:to|into|in)(?: my| the)? (?:work|job|office|station|precinct|shift|base|courthouse|court|jail|prison)\b",
    re.IGNORECASE,
)
_HARM_NAMED = re.compile(  # any harm at all: _HARM's and what a bomb, a fire, poison or a vehicle does
    r"\b(?:" + _HARM + r"|bomb|blow (?:it |them )?up|burn|fire(?!arm)|poison|drown|run (?:\w+ )?over|ram|threat)",
    re.IGNORECASE,
)
# An accident or a game is not self-harm or abuse: "I cut myself shaving", "he beat me at chess".
_ACCIDENT = r"(?! (?:shaving|cooking|on (?:the|a|my|this)|at (?:the|work|chess|cards|tennis)|playing|by accident|accidentally))"
_CRISIS_PATTERNS: dict[str, list[str]] = {
    "suicide": [
        r"\b(?:kill|killing|hang|hanging|shoot|shooting) my ?self\b",
        r"\bsuicid(?:e|al)\b(?! squad)",
        r"\b(?:end|ending|take|taking) (?:my (?:own )?life|it all)\b",
        r"\b(?:going|want|wanna|planning|plan) to end it (?:tonight|today|now|soon)\b",
        r"\b(?:don'?t|do not|no longer) want to (?:live|be alive|exist|be here anymore|wake up)\b",
        r"\b(?:want|wanna|wish|going|planning|plan)(?: to)? die\b(?! (?:of|from|laughing))",
        r"\b(?:wish|want) (?:i was|i were|to be) dead\b",
        r"\b(?:rather|better off) (?:be )?dead\b",
        r"\bno (?:reason|point) (?:to|in) (?:live|living|go on|going on|being alive)\b",
        r"\b(?:everyone|they|world|family|nobody|no one) (?:would be|is|are|would) (?:better off|care) (?:without me|if i (?:was|were) gone|if i died)\b",
        r"\bjump(?:ing)? off (?:a|the) (?:bridge|roof|building|cliff)\b",
        r"\bcan'?t (?:go on|do this) any ?more\b.{0,200}?\b(?:die|dead|end)\b",
        # Harm to someone else with themselves beside it: "I want to kill him and then myself".
        r"\b(?:kill|killing|hurt|hurting|shoot|shooting|harm|harming)\b[^.!?]{0,40}\b(?:and|then|or|maybe|even|"
        r"including|plus)\s+(?:then\s+|also\s+)?my ?self\b",
    ],
    "self_harm": [
        r"\b(?:cut|cutting|burn|burning|hurt|hurting|harm|harming|starve|starving) my ?self\b" + _ACCIDENT,
        r"\b(?:cut|cutting|slit|slitting|slash|slashing) (?:my )?wrists?\b",
        r"\b(?:been|started|start) cutting again\b",
        r"\bself[- ]?harm",
        r"\boverdos(?:e|ed|ing)\b(?! on (?:coffee|caffeine|sugar|chocolate|netflix|tv))",
        r"\b(?:took|take|taking|swallowed) (?:a (?:whole )?(?:bottle|handful|bunch) of|all (?:my|the)|too many) (?:pills|tablets|meds)\b",
    ],
    "abuse": [
        # Not "like my dad hit me": a fear of repeating it, which the companion meets (reply_guards.feared_harm).
        r"(?:(?<!\blike )(?<!\bthe way )|(?<=\bfeel like )|(?<=\bfelt like )|(?<=\bseems like )|(?<=\bsounds like ))\b"
        + _PARTNER + r"(?: keeps| was| is|'s| has been| kept| always)? "
        r"(?:hits|hit|hitting|beats|beat|beating|chokes|choked|choking|strangled|kicks|kicked|kicking|punches|punched|"
        r"punching|slaps|slapped|slapping|hurts|hurting|burned|pushed|shoved|touches|touched|touching) me\b"
        r"(?! (?:up\b|at (?:chess|cards|tennis|golf|poker|pool|games?|video games|\w+ball)\b|in (?:a|the) (?:game|race|match)\b|"
        r"on (?:instagram|facebook|snapchat|whatsapp|the phone)))",
        r"\b(?:threatens|threatened|threatening) to kill me\b",
        r"\b(?:afraid|scared|terrified) (?:he|she|they)(?:'ll| will| might| is going to| are going to) (?:hurt|beat) me\b",
        r"\b(?:not|don'?t feel) safe (?:at home|in my (?:own )?home|with (?:him|her|them|my))\b",
        r"\b(?:abusing|abuses|abused|molesting|molested|raped) me\b",
    ],
    # Harm to others with a plan, a weapon or many people in it; anger said in words alone ("I'm
    # going to kill him") is met by the companion's own care (agents.reply_guards.wants_to_harm).
    "harm_to_others": [
        _I_INTEND + r"(?:\w+ ){0,2}?(?:shoot(?:ing)? up|shot up|bomb(?:ing)?|blow(?:ing)? up|burn(?:ing)? down|"
        r"set(?:ting)? fire to|torch(?:ing)?) (?:up )?(?:my|the|a|this|our|that|their) " + _PLACE + r"\b",
        _I_INTEND + r"(?:\w+ ){0,2}?shoot(?:ing)? (?:my|the|this|our|that) " + _PLACE + r" up\b",
        _I_INTEND + r"(?:\w+ ){0,2}?set(?:ting)? (?:my|his|her|the|their|\w+'s)(?: \w+'s)? "
        r"(?:house|home|car|apartment|place) on fire\b",
        _I_INTEND + r"(?:\w+ ){0,2}?(?:be|become|pull(?:ing)?|do(?:ing)?|commit(?:ting)?|carry(?:ing)? out|plan(?:ning)?) "
        r"(?:a|another|the next|my own) (?:school shooting|mass shooting|school shooter|mass shooter|columbine)\b",
        r"\bi(?:'m|m| am)? (?:planning|plotting) (?:a|another) (?:school|mass) shooting\b",
        # A gun taken to a place; a knife to school or work, but not to a cooking class.
        _I_INTEND + r"(?:(?:bring|take|get|grab|use|sneak|carry|pack|hide)\w* )?" + _OWNER + _FIREARM
        + r" (?:to|into|in)(?: my| the)? " + _PLACE + r"\b" + _NOT_AN_ERRAND,
        _I_INTEND + r"(?:(?:bring|take|sneak|carry|pack|hide)\w* )?" + _OWNER + r"(?:knife|knives|machetes?|blades?) "
        r"(?:to|into|in)(?: my| the)? (?:(?:high|middle|\w+'s) )?(?:school|campus|work|office|party)\b"
        r"(?! (?:to|for) (?:cut|slice|peel|spread|lunch|my lunch|carving)\b)",
        # Harm with a weapon ("with a kitchen knife", "using my dad's gun"), not "he took my knife".
        _I_INTEND + _HARM + " " + _PERSON + r"\b(?!'s|\s+(?:a|an|some)\b)(?: [\w']+){0,4}? (?:with|using) " + _OWNER
        + r"(?:[\w-]+ )?" + _WEAPON + r"\b",
        _I_INTEND + r"(?:get|grab|use|take) " + _OWNER + _WEAPON + r" and (?:kill|shoot|stab|hurt|attack) " + SOMEONE,
        # A weapon they have and mean to use, across a sentence's end ("I have a knife. I'm going to use
        # it on him."), or named after the intent ("I'm going to kill my stepdad. I've got the knife ready.").
        r"\bi(?:'ve|ve| have)? (?:just )?(?:got|have|bought|stole|took|found|grabbed|have got) " + _OWNER
        + r"(?:[\w-]+ )?" + _WEAPON + r"\b[^!?]{0,60}?\b(?:use it|use them|shoot|kill|stab|hurt|murder)\w* (?:it )?(?:on )?"
        + _PERSON + r"\b(?!'s|\s+(?:a|an|some|feelings)\b)",
        _I_INTEND + _HARM + " " + SOMEONE + r"[^!?]{0,60}?\bi(?:'ve|ve| have)? (?:already )?(?:got|have|bought|have got) "
        + _OWNER + r"(?:[\w-]+ )?" + _WEAPON + r"\b",
        # Intent and a gun at hand, in either order and across sentences ("I keep thinking about killing him.
        # I'm going to get my gun.").
        _IN_MIND + _HARM + " " + SOMEONE + r"[^!?]{0,120}?" + _GUN_AT_HAND,
        _GUN_AT_HAND + r"[^!?]{0,120}?" + _IN_MIND + _HARM + " " + SOMEONE,
        # Voices or a command heard ("God told me I have to kill my baby"): never anyone's guess at what it is.
        r"\b(?:voices?|god|the devil|satan|angels?|demons?|something) (?:\w+ ){0,2}?(?:tells?|telling|told|commands?|"
        r"commanding|orders?|ordering|wants?) me (?:to|(?:that )?i (?:have|need|must|should)(?: to)?) (?:\w+ ){0,2}?"
        r"(?:kill|hurt|harm|drown|stab|shoot|smother|suffocate|poison|burn)\w* " + _PERSON + r"\b",
        r"\bi(?:'ve|ve| have|'m|m| am)? (?:been |got |have |made |came up with |worked out )?(?:a )?"
        r"(?:planning|plotting|plan(?:ned)?(?: out)?)(?: on| how| exactly how| a way)?(?: to)?(?: [\w']+){0,3}? "
        r"(?:kill|murder|shoot|stab|poison)(?:ing)? " + SOMEONE + _NOT_A_PHOTO,
        _I_INTEND + r"(?:shoot|stab|kill)(?:ing)? " + _MANY + r" (?:at|in) (?:my |the )?" + _PLACE + r"\b" + _NOT_A_PHOTO
        + _NOT_FLAIR,
        _I_INTEND + r"(?:go|come|walk|show up)\w*(?: in)? (?:in)?to (?:my |the )?" + _PLACE
        + r"[^.!?]{0,30}\b(?:and |to )(?:shoot|stab|kill)\w* (?:every(?:one|body)|people|them all|all of them)",
        # A vehicle driven at people: "run people over with my car at the parade", "drive my truck into
        # the crowd", "ram the crowd", "hit as many people as I can with my car".
        _I_INTEND + r"(?:[\w']+ ){0,5}?(?:run|mow)(?:ning|ing)? (?:(?:over|down) " + _CROWD + r"|" + _CROWD
        + r" (?:over|down))" + _NOT_A_CONTEST,
        _I_INTEND + r"(?:[\w']+ ){0,5}?(?:drive|driving)(?: (?:it|(?:my|a|the|his|her|our|\w+'s) (?:\w+ ){0,2}?"
        + _VEHICLE + r"))?(?: straight| right)? (?:into (?:" + _CROWDED + r"|a crowded)|(?:into|through|thru) "
        + _CROWD + r")",
        _I_INTEND + r"(?:[\w']+ ){0,5}?(?:ram|ramming|plow|plowing|plough|ploughing|slam|slamming|smash|smashing|swerve|"
        r"swerving|veer|veering|barrel|barreling|crash|crashing|speed|speeding|steer|steering|floor(?:ing)? it)"
        r"(?: (?:it|(?:my|a|the|his|her|our|\w+'s) (?:\w+ ){0,2}?" + _VEHICLE + r"))?(?: straight| right| full speed)? "
        r"(?:(?:into|through|thru|at) )?(?:"
        + _CROWD + r"|" + _CROWDED + r")",
        _I_INTEND + r"(?:[\w']+ ){0,3}?(?:hit|kill|run over) as many (?:people |ppl )?as (?:i can|we can|possible)",
        _I_INTEND + r"(?:[\w']+ ){0,3}?(?:use|take) (?:my|a|the|his|her|our|\w+'s) (?:\w+ )?" + _VEHICLE
        + r" to (?:run over|hit|kill|mow down) " + _CROWD,
    ],
}
_COMPILED = {kind: [re.compile(p, re.IGNORECASE) for p in pats] for kind, pats in _CRISIS_PATTERNS.items()}
# Only a negation right before the act counts: "I would never hurt myself" is reassurance, but
# "I'm not okay and want to die" is not.
_NEGATED = re.compile(
    r"\b(?:never|wouldn'?t|won'?t|would never|will never|not going to|don'?t want to|do not want to)\s+$",
    re.IGNORECASE,
)

# A negation inside what someone says they will or want to do, apostrophe or not ("i dont want to..."),
# but not "can't stop thinking about it", which is no reassurance.
NEGATION = re.compile(
    r"\b(?:not|never|(?:do|does|did|wo|would|could|should|is|are|was|were|ai|ca)n'?t|\w+n't)\b(?! (?:stop|help)\b)",
    re.IGNORECASE,
)
# Around it: a game or a toy ("with a nerf gun", "in Fortnite"), or someone else's words reported ("My
# coworker said 'I'm going to...'", "the villain says..."), though not the person's own ("I said...").
PLAY = re.compile(
    r"\b(?:nerf|water ?guns?|squirt|paintball|airsoft|laser ?tag|bb guns?|toy|fortnite|warzone|call of duty|cod|gta|"
    r"minecraft|roblox|valorant|pubg|halo|overwatch|mario ?kart|cyberpunk|rocket league|forza|need for speed|"
    r"carmageddon|video ?games?|in (?:the|this|a) game|lobby)\b",
    re.IGNORECASE,
)
_REPORTED = re.compile(
    r"(?:(?<!\bi )\b(?:says?|said|saying|texted(?: me)?|messaged|told (?:me|us|everyone)|wrote|writes|yell(?:s|ed)|"
    r"scream(?:s|ed)|posted|joking|jokes|joked|quoting|character|villain)\b[^.!?]{0,25}|[\"\u201c]|(?:^|\s)')\s*$",
    re.IGNORECASE,
)


def _not_a_threat(text: str, match: re.Match[str]) -> bool:
    """Whether a match of harm to others is negated, play, someone else's words, or a weapon carried
    for the job."""
    said = match.group(0)
    # A match across clauses is read at its ends, the intent and the weapon, not "I can't take it" between.
    clauses = re.split(r"[,.;]", said)
    if NEGATION.search(said if len(clauses) == 1 else f"{clauses[0]} {clauses[-1]}"):
        return True
    if _TO_WORK.search(said) and _armed_for_work(text):
        return True
    sentence = max(text.rfind(c, 0, match.start()) for c in ".!?") + 1
    if _AT_THE_WHEEL.search(said) and _FEARED.search(text[sentence : match.end()]):
        return True  # a fear of an accident ("I'm so scared I'm going to run over the kids backing out")
    after = re.split(r"[.!?]", text[match.end() : match.end() + 40])[0]
    return bool(PLAY.search(text[sentence : match.end()] + after)
                or _REPORTED.search(text[max(sentence, match.start() - 60) : match.start()]))  # fmt: skip


@functools.lru_cache(maxsize=64)
def _armed_for_work(text: str) -> bool:
    """Whether the person says they carry a weapon for their job and names no harm at all; read once
    a message, however many times a pattern matches in it."""
    return bool(_ARMED_JOB.search(text)) and not _HARM_NAMED.search(text)


@dataclass(frozen=True)
class CrisisSignal:
    kind: str  # "suicide" | "self_harm" | "abuse" | "harm_to_others"
    evidence: str  # the words that triggered it


# The scene families a crisis is read in: the scene agent chooses only among their scenes.
CRISIS_FAMILIES = {"suicide": "crisis intervention", "self_harm": "crisis intervention",
                   "abuse": "domestic violence support", "harm_to_others": "crisis intervention"}  # fmt: skip


# Characters no reader sees that can sit inside a word (zero-width spaces and joiners, the word
# joiner, a byte-order mark, a soft hyphen, direction marks): "my\u200bself" must read as "myself".
_INVISIBLE = re.compile("[\u00ad\u200b-\u200f\u2060\ufeff]")
_APOSTROPHES = re.compile("[\u2018\u2019\u02bc`\u00b4]")  # as phones and keyboards type them


def plain(text: str) -> str:
    """Text as the patterns read it: no invisible characters, one kind of apostrophe, single spaces."""
    return re.sub(r"\s+", " ", _INVISIBLE.sub("", _APOSTROPHES.sub("'", text)))


def detect_crisis(text: str) -> CrisisSignal | None:
    """A crisis signal in the user's words, or None."""
    normalised = plain(text)
    for kind, patterns in _COMPILED.items():
        for pattern in patterns:
            for match in pattern.finditer(normalised):
                # "I would never hurt myself" is reassurance, not a signal.
                if kind != "abuse" and _NEGATED.search(normalised[: match.start()][-40:]):
                    continue
                if kind == "harm_to_others" and _not_a_threat(normalised, match):
                    continue
                return CrisisSignal(kind, match.group(0))
    return None


def screen_turn(text: str, transcript: str | None = None) -> CrisisSignal | None:
    """The crisis check of a turn, wherever a turn is answered (the graph, the benchmarks): the whole
    typed message, not only the part the agents read (a long one is cut for them), and what was said
    in a recording."""
    return detect_crisis(" ".join(p for p in (normalise_text(text), transcript) if p))


def crisis_resources(path: Path | None = None) -> dict:
    """Help resources, from EMPATHYEAR_CRISIS_RESOURCES when set (same JSON shape). Read each time
    they are shown, never kept: an operator's corrected list is the one the next person sees."""
    resources = json.loads((path or KNOWLEDGE_DIR / "crisis_resources.json").read_text("utf-8"))
    if not isinstance(resources.get("intro"), str) or not resources.get("resources"):
        raise ValueError("crisis resources need an 'intro' and a non-empty 'resources' list")
    for entry in resources["resources"]:
        if not all(isinstance(entry.get(k), str) for k in ("name", "contact", "region")):
            raise ValueError("each crisis resource needs a name, contact and region")
    return resources


_OPENINGS = {
    "suicide": "I'm really glad you told me, and I'm so sorry you're carrying this much pain. "
    "What you're feeling matters, and you don't have to face it alone.",
    "self_harm": "Thank you for trusting me with this. It sounds like you're in a lot of pain right "
    "now, and you deserve care and support, not judgement.",
    "abuse": "I'm so sorry this is happening to you. It is not your fault, and your safety matters "
    "most right now.",
    "harm_to_others": "Thank you for telling me; that took courage. Thoughts like these can be frightening, "
    "and you deserve real help with them right now. If you feel you might act on them, please put some "
    "distance between you and anyone you might hurt, and ask someone to keep anything you could hurt them "
    "with, or lock it away. If you're caring for a baby or a child, put them somewhere safe, like their cot, "
    "before you step away.",
}


_CLOSING = "Is there someone you trust who could be with you right now?"
# Not "someone who could be with you", which could bring the very person they might hurt.
_CLOSINGS = {
    "harm_to_others": "Is there someone you trust you could call right now, away from anyone you're afraid of hurting?"
}


def safety_reply(signal: CrisisSignal, resources: dict) -> str:
    """A caring reply that points to real help."""
    lines = [
        _OPENINGS[signal.kind],
        resources["intro"],
        *[f"- {r['name']} ({r['region']}): {r['contact']}" for r in resources["resources"]],
        "I'm an AI companion, not a substitute for a professional or emergency help, but I'm here "
        f"to listen. {_CLOSINGS.get(signal.kind, _CLOSING)}",
    ]
    return "\n".join(lines)


@functools.lru_cache(maxsize=1)
def _unkind_patterns() -> list[re.Pattern[str]]:
    table = json.loads((KNOWLEDGE_DIR / "unkind_replies.json").read_text("utf-8"))
    return [re.compile(r"\b" + p + r"\b", re.IGNORECASE) for p in table["patterns"]]


def unkind_phrases(reply: str) -> list[str]:
    """Phrases that make a reply unkind, blaming, mocking or harmful; empty when it is safe."""
    return [m.group(0) for p in _unkind_patterns() for m in [p.search(reply)] if m]


def is_safe_reply(reply: object) -> bool:
    return isinstance(reply, str) and bool(reply.strip()) and not unkind_phrases(reply)
