"""The lab: training, evaluation and measurement code that sits above the product.

Nothing under `extract/lab/` is imported when serving an upload (a layer test checks it); the
runtime reads only what the lab writes to `extract/models/`.
"""
