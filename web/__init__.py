"""The web door: server-rendered pages for the deputy, the teacher, the operator and the administrator."""
