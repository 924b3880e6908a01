"""The contingent registry over СМЭВ 3: Sverka's own business schema ``urn://sverka/contingent/1.0``."""
