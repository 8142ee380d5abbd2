"""The profile extractors' lexicons, as data: which words name which field, which cue words mark a
forecast, a growth rate, a relation or a qualification. No logic lives here: the extractors in
``assistant.profile`` compile and apply these tables."""
