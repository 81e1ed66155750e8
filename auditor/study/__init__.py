"""The study: the paper report, the model card and the curves renderers."""
