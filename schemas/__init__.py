"""Data: the WSDL and XSD files both sides of an exchange load, read with ``importlib.resources``."""
