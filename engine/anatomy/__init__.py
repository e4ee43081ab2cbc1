"""Rally anatomy: every past rally found by a rule, sustained vs failed, which drivers told
them apart, the nearest past analogs of a date and the case replay of one date.

Modules, one job each: ``detect`` (rally starts, troughs and outcomes from prices),
``drivers`` (driver state at each start vs outcome: Fisher odds ratios, BH q), ``analogs``
(nearest past dates by standardised point-in-time features), ``case`` (everything knowable on
one date, then what happened next), ``compute`` (loads a study once and composes these),
``charts`` (plots taking ``ax=``) and ``content`` (report ``Document``s). The study file's
``[rallies]``/``[analogs]``/``[case]`` tables are parsed in ``engine.study.rally_rules``; the
commands live in ``engine.cli.anatomy``.
"""
