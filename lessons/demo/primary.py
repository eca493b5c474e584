"""Demo programme for Key Stage 2: "Friends, Feelings and Fair Play" (Years 5 and 6),
three lessons. Written for Upstream; every name and scenario is invented."""

from __future__ import annotations

from .build import activity, check, discuss, safeguarding, scenario, teacher_note

PROGRAMME = {
    "title": "Friends, Feelings and Fair Play",
    "slug": "friends-feelings-and-fair-play",
    "summary": (
        "Three lessons for Years 5 and 6 on understanding angry feelings, sorting out fallouts fairly, "
        "and knowing who can help, including when unkindness becomes bullying."
    ),
    "aims": (
        "<ul><li>Pupils can name feelings and use a calming strategy.</li>"
        "<li>Pupils can tell the difference between a fallout and bullying, and know how to respond.</li>"
        "<li>Pupils know who to tell when something is wrong.</li></ul>"
    ),
    "year_from": 5,
    "year_to": 6,
    "status": "evaluated",
    "toolkit_entry": "anti_bullying",
    "themes": ["emotions-and-wellbeing", "friendships", "help-seeking", "conflict-resolution"],
    "evidence_note": (
        "<p>The lessons draw on the classroom components of whole-school anti-bullying approaches. "
        "They work best alongside the school's own anti-bullying policy.</p>"
    ),
    "safeguarding_guidance": (
        "<p>Younger pupils may make disclosures more directly and in front of the class. If this happens, "
        "acknowledge what they said kindly, move the lesson on, and speak to them privately straight "
        "afterwards. Report any concern to the designated safeguarding lead the same day.</p>"
        "<ul><li>Use only the invented characters in the lessons; don't ask pupils to describe real "
        "fallouts with named classmates.</li>"
        "<li>Remind pupils of the adults they can talk to and of Childline (0800 1111).</li></ul>"
    ),
}

LESSONS = [
    {
        "title": "Big feelings",
        "slug": "big-feelings",
        "summary": "Naming feelings, noticing anger in our bodies, and ways to calm down.",
        "objectives": [
            "Name a range of feelings, including different strengths of anger",
            "Describe how anger feels in the body",
            "Use one calming strategy",
        ],
        "duration": 45,
        "vocabulary": [
            ("emotion", "A feeling, like happy, sad, worried or angry."),
            ("calm", "Feeling peaceful and in control."),
            ("strategy", "A plan or trick that helps you do something."),
        ],
        "body": [
            teacher_note("<p>Keep this light and active. Model the calming strategies yourself.</p>"),
            safeguarding(
                "<p>Some children live with adults whose anger frightens them. If a child says something "
                "worrying, follow your safeguarding procedures and talk to the DSL the same day.</p>"
            ),
            activity(
                "Feelings thermometer",
                10,
                "whole_class",
                "<p>Draw a thermometer from 'calm' to 'furious'. Pupils suggest words for each level "
                "(annoyed, cross, angry, furious).</p>",
            ),
            discuss("Is it OK to feel angry?", "What matters more: the feeling, or what we do with it?"),
            activity(
                "Body map",
                12,
                "small_groups",
                "<p>Groups draw an outline of a body and label where anger shows up (hot face, tight fists, "
                "fast heartbeat).</p>",
                "Large paper, pens",
            ),
            activity(
                "Calm-down tricks",
                15,
                "whole_class",
                "<p>Teach and practise three strategies: 'smell the flower, blow out the candle' breathing, "
                "counting backwards from ten, and asking for a break.</p>",
            ),
            check("What is one thing you can do when you feel your anger rising?", "Any of the three strategies."),
            activity(
                "Calm card", 8, "individual", "<p>Pupils draw their favourite calm-down trick on a card to keep.</p>"
            ),
        ],
    },
    {
        "title": "Fallouts and fair play",
        "slug": "fallouts-and-fair-play",
        "summary": "Sorting out disagreements fairly, and telling a fallout apart from bullying.",
        "objectives": [
            "Use a simple set of steps to sort out a disagreement",
            "Explain the difference between a fallout and bullying",
            "Say what to do if someone is being bullied",
        ],
        "duration": 45,
        "vocabulary": [
            ("fallout", "A disagreement between friends that both sides can sort out."),
            ("bullying", "Hurting someone on purpose, again and again, when it is hard for them to stop it."),
            ("compromise", "When both people give a little to reach an agreement."),
        ],
        "body": [
            teacher_note(
                "<p>Use your school's own definition of bullying if it differs. The key idea is: repeated, "
                "on purpose, and an imbalance of power.</p>"
            ),
            safeguarding(
                "<p>Pupils may use this lesson to tell you they are being bullied. Thank them, follow your "
                "anti-bullying policy, and pass on any safeguarding concern to the DSL.</p>"
            ),
            activity(
                "Fallout or bullying?",
                12,
                "pairs",
                "<p>Pairs sort situation cards into 'fallout' and 'bullying', then explain one choice to "
                "the class.</p>",
                "Situation cards",
            ),
            scenario(
                "The playground game",
                "<p>Ava and Leo both want to choose the game at playtime. Leo says Ava always gets her own "
                "way and walks off. The next day, Leo's friends won't let Ava join any game, and this "
                "keeps happening all week.</p>",
                "Which part is a fallout, and which part is starting to look like bullying?",
                "What could Ava and Leo have done on the first day?",
            ),
            activity(
                "Stop, think, talk, agree",
                15,
                "small_groups",
                "<p>Teach four steps: stop, think about how both people feel, talk it through, agree a fair "
                "solution. Groups act out Ava and Leo using the steps.</p>",
            ),
            discuss("What could a friend do if they saw Ava being left out every day?"),
            check("What makes something bullying rather than a fallout?", "On purpose, repeated, hard to stop."),
            activity(
                "Fair play promise", 18, "whole_class", "<p>The class agrees three fair-play promises for playtime.</p>"
            ),
        ],
    },
    {
        "title": "Who can help?",
        "slug": "who-can-help",
        "summary": "Trusted adults, telling versus telling tales, and Childline.",
        "objectives": [
            "Name trusted adults at home, in school and in the community",
            "Explain the difference between telling to get help and telling tales",
            "Know how to contact Childline",
        ],
        "duration": 45,
        "vocabulary": [
            ("trusted adult", "A grown-up you feel safe with who will listen and help."),
            ("Childline", "A free, private helpline for children: 0800 1111."),
        ],
        "body": [
            teacher_note("<p>Have a list of named adults in school ready to show pupils.</p>"),
            safeguarding(
                "<p>This lesson invites pupils to think about who they would tell. Be ready for disclosures "
                "and follow your safeguarding procedures.</p>"
            ),
            activity(
                "Helping hand",
                10,
                "individual",
                "<p>Pupils draw round their hand and write a trusted adult on each finger.</p>",
            ),
            discuss(
                "What is the difference between telling to get help and telling tales?",
                "Why might someone not want to tell?",
            ),
            scenario(
                "Noah's secret",
                "<p>An older child at the park told Noah to keep a secret and said he'd be in trouble if he "
                "told. Noah feels worried and can't sleep.</p>",
                "Is this a good secret or a worrying secret?",
                "Who could Noah tell?",
            ),
            activity(
                "Practise asking",
                15,
                "pairs",
                "<p>Pairs practise the words 'I need to tell you something' and 'Can I talk to you?'.</p>",
            ),
            check("What number can children call for free to talk to Childline?", "0800 1111."),
            activity(
                "Class help poster",
                20,
                "small_groups",
                "<p>Groups make a poster showing who can help in school and the Childline number.</p>",
            ),
        ],
    },
]
