"""The inventory: the agency's network as YAML truth, loaded into typed models."""
