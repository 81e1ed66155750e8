"""Execution signals without a reference: amplified inputs, consensus among passers, solo.

`amplify` makes new inputs from the weak inputs alone (within the domain `domain` infers),
`runner.ExecRunner` runs programs on them in the sandbox (cached per program and inputs),
`consensus` compares each passer's outputs with its peers', `properties` checks them against
what every weak test's expected output has (type, sign, length, order, elements), and
`harness` + `solo` measure one candidate alone (coverage by its weak tests, mutant
survival, crash and type rates).
`signals.task_features` puts them together as `exec.*` columns.
"""
