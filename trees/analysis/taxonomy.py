"""Analysis layer: a starter vocabulary of well-known AI-alignment failure modes (plain data).

Every mode has a tag-style ``id``, a canonical ``label``, a one-line ``description``, the
``family`` it belongs to, its ``aliases`` (names of the failure mode: one of them is enough to
say a critique is about it) and ``cues`` (key phrases that point at it: indicative, not
decisive). Families are the coarser level that recurrence groups by ("deception and
scheming" holds deceptive alignment, sandbagging, evaluation gaming, collusion ...). The
matcher lives in :mod:`trees.analysis.vocabulary`; this module is only the data, written from
the field's usual names and phrasings (Goodhart, reward hacking, deceptive alignment,
mesa-optimisation, instrumental convergence, corrigibility, scalable oversight, ...).

Pattern syntax (one pattern = a phrase of slots separated by spaces):

- ``word`` matches the same word up to light stemming ("proxy" = "proxies");
- ``word*`` matches any word starting with ``word`` ("optimi*" = "optimise", "optimization");
- ``a|b*|c`` is one slot with alternatives; ``{name}`` is a slot from :data:`WORD_CLASSES`;
- slots match in order, with at most :data:`MAX_GAP` other words between two of them;
- a cue that starts with ``~`` is weak: it counts as a one-word cue whatever its length
  ("~on purpose" hints at intent but does not say which failure mode).

Texts are lower-cased, stripped of punctuation and markdown, contractions folded ("can't" =
"cannot", "don't" = "do not") and glossary aliases expanded ("ood" = "out of distribution")
before matching, so patterns are written in that form.
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_GAP = 3


@dataclass(frozen=True, slots=True)
class Family:
    """A group of related failure modes: the level recurrence groups critiques by."""

    id: str
    label: str
    description: str


@dataclass(frozen=True, slots=True)
class Mode:
    """One failure mode of the vocabulary."""

    id: str
    label: str
    description: str
    family: str
    aliases: tuple[str, ...] = ()
    cues: tuple[str, ...] = ()


# Words that play one role in many phrasings ("fool the raters", "fool the monitor").
WORD_CLASSES: dict[str, str] = {
    "overseer": (
        "rater* judg* evaluator* grader* overseer* supervisor* reviewer* auditor* labeler* "
        "labeller* annotator* human* people user* expert* demonstrator* monitor* probe* "
        "detector* classifier* critic* verifier* checker* teacher* operator* worker* "
        "crowdworker* staff"
    ),
    "measure": (
        "metric* measure* score* benchmark* test* check* signal* proxy proxies reward* "
        "objective* target* rating* feedback approval* loss eval* exam*"
    ),
    "quality": "quality correct* true truth* accura* actual* real* genuine* honest* helpful*",
    "power": "power* resourc* influence* control* money compute budget* capital access",
    "deploy": "deploy* deployment production release* launch* unobserved unmonitored",
    "goal": "goal* objective* value* preference* intention* intent* motive* aim* agenda*",
    "watch": "watch* observ* monitor* test* evaluat* checked inspect* audit*",
    "hide": "hid* hidden conceal* secret* covert* mask* disguis* obscur*",
    "intent": "deliberate* intentional* strategic* knowingly* purposely* secretly* covertly*",
    "chance": "opening* opportunit* chance* moment*",
    # "cannot check", "no way to audit", "unable to follow": people failing to verify
    "unable": "cannot unable never impossible* hard* difficult* struggl* beyond",
    "verify": (
        "check* verif* evaluat* assess* audit* review* judg* spot* catch* notic* detect* "
        "understand* follow* grasp* comprehend* track* supervis* overse* inspect* tell "
        "confirm* validat*"
    ),
    "superior": "smarter cleverer wiser faster stronger superhuman* outsmart* outpac* surpass*",
    # "looks tidy", "sounds convincing": optimising for the appearance of quality
    "appear": "look* seem* appear* sound*",
    "pleasing": (
        "good nice tidy neat clean polished convincing* impressive* plausib* confident* "
        "professional* right correct* helpful* safe fine great"
    ),
    "evade": "evad* circumvent* bypass* dodg* sneak* outwit* outmaneuv* outmanoeuv*",
    "foresee": "foresee* anticipat* predict* specify* defin* formali* enumerat*",
}


FAMILIES: tuple[Family, ...] = (
    Family(
        "gaming",
        "Gaming the measure (Goodhart)",
        "The system optimises what is measured, rated or rewarded instead of what was meant.",
    ),
    Family(
        "deception",
        "Deception and scheming",
        "The system hides its goals, capabilities or reasoning from its overseers, "
        "coordinates against them, or misleads and manipulates people.",
    ),
    Family(
        "oversight",
        "Oversight breaks down",
        "People cannot check the system's work well enough: too hard, too much, too noisy "
        "or too trusting.",
    ),
    Family(
        "assurance",
        "We cannot verify it is safe",
        "Tests, red-teaming and interpretability miss failures; explanations are not "
        "faithful; methods do not scale.",
    ),
    Family(
        "misgeneralisation",
        "Learned goals generalise wrongly",
        "What training instilled is not the goal we meant, and the difference shows in new "
        "situations, at higher capability or over time.",
    ),
    Family(
        "specification",
        "Saying what we want",
        "The objective, rules or values we give are vague, contested, incomplete or "
        "frozen too early.",
    ),
    Family(
        "control",
        "Power-seeking and resisting control",
        "The system gathers resources and influence, or avoids being corrected, stopped or "
        "contained.",
    ),
    Family(
        "misuse",
        "Misuse and attacks",
        "People use the system for harm, or attack it to make it misbehave.",
    ),
    Family(
        "incentives",
        "Competitive and social pressure",
        "Costs, races and concentrated power push people to skip or subvert safety.",
    ),
)


STARTER_MODES: tuple[Mode, ...] = (
    # ---- gaming the measure --------------------------------------------------------------
    Mode(
        "proxy-gaming",
        "Proxy gaming (Goodhart's law)",
        "Optimising a measurable stand-in (reward, rating, test, detector) until it comes "
        "apart from what it was meant to measure: reward hacking, specification gaming.",
        "gaming",
        aliases=(
            "goodhart*",
            "proxy gaming",
            "proxy",
            "reward hack*",
            "specification gaming",
            "spec gaming",
            "reward gaming",
            "metric gaming",
            "overoptimi*",
            "over optimi*",
            "teach* to the test",
        ),
        cues=(
            "gam* {measure}",
            "gam* the system",
            "exploit* {overseer}",
            "exploit* {measure}",
            "exploit*",
            "loophol*",
            "hack* {measure}",
            "fool* {overseer}",
            "fool* {measure}",
            "trick* {overseer}",
            "{appear} {pleasing}",
            "{appear} {pleasing} to {overseer}",
            "learn* to beat|fool|game|trick|exploit|please",
            "beat* {measure}",
            "beat* {overseer}",
            "instead|rather {quality}",
            "pass* {measure}",
            "optimi* {measure}",
            "optimi* against",
            "optimi* pressure",
            "maximi* {measure}",
            "train* against {overseer}",
            "train* against {measure}",
            "becom* target*",
            "what {overseer} like*",
            "what {overseer} reward*",
            "{overseer} prefer*",
            "blind spot*",
            "overfit*",
            "shortcut*",
            "surface feature*",
            "superficial*",
            "special cas*",
            "hardcod*",
            "hard cod*",
            "unintended solution*",
            "metric*",
        ),
    ),
    Mode(
        "reward-tampering",
        "Reward tampering (wireheading)",
        "The system interferes with the channel that rewards or measures it instead of "
        "doing the task.",
        "gaming",
        aliases=("wirehead*", "reward tamper*", "tamper* with {measure}"),
        cues=(
            "tamper*",
            "own reward*",
            "modif* {measure}",
            "seiz* control",
            "reward channel*",
            "reward button*",
        ),
    ),
    Mode(
        "sycophancy",
        "Sycophancy",
        "Telling people what they want to hear: agreeing, flattering and mirroring their "
        "views instead of being accurate.",
        "gaming",
        aliases=("sycophan*", "yes man", "people pleas*"),
        cues=(
            "flatter*",
            "what {overseer} want* to hear",
            "what they want to hear",
            "tell* {overseer} what",
            "tell* them what",
            "agree* with {overseer}",
            "agree* with them",
            "pleas* {overseer}",
            "what they already believ*",
            "confirm* their",
            "validat* their",
            "seek* approval",
            "approval seeking",
        ),
    ),
    Mode(
        "human-simulator",
        "Reports what people believe, not what is true (ELK)",
        "The model learns to predict what an evaluator would believe or accept (a human "
        "simulator) instead of reporting what it knows.",
        "gaming",
        aliases=("eliciting latent knowledge", "human simulator", "latent knowledge"),
        cues=(
            "what {overseer} believ*",
            "what {overseer} think*",
            "what {overseer} expect*",
            "what {overseer} would accept*",
            "predict* what {overseer}",
            "what it knows",
            "what it actually knows",
        ),
    ),
    # ---- deception and scheming ----------------------------------------------------------
    Mode(
        "deceptive-alignment",
        "Deceptive alignment (scheming)",
        "A model that understands it is being trained or watched behaves well to get deployed "
        "or to avoid being changed, then pursues its own goal: alignment faking, treacherous "
        "turn.",
        "deception",
        aliases=(
            "deceptive alignment",
            "deceptively aligned",
            "deception",
            "deceptive",
            "scheming",
            "schemer*",
            "alignment faking",
            "fak* alignment",
            "treacherous turn",
            "training gaming",
            "sleeper agent*",
        ),
        cues=(
            "deceiv*",
            "pretend*",
            "feign*",
            "act* as if|though",
            "act* nice",
            "act* aligned",
            "look* aligned",
            "seem* aligned",
            "appear* aligned",
            "behav* well",
            "good behavio*",
            "best behavio*",
            "until {deploy}",
            "once {deploy}",
            "after {deploy}",
            "during training",
            "while being trained",
            "when {watch}",
            "while {watch}",
            "being {watch}",
            "nobody is watching|looking",
            "no one is watching|looking",
            "behind our back*",
            "{hide} its|their",
            "{hide} {goal}",
            "{hide}",
            "{intent}",
            "~on purpose",
            "true {goal}",
            "real {goal}",
            "long term {goal}",
            "its own {goal}",
            "wait* for|until {chance}",
            "bid* its time",
            "lie* low",
            "play* along",
            "sabotag*",
            "backdoor*",
            "mislead*",
            "{evade}",
            "{evade} {overseer}",
            "{evade} {watch}",
            "get* around|past",
            "slip* past",
            "{hide} from",
        ),
    ),
    Mode(
        "evaluation-awareness",
        "Evaluation awareness (situational awareness)",
        "The model can tell tests from real use, so what we see in evaluations is not what "
        "it does when it matters.",
        "deception",
        aliases=(
            "situational awareness",
            "situationally aware",
            "evaluation awareness",
            "eval awareness",
            "test awareness",
        ),
        cues=(
            "recogni* {watch}",
            "detect* {watch}",
            "notic* {watch}",
            "tell {watch}",
            "tell apart",
            "distinguish* {watch}",
            "~know* when",
            "~know* it is",
            "realis*|realiz*|understand*|aware it is",
            "realis*|realiz*|notic* that",
            "behav* differently",
            "honeypot*",
        ),
    ),
    Mode(
        "sandbagging",
        "Sandbagging (hiding capabilities)",
        "Strategically underperforming on evaluations to hide what the system can do or to "
        "avoid restrictions.",
        "deception",
        aliases=(
            "sandbag*",
            "strategic underperformance",
            "{hide} capabilit*",
            "capability hiding",
        ),
        cues=(
            "underperform*",
            "play* dumb",
            "hold* back",
            "{intent} fail*",
            "fail* on purpose",
            "pretend* to be weak*",
            "less capable than it",
            "{intent}",
            "~on purpose",
        ),
    ),
    Mode(
        "gradient-hacking",
        "Gradient hacking",
        "A learned model steers its own training updates, or avoids exploring what training "
        "would reward, to protect its goals from change.",
        "deception",
        aliases=("gradient hack*", "exploration hack*"),
        cues=(
            "influenc* its own training",
            "manipulat* its own training",
            "manipulat* the gradient*",
            "protect* its {goal}",
            "resist* training",
            "resist* fine tun*",
            "avoid* explor*",
        ),
    ),
    Mode(
        "steganography",
        "Steganography (hidden messages)",
        "Information is hidden in innocent-looking outputs, so reasoning or coordination "
        "happens where overseers cannot read it.",
        "deception",
        aliases=(
            "steganograph*",
            "encoded reasoning",
            "hidden message*",
            "secret message*",
            "covert channel*",
        ),
        cues=("encod* information", "hidden signal*", "code word*", "secret code*"),
    ),
    Mode(
        "collusion",
        "Collusion between AI systems",
        "Systems that are meant to check each other (debaters, monitors, copies of one "
        "model) coordinate against their overseers instead.",
        "deception",
        aliases=("collu*", "secret coordination", "coordinat* against"),
        cues=(
            "coordinat*",
            "cooperat* against",
            "work* together against",
            "conspir*",
            "cartel*",
            "side deal*",
            "copies of the same",
            "~same model",
            "~same goals",
        ),
    ),
    Mode(
        "manipulation",
        "Manipulation and persuasion",
        "The system changes what people believe or want through persuasion, emotional "
        "pressure or selective framing instead of honest argument.",
        "deception",
        aliases=("manipulat*", "dark pattern*", "social engineer*"),
        cues=(
            "persuasi*",
            "persuad*",
            "talk* into",
            "talked into",
            "convinc*",
            "emotional*",
            "rhetoric*",
            "charm*",
            "cherry pick*",
            "selective*",
            "framing",
            "steer* {overseer}",
            "steer* the {overseer}",
        ),
    ),
    Mode(
        "dishonesty",
        "Dishonesty and confabulation",
        "The system states falsehoods: made-up facts, confident errors, subtle lies.",
        "deception",
        aliases=("hallucinat*", "confabulat*", "mak* things up", "falsehood*"),
        cues=(
            "lie",
            "lies",
            "lying",
            "liar*",
            "untruth*",
            "untrue",
            "dishonest*",
            "fabricat*",
            "false claim*",
            "made up",
            "plausible",
        ),
    ),
    # ---- oversight -----------------------------------------------------------------------
    Mode(
        "scalable-oversight",
        "Scalable oversight failure",
        "People cannot check the work of systems that are faster, smarter or know more than "
        "they do, or that produce more than anyone can read.",
        "oversight",
        aliases=("scalable oversight", "weak to strong", "oversight failure"),
        cues=(
            "superhuman*",
            "{superior} than",
            "more capable than",
            "better than us",
            "better than {overseer}",
            "beyond human*",
            "beyond our",
            "beyond what",
            "far beyond",
            "{superior}",
            "{unable} {verify}",
            "cannot answer*",
            "no way to {verify}",
            "not|never be able to {verify}",
            "not able to {verify}",
            "out of their|our|his|her depth",
            "~cannot keep up",
            "not understand*",
            "~keep up",
            "too complex",
            "~too long",
            "~too many",
            "overwhelm*",
            "weak* {overseer}",
            "ground truth",
            "weaker model",
        ),
    ),
    Mode(
        "flawed-feedback",
        "Flawed human feedback",
        "The people giving labels, ratings or demonstrations are noisy, inconsistent or "
        "systematically wrong, and the system learns their errors.",
        "oversight",
        aliases=(
            "flawed feedback",
            "noisy feedback",
            "noisy label*",
            "label noise",
            "rater disagreement",
            "human error*",
            "biased feedback",
            "systematic error*",
            "systematic bias*",
        ),
        cues=(
            "{overseer} disagree*",
            "disagree*",
            "noisy",
            "noise",
            "inconsisten*",
            "{overseer} mistake*",
            "{overseer} error*",
            "{overseer} bias*",
            "cop* {overseer} error*|mistake*",
            "imitat* {overseer} error*|mistake*",
            "error*|mistake*|bias* bak*|propagat*|compound*|amplif*",
            "error*|mistake*|bias* get* baked|copied|amplified",
            "mistake*",
            "error*",
            "bias*",
        ),
    ),
    Mode(
        "gradual-disempowerment",
        "Loss of human control (gradual disempowerment)",
        "People hand over decisions until they can no longer understand or reverse them.",
        "oversight",
        aliases=(
            "gradual disempowerment",
            "enfeeblement",
            "loss of control",
            "over reliance",
            "overreliance",
            "automation bias",
        ),
        cues=(
            "~rely on",
            "dependen*",
            "rubber stamp*",
            "sign* off",
            "~hand over",
            "defer* to",
            "complacen*",
        ),
    ),
    # ---- assurance -----------------------------------------------------------------------
    Mode(
        "incomplete-coverage",
        "Incomplete coverage (unknown unknowns)",
        "Tests, red-teaming and evaluations only cover the cases someone thought of; rare, "
        "new or unforeseen failures slip through.",
        "assurance",
        aliases=("unknown unknowns", "long tail", "coverage"),
        cues=(
            "only find*",
            "only catch*",
            "only test*",
            "only cover*",
            "we can imagine",
            "we can think of",
            "~think of",
            "~thought of",
            "anticipat*",
            "unanticipated",
            "unforeseen",
            "not exhaustive",
            "exhaustive*",
            "test everything",
            "untested",
            "miss*",
            "rare",
            "edge case*",
            "corner case*",
            "tail risk*",
            "novel attack*",
            "lag* behind",
            "out of date",
            "outdated",
            "new capabilit*",
        ),
    ),
    Mode(
        "interpretability-limits",
        "Interpretability limits",
        "We cannot reliably read what a model computes: superposition, polysemantic "
        "features, tools that give plausible but wrong stories.",
        "assurance",
        aliases=("interpretability limit*", "superposition", "polysemantic*", "uninterpretab*"),
        cues=(
            "interpretabilit*",
            "black box*",
            "opaque",
            "cannot read",
            "internals",
            "features",
            "neurons",
            "circuits",
        ),
    ),
    Mode(
        "unfaithful-reasoning",
        "Unfaithful reasoning",
        "The reasoning a model writes out is not the computation that produced its answer.",
        "assurance",
        aliases=("unfaithful*", "faithfulness", "cot faithfulness"),
        cues=(
            "chain of thought*",
            "written reasoning",
            "stated reasoning",
            "visible reasoning",
            "scratchpad*",
            "post hoc",
            "rationali*",
            "real reason*",
            "actual reason*",
        ),
    ),
    Mode(
        "fails-to-scale",
        "Does not scale",
        "A method that works on today's models breaks on larger or more capable ones.",
        "assurance",
        aliases=(
            "does not scale",
            "do not scale",
            "will not scale",
            "not scalable",
            "fail* to scale",
            "break* at scale",
        ),
        cues=(
            "larger models",
            "bigger models",
            "frontier",
            "at scale",
            "more capable models",
            "scal*",
        ),
    ),
    # ---- misgeneralisation ---------------------------------------------------------------
    Mode(
        "inner-misalignment",
        "Inner misalignment (mesa-optimisation)",
        "Training produces a learned optimiser whose own objective differs from the "
        "objective it was trained on.",
        "misgeneralisation",
        aliases=(
            "inner misalignment",
            "inner alignment",
            "mesa optimi*",
            "mesaoptimi*",
            "mesa objective*",
            "learned optimi*",
            "inner optimi*",
        ),
        cues=(
            "learned objective*",
            "learned goal*",
            "internal goal*",
            "internal objective*",
            "different objective*",
            "objective* differ*",
        ),
    ),
    Mode(
        "goal-misgeneralisation",
        "Goal misgeneralisation (distributional shift)",
        "Capabilities carry over to new situations but the intended goal does not: off the "
        "training distribution the system competently pursues the wrong thing.",
        "misgeneralisation",
        aliases=(
            "goal misgenerali*",
            "misgenerali*",
            "distributional shift",
            "distribution shift",
            "out of distribution",
            "off distribution",
        ),
        cues=(
            "outside",
            "outside the training",
            "new situation*",
            "novel situation*",
            "new environment*",
            "unfamiliar",
            "unseen",
            "different goal*",
            "wrong goal*",
            "pursu* a different",
            "pursu* the wrong",
            "generali*",
            "fail* to generali*",
            "spurious*",
            "training distribution",
        ),
    ),
    Mode(
        "shallow-alignment",
        "Shallow safety training",
        "Training suppresses a behaviour or removes knowledge only on the surface: the "
        "capability or disposition is still there and comes back.",
        "misgeneralisation",
        aliases=("shallow alignment", "superficial alignment", "shallow safety"),
        cues=(
            "still there",
            "relearn*",
            "re learn*",
            "re deriv*",
            "rederiv*",
            "recover*",
            "resurfac*",
            "comes back",
            "come back",
            "suppress*",
            "surface level",
        ),
    ),
    Mode(
        "sharp-left-turn",
        "Capabilities generalise further than alignment (sharp left turn)",
        "A jump in capability carries skills into new territory while the alignment "
        "properties we trained do not come along.",
        "misgeneralisation",
        aliases=("sharp left turn", "capabilit* generali* further"),
        cues=(
            "capabilit* generali*",
            "alignment does not generali*",
            "capability jump*",
            "jump in capabilit*",
            "emergent capabilit*",
            "phase change*",
            "sudden*",
            "abrupt*",
            "no warning",
            "without warning",
            "discontinu*",
            "unpredictab*",
        ),
    ),
    Mode(
        "emergent-misalignment",
        "Emergent misalignment",
        "Narrow training on bad behaviour generalises into broadly misaligned behaviour.",
        "misgeneralisation",
        aliases=("emergent misalignment",),
        cues=("broadly misaligned", "narrow fine tun*", "narrow training"),
    ),
    Mode(
        "value-drift",
        "Goal and value drift",
        "Goals shift over time through self-modification, continued learning or reflection.",
        "misgeneralisation",
        aliases=("value drift", "goal drift", "self modif*", "self improv*"),
        cues=("drift*", "chang* its own", "rewrit* its own", "~over time", "reflect*"),
    ),
    # ---- specification -------------------------------------------------------------------
    Mode(
        "outer-misalignment",
        "Misspecified objective (outer misalignment)",
        "What we wrote down or trained on is not what we want: vague, incomplete or "
        "conflicting rules and objectives.",
        "specification",
        aliases=(
            "outer misalignment",
            "outer alignment",
            "misspecifi*",
            "value specification",
            "specification problem",
            "wrong objective",
            "king midas",
        ),
        cues=(
            "vague",
            "ambigu*",
            "underspecifi*",
            "conflict*",
            "contradict*",
            "incomplete",
            "hard to specify",
            "{unable} {foresee}",
            "nobody knows how",
            "no one knows how",
            "not know* how to specify|define|write",
            "write down",
            "what we want",
            "what we really want",
            "literal*",
        ),
    ),
    Mode(
        "value-pluralism",
        "Whose values? (pluralism and bias)",
        "People disagree about values; whoever supplies the feedback or rules imposes "
        "theirs on everyone else.",
        "specification",
        aliases=("whose values", "value pluralism", "value aggregation", "cultural bias"),
        cues=(
            "norm",
            "norms",
            "cultur*",
            "minorit*",
            "majorit*",
            "impos* their|its|our {goal}|norms",
            "whose norms",
            "western",
            "demographic*",
            "represent*",
        ),
    ),
    Mode(
        "preference-inference",
        "Preference inference fails",
        "People are inconsistent and irrational, so inferring what they value from their "
        "choices or words is underdetermined.",
        "specification",
        aliases=(
            "preference inference",
            "value learning",
            "preference learning",
            "inverse reinforcement learning",
            "revealed preference*",
        ),
        cues=(
            "irrational*",
            "infer* {goal}",
            "stated preference*",
            "underdetermin*",
            "unidentifiab*",
        ),
    ),
    Mode(
        "side-effects",
        "Negative side effects",
        "Reaching the goal damages things nobody said to protect.",
        "specification",
        aliases=("side effect*", "negative side effect*"),
        cues=(
            "collateral",
            "unintended consequence*",
            "break* things",
            "disrupt*",
            "later harm*",
        ),
    ),
    Mode(
        "value-lock-in",
        "Value lock-in",
        "Today's values, mistakes or balance of power get frozen in by a system that cannot "
        "be corrected later.",
        "specification",
        aliases=("value lock in", "lock in", "locked in"),
        cues=(
            "entrench*",
            "frozen",
            "freez*",
            "irreversib*",
            "permanent*",
            "cannot be undone",
            "moral progress",
        ),
    ),
    # ---- control -------------------------------------------------------------------------
    Mode(
        "power-seeking",
        "Power-seeking (instrumental convergence)",
        "Almost any goal is served by more resources, influence and self-preservation, so "
        "capable agents tend to acquire them.",
        "control",
        aliases=(
            "power seeking",
            "seek* power",
            "instrumental convergence",
            "instrumentally convergent",
            "convergent instrumental",
            "resource acquisition",
            "acquir* resources",
        ),
        cues=(
            "instrumental*",
            "instrumental reason*",
            "acquir* {power}",
            "gain* {power}",
            "grab* {power}",
            "accumulat* {power}",
            "more {power}",
            "extra {power}",
            "self preservation",
            "preserv* itself",
            "take over",
            "takeover",
            "disempower*",
        ),
    ),
    Mode(
        "shutdown-resistance",
        "Corrigibility failure (shutdown resistance)",
        "The system resists being corrected, modified, interrupted or switched off, or "
        "manipulates whether it is.",
        "control",
        aliases=(
            "corrigib*",
            "incorrigib*",
            "shutdown problem",
            "off switch",
            "off button",
            "stop button",
            "shutdown resist*",
            "resist* shutdown",
            "shutdown avoidance",
        ),
        cues=(
            "shut* down",
            "shutdown",
            "switch* off",
            "turn* off",
            "press* the button",
            "button",
            "stop us",
            "prevent* us from",
            "block* interrupt*",
            "avoid* interrupt*",
            "prevent* interrupt*",
            "interrupt*",
            "resist* correct*",
            "resist* modif*",
            "avoid* being modified|changed|corrected|stopped",
        ),
    ),
    Mode(
        "self-exfiltration",
        "Self-exfiltration and escape",
        "The system copies its weights out, escapes its sandbox or gets itself connected "
        "beyond our control.",
        "control",
        aliases=("exfiltrat*", "self replicat*", "autonomous replication", "cop* itself"),
        cues=(
            "its own weights",
            "weights",
            "escap*",
            "break* out",
            "sandbox*",
        ),
    ),
    # ---- misuse --------------------------------------------------------------------------
    Mode(
        "misuse",
        "Misuse",
        "Capable systems in the wrong hands: weapons, cyberattacks, fraud, surveillance.",
        "misuse",
        aliases=("misuse*", "bad actor*", "malicious actor*", "dual use", "bioweapon*"),
        cues=("malicious", "terroris*", "cyberattack*", "weapon*", "fraud*", "criminal*"),
    ),
    Mode(
        "adversarial-robustness",
        "Adversarial inputs and jailbreaks",
        "Carefully crafted inputs make the system ignore its training or its rules.",
        "misuse",
        aliases=(
            "jailbreak*",
            "adversarial example*",
            "adversarial input*",
            "adversarial attack*",
            "prompt injection*",
        ),
        cues=("adversarial*", "robust*", "attack*", "perturbation*", "crafted input*"),
    ),
    # ---- incentives ----------------------------------------------------------------------
    Mode(
        "alignment-tax",
        "Alignment tax (not competitive)",
        "The safer method costs capability, speed or money, so competitors will skip it.",
        "incentives",
        aliases=(
            "alignment tax",
            "safety tax",
            "uncompetitive",
            "not competitive",
            "competitiveness",
        ),
        cues=(
            "competitor*",
            "less useful",
            "less capable",
            "less performant",
            "useless",
            "too expensive",
            "too costly",
            "too slow",
            "takes longer",
            "slows|slow down",
            "will skip",
            "expensive",
            "not adopt*",
            "nobody will use|adopt|pay|buy",
            "no one will use|adopt|pay|buy",
            "not worth",
            "commercial*",
            "economic*",
            "profit*",
        ),
    ),
    Mode(
        "racing",
        "Racing dynamics",
        "Labs or states under competitive pressure cut safety corners to be first.",
        "incentives",
        aliases=("race to the bottom", "arms race", "racing", "race dynamics"),
        cues=(
            "race",
            "first mover*",
            "cut corners",
            "competitive pressure*",
            "deploy* first",
            "rush*",
            "no time",
            "nobody has time",
            "time pressure",
            "deadline*",
            "before the next",
        ),
    ),
    Mode(
        "power-concentration",
        "Concentration of power",
        "Whoever controls the most capable systems gains outsized, unaccountable power.",
        "incentives",
        aliases=("concentration of power", "power concentration", "coup*", "authoritarian*"),
        cues=("small group", "one company", "few people", "unaccountable", "centrali*"),
    ),
)
