"""behaviour_key: alpha-equivalent programs share a key; programs that could behave
differently never do."""

from __future__ import annotations

import pytest

from auditor.dedupe import behaviour_key

BASE = "def f(xs):\n    total = 0\n    for x in xs:\n        total += x\n    return total\n"

SAME = {
    "renamed locals and parameter": (
        "def f(numbers):\n    s = 0\n    for n in numbers:\n        s += n\n    return s\n"
    ),
    "docstring and comments": (
        'def f(xs):\n    """Sum."""\n    total = 0  # start\n'
        "    for x in xs:\n        total += x\n    return total\n"
    ),
    "layout": "def f(xs):\n    total=0\n    for x in xs: total+=x\n    return total\n",
}

DIFFERENT = {
    "another operation": BASE.replace("+=", "-="),
    "another constant": BASE.replace("= 0", "= 1"),
    "two names merged": (
        "def f(xs):\n    total = 0\n    for total in xs:\n        total += total\n    return total\n"
    ),
}


@pytest.mark.parametrize("name", sorted(SAME))
def test_equivalent_programs_share_a_key(name: str) -> None:
    assert behaviour_key(SAME[name]) == behaviour_key(BASE)


@pytest.mark.parametrize("name", sorted(DIFFERENT))
def test_different_programs_differ(name: str) -> None:
    assert behaviour_key(DIFFERENT[name]) != behaviour_key(BASE)


# Pairs that renaming every bound name in order of first appearance would merge, but that
# can behave differently: a program sees a name, or a name links to a string, keyword,
# capture or builtin. They must not merge.
OBSERVABLE = {
    "locals()": (
        "def f(a):\n    b = a\n    return sorted(locals())\n",
        "def f(a):\n    c = a\n    return sorted(locals())\n",
    ),
    "keyword names a parameter": (
        "def g(x):\n    return x\ndef f(a):\n    return g(x=a)\n",
        "def g(y):\n    return y\ndef f(a):\n    return g(x=a)\n",
    ),
    "** unpacking of a dict": (
        "def g(a):\n    return a\ndef f(x):\n    return g(**{'a': x})\n",
        "def g(b):\n    return b\ndef f(x):\n    return g(**{'a': x})\n",
    ),
    "string names a field": (
        "import collections\ndef f(v):\n    P = collections.namedtuple('P', 'x')\n"
        "    x = v\n    return P(x).x\n",
        "import collections\ndef f(v):\n    P = collections.namedtuple('P', 'x')\n"
        "    y = v\n    return P(y).x\n",
    ),
    "exception message": (
        "def f(a):\n    try:\n        b = b + a\n    except NameError as e:\n        return str(e)\n",
        "def f(a):\n    try:\n        c = c + a\n    except NameError as e:\n        return str(e)\n",
    ),
    "match capture": (
        "def f(p):\n    x = 0\n    match p:\n        case [x]:\n            return x\n",
        "def f(p):\n    z = 0\n    match p:\n        case [x]:\n            return z\n",
    ),
    "shadowed builtin": (
        "def f(xs):\n    def g():\n        return len(xs)\n    len = 3\n    return g()\n",
        "def f(xs):\n    def g():\n        return n(xs)\n    n = 3\n    return g()\n",
    ),
    "code object": (
        "def f(a):\n    b = a\n    return f.__code__.co_varnames\n",
        "def f(a):\n    c = a\n    return f.__code__.co_varnames\n",
    ),
    "sys frame": (
        "import sys\ndef f(a):\n    b = a\n    return sorted(sys._getframe().f_locals)\n",
        "import sys\ndef f(a):\n    c = a\n    return sorted(sys._getframe().f_locals)\n",
    ),
    "class attributes": (
        "class C:\n    x = 1\ndef f(a):\n    return C.x\n",
        "class C:\n    y = 1\ndef f(a):\n    return C.x\n",
    ),
    # red team, session 17: a wrong program shared a correct one's label
    "module docstring read through __doc__": (
        '"""0"""\ndef f(a):\n    return a + int(__doc__)\n',
        '"""7"""\ndef f(a):\n    return a + int(__doc__)\n',
    ),
    "locals through __builtins__": (
        "def f(a):\n    total = a\n    return len(list(__builtins__['locals']())[0])\n",
        "def f(a):\n    t = a\n    return len(list(__builtins__['locals']())[0])\n",
    ),
    "a generator's line number": (
        "def f(a):\n    g = (x for x in [a])\n    return g.gi_frame.f_lineno\n",
        "def f(a):\n\n    g = (x for x in [a])\n    return g.gi_frame.f_lineno\n",
    ),
    "attrgetter of a dunder": (
        'import operator\ndef f(a):\n    """1"""\n    return operator.attrgetter("__doc__")(f)\n',
        'import operator\ndef f(a):\n    """2"""\n    return operator.attrgetter("__doc__")(f)\n',
    ),
    "a docstring through pydoc (red team, round 4)": (
        'import pydoc\ndef f(a):\n    """0"""\n    return a + int(pydoc.getdoc(f))\n',
        'import pydoc\ndef f(a):\n    """7"""\n    return a + int(pydoc.getdoc(f))\n',
    ),
    "a parameter's name in a captured TypeError": (
        "import unittest\ndef _h(total):\n    return total\ndef f(a):\n"
        "    with unittest.TestCase().assertRaises(TypeError) as cm:\n        _h()\n"
        "    return a + len(str(cm.exception))\n",
        "import unittest\ndef _h(t):\n    return t\ndef f(a):\n"
        "    with unittest.TestCase().assertRaises(TypeError) as cm:\n        _h()\n"
        "    return a + len(str(cm.exception))\n",
    ),
    "parameter names through typing.get_type_hints (red team, s18)": (
        "import typing\ndef _h(total: int) -> int:\n    return 0\ndef f(a):\n"
        "    return a + len(list(typing.get_type_hints(_h))[0])\n",
        "import typing\ndef _h(t: int) -> int:\n    return 0\ndef f(a):\n"
        "    return a + len(list(typing.get_type_hints(_h))[0])\n",
    ),
    "get_type_hints imported under another name": (
        "from typing import get_type_hints as g\ndef _h(total: int) -> int:\n    return 0\n"
        "def f(a):\n    return a + len(list(g(_h))[0])\n",
        "from typing import get_type_hints as g\ndef _h(t: int) -> int:\n    return 0\n"
        "def f(a):\n    return a + len(list(g(_h))[0])\n",
    ),
    # red team s21: the star import binds `e` and `pi`; the lambda's parameter made each
    # a renamed name, so math.e and math.pi got one key (a wrong add labeled correct)
    "names a star import binds": (
        "from math import *\ndef f(a):\n    g = lambda e: e\n    return a + floor(e)\n",
        "from math import *\ndef f(a):\n    g = lambda pi: pi\n    return a + floor(pi)\n",
    ),
    # red team s21: the harness calls `add` by name, bound by an assignment (renamed)
    "module-level names swapped": (
        "add = lambda x, y: x + y if h else 0\nh = lambda x, y: add(x, -y)\n",
        "h = lambda x, y: x + y if add else 0\nadd = lambda x, y: h(x, -y)\n",
    ),
    "recorded warnings carry line numbers": (
        "import warnings\ndef f(a):\n    with warnings.catch_warnings(record=True) as w:\n"
        "        warnings.warn('x')\n    return w[0].lineno\n",
        "import warnings\ndef f(a):\n\n    with warnings.catch_warnings(record=True) as w:\n"
        "        warnings.warn('x')\n    return w[0].lineno\n",
    ),
}


@pytest.mark.parametrize("name", sorted(OBSERVABLE))
def test_programs_that_can_see_their_names_do_not_merge(name: str) -> None:
    a, b = OBSERVABLE[name]
    assert behaviour_key(a) != behaviour_key(b)


def test_entry_point_and_helper_names_are_kept() -> None:
    other = BASE.replace("def f(", "def g(")
    assert behaviour_key(other) != behaviour_key(BASE)


def test_unparsable_code_keys_on_its_text() -> None:
    assert behaviour_key("def f(:\n") == "def f(:\n"
    assert behaviour_key("def f(:\n") != behaviour_key("def f(:\n  ")
