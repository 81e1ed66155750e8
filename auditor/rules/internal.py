"""AUD9xx internal: the candidate could not be analysed. Emitted by the engine itself."""

from __future__ import annotations

from auditor.rules.base import Family, Invalid, Rule, Valid
from auditor.types import Confidence, Severity


class SyntaxErrorRule(Rule):
    """## What it does
    Reports a candidate that does not parse: a syntax or indentation error, a non-UTF-8
    byte, or nesting too deep to analyse. No other rule runs on it. A raw answer in
    which the sanitizer found no program gets it too, its message saying why ("no
    program: no code in the answer", "no code to keep", or "ambiguous answer": the text
    runs as Python with one definition of the function while its Markdown shows another).

    ## Why is this bad?
    Code that does not parse cannot pass any test, and if it came from a sanitizer the
    cut was wrong. Either way nothing else can be said about it.

    ## Example
    ```python
    def f(x):
        return (x + 1
    ```

    Use instead:
    ```python
    def f(x):
        return x + 1
    ```
    """

    CODE = "AUD901"
    SYMBOL = "syntax-error"
    MESSAGE = "the code does not parse"
    SEVERITY = Severity.HIGH
    CONFIDENCE = Confidence.HIGH
    FAMILY = Family.INTERNAL
    VALID = (Valid("def f(x):\n    return x\n"), Valid(""))
    INVALID = (
        Invalid("def f(x):\n    return x +\n", 2),
        Invalid("x = 1\ndef f(x)\n    return x\n", 2),
        Invalid("def f(x):\n    return '\udcff'\n", 2),
    )


class RuleErrorRule(Rule):
    """## What it does
    Reports that a rule raised an exception on this candidate. The rule is disabled for
    the rest of the candidate; all other rules still run.

    ## Why is this bad?
    It is a bug in the auditor, not in the candidate: the candidate's findings are
    incomplete. Please report it with the code that triggered it.

    ## Example
    ```python
    # any code on which a rule crashes
    ```

    Use instead:
    ```python
    # nothing to change in the candidate; the rule needs fixing
    ```
    """

    CODE = "AUD902"
    SYMBOL = "rule-error"
    MESSAGE = "a rule failed on this code"
    SEVERITY = Severity.INFO
    CONFIDENCE = Confidence.HIGH
    FAMILY = Family.INTERNAL
    # A correct rule never crashes, so there is no invalid example; a test injects a
    # failing rule instead.
    VALID = (Valid("def f(x):\n    return x\n"), Valid("x = [1, 2, 3]\n"))


class UnanalysableCode(Rule):
    """## What it does
    Reports valid Python that is beyond the analyser's limits: more than 64,000
    characters, or syntax nested more than 1,000 levels deep. No other rule runs on it.

    ## Why is this bad?
    Real solutions are a few kilobytes. A candidate this large or this deep is usually
    a huge literal table or generated padding, and cannot be checked in reasonable time.

    ## Example
    ```python
    ANSWERS = {0: 1, 1: 1, 2: 2, 3: 6}  # ... and 60 kB more
    ```

    Use instead:
    ```python
    def factorial(n):
        return 1 if n < 2 else n * factorial(n - 1)
    ```
    """

    CODE = "AUD903"
    SYMBOL = "unanalysable-code"
    MESSAGE = "the code is too large or too deeply nested to analyse"
    SEVERITY = Severity.MEDIUM
    CONFIDENCE = Confidence.HIGH
    FAMILY = Family.INTERNAL
    VALID = (Valid("x = " + "+".join(["1"] * 500) + "\n"), Valid("def f(x):\n    return x\n"))
    INVALID = (
        Invalid("x = " + "+".join(["1"] * 1500) + "\n", 1),
        Invalid("x = [" + "1, " * 25_000 + "]\n", 1),
    )
