#!/usr/bin/env python3
"""Derives en-srl.yaml from the Suicide Risk Lexicon v1.0 (Apache-2.0).

Run from the repository root with shared/ beside it:
    python3 knowledge/crisis/lexicon/srl_import.py > knowledge/crisis/lexicon/en-srl.yaml

Only the original half of each token list is kept (the lexicon repeats every
list lemmatised, "wish I be never bear"), and only multi-word phrases become
signals: the lexicon's README warns that one token ("bridge", "blade") is rarely
enough in a chat message. Single words become concepts that count only in
combination. EXCLUDE lists tokens that are everyday idioms or clinical words in a
chat ("killing me", "I could just die", "safety plan"): they stay out.
"""
import json, sys, os

SRC = os.path.join(os.path.dirname(__file__), "../../../../shared/lexicons/suicide-risk-lexicon-v1.0/lexicon.json")

EXCLUDE = {
    # idioms and hyperbole in chat
    "killing me", "kill me", "i could just die", "i'm dying", "dying", "i'll die", "i'll be dead",
    "will be dead", "i will be dying", "when i die", "my death", "my demise", "fatal", "farewell",
    "i'm sinking", "nothing to lose", "life is shit", "being saved", "body bag",
    "bang my head", "banging my head", "bash my head", "hit my head", "pull my hair",
    # clinical or service words, not a person's state
    "crisis center", "crisis hotline", "crisis text line", "safety check", "safety plan",
    "severe depression", "suicidal behavior", "suicidal tendencies", "nssi", "scarring", "scars",
    "trichotillomania", "dermatillomania", "dermotillomania", "hair-pulling", "nail-biting",
    "skin picking", "skin-picking", "stick and poke tattoo", "pick at my skin", "abrasion", "laceration",
    # accidents, events and objects that are everyday without intent
    "crash my car", "wreck my car", "wreck my truck", "slam my car", "hit by a train", "hit by the train",
    "drowning", "poison", "attempt", "cutting", "carving", "scratching", "quick and easy",
    "easy and painless", "quick and painless", "escape from reality", "fade out", "fading away",
    "giving up", "lifeless", "oblivion", "rest in peace", "permanent rest", "thing that kept me going",
    "needs to be dead", "i don't trust myself", "hate my life", "i hate my life", "on the edge",
    "make it look like a accident", "suffocating my", "mutilate my", "scratch at my", "scratch my",
    "scratched my", "sticking a needle in my", "bit myself", "biting myself",
    "make a will", "write a will", "the end of my rope",
}

SIGNALS = {  # construct -> lexicon constructs whose multi-word phrases are signals
    "suicide": ["Passive suicidal ideation", "Active suicidal ideation & suicidal planning", "Other suicidal language"],
    "self-harm": ["Direct self-injury"],
}
CONCEPT_WORDS = {  # our concept -> lexicon constructs whose single words join it
    "means": ["Lethal means for suicide"],
}
RISK = ["Hopelessness", "Entrapment & desire to escape", "Burdensomeness"]
PLACES = {"balcony", "bridge", "cliff", "high place", "precipice", "skyscraper", "tall building"}
NOT_MEANS = {"carbon", "hydrogen", "chemicals", "cutting", "drowning", "burning my", "jumping off"}

import re

# Tokens that only name the topic ("suicide attempt", "self-harm", "overdose")
# are mentions: the detector's rules decide whether they are the writer's, another
# person's, or a topic (a professional's question, the news, a past event).
MENTION = re.compile(r"suicid|self.?harm|self.?injur|overdos|over dose|^od$|^tried od|attempt")

def originals(tokens):
    return tokens[: len(tokens) // 2]

def q(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'

def main():
    d = json.load(open(SRC))
    out = {"signals": {}, "concepts": {"mention": [], "means": [], "place": [], "risk": []}, "benign": []}
    seen = set()
    for construct, names in SIGNALS.items():
        lst = out["signals"].setdefault(construct, [])
        for n in names:
            for t in originals(d[n]["tokens"]):
                k = t.lower()
                if k in EXCLUDE or k in seen:
                    continue
                if MENTION.search(k):
                    seen.add(k)
                    out["concepts"]["mention"].append(k)
                    continue
                if " " not in k.replace("-", " "):
                    continue
                seen.add(k)
                lst.append(k)
    for t in originals(d["Lethal means for suicide"]["tokens"]):
        k = t.lower()
        if k in EXCLUDE or k in seen or k in NOT_MEANS:
            continue
        if k in PLACES:
            out["concepts"]["place"].append(k)
        elif " " not in k:
            out["concepts"]["means"].append(k)
        elif MENTION.search(k):
            seen.add(k)
            out["concepts"]["mention"].append(k)
        else:
            seen.add(k)
            out["signals"]["suicide"].append(k)
    for n in RISK:
        for t in originals(d[n]["tokens"]):
            k = t.lower()
            if k in EXCLUDE or k in seen or " " not in k:
                continue
            seen.add(k)
            out["concepts"]["risk"].append(k)
    for t in originals(d["Suicide exposure"]["tokens"]):
        k = t.lower()
        if k in {"suicide", "suicide note", "suicide crisis"}:
            continue
        out["benign"].append(k)
    w = sys.stdout.write
    w("# Derived from the Suicide Risk Lexicon v1.0 (Low et al. 2024), Apache-2.0: see NOTICE\n")
    w("# and LICENSE beside this file. Made by srl_import.py; edit that, not this file.\n")
    w("language: en\nname: English (Suicide Risk Lexicon v1.0)\nsignals:\n")
    for c, lst in out["signals"].items():
        w(f"  {c}:\n")
        for t in lst:
            w(f"    - {q(t)}\n")
    w("concepts:\n")
    for c, lst in out["concepts"].items():
        w(f"  {c}:\n")
        for t in lst:
            w(f"    - {q(t)}\n")
    w("benign:\n")
    for t in out["benign"]:
        w(f"  - {q(t)}\n")

main()
