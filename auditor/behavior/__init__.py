"""Behavioral signals: run a task's candidates on mutated weak-test inputs and compare outputs.

`mutate.probe_inputs` makes the probe inputs, an `OutputProber` (the sandbox's, in
`prober`) fingerprints each candidate's outputs, and `agreement.agreement_features` turns
the fingerprints into per-candidate agreement with its peers. `auditor.features.behavior`
wires these into the feature table.
"""
