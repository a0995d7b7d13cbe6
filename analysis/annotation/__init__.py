"""Annotation of country mentions: sampling, coding sheets, codes, agreement and adjudication.

Annotations are stand-off: a document key, character offsets of the sentence and of the mention, codes, coder
and date. The text itself stays with the source corpus and is joined at load time, so third-party text never
enters the project.
"""
