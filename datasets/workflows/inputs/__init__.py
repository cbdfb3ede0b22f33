"""What the public and the departments send to the participation services (requests to open
data, opening assessments, error reports, rights-holder objections, suggestions), as frozen
dataclasses parsed once at the edge: the JSON API and the HTML forms call ``parse`` and the
services work on typed values only.

``parse`` raises one ValidationError naming every field at once, with the messages the forms
show. References to datasets and departments are resolved while parsing (``lookup.Lookup``), so
that an unknown dataset is reported together with a missing description. The same field
declarations give the OpenAPI document its request bodies (``fields.schema``).
"""
