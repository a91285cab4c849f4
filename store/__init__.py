"""The state store: the only SQL of pantau (schema, migrations, one repository per aggregate)."""
