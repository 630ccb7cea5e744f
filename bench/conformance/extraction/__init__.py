"""Readers of the OCTT test case documents, used by ``bench.conformance.extract``.

``part6`` reads OCPP 2.0.1 part 6 (HTML tables in Markdown), ``part5`` the
certification profiles of 2.0.1 part 5, ``octt16`` OCTT's 1.6 document (text laid
out in columns by a PDF extractor); ``steps`` holds what they share: clean text,
step order, the side of a step, references to reusable states.
"""
