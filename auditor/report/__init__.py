"""The paper study (`auditor report`): statistics, figures and rendering.

The CI output formats of `auditor check` live in `auditor.output`.
"""
