"""Catalogue files: parsed and validated into plain data, then applied to the database.

A catalogue may be split across several YAML files; they are read as one, so a department or
field defined in one file may be used in another. Every file is checked completely and every
problem is reported (file, path, reason) before anything is written; applying is one
transaction that creates or updates by code, key and slug, never deletes a certificate type,
department, field or service, and publishes a new service version only where the form actually changed.

The format (every top-level key optional in a given file)::

    calendar: {workdays: [mon, ...], holidays: [2026-10-01, ...], working_weekends: [2026-10-10, ...]}
    certificate_types: [{code, name}, ...]
    departments: [{code, name, email,
                   calendar: {workdays: [mon, ...], holidays: [date, ...], working_days: [date, ...]}}, ...]
    registers: [{code, name, consent_required}, ...]
    certificate_types: [{code, name}, ...]
    fields: [{key, kind, label, help, section, required, <rules by kind>,
              register: {register, attribute, key}, certificate: <type code>}, ...]
    services: [{slug, name, life_event, description, synonyms: {en: [word, ...], ...}, fee,
                permit: {title, valid_days, certificate_type: <type code>},
                reviews: [{department, stage, sla_days, fields: [key, ...], identity: [detail, ...]}, ...],
                filings: [{department, fields: [key, ...], identity: [detail, ...]}, ...]}, ...]

``working_weekends`` (optional) are make-up working days (调休): rest days of the working week
worked in exchange for a holiday; each falls on a rest day and is no holiday. A department's
``calendar`` (optional) is where its days differ from the catalogue's: its own working week
(instead of the catalogue's), extra closure days and extra working days (which may fall on a
catalogue holiday); a department listed without one counts the catalogue's calendar.

Apps above the catalogue may add sections of their own (``finders:``, the permit finder's,
after the services): see ``sections``.

``filings`` (optional) name the bodies told of an approval without reviewing (record filing after
approval): each department once, none that reviews the service, only answers the form asks for
(never a file) and the applicant's details as a review lists them.

A file field's ``certificate`` names the certificate type a valid certificate of which answers
the question instead of an upload (the citizen holding one is asked nothing); a permit's
``certificate_type`` is the type the service's permit is, so that a service asking for that type
can say which service issues it. A service never requires the type it issues.

The modules, in the order a load runs:

- ``schema``: what a file may hold (keys, kinds, limits) and the checked data it becomes;
- ``checks``: each entry checked on its own, every problem reported at its path;
- ``reader``: files → YAML → checked data, with duplicates across files and references checked
  against the whole catalogue (``catalogue_parse``);
- ``apply``: the checked data written in one transaction (``catalogue_apply``).
"""
