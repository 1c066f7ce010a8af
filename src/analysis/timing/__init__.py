"""Timing tests: are releases closer to events than a null model places them?

- :mod:`analysis.timing.calendar` -- dates to day numbers, daily and weekly series.
- :mod:`analysis.timing.nulls` -- surrogate generators (uniform, circular shift, interval jitter).
- :mod:`analysis.timing.coincidence` -- coincidence rates and the coincidence test.
- :mod:`analysis.timing.sensitivity` -- what a test could have detected (informative days, MDE).
- :mod:`analysis.timing.eventstudy` -- release intensity around events.
- :mod:`analysis.timing.revolving` -- stock changes before events (the revolving door).
- :mod:`analysis.timing.pairs` -- the citable release-event pairs behind a number.
- :mod:`analysis.timing.dyadic` -- foreign nationals against their own government's contacts.
"""
