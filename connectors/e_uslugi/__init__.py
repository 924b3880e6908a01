"""Enrolment notices from «Е-услуги. Образование» over СМЭВ 3 (Sverka's own schema)."""
