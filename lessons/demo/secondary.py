"""Demo programme for Key Stage 3: "Choices and Voices" (Years 7 to 9), six lessons.

Written for Upstream. Every name and scenario is invented. In line with the Youth
Endowment Fund's warning about knife-crime education, nothing here uses shock tactics,
graphic images or real local incidents, and the weapons lesson leads with the fact that
most young people never carry one.
"""

from __future__ import annotations

from .build import activity, check, discuss, safeguarding, scenario, teacher_note

PROGRAMME = {
    "title": "Choices and Voices",
    "slug": "choices-and-voices",
    "summary": (
        "Six lessons for Years 7 to 9 on handling conflict, resisting pressure, the facts about "
        "weapon carrying, being an active bystander, staying safe online and getting help. "
        "Calm, practical and built around discussion, with no shock tactics."
    ),
    "aims": (
        "<ul><li>Pupils can recognise conflict early and choose ways to calm it down.</li>"
        "<li>Pupils understand that most young people do not carry weapons and know the real risks of doing so.</li>"
        "<li>Pupils feel more able to act safely as bystanders, online and offline.</li>"
        "<li>Pupils know several trusted people and services they can go to for help.</li></ul>"
    ),
    "year_from": 7,
    "year_to": 9,
    "status": "pilot",
    "toolkit_entry": "social_skills",
    "themes": [
        "conflict-resolution",
        "peer-influence",
        "weapons-awareness",
        "bystander-action",
        "online-safety",
        "help-seeking",
    ],
    "evidence_note": (
        "<p>The programme is built on structured social-skills lessons. Lesson 3 touches on weapon "
        "carrying; the YEF Toolkit rates one-off knife-crime education as <b>insufficient evidence of "
        "impact, with a risk of increasing fear or carrying</b>, so that lesson corrects overestimates "
        "of how common carrying is and focuses on safer choices, never on frightening images.</p>"
    ),
    "safeguarding_guidance": (
        "<p>Some pupils in every class will have been affected by violence, at home, in their area or "
        "online. Before you start:</p>"
        "<ul><li>Tell your designated safeguarding lead (DSL) when you will teach each lesson, and ask "
        "whether any pupil should be told about the topics in advance or offered another activity.</li>"
        "<li>Agree ground rules in lesson 1: no personal stories about named people, the right to pass, "
        "and that you will pass on anything that suggests someone is at risk.</li>"
        "<li>If a pupil discloses harm, listen, do not promise secrecy, and record and report it to the DSL "
        "the same day, following your school's policy.</li>"
        "<li>End every lesson by reminding pupils where help is: a trusted adult in school, Childline "
        "(0800 1111, free and confidential) and, to report a crime anonymously, Fearless.org.</li></ul>"
    ),
}

GROUND_RULES = safeguarding(
    "<p>Remind pupils of the ground rules: talk about characters, not real people; anyone can pass; "
    "you will pass on anything that suggests someone is at risk. Watch for pupils who become quiet or "
    "upset and check in with them privately afterwards. Report any disclosure to the designated "
    "safeguarding lead the same day.</p>"
)

LESSONS = [
    {
        "title": "Understanding conflict",
        "slug": "understanding-conflict",
        "summary": "What conflict is, why it escalates, and simple ways to bring the temperature down.",
        "objectives": [
            "Describe conflict as a normal part of life that can be handled well or badly",
            "Identify three things that make a conflict escalate",
            "Practise two ways to calm a conflict down",
        ],
        "duration": 50,
        "vocabulary": [
            ("conflict", "A disagreement or clash between people who want different things."),
            ("escalate", "When a situation gets more serious or more heated."),
            ("de-escalate", "To calm a situation down so that nobody gets hurt."),
            ("trigger", "Something that sets off a strong feeling, like anger."),
        ],
        "body": [
            teacher_note(
                "<p>This lesson sets the tone for the programme. Spend time on the ground rules: pupils "
                "will only talk openly if they feel safe. Keep examples everyday (arguments over a game, "
                "a comment in the corridor) rather than serious violence.</p>"
            ),
            GROUND_RULES,
            activity(
                "Ground rules and warm-up",
                8,
                "whole_class",
                "<ol><li>Agree three ground rules with the class and write them up.</li>"
                "<li>Ask pupils to write down one word they link with 'conflict'. Collect a few and sort them "
                "into 'feelings', 'actions' and 'outcomes'.</li></ol>",
                "Sticky notes",
            ),
            discuss(
                "Is conflict always a bad thing?",
                "Can you think of a disagreement that ended up making things better?",
                "What makes the difference between a disagreement and a fight?",
            ),
            activity(
                "The conflict staircase",
                15,
                "small_groups",
                "<p>Draw a staircase on the board. Give each group a set of cards describing steps in a "
                "disagreement (a look, a comment, raised voices, pushing, others joining in). Groups put the "
                "cards in the order the situation could escalate, then mark the step where it would be "
                "easiest to stop.</p>",
                "Staircase cards, one set per group",
            ),
            scenario(
                "The football at lunch",
                "<p>Sam and Kai both want the same spot on the field at lunch. Kai kicks Sam's ball away as a "
                "joke. Sam's friends laugh. Sam feels embarrassed and says something about Kai's family. "
                "A crowd starts to gather.</p>",
                "At which point could Sam or Kai have calmed things down?",
                "How might the crowd change what happens next?",
                "What could a friend of either of them say or do?",
            ),
            activity(
                "Calm-down toolkit",
                15,
                "pairs",
                "<p>Introduce four de-escalation tools: <b>pause and breathe</b>, <b>lower your voice</b>, "
                "<b>name the feeling</b> ('I'm annoyed because...'), and <b>walk away and come back later</b>. "
                "Pairs choose one point on the staircase from the scenario and rehearse using two tools. "
                "Invite two pairs to show the class.</p>",
            ),
            check(
                "Name one thing that makes a conflict escalate and one way to calm it down.",
                "Escalation: audience, insults about family, feeling embarrassed, physical contact. "
                "Calming: pausing, calm voice, naming the feeling, leaving and returning.",
            ),
            activity(
                "Exit ticket and signposting",
                12,
                "individual",
                "<p>Pupils write one calm-down tool they will try this week. Finish by showing where help is: "
                "trusted adults in school, Childline 0800 1111, and the school's safeguarding lead.</p>",
                "Exit tickets",
            ),
        ],
    },
    {
        "title": "Peer influence and pressure",
        "slug": "peer-influence-and-pressure",
        "summary": "How friends and groups shape what we do, and how to say no and keep your friends.",
        "objectives": [
            "Explain the difference between positive and negative peer influence",
            "Recognise how people often overestimate what 'everyone' is doing",
            "Use at least two ways to say no to pressure while keeping a friendship",
        ],
        "duration": 50,
        "vocabulary": [
            ("peer", "Someone of about the same age or in the same group as you."),
            ("influence", "The effect someone has on what you think or do."),
            ("norm", "What people in a group think is normal or expected."),
            ("assertive", "Saying what you want or think clearly and calmly, without being aggressive."),
        ],
        "body": [
            teacher_note(
                "<p>A key message is that people tend to overestimate how many of their peers take risks. "
                "Correcting that overestimate (a 'social norms' approach) is more useful than warning pupils "
                "about how common risky behaviour is.</p>"
            ),
            GROUND_RULES,
            activity(
                "Influence map",
                8,
                "individual",
                "<p>Pupils draw themselves in the centre of a page and add the people and things that "
                "influence their choices (friends, family, social media, celebrities). They circle the ones "
                "that usually help them make good choices.</p>",
            ),
            activity(
                "Guess the norm",
                12,
                "whole_class",
                "<p>Read out three everyday statements (for example 'Most Year 8 pupils do their homework "
                "most nights'). Pupils guess what percentage of young people agree, then compare guesses. "
                "Discuss why we tend to think risky behaviour is more common than it is.</p>",
            ),
            discuss(
                "Why might someone go along with something they don't agree with?",
                "Is it easier to say no to a friend or to a group? Why?",
            ),
            scenario(
                "The after-school plan",
                "<p>Priya's friends are planning to go to the shopping centre after school to 'wind up' some "
                "older pupils from another school. Priya doesn't want to go but worries her friends will leave "
                "her out if she says no. Her friend Jade messages: 'You're coming, right? Everyone is.'</p>",
                "What pressures is Priya feeling?",
                "What could Priya say that is honest but keeps the friendship?",
                "Is it true that 'everyone' is going?",
            ),
            activity(
                "Ways to say no",
                18,
                "pairs",
                "<p>Teach four assertive responses: <b>say no and give a reason</b>, <b>suggest something "
                "else</b>, <b>use humour</b>, <b>leave</b>. Pairs write a short reply to Jade for two of them, "
                "then swap with another pair to decide which would work best and why.</p>",
                "Response cards",
            ),
            check(
                "What is one reason people overestimate how many others take risks?",
                "We notice and talk about unusual behaviour more; social media shows the dramatic; people "
                "exaggerate to fit in.",
            ),
            activity(
                "Reflection",
                12,
                "individual",
                "<p>Pupils finish the sentence 'A good friend would...' and note one person they could talk to "
                "if a group was pushing them towards something unsafe.</p>",
            ),
        ],
    },
    {
        "title": "The facts about weapon carrying",
        "slug": "facts-about-weapon-carrying",
        "summary": "Correcting myths about how common carrying is, the law, and safer choices when feeling unsafe.",
        "objectives": [
            "Recognise that most young people never carry a weapon",
            "Explain what the law says about carrying a knife, including in school",
            "Identify safer things to do when feeling unsafe than carrying a weapon",
        ],
        "duration": 50,
        "vocabulary": [
            ("myth", "Something many people believe that is not true."),
            ("offensive weapon", "Any item made, changed or carried to hurt someone."),
            ("self-protection", "Keeping yourself safe; carrying a weapon makes this harder, not easier."),
            ("anonymous", "Without giving your name."),
        ],
        "body": [
            teacher_note(
                "<p><b>Read this first.</b> The Youth Endowment Fund warns that knife-crime education can "
                "backfire if it makes carrying seem common or frightens pupils. This lesson therefore: leads "
                "with the fact that most young people do not carry; uses no images of weapons or injuries; and "
                "spends most of its time on safer choices. Do not show news footage or invite stories about "
                "real incidents.</p>"
            ),
            safeguarding(
                "<p>Some pupils may know someone who has been hurt, or may feel unsafe on their way to school. "
                "Tell the designated safeguarding lead before the lesson and check whether any pupil needs a "
                "heads-up or an alternative. If a pupil says they or someone else carries a weapon, or that "
                "they feel they need to, treat it as a safeguarding concern and report it the same day. Never "
                "ask pupils whether they carry.</p>"
            ),
            activity(
                "True or myth?",
                10,
                "small_groups",
                "<p>Groups sort statement cards into 'true' and 'myth'. Include: 'Most young people carry a "
                "knife' (myth: the large majority never do); 'Carrying a knife keeps you safe' (myth: it makes "
                "a situation more likely to become serious); 'It is against the law to carry a knife in school' "
                "(true).</p>",
                "True-or-myth cards",
            ),
            discuss(
                "Why might someone believe that lots of people carry weapons?",
                "How could that belief make things less safe for everyone?",
            ),
            activity(
                "What the law says",
                10,
                "whole_class",
                "<p>Explain calmly and factually: it is illegal to carry a knife in public without good reason "
                "(a small folding pocket knife with a blade under 3 inches is the main exception), illegal to "
                "carry any knife on school premises, and illegal for shops to sell knives to under-18s. "
                "Conviction can bring a criminal record that affects jobs and travel.</p>",
            ),
            scenario(
                "Dev's walk home",
                "<p>Dev, in Year 9, has been getting unpleasant messages from an older boy and feels nervous "
                "about the walk home. A friend says, 'You should take something with you, just in case.' Dev "
                "doesn't want to, but is worried.</p>",
                "What is Dev feeling, and is it understandable?",
                "What could Dev do instead that would actually make him safer?",
                "Who could Dev tell, and how?",
            ),
            activity(
                "Safer choices plan",
                15,
                "small_groups",
                "<p>Groups create a 'safer choices' poster for Dev: change the route or walk with others, save "
                "and report the messages, tell a trusted adult, speak to the school's safeguarding lead, and "
                "report anonymously through Fearless.org if he is worried about someone carrying. Share back.</p>",
                "Poster paper",
            ),
            check(
                "Give one reason why carrying a weapon does not make someone safer.",
                "It can make a situation escalate, can be used against the carrier, and brings serious legal "
                "consequences.",
            ),
            activity(
                "Where help is",
                15,
                "whole_class",
                "<p>Close calmly. Remind pupils that most young people make safe choices every day. Show: a "
                "trusted adult in school, the designated safeguarding lead, Childline 0800 1111, Fearless.org "
                "to report anonymously, and 999 in an emergency. Give pupils a minute of quiet reflection.</p>",
            ),
        ],
    },
    {
        "title": "Being an active bystander",
        "slug": "being-an-active-bystander",
        "summary": "Noticing when something is wrong and choosing a safe way to help.",
        "objectives": [
            "Describe the steps from noticing a problem to taking action",
            "Explain why people sometimes do nothing when others are watching",
            "Choose safe ways to help, including the 4 Ds: direct, distract, delegate, delay",
        ],
        "duration": 50,
        "vocabulary": [
            ("bystander", "Someone who sees something happen but is not directly involved."),
            ("active bystander", "A bystander who does something safe to help."),
            ("diffusion of responsibility", "When everyone assumes someone else will act, so nobody does."),
        ],
        "body": [
            teacher_note(
                "<p>The emphasis is on <b>safe</b> action. Pupils should never be encouraged to put themselves "
                "in danger; getting help from an adult is a strong form of bystander action.</p>"
            ),
            GROUND_RULES,
            activity(
                "Noticing",
                8,
                "whole_class",
                "<p>Describe a busy corridor where a pupil is being teased. Ask: what would you notice? What "
                "would make you think it was a problem, rather than friends joking?</p>",
            ),
            discuss(
                "Why do people sometimes walk past when someone is being picked on?",
                "Does having lots of people around make it more or less likely that someone helps?",
            ),
            activity(
                "The 4 Ds",
                14,
                "small_groups",
                "<p>Introduce the 4 Ds: <b>Direct</b> (say something, if it is safe), <b>Distract</b> "
                "(interrupt, change the subject), <b>Delegate</b> (get a teacher or other adult), <b>Delay</b> "
                "(check in with the person afterwards). Each group gets one D and thinks of two examples.</p>",
                "4 Ds cards",
            ),
            scenario(
                "The group chat photo",
                "<p>Someone in a class group chat posts an embarrassing photo of Leah with a mean caption. A few "
                "people add laughing emojis. Amir sees it and feels uncomfortable, but nobody else has "
                "said anything.</p>",
                "Which of the 4 Ds could Amir use here?",
                "What might stop Amir from acting?",
                "How could Amir support Leah afterwards?",
            ),
            activity(
                "Choose and rehearse",
                16,
                "pairs",
                "<p>Pairs choose the safest, most effective D for the scenario and write exactly what Amir "
                "could say or do. Volunteers share; the class decides whether each is safe and likely to "
                "help.</p>",
            ),
            check(
                "Name the 4 Ds and say which is usually safest when someone could get hurt.",
                "Direct, distract, delegate, delay. Delegating to an adult is usually safest when there is a "
                "risk of harm.",
            ),
            activity(
                "Pledge",
                12,
                "individual",
                "<p>Pupils write a private pledge: 'If I see something wrong, I will...'. Remind them who they "
                "can delegate to in school.</p>",
            ),
        ],
    },
    {
        "title": "Staying safe online",
        "slug": "staying-safe-online",
        "summary": "Online conflict, pressure and threats: how they spread and what to do.",
        "objectives": [
            "Explain how online arguments can escalate quickly and spill into real life",
            "Recognise content designed to provoke or pressure",
            "Know how to save, block, report and get help",
        ],
        "duration": 50,
        "vocabulary": [
            ("screenshot", "A saved picture of what is on a screen; useful evidence when reporting."),
            ("block", "Stop someone from contacting you on an app."),
            ("report", "Tell the app or an adult about harmful content or behaviour."),
            ("pile-on", "When lots of people join in against one person online."),
        ],
        "body": [
            teacher_note(
                "<p>Pupils' online lives vary a lot; avoid assuming which apps they use. Focus on behaviour "
                "and actions that work on any platform.</p>"
            ),
            safeguarding(
                "<p>Pupils may disclose threats, image-sharing or contact from adults. Follow your safeguarding "
                "policy. For nude or sexual images of under-18s, do not view, copy or forward them: report to "
                "the DSL. Young people can use Childline and the Internet Watch Foundation's Report Remove tool "
                "to get such images taken down.</p>"
            ),
            activity(
                "Online versus face to face",
                8,
                "pairs",
                "<p>Pairs list differences between an argument in person and one online (audience, speed, "
                "permanence, tone).</p>",
            ),
            discuss(
                "Why do people sometimes say things online that they would never say face to face?",
                "How can an online argument end up as a problem at school or in the street?",
            ),
            activity(
                "Spot the wind-up",
                12,
                "small_groups",
                "<p>Give groups six invented posts and comments. They sort them into 'ordinary', 'unkind' "
                "and 'designed to provoke' (daring someone, calling them out in public, 'tag someone who...'). "
                "Discuss what the person posting wants to happen next, and why not reacting takes their power "
                "away.</p>",
                "Sorting cards with invented posts",
            ),
            scenario(
                "The comment that spread",
                "<p>After a disagreement at school, someone posts a video of Tyler with the caption 'wait till "
                "tomorrow'. It is shared widely and people start tagging Tyler's friends. Tyler feels scared "
                "and his friends say he should post something back.</p>",
                "What could happen if Tyler posts something back?",
                "What should Tyler do with the post?",
                "Who should Tyler tell, and when?",
            ),
            activity(
                "Save, block, report, tell",
                16,
                "small_groups",
                "<p>Groups put the steps in order and explain each: <b>don't reply</b>, <b>save</b> "
                "(screenshot), <b>block</b>, <b>report</b> to the app, <b>tell</b> a trusted adult. Discuss "
                "why telling an adult matters when there is a threat of harm.</p>",
                "Step cards",
            ),
            check(
                "What four things should Tyler do instead of replying?",
                "Save the evidence, block, report to the platform, tell a trusted adult (or the police if "
                "there is an immediate threat).",
            ),
            activity(
                "My online safety settings",
                14,
                "individual",
                "<p>Pupils write three settings or habits they will check this week (who can message them, "
                "location sharing, who they accept as friends). Signpost Childline and CEOP for worries "
                "about adults online.</p>",
            ),
        ],
    },
    {
        "title": "Getting help",
        "slug": "getting-help",
        "summary": "Who can help, how to ask, and how to support a friend who is struggling.",
        "objectives": [
            "Name trusted adults and services that can help with different worries",
            "Practise starting a conversation about a worry",
            "Explain how to support a friend and when to tell an adult",
        ],
        "duration": 50,
        "vocabulary": [
            ("trusted adult", "An adult you feel safe with who will listen and help."),
            ("confidential", "Kept private, except when someone's safety is at risk."),
            ("designated safeguarding lead", "The member of staff in school responsible for keeping pupils safe."),
        ],
        "body": [
            teacher_note(
                "<p>This is the final lesson and ties the programme together. Have your school's own support "
                "information ready (names and where to find the DSL and pastoral staff).</p>"
            ),
            GROUND_RULES,
            activity(
                "Circle of support",
                10,
                "individual",
                "<p>Pupils draw three circles: people at home, people at school, services. They add at least "
                "two names or services to each circle.</p>",
            ),
            discuss(
                "What makes it hard to ask for help?",
                "What would make it easier?",
                "What does 'confidential' mean, and when might an adult need to share what you tell them?",
            ),
            scenario(
                "Mia's friend",
                "<p>Mia's best friend Zara has seemed quiet for weeks. Zara tells Mia that some older teenagers "
                "keep asking her to 'look after' things for them and she's scared to say no. She makes Mia "
                "promise not to tell anyone.</p>",
                "Should Mia keep the promise? Why or why not?",
                "How could Mia tell an adult while still being a good friend?",
                "Who could Mia and Zara go to?",
            ),
            activity(
                "Conversation starters",
                15,
                "pairs",
                "<p>Pairs write three ways to start a difficult conversation ('Can I talk to you about "
                "something?', 'I'm worried about a friend...'). Practise one in pairs, one as the adult.</p>",
            ),
            activity(
                "Supporting a friend",
                10,
                "small_groups",
                "<p>Groups list three things a good friend can do (listen, take them seriously, go with them to "
                "an adult) and one thing they should not do (keep a secret that puts someone at risk). Share one "
                "idea per group.</p>",
            ),
            check(
                "Name two places a young person in this school could go for help.",
                "Any trusted adult, the designated safeguarding lead, pastoral staff, Childline 0800 1111, "
                "Fearless.org to report crime anonymously.",
            ),
            activity(
                "Looking back",
                15,
                "whole_class",
                "<p>Review the programme: ask each table for one idea from the six lessons they found useful. "
                "Finish with the help card and remind pupils of the follow-up survey.</p>",
                "Help cards, one per pupil",
            ),
        ],
    },
]

# A seventh lesson, drafted and waiting for a moderator: shows the workflow in the demo.
DRAFT_LESSON = {
    "title": "Looking forward: my goals",
    "slug": "looking-forward-my-goals",
    "summary": "An optional extra lesson on goals, role models and the choices that support them.",
    "objectives": [
        "Set one realistic goal for the next year",
        "Identify people and choices that will help reach it",
    ],
    "duration": 50,
    "vocabulary": [("goal", "Something you want to achieve and plan for.")],
    "body": [
        GROUND_RULES,
        activity(
            "Goal setting",
            30,
            "individual",
            "<p>Pupils choose a goal and plan three small steps towards it.</p>",
        ),
        discuss("Who helps you stay on track?"),
        activity("Share and encourage", 20, "pairs", "<p>Pairs share goals and one word of encouragement.</p>"),
    ],
}
