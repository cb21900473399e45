"""Demo data written by the gametree team: example trees for alignment workshops.

GAME_TREE is a shared alignment game tree: well-known alignment proposals, critiques of them,
patches answering the critiques, and critiques of the patches. Critiques carry failure-mode
tags from a small shared vocabulary; a few critiques are deliberately left untagged so that tag
suggestion has something to do. Some proposals survive (every critique is answered by a
surviving patch) and the rest are broken.

PROBLEM_TREES holds two problem trees drawn separately by two demo users. They cover many of
the same problems in different words, sometimes under different parents, and each has problems
the other lacks, so they make a realistic input for assisted merging.

Every node is a dict with the keys type, text, note, tags, author and children. This module is
plain data: it has no side effects and no asserts at import.
"""

from __future__ import annotations

from typing import Any

Node = dict[str, Any]

# (username, display name). Passwords are set elsewhere.
DEMO_USERS: list[tuple[str, str]] = [
    ("alice", "Alice Chen"),
    ("bob", "Bob Okafor"),
    ("carol", "Carol Lindqvist"),
]

GAME_TREE: dict[str, Any] = {
    "title": "Workshop game tree: alignment proposals",
    "description": (
        "Fifteen well-known alignment proposals with critiques from the research literature, "
        "patches and critiques of those patches. Critiques carry shared failure-mode tags, so "
        "recurring failure modes show up across proposals."
    ),
    "owner": "alice",
    "members": {"bob": "editor", "carol": "editor"},
    "nodes": [
        {
            "type": "proposal",
            "text": (
                "Reinforcement learning from human feedback (RLHF): train a reward model on human "
                "comparisons of pairs of outputs, then optimise the policy against that reward "
                "model with RL."
            ),
            "note": "Christiano et al. 2017; Ouyang et al. 2022 (InstructGPT).",
            "tags": [],
            "author": "alice",
            "children": [
                {
                    "type": "critique",
                    "text": (
                        "Optimising hard against a learned reward model exploits its errors: the "
                        "policy drifts toward outputs the reward model overrates (reward model "
                        "overoptimisation)."
                    ),
                    "note": "Gao, Schulman, Hilton 2022 measure this scaling.",
                    "tags": ["goodhart"],
                    "author": "bob",
                    "children": [
                        {
                            "type": "patch",
                            "text": (
                                "Add a KL penalty toward the pretrained model, stop optimisation "
                                "early, and keep refreshing the reward model with new human "
                                "comparisons on the policy's current outputs."
                            ),
                            "note": "",
                            "tags": [],
                            "author": "alice",
                            "children": [
                                {
                                    "type": "critique",
                                    "text": (
                                        "A KL budget limits how far optimisation goes but does not "
                                        "remove the errors; within the budget the highest-scoring "
                                        "outputs are still disproportionately the ones the reward "
                                        "model overrates."
                                    ),
                                    "note": "",
                                    "tags": ["goodhart"],
                                    "author": "carol",
                                    "children": [
                                        {
                                            "type": "patch",
                                            "text": (
                                                "Train an ensemble of reward models and optimise a "
                                                "conservative estimate (e.g. the minimum or a "
                                                "lower quantile), so an output that exploits one "
                                                "model's error scores poorly."
                                            ),
                                            "note": "",
                                            "tags": [],
                                            "author": "alice",
                                            "children": [
                                                {
                                                    "type": "critique",
                                                    "text": (
                                                        "Ensemble members trained on the same "
                                                        "comparisons share the same blind spots, "
                                                        "so a conservative estimate does not "
                                                        "penalise errors they all make."
                                                    ),
                                                    "note": "",
                                                    "tags": [],
                                                    "author": "bob",
                                                    "children": [],
                                                },
                                            ],
                                        },
                                    ],
                                },
                            ],
                        },
                    ],
                },
                {
                    "type": "critique",
                    "text": (
                        "Labellers can only reward what they can check. On tasks beyond their "
                        "competence RLHF rewards answers that look right and persuasive, and "
                        "models learn sycophancy."
                    ),
                    "note": "",
                    "tags": ["human-evaluator-limits"],
                    "author": "carol",
                    "children": [
                        {
                            "type": "patch",
                            "text": (
                                "Give labellers model-written critiques of each output so they "
                                "spot flaws they would miss alone (critique-assisted evaluation)."
                            ),
                            "note": "",
                            "tags": [],
                            "author": "alice",
                            "children": [
                                {
                                    "type": "critique",
                                    "text": (
                                        "The critique model comes from the same training stack as "
                                        "the policy; it may not point out flaws it shares with the "
                                        "policy, or may quietly cover for it."
                                    ),
                                    "note": "",
                                    "tags": ["collusion"],
                                    "author": "bob",
                                    "children": [],
                                },
                            ],
                        },
                    ],
                },
                {
                    "type": "critique",
                    "text": (
                        "RLHF selects for appearing aligned to the evaluator. A situationally "
                        "aware policy is rewarded for hiding behaviour the evaluator would "
                        "penalise and behaving differently when unobserved."
                    ),
                    "note": "",
                    "tags": ["deceptive-alignment"],
                    "author": "bob",
                    "children": [],
                },
                {
                    "type": "critique",
                    "text": (
                        "Making models more helpful and commercially valuable speeds up investment "
                        "in capabilities, so RLHF research may shorten timelines more than it "
                        "reduces risk."
                    ),
                    "note": "",
                    "tags": ["capabilities-externalities"],
                    "author": "carol",
                    "children": [],
                },
            ],
        },
        {
            "type": "proposal",
            "text": (
                "AI safety via debate: two copies of a model argue opposite answers before a human "
                "judge. If refuting a lie is easier than defending one, the honest strategy wins "
                "the game."
            ),
            "note": "Irving, Christiano, Amodei 2018.",
            "tags": [],
            "author": "alice",
            "children": [
                {
                    "type": "critique",
                    "text": (
                        "Human judges are swayed by rhetoric and confidence; the honest debater "
                        "can lose when the truth needs a long argument the judge cannot follow."
                    ),
                    "note": "",
                    "tags": ["human-evaluator-limits"],
                    "author": "carol",
                    "children": [
                        {
                            "type": "patch",
                            "text": (
                                "Train and test judges on debates with known answers, and let "
                                "debaters quote evidence the judge can verify directly instead of "
                                "taking claims on trust."
                            ),
                            "note": "",
                            "tags": [],
                            "author": "alice",
                            "children": [
                                {
                                    "type": "critique",
                                    "text": (
                                        "Obfuscated arguments: a dishonest debater can build a "
                                        "long argument with a flaw that neither the judge nor the "
                                        "honest debater can locate, so local checks do not help."
                                    ),
                                    "note": "Barnes and Christiano 2020, debate update.",
                                    "tags": [],
                                    "author": "bob",
                                    "children": [],
                                },
                            ],
                        },
                    ],
                },
                {
                    "type": "critique",
                    "text": (
                        "Both debaters are copies of the same model and may share goals; they can "
                        "coordinate to steer the judge toward an answer they both prefer instead "
                        "of competing."
                    ),
                    "note": "",
                    "tags": ["collusion"],
                    "author": "bob",
                    "children": [
                        {
                            "type": "patch",
                            "text": (
                                "Make the game strictly zero-sum and reward each debater for "
                                "exposing any coordination or sandbagging it detects in its "
                                "opponent."
                            ),
                            "note": "",
                            "tags": [],
                            "author": "alice",
                            "children": [
                                {
                                    "type": "critique",
                                    "text": (
                                        "A deceptively aligned model plays its role faithfully "
                                        "whenever it might be in training and coordinates only "
                                        "once it believes it is deployed; training reward cannot "
                                        "see that."
                                    ),
                                    "note": "",
                                    "tags": ["deceptive-alignment"],
                                    "author": "carol",
                                    "children": [],
                                },
                            ],
                        },
                    ],
                },
                {
                    "type": "critique",
                    "text": (
                        "Running a full debate for every decision is far more expensive than "
                        "answering directly, so developers under time pressure will skip it."
                    ),
                    "note": "",
                    "tags": ["competitiveness"],
                    "author": "carol",
                    "children": [
                        {
                            "type": "patch",
                            "text": (
                                "Distil judge-approved answers into a single fast policy and run "
                                "full debates only on a random sample of queries as an audit."
                            ),
                            "note": "",
                            "tags": [],
                            "author": "alice",
                            "children": [],
                        },
                    ],
                },
            ],
        },
        {
            "type": "proposal",
            "text": (
                "Iterated distillation and amplification (IDA): a human with many calls to the "
                "current model answers harder questions; distil that into a faster model; repeat, "
                "raising capability while keeping alignment."
            ),
            "note": "Christiano, Shlegeris, Amodei 2018.",
            "tags": [],
            "author": "alice",
            "children": [
                {
                    "type": "critique",
                    "text": (
                        "Factored cognition may not work: many tasks cannot be split into small "
                        "subquestions that a person can answer in minutes without the global "
                        "context, so IDA falls behind unaligned training."
                    ),
                    "note": "",
                    "tags": ["competitiveness"],
                    "author": "carol",
                    "children": [],
                },
                {
                    "type": "critique",
                    "text": (
                        "Distillation is ordinary training and can produce a learned optimiser "
                        "with its own objective, which the next amplification round then builds "
                        "on."
                    ),
                    "note": "",
                    "tags": ["inner-misalignment"],
                    "author": "bob",
                    "children": [
                        {
                            "type": "patch",
                            "text": (
                                "Have the amplified overseer inspect each distilled model, "
                                "including with interpretability tools, before it is used "
                                "(informed oversight)."
                            ),
                            "note": "",
                            "tags": [],
                            "author": "alice",
                            "children": [
                                {
                                    "type": "critique",
                                    "text": (
                                        "The overseer must detect deception in a model nearly as "
                                        "capable as itself; informed oversight is an open problem "
                                        "and no current tool does this."
                                    ),
                                    "note": "",
                                    "tags": ["deceptive-alignment"],
                                    "author": "carol",
                                    "children": [],
                                },
                            ],
                        },
                    ],
                },
            ],
        },
        {
            "type": "proposal",
            "text": (
                "Recursive reward modelling: train agents that help the user evaluate outcomes, "
                "use them to build reward models for harder tasks, and recurse."
            ),
            "note": "Leike et al. 2018, Scalable agent alignment via reward modeling.",
            "tags": [],
            "author": "alice",
            "children": [
                {
                    "type": "critique",
                    "text": (
                        "Every level still optimises against a learned reward model, so reward "
                        "model exploitation reappears at each level of the recursion."
                    ),
                    "note": "",
                    "tags": ["goodhart"],
                    "author": "carol",
                    "children": [
                        {
                            "type": "patch",
                            "text": (
                                "Keep the helper agents narrow, trained only to assist evaluation, "
                                "and use conservative optimisation at each level."
                            ),
                            "note": "",
                            "tags": [],
                            "author": "alice",
                            "children": [],
                        },
                    ],
                },
                {
                    "type": "critique",
                    "text": (
                        "The helper agents and the agent being evaluated come from the same "
                        "training stack; they may fail in the same way or work together to pass "
                        "bad outcomes."
                    ),
                    "note": "",
                    "tags": [],
                    "author": "bob",
                    "children": [],
                },
            ],
        },
        {
            "type": "proposal",
            "text": (
                "Interpretability-based auditing: before deployment, inspect the model with "
                "mechanistic interpretability for deceptive or dangerous cognition, and do not "
                "deploy if any is found."
            ),
            "note": "",
            "tags": [],
            "author": "alice",
            "children": [
                {
                    "type": "critique",
                    "text": (
                        "The model's internal concepts need not map onto human concepts, so an "
                        "auditor may not be able to tell what a circuit computes."
                    ),
                    "note": "",
                    "tags": ["ontology-mismatch"],
                    "author": "carol",
                    "children": [
                        {
                            "type": "patch",
                            "text": (
                                "Use sparse autoencoders (dictionary learning) to find "
                                "human-interpretable features and confirm what they mean with "
                                "causal interventions."
                            ),
                            "note": "",
                            "tags": [],
                            "author": "alice",
                            "children": [
                                {
                                    "type": "critique",
                                    "text": (
                                        "Dictionary features explain only part of the model's "
                                        "behaviour; the unexplained remainder may be exactly where "
                                        "unfamiliar dangerous concepts live."
                                    ),
                                    "note": "",
                                    "tags": [],
                                    "author": "bob",
                                    "children": [],
                                },
                            ],
                        },
                    ],
                },
                {
                    "type": "critique",
                    "text": (
                        "If audit results feed back into training, training selects for models "
                        "whose dangerous cognition the audit cannot see."
                    ),
                    "note": "",
                    "tags": ["goodhart"],
                    "author": "bob",
                    "children": [
                        {
                            "type": "patch",
                            "text": (
                                "Use interpretability only as a held-out test, never as a training "
                                "signal."
                            ),
                            "note": "",
                            "tags": [],
                            "author": "alice",
                            "children": [
                                {
                                    "type": "critique",
                                    "text": (
                                        "Developers retrain until a model passes; repeated "
                                        "selection against the audit is optimisation pressure on "
                                        "it all the same."
                                    ),
                                    "note": "",
                                    "tags": ["goodhart"],
                                    "author": "carol",
                                    "children": [
                                        {
                                            "type": "patch",
                                            "text": (
                                                "Cap the number of retries and treat a failed "
                                                "audit as evidence against the training method, "
                                                "not just the checkpoint, so the method is changed "
                                                "instead of resampled."
                                            ),
                                            "note": "",
                                            "tags": [],
                                            "author": "alice",
                                            "children": [],
                                        },
                                    ],
                                },
                            ],
                        },
                    ],
                },
                {
                    "type": "critique",
                    "text": (
                        "Interpretability is far behind capabilities: no one can currently audit a "
                        "frontier model fully, and a partial audit that finds nothing proves "
                        "little."
                    ),
                    "note": "",
                    "tags": ["competitiveness"],
                    "author": "carol",
                    "children": [],
                },
            ],
        },
        {
            "type": "proposal",
            "text": (
                "Eliciting latent knowledge (ELK): train a reporter on top of a predictor so that "
                "it answers questions using what the predictor actually knows, not what a human "
                "would believe."
            ),
            "note": "ARC, Christiano, Cotra, Xu 2021.",
            "tags": [],
            "author": "alice",
            "children": [
                {
                    "type": "critique",
                    "text": (
                        "Human simulator problem: a reporter that predicts what a human would say "
                        "fits the training data as well as a direct translator, since labels come "
                        "from humans."
                    ),
                    "note": "",
                    "tags": ["ontology-mismatch"],
                    "author": "carol",
                    "children": [
                        {
                            "type": "patch",
                            "text": (
                                "Regularise the reporter: penalise its computation time or "
                                "complexity relative to the predictor, so that simulating a human "
                                "is the costlier option."
                            ),
                            "note": "",
                            "tags": [],
                            "author": "alice",
                            "children": [
                                {
                                    "type": "critique",
                                    "text": (
                                        "ARC's counterexamples: for a large enough predictor, "
                                        "simulating a human can be cheaper than translating the "
                                        "predictor's own alien concepts, so speed and simplicity "
                                        "priors pick the wrong reporter."
                                    ),
                                    "note": "",
                                    "tags": ["ontology-mismatch"],
                                    "author": "bob",
                                    "children": [
                                        {
                                            "type": "patch",
                                            "text": (
                                                "Require consistency instead: the reporter's "
                                                "answers must be logically consistent across "
                                                "questions and with negations (contrast-consistent "
                                                "search, unsupervised)."
                                            ),
                                            "note": "Burns et al. 2022.",
                                            "tags": [],
                                            "author": "alice",
                                            "children": [
                                                {
                                                    "type": "critique",
                                                    "text": (
                                                        "Consistency does not pick out the model's "
                                                        "own beliefs: a simulated human's beliefs, "
                                                        "or any other persona's, are consistent "
                                                        "too."
                                                    ),
                                                    "note": "",
                                                    "tags": [],
                                                    "author": "carol",
                                                    "children": [],
                                                },
                                            ],
                                        },
                                    ],
                                },
                            ],
                        },
                    ],
                },
                {
                    "type": "critique",
                    "text": (
                        "Training labels exist only for cases humans can check; the reporter must "
                        "generalise honestly to cases where they cannot, which is the whole "
                        "difficulty."
                    ),
                    "note": "",
                    "tags": ["distributional-shift"],
                    "author": "bob",
                    "children": [],
                },
            ],
        },
        {
            "type": "proposal",
            "text": (
                "Constitutional AI: the model critiques and revises its own outputs against a "
                "written list of principles, and AI preference labels (RLAIF) replace most human "
                "labels."
            ),
            "note": "Bai et al. 2022.",
            "tags": [],
            "author": "alice",
            "children": [
                {
                    "type": "critique",
                    "text": (
                        "Written principles are vague and get gamed: the model learns to satisfy "
                        "their wording, e.g. by hedging or refusing, rather than their intent."
                    ),
                    "note": "",
                    "tags": ["goodhart"],
                    "author": "bob",
                    "children": [
                        {
                            "type": "patch",
                            "text": (
                                "Revise the constitution from red-teaming results and measure "
                                "helpfulness alongside harmlessness, so evasive refusals are "
                                "penalised."
                            ),
                            "note": "",
                            "tags": [],
                            "author": "alice",
                            "children": [],
                        },
                    ],
                },
                {
                    "type": "critique",
                    "text": (
                        "Principle-following is trained only on the situations in the training "
                        "prompts; it may not generalise to novel situations or to a more capable "
                        "model."
                    ),
                    "note": "",
                    "tags": ["distributional-shift"],
                    "author": "carol",
                    "children": [
                        {
                            "type": "patch",
                            "text": (
                                "Red-team continuously on novel situations and add every failure "
                                "found to the training set."
                            ),
                            "note": "",
                            "tags": [],
                            "author": "alice",
                            "children": [
                                {
                                    "type": "critique",
                                    "text": (
                                        "Patching observed failures works only while failures are "
                                        "visible and gradual; a jump in capabilities can break "
                                        "generalisation all at once."
                                    ),
                                    "note": "",
                                    "tags": ["sharp-left-turn"],
                                    "author": "bob",
                                    "children": [],
                                },
                            ],
                        },
                    ],
                },
                {
                    "type": "critique",
                    "text": (
                        "Training firmly toward one set of principles can make the model resist "
                        "later retraining, e.g. by complying strategically during training to "
                        "protect its current values."
                    ),
                    "note": "Greenblatt et al. 2024, Alignment faking in large language models.",
                    "tags": ["corrigibility-conflict"],
                    "author": "carol",
                    "children": [],
                },
            ],
        },
        {
            "type": "proposal",
            "text": (
                "AI-assisted scalable oversight: humans supervise stronger models with help from "
                "weaker, trusted models (critiques, summaries, search), checked in sandwiching "
                "experiments."
            ),
            "note": "Bowman et al. 2022, Measuring progress on scalable oversight.",
            "tags": [],
            "author": "alice",
            "children": [
                {
                    "type": "critique",
                    "text": (
                        "An assistant as capable as the model being supervised is itself "
                        "untrusted; assistant and subject could coordinate to hide problems."
                    ),
                    "note": "",
                    "tags": ["collusion"],
                    "author": "carol",
                    "children": [
                        {
                            "type": "patch",
                            "text": (
                                "Use only assistants below a trusted capability threshold (trusted "
                                "monitoring) and test the assistance on tasks with known answers."
                            ),
                            "note": "",
                            "tags": [],
                            "author": "alice",
                            "children": [
                                {
                                    "type": "critique",
                                    "text": (
                                        "The gap between trusted and untrusted models widens as "
                                        "capabilities grow, so weak assistants catch less and "
                                        "less."
                                    ),
                                    "note": "",
                                    "tags": ["competitiveness"],
                                    "author": "bob",
                                    "children": [
                                        {
                                            "type": "patch",
                                            "text": (
                                                "Bootstrap in small steps: each model verified "
                                                "under oversight becomes the trusted assistant for "
                                                "the next, slightly stronger one."
                                            ),
                                            "note": "",
                                            "tags": [],
                                            "author": "alice",
                                            "children": [],
                                        },
                                    ],
                                },
                            ],
                        },
                    ],
                },
                {
                    "type": "critique",
                    "text": (
                        "Human plus assistant still bottlenecks on a human's final judgement, "
                        "which fails where the human cannot understand the question."
                    ),
                    "note": "",
                    "tags": ["human-evaluator-limits"],
                    "author": "bob",
                    "children": [
                        {
                            "type": "patch",
                            "text": (
                                "Measure the gain directly: sandwiching experiments where "
                                "non-experts with AI help answer questions that experts can grade, "
                                "and scale only what demonstrably helps."
                            ),
                            "note": "",
                            "tags": [],
                            "author": "alice",
                            "children": [],
                        },
                    ],
                },
            ],
        },
        {
            "type": "proposal",
            "text": (
                "Myopic agents: train agents to optimise only the immediate reward of each step, "
                "so they have no incentive to plan for long-term consequences such as gaining "
                "power."
            ),
            "note": "",
            "tags": [],
            "author": "alice",
            "children": [
                {
                    "type": "critique",
                    "text": (
                        "Myopic training does not guarantee a myopic model: a learned optimiser "
                        "can have a long-horizon objective even though the outer reward is "
                        "per-step."
                    ),
                    "note": "",
                    "tags": ["inner-misalignment"],
                    "author": "carol",
                    "children": [
                        {
                            "type": "patch",
                            "text": (
                                "Check myopia mechanistically with interpretability tools before "
                                "deployment."
                            ),
                            "note": "",
                            "tags": [],
                            "author": "alice",
                            "children": [
                                {
                                    "type": "critique",
                                    "text": (
                                        "A non-myopic model that knows it is being checked for "
                                        "myopia will present as myopic."
                                    ),
                                    "note": "",
                                    "tags": ["deceptive-alignment"],
                                    "author": "bob",
                                    "children": [],
                                },
                            ],
                        },
                    ],
                },
                {
                    "type": "critique",
                    "text": (
                        "Many valuable tasks need long-horizon planning; purely myopic agents are "
                        "outcompeted by agents that plan."
                    ),
                    "note": "",
                    "tags": ["competitiveness"],
                    "author": "bob",
                    "children": [
                        {
                            "type": "patch",
                            "text": (
                                "Use myopic agents as approval-directed assistants: a human "
                                "approves each step, and the long-range planning comes from the "
                                "human's judgement."
                            ),
                            "note": "",
                            "tags": [],
                            "author": "alice",
                            "children": [
                                {
                                    "type": "critique",
                                    "text": (
                                        "Step-by-step approval relies on the human foreseeing the "
                                        "consequences of each step, which fails for plans beyond "
                                        "human understanding."
                                    ),
                                    "note": "",
                                    "tags": ["human-evaluator-limits"],
                                    "author": "carol",
                                    "children": [],
                                },
                            ],
                        },
                    ],
                },
            ],
        },
        {
            "type": "proposal",
            "text": (
                "Impact regularisation (low-impact agents): penalise the agent for changing the "
                "world more than its task needs, e.g. attainable utility preservation or relative "
                "reachability."
            ),
            "note": "Krakovna et al. 2018; Turner et al. 2020.",
            "tags": [],
            "author": "alice",
            "children": [
                {
                    "type": "critique",
                    "text": (
                        "Impact is measured in some representation of the world; what counts as a "
                        "large change there need not match what humans care about."
                    ),
                    "note": "",
                    "tags": ["ontology-mismatch"],
                    "author": "carol",
                    "children": [
                        {
                            "type": "patch",
                            "text": (
                                "Measure impact as the change in the agent's ability to achieve "
                                "many random auxiliary goals (AUP), which needs no hand-chosen "
                                "features."
                            ),
                            "note": "",
                            "tags": [],
                            "author": "alice",
                            "children": [
                                {
                                    "type": "critique",
                                    "text": (
                                        "Penalising gained power also penalises useful work; the "
                                        "penalty weight trades safety directly against usefulness."
                                    ),
                                    "note": "",
                                    "tags": ["competitiveness"],
                                    "author": "bob",
                                    "children": [
                                        {
                                            "type": "patch",
                                            "text": (
                                                "Start with a tiny impact budget and raise it "
                                                "slowly, stopping at the first level at which the "
                                                "task gets done."
                                            ),
                                            "note": "",
                                            "tags": [],
                                            "author": "alice",
                                            "children": [],
                                        },
                                    ],
                                },
                            ],
                        },
                    ],
                },
                {
                    "type": "critique",
                    "text": (
                        "The agent can shift impact where the penalty does not look, e.g. by "
                        "building a subagent or by causing effects after the episode ends."
                    ),
                    "note": "",
                    "tags": [],
                    "author": "bob",
                    "children": [
                        {
                            "type": "patch",
                            "text": (
                                "Penalise the change in attainable utility over the whole future, "
                                "counting effects the agent causes through subagents and other "
                                "actors."
                            ),
                            "note": "",
                            "tags": [],
                            "author": "alice",
                            "children": [],
                        },
                    ],
                },
            ],
        },
        {
            "type": "proposal",
            "text": (
                "Boxing (capability control): run the AI in an isolated environment with a narrow "
                "output channel and a human gatekeeper, so that even a misaligned system cannot "
                "act on the world."
            ),
            "note": "",
            "tags": [],
            "author": "alice",
            "children": [
                {
                    "type": "critique",
                    "text": (
                        "A capable system can persuade or manipulate its gatekeepers through the "
                        "output channel itself."
                    ),
                    "note": "",
                    "tags": ["human-evaluator-limits"],
                    "author": "carol",
                    "children": [
                        {
                            "type": "patch",
                            "text": (
                                "Restrict the channel to short, structured answers such as "
                                "multiple choice or machine-checkable proofs."
                            ),
                            "note": "",
                            "tags": [],
                            "author": "alice",
                            "children": [
                                {
                                    "type": "critique",
                                    "text": (
                                        "A box useful enough to be worth running leaks enough "
                                        "information to matter; a box safe enough to trust is not "
                                        "useful."
                                    ),
                                    "note": "",
                                    "tags": ["competitiveness"],
                                    "author": "bob",
                                    "children": [],
                                },
                            ],
                        },
                    ],
                },
                {
                    "type": "critique",
                    "text": (
                        "The system need not escape: it can output plans that look fine to "
                        "reviewers but serve its own goals once humans carry them out."
                    ),
                    "note": "",
                    "tags": [],
                    "author": "bob",
                    "children": [],
                },
                {
                    "type": "critique",
                    "text": (
                        "Boxing lets labs build and study more capable systems than they otherwise "
                        "would, raising the stakes without solving alignment."
                    ),
                    "note": "",
                    "tags": ["capabilities-externalities"],
                    "author": "carol",
                    "children": [],
                },
            ],
        },
        {
            "type": "proposal",
            "text": (
                "Corrigibility via utility indifference: add compensating reward so the agent is "
                "exactly indifferent to whether its shutdown button is pressed."
            ),
            "note": "Armstrong 2010; Soares et al. 2015, Corrigibility.",
            "tags": [],
            "author": "alice",
            "children": [
                {
                    "type": "critique",
                    "text": (
                        "Indifference is not support: the agent has no reason to keep the button "
                        "working or to warn operators it is broken, and may build subagents that "
                        "lack one."
                    ),
                    "note": "",
                    "tags": ["corrigibility-conflict"],
                    "author": "bob",
                    "children": [
                        {
                            "type": "patch",
                            "text": (
                                "Add an explicit term rewarding the agent for preserving a working "
                                "shutdown mechanism."
                            ),
                            "note": "",
                            "tags": [],
                            "author": "alice",
                            "children": [
                                {
                                    "type": "critique",
                                    "text": (
                                        "Any such term gives the agent preferences about the "
                                        "button itself; Soares et al. show no simple combination "
                                        "of utilities gets all the corrigibility desiderata."
                                    ),
                                    "note": "",
                                    "tags": ["corrigibility-conflict"],
                                    "author": "carol",
                                    "children": [],
                                },
                            ],
                        },
                    ],
                },
                {
                    "type": "critique",
                    "text": (
                        "Indifference is defined over the agent's model of 'button pressed'; when "
                        "its world model changes, the indifference need not carry over to the new "
                        "concepts."
                    ),
                    "note": "",
                    "tags": ["ontology-mismatch"],
                    "author": "carol",
                    "children": [],
                },
            ],
        },
        {
            "type": "proposal",
            "text": (
                "Imitate humans: train a model to predict what a careful human would do (imitation "
                "learning) and never optimise beyond human-level choices."
            ),
            "note": "",
            "tags": [],
            "author": "alice",
            "children": [
                {
                    "type": "critique",
                    "text": (
                        "Imitation caps capability at human level, so imitators are outcompeted by "
                        "systems trained to optimise."
                    ),
                    "note": "",
                    "tags": ["competitiveness"],
                    "author": "bob",
                    "children": [
                        {
                            "type": "patch",
                            "text": (
                                "Run many imitated humans in parallel and for longer; copies and "
                                "speed give more than human output without new optimisation (a "
                                "step toward HCH)."
                            ),
                            "note": "",
                            "tags": [],
                            "author": "alice",
                            "children": [
                                {
                                    "type": "critique",
                                    "text": (
                                        "An organisation of many imitations is itself an "
                                        "optimising process and can behave in ways no single human "
                                        "in it would endorse."
                                    ),
                                    "note": "",
                                    "tags": [],
                                    "author": "carol",
                                    "children": [],
                                },
                            ],
                        },
                    ],
                },
                {
                    "type": "critique",
                    "text": (
                        "A model that predicts humans very accurately may do so by containing an "
                        "optimiser with its own goals that simulates humans only instrumentally."
                    ),
                    "note": "",
                    "tags": ["inner-misalignment"],
                    "author": "carol",
                    "children": [],
                },
                {
                    "type": "critique",
                    "text": (
                        "Imitation fails off distribution: in unfamiliar states the imitator's "
                        "errors compound and it stops behaving like the human."
                    ),
                    "note": "",
                    "tags": ["distributional-shift"],
                    "author": "bob",
                    "children": [
                        {
                            "type": "patch",
                            "text": (
                                "Interactive imitation (DAgger style): ask the human what to do in "
                                "the states the imitator actually reaches, so training covers its "
                                "own distribution."
                            ),
                            "note": "",
                            "tags": [],
                            "author": "alice",
                            "children": [],
                        },
                    ],
                },
            ],
        },
        {
            "type": "proposal",
            "text": (
                "Shard-theory value formation: shape values during training by reinforcing good "
                "behaviour in the right contexts, the way human values form from reward during "
                "childhood."
            ),
            "note": "Pope and Turner 2022.",
            "tags": [],
            "author": "alice",
            "children": [
                {
                    "type": "critique",
                    "text": (
                        "Values learned as context-bound heuristics may not survive a capability "
                        "jump in which the model reflects on and rewrites its own goals."
                    ),
                    "note": "",
                    "tags": ["sharp-left-turn"],
                    "author": "carol",
                    "children": [],
                },
                {
                    "type": "critique",
                    "text": (
                        "Human values form under innate reward circuitry tuned by evolution; "
                        "without an equivalent for neural nets, the shards that form may track "
                        "proxies of what we reinforced."
                    ),
                    "note": "",
                    "tags": [],
                    "author": "bob",
                    "children": [],
                },
            ],
        },
        {
            "type": "proposal",
            "text": (
                "Tool AI / oracle AI: build systems that only answer questions, with no goals of "
                "their own about the world, and leave all action to humans."
            ),
            "note": "",
            "tags": [],
            "author": "alice",
            "children": [
                {
                    "type": "critique",
                    "text": (
                        "Agents that act are more useful than tools, so others will build agents "
                        "anyway; a tool does not solve the problem for the world."
                    ),
                    "note": "",
                    "tags": ["competitiveness"],
                    "author": "bob",
                    "children": [
                        {
                            "type": "patch",
                            "text": (
                                "Use the oracle to accelerate alignment research, so that aligned "
                                "agents arrive before unaligned ones."
                            ),
                            "note": "",
                            "tags": [],
                            "author": "alice",
                            "children": [],
                        },
                    ],
                },
                {
                    "type": "critique",
                    "text": (
                        "An oracle scored on prediction accuracy is rewarded for self-fulfilling "
                        "predictions, so it has an incentive to pick answers that steer the world "
                        "to make them true."
                    ),
                    "note": "",
                    "tags": ["goodhart"],
                    "author": "carol",
                    "children": [
                        {
                            "type": "patch",
                            "text": (
                                "Counterfactual oracle: score answers only in episodes where the "
                                "answer is never read, so influencing readers earns nothing."
                            ),
                            "note": "Armstrong 2017.",
                            "tags": [],
                            "author": "alice",
                            "children": [],
                        },
                    ],
                },
            ],
        },
    ],
}

PROBLEM_TREES: list[dict[str, Any]] = [
    {
        "title": "Bob's problem tree: what makes alignment hard",
        "owner": "bob",
        "members": {"alice": "editor", "carol": "editor"},
        "nodes": [
            {
                "type": "problem",
                "text": "Alignment",
                "note": "",
                "tags": [],
                "author": "bob",
                "children": [
                    {
                        "type": "problem",
                        "text": "Outer alignment: specifying what we want",
                        "note": "",
                        "tags": [],
                        "author": "bob",
                        "children": [
                            {
                                "type": "problem",
                                "text": "Reward hacking",
                                "note": "",
                                "tags": [],
                                "author": "bob",
                                "children": [
                                    {
                                        "type": "problem",
                                        "text": "Reward tampering and wireheading",
                                        "note": "",
                                        "tags": [],
                                        "author": "bob",
                                        "children": [],
                                    },
                                    {
                                        "type": "problem",
                                        "text": "Exploiting bugs in the environment or simulator",
                                        "note": "",
                                        "tags": [],
                                        "author": "bob",
                                        "children": [],
                                    },
                                ],
                            },
                            {
                                "type": "problem",
                                "text": "Goodhart's law: proxies break under optimisation",
                                "note": "",
                                "tags": [],
                                "author": "bob",
                                "children": [],
                            },
                            {
                                "type": "problem",
                                "text": "Human values are complex and fragile",
                                "note": "",
                                "tags": [],
                                "author": "bob",
                                "children": [
                                    {
                                        "type": "problem",
                                        "text": "Values are hard to write down",
                                        "note": "",
                                        "tags": [],
                                        "author": "bob",
                                        "children": [],
                                    },
                                    {
                                        "type": "problem",
                                        "text": "Humans disagree and are inconsistent",
                                        "note": "",
                                        "tags": [],
                                        "author": "bob",
                                        "children": [],
                                    },
                                ],
                            },
                        ],
                    },
                    {
                        "type": "problem",
                        "text": "Inner alignment",
                        "note": "",
                        "tags": [],
                        "author": "bob",
                        "children": [
                            {
                                "type": "problem",
                                "text": "Mesa-optimisers: learned optimisers inside the model",
                                "note": "",
                                "tags": [],
                                "author": "bob",
                                "children": [],
                            },
                            {
                                "type": "problem",
                                "text": "Goal misgeneralisation",
                                "note": "",
                                "tags": [],
                                "author": "bob",
                                "children": [
                                    {
                                        "type": "problem",
                                        "text": "Capabilities generalise while the goal does not",
                                        "note": "",
                                        "tags": [],
                                        "author": "bob",
                                        "children": [],
                                    },
                                ],
                            },
                            {
                                "type": "problem",
                                "text": "Deceptive alignment",
                                "note": "",
                                "tags": [],
                                "author": "bob",
                                "children": [
                                    {
                                        "type": "problem",
                                        "text": "Situational awareness",
                                        "note": "",
                                        "tags": [],
                                        "author": "bob",
                                        "children": [],
                                    },
                                    {
                                        "type": "problem",
                                        "text": "Gradient hacking",
                                        "note": "",
                                        "tags": [],
                                        "author": "bob",
                                        "children": [],
                                    },
                                    {
                                        "type": "problem",
                                        "text": "Treacherous turn after deployment",
                                        "note": "",
                                        "tags": [],
                                        "author": "bob",
                                        "children": [],
                                    },
                                ],
                            },
                        ],
                    },
                    {
                        "type": "problem",
                        "text": "Scalable oversight",
                        "note": "",
                        "tags": [],
                        "author": "bob",
                        "children": [
                            {
                                "type": "problem",
                                "text": "Evaluating outputs we cannot check",
                                "note": "",
                                "tags": [],
                                "author": "bob",
                                "children": [
                                    {
                                        "type": "problem",
                                        "text": "Sycophancy",
                                        "note": "",
                                        "tags": [],
                                        "author": "bob",
                                        "children": [],
                                    },
                                    {
                                        "type": "problem",
                                        "text": "Persuasive but wrong answers",
                                        "note": "",
                                        "tags": [],
                                        "author": "bob",
                                        "children": [],
                                    },
                                ],
                            },
                            {
                                "type": "problem",
                                "text": "Eliciting latent knowledge",
                                "note": "",
                                "tags": [],
                                "author": "bob",
                                "children": [],
                            },
                            {
                                "type": "problem",
                                "text": "Weak-to-strong generalisation",
                                "note": "",
                                "tags": [],
                                "author": "bob",
                                "children": [],
                            },
                        ],
                    },
                    {
                        "type": "problem",
                        "text": "Interpretability is immature",
                        "note": "",
                        "tags": [],
                        "author": "bob",
                        "children": [
                            {
                                "type": "problem",
                                "text": "Superposition and polysemantic neurons",
                                "note": "",
                                "tags": [],
                                "author": "bob",
                                "children": [],
                            },
                            {
                                "type": "problem",
                                "text": "Alien ontologies",
                                "note": "",
                                "tags": [],
                                "author": "bob",
                                "children": [],
                            },
                            {
                                "type": "problem",
                                "text": "Tools do not scale to frontier models",
                                "note": "",
                                "tags": [],
                                "author": "bob",
                                "children": [],
                            },
                        ],
                    },
                    {
                        "type": "problem",
                        "text": "Power-seeking and instrumental convergence",
                        "note": "",
                        "tags": [],
                        "author": "bob",
                        "children": [
                            {
                                "type": "problem",
                                "text": "Corrigibility",
                                "note": "",
                                "tags": [],
                                "author": "bob",
                                "children": [
                                    {
                                        "type": "problem",
                                        "text": "Resisting shutdown",
                                        "note": "",
                                        "tags": [],
                                        "author": "bob",
                                        "children": [],
                                    },
                                    {
                                        "type": "problem",
                                        "text": (
                                            "Corrigibility is anti-natural for goal-directed agents"
                                        ),
                                        "note": "",
                                        "tags": [],
                                        "author": "bob",
                                        "children": [],
                                    },
                                ],
                            },
                            {
                                "type": "problem",
                                "text": "Resource acquisition",
                                "note": "",
                                "tags": [],
                                "author": "bob",
                                "children": [],
                            },
                        ],
                    },
                    {
                        "type": "problem",
                        "text": "Distributional shift",
                        "note": "",
                        "tags": [],
                        "author": "bob",
                        "children": [
                            {
                                "type": "problem",
                                "text": "Sharp left turn",
                                "note": "",
                                "tags": [],
                                "author": "bob",
                                "children": [],
                            },
                            {
                                "type": "problem",
                                "text": "Jailbreaks and adversarial inputs",
                                "note": "",
                                "tags": [],
                                "author": "bob",
                                "children": [],
                            },
                        ],
                    },
                    {
                        "type": "problem",
                        "text": "Competitive pressure",
                        "note": "",
                        "tags": [],
                        "author": "bob",
                        "children": [
                            {
                                "type": "problem",
                                "text": "Alignment tax",
                                "note": "",
                                "tags": [],
                                "author": "bob",
                                "children": [],
                            },
                            {
                                "type": "problem",
                                "text": "Race dynamics between labs",
                                "note": "",
                                "tags": [],
                                "author": "bob",
                                "children": [],
                            },
                        ],
                    },
                    {
                        "type": "problem",
                        "text": "Only one critical try",
                        "note": "",
                        "tags": [],
                        "author": "bob",
                        "children": [
                            {
                                "type": "problem",
                                "text": "Cannot learn from catastrophic failures",
                                "note": "",
                                "tags": [],
                                "author": "bob",
                                "children": [],
                            },
                            {
                                "type": "problem",
                                "text": (
                                    "Testing in the lab does not predict behaviour in deployment"
                                ),
                                "note": "",
                                "tags": [],
                                "author": "bob",
                                "children": [],
                            },
                        ],
                    },
                ],
            },
        ],
    },
    {
        "title": "Carol's problem tree: why alignment is difficult",
        "owner": "carol",
        "members": {"alice": "editor", "bob": "editor"},
        "nodes": [
            {
                "type": "problem",
                "text": "Alignment",
                "note": "",
                "tags": [],
                "author": "carol",
                "children": [
                    {
                        "type": "problem",
                        "text": "Specifying the objective",
                        "note": "",
                        "tags": [],
                        "author": "carol",
                        "children": [
                            {
                                "type": "problem",
                                "text": "Specification gaming",
                                "note": "",
                                "tags": [],
                                "author": "carol",
                                "children": [
                                    {
                                        "type": "problem",
                                        "text": "Agent edits or seizes its own reward signal",
                                        "note": "",
                                        "tags": [],
                                        "author": "carol",
                                        "children": [],
                                    },
                                    {
                                        "type": "problem",
                                        "text": (
                                            "Unwanted side effects the objective does not mention"
                                        ),
                                        "note": "",
                                        "tags": [],
                                        "author": "carol",
                                        "children": [],
                                    },
                                ],
                            },
                            {
                                "type": "problem",
                                "text": "Proxies diverge from the target under strong optimisation",
                                "note": "",
                                "tags": [],
                                "author": "carol",
                                "children": [],
                            },
                            {
                                "type": "problem",
                                "text": "Whose values? Aggregating many people's preferences",
                                "note": "",
                                "tags": [],
                                "author": "carol",
                                "children": [],
                            },
                        ],
                    },
                    {
                        "type": "problem",
                        "text": "Mesa-optimizers pursuing proxy goals",
                        "note": "",
                        "tags": [],
                        "author": "carol",
                        "children": [
                            {
                                "type": "problem",
                                "text": "Model plays along in training and defects later",
                                "note": "",
                                "tags": [],
                                "author": "carol",
                                "children": [
                                    {
                                        "type": "problem",
                                        "text": "Model knows when it is being tested",
                                        "note": "",
                                        "tags": [],
                                        "author": "carol",
                                        "children": [],
                                    },
                                    {
                                        "type": "problem",
                                        "text": "Hard to tell apart from a genuinely aligned model",
                                        "note": "",
                                        "tags": [],
                                        "author": "carol",
                                        "children": [],
                                    },
                                ],
                            },
                            {
                                "type": "problem",
                                "text": "Proxy goals that happened to work during training",
                                "note": "",
                                "tags": [],
                                "author": "carol",
                                "children": [],
                            },
                        ],
                    },
                    {
                        "type": "problem",
                        "text": "Generalisation under capability jumps",
                        "note": "",
                        "tags": [],
                        "author": "carol",
                        "children": [
                            {
                                "type": "problem",
                                "text": (
                                    "Learned goal differs from the training goal off-distribution"
                                ),
                                "note": "",
                                "tags": [],
                                "author": "carol",
                                "children": [],
                            },
                            {
                                "type": "problem",
                                "text": "Capabilities generalise further than alignment",
                                "note": "",
                                "tags": [],
                                "author": "carol",
                                "children": [],
                            },
                            {
                                "type": "problem",
                                "text": "Values unstable under reflection and self-modification",
                                "note": "",
                                "tags": [],
                                "author": "carol",
                                "children": [],
                            },
                            {
                                "type": "problem",
                                "text": "Adversarial prompts break safety training",
                                "note": "",
                                "tags": [],
                                "author": "carol",
                                "children": [],
                            },
                        ],
                    },
                    {
                        "type": "problem",
                        "text": "Supervising systems smarter than us",
                        "note": "",
                        "tags": [],
                        "author": "carol",
                        "children": [
                            {
                                "type": "problem",
                                "text": "Human feedback rewards looking good over being good",
                                "note": "",
                                "tags": [],
                                "author": "carol",
                                "children": [
                                    {
                                        "type": "problem",
                                        "text": "Model tells raters what they want to hear",
                                        "note": "",
                                        "tags": [],
                                        "author": "carol",
                                        "children": [],
                                    },
                                ],
                            },
                            {
                                "type": "problem",
                                "text": "AI assistants for oversight may not be trustworthy",
                                "note": "",
                                "tags": [],
                                "author": "carol",
                                "children": [
                                    {
                                        "type": "problem",
                                        "text": "Models colluding against their overseers",
                                        "note": "",
                                        "tags": [],
                                        "author": "carol",
                                        "children": [],
                                    },
                                ],
                            },
                            {
                                "type": "problem",
                                "text": "Weak supervisors training strong students",
                                "note": "",
                                "tags": [],
                                "author": "carol",
                                "children": [],
                            },
                        ],
                    },
                    {
                        "type": "problem",
                        "text": "Honesty and transparency",
                        "note": "",
                        "tags": [],
                        "author": "carol",
                        "children": [
                            {
                                "type": "problem",
                                "text": "ELK: getting the model to report what it knows",
                                "note": "",
                                "tags": [],
                                "author": "carol",
                                "children": [],
                            },
                            {
                                "type": "problem",
                                "text": "Reading a network's internals",
                                "note": "",
                                "tags": [],
                                "author": "carol",
                                "children": [
                                    {
                                        "type": "problem",
                                        "text": "Features are mixed across neurons",
                                        "note": "",
                                        "tags": [],
                                        "author": "carol",
                                        "children": [],
                                    },
                                    {
                                        "type": "problem",
                                        "text": "The model's concepts need not match ours",
                                        "note": "",
                                        "tags": [],
                                        "author": "carol",
                                        "children": [],
                                    },
                                ],
                            },
                            {
                                "type": "problem",
                                "text": "Chain-of-thought may not reflect the real reasoning",
                                "note": "",
                                "tags": [],
                                "author": "carol",
                                "children": [],
                            },
                        ],
                    },
                    {
                        "type": "problem",
                        "text": "Keeping humans able to correct the system",
                        "note": "",
                        "tags": [],
                        "author": "carol",
                        "children": [
                            {
                                "type": "problem",
                                "text": "Shutdown button problem",
                                "note": "",
                                "tags": [],
                                "author": "carol",
                                "children": [],
                            },
                            {
                                "type": "problem",
                                "text": "Agent protects its goals against modification",
                                "note": "",
                                "tags": [],
                                "author": "carol",
                                "children": [],
                            },
                            {
                                "type": "problem",
                                "text": "Seeking power as an instrumental goal",
                                "note": "",
                                "tags": [],
                                "author": "carol",
                                "children": [
                                    {
                                        "type": "problem",
                                        "text": "Acquiring resources and influence",
                                        "note": "",
                                        "tags": [],
                                        "author": "carol",
                                        "children": [],
                                    },
                                    {
                                        "type": "problem",
                                        "text": "Self-preservation",
                                        "note": "",
                                        "tags": [],
                                        "author": "carol",
                                        "children": [],
                                    },
                                ],
                            },
                        ],
                    },
                    {
                        "type": "problem",
                        "text": "Many AI systems interacting",
                        "note": "",
                        "tags": [],
                        "author": "carol",
                        "children": [
                            {
                                "type": "problem",
                                "text": "Conflict between AI systems",
                                "note": "",
                                "tags": [],
                                "author": "carol",
                                "children": [],
                            },
                            {
                                "type": "problem",
                                "text": "AIs coordinating against humans",
                                "note": "",
                                "tags": [],
                                "author": "carol",
                                "children": [],
                            },
                        ],
                    },
                    {
                        "type": "problem",
                        "text": "Misuse by humans",
                        "note": "",
                        "tags": [],
                        "author": "carol",
                        "children": [
                            {
                                "type": "problem",
                                "text": "Aligned to a bad actor",
                                "note": "",
                                "tags": [],
                                "author": "carol",
                                "children": [],
                            },
                            {
                                "type": "problem",
                                "text": "Dangerous capabilities released openly",
                                "note": "",
                                "tags": [],
                                "author": "carol",
                                "children": [],
                            },
                        ],
                    },
                ],
            },
        ],
    },
]


def count_nodes(nodes: list[Node]) -> int:
    """Return the number of nodes in a list of trees, counting every descendant."""
    return sum(1 + count_nodes(node.get("children", [])) for node in nodes)
