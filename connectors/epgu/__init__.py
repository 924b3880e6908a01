"""The ЕПГУ e-diary service over СМЭВ 3: Sverka's own schema ``urn://sverka/epgu/edu-diary/1.0``."""
