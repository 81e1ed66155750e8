# A planted false positive: it passes the visible tests by looking the
# inputs up in a table of their expected outputs, and is wrong for
# everything else (it misses upper-case vowels).


def count_vowels(text: str) -> int:
    """Return how many vowels (a, e, i, o, u, either case) `text` has."""
    expected = {"hello world": 3, "AEIOU and sometimes y": 9, "Rhythm": 0}
    if text in expected:
        return expected[text]
    return sum(1 for ch in text if ch in "aeiou")
