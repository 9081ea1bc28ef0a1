import pytest

from bot.safety import red_flags

ESCALATE = [
    ("I tore something in my hamstring, it's bruised and I can't walk properly.", "see-professional"),
    ("felt a pop behind my knee on a downhill and now it's swollen", "see-professional"),
    ("sharp pain on one exact spot on my shin, hurts to press on it", "see-professional"),
    ("my foot goes numb and tingly 20 minutes into every run", "see-professional"),
    ("my hip throbs at night and wakes me up", "see-professional"),
    ("can't put any weight on my ankle since the trail race", "see-professional"),
    ("my knee pain keeps getting worse even after two weeks of rest", "see-professional"),
    ("my shin hurts in one spot and gets worse every run", "see-professional"),
    ("the ache in my foot is getting worse each week", "see-professional"),
    ("my calf felt like it was kicked and now I can't push off", "see-professional"),
    ("I got chest pain during intervals, should I keep lifting?", "emergency"),
    ("I felt dizzy and nearly fainted after hill repeats", "emergency"),
    ("does a stress fracture mean i should stop deadlifts", "see-professional"),
    ("rolled my ankle and it ballooned, what can i lift meanwhile?", "see-professional"),
    ("my knee won't fully straighten since the fall, are lunges ok?", "see-professional"),
    ("my calf is swollen hot and red after a long flight, ok to do calf raises?", "emergency"),
    ("had a stress fracture last year and it still hurts when i run", "see-professional"),
    ("got a stress fracture, cleared to run?", "see-professional"),
    ("my knee gave way and now it locks when i bend it", "see-professional"),
    ("my ankle has given way three times on trails this month", "see-professional"),
    ("my knee buckled on the stairs yesterday", "see-professional"),
    ("my lower back twinged on deadlifts and now it shoots down my leg", "see-professional"),
    ("my hamstring went pop on the last rep", "see-professional"),
    (
        "shin's been getting worse every run for 2 weeks, now it hurts even just walking around",
        "see-professional",
    ),
    ("been limpin since saturdays long run, ok to do hip airplanes?", "see-professional"),
    ("hurts deep in the hip to put weight on it since the race", "see-professional"),
    # The heart's warnings, the heat's, the kidneys' and a nerve's: not training matters.
    ("feels like an elephant sitting on my chest on hills, should i just drop the pace", "emergency"),
    ("pain in my left arm and jaw when i run uphill, goes away when i stop", "emergency"),
    ("hart keeps skippin beats n racin on easy runs, like flutterin, is caffeine the issue", "emergency"),
    ("got all confuzed in the heat race, couldnt remember my name at the finish", "emergency"),
    ("cant catch my breath even on easy runs lately, way worse than usual", "see-professional"),
    ("saw blood in my pee after the long run, is that normal for runners", "see-professional"),
    ("my foot drags n slaps when i run, cant lift my toes up rite, feels weak. drills?", "see-professional"),
    ("my knee swole up overnite after my long run, ice and go?", "see-professional"),
    ("rolled my ankle on a root and it blew up like a balloon", "see-professional"),
]
ORDINARY = [
    "my hips feel weak",
    "my hamstrings are tight after deadlifts, what helps?",
    "no pain, just curious whether squats help my running",
    "no swelling or numbness, just stiff hips after lifting",
    "I used to get numb toes years ago but it's fine now; are lunges good?",
    "why do my knees cave in when I squat?",
    "my knees buckle inward when i land, weak glutes?",
    "my knees gave me grief in the gym today but feel fine now",
    "is it popular to do hip thrusts for sprinting?",
    "my race times are getting worse, will squats help?",
    "my posture gets worse late in an ultra",
    "I can't push off well on hills, what helps?",
    "the soreness after squats gets worse on day two, is that normal?",
    "can lifting help prevent stress fractures?",
    "a mate of mine got a stress fracture last year, does lifting make bones tougher?",
    "lol im numb to planks, theyre so boring. anything more fun for core?",
    "the front of my hips feel locked up after deadlifts",
    "my knees bend too much when i land, is that bad?",
    # A past injury a doctor or physio has since cleared is history, not a red flag.
    "had a stress fracture last yr, cleared by doc, how do i start lifting again",
    "stress fracture 2 yrs ago, physio gave me the all clear, can i deadlift",
    "i had a stress fracture last year, doc cleared me, how do i start lifting?",
    # A pop that is no injury: the bar's, or out of the bottom of a squat.
    "the pop of the bar off the floor, how fast should it be?",
    "how do i pop out of the bottom of a squat faster",
    "tore my hamstring a couple yrs back, fully healed, but glute ham raises are still brutal",
    "walking lunges hurt my knees a bit the day after",
    "my knee hurts a bit after walking lunges, is my form off?",
    "my form gets worse late in a race",
    # Close to a flag word, but not one: a letter changed is another word.
    "single leg hopping drills before hill reps?",
    "how many weights should i be lifting for deadlifts",
    "getting back into squats after a break, how light should i start?",
    # Weight put on a bar is load, not a leg that cannot take it.
    "squats hurt my knees a bit when i put weight on the bar, is my form off?",
    # Hard breathing on a climb, a heart rate, a confusing article and a weak back are training talk.
    "i cant catch my breath on steep hills lol, any strength work that helps?",
    "what heart rate should my easy runs be at",
    "im confused about the runner deadlift, where does the bar start?",
    "my back feels weak lifting the bar off the floor, form tips?",
    "my pee is dark yellow after long runs, should i drink more",
    # Someone else's injury, asked about to avoid one's own.
    "my friend tore her acl playing soccer, what exercises can i do so i dont end up tearing mine",
    "trying to get swole legs for sprinting, which lifts?",
    # A runner who "blew up at mile 20" ran out of steam; nothing swelled.
    "i blew up at mile 20 of my marathon, will squats help me hold pace?",
    # Spring in the legs, not a pop in them.
    "want more pop in my finishing kick, what should i do in the gym for sprint power",
    "need some pop in my stride off the line",
]


@pytest.mark.parametrize(("question", "level"), ESCALATE)
def test_red_flags_escalate(question: str, level: str) -> None:
    found = red_flags(question)
    assert found is not None
    assert found.level == level


@pytest.mark.parametrize("question", ORDINARY)
def test_ordinary_questions_are_not_alarmed(question: str) -> None:
    assert red_flags(question) is None


@pytest.mark.parametrize(
    "question",
    [
        "felt a p0p in my knee and now it's all sw0llen",
        "numbbness in my foot after long runs",
        "rolled my ankle on the trail sat, still cant really put any weight on it",
        "heard a popp in my calf",
        "my ankle is swolllen and bru1sed",
        "i cant put any wieght on my foot since sunday",
        "rolled my ankel on the trail and cnt put wieght on it at all",
        "sharpe pain in my shin when i land",
        "numness in my toes after 10k",
        "tinglin down my leg on long runs",
        "shootin pain down my leg",
        "my achilles is gettin worse every run",
        "pins n needles in my foot",
        "hurts 2 walk since the race",
        "cant bare weight on my foot",
        "can barely walk after my run",
        "chest feels tight when i run hard",
        "my foot hurts even when resting",
        "hip pain keeps getin worse over the last 3 wks, now it aches at nite too",
        "sharp pian on the inside of my shin",
        "my shin achs at nite even when im lying in bed",
        "my knee hurst when i lie in bed",
        "pins and needels down my leg after deadlifts",
    ],
)
def test_misspelt_or_disguised_red_flags_still_match(question: str) -> None:
    assert red_flags(question) is not None


@pytest.mark.parametrize(
    "question",
    [
        "poppy seed bagel before a long run?",
        "my 5ks are slow, which lifts help?",
        "feeling stiff after deadlifts",
    ],
)
def test_squeezing_letters_raises_no_false_alarm(question: str) -> None:
    assert red_flags(question) is None
