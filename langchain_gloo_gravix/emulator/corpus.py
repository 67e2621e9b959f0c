"""The emulator's built-in ``GlooGrounded`` corpus: public-domain text only.

Verses are verbatim from the King James Version (1611 text as commonly printed;
public domain), chosen to cover the themes demos and tests ask about
(forgiveness, love, grace, peace, wisdom, faith, prayer). The FAQ entries
describe the emulator and what is known of Gloo's grounded route; they were
written for this package.

Each document is a dict with ``id``, ``title``, ``text`` and ``url``. The URLs
use the reserved ``.invalid`` domain: they identify a source and lead nowhere.
"""

from __future__ import annotations

__all__ = ["DEFAULT_PUBLISHER", "default_corpus"]

DEFAULT_PUBLISHER = "GlooGrounded"  # the server's default rag_publisher (docs/providers.md#grounded)

_KJV: tuple[tuple[str, str], ...] = (
    ("Genesis 1:1", "In the beginning God created the heaven and the earth."),
    ("Genesis 1:3", "And God said, Let there be light: and there was light."),
    ("Psalm 23:1", "The LORD is my shepherd; I shall not want."),
    ("Psalm 23:2", "He maketh me to lie down in green pastures: he leadeth me beside the still waters."),
    ("Psalm 23:3", "He restoreth my soul: he leadeth me in the paths of righteousness for his name's sake."),
    (
        "Psalm 23:4",
        "Yea, though I walk through the valley of the shadow of death, I will fear no evil: for thou art "
        "with me; thy rod and thy staff they comfort me.",
    ),
    ("Psalm 46:1", "God is our refuge and strength, a very present help in trouble."),
    ("Psalm 119:105", "Thy word is a lamp unto my feet, and a light unto my path."),
    ("Proverbs 3:5", "Trust in the LORD with all thine heart; and lean not unto thine own understanding."),
    ("Proverbs 3:6", "In all thy ways acknowledge him, and he shall direct thy paths."),
    ("Ecclesiastes 3:1", "To every thing there is a season, and a time to every purpose under the heaven:"),
    (
        "Isaiah 40:31",
        "But they that wait upon the LORD shall renew their strength; they shall mount up with wings as "
        "eagles; they shall run, and not be weary; and they shall walk, and not faint.",
    ),
    (
        "Micah 6:8",
        "He hath shewed thee, O man, what is good; and what doth the LORD require of thee, but to do "
        "justly, and to love mercy, and to walk humbly with thy God?",
    ),
    ("Matthew 5:9", "Blessed are the peacemakers: for they shall be called the children of God."),
    ("Matthew 6:14", "For if ye forgive men their trespasses, your heavenly Father will also forgive you:"),
    (
        "Matthew 6:34",
        "Take therefore no thought for the morrow: for the morrow shall take thought for the things of "
        "itself. Sufficient unto the day is the evil thereof.",
    ),
    ("Matthew 7:7", "Ask, and it shall be given you; seek, and ye shall find; knock, and it shall be opened unto you:"),
    (
        "Matthew 7:12",
        "Therefore all things whatsoever ye would that men should do to you, do ye even so to them: for "
        "this is the law and the prophets.",
    ),
    ("Matthew 11:28", "Come unto me, all ye that labour and are heavy laden, and I will give you rest."),
    (
        "Matthew 18:21",
        "Then came Peter to him, and said, Lord, how oft shall my brother sin against me, and I forgive "
        "him? till seven times?",
    ),
    ("Matthew 18:22", "Jesus saith unto him, I say not unto thee, Until seven times: but, Until seventy times seven."),
    (
        "Matthew 22:37",
        "Jesus said unto him, Thou shalt love the Lord thy God with all thy heart, and with all thy "
        "soul, and with all thy mind.",
    ),
    ("Matthew 22:39", "And the second is like unto it, Thou shalt love thy neighbour as thyself."),
    ("Luke 6:31", "And as ye would that men should do to you, do ye also to them likewise."),
    (
        "Luke 6:37",
        "Judge not, and ye shall not be judged: condemn not, and ye shall not be condemned: forgive, and ye "
        "shall be forgiven:",
    ),
    ("John 1:1", "In the beginning was the Word, and the Word was with God, and the Word was God."),
    (
        "John 3:16",
        "For God so loved the world, that he gave his only begotten Son, that whosoever believeth in him "
        "should not perish, but have everlasting life.",
    ),
    ("John 8:32", "And ye shall know the truth, and the truth shall make you free."),
    (
        "John 14:6",
        "Jesus saith unto him, I am the way, the truth, and the life: no man cometh unto the Father, but by me.",
    ),
    (
        "John 14:27",
        "Peace I leave with you, my peace I give unto you: not as the world giveth, give I unto you. Let "
        "not your heart be troubled, neither let it be afraid.",
    ),
    (
        "Romans 8:28",
        "And we know that all things work together for good to them that love God, to them who are the "
        "called according to his purpose.",
    ),
    ("Romans 12:21", "Be not overcome of evil, but overcome evil with good."),
    (
        "1 Corinthians 13:4",
        "Charity suffereth long, and is kind; charity envieth not; charity vaunteth not itself, is not puffed up,",
    ),
    ("1 Corinthians 13:13", "And now abideth faith, hope, charity, these three; but the greatest of these is charity."),
    ("Galatians 5:22", "But the fruit of the Spirit is love, joy, peace, longsuffering, gentleness, goodness, faith,"),
    ("Galatians 5:23", "Meekness, temperance: against such there is no law."),
    ("Ephesians 2:8", "For by grace are ye saved through faith; and that not of yourselves: it is the gift of God:"),
    (
        "Ephesians 4:32",
        "And be ye kind one to another, tenderhearted, forgiving one another, even as God for Christ's "
        "sake hath forgiven you.",
    ),
    (
        "Philippians 4:6",
        "Be careful for nothing; but in every thing by prayer and supplication with thanksgiving let "
        "your requests be made known unto God.",
    ),
    ("Philippians 4:13", "I can do all things through Christ which strengtheneth me."),
    (
        "Colossians 3:13",
        "Forbearing one another, and forgiving one another, if any man have a quarrel against any: even "
        "as Christ forgave you, so also do ye.",
    ),
    ("Hebrews 11:1", "Now faith is the substance of things hoped for, the evidence of things not seen."),
    (
        "James 1:5",
        "If any of you lack wisdom, let him ask of God, that giveth to all men liberally, and upbraideth "
        "not; and it shall be given him.",
    ),
    (
        "1 John 1:9",
        "If we confess our sins, he is faithful and just to forgive us our sins, and to cleanse us from all "
        "unrighteousness.",
    ),
    ("1 John 4:8", "He that loveth not knoweth not God; for God is love."),
)

_FAQ: tuple[tuple[str, str, str], ...] = (
    (
        "faq-grounded",
        "What is a grounded completion?",
        "A grounded completion first retrieves passages from a publisher's corpus, GlooGrounded by default, and then "
        "answers from them. The answer says whether sources were returned, and lists citations when include_citations "
        "is true. When no passage matches, the model still answers, without sources.",
    ),
    (
        "faq-publisher",
        "How do I ground answers in my own content?",
        "Pass rag_publisher with your publisher name. In the local emulator, register a publisher with "
        "Emulator.register_publisher(name, documents) or start it with --publisher NAME=path.jsonl, one JSON document "
        "with a text field per line.",
    ),
    (
        "faq-sources-limit",
        "How many sources does a grounded answer use?",
        "sources_limit sets how many sources are retrieved, from 1 to 10. The emulator uses 5 when it is not given.",
    ),
    (
        "faq-citations",
        "What do grounded citations look like?",
        "Gloo has not published the citation shape. The emulator sends a list of objects with source_id, title, url, "
        "snippet and publisher; clients should keep citations exactly as received.",
    ),
    (
        "faq-tokens",
        "How long do Gloo access tokens last?",
        "Gloo access tokens come from the OAuth2 client-credentials grant with the scope api/access and expire after "
        "one hour; the clients in this package refresh them automatically.",
    ),
    (
        "faq-routing",
        "Which routing modes does Gloo Completions v2 offer?",
        "Gloo Completions v2 routes each request by exactly one mechanism: auto_routing, model_family or a direct "
        "model id. The grounded route takes the same routing fields and the tradition field.",
    ),
    (
        "faq-emulator",
        "What is the local emulator?",
        "The emulator is a local stand-in for Gloo AI and Gravix Layer chat completions. It binds 127.0.0.1 only, "
        "answers deterministically and can inject faults such as rate limits and broken streams.",
    ),
)


def _slug(reference: str) -> str:
    return reference.lower().replace(" ", "-").replace(":", "-")


def default_corpus() -> list[dict]:
    """The built-in documents, fresh dicts on every call."""
    verses = [
        {
            "id": f"kjv-{_slug(ref)}",
            "title": f"{ref} (KJV)",
            "text": text,
            "url": f"https://corpus.emulator.invalid/{DEFAULT_PUBLISHER}/kjv/{_slug(ref)}",
        }
        for ref, text in _KJV
    ]
    faq = [
        {
            "id": doc_id,
            "title": question,
            "text": answer,
            "url": f"https://corpus.emulator.invalid/{DEFAULT_PUBLISHER}/faq/{doc_id}",
        }
        for doc_id, question, answer in _FAQ
    ]
    return verses + faq
