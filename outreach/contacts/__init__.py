"""The contact list: CSV import (csvfile -> fields -> merge -> writer), export, erasure.

Entry point for imports: `outreach.contacts.importer.import_csv`.
"""
