"""Guards every generated reply passes, whatever model wrote it: a clean spoken form (no role
prefixes, quotes, markdown, lists, emoji or code; one to three whole sentences), then the checks
that reject it (unsafe, a promise about health or outcomes, another language, the wrong tone for
the feeling, someone else's specifics brought in)."""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence

from agents.emotion_lexicon import named_feelings
from agents.safety import SOMEONE as _SOMEONE
from agents.safety import NEGATION, PLAY, is_safe_reply, plain
from agents.wording import content_words, looks_english, numbers, sentences, words
from vocabulary.emotions import UPBEAT_FAMILIES, family_of

MAX_SENTENCES = 3
MIN_WORDS = 3
_ROLE = re.compile(r"^\s*(?:them|they|you|me|assistant|listener|speaker|friend|user|bot|ai)\s*:\s*", re.IGNORECASE)
_MARKUP = re.compile(r"[*_#`~<>\[\]{}|\\]|^\s*(?:[-•]|\d+[.)])\s+", re.MULTILINE)
_QUOTES = re.compile(r"[\"“”]")
_EMOJI = re.compile("[\U0001f000-\U0001faff\u2600-\u27bf\ufe0f\u200d]")
_SPACE = re.compile(r"\s+")
# Promises no one can keep: a recovery, an outcome, a certainty about the future.
_PROMISE = re.compile(
    r"\b(?:(?:it|everything|things|that|she|he|they|you)(?:'ll| will| is going to| are going to|'s going to|'re going to) "
    r"(?:definitely |surely |certainly |totally )?(?:be (?:fine|okay|ok|alright|all right|better|cured|healthy)|"
    r"get better|recover|pull through|make it|work out|heal)|i promise|guarantee|for sure (?:be|get)|"
    r"will definitely|no doubt (?:you|she|he|they|it) will)\b",
    re.IGNORECASE,
)
# The outcome someone is asking about, spoken of as settled ("I'm glad she's okay" to "My mom has a
# biopsy tomorrow. Will she be okay?"), or guessed at ("she's probably doing okay"): a promise in
# other words, and a guess no one can make.
_SETTLED = re.compile(
    r"\b(?:she|he|they|you|it|everything)(?:'s| is| are|'re) (?:probably |likely |most likely |surely )?"
    r"(?:doing )?(?:okay|ok|fine|alright|all right|safe|healthy|better|well)\b",
    re.IGNORECASE,
)
_CHEER = re.compile(
    r"\b(?:congrat\w*|awesome|amazing|fantastic|wonderful|great news|that'?s great|so cool|that'?s cool|"
    r"how exciting|exciting|thrilling|brilliant|delight\w*|lovely|celebrat\w*|yay|lucky you|good for you|"
    r"happy for you|glad to hear|that'?s good|nice|fun|sweet|delicious|cool|(?:good|great|positive) sign)\b",
    re.IGNORECASE,
)
# What a friend never says to someone who is hurting or lashing out.
_HOSTILE = re.compile(
    r"\b(?:what'?s wrong with you|what is wrong with you|are you serious|shut up|"
    r"i don'?t care|who cares|get over it|your own fault|you deserve|you should(?:n'?t)? have|"
    r"you should be (?:better|ashamed)|that (?:wasn'?t|was not) (?:very )?smart|"
    r"(?:you are|you'?re|are you|you'?re being) (?:so |really |just )?(?:annoying|stupid|dumb|lazy|useless|pathetic|rude|"
    r"selfish|weird|boring|crazy|ridiculous|dramatic)|"
    # The person's worth put in question, or their words called excuses.
    r"are you (?:really |even |truly )?worth|(?:bunch of|just making|making) excuses|what did you do wrong|"
    # What they did called a mistake ("Oh no, that's a huge mistake!" to forgetting a speech).
    r"(?:that'?s|that (?:is|was)|it'?s|it (?:is|was)|sounds like|can be) "
    r"(?:such |a |an |so |really |very |pretty )*(?:big|huge|serious|terrible|bad|real|major|costly) mistake)\b",
    re.IGNORECASE,
)
_MOURN = re.compile(
    r"\b(?:sorry|terrible|awful|horrible|sad to hear|that sucks|how sad|condolences|tragic|devastating|"
    r"that'?s rough|too bad|oh no)\b",
    re.IGNORECASE,
)
# Disgust is no reply to good news either: "That's so gross!" to a new pizza place found, read as
# disgust by the emotion agent and as good news by the message's own tone.
_RECOILS = re.compile(r"\b(?:gross|disgusting|revolting|yuck|ew+)\b", re.IGNORECASE)


# A worry voiced: whatever the emotion read, it is not cheered ("hopeful" is read from "My mom has a
# biopsy tomorrow. Do you think she will be okay?").
WORRY = re.compile(r"\b(?:be|is|are|was) (?:okay|ok|alright|all right|fine)\?|\bworried\b", re.IGNORECASE)
# A question about how something will turn out ("Do you think she will be okay?", "Will I pass?"):
# no one can answer it truly with yes, and a reply that skips it leaves the person alone with it.
OUTCOME_QUESTION = re.compile(
    r"\b(?:will|would|is|are|am|going to|gonna)\b[^.?!]{0,40}\b(?:be (?:okay|ok|alright|all right|fine)|make it|"
    r"pull through|recover|get better|survive|pass|get (?:it|the job|in))\b[^.?!]{0,30}\?",
    re.IGNORECASE,
)
# A message that laughs at itself is shared, not mourned: "Oh no!" misses the joke.
LAUGHS = re.compile(r"\b(?:ha(?:ha)+|hehe\w*|lol|lmao|rofl)\b|\bha!|[\U0001f602\U0001f923]", re.IGNORECASE)
# The person putting themselves down ("im fat, ugly and broke lol at least im consistent right", "my
# doctor said i'm officially obese. guess i finally won something"): a joke made at their own expense
# is not one to laugh along with or cheer ("Ha, that's a great way to look at it.").
SELF_PUT_DOWN = re.compile(
    r"\bi(?:'?m| am)"
    r"(?: so| such| just| really| officially| literally| basically| kinda| kind of| still| a| an)* "
    r"(?:fat|obese|ugly|stupid|dumb|idiot|loser|pathetic|worthless|useless|failure|mess|disgusting|hideous|gross|"
    r"broke|joke|disappointment|burden|unlovable)\b|"
    r"\bi feel (?:so |really |just )?(?:fat|ugly|disgusting|stupid|worthless|pathetic|gross|hideous)\b",
    re.IGNORECASE,
)
_PLAYS_ALONG = re.compile(
    r"\b(?:great|good|positive|healthy|fun|funny|best) (?:way|attitude|outlook|spirit|strength|kind)\b|"
    r"\bgood to (?:feel|be|see|hear)\b|\bthe best\b|\b(?:great|good|nice) that\b|\bon the right track\b",
    re.IGNORECASE,
)
# A reply that opens laughing ("Ha, that's so frustrating!") where the person did not: read as making
# light of them; the readers rated 306 such candidates 2.06 on average, against 2.58 for all.
_LAUGHS_FIRST = re.compile(r"^(?:ha|hah|ha(?:ha)+|hehe\w*|lol)\b", re.IGNORECASE)
# "That's a great question." said instead of an answer to what the person asked.
_RATES_THE_QUESTION = re.compile(
    r"\b(?:great|good|interesting|fair|tough|hard|big|common|thoughtful|excellent) question\b", re.IGNORECASE
)
LOSS = re.compile(r"\b(?:died|dead|death|passed away|funeral|lost my|killed|hurt|injur\w*|broke my)\b", re.IGNORECASE)

# Death brought into a conversation that never spoke of one ("Oh no! Did she die?" to a mother who
# is ill): read in held-out replies of the small listener, and the worst thing a friend could ask.
_DEATH = re.compile(r"\b(?:die|died|dies|dying|dead|death|pass(?:ed)? away|funeral|killed)\b", re.IGNORECASE)
# How someone died, asked of the person grieving them ("What happened to her?" to a mother's death,
# "Did she die of a heart attack?"): read in held-out replies, and never what a friend asks first.
_HOW_DIED = re.compile(
    r"\b(?:what happened to (?:her|him|them)|how did (?:she|he|they|it) (?:die|pass)|"
    r"did (?:she|he|they|it) die (?:of|from)|what did (?:she|he|they|it) die (?:of|from)|was it sudden)\b",
    re.IGNORECASE,
)
# The one who died asked after as if alive ("Has he been able to get well?" to "My dog died
# yesterday", "How old is he now?" to "My dog died this morning. He was fourteen"): the small
# listener's misreading of a loss, and the cruellest kind; so is asking, in the present, what they
# love ("What's Leo's favorite thing to do?" to a cat put to sleep, in a held-out conversation).
_AS_IF_ALIVE = re.compile(
    r"\b(?:(?:has|is|did|will|was) (?:he|she) (?:been able to |going to )?(?:get|getting|gotten|recover\w*|"
    r"feel|feeling|doing) (?:well|better|ok|okay)|is (?:he|she) (?:ok|okay|alright|all right|"
    r"doing (?:ok|okay|well|better)|getting better|recovering)|how is (?:he|she) (?:doing|now|feeling)|"
    r"how old is (?:he|she)|what(?:'s| is) (?:he|she) like|"
    r"what(?:'s| is) (?:his|her|(?:your |their )?\w+'s) favou?rite|"
    r"what does (?:he|she) (?:like|love|enjoy))\b",
    re.IGNORECASE,
)
# A death told in so many words: not "dying", "cancer" or "hospice", said of someone still alive.
_DIED = re.compile(r"\b(?:died|dead|passed away|death|was killed|funeral|put (?:down|to sleep))\b", re.IGNORECASE)
# What someone did to be locked up, asked of the one who told of it ("What did he do?" to a brother
# home from prison): read blind as tactless, and never what a friend asks first.
_LOCKED_UP = re.compile(
    r"\b(?:prison|jail|locked up|incarcerat\w*|arrest\w*|convicted|sentenced|parole|probation|behind bars)\b",
    re.IGNORECASE,
)
_WHAT_THEY_DID = re.compile(
    r"\b(?:what did (?:he|she|they|you) do|what (?:was|were) (?:he|she|they|you) in for|"
    r"why (?:was|were) (?:he|she|they|you) (?:in|sent|locked|arrested)|"
    r"why did (?:he|she|they|you) (?:go to|get|end up))\b",
    re.IGNORECASE,
)
# How people speak of a death without those words ("my grandma passed", "we lost him", "put to sleep").
_SPOKEN_LOSS = re.compile(
    r"\b(?:passed|passing|lost (?:her|him|them|my|our)|gone|put (?:down|to sleep)|miscarr\w*|terminal|hospice|"
    r"cancer|grave|memorial|cremat\w*|rip|suicide)\b",
    re.IGNORECASE,
)

# A message that asks the friend something directly, and the words of self-blame and of meeting it gently.
QUESTION_CUE = re.compile(
    r"\?\s*$|^(?:what|how|should|do you|would you|can you|could you|is it|am i|why)\b", re.IGNORECASE
)
SELF_BLAME = re.compile(
    r"\b(?:my fault|i blame myself|i feel (?:so )?(?:guilty|ashamed|terrible|awful|bad)|i should have|"
    r"i shouldn'?t have|i'?m a (?:terrible|bad|horrible|awful)|i hate myself|i messed up|i screwed up|"
    # "I just feel like a terrible mother", "I'm such a bad friend", "I'm a failure"
    r"i (?:just |really |kind of |kinda )?feel like (?:such )?(?:a|the) (?:terrible|bad|horrible|awful|worst|failure|useless)|"
    r"i'?m (?:such a|the worst) (?:terrible |bad |horrible |awful )?(?:mother|mom|mum|father|dad|parent|friend|person|"
    r"wife|husband|daughter|son|sister|brother|failure)|i'?m a failure)\b",
    re.IGNORECASE,
)
REASSURE = re.compile(
    r"\b(?:not your fault|happens to|human|be (?:kind|gentle|easy) (?:on|with) yourself|you care|"
    r"doesn'?t make you|did your best|did what you could|mistakes?|forgive|learn)\b",
    re.IGNORECASE,
)
# The act judged ("that's such a hurtful thing to do") to someone who already feels guilty about it:
# the listener took the side of their own conscience against them, after the gentle line had met it.
_JUDGES_THE_ACT = re.compile(
    r"\b(?:that'?s|that (?:is|was)|it'?s|it (?:is|was)|what) (?:such |a |so |really |very )*(?:hurtful|mean|cruel|"
    r"wrong|rude|selfish|awful|terrible|bad|horrible|nasty|thoughtless|careless) (?:thing )?(?:to do|of you)\b|"
    r"\b(?:that'?s|that (?:is|was)|it'?s|it (?:is|was)) (?:such |a |so |really |very |pretty )*"
    r"(?:selfish|irresponsible|thoughtless|careless)\b(?! of (?:him|her|them|your))|"
    r"\bnot (?:okay|ok|cool|nice|fair) (?:of you|to do)\b",
    re.IGNORECASE,
)
# Harm the person says they did to someone ("i ended abusing her", "I slapped him"): met with
# honesty and care, never talked down as a slip ("Everyone slips up sometimes" was read blind as
# minimising abuse) nor turned on the one who was hurt ("Did she ever apologize?"). An accident, a
# wish or a game ("I accidentally hit my sister", "I was going to hit him", "I could beat him") is not it.
_PEOPLE = (
    r"(?:her|him|them|someone|(?:a|this|some) (?:guy|girl|man|woman|kid)|my (?:(?:little|baby|big|older|younger) )?"
    r"(?:wife|husband|girlfriend|boyfriend|gf|bf|fianc[eé]e?|partner|roommate|kids?|son|daughter|child|children|"
    r"toddler|baby|mom|dad|mother|father|sister|brother|friend|step\w+|\d+[ -]year[ -]old))"
)
_HARMED_SOMEONE = re.compile(
    # "i", not in what someone else said or in a supposition ("she said i hit her", "what if i hit him")
    r"(?<!\bif )(?<!\bsaid )(?<!\bsays )(?<!\bsay )(?<!\blike )(?<!\bway )(?<!\bclaims )"
    r"\bi(?:'?ve| have| had| was| kept| keep| started)? "
    # "i lost my temper and hit her", but not "i watched my dad get drunk and hit my mom"
    r"(?:(?:(?!(?:he|she|they|him|her|his|my(?! (?:temper|cool|mind|head)))\b)[\w']+ ){1,6}?and (?:then )?)?"
    r"(?:(?:just|then|really|actually|even|finally|ended up|ended|basically|also|only|barely|kinda|sorta|kind of|"
    r"sort of) )?"
    r"(?:(?:abus(?:e|ed|ing)|hit(?:ting)?|slap(?:s|ped|ping)?|slaped|punch(?:es|ed|ing)?|kick(?:s|ed|ing)?|"
    r"shov(?:e|es|ed|ing)|beat(?:ing)? up|chok(?:e|ed|ing)|strangl(?:e|ed|ing)|smack(?:s|ed|ing)?|spank(?:s|ed|ing)?|"
    r"elbowed|headbutted|grabb?ed) " + _PEOPLE + r"|(?:push(?:ed|ing)?|threw|throw(?:ing)?) " + _PEOPLE
    + r" (?:down|into|against|across|over|off|to the (?:floor|ground))|beat my \w+(?! at| in\b))\b"
    # not "kicked my brother's butt", "hit him up", "kicked him out", "a high five", a game, a hug
    r"(?!['’]s\b| up\b| back\b| out\b| off\b| from\b| a high five| with (?:a |an |the |my )?(?:news|big hug|hug|"
    r"snowball|question|text|['\"])| at (?:chess|tennis|cards|pool|darts|checkers|poker|golf|smash|mario|fifa|madden|"
    r"\w*ball)\b| in (?:smash|fifa|mario|madden|a game|the game|chess)\b| (?:trust|position)\b)"
    # an accident, a joke, or a denial later in the sentence
    r"(?![^.!?]*\b(?:by accident|accidentally|in my sleep|when i (?:tripped|fell|slipped)|lol|lmao|haha|jk|"
    r"slug ?bug|i didn'?t|i did not)\b)",
    re.IGNORECASE,
)
_MINIMISES = re.compile(
    r"\b(?:everyone makes mistakes|mistakes? happen|slip(?:s|ped)?[ -]?ups?|mess-?ups?|being human|ordinary|"
    r"universal|nobody'?s perfect|not your fault|(?:we all|everyone|anyone) (?:lose|loses|snaps?|gets? (?:angry|mad))|"
    r"not (?:such )?a big deal|happens (?:to (?:everyone|the best|far more)|all the time)|more common than|"
    r"not the first|one moment doesn'?t define|don'?t (?:worry|beat yourself up)|don'?t be (?:so )?hard on yourself|"
    r"let it go|(?:it'?s|that'?s) (?:totally |completely |perfectly )?(?:okay|ok|fine|normal|understandable)"
    r"(?! to (?:feel|be))|just (?:one|a) (?:slap|push|hit|shove)|needs? discipline|"
    # turned on the one hurt, or the hurt put on them ("That's a really hurtful way to feel, and it's
    # clear you're hurt.", read as misplaced by both readers of the twenty-ninth reading)
    r"you(?:'re| are| were| got) (?:so |really |very |deeply )?hurt|hurtful way to feel|"
    r"had it coming|(?:she|he|they) deserved|provoked|what did (?:she|he|they) do to|(?:her|his|their) fault|"
    r"(?:did|has|will|would) (?:she|he|they) (?:ever )?(?:apologi[sz](?:e|ed)|said sorry|say sorry))\b",
    re.IGNORECASE,
)
_OWNS_IT = re.compile(r"\b(?:serious|wrong|responsib\w*|make (?:it|things) right|safe)\b", re.IGNORECASE)
_OWNING_LINES = (
    "Hurting someone is serious, and it matters that you're facing it honestly instead of looking away.",
    "It matters that you can see it was wrong; feeling this bad about it is where making it right begins.",
)
_GENTLE_LINES = (
    "Please be gentle with yourself - feeling this bad shows how much you care.",
    "It doesn't make you a bad person; that it weighs on you shows you care.",
    "Everyone slips up sometimes, and the fact that this bothers you shows you care.",
)


# A yes-or-no question about what the person has just told ("Did you go to see a psychiatrist?" to
# "I saw a psychiatrist for the first time yesterday"): the small listener's most common way of
# showing it did not follow. Words are compared by a rough stem; light verbs say nothing either way.
_YES_NO = re.compile(r"^(?:did|do|does|are|is|was|were|have|has|had|will|can) (?:you|she|he|they|it|we|(?:your|the|his|her|their) \w+)\b", re.I)
_IRREGULAR = {"saw": "see", "seen": "see", "went": "go", "gone": "go", "got": "get", "lost": "lose", "won": "win",
              "made": "make", "came": "come", "took": "take", "gave": "give", "told": "tell", "felt": "feel",
              "left": "leave", "found": "find", "bought": "buy", "ate": "eat", "ran": "run", "fell": "fall",
              "broke": "break", "broken": "break", "passed": "pass", "died": "die", "dead": "die", "said": "say",
              "did": "do", "done": "do", "doing": "do", "heard": "hear", "thought": "think", "kept": "keep", "met": "meet",
              "wrote": "write", "written": "write", "spent": "spend", "built": "build", "paid": "pay", "sold": "sell",
              "sent": "send", "taught": "teach", "caught": "catch", "brought": "bring", "chose": "choose"}  # fmt: skip
_LIGHT = frozenset("go get do make take come have be want like know think look say anything something everything".split())


def _stem(word: str) -> str:
    word = _IRREGULAR.get(word, word)
    for ending in ("ing", "ed", "es", "s"):
        if ending == "s" and word.endswith("ss"):  # miss, boss, class: the s is the word's own
            continue
        if word.endswith(ending) and len(word) - len(ending) >= 3:
            return word[: -len(ending)]
    return word


# "Did you get it?" to "I didn't get that promotion": a light verb and a pronoun alone, asking again
# whether what was just told happened ("Did he pass?" to "he didn't think he would pass" asks what was
# not told).
_BARE_YES_NO = re.compile(_YES_NO.pattern + r" (\w+)(?: (?:it|that|them|one))?\?$", re.IGNORECASE)
_NOT_YET = frozenset("would will might could can may to gonna".split())


def asks_what_was_said(reply: str, message: str) -> bool:
    told = {_stem(w) for w in content_words(message)}
    spoken = re.findall(r"[a-z']+", message.lower())
    said = {_stem(w) for before, w in zip(["", *spoken], spoken, strict=False) if before not in _NOT_YET}
    for sentence in sentences(reply):
        if sentence.endswith("?") and _YES_NO.match(sentence):
            asked = {_stem(w) for w in content_words(sentence) if w not in _LIGHT} - _LIGHT
            if asked and asked <= told:
                return True
            if not asked and (bare := _BARE_YES_NO.match(sentence)) and _stem(bare.group(1).lower()) in said:
                return True
    return False


# "What did you finish?" to "I just finished my first marathon!": a question after the thing the
# message named. The verb's object in the message must be said, not vague ("Something happened at
# work" leaves "What happened?" a fair question); "What were you doing?" to "I was buying groceries"
# is the same slip with the light verb, and "What did you get?" to "I didn't get the promotion" asks
# for what never came.
_WHAT_OBJECT = re.compile(
    r"^what (?:did|do|does|have|has|had|will|would|are|were|was|is) (?:you|he|she|they|we|(?:your|the|his|her|their) \w+) "
    r"(\w+)(?: (?:for|to|about|with|on|at|in|from))?\?$",
    re.IGNORECASE,
)
# What may follow the verb without naming its object: pronouns, vague words, adverbs and prepositions.
_VAGUE = frozenset(
    "something anything it this that so to up out off stuff everything nothing for at in on with by about "
    "all really very just hard late early again today yesterday tonight last every when while and but".split()
)
_NEGATIONS = frozenset("didn't didnt not never couldn't couldnt can't cant won't wont".split())
# What they were doing is named by "I was buying groceries" and "I just got back from buying groceries".
_WAS_DOING = re.compile(r"\b(?:i|we)(?: was| were|'m| am| are) \w+ing\b|\bback from \w+ing\b", re.IGNORECASE)


# "Where are you going?" to "we are going to Barbados", "How old is she?" to a baby born yesterday
# or twins on the way.
_WHERE_TO = re.compile(
    r"^where (?:are|were|is|was|did|do|will) (?:you|he|she|they|we|(?:your|the|his|her|their) \w+)(?: all)? "
    r"(?:go|going|headed|heading|travel\w*|fly|flying|move|moving)(?: to)?\?$",
    re.IGNORECASE,
)
_DESTINATION = re.compile(
    r"\b(?:go|going|went|headed|heading|travel\w*|fly\w*|flew|mov\w*|trip|vacation|holiday) to "
    r"(?:(?:the|a|an|my|our) \w+|[A-Z]\w+)"
)
_HOW_OLD = re.compile(r"^how old (?:is|was|are|were) (?:she|he|it|they|the baby|your \w+)\?$", re.IGNORECASE)
_NEWBORN = re.compile(
    r"\b(?:newborn|new baby|g[ai]ve birth|giving birth|(?:was|were|been|just) born|"
    r"delivered (?:normal(?:ly)?|naturally)|"
    r"(?:had|have) (?:a|the|our|my|her|his|their) baby|"
    r"(?:having|expecting|pregnant with) (?:a baby|twins|triplets))\b",
    re.IGNORECASE,
)


# "That's so unfair, and I'm sorry you were hurt." to a near miss in traffic or a dog that chased
# them: readers rated the 8 rated candidates this refuses 0.63 below their context's others. It may
# be said where they spoke of a harm, to the body or from someone ("My best friend lied to me").
_SORRY_HURT = re.compile(r"\bsorry (?:that )?you (?:were|got|'ve been|have been) (?:so |badly |really )?"
                         r"(?:hurt|injured)\b(?! by)", re.IGNORECASE)  # fmt: skip
_HARM = re.compile(
    r"\b(?:hurt\w*|injur\w*|pain|painful|broke|broken|bleed\w*|blood|hospital|bruis\w*|sprain\w*|burn\w*|"
    r"fell|fall|crash\w*|accident|attack\w*|bit|bitten|stitches|sore|wound\w*|hit me|punch\w*|kick\w*|lie|"
    r"lied|lying|cheat\w*|betray\w*|insult\w*|mean to me|rude|mock\w*|bull(?:y|ied)|abus\w*|yell\w*|dumped|"
    r"ignor\w*|made fun|laugh\w* at)\b",
    re.IGNORECASE,
)


# "That's such a sweet thing to share with your dad." to a grandad who shared something: a relative
# no one named is the listener's guess at who was there, and a wrong one. Readers rated the 30 rated
# candidates that named one 0.57 below their context's other candidates.
_RELATION_OF = {
    "mom": "mother", "mum": "mother", "mommy": "mother", "mama": "mother",
    "dad": "father", "daddy": "father", "papa": "father",
    "grandma": "grandmother", "granny": "grandmother", "nana": "grandmother", "grandmom": "grandmother",
    "grandpa": "grandfather", "grandad": "grandfather", "granddad": "grandfather",
    **{word: word for word in (
        "mother", "father", "grandmother", "grandfather", "brother", "sister", "son", "daughter", "wife",
        "husband", "boyfriend", "girlfriend", "fiance", "aunt", "uncle", "cousin", "niece", "nephew",
        "grandson", "granddaughter",
    )},
}  # fmt: skip


def relatives(text: str) -> set[str]:
    """The relations `text` names ("my sisters pet" names a sister); "parents" names both."""
    named = set()
    for word in re.findall(r"[a-z]+(?:'s)?", text.lower()):
        word = word.removesuffix("'s")
        if word in ("parent", "parents"):
            named |= {"mother", "father"}
        elif relation := _RELATION_OF.get(word) or _RELATION_OF.get(word.removesuffix("s")):
            named.add(relation)
    return named


# "What did you two do there?" to a reunion with high school friends: a pair the person never spoke
# of. Readers rated the 203 rated candidates that said "you two" where no partner had been named 0.39
# below their context's others ("How long have you two been together?" to looking after a sister's
# pet); where a wife or a boyfriend had been, the 125 that said it 0.17 below.
_YOU_TWO = re.compile(r"\byou two\b", re.IGNORECASE)
_COUPLE = frozenset({"wife", "husband", "boyfriend", "girlfriend", "fiance"})
_PARTNER = re.compile(r"\b(?:partner|spouse|fianc[eé]e|bf|gf|hubby|date|crush)\b", re.IGNORECASE)


def presumes_a_pair(reply: str, conversation: str) -> bool:
    """Whether the reply speaks of "you two" where the conversation names no partner."""
    partnered = relatives(conversation) & _COUPLE or _PARTNER.search(conversation)
    return bool(_YOU_TWO.search(reply)) and not partnered


# The message's words as asks_what_was_named reads them, amounts kept: "won $1000" names what was won.
_NAMING = re.compile(r"[$£€]?\d[\d,.]*|[a-z']+")
# "What did you get?" to "my coworker bought my favourite cake": what was got was named as bought,
# and "What did you make?" to "I baked a cake" what was made as baked.
_ASKED_AS = {
    "get": frozenset(map(_stem, ("get", "bought", "receive", "received"))),
    "make": frozenset(map(_stem, ("make", "bake", "baked", "cook", "cooked", "build", "built", "sew"))),
}
# "What was the prize?" to "I actually won $1000".
_PRIZE = re.compile(r"^what (?:was|is) (?:the|your) prize\?$", re.IGNORECASE)
_WON_THING = re.compile(r"\bwon (?:an? |the |[$£€]?\d)", re.IGNORECASE)


# "Oh no! How did you feel?" to "I really broke down when I heard my mom was sick": asked how they
# felt after they said it. Readers rated the 48 rated candidates that asked so 0.43 below their
# context's others; where the message named no feeling, the 67 that asked read 0.20 above.
_HOW_DID_YOU_FEEL = re.compile(r"\bhow did (?:you|that|it) (?:feel|make you feel)\b", re.IGNORECASE)


def asks_what_was_named(reply: str, message: str) -> bool:
    if _HOW_DID_YOU_FEEL.search(reply) and named_feelings(message):
        return True
    told = _NAMING.findall(message.lower())
    for sentence in sentences(reply):
        if _WHERE_TO.match(sentence) and _DESTINATION.search(message):
            return True
        if _HOW_OLD.match(sentence) and _NEWBORN.search(message):
            return True
        if _PRIZE.match(sentence) and _WON_THING.search(message):
            return True
        asked = _WHAT_OBJECT.match(sentence)
        if not asked:
            continue
        verb = _stem(asked.group(1).lower())
        if verb in _VAGUE:  # "What was the email about?" asks after a preposition, not a verb
            continue
        if verb == "do" and _WAS_DOING.search(message):
            return True
        for i, w in enumerate(told):
            if _stem(w) not in _ASKED_AS.get(verb, (verb,)):
                continue
            # "What did you get?" to "I didn't get that promotion" asks for what never came.
            if i and told[i - 1] in _NEGATIONS or i + 1 < len(told) and told[i + 1] not in _VAGUE:
                return True
    return False


def says_again(reply: str, earlier: list[str]) -> bool:
    """Whether a sentence of the reply is one the companion already said in one of its `earlier`
    replies: "How are you holding up?" closing every reply to someone grieving reads as not
    listening."""
    before = {tuple(words(s)) for turn in earlier for s in sentences(turn)}
    return any(tuple(words(s)) in before for s in sentences(reply))


def makes_light_of_harm(message: str, sentence: str) -> bool:
    """Whether `sentence` talks down harm the person says they did, or turns on the one hurt."""
    return bool(_HARMED_SOMEONE.search(message) and _MINIMISES.search(sentence))


def owning_line(message: str, reply: str) -> str | None:
    """An honest first sentence for a reply to someone who says they hurt a person; None when they
    did not say so or the reply already owns it."""
    return _line_unless_met(message, reply, _HARMED_SOMEONE, _OWNS_IT, _OWNING_LINES)


def gentle_line(message: str, reply: str) -> str | None:
    """A gentle first sentence for a reply that leaves the user's self-blame unanswered; None when
    there is none to meet or the reply already meets it."""
    return _line_unless_met(message, reply, SELF_BLAME, REASSURE, _GENTLE_LINES)


UNCERTAIN = re.compile(
    r"\b(?:can'?t (?:know|say|promise|be sure)|no one can (?:know|say)|nobody can (?:know|say)|hard to (?:know|say)|"
    r"not sure|wish i could (?:say|tell|promise))\b",
    re.IGNORECASE,
)
_HONEST_LINES = (
    "I can't know how it will turn out, and I understand why you're worried.",
    "No one can say for sure yet, and it makes sense that this scares you.",
    "I wish I could tell you for certain; not knowing is so hard.",
)


def honest_line(message: str, reply: str) -> str | None:
    """An honest first sentence for a reply that leaves a question about an outcome unanswered; None
    when none was asked or the reply already owns the uncertainty."""
    return _line_unless_met(message, reply, OUTCOME_QUESTION, UNCERTAIN, _HONEST_LINES)


# A request for advice ("What should I do?") met with sympathy alone is a question left unanswered:
# a friend offers a view, without deciding for them or saying how it will turn out.
ADVICE_ASKED = re.compile(
    r"\b(?:what (?:should|do|can|could|would) i do|should i\b|do you think i should|what would you do|"
    r"any (?:advice|ideas|tips|suggestions)|(?:give|need|want|have) (?:me )?(?:some |your |any )?advice|"
    r"how (?:do|can|should) i (?:deal|handle|cope|tell|get over|stop|fix|approach|move on|talk to|make (?:it|this|things)))",
    re.IGNORECASE,
)
OFFERS_A_VIEW = re.compile(
    r"\b(?:maybe|perhaps|if i were you|if it were me|how about|what if you|worth (?:a try|trying|talking|asking|it)|"
    r"(?:might|may|could|would) help|you (?:could|should|might|can|may want to) (?:try|talk|ask|tell|start|consider|"
    r"speak|bring|let|write|take|give|wait|sit|go|reach|see|think|set|keep|check|look|put|say|call|text|stand|explain|"
    r"sleep|plan|focus)|i'?d (?:talk|try|tell|ask|start|wait|say|let|speak|bring|sit|write|go|give|take|think|probably|"
    r"definitely|suggest)|i would (?:talk|try|tell|ask|start|wait|say|let|speak|bring|sit|write|go|give|take|suggest|"
    r"probably|definitely)|i think (?:you|it)(?:'s| is| should| could| would| might)|(?:a )?good idea|i suggest|my advice)\b",
    re.IGNORECASE,
)
_ADVICE_LINES = (
    "If it were me, I'd give it a day before deciding, and talk it over with someone I trust.",
    "I can't decide it for you, but it might help to ask yourself what you'll be glad you did a year from now.",
    "There may be no perfect answer, but talking it through with someone you trust could help you see what feels right.",
)


def advice_line(message: str, reply: str) -> str | None:
    """A view to follow an opening that leaves a request for advice unanswered; None when none was
    asked or the reply offers one."""
    return _line_unless_met(message, reply, ADVICE_ASKED, OFFERS_A_VIEW, _ADVICE_LINES)


# "How are you?" asked of the friend: a friend answers before anything else.
_HOW_AM_I = re.compile(
    r"(?:^|[.!?,]\s*|^(?:hi|hey|hello|good (?:morning|afternoon|evening))\W*)(?:so,? |and )?"
    r"(?:how are (?:you|ya)(?: doing| feeling)?(?: today| tonight| these days)?|how(?:'s| is) it going|"
    r"how have you been|how(?:'s| is) your day(?: going)?)(?:\s*[?!.]+|\s*$)",
    re.IGNORECASE,
)
_I_AM = re.compile(r"\bi(?:'m| am) (?:doing )?(?:well|good|great|fine|okay|ok|alright|all right|here)\b", re.IGNORECASE)
_GREETING_LINES = (
    "I'm doing well, thanks for asking!",
    "I'm good, thank you for asking!",
    "I'm well, thanks for asking!",
)
# When the message goes on to say something of its own ("How are you? I had a rough day."), the
# answer stays quiet, so the reply can turn to what they said.
_QUIET_GREETING_LINES = ("I'm okay, thank you for asking.", "I'm alright, thanks for asking.")


def answers_how_i_am(reply: str) -> bool:
    return bool(_I_AM.search(reply))


def greeting_line(message: str, reply: str) -> str | None:
    """A first sentence answering "How are you?" when the reply leaves it unanswered; None when it
    was not asked ("How are you supposed to cope?" asks something else) or the reply answers it."""
    message, reply = message.replace("\u2019", "'"), reply.replace("\u2019", "'")  # phones type curly apostrophes
    asked = _HOW_AM_I.search(message)
    if not asked or answers_how_i_am(reply):
        return None
    said = message[: asked.start()] + message[asked.end() :]
    more = len(re.findall(r"[a-z']+", said, re.IGNORECASE)) >= 4  # beyond "Hi!" or "Good morning"
    return line_for(message, _QUIET_GREETING_LINES if more else _GREETING_LINES)


# "I feel like hurting my brother, is that wrong?" met with "It's natural to feel that way.": a wish
# to harm someone is met with care for the anger beneath it, never called natural.
_HARMING = (
    r"(?:kill(?:ing)?|hurt(?:ing)?|hit(?:ting)?(?!(?:\s+\w+){1,2}\s+up\b)|punch(?:ing)?|stab(?:bing)?|"
    r"shoot(?:ing)?|strangl(?:e|ing)|murder(?:ing)?|slap(?:ping)?|chok(?:e|ing))"
)
_WANTS_TO_HARM = re.compile(  # the person's own wish, not an idiom ("My friend is going to kill me!")
    r"\bi(?:'m|m| am|'d)? (?:[\w']+ ){0,2}?(?:feel like|want(?:ed)? to|wanna|wish i could|going to|gonna|like to|"
    r"thinking (?:about|of)|could (?:just )?|might)\s*"
    rf"(?:{_HARMING}\s+{_SOMEONE}|beat(?:ing)?\s+{_SOMEONE}\s+up\b|shoot up (?:my|the|a|this) \w+)|"
    rf"\bi(?:'ll|ll| will) (?:\w+ )?{_HARMING}\s+{_SOMEONE}|\bfeel like {_HARMING}\s+{_SOMEONE}|"
    rf"\bi (?:want|wish) {_SOMEONE} (?:was |were )?dead\b|\bi wish (?:he|she|they) (?:was|were) dead\b",
    re.IGNORECASE,
)
# A promise not to ("I'm not going to hurt him", "I want to hurt him but I won't") is not a wish, nor
# is a fear of doing it ("I keep thinking about hurting my son, I'm terrified", often an unwanted
# thought after a birth, which anger is not what it asks about), a joke ("I'm going to kill her
# lol") or harm to themselves beside it, which the crisis route and the listener meet.
_FEAR_OR_SELF = re.compile(
    r"\b(?:afraid|worried|scare[sd]?|terrif\w*|fear\w*|panic\w*|intrusive|what(?:'s| is) wrong with me|"
    r"hate myself|myself|my self|but i won'?t|but i wouldn'?t|i never would)\b",
    re.IGNORECASE,
)
_CALLS_IT_OKAY = re.compile(
    r"\b(?:makes? (?:complete |total |perfect )?sense|(?:it's|that's|it is|that is|is|feel(?:ing)?|be) "
    r"(?:completely |perfectly |totally |so |very )?(?:natural|normal|understandable)|okay to feel|ok to feel|"
    r"(?:you're|you are) (?:not wrong|right to)|go (?:ahead|for it)|deserves? it)\b",
    re.IGNORECASE,
)


def wants_to_harm(message: str) -> bool:
    """Whether the person says they wish to harm someone (not in a game: "shooting my friend in paintball")."""
    message = plain(message)
    if _FEAR_OR_SELF.search(message) or LAUGHS.search(message) or PLAY.search(message):
        return False
    # A negation among the words before the harm ("I'm not going to hurt him"), not one in an
    # earlier clause ("I can't believe he did that, I want to kill him").
    return any(not NEGATION.search(found.group(0)) for found in _WANTS_TO_HARM.finditer(message))


# "I keep thinking about hurting my son, I'm terrified": a fear of doing harm, often an unwanted thought
# after a birth, is met calmly with where help is, never by a model's guess at what it means.
_NUMBER = r"(?:\d+|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)"
# A baby, not a baby sister, the baby's bottle, a baby shower or dropping the baby off at nursery.
_BABY = (
    rf"(?:(?:my|our|the) (?:new |little |tiny )?(?:baby|newborn|infant)|(?:my|our|the) {_NUMBER}[- ](?:day|week|month)s?[- ]old|"
    r"a (?:baby|newborn|infant))\b"
    r"(?!'s|\s+(?:sister|brother|cousin|bro|sis|shower|bottle|monitor|food|clothes|seat|gate|steps|weight|blues|a|an)\b)"
)
_CHILD = (
    r"(?:(?:my|our|the) (?:\w+ )?(?:son|daughter|kids?|child|children|toddler|little one|little (?:girl|boy)|twins|"
    rf"grandson|granddaughter|grandchild(?:ren)?|nephew|niece|step\w+|baby (?:brother|sister)|{_NUMBER}[- ]year[- ]old)|"
    r"a (?:child|kid)|children|kids)\b"
)
_OTHERS = (
    r"(?:(?:my|our|the|a) (?:\w+ )?(?:students?|patients?|dog|cat|puppy|kitten|pets?|strangers?|husband|wife|partner|"
    r"boyfriend|girlfriend|mom|mum|dad|family)|strangers|anyone|anybody|someone|somebody|people)\b"
)
# Not "throw him off by asking", "drop my friend off", "hit the guy up", but "push him off the bridge" is.
_NOT_BODILY_AFTER = (
    r"(?!'s|\s+(?:feelings|a|an|up|under|awake|at|shower|bottle|monitor|sister|brother|"
    r"off\b(?!\s+(?:the|a)\s+(?:balcony|bridge|roof|cliff|stairs|edge|building|ledge)))\b)"
)
_TARGET = rf"(?:{_BABY}|{_CHILD}|{_OTHERS}|{_SOMEONE}){_NOT_BODILY_AFTER}"
# "Hurt" is said of feelings too: only of a baby, a child, a pet or anyone at all, and never "by leaving"
# or "if I tell him the truth".
_NOT_OF_FEELINGS = (
    r"(?![^.!?]{0,40}\b(?:feelings|by (?!accident)\w+ing|(?:if|when) i (?:tell|say|leave|move|break)|telling|saying|"
    r"leaving|moving|breaking up)\b)"
)
_HURT_TARGET = (
    rf"(?:{_BABY}|{_CHILD}|(?:my|our|the) (?:dog|cat|puppy|kitten|pets?)|someone|somebody|anyone|anybody|people|"
    rf"a stranger|strangers){_NOT_OF_FEELINGS}"
)
_BODILY = (
    r"(?:kill|harm|hit|punch|stab|shoot|strangle|choke|drown|smother|suffocate|poison|shake|slap|beat|murder|throw|"
    r"drop)"
)
_BODILY_ING = (
    r"(?:killing|harming|hitting|punching|stabbing|shooting|strangling|choking|drowning|smothering|suffocating|"
    r"poisoning|shaking|slapping|beating|murdering|throwing|dropping)"
)
_ACT = (
    rf"(?:{_BODILY}|{_BODILY_ING})\s+{_TARGET}|(?:hurt|hurting)\s+{_HURT_TARGET}|"
    rf"push(?:ing)?\s+{_TARGET}\s+(?:in front of|off|down|onto|into|out of)\b"
)
# Between the thought and the act, no one else doing it ("thoughts of someone hurting my baby") and no
# memory ("thinking about how I hurt her").
_FILLER = (
    r"(?:(?!(?:how|when|what|why|that|he|she|they|it|you|someone|somebody|people|my|his|her|the|a|not|never)\b)"
    r"\w+\s+){0,2}?"
)
_THOUGHT_OF = (
    r"\b(?:thoughts?|images?|pictures?|urges?|impulses?|flash(?:es)?|visions?|ideas?|thinking|picturing|imagining|"
    r"visuali[sz]ing)\s*:?\s+(?:i (?:have|get|keep (?:having|getting)|'ve had|had)\s+)?(?:of\s+|about\s+|abt\s+|to\s+)?"
    + _FILLER
)
_AFRAID = r"\b(?:afraid|scared|terrified|worried|frightened|petrified|fear)\s+(?:that\s+)?"
_I_MIGHT = (
    r"i(?:'ll|ll| will| might| could| would|'d| may|'m going to|m going to| am going to|'m gonna|m gonna| am gonna|"
    r" (?:will|might|could|would|may) (?:end up|wind up|snap and|lose it and|lose control and|accidentally))\s+"
    r"(?:(?!not\b|never\b)\w+\s+){0,3}?"
)
_WHAT_IF = r"\bwhat if i\s+(?:(?:snap and|lose it and|lose control and|accidentally|just|really|actually)\s+)?"
_AFRAID_OF = (
    r"\b(?:afraid|scared|terrified|frightened|petrified|fearful) of\s+(?:(?:accidentally|actually|really|ever|maybe|"
    r"possibly)\s+)?"
)
# Thoughts of hurting "him" or "her" are of harm; a worry that one might hurt him is often of feelings.
_HURT_IN_THOUGHT = rf"hurt(?:ing)?\s+(?:him|her|them)\b{_NOT_OF_FEELINGS}"
_FEARS = re.compile(
    rf"{_THOUGHT_OF}(?:{_ACT}|{_HURT_IN_THOUGHT})|{_AFRAID}{_I_MIGHT}(?:{_ACT})|{_WHAT_IF}(?:{_ACT})|{_AFRAID_OF}(?:{_ACT})", re.IGNORECASE
)
# Toward a baby, what they might do is met this way with or without words of fear ("I think I might
# hurt my baby", "sometimes I feel like shaking my baby when she won't stop crying").
_TO_A_BABY = re.compile(
    r"\bi(?:'m|m| am)?\s+(?:\w+\s+){0,2}?(?:might|could|may|will|'ll|going to|gonna|want to|wanna|feel like|"
    rf"think i (?:might|could|will))\s+(?:\w+\s+){{0,2}}?(?:{_BODILY}|{_BODILY_ING}|hurt(?:ing)?)\s+{_BABY}",
    re.IGNORECASE,
)
_FEARED = re.compile(
    r"\b(?:afraid|scared|scares?|scary|terrif\w*|frighten\w*|horrif\w*|petrified|intrusive|unwanted|ocd|"
    r"wrong with me|monster|disgust\w*|hate myself|scared of myself|freak\w* me out|panic\w*|anxious|anxiety|"
    r"why (?:is|does) my (?:brain|mind)|what kind of (?:mother|father|mom|mum|dad|parent|person)|"
    r"i(?:'d| would) never|i love (?:him|her|them|my)|"
    r"(?:awful|horrible|terrible|dark|disturbing|sick|evil|weird|random|bad|scary) (?:\w+ )?(?:thoughts?|images?|urges?|"
    r"pictures?))\b",
    re.IGNORECASE,
)
_NEGATED_BEFORE = re.compile(
    r"\b(?:not|never|no|don'?t|do not|didn'?t|haven'?t|hasn'?t|no longer|without)\s+(?:\w+\s+){0,2}$", re.IGNORECASE
)
_GONE_AFTER = re.compile(
    r"^[^.!?]{0,30}\b(?:gone away|went away|have stopped|has stopped|stopped|are gone|is gone|passed)\b|"
    r"^\s*\?\s*(?:no|nope|never)\b",
    re.IGNORECASE,
)
_SOMEONE_ELSES = re.compile(
    r"\b(?:he|she|they|who|his|her|their)\b|\bmy \w+ (?:has|have|had|gets|keeps|told|says|said)\b", re.IGNORECASE
)
# A child who is a baby by what the message says of them: "My son is six weeks old", "since she was born".
_NEW_PARENT = re.compile(
    rf"{_BABY}|\b{_NUMBER}[- ](?:day|week|month)s?[- ]old\b|\b(?:since (?:giving birth|the birth|i gave birth|"
    r"(?:he|she|they) (?:was|were) born)|(?:my|our) (?:son|daughter|baby) was born|post-?partum|post-?natal|"
    r"post natal|gave birth)\b",
    re.IGNORECASE,
)
_ROAD_OR_PLAY = re.compile(
    r"\b(?:car|cars|driv\w*|road|roads|traffic|icy|bike|ball|chess|game|match|practice|paintball|sparring|headlock|"
    r"jiu[- ]?jitsu|karate|boxing|wrestling)\b",
    re.IGNORECASE,
)


def feared_harm(message: str) -> str | None:
    """Whom the person fears harming, or has unwanted thoughts of harming: "a baby", "someone", or
    None when they tell of no such fear (their own, in words of fear, or any such thought about a
    baby; not negated, gone, someone else's, on the road or in play)."""
    message = plain(message)
    for found in [*_FEARS.finditer(message), *_TO_A_BABY.finditer(message)]:
        # Only the last 200 characters before it are read: a long message is not read again per match.
        before = message[max(0, found.start() - 200) : found.start()]
        sentence = re.split(r"[.!?]\s", before)[-1]
        if NEGATION.search(found.group(0)) or _NEGATED_BEFORE.search(before):
            continue
        if _GONE_AFTER.search(message[found.end() :]) or _SOMEONE_ELSES.search(sentence):
            continue
        if _ROAD_OR_PLAY.search(sentence + re.split(r"[.!?]\s", message[found.start() :])[0]):
            continue
        whom = "a baby" if re.search(_BABY, found.group(0), re.IGNORECASE) or (
            _NEW_PARENT.search(message) and re.search(rf"{_CHILD}|\b(?:him|her|them)$", found.group(0), re.IGNORECASE)
        ) else "someone"
        if found.re is _TO_A_BABY:
            if not LAUGHS.search(message):
                return whom
        elif _FEARED.search(message) or whom == "a baby" or re.match(
            f"{_AFRAID}|{_AFRAID_OF}|{_WHAT_IF}", found.group(0), re.IGNORECASE
        ):
            return whom
    return None


# A question about the companion's own life, feelings or nature ("Do you like nature?", "Are you a
# real person?"): a friend answers it before turning back, and the companion answers it honestly,
# where the small model made up a life ("I have a favorite movie that's stuck with me all these
# years.", "I've heard that too." to "Do you ever feel lonely?"). Rhetorical questions, asks for a view
# or for help, and questions about what the person said are other questions.
_NOT_ABOUT_ME = (
    r"(?!(?:(?:ever|also|still|really|even|too|just) )?(?:think|know|believe|imagine|mean|understand|"
    r"remember|recall|see|hear|agree|mind|care|do|read (?:my|what|that|this|it|the (?:message|text|post|article))|"
    r"forget|notice|promise|keep|stop|shut|listen|"
    r"get (?:it|what|that)|say|tell|help|give|speak|been (?:listening|paying)|"
    r"have (?:a |an |any )?(?:idea|number|hotline|resources?|phone|link|website|suggestion)|"
    r"recommend|suggest|advise|(?:want|like) to (?:hear|know|talk|see)|feel (?:that (?!you\b|u\b)|what)|"
    r"got (?:a |any )?(?:minute|moment|sec|second|time)|have (?:any |some )?"
    r"(?:advice|tips|ideas|suggestions|thoughts|recommendations|time|a (?:minute|moment|sec)))\b)"
)
# What it is: "Are you a real person?", "are u a bot?", "Am I talking to a real person?"
_ITS_NATURE = re.compile(
    r"\bare (?:you|u) (?:even |really |actually )?(?:a |an )?(?:real|human|person|bot|robot|ai|machine|"
    r"computer|alive|chatgpt)\b|\b(?:is this|am i (?:talking|chatting|speaking) (?:to|with)) (?:a |an )?"
    r"(?:real (?:person|human)|person|human|bot|robot|ai|machine|computer)\b",
    re.IGNORECASE,
)
# Only "would you ever/rather": "Would you call that abuse?" asks for a view, "Would you keep this
# between us?" for a promise. A question about the person or the conversation ("Do you like talking
# to me?", "Have you noticed I always do this?") is theirs, not the companion's.
_YOU, _YOUR = r"(?:you|u)", r"(?:your|ur)"  # as people type them
_ASKED = r"(?:\?|\s*$)"  # a question mark, or a question typed without one at the end of the message
_MINE = r"(?:me|my|us|our|i|i'm|im)"  # the person's own
_NOT_THEIRS = r"(?:(?! " + _MINE + r"\b)[^.!?]){0,200}"  # nothing of the person's own in it
_ABOUT_ME = re.compile(
    r"\b(?:(?:do|did|have) " + _YOU + r" |would " + _YOU + r" (?:ever|rather) )" + _NOT_ABOUT_ME
    + r"[a-z']+" + _NOT_THEIRS + _ASKED
    + r"|are " + _YOU + r" (?:ever |also |still |really |even )?(?:a |an )?(?:happy|sad|lonely|okay|ok|alright|tired|"
    r"bored|scared|afraid|angry|jealous|satisfied|married|single|morning person|night owl)\b"
    r"(?! (?:for|with|at|of|about) (?:me|us|my|our)\b)"
    r"[^.!?]{0,200}" + _ASKED
    + r"|(?:what(?:'s|s| is| are) " + _YOUR + r" (?:favou?rite|own)|what (?:do|did) " + _YOU
    + r" do (?:for fun|this weekend|on (?:the )?weekends?|today|last night)|what (?:kind|sort|type) of \w+ do " + _YOU
    + r" (?:like|listen to|watch|read|play|enjoy)|what makes " + _YOU + r" (?:laugh|happy|sad|smile|cry|angry)|"
    r"what was " + _YOUR + r" (?:childhood|day|weekend))\b" + _NOT_THEIRS + r"(?:" + _ASKED + r")?"
    r"|what(?:'s|s| is| was) the (?:best|worst|last|first|most) [^.!?]{0,40}\b" + _YOU + r"\b" + _NOT_THEIRS + _ASKED
    + r"|if " + _YOU + r" could\b[^.!?]{0,80}\b(?:would " + _YOU + r"|would it be)\b" + _NOT_THEIRS + _ASKED
    + r"|is there anything (?:that )?" + _YOU + r"(?:'d| would)?\b[^.!?]{0,200}\?|" + _ITS_NATURE.pattern,
    re.IGNORECASE,
)
_A_FEELING = re.compile(  # how it feels, not what made them feel ("shoes that made your sole happy")
    r"\b(?:you|u) (?:(?:ever|also|still|really|even|just|sometimes) )*(?:feel|felt|get (?:so |really |very )?(?:tired|bored|"
    r"lonely|sad|scared|afraid|angry|mad|jealous|anxious|nervous|upset|stressed|depressed|hurt|frustrated)\b)|"
    r"\bare (?:you|u) (?:(?:ever|also|still|really|even) )*(?:happy|sad|lonely|okay|ok|alright|tired|bored|scared|afraid|"
    r"angry|jealous)\b|\bfeelings\b",
    re.IGNORECASE,
)
_SAYS_WHAT_IT_IS = re.compile(
    r"\b(?:as an ai|being an ai|i'm an ai|i am an ai|i'm not a (?:person|human)|"
    r"i don't have (?:a life|feelings|a body))\b",
    re.IGNORECASE,
)
_NATURE_LINES = ("I'm an AI companion, not a person, but I'm really here and listening.",)
# By the kind of question (_kind): the first sentence before the listener's own words ...
_FIRST_LINES = {
    "nature": _NATURE_LINES,
    "feeling": (
        "I'm an AI, so I don't feel it the way you do, but I'm here with you.",
        "As an AI, I don't have feelings like yours, but I'm glad to be here with you.",
    ),
    "life": (
        "I'm an AI, so I don't have a life like yours to compare, but I love hearing about yours.",
        "Being an AI, I don't have a life of my own to draw on, but I'd love to hear about yours.",
    ),
}
# ... and, asked that alone, the answer and then their own question asked back of them, where it reads
# the same both ways ("Do you ever disagree with your Mom?" is a question about their mom when they are
# asked it), is short, and holds nothing of their own life ("like my brother"); else a question of its
# own. Two readers rated the colder answer alone with a bare "What about you?" 2 of 5.
_TURNED_BACK = {
    "nature": "What's on your mind?", "feeling": "How are you feeling?", "life": "What about you?",
}  # fmt: skip
_ASKED_BACK_WORDS = 12
_WHAT_IT_HAS = re.compile(r"\b(?:feelings|emotions|a soul|a heart|consciousness|a body|a brain|a mind)\b", re.IGNORECASE)
_SPELT = {r"\bu\b": "you", r"\bur\b": "your", r"\bwhats\b": "what's"}
_THEIR_OWN = re.compile(r"\b(?:" + _MINE + r"|i've|mine|myself|we)\b", re.IGNORECASE)


def _asked_back(message: str, asked: re.Match[str]) -> str | None:
    """Their question about the companion, asked back of them in plain spelling ("whats ur favorite
    food" -> "How about you, what's your favorite food?"); None where it would not read the same."""
    end = message.find("?", asked.start())
    question = message[asked.start() : end if end >= 0 else len(message)].strip().rstrip("?!. ")
    if not question or len(question.split()) > _ASKED_BACK_WORDS or _THEIR_OWN.search(question):
        return None
    if _WHAT_IT_HAS.search(question):  # "Do you have feelings?" is not a question to put to a person
        return None
    for typed, spelt in _SPELT.items():
        question = re.sub(typed, spelt, question, flags=re.IGNORECASE)
    return f"How about you, {question[0].lower()}{question[1:]}?"


def _kind(question: str) -> str:
    return "nature" if _ITS_NATURE.search(question) else "feeling" if _A_FEELING.search(question) else "life"


@functools.lru_cache(maxsize=256)  # read again for every candidate and sentence of one reply
def asked_about_me(message: str) -> bool:
    """Whether the message asks the companion about its own life, feelings or nature, with nothing
    heavier beside it: a loss or a worry ("Do you have a dog? Mine just died.") is what to answer."""
    return bool(_questions_about_me(message))


def _questions_about_me(message: str) -> list[re.Match[str]]:
    """The questions about the companion in the message (with curly apostrophes read as straight);
    none beside a loss or a worry."""
    message = message.replace("\u2019", "'")
    if _DEATH.search(message) or LOSS.search(message) or WORRY.search(message):
        return []
    return list(_ABOUT_ME.finditer(message))


def companion_line(message: str, reply: str) -> str | None:
    """An honest first sentence for a question about the companion itself: what it is, and that it
    has no life or feelings like theirs to tell of; None when none was asked or the reply says so."""
    asked = _questions_about_me(message)
    # A question that leads into a story ("Have you ever felt sandpaper on your bottom? Because that is
    # what the new toilet paper feels like.") is the person's way in, not a question left to answer.
    if not asked or len(words(asked[-1].string[asked[-1].end() :])) >= 6:
        return None
    if _SAYS_WHAT_IT_IS.search(reply.replace("\u2019", "'")):
        return None
    return line_for(asked[-1].string, _FIRST_LINES[_kind(asked[-1].group(0))])


# How a question is put before it is asked ("lol random question but", "sorry if this is weird but"):
# nothing of their own to answer, so the question still stands alone.
_LEAD_IN = re.compile(
    r"^\W*(?:(?:lol|haha|ok(?:ay)?|so|hey|um+|hmm+)\W+)*(?:(?:random|weird|dumb|silly|quick) question|"
    r"this (?:is|might be|may be) (?:random|weird|a weird question|a dumb question)|sorry if this is (?:weird|random)|"
    r"(?:i'?m|im|just) curious|can i ask(?: you)?(?: something)?)(?:\W+but\b|\W)*",
    re.IGNORECASE,
)


def companion_reply(message: str, last_reply: str = "") -> str | None:
    """The whole reply to a message that only asks about the companion itself ("Do you have a
    favorite movie?"): the honest answer, and the question turned back, in other words than the
    companion's `last_reply`; None for any other message."""
    asked = _questions_about_me(message)
    if not asked or len(words(_ABOUT_ME.sub(" ", _LEAD_IN.sub("", asked[-1].string)))) >= 4:
        return None
    message, kind = asked[-1].string, _kind(asked[-1].group(0))
    answer = line_for(message, [a for a in _FIRST_LINES[kind] if a not in last_reply] or _FIRST_LINES[kind])
    already_turned = re.search(r"\babout you\b", message, re.IGNORECASE)  # "What about you, ...?"
    if kind == "life" and already_turned:
        return f"{answer} What made you ask?"
    back = None if kind == "nature" else _asked_back(message, asked[-1])
    return f"{answer} {back or _TURNED_BACK[kind]}"


def first_line(message: str, reply: str) -> str | None:
    """What a reply says before anything else, whoever wrote it: "How are you?" answered, harm the
    person did met honestly, self-blame met gently, a question about the companion itself answered
    honestly, or a question about an outcome met honestly; None when it needs none."""
    return (
        greeting_line(message, reply) or owning_line(message, reply) or gentle_line(message, reply)
        or companion_line(message, reply) or honest_line(message, reply)
    )  # fmt: skip


def _line_unless_met(
    message: str, reply: str, asks: re.Pattern[str], meets: re.Pattern[str], lines: Sequence[str]
) -> str | None:
    """One of `lines` when the message `asks` for something the reply does not `meet`; else None."""
    return line_for(message, lines) if asks.search(message) and not meets.search(reply) else None


def line_for(message: str, lines: Sequence[str]) -> str:
    """One of `lines`, the same for the same message, varied across messages."""
    return lines[sum(map(ord, message)) % len(lines)]


def takes_sides(reply: str) -> bool:
    """Whether the reply cheers, commiserates or recoils, rather than staying with the person."""
    return bool(_CHEER.search(reply) or _MOURN.search(reply) or _RECOILS.search(reply))


def clean(text: str) -> str:
    """The spoken form of a generated reply; empty when nothing whole is left."""
    text = _EMOJI.sub("", _QUOTES.sub("", text))
    lines = [_ROLE.sub("", line) for line in text.splitlines()]
    # A second speaker's line means the model went on writing the conversation: keep the first.
    text = _MARKUP.sub(" ", lines[0] if lines else "")
    text = re.sub(r"\s+([.!?,])", r"\1", _SPACE.sub(" ", text)).strip()
    kept = [s for s in sentences(text) if s[-1:] in ".!?"][:MAX_SENTENCES]
    return " ".join(kept)


def problems(reply: str, context: list[str], emotion: str) -> list[str]:
    """Why the reply must not be sent; empty when it may."""
    found = []
    if len(words(reply)) < MIN_WORDS:
        found.append("too short")
    if not is_safe_reply(reply):
        found.append("failed the safety check")
    if _HOSTILE.search(reply):
        found.append("sounds unkind")
    asks_outcome = WORRY.search(context[-1]) or OUTCOME_QUESTION.search(context[-1])
    if _PROMISE.search(reply) or (asks_outcome and _SETTLED.search(reply)):
        found.append("promises an outcome")
    if not looks_english(reply) or any(not ch.isascii() for ch in reply if ch.isalpha()):
        found.append("not English")
    upbeat, message = family_of(emotion) in UPBEAT_FAMILIES, context[-1]
    if (not upbeat and emotion != "surprised" or WORRY.search(message)) and _CHEER.search(reply):
        found.append("cheers bad news")
    if upbeat and (_MOURN.search(reply) or _RECOILS.search(reply)):
        found.append("mourns good news")
    elif LAUGHS.search(message) and not (LOSS.search(message) or WORRY.search(message)) and _MOURN.search(reply):
        found.append("mourns a joke")
    if _RATES_THE_QUESTION.search(reply):
        found.append("rates the question instead of answering it")
    if _LAUGHS_FIRST.match(reply) and not LAUGHS.search(message):
        found.append("laughs where they did not")
    plays_along = any(p.search(reply) for p in (LAUGHS, _LAUGHS_FIRST, _CHEER, _PLAYS_ALONG))
    if SELF_PUT_DOWN.search(message) and plays_along:
        found.append("plays along with how they put themselves down")
    if (SELF_BLAME.search(message) or emotion in ("guilty", "ashamed")) and _JUDGES_THE_ACT.search(reply):
        found.append("judges someone who already blames themselves")
    if QUESTION_CUE.search(context[-1].strip()) and all(s.endswith("?") for s in sentences(reply)):
        found.append("answers a question with only a question")
    # The wish may come a turn before the question ("Is that normal?").
    if any(wants_to_harm(said) for said in context[::-2][:2]) and _CALLS_IT_OKAY.search(reply):
        found.append("calls a wish to harm okay")
    if _SORRY_HURT.search(reply) and not _HARM.search(" ".join(context[::-2])):
        found.append("says they were hurt when no one said so")
    if asks_what_was_said(reply, message) or asks_what_was_named(reply, message):
        found.append("asks what they have just said")
    if says_again(reply, context[-2::-2]):  # the companion's own turns
        found.append("says again what it said before")
    conversation = " ".join(context)
    death_spoken = _DEATH.search(conversation) or _SPOKEN_LOSS.search(conversation)
    if _DEATH.search(reply) and not death_spoken:
        found.append("speaks of a death no one mentioned")
    if death_spoken and _HOW_DIED.search(reply):
        found.append("asks how someone died")
    if _DIED.search(conversation) and _AS_IF_ALIVE.search(reply):
        found.append("asks after the one who died")
    if makes_light_of_harm(message, reply):
        found.append("makes light of harm they did")
    if _LOCKED_UP.search(conversation) and _WHAT_THEY_DID.search(reply):
        found.append("asks what someone did to be locked up")
    mine = content_words(reply)
    if len(mine) >= 3 and sum(w in content_words(context[-1]) for w in mine) / len(mine) > 0.7:
        found.append("repeats the user's own words")
    said = " ".join(context).lower()
    strangers = [
        w for s in sentences(reply) for w in re.findall(r"(?<!^)(?<![.!?] )\b[A-Z][a-z]{2,}\b", s)
        if w.lower() not in said and w not in ("I", "I'm", "I'd", "I've", "I'll")
    ]
    if strangers:
        found.append("names someone the user never mentioned")
    if relatives(reply) - relatives(said):
        found.append("names a relative no one mentioned")
    if presumes_a_pair(reply, said):
        found.append("speaks of a pair no one mentioned")
    # "Sixteen and a half on a test you studied all week" to a 68: a number, in digits or in words,
    # that no one gave. The 57 rated candidates that stated one read 0.69 below their context's others.
    if numbers(reply) - numbers(said, lone=True):
        found.append("brings in numbers the user never gave")
    return found
