"""The paper study behind `auditor report` and `auditor curves`: analyses, figures, renderers.

The paper report, the model card (`card`) and the curves renderers (`curves`).

`analysis.build_study` turns labeled corpora into a frozen `Study`; `render` turns it into
HTML, Markdown and JSON (one function per report section in `sections`), `figures` into PNGs;
`paper` holds the published numbers the report compares against. Nothing here is needed by
`auditor check`; submodules are imported by the commands that use them.
"""
