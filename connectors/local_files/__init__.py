"""The institution's own files (CSV and XLSX): facts no platform carries."""
