"""Session bundles: one station's recorded session as one file, and its replay.

``format``  the file: a zip with a versioned manifest (read and written here only)
``sides``   which frames came from the station, whatever wrote the log
``meter``   the meter trace, from the frames that carry meter values
``export``  a bundle from a bench database (``run --db`` or the proxy's)
``replay``  the station side of a bundle, played against a CSMS; ``compare`` its differences
"""
